//! A campaign's deliverability score, out of 10: its real message, rendered
//! for its first recipient and signed as the engine would sign it, judged
//! by `identity::score`. In the dashboard and through the API.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use identity::doctor::Status;
use identity::score::{Input, Score};
use store::Campaign;

use crate::auth::AdminUser;
use crate::campaigns::render_for;
use crate::error::Invalid;
use crate::pages::{Frame, render};
use crate::{AppError, AppState};

/// Scores the campaign's message as it would leave now; Err when it does
/// not render.
pub(crate) async fn score_campaign(state: &AppState, campaign: &Campaign) -> Result<Result<Score, Invalid>, AppError> {
    let copy = match render_for(state, campaign, "", Some((chrono::Utc::now().timestamp(), &[]))).await? {
        Ok(copy) => copy,
        Err(e) => return Ok(Err(e)),
    };
    let Some(unsigned) = copy.bytes.into_iter().next() else { return Ok(Err("nothing was built".into())) };
    let from_domain = domain::domain_of(&campaign.from_address).to_ascii_lowercase();
    let message = match identity::signer(state.store(), state.key(), &from_domain).await {
        Ok(Some(signer)) => signer.sign(&unsigned).map_err(AppError::internal)?,
        Ok(None) => unsigned,
        Err(e) => return Err(AppError::internal(e)),
    };
    let config = state.config();
    let envelope_from = message::verp::bounce_address(
        state.key(),
        message::verp::Bounced::Delivery(0),
        &config.setup.bounce_subdomain,
        &from_domain,
    );
    let domains = state.store().sending_domains().await?;
    let source = match domains.iter().find(|d| d.domain == from_domain) {
        Some(d) => d.sends_from(&config.source_ips).first().copied(),
        None => config.source_ips.first().copied(),
    };
    let dns = state.dns().map_err(AppError::internal)?;
    let missing = state.store().sender_identity(&from_domain).await?.missing();
    let input = Input {
        message: &message,
        envelope_from: &envelope_from,
        source,
        targets: &copy.links,
        identity_missing: &missing,
        // The signed-in admin's language, or the API client's.
        lang: crate::error::request_language(),
    };
    Ok(Ok(identity::score::score(&dns, &config.blocklists, &input).await))
}

#[derive(Template)]
#[template(path = "score.html")]
struct ScorePage {
    frame: Frame,
    campaign: Campaign,
    score: Result<Score, Invalid>,
}

impl ScorePage {
    fn mark(&self, status: &Status) -> &'static str {
        status.as_str()
    }
    fn points(&self, tenths: &u32) -> String {
        format!("−{}.{}", tenths / 10, tenths % 10)
    }
}

pub(crate) async fn page(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let campaign = state.store().campaign(id).await?.ok_or(AppError::NotFound)?;
    let score = score_campaign(&state, &campaign).await?;
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    render(StatusCode::OK, jar, ScorePage { frame, campaign, score })
}
