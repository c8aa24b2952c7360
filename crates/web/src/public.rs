//! Pages for subscribers: signup (hosted, and the target of the embeddable
//! form), double opt-in confirmation, profile, unsubscribe and the RFC 8058
//! one-click endpoint.
//!
//! None of them uses a session or a CSRF token: the signup form is posted
//! from other sites by design, and the others are authenticated by the
//! signed token in their path. Answers never reveal whether an address is
//! already known.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Form, routing::get};
use domain::{EmailAddress, SubscriptionStatus};
use i18n::{Arg, Language};
use store::{NewMessage, SignupOutcome};

use crate::auth::ClientIp;
use crate::links::{self, LinkClaims, LinkError, Purpose};
use crate::{AppError, AppState};

/// Signups from one address within this window before refusal.
const SIGNUPS_PER_WINDOW: i64 = 10;
const SIGNUP_WINDOW_MINUTES: i64 = 10;
/// How long a confirmation link works.
const CONFIRM_DAYS: i64 = 7;

pub(crate) fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .route("/s/{list_id}", get(signup_form).post(signup))
        .route("/c/{token}", get(confirm_page).post(confirm))
        .route("/u/{token}", get(unsubscribe_page).post(unsubscribe))
        .route("/p/{token}", get(profile_page).post(save_profile))
        .route("/p/{token}/address", axum::routing::post(request_address))
        .route("/a/{token}", get(address_page).post(change_address))
}

#[derive(Template)]
#[template(path = "public/signup.html")]
struct SignupPage {
    voice: Voice,
    list_id: i64,
    list_name: String,
    description: String,
    email: String,
    name: String,
    /// The list's extra fields: (key, label, required, value).
    fields: Vec<(String, String, bool, String)>,
    error: Option<String>,
}

impl SignupPage {
    fn new(list: store::List, email: String, name: String, values: &[(String, String)], error: Option<String>) -> Self {
        let fields = list
            .signup_fields
            .0
            .iter()
            .map(|f| {
                let value = field_value(values, &format!("attr.{}", f.key));
                (f.key.clone(), f.label.clone(), f.required, value)
            })
            .collect();
        let voice = Voice::of(&list);
        let (list_id, list_name, description) = (list.id, list.name, list.description);
        Self { voice, list_id, list_name, description, email, name, fields, error }
    }
}

/// The first value of form field `name`, trimmed and at most 1,000 characters.
fn field_value(values: &[(String, String)], name: &str) -> String {
    values.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().chars().take(1000).collect()).unwrap_or_default()
}

/// A page with a title, a message and optionally one button that posts.
#[derive(Template)]
#[template(path = "public/notice.html")]
struct Notice {
    voice: Voice,
    title: String,
    message: String,
    button: Option<(String, String)>,
    link: Option<(String, String)>,
    /// The button's form asks, optionally, why (unsubscribing).
    ask_reason: bool,
}

/// The reasons an unsubscribing reader may give.
const REASONS: [&str; 4] = ["too_many", "not_relevant", "never_signed_up", "other"];

impl Notice {
    /// A notice in `lang`: its title and message are the catalog's `key-title`
    /// and `key`, with `args`.
    fn new(lang: Language, key: &str, args: &[(&str, Arg)]) -> Self {
        Self {
            voice: Voice { lang, sender: String::new() },
            title: lang.t(&format!("{key}-title")),
            message: lang.t_with(key, args),
            button: None,
            link: None,
            ask_reason: false,
        }
    }

    /// Each reason a reader may give, with its words.
    fn reasons(&self) -> Vec<(&'static str, String)> {
        REASONS.iter().map(|r| (*r, self.voice.lang.t(&format!("public-reason-{r}")))).collect()
    }
}

/// Who speaks on a subscriber's page and in what language: the sender's
/// name (never ninsho's), and the list's language.
struct Voice {
    lang: Language,
    sender: String,
}

impl Voice {
    fn of(list: &store::List) -> Self {
        Self { lang: language_of(list), sender: String::new() }
    }
}

/// A list's language (English for a tag without a catalog).
fn language_of(list: &store::List) -> Language {
    Language::parse(&list.language).unwrap_or_default()
}

/// A page subscribers see: it carries the sender's name, not ninsho's.
trait PublicPage: Template {
    fn voice(&mut self) -> &mut Voice;
}

