-- Error-address rules (エラーアドレス自動停止), set by operators per bounce
-- reason: an address is suppressed after `bounces` bounces of that reason
-- within `days` days; 0 bounces: never. A reason without a row follows the
-- built-in rule (replies::Rule::default_for).
CREATE TABLE bounce_rules (
    reason text PRIMARY KEY,
    bounces integer NOT NULL CHECK (bounces BETWEEN 0 AND 100),
    days integer NOT NULL CHECK (days BETWEEN 1 AND 365),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The share of a campaign's sends that may bounce before its senders are
-- alerted (per cent; 0: never), and when a campaign's alert went out (once).
ALTER TABLE sender_settings ADD COLUMN error_rate_alert double precision NOT NULL DEFAULT 5
    CHECK (error_rate_alert BETWEEN 0 AND 100);
ALTER TABLE campaigns ADD COLUMN error_rate_alerted_at timestamptz;
