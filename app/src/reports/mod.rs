//! The reports leaders, tutors, governors and the local authority ask for: the day's overview
//! for the office (with the fire register), the regular reports (daily absence, the weekly
//! N-code report, persistent and severe absence with the at-risk band, falling attendance,
//! lateness, penalty notices and cases), breakdowns beside the national figures and last year,
//! and the trust's schools side by side.
//!
//! Every figure of attendance comes from the statistics engine (`attendance::queries::
//! pupil_figures` and `domain::figures`); this module only picks periods and arranges the
//! results. Every report is a list of tables of cells, so the page, the CSV, the Excel
//! workbook and the printed page show the same thing.

pub mod charts;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod queries;
pub mod today;

pub use pages::ReportsPage;

use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::attendance::Grouping;

/// The reports a school can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    DailyAbsence,
    NCodes,
    PersistentAbsence,
    Falling,
    Lateness,
    Casework,
    Breakdown,
}

impl ReportKind {
    pub const ALL: [ReportKind; 7] = [
        ReportKind::DailyAbsence,
        ReportKind::NCodes,
        ReportKind::PersistentAbsence,
        ReportKind::Falling,
        ReportKind::Lateness,
        ReportKind::Casework,
        ReportKind::Breakdown,
    ];

    /// The name in addresses and file names.
    pub fn key(self) -> &'static str {
        match self {
            ReportKind::DailyAbsence => "daily-absence",
            ReportKind::NCodes => "n-codes",
            ReportKind::PersistentAbsence => "persistent-absence",
            ReportKind::Falling => "falling-attendance",
            ReportKind::Lateness => "lateness",
            ReportKind::Casework => "penalty-notices-and-cases",
            ReportKind::Breakdown => "breakdown",
        }
    }

    pub fn parse(key: &str) -> Option<ReportKind> {
        ReportKind::ALL.into_iter().find(|kind| kind.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            ReportKind::DailyAbsence => "Daily absence",
            ReportKind::NCodes => "N codes by form tutor",
            ReportKind::PersistentAbsence => "Persistent and severe absence",
            ReportKind::Falling => "Falling attendance",
            ReportKind::Lateness => "Lateness",
            ReportKind::Casework => "Penalty notices and cases",
            ReportKind::Breakdown => "Breakdown and comparison",
        }
    }

    /// What the report is for, under its heading.
    pub fn purpose(self) -> &'static str {
        match self {
            ReportKind::DailyAbsence => {
                "Every pupil absent on the last day of the period, with the reason recorded, \
                 for leaders."
            }
            ReportKind::NCodes => {
                "Sessions still marked N (no reason yet) in the period, by form and its tutor: \
                 each must be replaced by a proper code within 5 school days."
            }
            ReportKind::PersistentAbsence => {
                "Pupils persistently absent (10% or more of possible sessions), severely absent \
                 (50% or more), and at risk (below the school's first-letter threshold)."
            }
            ReportKind::Falling => {
                "Pupils whose attendance in the last four weeks of the period fell most below \
                 their attendance before them."
            }
            ReportKind::Lateness => {
                "Sessions late before the register closed (L) and after it (U), by form and by \
                 pupil."
            }
            ReportKind::Casework => {
                "Penalty notices issued in the period, paid, unpaid and withdrawn, and the open \
                 cases at each stage of the ladder."
            }
            ReportKind::Breakdown => {
                "Attendance and absence by group, beside the same period last year and the \
                 national figures."
            }
        }
    }

    /// Whether the group switch changes this report.
    pub fn uses_grouping(self) -> bool {
        matches!(self, ReportKind::Breakdown | ReportKind::PersistentAbsence)
    }
}

/// One cell of a report: kept typed so the workbook has numbers, not text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Cell {
    Text(String),
    Count(i64),
    /// A percentage, `None` with nothing to divide by.
    Percent(Option<f64>),
    Date(NaiveDate),
    /// A published percentage (the national figures), shown as published: two places.
    Published(f64),
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Cell {
        Cell::Text(text.into())
    }

    /// As the page and the CSV show it: percentages to one decimal place, as schools print
    /// them; dates as ISO dates so a spreadsheet reads them.
    pub fn display(&self) -> String {
        match self {
            Cell::Text(text) => text.clone(),
            Cell::Count(count) => count.to_string(),
            Cell::Percent(value) => match value {
                Some(value) => format!("{value:.1}"),
                None => String::new(),
            },
            Cell::Date(date) => date.to_string(),
            Cell::Published(value) => format!("{value:.2}"),
        }
    }
}

