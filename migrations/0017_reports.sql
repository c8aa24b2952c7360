-- DMARC aggregate and SMTP TLS reports, de-duplicated by reporter and
-- report id. A DMARC report over more than a day has its rows split per
-- day; each row is classified when it is imported. A file that cannot be
-- read is kept with the reason.
CREATE TABLE dmarc_reports (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_name    TEXT NOT NULL,
    report_id   TEXT NOT NULL,
    email       TEXT NOT NULL DEFAULT '',
    domain      TEXT NOT NULL,
    begin_at    TIMESTAMPTZ NOT NULL,
    end_at      TIMESTAMPTZ NOT NULL,
    policy      JSONB NOT NULL DEFAULT '{}',
    -- listener, upload or cli
    via         TEXT NOT NULL,
    skipped     TEXT[] NOT NULL DEFAULT '{}',
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (org_name, report_id)
);
CREATE INDEX dmarc_reports_domain ON dmarc_reports (lower(domain), begin_at);

CREATE TABLE dmarc_rows (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id     BIGINT NOT NULL REFERENCES dmarc_reports (id) ON DELETE CASCADE,
    domain        TEXT NOT NULL,
    day           DATE NOT NULL,
    source_ip     INET NOT NULL,
    count         BIGINT NOT NULL,
    disposition   TEXT NOT NULL DEFAULT '',
    dkim_aligned  BOOLEAN NOT NULL,
    spf_aligned   BOOLEAN NOT NULL,
    header_from   TEXT NOT NULL DEFAULT '',
    envelope_from TEXT NOT NULL DEFAULT '',
    -- {"dkim": [[domain, selector, result]], "spf": [[domain, scope, result]], "reasons": [[type, comment]]}
    details       JSONB NOT NULL DEFAULT '{}',
    -- normal, forwarded, misconfigured, spoofing
    class         TEXT NOT NULL,
    why           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dmarc_rows_domain ON dmarc_rows (domain, day);
CREATE INDEX dmarc_rows_source ON dmarc_rows (domain, source_ip);

CREATE TABLE tls_reports (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_name    TEXT NOT NULL,
    report_id   TEXT NOT NULL,
    begin_at    TIMESTAMPTZ,
    end_at      TIMESTAMPTZ,
    via         TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (org_name, report_id)
);

CREATE TABLE tls_policies (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id   BIGINT NOT NULL REFERENCES tls_reports (id) ON DELETE CASCADE,
    policy_type TEXT NOT NULL,
    domain      TEXT NOT NULL,
    successes   BIGINT NOT NULL,
    failures    BIGINT NOT NULL,
    -- [[result type, sending address, receiving MX, sessions]]
    details     JSONB NOT NULL DEFAULT '[]'
);

CREATE TABLE report_failures (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    via         TEXT NOT NULL,
    raw         BYTEA NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
