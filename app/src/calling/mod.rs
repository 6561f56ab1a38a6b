//! First-day calling: once the morning register closes, the pupils with no mark or N, their
//! contacts in priority order, every attempt to reach them with its outcome, the reason the
//! family gave set on the register through the amendment trail, and the pupils nobody has
//! reached by the school's deadlines (alert the DSL, propose a home visit).
//!
//! Who: people who work cases (attendance officers and leads, the DSL) and people who take
//! registers (the office, leads, officers, tutors) see the list and log attempts; recording a
//! reason changes the register, so it needs `TakeRegisters`. Safeguarding flags are shown only
//! to people who may see safeguarding data.

// `record_reason` is a form's fields, one argument each; the server macro's browser side
// cannot take an `allow` on the function itself.
#![allow(clippy::too_many_arguments)]

pub mod pages;
#[cfg(feature = "ssr")]
pub mod queries;

pub use pages::CallingPage;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    domain::{
        codes::{Category, Code},
        roles::Permission,
    },
};

/// Whether this person may see the calling list and log attempts.
pub fn may_call(viewer: &Viewer, school_id: Uuid) -> bool {
    viewer.can(Permission::WorkCases, school_id) || viewer.can(Permission::TakeRegisters, school_id)
}

/// The codes a family's reason can be recorded as: the absence codes, without N (that is what
/// the call replaces) and U (a late arrival, recorded at the door).
pub fn reason_codes() -> impl Iterator<Item = Code> {
    Code::for_registers().filter(|code| {
        matches!(
            code.category(),
            Category::Authorised | Category::Unauthorised | Category::NotPossible
        ) && !matches!(
            code,
            Code::NoReasonYet | Code::LateAfterClose | Code::DualRegistered
        )
    })
}

/// How an attempt was made.
pub const METHODS: [(&str, &str); 4] = [
    ("call", "Phone call"),
    ("text", "Text message"),
    ("email", "Email"),
    ("visit", "Home visit"),
];

/// What came of an attempt. Only `reached` counts as contact made.
pub const OUTCOMES: [(&str, &str); 6] = [
    ("reached", "Reached"),
    ("no_answer", "No answer"),
    ("voicemail", "Left a voicemail"),
    ("wrong_number", "Wrong number"),
    ("message_sent", "Message sent"),
    ("no_one_home", "No one at home"),
];

pub fn method_label(key: &str) -> &str {
    METHODS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, label)| label)
}

pub fn outcome_label(key: &str) -> &str {
    OUTCOMES
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, label)| label)
}

/// The school's first-day calling deadlines, in minutes after the AM register closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CallingDeadlines {
    /// Not reached by then: the designated safeguarding lead is alerted.
    pub dsl_alert_minutes: i32,
    /// Not reached by then: a home visit is proposed.
    pub home_visit_minutes: i32,
}

impl CallingDeadlines {
    /// Checks the deadlines, saying what to fix when they are wrong.
    pub fn checked(self) -> Result<CallingDeadlines, String> {
        if !(5..=480).contains(&self.dsl_alert_minutes) {
            return Err(format!(
                "Alert the DSL 5 to 480 minutes after the register closes, not {}.",
                self.dsl_alert_minutes
            ));
        }
        if !(5..=600).contains(&self.home_visit_minutes) {
            return Err(format!(
                "Propose a home visit 5 to 600 minutes after the register closes, not {}.",
                self.home_visit_minutes
            ));
        }
        if self.home_visit_minutes < self.dsl_alert_minutes {
            return Err(
                "The home visit is proposed at the DSL alert or after it: give it as many minutes or more."
                    .to_string(),
            );
        }
        Ok(self)
    }
}

/// A contact of a pupil, in the order to call them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CallContact {
    pub id: Uuid,
    /// 1 is called first.
    pub priority: i32,
    pub name: String,
    pub relationship: String,
    pub mobile_phone: String,
    pub home_phone: String,
    pub work_phone: String,
    pub email: String,
    /// phone, text, email or letter.
    pub preferred_contact: String,
}

/// One attempt to reach a pupil's family.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Attempt {
    pub id: Uuid,
    pub contact_id: Option<Uuid>,
    pub contact_name: String,
    /// call, text, email or visit.
    pub method: String,
    /// reached, no_answer, voicemail, wrong_number, message_sent or no_one_home.
    pub outcome: String,
    pub note: String,
    /// The code recorded when the family gave a reason.
    pub reason_code: Option<String>,
    pub recorded_by: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// Where a pupil on the list stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    /// Within the deadlines, or contact made.
    None,
    /// Not reached by the DSL deadline.
    DslAlert,
    /// Not reached by the home-visit deadline.
    HomeVisit,
}

