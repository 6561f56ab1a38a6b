//! The school's attendance policy and the trigger rules of the case workflow: given a pupil's
//! figures, which step of the support-first ladder they have reached and the exact words of why.
//!
//! Decisions, from `attendance-rules.md` sections 3, 4 and 7:
//!
//! - Percentages are kept in hundredths of a percent (9500 = 95.00%) and compared in whole
//!   sessions, never in floating point, so 89.99% is below 90% and 90.00% is not.
//! - The ladder's stages fire strictly **below** their threshold (first letter below 95%, meeting
//!   below 92%, attendance plan below 90%). The referral fires on **severe absence**: attendance
//!   at or below its threshold (default 50%), which is the DfE's "absent for 50% or more".
//! - The penalty-notice threshold is 10 unauthorised sessions (G, N, O, U) within a rolling
//!   period of 10 **school weeks**. A school week is a Monday-to-Sunday week with at least one
//!   school day, so half terms and holidays do not count as weeks and a window may span terms.
//!   Every window of consecutive school weeks that ends in the period under review is checked;
//!   the one with the most sessions (the latest on a tie) is reported. Meeting it means
//!   "consider a notice", never "must issue".
//! - The ten-day notice for children missing education counts the run of consecutive school days
//!   of unexplained absence (every session N or O) up to the latest school day.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::figures::Tally;

/// One school's case policy. Thresholds in hundredths of a percent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CasePolicy {
    /// At risk, and a first letter, below this (default 95.00%).
    pub letter_below: i32,
    /// A school attendance meeting below this (default 92.00%).
    pub meeting_below: i32,
    /// A meeting with an attendance plan and a target below this (default 90.00%).
    pub plan_below: i32,
    /// A referral at or below this: severe absence (default 50.00%).
    pub referral_at_or_below: i32,
    /// Unauthorised sessions that make a penalty notice worth considering (default 10)...
    pub penalty_sessions: i32,
    /// ...within this many school weeks (default 10).
    pub penalty_school_weeks: i32,
    /// School days of continuous unexplained absence before the ten-day notice (default 10).
    pub cme_days: i32,
}

impl Default for CasePolicy {
    fn default() -> CasePolicy {
        CasePolicy {
            letter_below: 9500,
            meeting_below: 9200,
            plan_below: 9000,
            referral_at_or_below: 5000,
            penalty_sessions: 10,
            penalty_school_weeks: 10,
            cme_days: 10,
        }
    }
}

impl CasePolicy {
    /// The policy if it makes sense, or the reason it does not, in words.
    pub fn checked(self) -> Result<CasePolicy, String> {
        for (name, value) in [
            ("The first-letter threshold", self.letter_below),
            ("The meeting threshold", self.meeting_below),
            ("The attendance-plan threshold", self.plan_below),
            ("The referral threshold", self.referral_at_or_below),
        ] {
            if !(1..=10000).contains(&value) {
                return Err(format!(
                    "{name} must be between 0.01% and 100%; it was {}.",
                    hundredths(value)
                ));
            }
        }
        if !(self.letter_below > self.meeting_below
            && self.meeting_below > self.plan_below
            && self.plan_below > self.referral_at_or_below)
        {
            return Err(format!(
                "The ladder must go down: first letter ({}) above meeting ({}) above attendance \
                 plan ({}) above referral ({}).",
                hundredths(self.letter_below),
                hundredths(self.meeting_below),
                hundredths(self.plan_below),
                hundredths(self.referral_at_or_below)
            ));
        }
        if !(1..=100).contains(&self.penalty_sessions) {
            return Err(
                "The penalty-notice threshold must be between 1 and 100 unauthorised \
                        sessions."
                    .to_string(),
            );
        }
        if !(1..=39).contains(&self.penalty_school_weeks) {
            return Err(
                "The penalty-notice period must be between 1 and 39 school weeks.".to_string(),
            );
        }
        if !(1..=60).contains(&self.cme_days) {
            return Err("The ten-day notice must come after 1 to 60 school days.".to_string());
        }
        Ok(self)
    }
}

/// A threshold in hundredths written as people read it: 9500 is "95.00%".
pub fn hundredths(value: i32) -> String {
    format!("{}.{:02}%", value / 100, value % 100)
}

