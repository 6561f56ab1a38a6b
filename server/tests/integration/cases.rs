//! The case engine against a real PostgreSQL: which pupils get a case and with which figures,
//! running it twice, overriding a proposal, safeguarding notes and other schools' staff.

use crate::common::{self, viewer_by_email};

use app::{
    auth::Viewer,
    cases::queries::{add_note, answer_proposal, case_detail, caseload, evaluate_school},
    domain::{
        codes::{Code, Session},
        roles::{Permission, Role},
        triggers::Step,
    },
    registers::queries::{MarkWrite, Seen, write_marks},
    school::queries::school_days,
};
use chrono::NaiveDate;
use common::fixture::{Fixture, OUTSIDER, email};
use sqlx::PgPool;
use uuid::Uuid;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

const TODAY: &str = "2026-11-20";

/// The autumn term to 20 November (58 school days, 116 sessions): Amira present throughout;
/// Oliver absent 14 sessions, 11 of them O in October and 3 illness (87.93%, and 11
/// unauthorised sessions); Grace 6 sessions of illness (94.83%).
async fn term_of_marks(pool: &PgPool, fixture: &Fixture) -> Vec<NaiveDate> {
    let school = &fixture.school;
    let days = school_days(pool, school.id, day("2026-09-01"), day(TODAY))
        .await
        .unwrap();
    assert_eq!(days.len(), 58);
    let (amira, oliver, grace) = (school.pupils[0], school.pupils[1], school.pupils[2]);
    let mut writes = Vec::new();
    let mut october = 0;
    for (index, date) in days.iter().enumerate() {
        for session in [Session::Am, Session::Pm] {
            let slot = index * 2 + usize::from(session == Session::Pm);
            let present = if session == Session::Am {
                Code::PresentAm
            } else {
                Code::PresentPm
            };
            let in_october = date.to_string().starts_with("2026-10");
            let oliver_code = if in_october && october < 11 {
                october += 1;
                Code::OtherUnauthorised
            } else if slot < 3 {
                Code::Illness
            } else {
                present
            };
            let grace_code = if (20..26).contains(&slot) {
                Code::Illness
            } else {
                present
            };
            for (pupil, code) in [(amira, present), (oliver, oliver_code), (grace, grace_code)] {
                writes.push(MarkWrite {
                    pupil_id: pupil,
                    date: *date,
                    session,
                    code,
                    minutes_late: None,
                    seen: Seen::Anything,
                });
            }
        }
    }
    let mut tx = pool.begin().await.unwrap();
    write_marks(&mut tx, school.id, None, "register", None, &writes)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    days
}

async fn counts(pool: &PgPool) -> (i64, i64) {
    sqlx::query_as("select (select count(*) from cases), (select count(*) from case_events)")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_engine_opens_the_right_cases_with_their_figures_and_twice_is_the_same() {
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    term_of_marks(&pool, &fixture).await;
    let school = fixture.school.id;

    let first = evaluate_school(&pool, school, day(TODAY)).await.unwrap();
    assert_eq!(first.pupils, 3);
    assert_eq!(first.cases_opened, 2);
    // Oliver: an attendance plan and a penalty notice to consider; Grace: a first letter.
    assert_eq!(first.proposals, 3);

    let cases = caseload(&pool, school, None).await.unwrap();
    assert_eq!(cases.len(), 2);
    assert_eq!(cases[0].pupil_id, fixture.school.pupils[1]);
    assert_eq!(cases[0].stage, Step::PenaltyNotice);
    assert_eq!(cases[0].attendance, Some(8793));
    assert!(
        cases[0]
            .why
            .starts_with("87.93% over 12 school weeks (102 of 116 sessions attended, 11 unauthorised): below 90.00%"),
        "{}",
        cases[0].why
    );
    assert!(
        cases[0]
            .why
            .contains("11 unauthorised sessions (G, N, O, U) between 1 Oct 2026 and 8 Oct 2026"),
        "{}",
        cases[0].why
    );
    assert_eq!(cases[0].open_proposals, 2);
    assert_eq!(cases[1].pupil_id, fixture.school.pupils[2]);
    assert_eq!(cases[1].stage, Step::FirstLetter);
    assert_eq!(cases[1].attendance, Some(9483));
    // New cases go to the attendance officer.
    let officer = viewer_by_email(&pool, &email(Role::AttendanceOfficer)).await;
    assert_eq!(cases[0].owner_id, Some(officer.staff_id));
    assert_eq!(
        caseload(&pool, school, Some(officer.staff_id))
            .await
            .unwrap()
            .len(),
        2
    );

    let before = counts(&pool).await;
    let second = evaluate_school(&pool, school, day(TODAY)).await.unwrap();
    assert_eq!(second.cases_opened, 0);
    assert_eq!(second.proposals, 0);
    assert_eq!(counts(&pool).await, before);
    // Two at once wait for each other and still open nothing twice.
    let (a, b) = tokio::join!(
        evaluate_school(&pool, school, day(TODAY)),
        evaluate_school(&pool, school, day(TODAY))
    );
    assert_eq!(a.unwrap().cases_opened + b.unwrap().cases_opened, 0);
    assert_eq!(counts(&pool).await, before);

    // The timeline has the case opened and each proposal with the figures.
    let detail = case_detail(&pool, &officer, school, cases[0].id)
        .await
        .unwrap()
        .unwrap();
    let kinds: Vec<&str> = detail.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["opened", "proposed", "proposed"]);
    assert_eq!(
        detail.events[1].detail["evidence"]["sessions"]["unauthorised"],
        11
    );
}