macro_rules! public_page {
    ($($page:ty),*) => {$(
        impl PublicPage for $page {
            fn voice(&mut self) -> &mut Voice {
                &mut self.voice
            }
        }
    )*};
}
public_page!(SignupPage, Notice, ProfilePage);

async fn page(state: &AppState, status: StatusCode, mut template: impl PublicPage) -> Result<Response, AppError> {
    template.voice().sender = state.store().sender_settings().await?.organization;
    Ok((status, Html(template.render()?)).into_response())
}

/// A link that does not verify: there is no list to take a language from,
/// so the browser's is used.
async fn invalid_link(state: &AppState, headers: &HeaderMap) -> Result<Response, AppError> {
    let notice = Notice::new(crate::error::browser_language(headers), "public-invalid-link", &[]);
    page(state, StatusCode::BAD_REQUEST, notice).await
}

async fn public_list(state: &AppState, list_id: i64) -> Result<store::List, AppError> {
    match state.store().list(list_id).await? {
        Some(list) if list.visibility == "public" => Ok(list),
        _ => Err(AppError::NotFound),
    }
}

pub(crate) async fn signup_form(State(state): State<AppState>, Path(list_id): Path<i64>) -> Result<Response, AppError> {
    let list = public_list(&state, list_id).await?;
    page(&state, StatusCode::OK, SignupPage::new(list, String::new(), String::new(), &[], None)).await
}

pub(crate) async fn signup(
    State(state): State<AppState>,
    Path(list_id): Path<i64>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(values): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let list = public_list(&state, list_id).await?;
    let window = chrono::Duration::minutes(SIGNUP_WINDOW_MINUTES);
    if state.store().count_form_hit(ip, window).await? > SIGNUPS_PER_WINDOW {
        tracing::warn!(%ip, "signup refused: rate limit");
        let notice = Notice::new(language_of(&list), "public-too-many", &[]);
        return page(&state, StatusCode::TOO_MANY_REQUESTS, notice).await;
    }
    let lang = language_of(&list);
    let double = list.optin == "double";
    // Single opt-in: the same words whether or not the address had
    // unsubscribed before (then a confirmation link was sent instead).
    let thanks = Notice::new(
        lang,
        if double { "public-almost-done" } else { "public-thanks" },
        &[("list", list.name.as_str().into())],
    );
    // `website` is the honeypot: hidden from people, filled in by bots.
    if !field_value(&values, "website").is_empty() {
        tracing::info!(%ip, "signup honeypot filled in; ignored");
        return page(&state, StatusCode::OK, thanks).await;
    }
    let name: String = field_value(&values, "name").chars().take(200).collect();
    let raw_email = field_value(&values, "email");
    let mut attributes = serde_json::Map::new();
    let mut missing = None;
    for field in &list.signup_fields.0 {
        let value = field_value(&values, &format!("attr.{}", field.key));
        if value.is_empty() {
            if field.required && missing.is_none() {
                missing = Some(field.label.clone());
            }
        } else {
            attributes.insert(field.key.clone(), serde_json::Value::String(value));
        }
    }
    let email = EmailAddress::parse(&raw_email);
    let unfit = domain::text::check_line(&name).map_err(|_| lang.t("public-bad-name"));
    let unfit = unfit.and_then(|()| {
        list.signup_fields.0.iter().try_for_each(|field| match attributes.get(&field.key) {
            Some(serde_json::Value::String(value)) => domain::text::check_text(value)
                .map_err(|_| lang.t_with("public-bad-field", &[("field", field.label.as_str().into())])),
            _ => Ok(()),
        })
    });
    let error = match (&email, &missing, unfit) {
        (Err(e), _, _) => Some(lang.t_with("public-bad-email", &[("reason", e.to_string().into())])),
        (Ok(_), Some(label), _) => Some(lang.t_with("public-fill-in", &[("field", label.as_str().into())])),
        (Ok(_), None, Err(unfit)) => Some(unfit),
        (Ok(_), None, Ok(())) => None,
    };
    let email = match (email, error) {
        (Ok(email), None) => email,
        (_, error) => {
            return page(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                SignupPage::new(list, raw_email, name, &values, error),
            )
            .await;
        }
    };
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let source = format!("form:list:{list_id}");
    let attributes = serde_json::Value::Object(attributes);
    let outcome = state.store().signup(&email, &name, &attributes, list_id, double, &source, ip, user_agent).await?;
    let resent = match outcome {
        SignupOutcome::NeedsConfirmation { subscriber_id } => {
            state.store().recently_sent_confirmation(subscriber_id, chrono::Duration::hours(1)).await?
        }
        _ => false,
    };
    if let (SignupOutcome::NeedsConfirmation { subscriber_id }, false) = (outcome, resent) {
        let expires = chrono::Utc::now().timestamp() + CONFIRM_DAYS * 86_400;
        let token = links::token(state.key(), Purpose::Confirm, LinkClaims { subscriber_id, list_id, expires });
        let link = format!("{}/c/{token}", state.config().public_url);
        let args = [
            ("list", Arg::from(list.name.as_str())),
            ("email", Arg::from(email.as_str())),
            ("days", Arg::from(CONFIRM_DAYS)),
            ("link", Arg::from(link)),
        ];
        let text = lang.t_with("mail-confirm-body", &args) + "\n";
        let subject = lang.t_with("mail-confirm-subject", &args);
        state
            .store()
            .enqueue_message(&NewMessage {
                kind: "confirmation",
                subscriber_id: Some(subscriber_id),
                to: email.as_str(),
                subject: &subject,
                text_body: &text,
            })
            .await?;
    }
    page(&state, StatusCode::OK, thanks).await
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(crate) async fn confirm_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    match links::verify(state.key(), Purpose::Confirm, &token, now()) {
        Ok(claims) => {
            let list = state.store().list(claims.list_id).await?.ok_or(AppError::NotFound)?;
            let lang = language_of(&list);
            // A button, not an action on GET: link scanners open links too.
            let mut notice = Notice::new(lang, "public-confirm", &[]);
            notice.message = lang.t_with("public-confirm-question", &[("list", list.name.as_str().into())]);
            notice.button = Some((format!("/c/{token}"), lang.t("public-confirm-button")));
            page(&state, StatusCode::OK, notice).await
        }
        Err(LinkError::Expired(claims)) => expired(&state, claims).await,
        Err(LinkError::Invalid) => invalid_link(&state, &headers).await,
    }
}

