//! DMARC aggregate and SMTP TLS reports: kept once each (by reporter and
//! report id), rows split per day and classified, and summed up for the
//! dashboard. Files that could not be read are kept with the reason.

use chrono::{DateTime, NaiveDate, Utc};

use crate::{Result, Store};

/// The most bytes of failed report files kept, all together: a stranger
/// can send files that fail, and must not fill the disk with them.
pub const MAX_FAILED_REPORT_BYTES: i64 = 64 * 1024 * 1024;

/// A report to keep.
pub struct NewDmarcReport<'a> {
    pub org_name: &'a str,
    pub report_id: &'a str,
    pub email: &'a str,
    pub domain: &'a str,
    pub begin: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub policy: serde_json::Value,
    pub via: &'a str,
    pub skipped: &'a [String],
}

/// One row of a report on one day.
pub struct NewDmarcRow {
    pub day: NaiveDate,
    pub source_ip: std::net::IpAddr,
    pub count: i64,
    pub disposition: String,
    pub dkim_aligned: bool,
    pub spf_aligned: bool,
    pub header_from: String,
    pub envelope_from: String,
    pub details: serde_json::Value,
    pub class: &'static str,
    pub why: String,
}

/// A policy domain over a period.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DmarcDomain {
    pub domain: String,
    pub messages: i64,
    pub dkim_aligned: i64,
    pub spf_aligned: i64,
    pub dmarc_pass: i64,
    pub forwarded: i64,
    pub misconfigured: i64,
    pub spoofing: i64,
    pub reports: i64,
}

/// A sending address seen in a domain's reports.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DmarcSource {
    pub source_ip: ipnet::IpNet,
    pub messages: i64,
    pub dmarc_pass: i64,
    /// The worst class among its rows.
    pub class: String,
    pub why: String,
    pub header_from: String,
}

/// A report row as the drill-down shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DmarcRowView {
    pub day: NaiveDate,
    pub org_name: String,
    pub report_id: String,
    pub count: i64,
    pub disposition: String,
    pub dkim_aligned: bool,
    pub spf_aligned: bool,
    pub header_from: String,
    pub envelope_from: String,
    pub details: serde_json::Value,
    pub class: String,
    pub why: String,
}

/// A DMARC report being kept: its rows go in batches inside the report's
/// transaction, which [`DmarcWriter::finish`] commits (dropped, it rolls back).
pub struct DmarcWriter {
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
    id: i64,
    domain: String,
}

impl DmarcWriter {
    /// Adds one batch of rows.
    pub async fn rows(&mut self, rows: &[NewDmarcRow]) -> Result<()> {
        sqlx::query(
            "INSERT INTO dmarc_rows (report_id, domain, day, source_ip, count, disposition, dkim_aligned, \
             spf_aligned, header_from, envelope_from, details, class, why) \
             SELECT $1, lower($2), * FROM UNNEST($3::date[], $4::inet[], $5::bigint[], $6::text[], $7::bool[], \
             $8::bool[], $9::text[], $10::text[], $11::jsonb[], $12::text[], $13::text[])",
        )
        .bind(self.id)
        .bind(&self.domain)
        .bind(rows.iter().map(|r| r.day).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| ipnet::IpNet::from(r.source_ip)).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.count).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.disposition.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.dkim_aligned).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.spf_aligned).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.header_from.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.envelope_from.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| &r.details).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.class).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.why.as_str()).collect::<Vec<_>>())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Commits the report with its rows; returns its id.
    pub async fn finish(self) -> Result<i64> {
        self.tx.commit().await?;
        Ok(self.id)
    }
}

