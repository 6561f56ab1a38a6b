//! The statistics engine: the figures of any period for any group of enrolments (a pupil, a
//! form, a year, the whole school, a trust, or pupils sharing a characteristic), read from
//! running totals that every write of marks keeps correct. The arithmetic is
//! `domain::figures`; this module picks the enrolments and groups them.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod queries;

pub use pages::{AttendancePage, PupilAttendance};

use std::collections::BTreeMap;

use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::figures::{GroupFigures, Tally};

/// One enrolment's sessions over a period, with what it is grouped by.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PupilFigures {
    pub school_id: Uuid,
    pub pupil_id: Uuid,
    pub upn: String,
    /// Last name, first name.
    pub name: String,
    pub form: String,
    pub year: String,
    pub nc_year: i32,
    /// N (none), K (SEN support) or E (education, health and care plan).
    pub sen_status: String,
    pub free_school_meals: bool,
    pub eal: bool,
    pub sex: String,
    pub sessions: Tally,
}

/// What a breakdown groups enrolments by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    Pupil,
    Form,
    Year,
    Sen,
    Fsm,
    Eal,
    Sex,
    School,
}

impl Grouping {
    pub const FOR_A_SCHOOL: [Grouping; 7] = [
        Grouping::Year,
        Grouping::Form,
        Grouping::Pupil,
        Grouping::Sen,
        Grouping::Fsm,
        Grouping::Eal,
        Grouping::Sex,
    ];

    pub fn parse(text: &str) -> Result<Grouping, String> {
        Ok(match text {
            "pupil" => Grouping::Pupil,
            "form" => Grouping::Form,
            "year" => Grouping::Year,
            "sen" => Grouping::Sen,
            "fsm" => Grouping::Fsm,
            "eal" => Grouping::Eal,
            "sex" => Grouping::Sex,
            "school" => Grouping::School,
            other => {
                return Err(format!(
                    "\"{other}\" is not a grouping: use pupil, form, year, sen, fsm, eal, sex or school"
                ));
            }
        })
    }

    pub fn key(self) -> &'static str {
        match self {
            Grouping::Pupil => "pupil",
            Grouping::Form => "form",
            Grouping::Year => "year",
            Grouping::Sen => "sen",
            Grouping::Fsm => "fsm",
            Grouping::Eal => "eal",
            Grouping::Sex => "sex",
            Grouping::School => "school",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Grouping::Pupil => "Pupil",
            Grouping::Form => "Form",
            Grouping::Year => "Year",
            Grouping::Sen => "Special educational needs",
            Grouping::Fsm => "Free school meals",
            Grouping::Eal => "English as an additional language",
            Grouping::Sex => "Sex",
            Grouping::School => "School",
        }
    }

    /// The group an enrolment falls in: a sort key and the label people read.
    fn of(self, pupil: &PupilFigures) -> (String, String) {
        let yes_no = |flag: bool, yes: &str, no: &str| {
            if flag {
                ("0".to_string(), yes.to_string())
            } else {
                ("1".to_string(), no.to_string())
            }
        };
        match self {
            Grouping::Pupil => (
                format!("{}\u{0}{}", pupil.name.to_lowercase(), pupil.pupil_id),
                pupil.name.clone(),
            ),
            Grouping::Form => (
                format!("{:03}{}", pupil.nc_year + 1, pupil.form),
                if pupil.form.is_empty() {
                    "No form".to_string()
                } else {
                    pupil.form.clone()
                },
            ),
            Grouping::Year => (format!("{:03}", pupil.nc_year + 1), pupil.year.clone()),
            Grouping::Sen => match pupil.sen_status.as_str() {
                "E" => ("0".into(), "Education, health and care plan".into()),
                "K" => ("1".into(), "SEN support".into()),
                _ => ("2".into(), "No identified SEN".into()),
            },
            Grouping::Fsm => yes_no(
                pupil.free_school_meals,
                "Eligible for free school meals",
                "Not eligible for free school meals",
            ),
            Grouping::Eal => yes_no(
                pupil.eal,
                "English as an additional language",
                "English as a first language",
            ),
            Grouping::Sex => match pupil.sex.as_str() {
                "F" => ("0".into(), "Female".into()),
                _ => ("1".into(), "Male".into()),
            },
            Grouping::School => (pupil.school_id.to_string(), String::new()),
        }
    }
}