async fn expired(state: &AppState, claims: LinkClaims) -> Result<Response, AppError> {
    let list = state.store().list(claims.list_id).await?;
    let lang = list.as_ref().map(language_of).unwrap_or_default();
    let mut notice = Notice::new(lang, "public-expired", &[]);
    if list.is_some_and(|l| l.visibility == "public") {
        notice.link = Some((format!("/s/{}", claims.list_id), lang.t("public-sign-up-again")));
    }
    page(state, StatusCode::GONE, notice).await
}

pub(crate) async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let claims = match links::verify(state.key(), Purpose::Confirm, &token, now()) {
        Ok(claims) => claims,
        Err(LinkError::Expired(claims)) => return expired(&state, claims).await,
        Err(LinkError::Invalid) => return invalid_link(&state, &headers).await,
    };
    let list = state.store().list(claims.list_id).await?;
    let lang = list.as_ref().map(language_of).unwrap_or_else(|| crate::error::browser_language(&headers));
    let confirmed = state.store().confirm_subscription(claims.subscriber_id, claims.list_id).await?;
    let Some(list) = list.filter(|_| confirmed) else {
        return page(&state, StatusCode::CONFLICT, Notice::new(lang, "public-cannot-confirm", &[])).await;
    };
    let mut notice = Notice::new(lang, "public-confirmed", &[("list", list.name.as_str().into())]);
    notice.link = Some((profile_path(&state, claims.subscriber_id), lang.t("public-manage")));
    page(&state, StatusCode::OK, notice).await
}

fn profile_path(state: &AppState, subscriber_id: i64) -> String {
    let claims = LinkClaims { subscriber_id, list_id: 0, expires: 0 };
    format!("/p/{}", links::token(state.key(), Purpose::Profile, claims))
}

pub(crate) async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Ok(claims) = links::verify(state.key(), Purpose::Unsubscribe, &token, now()) else {
        return invalid_link(&state, &headers).await;
    };
    let (Some(subscriber), Some(list)) =
        (state.store().subscriber(claims.subscriber_id).await?, state.store().list(claims.list_id).await?)
    else {
        return invalid_link(&state, &headers).await;
    };
    let subscriptions = state.store().subscriptions(subscriber.id).await?;
    let left = subscriptions.iter().any(|s| s.list_id == list.id && s.status == SubscriptionStatus::Unsubscribed);
    let lang = language_of(&list);
    let args = [("list", Arg::from(list.name.as_str())), ("email", Arg::from(subscriber.email.as_str()))];
    let mut notice = if left {
        // Asking again would suggest the first time did not work.
        Notice::new(lang, "public-already", &args)
    } else {
        let mut notice = Notice::new(lang, "public-unsubscribe", &[]);
        notice.message = lang.t_with("public-subscribe-question", &args);
        notice.button = Some((format!("/u/{token}"), lang.t("public-unsubscribe-button")));
        notice.ask_reason = true;
        notice
    };
    notice.link = Some((profile_path(&state, claims.subscriber_id), lang.t("public-manage-all")));
    page(&state, StatusCode::OK, notice).await
}

