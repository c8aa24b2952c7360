# The dashboard's navigation, its error pages and its scripts' words.

nav-menu = Menu
nav-main = Main
nav-home = Home
nav-audience = Audience
nav-subscribers = Subscribers
nav-lists = Lists
nav-segments = Segments
nav-import = Import
nav-suppressions = Suppression list
nav-campaigns-group = Campaigns
nav-campaigns = Campaigns
nav-sequences = Sequences
nav-layouts = Layouts
nav-sandbox = Sandbox mailbox
nav-deliverability = Deliverability
nav-reports = DMARC reports
nav-domains = Sending domains
nav-bounce-rules = Bounce rules
nav-settings = Settings
nav-sender-settings = Sender settings
nav-team = Team
nav-audit = Audit log
nav-webhooks = Webhooks
nav-tokens = API tokens
nav-account = Your account
nav-log-out = Log out

script-copied = Copied
script-press-copy = Selected: press Ctrl+C

error-bad-request = Bad request
error-cannot-be-done = Cannot be done
error-already-there = Already there
error-login-required = Login required
error-log-in = Log in to continue.
error-forbidden = Forbidden
error-not-allowed = Not allowed
error-not-found = Not found
error-nothing-here = There is nothing at this address.
error-too-many = Too many attempts
error-went-wrong = Something went wrong
error-logged = The error has been logged. Please try again.
error-token-required = a valid API token is required (Authorization: Bearer nsh_…)
error-internal = internal error
error-back = Back to the dashboard

identity-control = Control characters (such as line breaks) cannot be used here.
identity-too-long = Too long: at most { $n } characters.
identity-contact = Give an email address or a URL starting with https://.
