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
}

#[derive(Template)]
#[template(path = "public/signup.html")]
struct SignupPage {
    sender: String,
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
        let (list_id, list_name, description) = (list.id, list.name, list.description);
        Self { sender: String::new(), list_id, list_name, description, email, name, fields, error }
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
    sender: String,
    title: String,
    message: String,
    button: Option<(String, String)>,
    link: Option<(String, String)>,
}

impl Notice {
    fn new(title: impl Into<String>, message: impl Into<String>) -> Self {
        Self { sender: String::new(), title: title.into(), message: message.into(), button: None, link: None }
    }
}

/// A page subscribers see: it carries the sender's name, not ninsho's.
trait PublicPage: Template {
    fn set_sender(&mut self, sender: String);
}

macro_rules! public_page {
    ($($page:ty),*) => {$(
        impl PublicPage for $page {
            fn set_sender(&mut self, sender: String) {
                self.sender = sender;
            }
        }
    )*};
}
public_page!(SignupPage, Notice, ProfilePage);

async fn page(state: &AppState, status: StatusCode, mut template: impl PublicPage) -> Result<Response, AppError> {
    template.set_sender(state.store().sender_settings().await?.organization);
    Ok((status, Html(template.render()?)).into_response())
}

async fn invalid_link(state: &AppState) -> Result<Response, AppError> {
    let notice =
        Notice::new("This link is not valid", "It may have been copied incompletely. Open it again from the email.");
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
        let notice =
            Notice::new("Too many signups", "Too many signups came from your network. Try again in a few minutes.");
        return page(&state, StatusCode::TOO_MANY_REQUESTS, notice).await;
    }
    let double = list.optin == "double";
    let thanks = if double {
        Notice::new(
            "Almost done",
            format!("Check your inbox: we sent a link to confirm your subscription to {}.", list.name),
        )
    } else {
        // The same words whether or not the address had unsubscribed before
        // (then a confirmation link was sent instead).
        Notice::new(
            "Thank you",
            format!(
                "Thank you for subscribing to {}. If this address had unsubscribed before, \
                 confirm with the link we just sent.",
                list.name
            ),
        )
    };
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
    let unfit =
        domain::text::check_line(&name).map_err(|e| format!("Your name {e}: remove it and send the form again."));
    let unfit = unfit.and_then(|()| {
        list.signup_fields.0.iter().try_for_each(|field| match attributes.get(&field.key) {
            Some(serde_json::Value::String(value)) => domain::text::check_text(value)
                .map_err(|e| format!("{} {e}: remove it and send the form again.", field.label)),
            _ => Ok(()),
        })
    });
    let error = match (&email, &missing, unfit) {
        (Err(e), _, _) => Some(format!("This email address is not valid: {e}.")),
        (Ok(_), Some(label), _) => Some(format!("Please fill in {label}.")),
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
        let text = format!(
            "Hello,\n\nsomeone, hopefully you, asked to subscribe {email} to {list}.\n\n\
             Confirm the subscription by opening this link within {CONFIRM_DAYS} days:\n\n{link}\n\n\
             If it was not you, ignore this message: you will not be subscribed.\n",
            list = list.name
        );
        let subject = format!("Confirm your subscription to {}", list.name);
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
) -> Result<Response, AppError> {
    match links::verify(state.key(), Purpose::Confirm, &token, now()) {
        Ok(claims) => {
            let list = state.store().list(claims.list_id).await?.ok_or(AppError::NotFound)?;
            // A button, not an action on GET: link scanners open links too.
            let mut notice = Notice::new("Confirm your subscription", format!("Subscribe to {}?", list.name));
            notice.button = Some((format!("/c/{token}"), "Yes, subscribe me".into()));
            page(&state, StatusCode::OK, notice).await
        }
        Err(LinkError::Expired(claims)) => expired(&state, claims).await,
        Err(LinkError::Invalid) => invalid_link(&state).await,
    }
}

async fn expired(state: &AppState, claims: LinkClaims) -> Result<Response, AppError> {
    let mut notice =
        Notice::new("This link has expired", "Confirmation links work for 7 days. Sign up again to get a new one.");
    if state.store().list(claims.list_id).await?.is_some_and(|l| l.visibility == "public") {
        notice.link = Some((format!("/s/{}", claims.list_id), "Sign up again".into()));
    }
    page(state, StatusCode::GONE, notice).await
}

