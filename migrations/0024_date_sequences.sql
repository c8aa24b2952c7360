-- A sequence may start on a date in each subscriber's attributes instead of
-- on joining its list: on the date itself (a trial's end) or on its
-- anniversary every year (a birthday). Its steps go that many days after.
ALTER TABLE sequences
    ADD COLUMN trigger_attribute TEXT CHECK (length(trigger_attribute) BETWEEN 1 AND 100),
    ADD COLUMN trigger_yearly BOOLEAN NOT NULL DEFAULT false;

-- A yearly sequence sends each step once a year: its deliveries carry the
-- year; every other delivery has 0, so it stays one per campaign and
-- subscriber. (Adding a column with a constant default rewrites nothing.)
-- The next two migrations make (campaign, subscriber, occurrence) the
-- unique key without locking the table while the index builds.
ALTER TABLE deliveries ADD COLUMN occurrence INT NOT NULL DEFAULT 0;

-- An attribute's value as a date when it starts with one ('1990-04-01…'),
-- else NULL: '2023-02-29', '0000-01-01' and 'soon' are no dates, and never
-- make a query fail. The nested CASEs fix the order of the checks.
CREATE FUNCTION ninsho_attribute_date(value TEXT) RETURNS DATE
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN value ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' THEN
        CASE WHEN substr(value, 1, 4)::int >= 1 AND substr(value, 6, 2)::int BETWEEN 1 AND 12 THEN
            CASE WHEN substr(value, 9, 2)::int BETWEEN 1 AND extract(day FROM
                    make_date(substr(value, 1, 4)::int, substr(value, 6, 2)::int, 1)
                    + interval '1 month' - interval '1 day')::int
                THEN make_date(substr(value, 1, 4)::int, substr(value, 6, 2)::int, substr(value, 9, 2)::int)
            END
        END
    END
$$;

-- The anniversary of `day` in `year`: 29 February falls on the 28th in
-- other years.
CREATE FUNCTION ninsho_anniversary(day DATE, year INT) RETURNS DATE
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT make_date(year, extract(month FROM day)::int, least(extract(day FROM day)::int,
        extract(day FROM make_date(year, extract(month FROM day)::int, 1)
            + interval '1 month' - interval '1 day')::int))
$$;
