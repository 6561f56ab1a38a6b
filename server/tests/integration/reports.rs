//! The reports against a small fixture whose figures are counted by hand: each report's tables,
//! the day's overview and fire register, the national comparison, the trust view, and the CSV
//! and Excel exports (with a name that would be a formula in a spreadsheet).

use crate::common;

use app::{
    attendance::Grouping,
    auth::{Grant, SchoolRef, Viewer},
    domain::{
        codes::{Code, Session},
        roles::Role,
    },
    registers::queries::{MarkWrite, Seen, write_marks},
    reports::{Cell, Report, ReportKind, Table, queries},
};
use chrono::NaiveDate;
use common::fixture::{Fixture, email};
use reqwest::StatusCode;
use sqlx::PgPool;
use uuid::Uuid;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

type Mark = (Uuid, &'static str, Session, Code);

async fn set_marks(pool: &PgPool, school_id: Uuid, marks: &[Mark]) {
    let writes: Vec<MarkWrite> = marks
        .iter()
        .map(|(pupil_id, date, session, code)| MarkWrite {
            pupil_id: *pupil_id,
            date: day(date),
            session: *session,
            code: *code,
            minutes_late: code.is_late().then_some(10),
            seen: Seen::Anything,
        })
        .collect();
    let mut tx = pool.begin().await.unwrap();
    write_marks(
        &mut tx,
        school_id,
        None,
        "import",
        Some("test data"),
        &writes,
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
}

/// Present on every session of `dates` but for the exceptions.
fn present(pupil: Uuid, dates: &[&'static str], exceptions: &[(&str, Session, Code)]) -> Vec<Mark> {
    let mut marks = Vec::new();
    for date in dates {
        for session in Session::BOTH {
            let code = exceptions
                .iter()
                .find(|(d, s, _)| d == date && *s == session)
                .map_or(Code::present(session), |(_, _, code)| *code);
            marks.push((pupil, *date, session, code));
        }
    }
    marks
}

const WEEK: [&str; 4] = ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"];

/// The fixture, counted by hand. Monday 19 October: everyone present. The week of 23 November
/// (Friday is an INSET day):
/// - Amira Khan (free school meals, EHC plan): ill all Wednesday. 6 of 8: 75%, persistent.
/// - Oliver Smith (male): L Monday morning, N Thursday morning, U Thursday afternoon. 6 of 8
///   present (L is present): 75%, persistent, 2 unauthorised.
/// - Grace Okafor: dual registered Monday morning (not possible), otherwise present: 7 of 7.
///
/// The form has 23 possible sessions that week: 19 present, 2 authorised, 2 unauthorised.
async fn counted_by_hand(world: &Fixture, pool: &PgPool) {
    let [amira, oliver, grace] = world.school.pupils[..] else {
        panic!("three pupils")
    };
    let school = world.school.id;
    sqlx::query(
        "update pupils set free_school_meals = true, sen_status = 'E'
         where school_id = $1 and id = $2",
    )
    .bind(school)
    .bind(amira)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("update pupils set sex = 'M' where school_id = $1 and id = $2")
        .bind(school)
        .bind(oliver)
        .execute(pool)
        .await
        .unwrap();
    let mut marks = Vec::new();
    for pupil in [amira, oliver, grace] {
        marks.extend(present(pupil, &["2026-10-19"], &[]));
    }
    marks.extend(present(
        amira,
        &WEEK,
        &[
            ("2026-11-25", Session::Am, Code::Illness),
            ("2026-11-25", Session::Pm, Code::Illness),
        ],
    ));
    marks.extend(present(
        oliver,
        &WEEK,
        &[
            ("2026-11-23", Session::Am, Code::Late),
            ("2026-11-26", Session::Am, Code::NoReasonYet),
            ("2026-11-26", Session::Pm, Code::LateAfterClose),
        ],
    ));
    marks.extend(present(
        grace,
        &WEEK,
        &[("2026-11-23", Session::Am, Code::DualRegistered)],
    ));
    set_marks(pool, school, &marks).await;
}

async fn run(
    pool: &PgPool,
    world: &Fixture,
    kind: ReportKind,
    from: &str,
    to: &str,
    by: Grouping,
) -> Report {
    queries::report(pool, world.school.id, kind, day(from), day(to), by)
        .await
        .unwrap()
        .expect("the school exists")
}

fn table<'a>(report: &'a Report, sheet: &str) -> &'a Table {
    report
        .tables
        .iter()
        .find(|t| t.sheet == sheet)
        .unwrap_or_else(|| panic!("no table {sheet} in {:?}", report.kind))
}

/// A table's rows as the page shows them, total last.
fn shown(table: &Table) -> Vec<Vec<String>> {
    table
        .rows
        .iter()
        .chain(table.total.iter())
        .map(|row| row.iter().map(Cell::display).collect())
        .collect()
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

#[tokio::test]
async fn the_daily_absence_report_lists_the_absent_with_their_reasons() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    counted_by_hand(&world, &pool).await;

    let thursday = run(
        &pool,
        &world,
        ReportKind::DailyAbsence,
        "2026-11-23",
        "2026-11-26",
        Grouping::Year,
    )
    .await;
    assert_eq!(
        shown(table(&thursday, "Absent pupils")),
        vec![
            row(&[
                "Smith, Oliver",
                "9C",
                "N",
                "U",
                "Reason for absence not yet established",
                "Unauthorised"
            ]),
            row(&["Pupils absent", "1", "", "", "", ""]),
        ]
    );
    let reasons = shown(table(&thursday, "By reason"));
    assert_eq!(reasons.len(), 3);
    assert_eq!((reasons[0][0].as_str(), reasons[0][3].as_str()), ("N", "1"));
    assert_eq!((reasons[1][0].as_str(), reasons[1][3].as_str()), ("U", "1"));
    assert_eq!(reasons[2][3], "2");

    // Wednesday: Amira, ill all day, authorised.
    let wednesday = run(
        &pool,
        &world,
        ReportKind::DailyAbsence,
        "2026-11-25",
        "2026-11-25",
        Grouping::Year,
    )
    .await;
    let absent = shown(table(&wednesday, "Absent pupils"));
    assert_eq!(
        absent[0],
        row(&["Khan, Amira", "9C", "I", "I", "Illness", "Authorised"])
    );
    assert_eq!(absent.len(), 2);
}

#[tokio::test]
async fn the_n_code_report_counts_each_tutors_sessions_still_n() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    counted_by_hand(&world, &pool).await;
    let report = run(
        &pool,
        &world,
        ReportKind::NCodes,
        "2026-11-23",
        "2026-11-27",
        Grouping::Year,
    )
    .await;
    assert_eq!(
        shown(table(&report, "By form")),
        vec![
            row(&["9C", "No tutor set", "1", "1"]),
            row(&["All forms", "", "1", "1"])
        ]
    );
    assert_eq!(
        shown(table(&report, "Pupils")),
        vec![row(&[
            "9C",
            "",
            "Smith, Oliver",
            "1",
            "2026-11-26",
            "Thu 26 Nov AM"
        ])]
    );
    // Before Thursday there was no N.
    let before = run(
        &pool,
        &world,
        ReportKind::NCodes,
        "2026-11-23",
        "2026-11-25",
        Grouping::Year,
    )
    .await;
    assert!(table(&before, "Pupils").rows.is_empty());
}

