-- no-transaction
-- Built next to the running system: sending and tracking go on meanwhile.
-- (One statement: CONCURRENTLY cannot share its query with another.)
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS deliveries_campaign_subscriber_occurrence
    ON deliveries (campaign_id, subscriber_id, occurrence);
