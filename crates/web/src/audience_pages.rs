//! Dashboard pages of the audience: lists, subscribers, segments, imports.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use domain::{ImportState, ListVisibility, OptIn};
use serde::Deserialize;
use store::List;

use crate::auth::AdminUser;
use crate::csrf::{self, CsrfForm};
use crate::error::Invalid;
use crate::pages::{Frame, render};
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "lists.html")]
struct ListsPage {
    frame: Frame,
    public_url: String,
    lists: Vec<List>,
    error: Option<String>,
}

async fn lists_page(
    state: &AppState,
    jar: CookieJar,
    admin: AdminUser,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, AppError> {
    let (jar, frame) = Frame::issue(state, jar, &admin);
    let page =
        ListsPage { frame, public_url: state.config().public_url.clone(), lists: state.store().lists().await?, error };
    render(status, jar, page)
}

pub(crate) async fn lists(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    lists_page(&state, jar, admin, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub(crate) struct ListForm {
    name: String,
    #[serde(default)]
    description: String,
    optin: String,
    visibility: String,
    /// One field per line: `attribute | Label`, and `| required` to require it.
    #[serde(default)]
    signup_fields: String,
    /// The language of its pages and mail (`en`, `ja`).
    #[serde(default)]
    language: String,
}

/// Reads the signup-fields textarea of the list form.
fn parse_signup_fields(text: &str) -> Result<Vec<store::SignupField>, Invalid> {
    let fields: Vec<store::SignupField> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            store::SignupField {
                key: parts[0].to_string(),
                label: parts.get(1).filter(|l| !l.is_empty()).unwrap_or(&parts[0]).to_string(),
                required: parts.get(2).is_some_and(|r| r.eq_ignore_ascii_case("required")),
            }
        })
        .collect();
    crate::api::lists::check_signup_fields(&fields)?;
    Ok(fields)
}

impl ListForm {
    /// The list the form describes, or the sentence (in `lang`) saying what
    /// is wrong.
    fn checked(&self, lang: i18n::Language) -> Result<crate::api::lists::ListFields, Invalid> {
        let (Some(optin), Some(visibility)) = (OptIn::parse(&self.optin), ListVisibility::parse(&self.visibility))
        else {
            return Err(lang.t("list-choose-optin-visibility").into());
        };
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(lang.t("list-name-length").into());
        }
        let fault = |e: domain::text::TextError| crate::error::text_fault(lang, &e);
        domain::text::check_line(&name).map_err(|e| lang.t1("list-name-fault", "fault", fault(e)))?;
        domain::text::check_text(&self.description)
            .map_err(|e| lang.t1("list-description-fault", "fault", fault(e)))?;
        let signup_fields =
            parse_signup_fields(&self.signup_fields).map_err(|e| lang.t1("list-fields-fault", "fault", e))?;
        // A form without the field (a script's) gets English, as the API does.
        let language = match self.language.trim() {
            "" => i18n::Language::default(),
            tag => i18n::Language::parse(tag).ok_or_else(|| lang.t("list-choose-language"))?,
        };
        Ok(crate::api::lists::ListFields {
            name,
            description: self.description.trim().to_string(),
            visibility,
            optin,
            signup_fields,
            language,
        })
    }
}

