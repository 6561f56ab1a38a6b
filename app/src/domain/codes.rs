//! The DfE attendance codes in force since 19 August 2024 (School Attendance (Pupil
//! Registration) (England) Regulations 2024, SI 2024/208), each with its meaning and the
//! statistical category the DfE's absence methodology puts it in. Where this table and a later
//! statutory text disagree, the statute wins.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How a code counts in the figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// In school: counts as a possible session and as attendance.
    Present,
    /// Attending approved educational activity off site: possible, and counts as attendance.
    ApprovedActivity,
    /// Authorised absence: possible, absent.
    Authorised,
    /// Unauthorised absence: possible, absent.
    Unauthorised,
    /// Not a possible session (dual registration, unable to attend, not of compulsory age).
    NotPossible,
    /// Administrative (not on roll yet, planned closure): not a possible session.
    Administrative,
}

impl Category {
    pub fn label(self) -> &'static str {
        match self {
            Category::Present => "Present",
            Category::ApprovedActivity => "Attending approved educational activity",
            Category::Authorised => "Authorised absence",
            Category::Unauthorised => "Unauthorised absence",
            Category::NotPossible => "Not a possible session",
            Category::Administrative => "Administrative",
        }
    }

    /// Whether a session with this code counts toward possible sessions.
    pub fn is_possible(self) -> bool {
        matches!(
            self,
            Category::Present
                | Category::ApprovedActivity
                | Category::Authorised
                | Category::Unauthorised
        )
    }

    /// Whether the pupil is counted as attending (in school or at approved activity).
    pub fn is_attending(self) -> bool {
        matches!(self, Category::Present | Category::ApprovedActivity)
    }

    /// The short name used in the database and in the JSON API.
    pub fn key(self) -> &'static str {
        match self {
            Category::Present => "present",
            Category::ApprovedActivity => "aea",
            Category::Authorised => "authorised",
            Category::Unauthorised => "unauthorised",
            Category::NotPossible => "not_possible",
            Category::Administrative => "administrative",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $text:literal, $category:ident, $meaning:literal;)*) => {
        /// One register code. `Code::parse` is the only way in from text.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($variant),* }

        impl Code {
            /// Every code in force, in the order the DfE lists them.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as written in the register: `/`, `L`, `Y3`…
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text),* }
            }

            pub fn category(self) -> Category {
                match self { $(Code::$variant => Category::$category),* }
            }

            /// What the code means, in the DfE's words.
            pub fn meaning(self) -> &'static str {
                match self { $(Code::$variant => $meaning),* }
            }

            /// Reads a code in force. Withdrawn codes are refused here; imports of historic
            /// registers go through [`Code::parse_historic`].
            pub fn parse(text: &str) -> Result<Code, UnknownCode> {
                let trimmed = text.trim();
                match trimmed.to_ascii_uppercase().as_str() {
                    $($text => Ok(Code::$variant),)*
                    _ => Err(UnknownCode(trimmed.to_string())),
                }
            }
        }
    };
}

codes! {
    PresentAm = "/", Present, "Present (AM)";
    PresentPm = "\\", Present, "Present (PM)";
    Late = "L", Present, "Late: arrived before the register closed";
    LocalAuthorityProvision = "K", ApprovedActivity, "Attending education provision arranged by the local authority";
    EducationalVisit = "V", ApprovedActivity, "Educational visit or trip";
    SportingActivity = "P", ApprovedActivity, "Approved sporting activity";
    WorkExperience = "W", ApprovedActivity, "Work experience";
    OtherApprovedActivity = "B", ApprovedActivity, "Other approved supervised educational activity off site (not remote learning)";
    DualRegistered = "D", NotPossible, "Dual registered: attending the other school";
    PerformanceAbroad = "C1", Authorised, "Leave for a regulated performance or regulated employment abroad";
    Medical = "M", Authorised, "Medical or dental appointment";
    Interview = "J1", Authorised, "Interview for employment or admission to another institution";
    StudyLeave = "S", Authorised, "Study leave";
    NotCompulsoryAge = "X", NotPossible, "Non-compulsory school age, not required to attend";
    TransportUnavailable = "Y1", NotPossible, "Unable to attend: usual transport not available";
    TravelDisruption = "Y2", NotPossible, "Unable to attend: widespread travel disruption";
    PartClosed = "Y3", NotPossible, "Unable to attend: part of the school premises closed";
    SiteClosed = "Y4", NotPossible, "Unable to attend: whole school site unexpectedly closed";
    Detention = "Y5", NotPossible, "Unable to attend: in criminal justice detention";
    PublicHealth = "Y6", NotPossible, "Unable to attend: public health guidance or law";
    OtherUnavoidable = "Y7", NotPossible, "Unable to attend: any other unavoidable cause";
    NoAccessArrangements = "Q", NotPossible, "Unable to attend: lack of access arrangements by the local authority";
    ReducedTimetable = "C2", Authorised, "Leave for a temporary reduced (part-time) timetable, compulsory school age";
    ExceptionalLeave = "C", Authorised, "Leave for exceptional circumstances";
    Excluded = "E", Authorised, "Suspended or permanently excluded, no alternative provision";
    Illness = "I", Authorised, "Illness";
    Religious = "R", Authorised, "Religious observance";
    Travelling = "T", Authorised, "Parent travelling for occupational purposes";
    HolidayNotGranted = "G", Unauthorised, "Holiday not granted by the school";
    NoReasonYet = "N", Unauthorised, "Reason for absence not yet established";
    OtherUnauthorised = "O", Unauthorised, "Absent in other or unknown circumstances";
    LateAfterClose = "U", Unauthorised, "Arrived after the register closed";
    NotOnRoll = "Z", Administrative, "Prospective pupil not on admission register";
    PlannedClosure = "#", Administrative, "Planned whole- or partial-school closure";
}

