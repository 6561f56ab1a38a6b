//! Meetings on a case and the attendance plans agreed at them. An officer arranges an attendance
//! meeting, a panel or a pre-legal meeting (never in the past), records who came, the minutes and
//! the actions once it has taken place, and may agree a plan there: a target attendance and a
//! review date. The case engine reviews each plan on its review date (`queries::review_due_plans`)
//! and, when the target was missed, proposes the next step of the ladder.
//!
//! Who may do what: those who read cases read meetings and plans; those who work cases
//! (`Permission::WorkCases`) arrange, record and agree them. Everything is on the case timeline
//! and in the audit log.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod queries;

pub use pages::{CaseMeetings, MeetingsState};

use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::meetings::MeetingKind;

/// A meeting as the case page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub id: Uuid,
    pub kind: MeetingKind,
    pub starts_at: DateTime<Utc>,
    /// When it starts in the school's own time: "Mon 30 Nov 2026 15:30".
    pub when: String,
    pub place: String,
    pub invited: String,
    pub arranged_by: Option<String>,
    /// Whether its start time has come, so it can be recorded.
    pub started: bool,
    pub record: Option<MeetingRecord>,
}

/// What happened at a meeting, written up afterwards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeetingRecord {
    pub attendees: String,
    pub minutes: String,
    pub actions: String,
    pub recorded_by: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// An attendance plan: the target between the meeting and the review date, and the review.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttendancePlan {
    pub id: Uuid,
    pub meeting_id: Uuid,
    /// Hundredths of a percent.
    pub target: i32,
    pub starts_on: NaiveDate,
    pub review_on: NaiveDate,
    pub support: String,
    pub reviewed_on: Option<NaiveDate>,
    pub reviewed_attendance: Option<i32>,
    pub target_met: Option<bool>,
}

/// A case's meetings (earliest first) and plans, with the school's date today.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseMeetingsData {
    pub meetings: Vec<Meeting>,
    pub plans: Vec<AttendancePlan>,
    pub today: NaiveDate,
    pub case_open: bool,
}

#[server(prefix = "/api/fn", endpoint = "meetings/case")]
pub async fn load_case_meetings(
    school_id: Uuid,
    case_id: Uuid,
) -> Result<CaseMeetingsData, ServerFnError> {
    use crate::auth::server;
    crate::cases::require_read(school_id)?;
    queries::case_meetings(&server::pool()?, school_id, case_id)
        .await
        .map_err(server::internal)?
        .ok_or_else(|| server::not_found("There is no such case at this school."))
}

/// Arranges a meeting on a case, from now on: the date and time are the school's own.
#[server(prefix = "/api/fn", endpoint = "meetings/arrange")]
pub async fn arrange_meeting(
    school_id: Uuid,
    case_id: Uuid,
    kind: String,
    date: String,
    time: String,
    place: String,
    invited: String,
) -> Result<Uuid, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    let viewer = server::require(Permission::WorkCases, school_id)?;
    let kind = MeetingKind::from_key(&kind).map_err(server::invalid)?;
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| {
        server::invalid(format!(
            "\"{}\" is not a date: choose the day of the meeting.",
            date.trim()
        ))
    })?;
    let time = chrono::NaiveTime::parse_from_str(time.trim(), "%H:%M").map_err(|_| {
        server::invalid(format!(
            "\"{}\" is not a time: write it like 15:30.",
            time.trim()
        ))
    })?;
    queries::arrange(
        &server::pool()?,
        viewer.staff_id,
        school_id,
        case_id,
        queries::Arrangement {
            kind,
            starts: date.and_time(time),
            place: place.trim(),
            invited: invited.trim(),
        },
    )
    .await
    .map_err(server::internal)?
    .map_err(server::invalid)
}

/// Records who came to a meeting, its minutes and the actions agreed, once it has taken place.
#[server(prefix = "/api/fn", endpoint = "meetings/record")]
pub async fn record_meeting(
    school_id: Uuid,
    meeting_id: Uuid,
    attendees: String,
    minutes: String,
    actions: String,
) -> Result<(), ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    let viewer = server::require(Permission::WorkCases, school_id)?;
    queries::record(
        &server::pool()?,
        viewer.staff_id,
        school_id,
        meeting_id,
        attendees.trim(),
        minutes.trim(),
        actions.trim(),
    )
    .await
    .map_err(server::internal)?
    .map_err(server::invalid)
}

/// Agrees an attendance plan at a meeting that has been recorded: a target (a percentage as
/// typed, "95") to reach by the review date, and the support agreed.
#[server(prefix = "/api/fn", endpoint = "meetings/plan")]
pub async fn agree_plan(
    school_id: Uuid,
    meeting_id: Uuid,
    target: String,
    review_on: String,
    support: String,
) -> Result<(), ServerFnError> {
    use crate::{
        auth::server,
        domain::{roles::Permission, triggers::parse_percent},
    };
    let viewer = server::require(Permission::WorkCases, school_id)?;
    let target = parse_percent(&target).map_err(server::invalid)?;
    if target == 0 {
        return Err(server::invalid(
            "A target of 0% asks nothing of anyone: set the attendance the pupil is to reach.",
        ));
    }
    let review_on = NaiveDate::parse_from_str(review_on.trim(), "%Y-%m-%d").map_err(|_| {
        server::invalid(format!(
            "\"{}\" is not a date: choose the day of the review.",
            review_on.trim()
        ))
    })?;
    queries::agree_plan(
        &server::pool()?,
        viewer.staff_id,
        school_id,
        meeting_id,
        target,
        review_on,
        support.trim(),
    )
    .await
    .map_err(server::internal)?
    .map_err(server::invalid)
}
