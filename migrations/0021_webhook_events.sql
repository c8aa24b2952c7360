-- Outgoing webhooks for subscribers, deliveries and feedback. Events are
-- written into the outbox by triggers in the same transaction as the change
-- itself, whatever code path made it (dashboard, API, import, engine,
-- inbound mail, tracking), so an event exists exactly when its change
-- committed. Statement-level triggers with transition tables cost one
-- cheap query per statement when no endpoint wants the event.

ALTER TABLE webhook_endpoints
    -- The endpoint's own signing secret, sealed under the server key; NULL
    -- for the alert URLs of the configuration (they use its secret).
    ADD COLUMN secret BYTEA,
    ADD COLUMN description TEXT NOT NULL DEFAULT '',
    ADD COLUMN created_at TIMESTAMPTZ NOT NULL DEFAULT now();

ALTER TABLE webhook_deliveries
    -- Deliveries about one subscriber go to an endpoint one at a time, in
    -- order: a later one waits while an earlier one is unfinished.
    ADD COLUMN subscriber_id BIGINT,
    ADD COLUMN response_status INT,
    ADD COLUMN last_attempt_at TIMESTAMPTZ;
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, subscriber_id, id)
    WHERE status IN ('queued', 'sending');
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- The common part of every event's JSON.
CREATE FUNCTION webhook_subscriber(sid BIGINT) RETURNS JSONB LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', s.id, 'email', s.email, 'name', s.name) FROM subscribers s WHERE s.id = sid
$$;

-- Queues `payload` rows (one per row of `events`) for every endpoint that
-- wants their event. `events` is (event, subscriber_id, payload).
CREATE FUNCTION webhook_enqueue(events JSONB) RETURNS VOID LANGUAGE sql AS $$
    INSERT INTO webhook_deliveries (endpoint_id, event, subscriber_id, payload)
    SELECT e.id, ev->>'event', (ev->>'subscriber_id')::bigint,
           jsonb_build_object('event', ev->>'event', 'at', now()) || (ev->'payload')
    FROM jsonb_array_elements(events) WITH ORDINALITY AS x(ev, n)
    JOIN webhook_endpoints e ON (ev->>'event') = ANY(e.events)
    ORDER BY n, e.id
$$;

CREATE FUNCTION webhook_wanted(wanted TEXT[]) RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE events && wanted)
$$;

-- Subscriptions: subscribed (a new one, or back from unsubscribed),
-- confirmed (unconfirmed to confirmed), unsubscribed.
CREATE FUNCTION webhook_subscriptions_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT webhook_wanted('{subscribed}') THEN RETURN NULL; END IF;
    PERFORM webhook_enqueue(coalesce(jsonb_agg(jsonb_build_object(
        'event', 'subscribed', 'subscriber_id', n.subscriber_id,
        'payload', jsonb_build_object('subscriber', webhook_subscriber(n.subscriber_id),
            'list', jsonb_build_object('id', l.id, 'name', l.name), 'status', n.status))
        ORDER BY n.subscriber_id, n.list_id), '[]'))
    FROM new_rows n JOIN lists l ON l.id = n.list_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER webhook_subscriptions_insert AFTER INSERT ON subscriptions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION webhook_subscriptions_inserted();

CREATE FUNCTION webhook_subscriptions_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT webhook_wanted('{subscribed,confirmed,unsubscribed}') THEN RETURN NULL; END IF;
    PERFORM webhook_enqueue(coalesce(jsonb_agg(jsonb_build_object(
        'event', CASE WHEN n.status = 'unsubscribed' THEN 'unsubscribed'
                      WHEN o.status = 'unsubscribed' THEN 'subscribed'
                      ELSE 'confirmed' END,
        'subscriber_id', n.subscriber_id,
        'payload', jsonb_build_object('subscriber', webhook_subscriber(n.subscriber_id),
            'list', jsonb_build_object('id', l.id, 'name', l.name), 'status', n.status))
        ORDER BY n.subscriber_id, n.list_id), '[]'))
    FROM new_rows n
    JOIN old_rows o ON o.list_id = n.list_id AND o.subscriber_id = n.subscriber_id
    JOIN lists l ON l.id = n.list_id
    WHERE n.status IS DISTINCT FROM o.status
      AND NOT (o.status = 'confirmed' AND n.status = 'unconfirmed');
    RETURN NULL;