/// A percentage as people type it ("95", "92.5", "89.99%") in hundredths of a percent.
pub fn parse_percent(text: &str) -> Result<i32, String> {
    let trimmed = text.trim().trim_end_matches('%').trim();
    let refuse = || {
        format!(
            "\"{}\" is not a percentage: write it like 95 or 92.5.",
            text.trim()
        )
    };
    let (whole, fraction) = trimmed.split_once('.').unwrap_or((trimmed, ""));
    if whole.is_empty()
        || whole.len() > 3
        || fraction.len() > 2
        || !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(refuse());
    }
    let whole: i32 = whole.parse().map_err(|_| refuse())?;
    let fraction: i32 = format!("{fraction:0<2}").parse().map_err(|_| refuse())?;
    Ok(whole * 100 + fraction)
}

/// A step of the support-first ladder the engine can propose, least to most serious.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    FirstLetter,
    Meeting,
    AttendancePlan,
    PenaltyNotice,
    TenDayNotice,
    Referral,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::FirstLetter,
        Step::Meeting,
        Step::AttendancePlan,
        Step::PenaltyNotice,
        Step::TenDayNotice,
        Step::Referral,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Step::FirstLetter => "first_letter",
            Step::Meeting => "meeting",
            Step::AttendancePlan => "attendance_plan",
            Step::PenaltyNotice => "penalty_notice",
            Step::TenDayNotice => "ten_day_notice",
            Step::Referral => "referral",
        }
    }

    pub fn from_key(key: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.key() == key)
    }

    /// The step in words, as the timeline says it: "proposed: first letter".
    pub fn label(self) -> &'static str {
        match self {
            Step::FirstLetter => "first letter",
            Step::Meeting => "school attendance meeting",
            Step::AttendancePlan => "meeting with an attendance plan and a target",
            Step::PenaltyNotice => "consider a notice to improve or a penalty notice",
            Step::TenDayNotice => "ten-day notice to the local authority (missing education)",
            Step::Referral => "referral for severe absence",
        }
    }
}

/// Whether `attending` of `possible` sessions is strictly below `threshold` hundredths of a
/// percent, in whole numbers.
fn below(attending: i64, possible: i64, threshold: i32) -> bool {
    possible > 0 && attending * 10000 < i64::from(threshold) * possible
}

/// The step of the ladder the attendance figures alone have reached, if any.
pub fn ladder_step(policy: &CasePolicy, sessions: &Tally) -> Option<Step> {
    let (attending, possible) = (sessions.attending(), sessions.possible());
    if possible == 0 {
        None
    } else if attending * 10000 <= i64::from(policy.referral_at_or_below) * possible {
        Some(Step::Referral)
    } else if below(attending, possible, policy.plan_below) {
        Some(Step::AttendancePlan)
    } else if below(attending, possible, policy.meeting_below) {
        Some(Step::Meeting)
    } else if below(attending, possible, policy.letter_below) {
        Some(Step::FirstLetter)
    } else {
        None
    }
}

