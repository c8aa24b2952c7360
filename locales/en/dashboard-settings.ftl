# The dashboard's settings and team pages: home, your account and its
# two-factor login, team, API tokens, webhooks, sender settings, audit log,
# and the login and first-admin setup pages (in the browser's language).
# Technical texts shown in <code> (settings, headers, commands) are
# messages too, the same in every language.

## Home

home-title = Home
home-heading = Dashboard
home-delivery = Delivery
home-sandbox = Sandbox
home-sandbox-before = Messages are rendered and kept, byte for byte, in the
home-sandbox-link = sandbox mailbox
home-sandbox-middle = ; nothing is sent to the internet. Set
home-sandbox-setting = delivery.mode = "production"
home-sandbox-after = to send to recipients' mail servers, DKIM-signed, over TLS.
home-production = Production
home-production-text = Messages go to the recipients' mail servers.
home-database = Database
home-team = Team
home-admin-accounts = { $count ->
    [one] { $n } admin account.
   *[other] { $n } admin accounts.
}
home-team-before = Add people and choose their roles on
home-team-link = Team
home-team-after = .
home-api = API
home-no-tokens = You have no API tokens yet.
home-create-token = Create one
home-no-tokens-middle = to script ninsho through
home-api-path = /api/v1/
home-no-tokens-after = .
home-tokens = { $count ->
    [one] You have { $n } API token.
   *[other] You have { $n } API tokens.
}
home-manage = Manage
home-audience = Audience
home-no-lists = No lists yet.
home-create-list = Create a list
home-no-lists-middle = , then collect subscribers with its signup form, an
home-import-link = import
home-no-lists-after = or the API.
home-audience-counts = { $subscribers } on { $lists }.
home-subscribers = { $count ->
    [one] { $n } subscriber
   *[other] { $n } subscribers
}
home-lists = { $count ->
    [one] { $n } list
   *[other] { $n } lists
}
home-browse = Browse
home-segments = Segments
home-campaigns = Campaigns
home-no-campaigns = No campaigns yet.
home-write-campaign = Write one
home-no-campaigns-middle = , or set up a
home-sequence-link = step sequence
home-no-campaigns-after = for new subscribers.
home-col-campaign = Campaign
home-col-delivered = Delivered
home-col-opened = Opened
home-col-clicked = Clicked
home-campaign-status-draft = draft
home-campaign-status-scheduled = scheduled
home-campaign-status-sending = sending
home-campaign-status-paused = paused
home-campaign-status-finished = finished
home-campaign-status-cancelled = cancelled
home-all-campaigns = All campaigns
home-new-campaign = New campaign

## Your account

account-title = Your account
account-zone-before = Every time the dashboard shows you is in
account-zone-after = . Now it is { $now }.
account-zone-invalid = { $zone } is not a time zone; choose one such as Asia/Tokyo.
account-zone-saved = Times are now shown in { $zone }.
account-language-now = The dashboard speaks { $language } to you.
account-language-browser = Follow my browser
account-language-unknown = { $language } is not a language the dashboard speaks; choose English, 日本語 or your browser's.
account-language-saved = The dashboard now speaks { $language } to you.
account-language-follows = The dashboard now follows your browser's language ({ $language }).
account-password = Password
account-current-password = Current password
account-new-password = New password
account-new-password-again = New password again
account-password-hint = At least 12 characters and hard to guess; a few unrelated words work well. Your other sessions end.
account-change-password = Change password
account-current-wrong = The current password is wrong.
account-passwords-differ = The two new passwords differ.
account-password-changed = Password changed. Every other session of your account has ended.
account-2fa = Two-factor authentication
account-2fa-link = Set up or turn off an authenticator app

## Two-factor login (your account)

account-2fa-title = Two-factor login
account-2fa-recovery = Your recovery codes
account-2fa-recovery-text = Each works once instead of a code from your app. Store them now: they are kept only as hashes and will not be shown again.
account-2fa-state-before = Two-factor login is
account-2fa-on = on
account-2fa-on-after = for { $email }. Recovery codes left: { $left }.
account-2fa-your-password = Your password
account-2fa-off-code = A current code (or a recovery code) to turn it off
account-2fa-turn-off = Turn off
account-2fa-required = Your team requires two-factor login: set it up to continue.
account-2fa-off = off
account-2fa-off-after = . Scan this code with an authenticator app (any RFC 6238 app), then enter the six-digit code it shows.
account-2fa-type-key = Or type the key:
account-2fa-code = Code
account-2fa-turn-on = Turn on
account-2fa-wrong-password = Your password is not right. Scan the new QR code below and try again.
account-2fa-wrong-code = That code is not right. Scan the new QR code below and enter the code your app shows.
account-2fa-disable-refused = The password or the code is not right (or the code was used already); two-factor login stays on.

