# The DNS checks of a sending domain, the records to publish, and the
# findings of the deliverability score. DNS names, record values, IP
# addresses and protocol names are arguments or stay as they are.

## DNS checks of a sending domain (the domains page and `ninsho doctor`)

dns-check-could-not = could not check: { $error }
dns-check-lookup-failed = a DNS lookup failed
dns-check-no-key = { $domain } has no DKIM key: `ninsho domain add { $domain }`
# The name of a check of a key that does not sign (yet or any more).
dns-check-key-pending = { $what } (pending)
dns-check-key-retiring = { $what } (retiring)
dns-check-key-retired = { $what } (retired)
dns-check-waiting = waiting for its record: { $detail }
dns-check-dkim-missing = no DKIM record at { $name }: publish the one `ninsho domain list` prints
dns-check-dkim-ok = { $name } has the key
dns-check-dkim-mismatch = the DKIM key at { $name } does not match the stored key
dns-check-dkim-several = { $name } has { $n } DKIM records; keep only one
dns-check-spf-missing = no SPF record at { $domain }; publish "{ $record }"
dns-check-spf-several = { $domain } has { $n } SPF records; receivers treat that as an error (merge them)
dns-check-spf-ok = { $domain } allows { $ip }
dns-check-spf-permerror = the SPF record of { $domain } is broken (permerror: a syntax error or more than 10 lookups)
dns-check-spf-not-covered = SPF of { $domain } does not cover { $ip } (result: { $result }); publish, in place of the current record, "{ $record }"
dns-check-spf-lookups = SPF lookups
dns-check-lookups-over = { $n } DNS lookups; SPF allows 10 (permerror): flatten includes
dns-check-lookups-near = { $n } of the 10 DNS lookups SPF allows; one more include and SPF breaks
dns-check-lookups-ok = { $n } of the 10 DNS lookups SPF allows
dns-check-mx-unknown-host = bounces go to { $hosts } (set delivery.inbound_host to check it is ninsho)
dns-check-mx-ok = bounces come back to { $host }
dns-check-mx-elsewhere = bounces go to { $hosts }, not to ninsho's inbound host { $host }
dns-check-mx-missing = bounces to { $domain } cannot be delivered; publish "{ $domain }. MX 10 { $host }."
# Stands for the host in an MX record while delivery.inbound_host is not set.
dns-check-inbound-host = <ninsho's inbound host>
dns-check-dmarc-missing = no DMARC record at { $name }; start with "{ $record }"
dns-check-dmarc-syntax = the DMARC record at { $name } has a syntax error: { $error }
dns-check-dmarc-several = { $name } has { $n } DMARC records; keep only one
dns-check-dmarc-none = p=none: reports only; move to quarantine, then reject, once reports show all mail aligned
dns-check-dmarc-enforced = { $name } is enforced
dns-check-dmarc-reports = DMARC reports
dns-check-reports-ok = aggregate reports come to { $address }
dns-check-reports-elsewhere = add rua=mailto:{ $address } to { $name } so ninsho can analyse who sends as { $domain }
dns-check-ptr-missing = { $ip } has no PTR record; receivers refuse such mail
dns-check-ptr-unexpected = the PTR of { $ip } is { $name }, not { $expected } (delivery.ptr_names): the EHLO name and reputation follow the PTR
dns-check-ptr-ok = { $name }, which resolves back to { $ip } (the EHLO name)
dns-check-spf-relay-ok = { $domain } names the relay ({ $term })
dns-check-spf-relay-missing = { $domain } does not name the relay { $host }: mail through it fails SPF. Publish: { $record }
dns-check-ptr-relay = mail leaves through the relay { $host }: its PTR and EHLO name are the relay's
dns-check-ptr-unconfirmed = the PTR name of { $ip }, { $name }, does not resolve back to it
dns-check-smime = S/MIME certificate
dns-check-smime-unreadable = the stored certificate cannot be read: { $error }
dns-check-smime-expired = expired { $until }: mail is signed with an expired certificate; upload a new one on the domains page
dns-check-smime-ending = ends { $until }, in { $days } days: upload its successor
dns-check-smime-valid = valid until { $until }

