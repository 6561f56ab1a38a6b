//! First-day calling as data: a day's list of pupils with no AM mark or N once the register has
//! closed, their contacts in priority order, the attempts so far, and the pupils nobody has
//! reached by the school's deadlines, the same as the `/calling` page shows (`app::calling`).

use app::{
    auth::Viewer,
    calling::{CallingDay, may_call, queries},
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
    OpenApiRouter::new().routes(routes!(first_day_calling))
}

#[derive(Deserialize, IntoParams)]
pub struct DayQuery {
    /// The day, as YYYY-MM-DD; today at the school when left out.
    date: Option<String>,
}

/// A day's first-day calling list: from the time the AM register closes, every pupil on roll
/// with no AM mark or N, their contacts in priority order and the attempts logged; the pupils
/// whose mark was set since; the progress counts; and the pupils not reached by the school's
/// deadlines (DSL alert, home visit proposed). Safeguarding flags only for safeguarding staff.
#[utoipa::path(get, path = "/api/schools/{school_id}/first-day-calling", tag = "first-day calling",
    params(("school_id" = Uuid, Path, description = "The school"), DayQuery),
    responses(
        (status = 200, description = "The day's calling list", body = CallingDay),
        (status = 400, description = "Not a date like 2026-11-24", body = super::error::ErrorBody),
        (status = 403, description = "Not allowed to see this school's calling list", body = super::error::ErrorBody),
    ))]
async fn first_day_calling(
    State(pool): State<PgPool>,
    viewer: Option<Extension<Viewer>>,
    Path(school_id): Path<Uuid>,
    Query(query): Query<DayQuery>,
) -> Result<Json<CallingDay>, ApiError> {
    let Extension(viewer) = viewer.ok_or_else(ApiError::sign_in_first)?;
    if !may_call(&viewer, school_id) {
        return Err(ApiError::not_permitted());
    }
    let date = match query.date.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(value) => Some(NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
            ApiError::BadRequest(format!(
                "`date` is {value:?}, which is not a date like 2026-11-24."
            ))
        })?),
    };
    let day = queries::calling_day(&pool, &viewer, school_id, date)
        .await?
        .ok_or_else(|| ApiError::NotFound("There is no such school.".into()))?;
    Ok(Json(day))
}
