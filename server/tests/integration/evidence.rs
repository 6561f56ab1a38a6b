//! The evidence pack of a case against a real PostgreSQL: one PDF with the cover, the
//! certificate of attendance, the attendance record and the chronology in date order; the
//! safeguarding note, the visit's concern and the protection-plan flag for the DSL only; and
//! people of another school, or without the right to read cases, refused.

use crate::common;

use app::{
    auth::{Viewer, queries::viewer_for_staff},
    calling::queries::{NewAttempt, log_attempt},
    cases::{evidence::evidence_pack, queries::add_note},
    domain::{
        codes::{Code, Session},
        meetings::MeetingKind,
        roles::Role,
    },
    letters::queries::generate,
    meetings::queries::{Arrangement, arrange, record},
    registers::queries::{MarkWrite, Seen, write_marks},
    visits::{
        VisitRecord,
        queries::{NewVisit, plan, save_record},
    },
};
use chrono::{NaiveDate, NaiveDateTime};
use common::fixture::{Fixture, OUTSIDER, email};
use sqlx::PgPool;
use uuid::Uuid;

async fn viewer(pool: &PgPool, role: Role) -> Viewer {
    let id: Uuid = sqlx::query_scalar("select id from staff where email = $1")
        .bind(email(role))
        .fetch_one(pool)
        .await
        .unwrap();
    viewer_for_staff(pool, id).await.unwrap().unwrap()
}

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
}

/// The pages of a PDF: its `/Type /Page` objects (not `/Type /Pages`).
fn pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Type /Page")
        .filter(|(i, _)| !text[i + "/Type /Page".len()..].starts_with('s'))
        .count()
}

/// Where `needle` first is in the PDF's text, as a shown string.
fn position(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} is not in the pack"))
}