#[tokio::test]
async fn persistent_and_severe_absence_and_the_at_risk_band() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    counted_by_hand(&world, &pool).await;

    let week = run(
        &pool,
        &world,
        ReportKind::PersistentAbsence,
        "2026-11-23",
        "2026-11-27",
        Grouping::Fsm,
    )
    .await;
    assert_eq!(
        shown(table(&week, "Bands")),
        vec![
            row(&["Persistent absence (10%+ absent)", "2", "66.7"]),
            row(&["Enrolments in the period", "3", ""]),
        ]
    );
    let pupils = shown(table(&week, "Pupils"));
    assert_eq!(pupils.len(), 2);
    assert_eq!(pupils[0][0], "Khan, Amira");
    assert_eq!(&pupils[0][3..7], &row(&["8", "2", "75.0", "0.0"])[..]);
    assert_eq!(&pupils[1][3..7], &row(&["8", "2", "75.0", "25.0"])[..]);
    // By free school meals: Amira alone is eligible.
    assert_eq!(
        shown(table(&week, "By group")),
        vec![
            row(&[
                "Eligible for free school meals",
                "1",
                "1",
                "100.0",
                "0",
                "0.0"
            ]),
            row(&[
                "Not eligible for free school meals",
                "2",
                "1",
                "50.0",
                "0",
                "0.0"
            ]),
            row(&["All pupils", "3", "2", "66.7", "0", "0.0"]),
        ]
    );

    // Tuesday and Wednesday: Amira missed half her sessions, which is severe absence.
    let two_days = run(
        &pool,
        &world,
        ReportKind::PersistentAbsence,
        "2026-11-24",
        "2026-11-25",
        Grouping::Year,
    )
    .await;
    assert_eq!(
        shown(table(&two_days, "Bands"))[0],
        row(&["Severe absence (50%+ absent)", "1", "33.3"])
    );

    // The at-risk band follows the school's policy: with the first letter below 99%, Grace,
    // at an appointment one afternoon of the next week, is at risk: 14 of 15 is 93.3%, not
    // persistent absence.
    sqlx::query("update schools set case_letter_below = 9900 where id = $1")
        .bind(world.school.id)
        .execute(&pool)
        .await
        .unwrap();
    let marks = present(
        world.school.pupils[2],
        &["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"],
        &[("2026-12-03", Session::Pm, Code::Medical)],
    );
    set_marks(&pool, world.school.id, &marks).await;
    let grace = run(
        &pool,
        &world,
        ReportKind::PersistentAbsence,
        "2026-11-23",
        "2026-12-03",
        Grouping::Year,
    )
    .await;
    let grace_row = shown(table(&grace, "Pupils"))
        .into_iter()
        .find(|r| r[0] == "Okafor, Grace")
        .expect("Grace is at risk");
    assert_eq!(
        &grace_row[3..],
        &row(&["15", "1", "93.3", "0.0", "At risk: below 99.00%"])[..]
    );
}

