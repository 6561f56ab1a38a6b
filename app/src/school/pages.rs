//! The office's overview of the day, and the school's settings for its administrators.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use uuid::Uuid;

use super::{
    AddClosure, MAX_SANCTION_CHARS, RemoveClosure, SaveLatePolicy, SaveSessionTimes, SchoolDay,
    SchoolSettings, chosen_school_day, load_school_settings,
};
use crate::{
    auth::Viewer,
    components::{
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
    domain::roles::Permission,
};

#[component]
pub fn TodayPage() -> impl IntoView {
    view! {
        <Title text="Today" />
        <SignedIn page=|viewer| view! { <Today viewer /> } />
    }
}

#[component]
fn Today(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let day = chosen_school_day(school);
    let can_view_pupils = {
        let viewer = viewer.clone();
        move || {
            school
                .get()
                .is_some_and(|s| viewer.can(Permission::ViewPupils, s.id))
        }
    };
    view! {
        <section class="panel">
            <div class="page-head">
                <h1>"Today"</h1>
                <SchoolPicker viewer=viewer.clone() school />
            </div>
            <p class="lead">"Signed in as " {viewer.name.clone()}</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading the day…"</p> }>
                {move || Suspend::new(async move {
                    match day.await {
                        Ok(Some(day)) => view! { <DayFacts day /> }.into_any(),
                        Ok(None) => view! {
                            <crate::components::errors::NoSchool />
                        }.into_any(),
                        Err(error) => view! {
                            <p class="error" role="alert">{error_message(&error)}</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <crate::reports::today::TodayOverviewPanel school />
            <Show when=can_view_pupils.clone()>
                <p><A href=move || school_link("/pupils", school.get().map(|s| s.id))>"Browse the roll"</A></p>
            </Show>
        </section>
    }
}

/// A link to a page for a particular school.
pub fn school_link(path: &str, school_id: Option<Uuid>) -> String {
    match school_id {
        Some(id) => format!("{path}?school={id}"),
        None => path.to_string(),
    }
}

pub fn long_date(date: NaiveDate) -> String {
    date.format("%A %-d %B %Y").to_string()
}

#[component]
pub fn DayFacts(day: SchoolDay) -> impl IntoView {
    let times = day.times.clone();
    view! {
        <h2>{day.school_name.clone()}</h2>
        <dl class="facts" data-testid="day-facts">
            <dt>"Date"</dt>
            <dd>{long_date(day.date)} ", " {day.kind.describe()}</dd>
            <dt>"Morning register"</dt>
            <dd>
                "opens " {times.am_register_opens.format("%H:%M").to_string()} ", closes "
                {times.am_register_closes().format("%H:%M").to_string()}
            </dd>
            <dt>"Afternoon register"</dt>
            <dd>
                "opens " {times.pm_register_opens.format("%H:%M").to_string()} ", closes "
                {times.pm_register_closes().format("%H:%M").to_string()}
            </dd>
            <dt>"Pupils on roll"</dt>
            <dd data-testid="pupils-on-roll">{day.pupils_on_roll}</dd>
            <dt>"Forms"</dt>
            <dd>{day.forms}</dd>
            <dt>"Staff with a role here"</dt>
            <dd>{day.staff}</dd>
            <dt>"URN"</dt>
            <dd>{day.urn}</dd>
        </dl>
    }
}

#[component]
pub fn SchoolSettingsPage() -> impl IntoView {
    view! {
        <Title text="School settings" />
        <SignedIn page=|viewer| view! { <Settings viewer /> } />
    }
}

#[component]
fn Settings(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let save_times = ServerAction::<SaveSessionTimes>::new();
    let save_late = ServerAction::<SaveLatePolicy>::new();
    let add = ServerAction::<AddClosure>::new();
    let remove = ServerAction::<RemoveClosure>::new();
    let settings = Resource::new(
        move || {
            (
                school.get().map(|s| s.id),
                save_times.version().get(),
                save_late.version().get(),
                add.version().get(),
                remove.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => load_school_settings(id).await.map(|s| Some((id, s))),
                None => Ok(None),
            }
        },
    );
    let result_of = |error: Option<Result<(), ServerFnError>>| {
        error.and_then(|r| r.err()).map(|e| error_message(&e))
    };
    // The sections that load their own settings (calling deadlines, case policy) sit beside
    // the panel, not inside its Suspense: their resources would not hydrate there.
    view! {
        <section class="panel">
            <div class="page-head">
                <h1>"School settings"</h1>
                <SchoolPicker viewer=viewer.clone() school />
            </div>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(Some((school_id, settings))) => view! {
                            <SettingsForms school_id settings save_times save_late add remove />
                        }.into_any(),
                        Ok(None) => view! { <p>"You have no school to manage."</p> }.into_any(),
                        Err(error) => view! {
                            <p class="error" role="alert">{error_message(&error)}</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <Show when=move || result_of(save_times.value().get()).is_some()>
                <p class="error" role="alert">{move || result_of(save_times.value().get())}</p>
            </Show>
            <Show when=move || result_of(save_late.value().get()).is_some()>
                <p class="error" role="alert">{move || result_of(save_late.value().get())}</p>
            </Show>
            <Show when=move || result_of(add.value().get()).is_some()>
                <p class="error" role="alert">{move || result_of(add.value().get())}</p>
            </Show>
        </section>
        {move || school.get().map(|school| view! {
            <section class="panel">
                <crate::calling::pages::CallingDeadlinesSection school_id=school.id />
            </section>
            <section class="panel">
                <crate::cases::pages::CasePolicySection school_id=school.id />
            </section>
        })}
    }
}

#[component]
fn SettingsForms(
    school_id: Uuid,
    settings: SchoolSettings,
    save_times: ServerAction<SaveSessionTimes>,
    save_late: ServerAction<SaveLatePolicy>,
    add: ServerAction<AddClosure>,
    remove: ServerAction<RemoveClosure>,
) -> impl IntoView {
    let SchoolSettings {
        times,
        late,
        terms,
        closures,
    } = settings;
    let late_saved = move || save_late.value().get().is_some_and(|r| r.is_ok());
    let max_sanction = MAX_SANCTION_CHARS.to_string();
    view! {
        <h2>"Session times"</h2>
        <ActionForm action=save_times attr:class="stack">
            <input type="hidden" name="school_id" value=school_id.to_string() />
            <label for="am">"Morning register opens"</label>
            <input id="am" name="am_register_opens" type="time" required
                value=times.am_register_opens.format("%H:%M").to_string() />
            <label for="pm">"Afternoon register opens"</label>
            <input id="pm" name="pm_register_opens" type="time" required
                value=times.pm_register_opens.format("%H:%M").to_string() />
            <label for="minutes">"Minutes the register stays open (at most 30)"</label>
            <input id="minutes" name="register_open_minutes" type="number" min="1" max="30" required
                value=times.register_open_minutes.to_string() />
            <button type="submit">"Save session times"</button>
        </ActionForm>

        <h2 id="late-policy">"Late policy"</h2>
        <p class="muted">
            "What the late door gives for each late arrival, and when repeated lateness becomes a punctuality concern for the case workflow. Arrivals already logged keep the sanction they were given."
        </p>
        <ActionForm action=save_late attr:class="stack" attr:data-testid="late-policy">
            <input type="hidden" name="school_id" value=school_id.to_string() />
            <label for="sanction-l">"Sanction for L, arrived while the register was open (leave empty for none)"</label>
            <input id="sanction-l" name="sanction_before_close" type="text" maxlength=max_sanction.clone()
                value=late.sanction_before_close />
            <label for="sanction-u">"Sanction for U, arrived after the register closed (leave empty for none)"</label>
            <input id="sanction-u" name="sanction_after_close" type="text" maxlength=max_sanction
                value=late.sanction_after_close />
            <label for="concern-after">"Punctuality concern after this many lates in a half term (1 to 50)"</label>
            <input id="concern-after" name="concern_after" type="number" min="1" max="50" required
                value=late.concern_after.to_string() />
            <button type="submit">"Save late policy"</button>
        </ActionForm>
        <Show when=late_saved>
            <p class="notice" role="status">"Late policy saved."</p>
        </Show>

        <h2>"Terms"</h2>
        <table>
            <thead><tr><th scope="col">"Term"</th><th scope="col">"Starts"</th><th scope="col">"Ends"</th></tr></thead>
            <tbody>
                {terms.into_iter().map(|term| view! {
                    <tr>
                        <td>{term.name}</td>
                        <td>{long_date(term.starts_on)}</td>
                        <td>{long_date(term.ends_on)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>

        <h2>"Closures"</h2>
        <p class="muted">"INSET days, planned closures and bank holidays inside a term are not school days: registers are not taken."</p>
        <table data-testid="closures">
            <thead><tr><th scope="col">"Date"</th><th scope="col">"Kind"</th><th scope="col">"Note"</th><th scope="col"><span class="visually-hidden">"Remove"</span></th></tr></thead>
            <tbody>
                {closures.into_iter().map(|closure| view! {
                    <tr>
                        <td>{long_date(closure.closed_on)}</td>
                        <td>{closure.kind.replace('_', " ")}</td>
                        <td>{closure.note}</td>
                        <td>
                            <ActionForm action=remove>
                                <input type="hidden" name="school_id" value=school_id.to_string() />
                                <input type="hidden" name="closed_on" value=closure.closed_on.to_string() />
                                <button type="submit" class="quiet">"Remove"</button>
                            </ActionForm>
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <h3>"Add a closure"</h3>
        <ActionForm action=add attr:class="stack">
            <input type="hidden" name="school_id" value=school_id.to_string() />
            <label for="closed_on">"Date"</label>
            <input id="closed_on" name="closed_on" type="date" required />
            <label for="kind">"Kind"</label>
            <select id="kind" name="kind">
                <option value="inset">"INSET day"</option>
                <option value="planned_closure">"Planned closure"</option>
                <option value="bank_holiday">"Bank holiday"</option>
            </select>
            <label for="note">"Note"</label>
            <input id="note" name="note" type="text" maxlength="200" />
            <button type="submit">"Add closure"</button>
        </ActionForm>
    }
}
