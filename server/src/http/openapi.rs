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
pub fn router(mut doc: utoipa::openapi::OpenApi) -> Router<AppState> {
    document_refusals(&mut doc);
    Router::new().route("/api/openapi.json", get(move || async move { Json(doc) }))
}

/// The refusals every operation can give before its handler runs, written into each operation
/// here rather than into every annotation: 400 when the shared extractors (`extract.rs`) cannot
/// read the address, query string or body; 401 when the route needs a signed-in person; 403
/// when a state-changing request is refused as cross-site (`session.rs`). Each answers with an
/// `ErrorBody`.
fn document_refusals(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let refusal = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let needs_sign_in =
            path.starts_with("/api/") && path != "/api/auth/login" && path != "/api/auth/logout";
        let path_has_parameters = path.contains('{');
        for (changes_state, operation) in [
            (false, item.get.as_mut()),
            (true, item.post.as_mut()),
            (true, item.put.as_mut()),
            (true, item.patch.as_mut()),
            (true, item.delete.as_mut()),
        ] {
            let Some(operation) = operation else { continue };
            let reads_input = path_has_parameters
                || operation.request_body.is_some()
                || operation
                    .parameters
                    .as_ref()
                    .is_some_and(|parameters| !parameters.is_empty());
            let responses = &mut operation.responses.responses;
            if reads_input {
                responses.entry("400".into()).or_insert_with(|| {
                    refusal("The address, query string or body cannot be read; the error says which and why").into()
                });
            }
            if needs_sign_in {
                responses
                    .entry("401".into())
                    .or_insert_with(|| refusal("Not signed in").into());
            }
            if changes_state {
                responses.entry("403".into()).or_insert_with(|| {
                    refusal("Refused: from another site, or without the CSRF token").into()
                });
            }
        }
    }
}
