//! Meetings on a case and the attendance plan agreed at one: the kinds of meeting, and whether
//! a plan's target was met.

use serde::{Deserialize, Serialize};

use super::{figures::Tally, triggers::hundredths};

/// The meetings of the ladder, from the school's first talk with the family to the last before
/// legal action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MeetingKind {
    AttendanceMeeting,
    Panel,
    PreLegal,
}

impl MeetingKind {
    pub const ALL: [MeetingKind; 3] = [
        MeetingKind::AttendanceMeeting,
        MeetingKind::Panel,
        MeetingKind::PreLegal,
    ];

    pub fn key(self) -> &'static str {
        match self {
            MeetingKind::AttendanceMeeting => "attendance_meeting",
            MeetingKind::Panel => "panel",
            MeetingKind::PreLegal => "pre_legal",
        }
    }

    pub fn from_key(key: &str) -> Result<MeetingKind, String> {
        MeetingKind::ALL
            .into_iter()
            .find(|kind| kind.key() == key)
            .ok_or_else(|| {
                format!(
                    "\"{key}\" is not a kind of meeting: choose an attendance meeting, a panel or a pre-legal meeting."
                )
            })
    }

    pub fn label(self) -> &'static str {
        match self {
            MeetingKind::AttendanceMeeting => "Attendance meeting",
            MeetingKind::Panel => "Attendance panel",
            MeetingKind::PreLegal => "Pre-legal meeting",
        }
    }
}

/// What the review of a plan found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanReview {
    /// Attendance over the plan, in hundredths of a percent; `None` with no possible session.
    pub attendance: Option<i32>,
    pub target_met: bool,
}

impl PlanReview {
    /// Compares in whole sessions, as the bands do: a target of 95% over 40 possible sessions
    /// is met by 38 attended and missed by 37, with no rounding in between. A plan with no
    /// possible session (the pupil left, or a period of closures) has nothing to meet.
    pub fn of(target: i32, sessions: &Tally) -> PlanReview {
        let possible = sessions.possible();
        if possible == 0 {
            return PlanReview {
                attendance: None,
                target_met: false,
            };
        }
        let attending = sessions.attending();
        PlanReview {
            attendance: Some(((attending * 10000 * 2 + possible) / (2 * possible)) as i32),
            target_met: attending * 10000 >= i64::from(target) * possible,
        }
    }

    /// "92.50% against a target of 95.00%: not met."
    pub fn words(&self, target: i32) -> String {
        match self.attendance {
            None => format!(
                "no possible sessions since the plan began, so the target of {} could not be checked",
                hundredths(target)
            ),
            Some(attendance) => format!(
                "{} against a target of {}: {}",
                hundredths(attendance),
                hundredths(target),
                if self.target_met { "met" } else { "not met" }
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions(present: i64, unauthorised: i64) -> Tally {
        Tally {
            present,
            unauthorised,
            ..Tally::default()
        }
    }

    #[test]
    fn a_target_is_met_in_whole_sessions() {
        assert!(PlanReview::of(9500, &sessions(38, 2)).target_met);
        let missed = PlanReview::of(9500, &sessions(37, 3));
        assert!(!missed.target_met);
        assert_eq!(missed.attendance, Some(9250));
        assert_eq!(
            missed.words(9500),
            "92.50% against a target of 95.00%: not met"
        );
    }

    #[test]
    fn a_plan_with_no_possible_session_is_not_met() {
        let review = PlanReview::of(9000, &Tally::default());
        assert_eq!(review.attendance, None);
        assert!(!review.target_met);
    }

    #[test]
    fn an_unknown_kind_says_what_the_kinds_are() {
        assert_eq!(MeetingKind::from_key("panel"), Ok(MeetingKind::Panel));
        assert!(
            MeetingKind::from_key("tea")
                .unwrap_err()
                .contains("pre-legal meeting")
        );
    }
}