/// The Monday of the week `date` falls in.
pub fn week_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// The school weeks among these school days: the Mondays of weeks with at least one, in order.
pub fn school_weeks(school_days: &[NaiveDate]) -> Vec<NaiveDate> {
    school_days
        .iter()
        .map(|day| week_of(*day))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The unauthorised sessions of a window of school weeks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnauthorisedWindow {
    pub sessions: i64,
    /// The first and last unauthorised session in the window.
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// The Monday of the window's first school week and the Sunday of its last.
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The window of `weeks` consecutive school weeks, ending in a school week on or after `since`,
/// with the most unauthorised sessions (the latest on a tie); `None` when no session falls in
/// any. `school_days` must reach back far enough before `since` to fill a window;
/// `unauthorised` has one date per unauthorised session (a day twice for AM and PM).
pub fn busiest_window(
    school_days: &[NaiveDate],
    unauthorised: &[NaiveDate],
    weeks: usize,
    since: NaiveDate,
) -> Option<UnauthorisedWindow> {
    let school_weeks = school_weeks(school_days);
    let mut per_week: BTreeMap<NaiveDate, Vec<NaiveDate>> = BTreeMap::new();
    for day in unauthorised {
        per_week.entry(week_of(*day)).or_default().push(*day);
    }
    let mut best: Option<UnauthorisedWindow> = None;
    for (end, last_week) in school_weeks.iter().enumerate() {
        if *last_week + Duration::days(6) < since {
            continue;
        }
        let start = (end + 1).saturating_sub(weeks.max(1));
        let mut days: Vec<NaiveDate> = school_weeks[start..=end]
            .iter()
            .flat_map(|week| per_week.get(week).cloned().unwrap_or_default())
            .collect();
        if days.is_empty() {
            continue;
        }
        days.sort();
        let window = UnauthorisedWindow {
            sessions: days.len() as i64,
            first: days[0],
            last: days[days.len() - 1],
            from: school_weeks[start],
            to: *last_week + Duration::days(6),
        };
        if best
            .as_ref()
            .is_none_or(|best| window.sessions >= best.sessions)
        {
            best = Some(window);
        }
    }
    best
}

/// The codes of unexplained absence: no reason yet (N) and unauthorised (O). A day counts toward
/// the ten-day notice when every session of it has one of them.
pub const UNEXPLAINED: &[&str] = &["N", "O"];

/// The run of consecutive school days of unexplained absence up to the latest school day on or
/// before `today`. A day today without unexplained absence yet (its registers may not be taken)
/// does not break the run.
pub fn unexplained_run(
    school_days: &[NaiveDate],
    unexplained_days: &BTreeSet<NaiveDate>,
    today: NaiveDate,
) -> i64 {
    unexplained_run_days(school_days, unexplained_days, today).len() as i64
}

/// The school days of that run, earliest first.
pub fn unexplained_run_days(
    school_days: &[NaiveDate],
    unexplained_days: &BTreeSet<NaiveDate>,
    today: NaiveDate,
) -> Vec<NaiveDate> {
    let mut run = Vec::new();
    for day in school_days.iter().rev().filter(|day| **day <= today) {
        if unexplained_days.contains(day) {
            run.push(*day);
        } else if *day == today && run.is_empty() {
            continue;
        } else {
            break;
        }
    }
    run.reverse();
    run
}

/// Everything the rules looked at for one pupil.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PupilEvidence {
    /// The figures of the period (the academic year to date).
    pub sessions: Tally,
    /// School weeks in the period.
    pub weeks: i64,
    pub window: Option<UnauthorisedWindow>,
    /// School days of continuous unexplained absence up to today.
    pub unexplained_run: i64,
}

/// A step reached, and why, in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub step: Step,
    pub why: String,
}

/// "3 Mar 2027".
pub fn short_date(date: NaiveDate) -> String {
    date.format("%-d %b %Y").to_string()
}

/// The attendance in words: "88.40% over 12 school weeks (221 of 250 sessions)".
pub fn attendance_words(evidence: &PupilEvidence) -> String {
    let sessions = &evidence.sessions;
    let possible = sessions.possible();
    let percent = if possible == 0 {
        "no possible sessions".to_string()
    } else {
        let hundredths_value = (sessions.attending() * 10000 * 2 + possible) / (2 * possible);
        format!("{}.{:02}%", hundredths_value / 100, hundredths_value % 100)
    };
    format!(
        "{percent} over {} school week{} ({} of {} sessions attended, {} unauthorised)",
        evidence.weeks,
        if evidence.weeks == 1 { "" } else { "s" },
        sessions.attending(),
        possible,
        sessions.unauthorised
    )
}

