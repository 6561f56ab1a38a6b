//! `GET /healthz`: whether this server can do its work, for load balancers and `make run`.

use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when Rollcall can serve requests, `unavailable` when it cannot.
    status: &'static str,
    version: &'static str,
    database: DatabaseHealth,
}

#[derive(Serialize, ToSchema)]
pub struct DatabaseHealth {
    /// `up` or `down`.
    state: &'static str,
    /// The newest migration applied.
    schema_version: Option<i64>,
}

/// The server's health and its database's.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "system",
    responses(
        (status = 200, description = "Rollcall and its database are working", body = Health),
        (status = 503, description = "The database cannot be reached", body = Health),
    )
)]
async fn healthz(State(pool): State<PgPool>) -> (StatusCode, Json<Health>) {
    let database = app::system::queries::database_state(&pool).await;
    if let Some(problem) = &database.problem {
        tracing::warn!(%problem, "health check: the database cannot be reached");
    }
    let (code, status, state) = if database.reachable {
        (StatusCode::OK, "ok", "up")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "down")
    };
    let health = Health {
        status,
        version: env!("CARGO_PKG_VERSION"),
        database: DatabaseHealth {
            state,
            schema_version: database.schema_version,
        },
    };
    (code, Json(health))
}
