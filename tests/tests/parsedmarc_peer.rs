//! DMARC aggregate reports read by ninsho and by parsedmarc, the peer
//! (pinned by `scripts/lib.sh`, run through `tests/peers/parsedmarc-read.py`),
//! on the same files: the real reports of `tests/samples/dmarc-aggregate/`
//! and one fixture per fault real reporters' files have
//! (`tests/samples/dmarc-faults/`, its README says what each holds).
//!
//! For every file parsedmarc reads, ninsho reads the same number of records
//! and the same message counts by disposition and by DKIM and SPF verdict.
//! A file parsedmarc refuses, ninsho may read or refuse; where ninsho reads
//! more than parsedmarc on purpose, [`READS_MORE`] says why and what the
//! file truly holds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use reports::parse::{self, Limits, Report};
use tests::samples;

/// What a reader makes of one file: the sums parity is judged on.
#[derive(Debug, Default, PartialEq, Eq)]
struct Sums {
    records: i64,
    messages: i64,
    disposition: BTreeMap<String, i64>,
    dkim: BTreeMap<String, i64>,
    spf: BTreeMap<String, i64>,
}

impl Sums {
    /// Zero counts left out, so that both readers' maps compare.
    fn tidy(mut self) -> Self {
        for map in [&mut self.disposition, &mut self.dkim, &mut self.spf] {
            map.retain(|_, n| *n != 0);
        }
        self
    }
}

/// ninsho's reading: every report in the file (an archive or a mail may
/// hold several), or the reasons it was refused; and the notes kept with
/// what was read (what was assumed, what was skipped).
fn ours(path: &Path) -> (Result<Sums, String>, Vec<String>) {
    let bytes = std::fs::read(path).unwrap_or_default();
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut sums = Sums::default();
    let mut read = false;
    let mut faults = Vec::new();
    let mut notes = Vec::new();
    for part in parse::unpack(&name, &bytes, Limits::default()) {
        let file = match part {
            Ok(file) => file,
            Err((name, e)) => {
                faults.push(format!("{name}: {e}"));
                continue;
            }
        };
        notes.extend(file.notes.iter().cloned());
        match parse::parse(&file.bytes) {
            Ok(Report::Dmarc(report)) => {
                read = true;
                notes.extend(report.assumed.iter().cloned());
                notes.extend(report.skipped.iter().cloned());
                for r in &report.records {
                    sums.records += 1;
                    sums.messages += r.count;
                    *sums.disposition.entry(r.disposition.clone()).or_default() += r.count;
                    *sums.dkim.entry(r.dkim.clone()).or_default() += r.count;
                    *sums.spf.entry(r.spf.clone()).or_default() += r.count;
                }
            }
            Ok(Report::Tls(_)) => faults.push(format!("{}: a TLS report", file.name)),
            Err(e) => faults.push(format!("{}: {e}", file.name)),
        }
    }
    (if read { Ok(sums.tidy()) } else { Err(faults.join("; ")) }, notes)
}

/// parsedmarc's reading of each file, by file name.
fn peer(files: &[PathBuf]) -> BTreeMap<String, Result<Sums, String>> {
    let python = std::env::var("NINSHO_PARSEDMARC")
        .expect("NINSHO_PARSEDMARC is not set: run the tests with scripts/test, which installs parsedmarc");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/parsedmarc-read.py");
    let out = std::process::Command::new(python).arg(script).args(files).output().expect("parsedmarc runs");
    assert!(out.status.success(), "parsedmarc: {}", String::from_utf8_lossy(&out.stderr));
    let count = |v: &serde_json::Value| v.as_i64().unwrap_or_default();
    let map = |v: &serde_json::Value| -> BTreeMap<String, i64> {
        v.as_object().into_iter().flatten().map(|(k, n)| (k.clone(), count(n))).collect()
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut f = line.splitn(3, '\t');
            let (file, status, json) = (f.next()?, f.next()?, f.next()?);
            let v: serde_json::Value = serde_json::from_str(json).ok()?;
            let reading = if status == "ok" {
                Ok(Sums {
                    records: count(&v["records"]),
                    messages: count(&v["messages"]),
                    disposition: map(&v["disposition"]),
                    dkim: map(&v["dkim"]),
                    spf: map(&v["spf"]),
                }
                .tidy())
            } else {
                Err(v["error"].as_str().unwrap_or_default().to_owned())
            };
            Some((file.to_owned(), reading))
        })
        .collect()
}

