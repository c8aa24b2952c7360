//! The sender's settings (owners): the name subscribers' pages carry and
//! what a new campaign starts from.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use store::SenderSettings;

use crate::auth::AdminUser;
use crate::csrf::CsrfForm;
use crate::error::Invalid;
use crate::pages::{Frame, render};
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    frame: Frame,
    s: SenderSettings,
    zones: Vec<&'static str>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct NoticeQuery {
    notice: Option<String>,
}

impl NoticeQuery {
    /// The notice to show, cut to a sentence's length.
    pub(crate) fn notice(self) -> Option<String> {
        self.notice.map(|n| n.chars().take(200).collect())
    }
}

pub(crate) async fn settings(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let s = state.store().sender_settings().await?;
    page(&state, jar, &admin, StatusCode::OK, s, query.notice(), None)
}

fn page(
    state: &AppState,
    jar: CookieJar,
    admin: &AdminUser,
    status: StatusCode,
    s: SenderSettings,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let (jar, frame) = Frame::issue(state, jar, admin);
    let zones = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    render(status, jar, SettingsPage { frame, s, zones, notice, error })
}

#[derive(Deserialize)]
pub(crate) struct SettingsForm {
    #[serde(default)]
    organization: String,
    #[serde(default)]
    from_name: String,
    #[serde(default)]
    from_address: String,
    #[serde(default)]
    reply_to: String,
    #[serde(default)]
    time_zone: String,
    track_opens: Option<String>,
    track_clicks: Option<String>,
}

impl SettingsForm {
    fn settings(self) -> SenderSettings {
        SenderSettings {
            organization: self.organization.trim().to_owned(),
            from_name: self.from_name.trim().to_owned(),
            from_address: self.from_address.trim().to_owned(),
            reply_to: self.reply_to.trim().to_owned(),
            time_zone: self.time_zone.trim().to_owned(),
            track_opens: self.track_opens.is_some(),
            track_clicks: self.track_clicks.is_some(),
        }
    }
}

/// What is wrong with settings: the field and a sentence (in the
/// request's language).
pub(crate) fn check(s: &SenderSettings) -> Result<(), (&'static str, Invalid)> {
    let lang = crate::error::request_language();
    let names = [
        ("organization", "err-organization-fault", "err-organization-too-long", &s.organization),
        ("from_name", "err-from-name-fault", "err-from-name-too-long", &s.from_name),
    ];
    for (field, fault, too_long, value) in names {
        domain::text::check_line(value)
            .map_err(|e| (field, Invalid::from(lang.t1(fault, "fault", crate::error::text_fault(lang, &e)))))?;
        if value.chars().count() > 200 {
            return Err((field, lang.t(too_long).into()));
        }
    }
    for (field, key, value) in
        [("from_address", "err-from-address-fault", &s.from_address), ("reply_to", "err-reply-to-fault", &s.reply_to)]
    {
        if !value.is_empty() {
            domain::EmailAddress::parse(value)
                .map_err(|e| (field, Invalid::from(lang.t1(key, "reason", crate::error::email_fault(lang, &e)))))?;
        }
    }
    if s.time_zone.parse::<chrono_tz::Tz>().is_err() {
        let why = lang.t1("err-settings-time-zone", "value", format!("{:?}", s.time_zone));
        return Err(("time_zone", why.into()));
    }
    Ok(())
}

pub(crate) async fn save(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> Result<Response, AppError> {
    let s = form.settings();
    if let Err((_, error)) = check(&s) {
        return page(&state, jar, &admin, StatusCode::UNPROCESSABLE_ENTITY, s, None, Some(error.into()));
    }
    state.store().save_sender_settings(&s).await?;
    let notice = crate::campaign_pages::urlencode(&admin.language.t("common-saved"));
    Ok(Redirect::to(&format!("/settings?notice={notice}")).into_response())
}
