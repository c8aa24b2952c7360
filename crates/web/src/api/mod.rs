//! The REST API under `/api/v1/`, authenticated by API tokens (`ApiUser`).
//! Errors are JSON: `{"error": "…", "field": "…"}` with the field at fault
//! where there is one.

mod campaigns;
mod imports;
pub(crate) mod lists;
pub(crate) mod privacy;
mod segments;
mod subscribers;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::ApiUser;

pub(crate) fn router(state: &AppState) -> Router<AppState> {
    use crate::access::{self, Gate};
    use domain::Area;
    let gate = |gate| axum::middleware::from_fn_with_state(access::Guard::new(state, gate, true), access::guard);
    let audience = Router::new()
        .route("/subscribers", get(subscribers::search).post(subscribers::create))
        .route("/subscribers/{id}", get(subscribers::read).patch(subscribers::update).delete(subscribers::delete))
        .route("/subscribers/{id}/lists/{list_id}", put(subscribers::subscribe).delete(subscribers::unsubscribe))
        .route("/lists", get(lists::all).post(lists::create))
        .route("/lists/{id}", get(lists::read).patch(lists::update).delete(lists::delete))
        .route("/segments", get(segments::all).post(segments::create))
        .route("/segments/{id}", get(segments::read).put(segments::update).delete(segments::delete))
        .route("/segments/{id}/count", get(segments::count_saved))
        .route("/imports", post(imports::start).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/imports/{id}", get(imports::progress))
        .route("/imports/{id}/errors", get(imports::errors))
        .route("/suppressions", get(privacy::suppressions).post(privacy::suppress))
        .route("/suppressions/{id}", axum::routing::delete(privacy::unsuppress))
        .route("/subscribers/{id}/export", get(privacy::export_subscriber))
        .route("/subscribers/{id}/erase", post(privacy::erase_subscriber))
        .route("/lists/{id}/export", get(privacy::export_list))
        .route("/segments/{id}/export", get(privacy::export_segment))
        .route_layer(gate(Gate::Area(Area::Audience)));
    let audience_reads = Router::new()
        .route("/segments/count", post(segments::count_filter))
        .route_layer(gate(Gate::Read(Area::Audience)));
    let campaigns = Router::new()
        .route(
            "/campaigns",
            get(campaigns::all).post(campaigns::create).layer(axum::extract::DefaultBodyLimit::max(8 * 1024 * 1024)),
        )
        .route("/campaigns/{id}", get(campaigns::read))
        .route("/campaigns/{id}/schedule", post(campaigns::schedule))
        .route("/campaigns/{id}/score", get(crate::score_pages::api))
        .route_layer(gate(Gate::Area(Area::Campaigns)));
    let reports = Router::new()
        .route("/campaigns/{id}/report", get(campaigns::report))
        .route_layer(gate(Gate::Area(Area::Reports)));
    Router::new()
        .route("/me", get(me))
        .route_layer(gate(Gate::Anyone))
        .merge(audience)
        .merge(audience_reads)
        .merge(campaigns)
        .merge(reports)
        .route("/openapi.json", get(openapi))
}

/// Who the token belongs to: lets a script check its token works.
#[utoipa::path(get, path = "/me", tag = "auth", responses((status = 200, body = Object), (status = 401, body = ApiErrorBody)), security(("token" = [])))]
async fn me(user: ApiUser) -> Json<Value> {
    Json(json!({ "id": user.id, "email": user.email, "role": user.role.as_str() }))
}

/// The OpenAPI document of this API, generated from the handlers.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "ninsho API", description = "Lists, subscribers, segments, imports, privacy requests and campaigns."),
    servers((url = "/api/v1")),
    modifiers(&BearerToken),
    paths(
        me,
        lists::all, lists::create, lists::read, lists::update, lists::delete,
        subscribers::search, subscribers::create, subscribers::read, subscribers::update, subscribers::delete,
        subscribers::subscribe, subscribers::unsubscribe,
        segments::all, segments::create, segments::read, segments::update, segments::delete,
        segments::count_filter, segments::count_saved,
        imports::start, imports::progress, imports::errors,
        campaigns::all, campaigns::create, campaigns::read, campaigns::schedule, campaigns::report,
        crate::score_pages::api,
        privacy::suppressions, privacy::suppress, privacy::unsuppress, privacy::export_subscriber,
        privacy::erase_subscriber, privacy::export_list, privacy::export_segment,
    )
)]
pub(crate) struct ApiDoc;

struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("token", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// Served without a token: the document describes, it does not reveal.
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(<ApiDoc as utoipa::OpenApi>::openapi())
}

/// The JSON body of every API error.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ApiErrorBody {
    error: String,
    /// The request field at fault, when there is one (`email`, `filter.and[1]`).
    field: Option<String>,
}

/// An API error: status, message, and the request field at fault.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    field: Option<String>,
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub(crate) fn field(field: &str, message: impl Into<String>) -> Self {
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, message: message.into(), field: Some(field.into()) }
    }

    /// A request that is well formed but cannot be carried out.
    pub(crate) fn unprocessable(message: impl Into<String>) -> Self {
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, message: message.into(), field: None }
    }

    /// The caller's role or token does not grant this.
    pub(crate) fn forbidden(why: impl Into<String>) -> Self {
        Self { status: StatusCode::FORBIDDEN, message: why.into(), field: None }
    }

    pub(crate) fn not_found(what: &str) -> Self {
        Self { status: StatusCode::NOT_FOUND, message: format!("{what} not found"), field: None }
    }
}

impl From<crate::AppError> for ApiError {
    /// Shared dashboard code failed: not the caller's fault.
    fn from(e: crate::AppError) -> Self {
        tracing::error!(cause = ?e, "API request failed");
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, message: "internal error".into(), field: None }
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::Conflict(what) => {
                Self { status: StatusCode::CONFLICT, message: format!("{what} already exists"), field: None }
            }
            store::StoreError::NotFound(what) => Self::not_found(what),
            store::StoreError::Filter(e) => Self::field(&e.path, e.message),
            store::StoreError::Refused(why) => Self::unprocessable(why),
            other => {
                tracing::error!(cause = %other, "API request failed");
                Self { status: StatusCode::INTERNAL_SERVER_ERROR, message: "internal error".into(), field: None }
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = match self.field {
            Some(field) => json!({ "error": self.message, "field": field }),
            None => json!({ "error": self.message }),
        };
        (self.status, Json(body)).into_response()
    }
}

/// `Json<T>` whose rejections are API errors.
pub(crate) struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_error(&rejection)),
        }
    }
}

fn json_error(rejection: &JsonRejection) -> ApiError {
    let text = rejection.body_text();
    // serde says "missing field `email`" or "unknown field `x`": name it.
    let field = text.split('`').nth(1).unwrap_or("body").to_string();
    ApiError { status: rejection.status(), message: text, field: Some(field) }
}