/// A code that is not in the set in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownCode(pub String);

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            write!(f, "the attendance code is empty")
        } else {
            write!(f, "\"{}\" is not an attendance code in force", self.0)
        }
    }
}

impl std::error::Error for UnknownCode {}

/// How a withdrawn code from a register before August 2024 was read on import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoricMapping {
    pub withdrawn: &'static str,
    pub now: Code,
    pub why: &'static str,
}

/// The codes withdrawn in August 2024 and what each becomes. H (authorised holiday) has no
/// successor: term-time holiday can no longer be authorised, so it is kept as authorised leave
/// for exceptional circumstances (C), which is how it counted at the time.
pub const HISTORIC: &[HistoricMapping] = &[
    HistoricMapping {
        withdrawn: "H",
        now: Code::ExceptionalLeave,
        why: "H (authorised holiday) was withdrawn; it counted as authorised absence, now C",
    },
    HistoricMapping {
        withdrawn: "J",
        now: Code::Interview,
        why: "J (interview) became J1",
    },
    HistoricMapping {
        withdrawn: "Y",
        now: Code::OtherUnavoidable,
        why: "Y (unable to attend, exceptional circumstances) became Y1–Y7; read as Y7, any other unavoidable cause",
    },
    HistoricMapping {
        withdrawn: "F",
        now: Code::ExceptionalLeave,
        why: "F (extended family holiday, agreed) was withdrawn; it counted as authorised absence, now C",
    },
];

impl Code {
    /// Reads a code from a register kept before August 2024: a code in force as it is, or a
    /// withdrawn one through [`HISTORIC`], saying which mapping it used.
    pub fn parse_historic(
        text: &str,
    ) -> Result<(Code, Option<&'static HistoricMapping>), UnknownCode> {
        match Code::parse(text) {
            Ok(code) => Ok((code, None)),
            Err(unknown) => HISTORIC
                .iter()
                .find(|mapping| mapping.withdrawn.eq_ignore_ascii_case(text.trim()))
                .map(|mapping| (mapping.now, Some(mapping)))
                .ok_or(unknown),
        }
    }

    /// The present mark for a session: `/` in the morning, `\` in the afternoon.
    pub fn present(session: Session) -> Code {
        match session {
            Session::Am => Code::PresentAm,
            Session::Pm => Code::PresentPm,
        }
    }

    /// Whether a mark with this code records minutes late (L and U).
    pub fn is_late(self) -> bool {
        matches!(self, Code::Late | Code::LateAfterClose)
    }

    /// Codes a person may choose when taking a register (all but the administrative ones the
    /// calendar sets itself).
    pub fn for_registers() -> impl Iterator<Item = Code> {
        Code::ALL
            .iter()
            .copied()
            .filter(|code| !matches!(code, Code::NotOnRoll | Code::PlannedClosure))
    }
}

