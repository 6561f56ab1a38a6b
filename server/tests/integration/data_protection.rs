//! Data protection against a real PostgreSQL: the subject access export holds everything about a
//! pupil and their parents (safeguarding only in the DSL's), every view of a safeguarding record
//! is logged, and the retention job removes exactly what `docs/retention.md` says.

use crate::common;

use app::{
    cases::queries::add_note,
    data_protection::queries::{DERIVED, HELD, apply_retention},
    domain::{
        codes::{Code, Session},
        roles::Role,
    },
};
use chrono::NaiveDate;
use common::{
    fixture::{Fixture, OUTSIDER, email},
    set_marks,
};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

async fn staff_id(pool: &PgPool, role: Role) -> Uuid {
    sqlx::query_scalar("select id from staff where email = $1")
        .bind(email(role))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// An open case for the pupil, with an ordinary note and a safeguarding note, and a home visit
/// that raised a concern.
async fn case_with_safeguarding(pool: &PgPool, school: Uuid, pupil: Uuid) -> Uuid {
    let dsl = staff_id(pool, Role::Dsl).await;
    let officer = staff_id(pool, Role::AttendanceOfficer).await;
    let case: Uuid = sqlx::query_scalar(
        "insert into cases (school_id, pupil_id, stage, owner_id) values ($1, $2, 'first_letter', $3)
         returning id",
    )
    .bind(school)
    .bind(pupil)
    .bind(officer)
    .fetch_one(pool)
    .await
    .unwrap();
    add_note(
        pool,
        officer,
        school,
        case,
        "Mum says the bus is late",
        false,
    )
    .await
    .unwrap()
    .unwrap();
    add_note(pool, dsl, school, case, "Disclosure made to the DSL", true)
        .await
        .unwrap()
        .unwrap();
    sqlx::query(
        "insert into home_visits (school_id, pupil_id, case_id, officer_id, planned_on, reason,
             source, facts, concern_raised_at, concern_raised_by, concern)
         values ($1, $2, $3, $4, '2026-11-20', 'No contact', 'planned', 'Curtains drawn', now(), $4,
             'Bruise on the arm')",
    )
    .bind(school)
    .bind(pupil)
    .bind(case)
    .bind(officer)
    .execute(pool)
    .await
    .unwrap();
    case
}

fn rows<'a>(export: &'a Value, table: &str) -> &'a Vec<Value> {
    export["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|record| record["table"] == table)
        .unwrap_or_else(|| panic!("the export has no {table}"))["rows"]
        .as_array()
        .unwrap()
}

