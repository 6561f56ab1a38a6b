//! Penalty notices under the national framework: the pupils who meet the school's penalty-notice
//! threshold (the case policy, counted by `domain::triggers`), Notices to Improve with their
//! improvement period, and penalty notices per parent per child with their amount, deadlines and
//! status (`domain::penalty`). A further notice to the same parent for the same child needs the
//! threshold met again by unauthorised sessions after their last notice: absence already answered
//! by a notice never grounds another. A parent given a Notice to Improve gets its whole
//! improvement period before a penalty notice.
//!
//! Who may do what: those who work cases issue notices and record payments and withdrawals;
//! those who read reports read them. Every write is audited.

#![allow(clippy::too_many_arguments)]

pub mod pages;
#[cfg(feature = "ssr")]
pub mod queries;

pub use pages::PenaltyNoticesPage;

use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    domain::{
        penalty::{Sequence, Status},
        roles::Permission,
        triggers::UnauthorisedWindow,
    },
    leave::Parent,
};

/// A pupil who meets the threshold, with the figures in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Eligible {
    pub pupil_id: Uuid,
    pub pupil_name: String,
    pub form: String,
    pub window: UnauthorisedWindow,
    pub why: String,
    pub parents: Vec<Parent>,
    /// Notices already issued for this pupil (to any parent), not withdrawn.
    pub notices: i64,
}

/// A Notice to Improve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoticeToImprove {
    pub id: Uuid,
    pub pupil_id: Uuid,
    pub pupil_name: String,
    pub parent_name: String,
    pub issued_on: NaiveDate,
    pub improvement_ends_on: NaiveDate,
    pub support_offered: String,
    pub why: String,
}

/// A penalty notice with where it stands today.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PenaltyNotice {
    pub id: Uuid,
    pub pupil_id: Uuid,
    pub pupil_name: String,
    pub parent_name: String,
    pub issued_on: NaiveDate,
    pub sequence: Sequence,
    /// The last day of the £80 amount (first notices only) and the last day to pay.
    pub lower_until: Option<NaiveDate>,
    pub pay_by: NaiveDate,
    /// What is due if paid today (`None`: past the last day, or settled).
    pub due_today: Option<i32>,
    pub status: Status,
    pub why: String,
}

/// The penalty notices page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PenaltyBook {
    pub school_id: Uuid,
    pub today: NaiveDate,
    pub eligible: Vec<Eligible>,
    pub notices_to_improve: Vec<NoticeToImprove>,
    pub notices: Vec<PenaltyNotice>,
    pub can_issue: bool,
}

/// Whether this person may read the school's notices.
pub fn may_read(viewer: &Viewer, school_id: Uuid) -> bool {
    viewer.can(Permission::WorkCases, school_id) || viewer.can(Permission::ViewReports, school_id)
}

#[cfg(feature = "ssr")]
fn parse_id(value: &str, missing: &str) -> Result<Uuid, ServerFnError> {
    Uuid::parse_str(value.trim()).map_err(|_| crate::auth::server::invalid(missing))
}

/// The eligibility list, the Notices to Improve and the penalty notices of a school.
#[server(prefix = "/api/fn", endpoint = "penalty-notices/list")]
pub async fn load_penalty_book(school_id: Uuid) -> Result<PenaltyBook, ServerFnError> {
    use crate::auth::server;
    let viewer = server::require_viewer()?;
    if !may_read(&viewer, school_id) {
        server::require(Permission::WorkCases, school_id)?;
    }
    let pool = server::pool()?;
    let today = server::school_today(&pool, school_id).await?;
    let internal = server::internal;
    Ok(PenaltyBook {
        school_id,
        today,
        eligible: queries::eligible(&pool, school_id, today)
            .await
            .map_err(internal)?,
        notices_to_improve: queries::notices_to_improve(&pool, school_id)
            .await
            .map_err(internal)?,
        notices: queries::notices(&pool, school_id, today)
            .await
            .map_err(internal)?,
        can_issue: viewer.can(Permission::WorkCases, school_id),
    })
}

/// Issues a Notice to Improve today to a parent of a pupil who meets the threshold.
#[server(prefix = "/api/fn", endpoint = "penalty-notices/improve")]
pub async fn issue_notice_to_improve(
    school_id: Uuid,
    pupil_id: Uuid,
    contact_id: String,
    improvement_ends_on: NaiveDate,
    support_offered: String,
) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::WorkCases, school_id)?;
    let contact_id = parse_id(&contact_id, "Choose the parent or carer.")?;
    let pool = server::pool()?;
    let today = server::school_today(&pool, school_id).await?;
    queries::issue_notice_to_improve(
        &pool,
        viewer.staff_id,
        school_id,
        pupil_id,
        contact_id,
        today,
        improvement_ends_on,
        &support_offered,
    )
    .await
    .map_err(server::internal)?
    .map(|_| ())
    .map_err(server::invalid)
}

/// Issues a penalty notice today to a parent of a pupil who meets the threshold, under the
/// 3-year rule.
#[server(prefix = "/api/fn", endpoint = "penalty-notices/issue")]
pub async fn issue_penalty_notice(
    school_id: Uuid,
    pupil_id: Uuid,
    contact_id: String,
) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::WorkCases, school_id)?;
    let contact_id = parse_id(&contact_id, "Choose the parent or carer.")?;
    let pool = server::pool()?;
    let today = server::school_today(&pool, school_id).await?;
    queries::issue_penalty_notice(
        &pool,
        viewer.staff_id,
        school_id,
        pupil_id,
        contact_id,
        today,
    )
    .await
    .map_err(server::internal)?
    .map(|_| ())
    .map_err(server::invalid)
}

/// Records a payment: the date and the amount, which must be what was due that day.
#[server(prefix = "/api/fn", endpoint = "penalty-notices/paid")]
pub async fn record_penalty_payment(
    school_id: Uuid,
    notice_id: Uuid,
    paid_on: NaiveDate,
    amount: String,
) -> Result<(), ServerFnError> {
    use crate::{auth::server, domain::penalty::parse_pounds};
    let viewer = server::require(Permission::WorkCases, school_id)?;
    let pence = parse_pounds(&amount).map_err(server::invalid)?;
    let pool = server::pool()?;
    let today = server::school_today(&pool, school_id).await?;
    queries::record_payment(
        &pool,
        viewer.staff_id,
        school_id,
        notice_id,
        paid_on,
        pence,
        today,
    )
    .await
    .map_err(server::internal)?
    .map_err(server::invalid)
}

/// Withdraws a notice with a reason.
#[server(prefix = "/api/fn", endpoint = "penalty-notices/withdraw")]
pub async fn withdraw_penalty_notice(
    school_id: Uuid,
    notice_id: Uuid,
    reason: String,
) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::WorkCases, school_id)?;
    let pool = server::pool()?;
    let today = server::school_today(&pool, school_id).await?;
    queries::withdraw(&pool, viewer.staff_id, school_id, notice_id, &reason, today)
        .await
        .map_err(server::internal)?
        .map_err(server::invalid)
}
