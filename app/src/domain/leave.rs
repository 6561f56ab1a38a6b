//! Leave of absence, from `attendance-rules.md` section 6: only a person the school authorised may
//! grant leave, and only on one of the regulation's grounds (C1, J1, S, C2, C); every request gets
//! a written decision; an unauthorised holiday is G.
//!
//! Decisions:
//!
//! - A request names its first and last session (a date and AM or PM each), so half days count.
//! - A request with no ground in the regulations (a holiday, say) can only be refused: term-time
//!   holiday can no longer be authorised.
//! - Approval pre-codes the sessions in range with the ground's code, but only sessions that are
//!   unmarked or N: a mark someone has already given (present, illness, ...) is never replaced.
//! - Refused leave recorded as taken turns the unexplained absences (N, O) in range into G, and
//!   nothing else: a pupil who was present, ill or late keeps that mark.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::codes::{Code, Session};

/// The ground a request is made on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Ground {
    /// C1: a regulated performance or regulated employment abroad.
    PerformanceAbroad,
    /// J1: an interview for employment or admission to another institution.
    Interview,
    /// S: study leave.
    StudyLeave,
    /// C2: an agreed temporary reduced timetable.
    ReducedTimetable,
    /// C: exceptional circumstances.
    Exceptional,
    /// None of the regulation's grounds, for example a family holiday: only refusal is possible.
    NoGround,
}

impl Ground {
    pub const ALL: [Ground; 6] = [
        Ground::Exceptional,
        Ground::PerformanceAbroad,
        Ground::Interview,
        Ground::StudyLeave,
        Ground::ReducedTimetable,
        Ground::NoGround,
    ];

    /// The code approved leave is recorded with; `None` when leave cannot be granted.
    pub fn code(self) -> Option<Code> {
        Some(match self {
            Ground::PerformanceAbroad => Code::parse("C1").ok()?,
            Ground::Interview => Code::parse("J1").ok()?,
            Ground::StudyLeave => Code::parse("S").ok()?,
            Ground::ReducedTimetable => Code::parse("C2").ok()?,
            Ground::Exceptional => Code::parse("C").ok()?,
            Ground::NoGround => return None,
        })
    }

    /// The name the database and the forms use.
    pub fn key(self) -> &'static str {
        match self {
            Ground::PerformanceAbroad => "C1",
            Ground::Interview => "J1",
            Ground::StudyLeave => "S",
            Ground::ReducedTimetable => "C2",
            Ground::Exceptional => "C",
            Ground::NoGround => "none",
        }
    }

    pub fn from_key(key: &str) -> Option<Ground> {
        Ground::ALL.into_iter().find(|ground| ground.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Ground::PerformanceAbroad => "C1: regulated performance or employment abroad",
            Ground::Interview => "J1: interview for employment or another school or college",
            Ground::StudyLeave => "S: study leave",
            Ground::ReducedTimetable => "C2: agreed temporary reduced timetable",
            Ground::Exceptional => "C: exceptional circumstances",
            Ground::NoGround => "No ground in the regulations (for example a holiday)",
        }
    }
}

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    Pending,
    Approved,
    Refused,
}

impl Decision {
    pub fn key(self) -> &'static str {
        match self {
            Decision::Pending => "pending",
            Decision::Approved => "approved",
            Decision::Refused => "refused",
        }
    }

    pub fn from_key(key: &str) -> Option<Decision> {
        [Decision::Pending, Decision::Approved, Decision::Refused]
            .into_iter()
            .find(|decision| decision.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Decision::Pending => "Awaiting a decision",
            Decision::Approved => "Approved",
            Decision::Refused => "Refused",
        }
    }
}

/// The longest request accepted in one go, in days, so a typing slip of a year is caught.
pub const LONGEST_REQUEST_DAYS: i64 = 120;

/// The range of a request if it makes sense, or what is wrong with it in words.
pub fn check_range(first: (NaiveDate, Session), last: (NaiveDate, Session)) -> Result<(), String> {
    if last < first {
        return Err(format!(
            "The last session ({} {}) is before the first ({} {}).",
            last.0.format("%-d %b %Y"),
            last.1,
            first.0.format("%-d %b %Y"),
            first.1
        ));
    }
    if (last.0 - first.0).num_days() > LONGEST_REQUEST_DAYS {
        return Err(format!(
            "A request can cover at most {LONGEST_REQUEST_DAYS} days; split a longer one."
        ));
    }
    Ok(())
}

