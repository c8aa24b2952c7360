//! `/api/v1/tx`: transactional mail. An application sends a stored
//! template (or its own subject and body) to one or many recipients, each
//! rendered with their own data, optionally with files; every message is
//! queued ahead of bulk, signed with its From domain's key and delivered,
//! retried and bounced like campaign mail. A call with an `Idempotency-Key`
//! is carried out once however often it is retried; a token has limits per
//! minute and per day.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use store::{Idempotency, LogId, TxQueued, TxTemplate, TxTemplateFields};

use super::{ApiErrorBody, ApiJson};
use crate::auth::ApiUser;
use crate::error::{AppResult, request_language};
use crate::transactional::{self as tx, FileInput, Source, To};
use crate::{AppError, AppState};

/// One recipient of a call.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecipientInput {
    email: String,
    #[serde(default)]
    name: String,
    /// What their copy is rendered with (`{{ data.order }}`), over the
    /// call's shared `data`.
    #[serde(default)]
    #[schema(value_type = Object)]
    data: Option<Value>,
}

/// A transactional send.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SendInput {
    /// A stored template's name or id; or give `subject` and `body`.
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    body: Option<String>,
    /// `markdown` (the default) or `html`.
    #[serde(default)]
    body_format: Option<String>,
    #[serde(default)]
    text_body: Option<String>,
    /// `en` (the default) or `ja`: the built-in layout's language.
    #[serde(default)]
    language: Option<String>,
    /// The From address (a template's own when absent).
    #[serde(default)]
    from_address: Option<String>,
    #[serde(default)]
    from_name: Option<String>,
    #[serde(default)]
    reply_to: Option<String>,
    /// 1 to 1,000 recipients, each rendered with their own data.
    recipients: Vec<RecipientInput>,
    /// Data every recipient's copy sees, under their own.
    #[serde(default)]
    #[schema(value_type = Object)]
    data: Option<Value>,
    /// Headers to add (`X-Order`, or `List-Unsubscribe` for mail that
    /// wants one); headers ninsho writes itself are refused.
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// Up to 10 files, 10 MB together.
    #[serde(default)]
    attachments: Vec<FileInput>,
}

/// What became of one recipient.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SentView {
    email: String,
    /// `queued`, `suppressed` (a bounce, complaint or operator stopped this
    /// address) or `refused` (see `error`).
    status: String,
    /// The message's id in the log and the status endpoint (`m123`).
    id: Option<String>,
    /// The Message-ID header, without angle brackets.
    message_id: Option<String>,
    error: Option<String>,
}

/// The answer to a send.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SendView {
    messages: Vec<SentView>,
}

