//! Leave of absence requests: a parent asks for leave for a pupil from a first session to a last,
//! on one of the regulation's grounds (`domain::leave`); a person the school authorised
//! (`Permission::DecideLeave`) approves or refuses it in writing. Approved leave pre-codes the
//! sessions through the register's amendment trail; refused leave that is taken becomes G.
//!
//! Who may do what: the office and the attendance team (anyone who takes registers or works
//! cases) read requests and record new ones; only `DecideLeave` decides; recording refused leave
//! as taken changes the register, so it needs `TakeRegisters`.

#![allow(clippy::too_many_arguments)]

pub mod pages;
#[cfg(feature = "ssr")]
pub mod queries;

pub use pages::{LeaveDecisionPage, LeavePage};

use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    domain::{
        codes::Session,
        leave::{Decision, Ground},
        roles::Permission,
    },
};

/// One request as the list and the decision notice show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeaveRequest {
    pub id: Uuid,
    pub pupil_id: Uuid,
    pub pupil_name: String,
    pub form: String,
    pub parent_name: String,
    pub first_date: NaiveDate,
    pub first_session: Session,
    pub last_date: NaiveDate,
    pub last_session: Session,
    pub ground: Ground,
    pub parent_reason: String,
    pub received_on: NaiveDate,
    pub recorded_by: Option<String>,
    pub decision: Decision,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    pub sessions_coded: i32,
    pub taken_recorded_at: Option<DateTime<Utc>>,
}

impl LeaveRequest {
    /// "Mon 23 Nov 2026 AM to Fri 27 Nov 2026 PM".
    pub fn range_words(&self) -> String {
        format!(
            "{} {} to {} {}",
            self.first_date.format("%a %-d %b %Y"),
            self.first_session,
            self.last_date.format("%a %-d %b %Y"),
            self.last_session
        )
    }
}

/// A parent or carer to name on a request or notice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Parent {
    pub id: Uuid,
    pub name: String,
}

/// A pupil on roll to choose on a form, with their parents and carers in priority order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PupilChoice {
    pub id: Uuid,
    pub name: String,
    pub form: String,
    pub parents: Vec<Parent>,
}

/// The leave page: the school's requests, newest first, and what the viewer may do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeaveList {
    pub school_id: Uuid,
    pub today: NaiveDate,
    pub requests: Vec<LeaveRequest>,
    pub pupils: Vec<PupilChoice>,
    pub can_decide: bool,
    pub can_record_taken: bool,
}

/// The decision notice to send to the parent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeaveNotice {
    pub school_name: String,
    pub request: LeaveRequest,
}

/// What a decision or a "taken" record changed on the register.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coded {
    /// Sessions given the ground's code (or G).
    pub coded: usize,
    /// Sessions left alone because they already had a mark.
    pub kept: usize,
}

/// Whether this person may read the school's requests and record new ones.
pub fn may_use(viewer: &Viewer, school_id: Uuid) -> bool {
    [
        Permission::TakeRegisters,
        Permission::WorkCases,
        Permission::DecideLeave,
    ]
    .into_iter()
    .any(|permission| viewer.can(permission, school_id))
}

#[cfg(feature = "ssr")]
fn require_use(school_id: Uuid) -> Result<Viewer, ServerFnError> {
    use crate::auth::server;
    let viewer = server::require_viewer()?;
    if may_use(&viewer, school_id) {
        Ok(viewer)
    } else {
        server::require(Permission::DecideLeave, school_id)
    }
}

/// The school's requests and the pupils to choose from.
#[server(prefix = "/api/fn", endpoint = "leave/list")]
pub async fn load_leave(school_id: Uuid) -> Result<LeaveList, ServerFnError> {
    use crate::auth::server;
    let viewer = require_use(school_id)?;
    let pool = server::pool()?;
    let today = server::school_today(&pool, school_id).await?;
    Ok(LeaveList {
        school_id,
        today,
        requests: queries::requests(&pool, school_id)
            .await
            .map_err(server::internal)?,
        pupils: queries::pupils_on_roll(&pool, school_id, today)
            .await
            .map_err(server::internal)?,
        can_decide: viewer.can(Permission::DecideLeave, school_id),
        can_record_taken: viewer.can(Permission::TakeRegisters, school_id),
    })
}

/// One request's decision notice.
#[server(prefix = "/api/fn", endpoint = "leave/one")]
pub async fn load_leave_notice(
    school_id: Uuid,
    request_id: Uuid,
) -> Result<LeaveNotice, ServerFnError> {
    use crate::auth::server;
    require_use(school_id)?;
    queries::notice(&server::pool()?, school_id, request_id)
        .await
        .map_err(server::internal)?
        .ok_or_else(|| server::not_found("There is no such request at this school."))
}

/// Records a parent's request. Audited.
#[server(prefix = "/api/fn", endpoint = "leave/request")]
pub async fn record_leave_request(
    school_id: Uuid,
    pupil_id: String,
    contact_id: String,
    first_date: NaiveDate,
    first_session: String,
    last_date: NaiveDate,
    last_session: String,
    ground: String,
    parent_reason: String,
    received_on: NaiveDate,
) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = require_use(school_id)?;
    let request = queries::NewRequest {
        pupil_id: parse_id(&pupil_id, "Choose the pupil.")?,
        contact_id: parse_id(&contact_id, "Choose the parent or carer who asked.")?,
        first: (
            first_date,
            Session::parse(&first_session).map_err(server::invalid)?,
        ),
        last: (
            last_date,
            Session::parse(&last_session).map_err(server::invalid)?,
        ),
        ground: Ground::from_key(&ground)
            .ok_or_else(|| server::invalid("Choose the ground the parent asked on."))?,
        parent_reason,
        received_on,
    };
    let pool = server::pool()?;
    let today = server::school_today(&pool, school_id).await?;
    queries::record_request(&pool, viewer.staff_id, school_id, &request, today)
        .await
        .map_err(server::internal)?
        .map(|_| ())
        .map_err(server::invalid)
}

/// Approves or refuses a pending request with a reason; approval pre-codes the sessions.
#[server(prefix = "/api/fn", endpoint = "leave/decide")]
pub async fn decide_leave(
    school_id: Uuid,
    request_id: Uuid,
    decision: String,
    reason: String,
) -> Result<Coded, ServerFnError> {
    use crate::{auth::server, registers::queries::Refused};
    let viewer = server::require(Permission::DecideLeave, school_id)?;
    let approve = match decision.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => {
            return Err(server::invalid(
                "Choose to approve or to refuse the request.",
            ));
        }
    };
    queries::decide(
        &server::pool()?,
        viewer.staff_id,
        school_id,
        request_id,
        approve,
        &reason,
    )
    .await
    .map_err(server::internal)?
    .map_err(Refused::into_error)
}

/// Refused leave was taken: the N and O marks in its range become G.
#[server(prefix = "/api/fn", endpoint = "leave/taken")]
pub async fn record_leave_taken(school_id: Uuid, request_id: Uuid) -> Result<Coded, ServerFnError> {
    use crate::{auth::server, registers::queries::Refused};
    let viewer = server::require(Permission::TakeRegisters, school_id)?;
    queries::record_taken(&server::pool()?, viewer.staff_id, school_id, request_id)
        .await
        .map_err(server::internal)?
        .map_err(Refused::into_error)
}

#[cfg(feature = "ssr")]
fn parse_id(value: &str, missing: &str) -> Result<Uuid, ServerFnError> {
    Uuid::parse_str(value.trim()).map_err(|_| crate::auth::server::invalid(missing))
}