## Team

team-title = Team
team-intro = Owners do everything; marketers work on the audience, templates and campaigns; analysts read reports and DMARC analysis; operators run domains, addresses and delivery. Everyone reads reports.
team-role = Role
team-col-2fa = Two-factor
team-col-added = Added
team-change = Change
team-totp-on = on
team-totp-off = off
team-remove = Remove
team-add-someone = Add someone
team-first-password = First password (tell them; they change it on their account page)
team-2fa = Two-factor login
team-require-2fa = Everyone must use an authenticator app (those without one are sent to set it up)
team-role-owner = owner
team-role-marketer = marketer
team-role-analyst = analyst
team-role-operator = operator
team-bad-email = The email address is not valid: { $reason }.
team-bad-role = { $role } is not a role (owner, marketer, analyst or operator).
team-first-password-weak = The first password is too weak: { $reason }.
team-already-member = { $email } is already in the team.
team-needs-owner = The team needs at least one owner.

## API tokens

token-title = API tokens
token-new = Your new token
token-copy-now = Copy it now: it is stored only as a hash and will not be shown again.
token-use-before = Use it as
token-use-header = Authorization: Bearer …
token-use-middle = on
token-use-after = .
token-intro = A token acts as you, with your role ({ $role }), or with only the permissions you tick.
token-none = No tokens yet.
token-col-permissions = Permissions
token-col-last-used = Last used
token-col-limits = Transactional limits
token-per-minute = a minute
token-per-day = a day
token-limits-invalid = Limits are whole numbers, 0 (no limit) or more.
token-revoke = Revoke
token-name-placeholder = e.g. CRM sync
token-narrow = Narrow to (none ticked: everything your role may do)
token-create = Create token
token-all-of-role = all of the { $role } role
token-never = never
token-name-invalid = Give the token a name of 1 to 100 characters.
token-role-lacks = The { $role } role does not have { $permission }, so its tokens cannot either.
token-bad-permission = { $value } is not a permission (like audience:read or campaigns:write).
token-permission-audience-read = audience:read
token-permission-audience-write = audience:write
token-permission-campaigns-read = campaigns:read
token-permission-campaigns-write = campaigns:write
token-permission-reports-read = reports:read
token-permission-reports-write = reports:write
token-permission-delivery-read = delivery:read
token-permission-delivery-write = delivery:write
token-permission-team-read = team:read
token-permission-team-write = team:write

## Webhooks

