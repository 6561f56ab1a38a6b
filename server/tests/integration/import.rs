//! Importing MIS files: pupils then marks with counts checked by hand, the same file twice,
//! files with bad rows (every one listed, nothing written), withdrawn codes, other schools'
//! pupils, the page's server functions, and the speed of a large marks file.

use crate::common;

use std::time::Instant;

use chrono::Datelike;

use app::{
    domain::{roles::Role, upn::Upn},
    import::{ImportKind, ImportOutcome, ImportSummary, RowProblem, queries, tasks::Tracker},
};
use common::fixture::{self, Fixture};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

async fn import(
    pool: &PgPool,
    school: Uuid,
    kind: ImportKind,
    name: &str,
    text: &str,
) -> ImportOutcome {
    queries::import(
        pool,
        school,
        None,
        kind,
        name,
        text.as_bytes(),
        &Tracker::default(),
    )
    .await
    .unwrap()
}

fn imported(outcome: ImportOutcome) -> ImportSummary {
    match outcome {
        ImportOutcome::Imported(summary) => summary,
        ImportOutcome::Refused { problems, .. } => panic!("refused: {problems:#?}"),
    }
}

fn refused(outcome: ImportOutcome) -> Vec<RowProblem> {
    match outcome {
        ImportOutcome::Refused { problems, .. } => problems,
        ImportOutcome::Imported(summary) => panic!("imported: {summary:#?}"),
    }
}

async fn count(pool: &PgPool, table: &str, school: Uuid) -> i64 {
    sqlx::query_scalar(&format!(
        "select count(*) from {table} where school_id = $1"
    ))
    .bind(school)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Rows of every table an import writes, to show that a refused one wrote nothing.
async fn everything(pool: &PgPool, school: Uuid) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "pupils",
        "contacts",
        "year_groups",
        "forms",
        "marks",
        "attendance_totals",
        "imports",
        "audit_log",
    ] {
        counts.push(count(pool, table, school).await);
    }
    counts
}

/// The fixture's pupils at a school: Amira Khan, Oliver Smith, Grace Okafor.
fn fixture_upn(establishment: u16, serial: u16) -> Upn {
    Upn::from_parts(821, establishment, 12, serial)
}

/// The UPN with a wrong check letter.
fn mistype(upn: &Upn) -> String {
    let mut s = upn.to_string().into_bytes();
    s[0] = if s[0] == b'A' { b'B' } else { b'A' };
    String::from_utf8(s).unwrap()
}

fn pupils_file() -> String {
    let amira = fixture_upn(1, 0);
    let oliver = fixture_upn(1, 1);
    let ella = Upn::from_parts(821, 1, 20, 1);
    let noah = Upn::from_parts(821, 1, 22, 2);
    // SIMS-style headers in mixed case; Amira exactly as the fixture has her, Oliver now
    // eligible for free school meals, Ella new in Year 7 (a new form 7A), Noah new in
    // Reception (a new form RB).
    format!(
        "UPN,Legal Forename,LEGAL SURNAME,Preferred Forename,DOB,Gender,NC Year,Reg Group,\
         Admission Date,Leaving Date,SEN Status,FSM,EAL,Pupil Premium,Ethnicity,\
         Contact 1 Forename,Contact 1 Surname,Contact 1 Relationship,Contact 1 Mobile,\
         Contact 1 Email,Contact 2 Name,Contact 2 Relationship,Contact 2 Home Phone,Favourite Colour\n\
         {amira},Amira,Khan,,04/03/2012,F,9,9C,2023-09-04,,N,N,N,N,,Sam,Khan,Mother,07700 900123,sam@example.com,,,,blue\n\
         {oliver},Oliver,Smith,,2012-03-04,F,Year 9,9C,04/09/2023,,N,Y,N,N,,Sam,Smith,Mother,07700 900123,sam@example.com,,,,\n\
         {ella},Ella,Brown,Elle,2014-05-06,F,7,7A,2026-09-02,,K,Y,N,Y,WBRI,Jo,Brown,Father,07700 900456,jo@example.com,Pat Brown,Grandmother,0161 496 0000,\n\
         {noah},Noah,Adeyemi,,12/12/2021,M,R,RB,02/09/2026,,E,N,Y,N,BAFR,Tunde,Adeyemi,Father,07700 900789,,,,,\n"
    )
}