/// Every step these figures have reached under the policy, most serious last, each with the
/// exact figures that triggered it.
pub fn triggers(policy: &CasePolicy, evidence: &PupilEvidence) -> Vec<Trigger> {
    let mut reached = Vec::new();
    if let Some(step) = ladder_step(policy, &evidence.sessions) {
        let rule = if step == Step::Referral {
            format!("at or below {}", hundredths(policy.referral_at_or_below))
        } else {
            let threshold = match step {
                Step::FirstLetter => policy.letter_below,
                Step::Meeting => policy.meeting_below,
                _ => policy.plan_below,
            };
            format!("below {}", hundredths(threshold))
        };
        reached.push(Trigger {
            step,
            why: format!("{}: {rule}", attendance_words(evidence)),
        });
    }
    if let Some(window) = &evidence.window
        && window.sessions >= i64::from(policy.penalty_sessions)
    {
        reached.push(Trigger {
            step: Step::PenaltyNotice,
            why: format!(
                "{} unauthorised sessions (G, N, O, U) between {} and {}, within {} school \
                 weeks: the threshold is {}",
                window.sessions,
                short_date(window.first),
                short_date(window.last),
                policy.penalty_school_weeks,
                policy.penalty_sessions
            ),
        });
    }
    if evidence.unexplained_run >= i64::from(policy.cme_days) {
        reached.push(Trigger {
            step: Step::TenDayNotice,
            why: format!(
                "{} school days in a row of unexplained absence (N or O): the notice is due \
                 after {}",
                evidence.unexplained_run, policy.cme_days
            ),
        });
    }
    reached.sort_by_key(|trigger| trigger.step);
    reached
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn tally(attending: i64, possible: i64) -> Tally {
        Tally {
            present: attending,
            unauthorised: possible - attending,
            ..Tally::default()
        }
    }

    /// Weekdays from `from` for `weeks` weeks, skipping the weeks listed as holidays.
    fn weekdays(from: &str, weeks: i64, holidays: &[&str]) -> Vec<NaiveDate> {
        let start = week_of(date(from));
        (0..weeks * 7)
            .map(|offset| start + Duration::days(offset))
            .filter(|day| day.weekday().num_days_from_monday() < 5)
            .filter(|day| !holidays.iter().any(|h| week_of(date(h)) == week_of(*day)))
            .collect()
    }

    #[test]
    fn the_ladder_at_its_boundaries() {
        let policy = CasePolicy::default();
        assert_eq!(ladder_step(&policy, &tally(9500, 10000)), None);
        assert_eq!(
            ladder_step(&policy, &tally(9499, 10000)),
            Some(Step::FirstLetter)
        );
        assert_eq!(
            ladder_step(&policy, &tally(9200, 10000)),
            Some(Step::FirstLetter)
        );
        assert_eq!(
            ladder_step(&policy, &tally(9199, 10000)),
            Some(Step::Meeting)
        );
        assert_eq!(
            ladder_step(&policy, &tally(9000, 10000)),
            Some(Step::Meeting)
        );
        assert_eq!(
            ladder_step(&policy, &tally(8999, 10000)),
            Some(Step::AttendancePlan)
        );
        assert_eq!(
            ladder_step(&policy, &tally(5001, 10000)),
            Some(Step::AttendancePlan)
        );
        assert_eq!(
            ladder_step(&policy, &tally(5000, 10000)),
            Some(Step::Referral)
        );
        assert_eq!(ladder_step(&policy, &tally(0, 10)), Some(Step::Referral));
        assert_eq!(ladder_step(&policy, &tally(0, 0)), None);
        // 90% exactly in floating point is 90.00000000000001; in whole sessions it is 90.
        assert_eq!(ladder_step(&policy, &tally(9, 10)), Some(Step::Meeting));
        assert_eq!(ladder_step(&policy, &tally(19, 20)), None);
    }

    #[test]
    fn a_policy_that_does_not_go_down_is_refused() {
        assert!(CasePolicy::default().checked().is_ok());
        let upside_down = CasePolicy {
            meeting_below: 9600,
            ..CasePolicy::default()
        };
        assert!(upside_down.checked().unwrap_err().contains("must go down"));
        let no_sessions = CasePolicy {
            penalty_sessions: 0,
            ..CasePolicy::default()
        };
        assert!(
            no_sessions
                .checked()
                .unwrap_err()
                .contains("penalty-notice")
        );
        let over = CasePolicy {
            letter_below: 10001,
            ..CasePolicy::default()
        };
        assert!(over.checked().unwrap_err().contains("100.01%"));
    }

    #[test]
    fn percentages_as_people_type_them() {
        assert_eq!(parse_percent("95"), Ok(9500));
        assert_eq!(parse_percent(" 92.5 "), Ok(9250));
        assert_eq!(parse_percent("89.99%"), Ok(8999));
        assert_eq!(parse_percent("0.01"), Ok(1));
        assert!(
            parse_percent("ninety")
                .unwrap_err()
                .contains("not a percentage")
        );
        assert!(parse_percent("90.001").is_err());
        assert!(parse_percent("").is_err());
        assert!(parse_percent("-5").is_err());
    }

    #[test]
    fn school_weeks_skip_holidays() {
        let days = weekdays("2026-10-05", 4, &["2026-10-19"]);
        assert_eq!(
            school_weeks(&days),
            vec![date("2026-10-05"), date("2026-10-12"), date("2026-10-26")]
        );
    }

    #[test]
    fn exactly_ten_sessions_within_ten_school_weeks() {
        let policy = CasePolicy::default();
        // Twelve school weeks from 7 September with half term (26 October) in between.
        let days = weekdays("2026-09-07", 13, &["2026-10-26"]);
        let weeks = school_weeks(&days);
        assert_eq!(weeks.len(), 12);
        let evidence = |unauthorised: &[NaiveDate]| PupilEvidence {
            sessions: tally(100, 110),
            weeks: 12,
            window: busiest_window(&days, unauthorised, 10, date("2026-09-01")),
            unexplained_run: 0,
        };
        let penalty = |unauthorised: &[NaiveDate]| {
            triggers(&policy, &evidence(unauthorised))
                .iter()
                .any(|trigger| trigger.step == Step::PenaltyNotice)
        };
        // Ten sessions: five on the Monday of the first school week, five on the Friday of the
        // tenth (the half term does not count as a week).
        let first = weeks[0];
        let tenth_friday = weeks[9] + Duration::days(4);
        let eleventh = weeks[10];
        assert_eq!(weeks[9], date("2026-11-16"));
        let mut ten = vec![first; 5];
        ten.extend(vec![tenth_friday; 5]);
        assert!(penalty(&ten));
        // Nine: not yet.
        assert!(!penalty(&ten[1..]));
        // Ten, but the last five a school week later: 11 school weeks apart, so not.
        let mut outside = vec![first; 5];
        outside.extend(vec![eleventh; 5]);
        assert!(!penalty(&outside));
        let words = triggers(&policy, &evidence(&ten))
            .into_iter()
            .find(|trigger| trigger.step == Step::PenaltyNotice)
            .unwrap()
            .why;
        assert_eq!(
            words,
            "10 unauthorised sessions (G, N, O, U) between 7 Sep 2026 and 20 Nov 2026, within \
             10 school weeks: the threshold is 10"
        );
    }

    #[test]
    fn a_window_may_span_terms_but_must_end_in_the_period() {
        let days = weekdays("2026-06-01", 20, &[]);
        let june = vec![date("2026-06-01"); 10];
        assert_eq!(
            busiest_window(&days, &june, 10, date("2026-06-01"))
                .unwrap()
                .sessions,
            10
        );
        // Reviewed from September, a window of June's sessions that ended before does not count.
        assert!(busiest_window(&days, &june, 10, date("2026-09-30")).is_none());
    }

    #[test]
    fn the_words_name_the_figures() {
        let evidence = PupilEvidence {
            sessions: tally(221, 250),
            weeks: 12,
            window: None,
            unexplained_run: 0,
        };
        let reached = triggers(&CasePolicy::default(), &evidence);
        assert_eq!(reached.len(), 1);
        assert_eq!(reached[0].step, Step::AttendancePlan);
        assert_eq!(
            reached[0].why,
            "88.40% over 12 school weeks (221 of 250 sessions attended, 29 unauthorised): \
             below 90.00%"
        );
    }

    #[test]
    fn ten_school_days_of_unexplained_absence() {
        let days = weekdays("2026-11-02", 3, &[]);
        let policy = CasePolicy::default();
        let run_of = |count: usize| -> BTreeSet<NaiveDate> {
            days[days.len() - count..].iter().copied().collect()
        };
        let today = *days.last().unwrap();
        assert_eq!(unexplained_run(&days, &run_of(10), today), 10);
        assert_eq!(unexplained_run(&days, &run_of(9), today), 9);
        // Today not yet marked does not break the run.
        let yesterday_run: BTreeSet<NaiveDate> = days[days.len() - 11..days.len() - 1]
            .iter()
            .copied()
            .collect();
        assert_eq!(unexplained_run(&days, &yesterday_run, today), 10);
        let evidence = |run| PupilEvidence {
            sessions: tally(40, 60),
            weeks: 3,
            window: None,
            unexplained_run: run,
        };
        assert!(
            triggers(&policy, &evidence(10))
                .iter()
                .any(|t| t.step == Step::TenDayNotice)
        );
        assert!(
            !triggers(&policy, &evidence(9))
                .iter()
                .any(|t| t.step == Step::TenDayNotice)
        );
    }
}
