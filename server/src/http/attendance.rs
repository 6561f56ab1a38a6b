//! The attendance figures and the register as data for other systems: a school's figures by
//! group, a trust's by school, every current mark as CSV, and the monthly statutory copy of
//! the register with every amendment.

use app::{
    attendance::{self, Breakdown, Grouping},
    auth::Viewer,
    domain::roles::Permission,
};
use axum::{Extension, Json, extract::State, http::header, response::IntoResponse};
use chrono::{Datelike, NaiveDate};
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
    OpenApiRouter::new()
        .routes(routes!(school_attendance))
        .routes(routes!(trust_attendance))
        .routes(routes!(marks_csv))
        .routes(routes!(register_copy))
}

/// The person asking, if they may see reports at this school.
fn reader(viewer: Option<Extension<Viewer>>, school_id: Uuid) -> Result<Viewer, ApiError> {
    let Extension(viewer) = viewer.ok_or_else(ApiError::sign_in_first)?;
    if !viewer.can(Permission::ViewReports, school_id) {
        return Err(ApiError::not_permitted());
    }
    Ok(viewer)
}

fn date(name: &str, value: Option<&str>) -> Result<NaiveDate, ApiError> {
    let value = value
        .ok_or_else(|| ApiError::BadRequest(format!("Give `{name}` as a date like 2026-09-01.")))?;
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::BadRequest(format!(
            "`{name}` is {value:?}, which is not a date like 2026-09-01."
        ))
    })
}

fn period(query: &PeriodQuery) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let from = date("from", query.from.as_deref())?;
    let to = date("to", query.to.as_deref())?;
    attendance::check_period(from, to).map_err(ApiError::BadRequest)?;
    Ok((from, to))
}

#[derive(Deserialize, IntoParams)]
pub struct PeriodQuery {
    /// The first day, as YYYY-MM-DD.
    from: Option<String>,
    /// The last day, included, as YYYY-MM-DD.
    to: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct BreakdownQuery {
    /// The first day, as YYYY-MM-DD.
    from: Option<String>,
    /// The last day, included, as YYYY-MM-DD.
    to: Option<String>,
    /// pupil, form, year, sen, fsm, eal or sex (the default is year).
    by: Option<String>,
}

/// A school's attendance figures for a period, by group, with the whole school's total. The
/// DfE's methodology: possible sessions only while on roll and on school days; persistent
/// (10%+) and severe (50%+) absence judged per enrolment.
#[utoipa::path(get, path = "/api/schools/{school_id}/attendance", tag = "attendance",
    params(("school_id" = Uuid, Path, description = "The school"), BreakdownQuery),
    responses(
        (status = 200, description = "The figures", body = Breakdown),
        (status = 400, description = "A missing or wrong date or grouping", body = super::error::ErrorBody),
        (status = 403, description = "Not allowed to see this school's reports", body = super::error::ErrorBody),
    ))]
async fn school_attendance(
    State(pool): State<PgPool>,
    viewer: Option<Extension<Viewer>>,
    Path(school_id): Path<Uuid>,
    Query(query): Query<BreakdownQuery>,
) -> Result<Json<Breakdown>, ApiError> {
    reader(viewer, school_id)?;
    let (from, to) = period(&PeriodQuery {
        from: query.from,
        to: query.to,
    })?;
    let by = match query.by.as_deref() {
        None | Some("") => Grouping::Year,
        Some(by) => Grouping::parse(by).map_err(ApiError::BadRequest)?,
    };
    if by == Grouping::School {
        return Err(ApiError::BadRequest(
            "A school's figures are grouped by pupil, form, year, sen, fsm, eal or sex; the \
             trust's figures by school are at /api/trusts/{trust_id}/attendance."
                .into(),
        ));
    }
    let pupils = attendance::queries::pupil_figures(&pool, &[school_id], from, to).await?;
    Ok(Json(attendance::breakdown(&pupils, by, from, to)))
}

/// Every school of the trust that the person may see, side by side, and the trust's total.
#[utoipa::path(get, path = "/api/trusts/{trust_id}/attendance", tag = "attendance",
    params(("trust_id" = Uuid, Path, description = "The trust"), PeriodQuery),
    responses(
        (status = 200, description = "A line per school", body = Breakdown),
        (status = 400, description = "A missing or wrong date", body = super::error::ErrorBody),
        (status = 403, description = "Not allowed to see any of the trust's reports", body = super::error::ErrorBody),
    ))]