fn marks_file() -> String {
    let amira = fixture_upn(1, 0);
    let ella = Upn::from_parts(821, 1, 20, 1);
    // Arbor-style headers; a / in the afternoon, historic H twice and J once.
    format!(
        "upn,session date,am/pm,attendance mark,minutes late\n\
         {amira},2026-11-23,AM,/,\n\
         {amira},2026-11-23,PM,/,\n\
         {amira},2026-11-24,AM,L,5\n\
         {amira},2026-11-24,PM,H,\n\
         {ella},23/11/2026,AM,H,\n\
         {ella},23/11/2026,PM,J,\n\
         {ella},24/11/2026,am,I,0\n"
    )
}

#[tokio::test]
async fn pupils_then_marks_import_with_the_counts_a_person_would_expect() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    let school = world.school.id;

    let pupils = imported(
        import(
            &pool,
            school,
            ImportKind::Pupils,
            "pupils.csv",
            &pupils_file(),
        )
        .await,
    );
    assert_eq!(
        (
            pupils.rows,
            pupils.created,
            pupils.changed,
            pupils.unchanged
        ),
        (4, 2, 1, 1)
    );
    assert_eq!(pupils.year_groups_created, ["Reception", "Year 7"]);
    assert_eq!(pupils.forms_created, ["7A", "RB"]);
    assert_eq!(pupils.ignored_columns, ["Favourite Colour"]);
    assert_eq!(pupils.imported_before, None);
    assert_eq!(count(&pool, "pupils", school).await, 5);
    // Three fixture contacts, Ella's two, Noah's one.
    assert_eq!(count(&pool, "contacts", school).await, 6);
    let ella: (
        String,
        Option<String>,
        String,
        bool,
        bool,
        String,
        String,
        String,
    ) = sqlx::query_as(
        "select p.legal_last_name, p.preferred_first_name, p.sen_status, p.free_school_meals,
                p.pupil_premium, p.ethnicity, f.name, y.name
         from pupils p join forms f on f.school_id = p.school_id and f.id = p.form_id
         join year_groups y on y.school_id = p.school_id and y.id = p.year_group_id
         where p.school_id = $1 and p.upn = $2",
    )
    .bind(school)
    .bind(Upn::from_parts(821, 1, 20, 1).as_str())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        ella,
        (
            "Brown".into(),
            Some("Elle".into()),
            "K".into(),
            true,
            true,
            "WBRI".into(),
            "7A".into(),
            "Year 7".into()
        )
    );
    let grandmother: (String, String, String, i32) = sqlx::query_as(
        "select c.first_name, c.last_name, c.home_phone, c.priority from contacts c
         join pupils p on p.school_id = c.school_id and p.id = c.pupil_id
         where p.upn = $1 and c.relationship = 'Grandmother'",
    )
    .bind(Upn::from_parts(821, 1, 20, 1).as_str())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        grandmother,
        ("Pat".into(), "Brown".into(), "0161 496 0000".into(), 2)
    );
    let oliver_fsm: bool =
        sqlx::query_scalar("select free_school_meals from pupils where school_id = $1 and id = $2")
            .bind(school)
            .bind(world.school.pupils[1])
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(oliver_fsm);

    let marks =
        imported(import(&pool, school, ImportKind::Marks, "marks.csv", &marks_file()).await);
    assert_eq!(
        (marks.rows, marks.created, marks.changed, marks.unchanged),
        (7, 7, 0, 0)
    );
    assert_eq!(marks.present_signs_corrected, 1);
    let mappings: Vec<(String, String, u64)> = marks
        .mappings
        .iter()
        .map(|m| (m.withdrawn.clone(), m.now.clone(), m.rows))
        .collect();
    assert_eq!(
        mappings,
        [("H".into(), "C".into(), 2), ("J".into(), "J1".into(), 1)]
    );
    assert!(marks.mappings[0].why.contains("withdrawn"));
    let amira_pm: String = sqlx::query_scalar(
        "select code from marks where school_id = $1 and pupil_id = $2
           and session_date = '2026-11-23' and session = 'PM' and is_current",
    )
    .bind(school)
    .bind(world.school.pupils[0])
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(amira_pm, "\\");
    let sources: Vec<String> =
        sqlx::query_scalar("select distinct source from marks where school_id = $1")
            .bind(school)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(sources, ["import"]);
    // The running totals were refreshed: Amira was present twice, late once (present), and
    // away once with authorised absence by 24 November.
    let amira_totals: (i32, i32, i32) = sqlx::query_as(
        "select present, authorised, late_before_close from attendance_totals
         where school_id = $1 and pupil_id = $2 and session_date = '2026-11-24'",
    )
    .bind(school)
    .bind(world.school.pupils[0])
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(amira_totals, (3, 1, 1));
    let recorded: Vec<(String, String, i32, i32)> = sqlx::query_as(
        "select kind, sha256, rows, created from imports where school_id = $1 order by imported_at",
    )
    .bind(school)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[1].0, "marks");
    assert_eq!(recorded[1].1, queries::sha256_hex(marks_file().as_bytes()));
    assert_eq!((recorded[1].2, recorded[1].3), (7, 7));
}