/// A pupil to call: no AM mark, or N.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CallPupil {
    pub pupil_id: Uuid,
    /// Last name, first name.
    pub pupil_name: String,
    pub form: String,
    pub form_id: Option<Uuid>,
    /// The AM mark now (N, or none), and its id, which recording a reason must still find.
    pub am_code: Option<String>,
    pub am_mark_id: Option<i64>,
    /// The PM mark now, if there is one.
    pub pm_code: Option<String>,
    pub pm_mark_id: Option<i64>,
    /// The pupil's safeguarding status (child_in_need, child_protection_plan); only for people
    /// who may see safeguarding data, `None` otherwise.
    pub safeguarding: Option<String>,
    pub contacts: Vec<CallContact>,
    /// Oldest first.
    pub attempts: Vec<Attempt>,
    /// A contact said they were reached.
    pub reached: bool,
    pub escalation: Escalation,
}

/// A pupil taken off the list today: the mark was set since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CalledPupil {
    pub pupil_id: Uuid,
    pub pupil_name: String,
    pub form: String,
    /// The AM mark now.
    pub am_code: String,
    pub attempts: i64,
}

/// The progress of the day's calling.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CallingCounts {
    /// On the list with no attempt yet.
    pub to_call: i64,
    /// On the list, tried, nobody reached yet.
    pub not_reached: i64,
    /// On the list, a contact reached, no reason recorded yet.
    pub reached: i64,
    /// Taken off the list: their mark was set after attempts were logged.
    pub done: i64,
}

/// A day's first-day calling at a school: everything `/calling` shows and
/// `GET /api/schools/{school_id}/first-day-calling` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CallingDay {
    pub school_id: Uuid,
    pub school_name: String,
    pub date: NaiveDate,
    /// Why there is no list, when the day is not a school day.
    pub not_a_school_day: Option<String>,
    /// When the AM register closes that day, on the school's clocks: the list opens then.
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "2026-11-24T09:10:00"))]
    pub list_opens_at: NaiveDateTime,
    /// False before the register closes (and for days still to come).
    pub open: bool,
    pub deadlines: CallingDeadlines,
    pub counts: CallingCounts,
    /// By year group, form, then name.
    pub pupils: Vec<CallPupil>,
    pub done: Vec<CalledPupil>,
    /// Pupils past the DSL deadline with no contact made: protected pupils first for people
    /// who may see safeguarding data, then home visits proposed, then by name.
    pub escalations: Vec<CallPupil>,
}

/// For the DSL: a pupil whose family nobody reached by the school's DSL deadline on the first
/// day of absence, raised by the server (`queries::escalate`) until the DSL marks it read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoContactAlert {
    pub pupil_id: Uuid,
    pub pupil_name: String,
    pub form: String,
    pub date: NaiveDate,
    pub raised_at: DateTime<Utc>,
    /// A home visit was proposed too (the later deadline passed).
    pub visit_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
}

#[server(prefix = "/api/fn", endpoint = "calling/day")]
pub async fn load_calling_day(
    school_id: Uuid,
    date: Option<NaiveDate>,
) -> Result<CallingDay, ServerFnError> {
    use crate::auth::server;
    let viewer = server::require_viewer()?;
    let permission = if viewer.can(Permission::TakeRegisters, school_id) {
        Permission::TakeRegisters
    } else {
        Permission::WorkCases
    };
    let viewer = server::require(permission, school_id)?;
    queries::calling_day(&server::pool()?, &viewer, school_id, date)
        .await
        .map_err(server::internal)?
        .ok_or_else(|| server::not_found("There is no such school."))
}

/// The DSL has read a no-contact alert: it leaves their list (the day's calling keeps it).
#[server(prefix = "/api/fn", endpoint = "calling/alert-seen")]
pub async fn no_contact_seen(
    school_id: Uuid,
    pupil_id: Uuid,
    date: NaiveDate,
) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::ViewSafeguarding, school_id)?;
    queries::no_contact_seen(&server::pool()?, viewer.staff_id, school_id, pupil_id, date)
        .await
        .map_err(server::internal)?
        .map_err(server::not_found)
}

