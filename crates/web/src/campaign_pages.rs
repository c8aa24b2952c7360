//! Dashboard pages of campaigns and layouts: compose, preview at phone and
//! desktop width, test send, schedule, pause, cancel, report.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use chrono::Utc;
use domain::{AbMetric, CampaignStatus};
use prepare::{self};
use serde::Deserialize;
use store::{Campaign, CampaignFields, CampaignReport, DeliveryRow, List, Segment, StoreError};

use crate::auth::AdminUser;
use crate::campaigns::{
    Fault, blank_campaign, check_fields, local_moment, located_faults, render_for, sandboxed_copy, schedule_as,
    template_errors,
};
use crate::csrf::CsrfForm;
use crate::error::Invalid;
use crate::pages::{Frame, render};
use crate::{AppError, AppState};

/// Form bodies may be this large, so an oversized campaign body gets our
/// own message naming the limit rather than a bare 413.
pub(crate) const MAX_FORM_BYTES: usize = 8 * 1024 * 1024;

// ---------------------------------------------------------------- layouts

#[derive(Template)]
#[template(path = "layouts.html")]
struct LayoutsPage {
    frame: Frame,
    layouts: Vec<store::Template>,
}

pub(crate) async fn layouts(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    render(StatusCode::OK, jar, LayoutsPage { frame, layouts: state.store().templates().await? })
}

#[derive(Template)]
#[template(path = "layout.html")]
struct LayoutPage {
    frame: Frame,
    id: Option<i64>,
    name: String,
    body: String,
    errors: Vec<Fault>,
}

pub(crate) async fn new_layout(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    let page = LayoutPage {
        frame,
        id: None,
        name: String::new(),
        body: message::default_layout(admin.language).to_owned(),
        errors: Vec::new(),
    };
    render(StatusCode::OK, jar, page)
}

pub(crate) async fn layout(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let layout = state.store().template(id).await?.ok_or(AppError::NotFound)?;
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    let page = LayoutPage { frame, id: Some(id), name: layout.name, body: layout.body, errors: Vec::new() };
    render(StatusCode::OK, jar, page)
}

#[derive(Deserialize)]
pub(crate) struct LayoutForm {
    name: String,
    body: String,
}

/// The faults of a layout, in its own lines: it is tried with a small HTML
/// body, compiled and rendered for an example subscriber.
pub(crate) fn layout_errors(state: &AppState, body: &str) -> Vec<Fault> {
    let probe = CampaignFields {
        subject: "Check".into(),
        body: "<p>Check</p>".into(),
        body_format: "html".into(),
        from_address: "check@example.com".into(),
        ..CampaignFields::default()
    };
    let faults = located_faults(state, &probe, body);
    faults.into_iter().filter(|f| f.part.as_deref().is_none_or(|part| part == "layout")).collect()
}

async fn save_layout(
    state: AppState,
    jar: CookieJar,
    admin: AdminUser,
    id: Option<i64>,
    form: LayoutForm,
) -> Result<Response, AppError> {
    let name = form.name.trim().to_owned();
    let lang = admin.language;
    let mut errors = layout_errors(&state, &form.body);
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(lang.t("layout-name-needed").into());
    }
    if errors.is_empty() {
        match state.store().save_template(id, &name, &form.body).await {
            Ok(saved) => return Ok(Redirect::to(&format!("/layouts/{}", saved.id)).into_response()),
            Err(StoreError::Conflict(_)) => {
                errors.push(lang.t1("layout-name-taken", "name", format!("{name:?}")).into())
            }
            Err(e) => return Err(e.into()),
        }
    }
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    let page = LayoutPage { frame, id, name, body: form.body, errors };
    render(StatusCode::UNPROCESSABLE_ENTITY, jar, page)
}

pub(crate) async fn create_layout(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(form): CsrfForm<LayoutForm>,
) -> Result<Response, AppError> {
    save_layout(state, jar, admin, None, form).await
}

pub(crate) async fn update_layout(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<LayoutForm>,
) -> Result<Response, AppError> {
    save_layout(state, jar, admin, Some(id), form).await
}

