# What the web crate says is wrong with a request: dashboard forms and the
# API's `error` text (its `field` stays as it is). The English here is what
# the API has always answered: keep it word for word.

# The frame around a store's refusal, and the things it names
err-not-found = { $what } not found
err-conflict = { $what } already exists
err-thing-admin = admin
err-thing-list = list
err-thing-subscriber = subscriber
err-thing-list-or-subscriber = list or subscriber
err-thing-campaign = campaign
err-thing-campaign-not-sending = campaign that is not sending
err-thing-layout = layout
err-thing-list-or-segment = list or segment
err-thing-sequence = sequence
err-thing-step = step
err-thing-endpoint = endpoint
err-thing-segment = segment
err-thing-subscription = subscription
err-thing-suppression = suppression
err-thing-import = import
err-thing-sending-domain = sending domain
err-exists-admin-email = an admin with this email already exists
err-exists-list-name = a list with this name already exists
err-exists-subscriber-email = a subscriber with this email already exists
err-exists-not-draft = a campaign that is no longer a draft: it already exists
err-exists-active-sequence = an active sequence: it already exists
err-exists-endpoint-url = an endpoint with this URL already exists
err-exists-segment-name = a segment with this name already exists
err-exists-suppression = this suppression already exists
err-exists-domain = this domain already exists
err-exists-selector = this selector already exists
err-exists-gone-layout-or-segment = a layout or segment that no longer exists already exists
err-exists-layout-name = a layout with this name already exists
err-exists-layout-in-use = a campaign using this layout already exists
err-exists-tx-template-name = a transactional template of that name already exists
err-refused-owner = the team needs at least one owner
err-refused-nul = the text contains a NUL character, which cannot be stored

# Forms, uploads and the gate
err-form-expired = This form has expired or was not sent from this site. Reload the page and try again.
err-page-expired = This page has expired. Reload it and try again.
err-form-incomplete = The form is incomplete: { $error }
err-upload-failed = The upload failed: { $error }
err-other-site = This request came from another site and was refused.
err-not-on-allowlist = Your address is not allowed to use the ninsho dashboard.
err-metrics-local = Metrics are served to this machine only; set http.admin_allowlist or http.metrics_token to read them from elsewhere.
err-must-enrol = Your team requires two-factor login: enrol at /account/2fa before your tokens work again.
err-role-may-not-see = The { $role } role may not see { $area }. Ask an owner for another role.
err-role-may-not-change = The { $role } role may not change { $area }. Ask an owner for another role.
err-token-may-not-see = This token may not see { $area }: it is limited to { $granted }.
err-token-may-not-change = This token may not change { $area }: it is limited to { $granted }.
err-area-audience = audience
err-area-campaigns = campaigns
err-area-reports = reports
err-area-delivery = delivery
err-area-team = team

# Campaigns
err-campaign-language = { $value } is not a language ninsho writes; choose en or ja
err-campaign-name-length = A campaign needs a name of 1 to 200 characters.
err-campaign-name-fault = The name { $fault }.
err-from-name-fault = The From name { $fault }.
err-campaign-from-address = From address: { $value } is not an email address.
err-campaign-reply-to = Reply-To: { $value } is not an email address.
err-campaign-body-format = Choose Markdown or HTML for the body.
err-campaign-time-zone = Time zone: { $value } is not a time zone name such as Asia/Tokyo.
err-campaign-window = Send window: give a start and a later end, such as 09:00 and 20:00.
err-campaign-ab-sample = A/B test: the sample is a percentage from 0 to 100.
err-campaign-ab-subjects = A/B test: at most 4 other subject lines.
err-campaign-ab-wait = A/B test: wait at least a minute.
err-layout-fault = Layout: { $error }
err-not-a-zone = { $zone } is not a time zone
err-not-a-moment = { $value } is not a date and time such as 2026-12-01T09:00
err-skipped-moment = { $value } does not exist in { $zone } (a clock change skips it)
err-send-time = Send time: { $reason }.
err-only-draft = Only a draft can be scheduled.
err-cannot-schedule = Cannot schedule: { $reason }.
err-does-not-render = it does not render: { $error }

# Subscribers
err-unknown-status = unknown subscriber status
err-attributes-json = a JSON object, e.g. {"{"}"plan":"pro"{"}"}
err-bulk-too-many = at most 10,000 at a time; use matching for more
err-bulk-ids-or-matching = give either ids or matching
err-choose-list = choose a list
err-no-list = no list { $id }
err-bulk-action = add_to_list, remove_from_list, blocklist or delete
err-attribute-name-fault = the attribute name { $path } { $fault }
err-attribute-value-fault = the attribute { $path } { $fault }
err-attributes-object = attributes must be a JSON object
err-name-fault = the name { $fault }
err-name-too-long = the name has more than 200 characters
err-subscriber-status = one of active, unsubscribed, blocklisted, bounced, complained
err-suppressed = this address or its domain is suppressed, or it was erased
err-subscription-status = one of unconfirmed, confirmed, unsubscribed