## The DNS records to publish: what each is for

dns-record-dkim = DKIM key { $selector } ({ $algorithm })
dns-record-dkim-pending = DKIM key { $selector } ({ $algorithm }), published before it signs
dns-record-dkim-retiring = DKIM key { $selector } ({ $algorithm }), retiring: keep until it is retired
dns-record-spf-merged = SPF of the envelope sender: your current record with ninsho's addresses merged in (never publish two)
dns-record-spf = SPF of the envelope sender (bounce.<domain>): the addresses mail leaves from
dns-record-mx-unknown = bounces and reports come back to ninsho: name the host of its inbound role (delivery.inbound_host)
dns-record-mx = bounces and reports come back to ninsho
dns-record-dmarc = DMARC: start at p=none and read the reports; once every source is aligned, p=quarantine, then p=reject
dns-record-ptr = PTR of { $ip }, set by whoever gives you the address; { $name } must resolve back to { $ip }
dns-record-tls-rpt = TLS-RPT: receivers report TLS failures to ninsho
dns-record-mta-sts = MTA-STS for mail to { $domain }: also serve https://mta-sts.{ $domain }/.well-known/mta-sts.txt
dns-record-bimi = BIMI logo (needs DMARC at quarantine or reject, and an SVG Tiny PS logo)

## The deliverability score: each check, what it found and how to fix it

