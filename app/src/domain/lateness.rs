//! The late door's rules: which session an arrival belongs to, L or U and the minutes late
//! (from `codes::arrival_mark`), and the sanction the school's policy sets. The tablet decides
//! with these on its own clock while offline; the server decides again with the same functions
//! when the arrival reaches it.

use chrono::{NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use super::codes::{Code, Session, arrival_mark};

/// Why a pupil arrived late, as the late door records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LateReason {
    Transport,
    Medical,
    Overslept,
    Caring,
    Other,
}

impl LateReason {
    pub const ALL: [LateReason; 5] = [
        LateReason::Transport,
        LateReason::Medical,
        LateReason::Overslept,
        LateReason::Caring,
        LateReason::Other,
    ];

    pub fn key(self) -> &'static str {
        match self {
            LateReason::Transport => "transport",
            LateReason::Medical => "medical",
            LateReason::Overslept => "overslept",
            LateReason::Caring => "caring",
            LateReason::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LateReason::Transport => "Transport",
            LateReason::Medical => "Medical",
            LateReason::Overslept => "Overslept",
            LateReason::Caring => "Caring responsibilities",
            LateReason::Other => "Other",
        }
    }

    pub fn from_key(key: &str) -> Option<LateReason> {
        LateReason::ALL
            .into_iter()
            .find(|reason| reason.key() == key)
    }
}

/// A school's late policy: its register times and the sanctions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatePolicy {
    pub am_register_opens: NaiveTime,
    pub pm_register_opens: NaiveTime,
    /// The same every session, at most 30 minutes.
    pub register_open_minutes: i32,
    /// What an L earns (often nothing).
    pub sanction_before_close: String,
    /// What a U earns, for example a same-day detention.
    pub sanction_after_close: String,
    /// Late this many times in a half term is a punctuality concern for the case workflow.
    pub concern_after: i32,
}

/// What the late door records for an arrival.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrivalDecision {
    pub session: Session,
    pub code: Code,
    pub minutes_late: i32,
    pub sanction: String,
}

impl LatePolicy {
    /// The session an arrival at this time belongs to: the afternoon once its register has
    /// opened, the morning before.
    pub fn session_at(&self, time: NaiveTime) -> Session {
        if time >= self.pm_register_opens {
            Session::Pm
        } else {
            Session::Am
        }
    }

    /// L or U, minutes late and the sanction for an arrival at this local date and time; `None`
    /// when the pupil is not late (the register had not opened, or opened less than a minute
    /// before).
    pub fn decide(&self, arrived: NaiveDateTime) -> Option<ArrivalDecision> {
        let session = self.session_at(arrived.time());
        let opens = match session {
            Session::Am => self.am_register_opens,
            Session::Pm => self.pm_register_opens,
        };
        let (code, minutes_late) = arrival_mark(opens, self.register_open_minutes, arrived.time())?;
        let sanction = match code {
            Code::Late => self.sanction_before_close.clone(),
            _ => self.sanction_after_close.clone(),
        };
        Some(ArrivalDecision {
            session,
            code,
            minutes_late,
            sanction,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> LatePolicy {
        LatePolicy {
            am_register_opens: NaiveTime::from_hms_opt(8, 40, 0).unwrap(),
            pm_register_opens: NaiveTime::from_hms_opt(13, 15, 0).unwrap(),
            register_open_minutes: 15,
            sanction_before_close: String::new(),
            sanction_after_close: "Same-day detention".to_string(),
            concern_after: 3,
        }
    }

    fn at(time: &str) -> NaiveDateTime {
        format!("2026-11-23T{time}").parse().unwrap()
    }

    #[test]
    fn an_arrival_is_l_while_the_register_is_open_and_u_after() {
        let policy = policy();
        assert_eq!(policy.decide(at("08:35:00")), None);
        let l = policy.decide(at("08:52:00")).unwrap();
        assert_eq!(
            (l.session, l.code, l.minutes_late, l.sanction.as_str()),
            (Session::Am, Code::Late, 12, "")
        );
        let u = policy.decide(at("09:20:00")).unwrap();
        assert_eq!(
            (u.code, u.minutes_late, u.sanction.as_str()),
            (Code::LateAfterClose, 40, "Same-day detention")
        );
    }

    #[test]
    fn after_the_afternoon_register_opens_it_is_the_afternoon_session() {
        let pm = policy().decide(at("13:20:00")).unwrap();
        assert_eq!(
            (pm.session, pm.code, pm.minutes_late),
            (Session::Pm, Code::Late, 5)
        );
        // Late in the morning, long after close, is still the morning until 13:15.
        let am = policy().decide(at("12:00:00")).unwrap();
        assert_eq!((am.session, am.code), (Session::Am, Code::LateAfterClose));
    }

    #[test]
    fn reasons_round_trip() {
        for reason in LateReason::ALL {
            assert_eq!(LateReason::from_key(reason.key()), Some(reason));
        }
        assert_eq!(LateReason::from_key("bus"), None);
    }
}