/// Send transactional mail. Idempotent with an `Idempotency-Key` header:
/// a retry of the same call gets the first answer and sends nothing; the
/// same key with another body is refused (409). 429 with `Retry-After`
/// when the token's limit per minute or per day would be passed.
#[utoipa::path(post, path = "/tx", tag = "transactional", request_body = SendInput, params(("Idempotency-Key" = Option<String>, Header, description = "makes a retried call safe")), responses((status = 202, body = SendView), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 429, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn send(
    user: ApiUser,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let lang = request_language();
    let input: SendInput = serde_json::from_slice(&body).map_err(|e| {
        let message = e.to_string();
        let field = message.split('`').nth(1).unwrap_or("body").to_owned();
        AppError::Unreadable { status: StatusCode::UNPROCESSABLE_ENTITY, message, field }
    })?;
    let idempotency = match headers.get("idempotency-key").map(|v| v.to_str().map(str::trim)) {
        None => None,
        Some(Ok(key)) if !key.is_empty() && key.len() <= 255 => {
            Some(Idempotency { key: key.to_owned(), request_hash: Sha256::digest(&body).to_vec() })
        }
        Some(_) => return Err(AppError::field("Idempotency-Key", lang.t("err-tx-idempotency-key"))),
    };
    // A retry of a call already carried out is answered before any work.
    if let Some(key) = &idempotency
        && let Some((hash, answer)) = state.store().tx_answered(user.id, &key.key).await?
    {
        if hash != key.request_hash {
            return Err(AppError::Conflict(lang.t("err-tx-key-reused")));
        }
        return Ok((StatusCode::ACCEPTED, Json(answer)).into_response());
    }
    if input.recipients.is_empty() || input.recipients.len() > tx::MAX_RECIPIENTS {
        return Err(AppError::field("recipients", lang.t1("err-tx-recipients", "max", tx::MAX_RECIPIENTS)));
    }
    let stored = match &input.template {
        Some(key) => {
            Some(state.store().tx_template(key).await?.ok_or_else(|| AppError::not_found("transactional template"))?)
        }
        None => None,
    };
    let inline;
    let source = match &stored {
        Some(t) => Source::from(t),
        None => {
            let (Some(subject), Some(body)) = (&input.subject, &input.body) else {
                return Err(AppError::field("template", lang.t("err-tx-template-or-body")));
            };
            inline = (subject.clone(), body.clone());
            Source {
                subject: &inline.0,
                body: &inline.1,
                format: input.body_format.as_deref().unwrap_or("markdown"),
                text: input.text_body.as_deref().unwrap_or(""),
                layout_id: None,
                language: input.language.as_deref().unwrap_or("en"),
            }
        }
    };
    let pick = |given: &Option<String>, own: Option<&str>| given.clone().or(own.map(str::to_owned)).unwrap_or_default();
    let from_address = pick(&input.from_address, stored.as_ref().map(|t| t.from_address.as_str()));
    let from_name = pick(&input.from_name, stored.as_ref().map(|t| t.from_name.as_str()));
    let reply_to = pick(&input.reply_to, stored.as_ref().map(|t| t.reply_to.as_str()));
    check_sender(&from_address, &from_name, &reply_to)?;
    if let Some(why) = tx::sending_domain_fault(&state, &from_address).await? {
        return Err(AppError::field("from_address", why));
    }
    let mut extra = Vec::with_capacity(input.headers.len());
    for (name, value) in &input.headers {
        if let Some(why) = message::mime::extra_header_name(name) {
            return Err(AppError::field(&format!("headers.{name}"), format!("{name:?} {why}")));
        }
        if value.len() > 2000 {
            return Err(AppError::field(&format!("headers.{name}"), lang.t("err-tx-header-long")));
        }
        extra.push((name.clone(), value.clone()));
    }
    let attachments = tx::attachments(&input.attachments)?;
    let shared = match input.data {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(AppError::field("data", lang.t("err-tx-data-object"))),
    };

    // Each recipient is checked on its own: one bad address does not stop
    // the others.
    let mut outcomes: Vec<SentView> = Vec::with_capacity(input.recipients.len());
    let mut to = Vec::with_capacity(input.recipients.len());
    let mut at = Vec::with_capacity(input.recipients.len());
    let emails: Vec<String> = input.recipients.iter().map(|r| r.email.trim().to_owned()).collect();
    let suppressed: std::collections::HashMap<String, String> =
        state.store().tx_suppressed(&emails).await?.into_iter().map(|(e, why)| (e.to_lowercase(), why)).collect();
    for (i, r) in input.recipients.into_iter().enumerate() {
        let email = r.email.trim().to_owned();
        let refused = |error: String| SentView {
            email: email.clone(),
            status: "refused".into(),
            id: None,
            message_id: None,
            error: Some(error),
        };
        if let Err(e) = domain::EmailAddress::parse(&email) {
            outcomes.push(refused(crate::error::email_fault(lang, &e)));
            continue;
        }
        if let Err(e) = domain::text::check_line(&r.name) {
            outcomes.push(refused(lang.t1("err-tx-name", "fault", crate::error::text_fault(lang, &e))));
            continue;
        }
        let mut data = shared.clone();
        match r.data {
            None | Some(Value::Null) => {}
            Some(Value::Object(own)) => data.extend(own),
            Some(_) => {
                outcomes.push(refused(lang.t("err-tx-data-object")));
                continue;
            }
        }
        if let Some(why) = suppressed.get(&email.to_lowercase()) {
            outcomes.push(SentView {
                email: email.clone(),
                status: "suppressed".into(),
                id: None,
                message_id: None,
                error: Some(why.clone()),
            });
            continue;
        }
        at.push((i, outcomes.len()));
        outcomes.push(SentView {
            email: email.clone(),
            status: "queued".into(),
            id: None,
            message_id: None,
            error: None,
        });
        to.push(To { email, name: r.name.trim().to_owned(), data: Value::Object(data) });
    }

    let sender = tx::sender(&state, &from_name, &from_address, &reply_to).await?;
    let template = Arc::new(tx::compile(&state, &source, sender).await?);
    let feedback_id =
        format!("{}:{}:transactional:ninsho", stored.as_ref().map_or("inline", |t| t.name.as_str()), user.id);
    let now = chrono::Utc::now().timestamp();
    let built =
        tx::build_all(template, to, stored.as_ref().map(|t| t.id), feedback_id, extra, attachments, now).await?;
    let mut messages = Vec::with_capacity(built.len());
    let mut slots = Vec::with_capacity(built.len());
    let mut bytes = 0;
    for ((_, slot), message) in at.iter().zip(built) {
        match message {
            Ok(m) => {
                bytes += m.raw.len();
                outcomes[*slot].message_id = Some(m.message_id.clone());
                slots.push(*slot);
                messages.push(m);
            }
            Err(e) => {
                outcomes[*slot].status = "refused".into();
                outcomes[*slot].error = Some(e.to_string());
            }
        }
    }
    if bytes > tx::MAX_CALL_BYTES {
        let max = tx::MAX_CALL_BYTES / (1024 * 1024);
        return Err(AppError::field("recipients", lang.t1("err-tx-call-too-large", "max", max)));
    }
    if messages.is_empty() {
        // Nothing to send: the first recipient's reason is the answer.
        let (i, first) = outcomes.iter().enumerate().find_map(|(i, o)| Some((i, o.error.clone()?))).unwrap_or_default();
        return Err(AppError::field(&format!("recipients[{i}]"), first));
    }
    let limits = match user.token_id {
        Some(token) => Some(state.store().tx_limits(token).await?),
        None => None,
    };
    let answer = |ids: &[i64]| {
        for (slot, id) in slots.iter().zip(ids) {
            outcomes[*slot].id = Some(LogId::Message(*id).to_string());
        }
        json!(SendView { messages: std::mem::take(&mut outcomes) })
    };
    match state.store().queue_tx(user.id, limits, idempotency.as_ref(), &messages, answer).await? {
        TxQueued::Queued(_, answer) | TxQueued::Replayed(answer) => {
            Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
        }
        TxQueued::KeyReused => Err(AppError::Conflict(lang.t("err-tx-key-reused"))),
        TxQueued::Limited { span, limit, retry_after } => {
            let key = if span == "minute" { "err-tx-limit-minute" } else { "err-tx-limit-day" };
            let seconds = retry_after.num_seconds().max(1);
            let mut response = AppError::TooManyRequests(lang.t1(key, "limit", limit)).into_response();
            response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
            Ok(response)
        }
    }
}

