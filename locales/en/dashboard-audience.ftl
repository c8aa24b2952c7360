# Dashboard pages of the audience: subscribers, lists, segments, imports
# and the suppression list.

# Subscribers (search and bulk actions)
subscriber-all-title = Subscribers
subscriber-in-all = { $n } in all
subscriber-add = Add subscriber
subscriber-search-text = Email or name contains
subscriber-search-list = List
subscriber-search-any = Any
subscriber-none-before = No subscribers yet. They arrive through signup forms,{ " " }
subscriber-none-imports = imports
subscriber-none-middle = , the API, or{ " " }
subscriber-none-by-hand = by hand
subscriber-none-after = .
subscriber-no-match = Nobody matches this search.
subscriber-bulk-confirm = Apply this action to the chosen subscribers?
subscriber-bulk-action = Action
subscriber-bulk-action-choose = Action…
subscriber-bulk-add-to-list = Add to list
subscriber-bulk-remove-from-list = Remove from list
subscriber-bulk-blocklist = Blocklist
subscriber-bulk-list = List
subscriber-bulk-list-choose = List…
subscriber-bulk-whom = Whom
subscriber-bulk-ticked = the ticked subscribers
subscriber-bulk-matching = everyone matching this search
subscriber-bulk-apply = Apply
subscriber-choose = Choose
subscriber-choose-one = Choose { $email }
subscriber-added-column = Added
subscriber-bulk-search-first = Search first: an action on everyone matching needs a search.
subscriber-bulk-tick = Tick the subscribers to act on, or choose everyone matching the search.
subscriber-bulk-choose-list = Choose the list.
subscriber-bulk-choose-action = Choose an action.
subscriber-bulk-added = { $count ->
    [one] { $n } subscriber added to the list.
   *[other] { $n } subscribers added to the list.
}
subscriber-bulk-removed = { $count ->
    [one] { $n } subscriber removed from the list.
   *[other] { $n } subscribers removed from the list.
}
subscriber-bulk-blocklisted = { $count ->
    [one] { $n } subscriber blocklisted.
   *[other] { $n } subscribers blocklisted.
}
subscriber-bulk-deleted = { $count ->
    [one] { $n } subscriber deleted.
   *[other] { $n } subscribers deleted.
}

# A subscriber's state (subscribers.status).
subscriber-status-active = active
subscriber-status-unsubscribed = unsubscribed
subscriber-status-blocklisted = blocklisted
subscriber-status-bounced = bounced
subscriber-status-complained = complained

# A subscriber's state on one list (subscriptions.status).
subscriber-list-status-unconfirmed = unconfirmed
subscriber-list-status-confirmed = confirmed
subscriber-list-status-unsubscribed = unsubscribed

# One subscriber's page
subscriber-added-changed = Added { $added }, changed { $changed }. A blocklisted subscriber gets no mail and cannot sign up again.
subscriber-lists = Lists
subscriber-on-no-list = On no list.
subscriber-list-column = List
subscriber-since = Since
subscriber-take-off = Take { $email } off { $list }?
subscriber-add-to = Add to
subscriber-add-confirmed = Add (confirmed)
subscriber-history = History
subscriber-history-empty = Nothing yet: no campaign has reached this subscriber and they have joined no list.
subscriber-history-what = What
subscriber-history-campaign-or-list = Campaign or list
subscriber-history-detail = Detail
subscriber-activity-machine = (machine)

# What happened, in a subscriber's history: a delivery's state, a tracked
# event, a change of subscription.
subscriber-activity-queued = queued
subscriber-activity-held = held
subscriber-activity-sending = sending
subscriber-activity-deferred = deferred
subscriber-activity-delivered = delivered
subscriber-activity-bounced = bounced
subscriber-activity-failed = failed
subscriber-activity-suppressed = suppressed
subscriber-activity-open = open
subscriber-activity-click = click
subscriber-activity-subscribed = subscribed
subscriber-activity-unsubscribed = unsubscribed