/// The unsubscribe page's button and the RFC 8058 one-click POST that mail
/// providers send (`List-Unsubscribe=One-Click`): idempotent, immediate.
pub(crate) async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let Ok(claims) = links::verify(state.key(), Purpose::Unsubscribe, &token, now()) else {
        return invalid_link(&state, &headers).await;
    };
    match state.store().unsubscribe(claims.subscriber_id, claims.list_id).await {
        Ok(()) => {}
        Err(store::StoreError::NotFound(_)) => return invalid_link(&state, &headers).await,
        Err(e) => return Err(e.into()),
    }
    // The page's form may say why (the one-click POST of mail providers
    // does not); an unknown reason or unreadable form is simply not kept.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let reason = field_value(&pairs, "reason");
    if REASONS.contains(&reason.as_str()) {
        let detail: String = field_value(&pairs, "detail").chars().filter(|c| !c.is_control() || *c == '\n').collect();
        state.store().record_unsubscribe_reason(claims.subscriber_id, claims.list_id, &reason, &detail).await?;
    }
    tracing::info!(subscriber_id = claims.subscriber_id, list_id = claims.list_id, "unsubscribed");
    let list = state.store().list(claims.list_id).await?;
    let lang = list.as_ref().map(language_of).unwrap_or_else(|| crate::error::browser_language(&headers));
    let mut notice = Notice::new(lang, "public-unsubscribed", &[]);
    notice.link = Some((profile_path(&state, claims.subscriber_id), lang.t("public-manage")));
    page(&state, StatusCode::OK, notice).await
}

struct ListChoice {
    id: i64,
    name: String,
    description: String,
    subscribed: bool,
}

#[derive(Template)]
#[template(path = "public/profile.html")]
struct ProfilePage {
    voice: Voice,
    token: String,
    email: String,
    name: String,
    lists: Vec<ListChoice>,
    saved: Option<String>,
    error: Option<String>,
}

/// What the profile page says above its form.
enum ProfileNote {
    None,
    Saved,
    /// A link went to the new address.
    AddressSent(String),
    /// The new address was refused: why.
    AddressRefused(String),
    /// Unsubscribed from every list at once.
    LeftAll,
    /// The name was refused (the form keeps what was typed, controls aside).
    Refused {
        name: String,
    },
}

/// The profile page, in the language of the first list the subscriber is
/// on, else the browser's.
async fn profile(state: &AppState, token: &str, headers: &HeaderMap, note: ProfileNote) -> Result<Response, AppError> {
    let Ok(claims) = links::verify(state.key(), Purpose::Profile, token, now()) else {
        return invalid_link(state, headers).await;
    };
    let Some(subscriber) = state.store().subscriber(claims.subscriber_id).await? else {
        return invalid_link(state, headers).await;
    };
    let subscriptions = state.store().subscriptions(subscriber.id).await?;
    let all = state.store().lists().await?;
    let lang = subscriptions
        .iter()
        .find_map(|s| all.iter().find(|l| l.id == s.list_id))
        .map_or_else(|| crate::error::browser_language(headers), language_of);
    // Public lists, and private ones the subscriber is on.
    let lists = all
        .into_iter()
        .filter_map(|list| {
            let mine = subscriptions.iter().find(|s| s.list_id == list.id);
            (list.visibility == "public" || mine.is_some()).then(|| ListChoice {
                id: list.id,
                name: list.name,
                description: list.description,
                subscribed: mine.is_some_and(|s| s.status != SubscriptionStatus::Unsubscribed),
            })
        })
        .collect();
    let (status, name, saved, error) = match note {
        ProfileNote::None => (StatusCode::OK, subscriber.name, None, None),
        ProfileNote::Saved => (StatusCode::OK, subscriber.name, Some(lang.t("public-saved")), None),
        ProfileNote::LeftAll => (StatusCode::OK, subscriber.name, Some(lang.t("public-left-all")), None),
        ProfileNote::AddressSent(email) => (
            StatusCode::OK,
            subscriber.name,
            Some(lang.t_with("public-address-sent", &[("email", email.into())])),
            None,
        ),
        ProfileNote::AddressRefused(why) => (StatusCode::UNPROCESSABLE_ENTITY, subscriber.name, None, Some(why)),
        ProfileNote::Refused { name } => {
            (StatusCode::UNPROCESSABLE_ENTITY, name, None, Some(lang.t("public-profile-bad-name")))
        }
    };
    page(
        state,
        status,
        ProfilePage {
            voice: Voice { lang, sender: String::new() },
            token: token.to_string(),
            email: subscriber.email,
            name,
            lists,
            saved,
            error,
        },
    )
    .await
}

