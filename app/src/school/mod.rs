//! The school itself: its session times, its calendar and the facts of its day. The office's
//! "today" page, the late door's header and the administrator's settings all read from here.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod queries;

pub use pages::{SchoolSettingsPage, TodayPage};

use chrono::{NaiveDate, NaiveTime};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// When the registers open and close, from the school's policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionTimes {
    pub am_register_opens: NaiveTime,
    pub pm_register_opens: NaiveTime,
    /// The same every session, at most 30 minutes.
    pub register_open_minutes: i32,
}

impl SessionTimes {
    pub fn am_register_closes(&self) -> NaiveTime {
        self.am_register_opens + chrono::Duration::minutes(i64::from(self.register_open_minutes))
    }
    pub fn pm_register_closes(&self) -> NaiveTime {
        self.pm_register_opens + chrono::Duration::minutes(i64::from(self.register_open_minutes))
    }
}

/// What kind of day a date is at a school.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DayKind {
    SchoolDay { term: String },
    Closure { kind: String, note: String },
    Weekend,
    Holiday,
}

impl DayKind {
    pub fn describe(&self) -> String {
        match self {
            DayKind::SchoolDay { term } => format!("a school day ({term})"),
            DayKind::Closure { kind, note } => {
                let kind = match kind.as_str() {
                    "inset" => "an INSET day",
                    "bank_holiday" => "a bank holiday",
                    _ => "a planned closure",
                };
                if note.is_empty() {
                    kind.to_string()
                } else {
                    format!("{kind}: {note}")
                }
            }
            DayKind::Weekend => "the weekend".to_string(),
            DayKind::Holiday => "a school holiday".to_string(),
        }
    }
}

/// The facts of a school's day, for the office's overview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolDay {
    pub school_id: Uuid,
    pub school_name: String,
    pub urn: String,
    pub date: NaiveDate,
    pub kind: DayKind,
    pub times: SessionTimes,
    pub pupils_on_roll: i64,
    pub forms: i64,
    pub staff: i64,
}

#[server(prefix = "/api/fn", endpoint = "school/day")]
pub async fn load_school_day(school_id: Uuid) -> Result<SchoolDay, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    server::require(Permission::SearchRoll, school_id)?;
    queries::school_day(&server::pool()?, school_id)
        .await
        .map_err(server::internal)?
        .ok_or_else(|| server::not_found("There is no such school."))
}

/// The day at the school a page has chosen, loaded again whenever the choice changes.
pub fn chosen_school_day(
    school: Memo<Option<crate::auth::SchoolRef>>,
) -> Resource<Result<Option<SchoolDay>, ServerFnError>> {
    Resource::new(
        move || school.get().map(|s| s.id),
        |id| async move {
            match id {
                Some(id) => load_school_day(id).await.map(Some),
                None => Ok(None),
            }
        },
    )
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub closed_on: NaiveDate,
    pub kind: String,
    pub note: String,
}

/// The late door's policy: what each kind of late arrival earns, and how many lates in a half
/// term make a punctuality concern for the case workflow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateSettings {
    /// What an L earns (arrived while the register was open); empty for nothing.
    pub sanction_before_close: String,
    /// What a U earns (arrived after the register closed); empty for nothing.
    pub sanction_after_close: String,
    /// Late this many times in a half term is a punctuality concern (1 to 50).
    pub concern_after: i32,
}

/// The longest a sanction may be: it is printed on the sanctions list and shown at the door.
pub const MAX_SANCTION_CHARS: usize = 100;

impl LateSettings {
    /// Trims the sanctions and checks the policy, saying what to fix when it is wrong.
    pub fn checked(self) -> Result<LateSettings, String> {
        let sanction = |value: String, which: &str| -> Result<String, String> {
            let value = value.trim().to_string();
            if value.chars().count() > MAX_SANCTION_CHARS {
                return Err(format!(
                    "The sanction for {which} is {} characters long; keep it to {MAX_SANCTION_CHARS}, for example \"Same-day detention\".",
                    value.chars().count()
                ));
            }
            if value.chars().any(char::is_control) {
                return Err(format!(
                    "The sanction for {which} must be one line of text, with no line breaks."
                ));
            }
            Ok(value)
        };
        let settings = LateSettings {
            sanction_before_close: sanction(self.sanction_before_close, "L")?,
            sanction_after_close: sanction(self.sanction_after_close, "U")?,
            concern_after: self.concern_after,
        };
        if !(1..=50).contains(&settings.concern_after) {
            return Err(format!(
                "A punctuality concern is raised after 1 to 50 lates in a half term, not {}.",
                settings.concern_after
            ));
        }
        Ok(settings)
    }
}