/// A layout around an example body, for an example subscriber, as a page
/// that runs no script.
pub(crate) async fn layout_preview(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    state.store().template(id).await?.ok_or(AppError::NotFound)?;
    let blank = blank_campaign();
    let fields = CampaignFields {
        name: "Layout preview".into(),
        subject: admin.language.t("layout-sample-subject"),
        from_address: "news@example.com".into(),
        // The body a layout is previewed with, in the admin's language.
        body: admin.language.t("layout-sample-body"),
        body_format: "markdown".into(),
        template_id: Some(id),
        ..blank.fields()
    };
    sandboxed_copy(&state, &blank.with_fields(fields), "").await
}

#[derive(Deserialize)]
pub(crate) struct EmptyForm {}

pub(crate) async fn delete_layout(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, AppError> {
    match state.store().delete_template(id).await {
        Ok(()) => Ok(Redirect::to("/layouts").into_response()),
        Err(StoreError::Conflict(_)) => Err(AppError::BadRequest(admin.language.t("layout-in-use"))),
        Err(e) => Err(e.into()),
    }
}

// -------------------------------------------------------------- campaigns

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage {
    frame: Frame,
    rows: Vec<CampaignRow>,
}

/// A line of the campaigns list.
struct CampaignRow {
    campaign: Campaign,
    /// The recipients of a campaign that started; a draft's audience now.
    audience: Option<i64>,
    /// Delivered, and the share of those who opened and who clicked (%).
    figures: Option<(i64, String, String)>,
}

/// Drafts whose audience the list counts (each is a count of the audience).
const COUNTED_DRAFTS: usize = 20;

pub(crate) async fn campaigns(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    let campaigns = state.store().campaigns(200).await?;
    let ids: Vec<i64> = campaigns.iter().map(|c| c.id).collect();
    let figures = state.store().campaign_figures(&ids).await?;
    let mut rows = Vec::with_capacity(campaigns.len());
    let mut drafts_counted = 0;
    for campaign in campaigns {
        let audience = if campaign.status != CampaignStatus::Draft {
            Some(campaign.recipients)
        } else if drafts_counted < COUNTED_DRAFTS && (!campaign.list_ids.is_empty() || campaign.segment_id.is_some()) {
            drafts_counted += 1;
            let segment = prepare::segment(state.store(), &campaign).await.ok().flatten();
            state.store().audience_count(&campaign.list_ids, segment.as_ref()).await.ok()
        } else {
            None
        };
        let share = |part: i64, of: i64| {
            if of == 0 { "–".to_owned() } else { format!("{:.1} %", part as f64 * 100.0 / of as f64) }
        };
        let figures = figures
            .iter()
            .find(|f| f.0 == campaign.id)
            .map(|&(_, delivered, opened, clicked)| (delivered, share(opened, delivered), share(clicked, delivered)));
        rows.push(CampaignRow { campaign, audience, figures });
    }
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    render(StatusCode::OK, jar, CampaignsPage { frame, rows })
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    frame: Frame,
    campaign: Campaign,
    is_new: bool,
    editable: bool,
    lists: Vec<List>,
    segments: Vec<Segment>,
    layouts: Vec<store::Template>,
    errors: Vec<Fault>,
    notice: Option<String>,
    audience: Option<i64>,
}

impl CampaignPage {
    fn has_list(&self, id: &i64) -> bool {
        self.campaign.list_ids.contains(id)
    }
    fn is_layout(&self, id: &i64) -> bool {
        self.campaign.template_id == Some(*id)
    }
    fn is_segment(&self, id: &i64) -> bool {
        self.campaign.segment_id == Some(*id)
    }
    /// The lifecycle buttons the campaign's state offers: (action, label,
    /// dangerous). Deleting has a place of its own, apart.
    fn lifecycle(&self) -> Vec<(&'static str, String, bool)> {
        use CampaignStatus::*;
        let status = self.campaign.status;
        [
            ("unschedule", false, matches!(status, Scheduled)),
            ("pause", false, matches!(status, Sending)),
            ("resume", false, matches!(status, Paused)),
            ("cancel", true, matches!(status, Scheduled | Sending | Paused)),
        ]
        .into_iter()
        .filter(|a| a.2)
        .map(|(action, danger, _)| (action, self.frame.tk("campaign-action", action), danger))
        .collect()
    }
    fn can_delete(&self) -> bool {
        use CampaignStatus::*;
        !self.is_new && matches!(self.campaign.status, Draft | Scheduled | Finished | Cancelled)
    }
    fn window(&self, which: &str) -> String {
        let time = if which == "start" { self.campaign.window_start } else { self.campaign.window_end };
        time.map(|t| t.format("%H:%M").to_string()).unwrap_or_default()
    }
    fn ab_subjects(&self) -> String {
        self.campaign.ab_subjects.join("\n")
    }
    /// The send time in the admin's zone, and in the campaign's own when
    /// that is another.
    fn send_at(&self) -> String {
        let Some(t) = self.campaign.send_at else { return String::new() };
        let shown = self.frame.at(&t);
        if self.campaign.time_zone == self.frame.zone.name() {
            shown
        } else {
            let local = local_moment(t, &self.campaign.time_zone, self.frame.lang);
            self.frame.lang.t_with(
                "campaign-send-time-zones",
                &[
                    ("shown", i18n::Arg::from(shown)),
                    ("local", i18n::Arg::from(local)),
                    ("zone", i18n::Arg::from(self.campaign.time_zone.as_str())),
                ],
            )
        }
    }
}

async fn campaign_page(
    state: &AppState,
    jar: CookieJar,
    admin: AdminUser,
    status: StatusCode,
    campaign: Campaign,
    errors: Vec<Fault>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let (jar, frame) = Frame::issue(state, jar, &admin);
    let audience = if campaign.id != 0 && (!campaign.list_ids.is_empty() || campaign.segment_id.is_some()) {
        let segment = prepare::segment(state.store(), &campaign).await.ok().flatten();
        state.store().audience_count(&campaign.list_ids, segment.as_ref()).await.ok()
    } else {
        None
    };
    let page = CampaignPage {
        frame,
        is_new: campaign.id == 0,
        editable: campaign.status == CampaignStatus::Draft,
        campaign,
        lists: state.store().lists().await?,
        segments: state.store().segments().await?,
        layouts: state.store().templates().await?,
        errors,
        notice,
        audience,
    };
    render(status, jar, page)
}

pub(crate) async fn new_campaign(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    let s = state.store().sender_settings().await?;
    let blank = blank_campaign();
    let fields = CampaignFields {
        from_name: s.from_name,
        from_address: s.from_address,
        reply_to: s.reply_to,
        time_zone: s.time_zone,
        track_opens: s.track_opens,
        track_clicks: s.track_clicks,
        ..blank.fields()
    };
    campaign_page(&state, jar, admin, StatusCode::OK, blank.with_fields(fields), Vec::new(), None).await
}

#[derive(Deserialize)]
pub(crate) struct NoticeQuery {
    #[serde(default)]
    pub(crate) notice: Option<String>,
}

pub(crate) async fn campaign(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path(id): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let campaign = state.store().campaign(id).await?.ok_or(AppError::NotFound)?;
    let notice = query.notice.map(|n| n.chars().take(300).collect());
    campaign_page(&state, jar, admin, StatusCode::OK, campaign, Vec::new(), notice).await
}

/// Reads the campaign form (repeated `list` fields) into fields and the
/// faults a person can fix.
fn read_form(pairs: &[(String, String)], lang: i18n::Language) -> (CampaignFields, Vec<String>) {
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or_default();
    let id_of = |key: &str| get(key).trim().parse::<i64>().ok();
    let mut errors = Vec::new();
    let fields = CampaignFields {
        name: get("name").trim().to_owned(),
        from_name: get("from_name").trim().to_owned(),
        from_address: get("from_address").trim().to_owned(),
        reply_to: get("reply_to").trim().to_owned(),
        subject: get("subject").trim().to_owned(),
        preheader: get("preheader").trim().to_owned(),
        body_format: get("body_format").to_owned(),
        body: get("body").replace("\r\n", "\n"),
        text_body: get("text_body").replace("\r\n", "\n"),
        template_id: id_of("template_id"),
        list_ids: pairs.iter().filter(|(k, _)| k == "list").filter_map(|(_, v)| v.parse().ok()).collect(),
        segment_id: id_of("segment_id"),
        track_opens: get("track_opens") == "on",
        track_clicks: get("track_clicks") == "on",
        anonymous_tracking: get("anonymous_tracking") == "on",
        time_zone: Some(get("time_zone").trim()).filter(|z| !z.is_empty()).unwrap_or("UTC").to_owned(),
        recipient_zone_attribute: get("recipient_zone_attribute").trim().to_owned(),
        window_start: None,
        window_end: None,
        ab_subjects: get("ab_subjects").lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect(),
        ab_sample_percent: get("ab_sample_percent").trim().parse().unwrap_or(0),
        ab_wait_minutes: get("ab_wait_hours").trim().parse::<i32>().map_or(240, |h| h.saturating_mul(60)),
        ab_metric: AbMetric::parse(get("ab_metric")).unwrap_or(AbMetric::Opens),
        // Empty: its first list's, settled when saved.
        language: get("language").trim().to_owned(),
        charset: Some(get("charset").trim()).filter(|c| !c.is_empty()).unwrap_or("utf-8").to_owned(),
    };
    let mut fields = fields;
    match (parse_time(get("window_start")), parse_time(get("window_end"))) {
        (Ok(start), Ok(end)) => {
            fields.window_start = start;
            fields.window_end = end;
        }
        (Err(value), _) | (_, Err(value)) => errors.push(lang.t1("campaign-bad-window", "value", value)),
    }
    errors.extend(check_fields(&fields).into_iter().map(|(_, message)| message));
    errors.extend(crate::campaigns::charset_faults(&fields, lang).into_iter().map(|(_, message)| message));
    (fields, errors)
}

/// An `HH:MM` time; empty is None. Err: the value, quoted, that is not one.
fn parse_time(value: &str) -> Result<Option<chrono::NaiveTime>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    chrono::NaiveTime::parse_from_str(value, "%H:%M").map(Some).map_err(|_| format!("{value:?}"))
}