/// Refuses a From, name or Reply-To that mail cannot carry.
fn check_sender(from_address: &str, from_name: &str, reply_to: &str) -> Result<(), AppError> {
    let lang = request_language();
    if from_address.trim().is_empty() {
        return Err(AppError::field("from_address", lang.t("err-tx-from-missing")));
    }
    if let Err(e) = domain::EmailAddress::parse(from_address.trim()) {
        return Err(AppError::field("from_address", crate::error::email_fault(lang, &e)));
    }
    if !reply_to.trim().is_empty()
        && let Err(e) = domain::EmailAddress::parse(reply_to.trim())
    {
        return Err(AppError::field("reply_to", crate::error::email_fault(lang, &e)));
    }
    if let Err(e) = domain::text::check_line(from_name) {
        return Err(AppError::field(
            "from_name",
            lang.t1("err-from-name-fault", "fault", crate::error::text_fault(lang, &e)),
        ));
    }
    Ok(())
}

/// A message of the log, with each attempt.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct MessageView {
    /// `m123` (an outbox message) or `d456` (a campaign delivery).
    id: String,
    /// campaign, sequence, transactional, submitted or system.
    kind: String,
    recipient: String,
    sender: String,
    subject: String,
    message_id: Option<String>,
    /// queued, sending, deferred, delivered, bounced, failed, suppressed,
    /// held, dropped or captured.
    status: String,
    last_reply: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
    campaign_id: Option<i64>,
    campaign_name: Option<String>,
    /// Whether its signed bytes are kept (`/messages/{id}/raw`).
    has_raw: bool,
    size: Option<i32>,
    attempts: Vec<AttemptView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AttemptView {
    at: chrono::DateTime<chrono::Utc>,
    status: String,
    code: Option<i16>,
    enhanced: Option<String>,
    reply: String,
    mx: Option<String>,
    /// verified, unverified or none.
    tls: Option<String>,
}

