//! Registers: taking a form's register for a session, amending a saved mark with a reason,
//! the history of every mark, the registers not yet taken, N marks left unresolved, and
//! closing the school or a year unexpectedly. Every write of marks goes through
//! `queries::write_marks`, which keeps the original of every amended mark and the figures'
//! running totals in step.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod queries;

pub use pages::{RegisterPage, RegistersPage};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use leptos::{prelude::*, server_fn::codec::Json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::codes::Session;

/// The mark a session has now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionMark {
    pub mark_id: i64,
    pub code: String,
    pub minutes_late: Option<i32>,
    /// register, late_door, import, calling or demo.
    pub source: String,
    pub recorded_by: Option<String>,
    pub recorded_at: DateTime<Utc>,
    /// True when this mark replaced an earlier one.
    pub amended: bool,
}

/// One entry of a mark's history: the original, or a change with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkChange {
    pub mark_id: i64,
    pub pupil_id: Uuid,
    pub session_date: NaiveDate,
    pub session: Session,
    pub code: String,
    pub minutes_late: Option<i32>,
    pub source: String,
    pub recorded_by: Option<String>,
    pub recorded_at: DateTime<Utc>,
    /// The code this entry replaced, when it is an amendment.
    pub replaced_code: Option<String>,
    pub reason: Option<String>,
    pub is_current: bool,
}

/// One pupil's line on a register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterLine {
    pub pupil_id: Uuid,
    /// Last name, first name.
    pub name: String,
    pub mark: Option<SessionMark>,
}

/// A form's register for one session, as it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Register {
    pub school_id: Uuid,
    pub form_id: Uuid,
    pub form: String,
    pub date: NaiveDate,
    pub session: Session,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
    /// Whether the register is open now, at the school's time.
    pub is_open: bool,
    pub taken_at: Option<DateTime<Utc>>,
    pub taken_by: Option<String>,
    pub lines: Vec<RegisterLine>,
}

/// A mark a person entered on a register, with the mark they saw when they opened it. The
/// server compares `seen_mark_id` with what is current, so a save made on an old copy of the
/// register is refused instead of overwriting someone else's change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterEntry {
    pub pupil_id: Uuid,
    pub code: String,
    #[serde(default)]
    pub minutes_late: Option<i32>,
    #[serde(default)]
    pub seen_mark_id: Option<i64>,
}

/// What a save did. Saving the same register twice creates nothing the second time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub created: i64,
    pub amended: i64,
    pub unchanged: i64,
}

/// A register of the day and whether it has been taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterStatus {
    pub form_id: Uuid,
    pub form: String,
    pub session: Session,
    pub pupils: i64,
    pub marked: i64,
    pub taken_at: Option<DateTime<Utc>>,
    pub taken_by: Option<String>,
}

/// The registers of a day at a school, for the office.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRegisters {
    pub date: NaiveDate,
    /// Why there are no registers, when the day is not a school day.
    pub not_a_school_day: Option<String>,
    pub am_opens: NaiveTime,
    pub am_closes: NaiveTime,
    pub pm_opens: NaiveTime,
    pub pm_closes: NaiveTime,
    pub registers: Vec<RegisterStatus>,
}

/// An N mark still without a reason after five school days: the law gives the school five.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueN {
    pub mark_id: i64,
    pub pupil_id: Uuid,
    pub name: String,
    pub form: String,
    pub session_date: NaiveDate,
    pub session: Session,
    pub school_days_old: i64,
}

#[server(prefix = "/api/fn", endpoint = "registers/day")]
pub async fn load_day_registers(
    school_id: Uuid,
    date: Option<NaiveDate>,
) -> Result<DayRegisters, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    server::require(Permission::TakeRegisters, school_id)?;
    queries::day_registers(&server::pool()?, school_id, date)
        .await
        .map_err(server::internal)?
        .ok_or_else(|| server::not_found("There is no such school."))
}