# Lists and signup forms
err-signup-too-many = a signup form has at most 20 extra fields
err-signup-key = field { $n }: the attribute name needs 1 to 100 printable characters
err-signup-built-in = field { $n }: { $key } is built into the form
err-signup-label-length = field { $n }: the label needs 1 to 200 characters
err-signup-label-fault = field { $n }: the label { $fault }
err-signup-twice = field { $n }: { $key } appears twice
err-list-name-length = a list needs a name of 1 to 200 characters
err-description-fault = the description { $fault }
err-public-or-private = public or private
err-single-or-double = single or double
err-en-or-ja = en or ja

# Segments and imports
err-segment-name-length = a segment needs a name of 1 to 200 characters
err-import-mode = one of add, update, unsubscribe, blocklist
err-not-a-list-id = { $value } is not a list id
err-import-encoding = auto, utf-8 or shift_jis

# Sender settings
err-organization-fault = The sender's name { $fault }.
err-organization-too-long = The sender's name has more than 200 characters.
err-from-name-too-long = The From name has more than 200 characters.
err-from-address-fault = From address: { $reason }.
err-reply-to-fault = Reply-To: { $reason }.
err-settings-time-zone = { $value } is not a time zone; choose one such as Asia/Tokyo.

# Why a campaign cannot be prepared (English pages use the engine's own words).
err-list-separator = {", "}
err-prepare-unverified = "{ $domain }" is not verified: its DKIM record has not been seen in DNS yet; publish the records the domains page lists, then check them there (or `ninsho doctor { $domain }`)
err-prepare-not-sending = "{ $domain }" is not a sending domain with a DKIM key; add it with `ninsho domain add { $domain }` and publish its DNS records
err-prepare-identity = the sender identity of "{ $domain }" lacks { $missing }: advertising mail must show the sender's name, postal address and a contact for opting out (特定電子メール法, CAN-SPAM); fill it in on the domains page
err-prepare-no-from = the From address is missing
err-prepare-no-audience = choose at least one list or a segment
err-prepare-empty-audience = the audience is empty

# Transactional mail (the send API and its templates)
err-thing-message = message
err-thing-credential = credential
err-thing-tx-template = transactional template
err-tx-recipients = Give between 1 and { $max } recipients.
err-tx-template-or-body = Name a stored template, or give a subject and a body.
err-tx-from-missing = The From address is missing: give from_address, or use a template that has one.
err-tx-not-sending-domain = { $domain } is not a sending domain with a DKIM key: add it on the domains page and publish its records.
err-tx-unverified-domain = { $domain } is not verified yet: its DKIM record has not been seen in DNS.
err-tx-idempotency-key = The Idempotency-Key header must be 1 to 255 characters.
err-tx-key-reused = This Idempotency-Key was used for a different request; use a new key for a new request.
err-tx-header-long = A header value may have at most 2,000 characters.
err-tx-data-object = data must be a JSON object.
err-tx-name = The name { $fault }.
err-tx-call-too-large = The messages of this request come to more than { $max } MB; send the recipients in smaller requests.
err-tx-limit-minute = This token may send { $limit } messages a minute; try again after the time in Retry-After.
err-tx-limit-day = This token may send { $limit } messages a day; try again after the time in Retry-After.
err-tx-template-name = A template name is 1 to 100 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit.
err-tx-too-many-files = At most { $max } files may go with a message.
err-tx-files-too-large = The files come to more than { $max } MB together.
err-tx-file-base64 = The content is not valid base64.
err-tx-file-name = The file name must not be empty, start with a dot, hold a path or a control character, or have more than 200 characters.
err-tx-file-runnable = Programs and scripts cannot be sent (receivers refuse them).
err-tx-file-type = { $value } is not a type ninsho sends: PDF, images (PNG, JPEG, GIF, WebP), ZIP, Office documents, text, CSV, calendar, vCard or JSON.
err-tx-file-content = The content is not a { $value } file.

# The message log
err-log-one-of = Choose one of: { $allowed }.
err-log-time = { $value } is not a time: write 2026-12-05T09:30 or 2026-12-05T09:30:00+09:00.
err-log-raw-addresses = Only roles that see subscribers' addresses may download messages.
err-log-not-held = This message is not held.
