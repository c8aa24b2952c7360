//! The sender's settings (owners): the name subscribers' pages carry and
//! what a new campaign starts from.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use store::SenderSettings;

use super::{ApiErrorBody, ApiJson};
use crate::auth::ApiUser;
use crate::error::AppResult;
use crate::{AppError, AppState};

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsView {
    /// The sender's name on subscribers' pages (empty: none).
    organization: String,
    from_name: String,
    from_address: String,
    reply_to: String,
    /// An IANA zone, e.g. `Asia/Tokyo`.
    time_zone: String,
    track_opens: bool,
    track_clicks: bool,
}

impl From<SenderSettings> for SettingsView {
    fn from(s: SenderSettings) -> Self {
        let SenderSettings { organization, from_name, from_address, reply_to, time_zone, track_opens, track_clicks } =
            s;
        Self { organization, from_name, from_address, reply_to, time_zone, track_opens, track_clicks }
    }
}

/// The sender's settings.
#[utoipa::path(get, path = "/settings", tag = "settings", responses((status = 200, body = SettingsView), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn read(_: ApiUser, State(state): State<AppState>) -> AppResult<Json<SettingsView>> {
    Ok(Json(state.store().sender_settings().await?.into()))
}

/// Replace the sender's settings (every field).
#[utoipa::path(put, path = "/settings", tag = "settings", request_body = SettingsView, responses((status = 200, body = SettingsView), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn replace(
    _: ApiUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<SettingsView>,
) -> AppResult<Json<SettingsView>> {
    let SettingsView { organization, from_name, from_address, reply_to, time_zone, track_opens, track_clicks } = input;
    let trim = |s: String| s.trim().to_owned();
    let settings = SenderSettings {
        organization: trim(organization),
        from_name: trim(from_name),
        from_address: trim(from_address),
        reply_to: trim(reply_to),
        time_zone: trim(time_zone),
        track_opens,
        track_clicks,
    };
    crate::settings_pages::check(&settings).map_err(|(field, why)| AppError::field(field, String::from(why)))?;
    state.store().save_sender_settings(&settings).await?;
    Ok(Json(settings.into()))
}
