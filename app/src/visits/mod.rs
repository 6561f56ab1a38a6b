//! Home visits: the landing page of home visitors.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{auth::Viewer, components::signed_in::SignedIn};

#[component]
pub fn VisitsPage() -> impl IntoView {
    view! {
        <Title text="My visits" />
        <SignedIn page=|viewer| view! { <Visits viewer /> } />
    }
}

#[component]
fn Visits(viewer: Viewer) -> impl IntoView {
    view! {
        <section class="panel">
            <h1>"My visits"</h1>
            <p class="lead">"Signed in as " {viewer.name.clone()}</p>
            <p data-testid="no-visits">"No visits are assigned to you."</p>
            <h2>"Your schools"</h2>
            <ul>
                {viewer.schools.iter().map(|school| view! { <li>{school.name.clone()}</li> }).collect_view()}
            </ul>
        </section>
    }
}
