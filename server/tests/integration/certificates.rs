//! Recognition certificates against a real PostgreSQL: who earns one at the boundaries (exactly
//! every possible session, a session that was not possible, no possible sessions at all, the
//! top N and at least X points of improvement), and the batch PDF, one certificate a page, for
//! those who may read the school's cases only.

use crate::common;

use app::{
    certificates::{Kind, queries::recipients},
    domain::{
        codes::{Code, Session},
        roles::Role,
    },
    registers::queries::{MarkWrite, Seen, write_marks},
};
use chrono::NaiveDate;
use common::fixture::{Fixture, OUTSIDER, email};
use sqlx::PgPool;
use uuid::Uuid;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// Marks every session of the school days from `first` to `last` with `codes` in turn (AM, PM,
/// AM, ...), the last code repeated.
async fn mark(pool: &PgPool, school: Uuid, pupil: Uuid, dates: &[&str], codes: &[Code]) {
    let mut writes = Vec::new();
    let mut n = 0;
    for date in dates {
        for session in [Session::Am, Session::Pm] {
            let code = codes[n.min(codes.len() - 1)];
            n += 1;
            writes.push(MarkWrite {
                pupil_id: pupil,
                date: day(date),
                session,
                code,
                minutes_late: code.is_late().then_some(25),
                seen: Seen::Anything,
            });
        }
    }
    let mut tx = pool.begin().await.unwrap();
    write_marks(&mut tx, school, None, "register", None, &writes)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
}

const WEEK: [&str; 5] = [
    "2026-11-09",
    "2026-11-10",
    "2026-11-11",
    "2026-11-12",
    "2026-11-13",
];
/// The school days of the five days before the week (Wednesday to Sunday).
const BEFORE: [&str; 3] = ["2026-11-04", "2026-11-05", "2026-11-06"];

/// Amira: every possible session of the week attended (a trip counts; a session she could not
/// attend for transport is not possible), half of the days before. Oliver: 9 of 10, after 4 of
/// 6. Grace: marks only before the week, so no possible sessions in it.
async fn world(pool: &PgPool) -> Fixture {
    let world = Fixture::new(pool).await;
    let school = world.school.id;
    let [amira, oliver, grace] = [
        world.school.pupils[0],
        world.school.pupils[1],
        world.school.pupils[2],
    ];
    use Code::*;
    mark(
        pool,
        school,
        amira,
        &WEEK,
        &[EducationalVisit, TransportUnavailable, PresentAm, PresentPm],
    )
    .await;
    mark(
        pool,
        school,
        amira,
        &BEFORE,
        &[
            PresentAm,
            OtherUnauthorised,
            PresentAm,
            OtherUnauthorised,
            PresentAm,
            OtherUnauthorised,
        ],
    )
    .await;
    mark(pool, school, oliver, &WEEK, &[LateAfterClose, PresentPm]).await;
    mark(
        pool,
        school,
        oliver,
        &BEFORE,
        &[PresentAm, PresentPm, PresentAm, PresentPm, Illness, Illness],
    )
    .await;
    mark(pool, school, grace, &BEFORE, &[PresentAm]).await;
    world
}

fn names(list: &app::certificates::CertificateList) -> Vec<&str> {
    list.recipients.iter().map(|r| r.name.as_str()).collect()
}