/// The standard fixture report: 6 records, 31 messages.
fn standard() -> Sums {
    let map = |pairs: &[(&str, i64)]| pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect();
    Sums {
        records: 6,
        messages: 31,
        disposition: map(&[("none", 25), ("quarantine", 5), ("reject", 1)]),
        dkim: map(&[("pass", 17), ("fail", 14)]),
        spf: map(&[("pass", 22), ("fail", 9)]),
    }
}

/// Files parsedmarc reads less of than they hold: (file, why).
const READS_MORE: &[(&str, &str)] = &[(
    "concatenated.xml.gz",
    "parsedmarc inflates only the first gzip member and drops the rest without a word; \
     the file holds the whole standard report",
)];

fn report_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["dmarc-aggregate", "dmarc-faults"]
        .iter()
        .flat_map(|kind| std::fs::read_dir(samples(kind)).into_iter().flatten())
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            [".xml", ".gz", ".zip", ".eml"].iter().any(|x| name.ends_with(x))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn ninsho_reads_every_report_parsedmarc_reads_alike() {
    let files = report_files();
    assert!(files.len() >= 25, "the reports are in the repository ({} found)", files.len());
    let peer = peer(&files);
    assert_eq!(peer.len(), files.len(), "parsedmarc answers for every file");
    let mut wrong = Vec::new();
    let (mut both, mut refused_by_peer) = (0, 0);
    for path in &files {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (mine, notes) = ours(path);
        let theirs = &peer[&name];
        println!("{name}\n  ninsho:     {mine:?} {notes:?}\n  parsedmarc: {theirs:?}");
        match (theirs, &mine) {
            (Err(_), _) => refused_by_peer += 1,
            (Ok(t), Ok(m)) if t == m => both += 1,
            (Ok(_), Ok(m)) if READS_MORE.iter().any(|(f, _)| *f == name) && *m == standard() => both += 1,
            (Ok(t), m) => wrong.push(format!("{name}: parsedmarc {t:?}, ninsho {m:?}")),
        }
    }
    println!("{both} files read alike, {refused_by_peer} refused by parsedmarc");
    assert!(wrong.is_empty(), "{} files read otherwise:\n{}", wrong.len(), wrong.join("\n"));
}

/// Each fault class on its own: what ninsho reads and what it notes.
#[test]
fn each_fault_class_is_read_as_far_as_it_goes_and_noted() {
    let fault = |name: &str| ours(&samples("dmarc-faults").join(name));
    let whole = [
        "bom-namespace.xml",
        "concatenated.xml.gz",
        "empty-org-name.xml",
        "latin1.xml",
        "mislabelled-gz.zip",
        "mislabelled-zip.xml.gz",
        "missing-metadata.xml",
        "no-date-range.xml",
        "report-mail-text-plain.eml",
        "report-mail-wrong-type.eml",
        "unescaped-markup.xml",
        "utf16.xml",
        "utf8-japanese.xml.gz",
    ];
    for name in whole {
        assert_eq!(fault(name).0, Ok(standard()), "{name}");
    }
    let noted = |name: &str, words: &str| {
        let (_, notes) = fault(name);
        assert!(notes.iter().any(|n| n.contains(words)), "{name}: {notes:?}");
    };
    noted("empty-org-name.xml", "org_name was empty");
    noted("unescaped-markup.xml", "not well-formed XML at byte");
    noted("truncated.xml.gz", "the compressed stream breaks off");

    // The part of a truncated gzip that inflates holds 18 whole records
    // (90 messages); the record it cuts in half is not read.
    let (truncated, _) = fault("truncated.xml.gz");
    let truncated = truncated.expect("a truncated gzip is read as far as it goes");
    assert_eq!((truncated.records, truncated.messages), (18, 90));

    // Text in the encoding the file declares, not mangled.
    let latin1 = std::fs::read(samples("dmarc-faults").join("latin1.xml")).expect("latin1.xml");
    let Ok(Report::Dmarc(report)) = parse::parse(&latin1) else { panic!("latin1.xml reads") };
    assert_eq!(report.org_name, "Télécom Exemple");

    // Bytes that are no report are refused with the reason.
    let (garbage, _) = fault("garbage.xml.gz");
    assert!(garbage.as_ref().is_err_and(|e| e.contains("cannot decompress")), "{garbage:?}");
}