async fn save_campaign(
    state: AppState,
    jar: CookieJar,
    admin: AdminUser,
    id: Option<i64>,
    pairs: Vec<(String, String)>,
) -> Result<Response, AppError> {
    let lang = admin.language;
    let (mut fields, errors) = read_form(&pairs, lang);
    let widened = crate::campaigns::widen_katakana(&mut fields);
    let mut errors: Vec<Fault> = errors.into_iter().map(Fault::from).collect();
    if let Err(error) = crate::campaigns::settle_language(&state, &mut fields).await? {
        errors.push(error.into());
    }
    if errors.is_empty() {
        errors = template_errors(&state, &fields).await?;
    }
    if errors.is_empty() {
        match state.store().save_campaign(id, &fields).await {
            Ok(saved) => {
                let widened = crate::campaigns::widened_sentence(&widened, lang);
                let notice = urlencode(format!("{} {widened}", lang.t("common-saved")).trim());
                return Ok(Redirect::to(&format!("/campaigns/{}?notice={notice}", saved.id)).into_response());
            }
            Err(StoreError::Conflict(what)) => errors.push(lang.t1("campaign-cannot-save", "what", what).into()),
            Err(e) => return Err(e.into()),
        }
    }
    let shown = match id {
        Some(id) => state.store().campaign(id).await?.ok_or(AppError::NotFound)?,
        None => blank_campaign(),
    }
    .with_fields(fields);
    campaign_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, shown, errors, None).await
}

