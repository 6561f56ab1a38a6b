//! The sync protocol's endpoints (docs/sync.md): devices register, push the events they
//! captured offline, and pull what changed. The protocol itself is `app::sync`.

use app::{
    auth::Viewer,
    sync::{
        DeviceRegistration, PullResponse, PushRequest, PushResponse,
        queries::{self, Refused},
    },
};
use axum::{Extension, Json, extract::State, http::StatusCode};
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    AppState,
    error::ApiError,
    extract::{self, Query},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register_device))
        .routes(routes!(push))
        .routes(routes!(pull))
}

fn refused(refused: Refused) -> ApiError {
    match refused {
        Refused::Forbidden(message) => ApiError::Forbidden(message),
        Refused::NotFound(message) => ApiError::NotFound(message),
        Refused::Invalid(message) => ApiError::BadRequest(message),
    }
}

/// Registers this device to a school and the person signed in on it.
#[utoipa::path(post, path = "/api/sync/devices", tag = "sync", request_body = DeviceRegistration,
    responses(
        (status = 204, description = "Registered"),
        (status = 403, description = "Not allowed to capture at this school, or the device belongs to another school", body = super::error::ErrorBody),
    ))]
async fn register_device(
    State(pool): State<PgPool>,
    viewer: Option<Extension<Viewer>>,
    body: Result<extract::Json<DeviceRegistration>, ApiError>,
) -> Result<StatusCode, ApiError> {
    let Extension(viewer) = viewer.ok_or_else(ApiError::sign_in_first)?;
    let extract::Json(device) = body?;
    queries::register_device(&pool, &viewer, &device)
        .await?
        .map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Applies a batch of captured events, each at most once, and answers each: applied,
/// duplicate or rejected with a reason.
#[utoipa::path(post, path = "/api/sync/push", tag = "sync", request_body = PushRequest,
    responses(
        (status = 200, description = "One result per event, in order", body = PushResponse),
        (status = 400, description = "The body is not a push", body = super::error::ErrorBody),
        (status = 403, description = "Not allowed to record arrivals or visits at the device's school", body = super::error::ErrorBody),
        (status = 404, description = "The device is not registered", body = super::error::ErrorBody),
    ))]
async fn push(
    State(pool): State<PgPool>,
    State(mail): State<app::letters::MailSettings>,
    viewer: Option<Extension<Viewer>>,
    body: Result<extract::Json<PushRequest>, ApiError>,
) -> Result<Json<PushResponse>, ApiError> {
    let Extension(viewer) = viewer.ok_or_else(ApiError::sign_in_first)?;
    let extract::Json(request) = body?;
    let response = queries::push(&pool, &viewer, &request, chrono::Utc::now())
        .await?
        .map_err(refused)?;
    // A safeguarding concern from a home visit is emailed to the DSL once it has arrived; the
    // phone does not wait for the relay.
    if mail.smtp.is_some() {
        tokio::spawn(async move {
            if let Err(error) = app::visits::queries::email_new_concerns(&pool, &mail).await {
                tracing::error!(%error, "emailing safeguarding concerns failed");
            }
        });
    }
    Ok(Json(response))
}

#[derive(Deserialize, IntoParams)]
pub struct PullQuery {
    /// The device asking; it must be registered.
    device_id: Uuid,
    /// The cursor of the last pull; none for the first.
    cursor: Option<String>,
}

/// What changed since the cursor: the roll (when it changed), the late policy, and today's
/// arrivals at every door of the device's school.
#[utoipa::path(get, path = "/api/sync/pull", tag = "sync", params(PullQuery),
    responses(
        (status = 200, description = "The changes and the next cursor", body = PullResponse),
        (status = 400, description = "Not a cursor from this server", body = super::error::ErrorBody),
        (status = 403, description = "Not allowed to record arrivals at the device's school", body = super::error::ErrorBody),
        (status = 404, description = "The device is not registered", body = super::error::ErrorBody),
    ))]
async fn pull(
    State(pool): State<PgPool>,
    viewer: Option<Extension<Viewer>>,
    Query(query): Query<PullQuery>,
) -> Result<Json<PullResponse>, ApiError> {
    let Extension(viewer) = viewer.ok_or_else(ApiError::sign_in_first)?;
    let school: Option<Uuid> = sqlx::query_scalar("select school_id from devices where id = $1")
        .bind(query.device_id)
        .fetch_optional(&pool)
        .await?;
    let school = school.ok_or_else(|| {
        ApiError::NotFound(
            "This device is not registered: register it (POST /api/sync/devices) first.".into(),
        )
    })?;
    let response = queries::pull(
        &pool,
        &viewer,
        school,
        query.cursor.as_deref(),
        chrono::Utc::now(),
    )
    .await?
    .map_err(refused)?;
    Ok(Json(response))
}
