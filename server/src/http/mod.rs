//! The HTTP surface: pages and server functions from the app, the JSON API under `/api/`, and the
//! layers every response goes through.

mod attendance;
mod auth;
mod certificates;
pub mod error;
mod evidence;
mod extract;
mod first_day_calling;
mod health;
mod late_arrivals;
mod letters;
mod openapi;
mod reports;
mod session;
mod subject_access;
mod sync;

use std::{net::SocketAddr, time::Duration};

use anyhow::Context;
use app::{App, auth::server::CookiePolicy, shell};
use axum::{Router, extract::FromRef, http::HeaderValue};
use http::{HeaderName, Request, header};
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use sqlx::PgPool;
use tower::ServiceBuilder;
use tower_http::{
    compression::CompressionLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};
use utoipa_axum::router::OpenApiRouter;

use crate::config::Config;

/// What every handler can reach.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub pool: PgPool,
    pub leptos_options: LeptosOptions,
    pub cookie_policy: CookiePolicy,
    /// The SMTP relay letters are emailed through; server functions find it in their context.
    pub mail: app::letters::MailSettings,
}

/// Requests larger than this are refused before they are read.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Builds the whole application: the same router serves `make run` and the tests.
pub fn router(state: AppState) -> Router {
    let (api, api_doc) = OpenApiRouter::with_openapi(openapi::ApiDoc::default_doc())
        .merge(health::router())
        .merge(auth::router())
        .merge(attendance::router())
        .merge(reports::router())
        .merge(late_arrivals::router())
        .merge(letters::router())
        .merge(evidence::router())
        .merge(certificates::router())
        .merge(first_day_calling::router())
        .merge(subject_access::router())
        .merge(sync::router())
        .split_for_parts();
    let api = api
        .merge(openapi::router(api_doc))
        // JSON answers never need to run scripts or be framed.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ));

    let routes = generate_route_list(App);
    let pages = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let pool = state.pool.clone();
                let policy = state.cookie_policy;
                let mail = state.mail.clone();
                move || {
                    provide_context(pool.clone());
                    provide_context(policy);
                    provide_context(mail.clone());
                }
            },
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell));

    api.with_state(state.clone())
        .merge(pages.with_state(state.clone()))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::resolve_viewer,
        ))
        .layer(axum::Extension(state.cookie_policy))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                        let id = request
                            .headers()
                            .get(REQUEST_ID)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), id)
                    }),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
                .layer(CompressionLayer::new())
                .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
                .layer(security_header(header::REFERRER_POLICY, "same-origin"))
                .layer(security_header(
                    HeaderName::from_static("permissions-policy"),
                    "camera=(), microphone=(), geolocation=(), payment=()",
                ))
                .layer(security_header(
                    HeaderName::from_static("cross-origin-opener-policy"),
                    "same-origin",
                )),
        )
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// Serves Rollcall until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn serve(config: Config, pool: PgPool) -> anyhow::Result<()> {
    let addr: SocketAddr = config.leptos_options.site_addr;
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => anyhow::bail!(
            "{addr} is already in use: another Rollcall, or another program, is listening there. \
             Stop it, or choose another address with LEPTOS_SITE_ADDR=127.0.0.1:3005"
        ),
        Err(error) => return Err(error).with_context(|| format!("listening on {addr}")),
    };
    let app = router(AppState {
        pool,
        leptos_options: config.leptos_options,
        cookie_policy: CookiePolicy {
            secure: config.secure_cookies,
        },
        mail: config.mail,
    });
    tracing::info!("Rollcall is listening on http://{addr}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down; finishing the requests in flight");
    // Long-polling clients should not hold the shutdown forever.
    tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs(10)).await;
        std::process::exit(0);
    });
}
