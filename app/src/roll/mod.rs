//! Leaving the roll: pupils taken off the school's admission register on one of the regulation's
//! grounds (`domain::roll`), never backdated; home education with the parent's notice and the
//! cooling-off period; the deletion return to the local authority marked when sent.
//!
//! Children missing education: pupils whose run of unexplained absence reached the school's
//! ten-day notice, the printable notice to the local authority with its evidence, and when it
//! was sent.
//!
//! Who may do what: the attendance team and the office (`WorkCases` or `DeleteFromRoll`) read the
//! list; those who work cases mark a ten-day notice sent; only `DeleteFromRoll` (school administrators and attendance leads) records a deletion,
//! cancels one not yet in force, or marks its return sent. Every change is audited.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod queries;

pub use pages::{RollPage, TenDayNoticePage};

use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    domain::{roles::Permission, roll::DeletionGround},
};

/// One deletion as the list shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deletion {
    pub id: Uuid,
    pub pupil_id: Uuid,
    pub pupil_name: String,
    pub upn: String,
    pub form: String,
    pub ground: DeletionGround,
    /// The first day off the roll.
    pub deleted_on: NaiveDate,
    pub notice_on: Option<NaiveDate>,
    pub cooling_off_until: Option<NaiveDate>,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    pub return_sent_on: Option<NaiveDate>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
}

/// Where a deletion stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    Cancelled,
    /// Home education: the school is waiting out the cooling-off period.
    CoolingOff(NaiveDate),
    /// Recorded; the pupil is still on roll until the day before this.
    Leaving(NaiveDate),
    OffRoll,
}

impl Deletion {
    pub fn standing(&self, today: NaiveDate) -> Standing {
        if self.cancelled_at.is_some() {
            Standing::Cancelled
        } else if self.deleted_on <= today {
            Standing::OffRoll
        } else if let Some(until) = self.cooling_off_until.filter(|until| *until >= today) {
            Standing::CoolingOff(until)
        } else {
            Standing::Leaving(self.deleted_on)
        }
    }
}

/// A pupil on roll to choose on the form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PupilOnRoll {
    pub id: Uuid,
    pub name: String,
    pub form: String,
}

/// A pupil whose run of unexplained absence has reached the school's ten-day notice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MissingEducation {
    pub pupil_id: Uuid,
    pub pupil_name: String,
    pub form: String,
    /// The run's first school day and its length in school days.
    pub run_from: NaiveDate,
    pub run_days: i64,
    pub notice_sent_on: Option<NaiveDate>,
}

/// The page: pupils due a ten-day notice, the school's deletions, newest first, and the pupils
/// who may be taken off.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RollChanges {
    pub school_id: Uuid,
    pub today: NaiveDate,
    /// The school's ten-day notice: school days of unexplained absence.
    pub cme_days: i32,
    pub missing: Vec<MissingEducation>,
    pub deletions: Vec<Deletion>,
    pub pupils: Vec<PupilOnRoll>,
    pub can_delete: bool,
    pub can_send_notice: bool,
}

/// A parent or carer as the ten-day notice lists them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoticeContact {
    pub name: String,
    pub relationship: String,
    pub phones: String,
    pub email: String,
    pub address: String,
}

/// One school day of the run: the AM and PM codes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunDay {
    pub date: NaiveDate,
    pub am: String,
    pub pm: String,
}

/// The ten-day notice to the local authority, with the evidence: the run of absence, every
/// attempt to reach the family and the case's timeline since the run began.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TenDayNotice {
    pub school_id: Uuid,
    pub school_name: String,
    pub today: NaiveDate,
    pub pupil_id: Uuid,
    pub pupil_name: String,
    pub upn: String,
    pub date_of_birth: NaiveDate,
    pub year: String,
    pub form: String,
    pub contacts: Vec<NoticeContact>,
    pub run_from: NaiveDate,
    pub run: Vec<RunDay>,
    pub attempts: Vec<crate::calling::Attempt>,
    pub case_events: Vec<crate::cases::CaseEvent>,
    pub sent_on: Option<NaiveDate>,
    pub can_send: bool,
}

/// Whether this person may read the school's deletions.
pub fn may_read(viewer: &Viewer, school_id: Uuid) -> bool {
    viewer.can(Permission::WorkCases, school_id)
        || viewer.can(Permission::DeleteFromRoll, school_id)
}

