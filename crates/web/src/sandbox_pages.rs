//! The sandbox mailbox: every message ninsho would have sent, with its
//! DKIM signatures checked as a receiver would, and its exact bytes.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use store::OutboundMessage;

use crate::auth::AdminUser;
use crate::pages::{Frame, render};
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "sandbox.html")]
struct SandboxPage {
    frame: Frame,
    /// Each message with what checking its DKIM signatures gave (empty when
    /// no bytes were kept).
    messages: Vec<(OutboundMessage, String)>,
}

/// Messages whose signatures the page checks (each check hashes the body).
const VERIFIED_ON_PAGE: usize = 50;

pub(crate) async fn sandbox(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    // The records the sending domains publish (or should): what a receiver
    // would look up.
    let mut published = Vec::new();
    for d in state.store().sending_domains().await? {
        for k in state.store().active_dkim_keys(&d.domain).await? {
            published.push((format!("{}._domainkey.{}", k.selector, d.domain), k.dns_record));
        }
    }
    let mut messages = Vec::new();
    for (i, m) in state.store().outbound_messages(200).await?.into_iter().enumerate() {
        let raw = if m.has_raw && i < VERIFIED_ON_PAGE { state.store().captured_raw(m.id).await? } else { None };
        let verdict = match raw {
            Some(raw) => dkim_summary(&message::dkim::verify(&raw, &published).await, admin.language),
            None => String::new(),
        };
        messages.push((m, verdict));
    }
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    render(StatusCode::OK, jar, SandboxPage { frame, messages })
}

fn dkim_summary(verdicts: &[message::dkim::Verdict], lang: i18n::Language) -> String {
    if verdicts.is_empty() {
        return lang.t("sandbox-dkim-unsigned");
    }
    let each: Vec<String> = verdicts
        .iter()
        .map(|v| {
            let args = [
                ("result", i18n::Arg::from(v.result.as_str())),
                ("domain", i18n::Arg::from(v.domain.as_str())),
                ("selector", i18n::Arg::from(v.selector.as_str())),
            ];
            lang.t_with("sandbox-dkim-verdict", &args)
        })
        .collect();
    lang.t1("sandbox-dkim", "verdicts", each.join(", "))
}

/// A captured message's exact bytes.
pub(crate) async fn captured(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let raw = state.store().captured_raw(id).await?.ok_or(AppError::NotFound)?;
    // As text, so browsers show it rather than download it.
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], raw).into_response())
}
