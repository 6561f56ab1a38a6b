//! The frame around every page: the Rollcall name, the navigation and the network indicator.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::network::NetworkIndicator;

/// One entry of the main navigation. Later features add theirs here, so the menu is in one place.
struct NavItem {
    href: &'static str,
    label: &'static str,
}

const NAV: &[NavItem] = &[NavItem {
    href: "/",
    label: "Status",
}];

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="top-bar">
            <A href="/" attr:class="brand">
                <img src="/icons/rollcall.svg" alt="" width="32" height="32" />
                <span>"Rollcall"</span>
            </A>
            <nav aria-label="Main">
                <ul>
                    {NAV
                        .iter()
                        .map(|item| view! { <li><A href=item.href>{item.label}</A></li> })
                        .collect_view()}
                </ul>
            </nav>
            <NetworkIndicator />
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