score-finding-unknown = could not check: { $reason }
score-finding-lookup-failed = a DNS lookup failed
# Between the items of a list (missing parts, hosts).
score-finding-separator = {", "}
score-finding-unparsable = the message cannot be parsed
score-finding-unparsable-fix = send a message with headers
score-finding-present = present
score-finding-no-message-id = the message has no Message-ID
score-finding-no-message-id-fix = add a Message-ID on the sending domain
score-finding-no-date = the message has no valid Date header
score-finding-no-date-fix = add an RFC 5322 Date
score-finding-one-from = one From address
score-finding-from-count = { $headers } From header(s) with { $addresses } address(es); receivers want exactly one
score-finding-from-count-fix = give the message exactly one From address
score-finding-mime-ok = well formed
score-finding-mime-no-version = a Content-Type without MIME-Version
score-finding-mime-no-boundary = a multipart message without a boundary
score-finding-mime-unclosed = the multipart boundary { $boundary } is never closed
score-finding-mime-fix = build the message with a MIME library (ninsho's own does)
score-finding-line-length = Line length
score-finding-line-ok = the longest line has { $octets } octets
score-finding-line-long = a line of { $octets } octets; RFC 5322 allows 998 and servers break longer ones
score-finding-line-long-fix = encode bodies as quoted-printable or base64
score-finding-text-part = Text part
score-finding-text-part-ok = the message has a plain-text part
score-finding-html-only = HTML only, no text/plain alternative
score-finding-html-only-fix = send multipart/alternative with a text part (ninsho generates one from the HTML)
score-finding-text-matches = Text matches HTML
score-finding-text-matches-ok = { $percent } % of the HTML's words
score-finding-text-mismatch = the text part has only { $percent } % of the HTML part's words
score-finding-text-mismatch-fix = let ninsho generate the text part, or edit it to say what the HTML says
score-finding-images = Images and text
score-finding-image-only = { $images } image(s) and only { $words } word(s) of text
score-finding-image-only-fix = write the message as text, with images as illustration
score-finding-images-ok = { $words } words, { $images } image(s)
score-finding-subject = Subject
score-finding-caps = the subject is in capitals: { $subject }
score-finding-caps-fix = write the subject in sentence case
score-finding-not-shouted = not shouted
score-finding-links = Links
score-finding-links-ok = { $n } link(s), no shortener
score-finding-shorteners = links through URL shorteners: { $hosts }
score-finding-shorteners-fix = link to the real address; ninsho's click tracking already redirects
score-finding-identity = Sender identity
score-finding-identity-ok = the sender's name, postal address and contact are given
score-finding-identity-missing = the sender identity of { $domain } lacks { $missing }
# The parts of a sender identity, as listed in the message above.
score-finding-identity-part-name = name
score-finding-identity-part-postal-address = postal address
score-finding-identity-part-contact = contact
score-finding-identity-fix = fill in the sender's name, postal address and contact for { $domain } on the domains page (required in advertising mail by Japan's 特定電子メール法 and CAN-SPAM)
score-finding-no-list-unsubscribe = no List-Unsubscribe header; Gmail and Yahoo require one for bulk mail
score-finding-no-list-unsubscribe-fix = send through a campaign, which adds it
score-finding-list-unsubscribe-malformed = List-Unsubscribe is malformed: { $value }
score-finding-list-unsubscribe-malformed-fix = each target is <https://…> or <mailto:…>, separated by commas
score-finding-one-click-ok = one-click unsubscribe (RFC 8058)
score-finding-not-one-click = not one-click: missing { $missing }
score-finding-https-target = an https target
score-finding-not-one-click-fix = give an https unsubscribe URL and List-Unsubscribe-Post (RFC 8058); Gmail and Yahoo require it
score-finding-dkim-ok = a signature of { $domain } verifies and aligns with the From domain
score-finding-dkim-unaligned = the signature of { $signer } verifies, but the From domain is { $from }
score-finding-dkim-unaligned-fix = sign with { $from }'s own key: `ninsho domain add { $from }`
score-finding-dkim-none = the message has no DKIM signature
score-finding-dkim-invalid = the DKIM signature does not verify: { $error }
score-finding-dkim-fix = publish the DKIM record that `ninsho domain list` prints for { $from }
score-finding-spf-ok = { $domain } allows { $ip }
score-finding-spf-fail = SPF of { $domain } gives { $result } for { $ip }
score-finding-spf-fix = publish "{ $record }" at { $domain }
score-finding-no-source = no source address is configured (delivery.source_ips)
score-finding-dmarc-missing = { $domain } has no DMARC record
score-finding-dmarc-missing-fix = publish "v=DMARC1; p=none; rua=mailto:…" at _dmarc.{ $domain }
score-finding-dmarc-ok = passes: aligned DKIM or SPF
score-finding-dmarc-fail = DMARC of { $domain } fails: neither DKIM nor SPF passes aligned with it
score-finding-dmarc-fail-fix = fix DKIM (above): an aligned signature is what DMARC needs
score-finding-ptr-none = { $ip } has no PTR record
score-finding-ptr-none-fix = ask whoever gives you { $ip } for a PTR naming your mail host
score-finding-ptr-ok = { $name }, which resolves back to { $ip }
score-finding-ptr-unconfirmed = the PTR name { $name } does not resolve back to { $ip }
score-finding-ptr-unconfirmed-fix = publish an address record { $name } → { $ip }
score-finding-ptr-name = PTR name
score-finding-ptr-generic = { $name } looks like a generic (dynamic or pool) name
score-finding-ptr-generic-fix = name the address after your mail host, e.g. mail.example.com
score-finding-ptr-own = { $name } is a host name of its own
# A blocklist check: an address or a domain on a list.
score-finding-on-list = { $subject } on { $list }
score-finding-not-listed = not listed
score-finding-listed = { $what }: listed ({ $code })
score-finding-ip-listed-fix = find why on the list's lookup page, fix it, then ask for removal
score-finding-domain-listed-fix = stop linking to or sending from a listed domain, or get it delisted
score-finding-list-refused = { $list } refused the query ({ $code }): it answers no public resolver; use your own resolver or a Spamhaus DQS key
score-finding-list-odd = { $list } gave an answer that is no listing code: { $answer }