/// Creates (`id` None) or changes a list; on success `Ok(None)`, otherwise
/// the sentence for the form.
async fn save_list(
    state: &AppState,
    lang: i18n::Language,
    id: Option<i64>,
    form: &ListForm,
) -> Result<Option<String>, AppError> {
    let fields = match form.checked(lang) {
        Ok(fields) => fields,
        Err(error) => return Ok(Some(error.into())),
    };
    let saved = crate::api::lists::save(state, id, &fields).await.map(|_| ());
    match saved {
        Ok(()) => Ok(None),
        Err(store::StoreError::Conflict(_)) => {
            Ok(Some(lang.t1("list-name-taken", "name", format!("{:?}", fields.name))))
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn create_list(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(form): CsrfForm<ListForm>,
) -> Result<Response, AppError> {
    match save_list(&state, admin.language, None, &form).await? {
        None => lists_page(&state, jar, admin, StatusCode::OK, None).await,
        Some(error) => lists_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, Some(error)).await,
    }
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    frame: Frame,
    lists: Vec<List>,
    recent: Vec<store::Import>,
    error: Option<String>,
}

async fn imports_page(
    state: &AppState,
    jar: CookieJar,
    admin: AdminUser,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, AppError> {
    let (jar, frame) = Frame::issue(state, jar, &admin);
    let page = ImportsPage {
        frame,
        lists: state.store().lists().await?,
        recent: state.store().recent_imports(20).await?,
        error,
    };
    render(status, jar, page)
}

pub(crate) async fn imports(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    imports_page(&state, jar, admin, StatusCode::OK, None).await
}

/// The upload form: a multipart body whose `csrf` field comes first and
/// whose file comes last, streamed to the spool as it arrives.
pub(crate) async fn start_import(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let lang = admin.language;
    let bad =
        |e: axum::extract::multipart::MultipartError| AppError::BadRequest(lang.t1("import-upload-failed", "error", e));
    let mut csrf_ok = false;
    let mut mode = domain::ImportMode::Add;
    let mut list_ids = Vec::new();
    let mut encoding = None;
    let mut mapping = std::collections::HashMap::new();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        if name != "csrf" && !csrf_ok {
            return Err(AppError::Forbidden(csrf::EXPIRED));
        }
        match name.as_str() {
            "csrf" => csrf_ok = csrf::is_valid(&state, &jar, &field.text().await.map_err(bad)?),
            "mode" => mode = domain::ImportMode::parse(&field.text().await.map_err(bad)?).unwrap_or(mode),
            "list" => list_ids.extend(field.text().await.map_err(bad)?.parse::<i64>().ok()),
            "encoding" => encoding = audience::Encoding::parse(&field.text().await.map_err(bad)?),
            // The column-mapping rows (filled in by the page from the file's header).
            _ if name.starts_with("map.") => {
                let target = field.text().await.map_err(bad)?.trim().to_string();
                if !target.is_empty() {
                    mapping.insert(name["map.".len()..].to_string(), target);
                }
            }
            "file" => {
                let file_name = field.file_name().unwrap_or("upload.csv").chars().take(200).collect();
                let start = crate::imports::ImportStart {
                    mode,
                    list_ids,
                    encoding,
                    mapping,
                    file_name,
                    source: format!("import:{}", admin.email),
                };
                return match crate::imports::start(&state, field, start).await {
                    Ok(id) => Ok(axum::response::Redirect::to(&format!("/imports/{id}")).into_response()),
                    Err(crate::imports::StartError::Store(e)) => Err(e.into()),
                    Err(e) => {
                        let error = e.sentence(lang);
                        imports_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, Some(error)).await
                    }
                };
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(AppError::Forbidden(csrf::EXPIRED));
    }
    let error = lang.t("import-choose-file");
    imports_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, Some(error)).await
}

/// The address of a list's signup page (shown as a link's text).
pub(crate) fn signup_url(public_url: &str, id: impl std::fmt::Display) -> String {
    format!("{public_url}/s/{id}")
}

/// A list's signup form as HTML to paste into another site (the page
/// escapes it into a textarea), its words in the list's language.
pub(crate) fn embed_code(public_url: &str, id: impl std::fmt::Display, language: &str) -> String {
    let lang = i18n::Language::parse(language).unwrap_or_default();
    format!(
        "<form action=\"{public_url}/s/{id}\" method=\"post\">\n\
         \x20 <input type=\"email\" name=\"email\" placeholder=\"you@example.com\" required>\n\
         \x20 <input type=\"text\" name=\"name\" placeholder=\"{}\">\n\
         \x20 <input type=\"text\" name=\"website\" style=\"display:none\" tabindex=\"-1\" autocomplete=\"off\">\n\
         \x20 <button type=\"submit\">{}</button>\n\
         </form>",
        lang.t("list-embed-your-name"),
        lang.t("list-embed-subscribe"),
    )
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    frame: Frame,
    i: store::Import,
    errors: Vec<store::ImportError>,
}

pub(crate) async fn import(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, AppError> {
    let i = state.store().import(id).await?.ok_or(AppError::NotFound)?;
    let errors = state.store().import_errors(id, 100).await?;
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    render(StatusCode::OK, jar, ImportPage { frame, i, errors })
}

pub(crate) async fn import_errors(
    State(state): State<AppState>,
    _admin: AdminUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, AppError> {
    let i = state.store().import(id).await?.ok_or(AppError::NotFound)?;
    let csv = crate::imports::errors_csv(&state.store().import_errors(id, i64::MAX).await?);
    let disposition = format!("attachment; filename=\"import-{}-rejected.csv\"", i.id);
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}

pub(crate) async fn export_list(
    State(state): State<AppState>,
    _admin: AdminUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, AppError> {
    state.store().list(id).await?.ok_or(AppError::NotFound)?;
    let filter = store::Filter::List(store::ListCondition { list_id: id, status: Vec::new() });
    Ok(crate::export::csv_response(state.store().clone(), filter, &format!("list-{id}.csv")).await?)
}

#[derive(Template)]
#[template(path = "segments.html")]
struct SegmentsPage {
    frame: Frame,
    segments: Vec<store::Segment>,
}

pub(crate) async fn segments(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    let page = SegmentsPage { frame, segments: state.store().segments().await? };
    render(StatusCode::OK, jar, page)
}

#[derive(Template)]
#[template(path = "segment.html")]
struct SegmentPage {
    frame: Frame,
    id: Option<i64>,
    name: String,
    /// The filter as pretty JSON (empty for a new segment).
    filter: String,
    /// Whether the form rows can show the filter (one level of and/or).
    builder_fits: bool,
    lists: Vec<(i64, String)>,
    statuses: Vec<&'static str>,
    campaigns: Vec<(i64, String)>,
    error: Option<String>,
}

/// One level of `and`/`or` over conditions that are plain or negated once.
fn fits_builder(filter: &store::Filter) -> bool {
    use store::Filter;
    let flat = |f: &Filter| match f {
        Filter::And(_) | Filter::Or(_) => false,
        Filter::Not(inner) => !matches!(**inner, Filter::And(_) | Filter::Or(_) | Filter::Not(_)),
        _ => true,
    };
    match filter {
        Filter::And(items) | Filter::Or(items) => items.iter().all(flat),
        other => flat(other),
    }
}

#[allow(clippy::too_many_arguments)]
async fn segment_page(
    state: &AppState,
    jar: CookieJar,
    admin: AdminUser,
    status: StatusCode,
    id: Option<i64>,
    name: String,
    filter: String,
    error: Option<String>,
) -> Result<Response, AppError> {
    let builder_fits = filter.trim().is_empty()
        || serde_json::from_str::<store::Filter>(&filter).map(|f| fits_builder(&f)).unwrap_or(false);
    let (jar, frame) = Frame::issue(state, jar, &admin);
    let page = SegmentPage {
        frame,
        id,
        name,
        filter,
        builder_fits,
        lists: state.store().lists().await?.into_iter().map(|l| (l.id, l.name)).collect(),
        statuses: domain::SubscriberStatus::ALL.iter().map(|s| s.as_str()).collect(),
        campaigns: state.store().campaigns(200).await?.into_iter().map(|c| (c.id, c.name)).collect(),
        error,
    };
    render(status, jar, page)
}

pub(crate) async fn new_segment(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    segment_page(&state, jar, admin, StatusCode::OK, None, String::new(), String::new(), None).await
}

pub(crate) async fn edit_segment(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, AppError> {
    let segment = state.store().segment(id).await?.ok_or(AppError::NotFound)?;
    let filter = serde_json::to_string_pretty(&segment.definition.0).map_err(AppError::internal)?;
    segment_page(&state, jar, admin, StatusCode::OK, Some(id), segment.name, filter, None).await
}

#[derive(Deserialize)]
pub(crate) struct SegmentForm {
    name: String,
    filter: String,
}

/// The filter of a form, or the sentence (in `lang`) saying what is wrong
/// with it.
fn parse_filter(text: &str, lang: i18n::Language) -> Result<store::Filter, Invalid> {
    let invalid = |e: String| lang.t1("segment-filter-invalid", "error", e);
    let filter: store::Filter = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    filter.validate().map_err(|e| invalid(e.to_string()))?;
    Ok(filter)
}

async fn save_segment(
    state: AppState,
    jar: CookieJar,
    admin: AdminUser,
    id: Option<i64>,
    form: SegmentForm,
) -> Result<Response, AppError> {
    let name = form.name.trim().to_string();
    let lang = admin.language;
    let refuse = |error: String| (StatusCode::UNPROCESSABLE_ENTITY, Some(error));
    let (status, error) = match parse_filter(&form.filter, lang) {
        Err(e) => refuse(e.into()),
        Ok(_) if name.is_empty() || name.chars().count() > 200 => refuse(lang.t("segment-name-length")),
        Ok(filter) => {
            let saved = match id {
                Some(id) => state.store().update_segment(id, &name, &filter).await,
                None => state.store().create_segment(&name, &filter).await,
            };
            match saved {
                Ok(segment) => {
                    return Ok(axum::response::Redirect::to(&format!("/segments/{}", segment.id)).into_response());
                }
                Err(store::StoreError::Conflict(_)) => {
                    refuse(lang.t1("segment-name-taken", "name", format!("{name:?}")))
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    segment_page(&state, jar, admin, status, id, name, form.filter, error).await
}

pub(crate) async fn create_segment(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(form): CsrfForm<SegmentForm>,
) -> Result<Response, AppError> {
    save_segment(state, jar, admin, None, form).await
}

pub(crate) async fn update_segment(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
    CsrfForm(form): CsrfForm<SegmentForm>,
) -> Result<Response, AppError> {
    save_segment(state, jar, admin, Some(id), form).await
}

#[derive(Deserialize)]
pub(crate) struct CountRequest {
    filter: serde_json::Value,
}

/// The editor's live count: JSON in and out, CSRF token in a header.
pub(crate) async fn count_segment(
    State(state): State<AppState>,
    jar: CookieJar,
    _admin: AdminUser,
    headers: axum::http::HeaderMap,
    axum::Json(request): axum::Json<CountRequest>,
) -> Result<Response, AppError> {
    let token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !csrf::is_valid(&state, &jar, token) {
        return Err(AppError::Forbidden("err-page-expired"));
    }
    let invalid = |error: String, field: String| {
        (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(serde_json::json!({"error": error, "field": field})))
            .into_response()
    };
    let filter: store::Filter = match serde_json::from_value(request.filter) {
        Ok(filter) => filter,
        Err(e) => return Ok(invalid(e.to_string(), "filter".into())),
    };
    if let Err(e) = filter.validate() {
        return Ok(invalid(e.message, e.path));
    }
    let count = state.store().segment_count(&filter).await?;
    Ok(axum::Json(serde_json::json!({ "count": count })).into_response())
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    frame: Frame,
    id: i64,
    name: String,
    description: String,
    optin: String,
    visibility: String,
    /// The signup fields as the form's textarea shows them.
    signup_fields: String,
    error: Option<String>,
    /// (state, subscriptions)
    counts: Vec<(String, i64)>,
    public_url: String,
    /// The list's language tag.
    language: String,
}

impl ListPage {
    fn count(&self, state: &str) -> i64 {
        self.counts.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n)
    }
}

fn fields_text(fields: &[store::SignupField]) -> String {
    fields
        .iter()
        .map(|f| format!("{} | {}{}", f.key, f.label, if f.required { " | required" } else { "" }))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) async fn list(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, AppError> {
    let l = state.store().list(id).await?.ok_or(AppError::NotFound)?;
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    let page = ListPage {
        frame,
        id,
        signup_fields: fields_text(&l.signup_fields.0),
        name: l.name,
        description: l.description,
        optin: l.optin,
        visibility: l.visibility,
        error: None,
        counts: state.store().list_counts(id).await?,
        public_url: state.config().public_url.trim_end_matches('/').to_owned(),
        language: l.language,
    };
    render(StatusCode::OK, jar, page)
}

pub(crate) async fn update_list(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
    CsrfForm(form): CsrfForm<ListForm>,
) -> Result<Response, AppError> {
    state.store().list(id).await?.ok_or(AppError::NotFound)?;
    let Some(error) = save_list(&state, admin.language, Some(id), &form).await? else {
        return Ok(axum::response::Redirect::to("/lists").into_response());
    };
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    let page = ListPage {
        frame,
        id,
        name: form.name,
        description: form.description,
        optin: form.optin,
        visibility: form.visibility,
        signup_fields: form.signup_fields,
        error: Some(error),
        counts: state.store().list_counts(id).await?,
        public_url: state.config().public_url.trim_end_matches('/').to_owned(),
        language: form.language,
    };
    render(StatusCode::UNPROCESSABLE_ENTITY, jar, page)
}

pub(crate) async fn delete_list(
    State(state): State<AppState>,
    admin: AdminUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
    CsrfForm(_): CsrfForm<crate::pages::EmptyForm>,
) -> Result<Response, AppError> {
    state.store().delete_list(id).await?;
    tracing::info!(list_id = id, admin_id = admin.id, "list deleted");
    Ok(axum::response::Redirect::to("/lists").into_response())
}