/// One line of a breakdown: a group's figures with the rates worked out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FiguresLine {
    /// The group's name: a form, a year, a pupil's name, "Female"…
    pub group: String,
    /// The pupil's id or the school's id when grouped by pupil or school.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    pub enrolments: i64,
    pub possible: i64,
    pub present: i64,
    pub aea: i64,
    pub authorised: i64,
    pub unauthorised: i64,
    pub late_before_close: i64,
    pub late_after_close: i64,
    /// (present + AEA) ÷ possible × 100, to two decimal places; null with no possible sessions.
    pub attendance_percent: Option<f64>,
    pub absence_percent: Option<f64>,
    pub authorised_percent: Option<f64>,
    pub unauthorised_percent: Option<f64>,
    /// Enrolments absent for 10% or more of their own possible sessions.
    pub persistent_absentees: i64,
    /// Enrolments absent for 50% or more.
    pub severe_absentees: i64,
    pub persistent_absence_percent: Option<f64>,
    pub severe_absence_percent: Option<f64>,
}

fn two_places(value: Option<f64>) -> Option<f64> {
    value.map(|value| (value * 100.0).round() / 100.0)
}

impl FiguresLine {
    pub fn new(group: String, figures: &GroupFigures) -> FiguresLine {
        let sessions = &figures.sessions;
        FiguresLine {
            group,
            id: None,
            upn: None,
            enrolments: figures.enrolments,
            possible: sessions.possible(),
            present: sessions.present,
            aea: sessions.aea,
            authorised: sessions.authorised,
            unauthorised: sessions.unauthorised,
            late_before_close: sessions.late_before_close,
            late_after_close: sessions.late_after_close,
            attendance_percent: two_places(sessions.attendance_percent()),
            absence_percent: two_places(sessions.absence_percent()),
            authorised_percent: two_places(sessions.authorised_percent()),
            unauthorised_percent: two_places(sessions.unauthorised_percent()),
            persistent_absentees: figures.persistent_absentees,
            severe_absentees: figures.severe_absentees,
            persistent_absence_percent: two_places(figures.persistent_absence_percent()),
            severe_absence_percent: two_places(figures.severe_absence_percent()),
        }
    }
}

/// A breakdown of a period: a line per group and the total.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Breakdown {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: String,
    pub groups: Vec<FiguresLine>,
    pub total: FiguresLine,
}

/// Groups enrolments' figures. Every enrolment is judged for persistent and severe absence on
/// its own sessions before it is added to a group.
pub fn breakdown(
    pupils: &[PupilFigures],
    by: Grouping,
    from: NaiveDate,
    to: NaiveDate,
) -> Breakdown {
    let mut groups: BTreeMap<(String, String), (GroupFigures, Option<&PupilFigures>)> =
        BTreeMap::new();
    let mut total = GroupFigures::default();
    for pupil in pupils {
        let entry = groups.entry(by.of(pupil)).or_default();
        entry.0.add_enrolment(&pupil.sessions);
        entry.1 = Some(pupil);
        total.add_enrolment(&pupil.sessions);
    }
    let groups = groups
        .into_iter()
        .filter(|(_, (figures, _))| by != Grouping::Pupil || figures.enrolments > 0)
        .map(|((_, label), (figures, pupil))| {
            let mut line = FiguresLine::new(label, &figures);
            match by {
                Grouping::Pupil => {
                    line.id = pupil.map(|p| p.pupil_id);
                    line.upn = pupil.map(|p| p.upn.clone());
                }
                Grouping::School => line.id = pupil.map(|p| p.school_id),
                _ => {}
            }
            line
        })
        .collect();
    Breakdown {
        from,
        to,
        by: by.key().to_string(),
        groups,
        total: FiguresLine::new("All pupils".to_string(), &total),
    }
}

