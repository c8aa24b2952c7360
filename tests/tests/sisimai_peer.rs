//! Bounces read by ninsho and by sisimai, the peer (Debian's
//! libsisimai-perl, run by `tests/peers/sisimai-read.pl`), on the same
//! files: the 229 real bounces of `tests/samples/bounces/more/` from MTA
//! and provider families outside the labelled set. For every recipient
//! sisimai finds, four figures: read as a bounce naming that recipient and
//! status, hard/soft agreement, reason agreement (sisimai's reasons mapped
//! onto ours by `replies::SISIMAI`), and the share ninsho calls undefined.
//!
//! Where ninsho disagrees on purpose, `more/disagreements.tsv` (reason) and
//! `more/read-disagreements.tsv` (recipient or status) say why, and such a
//! recipient counts as agreeing while ninsho reads it as written there; the
//! figures without them are printed too.
//! The figures are printed (`-- --nocapture`) and held at least where they
//! stand, so that a change to the reader cannot make them worse unnoticed.

use std::collections::BTreeMap;
use std::path::PathBuf;

use inbound::feedback::{self, Feedback};
use replies::{Effect, Reason};
use tests::samples;

/// What sisimai reads for one recipient.
struct Peer {
    file: String,
    recipient: String,
    status: String,
    reason: String,
    hard: bool,
}

fn peer_readings(files: &[PathBuf]) -> Vec<Peer> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/sisimai-read.pl");
    let out = std::process::Command::new("perl")
        .arg(&script)
        .args(files)
        .output()
        .expect("perl runs (scripts/test installs libsisimai-perl)");
    assert!(out.status.success(), "sisimai: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            (f.len() == 6).then(|| Peer {
                file: f[0].into(),
                recipient: f[1].into(),
                status: f[2].into(),
                reason: f[4].into(),
                hard: f[5] == "1",
            })
        })
        .collect()
}

/// sisimai's own codes (`5.0.912`): a detail of 900 and up is not RFC 3463,
/// so only the class can agree.
fn pseudo(status: &str) -> bool {
    status.rsplit('.').next().and_then(|d| d.parse::<u16>().ok()).is_some_and(|d| d >= 900)
}

fn class(status: &str) -> &str {
    status.split('.').next().unwrap_or_default()
}

/// The figures, in per cent of the recipients sisimai reads as failures.
#[derive(Debug, Default)]
struct Figures {
    recipients: usize,
    read: usize,
    hard_soft: usize,
    reason: usize,
    /// Reason agreement without the documented disagreements.
    reason_as_is: usize,
    /// Read alike without the documented disagreements.
    read_as_is: usize,
    undefined: usize,
}

impl Figures {
    fn percent(&self, n: usize) -> f64 {
        n as f64 * 100.0 / self.recipients.max(1) as f64
    }
}

#[test]
fn ninsho_reads_the_bounces_of_other_mtas_as_sisimai_does() {
    let dir = samples("bounces").join("more");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/samples/bounces/more")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    assert!(files.len() >= 200, "the samples are in the repository ({} found)", files.len());
    let peer = peer_readings(&files);
    assert!(peer.len() >= 200, "sisimai reads the samples ({} recipients)", peer.len());

    let ours: BTreeMap<String, Feedback> = files
        .iter()
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (name, feedback::parse(&std::fs::read(p).unwrap_or_default()))
        })
        .collect();
    // (file, recipient) → our reason, where we disagree on purpose.
    let documented: BTreeMap<(String, String), String> = std::fs::read_to_string(dir.join("disagreements.tsv"))
        .expect("more/disagreements.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() == 5).then(|| ((f[0].to_owned(), f[1].to_owned()), f[3].to_owned()))
        })
        .collect();
    // (file, sisimai's recipient) → the recipient and status ninsho reads
    // instead, on purpose.
    let read_on_purpose: BTreeMap<(String, String), (String, String)> =
        std::fs::read_to_string(dir.join("read-disagreements.tsv"))
            .expect("more/read-disagreements.tsv")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f.len() == 6).then(|| ((f[0].to_owned(), f[1].to_owned()), (f[3].to_owned(), f[4].to_owned())))
            })
            .collect();
    let mut figures = Figures::default();
    let mut misses = Vec::new();
    for p in peer.iter().filter(|p| replies::from_sisimai(&p.reason).is_some()) {
        figures.recipients += 1;
        // Where the recipient or status is ours on purpose, the one written.
        let read_as = read_on_purpose.get(&(p.file.clone(), p.recipient.clone()));
        let named = read_as.map_or(p.recipient.as_str(), |(recipient, _)| recipient.as_str());
        let failure = match ours.get(&p.file) {
            Some(Feedback::Bounce(b)) => b.failed.iter().find(|f| f.recipient.eq_ignore_ascii_case(named)),
            _ => None,
        };
        let Some(f) = failure else {
            misses.push(format!("{} {}: not read as a bounce for this recipient", p.file, p.recipient));
            continue;
        };
        // sisimai's own codes mean the message gives none: ours is then
        // empty, or the class it does give.
        let agrees = p.status.is_empty()
            || f.status == p.status
            || read_as.is_some_and(|(_, status)| *status == f.status)
            || (pseudo(&p.status) && (f.status.is_empty() || class(&f.status) == class(&p.status)));
        figures.read_as_is += usize::from(agrees && read_as.is_none());
        if agrees {
            figures.read += 1;
        } else {
            misses.push(format!("{} {}: status {} (sisimai {})", p.file, p.recipient, f.status, p.status));
        }
        let on_purpose = documented.get(&(p.file.clone(), p.recipient.clone())).is_some_and(|r| r == f.reason.as_str());
        if (f.reason.effect() == Effect::Hard) == p.hard || on_purpose {
            figures.hard_soft += 1;
        }
        let same_reason = replies::from_sisimai(&p.reason) == Some(f.reason);
        figures.reason_as_is += usize::from(same_reason);
        if same_reason || on_purpose {
            figures.reason += 1;
        } else {
            misses.push(format!("{} {}: {} (sisimai {})", p.file, p.recipient, f.reason.as_str(), p.reason));
        }
        if f.reason == Reason::Undefined {
            figures.undefined += 1;
        }
    }
    println!(
        "{} recipients: read {:.1} % ({:.1} % before the documented disagreements), hard/soft {:.1} %, \
         reason {:.1} % ({:.1} % before the documented disagreements), undefined {:.1} %",
        figures.recipients,
        figures.percent(figures.read),
        figures.percent(figures.read_as_is),
        figures.percent(figures.hard_soft),
        figures.percent(figures.reason),
        figures.percent(figures.reason_as_is),
        figures.percent(figures.undefined),
    );
    if std::env::var_os("SHOW_MISSES").is_some() {
        println!("{}", misses.join("\n"));
    }
    // Where the reader stands; raise these as it improves.
    assert!(figures.percent(figures.read) >= FLOOR_READ, "{figures:?}");
    assert!(figures.percent(figures.hard_soft) >= FLOOR_HARD_SOFT, "{figures:?}");
    assert!(figures.percent(figures.reason) >= FLOOR_REASON, "{figures:?}");
    assert!(figures.percent(figures.undefined) <= CEILING_UNDEFINED, "{figures:?}");
}

// Measured 2026-12-04 (the goals: 98, 95, 90 and 3).
const FLOOR_READ: f64 = 98.0;
const FLOOR_HARD_SOFT: f64 = 98.0;
const FLOOR_REASON: f64 = 91.0;
const CEILING_UNDEFINED: f64 = 2.5;
