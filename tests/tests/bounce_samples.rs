//! The real bounces and complaints in `tests/samples/bounces/`, each read
//! as ninsho reads it and compared with the label we gave it by hand
//! (`labels.tsv` beside them: file, kind, recipient, status, reason).

use std::path::{Path, PathBuf};

use inbound::feedback::{self, Feedback};
use tests::samples;

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
    let dir = samples("bounces");
    let labels = std::fs::read_to_string(dir.join("labels.tsv")).expect("tests/samples/bounces/labels.tsv");
    let mut wrong = Vec::new();
    let mut checked = 0;
    for line in labels.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (file, expected) = line.split_once('\t').unwrap_or((line, ""));
        let raw = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let got = label(&raw);
        if got != expected {
            wrong.push(format!("{file}\n  expected {expected:?}\n  got      {got:?}"));
        }
        checked += 1;
    }
    let files = eml_files(&dir).len();
    assert!(files >= 100, "the labelled samples are in the repository ({files} found)");
    assert_eq!(checked, files, "every sample has a label");
    assert!(wrong.is_empty(), "{} of {checked} differ:\n{}", wrong.len(), wrong.join("\n"));
}

/// The `.eml` files directly in `dir`, sorted.
fn eml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
}

/// Prints the current reading of every sample (for writing labels):
/// `cargo test -p tests --test bounce_samples print -- --ignored --nocapture`.
/// `NINSHO_BOUNCES=DIR` reads another folder of `.eml` files instead (such as
/// `tests/samples/bounces/more`, or a corpus of your own); `DIAGNOSTIC=1`
/// adds each first failure's diagnostic text.
#[test]
#[ignore]
fn print() {
    let dir = std::env::var_os("NINSHO_BOUNCES").map_or_else(|| samples("bounces"), PathBuf::from);
    for path in eml_files(&dir) {
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
