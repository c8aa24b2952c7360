-- The old key (campaign, subscriber) goes once the new one is usable. A
-- concurrent build that was interrupted leaves an invalid index, which
-- `IF NOT EXISTS` would keep: that is reported instead of dropping the
-- only key that works.
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relname = 'deliveries_campaign_subscriber_occurrence' AND i.indisvalid
    ) THEN
        RAISE EXCEPTION 'the index deliveries_campaign_subscriber_occurrence is not valid: run '
            '"DROP INDEX CONCURRENTLY deliveries_campaign_subscriber_occurrence;" and '
            '"DELETE FROM _sqlx_migrations WHERE version = 25;", then start ninsho again';
    END IF;
END
$$;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_campaign_id_subscriber_id_key;
