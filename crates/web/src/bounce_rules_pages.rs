//! Error-address rules (エラーアドレス自動停止): after how many bounces of
//! each reason, within how many days, an address is suppressed; and the
//! share of a campaign's sends that may bounce before its senders are
//! alerted.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use replies::{Reason, Rule};

use crate::auth::AdminUser;
use crate::csrf::CsrfForm;
use crate::pages::{Frame, render};
use crate::settings_pages::NoticeQuery;
use crate::{AppError, AppState};

/// One reason's line on the page.
struct Line {
    /// As stored (`user-unknown`): the form's field names and the words' keys.
    reason: &'static str,
    /// `hard`, `soft` or `sender`.
    effect: &'static str,
    rule: Rule,
    built_in: Rule,
}

#[derive(Template)]
#[template(path = "bounce_rules.html")]
struct RulesPage {
    frame: Frame,
    lines: Vec<Line>,
    error_rate: String,
    notice: Option<String>,
    error: Option<String>,
}

pub(crate) async fn rules(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let set = state.store().bounce_rules().await?;
    let rule_of = |r: Reason| set.iter().find(|(name, _)| name == r.as_str()).map(|(_, rule)| *rule);
    let lines = Reason::ALL.into_iter().map(|r| line(r, rule_of(r).unwrap_or(Rule::default_for(r)))).collect();
    let error_rate = percent(state.store().error_rate_alert().await?);
    page(&state, jar, &admin, StatusCode::OK, lines, error_rate, query.notice(), None)
}

fn line(reason: Reason, rule: Rule) -> Line {
    Line { reason: reason.as_str(), effect: reason.effect().as_str(), rule, built_in: Rule::default_for(reason) }
}

/// `5` → "5", `2.5` → "2.5".
fn percent(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[allow(clippy::too_many_arguments)]
fn page(
    state: &AppState,
    jar: CookieJar,
    admin: &AdminUser,
    status: StatusCode,
    lines: Vec<Line>,
    error_rate: String,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let (jar, frame) = Frame::issue(state, jar, admin);
    render(status, jar, RulesPage { frame, lines, error_rate, notice, error })
}

/// The form: `bounces-<reason>` and `days-<reason>` for each reason,
/// `error_rate`, or `reset` for the built-in rules.
pub(crate) async fn save(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let lang = admin.language;
    let field = |name: String| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.trim().to_owned());
    if field("reset".into()).is_some() {
        let all: Vec<(&str, Option<Rule>)> = Reason::ALL.iter().map(|r| (r.as_str(), None)).collect();
        state.store().save_bounce_rules(&all).await?;
        let notice = crate::campaign_pages::urlencode(&lang.t("bounce-rules-restored"));
        return Ok(Redirect::to(&format!("/bounce-rules?notice={notice}")).into_response());
    }
    let mut lines = Vec::new();
    let mut faults = Vec::new();
    for reason in Reason::ALL {
        let name = reason.as_str();
        let number = |key: &str| field(format!("{key}-{name}")).unwrap_or_default();
        let (bounces, days) = (number("bounces"), number("days"));
        let rule = match (bounces.parse::<i32>(), days.parse::<i32>()) {
            (Ok(bounces), Ok(days)) if (Rule { bounces, days }).is_valid() => Rule { bounces, days },
            _ => {
                faults.push(lang.t1("bounce-rules-bad-rule", "reason", lang.tk("report-bounce-reason", name)));
                Rule::default_for(reason)
            }
        };
        lines.push(line(reason, rule));
    }
    let rate_text = field("error_rate".into()).unwrap_or_default();
    let rate = rate_text.parse::<f64>().ok().filter(|r| (0.0..=100.0).contains(r));
    if rate.is_none() {
        faults.push(lang.t("bounce-rules-bad-rate"));
    }
    let (Some(rate), true) = (rate, faults.is_empty()) else {
        let error = Some(faults.join(" "));
        return page(&state, jar, &admin, StatusCode::UNPROCESSABLE_ENTITY, lines, rate_text, None, error);
    };
    // A rule equal to the built-in one keeps no row: it follows the
    // built-in rule if that ever changes.
    let rules: Vec<(&str, Option<Rule>)> =
        lines.iter().map(|l| (l.reason, (l.rule != l.built_in).then_some(l.rule))).collect();
    state.store().save_bounce_rules(&rules).await?;
    state.store().set_error_rate_alert(rate).await?;
    let notice = crate::campaign_pages::urlencode(&lang.t("common-saved"));
    Ok(Redirect::to(&format!("/bounce-rules?notice={notice}")).into_response())
}

impl Line {
    /// Whether the operator changed this reason's rule.
    fn changed(&self) -> bool {
        self.rule != self.built_in
    }
}
