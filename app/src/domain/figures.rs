//! The attendance figures, exactly as the DfE's methodology *Pupil absence in schools in
//! England* defines them:
//!
//! - possible sessions = present + attending approved educational activity (AEA) + authorised
//!   + unauthorised, counted only while the pupil is on roll and only on school days;
//! - attendance % = (present + AEA) ÷ possible;
//! - absence rates = authorised, unauthorised, or both ÷ possible;
//! - persistent absence: 10% or more of possible sessions missed; severe: 50% or more, both
//!   counted per enrolment (a pupil who moved school counts once at each).
//!
//! Rates are kept as counts until the last moment, so groups are summed exactly, never
//! averaged.

use serde::{Deserialize, Serialize};

use super::codes::{Category, Code};

/// Counts of sessions for one enrolment (or a group) over a period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tally {
    pub present: i64,
    /// Attending approved educational activity.
    pub aea: i64,
    pub authorised: i64,
    pub unauthorised: i64,
    /// L: late before the register closed (present).
    pub late_before_close: i64,
    /// U: late after the register closed (unauthorised).
    pub late_after_close: i64,
}

impl Tally {
    /// The tally of one session's mark.
    pub fn of(code: Code) -> Tally {
        let mut tally = Tally::default();
        match code.category() {
            Category::Present => tally.present = 1,
            Category::ApprovedActivity => tally.aea = 1,
            Category::Authorised => tally.authorised = 1,
            Category::Unauthorised => tally.unauthorised = 1,
            Category::NotPossible | Category::Administrative => {}
        }
        match code {
            Code::Late => tally.late_before_close = 1,
            Code::LateAfterClose => tally.late_after_close = 1,
            _ => {}
        }
        tally
    }

    pub fn possible(&self) -> i64 {
        self.present + self.aea + self.authorised + self.unauthorised
    }

    pub fn attending(&self) -> i64 {
        self.present + self.aea
    }

    pub fn absent(&self) -> i64 {
        self.authorised + self.unauthorised
    }

    /// Attendance as a percentage of possible sessions; `None` with no possible sessions.
    pub fn attendance_percent(&self) -> Option<f64> {
        percent(self.attending(), self.possible())
    }

    pub fn absence_percent(&self) -> Option<f64> {
        percent(self.absent(), self.possible())
    }

    pub fn authorised_percent(&self) -> Option<f64> {
        percent(self.authorised, self.possible())
    }

    pub fn unauthorised_percent(&self) -> Option<f64> {
        percent(self.unauthorised, self.possible())
    }

    /// Absent for 10% or more of possible sessions. Counted in whole sessions, so 38 of 380
    /// is persistent and 37 is not, with no rounding in between.
    pub fn is_persistent_absence(&self) -> bool {
        self.possible() > 0 && self.absent() * 10 >= self.possible()
    }

    /// Absent for 50% or more of possible sessions.
    pub fn is_severe_absence(&self) -> bool {
        self.possible() > 0 && self.absent() * 2 >= self.possible()
    }

    /// The difference of two running totals: the sessions after `earlier` up to `self`.
    pub fn since(&self, earlier: &Tally) -> Tally {
        Tally {
            present: self.present - earlier.present,
            aea: self.aea - earlier.aea,
            authorised: self.authorised - earlier.authorised,
            unauthorised: self.unauthorised - earlier.unauthorised,
            late_before_close: self.late_before_close - earlier.late_before_close,
            late_after_close: self.late_after_close - earlier.late_after_close,
        }
    }
}

impl std::ops::Add for Tally {
    type Output = Tally;
    fn add(self, other: Tally) -> Tally {
        Tally {
            present: self.present + other.present,
            aea: self.aea + other.aea,
            authorised: self.authorised + other.authorised,
            unauthorised: self.unauthorised + other.unauthorised,
            late_before_close: self.late_before_close + other.late_before_close,
            late_after_close: self.late_after_close + other.late_after_close,
        }
    }
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, other: Tally) {
        *self = *self + other;
    }
}

impl std::iter::Sum for Tally {
    fn sum<I: Iterator<Item = Tally>>(iter: I) -> Tally {
        iter.fold(Tally::default(), |sum, tally| sum + tally)
    }
}

impl<'a> FromIterator<&'a Code> for Tally {
    fn from_iter<I: IntoIterator<Item = &'a Code>>(iter: I) -> Tally {
        iter.into_iter().map(|code| Tally::of(*code)).sum()
    }
}

fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// The figures of a group of enrolments: their sessions summed, and how many of them are
/// persistently or severely absent, each judged on its own sessions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupFigures {
    pub enrolments: i64,
    pub sessions: Tally,
    pub persistent_absentees: i64,
    pub severe_absentees: i64,
}

impl GroupFigures {
    /// Adds one enrolment's sessions to the group. An enrolment with no possible sessions in
    /// the period is not counted: it was not on roll then.
    pub fn add_enrolment(&mut self, tally: &Tally) {
        if tally.possible() == 0 {
            return;
        }
        self.enrolments += 1;
        self.sessions += *tally;
        self.persistent_absentees += i64::from(tally.is_persistent_absence());
        self.severe_absentees += i64::from(tally.is_severe_absence());
    }

    /// The share of enrolments persistently absent, as the DfE publishes it.
    pub fn persistent_absence_percent(&self) -> Option<f64> {
        percent(self.persistent_absentees, self.enrolments)
    }

