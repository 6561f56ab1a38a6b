//! The pupil list with its search, and a pupil's page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};
use uuid::Uuid;

use super::{PupilRecord, load_pupil_record, search_roll, sen_label};
use crate::{
    auth::Viewer,
    components::{
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
    school::pages::{long_date, school_link},
};

#[component]
pub fn PupilsPage() -> impl IntoView {
    view! {
        <Title text="Pupils" />
        <SignedIn page=|viewer| view! { <Pupils viewer /> } />
    }
}

#[component]
fn Pupils(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let (query, set_query) = signal(String::new());
    let roll = Resource::new(
        move || (school.get().map(|s| s.id), query.get()),
        |(id, query)| async move {
            match id {
                Some(id) => search_roll(id, query).await,
                None => Ok(Vec::new()),
            }
        },
    );
    view! {
        <section class="panel">
            <div class="page-head">
                <h1>"Pupils"</h1>
                <SchoolPicker viewer=viewer.clone() school />
            </div>
            <label for="pupil-search">"Find a pupil by name, form or UPN"</label>
            <input
                id="pupil-search"
                type="search"
                autocomplete="off"
                placeholder="For example: Smith, 9C"
                on:input=move |event| set_query.set(event_target_value(&event))
                prop:value=query
            />
            <Transition fallback=|| view! { <p class="muted">"Loading the roll…"</p> }>
                {move || Suspend::new(async move {
                    match roll.await {
                        Ok(pupils) if pupils.is_empty() => view! {
                            <p>"No pupil on roll matches that."</p>
                        }.into_any(),
                        Ok(pupils) => {
                            let school_id = school.get_untracked().map(|s| s.id);
                            view! {
                                <p class="muted" role="status">{format!("{} pupils", pupils.len())}</p>
                                <table class="roll">
                                    <thead><tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Form"</th>
                                        <th scope="col">"Year"</th>
                                    </tr></thead>
                                    <tbody>
                                        {pupils.into_iter().map(|pupil| view! {
                                            <tr>
                                                <td><A href=school_link(&format!("/pupils/{}", pupil.id), school_id)>
                                                    {format!("{}, {}", pupil.last_name, pupil.first_name)}
                                                </A></td>
                                                <td>{pupil.form.unwrap_or_default()}</td>
                                                <td>{pupil.year}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }
                        Err(error) => view! {
                            <p class="error" role="alert">{error_message(&error)}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn PupilPage() -> impl IntoView {
    view! {
        <Title text="Pupil" />
        <SignedIn page=|viewer| view! { <Pupil viewer /> } />
    }
}

#[component]
fn Pupil(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let params = use_params_map();
    let pupil_id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| Uuid::parse_str(&id).ok())
    };
    let views = crate::data_protection::safeguarding_views_resource(&viewer, move || {
        school.get().map(|s| s.id).zip(pupil_id())
    });
    let record = Resource::new(
        move || (school.get().map(|s| s.id), pupil_id()),
        |(school_id, pupil_id)| async move {
            match (school_id, pupil_id) {
                (Some(school_id), Some(pupil_id)) => load_pupil_record(school_id, pupil_id).await,
                _ => Err(ServerFnError::new("There is no such pupil at this school.")),
            }
        },
    );
    view! {
        <section class="panel">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let viewer = viewer.clone();
                    Suspend::new(async move {
                        match record.await {
                            Ok(pupil) => {
                                let pupil_id = pupil.id;
                                view! {
                                    <Record pupil />
                                    {school.get_untracked().map(|school| view! {
                                        <crate::data_protection::PupilDataProtection viewer=viewer.clone() school_id=school.id pupil_id views />
                                    })}
                                }.into_any()
                            }
                            Err(error) => view! {
                                <h1>"Pupil"</h1>
                                <p class="error" role="alert">{error_message(&error)}</p>
                            }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "Yes" } else { "No" }
}

#[component]
fn Record(pupil: PupilRecord) -> impl IntoView {
    let name = pupil.display_name();
    let legal = format!("{} {}", pupil.legal_first_name, pupil.legal_last_name);
    let safeguarding = pupil.safeguarding_status.clone().map(|status| {
        let label = match status.as_str() {
            "child_in_need" => "Child in need",
            "child_protection_plan" => "Child protection plan",
            _ => "None recorded",
        };
        view! {
            <dt>"Safeguarding"</dt>
            <dd data-testid="safeguarding-status" class:flag=status != "none">{label}</dd>
        }
    });
    view! {
        <Title text=name.clone() />
        <h1>{name.clone()}</h1>
        <crate::attendance::pages::PupilAttendanceLink pupil_id=pupil.id />
        <dl class="facts" data-testid="pupil-facts">
            <dt>"Legal name"</dt><dd>{legal}</dd>
            <dt>"UPN"</dt><dd>{pupil.upn.clone()}</dd>
            <dt>"Date of birth"</dt><dd>{long_date(pupil.date_of_birth)}</dd>
            <dt>"Sex"</dt><dd>{pupil.sex.clone()}</dd>
            <dt>"Year and form"</dt><dd>{pupil.year.clone()} " " {pupil.form.clone().unwrap_or_default()}</dd>
            <dt>"On roll"</dt>
            <dd>
                "since " {long_date(pupil.admitted_on)}
                {pupil.left_on.map(|left| format!(", left {}", long_date(left)))}
            </dd>
            <dt>"SEN"</dt><dd>{sen_label(&pupil.sen_status)}</dd>
            <dt>"Free school meals"</dt><dd>{yes_no(pupil.free_school_meals)}</dd>
            <dt>"Pupil premium"</dt><dd>{yes_no(pupil.pupil_premium)}</dd>
            <dt>"English as an additional language"</dt><dd>{yes_no(pupil.eal)}</dd>
            <dt>"Ethnicity"</dt><dd>{pupil.ethnicity.clone()}</dd>
            {safeguarding}
        </dl>
        <h2>"Contacts"</h2>
        {if pupil.contacts.is_empty() {
            view! { <p>"No contacts are recorded."</p> }.into_any()
        } else {
            view! {
                <ol class="contacts">
                    {pupil.contacts.into_iter().map(|contact| {
                        let phones = [
                            ("Mobile", contact.mobile_phone),
                            ("Home", contact.home_phone),
                            ("Work", contact.work_phone),
                        ];
                        view! {
                            <li class="contact">
                                <h3>
                                    {format!("{} {} {}", contact.title, contact.first_name, contact.last_name).trim().to_string()}
                                    <span class="muted">{format!(" ({})", contact.relationship)}</span>
                                </h3>
                                <p class="muted">
                                    {if contact.parental_responsibility { "Parental responsibility" } else { "No parental responsibility" }}
                                    ". Prefers " {contact.preferred_contact.clone()} "."
                                </p>
                                <ul class="plain">
                                    {phones.into_iter().filter(|(_, number)| !number.is_empty()).map(|(kind, number)| {
                                        let href = format!("tel:{}", number.replace(' ', ""));
                                        view! { <li>{kind} ": " <a href=href>{number}</a></li> }
                                    }).collect_view()}
                                    {(!contact.email.is_empty()).then(|| {
                                        let href = format!("mailto:{}", contact.email);
                                        view! { <li>"Email: " <a href=href>{contact.email.clone()}</a></li> }
                                    })}
                                    {(!contact.address.is_empty()).then(|| view! {
                                        <li>"Address: " {contact.address.clone()} ", " {contact.postcode.clone()}</li>
                                    })}
                                </ul>
                            </li>
                        }
                    }).collect_view()}
                </ol>
            }.into_any()
        }}
    }
}
