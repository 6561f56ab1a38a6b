//! The reports' queries. Attendance figures always come from the statistics engine
//! (`attendance::queries::pupil_figures`, `school_days`); what is read here directly is what the engine does
//! not count: which sessions hold which code on a day, the N marks, penalty notices, cases and
//! the national figures.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use sqlx::PgPool;
use uuid::Uuid;

use super::{Cell, Chart, ChartKind, NationalFigure, Report, ReportKind, Table};
use crate::{
    attendance::{self, FiguresLine, Grouping, PupilFigures, queries::pupil_figures},
    auth::SchoolRef,
    domain::{
        codes::{Category, Code},
        figures::Tally,
        triggers::{CasePolicy, Step, hundredths, ladder_step},
    },
};

/// How many weeks "the last weeks" of the falling-attendance report are.
pub const RECENT_WEEKS: i64 = 4;
/// How many pupils the falling-attendance report lists.
pub const FALLING_LIST: usize = 30;

/// A report for a school; `None` when there is no such school.
pub async fn report(
    pool: &PgPool,
    school_id: Uuid,
    kind: ReportKind,
    from: NaiveDate,
    to: NaiveDate,
    by: Grouping,
) -> Result<Option<Report>, sqlx::Error> {
    let Some((school_name, phase)) = school(pool, school_id).await? else {
        return Ok(None);
    };
    let mut report = Report {
        kind,
        school_id,
        school_name,
        from,
        to,
        by,
        tables: Vec::new(),
        charts: Vec::new(),
    };
    match kind {
        ReportKind::DailyAbsence => daily_absence(pool, &mut report).await?,
        ReportKind::NCodes => n_codes(pool, &mut report).await?,
        ReportKind::PersistentAbsence => persistent_absence(pool, &mut report).await?,
        ReportKind::Falling => falling(pool, &mut report).await?,
        ReportKind::Lateness => lateness(pool, &mut report).await?,
        ReportKind::Casework => casework(pool, &mut report).await?,
        ReportKind::Breakdown => breakdown(pool, &mut report, &phase).await?,
    }
    Ok(Some(report))
}

async fn school(pool: &PgPool, school_id: Uuid) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as("select name, phase from schools where id = $1")
        .bind(school_id)
        .fetch_optional(pool)
        .await
}

fn category_of(code: &str) -> Option<Category> {
    Code::parse(code).ok().map(Code::category)
}

fn is_absence(code: &str) -> bool {
    matches!(
        category_of(code),
        Some(Category::Authorised | Category::Unauthorised)
    )
}