async fn trust_attendance(
    State(pool): State<PgPool>,
    viewer: Option<Extension<Viewer>>,
    Path(trust_id): Path<Uuid>,
    Query(query): Query<PeriodQuery>,
) -> Result<Json<Breakdown>, ApiError> {
    let Extension(viewer) = viewer.ok_or_else(ApiError::sign_in_first)?;
    let (from, to) = period(&query)?;
    let schools: Vec<_> = viewer
        .schools
        .iter()
        .filter(|school| {
            viewer.trust_id == trust_id && viewer.can(Permission::ViewReports, school.id)
        })
        .collect();
    if schools.is_empty() {
        return Err(ApiError::not_permitted());
    }
    let ids: Vec<Uuid> = schools.iter().map(|school| school.id).collect();
    let pupils = attendance::queries::schools_pupil_figures(&pool, &ids, from, to).await?;
    let mut breakdown = attendance::breakdown(&pupils, Grouping::School, from, to);
    for line in &mut breakdown.groups {
        if let Some(school) = schools.iter().find(|school| Some(school.id) == line.id) {
            line.group = school.name.clone();
        }
    }
    breakdown.groups.sort_by(|a, b| a.group.cmp(&b.group));
    breakdown.total.group = "All schools".to_string();
    Ok(Json(breakdown))
}

fn csv_response(file_name: String, body: Vec<u8>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
}

/// Every current mark of a period as CSV: `upn,date,session,code,minutes_late`, by date,
/// session and UPN, so another system or an auditor can check the figures.
#[utoipa::path(get, path = "/api/schools/{school_id}/marks.csv", tag = "attendance",
    params(("school_id" = Uuid, Path, description = "The school"), PeriodQuery),
    responses(
        (status = 200, description = "The marks", content_type = "text/csv", body = String),
        (status = 400, description = "A missing or wrong date", body = super::error::ErrorBody),
        (status = 403, description = "Not allowed to see this school's reports", body = super::error::ErrorBody),
    ))]
async fn marks_csv(
    State(pool): State<PgPool>,
    viewer: Option<Extension<Viewer>>,
    Path(school_id): Path<Uuid>,
    Query(query): Query<PeriodQuery>,
) -> Result<impl IntoResponse, ApiError> {
    reader(viewer, school_id)?;
    let (from, to) = period(&query)?;
    let body = app::registers::queries::marks_csv(&pool, school_id, from, to)
        .await
        .map_err(|error| ApiError::Internal(error.into()))?;
    Ok(csv_response(format!("marks-{from}-to-{to}.csv"), body))
}

/// The statutory copy of a month's register: every entry ever made for a session of that
/// month, originals and amendments, with who made each, when and why.
#[utoipa::path(get, path = "/api/schools/{school_id}/register-copies/{month}", tag = "attendance",
    params(
        ("school_id" = Uuid, Path, description = "The school"),
        ("month" = String, Path, description = "The month, as YYYY-MM"),
    ),
    responses(
        (status = 200, description = "The month's register", content_type = "text/csv", body = String),
        (status = 400, description = "Not a month like 2026-09", body = super::error::ErrorBody),
        (status = 403, description = "Not allowed to see this school's reports", body = super::error::ErrorBody),
    ))]
async fn register_copy(
    State(pool): State<PgPool>,
    viewer: Option<Extension<Viewer>>,
    Path((school_id, month)): Path<(Uuid, String)>,
) -> Result<impl IntoResponse, ApiError> {
    reader(viewer, school_id)?;
    let month = month.trim_end_matches(".csv");
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map_err(|_| ApiError::BadRequest(format!("{month:?} is not a month like 2026-09.")))?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .ok_or_else(|| ApiError::BadRequest("That month is out of range.".into()))?;
    let last = next.pred_opt().unwrap_or(first);
    let body = app::registers::queries::register_copy_csv(&pool, school_id, first, last)
        .await
        .map_err(|error| ApiError::Internal(error.into()))?;
    Ok(csv_response(format!("register-{month}.csv"), body))
}
