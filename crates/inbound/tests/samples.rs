//! The real bounces and complaints in `../shared/samples/bounces/`, each
//! read as ninsho reads it and compared with the label we gave it by hand
//! (`bounce-labels.tsv`: file, kind, recipient, status, reason).

use std::path::PathBuf;

use inbound::feedback::{self, Feedback};

/// `shared/samples/bounces`: next to the checkout (`../shared`), above it,
/// or where `NINSHO_SAMPLES` says (a clone elsewhere on this machine finds
/// the team's copy in /work/shared).
fn samples() -> PathBuf {
    if let Some(dir) = std::env::var_os("NINSHO_SAMPLES") {
        return PathBuf::from(dir).join("bounces");
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|a| a.join("shared/samples"))
        .chain([PathBuf::from("/work/shared/samples")])
        .find(|p| p.is_dir())
        .unwrap_or_else(|| panic!("no shared/samples above {} (set NINSHO_SAMPLES)", manifest.display()))
        .join("bounces")
}

/// How ninsho reads one sample, in the labels' form.
fn label(raw: &[u8]) -> String {
    match feedback::parse(raw) {
        Feedback::Bounce(b) => {
            let f = b.failed.iter().find(|f| !f.delayed).or(b.failed.first());
            match f {
                Some(f) => {
                    let kind = if f.delayed { "delay" } else { "bounce" };
                    format!("{kind}\t{}\t{}\t{}", f.recipient, f.status, f.reason.as_str())
                }
                None => "bounce\t\t\t".into(),
            }
        }
        Feedback::Complaint(c) => {
            format!("complaint\t{}\t{}\t", c.recipient.unwrap_or_default(), c.feedback_type)
        }
        Feedback::AutoReply => "auto-reply\t\t\t".into(),
        Feedback::Unsubscribe => "unsubscribe\t\t\t".into(),
        Feedback::Other => "other\t\t\t".into(),
    }
}

#[test]
fn every_sample_reads_as_labelled() {
    let labels = include_str!("bounce-labels.tsv");
    let mut wrong = Vec::new();
    let mut checked = 0;
    for line in labels.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (file, expected) = line.split_once('\t').unwrap_or((line, ""));
        let raw = std::fs::read(samples().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let got = label(&raw);
        if got != expected {
            wrong.push(format!("{file}\n  expected {expected:?}\n  got      {got:?}"));
        }
        checked += 1;
    }
    let files = std::fs::read_dir(samples())
        .map(|d| d.filter_map(Result::ok).filter(|e| e.path().extension().is_some_and(|x| x == "eml")).count())
        .unwrap_or(0);
    assert_eq!(checked, files, "every sample has a label");
    assert!(wrong.is_empty(), "{} of {checked} differ:\n{}", wrong.len(), wrong.join("\n"));
}

/// Prints the current reading of every sample (for writing labels):
/// `cargo test -p inbound --test samples print -- --ignored --nocapture`.
#[test]
#[ignore]
fn print() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(samples())
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    for path in files {
        let raw = std::fs::read(&path).unwrap_or_default();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        println!("{name}\t{}", label(&raw));
        if std::env::var_os("DIAGNOSTIC").is_some()
            && let Feedback::Bounce(b) = feedback::parse(&raw)
            && let Some(f) = b.failed.first()
        {
            println!("    {}", f.diagnostic.chars().take(400).collect::<String>());
        }
    }
}
