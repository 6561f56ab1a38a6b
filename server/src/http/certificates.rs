//! Recognition certificates as one PDF, one certificate a page, for printing in a batch
//! (`app::certificates`), for whoever may read the school's cases.

use app::{
    auth::Viewer,
    certificates::{
        Kind,
        queries::{certificates_pdf, recipients},
    },
};
use axum::{Extension, extract::State, http::header, response::IntoResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    AppState,
    error::ApiError,
    extract::{Path, Query},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(certificates_route))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CertificatesQuery {
    /// The first day of the period.
    pub from: NaiveDate,
    /// The last day of the period.
    pub to: NaiveDate,
    /// `full` (100% attendance) or `improved` (most improved on the period of the same length
    /// before).
    pub kind: String,
    /// For `improved`: only the most improved this many (empty for no limit).
    pub top: Option<String>,
    /// For `improved`: only those up by at least this many percentage points (empty for any).
    pub min_points: Option<String>,
}

fn optional<T: std::str::FromStr>(text: Option<&str>, what: &str) -> Result<Option<T>, ApiError> {
    match text.map(str::trim).filter(|text| !text.is_empty()) {
        None => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| ApiError::BadRequest(format!("{text:?} is not a number of {what}."))),
    }
}

/// Certificates for 100% or for the most improved attendance over a period, one a page.
#[utoipa::path(get, path = "/api/schools/{school_id}/certificates.pdf", tag = "cases",
    params(
        ("school_id" = Uuid, Path, description = "The school"),
        CertificatesQuery,
    ),
    responses(
        (status = 200, description = "The certificates", content_type = "application/pdf"),
        (status = 403, description = "Not allowed to read this school's cases", body = super::error::ErrorBody),
        (status = 400, description = "The period or the kind is not one", body = super::error::ErrorBody),
    ))]
async fn certificates_route(
    State(pool): State<PgPool>,
    viewer: Option<Extension<Viewer>>,
    Path(school_id): Path<Uuid>,
    Query(query): Query<CertificatesQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let Extension(viewer) = viewer.ok_or_else(ApiError::sign_in_first)?;
    if !app::cases::may_read(&viewer, school_id) {
        return Err(ApiError::not_permitted());
    }
    app::attendance::check_period(query.from, query.to).map_err(ApiError::BadRequest)?;
    let kind = Kind::parse(
        &query.kind,
        optional(query.top.as_deref(), "pupils")?,
        optional(query.min_points.as_deref(), "percentage points")?,
    )
    .map_err(ApiError::BadRequest)?;
    let list = recipients(&pool, school_id, query.from, query.to, kind)
        .await?
        .ok_or_else(|| ApiError::NotFound("There is no such school.".into()))?;
    let file = format!(
        "attachment; filename=\"certificates-{}-{}-{}.pdf\"",
        if query.kind == "full" {
            "full"
        } else {
            "improved"
        },
        query.from,
        query.to
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, file),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        certificates_pdf(&list),
    ))
}