#[server(prefix = "/api/fn", endpoint = "registers/load")]
pub async fn load_register(
    school_id: Uuid,
    form_id: Uuid,
    date: NaiveDate,
    session: Session,
) -> Result<Register, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    server::require(Permission::TakeRegisters, school_id)?;
    queries::register(&server::pool()?, school_id, form_id, date, session)
        .await
        .map_err(server::internal)?
        .map_err(server::invalid)?
        .ok_or_else(|| server::not_found("There is no such form at this school."))
}

/// Saves a register in one request. Marks that already have the entered code are left as they
/// are, so sending the same register again is harmless. Changing a saved mark needs a reason.
#[server(prefix = "/api/fn", endpoint = "registers/save", input = Json)]
pub async fn save_register(
    school_id: Uuid,
    form_id: Uuid,
    date: NaiveDate,
    session: Session,
    entries: Vec<RegisterEntry>,
    reason: Option<String>,
) -> Result<Saved, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    let viewer = server::require(Permission::TakeRegisters, school_id)?;
    let pool = server::pool()?;
    queries::save_register(
        &pool,
        viewer.staff_id,
        school_id,
        form_id,
        date,
        session,
        &entries,
        reason.as_deref(),
    )
    .await
    .map_err(server::internal)?
    .map_err(queries::Refused::into_error)
}

/// Changes one saved mark, keeping the original.
#[server(prefix = "/api/fn", endpoint = "registers/amend")]
pub async fn amend_mark(
    school_id: Uuid,
    mark_id: i64,
    code: String,
    minutes_late: Option<i32>,
    reason: String,
) -> Result<(), ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    let viewer = server::require(Permission::TakeRegisters, school_id)?;
    queries::amend_mark(
        &server::pool()?,
        viewer.staff_id,
        school_id,
        mark_id,
        &code,
        minutes_late,
        &reason,
    )
    .await
    .map_err(server::internal)?
    .map_err(queries::Refused::into_error)
}

/// Every entry of one session's mark for a pupil: the original and each change.
#[server(prefix = "/api/fn", endpoint = "registers/history")]
pub async fn load_mark_history(
    school_id: Uuid,
    pupil_id: Uuid,
    date: NaiveDate,
    session: Session,
) -> Result<Vec<MarkChange>, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    server::require(Permission::ViewPupils, school_id)?;
    queries::session_history(&server::pool()?, school_id, pupil_id, date, session)
        .await
        .map_err(server::internal)
}

#[server(prefix = "/api/fn", endpoint = "registers/overdue-n")]
pub async fn load_overdue_n(school_id: Uuid) -> Result<Vec<OverdueN>, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    server::require(Permission::TakeRegisters, school_id)?;
    queries::overdue_n(&server::pool()?, school_id)
        .await
        .map_err(server::internal)
}

/// A school's year groups, for closing one of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearGroup {
    pub id: Uuid,
    pub name: String,
}

#[server(prefix = "/api/fn", endpoint = "registers/year-groups")]
pub async fn load_year_groups(school_id: Uuid) -> Result<Vec<YearGroup>, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    server::require(Permission::TakeRegisters, school_id)?;
    queries::year_groups(&server::pool()?, school_id)
        .await
        .map_err(server::internal)
}

/// Marks a session unable to attend because the school (Y4) or part of it (Y3, for a year
/// group) closed unexpectedly, for every pupil on roll, in one action.
#[server(prefix = "/api/fn", endpoint = "registers/unexpected-closure")]
pub async fn record_unexpected_closure(
    school_id: Uuid,
    date: NaiveDate,
    sessions: Vec<Session>,
    year_group_id: Option<Uuid>,
    reason: String,
) -> Result<Saved, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    let viewer = server::require(Permission::ManageSchool, school_id)?;
    queries::unexpected_closure(
        &server::pool()?,
        viewer.staff_id,
        school_id,
        date,
        &sessions,
        year_group_id,
        &reason,
    )
    .await
    .map_err(server::internal)?
    .map_err(queries::Refused::into_error)
}
