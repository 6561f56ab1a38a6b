//! The register pages: the day's registers, and taking one.

use leptos::prelude::*;

#[component]
pub fn RegistersPage() -> impl IntoView {
    view! { <h1>"Registers"</h1> }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    view! { <h1>"Register"</h1> }
}
