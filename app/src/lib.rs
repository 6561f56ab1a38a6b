//! Rollcall's Leptos app, compiled twice: for the server (`ssr`) and for the browser (`hydrate`).
//!
//! Each concept lives in one folder with its types, its server functions, its queries (server
//! only) and its page, so a newcomer finds a concept in one place.

#![recursion_limit = "256"]

pub mod arrangements;
pub mod attendance;
#[cfg(feature = "ssr")]
pub mod audit;
pub mod auth;
pub mod calling;
pub mod cases;
pub mod certificates;
pub mod components;
pub mod data_protection;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod exports;
pub mod import;
pub mod late_door;
pub mod leave;
pub mod letters;
pub mod meetings;
#[cfg(feature = "ssr")]
pub mod pdf;
pub mod penalty_notices;
pub mod pupils;
pub mod registers;
pub mod reports;
pub mod roll;
pub mod school;
pub mod staff;
pub mod sync;
pub mod system;
pub mod uk_time;
pub mod visits;

use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    components::{Redirect, Route, Router, Routes},
    path,
};

use auth::{SignInPage, ViewerResource, current_viewer, use_viewer};
use components::layout::{Layout, NotFound};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en-GB">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Pages allow only this origin's scripts and styles, plus the inline hydration script that
/// carries this response's nonce.
#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    use leptos::nonce::use_nonce;
    let Some(nonce) = use_nonce() else { return };
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:*; \
         manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'self'; \
         form-action 'self'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(ViewerResource(Resource::new(|| (), |_| current_viewer())));
    view! {
        <Stylesheet id="leptos" href="/pkg/rollcall.css" />
        <Title formatter=|page: String| {
            if page.is_empty() { "Rollcall".to_string() } else { format!("{page} · Rollcall") }
        } />
        <Meta name="description" content="Attendance case management for schools in England" />
        <Meta name="theme-color" content="#1d4f91" />
        <Link rel="manifest" href="/manifest.webmanifest" />
        <Link rel="icon" href="/icons/rollcall.svg" type_="image/svg+xml" />
        <Link rel="apple-touch-icon" href="/icons/rollcall-192.png" />
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Start />
                    <Route path=path!("/login") view=SignInPage />
                    <Route path=path!("/status") view=system::StatusPage />
                    <Route path=path!("/today") view=school::TodayPage />
                    <Route path=path!("/late-door") view=late_door::LateDoorPage />
                    <Route path=path!("/late-arrivals") view=late_door::office::LateArrivalsPage />
                    <Route path=path!("/cases") view=cases::CasesPage />
                    <Route path=path!("/cases/:id") view=cases::CasePage />
                    <Route path=path!("/certificates") view=certificates::CertificatesPage />
                    <Route path=path!("/letters") view=letters::LettersPage />
                    <Route path=path!("/letters/:id") view=letters::LetterPage />
                    <Route path=path!("/calling") view=calling::CallingPage />
                    <Route path=path!("/leave") view=leave::LeavePage />
                    <Route path=path!("/leave/:id") view=leave::LeaveDecisionPage />
                    <Route path=path!("/penalty-notices") view=penalty_notices::PenaltyNoticesPage />
                    <Route path=path!("/roll") view=roll::RollPage />
                    <Route path=path!("/arrangements") view=arrangements::ArrangementsPage />
                    <Route path=path!("/roll/ten-day/:pupil_id") view=roll::TenDayNoticePage />
                    <Route path=path!("/visits") view=visits::VisitsPage />
                    <Route path=path!("/visits/:id") view=visits::VisitPage />
                    <Route path=path!("/pupils") view=pupils::PupilsPage />
                    <Route path=path!("/pupils/:id") view=pupils::PupilPage />
                    <Route path=path!("/pupils/:id/attendance") view=attendance::PupilAttendance />
                    <Route path=path!("/registers") view=registers::RegistersPage />
                    <Route path=path!("/registers/:form/:date/:session") view=registers::RegisterPage />
                    <Route path=path!("/attendance") view=attendance::AttendancePage />
                    <Route path=path!("/reports") view=reports::ReportsPage />
                    <Route path=path!("/fire-register") view=reports::today::FireRegisterPage />
                    <Route path=path!("/admin/staff") view=staff::StaffPage />
                    <Route path=path!("/admin/school") view=school::SchoolSettingsPage />
                    <Route path=path!("/admin/import") view=import::ImportPage />
                </Routes>
            </Layout>
        </Router>
    }
}

/// The address people type: their own page when signed in, the sign-in page otherwise.
#[component]
fn Start() -> impl IntoView {
    let viewer = use_viewer().0;
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let path = match viewer.await {
                    Ok(Some(viewer)) => viewer.landing().path(),
                    _ => "/login",
                };
                view! { <Redirect path=path /> }
            })}
        </Suspense>
    }
}
