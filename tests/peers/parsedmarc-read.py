"""The peer's reading of DMARC aggregate reports, for a parity test of
crates/reports (parse.rs): parsedmarc, pinned in scripts/lib.sh
(ensure_parsedmarc, which exports NINSHO_PARSEDMARC), reads each file given.

Run as `$NINSHO_PARSEDMARC tests/peers/parsedmarc-read.py FILE...`. One line
per file, tab-separated: file name, `ok` or `refused`, and one line of JSON:
  ok:      {"org", "report_id", "domain" (policy_published), "records",
            "messages" (sum of counts), "disposition", "dkim", "spf"}
           the last three sum message counts by policy_evaluated value, as
           parsedmarc gives it (lowercased; a missing disposition reads
           as "none", a record missing dkim or spf is dropped);
           none/quarantine/reject and pass/fail are always there, any other
           value is added.
  refused: {"error": parsedmarc's reason}

parse_aggregate_report_file reads XML, gzip and zip (told apart by their
first bytes, not their names); a file whose first line is a mail header goes
to parse_report_email. parse_report_file, the CLI's way in, is not used: in
11.1.0 it refuses any gzip or zip report whose XML holds a non-ASCII
character. Offline: no DNS, no downloads (IP data from the bundled database).
A report spanning over a day is kept whole, not split into a record per day
(parsedmarc's default), so "records" counts the file's own.
"""

import json
import logging
import os
import re
import sys

import parsedmarc

OPTIONS = dict(
    offline=True,
    always_use_local_files=True,
    nameservers=["127.0.0.1"],
    dns_timeout=0.1,
    dns_retries=0,
    normalize_timespan_threshold_hours=1e9,
)


def summary(report):
    records = report["records"]
    counts = {
        "disposition": {"none": 0, "quarantine": 0, "reject": 0},
        "dkim": {"pass": 0, "fail": 0},
        "spf": {"pass": 0, "fail": 0},
    }
    for record in records:
        for key, sums in counts.items():
            value = str(record["policy_evaluated"][key])
            sums[value] = sums.get(value, 0) + record["count"]
    return {
        "org": report["report_metadata"]["org_name"],
        "report_id": report["report_metadata"]["report_id"],
        "domain": report["policy_published"]["domain"],
        "records": len(records),
        "messages": sum(record["count"] for record in records),
        **counts,
    }


def parse(data):
    if not re.match(rb"[!-9;-~]+:", data):  # not a mail's first header line
        return parsedmarc.parse_aggregate_report_file(data, **OPTIONS)
    parsed = parsedmarc.parse_report_email(data, **OPTIONS)
    if parsed["report_type"] != "aggregate":
        raise ValueError("a %s report, not aggregate" % parsed["report_type"])
    return parsed["report"]


def read(path):
    try:
        with open(path, "rb") as f:
            return "ok", summary(parse(f.read()))
    except Exception as e:  # one bad file never stops the others
        reason = " ".join(str(e).split())[:300] or type(e).__name__
        return "refused", {"error": reason}


def main():
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    for path in sys.argv[1:]:
        status, body = read(path)
        print("%s\t%s\t%s" % (os.path.basename(path), status, json.dumps(body, ensure_ascii=False)), flush=True)


if __name__ == "__main__":
    main()