/// One table of a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub title: String,
    /// A short name for a worksheet (at most 31 characters, Excel's limit).
    pub sheet: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// The table's total line, when it has one.
    pub total: Option<Vec<Cell>>,
}

impl Table {
    pub fn new(title: &str, sheet: &str, columns: &[&str]) -> Table {
        Table {
            title: title.to_string(),
            sheet: sheet.chars().take(31).collect(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
            total: None,
        }
    }
}

/// A chart's numbers: points along one axis, optionally with a reference line (the national
/// figure). Drawn as SVG by `charts`, with the same numbers as a table beside it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    pub kind: ChartKind,
    pub title: String,
    /// What the chart shows, in a sentence, for screen readers and the printed page.
    pub description: String,
    /// The label of the points' axis ("Week beginning", "Band").
    pub axis: String,
    /// The label of the values ("Attendance %", "Pupils").
    pub unit: String,
    pub points: Vec<(String, Option<f64>)>,
    pub reference: Option<(String, f64)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChartKind {
    Line,
    Bars,
}

/// A report as run for a school and a period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub kind: ReportKind,
    pub school_id: Uuid,
    pub school_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: Grouping,
    pub tables: Vec<Table>,
    pub charts: Vec<Chart>,
}

impl Report {
    /// The file name of an export, without its extension.
    pub fn file_stem(&self) -> String {
        format!("{}-{}-to-{}", self.kind.key(), self.from, self.to)
    }
}

/// A national figure for comparison, with where it comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NationalFigure {
    /// What is measured, as the table keys it: `absence_all`, `pa_fsm`…
    pub key: String,
    /// What is measured, in words: "Overall absence, all schools".
    pub measure: String,
    pub percent: f64,
    pub source: String,
    /// The period it covers, as published ("Autumn term 2024/25").
    pub period: String,
    pub recorded_on: NaiveDate,
}

/// The groupings a report can be switched between.
pub const GROUPINGS: [Grouping; 6] = [
    Grouping::Year,
    Grouping::Form,
    Grouping::Sen,
    Grouping::Fsm,
    Grouping::Eal,
    Grouping::Sex,
];

#[server(prefix = "/api/fn", endpoint = "reports/run")]
pub async fn run_report(
    school_id: Uuid,
    kind: ReportKind,
    from: NaiveDate,
    to: NaiveDate,
    by: Grouping,
) -> Result<Report, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    server::require(Permission::ViewReports, school_id)?;
    crate::attendance::check_period(from, to).map_err(server::invalid)?;
    if !GROUPINGS.contains(&by) {
        return Err(server::invalid(
            "Group by year, form, SEN, FSM, EAL or sex.",
        ));
    }
    queries::report(&server::pool()?, school_id, kind, from, to, by)
        .await
        .map_err(server::internal)?
        .ok_or_else(|| server::not_found("There is no such school."))
}

/// The trust's schools side by side, for people who may see the whole trust.
#[server(prefix = "/api/fn", endpoint = "reports/trust")]
pub async fn run_trust_report(from: NaiveDate, to: NaiveDate) -> Result<Report, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    let viewer = server::require_viewer()?;
    // Trust-wide roles hold the permission at every school of the trust; anyone else is
    // refused here with a 403.
    let first = viewer.schools.first().map(|s| s.id).unwrap_or_default();
    server::require(Permission::ViewTrust, first)?;
    let schools: Vec<_> = viewer
        .schools
        .iter()
        .filter(|school| viewer.can(Permission::ViewTrust, school.id))
        .cloned()
        .collect();
    crate::attendance::check_period(from, to).map_err(server::invalid)?;
    queries::trust_report(&server::pool()?, &schools, from, to)
        .await
        .map_err(server::internal)
}