#[tokio::test]
async fn importing_the_same_files_twice_changes_nothing() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    let school = world.school.id;
    imported(
        import(
            &pool,
            school,
            ImportKind::Pupils,
            "pupils.csv",
            &pupils_file(),
        )
        .await,
    );
    imported(import(&pool, school, ImportKind::Marks, "marks.csv", &marks_file()).await);
    let before = everything(&pool, school).await;
    let pupils_before: Vec<(String, String, Option<Uuid>)> = sqlx::query_as(
        "select upn, legal_last_name, form_id from pupils where school_id = $1 order by upn",
    )
    .bind(school)
    .fetch_all(&pool)
    .await
    .unwrap();

    let pupils = imported(
        import(
            &pool,
            school,
            ImportKind::Pupils,
            "pupils.csv",
            &pupils_file(),
        )
        .await,
    );
    assert_eq!(
        (pupils.created, pupils.changed, pupils.unchanged),
        (0, 0, 4)
    );
    assert!(pupils.year_groups_created.is_empty() && pupils.forms_created.is_empty());
    assert!(
        pupils.imported_before.is_some(),
        "the summary says it was imported before"
    );
    let marks =
        imported(import(&pool, school, ImportKind::Marks, "marks.csv", &marks_file()).await);
    assert_eq!((marks.created, marks.changed, marks.unchanged), (0, 0, 7));
    assert!(marks.imported_before.is_some());

    let after = everything(&pool, school).await;
    // Only the import log grew (two entries in `imports`, two in the audit log).
    assert_eq!(
        before[..6],
        after[..6],
        "pupils, contacts, years, forms, marks, totals"
    );
    assert_eq!(after[6], before[6] + 2);
    let pupils_after: Vec<(String, String, Option<Uuid>)> = sqlx::query_as(
        "select upn, legal_last_name, form_id from pupils where school_id = $1 order by upn",
    )
    .bind(school)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(pupils_before, pupils_after);

    // A changed mark is amended, the original kept, with the file named as the reason.
    let changed = marks_file().replace("2026-11-24,PM,H,", "2026-11-24,PM,I,");
    let marks = imported(import(&pool, school, ImportKind::Marks, "marks-v2.csv", &changed).await);
    assert_eq!((marks.created, marks.changed, marks.unchanged), (0, 1, 6));
    assert_eq!(marks.mappings.len(), 2, "H once and J once now");
    let history: Vec<(String, bool, Option<String>)> = sqlx::query_as(
        "select code, is_current, amendment_reason from marks
         where school_id = $1 and pupil_id = $2 and session_date = '2026-11-24' and session = 'PM'
         order by id",
    )
    .bind(school)
    .bind(world.school.pupils[0])
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        history,
        [
            ("C".into(), false, None),
            ("I".into(), true, Some("Imported from marks-v2.csv".into()))
        ]
    );
    // A changed pupil row updates only that pupil.
    let renamed = pupils_file().replace(",Ella,Brown,Elle,", ",Ella,Browne,Elle,");
    let pupils =
        imported(import(&pool, school, ImportKind::Pupils, "pupils-v2.csv", &renamed).await);
    assert_eq!(
        (pupils.created, pupils.changed, pupils.unchanged),
        (0, 1, 3)
    );
}

