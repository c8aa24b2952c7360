//! `/api/v1/campaigns`: drafts, scheduling and reports, with the same
//! checks as the dashboard (template faults come back with line and column).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use store::{Campaign, CampaignFields};

use super::{ApiErrorBody, ApiJson};
use crate::AppError;
use crate::AppState;
use crate::auth::ApiUser;
use crate::campaigns::{check_fields, schedule as schedule_campaign, template_errors};
use crate::error::AppResult;

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CampaignView {
    id: i64,
    name: String,
    status: String,
    from_name: String,
    from_address: String,
    subject: String,
    body_format: String,
    list_ids: Vec<i64>,
    segment_id: Option<i64>,
    layout_id: Option<i64>,
    time_zone: String,
    /// `en` or `ja`.
    language: String,
    /// `utf-8` or `iso-2022-jp`.
    charset: String,
    send_at: Option<chrono::DateTime<chrono::Utc>>,
    recipients: i64,
    ab_subjects: Vec<String>,
    ab_winner: Option<i16>,
    error: Option<String>,
    started_at: Option<chrono::DateTime<chrono::Utc>>,
    finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<Campaign> for CampaignView {
    fn from(c: Campaign) -> Self {
        Self {
            id: c.id,
            name: c.name,
            status: c.status.as_str().into(),
            from_name: c.from_name,
            from_address: c.from_address,
            subject: c.subject,
            body_format: c.body_format,
            list_ids: c.list_ids,
            segment_id: c.segment_id,
            layout_id: c.template_id,
            time_zone: c.time_zone,
            language: c.language,
            charset: c.charset,
            send_at: c.send_at,
            recipients: c.recipients,
            ab_subjects: c.ab_subjects,
            ab_winner: c.ab_winner,
            error: c.error,
            started_at: c.started_at,
            finished_at: c.finished_at,
        }
    }
}

/// A draft. Omitted fields take the dashboard's defaults.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CampaignInput {
    name: String,
    from_address: String,
    subject: String,
    body: String,
    #[serde(default)]
    from_name: String,
    #[serde(default)]
    reply_to: String,
    #[serde(default)]
    preheader: String,
    /// `markdown` (default) or `html`.
    #[serde(default)]
    body_format: Option<String>,
    /// The plain-text version; empty: generated from the HTML.
    #[serde(default)]
    text_body: String,
    #[serde(default)]
    layout_id: Option<i64>,
    #[serde(default)]
    list_ids: Vec<i64>,
    #[serde(default)]
    segment_id: Option<i64>,
    #[serde(default)]
    time_zone: Option<String>,
    /// Other subject lines to test (A/B), with `ab_sample_percent`.
    #[serde(default)]
    ab_subjects: Vec<String>,
    #[serde(default)]
    ab_sample_percent: i16,
    /// `en` or `ja`: its `lang` and the default layout's words; default:
    /// its first list's language.
    #[serde(default)]
    language: Option<String>,
    /// `utf-8` (default) or `iso-2022-jp`. With ISO-2022-JP, half-width
    /// katakana are made full-width and characters it cannot carry are
    /// refused with their place.
    #[serde(default)]
    charset: Option<String>,
}

impl CampaignInput {
    fn fields(self) -> CampaignFields {
        let defaults = CampaignFields::default();
        CampaignFields {
            name: self.name.trim().to_owned(),
            from_name: self.from_name,
            from_address: self.from_address.trim().to_owned(),
            reply_to: self.reply_to.trim().to_owned(),
            subject: self.subject,
            preheader: self.preheader,
            body_format: self.body_format.unwrap_or(defaults.body_format.clone()),
            body: self.body,
            text_body: self.text_body,
            template_id: self.layout_id,
            list_ids: self.list_ids,
            segment_id: self.segment_id,
            time_zone: self.time_zone.unwrap_or(defaults.time_zone.clone()),
            ab_subjects: self.ab_subjects,
            ab_sample_percent: self.ab_sample_percent,
            language: self.language.unwrap_or_default(),
            charset: self.charset.unwrap_or(defaults.charset.clone()),
            ..defaults
        }
    }
}

/// The first fault of a draft as a field error.
async fn checked(state: &AppState, input: CampaignInput) -> AppResult<CampaignFields> {
    let mut fields = input.fields();
    crate::campaigns::widen_katakana(&mut fields);
    crate::campaigns::settle_language(state, &mut fields).await?.map_err(|e| AppError::field("language", e))?;
    if let Some((field, message)) = check_fields(&fields).into_iter().next() {
        return Err(AppError::field(field, message));
    }
    let lang = crate::error::request_language();
    if let Some((field, message)) = crate::campaigns::charset_faults(&fields, lang).into_iter().next() {
        return Err(AppError::field(field, message));
    }
    let faults = template_errors(state, &fields).await?;
    match faults.into_iter().next() {
        Some(fault) => Err(AppError::field(&fault.field(), fault.text)),
        None => Ok(fields),
    }
}

/// The latest campaigns (not sequence steps), newest first.
#[utoipa::path(get, path = "/campaigns", tag = "campaigns", responses((status = 200, body = [CampaignView]), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn all(_: ApiUser, State(state): State<AppState>) -> AppResult<Json<Vec<CampaignView>>> {
    Ok(Json(state.store().campaigns(200).await?.into_iter().map(CampaignView::from).collect()))
}

/// Create a draft; template faults are refused with part, line and column.
#[utoipa::path(post, path = "/campaigns", tag = "campaigns", request_body = CampaignInput, responses((status = 201, body = CampaignView), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn create(
    _: ApiUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<CampaignInput>,
) -> AppResult<(StatusCode, Json<CampaignView>)> {
    let fields = checked(&state, input).await?;
    let campaign = state.store().save_campaign(None, &fields).await?;
    Ok((StatusCode::CREATED, Json(campaign.into())))
}

