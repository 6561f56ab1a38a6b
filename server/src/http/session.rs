//! Works out who is asking, once per request, and refuses cross-site state changes (CSRF).
//!
//! A request is signed in by the session cookie (browsers) or by `Authorization: Bearer <token>`
//! (other systems). For a state-changing request that relies on the cookie, the browser's
//! `Origin` must be this site, or the request must carry the session's CSRF token in
//! `x-csrf-token` (scripts receive it at sign-in). Bearer tokens are not sent by browsers on
//! their own, so they need neither.

use app::auth::{
    queries,
    server::{CSRF_HEADER, SESSION_COOKIE, SessionToken},
};
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{Method, header};
use sqlx::PgPool;

use super::error::ApiError;

/// Paths that never need to know who is asking: assets and the health check.
fn is_public_asset(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path.starts_with("/icons/")
        || path == "/manifest.webmanifest"
        || path == "/healthz"
        || path == "/favicon.ico"
}

pub async fn resolve_viewer(
    State(pool): State<PgPool>,
    mut request: Request,
    next: Next,
) -> Response {
    if is_public_asset(request.uri().path()) {
        return next.run(request).await;
    }
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if changes_state && !origin_is_this_site(&request) {
        return ApiError::Forbidden(
            "This request came from another site, so Rollcall refused it (CSRF protection).".into(),
        )
        .into_response();
    }

    if let Some(token) = bearer_token(&request) {
        match queries::token_viewer(&pool, &token).await {
            Ok(Some(viewer)) => {
                request.extensions_mut().insert(viewer);
            }
            Ok(None) => {
                return ApiError::Unauthorized(
                    "This API token is not valid or has been revoked.".into(),
                )
                .into_response();
            }
            Err(error) => return ApiError::from(error).into_response(),
        }
    } else if let Some(token) = session_cookie(&request) {
        match queries::session_viewer(&pool, &token).await {
            Ok(Some((viewer, csrf_token))) => {
                if changes_state && !has_origin(&request) && !csrf_matches(&request, &csrf_token) {
                    return ApiError::Forbidden(format!(
                        "This request has no valid CSRF token: send the {CSRF_HEADER} header \
                         you received at sign-in."
                    ))
                    .into_response();
                }
                request.extensions_mut().insert(viewer);
                request.extensions_mut().insert(SessionToken(token));
            }
            // An expired or unknown session is simply not signed in.
            Ok(None) => {}
            Err(error) => return ApiError::from(error).into_response(),
        }
    }
    next.run(request).await
}

fn bearer_token(request: &Request) -> Option<String> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    value
        .strip_prefix("Bearer ")
        .map(|token| token.trim().to_string())
}

fn session_cookie(request: &Request) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_string())
}

fn has_origin(request: &Request) -> bool {
    request.headers().contains_key(header::ORIGIN)
}

/// True when there is no `Origin` (a script, not a browser) or it names this very host.
fn origin_is_this_site(request: &Request) -> bool {
    let Some(origin) = request.headers().get(header::ORIGIN) else {
        return true;
    };
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    match (origin.to_str().ok(), host) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, origin_host)| origin_host == host),
        _ => false,
    }
}

fn csrf_matches(request: &Request, expected: &str) -> bool {
    request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sent| constant_time_eq(sent.as_bytes(), expected.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
