//! Penalty notices under the national framework (`attendance-rules.md` section 4), as pure rules:
//! which notice a parent may be given for a child, what it costs, and where it stands.
//!
//! Decisions:
//!
//! - Notices are counted **per parent per child**. Only notices issued on or after 19 August 2024
//!   (when the framework began) and not withdrawn count towards the 3-year rule.
//! - "Within 3 years": an earlier notice counts when the new one is issued before the third
//!   anniversary of the earlier one. On the anniversary itself it no longer counts.
//! - Days are counted from the issue date: "day 21" is the issue date plus 21 days. The first
//!   notice costs £80 if paid on or before day 21 and £160 on days 22 to 28; a second notice within
//!   3 years costs £160 throughout. From day 29 a notice not paid is unpaid, for the local
//!   authority to take further.
//! - A third notice within 3 years is never issued: the local authority considers other action,
//!   usually prosecution.
//! - A Notice to Improve gives an improvement period of 3 to 6 weeks.

use chrono::{Duration, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// The day the national framework began: earlier notices do not count towards the 3-year rule.
pub fn framework_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 8, 19).expect("a real date")
}

/// The lower amount, paid by day 21 of a first notice, in pence.
pub const FIRST_LOWER_PENCE: i32 = 8000;
/// The full amount: a first notice paid on days 22 to 28, and any second notice, in pence.
pub const FULL_PENCE: i32 = 16000;
/// The last day of the lower amount of a first notice.
pub const LOWER_AMOUNT_DAYS: i64 = 21;
/// The last day a notice may be paid.
pub const PAYMENT_DAYS: i64 = 28;
/// The shortest and longest improvement period of a Notice to Improve, in days.
pub const IMPROVEMENT_DAYS: (i64, i64) = (21, 42);

/// Which notice this is for the parent and child within 3 years.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sequence {
    First,
    Second,
}

impl Sequence {
    pub fn number(self) -> i32 {
        match self {
            Sequence::First => 1,
            Sequence::Second => 2,
        }
    }

    pub fn from_number(number: i32) -> Sequence {
        if number >= 2 {
            Sequence::Second
        } else {
            Sequence::First
        }
    }
}

/// An earlier notice to the same parent for the same child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Earlier {
    pub issued_on: NaiveDate,
    pub withdrawn: bool,
}

/// Whether `earlier` counts towards the 3-year rule for a notice issued on `on`.
pub fn counts_within_three_years(earlier: Earlier, on: NaiveDate) -> bool {
    !earlier.withdrawn
        && earlier.issued_on >= framework_start()
        && earlier.issued_on <= on
        && earlier
            .issued_on
            .checked_add_months(Months::new(36))
            .is_some_and(|anniversary| on < anniversary)
}

/// Which notice a new one issued on `on` would be, or why none may be issued, in words.
pub fn next_notice(earlier: &[Earlier], on: NaiveDate) -> Result<Sequence, String> {
    let mut counted: Vec<NaiveDate> = earlier
        .iter()
        .filter(|notice| counts_within_three_years(**notice, on))
        .map(|notice| notice.issued_on)
        .collect();
    counted.sort();
    match counted.as_slice() {
        [] => Ok(Sequence::First),
        [_] => Ok(Sequence::Second),
        [first, second, ..] => Err(format!(
            "This parent has already had two penalty notices for this child within 3 years \
             ({} and {}). A third may not be issued: consider prosecution or other action by the \
             local authority instead.",
            first.format("%-d %b %Y"),
            second.format("%-d %b %Y")
        )),
    }
}

/// The amount due for a notice paid on `paid_on`, in pence, or `None` when that is after the
/// last day to pay (or before the notice was issued).
pub fn amount_due(sequence: Sequence, issued_on: NaiveDate, paid_on: NaiveDate) -> Option<i32> {
    let day = (paid_on - issued_on).num_days();
    if !(0..=PAYMENT_DAYS).contains(&day) {
        return None;
    }
    Some(match sequence {
        Sequence::First if day <= LOWER_AMOUNT_DAYS => FIRST_LOWER_PENCE,
        _ => FULL_PENCE,
    })
}

/// The last day of the lower amount (a first notice only) and the last day to pay.
pub fn deadlines(sequence: Sequence, issued_on: NaiveDate) -> (Option<NaiveDate>, NaiveDate) {
    (
        (sequence == Sequence::First).then(|| issued_on + Duration::days(LOWER_AMOUNT_DAYS)),
        issued_on + Duration::days(PAYMENT_DAYS),
    )
}

/// Where a notice stands on a given day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Issued and still within the 28 days.
    Issued,
    Paid {
        on: NaiveDate,
        pence: i32,
    },
    Withdrawn {
        on: NaiveDate,
        reason: String,
    },
    /// Not paid by day 28: for the local authority to take further.
    Unpaid,
}

