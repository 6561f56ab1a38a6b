//! Taking a pupil off the roll, from `attendance-rules.md` section 5: a deletion needs one of the
//! regulation's grounds and is never backdated; elective home education starts from the parent's
//! written notice, often with a short cooling-off period the school tracks; the 20-day ground needs
//! 20 continuous school days of absence (all G, N or O). The local authority gets a deletion
//! return for every deletion.
//!
//! A deletion names the first day the pupil is off the roll; the last day on roll (the
//! enrolment's `left_on`) is the day before, so the statistics count no session from that day.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The codes of the 20-day ground's continuous absence.
pub const CONTINUOUS_ABSENCE_CODES: &[&str] = &["G", "N", "O"];

/// School days of continuous absence the 20-day ground needs.
pub const CONTINUOUS_ABSENCE_DAYS: i64 = 20;

/// Why a pupil leaves the roll: the grounds of the Pupil Registration Regulations that schools
/// meet in practice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeletionGround {
    HomeEducation,
    AnotherSchool,
    MovedAway,
    NotReturnedAfterLeave,
    ContinuousAbsence,
    MedicallyUnfit,
    Custody,
    PermanentlyExcluded,
    LeftCompulsoryEducation,
    Died,
}

impl DeletionGround {
    pub const ALL: [DeletionGround; 10] = [
        DeletionGround::AnotherSchool,
        DeletionGround::HomeEducation,
        DeletionGround::MovedAway,
        DeletionGround::NotReturnedAfterLeave,
        DeletionGround::ContinuousAbsence,
        DeletionGround::MedicallyUnfit,
        DeletionGround::Custody,
        DeletionGround::PermanentlyExcluded,
        DeletionGround::LeftCompulsoryEducation,
        DeletionGround::Died,
    ];

    /// The name the database and the forms use.
    pub fn key(self) -> &'static str {
        match self {
            DeletionGround::HomeEducation => "home_education",
            DeletionGround::AnotherSchool => "another_school",
            DeletionGround::MovedAway => "moved_away",
            DeletionGround::NotReturnedAfterLeave => "not_returned_after_leave",
            DeletionGround::ContinuousAbsence => "continuous_absence",
            DeletionGround::MedicallyUnfit => "medically_unfit",
            DeletionGround::Custody => "custody",
            DeletionGround::PermanentlyExcluded => "permanently_excluded",
            DeletionGround::LeftCompulsoryEducation => "left_compulsory_education",
            DeletionGround::Died => "died",
        }
    }

    pub fn from_key(key: &str) -> Option<DeletionGround> {
        DeletionGround::ALL
            .into_iter()
            .find(|ground| ground.key() == key)
    }

    /// The ground in the words of the deletion return.
    pub fn label(self) -> &'static str {
        match self {
            DeletionGround::HomeEducation => {
                "Educated at home: the parent has told the school in writing"
            }
            DeletionGround::AnotherSchool => "Registered at another school",
            DeletionGround::MovedAway => {
                "Moved away: no longer lives where attending is reasonably practicable"
            }
            DeletionGround::NotReturnedAfterLeave => {
                "Did not return within 10 school days after leave of absence, after joint enquiries with the local authority"
            }
            DeletionGround::ContinuousAbsence => {
                "Absent 20 continuous school days without reasonable grounds, after joint enquiries with the local authority"
            }
            DeletionGround::MedicallyUnfit => {
                "Certified medically unlikely to be fit to attend before leaving compulsory school age"
            }
            DeletionGround::Custody => "In custody for more than four months",
            DeletionGround::PermanentlyExcluded => "Permanently excluded",
            DeletionGround::LeftCompulsoryEducation => {
                "Ceased to be of compulsory school age and not continuing at the school"
            }
            DeletionGround::Died => "Died",
        }
    }
}

/// What a deletion is checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletionFacts {
    /// The school's today.
    pub today: NaiveDate,
    pub admitted_on: NaiveDate,
    /// The first day off the roll.
    pub deleted_on: NaiveDate,
    pub ground: DeletionGround,
    /// The parent's written notice of home education.
    pub notice_on: Option<NaiveDate>,
    /// The last day of the cooling-off period the school keeps after a home-education notice.
    pub cooling_off_until: Option<NaiveDate>,
    /// School days of continuous absence (all G, N or O) up to today.
    pub absent_run: i64,
}