pub(crate) async fn create_campaign(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    save_campaign(state, jar, admin, None, pairs).await
}

pub(crate) async fn update_campaign(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path(id): Path<i64>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    save_campaign(state, jar, admin, Some(id), pairs).await
}

#[derive(Deserialize)]
pub(crate) struct ScheduleForm {
    /// "now" or "later"; nothing is chosen for the marketer.
    #[serde(default)]
    when: String,
    #[serde(default)]
    send_at: String,
    /// "yes" once the marketer has seen the confirmation page.
    #[serde(default)]
    confirmed: String,
}

/// The last look before a campaign goes to its list: what, to how many,
/// from which domain, when. Nothing is sent until its button is pressed.
#[derive(Template)]
#[template(path = "campaign_send.html")]
struct SendPage {
    frame: Frame,
    campaign: Campaign,
    plan: crate::campaigns::Plan,
    when: String,
    send_at: String,
    /// The lists (and segment) the audience comes from.
    audience: String,
    /// The domain that signs, and whether it can.
    signing: String,
    sandbox: bool,
}

impl SendPage {
    fn now(&self) -> bool {
        self.when == "now"
    }
}

pub(crate) async fn schedule_campaign(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<ScheduleForm>,
) -> Result<Response, AppError> {
    let campaign = state.store().campaign(id).await?.ok_or(AppError::NotFound)?;
    let lang = admin.language;
    let local = match form.when.as_str() {
        "now" => Ok(None),
        "later" => Ok(Some(form.send_at.as_str())),
        _ => Err(Invalid::from(lang.t("campaign-choose-when"))),
    };
    let error = match local {
        Err(error) => error,
        Ok(local) if form.confirmed == "yes" => match schedule_as(&state, &campaign, local, lang).await? {
            Ok(notice) => {
                return Ok(Redirect::to(&format!("/campaigns/{id}?notice={}", urlencode(&notice))).into_response());
            }
            Err(error) => error,
        },
        Ok(local) => match crate::campaigns::plan(&state, &campaign, local, lang).await? {
            Ok(plan) => {
                let audience = audience_words(&state, &campaign, lang).await?;
                let signing = signing_words(&state, &campaign.from_address, lang).await?;
                let sandbox = state.config().delivery_mode == domain::DeliveryMode::Sandbox;
                let (jar, frame) = Frame::issue(&state, jar, &admin);
                let (when, send_at) = (form.when, form.send_at);
                let page = SendPage { frame, campaign, plan, when, send_at, audience, signing, sandbox };
                return render(StatusCode::OK, jar, page);
            }
            Err(error) => error,
        },
    };
    campaign_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, campaign, vec![error.into()], None).await
}

