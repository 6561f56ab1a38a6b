//! A case's evidence pack as one PDF, for a court or a local-authority referral: the cover,
//! a certificate of attendance, the attendance record with its code breakdown, and the
//! chronology of the case (`app::cases::evidence`), for whoever may read the school's cases.
//! Safeguarding notes and visit concerns are in it only for those who may see safeguarding.

use app::{auth::Viewer, cases::evidence::evidence_pack};
use axum::{Extension, extract::State, http::header, response::IntoResponse};
use sqlx::PgPool;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{AppState, error::ApiError, extract::Path};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(evidence_pack_route))
}

/// A case's evidence pack as an A4 PDF: a cover page, a certificate of attendance for the
/// academic year to date, every session mark with the code breakdown, and every contact attempt,
/// letter, meeting, visit, notice, leave request and note in date order, each section from a new
/// page and every page numbered.
#[utoipa::path(get, path = "/api/schools/{school_id}/cases/{case_id}/evidence-pack", tag = "cases",
    params(
        ("school_id" = Uuid, Path, description = "The school"),
        ("case_id" = Uuid, Path, description = "The case"),
    ),
    responses(
        (status = 200, description = "The evidence pack", content_type = "application/pdf"),
        (status = 403, description = "Not allowed to read this school's cases", body = super::error::ErrorBody),
        (status = 404, description = "No such case at this school", body = super::error::ErrorBody),
    ))]
async fn evidence_pack_route(
    State(pool): State<PgPool>,
    viewer: Option<Extension<Viewer>>,
    Path((school_id, case_id)): Path<(Uuid, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    let Extension(viewer) = viewer.ok_or_else(ApiError::sign_in_first)?;
    if !app::cases::may_read(&viewer, school_id) {
        return Err(ApiError::not_permitted());
    }
    let not_found = || ApiError::NotFound("There is no such case at this school.".into());
    let now = app::school::queries::now_at(&pool, school_id)
        .await?
        .ok_or_else(not_found)?;
    let pack = evidence_pack(&pool, &viewer, school_id, case_id, now)
        .await?
        .ok_or_else(not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", pack.file_name),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        pack.pdf,
    ))
}
