# Deliverability pages: a campaign's report, DMARC and TLS reports, sending
# domains, the deliverability score, and the words of their charts.

## A campaign's report

report-title = Report { $name }
report-heading = Report:
report-status-draft = draft
report-status-scheduled = scheduled
report-status-sending = sending
report-status-paused = paused
report-status-finished = finished
report-status-cancelled = cancelled
report-delivered = Delivered
report-opened = Opened
report-clicked = Clicked
report-bounced = Bounced
report-unsubscribed = Unsubscribed
report-of-recipients = of { $n } recipients
report-people = { $count ->
    [one] { $n } person
   *[other] { $n } people
}
report-n-failed = { $n } failed
report-n-complaints = { $n } complaints
report-in-detail = In detail
report-recipients = Recipients
report-waiting-all = Waiting (queued, held for A/B, sending, deferred)
report-failed = Failed
report-suppressed-at-send = Suppressed at send time
report-opened-people = Opened (people)
report-opens-split = Opens: people / machines
report-clicked-people = Clicked (people)
report-clicks-split = Clicks: people / scanners
report-unsubscribed-since = Unsubscribed since sending
report-complaints-loops = Complaints (feedback loops)
report-machines-hint = Machine opens are mail privacy proxies fetching every image; scanner clicks are security gateways following every link, or clicks within seconds of delivery.
report-complaints-by-domain = Complaints by recipient domain
report-domain = Domain
report-complaints = Complaints
report-rate = Rate
report-gmail-hint = Gmail asks senders to stay under 0.1 % and never reach 0.3 %; crossing either raises an alert.
report-bounces-by-reason = Bounces by reason
report-reason = Reason
report-kind = Kind
report-count = Count
report-bounce-reason-user-unknown = Unknown user
report-bounce-reason-host-unknown = Unknown domain
report-bounce-reason-has-moved = Moved
report-bounce-reason-mailbox-full = Mailbox full
report-bounce-reason-suspended = Account suspended
report-bounce-reason-message-too-big = Message too big
report-bounce-reason-expired = Gave up (expired)
report-bounce-reason-rate-limited = Rate limited
report-bounce-reason-blocked = Blocked
report-bounce-reason-auth-failure = Authentication failed
report-bounce-reason-policy = Refused by policy
report-bounce-reason-system-error = System error
report-bounce-reason-network-error = Network error
report-bounce-reason-undefined = Undefined
report-bounce-kind-hard = Hard
report-bounce-kind-soft = Soft
report-bounce-kind-sender = About our sending
report-bounces-hint = Hard: the address is gone. Soft: it may recover. Sender: about our sending (reputation, authentication, rate), never the address's fault. When an address is suppressed for each reason is set in the bounce rules. Bounces that came back by mail after the receiver accepted the message count here too.
report-why-left = Why readers left
report-reason-chosen = Reason they chose
report-readers = Readers
report-leave-too-many = I get too many emails
report-leave-not-relevant = The content is not relevant to me
report-leave-never-signed-up = I never signed up
report-leave-other = Another reason
report-in-their-words = In their words
report-leave-hint = Readers may say why on the unsubscribe page; each answer counts for the last campaign they got from that list.
report-sending-now = Sending now
# After the number of messages a minute.
report-per-minute = messages a minute over the last five minutes
# Then, when it can be told: before and after the minutes left.
report-eta-before = ; about
report-eta-after = minutes left for { $n } waiting
report-refreshes = { "." } This page refreshes itself.
report-by-domain = By recipient domain
report-waiting = Waiting
report-deferred = Deferred
report-by-domain-hint = The 20 domains with the most recipients. A deferred delivery's last reply, below, says why it waits.
report-ab-test = A/B test
report-subject = Subject
report-winner = winner
report-ab-rest = The rest of the audience waits until { $hours } h after the start, then gets the subject with the most { $metric }.
report-ab-metric-opens = opens
report-ab-metric-clicks = clicks
report-per-hour = Per hour
report-clicks-per-link = Clicks per link
report-link = Link
report-people-header = People
report-scanners = Scanners
report-deliveries = Deliveries
report-recipient = Recipient
report-attempts = Attempts
report-last-reply = Last reply
report-mx = MX
report-tls = TLS
report-delivery-queued = queued
report-delivery-held = held
report-delivery-sending = sending
report-delivery-deferred = deferred
report-delivery-delivered = delivered
report-delivery-bounced = bounced
report-delivery-failed = failed
report-delivery-suppressed = suppressed
report-tls-state-verified = verified
report-tls-state-unverified = unverified
report-tls-state-none = none