#[tokio::test]
async fn a_marks_file_with_bad_rows_lists_every_one_and_writes_nothing() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    let school = world.school.id;
    // Oliver left on Friday 20 November.
    sqlx::query("update pupils set left_on = '2026-11-20' where school_id = $1 and id = $2")
        .bind(school)
        .bind(world.school.pupils[1])
        .execute(&pool)
        .await
        .unwrap();
    let amira = fixture_upn(1, 0);
    let oliver = fixture_upn(1, 1);
    let grace = fixture_upn(1, 2);
    let mistyped = mistype(&amira);
    let stranger = Upn::from_parts(821, 9, 12, 7);
    let sister_pupil = fixture_upn(2, 0);
    let text = format!(
        "UPN,Date,Session,Code,Minutes Late\n\
         {amira},2026-11-23,AM,/,\n\
         {amira},2026-11-23,PM,Q9,\n\
         {amira},2026/11/24,AM,/,\n\
         {mistyped},2026-11-24,AM,/,\n\
         {stranger},2026-11-24,AM,/,\n\
         {sister_pupil},2026-11-24,AM,/,\n\
         {amira},2026-11-27,AM,/,\n\
         {amira},28/11/2026,PM,\\,\n\
         {oliver},2026-11-23,AM,/,\n\
         {grace},2026-11-25,AM,I,\n\
         {grace},2026-11-25,AM,M,\n\
         {grace},2026-11-26,AM,L,\n\
         {grace},2026-11-26,PM,X1,\n"
    );
    let before = everything(&pool, school).await;
    let problems = refused(import(&pool, school, ImportKind::Marks, "bad-marks.csv", &text).await);
    let found: Vec<(u64, &str)> = problems
        .iter()
        .map(|p| (p.line, p.column.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (3, "Code"),
            (4, "Date"),
            (5, "UPN"),
            (6, "UPN"),
            (7, "UPN"),
            (8, "Date"),
            (9, "Date"),
            (10, "Date"),
            (12, ""),
            (13, "Minutes Late"),
            (14, "Code"),
        ],
        "{problems:#?}"
    );
    let message = |line| &problems.iter().find(|p| p.line == line).unwrap().message;
    assert!(
        message(3).contains("\"Q9\" is not an attendance code"),
        "{}",
        message(3)
    );
    assert!(message(4).contains("YYYY-MM-DD"), "{}", message(4));
    assert!(message(5).contains("check letter"), "{}", message(5));
    assert!(message(6).contains("no pupil with UPN"), "{}", message(6));
    assert!(message(7).contains("no pupil with UPN"), "{}", message(7));
    assert!(message(8).contains("not a school day"), "{}", message(8));
    assert!(message(9).contains("not a school day"), "{}", message(9));
    assert!(message(10).contains("not on roll"), "{}", message(10));
    assert!(message(12).contains("line 11"), "{}", message(12));
    assert!(message(13).contains("minutes late"), "{}", message(13));
    assert_eq!(
        everything(&pool, school).await,
        before,
        "nothing was written"
    );
}

