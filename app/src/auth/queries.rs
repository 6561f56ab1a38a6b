//! Every query about staff sign-in: sessions, lockout, API tokens, and loading the [`Viewer`].

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::{Grant, SchoolRef, Viewer, password};
use crate::{audit, domain::roles::Role};

/// Failed sign-ins in a row before the account is locked.
pub const LOCK_AFTER_FAILURES: i32 = 5;
/// How long a locked account stays locked.
pub const LOCK_MINUTES: i64 = 15;
/// A session on a personal device lasts a working day.
pub const SESSION_HOURS: i64 = 12;
/// A shared tablet at the late door stays signed in for a term, so it is never signed out in
/// the middle of the morning rush.
pub const SHARED_DEVICE_DAYS: i64 = 100;

/// A random secret for a cookie or an API token: 256 bits, URL-safe.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Only this hash of a secret is stored.
pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("The email or password is not right. Check them and try again.")]
    WrongEmailOrPassword,
    #[error(
        "Too many failed attempts: this account is locked until {} (UK time). Try again then, or ask your school administrator to reset your password.",
        crate::uk_time::time(*until)
    )]
    Locked { until: DateTime<Utc> },
    #[error("This account has been disabled. Ask your school administrator.")]
    Disabled,
    #[error("Rollcall could not check your sign-in just now; try again in a moment.")]
    Database(#[from] sqlx::Error),
}

/// A new session: the cookie's secret is only ever in this value and the browser.
pub struct SignedIn {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub viewer: Viewer,
}

#[derive(sqlx::FromRow)]
struct StaffSignIn {
    id: Uuid,
    password_hash: Option<String>,
    failed_sign_ins: i32,
    locked_until: Option<DateTime<Utc>>,
    disabled_at: Option<DateTime<Utc>>,
}