webhook-list-title = Webhooks
webhook-intro-before = Events are POSTed as JSON, signed:
webhook-signature-header = Ninsho-Signature: v1=
webhook-intro-middle = hex HMAC-SHA256 of
webhook-signed-text = <Ninsho-Timestamp>.<body>
webhook-intro-after = with the endpoint's secret. Failed deliveries are retried with back-off for 3 days; one subscriber's events arrive in order.
webhook-none = No endpoints yet.
webhook-url = URL
webhook-events = Events
webhook-col-waiting = Waiting
webhook-col-delivered = Delivered
webhook-col-given-up = Given up
webhook-from-config = (alerts, from the configuration)
webhook-add-endpoint = Add an endpoint
webhook-url-placeholder = https://crm.example.com/hooks/ninsho
webhook-description = Description
webhook-event-subscribed = subscribed
webhook-event-confirmed = confirmed
webhook-event-unsubscribed = unsubscribed
webhook-event-delivered = delivered
webhook-event-bounced = bounced
webhook-event-complained = complained
webhook-event-opened = opened
webhook-event-clicked = clicked
webhook-event-alert = alert
webhook-title = Webhook
webhook-signing-secret = Signing secret:
webhook-secret-unopened = (does not open with this server's key)
webhook-save-events = Save events
webhook-send-test = Send test event
webhook-delete-heading = Delete this endpoint
webhook-delete-confirm = Delete this endpoint? Events stop going to it.
webhook-delete = Delete endpoint
webhook-deliveries = Deliveries
webhook-nothing-sent = Nothing sent yet.
webhook-col-event = Event
webhook-col-subscriber = Subscriber
webhook-col-attempts = Attempts
webhook-col-last-answer = Last answer
webhook-col-queued = Queued
webhook-col-last-try = Last try
webhook-col-body = Body
webhook-send-again = Send again
webhook-json = JSON
webhook-status-queued = queued
webhook-status-sending = sending
webhook-status-delivered = delivered
webhook-status-failed = failed
webhook-unknown-event = { $event } is not an event ninsho sends.
webhook-tick-one = Tick at least one event.
webhook-not-url = { $url } is not a URL.
webhook-bad-url = { $url } is not an http(s) URL with a host (and no user name or password).
webhook-exists = { $url } is an endpoint already.
webhook-retry-refused = Only a given-up delivery with nothing later about its subscriber can be sent again: a later event went out already, and this one would arrive out of order.

## Sender settings

settings-title = Sender settings
settings-who = Who sends
settings-organization = Sender's name
settings-organization-placeholder = Example Shop Ltd.
settings-organization-hint = Shown at the top of the pages your subscribers see: signup, confirmation, preferences and unsubscribe.
settings-defaults = New campaigns start with
settings-from-name = From name
settings-from-address = From address
settings-from-address-placeholder = news@your-domain.example
settings-reply-to = Reply-To
settings-count-opens = Count opens
settings-count-clicks = Count clicks
settings-defaults-hint = Each campaign can change these. The time zone is also the dashboard's for admins who have not chosen their own.
settings-save = Save settings

## Audit log

audit-title = Audit log
audit-intro = Every change by a person or a token, newest first. Entries cannot be edited or deleted, not even by an owner.
audit-search-placeholder = who, action, address or detail
audit-show = Show
audit-show-changes = Changes
audit-show-logins = Logins and logouts
audit-show-all = Everything
audit-nothing = Nothing recorded.
audit-nothing-matches = Nothing recorded matches “{ $q }”.
audit-col-action = Action
audit-col-answer = Answer
audit-col-sent = What was sent
audit-older = Older entries →
audit-via-session = session
audit-via-cli = cli
audit-via-token = token { $name }

## Log in (the browser's language)

login-title = Log in
login-password = Password
login-wrong = Wrong email or password.
login-throttled = { $error } Too many failed logins came from your address: each attempt now waits { $n } { $count ->
    [one] second
   *[other] seconds
    }.
login-code-title = Code
login-code-heading = Enter your code
login-code-label = Six-digit code from your authenticator app, or a recovery code
login-code-wrong = That code is not right, or it was used already. Wait for the next code.

## First-admin setup (the browser's language)

setup-title = Set up
setup-heading = Create the first admin
setup-intro-before = No admin account exists yet. Choose the email and password of the first one. The setup code is in the link ninsho printed when it started (or create the account from a shell with
setup-command = ninsho admin create
setup-intro-after = ).
setup-code = Setup code
setup-password-again = Password again
setup-hint = At least 12 characters. Several unrelated words make a strong, memorable password; common and breached passwords are refused.
setup-create = Create admin
setup-wrong-code = The setup code is wrong. Use the link ninsho printed when it started.
setup-bad-email = The email address is not valid: { $reason }.
setup-passwords-differ = The two passwords differ.
# Why a new password is refused, as a clause (the account page and team
# page use them too); a sentence gets a capital and setup-full-stop.
setup-password-too-short = the password must have at least { $min } characters
setup-password-too-long = the password must have at most { $max } characters
setup-password-has-email = this password is too easy to guess: it contains the account's email address
setup-password-weak = this password is too easy to guess: { $hint }
setup-full-stop = .

## Bounce rules (error-address rules)
bounce-rules-title = Bounce rules
bounce-rules-intro = Addresses that keep bouncing are suppressed on their own. For each reason, choose how many bounces within how many days put an address on the suppression list.
bounce-rules-by-reason = Rules by reason
bounce-rules-bounces = Bounces before suppression
bounce-rules-days = Within (days)
bounce-rules-built-in = Built-in
bounce-rules-never = never
bounce-rules-at-once = at the first bounce
bounce-rules-rule = { $bounces } in { $days } days
bounce-rules-hint = 0 bounces: never suppressed for that reason. Refusals about our sending (rate, reputation, authentication, policy) are not the address's fault, so by default they never suppress it. A changed rule applies from the next bounce; addresses already suppressed stay so.
bounce-rules-error-rate-title = High error rate alert
bounce-rules-error-rate = Alert when a campaign's bounces pass this share of its sends (%)
bounce-rules-error-rate-hint = Once a campaign has sent at least 50 messages, its admins get one alert by mail and webhook when its bounces pass this share. 0: no alert.
bounce-rules-save = Save rules
bounce-rules-reset = Restore built-in rules
bounce-rules-restored = The built-in rules are back.
bounce-rules-bad-rule = The rule for "{ $reason }" is not valid: bounces from 0 to 100, days from 1 to 365.
bounce-rules-bad-rate = The error rate must be a number from 0 to 100.
