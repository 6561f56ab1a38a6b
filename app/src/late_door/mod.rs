//! The late door: staff at the entrance find the pupil who has just arrived.

pub mod office;
#[cfg(feature = "ssr")]
pub mod queries;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    auth::Viewer,
    components::{
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
    pupils::search_roll,
    school::chosen_school_day,
};

#[component]
pub fn LateDoorPage() -> impl IntoView {
    view! {
        <Title text="Late door" />
        <SignedIn page=|viewer| view! { <LateDoor viewer /> } />
    }
}

#[component]
fn LateDoor(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let day = chosen_school_day(school);
    let (query, set_query) = signal(String::new());
    let found = Resource::new(
        move || (school.get().map(|s| s.id), query.get()),
        |(id, query)| async move {
            match id {
                Some(id) if !query.trim().is_empty() => search_roll(id, query).await,
                _ => Ok(Vec::new()),
            }
        },
    );
    view! {
        <section class="panel late-door">
            <div class="page-head">
                <h1>"Late door"</h1>
                <SchoolPicker viewer=viewer.clone() school />
            </div>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match day.await {
                        Ok(Some(day)) => {
                            let closes = day.times.am_register_closes().format("%H:%M").to_string();
                            view! {
                                <p class="lead" data-testid="register-rule">
                                    {day.school_name.clone()} ": the morning register closes at " {closes.clone()}
                                    ". Arrivals before " {closes.clone()} " are late but present (L); after "
                                    {closes} " they are late after the register closed (U), an unauthorised absence."
                                </p>
                            }.into_any()
                        }
                        Ok(None) => view! { <p>"You have no school yet."</p> }.into_any(),
                        Err(error) => view! {
                            <p class="error" role="alert">{error_message(&error)}</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <label for="late-search" class="big-label">"Find the pupil: name or form"</label>
            <input
                id="late-search"
                class="big-input"
                type="search"
                autocomplete="off"
                on:input=move |event| set_query.set(event_target_value(&event))
                prop:value=query
            />
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match found.await {
                        Ok(pupils) => view! {
                            <ul class="found" aria-label="Pupils found">
                                {pupils.into_iter().map(|pupil| view! {
                                    <li class="found-pupil">
                                        <span class="name">{format!("{} {}", pupil.first_name, pupil.last_name)}</span>
                                        <span class="form">{pupil.form.unwrap_or(pupil.year)}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! {
                            <p class="error" role="alert">{error_message(&error)}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