impl MessageView {
    /// The view of a log entry; addresses masked for a role that does not
    /// see them.
    pub(crate) fn new(entry: store::LogEntry, attempts: Vec<store::LogAttempt>, sees_addresses: bool) -> Self {
        let address = |a: String| if sees_addresses { a } else { domain::masked(&a) };
        Self {
            id: entry.id,
            kind: entry.kind,
            recipient: address(entry.recipient),
            sender: entry.sender,
            subject: entry.subject,
            message_id: entry.message_id,
            status: entry.status,
            last_reply: entry.last_reply,
            created_at: entry.created_at,
            updated_at: entry.updated_at,
            campaign_id: entry.campaign_id,
            campaign_name: entry.campaign_name,
            has_raw: entry.has_raw,
            size: entry.size,
            attempts: attempts
                .into_iter()
                .map(|a| AttemptView {
                    at: a.at,
                    status: a.status,
                    code: a.code,
                    enhanced: a.enhanced,
                    reply: a.reply,
                    mx: a.mx,
                    tls: a.tls,
                })
                .collect(),
        }
    }
}

/// A message's entry in the log (its status and attempts), by the id a
/// send answered with.
pub(crate) async fn message_view(state: &AppState, id: &str, sees_addresses: bool) -> AppResult<MessageView> {
    let id = LogId::parse(id).ok_or_else(|| AppError::not_found("message"))?;
    let entry = state.store().log_entry(id).await?.ok_or_else(|| AppError::not_found("message"))?;
    let attempts = state.store().log_attempts(id).await?;
    Ok(MessageView::new(entry, attempts, sees_addresses))
}

/// The status of a message sent through the API, with each attempt.
#[utoipa::path(get, path = "/tx/messages/{id}", tag = "transactional", params(("id" = String, Path, description = "the id a send answered with (m123)")), responses((status = 200, body = MessageView), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn status(
    user: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<MessageView>> {
    Ok(Json(message_view(&state, &id, user.role.sees_addresses()).await?))
}

/// A stored transactional template.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct TemplateView {
    #[serde(default)]
    id: i64,
    /// Lower-case letters, digits, `.`, `_` and `-`: how a send names it.
    name: String,
    from_address: String,
    #[serde(default)]
    from_name: String,
    #[serde(default)]
    reply_to: String,
    subject: String,
    body: String,
    /// `markdown` or `html`.
    #[serde(default = "markdown")]
    body_format: String,
    #[serde(default)]
    text_body: String,
    /// A layout of the layouts page; absent: the plain built-in one.
    #[serde(default)]
    layout_id: Option<i64>,
    /// `en` or `ja`.
    #[serde(default = "english")]
    language: String,
}

fn markdown() -> String {
    "markdown".into()
}

fn english() -> String {
    "en".into()
}

impl From<TxTemplate> for TemplateView {
    fn from(t: TxTemplate) -> Self {
        Self {
            id: t.id,
            name: t.name,
            from_address: t.from_address,
            from_name: t.from_name,
            reply_to: t.reply_to,
            subject: t.subject,
            body: t.body,
            body_format: t.body_format,
            text_body: t.text_body,
            layout_id: t.layout_id,
            language: t.language,
        }
    }
}

/// Checks a template as a send would use it (its sender, then every
/// template fault with part, line and column, then a render with empty
/// data): what the store keeps.
async fn checked(state: &AppState, input: TemplateView) -> AppResult<TxTemplateFields> {
    let lang = request_language();
    let name = input.name.trim().to_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 100
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && name.as_bytes()[0].is_ascii_alphanumeric();
    if !valid {
        return Err(AppError::field("name", lang.t("err-tx-template-name")));
    }
    check_sender(&input.from_address, &input.from_name, &input.reply_to)?;
    let fields = TxTemplateFields {
        name,
        from_name: input.from_name.trim().to_owned(),
        from_address: input.from_address.trim().to_owned(),
        reply_to: input.reply_to.trim().to_owned(),
        subject: input.subject,
        body: input.body,
        body_format: input.body_format,
        text_body: input.text_body,
        layout_id: input.layout_id,
        language: input.language,
    };
    let source = Source {
        subject: &fields.subject,
        body: &fields.body,
        format: &fields.body_format,
        text: &fields.text_body,
        layout_id: fields.layout_id,
        language: &fields.language,
    };
    let sender = tx::sender(state, &fields.from_name, &fields.from_address, &fields.reply_to).await?;
    let template = tx::compile(state, &source, sender).await?;
    let empty = json!({});
    let example = message::tx::TxRecipient { email: "example@example.com", name: "", data: &empty };
    template.render(&example).map_err(|e| tx::fault(&e))?;
    Ok(fields)
}