/// The school's settings and calendar, for its administrators.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolSettings {
    pub times: SessionTimes,
    pub late: LateSettings,
    pub terms: Vec<Term>,
    pub closures: Vec<Closure>,
}

#[server(prefix = "/api/fn", endpoint = "school/settings")]
pub async fn load_school_settings(school_id: Uuid) -> Result<SchoolSettings, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    server::require(Permission::ManageSchool, school_id)?;
    queries::settings(&server::pool()?, school_id)
        .await
        .map_err(server::internal)
}

#[server(prefix = "/api/fn", endpoint = "school/session-times")]
pub async fn save_session_times(
    school_id: Uuid,
    am_register_opens: String,
    pm_register_opens: String,
    register_open_minutes: i32,
) -> Result<(), ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    let viewer = server::require(Permission::ManageSchool, school_id)?;
    let parse = |value: &str, which: &str| {
        NaiveTime::parse_from_str(value, "%H:%M").map_err(|_| {
            server::invalid(format!(
                "The {which} time {value:?} is not a time like 08:40."
            ))
        })
    };
    let times = SessionTimes {
        am_register_opens: parse(&am_register_opens, "morning")?,
        pm_register_opens: parse(&pm_register_opens, "afternoon")?,
        register_open_minutes,
    };
    if !(1..=30).contains(&times.register_open_minutes) {
        return Err(server::invalid(
            "The register may stay open for 1 to 30 minutes after it opens (the 2024 regulations).",
        ));
    }
    if times.pm_register_opens <= times.am_register_closes() {
        return Err(server::invalid(
            "The afternoon register must open after the morning register closes.",
        ));
    }
    queries::save_session_times(&server::pool()?, viewer.staff_id, school_id, &times)
        .await
        .map_err(server::internal)
}

/// Sets the late policy: the sanction for L and for U, and the punctuality concern count. The
/// late door applies it to arrivals from now on; arrivals already logged keep their sanction.
#[server(prefix = "/api/fn", endpoint = "school/late-policy")]
pub async fn save_late_policy(
    school_id: Uuid,
    sanction_before_close: String,
    sanction_after_close: String,
    concern_after: i32,
) -> Result<(), ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    let viewer = server::require(Permission::ManageSchool, school_id)?;
    let late = LateSettings {
        sanction_before_close,
        sanction_after_close,
        concern_after,
    }
    .checked()
    .map_err(server::invalid)?;
    queries::save_late_policy(&server::pool()?, viewer.staff_id, school_id, &late)
        .await
        .map_err(server::internal)
}

#[server(prefix = "/api/fn", endpoint = "school/add-closure")]
pub async fn add_closure(
    school_id: Uuid,
    closed_on: NaiveDate,
    kind: String,
    note: String,
) -> Result<(), ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    let viewer = server::require(Permission::ManageSchool, school_id)?;
    if !matches!(kind.as_str(), "inset" | "planned_closure" | "bank_holiday") {
        return Err(server::invalid(
            "Choose INSET day, planned closure or bank holiday.",
        ));
    }
    queries::add_closure(
        &server::pool()?,
        viewer.staff_id,
        school_id,
        closed_on,
        &kind,
        note.trim(),
    )
    .await
    .map_err(server::internal)?
    .map_err(server::invalid)
}

#[server(prefix = "/api/fn", endpoint = "school/remove-closure")]
pub async fn remove_closure(school_id: Uuid, closed_on: NaiveDate) -> Result<(), ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    let viewer = server::require(Permission::ManageSchool, school_id)?;
    queries::remove_closure(&server::pool()?, viewer.staff_id, school_id, closed_on)
        .await
        .map_err(server::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn late(before: &str, after: &str, concern_after: i32) -> LateSettings {
        LateSettings {
            sanction_before_close: before.to_string(),
            sanction_after_close: after.to_string(),
            concern_after,
        }
    }

    #[test]
    fn a_late_policy_is_trimmed_and_checked() {
        assert_eq!(
            late("", "  Same-day detention ", 3).checked(),
            Ok(late("", "Same-day detention", 3))
        );
        assert!(late("", "", 1).checked().is_ok());
        assert!(late("", "", 50).checked().is_ok());
        assert!(late("", "", 0).checked().unwrap_err().contains("1 to 50"));
        assert!(late("", "", 51).checked().unwrap_err().contains("1 to 50"));
        let long = "x".repeat(MAX_SANCTION_CHARS + 1);
        assert!(late(&long, "", 3).checked().unwrap_err().contains("for L"));
        assert!(
            late("", "Detention\nand a letter", 3)
                .checked()
                .unwrap_err()
                .contains("line breaks")
        );
    }
}