fn meaning(code: &str) -> String {
    Code::parse(code)
        .map(|code| code.meaning().to_string())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Daily absence
// ---------------------------------------------------------------------------------------------

#[derive(sqlx::FromRow)]
struct DayMark {
    pupil_id: Uuid,
    name: String,
    form: String,
    session: String,
    code: String,
}

/// Every current mark of a day with its pupil, by form and name.
async fn day_marks(
    pool: &PgPool,
    school_id: Uuid,
    date: NaiveDate,
) -> Result<Vec<DayMark>, sqlx::Error> {
    sqlx::query_as(
        "select p.id as pupil_id,
            coalesce(p.preferred_last_name, p.legal_last_name) || ', '
                || coalesce(p.preferred_first_name, p.legal_first_name) as name,
            coalesce(f.name, '') as form, m.session, m.code
         from marks m
         join pupils p on p.school_id = m.school_id and p.id = m.pupil_id
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         where m.school_id = $1 and m.session_date = $2 and m.is_current
         order by form, name, p.id, m.session",
    )
    .bind(school_id)
    .bind(date)
    .fetch_all(pool)
    .await
}

/// The pupils absent on the period's last day, each with the day's two marks, and the day's
/// absent sessions by code.
async fn daily_absence(pool: &PgPool, report: &mut Report) -> Result<(), sqlx::Error> {
    let marks = day_marks(pool, report.school_id, report.to).await?;
    let mut pupils: BTreeMap<(String, String, Uuid), (String, String)> = BTreeMap::new();
    let mut by_code: BTreeMap<String, i64> = BTreeMap::new();
    for mark in &marks {
        let entry = pupils
            .entry((mark.form.clone(), mark.name.clone(), mark.pupil_id))
            .or_default();
        if mark.session == "AM" {
            entry.0 = mark.code.clone();
        } else {
            entry.1 = mark.code.clone();
        }
        if is_absence(&mark.code) {
            *by_code.entry(mark.code.clone()).or_default() += 1;
        }
    }
    let mut absent = Table::new(
        &format!("Pupils absent on {}", report.to.format("%A %-d %B %Y")),
        "Absent pupils",
        &["Pupil", "Form", "AM", "PM", "Reason", "Authorised"],
    );
    for ((form, name, _), (am, pm)) in pupils {
        if !(is_absence(&am) || is_absence(&pm)) {
            continue;
        }
        // The reason is the absent session's code; a pupil absent all day has one code twice.
        let reason_code = if is_absence(&am) { &am } else { &pm };
        let authorised = match category_of(reason_code) {
            Some(Category::Authorised) => "Authorised",
            _ => "Unauthorised",
        };
        absent.rows.push(vec![
            Cell::Text(name),
            Cell::Text(form),
            Cell::Text(am.clone()),
            Cell::Text(pm.clone()),
            Cell::Text(meaning(reason_code)),
            Cell::text(authorised),
        ]);
    }
    let total_pupils = absent.rows.len() as i64;
    absent.total = Some(vec![
        Cell::text("Pupils absent"),
        Cell::Count(total_pupils),
        Cell::text(""),
        Cell::text(""),
        Cell::text(""),
        Cell::text(""),
    ]);
    let mut reasons = Table::new(
        "Absent sessions by reason",
        "By reason",
        &["Code", "Reason", "Category", "Sessions"],
    );
    for (code, sessions) in &by_code {
        reasons.rows.push(vec![
            Cell::Text(code.clone()),
            Cell::Text(meaning(code)),
            Cell::Text(
                category_of(code)
                    .map(|c| c.label())
                    .unwrap_or("")
                    .to_string(),
            ),
            Cell::Count(*sessions),
        ]);
    }
    reasons.total = Some(vec![
        Cell::text("All"),
        Cell::text(""),
        Cell::text(""),
        Cell::Count(by_code.values().sum()),
    ]);
    report.tables = vec![absent, reasons];
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The weekly N-code report
// ---------------------------------------------------------------------------------------------

#[derive(sqlx::FromRow)]
struct NMark {
    form: String,
    tutor: String,
    pupil_id: Uuid,
    name: String,
    session_date: NaiveDate,
    session: String,
}

async fn n_codes(pool: &PgPool, report: &mut Report) -> Result<(), sqlx::Error> {
    let marks: Vec<NMark> = sqlx::query_as(
        "select coalesce(f.name, '') as form, coalesce(s.display_name, '') as tutor,
            p.id as pupil_id,
            coalesce(p.preferred_last_name, p.legal_last_name) || ', '
                || coalesce(p.preferred_first_name, p.legal_first_name) as name,
            m.session_date, m.session
         from marks m
         join pupils p on p.school_id = m.school_id and p.id = m.pupil_id
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         left join staff s on s.id = f.tutor_id
         where m.school_id = $1 and m.is_current and m.code = $4
           and m.session_date between $2 and $3
         order by form, name, p.id, m.session_date, m.session",
    )
    .bind(report.school_id)
    .bind(report.from)
    .bind(report.to)
    .bind(Code::NoReasonYet.as_str())
    .fetch_all(pool)
    .await?;
    let mut forms: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    let mut pupils: BTreeMap<(String, String, Uuid), (String, Vec<&NMark>)> = BTreeMap::new();
    for mark in &marks {
        pupils
            .entry((mark.form.clone(), mark.name.clone(), mark.pupil_id))
            .or_insert_with(|| (mark.tutor.clone(), Vec::new()))
            .1
            .push(mark);
    }
    let mut list = Table::new(
        "Sessions still marked N",
        "Pupils",
        &["Form", "Tutor", "Pupil", "N sessions", "Oldest", "Sessions"],
    );
    for ((form, name, _), (tutor, sessions)) in pupils {
        let entry = forms.entry((form.clone(), tutor.clone())).or_default();
        entry.0 += 1;
        entry.1 += sessions.len() as i64;
        list.rows.push(vec![
            Cell::Text(form),
            Cell::Text(tutor),
            Cell::Text(name),
            Cell::Count(sessions.len() as i64),
            Cell::Date(sessions[0].session_date),
            Cell::Text(
                sessions
                    .iter()
                    .map(|m| format!("{} {}", m.session_date.format("%a %-d %b"), m.session))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ]);
    }
    let mut by_form = Table::new(
        "N codes by form tutor",
        "By form",
        &["Form", "Tutor", "Pupils", "N sessions"],
    );
    for ((form, tutor), (pupils, sessions)) in &forms {
        by_form.rows.push(vec![
            Cell::Text(form.clone()),
            Cell::Text(if tutor.is_empty() {
                "No tutor set".to_string()
            } else {
                tutor.clone()
            }),
            Cell::Count(*pupils),
            Cell::Count(*sessions),
        ]);
    }
    by_form.total = Some(vec![
        Cell::text("All forms"),
        Cell::text(""),
        Cell::Count(forms.values().map(|f| f.0).sum()),
        Cell::Count(marks.len() as i64),
    ]);
    report.tables = vec![by_form, list];
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Persistent and severe absence, the at-risk band
// ---------------------------------------------------------------------------------------------

/// The band a pupil's figures put them in, worst first, with the school's own thresholds.
pub fn band(policy: &CasePolicy, pupil: &PupilFigures) -> Option<String> {
    let sessions = &pupil.sessions;
    if sessions.possible() == 0 {
        None
    } else if sessions.is_severe_absence() {
        Some("Severe absence (50%+ absent)".to_string())
    } else if sessions.is_persistent_absence() {
        Some("Persistent absence (10%+ absent)".to_string())
    } else {
        match ladder_step(policy, sessions) {
            Some(Step::AttendancePlan | Step::Meeting) => Some(format!(
                "At risk: below {}",
                hundredths(policy.meeting_below)
            )),
            Some(Step::FirstLetter) => Some(format!(
                "At risk: below {}",
                hundredths(policy.letter_below)
            )),
            _ => None,
        }
    }
}

async fn persistent_absence(pool: &PgPool, report: &mut Report) -> Result<(), sqlx::Error> {
    let policy = crate::cases::queries::policy(pool, report.school_id).await?;
    let pupils = pupil_figures(pool, &[report.school_id], report.from, report.to).await?;
    let mut listed: Vec<(&PupilFigures, String)> = pupils
        .iter()
        .filter_map(|pupil| band(&policy, pupil).map(|band| (pupil, band)))
        .collect();
    listed.sort_by(|(a, _), (b, _)| {
        let rate = |p: &PupilFigures| p.sessions.attendance_percent().unwrap_or(100.0);
        rate(a)
            .total_cmp(&rate(b))
            .then_with(|| a.name.cmp(&b.name))
    });
    let enrolments = pupils.iter().filter(|p| p.sessions.possible() > 0).count() as i64;
    let mut bands: BTreeMap<String, i64> = BTreeMap::new();
    let mut list = Table::new(
        "Pupils persistently or severely absent, or at risk",
        "Pupils",
        &[
            "Pupil",
            "UPN",
            "Form",
            "Possible sessions",
            "Absent sessions",
            "Attendance %",
            "Unauthorised %",
            "Band",
        ],
    );
    for (pupil, band) in &listed {
        *bands.entry(band.clone()).or_default() += 1;
        list.rows.push(vec![
            Cell::Text(pupil.name.clone()),
            Cell::Text(pupil.upn.clone()),
            Cell::Text(pupil.form.clone()),
            Cell::Count(pupil.sessions.possible()),
            Cell::Count(pupil.sessions.absent()),
            Cell::Percent(pupil.sessions.attendance_percent()),
            Cell::Percent(pupil.sessions.unauthorised_percent()),
            Cell::Text(band.clone()),
        ]);
    }
    let mut summary = Table::new(
        "Pupils in each band",
        "Bands",
        &["Band", "Pupils", "Enrolments %"],
    );
    // Severe first, then persistent, then the at-risk bands: the BTreeMap's order would be
    // alphabetical, which puts "At risk" first.
    let mut ordered: Vec<_> = bands.into_iter().collect();
    ordered.sort_by_key(|(band, _)| {
        (
            !band.starts_with("Severe"),
            !band.starts_with("Persistent"),
            band.clone(),
        )
    });
    for (band, count) in ordered {
        summary.rows.push(vec![
            Cell::Text(band),
            Cell::Count(count),
            Cell::Percent(share(count, enrolments)),
        ]);
    }
    summary.total = Some(vec![
        Cell::text("Enrolments in the period"),
        Cell::Count(enrolments),
        Cell::text(""),
    ]);
    let grouped = attendance::breakdown(&pupils, report.by, report.from, report.to);
    let mut by_group = Table::new(
        &format!(
            "Persistent and severe absence by {}",
            report.by.label().to_lowercase()
        ),
        "By group",
        &[
            report.by.label(),
            "Enrolments",
            "Persistently absent",
            "Persistent absence %",
            "Severely absent",
            "Severe absence %",
        ],
    );
    let pa_cells = |line: &FiguresLine| {
        vec![
            Cell::Text(line.group.clone()),
            Cell::Count(line.enrolments),
            Cell::Count(line.persistent_absentees),
            Cell::Percent(line.persistent_absence_percent),
            Cell::Count(line.severe_absentees),
            Cell::Percent(line.severe_absence_percent),
        ]
    };
    by_group.rows = grouped.groups.iter().map(pa_cells).collect();
    by_group.total = Some(pa_cells(&grouped.total));
    report.tables = vec![summary, list, by_group];
    Ok(())
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

// ---------------------------------------------------------------------------------------------
// Falling attendance
// ---------------------------------------------------------------------------------------------

/// The last weeks of a period and the part before them: the last `RECENT_WEEKS` weeks up to
/// `to`, unless the period is shorter.
pub fn recent_split(
    from: NaiveDate,
    to: NaiveDate,
) -> (Option<(NaiveDate, NaiveDate)>, (NaiveDate, NaiveDate)) {
    let recent_from = (to - Duration::days(RECENT_WEEKS * 7 - 1)).max(from);
    let before = (recent_from > from).then(|| (from, recent_from - Duration::days(1)));
    (before, (recent_from, to))
}

async fn falling(pool: &PgPool, report: &mut Report) -> Result<(), sqlx::Error> {
    let (before, recent) = recent_split(report.from, report.to);
    let mut list = Table::new(
        &format!(
            "Largest falls in attendance: {} to {} against the weeks before",
            recent.0.format("%-d %B"),
            recent.1.format("%-d %B %Y")
        ),
        "Falling",
        &[
            "Pupil",
            "Form",
            "Attendance before %",
            "Attendance in the last weeks %",
            "Fall (points)",
            "Attendance over the period %",
        ],
    );
    if let Some((before_from, before_to)) = before {
        let earlier = pupil_figures(pool, &[report.school_id], before_from, before_to).await?;
        let lately = pupil_figures(pool, &[report.school_id], recent.0, recent.1).await?;
        let earlier: BTreeMap<Uuid, &PupilFigures> =
            earlier.iter().map(|p| (p.pupil_id, p)).collect();
        let mut falls = Vec::new();
        for pupil in &lately {
            let Some(then) = earlier.get(&pupil.pupil_id) else {
                continue;
            };
            if let (Some(was), Some(now)) = (
                then.sessions.attendance_percent(),
                pupil.sessions.attendance_percent(),
            ) && was > now
            {
                let whole = then.sessions + pupil.sessions;
                falls.push((was - now, was, now, whole.attendance_percent(), pupil));
            }
        }
        falls.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.4.name.cmp(&b.4.name)));
        for (fall, was, now, whole, pupil) in falls.into_iter().take(FALLING_LIST) {
            list.rows.push(vec![
                Cell::Text(pupil.name.clone()),
                Cell::Text(pupil.form.clone()),
                Cell::Percent(Some(was)),
                Cell::Percent(Some(now)),
                Cell::Percent(Some(fall)),
                Cell::Percent(whole),
            ]);
        }
    }
    report.tables = vec![list];
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Lateness
// ---------------------------------------------------------------------------------------------

async fn lateness(pool: &PgPool, report: &mut Report) -> Result<(), sqlx::Error> {
    let pupils = pupil_figures(pool, &[report.school_id], report.from, report.to).await?;
    let by_form = attendance::breakdown(&pupils, Grouping::Form, report.from, report.to);
    let late_cells = |line: &FiguresLine| {
        vec![
            Cell::Text(line.group.clone()),
            Cell::Count(line.enrolments),
            Cell::Count(line.late_before_close),
            Cell::Count(line.late_after_close),
            Cell::Count(line.late_before_close + line.late_after_close),
            Cell::Percent(share(
                line.late_before_close + line.late_after_close,
                line.possible,
            )),
        ]
    };
    let mut forms = Table::new(
        "Late sessions by form",
        "By form",
        &[
            "Form",
            "Enrolments",
            "Late before close (L)",
            "Late after close (U)",
            "Late sessions",
            "Possible sessions late %",
        ],
    );
    forms.rows = by_form.groups.iter().map(late_cells).collect();
    forms.total = Some(late_cells(&by_form.total));
    let mut late: Vec<&PupilFigures> = pupils
        .iter()
        .filter(|p| p.sessions.late_before_close + p.sessions.late_after_close > 0)
        .collect();
    late.sort_by(|a, b| {
        let total = |p: &PupilFigures| p.sessions.late_before_close + p.sessions.late_after_close;
        total(b).cmp(&total(a)).then_with(|| a.name.cmp(&b.name))
    });
    let mut list = Table::new(
        "Pupils late in the period",
        "By pupil",
        &[
            "Pupil",
            "Form",
            "Late before close (L)",
            "Late after close (U)",
            "Late sessions",
        ],
    );
    for pupil in late {
        let s = &pupil.sessions;
        list.rows.push(vec![
            Cell::Text(pupil.name.clone()),
            Cell::Text(pupil.form.clone()),
            Cell::Count(s.late_before_close),
            Cell::Count(s.late_after_close),
            Cell::Count(s.late_before_close + s.late_after_close),
        ]);
    }
    report.tables = vec![forms, list];
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Penalty notices and cases
// ---------------------------------------------------------------------------------------------

async fn casework(pool: &PgPool, report: &mut Report) -> Result<(), sqlx::Error> {
    let (issued, first, second, paid, withdrawn, unpaid, paid_pence): (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    ) = sqlx::query_as(
        "select count(*),
            count(*) filter (where sequence = 1),
            count(*) filter (where sequence = 2),
            count(*) filter (where paid_on is not null),
            count(*) filter (where withdrawn_on is not null),
            count(*) filter (where paid_on is null and withdrawn_on is null),
            coalesce(sum(amount_paid_pence), 0)::bigint
         from penalty_notices
         where school_id = $1 and issued_on between $2 and $3",
    )
    .bind(report.school_id)
    .bind(report.from)
    .bind(report.to)
    .fetch_one(pool)
    .await?;
    let mut notices = Table::new(
        "Penalty notices issued in the period",
        "Penalty notices",
        &["Penalty notices", "Number"],
    );
    for (label, value) in [
        ("Issued", issued),
        ("First notices", first),
        ("Second notices", second),
        ("Paid", paid),
        ("Unpaid", unpaid),
        ("Withdrawn", withdrawn),
    ] {
        notices
            .rows
            .push(vec![Cell::text(label), Cell::Count(value)]);
    }
    notices
        .rows
        .push(vec![Cell::text("Paid (£)"), Cell::Count(paid_pence / 100)]);
    let stages: Vec<(String, i64)> = sqlx::query_as(
        "select stage, count(*) from cases
         where school_id = $1 and closed_at is null group by stage",
    )
    .bind(report.school_id)
    .fetch_all(pool)
    .await?;
    let (opened, closed): (i64, i64) = sqlx::query_as(
        "select count(*) filter (where (opened_at at time zone s.time_zone)::date between $2 and $3),
            count(*) filter (where (closed_at at time zone s.time_zone)::date between $2 and $3)
         from cases c join schools s on s.id = c.school_id
         where c.school_id = $1",
    )
    .bind(report.school_id)
    .bind(report.from)
    .bind(report.to)
    .fetch_one(pool)
    .await?;
    let mut cases = Table::new(
        "Open cases by stage (today)",
        "Cases",
        &["Stage", "Open cases"],
    );
    for step in Step::ALL {
        let count = stages
            .iter()
            .find(|(stage, _)| stage == step.key())
            .map_or(0, |(_, count)| *count);
        let mut label = step.label().to_string();
        if let Some(first) = label.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        cases.rows.push(vec![Cell::Text(label), Cell::Count(count)]);
    }
    // A stage the ladder no longer has is still counted, under its stored name.
    for (stage, count) in &stages {
        if Step::from_key(stage).is_none() {
            cases
                .rows
                .push(vec![Cell::Text(stage.clone()), Cell::Count(*count)]);
        }
    }
    cases.total = Some(vec![
        Cell::text("All open cases"),
        Cell::Count(stages.iter().map(|(_, count)| count).sum()),
    ]);
    let mut movement = Table::new(
        "Cases opened and closed in the period",
        "Opened and closed",
        &["Cases", "Number"],
    );
    movement.rows = vec![
        vec![Cell::text("Opened"), Cell::Count(opened)],
        vec![Cell::text("Closed"), Cell::Count(closed)],
    ];
    report.tables = vec![notices, cases, movement];
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Breakdowns beside last year and the national figures, with charts
// ---------------------------------------------------------------------------------------------

/// The latest national figure of each measure.
pub async fn national_figures(pool: &PgPool) -> Result<Vec<NationalFigure>, sqlx::Error> {
    let rows: Vec<(String, String, f64, String, String, NaiveDate)> = sqlx::query_as(
        "select distinct on (measure) measure, label, percent::float8, source, period,
            recorded_on
         from national_figures order by measure, recorded_on desc",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(key, measure, percent, source, period, recorded_on)| NationalFigure {
                key,
                measure,
                percent,
                source,
                period,
                recorded_on,
            },
        )
        .collect())
}

/// The same dates a year earlier (29 February becomes 28 February).
pub fn a_year_before(date: NaiveDate) -> NaiveDate {
    date.with_year(date.year() - 1)
        .or_else(|| NaiveDate::from_ymd_opt(date.year() - 1, date.month(), 28))
        .unwrap_or(date)
}

fn figures_cells(line: &FiguresLine) -> Vec<Cell> {
    vec![
        Cell::Text(line.group.clone()),
        Cell::Count(line.enrolments),
        Cell::Count(line.possible),
        Cell::Percent(line.attendance_percent),
        Cell::Percent(line.absence_percent),
        Cell::Percent(line.authorised_percent),
        Cell::Percent(line.unauthorised_percent),
        Cell::Count(line.persistent_absentees),
        Cell::Percent(line.persistent_absence_percent),
        Cell::Count(line.severe_absentees),
    ]
}

const FIGURES_COLUMNS: [&str; 9] = [
    "Enrolments",
    "Possible sessions",
    "Attendance %",
    "Absence %",
    "Authorised %",
    "Unauthorised %",
    "Persistently absent",
    "Persistent absence %",
    "Severely absent",
];

async fn breakdown(pool: &PgPool, report: &mut Report, phase: &str) -> Result<(), sqlx::Error> {
    let school = report.school_id;
    let (from, to, by) = (report.from, report.to, report.by);
    let pupils = pupil_figures(pool, &[school], from, to).await?;
    let (last_from, last_to) = (a_year_before(from), a_year_before(to));
    let last_year = pupil_figures(pool, &[school], last_from, last_to).await?;
    let now = attendance::breakdown(&pupils, by, from, to);
    let then = attendance::breakdown(&last_year, by, last_from, last_to);

    let mut columns = vec![by.label()];
    columns.extend(FIGURES_COLUMNS);
    columns.extend([
        "Last year attendance %",
        "Last year absence %",
        "Last year persistent absence %",
    ]);
    let mut groups = Table::new(
        &format!(
            "Attendance by {}, beside {} to {}",
            by.label().to_lowercase(),
            last_from.format("%-d %B %Y"),
            last_to.format("%-d %B %Y")
        ),
        "Breakdown",
        &columns,
    );
    let with_last_year = |line: &FiguresLine, earlier: Option<&FiguresLine>| {
        let mut cells = figures_cells(line);
        cells.extend([
            Cell::Percent(earlier.and_then(|l| l.attendance_percent)),
            Cell::Percent(earlier.and_then(|l| l.absence_percent)),
            Cell::Percent(earlier.and_then(|l| l.persistent_absence_percent)),
        ]);
        cells
    };
    for line in &now.groups {
        let earlier = then.groups.iter().find(|l| l.group == line.group);
        groups.rows.push(with_last_year(line, earlier));
    }
    groups.total = Some(with_last_year(&now.total, Some(&then.total)));

    // The national figures, each beside this school's figure for the same measure.
    let fsm = attendance::breakdown(&pupils, Grouping::Fsm, from, to);
    let sen = attendance::breakdown(&pupils, Grouping::Sen, from, to);
    let group_line =
        |b: &attendance::Breakdown, name: &str| b.groups.iter().find(|l| l.group == name).cloned();
    let fsm_yes = group_line(&fsm, "Eligible for free school meals");
    let fsm_no = group_line(&fsm, "Not eligible for free school meals");
    let ehcp = group_line(&sen, "Education, health and care plan");
    let mut national = Table::new(
        "Beside the national figures",
        "National",
        &[
            "Measure",
            "National %",
            "This school %",
            "Difference (points)",
            "Source",
            "Period",
            "Recorded",
        ],
    );
    for figure in national_figures(pool).await? {
        let ours = match figure.key.as_str() {
            "absence_all" => now.total.absence_percent,
            "absence_primary" | "absence_secondary" | "absence_special" => {
                // Only the school's own phase is comparable.
                (figure.key.strip_prefix("absence_") == Some(phase))
                    .then_some(now.total.absence_percent)
                    .flatten()
            }
            "pa_all" => now.total.persistent_absence_percent,
            "absence_fsm" => fsm_yes.as_ref().and_then(|l| l.absence_percent),
            "pa_fsm" => fsm_yes.as_ref().and_then(|l| l.persistent_absence_percent),
            "absence_not_fsm" => fsm_no.as_ref().and_then(|l| l.absence_percent),
            "pa_not_fsm" => fsm_no.as_ref().and_then(|l| l.persistent_absence_percent),
            "absence_ehcp" => ehcp.as_ref().and_then(|l| l.absence_percent),
            "pa_ehcp" => ehcp.as_ref().and_then(|l| l.persistent_absence_percent),
            _ => None,
        };
        national.rows.push(vec![
            Cell::Text(figure.measure),
            Cell::Published(figure.percent),
            Cell::Percent(ours),
            Cell::Percent(ours.map(|ours| ours - figure.percent)),
            Cell::Text(figure.source),
            Cell::Text(figure.period),
            Cell::Date(figure.recorded_on),
        ]);
    }

    report.charts = vec![
        weekly_chart(pool, school, from, to).await?,
        band_chart(pool, school, &pupils).await?,
        gap_chart(&now),
    ];
    report.tables = vec![groups, national];
    Ok(())
}

/// Whole-school attendance in each week of the period, from the engine's counts of the
/// school's days (of pupils on roll, as every other figure counts them); the weeks' tallies
/// then go through `domain::figures` like every other figure.
async fn weekly_chart(
    pool: &PgPool,
    school: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Chart, sqlx::Error> {
    let mut weeks: BTreeMap<NaiveDate, Tally> = BTreeMap::new();
    for (date, counts) in attendance::queries::school_days(pool, school, from, to).await? {
        let monday = date - Duration::days(date.weekday().num_days_from_monday().into());
        *weeks.entry(monday).or_default() += counts;
    }
    let points = weeks
        .into_iter()
        .map(|(monday, sessions)| {
            (
                monday.format("%-d %b").to_string(),
                sessions.attendance_percent(),
            )
        })
        // Holiday weeks have no possible sessions and no point on the line.
        .filter(|(_, percent)| percent.is_some())
        .collect();
    Ok(Chart {
        kind: ChartKind::Line,
        title: "Weekly attendance".to_string(),
        description: format!(
            "Whole-school attendance in each school week from {} to {}, as a percentage of \
             possible sessions.",
            from.format("%-d %B %Y"),
            to.format("%-d %B %Y")
        ),
        axis: "Week beginning".to_string(),
        unit: "Attendance %".to_string(),
        points,
        reference: None,
    })
}

/// How many pupils are in each band of attendance, with the school's thresholds.
async fn band_chart(
    pool: &PgPool,
    school: Uuid,
    pupils: &[PupilFigures],
) -> Result<Chart, sqlx::Error> {
    let policy = crate::cases::queries::policy(pool, school).await?;
    let labels = [
        format!("{} or more", short_percent(policy.letter_below)),
        format!(
            "{} to {}",
            short_percent(policy.meeting_below),
            short_percent(policy.letter_below)
        ),
        format!(
            "{} to {}",
            short_percent(policy.plan_below),
            short_percent(policy.meeting_below)
        ),
        format!(
            "{} to {}",
            short_percent(policy.referral_at_or_below),
            short_percent(policy.plan_below)
        ),
        format!("{} or less", short_percent(policy.referral_at_or_below)),
    ];
    let mut counts = [0i64; 5];
    for pupil in pupils.iter().filter(|p| p.sessions.possible() > 0) {
        let index = match ladder_step(&policy, &pupil.sessions) {
            None => 0,
            Some(Step::FirstLetter) => 1,
            Some(Step::Meeting) => 2,
            Some(Step::Referral) => 4,
            Some(_) => 3,
        };
        counts[index] += 1;
    }
    Ok(Chart {
        kind: ChartKind::Bars,
        title: "Pupils by attendance band".to_string(),
        description: "How many pupils' attendance over the period falls in each band of the \
                      school's case policy."
            .to_string(),
        axis: "Attendance".to_string(),
        unit: "Pupils".to_string(),
        points: labels
            .into_iter()
            .zip(counts)
            .map(|(label, count)| (label, Some(count as f64)))
            .collect(),
        reference: None,
    })
}

/// A threshold in hundredths as a chart's axis has room for: 9500 is "95%", 9250 "92.50%".
fn short_percent(value: i32) -> String {
    if value % 100 == 0 {
        format!("{}%", value / 100)
    } else {
        hundredths(value)
    }
}

/// Each group's attendance beside the whole school's: the gap between groups.
fn gap_chart(breakdown: &attendance::Breakdown) -> Chart {
    Chart {
        kind: ChartKind::Bars,
        title: format!("Attendance by {}", breakdown_label(breakdown)),
        description: "Each group's attendance over the period, with the whole school's as a \
                      line, so the gap between groups reads at a glance."
            .to_string(),
        axis: "Group".to_string(),
        unit: "Attendance %".to_string(),
        points: breakdown
            .groups
            .iter()
            .filter(|line| line.enrolments > 0)
            .map(|line| (line.group.clone(), line.attendance_percent))
            .collect(),
        reference: breakdown
            .total
            .attendance_percent
            .map(|total| ("Whole school".to_string(), total)),
    }
}

fn breakdown_label(breakdown: &attendance::Breakdown) -> String {
    Grouping::parse(&breakdown.by)
        .map(|by| by.label().to_lowercase())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The trust's schools side by side
// ---------------------------------------------------------------------------------------------

pub async fn trust_report(
    pool: &PgPool,
    schools: &[SchoolRef],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Report, sqlx::Error> {
    let ids: Vec<Uuid> = schools.iter().map(|s| s.id).collect();
    let pupils = attendance::queries::schools_pupil_figures(pool, &ids, from, to).await?;
    let mut by_school = attendance::breakdown(&pupils, Grouping::School, from, to);
    for line in &mut by_school.groups {
        if let Some(school) = schools.iter().find(|s| Some(s.id) == line.id) {
            line.group = school.name.clone();
        }
    }
    // A school with no pupils in the period still has its line, with nothing to show.
    for school in schools {
        if !by_school.groups.iter().any(|l| l.id == Some(school.id)) {
            let mut line = FiguresLine::new(school.name.clone(), &Default::default());
            line.id = Some(school.id);
            by_school.groups.push(line);
        }
    }
    by_school.groups.sort_by(|a, b| a.group.cmp(&b.group));
    by_school.total.group = "All schools".to_string();
    let mut columns = vec!["School"];
    columns.extend(FIGURES_COLUMNS);
    let mut table = Table::new("The trust's schools side by side", "Schools", &columns);
    table.rows = by_school.groups.iter().map(figures_cells).collect();
    table.total = Some(figures_cells(&by_school.total));
    let mut gap = Chart {
        title: "Attendance by school".to_string(),
        description: "Each school's attendance over the period, with the trust's as a line."
            .to_string(),
        ..gap_chart(&by_school)
    };
    if let Some(reference) = &mut gap.reference {
        reference.0 = "All schools".to_string();
    }
    Ok(Report {
        kind: ReportKind::Breakdown,
        school_id: Uuid::nil(),
        school_name: "All schools".to_string(),
        from,
        to,
        by: Grouping::School,
        tables: vec![table],
        charts: vec![gap],
    })
}

// ---------------------------------------------------------------------------------------------
// Today, for the office
// ---------------------------------------------------------------------------------------------

/// The day's overview at the school's clocks now; `None` when there is no such school.
pub async fn today(
    pool: &PgPool,
    viewer: &crate::auth::Viewer,
    school_id: Uuid,
) -> Result<Option<super::today::TodayOverview>, sqlx::Error> {
    let Some(now) = crate::school::queries::now_at(pool, school_id).await? else {
        return Ok(None);
    };
    today_at(pool, viewer, school_id, now).await
}

/// As `today`, with the school's clocks reading `now`.
pub async fn today_at(
    pool: &PgPool,
    viewer: &crate::auth::Viewer,
    school_id: Uuid,
    now: chrono::NaiveDateTime,
) -> Result<Option<super::today::TodayOverview>, sqlx::Error> {
    use super::today::{FormRegisters, OnSite, TodayOverview};
    use crate::domain::codes::Session;
    let Some(times) = crate::school::queries::session_times(pool, school_id).await? else {
        return Ok(None);
    };
    let date = now.date();
    let kind = crate::school::queries::day_kind(pool, school_id, date).await?;
    let not_a_school_day = match &kind {
        crate::school::DayKind::SchoolDay { .. } => None,
        other => Some(other.describe()),
    };
    // The afternoon is "now" from the moment its register opens.
    let session = if now.time() >= times.pm_register_opens {
        Session::Pm
    } else {
        Session::Am
    };

    let registers: Vec<(String, String, bool, bool)> = sqlx::query_as(
        "select f.name, coalesce(s.display_name, ''),
            exists (select 1 from registers_taken r where r.school_id = f.school_id
                and r.form_id = f.id and r.session_date = $2 and r.session = 'AM'),
            exists (select 1 from registers_taken r where r.school_id = f.school_id
                and r.form_id = f.id and r.session_date = $2 and r.session = 'PM')
         from forms f
         join year_groups y on y.school_id = f.school_id and y.id = f.year_group_id
         left join staff s on s.id = f.tutor_id
         where f.school_id = $1
           and exists (select 1 from pupils p where p.school_id = f.school_id
               and p.form_id = f.id and p.admitted_on <= $2
               and (p.left_on is null or p.left_on >= $2))
         order by y.nc_year, f.name",
    )
    .bind(school_id)
    .bind(date)
    .fetch_all(pool)
    .await?;
    let registers: Vec<FormRegisters> = registers
        .into_iter()
        .map(|(form, tutor, am_taken, pm_taken)| FormRegisters {
            form,
            tutor,
            am_taken,
            pm_taken,
        })
        .collect();

    let on_roll: Vec<(Uuid, String, String)> = sqlx::query_as(
        "select p.id,
            coalesce(p.preferred_last_name, p.legal_last_name) || ', '
                || coalesce(p.preferred_first_name, p.legal_first_name),
            coalesce(f.name, '')
         from pupils p left join forms f on f.school_id = p.school_id and f.id = p.form_id
         where p.school_id = $1 and p.admitted_on <= $2 and (p.left_on is null or p.left_on >= $2)",
    )
    .bind(school_id)
    .bind(date)
    .fetch_all(pool)
    .await?;
    let marks = day_marks(pool, school_id, date).await?;
    let arrivals: Vec<(Uuid, String, String, i32, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "select a.pupil_id, a.session, a.code, a.minutes_late, a.arrived_at
             from late_arrivals a
             where a.school_id = $1 and a.session_date = $2 and a.undone_at is null
             order by a.arrived_at",
    )
    .bind(school_id)
    .bind(date)
    .fetch_all(pool)
    .await?;
    let zone: chrono_tz::Tz =
        sqlx::query_scalar::<_, String>("select time_zone from schools where id = $1")
            .bind(school_id)
            .fetch_one(pool)
            .await?
            .parse()
            .unwrap_or(chrono_tz::Europe::London);

    let mut am: BTreeMap<Uuid, String> = BTreeMap::new();
    let mut pm: BTreeMap<Uuid, String> = BTreeMap::new();
    let mut by_code: BTreeMap<String, i64> = BTreeMap::new();
    let (mut late_before_close, mut late_after_close) = (0, 0);
    for mark in &marks {
        if mark.session == "AM" {
            am.insert(mark.pupil_id, mark.code.clone());
        } else {
            pm.insert(mark.pupil_id, mark.code.clone());
        }
        if is_absence(&mark.code) {
            *by_code.entry(mark.code.clone()).or_default() += 1;
        }
        match Code::parse(&mark.code) {
            Ok(Code::Late) => late_before_close += 1,
            Ok(Code::LateAfterClose) => late_after_close += 1,
            _ => {}
        }
    }

    let (mut present_now, mut absent_now, mut elsewhere_now, mut unmarked_now) = (0, 0, 0, 0);
    let mut fire_register = Vec::new();
    for (pupil_id, name, form) in &on_roll {
        // The session's own mark; in the afternoon before a pupil's PM mark, the morning's
        // still says where they are.
        let code = match session {
            Session::Am => am.get(pupil_id),
            Session::Pm => pm.get(pupil_id).or_else(|| am.get(pupil_id)),
        };
        let arrival = arrivals.iter().rev().find(|(id, s, ..)| {
            id == pupil_id && (s == session.as_str() || session == Session::Pm)
        });
        let category = code.and_then(|code| category_of(code));
        match category {
            Some(Category::Present) => present_now += 1,
            Some(Category::Authorised | Category::Unauthorised) => absent_now += 1,
            Some(_) => elsewhere_now += 1,
            None => unmarked_now += 1,
        }
        // On site: a present mark (L included), or a late arrival recorded at the door (a U
        // mark is absence in the figures but the pupil is in the building).
        let is_u = code.is_some_and(|code| code == Code::LateAfterClose.as_str());
        if matches!(category, Some(Category::Present)) || is_u || arrival.is_some() {
            fire_register.push(OnSite {
                pupil_id: *pupil_id,
                name: name.clone(),
                form: form.clone(),
                code: code.cloned().unwrap_or_default(),
                arrived_at: arrival
                    .map(|(.., at)| at.with_timezone(&zone).format("%H:%M").to_string()),
            });
        }
    }
    fire_register.sort_by(|a, b| a.form.cmp(&b.form).then_with(|| a.name.cmp(&b.name)));

    let calling = if crate::calling::may_call(viewer, school_id) && not_a_school_day.is_none() {
        crate::calling::queries::calling_day_at(pool, viewer, school_id, Some(date), now)
            .await?
            .map(|day| day.counts)
    } else {
        None
    };

    Ok(Some(TodayOverview {
        school_id,
        date,
        time: now.format("%H:%M").to_string(),
        not_a_school_day,
        session: session.as_str().to_string(),
        registers,
        on_roll: on_roll.len() as i64,
        present_now,
        absent_now,
        elsewhere_now,
        unmarked_now,
        absences_by_code: by_code
            .into_iter()
            .map(|(code, sessions)| {
                let meaning = meaning(&code);
                (code, meaning, sessions)
            })
            .collect(),
        late_before_close,
        late_after_close,
        late_arrivals: arrivals.len() as i64,
        calling,
        fire_register,
    }))
}