#[tokio::test]
async fn falling_attendance_compares_the_last_four_weeks_with_the_weeks_before() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    counted_by_hand(&world, &pool).await;
    // Last four weeks: 30 October to 26 November. Before: 19 to 29 October, only the 19th's
    // marks, all present.
    let report = run(
        &pool,
        &world,
        ReportKind::Falling,
        "2026-10-19",
        "2026-11-26",
        Grouping::Year,
    )
    .await;
    assert_eq!(
        shown(table(&report, "Falling")),
        vec![
            row(&["Khan, Amira", "9C", "100.0", "75.0", "25.0", "80.0"]),
            row(&["Smith, Oliver", "9C", "100.0", "75.0", "25.0", "80.0"]),
        ]
    );
    // A period no longer than the last weeks has nothing to compare with.
    let short = run(
        &pool,
        &world,
        ReportKind::Falling,
        "2026-11-23",
        "2026-11-26",
        Grouping::Year,
    )
    .await;
    assert!(short.tables[0].rows.is_empty());
}

#[tokio::test]
async fn lateness_by_form_and_pupil() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    counted_by_hand(&world, &pool).await;
    let report = run(
        &pool,
        &world,
        ReportKind::Lateness,
        "2026-11-23",
        "2026-11-27",
        Grouping::Year,
    )
    .await;
    // 2 late sessions of 23 possible: 8.7%.
    assert_eq!(
        shown(table(&report, "By form")),
        vec![
            row(&["9C", "3", "1", "1", "2", "8.7"]),
            row(&["All pupils", "3", "1", "1", "2", "8.7"])
        ]
    );
    assert_eq!(
        shown(table(&report, "By pupil")),
        vec![row(&["Smith, Oliver", "9C", "1", "1", "2"])]
    );
}

