//! The office's side of the late door against a real PostgreSQL: the day's arrivals at every
//! door, conflicts with the office's marks and their resolution, the sanctions list following
//! the school's policy, punctuality concerns counted in the half term, who may see it, and the
//! late policy's settings.

use crate::common;

use app::{
    auth::{Viewer, queries::viewer_for_staff},
    domain::{
        codes::{Code, Session},
        roles::Role,
    },
    late_door::queries::punctuality_concerns,
    registers::queries::{MarkWrite, Seen, write_marks},
    sync::{DeviceRegistration, EventStatus, PushRequest, queries},
};
use chrono::{DateTime, NaiveDate, Utc};
use common::{
    TestApp,
    fixture::{self, Fixture, email},
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

async fn viewer(pool: &PgPool, role: Role) -> Viewer {
    let id: Uuid = sqlx::query_scalar("select id from staff where email = $1")
        .bind(email(role))
        .fetch_one(pool)
        .await
        .unwrap();
    viewer_for_staff(pool, id).await.unwrap().unwrap()
}

/// A late-door tablet at a school, pushing through the sync protocol as a tablet does.
struct Door {
    viewer: Viewer,
    device: Uuid,
    school: Uuid,
}

impl Door {
    async fn new(pool: &PgPool, school: Uuid) -> Door {
        let viewer = viewer(pool, Role::LateDoor).await;
        let device = Uuid::new_v4();
        queries::register_device(
            pool,
            &viewer,
            &DeviceRegistration {
                id: device,
                school_id: school,
                name: "Front gate".to_string(),
            },
        )
        .await
        .unwrap()
        .unwrap();
        Door {
            viewer,
            device,
            school,
        }
    }

    fn arrival(&self, pupil: Uuid, arrived_at: &str, reason: &str, note: &str) -> Value {
        json!({
            "id": Uuid::new_v4(), "device_id": self.device, "staff_id": self.viewer.staff_id,
            "kind": "late_arrival", "schema_version": 1, "device_time": arrived_at,
            "payload": { "school_id": self.school, "pupil_id": pupil, "arrived_at": arrived_at,
                         "reason": reason, "note": note }
        })
    }

    fn undo(&self, arrival: &Value) -> Value {
        json!({
            "id": Uuid::new_v4(), "device_id": self.device, "staff_id": self.viewer.staff_id,
            "kind": "late_arrival_undo", "schema_version": 1, "device_time": arrival["device_time"],
            "payload": { "school_id": self.school, "arrival_id": arrival["id"] }
        })
    }

    /// Pushes the events as if the server's clock said `now`, and fails the test unless every
    /// one applied.
    async fn push(&self, pool: &PgPool, now: &str, events: &[Value]) {
        let now: DateTime<Utc> = now.parse().unwrap();
        let response = queries::push(
            pool,
            &self.viewer,
            &PushRequest {
                device_id: self.device,
                sent_at: now,
                events: events.to_vec(),
            },
            now,
        )
        .await
        .unwrap()
        .unwrap();
        assert!(
            response
                .results
                .iter()
                .all(|r| r.status == EventStatus::Applied),
            "{response:?}"
        );
    }
}

async fn office_marks(pool: &PgPool, school: Uuid, marks: &[(Uuid, &str, Code)]) {
    let writes: Vec<MarkWrite> = marks
        .iter()
        .map(|(pupil_id, date, code)| MarkWrite {
            pupil_id: *pupil_id,
            date: day(date),
            session: Session::Am,
            code: *code,
            minutes_late: code.is_late().then_some(20),
            seen: Seen::Anything,
        })
        .collect();
    let mut tx = pool.begin().await.unwrap();
    write_marks(
        &mut tx,
        school,
        None,
        "register",
        Some("Resolved the late door's conflict"),
        &writes,
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
}

async fn late_arrivals(
    app: &TestApp,
    client: &reqwest::Client,
    school: Uuid,
    date: &str,
) -> (StatusCode, Value) {
    let response = client
        .get(app.url(&format!("/api/schools/{school}/late-arrivals?date={date}")))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["pupil_name"].as_str().unwrap())
        .collect()
}

async fn set_late_policy(
    app: &TestApp,
    client: &reqwest::Client,
    school: Uuid,
    before: &str,
    after: &str,
    concern_after: &str,
) -> (StatusCode, String) {
    let response = client
        .post(app.url("/api/fn/school/late-policy"))
        .form(&[
            ("school_id", school.to_string()),
            ("sanction_before_close", before.to_string()),
            ("sanction_after_close", after.to_string()),
            ("concern_after", concern_after.to_string()),
        ])
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_day_shows_arrivals_conflicts_and_the_sanctions_the_policy_gives() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    let [amira, oliver, grace] = world.school.pupils[..] else {
        panic!("three pupils")
    };

    // The school's policy: a break detention for L, an after-school one for U.
    let (admin, _) = common::sign_in(&app, &email(Role::SchoolAdmin)).await;
    let (status, body) = set_late_policy(
        &app,
        &admin,
        school,
        " Break detention ",
        "After-school detention",
        "3",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The register was taken at 08:40: Grace was marked ill (I) by the office.
    office_marks(&app.pool, school, &[(grace, "2026-11-24", Code::Illness)]).await;

    // Tuesday 24 November 2026 (GMT); the register opens at 08:40 for 30 minutes.
    let door = Door::new(&app.pool, school).await;
    let amira_arrival = door.arrival(amira, "2026-11-24T08:52:00Z", "transport", "");
    door.push(
        &app.pool,
        "2026-11-24T09:30:00Z",
        &[
            amira_arrival.clone(),
            door.arrival(oliver, "2026-11-24T09:25:00Z", "other", "Dentist ran over"),
            door.arrival(grace, "2026-11-24T09:05:00Z", "medical", ""),
        ],
    )
    .await;

    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let (status, day) = late_arrivals(&app, &officer, school, "2026-11-24").await;
    assert_eq!(status, StatusCode::OK, "{day}");
    assert_eq!(day["date"], "2026-11-24");
    assert_eq!(day["school_name"], "Oakfield Academy");
    assert_eq!(day["not_a_school_day"], Value::Null);
    assert_eq!(
        day["counts"],
        json!({ "late": 2, "late_after_close": 1, "total": 3, "undone": 0 })
    );

    // Every arrival in order, with what the door made of it.
    assert_eq!(
        names(&day["arrivals"]),
        ["Khan, Amira", "Okafor, Grace", "Smith, Oliver"]
    );
    let first = &day["arrivals"][0];
    assert_eq!(first["arrived_time"], "08:52:00");
    assert_eq!(first["code"], "L");
    assert_eq!(first["minutes_late"], 12);
    assert_eq!(first["reason"], "transport");
    assert_eq!(first["sanction"], "Break detention");
    assert_eq!(first["recorded_by"], "Test Late door");
    assert_eq!(first["form"], "9C");
    assert_eq!(first["form_id"], json!(world.school.form_id));
    assert_eq!(first["register_code"], "L");
    assert_eq!(first["undone"], false);
    let oliver_line = &day["arrivals"][2];
    assert_eq!(
        (
            &oliver_line["code"],
            &oliver_line["minutes_late"],
            &oliver_line["note"]
        ),
        (&json!("U"), &json!(45), &json!("Dentist ran over"))
    );
    assert_eq!(oliver_line["sanction"], "After-school detention");

    // The office's I stood: a conflict, saying which code, still to resolve.
    let conflicts = day["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{day}");
    assert_eq!(conflicts[0]["pupil_id"], json!(grace));
    assert_eq!(conflicts[0]["stood_code"], "I");
    assert_eq!(conflicts[0]["register_code"], "I");
    assert_eq!(conflicts[0]["resolved"], false);
    assert!(
        conflicts[0]["conflict"]
            .as_str()
            .unwrap()
            .contains("already has I (Illness)")
    );

    // The sanctions list follows the policy, by sanction then pupil.
    let sanctions = &day["sanctions"];
    assert_eq!(
        names(sanctions),
        ["Smith, Oliver", "Khan, Amira", "Okafor, Grace"]
    );
    let given: Vec<&str> = sanctions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["sanction"].as_str().unwrap())
        .collect();
    assert_eq!(
        given,
        [
            "After-school detention",
            "Break detention",
            "Break detention"
        ]
    );

    // The office resolves the conflict on the register, and the door takes Amira back.
    office_marks(&app.pool, school, &[(grace, "2026-11-24", Code::Late)]).await;
    door.push(
        &app.pool,
        "2026-11-24T09:40:00Z",
        &[door.undo(&amira_arrival)],
    )
    .await;
    let (_, day) = late_arrivals(&app, &officer, school, "2026-11-24").await;
    assert_eq!(
        day["counts"],
        json!({ "late": 1, "late_after_close": 1, "total": 2, "undone": 1 })
    );
    assert_eq!(day["arrivals"][0]["undone"], true);
    assert_eq!(day["arrivals"][0]["register_code"], Value::Null);
    assert_eq!(day["conflicts"][0]["resolved"], true);
    assert_eq!(day["conflicts"][0]["stood_code"], "I");
    assert_eq!(day["conflicts"][0]["register_code"], "L");
    assert_eq!(names(&day["sanctions"]), ["Smith, Oliver", "Okafor, Grace"]);

    // A policy changed later applies to arrivals from then on; those logged keep theirs.
    let (status, body) = set_late_policy(&app, &admin, school, "", "Same-day detention", "3").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, day) = late_arrivals(&app, &officer, school, "2026-11-24").await;
    assert_eq!(day["sanction_before_close"], "");
    assert_eq!(day["sanction_after_close"], "Same-day detention");
    assert_eq!(day["sanctions"][0]["sanction"], "After-school detention");

    // Another day has nothing; a weekend says it is not a school day.
    let (_, other) = late_arrivals(&app, &officer, school, "2026-11-23").await;
    assert_eq!(other["arrivals"], json!([]));
    let (_, weekend) = late_arrivals(&app, &officer, school, "2026-11-28").await;
    assert!(
        weekend["not_a_school_day"]
            .as_str()
            .unwrap()
            .contains("the weekend")
    );

    // The page's own call answers the same day, to the late door as well.
    let (door_client, _) = common::sign_in(&app, &email(Role::LateDoor)).await;
    let response = door_client
        .post(app.url("/api/fn/late-arrivals/day"))
        .form(&[
            ("school_id", school.to_string()),
            ("date", "2026-11-24".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["counts"]["total"], 2);

    // A date that is not one is refused with what to send.
    let (status, body) = late_arrivals(&app, &officer, school, "24-11-2026").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("2026-11-24"));
}

/// Splits the fixture's autumn term into its half terms, with half term in between.
async fn half_terms(pool: &PgPool, school: Uuid) {
    let year: Uuid = sqlx::query_scalar(
        "delete from terms where school_id = $1 and name = 'Autumn 2026' returning academic_year_id",
    )
    .bind(school)
    .fetch_one(pool)
    .await
    .unwrap();
    for (name, starts_on, ends_on) in [
        ("Autumn 1", "2026-09-02", "2026-10-23"),
        ("Autumn 2", "2026-11-02", "2026-12-18"),
    ] {
        sqlx::query(
            "insert into terms (school_id, academic_year_id, name, starts_on, ends_on)
             values ($1, $2, $3, $4::date, $5::date)",
        )
        .bind(school)
        .bind(year)
        .bind(name)
        .bind(starts_on)
        .bind(ends_on)
        .execute(pool)
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn punctuality_concerns_count_the_half_term_only_and_not_undone_arrivals() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    let [amira, oliver, grace] = world.school.pupils[..] else {
        panic!("three pupils")
    };
    half_terms(&app.pool, school).await;
    sqlx::query("update schools set lateness_concern_after = 2 where id = $1")
        .bind(school)
        .execute(&app.pool)
        .await
        .unwrap();
    let door = Door::new(&app.pool, school).await;

    // Autumn 1 (British Summer Time): Oliver late twice, Amira once.
    door.push(
        &app.pool,
        "2026-10-22T12:00:00Z",
        &[
            door.arrival(oliver, "2026-10-21T08:55:00+01:00", "overslept", ""),
            door.arrival(oliver, "2026-10-22T09:20:00+01:00", "overslept", ""),
            door.arrival(amira, "2026-10-22T08:50:00+01:00", "transport", ""),
        ],
    )
    .await;
    // Autumn 2: Amira late twice (once in the afternoon), Oliver once, Grace twice but the
    // second taken back at the door.
    let graces_second = door.arrival(grace, "2026-11-24T08:58:00Z", "caring", "");
    door.push(
        &app.pool,
        "2026-11-24T15:00:00Z",
        &[
            door.arrival(amira, "2026-11-23T08:45:00Z", "transport", ""),
            door.arrival(amira, "2026-11-24T13:30:00Z", "transport", ""),
            door.arrival(oliver, "2026-11-24T08:50:00Z", "overslept", ""),
            door.arrival(grace, "2026-11-23T08:59:00Z", "caring", ""),
            graces_second.clone(),
        ],
    )
    .await;
    door.push(
        &app.pool,
        "2026-11-24T15:01:00Z",
        &[door.undo(&graces_second)],
    )
    .await;

    let concerns = punctuality_concerns(&app.pool, school, day("2026-11-24"))
        .await
        .unwrap();
    assert_eq!(concerns.concern_after, 2);
    assert_eq!(concerns.half_term.as_ref().unwrap().name, "Autumn 2");
    let listed: Vec<(Uuid, i64, NaiveDate)> = concerns
        .pupils
        .iter()
        .map(|p| (p.pupil_id, p.times_late, p.last_late_on))
        .collect();
    assert_eq!(listed, [(amira, 2, day("2026-11-24"))]);
    assert_eq!(concerns.pupils[0].pupil_name, "Khan, Amira");
    assert_eq!(concerns.pupils[0].form, "9C");

    // Counted up to the day asked about: on Monday Amira had been late once.
    let monday = punctuality_concerns(&app.pool, school, day("2026-11-23"))
        .await
        .unwrap();
    assert!(monday.pupils.is_empty(), "{:?}", monday.pupils);

    // In the half-term holiday, the half term just ended counts: Oliver twice in Autumn 1.
    let holiday = punctuality_concerns(&app.pool, school, day("2026-10-28"))
        .await
        .unwrap();
    assert_eq!(holiday.half_term.as_ref().unwrap().name, "Autumn 1");
    let listed: Vec<(Uuid, i64)> = holiday
        .pupils
        .iter()
        .map(|p| (p.pupil_id, p.times_late))
        .collect();
    assert_eq!(listed, [(oliver, 2)]);

    // Lateness the office marked on the register counts too, once per session.
    office_marks(&app.pool, school, &[(grace, "2026-11-25", Code::Late)]).await;
    let wednesday = punctuality_concerns(&app.pool, school, day("2026-11-25"))
        .await
        .unwrap();
    let listed: Vec<(Uuid, i64)> = wednesday
        .pupils
        .iter()
        .map(|p| (p.pupil_id, p.times_late))
        .collect();
    assert_eq!(listed, [(amira, 2), (grace, 2)]);

    // The school's setting decides: at 3, nobody yet.
    sqlx::query("update schools set lateness_concern_after = 3 where id = $1")
        .bind(school)
        .execute(&app.pool)
        .await
        .unwrap();
    let stricter = punctuality_concerns(&app.pool, school, day("2026-11-25"))
        .await
        .unwrap();
    assert!(stricter.pupils.is_empty());

    // The JSON carries the same concerns.
    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    sqlx::query("update schools set lateness_concern_after = 2 where id = $1")
        .bind(school)
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, body) = late_arrivals(&app, &officer, school, "2026-11-24").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["concerns"]["half_term"]["name"], "Autumn 2");
    assert_eq!(body["concerns"]["pupils"][0]["times_late"], 2);
    assert_eq!(body["concerns"]["pupils"][0]["pupil_id"], json!(amira));
}