/// Every transactional template.
#[utoipa::path(get, path = "/tx/templates", tag = "transactional", responses((status = 200, body = Vec<TemplateView>), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn templates(_: ApiUser, State(state): State<AppState>) -> AppResult<Json<Vec<TemplateView>>> {
    Ok(Json(state.store().tx_templates().await?.into_iter().map(Into::into).collect()))
}

/// A new transactional template, checked as a send would use it.
#[utoipa::path(post, path = "/tx/templates", tag = "transactional", request_body = TemplateView, responses((status = 201, body = TemplateView), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn create_template(
    _: ApiUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<TemplateView>,
) -> AppResult<(StatusCode, Json<TemplateView>)> {
    let fields = checked(&state, input).await?;
    Ok((StatusCode::CREATED, Json(state.store().create_tx_template(&fields).await?.into())))
}

/// One transactional template, by name or id.
#[utoipa::path(get, path = "/tx/templates/{key}", tag = "transactional", params(("key" = String, Path, description = "name or id")), responses((status = 200, body = TemplateView), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn read_template(
    _: ApiUser,
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> AppResult<Json<TemplateView>> {
    Ok(Json(
        state.store().tx_template(&key).await?.ok_or_else(|| AppError::not_found("transactional template"))?.into(),
    ))
}

/// Replace a transactional template.
#[utoipa::path(put, path = "/tx/templates/{key}", tag = "transactional", params(("key" = String, Path, description = "name or id")), request_body = TemplateView, responses((status = 200, body = TemplateView), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn update_template(
    _: ApiUser,
    State(state): State<AppState>,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<TemplateView>,
) -> AppResult<Json<TemplateView>> {
    let found = state.store().tx_template(&key).await?.ok_or_else(|| AppError::not_found("transactional template"))?;
    let fields = checked(&state, input).await?;
    Ok(Json(state.store().update_tx_template(found.id, &fields).await?.into()))
}

/// Delete a transactional template (messages sent with it stay in the log).
#[utoipa::path(delete, path = "/tx/templates/{key}", tag = "transactional", params(("key" = String, Path, description = "name or id")), responses((status = 204), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn delete_template(
    _: ApiUser,
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> AppResult<StatusCode> {
    let found = state.store().tx_template(&key).await?.ok_or_else(|| AppError::not_found("transactional template"))?;
    state.store().delete_tx_template(found.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a preview renders with.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PreviewInput {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    data: Option<Value>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PreviewView {
    subject: String,
    html: String,
    text: String,
}

/// A template rendered for example data, as a recipient would get it.
#[utoipa::path(post, path = "/tx/templates/{key}/preview", tag = "transactional", params(("key" = String, Path, description = "name or id")), request_body = PreviewInput, responses((status = 200, body = PreviewView), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn preview(
    _: ApiUser,
    State(state): State<AppState>,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<PreviewInput>,
) -> AppResult<Json<PreviewView>> {
    let found = state.store().tx_template(&key).await?.ok_or_else(|| AppError::not_found("transactional template"))?;
    let sender = tx::sender(&state, &found.from_name, &found.from_address, &found.reply_to).await?;
    let template = tx::compile(&state, &Source::from(&found), sender).await?;
    let data = input.data.unwrap_or_else(|| json!({}));
    let email = input.email.unwrap_or_else(|| "example@example.com".into());
    let rendered = template
        .render(&message::tx::TxRecipient { email: &email, name: &input.name, data: &data })
        .map_err(|e| tx::fault(&e))?;
    Ok(Json(PreviewView { subject: rendered.subject, html: rendered.html, text: rendered.text }))
}
