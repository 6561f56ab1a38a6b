//! Sign-in for scripts and other systems: `POST /api/auth/login` and friends, and API tokens.
//! The pages sign in through the same queries (`app::auth::queries`).

use app::{
    audit,
    auth::{
        Viewer, queries,
        queries::SignInError,
        server::{CookiePolicy, SessionToken, clear_session_cookie, session_cookie},
    },
    domain::roles::{Permission, Role},
};
use axum::{
    Extension, Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{AppendHeaders, IntoResponse},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    AppState,
    error::ApiError,
    extract::{self, Path},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(logout_everywhere))
        .routes(routes!(me))
        .routes(routes!(list_api_tokens, create_api_token))
        .routes(routes!(revoke_api_token))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    email: String,
    password: String,
    /// A shared device (the late-door tablet) stays signed in for a term.
    #[serde(default)]
    shared_device: bool,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    staff_id: Uuid,
    name: String,
    /// Where this person's work starts, for example `/today`.
    landing: String,
    /// Send this in the `x-csrf-token` header with every state-changing request.
    csrf_token: String,
    expires_at: DateTime<Utc>,
}

/// Signs in with email and password and sets the session cookie.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = LoginResponse),
        (status = 400, description = "The body is not the expected JSON", body = super::error::ErrorBody),
        (status = 401, description = "Wrong email or password", body = super::error::ErrorBody),
        (status = 403, description = "The account is disabled", body = super::error::ErrorBody),
        (status = 429, description = "Locked after repeated failures", body = super::error::ErrorBody),
    ))]
async fn login(
    State(pool): State<PgPool>,
    Extension(policy): Extension<CookiePolicy>,
    headers: HeaderMap,
    body: Result<extract::Json<LoginRequest>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let extract::Json(body) = body?;
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let signed_in = queries::sign_in(
        &pool,
        &body.email,
        &body.password,
        body.shared_device,
        user_agent,
    )
    .await
    .map_err(|error| match error {
        SignInError::WrongEmailOrPassword => ApiError::Unauthorized(error.to_string()),
        SignInError::Locked { .. } => ApiError::TooManyAttempts(error.to_string()),
        SignInError::Disabled => ApiError::Forbidden(error.to_string()),
        SignInError::Database(error) => error.into(),
    })?;
    let max_age = (signed_in.expires_at - Utc::now()).num_seconds();
    let cookie = session_cookie(&signed_in.token, max_age, policy);
    Ok((
        AppendHeaders([(header::SET_COOKIE, cookie)]),
        Json(LoginResponse {
            staff_id: signed_in.viewer.staff_id,
            name: signed_in.viewer.name.clone(),
            landing: signed_in.viewer.landing().path().to_string(),
            csrf_token: signed_in.csrf_token,
            expires_at: signed_in.expires_at,
        }),
    ))
}

/// Ends this session and clears the cookie.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out")))]
async fn logout(
    State(pool): State<PgPool>,
    Extension(policy): Extension<CookiePolicy>,
    session: Option<Extension<SessionToken>>,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(Extension(SessionToken(token))) = session {
        queries::sign_out(&pool, &token).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(header::SET_COOKIE, clear_session_cookie(policy))]),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct SignedOutEverywhere {
    sessions_ended: u64,
}

/// Ends every session of the person asking, on every device.
#[utoipa::path(post, path = "/api/auth/logout-everywhere", tag = "auth",
    responses(
        (status = 200, description = "Every session ended", body = SignedOutEverywhere),
        (status = 401, description = "Not signed in", body = super::error::ErrorBody),
    ))]