#[tokio::test]
async fn only_this_schools_office_and_door_see_its_late_arrivals() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    let sister = world.sister.id;

    // The late-door person also covers the sister school's door today.
    let door_person = viewer(&app.pool, Role::LateDoor).await;
    sqlx::query(
        "insert into role_grants (staff_id, trust_id, school_id, role) values ($1, $2, $3, 'late_door')",
    )
    .bind(door_person.staff_id)
    .bind(world.trust_id)
    .bind(sister)
    .execute(&app.pool)
    .await
    .unwrap();
    let here = Door::new(&app.pool, school).await;
    here.push(
        &app.pool,
        "2026-11-24T09:30:00Z",
        &[here.arrival(
            world.school.pupils[0],
            "2026-11-24T08:52:00Z",
            "transport",
            "",
        )],
    )
    .await;
    let there = Door::new(&app.pool, sister).await;
    there
        .push(
            &app.pool,
            "2026-11-24T09:30:00Z",
            &[there.arrival(
                world.sister.pupils[1],
                "2026-11-24T08:53:00Z",
                "transport",
                "",
            )],
        )
        .await;

    // Each school lists its own arrivals only.
    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let (status, day) = late_arrivals(&app, &officer, school, "2026-11-24").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&day["arrivals"]), ["Khan, Amira"]);

    // The officer works at Oakfield only: the sister school's arrivals are refused, and the
    // refusal names nobody.
    let (status, body) = late_arrivals(&app, &officer, sister, "2026-11-24").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(!body.to_string().contains("Smith"));
    let response = officer
        .post(app.url("/api/fn/late-arrivals/day"))
        .form(&[
            ("school_id", sister.to_string()),
            ("date", "2026-11-24".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // A school administrator of another trust, and people whose roles do not take registers or
    // record arrivals, are refused; nobody signed in is told to sign in.
    let (outsider, _) = common::sign_in(&app, fixture::OUTSIDER).await;
    let (status, _) = late_arrivals(&app, &outsider, school, "2026-11-24").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for role in [
        Role::Leadership,
        Role::HomeVisitor,
        Role::Dsl,
        Role::TrustAdmin,
    ] {
        let (client, _) = common::sign_in(&app, &email(role)).await;
        let (status, _) = late_arrivals(&app, &client, school, "2026-11-24").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}");
    }
    let (status, _) = late_arrivals(&app, &common::browser(&app), school, "2026-11-24").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The late-door person sees each school they work at.
    let (door_client, _) = common::sign_in(&app, &email(Role::LateDoor)).await;
    let (status, day) = late_arrivals(&app, &door_client, sister, "2026-11-24").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&day["arrivals"]), ["Smith, Oliver"]);
}