/// "on Weekly, Offers, only those in segment Tokyo".
async fn audience_words(state: &AppState, campaign: &Campaign, lang: i18n::Language) -> Result<String, AppError> {
    let lists = state.store().lists().await?;
    let names: Vec<&str> =
        lists.iter().filter(|l| campaign.list_ids.contains(&l.id)).map(|l| l.name.as_str()).collect();
    let names = names.join(", ");
    let segment = match campaign.segment_id {
        Some(id) => state.store().segment(id).await?,
        None => None,
    };
    Ok(match (names.is_empty(), segment) {
        (true, None) => lang.t("campaign-audience-every-list"),
        (false, None) => lang.t1("campaign-audience-lists", "lists", names),
        (true, Some(segment)) => lang.t1("campaign-audience-every-list-segment", "segment", segment.name),
        (false, Some(segment)) => lang.t2("campaign-audience-lists-segment", "lists", names, "segment", segment.name),
    })
}

/// Which domain signs the campaign's mail, and whether it can yet.
async fn signing_words(state: &AppState, from_address: &str, lang: i18n::Language) -> Result<String, AppError> {
    let domain = domain::domain_of(domain::bare_address(from_address)).to_ascii_lowercase();
    if domain.is_empty() {
        return Ok(lang.t("campaign-signing-no-from"));
    }
    let keys = state.store().active_dkim_keys(&domain).await?;
    let verified = state.store().domain_verified_at(&domain).await?.is_some();
    let key = match (keys.is_empty(), verified) {
        (true, _) => "campaign-signing-no-key",
        (false, false) => "campaign-signing-unseen",
        (false, true) => "campaign-signing-verified",
    };
    Ok(lang.t1(key, "domain", domain))
}

pub(crate) fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|e| e[1..].to_owned()).unwrap_or_default()
}

/// The lifecycle buttons: (action, states it may start from, state it leads to).
const TRANSITIONS: &[(&str, &[&str], &str)] = &[
    ("unschedule", &["scheduled"], "draft"),
    ("pause", &["sending"], "paused"),
    ("resume", &["paused"], "sending"),
    ("cancel", &["scheduled", "sending", "paused"], "cancelled"),
];

