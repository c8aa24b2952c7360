//! The delivery benchmark: `ninsho serve --roles deliver` (this build) sends
//! a campaign to N subscribers (personalised ~20 KB HTML, tracked links, an
//! RSA-2048 DKIM signature per message) over STARTTLS to a lab sink on
//! loopback that accepts everything. Prints the rate, the node's CPU time
//! and its peak RSS.
//!
//! `cargo bench -p server --bench delivery`; `BENCH_N` sets N (100000).
//! `bench/run` runs it next to the Postfix + OpenDKIM peer.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tests::fixtures::fields;
use tests::lab::{Script, check};
use tests::nodes::{Node, Spec, World};

const NINSHO: &str = env!("CARGO_BIN_EXE_ninsho");

/// A newsletter of twelve articles, each with a tracked link, about 20 KB
/// once rendered and inlined.
fn newsletter() -> String {
    let mut html = String::from(
        "<h1>Hello {{ subscriber.name }}</h1>\n<p>Here is what is new around {{ subscriber.attributes.city }} \
         this week, picked for you.</p>\n",
    );
    for i in 1..=12 {
        html.push_str(&format!(
            "<h2>Article {i}: the season's best finds</h2>\n\
             <p><img src=\"https://shop.example/img/{i}.jpg\" alt=\"Article {i}\" width=\"560\"></p>\n\
             <p>{}</p>\n<p>{}</p>\n\
             <p><a href=\"https://shop.example/articles/{i}?utm_source=newsletter\">Read article {i}</a></p>\n",
            "Our buyers travelled the length of the country to bring back the small things that make \
             a week better: hand-thrown cups, linen that softens with every wash, and teas picked on \
             terraces that have been tended for generations. Each one is in stock now, in limited numbers.",
            "{{ subscriber.name }}, readers in {{ subscriber.attributes.city }} told us what they wanted \
             more of, and this is our answer; tell us what you think by replying to this message.",
        ));
    }
    html
}

/// Seconds of CPU (user, system) and the peak RSS in bytes of a process.
fn usage(pid: u32) -> Result<(f64, f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')').context("stat")?.1.split_whitespace().collect();
    let ticks = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)?.context("CLK_TCK")? as f64;
    let user = fields[11].parse::<f64>()? / ticks;
    let system = fields[12].parse::<f64>()? / ticks;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let hwm = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).context("VmHWM")?;
    let kb: u64 = hwm.trim().trim_end_matches("kB").trim().parse()?;
    Ok((user, system, kb * 1024))
}

fn main() -> Result<()> {
    let n: usize = std::env::var("BENCH_N").ok().map(|v| v.parse()).transpose()?.unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let mut campaign = fields("Benchmark", Vec::new());
        campaign.body_format = "html".into();
        campaign.body = newsletter();
        let source = ([127, 0, 0, 2], "mta1.lab.test");
        let sink = Script { discard: true, ..Script::default() };
        eprintln!("preparing {n} subscribers…");
        let w = World::new(Spec { n, sources: &[source], ed25519: false, sink, campaign }).await?;
        let config = w.config("bench", source.0, 0, 500, 300)?;

        let started = Instant::now();
        let mut node = [Node::start(NINSHO, &config)?];
        let mut first = None;
        while w.sink.count() < n {
            if first.is_none() && w.sink.count() > 0 {
                first = Some(started.elapsed());
            }
            if let Some(status) = node[0].0.try_wait()? {
                anyhow::bail!("the node exited: {status}");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let elapsed = started.elapsed().as_secs_f64();
        let (user, system, rss) = usage(node[0].0.id())?;
        w.wait_delivered(&mut node, Duration::from_secs(120)).await?;
        drop(node);

        let received = w.sink.received();
        let verdict = check(w.dns.addr, &received[0]).await?;
        anyhow::ensure!(verdict.dkim_pass.len() == 1 && verdict.dmarc_dkim, "the messages pass DKIM: {verdict:?}");
        anyhow::ensure!(received.iter().all(|r| r.tls), "all over STARTTLS");
        let average = received.iter().map(|r| r.size).sum::<usize>() / received.len();
        let first = first.unwrap_or_default().as_secs_f64();
        println!("delivery: {n} msgs in {elapsed:.1} s = {:.0} msg/s", n as f64 / elapsed);
        println!(
            "  ninsho cpu: {user:.1} s user + {system:.1} s system ({:.0}% of one core), peak RSS {:.0} MB; \
             first message after {first:.1} s (campaign start); message {:.1} KB",
            (user + system) / elapsed * 100.0,
            rss as f64 / 1e6,
            average as f64 / 1024.0
        );
        Ok(())
    })
}