/// A case for Grace Okafor (the pupil with a child protection plan) with a call, a letter, a
/// meeting, a visit with a concern and a safeguarding note, each on its own day of November
/// 2026, and her marks of 2 and 3 November.
async fn grace_case(pool: &PgPool, world: &Fixture) -> Uuid {
    let school = world.school.id;
    let grace = world.school.protected_pupil;
    let officer = viewer(pool, Role::AttendanceOfficer).await;
    let dsl = viewer(pool, Role::Dsl).await;

    let mut writes = Vec::new();
    for (date, session, code) in [
        ("2026-11-02", Session::Am, Code::PresentAm),
        ("2026-11-02", Session::Pm, Code::OtherUnauthorised),
        ("2026-11-03", Session::Am, Code::Illness),
        ("2026-11-03", Session::Pm, Code::OtherUnauthorised),
    ] {
        writes.push(MarkWrite {
            pupil_id: grace,
            date: date.parse::<NaiveDate>().unwrap(),
            session,
            code,
            minutes_late: None,
            seen: Seen::Anything,
        });
    }
    let mut tx = pool.begin().await.unwrap();
    write_marks(&mut tx, school, None, "register", None, &writes)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();

    let case_id: Uuid = sqlx::query_scalar(
        "insert into cases (school_id, pupil_id, stage, owner_id, latest_why)
         values ($1, $2, 'meeting', $3, 'test') returning id",
    )
    .bind(school)
    .bind(grace)
    .bind(officer.staff_id)
    .fetch_one(pool)
    .await
    .unwrap();

    // 4 November: a call, not answered.
    let contact: Uuid = sqlx::query_scalar("select id from contacts where pupil_id = $1")
        .bind(grace)
        .fetch_one(pool)
        .await
        .unwrap();
    log_attempt(
        pool,
        officer.staff_id,
        school,
        &NewAttempt {
            pupil_id: grace,
            date: "2026-11-04".parse().unwrap(),
            contact_id: Some(contact),
            method: "call".to_string(),
            outcome: "no_answer".to_string(),
            note: "Rang twice".to_string(),
        },
    )
    .await
    .unwrap()
    .unwrap();
    sqlx::query("update contact_attempts set recorded_at = '2026-11-04 09:45Z'")
        .execute(pool)
        .await
        .unwrap();

    // 6 November: the first letter.
    generate(pool, officer.staff_id, school, case_id)
        .await
        .unwrap()
        .unwrap();
    sqlx::query("update case_events set at = '2026-11-06 10:00Z' where kind = 'letter'")
        .execute(pool)
        .await
        .unwrap();

    // 12 November: an attendance meeting, held and minuted.
    let meeting = arrange(
        pool,
        officer.staff_id,
        school,
        case_id,
        Arrangement {
            kind: MeetingKind::AttendanceMeeting,
            starts: (chrono::Utc::now() + chrono::Duration::days(1)).naive_utc(),
            place: "Room 4",
            invited: "Mrs Okafor",
        },
    )
    .await
    .unwrap()
    .unwrap();
    sqlx::query("update meetings set starts_at = '2026-11-12 15:30Z' where id = $1")
        .bind(meeting)
        .execute(pool)
        .await
        .unwrap();
    record(
        pool,
        officer.staff_id,
        school,
        meeting,
        "Mrs Okafor, form tutor",
        "Mother says mornings are hard",
        "Breakfast club",
    )
    .await
    .unwrap()
    .unwrap();
    sqlx::raw_sql(
        "update case_events set at = '2026-11-12 16:30Z' where kind = 'meeting_held';
         update case_events set at = '2026-11-09 12:00Z' where kind = 'meeting_arranged'",
    )
    .execute(pool)
    .await
    .unwrap();

    // 16 November: a home visit, recorded, with a concern raised.
    let visit = plan(
        pool,
        officer.staff_id,
        school,
        &NewVisit {
            pupil_id: grace,
            case_id: Some(case_id),
            officer_id: officer.staff_id,
            planned_on: "2026-11-16".parse().unwrap(),
            reason: "No contact by phone".to_string(),
        },
    )
    .await
    .unwrap()
    .unwrap();
    sqlx::query(
        "update home_visits set risk_assessed_at = '2026-11-16 09:00Z', risks_known = '',
            second_person_needed = true, first_visit = true, created_at = '2026-11-13 09:00Z'
         where id = $1",
    )
    .bind(visit)
    .execute(pool)
    .await
    .unwrap();
    let mut tx = pool.begin().await.unwrap();
    save_record(
        &mut tx,
        officer.staff_id,
        school,
        visit,
        0,
        &VisitRecord {
            child_seen: true,
            safe_and_well_checked: true,
            spoke_with: "Mother".to_string(),
            what_was_said: "Grace has been unwell".to_string(),
            facts: "Bruise on the left arm".to_string(),
            opinion: "Mother seemed anxious".to_string(),
            agreed_actions: "Back on Monday".to_string(),
            next_step: "Call on Monday".to_string(),
            ..VisitRecord::default()
        },
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query(
        "update home_visits set recorded_at = '2026-11-16 10:00Z',
            concern_raised_at = '2026-11-16 10:05Z', concern_raised_by = $2,
            concern = 'Explanation of the bruise changed twice'
         where id = $1",
    )
    .bind(visit)
    .bind(officer.staff_id)
    .execute(pool)
    .await
    .unwrap();

    // 18 November: a safeguarding note by the DSL, and an ordinary one by the officer.
    add_note(
        pool,
        dsl.staff_id,
        school,
        case_id,
        "Referred to children's social care",
        true,
    )
    .await
    .unwrap()
    .unwrap();
    add_note(
        pool,
        officer.staff_id,
        school,
        case_id,
        "Mother agreed to a morning call",
        false,
    )
    .await
    .unwrap()
    .unwrap();
    sqlx::raw_sql(
        "update case_events set at = '2026-11-18 11:00Z' where kind = 'note' and safeguarding;
         update case_events set at = '2026-11-18 12:00Z' where kind = 'note' and not safeguarding",
    )
    .execute(pool)
    .await
    .unwrap();
    case_id
}

#[tokio::test]
async fn the_pack_has_every_section_in_date_order_and_safeguarding_for_the_dsl_only() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    let case_id = grace_case(&pool, &world).await;
    let school = world.school.id;
    let now = at("2026-11-20 10:00");

    let dsl = viewer(&pool, Role::Dsl).await;
    let pack = evidence_pack(&pool, &dsl, school, case_id, now)
        .await
        .unwrap()
        .unwrap();
    assert!(pack.pdf.starts_with(b"%PDF"));
    assert!(
        pack.file_name.starts_with("evidence-pack-") && pack.file_name.ends_with("-2026-11-20.pdf"),
        "{}",
        pack.file_name
    );
    let text = String::from_utf8_lossy(&pack.pdf).to_string();
    // Cover, certificate, attendance record (the code breakdown and 58 school days from
    // 2 September to 20 November: the last day runs on to a second page, under the table's
    // header again), chronology: each section from a new page.
    let n = pages(&pack.pdf);
    assert_eq!(n, 5, "{text}");
    assert!(text.contains("/Count 5"));
    for page in 1..=n {
        assert!(text.contains(&format!("(Page {page} of {n})")));
    }

    // The cover, in order, then the sections in order.
    let order = [
        "(Attendance evidence pack)",
        "(Grace Okafor)",
        "(Date of birth)",
        "(4 March 2012)",
        "(Year 9, form 9C)",
        "(Child protection plan)",
        "(School attendance meeting)",
        "(Test Attendance officer)",
        "(1 September 2026 to 20 November 2026)",
        "(20 November 2026 at 10:00 by Test Designated",
        "(Contents)",
        "(Certificate of attendance)",
        "(page 2)",
        "(Attendance record and code breakdown)",
        "(page 3)",
        "(Chronology)",
        "(page 5)",
        "(1. Certificate of attendance)",
        "(2. Attendance record)",
        "(Code breakdown)",
        "(Session marks)",
        "(3. Chronology)",
    ];
    let mut last = 0;
    for needle in order {
        let found = position(&text, needle);
        assert!(found > last, "{needle} is out of order");
        last = found;
    }
    // The certificate's figures, from the statistics engine: 4 possible sessions, 1 present,
    // 1 authorised (I), 2 unauthorised (O): 25.0%.
    let certificate = &text[position(&text, "(1. Certificate of attendance)")
        ..position(&text, "(2. Attendance record)")];
    for (label, value) in [
        ("Possible sessions", "4"),
        ("Present (including late before the register closed)", "1"),
        ("Authorised absence", "1"),
        ("Unauthorised absence", "2"),
        ("Attendance", "25.0%"),
    ] {
        let at = position(certificate, &format!("({label}) Tj"));
        let after = &certificate[at..];
        assert!(
            after
                .find(&format!("({value}) Tj"))
                .is_some_and(|i| i < 200),
            "{label} is not {value}: {after:.300}"
        );
    }
    assert!(certificate.contains("(Signed: "));
    // The code breakdown and the marks.
    let record =
        &text[position(&text, "(2. Attendance record)")..position(&text, "(3. Chronology)")];
    assert!(record.contains("(Mon 2 Nov 2026)"));
    assert!(
        record.contains("(Absent in other or unknown circumstances)"),
        "{record:.3000}"
    );
    assert!(record.contains("(Wed 2 Sep 2026)"), "the first school day");
    assert!(
        record.contains("(Fri 20 Nov 2026)"),
        "the last day of the period"
    );

    // The chronology in date order, with the details the timeline's line leaves out.
    let chronology = &text[position(&text, "(3. Chronology)")..];
    let order = [
        "(Contact attempt",
        "(Phone call (first-day calling for Wed 4 Nov 2026) to Sam Okafor: No answer.",
        "(Letter",
        "How sent: not emailed",
        "(Meeting arranged",
        "(Meeting held",
        "Minutes: Mother says mornings are hard",
        "(Home visit planned",
        "(Home visit - ",
        "Facts (seen and heard): Bruise on the left arm",
        "(Safeguarding concern",
        "Explanation of the bruise changed twice",
        "(Note (safeguarding)",
        "Referred to children's social care",
        "(Note - ",
        "Mother agreed to a morning call",
    ];
    // Each after the one before.
    let mut from = 0;
    for needle in order {
        let found = chronology[from..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} is missing or out of order in:\n{chronology}"));
        from += found + needle.len();
    }

    // The attendance officer's pack: the same, without any of the safeguarding.
    let officer = viewer(&pool, Role::AttendanceOfficer).await;
    let pack = evidence_pack(&pool, &officer, school, case_id, now)
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&pack.pdf).to_string();
    assert_eq!(pages(&pack.pdf), 5);
    for hidden in [
        "afeguarding",
        "Child protection",
        "children's social care",
        "Bruise",
        "Explanation of the bruise",
        "Mother seemed anxious",
    ] {
        assert!(!text.contains(hidden), "{hidden} is in the officer's pack");
    }
    for shown in [
        "(Home visit - ",
        "Mother agreed to a morning call",
        "Minutes: Mother says mornings are hard",
        "(Phone call (first-day calling",
    ] {
        assert!(text.contains(shown), "{shown} is not in the officer's pack");
    }

    // Another school's case is not found through this school.
    assert!(
        evidence_pack(&pool, &officer, world.sister.id, case_id, now)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn the_pack_is_downloaded_by_those_who_read_cases_at_the_cases_school_only() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let case_id = grace_case(&app.pool, &world).await;
    let path = |school: Uuid| format!("/api/schools/{school}/cases/{case_id}/evidence-pack");

    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let answer = officer
        .get(app.url(&path(world.school.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "application/pdf");
    let disposition = answer.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    let upn: String = sqlx::query_scalar("select upn from pupils where id = $1")
        .bind(world.school.protected_pupil)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        disposition.starts_with(&format!("attachment; filename=\"evidence-pack-{upn}-")),
        "{disposition}"
    );
    let pdf = answer.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert!(pages(&pdf) >= 5);
    assert!(!String::from_utf8_lossy(&pdf).contains("children's social care"));

    let (dsl, _) = common::sign_in(&app, &email(Role::Dsl)).await;
    let answer = dsl
        .get(app.url(&path(world.school.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let pdf = answer.bytes().await.unwrap();
    assert!(String::from_utf8_lossy(&pdf).contains("children's social care"));

    // Leadership reads cases; the late door and home visitors do not.
    for (role, status) in [
        (Role::Leadership, 200),
        (Role::LateDoor, 403),
        (Role::HomeVisitor, 403),
    ] {
        let (client, _) = common::sign_in(&app, &email(role)).await;
        let answer = client
            .get(app.url(&path(world.school.id)))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), status, "{role:?}");
    }

    // A trust administrator reaches the sister school, but the case is not the sister school's.
    let (trust_admin, _) = common::sign_in(&app, &email(Role::TrustAdmin)).await;
    let answer = trust_admin
        .get(app.url(&path(world.sister.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
    assert!(
        !answer
            .text()
            .await
            .unwrap()
            .contains(&world.school.protected_pupil.to_string())
    );

    // Staff of another trust: refused at this school, and the case is not found through theirs.
    let (outsider, _) = common::sign_in(&app, OUTSIDER).await;
    let answer = outsider
        .get(app.url(&path(world.school.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    let answer = outsider
        .get(app.url(&path(world.other_trust_school.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);

    // Nobody signed in.
    let answer = app
        .client
        .get(app.url(&path(world.school.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
}
