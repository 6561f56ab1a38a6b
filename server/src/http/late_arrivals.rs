//! The office's side of the late door as data: a day's arrivals at every door, the conflicts
//! with marks the office had set, the sanctions, and the half term's punctuality concerns, the
//! same as the `/late-arrivals` page shows (`app::late_door::office`).

use app::{
    auth::Viewer,
    late_door::{
        office::{LateArrivalsDay, may_see_late_arrivals},
        queries,
    },
};
use axum::{Extension, Json, extract::State};
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
    OpenApiRouter::new().routes(routes!(late_arrivals))
}

/// The person asking, if they may see late arrivals at this school: whoever takes registers
/// there, and the late door.
fn reader(viewer: Option<Extension<Viewer>>, school_id: Uuid) -> Result<Viewer, ApiError> {
    let Extension(viewer) = viewer.ok_or_else(ApiError::sign_in_first)?;
    if !may_see_late_arrivals(&viewer, school_id) {
        return Err(ApiError::not_permitted());
    }
    Ok(viewer)
}

#[derive(Deserialize, IntoParams)]
pub struct DayQuery {
    /// The day, as YYYY-MM-DD; today at the school when left out.
    date: Option<String>,
}

/// A day's late arrivals at every door of the school, for the office: each arrival (undone
/// ones too), the counts of L and U, the conflicts with marks the office had set, the sanctions
/// the policy gave, and the pupils late often enough in the half term to be a punctuality
/// concern.
#[utoipa::path(get, path = "/api/schools/{school_id}/late-arrivals", tag = "late arrivals",
    params(("school_id" = Uuid, Path, description = "The school"), DayQuery),
    responses(
        (status = 200, description = "The day's late arrivals", body = LateArrivalsDay),
        (status = 400, description = "Not a date like 2026-11-24", body = super::error::ErrorBody),
        (status = 403, description = "Not allowed to see this school's late arrivals", body = super::error::ErrorBody),
    ))]
async fn late_arrivals(
    State(pool): State<PgPool>,
    viewer: Option<Extension<Viewer>>,
    Path(school_id): Path<Uuid>,
    Query(query): Query<DayQuery>,
) -> Result<Json<LateArrivalsDay>, ApiError> {
    reader(viewer, school_id)?;
    let date = match query.date.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(value) => Some(NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
            ApiError::BadRequest(format!(
                "`date` is {value:?}, which is not a date like 2026-11-24."
            ))
        })?),
    };
    let day = queries::late_arrivals_day(&pool, school_id, date)
        .await?
        .ok_or_else(|| ApiError::NotFound("There is no such school.".into()))?;
    Ok(Json(day))
}
