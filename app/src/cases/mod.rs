//! Cases: each pupil of concern has one open case with a stage, an owner and a timeline. The
//! engine (`queries::evaluate_school`) opens cases and proposes the next step of the school's
//! policy (`domain::triggers`) with the exact figures that triggered it; people accept or
//! override a proposal with a reason, and add notes, some marked safeguarding.
//!
//! Who may do what: those who work cases (attendance officers and leads, the DSL) read and work
//! them; those who read reports (leadership, pastoral, administrators) read them. Safeguarding
//! notes are seen only by those who may see safeguarding (the DSL); others see nothing of them.

// A settings form's server function takes each field as an argument, and the browser's side of
// `#[server]` cannot take an `allow` on the function itself.
#![allow(clippy::too_many_arguments)]

pub mod evidence;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod queries;

pub use pages::{CasePage, CasesPage};

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{
    roles::Permission,
    triggers::{CasePolicy, Step},
};

/// One line of the caseload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseLine {
    pub id: Uuid,
    pub pupil_id: Uuid,
    pub pupil_name: String,
    pub form: String,
    pub stage: Step,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub opened_at: DateTime<Utc>,
    /// Attendance at the engine's last look, in hundredths of a percent.
    pub attendance: Option<i32>,
    /// The figures that triggered the stage, in words.
    pub why: String,
    /// A proposal no one has answered yet.
    pub open_proposals: i64,
    /// Tasks not done whose due date is today or past.
    pub tasks_due: i64,
}

/// Something someone must do on a case by a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseTask {
    pub id: Uuid,
    pub title: String,
    pub due_on: chrono::NaiveDate,
    pub assigned_to: Uuid,
    pub assigned_name: String,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by_name: Option<String>,
    /// Not done and its due date has passed (the school's today).
    pub overdue: bool,
}

/// One entry of a case's timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub id: i64,
    pub kind: String,
    pub at: DateTime<Utc>,
    pub by_name: Option<String>,
    pub summary: String,
    pub detail: serde_json::Value,
    pub safeguarding: bool,
    /// For a proposal: whether someone accepted or overrode it.
    pub answered: bool,
    pub answers_id: Option<i64>,
}

/// A case with its timeline in date order, as the viewer may see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseDetail {
    pub case: CaseLine,
    pub closed_at: Option<DateTime<Utc>>,
    pub events: Vec<CaseEvent>,
    /// Open tasks by due date, then done ones.
    pub tasks: Vec<CaseTask>,
    pub can_work: bool,
}

/// What one run of the engine did at one school.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub pupils: usize,
    pub cases_opened: usize,
    pub proposals: usize,
    /// Attendance plans whose review date had come (`meetings::queries::review_due_plans`).
    pub plans_reviewed: usize,
}

/// Whether the viewer may read a school's cases.
pub fn may_read(viewer: &crate::auth::Viewer, school_id: Uuid) -> bool {
    viewer.can(Permission::WorkCases, school_id) || viewer.can(Permission::ViewReports, school_id)
}

#[cfg(feature = "ssr")]
pub(crate) fn require_read(school_id: Uuid) -> Result<crate::auth::Viewer, ServerFnError> {
    use crate::auth::server;
    let viewer = server::require_viewer()?;
    if may_read(&viewer, school_id) {
        Ok(viewer)
    } else {
        server::require(Permission::WorkCases, school_id)
    }
}

/// The school's open cases, most urgent first; only the viewer's own with `mine`.
#[server(prefix = "/api/fn", endpoint = "cases/list")]
pub async fn load_caseload(school_id: Uuid, mine: bool) -> Result<Vec<CaseLine>, ServerFnError> {
    use crate::auth::server;
    let viewer = require_read(school_id)?;
    queries::caseload(&server::pool()?, school_id, mine.then_some(viewer.staff_id))
        .await
        .map_err(server::internal)
}

/// One case and its timeline, without the safeguarding notes the viewer may not see.
#[server(prefix = "/api/fn", endpoint = "cases/one")]
pub async fn load_case(school_id: Uuid, case_id: Uuid) -> Result<CaseDetail, ServerFnError> {
    use crate::auth::server;
    let viewer = require_read(school_id)?;
    let pool = server::pool()?;
    let detail = queries::case_detail(&pool, &viewer, school_id, case_id)
        .await
        .map_err(server::internal)?
        .ok_or_else(|| server::not_found("There is no such case at this school."))?;
    if detail.events.iter().any(|event| event.safeguarding) {
        crate::data_protection::queries::log_view(
            &pool,
            &viewer,
            school_id,
            detail.case.pupil_id,
            crate::data_protection::ViewedRecord::Case,
            Some(case_id),
        )
        .await
        .map_err(server::internal)?;
    }
    Ok(detail)
}

/// Accepts a proposal, or overrides it with a reason (required). Audited and on the timeline.
#[server(prefix = "/api/fn", endpoint = "cases/answer")]
pub async fn answer_proposal(
    school_id: Uuid,
    proposal_id: i64,
    accept: bool,
    reason: String,
) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::WorkCases, school_id)?;
    queries::answer_proposal(
        &server::pool()?,
        viewer.staff_id,
        school_id,
        proposal_id,
        accept,
        &reason,
    )
    .await
    .map_err(server::internal)?
    .map_err(server::invalid)
}

