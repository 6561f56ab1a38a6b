//! A letter as a PDF, for printing at home or posting: the same letter the `/letters/{id}` page
//! shows (`app::letters`), for whoever may read the school's cases.

use app::{
    auth::Viewer,
    letters::{pdf::letter_pdf, queries},
};
use axum::{Extension, extract::State, http::header, response::IntoResponse};
use sqlx::PgPool;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{AppState, error::ApiError, extract::Path};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(letter_pdf_route))
}

/// One letter as an A4 PDF: the school's name as a heading, its address, the subject and the
/// letter's text as it was generated, over as many pages as it needs.
#[utoipa::path(get, path = "/api/schools/{school_id}/letters/{letter_id}/pdf", tag = "letters",
    params(
        ("school_id" = Uuid, Path, description = "The school"),
        ("letter_id" = Uuid, Path, description = "The letter"),
    ),
    responses(
        (status = 200, description = "The letter", content_type = "application/pdf"),
        (status = 403, description = "Not allowed to read this school's cases", body = super::error::ErrorBody),
        (status = 404, description = "No such letter at this school", body = super::error::ErrorBody),
    ))]
async fn letter_pdf_route(
    State(pool): State<PgPool>,
    viewer: Option<Extension<Viewer>>,
    Path((school_id, letter_id)): Path<(Uuid, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    let Extension(viewer) = viewer.ok_or_else(ApiError::sign_in_first)?;
    if !app::cases::may_read(&viewer, school_id) {
        return Err(ApiError::not_permitted());
    }
    let letter = queries::letter(&pool, school_id, letter_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("There is no such letter at this school.".into()))?;
    let body = format!("{}\n\n{}", letter.line.subject, letter.body);
    let pdf = letter_pdf(
        &letter.line.subject,
        &letter.school_name,
        &letter.school_address,
        &body,
    );
    let file = format!(
        "attachment; filename=\"letter-{}-{}.pdf\"",
        letter.line.step.key(),
        letter.line.created_at.format("%Y-%m-%d")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, file),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        pdf,
    ))
}