/// The school's deletions and the pupils on roll.
#[server(prefix = "/api/fn", endpoint = "roll/list")]
pub async fn load_roll_changes(school_id: Uuid) -> Result<RollChanges, ServerFnError> {
    use crate::auth::server;
    let viewer = server::require_viewer()?;
    if !may_read(&viewer, school_id) {
        server::require(Permission::DeleteFromRoll, school_id)?;
    }
    let pool = server::pool()?;
    let today = server::school_today(&pool, school_id).await?;
    let cme_days = crate::cases::queries::policy(&pool, school_id)
        .await
        .map_err(server::internal)?
        .cme_days;
    Ok(RollChanges {
        school_id,
        today,
        cme_days,
        missing: queries::missing_education(&pool, school_id, today, cme_days)
            .await
            .map_err(server::internal)?,
        deletions: queries::deletions(&pool, school_id)
            .await
            .map_err(server::internal)?,
        pupils: queries::pupils_on_roll(&pool, school_id, today)
            .await
            .map_err(server::internal)?,
        can_delete: viewer.can(Permission::DeleteFromRoll, school_id),
        can_send_notice: viewer.can(Permission::WorkCases, school_id),
    })
}

/// The ten-day notice for one pupil, with its evidence, while their run lasts.
#[server(prefix = "/api/fn", endpoint = "roll/ten-day")]
pub async fn load_ten_day_notice(
    school_id: Uuid,
    pupil_id: Uuid,
) -> Result<TenDayNotice, ServerFnError> {
    use crate::auth::server;
    let viewer = server::require_viewer()?;
    if !may_read(&viewer, school_id) {
        server::require(Permission::DeleteFromRoll, school_id)?;
    }
    let pool = server::pool()?;
    let today = server::school_today(&pool, school_id).await?;
    queries::ten_day_notice(&pool, &viewer, school_id, pupil_id, today)
        .await
        .map_err(server::internal)?
        .ok_or_else(|| {
            server::not_found(
                "This pupil has no run of unexplained absence at this school today: no notice is due.",
            )
        })
}

/// The ten-day notice has gone to the local authority. Audited and on the pupil's open case.
#[server(prefix = "/api/fn", endpoint = "roll/ten-day-sent")]
pub async fn ten_day_notice_sent(school_id: Uuid, pupil_id: Uuid) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::WorkCases, school_id)?;
    let pool = server::pool()?;
    let today = server::school_today(&pool, school_id).await?;
    let cme_days = crate::cases::queries::policy(&pool, school_id)
        .await
        .map_err(server::internal)?
        .cme_days;
    queries::ten_day_notice_sent(&pool, viewer.staff_id, school_id, pupil_id, today, cme_days)
        .await
        .map_err(server::internal)?
        .map_err(server::invalid)
}

/// Takes a pupil off the roll from `deleted_on` (today or later). Audited.
#[server(prefix = "/api/fn", endpoint = "roll/delete")]
pub async fn delete_from_roll(
    school_id: Uuid,
    pupil_id: String,
    ground: String,
    deleted_on: String,
    notice_on: String,
    cooling_off_until: String,
    note: String,
) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::DeleteFromRoll, school_id)?;
    let deletion = queries::NewDeletion {
        pupil_id: Uuid::parse_str(pupil_id.trim())
            .map_err(|_| server::invalid("Choose the pupil."))?,
        ground: DeletionGround::from_key(&ground)
            .ok_or_else(|| server::invalid("Choose the ground for the deletion."))?,
        deleted_on: server::optional_date(&deleted_on, "the first day off the roll")?
            .ok_or_else(|| server::invalid("Give the first day off the roll."))?,
        notice_on: server::optional_date(&notice_on, "the date of the parent's notice")?,
        cooling_off_until: server::optional_date(
            &cooling_off_until,
            "the end of the cooling-off period",
        )?,
        note,
    };
    let pool = server::pool()?;
    let today = server::school_today(&pool, school_id).await?;
    queries::record_deletion(&pool, viewer.staff_id, school_id, &deletion, today)
        .await
        .map_err(server::internal)?
        .map(|_| ())
        .map_err(server::invalid)
}

/// Cancels a deletion not yet in force: the pupil stays on roll. Audited, with the reason.
#[server(prefix = "/api/fn", endpoint = "roll/cancel")]
pub async fn cancel_deletion(
    school_id: Uuid,
    deletion_id: Uuid,
    reason: String,
) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::DeleteFromRoll, school_id)?;
    let pool = server::pool()?;
    let today = server::school_today(&pool, school_id).await?;
    queries::cancel_deletion(
        &pool,
        viewer.staff_id,
        school_id,
        deletion_id,
        &reason,
        today,
    )
    .await
    .map_err(server::internal)?
    .map_err(server::invalid)
}

/// The deletion return has gone to the local authority. Audited.
#[server(prefix = "/api/fn", endpoint = "roll/return-sent")]
pub async fn deletion_return_sent(school_id: Uuid, deletion_id: Uuid) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::DeleteFromRoll, school_id)?;
    let pool = server::pool()?;
    let today = server::school_today(&pool, school_id).await?;
    queries::return_sent(&pool, viewer.staff_id, school_id, deletion_id, today)
        .await
        .map_err(server::internal)?
        .map_err(server::invalid)
}
