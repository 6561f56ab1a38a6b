//! Letters against a real PostgreSQL and a local SMTP sink: templates refused for unknown merge
//! fields, a letter generated onto the case's timeline, a batch run twice, the PDF, email with
//! its delivery log, and people without the role or from another school refused.

use std::sync::{Arc, Mutex};

use crate::common;

use app::{
    auth::queries::viewer_for_staff,
    domain::{
        codes::{Code, Session},
        roles::Role,
        triggers::Step,
    },
    letters::{
        MailSettings,
        mail::SmtpRelay,
        queries::{generate, generate_batch, letter, save_letterhead, save_template, templates},
    },
    registers::queries::{MarkWrite, Seen, write_marks},
};
use chrono::NaiveDate;
use common::fixture::{Fixture, OUTSIDER, email};
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use uuid::Uuid;

async fn staff_id(pool: &PgPool, role: Role) -> Uuid {
    let id: Uuid = sqlx::query_scalar("select id from staff where email = $1")
        .bind(email(role))
        .fetch_one(pool)
        .await
        .unwrap();
    viewer_for_staff(pool, id).await.unwrap().unwrap().staff_id
}

/// Opens a case at `step` for a pupil of the main school, as the engine would.
async fn open_case(pool: &PgPool, school_id: Uuid, pupil_id: Uuid, step: Step) -> Uuid {
    sqlx::query_scalar(
        "insert into cases (school_id, pupil_id, stage, latest_why) values ($1, $2, $3, 'test')
         returning id",
    )
    .bind(school_id)
    .bind(pupil_id)
    .bind(step.key())
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Oliver misses three of four sessions on 2 and 3 November 2026 (O), so 25.0% attendance.
async fn olivers_absence(pool: &PgPool, fixture: &Fixture) {
    let oliver = fixture.school.pupils[1];
    let mut writes = Vec::new();
    for (date, session, code) in [
        ("2026-11-02", Session::Am, Code::PresentAm),
        ("2026-11-02", Session::Pm, Code::OtherUnauthorised),
        ("2026-11-03", Session::Am, Code::OtherUnauthorised),
        ("2026-11-03", Session::Pm, Code::OtherUnauthorised),
    ] {
        writes.push(MarkWrite {
            pupil_id: oliver,
            date: date.parse::<NaiveDate>().unwrap(),
            session,
            code,
            minutes_late: None,
            seen: Seen::Anything,
        });
    }
    let mut tx = pool.begin().await.unwrap();
    write_marks(&mut tx, fixture.school.id, None, "register", None, &writes)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn a_template_with_an_unknown_merge_field_is_refused_and_nothing_is_saved() {
    let app = common::spawn().await;
    let pool = &app.pool;
    let fixture = Fixture::new(pool).await;
    let school = fixture.school.id;
    let seeded = templates(pool, school).await.unwrap();
    assert_eq!(seeded.len(), Step::ALL.len(), "a default per stage");
    assert!(seeded.iter().all(|t| t.version == 1));
    let lead = staff_id(pool, Role::AttendanceLead).await;

    let refused = save_template(
        pool,
        lead,
        school,
        Step::FirstLetter,
        "About {{pupil.first_name}}",
        "Dear {{parent.name}}, {{pupil.nickname}} was away.",
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(refused.contains("{{pupil.nickname}}"), "{refused}");
    assert!(refused.contains("{{pupil.first_name}}"), "{refused}");
    assert!(
        refused.contains("{{figures.attendance_percent}}"),
        "{refused}"
    );
    let unclosed = save_template(pool, lead, school, Step::FirstLetter, "{{today", "Body")
        .await
        .unwrap()
        .unwrap_err();
    assert!(unclosed.contains("no closing"), "{unclosed}");
    assert_eq!(templates(pool, school).await.unwrap(), seeded);
    assert_eq!(
        count(
            pool,
            "select count(*) from audit_log where action = 'letter_template_saved'"
        )
        .await,
        0
    );

    let saved = save_template(
        pool,
        lead,
        school,
        Step::FirstLetter,
        "About {{pupil.first_name}}",
        "Dear {{parent.name}},\n\n{{ pupil.first_name }} attended {{figures.attendance_percent}}.",
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(
        count(
            pool,
            "select count(*) from audit_log where action = 'letter_template_saved'"
        )
        .await,
        1
    );

    // Through the server function: 422 naming the field; officers may not edit templates.
    let form = |body: &str| {
        [
            ("school_id", school.to_string()),
            ("step", "meeting".to_string()),
            ("subject", "Meeting".to_string()),
            ("body", body.to_string()),
        ]
    };
    let (lead_client, _) = common::sign_in(&app, &email(Role::AttendanceLead)).await;
    let answer = lead_client
        .post(app.url("/api/fn/letters/save-template"))
        .form(&form("Dear {{parent.title}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 422);
    assert!(answer.text().await.unwrap().contains("{{parent.title}}"));
    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let answer = officer
        .post(app.url("/api/fn/letters/save-template"))
        .form(&form("Dear {{parent.name}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    let (admin, _) = common::sign_in(&app, &email(Role::SchoolAdmin)).await;
    let answer = admin
        .post(app.url("/api/fn/letters/save-template"))
        .form(&form("Dear {{parent.name}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
}

#[tokio::test]
async fn a_letter_is_merged_from_the_case_stored_and_on_the_timeline() {
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    olivers_absence(&pool, &fixture).await;
    let school = fixture.school.id;
    let case = open_case(&pool, school, fixture.school.pupils[1], Step::FirstLetter).await;
    let officer = staff_id(&pool, Role::AttendanceOfficer).await;

    let id = generate(&pool, officer, school, case)
        .await
        .unwrap()
        .unwrap();
    let letter = letter(&pool, school, id).await.unwrap().unwrap();
    assert_eq!(
        letter.line.subject,
        "Oliver's attendance at Oakfield Academy"
    );
    assert_eq!(letter.line.step, Step::FirstLetter);
    assert_eq!(letter.template_version, 1);
    assert_eq!(letter.line.recipient_email, "sam@example.com");
    assert!(letter.body.contains("Dear Sam Smith,"), "{}", letter.body);
    assert!(
        letter.body.contains("Oliver Smith's attendance"),
        "{}",
        letter.body
    );
    assert!(
        letter.body.contains("attended 25.0% of sessions"),
        "{}",
        letter.body
    );
    assert!(letter.body.contains("missed 3 sessions"), "{}", letter.body);
    assert!(
        letter.body.contains("Between 1 September 2026 and"),
        "{}",
        letter.body
    );
    assert!(!letter.body.contains("{{"), "{}", letter.body);
    assert_eq!(
        letter.line.created_by_name.as_deref(),
        Some("Test Attendance officer")
    );

    let (kind, summary, links): (String, String, serde_json::Value) = sqlx::query_as(
        "select kind, summary, links from case_events where case_id = $1 and kind = 'letter'",
    )
    .bind(case)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kind, "letter");
    assert!(summary.contains("Oliver's attendance"), "{summary}");
    assert_eq!(links["letter_id"], id.to_string());
    assert_eq!(
        count(
            &pool,
            "select count(*) from audit_log where action = 'letter_generated'"
        )
        .await,
        1
    );

    // A case of another school is not found through this school.
    let elsewhere = open_case(
        &pool,
        fixture.other_trust_school.id,
        fixture.other_trust_school.pupils[0],
        Step::Meeting,
    )
    .await;
    let refused = generate(&pool, officer, school, elsewhere)
        .await
        .unwrap()
        .unwrap_err();
    assert!(refused.contains("no such case"), "{refused}");
}

#[tokio::test]
async fn a_batch_writes_to_everyone_at_the_stage_once() {
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    let school = fixture.school.id;
    let [amira, oliver, grace] = fixture.school.pupils[..] else {
        panic!()
    };
    open_case(&pool, school, amira, Step::Meeting).await;
    open_case(&pool, school, oliver, Step::FirstLetter).await;
    open_case(&pool, school, grace, Step::Meeting).await;
    let officer = staff_id(&pool, Role::AttendanceOfficer).await;

    let first = generate_batch(&pool, officer, school, Step::Meeting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.cases, first.generated, first.already), (2, 2, 0));
    let again = generate_batch(&pool, officer, school, Step::Meeting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.cases, again.generated, again.already), (2, 0, 2));
    let subjects: Vec<String> =
        sqlx::query_scalar("select subject from letters where school_id = $1 order by subject")
            .bind(school)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        subjects,
        [
            "An invitation to a meeting about Amira's attendance",
            "An invitation to a meeting about Grace's attendance"
        ]
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from case_events where kind = 'letter'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn the_pdf_is_the_letter_for_those_who_may_read_it() {
    let app = common::spawn().await;
    let fixture = Fixture::new(&app.pool).await;
    let school = fixture.school.id;
    let lead = staff_id(&app.pool, Role::AttendanceLead).await;
    save_letterhead(
        &app.pool,
        lead,
        school,
        "1 Oak Lane\n\n  Riverside RV1 2AB  \n",
    )
    .await
    .unwrap();
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'school_address_changed'"
        )
        .await,
        1
    );
    let case = open_case(&app.pool, school, fixture.school.pupils[0], Step::Meeting).await;
    let officer_id = staff_id(&app.pool, Role::AttendanceOfficer).await;
    let id = generate(&app.pool, officer_id, school, case)
        .await
        .unwrap()
        .unwrap();
    let path = format!("/api/schools/{school}/letters/{id}/pdf");

    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let answer = officer.get(app.url(&path)).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "application/pdf");
    assert!(
        answer.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"letter-meeting-")
    );
    let pdf = answer.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("/Count 1"), "one page");
    assert!(text.contains("(Oakfield Academy)"));
    assert!(text.contains("(1 Oak Lane)"));
    assert!(text.contains("(Riverside RV1 2AB)"));
    assert!(text.contains("(Dear Sam Khan,)"));
    assert!(text.contains("(Page 1 of 1)"));

    // Leadership reads cases, so may have the PDF; the late door may not; nor another trust.
    let (head, _) = common::sign_in(&app, &email(Role::Leadership)).await;
    assert_eq!(head.get(app.url(&path)).send().await.unwrap().status(), 200);
    let (door, _) = common::sign_in(&app, &email(Role::LateDoor)).await;
    assert_eq!(door.get(app.url(&path)).send().await.unwrap().status(), 403);
    let (outsider, _) = common::sign_in(&app, OUTSIDER).await;
    assert_eq!(
        outsider.get(app.url(&path)).send().await.unwrap().status(),
        403
    );
    let other = format!(
        "/api/schools/{}/letters/{id}/pdf",
        fixture.other_trust_school.id
    );
    assert_eq!(
        outsider.get(app.url(&other)).send().await.unwrap().status(),
        404
    );
    assert_eq!(
        common::browser(&app)
            .get(app.url(&path))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    // A long letter runs over pages, each numbered.
    let long = "Dear {{parent.name}},\n\nA paragraph about attendance that the school wrote.\n"
        .to_string()
        + &"Another line of the letter.\n".repeat(90);
    save_template(&app.pool, lead, school, Step::Meeting, "Meeting", &long)
        .await
        .unwrap()
        .unwrap();
    let id = generate(&app.pool, officer_id, school, case)
        .await
        .unwrap()
        .unwrap();
    let pdf = officer
        .get(app.url(&format!("/api/schools/{school}/letters/{id}/pdf")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("/Count 3"), "about 100 lines at 47 a page");
    assert!(text.contains("(Page 3 of 3)"));
    assert_eq!(text.matches("(Another line of the letter.)").count(), 90);
}

/// A local SMTP server that accepts every message and keeps each conversation's transcript.
async fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let kept = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let mut transcript = String::new();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    transcript.push_str(&line);
                    transcript.push('\n');
                    let reply: &[u8] = if in_data {
                        if line == "." {
                            in_data = false;
                            b"250 queued\r\n"
                        } else {
                            continue;
                        }
                    } else {
                        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                        match verb.as_str() {
                            "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "DATA" => {
                                in_data = true;
                                b"354 go ahead\r\n"
                            }
                            "QUIT" => {
                                write.write_all(b"221 bye\r\n").await.ok();
                                break;
                            }
                            _ => b"250 OK\r\n",
                        }
                    };
                    write.write_all(reply).await.unwrap();
                }
                kept.lock().unwrap().push(transcript);
            });
        }
    });
    (port, received)
}

