//! A small, known world for tests: a trust with two schools, a second trust with one, a form of
//! pupils with contacts, and a member of staff for every role.
//!
//! Every school has the academic year 2026/27: autumn term 2 September to 18 December 2026,
//! spring 5 January to 26 March 2027, summer 12 April to 21 July 2027, and an INSET day on
//! Friday 27 November 2026.

use app::{auth::password::hash_password, domain::roles::Role, domain::upn::Upn};
use sqlx::PgPool;
use uuid::Uuid;

/// Every test account has this password.
pub const PASSWORD: &str = "correct horse battery";

pub struct School {
    pub id: Uuid,
    pub year_group_id: Uuid,
    /// Form 9C, where every pupil is.
    pub form_id: Uuid,
    /// Amira Khan, Oliver Smith and Grace Okafor, admitted 4 September 2023.
    pub pupils: Vec<Uuid>,
    /// The pupil with a child protection plan.
    pub protected_pupil: Uuid,
}

pub struct Fixture {
    pub trust_id: Uuid,
    /// The school every role works at.
    pub school: School,
    /// Another school of the same trust, where nobody but trust roles work.
    pub sister: School,
    /// A school of another trust.
    pub other_trust_school: School,
}

/// The email of the account holding `role` at the main school.
pub fn email(role: Role) -> String {
    format!("{}@oakfield.test", role.key().replace('_', "-"))
}

/// The email of a school administrator at the other trust's school.
pub const OUTSIDER: &str = "admin@elsewhere.test";

impl Fixture {
    pub async fn new(pool: &PgPool) -> Fixture {
        let hash = hash_password(PASSWORD);
        let trust_id = add_trust(pool, "Riverside Learning Trust").await;
        let school = add_school(pool, trust_id, "Oakfield Academy", "100001", 1).await;
        let sister = add_school(pool, trust_id, "Willowbrook Primary", "100002", 2).await;
        let other_trust = add_trust(pool, "Hillside Trust").await;
        let other_trust_school =
            add_school(pool, other_trust, "Elsewhere School", "200001", 3).await;
        for role in Role::ALL {
            let school_id = (role != Role::TrustAdmin).then_some(school.id);
            add_staff(pool, trust_id, &email(role), role, school_id, &hash).await;
        }
        add_staff(
            pool,
            other_trust,
            OUTSIDER,
            Role::SchoolAdmin,
            Some(other_trust_school.id),
            &hash,
        )
        .await;
        Fixture {
            trust_id,
            school,
            sister,
            other_trust_school,
        }
    }
}

async fn add_trust(pool: &PgPool, name: &str) -> Uuid {
    sqlx::query_scalar("insert into trusts (name) values ($1) returning id")
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn add_school(
    pool: &PgPool,
    trust_id: Uuid,
    name: &str,
    urn: &str,
    establishment: u16,
) -> School {
    let id: Uuid = sqlx::query_scalar(
        "insert into schools (trust_id, urn, name, phase, la_code) values ($1, $2, $3, 'secondary', '821')
         returning id",
    )
    .bind(trust_id)
    .bind(urn)
    .bind(name)
    .fetch_one(pool)
    .await
    .unwrap();
    let year: Uuid = sqlx::query_scalar(
        "insert into year_groups (school_id, nc_year, name) values ($1, 9, 'Year 9') returning id",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap();
    let form: Uuid = sqlx::query_scalar(
        "insert into forms (school_id, year_group_id, name) values ($1, $2, '9C') returning id",
    )
    .bind(id)
    .bind(year)
    .fetch_one(pool)
    .await
    .unwrap();
    add_calendar(pool, id).await;
    let names = [("Amira", "Khan"), ("Oliver", "Smith"), ("Grace", "Okafor")];
    let mut pupils = Vec::new();
    for (serial, (first, last)) in names.iter().enumerate() {
        let upn = Upn::from_parts(821, establishment, 12, serial as u16);
        let pupil: Uuid = sqlx::query_scalar(
            "insert into pupils (school_id, upn, legal_first_name, legal_last_name, date_of_birth,
                sex, year_group_id, form_id, admitted_on, safeguarding_status)
             values ($1, $2, $3, $4, '2012-03-04', 'F', $5, $6, '2023-09-04', $7) returning id",
        )
        .bind(id)
        .bind(upn.as_str())
        .bind(first)
        .bind(last)
        .bind(year)
        .bind(form)
        .bind(if serial == 2 {
            "child_protection_plan"
        } else {
            "none"
        })
        .fetch_one(pool)
        .await
        .unwrap();
        sqlx::query(
            "insert into contacts (school_id, pupil_id, priority, first_name, last_name, relationship,
                mobile_phone, email)
             values ($1, $2, 1, 'Sam', $3, 'Mother', '07700 900123', 'sam@example.com')",
        )
        .bind(id)
        .bind(pupil)
        .bind(last)
        .execute(pool)
        .await
        .unwrap();
        pupils.push(pupil);
    }
    School {
        id,
        year_group_id: year,
        form_id: form,
        protected_pupil: pupils[2],
        pupils,
    }
}

/// The school days of 2026/27 (see the module's comment).
pub const TERMS: [(&str, &str, &str); 3] = [
    ("Autumn 2026", "2026-09-02", "2026-12-18"),
    ("Spring 2027", "2027-01-05", "2027-03-26"),
    ("Summer 2027", "2027-04-12", "2027-07-21"),
];
pub const INSET_DAY: &str = "2026-11-27";

async fn add_calendar(pool: &PgPool, school_id: Uuid) {
    let year: Uuid = sqlx::query_scalar(
        "insert into academic_years (school_id, name, starts_on, ends_on)
         values ($1, '2026/27', '2026-09-01', '2027-08-31') returning id",
    )
    .bind(school_id)
    .fetch_one(pool)
    .await
    .unwrap();
    for (name, starts_on, ends_on) in TERMS {
        sqlx::query(
            "insert into terms (school_id, academic_year_id, name, starts_on, ends_on)
             values ($1, $2, $3, $4::date, $5::date)",
        )
        .bind(school_id)
        .bind(year)
        .bind(name)
        .bind(starts_on)
        .bind(ends_on)
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "insert into calendar_closures (school_id, closed_on, kind, note)
         values ($1, $2::date, 'inset', 'Staff training')",
    )
    .bind(school_id)
    .bind(INSET_DAY)
    .execute(pool)
    .await
    .unwrap();
}

async fn add_staff(
    pool: &PgPool,
    trust_id: Uuid,
    email: &str,
    role: Role,
    school_id: Option<Uuid>,
    hash: &str,
) -> Uuid {
    let id: Uuid = sqlx::query_scalar(
        "insert into staff (trust_id, email, display_name, password_hash) values ($1, $2, $3, $4)
         returning id",
    )
    .bind(trust_id)
    .bind(email)
    .bind(format!("Test {}", role.label()))
    .bind(hash)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into role_grants (staff_id, trust_id, school_id, role) values ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(trust_id)
    .bind(school_id)
    .bind(role.key())
    .execute(pool)
    .await
    .unwrap();
    id
}
