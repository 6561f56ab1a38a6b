//! Registers, amendments and the attendance figures, against a real PostgreSQL: taking a
//! register through the server function, the amendment trail, refusals that write nothing,
//! and the figures of the JSON API checked against a week counted by hand.

use crate::common;

use app::{
    attendance::queries::{fold_school_days, pupil_figures, school_days},
    domain::{
        codes::{Category, Code, Session},
        figures::Tally,
        roles::Role,
    },
    registers::queries::{MarkWrite, Seen, withdraw_mark, write_marks},
};
use chrono::NaiveDate;
use common::{
    fixture::{Fixture, email},
    set_marks,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// A whole week of marks for a pupil, present but for the exceptions given.
fn week(
    pupil: Uuid,
    exceptions: &[(&'static str, Session, Code, Option<i32>)],
) -> Vec<(Uuid, &'static str, Session, Code, Option<i32>)> {
    let mut marks = Vec::new();
    for date in ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"] {
        for session in Session::BOTH {
            let exception = exceptions
                .iter()
                .find(|(d, s, _, _)| *d == date && *s == session);
            let (code, minutes) = match exception {
                Some((_, _, code, minutes)) => (*code, *minutes),
                None => (Code::present(session), None),
            };
            marks.push((pupil, date, session, code, minutes));
        }
    }
    marks
}

/// The week of 23 November 2026 (Friday 27th is an INSET day), counted by hand:
/// - Amira: ill all Wednesday. 6 present of 8 possible: 75%, persistently absent.
/// - Oliver: late before close Monday morning (10 min), no reason Thursday morning, late after
///   close Thursday afternoon (40 min). 6 of 8: 75%, 2 unauthorised.
/// - Grace: dual registered Monday morning (not possible), otherwise present: 7 of 7.
async fn hand_counted_week(world: &Fixture, pool: &PgPool) {
    let [amira, oliver, grace] = world.school.pupils[..] else {
        panic!("three pupils")
    };
    let mut marks = week(
        amira,
        &[
            ("2026-11-25", Session::Am, Code::Illness, None),
            ("2026-11-25", Session::Pm, Code::Illness, None),
        ],
    );
    marks.extend(week(
        oliver,
        &[
            ("2026-11-23", Session::Am, Code::Late, Some(10)),
            ("2026-11-26", Session::Am, Code::NoReasonYet, None),
            ("2026-11-26", Session::Pm, Code::LateAfterClose, Some(40)),
        ],
    ));
    marks.extend(week(
        grace,
        &[("2026-11-23", Session::Am, Code::DualRegistered, None)],
    ));
    set_marks(pool, world.school.id, &marks).await;
}

/// The line of a breakdown by pupil for the pupil whose name ("Last, First") starts so.
fn pupil_line(breakdown: &Value, last_name: &str) -> Value {
    breakdown["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["group"].as_str().unwrap().starts_with(last_name))
        .unwrap_or_else(|| panic!("{last_name} in {breakdown}"))
        .clone()
}

async fn figures(
    client: &reqwest::Client,
    app: &common::TestApp,
    school: Uuid,
    query: &str,
) -> Value {
    let response = client
        .get(app.url(&format!("/api/schools/{school}/attendance?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_figures_match_a_week_counted_by_hand() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    hand_counted_week(&world, &app.pool).await;
    let (client, _) = common::sign_in(&app, &email(Role::AttendanceLead)).await;

    let by_form = figures(
        &client,
        &app,
        world.school.id,
        "from=2026-11-23&to=2026-11-27&by=form",
    )
    .await;
    let form = &by_form["groups"][0];
    assert_eq!(form["group"], "9C");
    assert_eq!(form["enrolments"], 3);
    assert_eq!(form["possible"], 23);
    assert_eq!(form["present"], 19);
    assert_eq!(form["authorised"], 2);
    assert_eq!(form["unauthorised"], 2);
    assert_eq!(form["late_before_close"], 1);
    assert_eq!(form["late_after_close"], 1);
    assert_eq!(form["attendance_percent"], 82.61);
    assert_eq!(form["authorised_percent"], 8.7);
    assert_eq!(form["persistent_absentees"], 2);
    assert_eq!(form["severe_absentees"], 0);
    assert_eq!(form["persistent_absence_percent"], 66.67);
    assert_eq!(by_form["total"]["possible"], 23);

    let by_pupil = figures(
        &client,
        &app,
        world.school.id,
        "from=2026-11-23&to=2026-11-27&by=pupil",
    )
    .await;
    let pupil = |name: &str| pupil_line(&by_pupil, name);
    assert_eq!(pupil("Khan")["attendance_percent"], 75.0);
    assert_eq!(pupil("Smith")["unauthorised"], 2);
    assert_eq!(pupil("Okafor")["possible"], 7);
    assert_eq!(pupil("Okafor")["attendance_percent"], 100.0);

    // Tuesday and Wednesday only: Amira was absent half of them, which is severe absence.
    let two_days = figures(
        &client,
        &app,
        world.school.id,
        "from=2026-11-24&to=2026-11-25&by=pupil",
    )
    .await;
    let amira = pupil_line(&two_days, "Khan");
    assert_eq!(
        (
            amira["possible"].as_i64(),
            amira["attendance_percent"].as_f64()
        ),
        (Some(4), Some(50.0))
    );
    assert_eq!(amira["severe_absentees"], 1);

    // Grace left on Tuesday: her sessions after that no longer count, though the marks stay.
    sqlx::query("update pupils set left_on = '2026-11-24' where school_id = $1 and id = $2")
        .bind(world.school.id)
        .bind(world.school.pupils[2])
        .execute(&app.pool)
        .await
        .unwrap();
    let by_pupil = figures(
        &client,
        &app,
        world.school.id,
        "from=2026-11-23&to=2026-11-27&by=pupil",
    )
    .await;
    let grace = pupil_line(&by_pupil, "Okafor");
    assert_eq!(grace["possible"], 3);
}

#[tokio::test]
async fn the_figures_refuse_bad_periods_and_other_schools() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let (client, _) = common::sign_in(&app, &email(Role::AttendanceLead)).await;
    for (query, says) in [
        ("to=2026-11-27", "Give `from`"),
        (
            "from=23/11/2026&to=2026-11-27",
            "not a date like 2026-09-01",
        ),
        (
            "from=2026-11-27&to=2026-11-23",
            "ends (2026-11-23) before it starts",
        ),
        (
            "from=2026-11-23&to=2026-11-27&by=colour",
            "\"colour\" is not a grouping",
        ),
    ] {
        let response = client
            .get(app.url(&format!(
                "/api/schools/{}/attendance?{query}",
                world.school.id
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains(says),
            "{query}: {body}"
        );
    }
    let response = client
        .get(app.url(&format!(
            "/api/schools/{}/attendance?from=2026-11-23&to=2026-11-27",
            world.other_trust_school.id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn save(
    client: &reqwest::Client,
    app: &common::TestApp,
    body: Value,
) -> (StatusCode, String) {
    let response = client
        .post(app.url("/api/fn/registers/save"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn current_marks(pool: &PgPool, school: Uuid) -> Vec<(Uuid, String)> {
    sqlx::query_as(
        "select pupil_id, code from marks where school_id = $1 and is_current order by pupil_id",
    )
    .bind(school)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn taking_a_register_is_one_safe_to_repeat_request_and_changes_need_a_reason() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    let [amira, oliver, grace] = world.school.pupils[..] else {
        panic!("three pupils")
    };
    let (client, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let register = |entries: Value, reason: Value| {
        json!({ "school_id": school, "form_id": world.school.form_id, "date": "2026-11-24",
                "session": "AM", "entries": entries, "reason": reason })
    };
    let entries = json!([
        { "pupil_id": amira, "code": "/" },
        { "pupil_id": oliver, "code": "L", "minutes_late": 7 },
        { "pupil_id": grace, "code": "N" },
    ]);
    let (status, body) = save(&client, &app, register(entries.clone(), Value::Null)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"created": 3, "amended": 0, "unchanged": 0})
    );

    // The same request again (a double tap, a retry after a dropped answer) changes nothing.
    let (status, body) = save(&client, &app, register(entries, Value::Null)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["unchanged"],
        3
    );
    assert_eq!(
        sqlx::query_scalar::<_, i64>("select count(*) from marks where school_id = $1")
            .bind(school)
            .fetch_one(&app.pool)
            .await
            .unwrap(),
        3
    );

    // The register as it is now, with each mark's id.
    let response = client
        .post(app.url("/api/fn/registers/load"))
        .form(&[
            ("school_id", school.to_string()),
            ("form_id", world.school.form_id.to_string()),
            ("date", "2026-11-24".to_string()),
            ("session", "AM".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let loaded: Value = response.json().await.unwrap();
    assert!(loaded["taken_at"].is_string());
    let mark_of = |pupil: Uuid| {
        loaded["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|line| line["pupil_id"] == json!(pupil))
            .unwrap()["mark"]["mark_id"]
            .as_i64()
            .unwrap()
    };
    let grace_mark = mark_of(grace);

    // Changing Grace's N to I without a reason is refused, and nothing is written.
    let change = json!([{ "pupil_id": grace, "code": "I", "seen_mark_id": grace_mark }]);
    let (status, body) = save(&client, &app, register(change.clone(), Value::Null)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("Okafor, Grace's AM mark is already N: give a reason"),
        "{body}"
    );
    let (status, body) = save(
        &client,
        &app,
        register(change, json!("Mother phoned at 9:20")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["amended"], 1);

    // The history keeps the original and the change, with who, when and why.
    let response = client
        .post(app.url("/api/fn/registers/history"))
        .form(&[
            ("school_id", school.to_string()),
            ("pupil_id", grace.to_string()),
            ("date", "2026-11-24".to_string()),
            ("session", "AM".to_string()),
        ])
        .send()
        .await
        .unwrap();
    let history: Value = response.json().await.unwrap();
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(
        (
            history[0]["code"].as_str(),
            history[0]["is_current"].as_bool()
        ),
        (Some("N"), Some(false))
    );
    assert_eq!(history[1]["code"], "I");
    assert_eq!(history[1]["replaced_code"], "N");
    assert_eq!(history[1]["reason"], "Mother phoned at 9:20");
    assert_eq!(history[1]["recorded_by"], "Test Attendance officer");

    // Someone saving from a copy opened before that change is told, and nothing is written.
    let stale = json!([{ "pupil_id": grace, "code": "M", "seen_mark_id": grace_mark }]);
    let (status, body) = save(&client, &app, register(stale, json!("Dentist"))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body.contains("changed after you opened it (now I, set by Test Attendance officer"),
        "{body}"
    );
    // A first mark entered on a copy opened before someone else marked the pupil is refused too.
    let stale = json!([{ "pupil_id": amira, "code": "N" }]);
    let (status, body) = save(&client, &app, register(stale, Value::Null)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let codes: Vec<String> = current_marks(&app.pool, school)
        .await
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(sorted, ["/", "I", "L"]);
}

#[tokio::test]
async fn bad_marks_are_refused_with_what_to_fix_and_nothing_is_written() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    let [amira, oliver, _] = world.school.pupils[..] else {
        panic!("three pupils")
    };
    let (client, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let register = |date: &str, entries: Value| {
        json!({ "school_id": school, "form_id": world.school.form_id, "date": date,
                "session": "PM", "entries": entries, "reason": null })
    };
    for (date, entries, says) in [
        (
            "2026-11-24",
            json!([{ "pupil_id": amira, "code": "H" }]),
            "\"H\" is not an attendance code in force",
        ),
        (
            "2026-11-28",
            json!([{ "pupil_id": amira, "code": "\\" }]),
            "Sat 28 Nov 2026 PM is not a school day",
        ),
        (
            "2026-11-27",
            json!([{ "pupil_id": amira, "code": "\\" }]),
            "not a school day",
        ),
        (
            "2026-11-24",
            json!([{ "pupil_id": amira, "code": "L" }]),
            "L needs the minutes late",
        ),
        (
            "2026-11-24",
            json!([{ "pupil_id": amira, "code": "I", "minutes_late": 5 }]),
            "minutes late only go with L or U",
        ),
        (
            "2026-11-24",
            json!([{ "pupil_id": world.other_trust_school.pupils[0], "code": "\\" }]),
            "not on this register",
        ),
    ] {
        let (status, body) = save(&client, &app, register(date, entries)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{date}: {body}");
        assert!(body.contains(says), "{date}: {body}");
    }
    // One good mark and one bad in the same register: neither is written.
    let (status, body) = save(
        &client,
        &app,
        register(
            "2026-11-24",
            json!([{ "pupil_id": amira, "code": "\\" }, { "pupil_id": oliver, "code": "U" }]),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(current_marks(&app.pool, school).await.is_empty());

    // A pupil who left is not on the register after leaving, and a mark after is refused.
    sqlx::query("update pupils set left_on = '2026-11-20' where school_id = $1 and id = $2")
        .bind(school)
        .bind(oliver)
        .execute(&app.pool)
        .await
        .unwrap();
    let mut tx = app.pool.begin().await.unwrap();
    let problems = write_marks(
        &mut tx,
        school,
        None,
        "import",
        None,
        &[MarkWrite {
            pupil_id: oliver,
            date: day("2026-11-24"),
            session: Session::Am,
            code: Code::PresentAm,
            minutes_late: None,
            seen: Seen::Anything,
        }],
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(
        problems[0].message.contains(
            "Smith, Oliver was not on roll on 2026-11-24 (admitted 2023-09-04, left 2026-11-20)"
        ),
        "{problems:?}"
    );
}

#[tokio::test]
async fn an_amendment_in_the_past_changes_every_later_figure() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    hand_counted_week(&world, &app.pool).await;
    let amira = world.school.pupils[0];
    // Monday morning becomes a medical appointment: the week's figures follow.
    set_marks(
        &app.pool,
        world.school.id,
        &[(amira, "2026-11-23", Session::Am, Code::Medical, None)],
    )
    .await;
    let (client, _) = common::sign_in(&app, &email(Role::Leadership)).await;
    let by_pupil = figures(
        &client,
        &app,
        world.school.id,
        "from=2026-11-24&to=2026-11-26&by=pupil",
    )
    .await;
    let later = pupil_line(&by_pupil, "Khan");
    assert_eq!(
        (later["present"].as_i64(), later["authorised"].as_i64()),
        (Some(4), Some(2))
    );
    let whole = figures(
        &client,
        &app,
        world.school.id,
        "from=2026-09-01&to=2026-12-18&by=pupil",
    )
    .await;
    let whole = pupil_line(&whole, "Khan");
    assert_eq!(
        (whole["present"].as_i64(), whole["authorised"].as_i64()),
        (Some(5), Some(3))
    );

    // The running totals equal a count of the marks themselves.
    let recount: (i64, i64) = sqlx::query_as(
        "select count(*) filter (where code in ('/', '\\', 'L')), count(*) filter (where code in ('I', 'M'))
         from marks where school_id = $1 and pupil_id = $2 and is_current",
    )
    .bind(world.school.id)
    .bind(amira)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(recount, (5, 3));
}

#[tokio::test]
async fn an_unexpected_closure_takes_the_sessions_out_of_the_figures() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    hand_counted_week(&world, &app.pool).await;
    let (client, _) = common::sign_in(&app, &email(Role::SchoolAdmin)).await;
    let response = client
        .post(app.url("/api/fn/registers/unexpected-closure"))
        .form(&[
            ("school_id", world.school.id.to_string()),
            ("date", "2026-11-25".to_string()),
            ("sessions[0]", "AM".to_string()),
            ("sessions[1]", "PM".to_string()),
            ("reason", "Burst water main".to_string()),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let by_pupil = figures(
        &client,
        &app,
        world.school.id,
        "from=2026-11-23&to=2026-11-27&by=pupil",
    )
    .await;
    let amira = pupil_line(&by_pupil, "Khan");
    // Wednesday's illness was replaced by Y4: 6 possible, all present.
    assert_eq!(
        (
            amira["possible"].as_i64(),
            amira["attendance_percent"].as_f64()
        ),
        (Some(6), Some(100.0))
    );
    let y4: i64 = sqlx::query_scalar(
        "select count(*) from marks where school_id = $1 and is_current and code = 'Y4' and amendment_reason = 'Burst water main'",
    )
    .bind(world.school.id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(y4, 6);
}

#[tokio::test]
async fn the_marks_export_and_the_register_copy_hold_every_entry() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    hand_counted_week(&world, &app.pool).await;
    let (client, _) = common::sign_in(&app, &email(Role::AttendanceLead)).await;
    let response = client
        .get(app.url(&format!(
            "/api/schools/{}/marks.csv?from=2026-11-23&to=2026-11-23",
            world.school.id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "upn,date,session,code,minutes_late");
    assert_eq!(lines.len(), 1 + 6);
    assert!(
        lines
            .iter()
            .any(|line| line.ends_with(",2026-11-23,AM,L,10")),
        "{csv}"
    );
    assert!(
        lines.iter().any(|line| line.ends_with(",2026-11-23,AM,D,")),
        "{csv}"
    );

    let response = client
        .get(app.url(&format!(
            "/api/schools/{}/register-copies/2026-11",
            world.school.id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let copy = response.text().await.unwrap();
    assert!(copy.starts_with("upn,pupil,date,session,code,minutes_late,entered_at,entered_by,source,replaces,reason,current"));
    assert_eq!(copy.lines().count(), 1 + 24);
    let response = client
        .get(app.url(&format!(
            "/api/schools/{}/register-copies/November",
            world.school.id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn n_marks_left_more_than_five_school_days_are_listed_for_chasing() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    // Marks dated on school days well in the past of any "today" from 2026-12 on: the fixture's
    // autumn term. Only the first is more than five school days before the last.
    let amira = world.school.pupils[0];
    set_marks(
        &app.pool,
        world.school.id,
        &[
            (amira, "2026-09-02", Session::Am, Code::NoReasonYet, None),
            (amira, "2026-09-02", Session::Pm, Code::Illness, None),
        ],
    )
    .await;
    let (client, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let response = client
        .post(app.url("/api/fn/registers/overdue-n"))
        .form(&[("school_id", world.school.id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let overdue: Value = response.json().await.unwrap();
    let overdue = overdue.as_array().unwrap();
    // Today is after 2 September 2026 whenever these tests run, so the N is overdue.
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert_eq!(overdue[0]["name"], "Khan, Amira");
    assert_eq!(overdue[0]["session"], "AM");
    assert!(overdue[0]["school_days_old"].as_i64().unwrap() > 5);
}

/// A mark as `set_marks` writes it: pupil, date, session, code and minutes late.
type Mark<'a> = (Uuid, &'a str, Session, Code, Option<i32>);

/// Every running total and monthly count of a school, and the same recounted from its marks.
async fn kept_and_recounted(pool: &PgPool, school: Uuid) -> (Vec<String>, Vec<String>) {
    let kept: Vec<String> = sqlx::query_scalar(
        "select concat_ws(' ', pupil_id, month, first_date, last_date, present, authorised,
             unauthorised, late_before_close)
         from attendance_months where school_id = $1 order by pupil_id, month",
    )
    .bind(school)
    .fetch_all(pool)
    .await
    .unwrap();
    let recounted: Vec<String> = sqlx::query_scalar(
        "select concat_ws(' ', pupil_id, date_trunc('month', session_date)::date,
             min(session_date), max(session_date),
             count(*) filter (where code in ('/', '\\', 'L')),
             count(*) filter (where code in ('I', 'M')),
             count(*) filter (where code in ('O', 'G', 'U', 'N')),
             count(*) filter (where code = 'L'))
         from marks where school_id = $1 and is_current
         group by pupil_id, date_trunc('month', session_date)
         order by pupil_id, date_trunc('month', session_date)",
    )
    .bind(school)
    .fetch_all(pool)
    .await
    .unwrap();
    (kept, recounted)
}

#[tokio::test]
async fn the_monthly_counts_follow_every_change_to_the_marks() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    let [amira, ben] = [world.school.pupils[0], world.school.pupils[1]];
    let steps: [&[Mark]; 5] = [
        // October and November marked, out of order.
        &[
            (amira, "2026-11-02", Session::Am, Code::PresentAm, None),
            (amira, "2026-10-05", Session::Am, Code::PresentAm, None),
            (amira, "2026-10-20", Session::Pm, Code::Illness, None),
            (ben, "2026-10-21", Session::Am, Code::Late, Some(5)),
            (
                ben,
                "2026-11-03",
                Session::Am,
                Code::OtherUnauthorised,
                None,
            ),
        ],
        // Today's register: a month already begun.
        &[
            (amira, "2026-11-23", Session::Am, Code::PresentAm, None),
            (ben, "2026-11-23", Session::Am, Code::NoReasonYet, None),
        ],
        // An amendment in the middle of October, before and after other days of the month.
        &[(amira, "2026-10-12", Session::Am, Code::Medical, None)],
        // The last day of a month changes its code.
        &[(ben, "2026-10-21", Session::Am, Code::PresentAm, None)],
        // A change on the first day with marks of November, and a new first day before it.
        &[
            (ben, "2026-11-03", Session::Am, Code::Illness, None),
            (ben, "2026-11-02", Session::Pm, Code::PresentPm, None),
        ],
    ];
    for (step, marks) in steps.iter().enumerate() {
        set_marks(&app.pool, school, marks).await;
        let (kept, recounted) = kept_and_recounted(&app.pool, school).await;
        assert_eq!(kept, recounted, "after step {step}");
    }
}

/// The school's daily counts as kept (each day's rows summed, days that came to nothing left
/// out) and the same recounted from every current mark, whoever's.
async fn school_days_kept_and_recounted(pool: &PgPool, school: Uuid) -> (Vec<String>, Vec<String>) {
    let codes = |category: Category| -> Vec<&'static str> {
        Code::ALL
            .iter()
            .filter(|code| code.category() == category)
            .map(|code| code.as_str())
            .collect()
    };
    let kept: Vec<String> = sqlx::query_scalar(
        "select concat_ws(' ', session_date, sum(present), sum(aea), sum(authorised),
             sum(unauthorised), sum(late_before_close), sum(late_after_close))
         from attendance_school_days where school_id = $1
         group by session_date
         having sum(abs(present) + abs(aea) + abs(authorised) + abs(unauthorised)
             + abs(late_before_close) + abs(late_after_close)) > 0
         order by session_date",
    )
    .bind(school)
    .fetch_all(pool)
    .await
    .unwrap();
    let recounted: Vec<String> = sqlx::query_scalar(
        "select concat_ws(' ', session_date,
             count(*) filter (where code = any($2)), count(*) filter (where code = any($3)),
             count(*) filter (where code = any($4)), count(*) filter (where code = any($5)),
             count(*) filter (where code = 'L'), count(*) filter (where code = 'U'))
         from marks where school_id = $1 and is_current
         group by session_date
         having count(*) filter (where code = any($2 || $3 || $4 || $5)) > 0
         order by session_date",
    )
    .bind(school)
    .bind(codes(Category::Present))
    .bind(codes(Category::ApprovedActivity))
    .bind(codes(Category::Authorised))
    .bind(codes(Category::Unauthorised))
    .fetch_all(pool)
    .await
    .unwrap();
    (kept, recounted)
}

#[tokio::test]
async fn the_school_days_follow_every_change_to_the_marks_and_registers_saved_at_once() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    let [amira, ben, grace] = [
        world.school.pupils[0],
        world.school.pupils[1],
        world.school.pupils[2],
    ];
    let same = |(kept, recounted): (Vec<String>, Vec<String>), after: &str| {
        assert!(!kept.is_empty(), "after {after}");
        assert_eq!(kept, recounted, "after {after}");
    };
    let steps: [&[Mark]; 4] = [
        &[
            (amira, "2026-11-02", Session::Am, Code::PresentAm, None),
            (amira, "2026-10-05", Session::Am, Code::PresentAm, None),
            (ben, "2026-10-21", Session::Am, Code::Late, Some(5)),
            (grace, "2026-11-02", Session::Pm, Code::Illness, None),
        ],
        &[
            (amira, "2026-11-23", Session::Am, Code::PresentAm, None),
            (ben, "2026-11-23", Session::Am, Code::NoReasonYet, None),
        ],
        // An amendment in the past changes one pupil's days after it too.
        &[(amira, "2026-10-12", Session::Am, Code::Medical, None)],
        &[
            (
                ben,
                "2026-11-23",
                Session::Am,
                Code::LateAfterClose,
                Some(40),
            ),
            (ben, "2026-10-21", Session::Am, Code::PresentAm, None),
        ],
    ];
    for (step, marks) in steps.iter().enumerate() {
        set_marks(&app.pool, school, marks).await;
        same(
            school_days_kept_and_recounted(&app.pool, school).await,
            &format!("step {step}"),
        );
    }

    // An arrival taken back: the session was unmarked before, so it has no current mark.
    set_marks(
        &app.pool,
        school,
        &[(grace, "2026-11-23", Session::Am, Code::Late, Some(3))],
    )
    .await;
    let arrival: i64 = sqlx::query_scalar(
        "select id from marks where school_id = $1 and pupil_id = $2 and is_current
           and session_date = '2026-11-23'",
    )
    .bind(school)
    .bind(grace)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let mut tx = app.pool.begin().await.unwrap();
    assert!(
        withdraw_mark(&mut tx, school, None, arrival, "late_door")
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    same(
        school_days_kept_and_recounted(&app.pool, school).await,
        "the undo",
    );

    // Two registers of one day saved at once: neither waits for the other, both count.
    let write = |pupil: Uuid, code: Code| MarkWrite {
        pupil_id: pupil,
        date: day("2026-11-24"),
        session: Session::Am,
        code,
        minutes_late: None,
        seen: Seen::Anything,
    };
    let mut first = app.pool.begin().await.unwrap();
    write_marks(
        &mut first,
        school,
        None,
        "register",
        None,
        &[write(amira, Code::PresentAm)],
    )
    .await
    .unwrap()
    .unwrap();
    let mut second = app.pool.begin().await.unwrap();
    let bens = [write(ben, Code::Illness)];
    let saving = write_marks(&mut second, school, None, "register", None, &bens);
    tokio::time::timeout(std::time::Duration::from_secs(10), saving)
        .await
        .expect("the second register does not wait for the first")
        .unwrap()
        .unwrap();
    second.commit().await.unwrap();
    // Folding while a save is still open leaves its rows for the next fold.
    let folded = fold_school_days(&app.pool).await.unwrap();
    assert!(folded > 0, "several saves of one day fold into one row");
    first.commit().await.unwrap();
    same(
        school_days_kept_and_recounted(&app.pool, school).await,
        "two saves at once and a fold between",
    );
    fold_school_days(&app.pool).await.unwrap();
    same(
        school_days_kept_and_recounted(&app.pool, school).await,
        "a second fold",
    );
    let rows_a_day: Vec<i64> = sqlx::query_scalar(
        "select count(*) from attendance_school_days where school_id = $1 group by session_date",
    )
    .bind(school)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(rows_a_day.iter().all(|&rows| rows == 1), "{rows_a_day:?}");

    // Read for the reports, a day holds only pupils on roll that day, as every figure does:
    // Ben admitted on 2 November (his October mark no longer counts), Grace leaving on 23
    // November (her marks of the 24th no longer count).
    set_marks(
        &app.pool,
        school,
        &[(grace, "2026-11-24", Session::Pm, Code::PresentPm, None)],
    )
    .await;
    sqlx::query(
        "update pupils set admitted_on = case when id = $2 then date '2026-11-02' else admitted_on end,
             left_on = case when id = $3 then date '2026-11-23' else left_on end
         where school_id = $1",
    )
    .bind(school)
    .bind(ben)
    .bind(grace)
    .execute(&app.pool)
    .await
    .unwrap();
    let (from, to) = (day("2026-10-01"), day("2026-11-30"));
    let read = school_days(&app.pool, school, from, to).await.unwrap();
    let mut by_hand = Vec::new();
    let mut date = from;
    while date <= to {
        let figures = pupil_figures(&app.pool, &[school], date, date)
            .await
            .unwrap();
        let day_total: Tally = figures.iter().map(|pupil| pupil.sessions).sum();
        if day_total != Tally::default() {
            by_hand.push((date, day_total));
        }
        date = date.succ_opt().unwrap();
    }
    let read: Vec<_> = read
        .into_iter()
        .filter(|(_, counts)| *counts != Tally::default())
        .collect();
    assert_eq!(read, by_hand);
    assert!(read.iter().all(|(date, _)| *date != day("2026-10-21")));
}
