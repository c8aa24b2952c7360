//! Audience benchmark: import N rows (email + 5 attributes) into an empty
//! database, then count a segment (two attribute conditions and a list) over
//! them.
//!
//!     cargo bench -p tests --bench audience            # 1,000,000 rows
//!     NINSHO_BENCH_ROWS=100000 cargo bench -p tests --bench audience
//!
//! Runs against the harness's throwaway cluster (see tests/src/lib.rs).

use std::io::{BufWriter, Write};
use std::time::Instant;

use anyhow::Result;
use audience::ImportRequest;
use domain::{ImportMode, ListVisibility, OptIn};
use store::NewList;

const PLANS: [&str; 4] = ["free", "basic", "pro", "enterprise"];
const CITIES: [&str; 6] = ["Tokyo", "Osaka", "Nagoya", "Sapporo", "Fukuoka", "Sendai"];

fn write_csv(path: &std::path::Path, rows: u64) -> Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "email,name,plan,city,age,score,signup")?;
    for i in 0..rows {
        writeln!(
            out,
            "user{i}@example{}.com,User {i},{},{},{},{}.{},2024-{:02}-{:02}",
            i % 97,
            PLANS[(i % 4) as usize],
            CITIES[(i % 6) as usize],
            18 + i % 60,
            i % 1000,
            i % 10,
            1 + i % 12,
            1 + i % 28
        )?;
    }
    out.flush()?;
    Ok(())
}

/// Peak resident memory of this process, from /proc.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(String::from))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() -> Result<()> {
    let rows: u64 = std::env::var("NINSHO_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("subscribers.csv");
    write_csv(&path, rows)?;
    let size_mb = std::fs::metadata(&path)?.len() as f64 / 1_048_576.0;

    let store = tests::fresh_store().await?;
    let list = store
        .create_list(&NewList {
            name: "Bench",
            description: "",
            visibility: ListVisibility::Private,
            optin: OptIn::Single,
            signup_fields: &[],
        })
        .await?;
    let request = ImportRequest {
        mode: ImportMode::Add,
        list_ids: vec![list.id],
        encoding: None,
        mapping: Default::default(),
        source: "import:bench".into(),
    };
    let import_id = store.create_import(ImportMode::Add, "subscribers.csv", &[list.id]).await?;
    let file = std::fs::File::open(&path)?;
    let started = Instant::now();
    let summary = audience::run_import(&store, import_id, file, &request).await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "import: {} rows in {seconds:.2} s = {:.0} rows/s ({size_mb:.0} MB file, {} rejected), peak RSS {:.0} MB",
        summary.rows_done,
        summary.rows_done as f64 / seconds,
        summary.rows_failed,
        peak_rss_mb()
    );

    // A segment: two attribute conditions and a list.
    let filter: store::Filter = serde_json::from_value(serde_json::json!({"and": [
        {"attribute": {"key": "plan", "op": "eq", "value": "pro"}},
        {"attribute": {"key": "age", "op": "gte", "value": 40}},
        {"list": {"list_id": list.id}}
    ]}))?;
    // The steady state after a bulk load, which autovacuum reaches on its own.
    store.vacuum_audience().await?;
    store.segment_count(&filter).await?; // warm the cache once
    let mut times = Vec::new();
    let mut count = 0;
    for _ in 0..5 {
        let started = Instant::now();
        count = store.segment_count(&filter).await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "segment count: {count} of {} subscribers in {:.0} ms (median of 5; min {:.0}, max {:.0})",
        summary.rows_done, times[2], times[0], times[4]
    );
    Ok(())
}