## DMARC and TLS reports

report-dmarc-title = DMARC and TLS reports
report-upload = Upload
report-choose-files = Choose one or more report files.
report-outcome-imported = imported { $kind } report { $id } from { $org } for { $domain }: { $rows } rows
report-outcome-skipped = , { $skipped } skipped
report-outcome-duplicate = { $kind } report { $id } from { $org }: had it already
report-outcome-failed = not imported: { $reason } (kept)
# A sentence around three pieces of code: reports@, rua and the command.
report-kept = { $dmarc } DMARC aggregate reports and { $tls } TLS reports kept. Receivers send them to
report-kept-address = reports@
report-kept-subdomain = the bounce subdomain (the
report-kept-rua = rua
report-kept-upload = of the suggested DMARC and TLS-RPT records); upload others here or with
report-kept-command = ninsho reports import PATH…
report-kept-end = { "." }
report-files = Report files (XML, .xml.gz, .zip, .eml, TLS-RPT JSON)
report-import = Import
report-domains-period = Domains, the { $days } days up to the newest report
report-none-yet = No DMARC reports yet.
report-messages = Messages
report-dkim-aligned = DKIM aligned
report-spf-aligned = SPF aligned
report-dmarc-pass = DMARC pass
report-forwarded = Forwarded
report-misconfigured = Misconfigured
report-spoofing = Spoofing suspected
report-reports = Reports
report-tls-reports = TLS reports
report-policy = Policy
report-sessions-ok = Successful sessions
report-sessions-failed = Failed sessions
report-unreadable = Files that could not be read
report-unreadable-hint = Kept with the reason; nothing is dropped.

## A domain's DMARC reports, and one source

report-domain-title = Reports: { $domain }
report-period = The { $days } days up to the newest report
report-sources = Sources
report-classes-hint = Normal: authorised and aligned. Forwarded: relayed by someone else (an override, ARC, or DKIM surviving a forwarder). Misconfigured: your own or an authorised source failing DKIM or aligning wrongly. Spoofing suspected: nothing authorises it and nothing passes.
report-address = Address
report-country = Country
report-ptr = PTR
report-header-from = Header From
report-class = Class
report-why = Why
report-blocklists = Blocklists
report-ptr-none = none
report-ptr-not-back = (does not resolve back)
report-no-ptr = (no PTR)
report-list-unchecked = { $list }: could not check
report-not-looked-up = not looked up yet: reload the page
report-class-normal = normal
report-class-forwarded = forwarded
report-class-misconfigured = misconfigured
report-class-spoofing = spoofing
report-by-base = By reverse-DNS base domain
report-base-domain = Base domain
report-worst-class = Worst class
report-source-title = Reports: { $ip } for { $domain }
report-day = Day
report-reporter = Reporter
report-disposition = Disposition
report-from-envelope = From / envelope
report-dkim-results = DKIM results
report-spf-results = SPF results
report-pass = pass
report-fail = fail

## Sending domains

