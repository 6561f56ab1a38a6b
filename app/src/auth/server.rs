//! What server functions use to know who is asking and whether they may: the server's
//! middleware puts the [`Viewer`] in the request, and these read it back.

use leptos::prelude::*;
use sqlx::PgPool;
use uuid::Uuid;

use super::Viewer;
use crate::domain::roles::Permission;

/// The cookie that carries the session's secret.
pub const SESSION_COOKIE: &str = "rollcall_session";
/// The header a script sends the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session secret of the request, put there by the server's middleware.
#[derive(Clone)]
pub struct SessionToken(pub String);

/// How the server sets cookies: `Secure` everywhere but local development.
#[derive(Clone, Copy)]
pub struct CookiePolicy {
    pub secure: bool,
}

pub fn viewer_from_request() -> Option<Viewer> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Viewer>().cloned())
}

pub fn session_token_from_request() -> Option<String> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<SessionToken>().map(|t| t.0.clone()))
}

fn set_status(status: http::StatusCode) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
}

/// The person asking, or a 401 that says to sign in.
pub fn require_viewer() -> Result<Viewer, ServerFnError> {
    viewer_from_request().ok_or_else(|| {
        set_status(http::StatusCode::UNAUTHORIZED);
        ServerFnError::new("Sign in first: your session has ended or you are not signed in.")
    })
}

/// The person asking, if they hold a role that allows `permission` at this school; otherwise a
/// 403 that says so. A school of another trust is simply not among theirs.
pub fn require(permission: Permission, school_id: Uuid) -> Result<Viewer, ServerFnError> {
    let viewer = require_viewer()?;
    if viewer.can(permission, school_id) {
        Ok(viewer)
    } else {
        set_status(http::StatusCode::FORBIDDEN);
        Err(ServerFnError::new(
            "You do not have permission to do this at this school.",
        ))
    }
}

pub fn pool() -> Result<PgPool, ServerFnError> {
    use_context::<PgPool>().ok_or_else(|| ServerFnError::new("the server has no database pool"))
}

/// A date a form sent as YYYY-MM-DD; `None` when the field was left empty. `what` names the
/// field in the error ("the first day off the roll").
pub fn optional_date(text: &str, what: &str) -> Result<Option<chrono::NaiveDate>, ServerFnError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            invalid(format!(
                "{text:?} is not a date: give {what} as YYYY-MM-DD."
            ))
        })
}

/// The school's today in its own time zone; 404 for a school that does not exist.
pub async fn school_today(
    pool: &PgPool,
    school_id: uuid::Uuid,
) -> Result<chrono::NaiveDate, ServerFnError> {
    crate::school::queries::today_at(pool, school_id)
        .await
        .map_err(internal)?
        .ok_or_else(|| not_found("There is no such school."))
}

pub fn cookie_policy() -> CookiePolicy {
    use_context::<CookiePolicy>().unwrap_or(CookiePolicy { secure: true })
}

/// The `Set-Cookie` value for a new session.
pub fn session_cookie(token: &str, max_age_seconds: i64, policy: CookiePolicy) -> String {
    let secure = if policy.secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}"
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(policy: CookiePolicy) -> String {
    session_cookie("", 0, policy)
}

/// A request the person can fix: 422 with what to fix.
pub fn invalid(message: impl Into<String>) -> ServerFnError {
    set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
    ServerFnError::new(message.into())
}

/// Someone else changed it first: 409, and nothing of this request was written.
pub fn conflict(message: impl Into<String>) -> ServerFnError {
    set_status(http::StatusCode::CONFLICT);
    ServerFnError::new(message.into())
}

/// Nothing of that kind at this school: 404, whether it exists elsewhere or not.
pub fn not_found(message: impl Into<String>) -> ServerFnError {
    set_status(http::StatusCode::NOT_FOUND);
    ServerFnError::new(message.into())
}

/// Logs a server-side failure with context and gives the person a short apology. Two failures
/// of the database say more, since the person can act on them: the database not answering
/// (503: nothing was saved, try again) and text PostgreSQL cannot store (400: a NUL character,
/// pasted from another program, to take out).
pub fn internal<E: std::fmt::Display + 'static>(error: E) -> ServerFnError {
    if let Some(database) = (&error as &dyn std::any::Any).downcast_ref::<sqlx::Error>() {
        if database_unavailable(database) {
            tracing::warn!(%error, "the database is not answering");
            set_status(http::StatusCode::SERVICE_UNAVAILABLE);
            return ServerFnError::new(DATABASE_UNAVAILABLE);
        }
        if text_not_storable(database) {
            set_status(http::StatusCode::BAD_REQUEST);
            return ServerFnError::new(
                "A field holds a character that cannot be stored (a NUL character, usually \
                 pasted from another program). Retype that field and try again.",
            );
        }
    }
    tracing::error!(%error, "server function failed");
    set_status(http::StatusCode::INTERNAL_SERVER_ERROR);
    ServerFnError::new("Something went wrong on the server; it has been logged. Try again.")
}

/// What a person is told while the database cannot be reached, by a page or the JSON API.
pub const DATABASE_UNAVAILABLE: &str =
    "The database is not answering just now; nothing was saved. Try again in a moment.";

/// Whether the database could not be reached, rather than refused what was asked: class 08 is
/// a lost connection, 57P an administrator's shutdown or a start not yet done.
pub fn database_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(error) => error
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

/// Text PostgreSQL will not store: 22021, a NUL character in a UTF-8 string.
fn text_not_storable(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(error) if error.code().as_deref() == Some("22021"))
}
