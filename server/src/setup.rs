//! Setting up a real installation: its trust and the first trust administrator, who then adds
//! schools' staff from the pages.

use anyhow::{Context, bail};
use app::{
    audit,
    auth::password::{MIN_LENGTH, hash_password},
    domain::roles::Role,
};
use sqlx::PgPool;
use uuid::Uuid;

pub struct FirstAdmin<'a> {
    pub trust: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a str,
}

/// Creates the trust if it is new, and a trust administrator in it. Nothing is written if any
/// part fails.
pub async fn create_first_admin(pool: &PgPool, admin: FirstAdmin<'_>) -> anyhow::Result<Uuid> {
    if admin.trust.trim().is_empty() {
        bail!("give the trust's name with --trust");
    }
    if admin.name.trim().is_empty() {
        bail!("give the administrator's name with --name");
    }
    if !admin.email.contains('@') {
        bail!("{:?} is not an email address", admin.email);
    }
    if admin.password.chars().count() < MIN_LENGTH {
        bail!("the password needs at least {MIN_LENGTH} characters");
    }
    let mut tx = pool.begin().await?;
    let taken: bool =
        sqlx::query_scalar("select exists (select 1 from staff where lower(email) = lower($1))")
            .bind(admin.email)
            .fetch_one(&mut *tx)
            .await?;
    if taken {
        bail!("there is already an account with the email {}", admin.email);
    }
    let trust_id: Uuid =
        match sqlx::query_scalar::<_, Uuid>("select id from trusts where name = $1")
            .bind(admin.trust.trim())
            .fetch_optional(&mut *tx)
            .await?
        {
            Some(id) => id,
            None => sqlx::query_scalar("insert into trusts (name) values ($1) returning id")
                .bind(admin.trust.trim())
                .fetch_one(&mut *tx)
                .await
                .context("creating the trust")?,
        };
    let staff_id: Uuid = sqlx::query_scalar(
        "insert into staff (trust_id, email, display_name, password_hash) values ($1, $2, $3, $4)
         returning id",
    )
    .bind(trust_id)
    .bind(admin.email.trim())
    .bind(admin.name.trim())
    .bind(hash_password(admin.password))
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("insert into role_grants (staff_id, trust_id, role) values ($1, $2, $3)")
        .bind(staff_id)
        .bind(trust_id)
        .bind(Role::TrustAdmin.key())
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        None,
        None,
        "first_admin_created",
        &format!("staff:{staff_id}"),
        serde_json::json!({ "email": admin.email.trim(), "trust": admin.trust.trim() }),
    )
    .await?;
    tx.commit().await?;
    Ok(staff_id)
}

pub struct NewSchool<'a> {
    pub trust: &'a str,
    pub urn: &'a str,
    pub name: &'a str,
    pub phase: &'a str,
    pub la_code: &'a str,
}

/// Adds a school to a trust, with the default session times (08:40 and 13:15, register open for
/// 30 minutes) that its administrators can change from the School settings page.
pub async fn create_school(pool: &PgPool, school: NewSchool<'_>) -> anyhow::Result<Uuid> {
    if !(school.urn.len() == 6 && school.urn.chars().all(|c| c.is_ascii_digit())) {
        bail!("{:?} is not a URN: a URN has six digits", school.urn);
    }
    if !(school.la_code.len() == 3 && school.la_code.chars().all(|c| c.is_ascii_digit())) {
        bail!(
            "{:?} is not a local authority number: it has three digits",
            school.la_code
        );
    }
    const PHASES: [&str; 5] = [
        "primary",
        "secondary",
        "all_through",
        "special",
        "alternative_provision",
    ];
    if !PHASES.contains(&school.phase) {
        bail!("the phase must be one of {}", PHASES.join(", "));
    }
    let mut tx = pool.begin().await?;
    let Some(trust_id) = sqlx::query_scalar::<_, Uuid>("select id from trusts where name = $1")
        .bind(school.trust.trim())
        .fetch_optional(&mut *tx)
        .await?
    else {
        bail!(
            "there is no trust called {:?}; create-admin makes it",
            school.trust
        );
    };
    let taken: bool = sqlx::query_scalar("select exists (select 1 from schools where urn = $1)")
        .bind(school.urn)
        .fetch_one(&mut *tx)
        .await?;
    if taken {
        bail!("a school with URN {} is already here", school.urn);
    }
    let id: Uuid = sqlx::query_scalar(
        "insert into schools (trust_id, urn, name, phase, la_code) values ($1, $2, $3, $4, $5)
         returning id",
    )
    .bind(trust_id)
    .bind(school.urn)
    .bind(school.name.trim())
    .bind(school.phase)
    .bind(school.la_code)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        None,
        Some(id),
        "school_created",
        &format!("school:{id}"),
        serde_json::json!({ "urn": school.urn, "name": school.name.trim() }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