pub(crate) async fn transition(
    State(state): State<AppState>,
    admin: AdminUser,
    Path((id, action)): Path<(i64, String)>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, AppError> {
    let lang = admin.language;
    if action == "copy" {
        let original = state.store().campaign(id).await?.ok_or(AppError::NotFound)?;
        let copy = crate::campaigns::copy(&state, &original).await?;
        let notice = urlencode(&lang.t("campaign-copied"));
        return Ok(Redirect::to(&format!("/campaigns/{}?notice={notice}", copy.id)).into_response());
    }
    if action == "delete" {
        return match state.store().delete_campaign(id).await {
            Ok(()) => Ok(Redirect::to("/campaigns").into_response()),
            Err(StoreError::NotFound(_)) => Err(AppError::BadRequest(lang.t("campaign-delete-first"))),
            Err(e) => Err(e.into()),
        };
    }
    let (_, from, to) = TRANSITIONS.iter().find(|(name, _, _)| *name == action).ok_or(AppError::NotFound)?;
    if !state.store().set_campaign_status(id, from, to, None).await? {
        let label = lang.tk("campaign-action", &action);
        return Err(AppError::BadRequest(lang.t2("campaign-cannot-action", "action", &action, "label", label)));
    }
    let notice = lang.t2("campaign-now-state", "state", to, "label", lang.tk("campaign-state", to));
    Ok(Redirect::to(&format!("/campaigns/{id}?notice={}", urlencode(&notice))).into_response())
}

// ------------------------------------------------------ preview and tests

#[derive(Deserialize)]
pub(crate) struct PreviewQuery {
    /// A subscriber's email address; empty: the first of the audience.
    #[serde(default)]
    subscriber: String,
}

#[derive(Template)]
#[template(path = "preview.html")]
struct PreviewPage {
    frame: Frame,
    campaign: Campaign,
    subscriber: String,
    shown_for: String,
    subject: String,
    text: String,
    error: Option<String>,
}

pub(crate) async fn preview(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path(id): Path<i64>,
    Query(query): Query<PreviewQuery>,
) -> Result<Response, AppError> {
    let campaign = state.store().campaign(id).await?.ok_or(AppError::NotFound)?;
    let (subject, text, shown_for, error) = match render_for(&state, &campaign, &query.subscriber, None).await? {
        Ok(copy) => (copy.rendered.subject, copy.rendered.text, copy.email, None),
        Err(e) => (String::new(), String::new(), String::new(), Some(e.into())),
    };
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    let page = PreviewPage { frame, campaign, subscriber: query.subscriber, shown_for, subject, text, error };
    render(StatusCode::OK, jar, page)
}

/// The HTML part alone, for the preview frames: sandboxed, so whatever the
/// marketer's HTML contains cannot script the dashboard.
pub(crate) async fn preview_html(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<i64>,
    Query(query): Query<PreviewQuery>,
) -> Result<Response, AppError> {
    let campaign = state.store().campaign(id).await?.ok_or(AppError::NotFound)?;
    sandboxed_copy(&state, &campaign, &query.subscriber).await
}

#[derive(Deserialize)]
pub(crate) struct TestForm {
    addresses: String,
}

/// Sends the campaign, as rendered for the first recipient of its audience,
/// to the given addresses (at most 10). In sandbox mode they land in the
/// capture mailbox.
pub(crate) async fn test_send(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<TestForm>,
) -> Result<Response, AppError> {
    let campaign = state.store().campaign(id).await?.ok_or(AppError::NotFound)?;
    let lang = admin.language;
    let mut addresses = Vec::new();
    let mut errors = Vec::new();
    for raw in form.addresses.split([',', '\n', ' ']).map(str::trim).filter(|a| !a.is_empty()) {
        match domain::EmailAddress::parse(raw) {
            Ok(a) => addresses.push(a),
            Err(e) => errors.push(lang.t2("campaign-test-bad-address", "address", format!("{raw:?}"), "reason", e)),
        }
    }
    if addresses.is_empty() && errors.is_empty() {
        errors.push(lang.t("campaign-test-none"));
    }
    if addresses.len() > 10 {
        errors.push(lang.t("campaign-test-too-many"));
    }
    if errors.is_empty() {
        match render_for(&state, &campaign, "", Some((Utc::now().timestamp(), &addresses))).await? {
            Ok(copy) => {
                let subject = format!("[Test] {}", copy.rendered.subject);
                let send = state.config().delivery_mode == domain::DeliveryMode::Production;
                for (address, bytes) in addresses.iter().zip(&copy.bytes) {
                    let (to, text) = (address.as_str(), &copy.rendered.text);
                    let from = &campaign.from_address;
                    state.store().queue_test_message(to, from, &subject, text, bytes, send).await?;
                }
                let key = if send { "campaign-test-queued" } else { "campaign-test-captured" };
                let notice = lang.t1(key, "count", addresses.len());
                return Ok(Redirect::to(&format!("/campaigns/{id}?notice={}", urlencode(&notice))).into_response());
            }
            Err(e) => errors.push(lang.t1("campaign-cannot-render", "error", e)),
        }
    }
    let errors = errors.into_iter().map(Fault::from).collect();
    campaign_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, campaign, errors, None).await
}