#[tokio::test]
async fn a_pupils_file_with_bad_rows_lists_every_one_and_writes_nothing() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    let school = world.school.id;
    let good = Upn::from_parts(821, 1, 20, 1);
    let other = Upn::from_parts(821, 1, 20, 2);
    let mistyped = mistype(&good);
    let text = format!(
        "UPN,Surname,Forename,Date of Birth,Sex,Year,Form,Admission Date,Leaving Date,SEN,FSM,Contact 1 Relationship,Contact 1 Email\n\
         {good},Brown,Ella,2014-05-06,F,7,7A,2026-09-02,,N,N,Mother,\n\
         {mistyped},Brown,Ella,2014-05-06,F,7,7A,2026-09-02,,N,N,,\n\
         {good},Brown,Ella,2014-05-06,F,7,7A,2026-09-02,,N,N,,\n\
         {other},,Ella,06/05/2014,Q,15,7A,2026-09-02,2026-09-01,Z,maybe,,not-an-email\n"
    );
    let before = everything(&pool, school).await;
    let problems =
        refused(import(&pool, school, ImportKind::Pupils, "bad-pupils.csv", &text).await);
    let found: Vec<(u64, &str)> = problems
        .iter()
        .map(|p| (p.line, p.column.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (2, "Contact 1 Surname"),
            (3, "UPN"),
            (4, "UPN"),
            (5, "Surname"),
            (5, "Sex"),
            (5, "Year"),
            (5, "SEN"),
            (5, "FSM"),
            (5, "Leaving Date"),
            (5, "Contact 1 Surname"),
            (5, "Contact 1 Email"),
        ],
        "{problems:#?}"
    );
    assert!(problems[0].message.contains("contact 1 has no name"));
    assert!(problems[2].message.contains("also on line 2"));
    assert_eq!(
        everything(&pool, school).await,
        before,
        "nothing was written"
    );

    // A missing required column is one problem on the header's line.
    let problems = refused(
        import(
            &pool,
            school,
            ImportKind::Pupils,
            "short.csv",
            &format!("UPN,Surname\n{good},Brown\n"),
        )
        .await,
    );
    assert!(problems.iter().all(|p| p.line == 1));
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("no \"Date of Birth\" column"))
    );
}

#[tokio::test]
async fn another_schools_pupils_cannot_be_marked_through_this_school() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    for (establishment, whose) in [(2, "the sister school"), (3, "another trust's school")] {
        let text = format!(
            "UPN,Date,Session,Code\n{},2026-11-23,AM,/\n",
            fixture_upn(establishment, 0)
        );
        let problems =
            refused(import(&pool, world.school.id, ImportKind::Marks, "m.csv", &text).await);
        assert_eq!(problems.len(), 1, "{whose}");
        assert!(problems[0].message.contains("no pupil with UPN"), "{whose}");
    }
    assert_eq!(count(&pool, "marks", world.sister.id).await, 0);
    assert_eq!(count(&pool, "marks", world.other_trust_school.id).await, 0);
}