subscriber-messages = Confirmations and notices
subscriber-messages-empty = No confirmation or notice mail has been sent to this address (campaigns are in the history above).
subscriber-message-subject = Subject
subscriber-message-kind = Kind

# Kinds and states of ninsho's own messages (outbound_messages).
subscriber-message-kind-confirmation = confirmation
subscriber-message-kind-address-confirmation = address-confirmation
subscriber-message-kind-address-changed = address-changed
subscriber-message-kind-alert = alert
subscriber-message-kind-test = test
subscriber-message-kind-campaign = campaign
subscriber-message-status-queued = queued
subscriber-message-status-sending = sending
subscriber-message-status-deferred = deferred
subscriber-message-status-sent = sent
subscriber-message-status-failed = failed
subscriber-message-status-captured = captured

subscriber-consent = Consent
subscriber-consent-given = Source: { $source }. Given { $at }
subscriber-consent-from = { " " }from { $ip }
subscriber-consent-end = .
subscriber-email-confirmed = Email confirmed { $at }
subscriber-email-not-confirmed = Email not confirmed by a link
subscriber-privacy = Privacy
subscriber-export = Download everything ninsho holds about this subscriber (JSON)
subscriber-erase-confirm = Erase this subscriber for good?
subscriber-erase-hint = Erasing deletes the subscriber, their subscriptions and messages; only a hash of the address is kept so that it is never mailed or imported again.
subscriber-erase = Erase personal data

# Notices and refusals of the subscriber forms
subscriber-added = Added.
subscriber-added-to-list = Added to the list.
subscriber-removed-from-list = Removed from the list.
subscriber-choose-list = Choose a list.
subscriber-add-or-remove = Add or remove?
subscriber-choose-status = Choose a status.
subscriber-bad-email = Email: { $reason }.
subscriber-suppressed = This address or its domain is suppressed, or it was erased: it cannot be added.
subscriber-exists = { $email } is a subscriber already.
subscriber-name-fault = The name { $fault }.
subscriber-name-too-long = The name has more than 200 characters.
subscriber-attribute-not-json = Attribute { $key }: { $value } is not a number, true/false or JSON.
subscriber-attribute-twice = Attribute { $key } is given twice.
subscriber-attribute-name-fault = Attributes: the attribute name { $path } { $fault }.
subscriber-attribute-value-fault = Attributes: the attribute { $path } { $fault }.

# A character refused in typed text; "$what" is the character's name and
# its code, e.g. "a line break (U+000A)".
subscriber-text-fault = contains { $what } at character { $position }
subscriber-char-carriage-return = a carriage return
subscriber-char-line-break = a line break
subscriber-char-tab = a tab
subscriber-char-nul = a NUL character
subscriber-char-line-separator = a line separator
subscriber-char-control = a control character

# Why an email address is not valid.
subscriber-email-empty = the address is empty
subscriber-email-too-long = the address is longer than 254 characters
subscriber-email-no-at = the address has no @
subscriber-email-bad-local-part = the part before the @ is empty or longer than 64 characters
subscriber-email-bad-local-char = the part before the @ contains a character that is not allowed: { $char }
subscriber-email-bad-domain = the domain { $domain } is not a valid domain name

# Adding a subscriber by hand; attributes
subscriber-new-title = Add a subscriber
subscriber-new-lists = Lists (confirmed)
subscriber-new-no-lists = No lists yet.
subscriber-new-hint = Add only people who agreed to get your mail: the record says you added them.
subscriber-attributes = Attributes
subscriber-attribute-key = Key
subscriber-attribute-value = Value
subscriber-attribute-value-of = Value of { $key }
subscriber-attribute-new-key = new key
subscriber-attributes-hint = Empty a key to remove its attribute. Values are text, except those that were numbers, true/false or lists, which stay so.