#[tokio::test]
async fn the_late_policy_is_checked_and_every_change_audited() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    let (admin, _) = common::sign_in(&app, &email(Role::SchoolAdmin)).await;

    let long = "x".repeat(101);
    for (before, after, concern_after, says) in [
        ("", "Detention", "0", "1 to 50"),
        ("", "Detention", "51", "1 to 50"),
        (
            long.as_str(),
            "Detention",
            "3",
            "sanction for L is 101 characters",
        ),
        ("", "Detention\nand a letter home", "3", "no line breaks"),
    ] {
        let (status, body) =
            set_late_policy(&app, &admin, school, before, after, concern_after).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains(says), "{body}");
    }
    // Nothing was changed or audited by the refusals.
    let policy: (String, String, i32) = sqlx::query_as(
        "select late_sanction_before_close, late_sanction_after_close, lateness_concern_after
         from schools where id = $1",
    )
    .bind(school)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(policy, (String::new(), "Same-day detention".to_string(), 3));

    let (status, body) = set_late_policy(
        &app,
        &admin,
        school,
        "Reflection at break",
        " Same-day detention, 30 minutes ",
        "5",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let settings: Value = admin
        .post(app.url("/api/fn/school/settings"))
        .form(&[("school_id", school.to_string())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        settings["late"],
        json!({ "sanction_before_close": "Reflection at break",
                "sanction_after_close": "Same-day detention, 30 minutes", "concern_after": 5 })
    );
    let audit: Vec<(String, Value)> = sqlx::query_as(
        "select action, detail from audit_log where school_id = $1 and action = 'late_policy_changed'",
    )
    .bind(school)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].1["before"]["concern_after"], 3);
    assert_eq!(
        audit[0].1["before"]["sanction_after_close"],
        "Same-day detention"
    );
    assert_eq!(audit[0].1["after"]["concern_after"], 5);
    assert_eq!(
        audit[0].1["after"]["sanction_before_close"],
        "Reflection at break"
    );

    // The late door decides with the new policy (the tablets pull it too).
    let (policy, _) = app::late_door::queries::policy(&app.pool, school)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(policy.concern_after, 5);
    assert_eq!(policy.sanction_before_close, "Reflection at break");
    assert_eq!(
        policy.sanction_after_close,
        "Same-day detention, 30 minutes"
    );

    // Only administrators set it.
    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let (status, _) = set_late_policy(&app, &officer, school, "", "", "3").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (outsider, _) = common::sign_in(&app, fixture::OUTSIDER).await;
    let (status, _) = set_late_policy(&app, &outsider, school, "", "", "3").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