impl Status {
    pub fn label(&self) -> String {
        match self {
            Status::Issued => "Issued".to_string(),
            Status::Paid { on, pence } => {
                format!("Paid {} on {}", pounds(*pence), on.format("%-d %b %Y"))
            }
            Status::Withdrawn { on, reason } => {
                format!("Withdrawn on {}: {reason}", on.format("%-d %b %Y"))
            }
            Status::Unpaid => "Unpaid after 28 days".to_string(),
        }
    }

    pub fn key(&self) -> &'static str {
        match self {
            Status::Issued => "issued",
            Status::Paid { .. } => "paid",
            Status::Withdrawn { .. } => "withdrawn",
            Status::Unpaid => "unpaid",
        }
    }
}

/// A notice's status on `today` from what was recorded.
pub fn status(
    issued_on: NaiveDate,
    paid: Option<(NaiveDate, i32)>,
    withdrawn: Option<(NaiveDate, String)>,
    today: NaiveDate,
) -> Status {
    if let Some((on, reason)) = withdrawn {
        return Status::Withdrawn { on, reason };
    }
    if let Some((on, pence)) = paid {
        return Status::Paid { on, pence };
    }
    if (today - issued_on).num_days() > PAYMENT_DAYS {
        Status::Unpaid
    } else {
        Status::Issued
    }
}

/// Checks a payment: the amount must be what was due on the day it was paid.
pub fn check_payment(
    sequence: Sequence,
    issued_on: NaiveDate,
    paid_on: NaiveDate,
    pence: i32,
) -> Result<(), String> {
    let Some(due) = amount_due(sequence, issued_on, paid_on) else {
        return Err(if paid_on < issued_on {
            format!(
                "The payment date is before the notice was issued ({}).",
                issued_on.format("%-d %b %Y")
            )
        } else {
            format!(
                "The last day to pay was {}: a payment after day {PAYMENT_DAYS} is for the local \
                 authority to handle, not the school.",
                (issued_on + Duration::days(PAYMENT_DAYS)).format("%-d %b %Y")
            )
        });
    };
    if pence != due {
        return Err(format!(
            "The amount due on {} was {}, not {}.",
            paid_on.format("%-d %b %Y"),
            pounds(due),
            pounds(pence)
        ));
    }
    Ok(())
}

/// Checks a Notice to Improve's improvement period.
pub fn check_improvement_period(issued_on: NaiveDate, ends_on: NaiveDate) -> Result<(), String> {
    let days = (ends_on - issued_on).num_days();
    if !(IMPROVEMENT_DAYS.0..=IMPROVEMENT_DAYS.1).contains(&days) {
        return Err(format!(
            "The improvement period must be 3 to 6 weeks: from {} it ends between {} and {}.",
            issued_on.format("%-d %b %Y"),
            (issued_on + Duration::days(IMPROVEMENT_DAYS.0)).format("%-d %b %Y"),
            (issued_on + Duration::days(IMPROVEMENT_DAYS.1)).format("%-d %b %Y")
        ));
    }
    Ok(())
}

/// An amount in pence as people read it: "£80.00".
pub fn pounds(pence: i32) -> String {
    format!("£{}.{:02}", pence / 100, pence % 100)
}