END
$$;
CREATE TRIGGER webhook_subscriptions_update AFTER UPDATE ON subscriptions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_subscriptions_updated();

-- Deliveries: delivered, once the receiving MX accepted the message.
CREATE FUNCTION webhook_deliveries_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT webhook_wanted('{delivered}') THEN RETURN NULL; END IF;
    PERFORM webhook_enqueue(coalesce(jsonb_agg(jsonb_build_object(
        'event', 'delivered', 'subscriber_id', n.subscriber_id,
        'payload', jsonb_build_object('subscriber', webhook_subscriber(n.subscriber_id),
            'campaign', jsonb_build_object('id', c.id, 'name', c.name),
            'delivery', jsonb_build_object('id', n.id, 'email', n.email)))
        ORDER BY n.id), '[]'))
    FROM new_rows n
    JOIN old_rows o ON o.id = n.id
    JOIN campaigns c ON c.id = n.campaign_id
    WHERE n.status = 'delivered' AND o.status <> 'delivered';
    RETURN NULL;
END
$$;
CREATE TRIGGER webhook_deliveries_update AFTER UPDATE ON deliveries
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_deliveries_updated();

-- Bounces, with their class (reason) and effect.
CREATE FUNCTION webhook_bounces_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT webhook_wanted('{bounced}') THEN RETURN NULL; END IF;
    PERFORM webhook_enqueue(coalesce(jsonb_agg(jsonb_build_object(
        'event', 'bounced', 'subscriber_id', d.subscriber_id,
        'payload', jsonb_build_object('subscriber', webhook_subscriber(d.subscriber_id),
            'campaign', jsonb_build_object('id', n.campaign_id),
            'bounce', jsonb_build_object('email', n.email, 'class', n.reason, 'effect', n.effect,
                'status', n.status, 'diagnostic', n.diagnostic)))
        ORDER BY n.id), '[]'))
    FROM new_rows n LEFT JOIN deliveries d ON d.id = n.delivery_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER webhook_bounces_insert AFTER INSERT ON bounces
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION webhook_bounces_inserted();

CREATE FUNCTION webhook_complaints_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT webhook_wanted('{complained}') THEN RETURN NULL; END IF;
    PERFORM webhook_enqueue(coalesce(jsonb_agg(jsonb_build_object(
        'event', 'complained', 'subscriber_id', d.subscriber_id,
        'payload', jsonb_build_object('subscriber', webhook_subscriber(d.subscriber_id),
            'campaign', jsonb_build_object('id', n.campaign_id),
            'complaint', jsonb_build_object('email', n.email, 'feedback_type', n.feedback_type)))
        ORDER BY n.id), '[]'))
    FROM new_rows n LEFT JOIN deliveries d ON d.id = n.delivery_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER webhook_complaints_insert AFTER INSERT ON complaints
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION webhook_complaints_inserted();

-- Opens and clicks (subscriber null when the campaign tracks anonymously),
-- machine ones marked.
CREATE FUNCTION webhook_campaign_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT webhook_wanted('{opened,clicked}') THEN RETURN NULL; END IF;
    PERFORM webhook_enqueue(coalesce(jsonb_agg(jsonb_build_object(
        'event', CASE n.kind WHEN 'open' THEN 'opened' ELSE 'clicked' END,
        'subscriber_id', n.subscriber_id,
        'payload', jsonb_build_object('subscriber', webhook_subscriber(n.subscriber_id),
            'campaign', jsonb_build_object('id', c.id, 'name', c.name),
            'machine', n.machine,
            'url', CASE WHEN n.kind = 'click' AND n.link >= 0 THEN c.links[n.link + 1] END))
        ORDER BY n.at, n.kind = 'click'), '[]'))
    FROM new_rows n JOIN campaigns c ON c.id = n.campaign_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER webhook_campaign_events_insert AFTER INSERT ON campaign_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION webhook_campaign_events_inserted();
