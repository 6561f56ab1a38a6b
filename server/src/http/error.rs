//! One error type for the JSON API, mapped to status codes in one place. Errors a caller can fix
//! say what to fix; errors of the server are logged with their detail and answered with a short
//! apology.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use app::auth::server::{DATABASE_UNAVAILABLE, database_unavailable};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyAttempts(String),
    /// The database is not answering (down, restarting, out of connections): worth sending
    /// again shortly, as devices do.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

/// The body of every error answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in words a person can act on.
    pub error: String,
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        if database_unavailable(&error) {
            tracing::warn!(%error, "the database is not answering");
            ApiError::Unavailable(DATABASE_UNAVAILABLE.into())
        } else {
            ApiError::Internal(error.into())
        }
    }
}

impl ApiError {
    /// Sign in first.
    pub fn sign_in_first() -> Self {
        ApiError::Unauthorized(
            "Sign in first: send the session cookie or an API token (Authorization: Bearer …)."
                .into(),
        )
    }

    pub fn not_permitted() -> Self {
        ApiError::Forbidden("You do not have permission to do this at this school.".into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let error = if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %format!("{detail:#}"), "request failed");
            "Something went wrong on the server; it has been logged with this request's \
             x-request-id. Try again."
                .to_string()
        } else {
            self.to_string()
        };
        (status, Json(ErrorBody { error })).into_response()
    }
}