/// Checks an email and password and opens a session. Repeated failures are slowed down, then
/// lock the account for a while.
pub async fn sign_in(
    pool: &PgPool,
    email: &str,
    password: &str,
    shared_device: bool,
    user_agent: &str,
) -> Result<SignedIn, SignInError> {
    let staff: Option<StaffSignIn> = sqlx::query_as(
        "select id, password_hash, failed_sign_ins, locked_until, disabled_at
         from staff where lower(email) = lower($1)",
    )
    .bind(email.trim())
    .fetch_optional(pool)
    .await?;

    let Some(staff) = staff else {
        // As slow as a real check, so the answer does not reveal who has an account.
        verify(password.to_string(), password::decoy_hash().to_string()).await;
        return Err(SignInError::WrongEmailOrPassword);
    };
    let now = Utc::now();
    if let Some(until) = staff.locked_until.filter(|until| *until > now) {
        return Err(SignInError::Locked { until });
    }
    let stored = staff
        .password_hash
        .clone()
        .unwrap_or_else(|| password::decoy_hash().to_string());
    let matches = verify(password.to_string(), stored).await && staff.password_hash.is_some();
    if !matches {
        let failures = staff.failed_sign_ins + 1;
        let locked_until =
            (failures >= LOCK_AFTER_FAILURES).then(|| now + Duration::minutes(LOCK_MINUTES));
        sqlx::query("update staff set failed_sign_ins = $2, locked_until = $3 where id = $1")
            .bind(staff.id)
            .bind(if locked_until.is_some() { 0 } else { failures })
            .bind(locked_until)
            .execute(pool)
            .await?;
        audit::record(
            pool,
            Some(staff.id),
            None,
            "sign_in_failed",
            "",
            serde_json::json!({ "failures": failures }),
        )
        .await?;
        if let Some(until) = locked_until {
            return Err(SignInError::Locked { until });
        }
        // Each failure in a row waits a little longer before answering.
        tokio::time::sleep(std::time::Duration::from_millis(250 * failures as u64)).await;
        return Err(SignInError::WrongEmailOrPassword);
    }
    if staff.disabled_at.is_some() {
        return Err(SignInError::Disabled);
    }

    sqlx::query("update staff set failed_sign_ins = 0, locked_until = null where id = $1")
        .bind(staff.id)
        .execute(pool)
        .await?;
    let token = new_secret();
    let csrf_token = new_secret();
    let expires_at = now
        + if shared_device {
            Duration::days(SHARED_DEVICE_DAYS)
        } else {
            Duration::hours(SESSION_HOURS)
        };
    sqlx::query(
        "insert into sign_in_sessions (token_hash, staff_id, csrf_token, shared_device, user_agent, expires_at)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(secret_hash(&token))
    .bind(staff.id)
    .bind(&csrf_token)
    .bind(shared_device)
    .bind(user_agent.chars().take(300).collect::<String>())
    .bind(expires_at)
    .execute(pool)
    .await?;
    audit::record(
        pool,
        Some(staff.id),
        None,
        "sign_in",
        "",
        serde_json::json!({ "shared_device": shared_device }),
    )
    .await?;
    let viewer = viewer_for_staff(pool, staff.id)
        .await?
        .ok_or(SignInError::Disabled)?;
    Ok(SignedIn {
        token,
        csrf_token,
        expires_at,
        viewer,
    })
}

/// argon2 is deliberately slow, so it runs off the async workers.
async fn verify(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || password::verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// The person a session cookie belongs to, with the session's CSRF token, if it is still valid.
pub async fn session_viewer(
    pool: &PgPool,
    token: &str,
) -> Result<Option<(Viewer, String)>, sqlx::Error> {
    // Every signed-in request passes here, so the last-seen time is written at most once a
    // minute rather than on every request.
    let session: Option<(Uuid, String)> = sqlx::query_as(
        "with touched as (
            update sign_in_sessions set last_seen_at = now()
            where token_hash = $1 and expires_at > now()
              and last_seen_at < now() - interval '1 minute'
         )
         select staff_id, csrf_token from sign_in_sessions
         where token_hash = $1 and expires_at > now()",
    )
    .bind(secret_hash(token))
    .fetch_optional(pool)
    .await?;
    let Some((staff_id, csrf_token)) = session else {
        return Ok(None);
    };
    Ok(viewer_for_staff(pool, staff_id)
        .await?
        .map(|viewer| (viewer, csrf_token)))
}

/// Loads a member of staff with their roles and the schools they reach. Disabled staff have none.
pub async fn viewer_for_staff(
    pool: &PgPool,
    staff_id: Uuid,
) -> Result<Option<Viewer>, sqlx::Error> {
    let staff: Option<(Uuid, String, String)> = sqlx::query_as(
        "select trust_id, display_name, email from staff where id = $1 and disabled_at is null",
    )
    .bind(staff_id)
    .fetch_optional(pool)
    .await?;
    let Some((trust_id, name, email)) = staff else {
        return Ok(None);
    };
    let grants: Vec<(String, Option<Uuid>)> =
        sqlx::query_as("select role, school_id from role_grants where staff_id = $1")
            .bind(staff_id)
            .fetch_all(pool)
            .await?;
    let grants: Vec<Grant> = grants
        .into_iter()
        .filter_map(|(role, school_id)| {
            Some(Grant {
                role: Role::from_key(&role)?,
                school_id,
            })
        })
        .collect();
    let trust_wide = grants.iter().any(|grant| grant.school_id.is_none());
    let school_ids: Vec<Uuid> = grants.iter().filter_map(|grant| grant.school_id).collect();
    let schools: Vec<(Uuid, String)> = sqlx::query_as(
        "select id, name from schools
         where trust_id = $1 and ($2 or id = any($3))
         order by name",
    )
    .bind(trust_id)
    .bind(trust_wide)
    .bind(&school_ids)
    .fetch_all(pool)
    .await?;
    Ok(Some(Viewer {
        staff_id,
        trust_id,
        name,
        email,
        grants,
        schools: schools
            .into_iter()
            .map(|(id, name)| SchoolRef { id, name })
            .collect(),
        via_token: false,
    }))
}

/// Ends one session.
pub async fn sign_out(pool: &PgPool, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from sign_in_sessions where token_hash = $1")
        .bind(secret_hash(token))
        .execute(pool)
        .await?;
    Ok(())
}

/// Ends every session of a member of staff, on every device.
pub async fn sign_out_everywhere(pool: &PgPool, staff_id: Uuid) -> Result<u64, sqlx::Error> {
    let ended = sqlx::query("delete from sign_in_sessions where staff_id = $1")
        .bind(staff_id)
        .execute(pool)
        .await?
        .rows_affected();
    audit::record(
        pool,
        Some(staff_id),
        None,
        "sign_out_everywhere",
        "",
        serde_json::json!({ "sessions": ended }),
    )
    .await?;
    Ok(ended)
}

/// The system an API token stands for: its one role at its one school.
pub async fn token_viewer(pool: &PgPool, token: &str) -> Result<Option<Viewer>, sqlx::Error> {
    let row: Option<(Uuid, String, String, Uuid, Uuid, String)> = sqlx::query_as(
        "update api_tokens t set last_used_at = now()
         from schools s
         where t.token_hash = $1 and t.revoked_at is null and s.id = t.school_id
         returning t.school_id, t.name, t.role, t.created_by, s.trust_id, s.name",
    )
    .bind(secret_hash(token))
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(
        |(school_id, name, role, created_by, trust_id, school_name)| {
            Some(Viewer {
                staff_id: created_by,
                trust_id,
                name,
                email: String::new(),
                grants: vec![Grant {
                    role: Role::from_key(&role)?,
                    school_id: Some(school_id),
                }],
                schools: vec![SchoolRef {
                    id: school_id,
                    name: school_name,
                }],
                via_token: true,
            })
        },
    ))
}
