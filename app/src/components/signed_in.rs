//! Pages for signed-in staff: the sign-in check and the choice of school.

use leptos::prelude::*;
use leptos_router::{components::Redirect, hooks::use_query_map};
use uuid::Uuid;

use crate::auth::{SchoolRef, Viewer, use_viewer};
use crate::components::errors::error_message;

/// Shows `page` to a signed-in person and sends anyone else to the sign-in page. The server
/// checks every call again; this only decides what to draw.
#[component]
pub fn SignedIn<F, V>(page: F) -> impl IntoView
where
    F: Fn(Viewer) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let viewer = use_viewer().0;
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let page = page.clone();
                Suspend::new(async move {
                    match viewer.await {
                        Ok(Some(viewer)) => page(viewer).into_any(),
                        Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                        Err(error) => view! {
                            <p class="error" role="alert">{error_message(&error)}</p>
                        }
                            .into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The school a page is about: the one named by `?school=` if this person works there,
/// otherwise their first.
pub fn chosen_school(viewer: &Viewer) -> Memo<Option<SchoolRef>> {
    let query = use_query_map();
    let schools = viewer.schools.clone();
    Memo::new(move |_| {
        let wanted = query
            .read()
            .get("school")
            .and_then(|id| Uuid::parse_str(&id).ok());
        wanted
            .and_then(|id| schools.iter().find(|school| school.id == id).cloned())
            .or_else(|| schools.first().cloned())
    })
}

/// A menu to switch school, for people who work in more than one.
#[component]
pub fn SchoolPicker(viewer: Viewer, school: Memo<Option<SchoolRef>>) -> impl IntoView {
    if viewer.schools.len() < 2 {
        return ().into_any();
    }
    let navigate = leptos_router::hooks::use_navigate();
    let location = leptos_router::hooks::use_location();
    view! {
        <label class="school-picker">
            "School "
            <select on:change=move |event| {
                let id = event_target_value(&event);
                navigate(
                    &format!("{}?school={id}", location.pathname.get_untracked()),
                    Default::default(),
                );
            }>
                {viewer
                    .schools
                    .into_iter()
                    .map(|option| {
                        let selected = school.get_untracked().is_some_and(|s| s.id == option.id);
                        view! {
                            <option value=option.id.to_string() selected=selected>
                                {option.name}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
    .into_any()
}
