//! How long Rollcall keeps what it holds (`docs/retention.md` says the same in words).
//!
//! - A register entry is kept 6 years from the day it was made (the School Attendance (Pupil
//!   Registration) (England) Regulations 2024), then removed.
//! - Everything else about a pupil who has left, and about their parents and carers, is kept 6
//!   years from their last day on roll, then removed in one go.
//! - A pupil with a safeguarding record is kept until their 25th birthday if that is later (the
//!   usual period for child-protection files), and nobody is removed while a case of theirs is
//!   still open: it may be on its way to court.

use chrono::{Months, NaiveDate};

/// Register entries, and a leaver's whole record, are kept this many years.
pub const YEARS_KEPT: u32 = 6;
/// A pupil with a safeguarding record is kept at least until this birthday.
pub const SAFEGUARDING_UNTIL_AGE: u32 = 25;

/// The first day that is still kept: anything dated before it is older than `years` on `today`.
/// 29 February falls back to 28 February in a year without one.
pub fn kept_from(today: NaiveDate, years: u32) -> NaiveDate {
    today
        .checked_sub_months(Months::new(12 * years))
        .unwrap_or(NaiveDate::MIN)
}

/// Whether a register entry made on `made_on` is past its time on `today`.
pub fn register_entry_expired(made_on: NaiveDate, today: NaiveDate) -> bool {
    made_on < kept_from(today, YEARS_KEPT)
}

/// What is known about a pupil's record when deciding whether it may go.
#[derive(Clone, Copy, Debug)]
pub struct Leaver {
    pub left_on: Option<NaiveDate>,
    pub date_of_birth: NaiveDate,
    pub has_safeguarding_record: bool,
    pub has_open_case: bool,
}

/// Whether a pupil's whole record (and their contacts') is removed on `today`.
pub fn record_expired(pupil: &Leaver, today: NaiveDate) -> bool {
    let Some(left_on) = pupil.left_on else {
        return false;
    };
    if pupil.has_open_case || left_on >= kept_from(today, YEARS_KEPT) {
        return false;
    }
    !pupil.has_safeguarding_record || pupil.date_of_birth < kept_from(today, SAFEGUARDING_UNTIL_AGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_register_entry_is_kept_six_years_to_the_day() {
        let today = day("2032-09-01");
        assert!(!register_entry_expired(day("2026-09-01"), today));
        assert!(register_entry_expired(day("2026-08-31"), today));
        // A leap day is kept until 28 February six years on, then goes.
        assert!(!register_entry_expired(
            day("2028-02-29"),
            day("2034-02-28")
        ));
        assert!(register_entry_expired(day("2028-02-28"), day("2034-03-01")));
    }

    fn leaver(left_on: &str) -> Leaver {
        Leaver {
            left_on: Some(day(left_on)),
            date_of_birth: day("2012-05-10"),
            has_safeguarding_record: false,
            has_open_case: false,
        }
    }

    #[test]
    fn a_leaver_is_kept_six_years_from_the_last_day_on_roll() {
        let pupil = leaver("2027-07-21");
        assert!(!record_expired(&pupil, day("2033-07-21")));
        assert!(record_expired(&pupil, day("2033-07-22")));
    }

    #[test]
    fn a_pupil_on_roll_is_never_removed() {
        let pupil = Leaver {
            left_on: None,
            ..leaver("2000-01-01")
        };
        assert!(!record_expired(&pupil, day("2090-01-01")));
    }

    #[test]
    fn a_safeguarding_record_is_kept_until_the_25th_birthday() {
        let pupil = Leaver {
            has_safeguarding_record: true,
            ..leaver("2027-07-21")
        };
        // Six years after leaving the pupil is 21: kept.
        assert!(!record_expired(&pupil, day("2033-07-22")));
        assert!(!record_expired(&pupil, day("2037-05-10")));
        assert!(record_expired(&pupil, day("2037-05-11")));
    }

    #[test]
    fn an_open_case_keeps_the_record() {
        let pupil = Leaver {
            has_open_case: true,
            ..leaver("2020-07-21")
        };
        assert!(!record_expired(&pupil, day("2040-01-01")));
    }
}