pub(crate) async fn profile_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    profile(&state, &token, &headers, ProfileNote::None).await
}

pub(crate) async fn save_profile(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let Ok(claims) = links::verify(state.key(), Purpose::Profile, &token, now()) else {
        return invalid_link(&state, &headers).await;
    };
    // Repeated `list` fields: serde_urlencoded reads them as pairs.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|e| AppError::BadRequest(crate::error::request_language().t1("err-form-incomplete", "error", e)))?;
    let name: String =
        pairs.iter().find(|(k, _)| k == "name").map(|(_, v)| v.trim().chars().take(200).collect()).unwrap_or_default();
    if domain::text::check_line(&name).is_err() {
        let refused = ProfileNote::Refused { name: name.replace(char::is_control, "") };
        return profile(&state, &token, &headers, refused).await;
    }
    // "Unsubscribe from everything" leaves every list the page showed.
    let everything = pairs.iter().any(|(k, v)| k == "everything" && v == "1");
    let checked: Vec<i64> = if everything {
        Vec::new()
    } else {
        pairs.iter().filter(|(k, _)| k == "list").filter_map(|(_, v)| v.parse().ok()).collect()
    };
    let shown: Vec<i64> = pairs.iter().filter(|(k, _)| k == "shown").filter_map(|(_, v)| v.parse().ok()).collect();
    let choices: Vec<(i64, bool)> = shown.iter().map(|id| (*id, checked.contains(id))).collect();
    // Only lists the page offered may change: public ones or the subscriber's own.
    let subscriptions = state.store().subscriptions(claims.subscriber_id).await?;
    let lists = state.store().lists().await?;
    let allowed = |id: &i64| {
        lists.iter().any(|l| l.id == *id && l.visibility == "public") || subscriptions.iter().any(|s| s.list_id == *id)
    };
    let choices: Vec<(i64, bool)> = choices.into_iter().filter(|(id, _)| allowed(id)).collect();
    match state.store().update_profile(claims.subscriber_id, &name, &choices).await {
        Ok(()) => {}
        Err(store::StoreError::NotFound(_)) => return invalid_link(&state, &headers).await,
        Err(e) => return Err(e.into()),
    }
    profile(&state, &token, &headers, if everything { ProfileNote::LeftAll } else { ProfileNote::Saved }).await
}

/// How long a change-of-address link works.
const ADDRESS_DAYS: i64 = 7;

#[derive(serde::Deserialize)]
pub(crate) struct AddressForm {
    #[serde(default)]
    email: String,
}