/// The sessions of a request: every AM and PM of the school days in range while the pupil is on
/// roll, from the first session to the last.
pub fn sessions_in_range(
    school_days: &[NaiveDate],
    first: (NaiveDate, Session),
    last: (NaiveDate, Session),
    admitted_on: NaiveDate,
    left_on: Option<NaiveDate>,
) -> Vec<(NaiveDate, Session)> {
    school_days
        .iter()
        .filter(|day| **day >= admitted_on && left_on.is_none_or(|left| **day <= left))
        .flat_map(|day| [(*day, Session::Am), (*day, Session::Pm)])
        .filter(|slot| *slot >= first && *slot <= last)
        .collect()
}

/// Whether approved leave may code a session that has `current` (`None`: unmarked): only an
/// unmarked session or N, never a reason someone already gave.
pub fn may_precode(current: Option<Code>) -> bool {
    current.is_none_or(|code| code.as_str() == "N")
}

/// Whether refused leave recorded as taken turns this mark into G: only N and O.
pub fn becomes_g(current: Option<Code>) -> bool {
    current.is_some_and(|code| matches!(code.as_str(), "N" | "O"))
}

/// The code of an unauthorised holiday.
pub fn holiday_code() -> Code {
    Code::parse("G").expect("G is a code")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn code(text: &str) -> Option<Code> {
        Some(Code::parse(text).unwrap())
    }

    #[test]
    fn each_ground_codes_its_own_letter_and_a_holiday_has_none() {
        let codes: Vec<_> = Ground::ALL
            .iter()
            .map(|g| g.code().map(|c| c.as_str().to_string()))
            .collect();
        assert_eq!(
            codes,
            [
                Some("C".to_string()),
                Some("C1".to_string()),
                Some("J1".to_string()),
                Some("S".to_string()),
                Some("C2".to_string()),
                None
            ]
        );
        for ground in Ground::ALL {
            assert_eq!(Ground::from_key(ground.key()), Some(ground));
        }
        assert_eq!(Ground::from_key("H"), None);
    }

    #[test]
    fn a_range_runs_from_its_first_session_to_its_last() {
        let days = [day("2026-11-19"), day("2026-11-20"), day("2026-11-23")];
        let sessions = sessions_in_range(
            &days,
            (day("2026-11-19"), Session::Pm),
            (day("2026-11-23"), Session::Am),
            day("2023-09-04"),
            None,
        );
        assert_eq!(
            sessions,
            [
                (day("2026-11-19"), Session::Pm),
                (day("2026-11-20"), Session::Am),
                (day("2026-11-20"), Session::Pm),
                (day("2026-11-23"), Session::Am),
            ]
        );
        let one = sessions_in_range(
            &days,
            (day("2026-11-20"), Session::Am),
            (day("2026-11-20"), Session::Am),
            day("2023-09-04"),
            None,
        );
        assert_eq!(one, [(day("2026-11-20"), Session::Am)]);
    }

    #[test]
    fn only_days_on_roll_have_sessions() {
        let days = [day("2026-11-19"), day("2026-11-20"), day("2026-11-23")];
        let sessions = sessions_in_range(
            &days,
            (day("2026-11-19"), Session::Am),
            (day("2026-11-23"), Session::Pm),
            day("2026-11-20"),
            Some(day("2026-11-20")),
        );
        assert_eq!(
            sessions,
            [
                (day("2026-11-20"), Session::Am),
                (day("2026-11-20"), Session::Pm)
            ]
        );
    }

    #[test]
    fn a_backwards_or_overlong_range_is_refused() {
        let am = |d| (day(d), Session::Am);
        let pm = |d| (day(d), Session::Pm);
        assert!(check_range(am("2026-11-20"), pm("2026-11-20")).is_ok());
        assert!(check_range(pm("2026-11-20"), am("2026-11-20")).is_err());
        assert!(check_range(am("2026-11-20"), am("2026-11-19")).is_err());
        assert!(check_range(am("2026-09-01"), am("2026-12-30")).is_ok());
        assert!(check_range(am("2026-09-01"), am("2026-12-31")).is_err());
    }

    #[test]
    fn approval_codes_only_unmarked_sessions_and_n() {
        assert!(may_precode(None));
        assert!(may_precode(code("N")));
        for kept in ["/", "\\", "L", "I", "M", "O", "G", "U", "C"] {
            assert!(!may_precode(code(kept)), "{kept}");
        }
    }

    #[test]
    fn refused_leave_taken_turns_only_n_and_o_into_g() {
        assert!(becomes_g(code("N")));
        assert!(becomes_g(code("O")));
        assert!(!becomes_g(None));
        for kept in ["/", "\\", "L", "U", "I", "M", "G", "C"] {
            assert!(!becomes_g(code(kept)), "{kept}");
        }
        assert_eq!(holiday_code().as_str(), "G");
    }
}
