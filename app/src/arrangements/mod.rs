//! Reduced timetables and alternative provision (`attendance-rules.md` section 5): a reduced
//! timetable (C2 for the sessions the pupil is not expected in) must be temporary, reviewed on set
//! dates and notified to the local authority; a place in alternative provision is K when the
//! local authority arranged it and B when the school did. Reviews that are due and not done are
//! flagged.
//!
//! Who may do what: those who work cases (`WorkCases`) read, record and review arrangements;
//! every change is audited and put on the pupil's open case.

#![allow(clippy::too_many_arguments)]

pub mod pages;
#[cfg(feature = "ssr")]
pub mod queries;

pub use pages::ArrangementsPage;

use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::domain::roles::Permission;

/// What kind of arrangement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    ReducedTimetable,
    /// Arranged by the local authority (K) or by the school (B).
    AlternativeProvision {
        by_local_authority: bool,
    },
}

impl Kind {
    /// The register code the arrangement's sessions take.
    pub fn code(self) -> &'static str {
        match self {
            Kind::ReducedTimetable => "C2",
            Kind::AlternativeProvision {
                by_local_authority: true,
            } => "K",
            Kind::AlternativeProvision {
                by_local_authority: false,
            } => "B",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::ReducedTimetable => "Reduced timetable",
            Kind::AlternativeProvision {
                by_local_authority: true,
            } => "Alternative provision arranged by the local authority",
            Kind::AlternativeProvision {
                by_local_authority: false,
            } => "Alternative provision arranged by the school",
        }
    }

    /// The form's choice: `reduced_timetable`, `ap_la` or `ap_school`.
    pub fn from_choice(choice: &str) -> Option<Kind> {
        match choice {
            "reduced_timetable" => Some(Kind::ReducedTimetable),
            "ap_la" => Some(Kind::AlternativeProvision {
                by_local_authority: true,
            }),
            "ap_school" => Some(Kind::AlternativeProvision {
                by_local_authority: false,
            }),
            _ => None,
        }
    }
}

/// One arrangement as the list shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Arrangement {
    pub id: Uuid,
    pub pupil_id: Uuid,
    pub pupil_name: String,
    pub form: String,
    pub kind: Kind,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub review_on: Option<NaiveDate>,
    pub detail: String,
    pub la_notified_on: Option<NaiveDate>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    /// The latest review's note, with its date.
    pub last_review: Option<(NaiveDate, String)>,
}

impl Arrangement {
    /// In force on `today`.
    pub fn current(&self, today: NaiveDate) -> bool {
        self.starts_on <= today && today <= self.ends_on
    }

    /// Not yet over, and its review date has passed without a review.
    pub fn review_overdue(&self, today: NaiveDate) -> bool {
        today <= self.ends_on && self.review_on.is_some_and(|on| on < today)
    }
}

/// What a new arrangement is checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewArrangement {
    pub pupil_id: Uuid,
    pub kind: Kind,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub review_on: Option<NaiveDate>,
    pub detail: String,
    pub la_notified_on: Option<NaiveDate>,
}

/// Whether the arrangement may be recorded, or what to fix.
pub fn check_arrangement(new: &NewArrangement, today: NaiveDate) -> Result<(), String> {
    if new.detail.trim().is_empty() {
        return Err(match new.kind {
            Kind::ReducedTimetable => "Say which sessions the pupil attends.".to_string(),
            Kind::AlternativeProvision { .. } => "Name the provider and where it is.".to_string(),
        });
    }
    if new.ends_on < new.starts_on {
        return Err("The arrangement ends before it starts: check the dates.".to_string());
    }
    if new.ends_on < today {
        return Err("The arrangement has already ended: give an end date from today.".to_string());
    }
    if new.la_notified_on.is_some_and(|on| on > today) {
        return Err(
            "The local authority cannot have been told on a day still to come.".to_string(),
        );
    }
    match (new.kind, new.review_on) {
        (Kind::ReducedTimetable, None) => {
            Err("A reduced timetable needs a review date: it must be temporary.".to_string())
        }
        (_, Some(review)) if review < today || review > new.ends_on => Err(format!(
            "The review must fall between today and the end of the arrangement ({}).",
            new.ends_on.format("%-d %B %Y")
        )),
        _ => Ok(()),
    }
}

/// The page's data: the school's arrangements, current and future first, and the pupils.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Arrangements {
    pub school_id: Uuid,
    pub today: NaiveDate,
    pub arrangements: Vec<Arrangement>,
    pub pupils: Vec<crate::roll::PupilOnRoll>,
}

/// The school's arrangements.
#[server(prefix = "/api/fn", endpoint = "arrangements/list")]
pub async fn load_arrangements(school_id: Uuid) -> Result<Arrangements, ServerFnError> {
    use crate::auth::server;
    server::require(Permission::WorkCases, school_id)?;
    let pool = server::pool()?;
    let today = server::school_today(&pool, school_id).await?;
    Ok(Arrangements {
        school_id,
        today,
        arrangements: queries::arrangements(&pool, school_id, today)
            .await
            .map_err(server::internal)?,
        pupils: crate::roll::queries::pupils_on_roll(&pool, school_id, today)
            .await
            .map_err(server::internal)?,
    })
}

