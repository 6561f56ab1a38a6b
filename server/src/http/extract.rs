//! The JSON API's extractors: axum's `Path`, `Query` and `Json`, except that a request they
//! cannot read is answered as an [`ApiError`], a 400 whose JSON body says what to fix, never
//! axum's plain text. Every handler under `/api/` takes its input through these.

use axum::extract::{
    FromRequest, FromRequestParts, Request,
    rejection::{JsonRejection, PathRejection, QueryRejection},
};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Path parameters, such as a school's UUID.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// The query string.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// A JSON body. Handlers take `Result<Json<T>, ApiError>` so that they can check who is asking
/// before they look at the body.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) =
            axum::Json::<serde_json::Value>::from_request(request, state).await?;
        // PostgreSQL can store no NUL character, in text or in jsonb; refuse it here rather
        // than fail at the database.
        if has_nul(&value) {
            return Err(ApiError::BadRequest(
                "The request body contains a NUL character (\\u0000), which Rollcall cannot \
                 store: remove it."
                    .into(),
            ));
        }
        serde_json::from_value(value).map(Json).map_err(|error| {
            ApiError::BadRequest(format!(
                "The request body is not the JSON this endpoint expects: {error}"
            ))
        })
    }
}

fn has_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => text.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(has_nul),
        serde_json::Value::Object(fields) => fields
            .iter()
            .any(|(name, value)| name.contains('\0') || has_nul(value)),
        _ => false,
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        if rejection.status().is_server_error() {
            // A route whose parameters do not fit its handler: the server's mistake.
            return ApiError::Internal(anyhow::anyhow!("{}", rejection.body_text()));
        }
        ApiError::BadRequest(format!(
            "The address is not one this endpoint knows: {}",
            rejection.body_text()
        ))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest(format!(
            "The query string is not what this endpoint expects: {}",
            rejection.body_text()
        ))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError::BadRequest(format!(
            "The request body is not the JSON this endpoint expects: {}",
            rejection.body_text()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_anywhere_in_the_body_is_found() {
        assert!(has_nul(&serde_json::json!({ "a": [{ "b": "x\u{0}y" }] })));
        assert!(has_nul(&serde_json::json!({ "a\u{0}": 1 })));
        assert!(!has_nul(&serde_json::json!({ "a": ["\\u0000", 1, null] })));
    }
}