#[tokio::test]
async fn penalty_notice_figures_and_case_stages() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    let school = world.school.id;
    let [amira, oliver, grace] = world.school.pupils[..] else {
        panic!("three pupils")
    };
    // Three notices: one paid at £80, one unpaid, one withdrawn; and one issued before the
    // period, which is not counted.
    for (pupil, issued, paid, withdrawn) in [
        (amira, "2026-11-02", Some("2026-11-10"), None),
        (oliver, "2026-11-03", None, None),
        (grace, "2026-11-04", None, Some("wrong parent")),
        (grace, "2026-09-10", None, None),
    ] {
        sqlx::query(
            "insert into penalty_notices (school_id, pupil_id, parent_name, issued_on, sequence,
                why, paid_on, amount_paid_pence, withdrawn_on, withdrawn_reason)
             values ($1, $2, 'Sam', $3::date, 1, 'test', $4::date,
                case when $4 is null then null else 8000 end,
                case when $5::text is null then null else $3::date end, $5)",
        )
        .bind(school)
        .bind(pupil)
        .bind(issued)
        .bind(paid)
        .bind(withdrawn)
        .execute(&pool)
        .await
        .unwrap();
    }
    for (pupil, stage, closed) in [
        (amira, "first_letter", false),
        (oliver, "first_letter", false),
        (grace, "meeting", true),
    ] {
        sqlx::query(
            "insert into cases (school_id, pupil_id, stage, closed_at, closed_reason)
             values ($1, $2, $3, case when $4 then now() end, case when $4 then 'improved' end)",
        )
        .bind(school)
        .bind(pupil)
        .bind(stage)
        .bind(closed)
        .execute(&pool)
        .await
        .unwrap();
    }
    let report = run(
        &pool,
        &world,
        ReportKind::Casework,
        "2026-11-01",
        "2026-11-30",
        Grouping::Year,
    )
    .await;
    assert_eq!(
        shown(table(&report, "Penalty notices")),
        vec![
            row(&["Issued", "3"]),
            row(&["First notices", "3"]),
            row(&["Second notices", "0"]),
            row(&["Paid", "1"]),
            row(&["Unpaid", "1"]),
            row(&["Withdrawn", "1"]),
            row(&["Paid (£)", "80"]),
        ]
    );
    let cases = shown(table(&report, "Cases"));
    assert_eq!(cases[0], row(&["First letter", "2"]));
    assert_eq!(cases[1], row(&["School attendance meeting", "0"]));
    assert_eq!(cases.last().unwrap(), &row(&["All open cases", "2"]));
}