/// An amount as people type it ("80", "£160.00") in pence.
pub fn parse_pounds(text: &str) -> Result<i32, String> {
    let trimmed = text.trim().trim_start_matches('£').trim();
    let refuse = || {
        format!(
            "\"{}\" is not an amount: write it like 80 or 160.00.",
            text.trim()
        )
    };
    let (whole, fraction) = trimmed.split_once('.').unwrap_or((trimmed, "0"));
    if whole.is_empty() || fraction.len() > 2 {
        return Err(refuse());
    }
    let whole: i32 = whole.parse().map_err(|_| refuse())?;
    let fraction: i32 = format!("{fraction:0<2}").parse().map_err(|_| refuse())?;
    if !(0..=10_000).contains(&whole) {
        return Err(refuse());
    }
    Ok(whole * 100 + fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn issued(text: &str) -> Earlier {
        Earlier {
            issued_on: day(text),
            withdrawn: false,
        }
    }

    #[test]
    fn a_first_notice_is_80_by_day_21_and_160_by_day_28() {
        let on = day("2026-11-02");
        let first = Sequence::First;
        assert_eq!(amount_due(first, on, on), Some(8000));
        assert_eq!(
            amount_due(first, on, day("2026-11-23")),
            Some(8000),
            "day 21"
        );
        assert_eq!(
            amount_due(first, on, day("2026-11-24")),
            Some(16000),
            "day 22"
        );
        assert_eq!(
            amount_due(first, on, day("2026-11-30")),
            Some(16000),
            "day 28"
        );
        assert_eq!(amount_due(first, on, day("2026-12-01")), None, "day 29");
        assert_eq!(
            amount_due(first, on, day("2026-11-01")),
            None,
            "before issue"
        );
    }

    #[test]
    fn a_second_notice_is_160_throughout() {
        let on = day("2026-11-02");
        assert_eq!(amount_due(Sequence::Second, on, on), Some(16000));
        assert_eq!(
            amount_due(Sequence::Second, on, day("2026-11-23")),
            Some(16000)
        );
        assert_eq!(
            amount_due(Sequence::Second, on, day("2026-11-30")),
            Some(16000)
        );
        assert_eq!(amount_due(Sequence::Second, on, day("2026-12-01")), None);
        assert_eq!(deadlines(Sequence::Second, on), (None, day("2026-11-30")));
        assert_eq!(
            deadlines(Sequence::First, on),
            (Some(day("2026-11-23")), day("2026-11-30"))
        );
    }

    #[test]
    fn unpaid_from_day_29() {
        let on = day("2026-11-02");
        assert_eq!(status(on, None, None, day("2026-11-30")), Status::Issued);
        assert_eq!(status(on, None, None, day("2026-12-01")), Status::Unpaid);
        let paid = Some((day("2026-11-20"), 8000));
        assert_eq!(
            status(on, paid, None, day("2027-01-01")),
            Status::Paid {
                on: day("2026-11-20"),
                pence: 8000
            }
        );
        let withdrawn = Some((day("2026-11-05"), "Wrong parent".to_string()));
        assert_eq!(
            status(on, None, withdrawn, day("2027-01-01")).key(),
            "withdrawn"
        );
    }

    #[test]
    fn the_three_year_rule_ends_on_the_third_anniversary() {
        let earlier = issued("2024-09-10");
        assert!(counts_within_three_years(earlier, day("2027-09-09")));
        assert!(!counts_within_three_years(earlier, day("2027-09-10")));
        assert_eq!(
            next_notice(&[earlier], day("2027-09-09")),
            Ok(Sequence::Second)
        );
        assert_eq!(
            next_notice(&[earlier], day("2027-09-10")),
            Ok(Sequence::First)
        );
    }

    #[test]
    fn a_third_notice_within_three_years_is_refused() {
        let two = [issued("2024-09-10"), issued("2025-03-01")];
        let refused = next_notice(&two, day("2027-09-09")).unwrap_err();
        assert!(refused.contains("consider prosecution"), "{refused}");
        assert!(refused.contains("10 Sep 2024") && refused.contains("1 Mar 2025"));
        // On the first one's anniversary only the second counts: a second notice again.
        assert_eq!(next_notice(&two, day("2027-09-10")), Ok(Sequence::Second));
        // Once both are three years old, a first notice again.
        assert_eq!(next_notice(&two, day("2028-03-01")), Ok(Sequence::First));
    }

    #[test]
    fn withdrawn_and_pre_framework_notices_do_not_count() {
        let withdrawn = Earlier {
            issued_on: day("2025-01-10"),
            withdrawn: true,
        };
        assert_eq!(
            next_notice(&[withdrawn], day("2025-06-01")),
            Ok(Sequence::First)
        );
        assert!(!counts_within_three_years(
            issued("2024-08-18"),
            day("2025-06-01")
        ));
        assert!(counts_within_three_years(
            issued("2024-08-19"),
            day("2025-06-01")
        ));
        assert_eq!(
            next_notice(
                &[issued("2024-08-18"), issued("2025-01-10")],
                day("2025-06-01")
            ),
            Ok(Sequence::Second)
        );
    }

    #[test]
    fn a_payment_must_be_the_amount_due_that_day() {
        let on = day("2026-11-02");
        assert!(check_payment(Sequence::First, on, day("2026-11-23"), 8000).is_ok());
        assert!(check_payment(Sequence::First, on, day("2026-11-24"), 8000).is_err());
        assert!(check_payment(Sequence::First, on, day("2026-11-24"), 16000).is_ok());
        assert!(check_payment(Sequence::First, on, day("2026-12-01"), 16000).is_err());
        assert!(check_payment(Sequence::Second, on, day("2026-11-03"), 8000).is_err());
    }

    #[test]
    fn the_improvement_period_is_three_to_six_weeks() {
        let on = day("2026-11-02");
        assert!(check_improvement_period(on, day("2026-11-22")).is_err());
        assert!(check_improvement_period(on, day("2026-11-23")).is_ok());
        assert!(check_improvement_period(on, day("2026-12-14")).is_ok());
        assert!(check_improvement_period(on, day("2026-12-15")).is_err());
    }

    #[test]
    fn amounts_read_and_write_in_pounds() {
        assert_eq!(pounds(8000), "£80.00");
        assert_eq!(parse_pounds("80"), Ok(8000));
        assert_eq!(parse_pounds("£160.00"), Ok(16000));
        assert_eq!(parse_pounds("160.5"), Ok(16050));
        assert!(parse_pounds("eighty").is_err());
        assert!(parse_pounds("1.234").is_err());
        assert!(parse_pounds("").is_err());
    }
}
