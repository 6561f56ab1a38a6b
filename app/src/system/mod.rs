//! Whether Rollcall itself is well: its version and the state of its database. The start page
//! shows it to people and `/healthz` reports it to machines.

#[cfg(feature = "ssr")]
pub mod queries;

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// What the server knows of its database at this moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseState {
    pub reachable: bool,
    /// The newest migration applied, if any.
    pub schema_version: Option<i64>,
    /// Why the database could not be asked, for an operator; never shown with secrets.
    pub problem: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStatus {
    pub version: String,
    pub database: DatabaseState,
}

#[server(prefix = "/api/fn", endpoint = "system/status")]
pub async fn fetch_status() -> Result<SystemStatus, ServerFnError> {
    let pool = use_context::<sqlx::PgPool>()
        .ok_or_else(|| ServerFnError::new("the server has no database pool"))?;
    Ok(SystemStatus {
        version: env!("CARGO_PKG_VERSION").to_string(),
        database: queries::database_state(&pool).await,
    })
}

/// The start page: what Rollcall is and whether it is working.
#[component]
pub fn StatusPage() -> impl IntoView {
    let status = Resource::new(|| (), |_| fetch_status());
    view! {
        <Title text="Status" />
        <section class="panel">
            <h1>"Rollcall"</h1>
            <p class="lead">"Attendance case management for schools in England."</p>
            <h2>"System status"</h2>
            <Suspense fallback=|| view! { <p>"Checking the system…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(status) => view! { <StatusList status /> }.into_any(),
                        Err(error) => view! {
                            <p class="error" role="alert">
                                "Rollcall could not report its status: " {error.to_string()}
                            </p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn StatusList(status: SystemStatus) -> impl IntoView {
    let database = match (&status.database.reachable, status.database.schema_version) {
        (true, Some(version)) => format!("connected, schema version {version}"),
        (true, None) => "connected, no migrations applied yet".to_string(),
        (false, _) => "not reachable".to_string(),
    };
    let healthy = status.database.reachable;
    view! {
        <dl class="facts">
            <dt>"Version"</dt>
            <dd>{status.version}</dd>
            <dt>"Database"</dt>
            <dd class:bad=!healthy data-testid="database-state">{database}</dd>
        </dl>
    }
}