#[tokio::test]
async fn a_proposal_overridden_with_a_reason_is_on_the_timeline_and_audited() {
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    term_of_marks(&pool, &fixture).await;
    let school = fixture.school.id;
    evaluate_school(&pool, school, day(TODAY)).await.unwrap();
    let officer = viewer_by_email(&pool, &email(Role::AttendanceOfficer)).await;
    let case = caseload(&pool, school, None).await.unwrap()[1].clone();
    let detail = case_detail(&pool, &officer, school, case.id)
        .await
        .unwrap()
        .unwrap();
    let proposal = detail
        .events
        .iter()
        .find(|e| e.kind == "proposed")
        .unwrap()
        .id;

    let refused = answer_proposal(&pool, officer.staff_id, school, proposal, false, "  ")
        .await
        .unwrap();
    assert!(refused.unwrap_err().contains("Say why"));
    answer_proposal(
        &pool,
        officer.staff_id,
        school,
        proposal,
        false,
        "Illness with a doctor's letter: no letter home",
    )
    .await
    .unwrap()
    .unwrap();
    let again = answer_proposal(&pool, officer.staff_id, school, proposal, true, "")
        .await
        .unwrap();
    assert!(again.unwrap_err().contains("already answered"));
    // Another school cannot answer it.
    let elsewhere = answer_proposal(
        &pool,
        officer.staff_id,
        fixture.sister.id,
        proposal,
        true,
        "",
    )
    .await
    .unwrap();
    assert!(elsewhere.unwrap_err().contains("no such proposal"));

    let detail = case_detail(&pool, &officer, school, case.id)
        .await
        .unwrap()
        .unwrap();
    let last = detail.events.last().unwrap();
    assert_eq!(last.kind, "overridden");
    assert_eq!(
        last.summary,
        "Overridden: Illness with a doctor's letter: no letter home"
    );
    assert_eq!(last.by_name.as_deref(), Some("Test Attendance officer"));
    assert!(detail.events.iter().any(|e| e.id == proposal && e.answered));
    let audited: (String, serde_json::Value) = sqlx::query_as(
        "select subject, detail from audit_log where action = 'case_proposal_overridden'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited.0, format!("case:{}", case.id));
    assert_eq!(
        audited.1["reason"],
        "Illness with a doctor's letter: no letter home"
    );
    assert_eq!(
        caseload(&pool, school, None).await.unwrap()[1].open_proposals,
        0
    );
    // Answered proposals are not proposed again.
    let rerun = evaluate_school(&pool, school, day(TODAY)).await.unwrap();
    assert_eq!(rerun.proposals, 0);
}

#[tokio::test]
async fn safeguarding_notes_are_seen_only_by_the_dsl() {
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    term_of_marks(&pool, &fixture).await;
    let school = fixture.school.id;
    evaluate_school(&pool, school, day(TODAY)).await.unwrap();
    let officer = viewer_by_email(&pool, &email(Role::AttendanceOfficer)).await;
    let dsl = viewer_by_email(&pool, &email(Role::Dsl)).await;
    assert!(dsl.can(Permission::ViewSafeguarding, school));
    let case = caseload(&pool, school, None).await.unwrap()[0].clone();
    add_note(
        &pool,
        officer.staff_id,
        school,
        case.id,
        "Called mum",
        false,
    )
    .await
    .unwrap()
    .unwrap();
    add_note(
        &pool,
        dsl.staff_id,
        school,
        case.id,
        "Disclosure made to the DSL",
        true,
    )
    .await
    .unwrap()
    .unwrap();
    let empty = add_note(&pool, officer.staff_id, school, case.id, " ", false)
        .await
        .unwrap();
    assert!(empty.is_err());

    let seen_by = |viewer: Viewer| {
        let pool = pool.clone();
        async move {
            case_detail(&pool, &viewer, school, case.id)
                .await
                .unwrap()
                .unwrap()
                .events
        }
    };
    let officer_sees = seen_by(officer.clone()).await;
    assert!(officer_sees.iter().any(|e| e.summary == "Called mum"));
    assert!(!officer_sees.iter().any(|e| e.safeguarding));
    assert!(
        !serde_json::to_string(&officer_sees)
            .unwrap()
            .contains("Disclosure")
    );
    let dsl_sees = seen_by(dsl).await;
    assert!(
        dsl_sees
            .iter()
            .any(|e| e.safeguarding && e.summary == "Disclosure made to the DSL")
    );
    assert_eq!(dsl_sees.len(), officer_sees.len() + 1);
}

#[tokio::test]
async fn the_server_functions_hide_safeguarding_and_refuse_other_schools() {
    let app = common::spawn().await;
    let fixture = Fixture::new(&app.pool).await;
    term_of_marks(&app.pool, &fixture).await;
    let school = fixture.school.id;
    evaluate_school(&app.pool, school, day(TODAY))
        .await
        .unwrap();
    let case = caseload(&app.pool, school, None).await.unwrap()[0].clone();
    let dsl = viewer_by_email(&app.pool, &email(Role::Dsl)).await;
    add_note(
        &app.pool,
        dsl.staff_id,
        school,
        case.id,
        "Secret concern",
        true,
    )
    .await
    .unwrap()
    .unwrap();

    let form = [
        ("school_id", school.to_string()),
        ("case_id", case.id.to_string()),
    ];
    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let answer = officer
        .post(app.url("/api/fn/cases/one"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body = answer.text().await.unwrap();
    assert!(body.contains("Case opened"), "{body}");
    assert!(!body.contains("Secret concern"));
    assert!(!body.contains("\"safeguarding\":true"));

    let (dsl_client, _) = common::sign_in(&app, &email(Role::Dsl)).await;
    let body = dsl_client
        .post(app.url("/api/fn/cases/one"))
        .form(&form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("Secret concern"));

    let (outsider, _) = common::sign_in(&app, OUTSIDER).await;
    let refused = outsider
        .post(app.url("/api/fn/cases/one"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let (late_door, _) = common::sign_in(&app, &email(Role::LateDoor)).await;
    let refused = late_door
        .post(app.url("/api/fn/cases/list"))
        .form(&[
            ("school_id", school.to_string()),
            ("mine", "false".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn the_case_policy_is_saved_audited_and_followed() {
    use app::{
        cases::queries::{policy, save_policy},
        domain::triggers::CasePolicy,
    };
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    term_of_marks(&pool, &fixture).await;
    let school = fixture.school.id;
    assert_eq!(policy(&pool, school).await.unwrap(), CasePolicy::default());
    let admin = viewer_by_email(&pool, &email(Role::SchoolAdmin)).await;
    // Grace's 94.83% is no longer a concern when letters start below 94%.
    let stricter = CasePolicy {
        letter_below: 9400,
        ..CasePolicy::default()
    }
    .checked()
    .unwrap();
    save_policy(&pool, admin.staff_id, school, &stricter)
        .await
        .unwrap();
    assert_eq!(policy(&pool, school).await.unwrap(), stricter);
    let audited: serde_json::Value = sqlx::query_scalar(
        "select detail from audit_log where action = 'case_policy_changed' and school_id = $1",
    )
    .bind(school)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited["before"]["letter_below"], 9500);
    assert_eq!(audited["after"]["letter_below"], 9400);
    let run = evaluate_school(&pool, school, day(TODAY)).await.unwrap();
    assert_eq!(run.cases_opened, 1);
    // The database refuses a ladder that does not go down, whatever the caller checked.
    let upside_down = CasePolicy {
        meeting_below: 9900,
        ..CasePolicy::default()
    };
    assert!(
        save_policy(&pool, admin.staff_id, school, &upside_down)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_case_is_passed_on_and_closed_with_a_reason_and_stays_closed_until_it_gets_worse() {
    use app::cases::queries::{case_workers, close, reassign};
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    term_of_marks(&pool, &fixture).await;
    let school = fixture.school.id;
    evaluate_school(&pool, school, day(TODAY)).await.unwrap();
    // Grace: a first letter only.
    let grace = caseload(&pool, school, None)
        .await
        .unwrap()
        .into_iter()
        .find(|case| case.pupil_id == fixture.school.pupils[2])
        .unwrap();
    let officer = viewer_by_email(&pool, &email(Role::AttendanceOfficer)).await;
    let lead = viewer_by_email(&pool, &email(Role::AttendanceLead)).await;
    let pastoral = viewer_by_email(&pool, &email(Role::Pastoral)).await;

    let workers = case_workers(&pool, school).await.unwrap();
    assert!(workers.iter().any(|(id, _)| *id == lead.staff_id));
    assert!(!workers.iter().any(|(id, _)| *id == pastoral.staff_id));
    let refused = reassign(&pool, officer.staff_id, school, grace.id, pastoral.staff_id)
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        refused.contains("Choose someone who works cases"),
        "{refused}"
    );
    reassign(&pool, officer.staff_id, school, grace.id, lead.staff_id)
        .await
        .unwrap()
        .unwrap();
    let refused = close(&pool, officer.staff_id, school, grace.id, "  ")
        .await
        .unwrap()
        .unwrap_err();
    assert!(refused.contains("Say why"), "{refused}");
    close(
        &pool,
        officer.staff_id,
        school,
        grace.id,
        "Broken arm: hospital letters on file",
    )
    .await
    .unwrap()
    .unwrap();
    let again = close(&pool, officer.staff_id, school, grace.id, "twice")
        .await
        .unwrap()
        .unwrap_err();
    assert!(again.contains("already closed"), "{again}");
    let timeline: Vec<(String, String)> = sqlx::query_as(
        "select kind, summary from case_events where case_id = $1 and kind in ('reassigned', 'closed') order by id",
    )
    .bind(grace.id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(timeline.len(), 2);
    assert!(timeline[0].1.starts_with("Case passed to "));
    assert_eq!(
        timeline[1].1,
        "Case closed: Broken arm: hospital letters on file"
    );

    // The engine's next run opens nothing for Grace, who is still at the same step.
    let next = evaluate_school(&pool, school, day(TODAY)).await.unwrap();
    assert_eq!(next.cases_opened, 0);
    let open = caseload(&pool, school, None).await.unwrap();
    assert!(
        !open
            .iter()
            .any(|case| case.pupil_id == fixture.school.pupils[2])
    );
}

#[tokio::test]
async fn a_change_of_marks_puts_the_school_on_the_engines_next_minute() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    let mut tx = app.pool.begin().await.unwrap();
    write_marks(
        &mut tx,
        school,
        None,
        "register",
        None,
        &[MarkWrite {
            pupil_id: world.school.pupils[0],
            date: day("2026-11-20"),
            session: Session::Am,
            code: Code::NoReasonYet,
            minutes_late: None,
            seen: Seen::Anything,
        }],
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
    assert!(app::cases::queries::marks_changed_since_last_run(school));
    assert!(!app::cases::queries::marks_changed_since_last_run(
        Uuid::new_v4()
    ));
}

#[tokio::test]
async fn a_task_has_a_due_date_and_a_case_worker_and_is_done_once() {
    use app::cases::queries::{NewTask, add_task, close, task_done};
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    term_of_marks(&pool, &fixture).await;
    let school = fixture.school.id;
    evaluate_school(&pool, school, day(TODAY)).await.unwrap();
    let cases = caseload(&pool, school, None).await.unwrap();
    let oliver = cases
        .iter()
        .find(|case| case.pupil_id == fixture.school.pupils[1])
        .unwrap();
    let officer = viewer_by_email(&pool, &email(Role::AttendanceOfficer)).await;
    let pastoral = viewer_by_email(&pool, &email(Role::Pastoral)).await;
    let today = app::school::queries::today_at(&pool, school)
        .await
        .unwrap()
        .unwrap();
    let task = |title: &str, due_on: NaiveDate, assigned_to: Uuid| NewTask {
        case_id: oliver.id,
        title: title.to_string(),
        due_on,
        assigned_to,
    };

    // Refused, each with what to fix, and nothing written.
    let cases_of = |result: Result<Result<(), String>, sqlx::Error>| result.unwrap().unwrap_err();
    let yesterday = today.pred_opt().unwrap();
    let past = cases_of(
        add_task(
            &pool,
            officer.staff_id,
            school,
            &task("Ring mum", yesterday, officer.staff_id),
        )
        .await,
    );
    assert!(past.contains("has passed"), "{past}");
    let blank = cases_of(
        add_task(
            &pool,
            officer.staff_id,
            school,
            &task("  ", today, officer.staff_id),
        )
        .await,
    );
    assert!(blank.contains("Say what needs doing"), "{blank}");
    let long = "x".repeat(201);
    let long = cases_of(
        add_task(
            &pool,
            officer.staff_id,
            school,
            &task(&long, today, officer.staff_id),
        )
        .await,
    );
    assert!(long.contains("200 characters"), "{long}");
    let not_a_worker = cases_of(
        add_task(
            &pool,
            officer.staff_id,
            school,
            &task("Ring mum", today, pastoral.staff_id),
        )
        .await,
    );
    assert!(not_a_worker.contains("works cases"), "{not_a_worker}");
    let elsewhere = cases_of(
        add_task(
            &pool,
            officer.staff_id,
            fixture.sister.id,
            &task("Ring mum", today, officer.staff_id),
        )
        .await,
    );
    assert!(!elsewhere.is_empty());
    let written: i64 = sqlx::query_scalar("select count(*) from case_tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(written, 0);

    // Due today: it counts on the caseload, and the case page lists it.
    add_task(
        &pool,
        officer.staff_id,
        school,
        &task("Ring mum after the review", today, officer.staff_id),
    )
    .await
    .unwrap()
    .unwrap();
    add_task(
        &pool,
        officer.staff_id,
        school,
        &task(
            "Ask the nurse for the medical letter",
            today + chrono::Days::new(7),
            officer.staff_id,
        ),
    )
    .await
    .unwrap()
    .unwrap();
    let line = caseload(&pool, school, None)
        .await
        .unwrap()
        .into_iter()
        .find(|case| case.id == oliver.id)
        .unwrap();
    assert_eq!(line.tasks_due, 1);
    let detail = case_detail(&pool, &officer, school, oliver.id)
        .await
        .unwrap()
        .unwrap();
    let titles: Vec<&str> = detail.tasks.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Ring mum after the review",
            "Ask the nurse for the medical letter"
        ]
    );
    assert!(
        detail
            .tasks
            .iter()
            .all(|t| !t.overdue && t.done_at.is_none())
    );

    // Done once, by whom, on the timeline; another school cannot touch it.
    let first = detail.tasks[0].id;
    assert!(
        task_done(&pool, officer.staff_id, fixture.sister.id, first)
            .await
            .unwrap()
            .is_err()
    );
    task_done(&pool, officer.staff_id, school, first)
        .await
        .unwrap()
        .unwrap();
    let again = task_done(&pool, officer.staff_id, school, first)
        .await
        .unwrap()
        .unwrap_err();
    assert!(again.contains("already done"), "{again}");
    let detail = case_detail(&pool, &officer, school, oliver.id)
        .await
        .unwrap()
        .unwrap();
    let done = detail.tasks.iter().find(|t| t.id == first).unwrap();
    assert!(done.done_at.is_some());
    assert!(done.done_by_name.is_some());
    let events: Vec<String> = sqlx::query_scalar(
        "select summary from case_events where case_id = $1 and kind in ('task', 'task_done') order by id",
    )
    .bind(oliver.id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[2], "Task done: Ring mum after the review");
    let line = caseload(&pool, school, None)
        .await
        .unwrap()
        .into_iter()
        .find(|case| case.id == oliver.id)
        .unwrap();
    assert_eq!(line.tasks_due, 0);

    // A closed case takes no more tasks.
    close(
        &pool,
        officer.staff_id,
        school,
        oliver.id,
        "Back in school every day",
    )
    .await
    .unwrap()
    .unwrap();
    let closed = cases_of(
        add_task(
            &pool,
            officer.staff_id,
            school,
            &task("Ring mum", today, officer.staff_id),
        )
        .await,
    );
    assert!(closed.contains("closed"), "{closed}");
}