    pub fn severe_absence_percent(&self) -> Option<f64> {
        percent(self.severe_absentees, self.enrolments)
    }
}

impl<'a> FromIterator<&'a Tally> for GroupFigures {
    fn from_iter<I: IntoIterator<Item = &'a Tally>>(iter: I) -> GroupFigures {
        let mut group = GroupFigures::default();
        for tally in iter {
            group.add_enrolment(tally);
        }
        group
    }
}

/// A percentage as schools print it: one decimal place.
pub fn format_percent(value: Option<f64>) -> String {
    match value {
        Some(value) => format!("{value:.1}%"),
        None => "–".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn codes() -> impl Strategy<Value = Vec<Code>> {
        prop::collection::vec(prop::sample::select(Code::ALL), 0..400)
    }

    #[test]
    fn a_hand_counted_fortnight() {
        // Ten days: 15 present (2 late before close), 1 trip, 2 ill, 1 unexplained, 1 late
        // after close, and 1 session dual registered elsewhere.
        let mut marks = vec![Code::PresentAm; 13];
        marks.extend([Code::Late, Code::Late, Code::EducationalVisit]);
        marks.extend([Code::Illness, Code::Illness, Code::NoReasonYet]);
        marks.extend([Code::LateAfterClose, Code::DualRegistered]);
        let tally: Tally = marks.iter().collect();
        assert_eq!(tally.possible(), 20);
        assert_eq!(tally.attending(), 16);
        assert_eq!(tally.attendance_percent(), Some(80.0));
        assert_eq!(tally.authorised_percent(), Some(10.0));
        assert_eq!(tally.unauthorised_percent(), Some(10.0));
        assert_eq!((tally.late_before_close, tally.late_after_close), (2, 1));
        assert!(tally.is_persistent_absence());
        assert!(!tally.is_severe_absence());
    }

    #[test]
    fn persistent_absence_starts_at_exactly_ten_percent() {
        let at = |absent: i64| Tally {
            present: 380 - absent,
            unauthorised: absent,
            ..Tally::default()
        };
        assert!(!at(37).is_persistent_absence());
        assert!(at(38).is_persistent_absence());
        assert!(!at(189).is_severe_absence());
        assert!(at(190).is_severe_absence());
    }

    #[test]
    fn a_pupil_who_moved_school_counts_once_at_each() {
        // The same child: fine at the first school, persistently absent at the second.
        let first = Tally {
            present: 100,
            authorised: 2,
            ..Tally::default()
        };
        let second = Tally {
            present: 40,
            unauthorised: 10,
            ..Tally::default()
        };
        let group: GroupFigures = [first, second].iter().collect();
        assert_eq!(group.enrolments, 2);
        assert_eq!(group.persistent_absentees, 1);
        // Summed as one record the child would not be persistently absent (12 of 152).
        assert!(!(first + second).is_persistent_absence());
    }

    proptest! {
        #[test]
        fn possible_is_the_sum_of_its_parts(marks in codes()) {
            let tally: Tally = marks.iter().collect();
            let possible = marks.iter().filter(|code| code.category().is_possible()).count();
            prop_assert_eq!(tally.possible(), possible as i64);
            prop_assert_eq!(
                tally.possible(),
                tally.present + tally.aea + tally.authorised + tally.unauthorised
            );
        }

        #[test]
        fn rates_are_between_0_and_100_and_add_up(marks in codes()) {
            let tally: Tally = marks.iter().collect();
            if let (Some(attendance), Some(absence)) =
                (tally.attendance_percent(), tally.absence_percent())
            {
                prop_assert!((0.0..=100.0).contains(&attendance));
                prop_assert!((0.0..=100.0).contains(&absence));
                prop_assert!((attendance + absence - 100.0).abs() < 1e-9);
                let split = tally.authorised_percent().unwrap() + tally.unauthorised_percent().unwrap();
                prop_assert!((split - absence).abs() < 1e-9);
            } else {
                prop_assert_eq!(tally.possible(), 0);
            }
        }

        #[test]
        fn severe_absence_is_always_persistent(marks in codes()) {
            let tally: Tally = marks.iter().collect();
            prop_assert!(!tally.is_severe_absence() || tally.is_persistent_absence());
        }

        #[test]
        fn running_totals_subtract_to_the_period(marks in codes(), split in 0usize..400) {
            let split = split.min(marks.len());
            let before: Tally = marks[..split].iter().collect();
            let all: Tally = marks.iter().collect();
            let after: Tally = marks[split..].iter().collect();
            prop_assert_eq!(all.since(&before), after);
        }

        #[test]
        fn a_group_counts_each_enrolment_on_its_own(
            pupils in prop::collection::vec(codes(), 0..20)
        ) {
            let tallies: Vec<Tally> = pupils.iter().map(|marks| marks.iter().collect()).collect();
            let group: GroupFigures = tallies.iter().collect();
            let on_roll = tallies.iter().filter(|tally| tally.possible() > 0).count() as i64;
            prop_assert_eq!(group.enrolments, on_roll);
            prop_assert_eq!(
                group.persistent_absentees,
                tallies.iter().filter(|tally| tally.is_persistent_absence()).count() as i64
            );
            prop_assert_eq!(group.sessions, tallies.iter().copied().sum::<Tally>());
            prop_assert!(group.severe_absentees <= group.persistent_absentees);
            prop_assert!(group.persistent_absentees <= group.enrolments);
        }
    }
}
