//! The frame around every page: the Rollcall name, the navigation and the network indicator.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::network::NetworkIndicator;
use crate::{
    auth::{SignOutButton, Viewer, use_viewer},
    domain::roles::Permission,
};

/// One entry of the main navigation, shown to people who may use it somewhere (any one of its
/// permissions will do). Later features add theirs here, so the menu is in one place.
struct NavItem {
    href: &'static str,
    label: &'static str,
    permissions: &'static [Permission],
}

const NAV: &[NavItem] = &[
    NavItem {
        href: "/today",
        label: "Today",
        permissions: &[Permission::ViewReports],
    },
    NavItem {
        href: "/registers",
        label: "Registers",
        permissions: &[Permission::TakeRegisters],
    },
    NavItem {
        href: "/late-arrivals",
        label: "Late arrivals",
        permissions: &[Permission::TakeRegisters, Permission::RecordLateArrivals],
    },
    NavItem {
        href: "/calling",
        label: "Calling",
        permissions: &[Permission::WorkCases, Permission::TakeRegisters],
    },
    NavItem {
        href: "/cases",
        label: "Cases",
        permissions: &[Permission::WorkCases],
    },
    NavItem {
        href: "/letters",
        label: "Letters",
        permissions: &[Permission::WorkCases],
    },
    NavItem {
        href: "/leave",
        label: "Leave",
        permissions: &[
            Permission::TakeRegisters,
            Permission::WorkCases,
            Permission::DecideLeave,
        ],
    },
    NavItem {
        href: "/penalty-notices",
        label: "Penalty notices",
        permissions: &[Permission::WorkCases],
    },
    NavItem {
        href: "/roll",
        label: "Leaving the roll",
        permissions: &[Permission::WorkCases, Permission::DeleteFromRoll],
    },
    NavItem {
        href: "/arrangements",
        label: "Timetables and AP",
        permissions: &[Permission::WorkCases],
    },
    NavItem {
        href: "/attendance",
        label: "Attendance",
        permissions: &[Permission::ViewReports],
    },
    NavItem {
        href: "/reports",
        label: "Reports",
        permissions: &[Permission::ViewReports],
    },
    NavItem {
        href: "/certificates",
        label: "Certificates",
        permissions: &[Permission::WorkCases, Permission::ViewReports],
    },
    NavItem {
        href: "/late-door",
        label: "Late door",
        permissions: &[Permission::RecordLateArrivals],
    },
    NavItem {
        href: "/visits",
        label: "My visits",
        permissions: &[Permission::RecordVisits],
    },
    NavItem {
        href: "/pupils",
        label: "Pupils",
        permissions: &[Permission::ViewPupils],
    },
    NavItem {
        href: "/admin/staff",
        label: "Staff",
        permissions: &[Permission::ManageStaff],
    },
    NavItem {
        href: "/admin/school",
        label: "School settings",
        permissions: &[Permission::ManageSchool],
    },
    NavItem {
        href: "/admin/import",
        label: "Import",
        permissions: &[Permission::ManageSchool],
    },
];

/// The menu for this person. `query` keeps the chosen school (`?school=`) from page to page.
fn nav_for(viewer: &Viewer, query: String) -> impl IntoView + use<> {
    NAV.iter()
        .filter(|item| {
            item.permissions
                .iter()
                .any(|permission| viewer.can_somewhere(*permission))
        })
        .map(|item| view! { <li><A href=format!("{}{query}", item.href)>{item.label}</A></li> })
        .collect_view()
}

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let viewer = use_viewer().0;
    let signed_in = move || viewer.get().and_then(|result| result.ok()).flatten();
    let query = leptos_router::hooks::use_query_map();
    let school_query = move || {
        query
            .read()
            .get("school")
            .and_then(|id| uuid::Uuid::parse_str(&id).ok())
            .map(|id| format!("?school={id}"))
            .unwrap_or_default()
    };
    // The skip link is rel="external" to keep the router out of it, so the browser itself moves
    // focus to the content.
    view! {
        <a class="skip-link" href="#main" rel="external">"Skip to content"</a>
        <header class="top-bar">
            <A href="/" attr:class="brand">
                <img src="/icons/rollcall.svg" alt="" width="32" height="32" />
                <span>"Rollcall"</span>
            </A>
            <nav aria-label="Main">
                <Transition fallback=|| ()>
                    <ul>{move || signed_in().map(|viewer| nav_for(&viewer, school_query()))}</ul>
                </Transition>
            </nav>
            <NetworkIndicator />
            <Transition fallback=|| ()>
                {move || match signed_in() {
                    Some(viewer) => view! {
                        <div class="who">
                            <span class="who-name">{viewer.name}</span>
                            <SignOutButton />
                        </div>
                    }.into_any(),
                    None => view! { <A href="/login" attr:class="sign-in-link">"Sign in"</A> }.into_any(),
                }}
            </Transition>
        </header>
        <main id="main" tabindex="-1">{children()}</main>
    }
}

/// What a person sees for an address Rollcall does not have.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="panel">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. Check the link, or go back to the "
                <A href="/">"start page"</A>"."
            </p>
        </section>
    }
}