# Lists
list-all-title = Lists
list-none = No lists yet. Create one below; subscribers join lists through signup forms, imports or the API.
list-optin = Opt-in
list-visibility = Visibility
list-confirmed-subscribers = Confirmed subscribers
list-optin-single = single
list-optin-double = double
list-visibility-public = public
list-visibility-private = private
list-export-csv = export CSV
list-signup-page = Signup page:
list-embed = Embed the form on your site

# The embeddable signup form's words, in the list's language.
list-embed-your-name = Your name
list-embed-subscribe = Subscribe
list-new = New list
list-description = Description
list-optin-double-choice = Double (confirmation email)
list-optin-single-choice = Single
list-fields = Extra signup fields

# "(one per line: <code>attribute | Label</code>, add <code>| required</code> to require it)"
list-fields-hint-before = (one per line:{ " " }
list-fields-hint-syntax = attribute | Label
list-fields-hint-middle = , add{ " " }
list-fields-hint-required = | required
list-fields-hint-after = { " " }to require it)
list-fields-example =
    company | Company
    prefecture | 都道府県 | required
list-language = Language of its pages and mail
list-visibility-public-choice = Public (signup page, profile)
list-visibility-private-choice = Private
list-create = Create list
list-title = List { $name }
list-heading = List: { $name }
list-confirmed = Confirmed
list-members = See the members
list-unconfirmed = Waiting to confirm
list-unconfirmed-hint = Double opt-in: they have not opened the confirmation link yet.
list-unsubscribed = Unsubscribed
list-export = Export the list (CSV)
list-signup = Signup
list-private-hint = A private list has no signup page: people join it by import, the API or by hand.
list-settings = Settings
list-delete-confirm = Delete this list and all its subscriptions?
list-delete-hint = Deleting removes the list and everyone's subscription to it; the subscribers stay.
list-delete = Delete list
list-choose-optin-visibility = Choose an opt-in and a visibility.
list-name-length = A list needs a name of 1 to 200 characters.
list-name-fault = The list's name { $fault }.
list-description-fault = The description { $fault }.
list-fields-fault = Signup fields: { $fault }.
list-choose-language = Choose the language of its pages and mail.
list-name-taken = A list named { $name } exists already.

# Segments
segment-all-title = Segments
segment-none = No segments yet. A segment picks subscribers by attributes, lists and status; campaigns can be sent to it.
segment-new = New segment
segment-title = Segment { $name }
segment-heading = Segment

# "Subscribers who match [all of|any of] these conditions"
segment-match-before = Subscribers who match
segment-match-all = all of
segment-match-any = any of
segment-match-after = these conditions
segment-add-condition = + Add a condition
segment-json = Filter as JSON (nesting, "not" groups)
segment-matching-now = Matching now:
segment-json-invalid = The JSON is not valid.
segment-save = Save segment
segment-kind-attribute = Attribute
segment-kind-list = On list
segment-kind-status = Status
segment-kind-activity = Activity
segment-key-placeholder = attribute, e.g. plan
segment-op-eq = is
segment-op-ne = is not
segment-op-contains = contains
segment-op-in = is one of (comma-separated)
segment-op-exists = is set
segment-op-not-exists = is not set
segment-op-within-days = date within the last N days
segment-op-older-than-days = date more than N days ago
segment-value-placeholder = value
segment-did-opened = opened
segment-did-clicked = clicked
segment-did-received = received
segment-did-bounced = bounced
segment-any-campaign = any campaign

# "in the last [N] days"
segment-days-before = in the last
segment-days-placeholder = any number of
segment-days-after = days
segment-not = not
segment-remove-condition = Remove
segment-filter-invalid = The filter is not valid: { $error }.
segment-name-length = A segment needs a name of 1 to 200 characters.
segment-name-taken = A segment named { $name } exists already.

