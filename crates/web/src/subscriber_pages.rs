//! Dashboard pages of subscribers: search by email or name with actions on
//! many at once, adding one by hand, and one subscriber's page (edit name,
//! attributes, status and lists; the mail they got and what they did;
//! export and erasure).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use domain::{EmailAddress, SubscriberStatus, SubscriptionStatus};
use serde::Deserialize;
use serde_json::{Map, Value};
use store::{BulkAction, Chosen, NewSubscriber, OutboundMessage, SubscriberQuery};

use crate::auth::AdminUser;
use crate::campaign_pages::urlencode;
use crate::csrf::CsrfForm;
use crate::error::{Invalid, email_fault, text_fault};
use crate::pages::{Frame, render};
use crate::{AppError, AppState};

const PAGE_SIZE: i64 = 50;
/// Empty attribute rows the forms offer for new keys.
const NEW_ATTRIBUTE_ROWS: usize = 3;

#[derive(Deserialize, Default)]
pub(crate) struct Search {
    /// Part of the email or the name.
    #[serde(default)]
    q: String,
    #[serde(default)]
    list_id: String,
    #[serde(default)]
    status: String,
    before: Option<i64>,
    notice: Option<String>,
}

impl Search {
    fn query(&self) -> SubscriberQuery {
        SubscriberQuery {
            email_contains: None,
            text_contains: Some(self.q.trim().to_owned()).filter(|q| !q.is_empty()),
            attributes: None,
            list_id: self.list_id.parse().ok(),
            status: SubscriberStatus::parse(&self.status),
            before_id: self.before,
            limit: PAGE_SIZE,
        }
    }

    /// The search's own query string (without the page), for links.
    fn params(&self) -> String {
        let params = [("q", &self.q), ("list_id", &self.list_id), ("status", &self.status)];
        serde_urlencoded::to_string(params).unwrap_or_default()
    }

    fn is_empty(&self) -> bool {
        self.q.trim().is_empty() && self.list_id.is_empty() && self.status.is_empty()
    }
}

#[derive(Template)]
#[template(path = "subscribers.html")]
struct SubscribersPage {
    frame: Frame,
    total: i64,
    search: Search,
    /// (id, name, selected)
    lists: Vec<(i64, String, bool)>,
    /// (word, selected)
    statuses: Vec<(&'static str, bool)>,
    rows: Vec<store::Subscriber>,
    next: Option<String>,
    error: Option<String>,
}

/// Subscribers, searchable by email or name, 50 a page with keyset
/// pagination (page 10,000 costs what page 1 costs).
pub(crate) async fn subscribers(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Query(search): Query<Search>,
) -> Result<Response, AppError> {
    subscribers_page(&state, jar, admin, StatusCode::OK, search, None).await
}

async fn subscribers_page(
    state: &AppState,
    jar: CookieJar,
    admin: AdminUser,
    status: StatusCode,
    search: Search,
    error: Option<String>,
) -> Result<Response, AppError> {
    let query = search.query();
    let (rows, next_before) = state.store().subscribers(&query).await?;
    let next = next_before.map(|before| format!("/subscribers?{}&before={before}", search.params()));
    let (jar, frame) = Frame::issue(state, jar, &admin);
    let page = SubscribersPage {
        frame,
        total: state.store().subscriber_count().await?,
        lists: state.store().lists().await?.into_iter().map(|l| (l.id, l.name, Some(l.id) == query.list_id)).collect(),
        statuses: SubscriberStatus::ALL.iter().map(|s| (s.as_str(), Some(*s) == query.status)).collect(),
        search,
        rows,
        next,
        error,
    };
    render(status, jar, page)
}

/// Acts on the chosen subscribers, or on everyone the search matches.
pub(crate) async fn bulk(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let lang = admin.language;
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
    let search = Search { q: get("q"), list_id: get("list_id"), status: get("status"), ..Search::default() };
    let ids: Vec<i64> = pairs.iter().filter(|(k, _)| k == "id").filter_map(|(_, v)| v.parse().ok()).collect();
    let action = match bulk_action(&state, lang, &get("action"), &get("target_list")).await? {
        Ok(action) => action,
        Err(error) => {
            return subscribers_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, search, Some(error.into()))
                .await;
        }
    };
    let query = SubscriberQuery { before_id: None, ..search.query() };
    let chosen = match get("scope").as_str() {
        "matching" if search.is_empty() => {
            let error = lang.t("subscriber-bulk-search-first");
            return subscribers_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, search, Some(error)).await;
        }
        "matching" => Chosen::Matching(&query),
        _ if ids.is_empty() => {
            let error = lang.t("subscriber-bulk-tick");
            return subscribers_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, search, Some(error)).await;
        }
        _ => Chosen::Ids(&ids),
    };
    let changed = state.store().bulk_subscribers(&chosen, action).await?;
    let done = match action {
        BulkAction::AddToList(_) => "subscriber-bulk-added",
        BulkAction::RemoveFromList(_) => "subscriber-bulk-removed",
        BulkAction::Blocklist => "subscriber-bulk-blocklisted",
        BulkAction::Delete => "subscriber-bulk-deleted",
    };
    let notice = lang.tn(done, changed);
    Ok(Redirect::to(&format!("/subscribers?{}&notice={}", search.params(), urlencode(&notice))).into_response())
}

