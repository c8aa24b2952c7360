//! The REST API under `/api/v1/`, authenticated by API tokens. Later features
//! add their resources here.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::ApiUser;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/me", get(me))
}

/// Who the token belongs to: lets a script check its token works.
async fn me(user: ApiUser) -> Json<Value> {
    Json(json!({ "id": user.id, "email": user.email }))
}