impl Store {
    /// Starts keeping a report: None when the same reporter sent the same
    /// report id before. Its rows then go in batches
    /// ([`DmarcWriter::rows`]), all in one transaction, so a report is kept
    /// whole or not at all, and no caller needs all its rows at once.
    pub async fn begin_dmarc_report(&self, report: &NewDmarcReport<'_>) -> Result<Option<DmarcWriter>> {
        let mut tx = self.pool.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO dmarc_reports (org_name, report_id, email, domain, begin_at, end_at, policy, via, skipped) \
             VALUES ($1, $2, $3, lower($4), $5, $6, $7, $8, $9) ON CONFLICT (org_name, report_id) DO NOTHING RETURNING id",
        )
        .bind(report.org_name)
        .bind(report.report_id)
        .bind(report.email)
        .bind(report.domain)
        .bind(report.begin)
        .bind(report.end)
        .bind(&report.policy)
        .bind(report.via)
        .bind(report.skipped)
        .fetch_optional(&mut *tx)
        .await?;
        Ok(id.map(|id| DmarcWriter { tx, id, domain: report.domain.to_owned() }))
    }

    /// Whether a source was seen before in `domain`'s reports with `class`.
    pub async fn dmarc_source_seen(&self, domain: &str, ip: std::net::IpAddr, class: &str) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM dmarc_rows WHERE domain = lower($1) AND source_ip = $2 AND class = $3)",
        )
        .bind(domain)
        .bind(ipnet::IpNet::from(ip))
        .bind(class)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Keeps a TLS report and its policies; None when it was seen before.
    #[allow(clippy::type_complexity)]
    pub async fn insert_tls_report(
        &self,
        org_name: &str,
        report_id: &str,
        begin: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
        via: &str,
        policies: &[(String, String, i64, i64, serde_json::Value)],
    ) -> Result<Option<i64>> {
        let mut tx = self.pool.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO tls_reports (org_name, report_id, begin_at, end_at, via) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (org_name, report_id) DO NOTHING RETURNING id",
        )
        .bind(org_name)
        .bind(report_id)
        .bind(begin)
        .bind(end)
        .bind(via)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else { return Ok(None) };
        for (policy_type, domain, successes, failures, details) in policies {
            sqlx::query(
                "INSERT INTO tls_policies (report_id, policy_type, domain, successes, failures, details) \
                 VALUES ($1, $2, lower($3), $4, $5, $6)",
            )
            .bind(id)
            .bind(policy_type)
            .bind(domain)
            .bind(successes)
            .bind(failures)
            .bind(details)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Keeps a file that could not be read, with the reason, and `raw`
    /// (what arrived, as it arrived) while the bytes kept of failed reports
    /// stay under [`MAX_FAILED_REPORT_BYTES`]; whether `raw` was kept.
    pub async fn keep_report_failure(&self, name: &str, reason: &str, via: &str, raw: &[u8]) -> Result<bool> {
        let kept: bool = sqlx::query_scalar(
            "WITH used AS (SELECT coalesce(sum(octet_length(raw)), 0) AS bytes FROM report_failures) \
             INSERT INTO report_failures (name, reason, via, raw) \
             SELECT $1, $2, $3, CASE WHEN used.bytes + octet_length($4) <= $5 THEN $4 ELSE ''::bytea END FROM used \
             RETURNING octet_length(raw) > 0 OR octet_length($4) = 0",
        )
        .bind(name)
        .bind(reason)
        .bind(via)
        .bind(raw)
        .bind(MAX_FAILED_REPORT_BYTES)
        .fetch_one(&self.pool)
        .await?;
        Ok(kept)
    }

    /// Forgets failed report files older than `keep`; returns how many.
    pub async fn prune_report_failures(&self, keep: chrono::Duration) -> Result<u64> {
        let done = sqlx::query("DELETE FROM report_failures WHERE received_at < now() - $1::interval")
            .bind(keep)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// The newest failures: (when, name, reason).
    pub async fn report_failures(&self, limit: i64) -> Result<Vec<(DateTime<Utc>, String, String)>> {
        Ok(sqlx::query_as("SELECT received_at, name, reason FROM report_failures ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The newest day a domain's reports cover.
    pub async fn dmarc_latest_day(&self, domain: &str) -> Result<Option<NaiveDate>> {
        Ok(sqlx::query_scalar("SELECT max(day) FROM dmarc_rows WHERE domain = lower($1)")
            .bind(domain)
            .fetch_one(&self.pool)
            .await?)
    }

    /// Every policy domain's totals over its `days` days up to its newest report.
    pub async fn dmarc_domains(&self, days: i32) -> Result<Vec<DmarcDomain>> {
        Ok(sqlx::query_as(
            "WITH latest AS (SELECT domain, max(day) AS last FROM dmarc_rows GROUP BY domain) \
             SELECT r.domain, sum(count)::bigint AS messages, \
                    coalesce(sum(count) FILTER (WHERE dkim_aligned), 0)::bigint AS dkim_aligned, \
                    coalesce(sum(count) FILTER (WHERE spf_aligned), 0)::bigint AS spf_aligned, \
                    coalesce(sum(count) FILTER (WHERE dkim_aligned OR spf_aligned), 0)::bigint AS dmarc_pass, \
                    coalesce(sum(count) FILTER (WHERE class = 'forwarded'), 0)::bigint AS forwarded, \
                    coalesce(sum(count) FILTER (WHERE class = 'misconfigured'), 0)::bigint AS misconfigured, \
                    coalesce(sum(count) FILTER (WHERE class = 'spoofing'), 0)::bigint AS spoofing, \
                    count(DISTINCT report_id) AS reports \
             FROM dmarc_rows r JOIN latest l ON l.domain = r.domain WHERE r.day > l.last - $1 \
             GROUP BY r.domain ORDER BY sum(count) DESC",
        )
        .bind(days)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A domain's sources since `since`, most messages first.
    pub async fn dmarc_sources(&self, domain: &str, since: NaiveDate) -> Result<Vec<DmarcSource>> {
        // The worst class of a source: spoofing, then misconfigured, then forwarded.
        Ok(sqlx::query_as(
            "SELECT source_ip, sum(count)::bigint AS messages, \
                    coalesce(sum(count) FILTER (WHERE dkim_aligned OR spf_aligned), 0)::bigint AS dmarc_pass, \
                    (array_agg(class ORDER BY CASE class WHEN 'spoofing' THEN 4 WHEN 'misconfigured' THEN 3 WHEN 'forwarded' THEN 2 ELSE 1 END DESC))[1] AS class, \
                    (array_agg(why ORDER BY CASE class WHEN 'spoofing' THEN 4 WHEN 'misconfigured' THEN 3 WHEN 'forwarded' THEN 2 ELSE 1 END DESC))[1] AS why, \
                    (array_agg(header_from ORDER BY count DESC))[1] AS header_from \
             FROM dmarc_rows WHERE domain = lower($1) AND day >= $2 \
             GROUP BY source_ip ORDER BY sum(count) DESC LIMIT 500",
        )
        .bind(domain)
        .bind(since)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Messages per day of a domain: (day, messages, DMARC pass).
    pub async fn dmarc_daily(&self, domain: &str, since: NaiveDate) -> Result<Vec<(NaiveDate, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT day, sum(count)::bigint, coalesce(sum(count) FILTER (WHERE dkim_aligned OR spf_aligned), 0)::bigint \
             FROM dmarc_rows WHERE domain = lower($1) AND day >= $2 GROUP BY day ORDER BY day",
        )
        .bind(domain)
        .bind(since)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The report rows of one source in a domain's reports.
    pub async fn dmarc_source_rows(&self, domain: &str, ip: std::net::IpAddr) -> Result<Vec<DmarcRowView>> {
        Ok(sqlx::query_as(
            "SELECT r.day, p.org_name, p.report_id, r.count, r.disposition, r.dkim_aligned, r.spf_aligned, \
                    r.header_from, r.envelope_from, r.details, r.class, r.why \
             FROM dmarc_rows r JOIN dmarc_reports p ON p.id = r.report_id \
             WHERE r.domain = lower($1) AND r.source_ip = $2 ORDER BY r.day DESC, r.id DESC LIMIT 500",
        )
        .bind(domain)
        .bind(ipnet::IpNet::from(ip))
        .fetch_all(&self.pool)
        .await?)
    }

    /// TLS results by policy domain: (domain, policy type, successes, failures, reports).
    pub async fn tls_summary(&self) -> Result<Vec<(String, String, i64, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT domain, policy_type, sum(successes)::bigint, sum(failures)::bigint, count(*) \
             FROM tls_policies GROUP BY domain, policy_type ORDER BY domain, policy_type",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many reports are kept: (DMARC, TLS).
    pub async fn report_counts(&self) -> Result<(i64, i64)> {
        Ok(sqlx::query_as("SELECT (SELECT count(*) FROM dmarc_reports), (SELECT count(*) FROM tls_reports)")
            .fetch_one(&self.pool)
            .await?)
    }
}