#[tokio::test]
async fn the_breakdown_sits_beside_last_year_and_the_national_figures() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    counted_by_hand(&world, &pool).await;
    let report = run(
        &pool,
        &world,
        ReportKind::Breakdown,
        "2026-11-23",
        "2026-11-27",
        Grouping::Sex,
    )
    .await;
    let groups = shown(table(&report, "Breakdown"));
    // Female: Amira and Grace, 13 of 15; male: Oliver, 6 of 8. No marks last year.
    assert_eq!(
        groups,
        vec![
            row(&[
                "Female", "2", "15", "86.7", "13.3", "13.3", "0.0", "1", "50.0", "0", "", "", ""
            ]),
            row(&[
                "Male", "1", "8", "75.0", "25.0", "0.0", "25.0", "1", "100.0", "0", "", "", ""
            ]),
            row(&[
                "All pupils",
                "3",
                "23",
                "82.6",
                "17.4",
                "8.7",
                "8.7",
                "2",
                "66.7",
                "0",
                "",
                "",
                ""
            ]),
        ]
    );
    let national = shown(table(&report, "National"));
    let line = |label: &str| {
        national
            .iter()
            .find(|r| r[0] == label)
            .unwrap_or_else(|| panic!("{label} in {national:?}"))
            .clone()
    };
    assert_eq!(
        &line("Overall absence, all schools")[1..4],
        &row(&["6.38", "17.4", "11.0"])[..]
    );
    // The fixture is a secondary school: only its own phase is compared.
    assert_eq!(
        &line("Overall absence, secondary schools")[1..3],
        &row(&["7.66", "17.4"])[..]
    );
    assert_eq!(
        &line("Overall absence, primary schools")[1..3],
        &row(&["5.07", ""])[..]
    );
    assert_eq!(
        &line("Persistent absence, pupils eligible for free school meals")[1..3],
        &row(&["31.70", "100.0"])[..]
    );
    // Not eligible: Oliver and Grace, 2 absent of 15; one of two persistent.
    assert_eq!(
        &line("Overall absence, pupils not eligible for free school meals")[1..3],
        &row(&["5.20", "13.3"])[..]
    );
    assert_eq!(
        &line("Overall absence, pupils with an EHC plan")[1..3],
        &row(&["13.10", "25.0"])[..]
    );
    assert_eq!(national.len(), 11);
    assert_eq!(
        line("Overall absence, all schools")[4],
        "DfE, Pupil absence in schools in England"
    );
    assert_eq!(
        line("Overall absence, all schools")[5],
        "Autumn term 2024/25"
    );

    // The charts: one school week, the bands of the default policy, the gap between sexes.
    let [weekly, bands, gap] = &report.charts[..] else {
        panic!("three charts")
    };
    assert_eq!(weekly.points.len(), 1);
    assert_eq!(weekly.points[0].0, "23 Nov");
    assert!((weekly.points[0].1.unwrap() - 1900.0 / 23.0).abs() < 1e-9);
    let counts: Vec<f64> = bands.points.iter().map(|(_, v)| v.unwrap()).collect();
    assert_eq!(counts, vec![1.0, 0.0, 0.0, 2.0, 0.0]);
    assert_eq!(gap.points.len(), 2);

    // Two weeks with marks, five weeks apart: a point for each, none for the weeks between.
    let longer = run(
        &pool,
        &world,
        ReportKind::Breakdown,
        "2026-10-19",
        "2026-11-27",
        Grouping::Year,
    )
    .await;
    let weekly = &longer.charts[0].points;
    assert_eq!(weekly.len(), 2, "{weekly:?}");
    assert_eq!(weekly[0], ("19 Oct".to_string(), Some(100.0)));
    assert_eq!(weekly[1].0, "23 Nov");
    assert!((weekly[1].1.unwrap() - 1900.0 / 23.0).abs() < 1e-9);
    // Grace left on Tuesday 24th: her Wednesday and Thursday (4 present sessions) no longer
    // count, as in every other figure: 15 of 19.
    sqlx::query("update pupils set left_on = '2026-11-24' where school_id = $1 and id = $2")
        .bind(world.school.id)
        .bind(world.school.pupils[2])
        .execute(&pool)
        .await
        .unwrap();
    let after = run(
        &pool,
        &world,
        ReportKind::Breakdown,
        "2026-11-23",
        "2026-11-27",
        Grouping::Year,
    )
    .await;
    let week = after.charts[0].points[0].1.unwrap();
    assert!((week - 1500.0 / 19.0).abs() < 1e-9, "{week}");
    assert_eq!(shown(table(&after, "Breakdown")).last().unwrap()[2], "19");
    // The breakdown's lines carry rates to two places.
    assert_eq!(gap.reference.as_ref().unwrap().1, 82.61);
}

fn officer_at(world: &Fixture) -> Viewer {
    Viewer {
        staff_id: Uuid::new_v4(),
        trust_id: world.trust_id,
        name: "Officer".into(),
        email: "officer@oakfield.test".into(),
        grants: vec![Grant {
            role: Role::AttendanceOfficer,
            school_id: Some(world.school.id),
        }],
        schools: vec![SchoolRef {
            id: world.school.id,
            name: "Oakfield Academy".into(),
        }],
        via_token: false,
    }
}

