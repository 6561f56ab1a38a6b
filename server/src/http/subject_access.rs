//! The subject access export: everything held about a pupil and their parents and carers as one
//! JSON file (`app::data_protection`), for whoever answers the school's subject access requests.
//! Safeguarding records are in it only when safeguarding staff make it.

use app::{auth::Viewer, domain::roles::Permission};
use axum::{Extension, Json, extract::State, http::header, response::IntoResponse};
use sqlx::PgPool;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{AppState, error::ApiError, extract::Path};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(subject_access_export))
}

/// Everything held about a pupil and their parents and carers: every table's rows, each with
/// what it holds, read at one moment. Safeguarding records are left out unless the person asking
/// is safeguarding staff; their export is logged as a view of them.
#[utoipa::path(get, path = "/api/schools/{school_id}/pupils/{pupil_id}/subject-access", tag = "data protection",
    params(
        ("school_id" = Uuid, Path, description = "The school"),
        ("pupil_id" = Uuid, Path, description = "The pupil"),
    ),
    responses(
        (status = 200, description = "The export, as a JSON file", content_type = "application/json"),
        (status = 403, description = "Not allowed to answer subject access requests at this school", body = super::error::ErrorBody),
        (status = 404, description = "No such pupil at this school", body = super::error::ErrorBody),
    ))]
async fn subject_access_export(
    State(pool): State<PgPool>,
    viewer: Option<Extension<Viewer>>,
    Path((school_id, pupil_id)): Path<(Uuid, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    let Extension(viewer) = viewer.ok_or_else(ApiError::sign_in_first)?;
    if !viewer.can(Permission::ExportSubjectAccess, school_id) {
        return Err(ApiError::not_permitted());
    }
    let now = chrono::Utc::now();
    let export = app::data_protection::queries::subject_access_export(
        &pool, &viewer, school_id, pupil_id, now,
    )
    .await?
    .ok_or_else(|| ApiError::NotFound("There is no such pupil at this school.".into()))?;
    let file_name = format!("subject-access-{pupil_id}-{}.json", now.format("%Y-%m-%d"));
    Ok((
        [
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        Json(export),
    ))
}