async fn spawn_with_mail(mail: MailSettings) -> common::TestApp {
    let pool = common::fresh_database().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = server::http::router(server::http::AppState {
        pool: pool.clone(),
        leptos_options: common::leptos_options(),
        cookie_policy: app::auth::server::CookiePolicy { secure: false },
        mail,
    });
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    common::TestApp {
        base_url: format!("http://{addr}"),
        pool,
        client: reqwest::Client::new(),
    }
}

fn relay(port: u16) -> MailSettings {
    MailSettings {
        smtp: Some(SmtpRelay {
            host: "127.0.0.1".into(),
            port,
            from: "Oakfield Academy <attendance@oakfield.test>".into(),
        }),
    }
}

#[tokio::test]
async fn a_letter_is_emailed_to_the_parent_through_smtp_with_a_delivery_log() {
    let (port, received) = smtp_sink().await;
    let app = spawn_with_mail(relay(port)).await;
    let fixture = Fixture::new(&app.pool).await;
    let school = fixture.school.id;
    let case = open_case(
        &app.pool,
        school,
        fixture.school.pupils[2],
        Step::FirstLetter,
    )
    .await;
    let officer_id = staff_id(&app.pool, Role::AttendanceOfficer).await;
    let id = generate(&app.pool, officer_id, school, case)
        .await
        .unwrap()
        .unwrap();
    let form = [
        ("school_id", school.to_string()),
        ("letter_id", id.to_string()),
    ];

    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let answer = officer
        .post(app.url("/api/fn/letters/email"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    assert_eq!(status, 200, "{}", answer.text().await.unwrap());
    let transcripts = received.lock().unwrap().clone();
    assert_eq!(transcripts.len(), 1);
    let mail = &transcripts[0];
    assert!(
        mail.contains("MAIL FROM:<attendance@oakfield.test>"),
        "{mail}"
    );
    assert!(mail.contains("RCPT TO:<sam@example.com>"), "{mail}");
    assert!(
        mail.contains("Subject: Grace's attendance at Oakfield Academy"),
        "{mail}"
    );
    assert!(mail.contains("Dear Sam Okafor,"), "{mail}");

    let log: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "select to_address, status, error from letter_deliveries where letter_id = $1",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        log,
        [("sam@example.com".to_string(), "sent".to_string(), None)]
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from case_events where kind = 'letter_emailed'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'letter_emailed'"
        )
        .await,
        1
    );

    // Pastoral staff read cases but do not work them; another trust's admin is not at the school.
    let (tutor, _) = common::sign_in(&app, &email(Role::Pastoral)).await;
    let refused = tutor
        .post(app.url("/api/fn/letters/email"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let (outsider, _) = common::sign_in(&app, OUTSIDER).await;
    for endpoint in ["letters/email", "letters/one"] {
        let refused = outsider
            .post(app.url(&format!("/api/fn/{endpoint}")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403, "{endpoint}");
    }
    let refused = outsider
        .post(app.url("/api/fn/letters/generate"))
        .form(&[
            ("school_id", school.to_string()),
            ("case_id", case.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(received.lock().unwrap().len(), 1, "nothing more was sent");
}

#[tokio::test]
async fn a_failed_or_unconfigured_send_says_why_and_the_log_keeps_the_error() {
    // A port nobody listens on: bind one, then let it go.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let app = spawn_with_mail(relay(port)).await;
    let fixture = Fixture::new(&app.pool).await;
    let school = fixture.school.id;
    let case = open_case(
        &app.pool,
        school,
        fixture.school.pupils[0],
        Step::FirstLetter,
    )
    .await;
    let officer_id = staff_id(&app.pool, Role::AttendanceOfficer).await;
    let id = generate(&app.pool, officer_id, school, case)
        .await
        .unwrap()
        .unwrap();
    let form = [
        ("school_id", school.to_string()),
        ("letter_id", id.to_string()),
    ];
    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let answer = officer
        .post(app.url("/api/fn/letters/email"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 422);
    assert!(answer.text().await.unwrap().contains("was not sent"));
    let (status, error): (String, Option<String>) =
        sqlx::query_as("select status, error from letter_deliveries where letter_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert!(error.unwrap().contains(&format!("127.0.0.1:{port}")));
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from case_events where kind = 'letter_emailed'"
        )
        .await,
        0
    );

    // Without a relay: a clear message and no delivery logged.
    let plain = common::spawn().await;
    let fixture = Fixture::new(&plain.pool).await;
    let school = fixture.school.id;
    let case = open_case(
        &plain.pool,
        school,
        fixture.school.pupils[0],
        Step::FirstLetter,
    )
    .await;
    let officer_id = staff_id(&plain.pool, Role::AttendanceOfficer).await;
    let id = generate(&plain.pool, officer_id, school, case)
        .await
        .unwrap()
        .unwrap();
    let (officer, _) = common::sign_in(&plain, &email(Role::AttendanceOfficer)).await;
    let answer = officer
        .post(plain.url("/api/fn/letters/email"))
        .form(&[
            ("school_id", school.to_string()),
            ("letter_id", id.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 422);
    assert!(answer.text().await.unwrap().contains("ROLLCALL_SMTP_HOST"));
    assert_eq!(
        count(&plain.pool, "select count(*) from letter_deliveries").await,
        0
    );
}

#[tokio::test]
async fn generating_needs_the_role_at_the_school() {
    let app = common::spawn().await;
    let fixture = Fixture::new(&app.pool).await;
    let school = fixture.school.id;
    let case = open_case(
        &app.pool,
        school,
        fixture.school.pupils[0],
        Step::FirstLetter,
    )
    .await;
    let generate_form = [
        ("school_id", school.to_string()),
        ("case_id", case.to_string()),
    ];
    for role in [
        Role::LateDoor,
        Role::Pastoral,
        Role::Leadership,
        Role::SchoolAdmin,
    ] {
        let (client, _) = common::sign_in(&app, &email(role)).await;
        let answer = client
            .post(app.url("/api/fn/letters/generate"))
            .form(&generate_form)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 403, "{role:?}");
    }
    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let answer = officer
        .post(app.url("/api/fn/letters/batch"))
        .form(&[
            ("school_id", school.to_string()),
            ("step", "first_letter".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body = answer.text().await.unwrap();
    assert!(body.contains("\"generated\":1"), "{body}");
    // The sister school's letters are not this officer's to batch.
    let answer = officer
        .post(app.url("/api/fn/letters/batch"))
        .form(&[
            ("school_id", fixture.sister.id.to_string()),
            ("step", "first_letter".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    assert_eq!(count(&app.pool, "select count(*) from letters").await, 1);
}
