//! Dashboard pages of step sequences (drip): a list, what starts them
//! (joining it, or a date attribute), steps with delays, activation, and
//! where each subscriber is.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use domain::SequenceStatus;
use prepare::{self, PrepareError};
use serde::Deserialize;
use store::{Campaign, CampaignFields, DateTrigger, List, Segment, Sequence, SequenceProgress};

use crate::auth::AdminUser;
use crate::campaign_pages::{EmptyForm, NoticeQuery, urlencode};
use crate::csrf::CsrfForm;
use crate::error::Invalid;
use crate::pages::{Frame, render};
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "sequences.html")]
struct SequencesPage {
    frame: Frame,
    sequences: Vec<Sequence>,
    lists: Vec<List>,
    segments: Vec<Segment>,
    error: Option<String>,
}

impl SequencesPage {
    fn list_name(&self, id: &i64) -> &str {
        self.lists.iter().find(|l| l.id == *id).map_or("", |l| l.name.as_str())
    }
}

async fn sequences_page(
    state: &AppState,
    jar: CookieJar,
    admin: AdminUser,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, AppError> {
    let (jar, frame) = Frame::issue(state, jar, &admin);
    let page = SequencesPage {
        frame,
        sequences: state.store().sequences().await?,
        lists: state.store().lists().await?,
        segments: state.store().segments().await?,
        error,
    };
    render(status, jar, page)
}

pub(crate) async fn sequences(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    sequences_page(&state, jar, admin, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub(crate) struct SequenceForm {
    name: String,
    list_id: i64,
    #[serde(default)]
    exit_segment_id: String,
    /// "join" (default) or "date".
    #[serde(default)]
    starts: String,
    #[serde(default)]
    date_attribute: String,
    /// A ticked box: every year on the date's anniversary.
    #[serde(default)]
    yearly: Option<String>,
}

impl SequenceForm {
    /// What starts the sequence, or why the form is wrong (in `lang`).
    fn trigger(&self, lang: i18n::Language) -> Result<Option<DateTrigger>, Invalid> {
        if self.starts != "date" {
            return Ok(None);
        }
        let attribute = self.date_attribute.trim();
        if attribute.is_empty() || attribute.chars().count() > 100 || attribute.chars().any(char::is_control) {
            return Err(lang.t("sequence-attribute-needed").into());
        }
        Ok(Some(DateTrigger { attribute: attribute.to_owned(), yearly: self.yearly.is_some() }))
    }
}

pub(crate) async fn create_sequence(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(form): CsrfForm<SequenceForm>,
) -> Result<Response, AppError> {
    let name = form.name.trim();
    let lang = admin.language;
    if name.is_empty() || name.chars().count() > 200 {
        let error = Some(lang.t("sequence-name-needed"));
        return sequences_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, error).await;
    }
    let trigger = match form.trigger(lang) {
        Ok(trigger) => trigger,
        Err(error) => {
            return sequences_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, Some(error.into())).await;
        }
    };
    let exit = form.exit_segment_id.parse().ok();
    let sequence = state.store().create_sequence(name, form.list_id, exit, trigger.as_ref()).await?;
    Ok(Redirect::to(&format!("/sequences/{}", sequence.id)).into_response())
}

#[derive(Template)]
#[template(path = "sequence.html")]
struct SequencePage {
    frame: Frame,
    sequence: Sequence,
    list_name: String,
    steps: Vec<Campaign>,
    progress: Vec<SequenceProgress>,
    notice: Option<String>,
}

impl SequencePage {
    fn delay(&self, step: &Campaign) -> String {
        let minutes = step.step_delay_minutes.unwrap_or(0);
        match (minutes / 1440, minutes % 1440) {
            (days, 0) => self.frame.t1("sequence-day", "days", days),
            (days, rest) => {
                let day = self.frame.t1("sequence-day", "days", days);
                format!("{day} + {}", self.frame.t2("sequence-hours-minutes", "hours", rest / 60, "minutes", rest % 60))
            }
        }
    }
}

pub(crate) async fn sequence(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path(id): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let sequence = state.store().sequence(id).await?.ok_or(AppError::NotFound)?;
    let list_name = state.store().list(sequence.list_id).await?.map(|l| l.name).unwrap_or_default();
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    let page = SequencePage {
        frame,
        list_name,
        steps: state.store().sequence_steps(id).await?,
        progress: state.store().sequence_progress(id, 200).await?,
        sequence,
        notice: query.notice.map(|n| n.chars().take(300).collect()),
    };
    render(StatusCode::OK, jar, page)
}

#[derive(Deserialize)]
pub(crate) struct StepForm {
    name: String,
    delay_days: u16,
    from_address: String,
    #[serde(default)]
    from_name: String,
}

/// Adds a step with a starting body and opens it in the campaign editor.
pub(crate) async fn add_step(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<StepForm>,
) -> Result<Response, AppError> {
    let lang = admin.language;
    let name = form.name.trim();
    if name.is_empty() || domain::EmailAddress::parse(form.from_address.trim()).is_err() {
        return Err(AppError::BadRequest(lang.t("sequence-step-needs")));
    }
    for (key, value) in [("sequence-step-bad-name", name), ("sequence-step-bad-from-name", form.from_name.trim())] {
        domain::text::check_line(value).map_err(|e| AppError::BadRequest(lang.t1(key, "reason", e)))?;
    }
    let fields = CampaignFields {
        name: name.to_owned(),
        from_name: form.from_name.trim().to_owned(),
        from_address: form.from_address.trim().to_owned(),
        subject: name.to_owned(),
        body: "# Hello {{ subscriber.name | default(\"there\") }}\n\nWrite this step here.\n".into(),
        ..CampaignFields::default()
    };
    let step = state.store().add_step(id, i32::from(form.delay_days) * 1440, &fields).await?;
    Ok(Redirect::to(&format!("/campaigns/{}", step.id)).into_response())
}

pub(crate) async fn activate(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, AppError> {
    let lang = admin.language;
    let sequence = state.store().sequence(id).await?.ok_or(AppError::NotFound)?;
    let notice = match prepare::activate_sequence(state.store(), state.key(), id, &state.config().public_url).await {
        Ok(steps) => match (&sequence.trigger_attribute, sequence.trigger_yearly) {
            (None, _) => lang.t1("sequence-activated-join", "steps", steps),
            (Some(attribute), false) => lang.t2("sequence-activated-date", "steps", steps, "attribute", attribute),
            (Some(attribute), true) => lang.t2("sequence-activated-yearly", "steps", steps, "attribute", attribute),
        },
        Err(PrepareError::Store(store::StoreError::Conflict(_))) => lang.t("sequence-already-active"),
        Err(PrepareError::Store(e)) => return Err(e.into()),
        Err(e) => lang.t1("sequence-cannot-activate", "error", e),
    };
    Ok(Redirect::to(&format!("/sequences/{id}?notice={}", urlencode(&notice))).into_response())
}

pub(crate) async fn pause(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, AppError> {
    state.store().pause_sequence(id).await?;
    let notice = admin.language.t("sequence-paused");
    Ok(Redirect::to(&format!("/sequences/{id}?notice={}", urlencode(&notice))).into_response())
}