/// Adds a note to a case's timeline; a safeguarding note is seen only by the DSL.
#[server(prefix = "/api/fn", endpoint = "cases/note")]
pub async fn add_case_note(
    school_id: Uuid,
    case_id: Uuid,
    text: String,
    safeguarding: bool,
) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::WorkCases, school_id)?;
    queries::add_note(
        &server::pool()?,
        viewer.staff_id,
        school_id,
        case_id,
        &text,
        safeguarding,
    )
    .await
    .map_err(server::internal)?
    .map_err(server::invalid)
}

/// Who may be given a case at the school: those who work cases there, by name.
#[server(prefix = "/api/fn", endpoint = "cases/workers")]
pub async fn load_case_workers(school_id: Uuid) -> Result<Vec<(Uuid, String)>, ServerFnError> {
    use crate::auth::server;
    require_read(school_id)?;
    queries::case_workers(&server::pool()?, school_id)
        .await
        .map_err(server::internal)
}

/// Gives an open case to someone else who works cases at the school. Audited and on the
/// timeline.
#[server(prefix = "/api/fn", endpoint = "cases/reassign")]
pub async fn reassign_case(
    school_id: Uuid,
    case_id: Uuid,
    owner_id: Uuid,
) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::WorkCases, school_id)?;
    queries::reassign(
        &server::pool()?,
        viewer.staff_id,
        school_id,
        case_id,
        owner_id,
    )
    .await
    .map_err(server::internal)?
    .map_err(server::invalid)
}

/// Adds a task to an open case: what, by when (today or later), and for whom (someone who works
/// cases at the school).
#[server(prefix = "/api/fn", endpoint = "cases/add-task")]
pub async fn add_case_task(
    school_id: Uuid,
    case_id: Uuid,
    title: String,
    due_on: String,
    assigned_to: Uuid,
) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::WorkCases, school_id)?;
    let due_on = chrono::NaiveDate::parse_from_str(due_on.trim(), "%Y-%m-%d").map_err(|_| {
        server::invalid(format!(
            "{:?} is not a date: give the due date as YYYY-MM-DD.",
            due_on.trim()
        ))
    })?;
    queries::add_task(
        &server::pool()?,
        viewer.staff_id,
        school_id,
        &queries::NewTask {
            case_id,
            title,
            due_on,
            assigned_to,
        },
    )
    .await
    .map_err(server::internal)?
    .map_err(server::invalid)
}

/// Marks a task of the school done; it stays on the case with who and when.
#[server(prefix = "/api/fn", endpoint = "cases/task-done")]
pub async fn case_task_done(school_id: Uuid, task_id: Uuid) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::WorkCases, school_id)?;
    queries::task_done(&server::pool()?, viewer.staff_id, school_id, task_id)
        .await
        .map_err(server::internal)?
        .map_err(server::invalid)
}

/// Closes an open case with a reason (required). Audited and on the timeline.
#[server(prefix = "/api/fn", endpoint = "cases/close")]
pub async fn close_case(
    school_id: Uuid,
    case_id: Uuid,
    reason: String,
) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::WorkCases, school_id)?;
    queries::close(
        &server::pool()?,
        viewer.staff_id,
        school_id,
        case_id,
        &reason,
    )
    .await
    .map_err(server::internal)?
    .map_err(server::invalid)
}

/// The school's case policy, for its settings page.
#[server(prefix = "/api/fn", endpoint = "cases/policy")]
pub async fn load_case_policy(school_id: Uuid) -> Result<CasePolicy, ServerFnError> {
    use crate::auth::server;
    server::require(Permission::ManageSchool, school_id)?;
    queries::policy(&server::pool()?, school_id)
        .await
        .map_err(server::internal)
}

/// Sets the school's case policy: percentages as typed ("95", "92.5"), checked, audited with
/// before and after. The engine uses it from its next run; cases already open keep their history.
#[server(prefix = "/api/fn", endpoint = "cases/save-policy")]
pub async fn save_case_policy(
    school_id: Uuid,
    letter_below: String,
    meeting_below: String,
    plan_below: String,
    referral_at_or_below: String,
    penalty_sessions: i32,
    penalty_school_weeks: i32,
    cme_days: i32,
) -> Result<(), ServerFnError> {
    use crate::{auth::server, domain::triggers::parse_percent};
    let viewer = server::require(Permission::ManageSchool, school_id)?;
    let policy = CasePolicy {
        letter_below: parse_percent(&letter_below).map_err(server::invalid)?,
        meeting_below: parse_percent(&meeting_below).map_err(server::invalid)?,
        plan_below: parse_percent(&plan_below).map_err(server::invalid)?,
        referral_at_or_below: parse_percent(&referral_at_or_below).map_err(server::invalid)?,
        penalty_sessions,
        penalty_school_weeks,
        cme_days,
    }
    .checked()
    .map_err(server::invalid)?;
    queries::save_policy(&server::pool()?, viewer.staff_id, school_id, &policy)
        .await
        .map_err(server::internal)
}
