//! Every query about staff accounts and their roles at a school.

use sqlx::PgPool;
use uuid::Uuid;

use super::{NewStaff, StaffMember};
use crate::{
    audit,
    auth::{Viewer, password::hash_password},
    domain::roles::Role,
};

#[derive(sqlx::FromRow)]
struct StaffRow {
    id: Uuid,
    name: String,
    email: String,
    disabled: bool,
    school_roles: Vec<String>,
    trust_roles: Vec<String>,
}

/// Everyone with a role at the school, or a trust-wide role over it.
pub async fn list(pool: &PgPool, school_id: Uuid) -> Result<Vec<StaffMember>, sqlx::Error> {
    let rows: Vec<StaffRow> = sqlx::query_as(
        "select s.id, s.display_name as name, s.email, s.disabled_at is not null as disabled,
                coalesce(array_agg(g.role order by g.role) filter (where g.school_id = $1), '{}') as school_roles,
                coalesce(array_agg(g.role order by g.role) filter (where g.school_id is null), '{}') as trust_roles
         from staff s
         join role_grants g on g.staff_id = s.id
         join schools sc on sc.id = $1 and sc.trust_id = g.trust_id
         where g.school_id = $1 or g.school_id is null
         group by s.id
         order by lower(s.display_name)",
    )
    .bind(school_id)
    .fetch_all(pool)
    .await?;
    let roles = |keys: Vec<String>| keys.iter().filter_map(|k| Role::from_key(k)).collect();
    Ok(rows
        .into_iter()
        .map(|row| StaffMember {
            id: row.id,
            name: row.name,
            email: row.email,
            roles: roles(row.school_roles),
            trust_roles: roles(row.trust_roles),
            disabled: row.disabled,
        })
        .collect())
}

/// Adds an account with roles at one school. The inner error is a problem a person can fix.
pub async fn add(
    pool: &PgPool,
    by: &Viewer,
    new: &NewStaff,
) -> Result<Result<Uuid, String>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let taken: bool =
        sqlx::query_scalar("select exists (select 1 from staff where lower(email) = lower($1))")
            .bind(new.email.trim())
            .fetch_one(&mut *tx)
            .await?;
    if taken {
        return Ok(Err(format!(
            "There is already an account with the email {}.",
            new.email.trim()
        )));
    }
    let trust_id: Uuid = sqlx::query_scalar("select trust_id from schools where id = $1")
        .bind(new.school_id)
        .fetch_one(&mut *tx)
        .await?;
    let password_hash = {
        let password = new.password.clone();
        tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|error| sqlx::Error::Protocol(error.to_string()))?
    };
    let id: Uuid = sqlx::query_scalar(
        "insert into staff (trust_id, email, display_name, password_hash)
         values ($1, $2, $3, $4) returning id",
    )
    .bind(trust_id)
    .bind(new.email.trim())
    .bind(new.name.trim())
    .bind(password_hash)
    .fetch_one(&mut *tx)
    .await?;
    grant(&mut tx, trust_id, new.school_id, id, &new.roles).await?;
    audit::record(
        &mut *tx,
        Some(by.staff_id),
        Some(new.school_id),
        "staff_added",
        &format!("staff:{id}"),
        serde_json::json!({ "email": new.email.trim(), "roles": new.roles }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(id))
}

async fn grant(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    trust_id: Uuid,
    school_id: Uuid,
    staff_id: Uuid,
    roles: &[Role],
) -> Result<(), sqlx::Error> {
    let keys: Vec<&str> = roles.iter().map(|role| role.key()).collect();
    sqlx::query(
        "insert into role_grants (staff_id, trust_id, school_id, role)
         select $1, $2, $3, unnest($4::text[]) on conflict do nothing",
    )
    .bind(staff_id)
    .bind(trust_id)
    .bind(school_id)
    .bind(&keys)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether the member of staff belongs to the school's trust: administrators manage only their
/// own trust's staff.
async fn same_trust(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    school_id: Uuid,
    staff_id: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select sc.trust_id from schools sc join staff s on s.trust_id = sc.trust_id
         where sc.id = $1 and s.id = $2",
    )
    .bind(school_id)
    .bind(staff_id)
    .fetch_optional(&mut **tx)
    .await
}

/// Replaces a person's roles at one school.
pub async fn set_roles(
    pool: &PgPool,
    by: &Viewer,
    school_id: Uuid,
    staff_id: Uuid,
    roles: &[Role],
) -> Result<Result<(), String>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(trust_id) = same_trust(&mut tx, school_id, staff_id).await? else {
        return Ok(Err("There is no such member of staff in this trust.".into()));
    };
    sqlx::query("delete from role_grants where staff_id = $1 and school_id = $2")
        .bind(staff_id)
        .bind(school_id)
        .execute(&mut *tx)
        .await?;
    grant(&mut tx, trust_id, school_id, staff_id, roles).await?;
    audit::record(
        &mut *tx,
        Some(by.staff_id),
        Some(school_id),
        "staff_roles_changed",
        &format!("staff:{staff_id}"),
        serde_json::json!({ "roles": roles }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Disables an account everywhere and ends its sessions at once.
pub async fn disable(
    pool: &PgPool,
    by: &Viewer,
    school_id: Uuid,
    staff_id: Uuid,
) -> Result<Result<(), String>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let works_here: bool = sqlx::query_scalar(
        "select exists (select 1 from role_grants where staff_id = $1 and school_id = $2)",
    )
    .bind(staff_id)
    .bind(school_id)
    .fetch_one(&mut *tx)
    .await?;
    if !works_here {
        return Ok(Err("That person has no role at this school.".into()));
    }
    sqlx::query("update staff set disabled_at = coalesce(disabled_at, now()) where id = $1")
        .bind(staff_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("delete from sign_in_sessions where staff_id = $1")
        .bind(staff_id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        Some(by.staff_id),
        Some(school_id),
        "staff_disabled",
        &format!("staff:{staff_id}"),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}
