# The campaign pages of the dashboard: campaigns, their preview and sending,
# layouts, step sequences and the sandbox mailbox.


# Campaign list (campaigns.html) and words several campaign pages share.
campaign-list-title = Campaigns
campaign-new = New campaign
campaign-list-empty-before = No campaigns yet.
campaign-list-empty-write = Write the first one
campaign-list-empty-middle = ; its look comes from a
campaign-list-empty-layout = layout
campaign-list-empty-after = .
campaign-col-campaign = Campaign
campaign-recipients = Recipients
campaign-col-delivered = Delivered
campaign-col-opened = Opened
campaign-col-clicked = Clicked
campaign-col-send-time = Send time
campaign-report = Report
campaign-list-hint = Opened and clicked: people (not machines that fetch mail) as a share of the messages delivered. A draft's recipients are its audience now.

# A campaign's state (campaigns.status).
campaign-state-draft = draft
campaign-state-scheduled = scheduled
campaign-state-sending = sending
campaign-state-paused = paused
campaign-state-finished = finished
campaign-state-cancelled = cancelled

# The campaign editor (campaign.html).
campaign-title = Campaign { $name }
campaign-could-not-start = It could not start: { $error }
campaign-audience-now-before = Audience now:
campaign-audience-now-after = recipients.
campaign-preview = Preview
campaign-score = Deliverability score
campaign-copy = Make a copy
campaign-step-of-before = A step of
campaign-step-of-link = a sequence
campaign-step-of-after = : it goes out when the sequence is active. Pause the sequence to edit it.
campaign-when-legend = When to send
campaign-when-at = At
campaign-when-now = As soon as I confirm
campaign-review = Review and send…
campaign-review-hint = The next page shows the audience, the sending domain and the time; nothing is sent before you confirm there.
campaign-send-time = Send time: { $time }.
campaign-send-time-zones = { $shown } ({ $local } in the campaign's zone, { $zone })
campaign-recipients-count = Recipients: { $count }.
campaign-action-unschedule = Back to draft
campaign-action-pause = Pause
campaign-action-resume = Resume
campaign-action-cancel = Cancel
campaign-confirm-cancel = Cancel this campaign?
campaign-test-title = Send a test
campaign-test-to = To
campaign-test-placeholder = you@example.com, colleague@example.com
campaign-test-send = Send test
campaign-test-hint = A test goes to these addresses only, with “[Test]” before the subject, rendered for the first subscriber of the audience.
campaign-from-name = From name
campaign-from-address = From address
campaign-from-address-placeholder = news@your-domain.example
campaign-reply-to = Reply-To
campaign-subject = Subject
campaign-subject-placeholder = News for {"{{"} subscriber.name {"}}"}
campaign-preheader = Preheader
campaign-preheader-hint = (the line inboxes show after the subject)
campaign-audience = Audience
campaign-segment = and only those in segment
campaign-no-segment = (no segment)
campaign-audience-hint = Confirmed, active subscribers only; suppressed addresses and domains are always left out, and each address gets one copy.
campaign-body-format = Body format
campaign-format-markdown = Markdown
campaign-format-html = HTML
campaign-layout = Layout
campaign-layout-built-in = Built-in responsive layout
campaign-time-zone-placeholder = Asia/Tokyo
campaign-language-of-list = Its first list's
campaign-body = Body
campaign-text-version = Plain-text version (empty: made from the HTML)
campaign-plan-legend = When each recipient gets it
campaign-zone-attribute = Recipient's time zone from attribute
campaign-zone-attribute-placeholder = timezone (empty: the campaign's zone)
campaign-window-from = Send window from
campaign-window-to = to
campaign-plan-hint-before = With a time-zone attribute (values such as
campaign-plan-hint-after = ), a campaign scheduled for 09:00 reaches each recipient at 09:00 their time; others use the campaign's zone. Outside the window, a message waits for the window's next start.
campaign-ab-title = A/B test of the subject line
campaign-ab-subjects = Other subject lines, one per line
campaign-ab-sample-before = Test on
campaign-ab-sample-after = % of the audience
campaign-ab-wait-before = then after
campaign-ab-wait-after = hours
campaign-ab-metric-before = the subject with the most
campaign-ab-metric-opens = opens
campaign-ab-metric-clicks = clicks
campaign-ab-metric-after = (people, not machines) goes to the rest.
campaign-track-opens = Count opens
campaign-track-clicks = Count clicks
campaign-anonymous-tracking = Anonymously (not per subscriber)
campaign-save-draft = Save draft
campaign-delete-title = Delete this campaign
campaign-delete-confirm = Delete “{ $name }” for good?
campaign-delete = Delete campaign
campaign-delete-hint = Its report goes with it.

# What the campaign editor says after an action or about a fault.
campaign-bad-window = Send window: { $value } is not a time such as 09:00.
campaign-cannot-save = Cannot save { $what }.
campaign-choose-when = Choose when to send it: now, or at a date and time.
campaign-copied = A copy: change what you need, then send it.
campaign-delete-first = Pause or cancel a campaign before deleting it.
campaign-cannot-action = The campaign cannot { $action } from its current state.
campaign-now-state = Now { $state }.
campaign-test-bad-address = Test addresses: { $address }: { $reason }.
campaign-test-none = Test addresses: give at least one.
campaign-test-too-many = Test addresses: at most 10 at a time.
campaign-test-queued = Test queued for { $count } address(es); it goes out within seconds.
campaign-test-captured = Test sent to { $count } address(es); see the sandbox mailbox.
campaign-cannot-render = Cannot render: { $error }

# The last look before sending (campaign_send.html).
campaign-send-title = Send { $name }?
campaign-send-heading = Send “{ $name }”?
campaign-send-intro = Nothing has been sent yet. This is what will happen when you press the button:
campaign-audience-every-list = of every list
campaign-audience-lists = on { $lists }
campaign-audience-every-list-segment = of every list, only those in segment { $segment }
campaign-audience-lists-segment = on { $lists }, only those in segment { $segment }
campaign-send-right-away = Right away ({ $when })
campaign-when-own-zones = { $time } in each recipient's time zone
campaign-send-from = From
campaign-send-signed-by = Signed by
campaign-signing-no-from = No From address yet.
campaign-signing-no-key = { $domain }: no DKIM key yet, so its mail goes out unsigned (sandbox only)
campaign-signing-unseen = { $domain }, DKIM-signed; its DNS record has not been seen yet
campaign-signing-verified = { $domain }, DKIM-signed; the domain is verified
campaign-send-delivery = Delivery
campaign-send-sandbox = Sandbox
campaign-send-sandbox-detail = kept in the sandbox mailbox; nothing leaves this machine
campaign-send-production = Production
campaign-send-production-detail = to each recipient's mail server
campaign-send-now = Send now to { $count } recipients
campaign-schedule-for = Schedule for { $when }
campaign-send-back = Back to the campaign
campaign-scheduled = Scheduled for { $count } recipients at { $when }.

# A campaign's preview (preview.html); the phone and desktop frames also show layouts.
preview-title = Preview { $name }
preview-heading = Preview:
preview-as-subscriber = As subscriber
preview-as-subscriber-placeholder = first of the audience
preview-show = Show
preview-for = For
preview-subject = — subject:
preview-phone = Phone (375 px)
preview-phone-title = Phone preview
preview-desktop = Desktop
preview-desktop-title = Desktop preview
preview-text-version = Plain-text version

# Layouts (layouts.html, layout.html). The layout-reason, layout-view, layout-preferences and layout-unsubscribe keys of mail.ftl are the built-in layout's own words.
layout-list-title = Layouts
layout-list-hint-before = A layout wraps every campaign that uses it: put
layout-list-hint-after = where the body goes. Campaigns without a layout of their own use the built-in responsive one.
layout-list-empty = No layouts of your own yet.
layout-new = New layout
layout-title = Layout { $name }
layout-heading = Layout
layout-html = HTML
layout-html-hint-before = (minijinja; CSS in
layout-html-hint-after = is inlined when a campaign is compiled, media queries stay)
layout-save = Save layout
layout-preview = Preview
layout-preview-hint = The saved layout around an example body, as a phone and a desk show it.
layout-delete-title = Delete this layout
layout-delete-confirm = Delete this layout?
layout-delete = Delete layout
layout-delete-hint = A layout that campaigns use cannot be deleted.
layout-name-needed = A layout needs a name of 1 to 200 characters.
layout-name-taken = A layout named { $name } exists already.
layout-in-use = Campaigns use this layout; change them before deleting it.
layout-sample-subject = Example
layout-sample-body =
    # A heading

    A paragraph of example text, long enough to wrap on a phone and show how the layout sets text. **Bold** and *italic* words, and [a link](https://example.com/).

    - A list item
    - Another one

# Step sequences (sequences.html, sequence.html).
sequence-list-title = Step sequences
sequence-list-hint-before = A sequence sends its steps to the subscribers of its list, each step a chosen number of days after what starts it: joining the list, or a date in their attributes (the date itself, such as a trial's end, or its anniversary every year, such as a birthday; dates are read as
sequence-list-hint-after = ). Leaving the list, or matching the exit segment, ends it for that subscriber.
sequence-list-empty = No sequences yet.
sequence-col-list-start = List · start
sequence-on-attribute = on { $attribute }
sequence-on-attribute-yearly = on { $attribute } every year
sequence-state-draft = draft
sequence-state-active = active
sequence-state-paused = paused
sequence-new = New sequence
sequence-for-list = For the subscribers of
sequence-starts = Starts
sequence-starts-join = when a subscriber joins the list
sequence-starts-date = on a date attribute
sequence-date-attribute-placeholder = birthday
sequence-date-attribute = Date attribute
sequence-yearly = every year, on its anniversary
sequence-exit = Ends early for subscribers in
sequence-no-exit = (no exit segment)
sequence-create = Create sequence
sequence-name-needed = A sequence needs a name of 1 to 200 characters.
sequence-attribute-needed = A sequence that starts on a date needs the name of a date attribute (1 to 100 characters), such as birthday.
sequence-title = Sequence { $name }
sequence-starts-on-before = Starts on the
sequence-starts-on-middle = of each subscriber of
sequence-starts-on-yearly = , every year on its anniversary
sequence-dates-from = (dates from { $time } on)
sequence-starts-on-after = . Dates are days in UTC; a step more than a week late is skipped.
sequence-starts-join-before = Starts when a subscriber joins
sequence-joins-from = (from { $time } on)
sequence-starts-join-after = .
sequence-col-step = Step
sequence-col-sent = Sent
sequence-day = day { $days }
sequence-hours-minutes = { $hours } h { $minutes } min
sequence-step-report = report
sequence-pause = Pause (to edit steps)
sequence-activate = Activate
sequence-add-step-title = Add a step
sequence-days-after-date = Days after the date
sequence-days-after-joining = Days after joining
sequence-add-step = Add step and edit it
sequence-subscribers-title = Subscribers in this sequence
sequence-not-active-date = Not active yet: once you activate it, each subscriber gets its steps on their date.
sequence-not-active-join = Not active yet: once you activate it, everyone who joins { $list } from then on gets its steps.
sequence-no-step-yet = No step has gone to anyone yet.
sequence-nobody-joined = Nobody has joined since it was activated.
sequence-col-subscriber = Subscriber
sequence-col-joined = Joined
sequence-col-steps-sent = Steps sent
sequence-col-last-step = Last step
sequence-steps-of = { $sent } of { $total }
sequence-left-list = left the list: ended
sequence-step-needs = A step needs a name and a valid From address.
sequence-step-bad-name = The name { $reason }.
sequence-step-bad-from-name = The From name { $reason }.
sequence-activated-join = Active: { $steps } steps go to everyone who joins the list from now on.
sequence-activated-date = Active: { $steps } steps go to the list's subscribers on their { $attribute }, from today on.
sequence-activated-yearly = Active: { $steps } steps go to the list's subscribers on their { $attribute } every year, from today on.
sequence-already-active = It is active already.
sequence-cannot-activate = Cannot activate: { $error }.
sequence-paused = Paused: its steps are editable drafts; nothing more is sent until it is activated again.

# The sandbox mailbox (sandbox.html).
sandbox-title = Sandbox mailbox
sandbox-hint = In sandbox mode nothing leaves this machine: every message ninsho would send is kept here.
sandbox-empty = No messages yet. A signup to a double opt-in list puts its confirmation here.
sandbox-to = to
sandbox-raw = Show the message as sent (headers and MIME)
sandbox-dkim-unsigned = DKIM: unsigned (the From domain has no key; add it under Domains)
sandbox-dkim-verdict = { $result } for { $domain } ({ $selector })
sandbox-dkim = DKIM: { $verdicts }

# A kept message's kind (outbound_messages.kind).
sandbox-kind-campaign = campaign
sandbox-kind-test = test
sandbox-kind-alert = alert
sandbox-kind-confirmation = confirmation
sandbox-kind-address-confirmation = address-confirmation
sandbox-kind-address-changed = address-changed

# A kept message's state (outbound_messages.status).
sandbox-status-queued = queued
sandbox-status-sending = sending
sandbox-status-deferred = deferred
sandbox-status-sent = sent
sandbox-status-failed = failed
sandbox-status-captured = captured

# The charset of a campaign's messages (ISO-2022-JP for readers who need it).
campaign-charset = Character set
campaign-charset-utf8 = UTF-8 (every character)
campaign-charset-jis = ISO-2022-JP (JIS, for older phones and mail systems)
campaign-charset-unknown = Character set: { $value } is not one; choose utf-8 or iso-2022-jp.
campaign-charset-fault = { $part }, line { $line }, column { $column }: “{ $character }” cannot be sent in ISO-2022-JP ({ $kind }). Replace it, or send in UTF-8.
campaign-charset-more = …and { $n } more characters ISO-2022-JP cannot carry.
campaign-katakana-widened = Half-width katakana made full-width for ISO-2022-JP: { $pairs }.
charset-vendor-specific = a vendor-specific character (機種依存文字) such as ① or ㈱: write (1) or (株)
charset-emoji = an emoji
charset-outside-jis = outside JIS X 0208: use a common form of the character
campaign-part-from-name = From name
campaign-part-subject = Subject
campaign-part-ab-subjects = Other subject lines
campaign-part-preheader = Preheader
campaign-part-body = Body
campaign-part-text-body = Text version

# A new campaign's first body (a template: the name, else the fallback).
campaign-blank-greeting = Hello { $name }
campaign-blank-default-name = there
campaign-blank-body = Write your message here.
