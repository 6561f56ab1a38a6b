//! The sign-in page and the sign-out button.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::errors::error_message;

/// Signs in and answers the page to go to. The browser then loads that page afresh, so every
/// part of the screen sees the new session.
#[server(prefix = "/api/fn", endpoint = "auth/sign-in")]
pub async fn sign_in(
    email: String,
    password: String,
    shared_device: Option<String>,
) -> Result<String, ServerFnError> {
    use super::{queries, server};
    let pool = server::pool()?;
    let user_agent = use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_default();
    let shared_device = shared_device.is_some();
    match queries::sign_in(&pool, &email, &password, shared_device, &user_agent).await {
        Ok(signed_in) => {
            let max_age = (signed_in.expires_at - chrono::Utc::now()).num_seconds();
            let cookie = server::session_cookie(&signed_in.token, max_age, server::cookie_policy());
            if let (Some(response), Ok(value)) = (
                use_context::<leptos_axum::ResponseOptions>(),
                http::HeaderValue::from_str(&cookie),
            ) {
                response.append_header(http::header::SET_COOKIE, value);
            }
            Ok(signed_in.viewer.landing().path().to_string())
        }
        Err(queries::SignInError::Database(error)) => Err(server::internal(error)),
        Err(refused) => Err(server::invalid(refused.to_string())),
    }
}

#[server(prefix = "/api/fn", endpoint = "auth/sign-out")]
pub async fn sign_out() -> Result<(), ServerFnError> {
    use super::{queries, server};
    let pool = server::pool()?;
    if let Some(token) = server::session_token_from_request() {
        queries::sign_out(&pool, &token)
            .await
            .map_err(server::internal)?;
    }
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&server::clear_session_cookie(server::cookie_policy())),
    ) {
        response.append_header(http::header::SET_COOKIE, value);
    }
    Ok(())
}

/// Loads a page afresh, so that a new or ended session shows everywhere at once.
fn go_to(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    Effect::new(move |_| {
        if let Some(Ok(path)) = action.value().get() {
            go_to(&path);
        }
    });
    let error = move || {
        action
            .value()
            .get()
            .and_then(|result| result.err())
            .map(|error| error_message(&error))
    };
    view! {
        <Title text="Sign in" />
        <section class="panel narrow">
            <h1>"Sign in to Rollcall"</h1>
            <ActionForm action attr:class="stack">
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required />
                <label for="password">"Password"</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                />
                <label class="check">
                    <input type="checkbox" name="shared_device" value="on" />
                    "This is a shared device at school, such as the late-door tablet: keep it signed in for the term"
                </label>
                <button type="submit" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <Show when=move || error().is_some()>
                <p class="error" role="alert">{error}</p>
            </Show>
        </section>
    }
}

#[component]
pub fn SignOutButton() -> impl IntoView {
    let action = ServerAction::<SignOut>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            go_to("/login");
        }
    });
    view! {
        <ActionForm action attr:class="sign-out">
            <button type="submit" class="quiet">"Sign out"</button>
        </ActionForm>
    }
}