pub(crate) async fn confirm(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, AppError> {
    let claims = match links::verify(state.key(), Purpose::Confirm, &token, now()) {
        Ok(claims) => claims,
        Err(LinkError::Expired(claims)) => return expired(&state, claims).await,
        Err(LinkError::Invalid) => return invalid_link(&state).await,
    };
    if !state.store().confirm_subscription(claims.subscriber_id, claims.list_id).await? {
        let notice = Notice::new(
            "This subscription cannot be confirmed",
            "The address or the newsletter no longer receives mail from us.",
        );
        return page(&state, StatusCode::CONFLICT, notice).await;
    }
    let list = state.store().list(claims.list_id).await?.ok_or(AppError::NotFound)?;
    let mut notice = Notice::new("Subscription confirmed", format!("You are subscribed to {}. Thank you!", list.name));
    notice.link = Some((profile_path(&state, claims.subscriber_id), "Manage your subscriptions".into()));
    page(&state, StatusCode::OK, notice).await
}

fn profile_path(state: &AppState, subscriber_id: i64) -> String {
    let claims = LinkClaims { subscriber_id, list_id: 0, expires: 0 };
    format!("/p/{}", links::token(state.key(), Purpose::Profile, claims))
}

pub(crate) async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let Ok(claims) = links::verify(state.key(), Purpose::Unsubscribe, &token, now()) else {
        return invalid_link(&state).await;
    };
    let (Some(subscriber), Some(list)) =
        (state.store().subscriber(claims.subscriber_id).await?, state.store().list(claims.list_id).await?)
    else {
        return invalid_link(&state).await;
    };
    let subscriptions = state.store().subscriptions(subscriber.id).await?;
    let left = subscriptions.iter().any(|s| s.list_id == list.id && s.status == SubscriptionStatus::Unsubscribed);
    let mut notice = if left {
        // Asking again would suggest the first time did not work.
        Notice::new(
            "You are already unsubscribed",
            format!("{} no longer receives {}. There is nothing more to do.", subscriber.email, list.name),
        )
    } else {
        let mut notice = Notice::new("Unsubscribe", format!("Stop sending {} to {}?", list.name, subscriber.email));
        notice.button = Some((format!("/u/{token}"), "Unsubscribe".into()));
        notice
    };
    notice.link = Some((profile_path(&state, claims.subscriber_id), "Manage all your subscriptions".into()));
    page(&state, StatusCode::OK, notice).await
}

/// The unsubscribe page's button and the RFC 8058 one-click POST that mail
/// providers send (`List-Unsubscribe=One-Click`): idempotent, immediate.
pub(crate) async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let Ok(claims) = links::verify(state.key(), Purpose::Unsubscribe, &token, now()) else {
        return invalid_link(&state).await;
    };
    match state.store().unsubscribe(claims.subscriber_id, claims.list_id).await {
        Ok(()) => {}
        Err(store::StoreError::NotFound(_)) => return invalid_link(&state).await,
        Err(e) => return Err(e.into()),
    }
    tracing::info!(subscriber_id = claims.subscriber_id, list_id = claims.list_id, "unsubscribed");
    let mut notice = Notice::new("You are unsubscribed", "You will not receive this newsletter any more.");
    notice.link = Some((profile_path(&state, claims.subscriber_id), "Manage your subscriptions".into()));
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
    sender: String,
    token: String,
    email: String,
    name: String,
    lists: Vec<ListChoice>,
    saved: Option<&'static str>,
    error: Option<String>,
}

/// What the profile page says above its form.
enum ProfileNote {
    None,
    Saved,
    /// Unsubscribed from every list at once.
    LeftAll,
    /// The change was refused: why (the form keeps what was typed).
    Refused {
        name: String,
        error: String,
    },
}

async fn profile(state: &AppState, token: &str, note: ProfileNote) -> Result<Response, AppError> {
    let Ok(claims) = links::verify(state.key(), Purpose::Profile, token, now()) else {
        return invalid_link(state).await;
    };
    let Some(subscriber) = state.store().subscriber(claims.subscriber_id).await? else {
        return invalid_link(state).await;
    };
    let subscriptions = state.store().subscriptions(subscriber.id).await?;
    // Public lists, and private ones the subscriber is on.
    let lists = state
        .store()
        .lists()
        .await?
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
        ProfileNote::Saved => (StatusCode::OK, subscriber.name, Some("Your changes are saved."), None),
        ProfileNote::LeftAll => {
            (StatusCode::OK, subscriber.name, Some("You are unsubscribed from every newsletter."), None)
        }
        ProfileNote::Refused { name, error } => (StatusCode::UNPROCESSABLE_ENTITY, name, None, Some(error)),
    };
    page(
        state,
        status,
        ProfilePage {
            sender: String::new(),
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
) -> Result<Response, AppError> {
    profile(&state, &token, ProfileNote::None).await
}

pub(crate) async fn save_profile(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let Ok(claims) = links::verify(state.key(), Purpose::Profile, &token, now()) else {
        return invalid_link(&state).await;
    };
    // Repeated `list` fields: serde_urlencoded reads them as pairs.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|e| AppError::BadRequest(format!("The form is incomplete: {e}")))?;
    let name: String =
        pairs.iter().find(|(k, _)| k == "name").map(|(_, v)| v.trim().chars().take(200).collect()).unwrap_or_default();
    if let Err(e) = domain::text::check_line(&name) {
        let error = format!("Your name {e}: remove it and save again.");
        return profile(&state, &token, ProfileNote::Refused { name: name.replace(char::is_control, ""), error }).await;
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
        Err(store::StoreError::NotFound(_)) => return invalid_link(&state).await,
        Err(e) => return Err(e.into()),
    }
    profile(&state, &token, if everything { ProfileNote::LeftAll } else { ProfileNote::Saved }).await
}