// ----------------------------------------------------------------- report

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    frame: Frame,
    /// Whether the reader may open the campaign itself (the title links there).
    edits: bool,
    campaign: Campaign,
    report: CampaignReport,
    progress: store::CampaignProgress,
    deliveries: Vec<DeliveryRow>,
    chart: String,
    /// (subject line, delivered, opened, clicked, winner) per A/B variant.
    variants: Vec<(String, i64, i64, i64, bool)>,
    complaints: i64,
    /// (recipient domain, complaints, delivered there)
    complaint_domains: Vec<(String, i64, i64)>,
    /// (reason, hard/soft/sender, count)
    bounce_reasons: Vec<(String, String, i64)>,
    /// Why readers who left said they did: (reason, how many).
    leave_reasons: Vec<(String, i64)>,
    /// Their own words, newest first.
    leave_words: Vec<String>,
}

impl ReportPage {
    fn rate(&self, part: &i64, whole: &i64) -> String {
        if *whole == 0 { "–".into() } else { format!("{:.2} %", *part as f64 * 100.0 / *whole as f64) }
    }
    fn count(&self, status: &str) -> i64 {
        self.report.count(status)
    }
    fn link(&self, index: &i32) -> &str {
        usize::try_from(*index).ok().and_then(|i| self.campaign.links.get(i)).map_or("", String::as_str)
    }
    fn percent(&self, n: &i64) -> String {
        let delivered = self.count("delivered");
        if delivered == 0 { "–".into() } else { format!("{:.1} %", *n as f64 * 100.0 / delivered as f64) }
    }
}

pub(crate) trait ReportCounts {
    fn count(&self, status: &str) -> i64;
}

impl ReportCounts for CampaignReport {
    fn count(&self, status: &str) -> i64 {
        self.by_status.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n)
    }
}

pub(crate) async fn report(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let campaign = state.store().campaign(id).await?.ok_or(AppError::NotFound)?;
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    let report = state.store().campaign_report(id).await?;
    let progress = state.store().campaign_progress(id, Utc::now()).await?;
    let mut deliveries = state.store().campaign_deliveries(id, 100).await?;
    if !admin.role.sees_addresses() {
        for d in &mut deliveries {
            let masked = domain::masked(&d.email);
            // Receivers often quote the address in their reply.
            if let Some(reply) = d.last_reply.as_mut() {
                *reply = replace_ignoring_case(reply, &d.email, &masked);
            }
            d.email = masked;
        }
    }
    let chart = crate::chart::timeline(&report.timeline, &frame.zone, frame.lang);
    let mut variants = Vec::new();
    if !campaign.ab_subjects.is_empty() && campaign.ab_sample_percent > 0 {
        for (variant, delivered, opened, clicked) in state.store().variant_report(id).await? {
            let index = usize::try_from(variant).unwrap_or(0);
            let subject = if index == 0 { &campaign.subject } else { &campaign.ab_subjects[index - 1] };
            variants.push((subject.clone(), delivered, opened, clicked, campaign.ab_winner == Some(variant)));
        }
    }
    let complaints = state.store().complaint_count(id).await?;
    let complaint_domains = state.store().complaints_by_domain(id).await?;
    let bounce_reasons = state.store().bounce_reasons(id).await?;
    let (leave_reasons, leave_words) = state.store().unsubscribe_reasons(id).await?;
    let page = ReportPage {
        frame,
        edits: admin.role.allows(domain::Area::Campaigns, false),
        campaign,
        report,
        progress,
        deliveries,
        chart,
        variants,
        complaints,
        complaint_domains,
        bounce_reasons,
        leave_reasons,
        leave_words,
    };
    render(StatusCode::OK, jar, page)
}

/// `text` with every occurrence of `word` (ASCII case ignored) replaced.
fn replace_ignoring_case(text: &str, word: &str, with: &str) -> String {
    if word.is_empty() {
        return text.to_owned();
    }
    let (lower_text, lower_word) = (text.to_ascii_lowercase(), word.to_ascii_lowercase());
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(found) = lower_text[at..].find(&lower_word) {
        out.push_str(&text[at..at + found]);
        out.push_str(with);
        at += found + word.len();
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_address_quoted_in_a_reply_is_masked_whatever_its_case() {
        let reply = "550 5.1.1 <Taro@Example.JP>: user unknown (taro@example.jp)";
        assert_eq!(
            super::replace_ignoring_case(reply, "taro@example.jp", "t•••@example.jp"),
            "550 5.1.1 <t•••@example.jp>: user unknown (t•••@example.jp)"
        );
        assert_eq!(super::replace_ignoring_case("x", "", "y"), "x");
    }
}