/// The profile page's change of address: a link goes to the new address,
/// and nothing changes until it is followed.
pub(crate) async fn request_address(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<AddressForm>,
) -> Result<Response, AppError> {
    let Ok(claims) = links::verify(state.key(), Purpose::Profile, &token, now()) else {
        return invalid_link(&state, &headers).await;
    };
    let Some(subscriber) = state.store().subscriber(claims.subscriber_id).await? else {
        return invalid_link(&state, &headers).await;
    };
    let lang = reader_language(&state, subscriber.id, &headers).await?;
    let new = match EmailAddress::parse(&form.email) {
        Ok(new) if new.as_str().eq_ignore_ascii_case(&subscriber.email) => {
            return profile(&state, &token, &headers, ProfileNote::AddressRefused(lang.t("public-address-same"))).await;
        }
        Ok(new) => new,
        Err(e) => {
            let why = lang.t_with("public-address-bad", &[("reason", e.to_string().into())]);
            return profile(&state, &token, &headers, ProfileNote::AddressRefused(why)).await;
        }
    };
    // The same answer whether or not the address is known or suppressed:
    // the link is only sent where mail may go.
    if !state.store().is_suppressed(&new).await? {
        let change = state.store().request_address_change(subscriber.id, &new).await?;
        let expires = now() + ADDRESS_DAYS * 86_400;
        let claims = LinkClaims { subscriber_id: subscriber.id, list_id: change, expires };
        let link = format!("{}/a/{}", state.config().public_url, links::token(state.key(), Purpose::Address, claims));
        let args = [
            ("old", Arg::from(subscriber.email.as_str())),
            ("new", Arg::from(new.as_str())),
            ("days", Arg::from(ADDRESS_DAYS)),
            ("link", Arg::from(link)),
        ];
        let message = NewMessage {
            kind: "address-confirmation",
            subscriber_id: Some(subscriber.id),
            to: new.as_str(),
            subject: &lang.t_with("mail-address-subject", &args),
            text_body: &(lang.t_with("mail-address-body", &args) + "\n"),
        };
        state.store().enqueue_message(&message).await?;
    }
    profile(&state, &token, &headers, ProfileNote::AddressSent(new.as_str().to_owned())).await
}

/// The language a reader reads: their first list's, else the browser's.
async fn reader_language(state: &AppState, subscriber_id: i64, headers: &HeaderMap) -> Result<Language, AppError> {
    let subscriptions = state.store().subscriptions(subscriber_id).await?;
    let first = match subscriptions.first() {
        Some(s) => state.store().list(s.list_id).await?,
        None => None,
    };
    Ok(first.as_ref().map_or_else(|| crate::error::browser_language(headers), language_of))
}

/// A change-of-address link: a button, not an action on GET (link scanners
/// open links too).
pub(crate) async fn address_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let claims = match links::verify(state.key(), Purpose::Address, &token, now()) {
        Ok(claims) => claims,
        Err(_) => return invalid_link(&state, &headers).await,
    };
    let lang = reader_language(&state, claims.subscriber_id, &headers).await?;
    let (subscriber, new) = (
        state.store().subscriber(claims.subscriber_id).await?,
        state.store().pending_address_change(claims.list_id, claims.subscriber_id).await?,
    );
    let (Some(subscriber), Some(new)) = (subscriber, new) else {
        return page(&state, StatusCode::GONE, Notice::new(lang, "public-address-used", &[])).await;
    };
    let args = [("old", Arg::from(subscriber.email.as_str())), ("new", Arg::from(new.as_str()))];
    let mut notice = Notice::new(lang, "public-address-confirm", &args);
    notice.button = Some((format!("/a/{token}"), lang.t("public-address-confirm-button")));
    page(&state, StatusCode::OK, notice).await
}

/// Makes the change, once; the old address is told.
pub(crate) async fn change_address(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let claims = match links::verify(state.key(), Purpose::Address, &token, now()) {
        Ok(claims) => claims,
        Err(_) => return invalid_link(&state, &headers).await,
    };
    let lang = reader_language(&state, claims.subscriber_id, &headers).await?;
    match state.store().apply_address_change(claims.list_id, claims.subscriber_id).await? {
        store::AddressChange::Made { old, new } => {
            tracing::info!(subscriber_id = claims.subscriber_id, "address changed");
            let args = [("old", Arg::from(old.as_str())), ("new", Arg::from(new.as_str()))];
            let told = NewMessage {
                kind: "address-changed",
                subscriber_id: Some(claims.subscriber_id),
                to: &old,
                subject: &lang.t("mail-address-changed-subject"),
                text_body: &(lang.t_with("mail-address-changed-body", &args) + "\n"),
            };
            state.store().enqueue_message(&told).await?;
            let mut notice = Notice::new(lang, "public-address-done", &args);
            notice.link = Some((profile_path(&state, claims.subscriber_id), lang.t("public-manage")));
            page(&state, StatusCode::OK, notice).await
        }
        store::AddressChange::Used => {
            page(&state, StatusCode::GONE, Notice::new(lang, "public-address-used", &[])).await
        }
        store::AddressChange::Taken => {
            let new = state.store().pending_address_change(claims.list_id, claims.subscriber_id).await?;
            let args = [("new", Arg::from(new.unwrap_or_default()))];
            page(&state, StatusCode::CONFLICT, Notice::new(lang, "public-address-taken", &args)).await
        }
    }
}
