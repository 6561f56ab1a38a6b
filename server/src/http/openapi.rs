//! The OpenAPI document of the JSON API, generated from the handlers' annotations: a route
//! registered through `OpenApiRouter` is described here without a second list to keep in step.

use axum::{Json, Router, routing::get};
use utoipa::OpenApi;

use super::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rollcall API",
        description = "Attendance case management for schools in England. See docs/api.md.",
    ),
    tags(
        (name = "system", description = "The server itself"),
        (name = "late arrivals", description = "The office's side of the late door: a day's arrivals, conflicts, sanctions and punctuality concerns"),
        (name = "first-day calling", description = "From the time the AM register closes: pupils with no mark or N, their contacts, the attempts made and the pupils not reached by the school's deadlines"),
    ),
)]
pub struct ApiDoc;

impl ApiDoc {
    pub fn default_doc() -> utoipa::openapi::OpenApi {
        let mut doc = Self::openapi();
        doc.info.version = env!("CARGO_PKG_VERSION").to_string();
        doc
    }
}

/// `GET /api/openapi.json`.
pub fn router(doc: utoipa::openapi::OpenApi) -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(move || async move { Json(doc) }))
}