/// The action a bulk form names, with its list checked.
async fn bulk_action(
    state: &AppState,
    lang: i18n::Language,
    word: &str,
    list: &str,
) -> Result<Result<BulkAction, Invalid>, AppError> {
    let list = match list.parse::<i64>() {
        Ok(id) if state.store().list(id).await?.is_some() => Some(id),
        _ => None,
    };
    Ok(match (word, list) {
        ("add_to_list", Some(list)) => Ok(BulkAction::AddToList(list)),
        ("remove_from_list", Some(list)) => Ok(BulkAction::RemoveFromList(list)),
        ("add_to_list" | "remove_from_list", None) => Err(lang.t("subscriber-bulk-choose-list").into()),
        ("blocklist", _) => Ok(BulkAction::Blocklist),
        ("delete", _) => Ok(BulkAction::Delete),
        _ => Err(lang.t("subscriber-bulk-choose-action").into()),
    })
}

/// One attribute of the edit form: its key, its value as typed, and
/// whether the value is JSON (a number, a list …) rather than text.
struct AttributeRow {
    key: String,
    value: String,
    json: bool,
}

fn attribute_rows(attributes: &Value) -> Vec<AttributeRow> {
    let mut rows: Vec<AttributeRow> = attributes
        .as_object()
        .into_iter()
        .flatten()
        .map(|(key, value)| match value {
            Value::String(text) => AttributeRow { key: key.clone(), value: text.clone(), json: false },
            other => AttributeRow { key: key.clone(), value: other.to_string(), json: true },
        })
        .collect();
    rows.extend((0..NEW_ATTRIBUTE_ROWS).map(|_| AttributeRow {
        key: String::new(),
        value: String::new(),
        json: false,
    }));
    rows
}

/// The attributes of an edit form (`attr_key`, `attr_value`, `attr_json`
/// repeated in order): text stays text; a value marked JSON must be JSON.
fn read_attributes(pairs: &[(String, String)], lang: i18n::Language) -> Result<Value, Invalid> {
    let mut map = Map::new();
    for ((key, value), json) in every(pairs, "attr_key").zip(every(pairs, "attr_value")).zip(every(pairs, "attr_json"))
    {
        let key = key.trim();
        if key.is_empty() {
            continue;
        }
        let value = if json == "1" {
            serde_json::from_str(value).map_err(|_| {
                Invalid::from(lang.t2(
                    "subscriber-attribute-not-json",
                    "key",
                    format!("{key:?}"),
                    "value",
                    format!("{value:?}"),
                ))
            })?
        } else {
            Value::String(value.to_owned())
        };
        if map.insert(key.to_owned(), value).is_some() {
            return Err(lang.t1("subscriber-attribute-twice", "key", format!("{key:?}")).into());
        }
    }
    let attributes = Value::Object(map);
    audience::check_attributes(&attributes).map_err(|e| {
        let key = if e.in_name { "subscriber-attribute-name-fault" } else { "subscriber-attribute-value-fault" };
        Invalid::from(lang.t2(key, "path", format!("{:?}", e.path), "fault", text_fault(lang, &e.fault)))
    })?;
    Ok(attributes)
}

/// The attribute rows of a refused form, as typed.
fn typed_rows(pairs: &[(String, String)]) -> Vec<AttributeRow> {
    let rows = every(pairs, "attr_key").zip(every(pairs, "attr_value")).zip(every(pairs, "attr_json"));
    rows.map(|((key, value), json)| AttributeRow { key: key.to_owned(), value: value.to_owned(), json: json == "1" })
        .collect()
}