/// Checks a period a person asked for.
pub fn check_period(from: NaiveDate, to: NaiveDate) -> Result<(), String> {
    if to < from {
        return Err(format!("The period ends ({to}) before it starts ({from})."));
    }
    if (to - from).num_days() > 366 * 7 {
        return Err("Choose a period of at most seven years.".to_string());
    }
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "attendance/breakdown")]
pub async fn load_breakdown(
    school_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    by: Grouping,
) -> Result<Breakdown, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    server::require(Permission::ViewReports, school_id)?;
    check_period(from, to).map_err(server::invalid)?;
    let pupils = queries::pupil_figures(&server::pool()?, &[school_id], from, to)
        .await
        .map_err(server::internal)?;
    Ok(breakdown(&pupils, by, from, to))
}

/// A pupil's marks and figures for their attendance page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PupilAttendanceRecord {
    pub pupil_id: Uuid,
    pub name: String,
    pub upn: String,
    pub form: String,
    pub admitted_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Every day of the period with its kind and the two sessions' marks.
    pub days: Vec<CalendarDay>,
    pub sessions: Tally,
    /// How many sessions had each code, most first.
    pub by_code: Vec<(String, i64)>,
    /// The attendance to date at the end of each school week, for the trend.
    pub weekly: Vec<(NaiveDate, Option<f64>)>,
    pub late_minutes_total: i64,
    /// Every amendment, newest first.
    pub amendments: Vec<crate::registers::MarkChange>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDay {
    pub date: NaiveDate,
    /// School day, closure (`#`), weekend or holiday, before admission or after leaving.
    pub kind: CalendarDayKind,
    pub am: Option<crate::registers::SessionMark>,
    pub pm: Option<crate::registers::SessionMark>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CalendarDayKind {
    SchoolDay,
    Closed,
    NoSchool,
    NotOnRoll,
}

#[server(prefix = "/api/fn", endpoint = "attendance/pupil")]
pub async fn load_pupil_attendance(
    school_id: Uuid,
    pupil_id: Uuid,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<PupilAttendanceRecord, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    server::require(Permission::ViewPupils, school_id)?;
    if let (Some(from), Some(to)) = (from, to) {
        check_period(from, to).map_err(server::invalid)?;
    }
    queries::pupil_attendance(&server::pool()?, school_id, pupil_id, from, to)
        .await
        .map_err(server::internal)?
        .ok_or_else(|| server::not_found("There is no such pupil at this school."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pupil(form: &str, fsm: bool, sessions: Tally) -> PupilFigures {
        PupilFigures {
            school_id: Uuid::nil(),
            pupil_id: Uuid::new_v4(),
            upn: String::new(),
            name: format!("Pupil {form}"),
            form: form.to_string(),
            year: "Year 7".to_string(),
            nc_year: 7,
            sen_status: "N".to_string(),
            free_school_meals: fsm,
            eal: false,
            sex: "F".to_string(),
            sessions,
        }
    }

    #[test]
    fn groups_sum_sessions_and_judge_each_pupil_alone() {
        let good = Tally {
            present: 95,
            authorised: 5,
            ..Tally::default()
        };
        let poor = Tally {
            present: 80,
            unauthorised: 20,
            ..Tally::default()
        };
        let gone = Tally::default();
        let pupils = [
            pupil("7A", false, good),
            pupil("7A", true, poor),
            pupil("7B", true, gone),
        ];
        let by_form = breakdown(&pupils, Grouping::Form, NaiveDate::MIN, NaiveDate::MAX);
        assert_eq!(by_form.groups.len(), 2);
        let a = &by_form.groups[0];
        assert_eq!((a.group.as_str(), a.enrolments, a.possible), ("7A", 2, 200));
        assert_eq!(a.attendance_percent, Some(87.5));
        assert_eq!(a.persistent_absentees, 1);
        assert_eq!(a.persistent_absence_percent, Some(50.0));
        // 7B's only pupil had no possible sessions in the period: not an enrolment then.
        assert_eq!(by_form.groups[1].enrolments, 0);
        assert_eq!(by_form.total.enrolments, 2);

        let by_fsm = breakdown(&pupils, Grouping::Fsm, NaiveDate::MIN, NaiveDate::MAX);
        assert_eq!(by_fsm.groups[0].group, "Eligible for free school meals");
        assert_eq!(by_fsm.groups[0].unauthorised_percent, Some(20.0));
    }
}