domain-title = Sending domains
domain-intro-before = Mail from a domain is signed with that domain's own DKIM key (an author signature,
domain-intro-code = d=
domain-intro-after = the From domain). Publish each record below in the domain's DNS zone.
domain-none-yet = No sending domains yet. Campaigns from a domain without a key go out unsigned in sandbox mode.
domain-check-now = Check the DNS now
domain-check-hint = (DKIM, SPF of the bounce subdomain, DMARC and PTR, as receivers will see them)
domain-verified = verified { $at }
domain-unverified = not verified
domain-unverified-hint = Production will not send from it until its DKIM record is seen in DNS.
domain-sends-from = Sends from
domain-any-node = any of the delivery nodes' addresses
domain-save-ips = Save addresses
# Around the command that sets the addresses too.
domain-ips-hint = Now: { $from }. IPv4 or IPv6, separated by spaces; empty: any. Also
domain-ips-command = ninsho domain ips { $domain } ADDRESS…
domain-ips-hint-end = { "." }
domain-check-ok = ok
domain-check-warn = warn
domain-check-fail = fail
domain-check-unknown = unknown
domain-records = Records to publish
domain-optional = optional
domain-needed = needed
domain-type = Type
domain-value = Value
domain-zone-lines = All records as zone-file lines (BIND)
domain-rotate = Rotate DKIM keys
domain-rotate-hint = New keys sign once their records are seen in DNS; the old ones stay published 7 days.
# Around the certificate's subject and end date.
domain-smime-on-before = S/MIME: every message is signed by
domain-smime-on-after = , then DKIM-signed.
domain-smime-until = { $subject }, valid until { $until }
domain-smime-stop = Stop S/MIME signing
domain-smime-hint = S/MIME (optional): sign every message with a certificate for this domain's From address.
domain-smime-file = Certificate and key (PEM), or PKCS#12 (.p12/.pfx)
domain-smime-password = PKCS#12 password
domain-upload = Upload
domain-alerts = Alerts
domain-alerts-hint = Checks that passed and then failed (the watch re-checks every domain every few hours).
domain-add = Add a domain
domain-domain = Domain
domain-placeholder = news.example.com
domain-ed25519 = Also an Ed25519 key (a second signature; RSA-2048 is always made)
domain-add-button = Add and generate keys
domain-exists = { $domain } is a sending domain already.
domain-not-sending = { $domain } is not a sending domain.
domain-bad-ip = { $address } is not an IPv4 or IPv6 address
domain-bad-ips = Source addresses: { $faults }.
domain-smime-choose = Choose a PEM file (certificate and key) or a PKCS#12 file.
domain-smime-error = S/MIME: { $error }
domain-smime-failed = S/MIME for { $domain }: { $error }.

## The deliverability score

score-title = Deliverability score: { $name }
score-heading = Deliverability score:
score-hint = The message as it would leave now: rendered for the first recipient, signed with the domain's DKIM key, from the address it would use, judged as a receiver and a spam filter would.
score-unchecked = { $n } check(s) could not run
score-unchecked-after = ; the score says nothing about them.
score-area = Area
score-check = Check
score-points = Points
score-finding = Finding
score-fix = Fix
score-mark-ok = ok
score-mark-warn = warn
score-mark-fail = fail
score-mark-unknown = unknown
score-area-authentication = Authentication
score-area-reverse-dns = Reverse DNS
score-area-blocklists = Blocklists
score-area-content = Content
score-area-format = Format
score-error = It cannot be scored: { $error }

## Charts

chart-hours-since = hours since { $start }
chart-days-since = days since { $start }
chart-delivered = delivered
chart-opens = opens
chart-clicks = clicks
chart-messages = messages
chart-dmarc-pass = DMARC pass

# The sender identity block (特定電子メール法 / CAN-SPAM) per domain.
domain-identity-title = Sender identity
domain-identity-complete = complete
domain-identity-incomplete = incomplete: production sending is refused
domain-identity-hint = Advertising mail must show who sends it: the sender's name, postal address and where to unsubscribe or ask (Japan's 特定電子メール法; CAN-SPAM asks for the postal address). The built-in layout prints it at the foot of every message from this domain.
domain-identity-name = Sender name
domain-identity-name-example = Shop Example Ltd.
domain-identity-address = Postal address
domain-identity-address-example = 1-1-1 Umeda, Kita-ku, Osaka 530-0001, Japan
domain-identity-contact = Contact (email or URL)
domain-identity-contact-example = support@shop.example
domain-identity-save = Save sender identity
domain-identity-field-name = Sender name
domain-identity-field-postal-address = Postal address
domain-identity-field-contact = Contact
