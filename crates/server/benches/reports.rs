//! The report import benchmark: `ninsho reports import DIR` (this build) on
//! a directory of N generated DMARC aggregate reports (a few dozen rows
//! each, some gzipped), into a fresh database; then one report of about
//! 900 KB parsed on its own, and the gzipped fixture of 2,286 records
//! (`tests/samples/dmarc-faults/`) unpacked and parsed.
//!
//! `cargo bench -p server --bench reports`; `BENCH_N` sets N (2000).

use std::io::Write;
use std::time::Instant;

use anyhow::{Result, ensure};

const NINSHO: &str = env!("CARGO_BIN_EXE_ninsho");

/// A report from reporter `org` numbered `n`, with `rows` records.
fn report(org: &str, n: usize, rows: usize) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feedback>\n  <report_metadata>\n    <org_name>{org}</org_name>\n\
         <email>dmarc@{org}</email>\n    <report_id>{org}-{n}</report_id>\n    <date_range><begin>{begin}</begin><end>{end}</end></date_range>\n\
         </report_metadata>\n  <policy_published><domain>shop{d}.example</domain><adkim>r</adkim><aspf>r</aspf><p>quarantine</p>\
         <sp>none</sp><pct>100</pct></policy_published>\n",
        begin = 1_763_856_000 + (n as i64 % 30) * 86_400,
        end = 1_763_856_000 + (n as i64 % 30) * 86_400 + 86_399,
        d = n % 5,
    );
    for r in 0..rows {
        let (dkim, spf) = match r % 4 {
            0 | 1 => ("pass", "pass"),
            2 => ("pass", "fail"),
            _ => ("fail", "fail"),
        };
        xml.push_str(&format!(
            "  <record>\n    <row>\n      <source_ip>198.51.{}.{}</source_ip>\n      <count>{}</count>\n\
             <policy_evaluated><disposition>none</disposition><dkim>{dkim}</dkim><spf>{spf}</spf></policy_evaluated>\n\
             </row>\n    <identifiers><header_from>shop{}.example</header_from></identifiers>\n\
             <auth_results><dkim><domain>shop{}.example</domain><selector>r202611</selector><result>{dkim}</result></dkim>\
             <spf><domain>bounce.shop{}.example</domain><result>{spf}</result></spf></auth_results>\n  </record>\n",
            (r / 250) % 250,
            r % 250,
            1 + r % 17,
            n % 5,
            n % 5,
            n % 5
        ));
    }
    xml.push_str("</feedback>\n");
    xml
}

fn main() -> Result<()> {
    let n: usize = std::env::var("BENCH_N").ok().map(|v| v.parse()).transpose()?.unwrap_or(2000);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let (_store, url) = runtime.block_on(tests::fresh_database())?;
    let dir = tempfile::tempdir()?;
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports)?;
    let orgs = ["google.com", "yahoo.com", "outlook.com", "mail.ru", "gmx.net"];
    for i in 0..n {
        let xml = report(orgs[i % orgs.len()], i, 10 + i % 40);
        if i % 3 == 0 {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(xml.as_bytes())?;
            std::fs::write(reports.join(format!("r{i}.xml.gz")), gz.finish()?)?;
        } else {
            std::fs::write(reports.join(format!("r{i}.xml")), xml)?;
        }
    }
    let config = dir.path().join("ninsho.toml");
    std::fs::write(
        &config,
        format!("data_dir = {:?}\n[database]\nurl = {url:?}\n[log]\nfilter = \"warn\"\n", dir.path()),
    )?;
    let started = Instant::now();
    let out = std::process::Command::new(NINSHO)
        .args(["reports", "import", "--config"])
        .arg(&config)
        .arg(&reports)
        .output()?;
    let seconds = started.elapsed().as_secs_f64();
    let printed = String::from_utf8_lossy(&out.stdout);
    ensure!(out.status.success(), "{}{}", printed, String::from_utf8_lossy(&out.stderr));
    ensure!(
        printed.contains(&format!("{n} imported, 0 already had")),
        "{}",
        printed.lines().last().unwrap_or_default()
    );
    println!(
        "reports: {n} reports in {seconds:.2} s = {:.0} reports/s (the whole command: start, parse, classify, store)",
        n as f64 / seconds
    );

    // One big report: about 900 KB.
    let big = report("google.com", 999_999, 1970);
    let mut best = f64::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        let parsed = reports::parse_dmarc(big.as_bytes()).map_err(anyhow::Error::msg)?;
        best = best.min(started.elapsed().as_secs_f64());
        ensure!(parsed.records.len() == 1970, "{} rows", parsed.records.len());
    }
    println!("a {} KB report (1970 rows) parsed in {:.1} ms (best of 5)", big.len() / 1024, best * 1000.0);

    // The fixture of 2,286 records, gzipped, from unpacking to its rows.
    let gz = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/samples/dmarc-faults/large-2286-records.xml.gz"
    ))?;
    let mut best = f64::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        let mut records = 0;
        for file in reports::unpack("large.xml.gz", &gz, reports::Limits::default()).into_iter().flatten() {
            if let reports::Report::Dmarc(r) = reports::parse(&file.bytes).map_err(anyhow::Error::msg)? {
                records += r.records.len();
            }
        }
        best = best.min(started.elapsed().as_secs_f64());
        ensure!(records == 2286, "{records} rows");
    }
    println!(
        "the 2,286-record fixture ({} KB gzipped) unpacked and parsed in {:.1} ms (best of 5)",
        gz.len() / 1024,
        best * 1000.0
    );
    Ok(())
}