/// Every value of a repeated form field, in order.
fn every<'a>(pairs: &'a [(String, String)], name: &'static str) -> impl Iterator<Item = &'a str> {
    pairs.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A name as typed: one line of at most 200 characters.
fn read_name(name: &str, lang: i18n::Language) -> Result<String, Invalid> {
    let name = name.trim();
    domain::text::check_line(name)
        .map_err(|e| Invalid::from(lang.t1("subscriber-name-fault", "fault", text_fault(lang, &e))))?;
    if name.chars().count() > 200 {
        return Err(lang.t("subscriber-name-too-long").into());
    }
    Ok(name.to_owned())
}

#[derive(Template)]
#[template(path = "subscriber_new.html")]
struct NewSubscriberPage {
    frame: Frame,
    email: String,
    name: String,
    attributes: Vec<AttributeRow>,
    /// (id, name, ticked)
    lists: Vec<(i64, String, bool)>,
    error: Option<String>,
}

pub(crate) async fn new_subscriber(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    let lists = state.store().lists().await?.into_iter().map(|l| (l.id, l.name, false)).collect();
    let attributes = attribute_rows(&Value::Object(Map::new()));
    let page = NewSubscriberPage { frame, email: String::new(), name: String::new(), attributes, lists, error: None };
    render(StatusCode::OK, jar, page)
}

/// Adds one subscriber by hand, confirmed on the lists ticked: the admin
/// who adds them answers for their consent, which the record names.
pub(crate) async fn create_subscriber(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or_default();
    let ticked: Vec<i64> = pairs.iter().filter(|(k, _)| k == "list").filter_map(|(_, v)| v.parse().ok()).collect();
    let lang = admin.language;
    let checked = async {
        let email = EmailAddress::parse(get("email"))
            .map_err(|e| Invalid::from(lang.t1("subscriber-bad-email", "reason", email_fault(lang, &e))))?;
        if state.store().is_suppressed(&email).await.unwrap_or(false) {
            return Err(Invalid::from(lang.t("subscriber-suppressed")));
        }
        if state.store().subscriber_by_email(&email).await.ok().flatten().is_some() {
            return Err(Invalid::from(lang.t1("subscriber-exists", "email", &email)));
        }
        Ok((email, read_name(get("name"), lang)?, read_attributes(&pairs, lang)?))
    };
    let error = match checked.await {
        Ok((email, name, attributes)) => {
            let source = format!("dashboard:{}", admin.email);
            let new = NewSubscriber {
                email: &email,
                name: &name,
                attributes: &attributes,
                status: SubscriberStatus::Active,
                consent_source: &source,
                consent_ip: None,
                consent_user_agent: None,
            };
            let id = state.store().create_subscriber(&new).await?.id;
            for list in &ticked {
                state.store().set_subscription(id, *list, SubscriptionStatus::Confirmed).await?;
            }
            let notice = urlencode(&lang.t("subscriber-added"));
            return Ok(Redirect::to(&format!("/subscribers/{id}?notice={notice}")).into_response());
        }
        Err(error) => error,
    };
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    let lists = state.store().lists().await?.into_iter().map(|l| (l.id, l.name, ticked.contains(&l.id))).collect();
    let attributes = typed_rows(&pairs);
    let page = NewSubscriberPage {
        frame,
        email: get("email").to_owned(),
        name: get("name").to_owned(),
        attributes,
        lists,
        error: Some(error.into()),
    };
    render(StatusCode::UNPROCESSABLE_ENTITY, jar, page)
}

#[derive(Template)]
#[template(path = "subscriber.html")]
struct SubscriberPage {
    frame: Frame,
    s: store::Subscriber,
    consent_ip: Option<String>,
    attributes: Vec<AttributeRow>,
    statuses: Vec<&'static str>,
    subscriptions: Vec<store::Subscription>,
    /// Lists they are not on, to add them to.
    other_lists: Vec<store::List>,
    messages: Vec<OutboundMessage>,
    activity: Vec<store::ActivityRow>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct NoticeQuery {
    notice: Option<String>,
}

pub(crate) async fn subscriber(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path(id): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let notice = query.notice.map(|n| n.chars().take(200).collect());
    subscriber_page(&state, jar, admin, id, StatusCode::OK, notice, None).await
}

/// What the edit form held when it was refused: shown again to fix.
struct Typed<'a> {
    pairs: &'a [(String, String)],
    error: Invalid,
}

async fn subscriber_page(
    state: &AppState,
    jar: CookieJar,
    admin: AdminUser,
    id: i64,
    status: StatusCode,
    notice: Option<String>,
    typed: Option<Typed<'_>>,
) -> Result<Response, AppError> {
    let lang = admin.language;
    let mut s = state.store().subscriber(id).await?.ok_or(AppError::NotFound)?;
    let mut attributes = attribute_rows(&s.attributes);
    let mut error = None;
    if let Some(typed) = typed {
        let get = |key: &str| typed.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        s.name = get("name").unwrap_or_default();
        if let Some(chosen) = get("status").as_deref().and_then(SubscriberStatus::parse) {
            s.status = chosen;
        }
        attributes = typed_rows(typed.pairs);
        error = Some(typed.error.into());
    }
    let subscriptions = state.store().subscriptions(id).await?;
    let other_lists =
        state.store().lists().await?.into_iter().filter(|l| !subscriptions.iter().any(|x| x.list_id == l.id)).collect();
    let (jar, frame) = Frame::issue(state, jar, &admin);
    let page = SubscriberPage {
        frame,
        consent_ip: s.consent_ip.map(|ip| ip.addr().to_string()),
        attributes,
        statuses: SubscriberStatus::ALL.iter().map(|s| s.as_str()).collect(),
        subscriptions,
        other_lists,
        // Campaign copies are in the history (the sandbox keeps them here too).
        messages: state.store().subscriber_messages(id).await?.into_iter().filter(|m| m.kind != "campaign").collect(),
        activity: state
            .store()
            .subscriber_activity(id, 200)
            .await?
            .into_iter()
            .map(|a| activity_row(lang, a))
            .collect(),
        notice,
        error,
        s,
    };
    render(status, jar, page)
}

/// A line of the history with its words in `lang`: a list's line shows
/// the subscription's state, an event by a machine says so.
fn activity_row(lang: i18n::Language, mut a: store::ActivityRow) -> store::ActivityRow {
    if a.campaign_id.is_none() && a.what == "subscribed" {
        a.detail = lang.tk("subscriber-list-status", &a.detail);
    } else if let Some(rest) = a.detail.strip_suffix("(machine)") {
        a.detail = format!("{rest}{}", lang.t("subscriber-activity-machine"));
    }
    a
}

/// Saves name, status and attributes from the subscriber's page.
pub(crate) async fn update_subscriber(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path(id): Path<i64>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or_default();
    let lang = admin.language;
    let read = || -> Result<_, Invalid> {
        let status =
            SubscriberStatus::parse(get("status")).ok_or_else(|| Invalid::from(lang.t("subscriber-choose-status")))?;
        Ok((read_name(get("name"), lang)?, read_attributes(&pairs, lang)?, status))
    };
    match read() {
        Ok((name, attributes, status)) => {
            state.store().update_subscriber(id, Some(&name), Some(&attributes), Some(status)).await?;
            let notice = urlencode(&lang.t("common-saved"));
            Ok(Redirect::to(&format!("/subscribers/{id}?notice={notice}")).into_response())
        }
        Err(error) => {
            let typed = Some(Typed { pairs: &pairs, error });
            subscriber_page(&state, jar, admin, id, StatusCode::UNPROCESSABLE_ENTITY, None, typed).await
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct ListForm {
    #[serde(default)]
    list_id: String,
    /// "add" or "remove".
    #[serde(default)]
    change: String,
}

/// Adds the subscriber to a list (confirmed) or takes them off one.
pub(crate) async fn change_list(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<ListForm>,
) -> Result<Response, AppError> {
    let lang = admin.language;
    let list: i64 = form.list_id.parse().map_err(|_| AppError::BadRequest(lang.t("subscriber-choose-list")))?;
    let notice = match form.change.as_str() {
        "add" => {
            state.store().set_subscription(id, list, SubscriptionStatus::Confirmed).await?;
            lang.t("subscriber-added-to-list")
        }
        "remove" => {
            state.store().remove_subscription(id, list).await?;
            lang.t("subscriber-removed-from-list")
        }
        _ => return Err(AppError::BadRequest(lang.t("subscriber-add-or-remove"))),
    };
    Ok(Redirect::to(&format!("/subscribers/{id}?notice={}", urlencode(&notice))).into_response())
}

pub(crate) async fn export_subscriber(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let data = crate::api::privacy::subscriber_data(&state, id).await.map_err(|_| AppError::NotFound)?;
    let disposition = format!("attachment; filename=\"subscriber-{id}.json\"");
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/json".to_string()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        serde_json::to_string_pretty(&data).map_err(AppError::internal)?,
    )
        .into_response())
}

pub(crate) async fn erase_subscriber(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<crate::pages::EmptyForm>,
) -> Result<Response, AppError> {
    state.store().erase_subscriber(id).await?;
    tracing::info!(subscriber_id = id, admin_id = admin.id, "subscriber erased");
    Ok(Redirect::to("/subscribers").into_response())
}