async fn logout_everywhere(
    State(pool): State<PgPool>,
    Extension(policy): Extension<CookiePolicy>,
    viewer: Option<Extension<Viewer>>,
) -> Result<impl IntoResponse, ApiError> {
    let Extension(viewer) = viewer.ok_or_else(ApiError::sign_in_first)?;
    if viewer.via_token {
        return Err(ApiError::Forbidden(
            "An API token has no sessions; revoke the token instead.".into(),
        ));
    }
    let sessions_ended = queries::sign_out_everywhere(&pool, viewer.staff_id).await?;
    Ok((
        AppendHeaders([(header::SET_COOKIE, clear_session_cookie(policy))]),
        Json(SignedOutEverywhere { sessions_ended }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    staff_id: Uuid,
    name: String,
    email: String,
    landing: String,
    #[schema(value_type = Vec<Object>)]
    grants: Vec<app::auth::Grant>,
    #[schema(value_type = Vec<Object>)]
    schools: Vec<app::auth::SchoolRef>,
}

/// Who is signed in: their roles and the schools they reach.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth",
    responses(
        (status = 200, description = "The person asking", body = Me),
        (status = 401, description = "Not signed in", body = super::error::ErrorBody),
    ))]
async fn me(viewer: Option<Extension<Viewer>>) -> Result<Json<Me>, ApiError> {
    let Extension(viewer) = viewer.ok_or_else(ApiError::sign_in_first)?;
    Ok(Json(Me {
        staff_id: viewer.staff_id,
        landing: viewer.landing().path().to_string(),
        name: viewer.name,
        email: viewer.email,
        grants: viewer.grants,
        schools: viewer.schools,
    }))
}

/// The person asking, if they may manage API tokens at this school.
fn token_admin(viewer: Option<Extension<Viewer>>, school_id: Uuid) -> Result<Viewer, ApiError> {
    let Extension(viewer) = viewer.ok_or_else(ApiError::sign_in_first)?;
    if viewer.via_token || !viewer.can(Permission::ManageApiTokens, school_id) {
        return Err(ApiError::not_permitted());
    }
    Ok(viewer)
}

#[derive(Deserialize, ToSchema)]
pub struct NewApiToken {
    /// What the token is for, for example "Local authority attendance return".
    name: String,
    /// `attendance_officer` or `leadership` (read only).
    role: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedApiToken {
    id: Uuid,
    /// Shown this once; Rollcall keeps only its hash.
    token: String,
}

#[derive(Serialize, ToSchema, sqlx::FromRow)]
pub struct ApiTokenSummary {
    id: Uuid,
    name: String,
    role: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

/// Makes an API token for another system. The secret is in this answer only.
#[utoipa::path(post, path = "/api/schools/{school_id}/api-tokens", tag = "auth",
    request_body = NewApiToken,
    params(("school_id" = Uuid, Path, description = "The school")),
    responses(
        (status = 201, description = "Made; keep the token now", body = CreatedApiToken),
        (status = 400, description = "No name, or a role tokens cannot hold", body = super::error::ErrorBody),
        (status = 403, description = "Not a school or trust administrator here", body = super::error::ErrorBody),
    ))]
async fn create_api_token(
    State(pool): State<PgPool>,
    viewer: Option<Extension<Viewer>>,
    Path(school_id): Path<Uuid>,
    body: Result<extract::Json<NewApiToken>, ApiError>,
) -> Result<(StatusCode, Json<CreatedApiToken>), ApiError> {
    let viewer = token_admin(viewer, school_id)?;
    let extract::Json(body) = body?;
    let name = body.name.trim();
    if name.is_empty() {
        return Err(ApiError::BadRequest(
            "Give the token a name that says what uses it.".into(),
        ));
    }
    let role = Role::from_key(&body.role)
        .filter(|role| matches!(role, Role::AttendanceOfficer | Role::Leadership))
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "{:?} is not a role a token can hold: use attendance_officer or leadership.",
                body.role
            ))
        })?;
    let token = format!("rc_{}", queries::new_secret());
    let mut tx = pool.begin().await?;
    let id: Uuid = sqlx::query_scalar(
        "insert into api_tokens (school_id, name, role, token_hash, created_by)
         values ($1, $2, $3, $4, $5) returning id",
    )
    .bind(school_id)
    .bind(name)
    .bind(role.key())
    .bind(queries::secret_hash(&token))
    .bind(viewer.staff_id)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Some(viewer.staff_id),
        Some(school_id),
        "api_token_created",
        &format!("api_token:{id}"),
        serde_json::json!({ "name": name, "role": role.key() }),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(CreatedApiToken { id, token })))
}

/// The school's API tokens, without their secrets.
#[utoipa::path(get, path = "/api/schools/{school_id}/api-tokens", tag = "auth",
    params(("school_id" = Uuid, Path, description = "The school")),
    responses(
        (status = 200, description = "The tokens", body = Vec<ApiTokenSummary>),
        (status = 403, description = "Not a school or trust administrator here", body = super::error::ErrorBody),
    ))]
async fn list_api_tokens(
    State(pool): State<PgPool>,
    viewer: Option<Extension<Viewer>>,
    Path(school_id): Path<Uuid>,
) -> Result<Json<Vec<ApiTokenSummary>>, ApiError> {
    token_admin(viewer, school_id)?;
    let tokens = sqlx::query_as(
        "select id, name, role, created_at, last_used_at, revoked_at
         from api_tokens where school_id = $1 order by created_at desc",
    )
    .bind(school_id)
    .fetch_all(&pool)
    .await?;
    Ok(Json(tokens))
}

/// Revokes a token: it stops working at once.
#[utoipa::path(delete, path = "/api/schools/{school_id}/api-tokens/{token_id}", tag = "auth",
    params(("school_id" = Uuid, Path, description = "The school"), ("token_id" = Uuid, Path, description = "The token")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "Not a school or trust administrator here", body = super::error::ErrorBody),
        (status = 404, description = "No such token at this school", body = super::error::ErrorBody),
    ))]
async fn revoke_api_token(
    State(pool): State<PgPool>,
    viewer: Option<Extension<Viewer>>,
    Path((school_id, token_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let viewer = token_admin(viewer, school_id)?;
    let mut tx = pool.begin().await?;
    let revoked = sqlx::query(
        "update api_tokens set revoked_at = coalesce(revoked_at, now())
         where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(token_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if revoked == 0 {
        return Err(ApiError::NotFound(
            "There is no such token at this school.".into(),
        ));
    }
    audit::record(
        &mut *tx,
        Some(viewer.staff_id),
        Some(school_id),
        "api_token_revoked",
        &format!("api_token:{token_id}"),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