#[tokio::test]
async fn today_counts_registers_the_present_and_absent_and_who_is_on_site() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    counted_by_hand(&world, &pool).await;
    sqlx::query(
        "insert into registers_taken (school_id, form_id, session_date, session)
         values ($1, $2, '2026-11-26', 'AM')",
    )
    .bind(world.school.id)
    .bind(world.school.form_id)
    .execute(&pool)
    .await
    .unwrap();
    let viewer = officer_at(&world);
    let at = |time: &str| day("2026-11-26").and_time(time.parse().unwrap());

    // Thursday at 10:00, the morning: Oliver is N, the others present.
    let morning = queries::today_at(&pool, &viewer, world.school.id, at("10:00:00"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(morning.session, "AM");
    assert_eq!(morning.registers_taken("AM"), (1, 0));
    assert_eq!(morning.registers_taken("PM"), (0, 1));
    assert_eq!(
        (
            morning.present_now,
            morning.absent_now,
            morning.unmarked_now,
            morning.on_roll
        ),
        (2, 1, 0, 3)
    );
    assert_eq!(
        morning.absences_by_code,
        vec![
            (
                "N".to_string(),
                "Reason for absence not yet established".to_string(),
                1
            ),
            (
                "U".to_string(),
                "Arrived after the register closed".to_string(),
                1
            ),
        ]
    );
    assert_eq!(
        (morning.late_before_close, morning.late_after_close),
        (0, 1)
    );
    // Oliver's N puts him on the calling list.
    assert_eq!(morning.calling.unwrap().to_call, 1);
    let on_site: Vec<&str> = morning
        .fire_register
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(on_site, vec!["Khan, Amira", "Okafor, Grace"]);

    // At 14:00: Oliver's U (arrived after the register closed) is absence in the figures, but
    // he is in the building, so he is on the fire register.
    let afternoon = queries::today_at(&pool, &viewer, world.school.id, at("14:00:00"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(afternoon.session, "PM");
    assert_eq!((afternoon.present_now, afternoon.absent_now), (2, 1));
    assert_eq!(afternoon.fire_register.len(), 3);

    // Friday is an INSET day: no registers.
    let inset = queries::today_at(
        &pool,
        &viewer,
        world.school.id,
        day("2026-11-27").and_hms_opt(9, 0, 0).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(inset.not_a_school_day.is_some());
}

#[tokio::test]
async fn the_trust_view_puts_each_school_beside_the_others() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    counted_by_hand(&world, &pool).await;
    let schools = vec![
        SchoolRef {
            id: world.school.id,
            name: "Oakfield Academy".into(),
        },
        SchoolRef {
            id: world.sister.id,
            name: "Willowbrook Primary".into(),
        },
    ];
    let report = queries::trust_report(&pool, &schools, day("2026-11-23"), day("2026-11-27"))
        .await
        .unwrap();
    let rows = shown(&report.tables[0]);
    assert_eq!(
        rows[0][..4],
        row(&["Oakfield Academy", "3", "23", "82.6"])[..]
    );
    // The sister school has no marks: its line is there, with nothing to show.
    assert_eq!(
        rows[1][..4],
        row(&["Willowbrook Primary", "0", "0", ""])[..]
    );
    assert_eq!(rows[2][..4], row(&["All schools", "3", "23", "82.6"])[..]);
}

#[tokio::test]
async fn reports_export_as_csv_and_excel_with_formulas_kept_as_text() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    counted_by_hand(&world, &app.pool).await;
    // A name a spreadsheet would run as a formula.
    sqlx::query(
        "update pupils set preferred_last_name = '=HYPERLINK(\"http://x\")'
         where school_id = $1 and id = $2",
    )
    .bind(world.school.id)
    .bind(world.school.pupils[1])
    .execute(&app.pool)
    .await
    .unwrap();
    let (client, _) = common::sign_in(&app, &email(Role::AttendanceLead)).await;
    let url = |file: &str| {
        app.url(&format!(
            "/api/schools/{}/reports/{file}?from=2026-11-23&to=2026-11-26&by=year",
            world.school.id
        ))
    };
    let response = client.get(url("daily-absence.csv")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("daily-absence-2026-11-23-to-2026-11-26.csv")
    );
    let text = response.text().await.unwrap();
    assert!(text.contains("'=HYPERLINK"), "{text}");
    assert!(!text.contains("\n=HYPERLINK"), "{text}");
    assert!(text.contains("Pupils absent,1"), "{text}");

    let response = client.get(url("lateness.xlsx")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip file");

    for (file, status) in [
        ("nowhere.csv", StatusCode::BAD_REQUEST),
        ("lateness.pdf", StatusCode::BAD_REQUEST),
    ] {
        let response = client.get(url(file)).send().await.unwrap();
        assert_eq!(response.status(), status, "{file}");
    }
    // Another school's report: refused.
    let response = client
        .get(app.url(&format!(
            "/api/schools/{}/reports/lateness.csv?from=2026-11-23&to=2026-11-26",
            world.sister.id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