/// Logs an attempt to reach a contact: how, what came of it, and a note.
#[server(prefix = "/api/fn", endpoint = "calling/attempt")]
pub async fn log_attempt(
    school_id: Uuid,
    pupil_id: Uuid,
    date: NaiveDate,
    contact_id: String,
    method: String,
    outcome: String,
    note: String,
) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require_viewer()?;
    let permission = if viewer.can(Permission::TakeRegisters, school_id) {
        Permission::TakeRegisters
    } else {
        Permission::WorkCases
    };
    let viewer = server::require(permission, school_id)?;
    queries::log_attempt(
        &server::pool()?,
        viewer.staff_id,
        school_id,
        &queries::NewAttempt {
            pupil_id,
            date,
            contact_id: optional(&contact_id, "contact")?,
            method,
            outcome,
            note,
        },
    )
    .await
    .map_err(server::internal)?
    .map_err(server::invalid)
}

/// The family gave a reason: logs the reached attempt and sets the AM mark (and the PM mark
/// when asked) to the code through the amendment trail, with the reason "First-day calling:
/// <note>". The marks must still be the ones seen; a register changed meanwhile is a conflict.
#[server(prefix = "/api/fn", endpoint = "calling/reason")]
pub async fn record_reason(
    school_id: Uuid,
    pupil_id: Uuid,
    date: NaiveDate,
    contact_id: String,
    method: String,
    code: String,
    note: String,
    seen_am: String,
    also_pm: Option<String>,
    seen_pm: String,
) -> Result<(), ServerFnError> {
    use crate::{auth::server, registers::queries::Refused};
    let viewer = server::require(Permission::TakeRegisters, school_id)?;
    queries::record_reason(
        &server::pool()?,
        viewer.staff_id,
        school_id,
        &queries::Reason {
            pupil_id,
            date,
            contact_id: optional(&contact_id, "contact")?,
            method,
            code,
            note,
            seen_am: optional(&seen_am, "morning mark")?,
            also_pm: also_pm.is_some_and(|value| !value.is_empty() && value != "false"),
            seen_pm: optional(&seen_pm, "afternoon mark")?,
        },
    )
    .await
    .map_err(server::internal)?
    .map_err(Refused::into_error)
}

/// A form's optional field: empty for none.
#[cfg(feature = "ssr")]
fn optional<T: std::str::FromStr>(value: &str, what: &str) -> Result<Option<T>, ServerFnError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    value
        .parse()
        .map(Some)
        .map_err(|_| crate::auth::server::invalid(format!("{value:?} is not a {what}.")))
}

/// The school's calling deadlines, for its administrators.
#[server(prefix = "/api/fn", endpoint = "calling/deadlines")]
pub async fn load_calling_deadlines(school_id: Uuid) -> Result<CallingDeadlines, ServerFnError> {
    use crate::auth::server;
    server::require(Permission::ManageSchool, school_id)?;
    queries::deadlines(&server::pool()?, school_id)
        .await
        .map_err(server::internal)?
        .ok_or_else(|| server::not_found("There is no such school."))
}

/// Sets the calling deadlines, checked and audited.
#[server(prefix = "/api/fn", endpoint = "calling/save-deadlines")]
pub async fn save_calling_deadlines(
    school_id: Uuid,
    dsl_alert_minutes: i32,
    home_visit_minutes: i32,
) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::ManageSchool, school_id)?;
    let deadlines = CallingDeadlines {
        dsl_alert_minutes,
        home_visit_minutes,
    }
    .checked()
    .map_err(server::invalid)?;
    queries::save_deadlines(&server::pool()?, viewer.staff_id, school_id, deadlines)
        .await
        .map_err(server::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deadlines(dsl: i32, visit: i32) -> Result<CallingDeadlines, String> {
        CallingDeadlines {
            dsl_alert_minutes: dsl,
            home_visit_minutes: visit,
        }
        .checked()
    }

    #[test]
    fn deadlines_are_checked() {
        assert!(deadlines(60, 120).is_ok());
        assert!(deadlines(60, 60).is_ok());
        assert!(deadlines(4, 120).unwrap_err().contains("5 to 480"));
        assert!(deadlines(60, 601).unwrap_err().contains("5 to 600"));
        assert!(deadlines(120, 60).unwrap_err().contains("or after"));
    }

    #[test]
    fn reasons_are_absence_codes_but_not_n() {
        let codes: Vec<&str> = reason_codes().map(Code::as_str).collect();
        for code in ["I", "M", "C", "O", "G"] {
            assert!(codes.contains(&code), "{code}");
        }
        for code in ["N", "U", "/", "L", "#"] {
            assert!(!codes.contains(&code), "{code}");
        }
    }
}