/// Records a reduced timetable or an alternative-provision place. Audited.
#[server(prefix = "/api/fn", endpoint = "arrangements/add")]
pub async fn add_arrangement(
    school_id: Uuid,
    pupil_id: String,
    kind: String,
    starts_on: String,
    ends_on: String,
    review_on: String,
    detail: String,
    la_notified_on: String,
) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::WorkCases, school_id)?;
    let new = NewArrangement {
        pupil_id: Uuid::parse_str(pupil_id.trim())
            .map_err(|_| server::invalid("Choose the pupil."))?,
        kind: Kind::from_choice(&kind).ok_or_else(|| {
            server::invalid("Choose a reduced timetable or alternative provision.")
        })?,
        starts_on: server::optional_date(&starts_on, "the first day")?
            .ok_or_else(|| server::invalid("Give the first day."))?,
        ends_on: server::optional_date(&ends_on, "the last day")?.ok_or_else(|| {
            server::invalid("Give the last day: the arrangement must be temporary.")
        })?,
        review_on: server::optional_date(&review_on, "the review date")?,
        detail,
        la_notified_on: server::optional_date(
            &la_notified_on,
            "the day the local authority was told",
        )?,
    };
    let pool = server::pool()?;
    let today = server::school_today(&pool, school_id).await?;
    queries::add(&pool, viewer.staff_id, school_id, &new, today)
        .await
        .map_err(server::internal)?
        .map(|_| ())
        .map_err(server::invalid)
}

/// Records a review: what was decided and the next review date (none when the arrangement ends
/// before another is due). Audited.
#[server(prefix = "/api/fn", endpoint = "arrangements/review")]
pub async fn review_arrangement(
    school_id: Uuid,
    arrangement_id: Uuid,
    note: String,
    next_review_on: String,
) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::WorkCases, school_id)?;
    let next = server::optional_date(&next_review_on, "the next review date")?;
    let pool = server::pool()?;
    let today = server::school_today(&pool, school_id).await?;
    queries::review(
        &pool,
        viewer.staff_id,
        school_id,
        arrangement_id,
        &note,
        next,
        today,
    )
    .await
    .map_err(server::internal)?
    .map_err(server::invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn reduced() -> NewArrangement {
        NewArrangement {
            pupil_id: Uuid::nil(),
            kind: Kind::ReducedTimetable,
            starts_on: day("2026-11-23"),
            ends_on: day("2026-12-18"),
            review_on: Some(day("2026-12-04")),
            detail: "Mornings only, 8:45 to 12:15".to_string(),
            la_notified_on: None,
        }
    }

    #[test]
    fn a_reduced_timetable_needs_a_review_date_within_it() {
        let today = day("2026-11-23");
        assert_eq!(check_arrangement(&reduced(), today), Ok(()));
        let none = NewArrangement {
            review_on: None,
            ..reduced()
        };
        assert!(
            check_arrangement(&none, today)
                .unwrap_err()
                .contains("review date")
        );
        let after = NewArrangement {
            review_on: Some(day("2026-12-19")),
            ..reduced()
        };
        assert!(
            check_arrangement(&after, today)
                .unwrap_err()
                .contains("between today")
        );
        let last_day = NewArrangement {
            review_on: Some(day("2026-12-18")),
            ..reduced()
        };
        assert_eq!(check_arrangement(&last_day, today), Ok(()));
    }

    #[test]
    fn alternative_provision_is_k_or_b_by_who_arranged_it() {
        assert_eq!(Kind::from_choice("ap_la").unwrap().code(), "K");
        assert_eq!(Kind::from_choice("ap_school").unwrap().code(), "B");
        assert_eq!(Kind::from_choice("reduced_timetable").unwrap().code(), "C2");
        let provision = NewArrangement {
            kind: Kind::from_choice("ap_la").unwrap(),
            review_on: None,
            detail: "Riverside Learning Centre".to_string(),
            ..reduced()
        };
        assert_eq!(check_arrangement(&provision, day("2026-11-23")), Ok(()));
    }

    #[test]
    fn a_review_is_overdue_the_day_after_its_date_while_the_arrangement_lasts() {
        let arrangement = Arrangement {
            id: Uuid::nil(),
            pupil_id: Uuid::nil(),
            pupil_name: String::new(),
            form: String::new(),
            kind: Kind::ReducedTimetable,
            starts_on: day("2026-11-02"),
            ends_on: day("2026-12-18"),
            review_on: Some(day("2026-11-20")),
            detail: String::new(),
            la_notified_on: None,
            recorded_by: String::new(),
            recorded_at: Utc::now(),
            last_review: None,
        };
        assert!(!arrangement.review_overdue(day("2026-11-20")));
        assert!(arrangement.review_overdue(day("2026-11-21")));
        assert!(!arrangement.review_overdue(day("2026-12-19")));
    }
}
