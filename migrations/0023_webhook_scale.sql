-- A correction to 0021's comment: with transition tables, Postgres keeps a
-- copy of the rows each statement changes even when no endpoint wants the
-- event (the function then returns at once); the import benchmark runs at
-- the same speed with them.
--
-- Webhooks at volume: the sender finds unfinished deliveries without
-- walking the delivered history, and a subscription that is deleted (the
-- subscriber or the list removed, an unconfirmed one expired) tells the
-- endpoints that want `unsubscribed`.
CREATE INDEX webhook_deliveries_unfinished ON webhook_deliveries (id) WHERE status IN ('queued', 'sending');
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (created_at) WHERE status IN ('delivered', 'failed');

CREATE FUNCTION webhook_subscriptions_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT webhook_wanted('{unsubscribed}') THEN RETURN NULL; END IF;
    PERFORM webhook_enqueue(coalesce(jsonb_agg(jsonb_build_object(
        'event', 'unsubscribed', 'subscriber_id', o.subscriber_id,
        'payload', jsonb_build_object(
            'subscriber', coalesce(webhook_subscriber(o.subscriber_id), jsonb_build_object('id', o.subscriber_id)),
            'list', jsonb_build_object('id', o.list_id, 'name', l.name), 'status', 'removed'))
        ORDER BY o.subscriber_id, o.list_id), '[]'))
    FROM old_rows o LEFT JOIN lists l ON l.id = o.list_id
    WHERE o.status <> 'unsubscribed';
    RETURN NULL;
END
$$;
CREATE TRIGGER webhook_subscriptions_delete AFTER DELETE ON subscriptions
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION webhook_subscriptions_deleted();