/// The mark for a pupil arriving after the register opened: L with the minutes late while the
/// register is open, U from the moment it closes (the 2024 regulations). Minutes are whole
/// minutes after the register opened; `None` within the first minute, which is on time. The late door decides with this on the device, and the server checks with it too.
pub fn arrival_mark(
    register_opens: chrono::NaiveTime,
    register_open_minutes: i32,
    arrived: chrono::NaiveTime,
) -> Option<(Code, i32)> {
    let minutes_late = (arrived - register_opens).num_minutes();
    if minutes_late <= 0 {
        return None;
    }
    let minutes_late = i32::try_from(minutes_late).unwrap_or(i32::MAX);
    let closes = register_opens + chrono::Duration::minutes(i64::from(register_open_minutes));
    let code = if arrived < closes {
        Code::Late
    } else {
        Code::LateAfterClose
    };
    Some((code, minutes_late))
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Code::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Morning or afternoon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Session {
    #[serde(rename = "AM")]
    Am,
    #[serde(rename = "PM")]
    Pm,
}

impl Session {
    pub const BOTH: [Session; 2] = [Session::Am, Session::Pm];

    pub fn as_str(self) -> &'static str {
        match self {
            Session::Am => "AM",
            Session::Pm => "PM",
        }
    }

    pub fn parse(text: &str) -> Result<Session, String> {
        match text.trim().to_ascii_uppercase().as_str() {
            "AM" | "A" | "MORNING" => Ok(Session::Am),
            "PM" | "P" | "AFTERNOON" => Ok(Session::Pm),
            other => Err(format!("\"{other}\" is not a session: use AM or PM")),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Session::Am => "Morning",
            Session::Pm => "Afternoon",
        }
    }
}

impl fmt::Display for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_itself() {
        for code in Code::ALL {
            assert_eq!(Code::parse(code.as_str()), Ok(*code));
            assert_eq!(Code::parse(&code.as_str().to_lowercase()), Ok(*code));
        }
        assert_eq!(Code::ALL.len(), 34);
    }

    #[test]
    fn the_categories_follow_the_dfe_table() {
        let in_category = |category| {
            Code::ALL
                .iter()
                .filter(|code| code.category() == category)
                .map(|code| code.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(in_category(Category::Present), "/ \\ L");
        assert_eq!(in_category(Category::ApprovedActivity), "K V P W B");
        assert_eq!(in_category(Category::Authorised), "C1 M J1 S C2 C E I R T");
        assert_eq!(in_category(Category::Unauthorised), "G N O U");
        assert_eq!(
            in_category(Category::NotPossible),
            "D X Y1 Y2 Y3 Y4 Y5 Y6 Y7 Q"
        );
        assert_eq!(in_category(Category::Administrative), "Z #");
    }

    #[test]
    fn an_unknown_code_is_named_in_the_error() {
        let error = Code::parse(" H ").unwrap_err();
        assert_eq!(
            error.to_string(),
            "\"H\" is not an attendance code in force"
        );
        assert_eq!(
            Code::parse("").unwrap_err().to_string(),
            "the attendance code is empty"
        );
    }

    #[test]
    fn late_before_the_register_closes_is_l_and_after_is_u() {
        let opens = chrono::NaiveTime::from_hms_opt(8, 40, 0).unwrap();
        let at = |h, m, s| chrono::NaiveTime::from_hms_opt(h, m, s).unwrap();
        assert_eq!(arrival_mark(opens, 30, at(8, 40, 0)), None);
        assert_eq!(arrival_mark(opens, 30, at(8, 35, 0)), None);
        assert_eq!(arrival_mark(opens, 30, at(8, 41, 0)), Some((Code::Late, 1)));
        assert_eq!(
            arrival_mark(opens, 30, at(9, 9, 59)),
            Some((Code::Late, 29))
        );
        assert_eq!(
            arrival_mark(opens, 30, at(9, 10, 0)),
            Some((Code::LateAfterClose, 30))
        );
        assert_eq!(
            arrival_mark(opens, 15, at(9, 0, 0)),
            Some((Code::LateAfterClose, 20))
        );
    }

    #[test]
    fn withdrawn_codes_map_and_say_how() {
        let (code, mapping) = Code::parse_historic("h").unwrap();
        assert_eq!(code, Code::ExceptionalLeave);
        assert!(mapping.unwrap().why.contains("H (authorised holiday)"));
        assert_eq!(Code::parse_historic("J").unwrap().0, Code::Interview);
        assert_eq!(Code::parse_historic("Y").unwrap().0, Code::OtherUnavoidable);
        assert_eq!(Code::parse_historic("I").unwrap(), (Code::Illness, None));
        assert!(Code::parse_historic("QQ").is_err());
    }
}