# Imports
import-all-title = Import
import-subscribers = Import subscribers
import-mode = Mode
import-mode-add-choice = Add: new addresses are added, existing ones left as they are (and join the lists)
import-mode-update-choice = Update: also overwrite names and attributes of existing subscribers
import-mode-unsubscribe-choice = Unsubscribe the addresses from the chosen lists (all lists if none)
import-mode-blocklist-choice = Blocklist the addresses everywhere
import-lists = Lists
import-no-lists-before = No lists yet:{ " " }
import-no-lists-link = create one
import-no-lists-after = { " " }to put imported addresses on it.
import-encoding = Encoding
import-encoding-auto = Detect (UTF-8 with or without BOM, or Shift_JIS)
import-encoding-utf8 = UTF-8
import-encoding-shift-jis = Shift_JIS / CP932 (Excel in Japan)
import-mapping = Columns of this file, and where each goes:
import-column = Column
import-goes-to = Goes to

# The column mapping's choices (built by script): attribute "<column>",
# email address, name, skip, attribute named….
import-map-attribute-before = attribute "
import-map-attribute-after = "
import-map-email = email address
import-map-name = name
import-map-skip = skip this column
import-map-attribute-named = attribute named…
import-map-attribute-name = attribute name
import-file = CSV file

# "The first row names the columns: <code>email</code> (or <code>メールアドレス</code>),
# <code>name</code> (or <code>氏名</code>); every other column …"
import-hint-columns = The first row names the columns:{ " " }
import-hint-email = email
import-hint-or = { " " }(or{ " " }
import-hint-email-alt = メールアドレス
import-hint-between = ),{ " " }
import-hint-name = name
import-hint-name-alt = 氏名
import-hint-rest = ); every other column becomes an attribute. Bad rows are reported with their line and reason; they never stop the import.
import-button = Import
import-recent = Recent imports
import-file-column = File
import-imported = Imported
import-rejected = Rejected
import-started = Started

# An import's mode and state (imports.mode, imports.state).
import-mode-add = add
import-mode-update = update
import-mode-unsubscribe = unsubscribe
import-mode-blocklist = blocklist
import-state-running = running
import-state-finished = finished
import-state-failed = failed

import-title = Import { $file }
import-heading = Import of { $file }
import-state-label = State:
import-mode-is = mode { $mode }
import-read-as = read as { $encoding }

# "<N> rows imported, <M> rejected[ so far (this page refreshes itself)]."
import-rows-imported = { " " }rows imported,{ " " }
import-rows-rejected = { " " }rejected
import-so-far = { " " }so far (this page refreshes itself)
import-rows-end = .
import-download-rejected = Download the rejected rows with their reasons (CSV)
import-line = Line
import-reason = Reason
import-row = Row
import-first-shown = The first { $n } are shown; the CSV has them all.
import-upload-failed = The upload failed: { $error }
import-choose-file = Choose a CSV file to import.
import-unknown-list = no list { $id }
import-upload-broke = the upload failed: { $error }
import-too-large = the file is larger than { $gib } GiB

# The suppression list
suppression-title = Suppression list
suppression-hint = Nothing is ever sent to these addresses and domains, whatever list they are on. Hard bounces and complaints add theirs; erased subscribers are kept only as a hash and are not shown.
suppression-value = Address or domain
suppression-placeholder-value = someone@example.com or example.com
suppression-reason = Reason
suppression-placeholder-reason = asked by phone
suppression-add = Suppress
suppression-contains = Contains
suppression-none = Nothing is suppressed.
suppression-no-match = Nothing matches “{ $q }”.
suppression-kind = Kind
suppression-since = Since
suppression-lift-confirm = Lift the suppression of { $value }?
suppression-lift = Lift

# What is suppressed (suppressions.kind).
suppression-kind-address = address
suppression-kind-domain = domain
suppression-kind-address-hash = address_hash

# Reasons ninsho itself records (suppressions.reason); other reasons are
# shown as they were written.
suppression-reason-added-by-hand = added by hand
suppression-reason-erased-at-the-subscriber-s-request = erased at the subscriber's request

suppression-fault-reason = The reason { $fault }
suppression-refused = { $value }: { $error }.
suppression-added = { $value } is suppressed: nothing will be sent to it.
suppression-lifted = Lifted: mail may go there again.
