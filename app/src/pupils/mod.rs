//! The roll: finding pupils, and a pupil's page with their contacts.

mod pages;
#[cfg(feature = "ssr")]
pub mod queries;

pub use pages::{PupilPage, PupilsPage};

use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A line of the roll: what the late door and the pupil list show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow, utoipa::ToSchema))]
pub struct RollEntry {
    pub id: Uuid,
    /// The name the pupil goes by: preferred names where the school has them.
    pub first_name: String,
    pub last_name: String,
    pub form: Option<String>,
    pub year: String,
}

/// A pupil's record as the office sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PupilRecord {
    pub id: Uuid,
    pub upn: String,
    pub legal_first_name: String,
    pub legal_last_name: String,
    pub preferred_first_name: Option<String>,
    pub preferred_last_name: Option<String>,
    pub date_of_birth: NaiveDate,
    pub sex: String,
    pub year: String,
    pub form: Option<String>,
    pub admitted_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub sen_status: String,
    pub free_school_meals: bool,
    pub pupil_premium: bool,
    pub eal: bool,
    pub ethnicity: String,
    /// Only filled in for safeguarding staff; `None` for everyone else.
    pub safeguarding_status: Option<String>,
    pub contacts: Vec<Contact>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow, utoipa::ToSchema))]
pub struct Contact {
    pub priority: i32,
    pub title: String,
    pub first_name: String,
    pub last_name: String,
    pub relationship: String,
    pub parental_responsibility: bool,
    pub mobile_phone: String,
    pub home_phone: String,
    pub work_phone: String,
    pub email: String,
    pub address: String,
    pub postcode: String,
    pub preferred_contact: String,
}

impl PupilRecord {
    /// Whether the record shows a child-in-need or protection-plan status (only ever to
    /// safeguarding staff).
    pub fn is_flagged(&self) -> bool {
        self.safeguarding_status
            .as_deref()
            .is_some_and(|status| status != "none")
    }

    pub fn display_name(&self) -> String {
        format!(
            "{} {}",
            self.preferred_first_name
                .as_deref()
                .unwrap_or(&self.legal_first_name),
            self.preferred_last_name
                .as_deref()
                .unwrap_or(&self.legal_last_name)
        )
    }
}

/// What SEN status codes mean.
pub fn sen_label(code: &str) -> &'static str {
    match code {
        "K" => "SEN support",
        "E" => "Education, health and care plan",
        _ => "None",
    }
}

/// Pupils on roll today whose name or form contains `query`, at most `limit` of them.
#[server(prefix = "/api/fn", endpoint = "pupils/search")]
pub async fn search_roll(school_id: Uuid, query: String) -> Result<Vec<RollEntry>, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    server::require(Permission::SearchRoll, school_id)?;
    queries::search(&server::pool()?, school_id, &query, 200)
        .await
        .map_err(server::internal)
}

#[server(prefix = "/api/fn", endpoint = "pupils/record")]
pub async fn load_pupil_record(
    school_id: Uuid,
    pupil_id: Uuid,
) -> Result<PupilRecord, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    let viewer = server::require(Permission::ViewPupils, school_id)?;
    let with_safeguarding = viewer.can(Permission::ViewSafeguarding, school_id);
    let pool = server::pool()?;
    let record = queries::record(&pool, school_id, pupil_id, with_safeguarding)
        .await
        .map_err(server::internal)?
        .ok_or_else(|| server::not_found("There is no such pupil at this school."))?;
    if record.is_flagged() {
        crate::data_protection::queries::log_view(
            &pool,
            &viewer,
            school_id,
            pupil_id,
            crate::data_protection::ViewedRecord::PupilRecord,
            None,
        )
        .await
        .map_err(server::internal)?;
    }
    Ok(record)
}
