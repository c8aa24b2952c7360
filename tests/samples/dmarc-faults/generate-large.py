"""Writes large-2286-records.xml.gz beside this file: a made-up DMARC aggregate
report (RFC 7489) with 2,286 records, every address of 192.0.2.0/24,
198.51.100.0/24 and 203.0.113.0/24 three times over, with counts from 1 to
97 and every mix of disposition and DKIM/SPF result. No randomness and a
zero gzip timestamp: the same bytes on every run (for one zlib).

    python3 tests/samples/dmarc-faults/generate-large.py
"""

import gzip
import os

RECORDS = 2286
NETS = ["192.0.2", "198.51.100", "203.0.113"]
DISPOSITIONS = ["none", "quarantine", "reject"]
FROMS = ["example.com", "news.example.com", "example.net", "example.jp"]


def record(i):
    ip = "%s.%d" % (NETS[i % 3], (i // 3) % 254 + 1)
    count = (i * 37) % 97 + 1
    disposition = DISPOSITIONS[(i // 7) % 3]
    dkim = "pass" if i % 2 == 0 else "fail"
    spf = "pass" if i % 5 < 3 else "fail"
    header_from = FROMS[i % 4]
    return f"""  <record>
    <row>
      <source_ip>{ip}</source_ip>
      <count>{count}</count>
      <policy_evaluated>
        <disposition>{disposition}</disposition>
        <dkim>{dkim}</dkim>
        <spf>{spf}</spf>
      </policy_evaluated>
    </row>
    <identifiers>
      <header_from>{header_from}</header_from>
    </identifiers>
    <auth_results>
      <dkim>
        <domain>{header_from}</domain>
        <selector>s{i % 3}</selector>
        <result>{dkim}</result>
      </dkim>
      <spf>
        <domain>{header_from}</domain>
        <result>{spf}</result>
      </spf>
    </auth_results>
  </record>
"""


def report():
    head = """<?xml version="1.0" encoding="UTF-8" ?>
<feedback>
  <version>1.0</version>
  <report_metadata>
    <org_name>Big Mailbox Example</org_name>
    <email>dmarc-reports@big.example.net</email>
    <report_id>big-example-2286</report_id>
    <date_range>
      <begin>1709683200</begin>
      <end>1709769599</end>
    </date_range>
  </report_metadata>
  <policy_published>
    <domain>example.com</domain>
    <adkim>r</adkim>
    <aspf>r</aspf>
    <p>quarantine</p>
    <sp>quarantine</sp>
    <pct>100</pct>
  </policy_published>
"""
    return head + "".join(record(i) for i in range(RECORDS)) + "</feedback>\n"


def main():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "large-2286-records.xml.gz")
    data = gzip.compress(report().encode("utf-8"), compresslevel=9, mtime=0)
    with open(path, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