async fn views(pool: &PgPool, pupil: Uuid) -> Vec<String> {
    sqlx::query_scalar("select record from safeguarding_views where pupil_id = $1 order by id")
        .bind(pupil)
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn every_table_about_a_pupil_is_held() {
    let pool = common::fresh_database().await;
    // Every table that points at a pupil, or at a row that does, directly or not.
    let linked: Vec<String> = sqlx::query_scalar(
        "with recursive linked(name) as (
             select 'pupils'::text
             union
             select c.conrelid::regclass::text from pg_constraint c
             join linked l on c.confrelid::regclass::text = l.name
             where c.contype = 'f'
         )
         select name from linked
         union
         select table_name::text from information_schema.columns
         where table_schema = 'public' and column_name = 'pupil_id'
         order by 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let missing: Vec<&String> = linked
        .iter()
        .filter(|table| {
            !HELD.iter().any(|held| held.table == table.as_str())
                && !DERIVED.contains(&table.as_str())
        })
        .collect();
    assert!(
        missing.is_empty(),
        "add these tables to app::data_protection::queries::HELD (or DERIVED): {missing:?}"
    );
}

#[tokio::test]
async fn the_subject_access_export_holds_everything_and_safeguarding_only_for_the_dsl() {
    let app = common::spawn().await;
    let fixture = Fixture::new(&app.pool).await;
    let school = fixture.school.id;
    let pupil = fixture.school.protected_pupil;
    case_with_safeguarding(&app.pool, school, pupil).await;
    set_marks(
        &app.pool,
        school,
        &[
            (pupil, "2026-11-16", Session::Am, Code::Illness, None),
            (
                fixture.school.pupils[0],
                "2026-11-16",
                Session::Am,
                Code::PresentAm,
                None,
            ),
        ],
    )
    .await;
    let path = format!("/api/schools/{school}/pupils/{pupil}/subject-access");

    let (admin, _) = common::sign_in(&app, &email(Role::SchoolAdmin)).await;
    let answer = admin.get(app.url(&path)).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert!(
        answer.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"subject-access-")
    );
    let export: Value = answer.json().await.unwrap();
    let pupils = rows(&export, "pupils");
    assert_eq!(pupils.len(), 1);
    assert_eq!(pupils[0]["id"], pupil.to_string());
    assert!(pupils[0].get("safeguarding_status").is_none());
    assert!(!rows(&export, "contacts").is_empty(), "the parents");
    let marks = rows(&export, "marks");
    assert_eq!(marks.len(), 1, "only this pupil's marks: {marks:?}");
    assert_eq!(marks[0]["code"], "I");
    let text = export.to_string();
    assert!(text.contains("Mum says the bus is late"));
    for secret in [
        "Disclosure made to the DSL",
        "Bruise on the arm",
        "Curtains drawn",
        "child_protection_plan",
    ] {
        assert!(!text.contains(secret), "{secret} is safeguarding");
    }
    assert!(
        export["subject_access_export"]["safeguarding"]
            .as_str()
            .unwrap()
            .starts_with("Left out")
    );
    assert!(views(&app.pool, pupil).await.is_empty());

    let (dsl, _) = common::sign_in(&app, &email(Role::Dsl)).await;
    let export: Value = dsl
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = export.to_string();
    for secret in [
        "Disclosure made to the DSL",
        "Bruise on the arm",
        "Curtains drawn",
        "child_protection_plan",
    ] {
        assert!(text.contains(secret), "the DSL's export holds {secret}");
    }
    assert_eq!(views(&app.pool, pupil).await, ["subject_access_export"]);

    for (client, status) in [
        (
            common::sign_in(&app, &email(Role::AttendanceOfficer))
                .await
                .0,
            403,
        ),
        (common::sign_in(&app, OUTSIDER).await.0, 403),
    ] {
        assert_eq!(
            client.get(app.url(&path)).send().await.unwrap().status(),
            status
        );
    }
    let nobody = format!(
        "/api/schools/{school}/pupils/{}/subject-access",
        Uuid::new_v4()
    );
    assert_eq!(
        admin.get(app.url(&nobody)).send().await.unwrap().status(),
        404
    );
    // A pupil of the sister school is not found through this one.
    let sister_pupil = format!(
        "/api/schools/{school}/pupils/{}/subject-access",
        fixture.sister.pupils[0]
    );
    assert_eq!(
        admin
            .get(app.url(&sister_pupil))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn every_view_of_a_safeguarding_record_is_logged_and_read_by_the_dsl_only() {
    let app = common::spawn().await;
    let fixture = Fixture::new(&app.pool).await;
    let school = fixture.school.id;
    let pupil = fixture.school.protected_pupil;
    let case = case_with_safeguarding(&app.pool, school, pupil).await;
    let visit: Uuid = sqlx::query_scalar("select id from home_visits where pupil_id = $1")
        .bind(pupil)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let calls = [
        (
            "/api/fn/cases/one",
            vec![("school_id", school), ("case_id", case)],
        ),
        (
            "/api/fn/pupils/record",
            vec![("school_id", school), ("pupil_id", pupil)],
        ),
        (
            "/api/fn/visits/one",
            vec![("school_id", school), ("visit_id", visit)],
        ),
    ];
    // Nobody else is shown the records, so nothing is logged for them.
    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    for (path, form) in &calls {
        let answer = officer.post(app.url(path)).form(form).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{path}");
    }
    assert!(views(&app.pool, pupil).await.is_empty());

    let (dsl, _) = common::sign_in(&app, &email(Role::Dsl)).await;
    for (path, form) in &calls {
        let answer = dsl.post(app.url(path)).form(form).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{path}");
    }
    assert_eq!(
        views(&app.pool, pupil).await,
        ["case", "pupil_record", "home_visit"]
    );
    // A pupil with nothing of safeguarding is not logged.
    let other = fixture.school.pupils[0];
    dsl.post(app.url("/api/fn/pupils/record"))
        .form(&[("school_id", school), ("pupil_id", other)])
        .send()
        .await
        .unwrap();
    assert!(views(&app.pool, other).await.is_empty());

    let form = [("school_id", school), ("pupil_id", pupil)];
    let log = dsl
        .post(app.url("/api/fn/data-protection/safeguarding-views"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(log.status(), 200);
    let log: Value = log.json().await.unwrap();
    assert_eq!(log.as_array().unwrap().len(), 3);
    assert_eq!(log[0]["record"], "HomeVisit", "newest first");
    assert_eq!(log[0]["staff_name"], "Test Designated safeguarding lead");
    for role in [Role::SchoolAdmin, Role::AttendanceLead] {
        let (client, _) = common::sign_in(&app, &email(role)).await;
        let refused = client
            .post(app.url("/api/fn/data-protection/safeguarding-views"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403, "{role:?}");
    }
    // The log cannot be rewritten.
    let changed = sqlx::query("delete from safeguarding_views")
        .execute(&app.pool)
        .await;
    assert!(changed.unwrap_err().to_string().contains("append-only"));
}

async fn count_rows_of(pool: &PgPool, school: Uuid, pupil: Uuid) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for held in HELD {
        let count: i64 = sqlx::query_scalar(&format!(
            "select count(*) from {} t where t.school_id = $1 and ({})",
            held.table, held.rows
        ))
        .bind(school)
        .bind(pupil)
        .fetch_one(pool)
        .await
        .unwrap();
        if count > 0 {
            counts.push((held.table, count));
        }
    }
    counts
}

#[tokio::test]
async fn retention_removes_leavers_after_six_years_and_keeps_what_must_stay() {
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    let school = fixture.school.id;
    let (amira, oliver) = (fixture.school.pupils[0], fixture.school.pupils[1]);
    let protected = fixture.school.protected_pupil;
    let officer = staff_id(&pool, Role::AttendanceOfficer).await;
    set_marks(
        &pool,
        school,
        &[
            (amira, "2026-11-16", Session::Am, Code::Illness, None),
            (oliver, "2026-11-16", Session::Am, Code::PresentAm, None),
            (oliver, "2026-11-17", Session::Am, Code::PresentAm, None),
        ],
    )
    .await;
    let closed_case: Uuid = sqlx::query_scalar(
        "insert into cases (school_id, pupil_id, stage, owner_id, closed_at, closed_reason)
         values ($1, $2, 'first_letter', $3, now(), 'improved') returning id",
    )
    .bind(school)
    .bind(amira)
    .bind(officer)
    .fetch_one(&pool)
    .await
    .unwrap();
    add_note(&pool, officer, school, closed_case, "Letter sent", false)
        .await
        .unwrap()
        .unwrap();
    case_with_safeguarding(&pool, school, protected).await;
    sqlx::query(
        "update cases set closed_at = now(), closed_reason = 'improved' where pupil_id = $1",
    )
    .bind(protected)
    .execute(&pool)
    .await
    .unwrap();
    // Amira and the protected pupil left at the end of the year; Oliver is still on roll.
    sqlx::query("update pupils set left_on = '2027-07-21' where id = any($1)")
        .bind([amira, protected])
        .execute(&pool)
        .await
        .unwrap();
    // Six years to the day after leaving: every record stays, but the register entries, all
    // made in 2026, are past their six years, Oliver's as well as Amira's.
    let run = apply_retention(&pool, school, day("2033-07-21"), false)
        .await
        .unwrap();
    assert_eq!(run.pupils_removed, 0);
    assert_eq!(run.marks_removed, 3);
    let amira_before = count_rows_of(&pool, school, amira).await;
    assert!(
        amira_before
            .iter()
            .any(|(table, _)| *table == "case_events")
    );
    assert!(amira_before.iter().any(|(table, _)| *table == "contacts"));
    assert!(!amira_before.iter().any(|(table, _)| *table == "marks"));
    let oliver_rows = count_rows_of(&pool, school, oliver).await;
    assert!(oliver_rows.contains(&("pupils", 1)), "{oliver_rows:?}");

    // A dry run the next day says what would go and removes nothing.
    let dry = apply_retention(&pool, school, day("2033-07-22"), true)
        .await
        .unwrap();
    assert_eq!(dry.pupils_removed, 1);
    assert_eq!(count_rows_of(&pool, school, amira).await, amira_before);

    let run = apply_retention(&pool, school, day("2033-07-22"), false)
        .await
        .unwrap();
    assert_eq!(run, dry);
    // Only the job's own note that it removed her stays: an id and a date, nothing personal.
    assert_eq!(
        count_rows_of(&pool, school, amira).await,
        [("audit_log", 1)]
    );
    let contacts: i64 = sqlx::query_scalar("select count(*) from contacts where pupil_id = $1")
        .bind(amira)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(contacts, 0, "her parents' details go with her");
    // The protected pupil is kept until their 25th birthday.
    assert!(count_rows_of(&pool, school, protected).await.len() > 3);
    let (action, subject): (String, String) = sqlx::query_as(
        "select action, subject from audit_log where action like 'retention.%' order by id limit 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (action.as_str(), subject),
        ("retention.pupil_removed", format!("pupil:{amira}"))
    );

    let date_of_birth: NaiveDate =
        sqlx::query_scalar("select date_of_birth from pupils where id = $1")
            .bind(protected)
            .fetch_one(&pool)
            .await
            .unwrap();
    let birthday_25 = date_of_birth
        .checked_add_months(chrono::Months::new(12 * 25))
        .unwrap();
    let kept = apply_retention(&pool, school, birthday_25, false)
        .await
        .unwrap();
    assert_eq!(kept.pupils_removed, 0);
    let gone = apply_retention(&pool, school, birthday_25.succ_opt().unwrap(), false)
        .await
        .unwrap();
    assert_eq!(gone.pupils_removed, 1);
    assert_eq!(
        count_rows_of(&pool, school, protected).await,
        [("audit_log", 1)]
    );
}

#[tokio::test]
async fn an_open_case_keeps_a_leavers_record() {
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    let school = fixture.school.id;
    let amira = fixture.school.pupils[0];
    sqlx::query("insert into cases (school_id, pupil_id, stage) values ($1, $2, 'penalty_notice')")
        .bind(school)
        .bind(amira)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("update pupils set left_on = '2027-07-21' where id = $1")
        .bind(amira)
        .execute(&pool)
        .await
        .unwrap();
    let run = apply_retention(&pool, school, day("2040-01-01"), false)
        .await
        .unwrap();
    assert_eq!(run.pupils_removed, 0);
    assert!(!count_rows_of(&pool, school, amira).await.is_empty());
}