/// One campaign.
#[utoipa::path(get, path = "/campaigns/{id}", tag = "campaigns", params(("id" = i64, Path, description = "id")), responses((status = 200, body = CampaignView), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn read(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<CampaignView>> {
    let campaign = state.store().campaign(id).await?.ok_or_else(|| AppError::not_found("campaign"))?;
    Ok(Json(campaign.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScheduleInput {
    /// `YYYY-MM-DDTHH:MM` in the campaign's time zone; absent: now.
    #[serde(default)]
    send_at: Option<String>,
}

/// Schedule a draft, after rendering it for up to 50 of its recipients.
#[utoipa::path(post, path = "/campaigns/{id}/schedule", tag = "campaigns", params(("id" = i64, Path, description = "id")), request_body = ScheduleInput, responses((status = 200, body = CampaignView), (status = 422, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn schedule(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ScheduleInput>,
) -> AppResult<Json<CampaignView>> {
    let campaign = state.store().campaign(id).await?.ok_or_else(|| AppError::not_found("campaign"))?;
    if let Err(why) = schedule_campaign(&state, &campaign, input.send_at.as_deref()).await? {
        return Err(AppError::field("send_at", why));
    }
    let campaign = state.store().campaign(id).await?.ok_or_else(|| AppError::not_found("campaign"))?;
    Ok(Json(campaign.into()))
}

/// A new draft with a campaign's content and audience, named "Copy of …".
#[utoipa::path(post, path = "/campaigns/{id}/copy", tag = "campaigns", params(("id" = i64, Path, description = "id")), responses((status = 201, body = CampaignView), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn copy(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<(StatusCode, Json<CampaignView>)> {
    let original = state.store().campaign(id).await?.ok_or_else(|| AppError::not_found("campaign"))?;
    let copy = crate::campaigns::copy(&state, &original).await?;
    Ok((StatusCode::CREATED, Json(copy.into())))
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ReportView {
    /// Deliveries by status.
    deliveries: std::collections::BTreeMap<String, i64>,
    human_opens: i64,
    machine_opens: i64,
    unique_human_opens: i64,
    human_clicks: i64,
    machine_clicks: i64,
    unique_human_clicks: i64,
    /// (URL, people, scanners)
    clicks_by_link: Vec<(String, i64, i64)>,
    unsubscribes: i64,
    /// Feedback-loop complaints.
    complaints: i64,
    /// (recipient domain, complaints, delivered there)
    complaints_by_domain: Vec<(String, i64, i64)>,
    /// Bounces by reason: (reason, hard/soft/sender, count), including
    /// those that came back after the receiver accepted the message.
    bounces_by_reason: Vec<(String, String, i64)>,
}

/// A campaign's numbers.
#[utoipa::path(get, path = "/campaigns/{id}/report", tag = "campaigns", params(("id" = i64, Path, description = "id")), responses((status = 200, body = ReportView), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn report(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<ReportView>> {
    let campaign = state.store().campaign(id).await?.ok_or_else(|| AppError::not_found("campaign"))?;
    let r = state.store().campaign_report(id).await?;
    let url = |i: i32| usize::try_from(i).ok().and_then(|i| campaign.links.get(i)).cloned().unwrap_or_default();
    Ok(Json(ReportView {
        deliveries: r.by_status.into_iter().collect(),
        human_opens: r.human_opens,
        machine_opens: r.machine_opens,
        unique_human_opens: r.unique_human_opens,
        human_clicks: r.human_clicks,
        machine_clicks: r.machine_clicks,
        unique_human_clicks: r.unique_human_clicks,
        clicks_by_link: r.clicks_by_link.into_iter().map(|(i, h, m)| (url(i), h, m)).collect(),
        unsubscribes: r.unsubscribes,
        complaints: state.store().complaint_count(id).await?,
        complaints_by_domain: state.store().complaints_by_domain(id).await?,
        bounces_by_reason: state.store().bounce_reasons(id).await?,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ScoreView {
    /// Out of 10, one decimal.
    score: f64,
    /// Checks that could not run (a lookup failed, no source address): the
    /// score says nothing about them.
    unchecked: usize,
    findings: Vec<FindingView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct FindingView {
    /// authentication, reverse-dns, blocklists, content or format.
    area: String,
    check: String,
    /// ok, fail or unknown.
    status: String,
    /// Points deducted.
    deducted: f64,
    reason: String,
    fix: String,
}

/// A campaign's deliverability score: its message as it would leave now,
/// with the reason and a fix for every deduction.
#[utoipa::path(get, path = "/campaigns/{id}/score", tag = "campaigns", params(("id" = i64, Path, description = "id")), responses((status = 200, body = ScoreView), (status = 404, body = ApiErrorBody), (status = 422, description = "the campaign does not render", body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn score(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<ScoreView>> {
    let campaign = state.store().campaign(id).await?.ok_or_else(|| AppError::not_found("campaign"))?;
    let score = crate::score_pages::score_campaign(&state, &campaign)
        .await?
        .map_err(|e| AppError::unprocessable(crate::error::request_language().t1("err-does-not-render", "error", e)))?;
    let findings = score
        .findings
        .iter()
        .map(|f| FindingView {
            area: serde_json::to_value(f.area).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            check: f.what.clone(),
            status: f.status.as_str().to_owned(),
            deducted: f64::from(f.deducted) / 10.0,
            reason: f.reason.clone(),
            fix: f.fix.clone(),
        })
        .collect();
    Ok(Json(ScoreView { score: f64::from(score.tenths()) / 10.0, unchecked: score.unchecked(), findings }))
}