#[tokio::test]
async fn the_page_starts_an_import_polls_its_progress_and_needs_manage_school() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    let body = json!({
        "school_id": school, "kind": "marks", "file_name": "marks.csv",
        "text": format!("UPN,Date,Session,Code\n{},2026-11-23,AM,/\n", fixture_upn(1, 0)),
    });

    let (officer, _) = common::sign_in(&app, &fixture::email(Role::AttendanceOfficer)).await;
    let response = officer
        .post(app.url("/api/fn/import/start"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let (outsider, _) = common::sign_in(&app, fixture::OUTSIDER).await;
    let response = outsider
        .post(app.url("/api/fn/import/start"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);

    let (admin, _) = common::sign_in(&app, &fixture::email(Role::SchoolAdmin)).await;
    let response = admin
        .post(app.url("/api/fn/import/start"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let task: Uuid = response.json().await.unwrap();
    let mut progress = Value::Null;
    for _ in 0..100 {
        progress = admin
            .post(app.url("/api/fn/import/progress"))
            .form(&[
                ("school_id", school.to_string()),
                ("task", task.to_string()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !progress["outcome"].is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(progress["phase"], "done", "{progress}");
    assert_eq!(
        progress["outcome"]["Ok"]["Imported"]["created"], 1,
        "{progress}"
    );
    // Another school's administrator cannot watch it, even with its id.
    let theirs: Value = outsider
        .post(app.url("/api/fn/import/progress"))
        .form(&[
            ("school_id", world.other_trust_school.id.to_string()),
            ("task", task.to_string()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs, Value::Null);
    let recent: Value = admin
        .post(app.url("/api/fn/import/recent"))
        .form(&[("school_id", school.to_string())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(recent[0]["file_name"], "marks.csv");
    assert_eq!(recent[0]["imported_by"], "Test School administrator");
}

/// 500 pupils, 200 sessions each: 100,000 marks in one file, imported inside one transaction,
/// then the same file again.
#[tokio::test]
async fn a_hundred_thousand_marks_import_whole_and_again_change_nothing() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    let school = world.school.id;
    let mut pupils =
        String::from("UPN,Legal Forename,Legal Surname,DOB,Sex,NC Year,Reg Group,Admission Date\n");
    let upns: Vec<Upn> = (0..500)
        .map(|n| Upn::from_parts(821, 1, 30 + n / 100, n % 100))
        .collect();
    for (n, upn) in upns.iter().enumerate() {
        let year = 7 + n % 5;
        pupils.push_str(&format!(
            "{upn},Pupil,Number{n},2012-01-01,{},{year},{year}X,2026-09-01\n",
            if n % 2 == 0 { "F" } else { "M" }
        ));
    }
    let started = Instant::now();
    let summary =
        imported(import(&pool, school, ImportKind::Pupils, "big-pupils.csv", &pupils).await);
    eprintln!("500 pupils imported in {:?}", started.elapsed());
    assert_eq!(summary.created, 500);

    let days = app::school::queries::school_days(
        &pool,
        school,
        chrono::NaiveDate::from_ymd_opt(2026, 9, 2).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2027, 3, 26).unwrap(),
    )
    .await
    .unwrap();
    let codes = ["/", "/", "/", "/", "I", "/", "/", "L", "/", "N", "/", "H"];
    let mut marks = String::from("UPN,Date,Session,Code,Minutes Late\n");
    for day in &days[..100] {
        for (n, upn) in upns.iter().enumerate() {
            for session in ["AM", "PM"] {
                let code = codes[(n + day.ordinal() as usize) % codes.len()];
                let code = if code == "/" && session == "PM" {
                    "\\"
                } else {
                    code
                };
                let minutes = if code == "L" { "7" } else { "" };
                marks.push_str(&format!("{upn},{day},{session},{code},{minutes}\n"));
            }
        }
    }
    let started = Instant::now();
    let summary = imported(import(&pool, school, ImportKind::Marks, "big-marks.csv", &marks).await);
    let first = started.elapsed();
    assert_eq!(summary.created, 100_000);
    let started = Instant::now();
    let again = imported(import(&pool, school, ImportKind::Marks, "big-marks.csv", &marks).await);
    let second = started.elapsed();
    assert_eq!(again.unchanged, 100_000);
    eprintln!(
        "100,000 marks ({} bytes) imported in {first:?}; the same file again in {second:?}",
        marks.len()
    );
    // How fast is the benchmark's question (docs/benchmarks.md), not this test's.
}