fn long(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// Whether the deletion may be recorded, or what to fix.
pub fn check_deletion(facts: &DeletionFacts) -> Result<(), String> {
    if facts.deleted_on < facts.today {
        return Err(format!(
            "A deletion is never backdated: the first day off the roll can be today ({}) or later.",
            long(facts.today)
        ));
    }
    if facts.deleted_on <= facts.admitted_on {
        return Err(format!(
            "The pupil was admitted on {}: the first day off the roll must come after it.",
            long(facts.admitted_on)
        ));
    }
    match facts.ground {
        DeletionGround::HomeEducation => {
            let Some(notice_on) = facts.notice_on else {
                return Err(
                    "Give the date of the parent's written notice of home education.".to_string(),
                );
            };
            if notice_on > facts.today {
                return Err(format!(
                    "The parent's notice is dated {}, which has not come yet.",
                    long(notice_on)
                ));
            }
            if let Some(until) = facts.cooling_off_until {
                if until < notice_on {
                    return Err(
                        "The cooling-off period ends before the notice was given: check the dates."
                            .to_string(),
                    );
                }
                if facts.deleted_on <= until {
                    return Err(format!(
                        "The cooling-off period runs to {}: the pupil comes off the roll after it, on {} at the earliest.",
                        long(until),
                        long(until.succ_opt().unwrap_or(until))
                    ));
                }
            }
        }
        DeletionGround::ContinuousAbsence if facts.absent_run < CONTINUOUS_ABSENCE_DAYS => {
            return Err(format!(
                "This ground needs {CONTINUOUS_ABSENCE_DAYS} continuous school days of absence (G, N or O); the pupil has {} up to today.",
                facts.absent_run
            ));
        }
        _ => {
            if facts.notice_on.is_some() || facts.cooling_off_until.is_some() {
                return Err("A notice date and a cooling-off period belong to home education only: clear them or choose that ground.".to_string());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn facts(ground: DeletionGround) -> DeletionFacts {
        DeletionFacts {
            today: day("2026-11-23"),
            admitted_on: day("2022-09-05"),
            deleted_on: day("2026-11-23"),
            ground,
            notice_on: None,
            cooling_off_until: None,
            absent_run: 0,
        }
    }

    #[test]
    fn every_ground_has_a_key_that_reads_back() {
        for ground in DeletionGround::ALL {
            assert_eq!(DeletionGround::from_key(ground.key()), Some(ground));
        }
        assert_eq!(DeletionGround::from_key("holiday"), None);
    }

    #[test]
    fn a_deletion_is_never_backdated_but_may_be_today() {
        let today = facts(DeletionGround::AnotherSchool);
        assert_eq!(check_deletion(&today), Ok(()));
        let yesterday = DeletionFacts {
            deleted_on: day("2026-11-22"),
            ..today
        };
        assert!(
            check_deletion(&yesterday)
                .unwrap_err()
                .contains("never backdated")
        );
    }

    #[test]
    fn the_twenty_day_ground_needs_twenty_days_exactly() {
        let nineteen = DeletionFacts {
            absent_run: 19,
            ..facts(DeletionGround::ContinuousAbsence)
        };
        assert!(check_deletion(&nineteen).unwrap_err().contains("has 19"));
        let twenty = DeletionFacts {
            absent_run: 20,
            ..nineteen
        };
        assert_eq!(check_deletion(&twenty), Ok(()));
    }

    #[test]
    fn home_education_needs_the_notice_and_waits_out_the_cooling_off() {
        let no_notice = facts(DeletionGround::HomeEducation);
        assert!(
            check_deletion(&no_notice)
                .unwrap_err()
                .contains("written notice")
        );
        let cooling = DeletionFacts {
            notice_on: Some(day("2026-11-20")),
            cooling_off_until: Some(day("2026-11-27")),
            deleted_on: day("2026-11-27"),
            ..no_notice.clone()
        };
        let refused = check_deletion(&cooling).unwrap_err();
        assert!(
            refused.contains("28 November 2026 at the earliest"),
            "{refused}"
        );
        let after = DeletionFacts {
            deleted_on: day("2026-11-28"),
            ..cooling.clone()
        };
        assert_eq!(check_deletion(&after), Ok(()));
        let future_notice = DeletionFacts {
            notice_on: Some(day("2026-11-24")),
            cooling_off_until: None,
            ..after
        };
        assert!(
            check_deletion(&future_notice)
                .unwrap_err()
                .contains("has not come yet")
        );
        let notice_elsewhere = DeletionFacts {
            notice_on: Some(day("2026-11-20")),
            ..facts(DeletionGround::MovedAway)
        };
        assert!(
            check_deletion(&notice_elsewhere)
                .unwrap_err()
                .contains("home education only")
        );
    }
}
