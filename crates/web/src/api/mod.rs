//! The REST API under `/api/v1/`, authenticated by API tokens (`ApiUser`).
//! Errors are JSON: `{"error": "…", "field": "…"}` with the field at fault
//! where there is one.

use std::sync::Arc;

mod campaigns;
pub(crate) mod domains;
mod imports;
pub(crate) mod lists;
pub(crate) mod messages;
pub(crate) mod privacy;
mod segments;
mod sending;
mod settings;
mod subscribers;
pub(crate) mod tx;

use crate::AppError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::ApiUser;

/// The API's routes and, from the same handlers, its OpenAPI document:
/// a route exists in the document exactly when the router serves it.
pub(crate) fn router(state: &AppState) -> Router<AppState> {
    let (router, document) = split(routes(state));
    let document = Arc::new(document);
    // Served without a token: the document describes, it does not reveal.
    router
        .route("/openapi.json", get(move || std::future::ready(Json(document.clone()))))
        .layer(axum::middleware::map_response(crate::error::as_json))
}

fn split(routes: OpenApiRouter<AppState>) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut document) = routes.split_for_parts();
    utoipa::Modify::modify(&Described, &mut document);
    (router, document)
}

fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    use crate::access::{self, Gate};
    use domain::Area;
    let gate = |gate| axum::middleware::from_fn_with_state(access::Guard::new(state, gate, true), access::guard);
    let (schemas, paths, upload) = routes!(imports::start);
    let imports_start = (schemas, paths, upload.layer(axum::extract::DefaultBodyLimit::disable()));
    let (schemas, paths, all_or_create) = routes!(campaigns::all, campaigns::create);
    let campaigns_root = (schemas, paths, all_or_create.layer(axum::extract::DefaultBodyLimit::max(8 * 1024 * 1024)));
    let audience = OpenApiRouter::new()
        .routes(routes!(subscribers::search, subscribers::create))
        .routes(routes!(subscribers::bulk))
        .routes(routes!(subscribers::read, subscribers::update, subscribers::delete))
        .routes(routes!(subscribers::subscribe, subscribers::unsubscribe))
        .routes(routes!(lists::all, lists::create))
        .routes(routes!(lists::read, lists::update, lists::delete))
        .routes(routes!(segments::all, segments::create))
        .routes(routes!(segments::read, segments::update, segments::delete))
        .routes(routes!(segments::count_saved))
        .routes(imports_start)
        .routes(routes!(imports::progress))
        .routes(routes!(imports::errors))
        .routes(routes!(privacy::suppressions, privacy::suppress))
        .routes(routes!(privacy::unsuppress))
        .routes(routes!(privacy::export_subscriber))
        .routes(routes!(privacy::erase_subscriber))
        .routes(routes!(privacy::export_list))
        .routes(routes!(privacy::export_segment))
        .route_layer(gate(Gate::Area(Area::Audience)));
    let audience_reads =
        OpenApiRouter::new().routes(routes!(segments::count_filter)).route_layer(gate(Gate::Read(Area::Audience)));
    let (schemas, paths, send) = routes!(tx::send);
    let tx_send = (schemas, paths, send.layer(axum::extract::DefaultBodyLimit::max(24 * 1024 * 1024)));
    let campaigns = OpenApiRouter::new()
        .routes(campaigns_root)
        .routes(tx_send)
        .routes(routes!(tx::status))
        .routes(routes!(tx::templates, tx::create_template))
        .routes(routes!(tx::read_template, tx::update_template, tx::delete_template))
        .routes(routes!(tx::preview))
        .routes(routes!(sending::layouts, sending::create_layout))
        .routes(routes!(sending::layout, sending::update_layout, sending::delete_layout))
        .routes(routes!(campaigns::read))
        .routes(routes!(campaigns::schedule))
        .routes(routes!(campaigns::copy))
        .routes(routes!(campaigns::score))
        .route_layer(gate(Gate::Area(Area::Campaigns)));
    let reports = OpenApiRouter::new().routes(routes!(campaigns::report)).route_layer(gate(Gate::Area(Area::Reports)));
    let delivery = OpenApiRouter::new()
        .routes(routes!(domains::all, domains::add))
        .routes(routes!(domains::checks))
        .routes(routes!(domains::rotate))
        .routes(routes!(domains::identity, domains::set_identity))
        .routes(routes!(messages::search))
        .routes(routes!(messages::read))
        .routes(routes!(messages::raw))
        .routes(routes!(messages::release))
        .routes(routes!(messages::drop))
        .routes(routes!(sending::credentials, sending::create_credential))
        .routes(routes!(sending::revoke_credential))
        .route_layer(gate(Gate::Area(Area::Delivery)));
    let team = OpenApiRouter::new()
        .routes(routes!(settings::read, settings::replace))
        .route_layer(gate(Gate::Area(Area::Team)));
    OpenApiRouter::with_openapi(<ApiDoc as utoipa::OpenApi>::openapi())
        .routes(routes!(me))
        .route_layer(gate(Gate::Anyone))
        .merge(audience)
        .merge(audience_reads)
        .merge(campaigns)
        .merge(reports)
        .merge(delivery)
        .merge(team)
}

/// Who the token belongs to: lets a script check its token works.
#[utoipa::path(get, path = "/me", tag = "auth", responses((status = 200, description = "the token's owner", body = Object), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
async fn me(user: ApiUser) -> Json<Value> {
    Json(json!({ "id": user.id, "email": user.email, "role": user.role.as_str() }))
}

/// The document's frame; the paths come from the router.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "ninsho API", description = "Lists, subscribers, segments, imports, privacy requests, campaigns, transactional mail and the message log."),
    servers((url = "/api/v1")),
    modifiers(&BearerToken)
)]
struct ApiDoc;

struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("token", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// What the handlers' annotations leave out: every response needs a
/// description (OpenAPI 3.1 §4.8.17), so one the handler does not give is
/// its status's reason phrase; operation ids must be unique, so each
/// handler's name is qualified by its tag (`lists_all`, `segments_all`).
struct Described;

impl utoipa::Modify for Described {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
                &mut item.options,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                if let (Some(id), Some(tag)) =
                    (&operation.operation_id, operation.tags.as_ref().and_then(|t| t.first()))
                    && !id.starts_with(&format!("{tag}_"))
                {
                    operation.operation_id = Some(format!("{tag}_{id}"));
                }
                for (status, response) in &mut operation.responses.responses {
                    if let RefOr::T(response) = response
                        && response.description.is_empty()
                    {
                        let reason = status.parse().ok().and_then(|s| StatusCode::from_u16(s).ok());
                        response.description = reason.and_then(|s| s.canonical_reason()).unwrap_or("answer").into();
                    }
                }
            }
        }
    }
}

/// The JSON body of every API error.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ApiErrorBody {
    error: String,
    /// The request field at fault, when there is one (`email`, `filter.and[1]`).
    field: Option<String>,
}

/// `Json<T>` whose rejections are API errors.
pub(crate) struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_error(&rejection)),
        }
    }
}

fn json_error(rejection: &JsonRejection) -> AppError {
    let message = rejection.body_text();
    // serde says "missing field `email`" or "unknown field `x`": name it.
    let field = message.split('`').nth(1).unwrap_or("body").to_string();
    AppError::Unreadable { status: rejection.status(), message, field }
}