#[tokio::test]
async fn who_earns_a_certificate_at_the_boundaries() {
    let pool = common::fresh_database().await;
    let world = world(&pool).await;
    let school = world.school.id;
    let (from, to) = (day(WEEK[0]), day(WEEK[4]));

    // 100%: every possible session, counted in sessions; nobody with no possible sessions.
    let full = recipients(&pool, school, from, to, Kind::Full)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(names(&full), ["Amira Khan"]);
    let amira = &full.recipients[0];
    assert_eq!((amira.attending, amira.possible), (9, 9));
    assert_eq!(amira.attendance, 100.0);
    assert!(full.before.is_none());

    // Most improved on the five days before (3 school days): everyone up, most first; Grace had
    // no possible sessions this week and earns nothing.
    let improved = |top, min_points| Kind::Improved { top, min_points };
    let all = recipients(&pool, school, from, to, improved(None, None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(all.before, Some((day("2026-11-04"), day("2026-11-08"))));
    assert_eq!(names(&all), ["Amira Khan", "Oliver Smith"]);
    assert_eq!(all.recipients[0].before, Some(50.0));
    assert_eq!(all.recipients[0].improvement, Some(50.0));
    assert_eq!(all.recipients[1].attendance, 90.0);
    let rise = all.recipients[1].improvement.unwrap();
    assert!((rise - (90.0 - 400.0 / 6.0)).abs() < 1e-9, "{rise}");

    // The top one; at least 23.3 points (Oliver is up 23.33); at least 23.4; exactly 50.
    let top = recipients(&pool, school, from, to, improved(Some(1), None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(names(&top), ["Amira Khan"]);
    for (points, expected) in [
        (23.3, vec!["Amira Khan", "Oliver Smith"]),
        (23.4, vec!["Amira Khan"]),
        (50.0, vec!["Amira Khan"]),
        (50.1, vec![]),
    ] {
        let list = recipients(&pool, school, from, to, improved(None, Some(points)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(names(&list), expected, "at least {points} points");
    }

    // A week with no marks at all: nobody.
    let empty = recipients(
        &pool,
        school,
        day("2026-11-16"),
        day("2026-11-20"),
        Kind::Full,
    )
    .await
    .unwrap()
    .unwrap();
    assert!(empty.recipients.is_empty());

    assert!(Kind::parse("best", None, None).is_err());
    assert!(Kind::parse("improved", Some(0), None).is_err());
    assert!(Kind::parse("improved", None, Some(101.0)).is_err());
}

/// The pages of a PDF: its `/Type /Page` objects.
fn pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Type /Page")
        .filter(|(i, _)| !text[i + "/Type /Page".len()..].starts_with('s'))
        .count()
}

#[tokio::test]
async fn the_certificates_print_one_a_page_for_those_who_read_cases() {
    let app = common::spawn().await;
    let world = world(&app.pool).await;
    let path = |school: Uuid, query: &str| {
        format!("/api/schools/{school}/certificates.pdf?from=2026-11-09&to=2026-11-13&{query}")
    };

    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let answer = officer
        .get(app.url(&path(world.school.id, "kind=full")))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "application/pdf");
    assert_eq!(
        answer.headers()["content-disposition"],
        "attachment; filename=\"certificates-full-2026-11-09-2026-11-13.pdf\""
    );
    let pdf = answer.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(pages(&pdf), 1);
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("(Certificate of 100% Attendance)"));
    assert!(text.contains("(Amira Khan)"));
    assert!(!text.contains("Oliver"));

    let answer = officer
        .get(app.url(&path(world.school.id, "kind=improved&top=&min_points=")))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let pdf = answer.bytes().await.unwrap();
    assert_eq!(pages(&pdf), 2, "one certificate a page");
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("(Certificate for Most Improved Attendance)"));
    let (amira, oliver) = (
        text.find("(Amira Khan)").unwrap(),
        text.find("(Oliver Smith)").unwrap(),
    );
    assert!(amira < oliver, "most improved first");

    for query in [
        "kind=best",
        "kind=improved&top=lots",
        "kind=improved&min_points=200",
    ] {
        let answer = officer
            .get(app.url(&path(world.school.id, query)))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{query}");
    }

    // Leadership reads cases; the late door does not; nor does another trust's administrator.
    for (email, status) in [
        (email(Role::Leadership), 200),
        (email(Role::LateDoor), 403),
        (OUTSIDER.to_string(), 403),
    ] {
        let (client, _) = common::sign_in(&app, &email).await;
        let answer = client
            .get(app.url(&path(world.school.id, "kind=full")))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), status, "{email}");
    }
    let answer = app
        .client
        .get(app.url(&path(world.school.id, "kind=full")))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
}
