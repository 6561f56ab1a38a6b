//! The day's overview for the office, on `/today`: registers taken and missing, who is present
//! and absent now, absences by reason, late arrivals, first-day calling, and the fire register
//! (`/fire-register`: who is on site, printable, and kept on the device so it can be read and
//! printed during an evacuation with no network).

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::{SchoolRef, Viewer},
    calling::CallingCounts,
    components::{
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
    school::pages::{long_date, school_link},
};

/// One form's registers today.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormRegisters {
    pub form: String,
    pub tutor: String,
    pub am_taken: bool,
    pub pm_taken: bool,
}

/// A pupil on site now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnSite {
    pub pupil_id: Uuid,
    /// Last name, first name.
    pub name: String,
    pub form: String,
    /// The session's mark (or the morning's, in the afternoon before a PM mark); empty when
    /// the late door recorded an arrival the register has not caught up with.
    pub code: String,
    /// When the pupil arrived late, on the school's clock.
    pub arrived_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodayOverview {
    pub school_id: Uuid,
    pub date: NaiveDate,
    /// The school's clock when the overview was made, HH:MM.
    pub time: String,
    /// Why there are no registers today, when it is not a school day.
    pub not_a_school_day: Option<String>,
    /// The session "now" is: AM until the afternoon register opens, then PM.
    pub session: String,
    /// The forms with pupils on roll today, by year and name.
    pub registers: Vec<FormRegisters>,
    pub on_roll: i64,
    /// Pupils whose mark for the session now is present (L included)...
    pub present_now: i64,
    /// ...an absence (authorised or not, U included)...
    pub absent_now: i64,
    /// ...approved activity off site or not a possible session (a trip, dual registration)...
    pub elsewhere_now: i64,
    /// ...or no mark yet.
    pub unmarked_now: i64,
    /// Today's absent sessions by code: code, meaning, sessions.
    pub absences_by_code: Vec<(String, String, i64)>,
    /// Sessions marked L and U today.
    pub late_before_close: i64,
    pub late_after_close: i64,
    /// Arrivals the late door recorded today, not undone.
    pub late_arrivals: i64,
    /// First-day calling, for people who call (otherwise `None`).
    pub calling: Option<CallingCounts>,
    /// Everyone on site, by form and name.
    pub fire_register: Vec<OnSite>,
}

impl TodayOverview {
    /// Registers taken and missing for a session.
    pub fn registers_taken(&self, session: &str) -> (usize, usize) {
        let taken = self
            .registers
            .iter()
            .filter(|r| {
                if session == "AM" {
                    r.am_taken
                } else {
                    r.pm_taken
                }
            })
            .count();
        (taken, self.registers.len() - taken)
    }
}

#[server(prefix = "/api/fn", endpoint = "reports/today")]
pub async fn load_today(school_id: Uuid) -> Result<TodayOverview, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    let viewer = server::require(Permission::ViewReports, school_id)?;
    super::queries::today(&server::pool()?, &viewer, school_id)
        .await
        .map_err(server::internal)?
        .ok_or_else(|| server::not_found("There is no such school."))
}

/// The overview under the day's facts on `/today`.
#[component]
pub fn TodayOverviewPanel(school: Memo<Option<SchoolRef>>) -> impl IntoView {
    let overview = Resource::new(
        move || school.get().map(|s| s.id),
        |id| async move {
            match id {
                Some(id) => load_today(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Counting the day…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(Some(today)) => view! { <Overview today /> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(error) => {
                        view! { <p class="error" role="alert">{error_message(&error)}</p> }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn Overview(today: TodayOverview) -> impl IntoView {
    if let Some(why) = today.not_a_school_day.clone() {
        return view! {
            <p class="muted" data-testid="no-registers-today">
                "No registers today: " {why} "."
            </p>
        }
        .into_any();
    }
    let (am_taken, am_missing) = today.registers_taken("AM");
    let (pm_taken, pm_missing) = today.registers_taken("PM");
    let missing: Vec<FormRegisters> = today
        .registers
        .iter()
        .filter(|r| {
            if today.session == "AM" {
                !r.am_taken
            } else {
                !r.pm_taken
            }
        })
        .cloned()
        .collect();
    let session_name = if today.session == "AM" {
        "morning"
    } else {
        "afternoon"
    };
    let fire_href = school_link("/fire-register", Some(today.school_id));
    let calling = today.calling.map(|counts| {
        view! {
            <section class="today-card" data-testid="today-calling">
                <h3>"First-day calling"</h3>
                <dl class="facts">
                    <dt>"To call"</dt>
                    <dd data-cell="to-call">{counts.to_call}</dd>
                    <dt>"Tried, not reached"</dt>
                    <dd data-cell="not-reached">{counts.not_reached}</dd>
                    <dt>"Reached, reason to record"</dt>
                    <dd data-cell="reached">{counts.reached}</dd>
                    <dt>"Done"</dt>
                    <dd data-cell="done">{counts.done}</dd>
                </dl>
                <p>
                    <A href=school_link("/calling", Some(today.school_id))>"Open the calling list"</A>
                </p>
            </section>
        }
    });
    view! {
        <div class="today-grid" data-testid="today-overview">
            <section class="today-card" data-testid="today-registers">
                <h3>"Registers"</h3>
                <dl class="facts">
                    <dt>"Morning"</dt>
                    <dd data-cell="am">{am_taken} " taken, " {am_missing} " missing"</dd>
                    <dt>"Afternoon"</dt>
                    <dd data-cell="pm">{pm_taken} " taken, " {pm_missing} " missing"</dd>
                </dl>
                {(!missing.is_empty())
                    .then(|| {
                        view! {
                            <p class="muted">"Still to take this " {session_name} ":"</p>
                            <ul class="missing-registers" data-testid="missing-registers">
                                {missing
                                    .into_iter()
                                    .map(|r| {
                                        let tutor = if r.tutor.is_empty() {
                                            String::new()
                                        } else {
                                            format!(" ({})", r.tutor)
                                        };
                                        view! { <li>{r.form} {tutor}</li> }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })}
            </section>
            <section class="today-card" data-testid="today-now">
                <h3>"Now (" {session_name} ", " {today.time.clone()} ")"</h3>
                <dl class="facts">
                    <dt>"Present"</dt>
                    <dd data-cell="present">{today.present_now}</dd>
                    <dt>"Absent"</dt>
                    <dd data-cell="absent">{today.absent_now}</dd>
                    <dt>"Off site on approved activity, or not expected"</dt>
                    <dd data-cell="elsewhere">{today.elsewhere_now}</dd>
                    <dt>"No mark yet"</dt>
                    <dd data-cell="unmarked">{today.unmarked_now}</dd>
                    <dt>"On roll"</dt>
                    <dd>{today.on_roll}</dd>
                </dl>
            </section>
            <section class="today-card" data-testid="today-absences">
                <h3>"Absences by reason"</h3>
                {if today.absences_by_code.is_empty() {
                    view! { <p class="muted">"No absences recorded today."</p> }.into_any()
                } else {
                    view! {
                        <table class="figures compact">
                            <caption>"Absent sessions today, both sessions"</caption>
                            <thead>
                                <tr>
                                    <th scope="col">"Code"</th>
                                    <th scope="col">"Reason"</th>
                                    <th scope="col" class="num">"Sessions"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {today
                                    .absences_by_code
                                    .iter()
                                    .map(|(code, meaning, sessions)| {
                                        view! {
                                            <tr data-code=code.clone()>
                                                <th scope="row">{code.clone()}</th>
                                                <td>{meaning.clone()}</td>
                                                <td class="num">{*sessions}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                        .into_any()
                }}
            </section>
            <section class="today-card" data-testid="today-late">
                <h3>"Late"</h3>
                <dl class="facts">
                    <dt>"Late before the register closed (L)"</dt>
                    <dd data-cell="late-l">{today.late_before_close}</dd>
                    <dt>"Late after it closed (U)"</dt>
                    <dd data-cell="late-u">{today.late_after_close}</dd>
                    <dt>"Arrivals at the late door"</dt>
                    <dd data-cell="arrivals">{today.late_arrivals}</dd>
                </dl>
                <p>
                    <A href=school_link("/late-arrivals", Some(today.school_id))>"Late arrivals"</A>
                </p>
            </section>
            {calling}
            <section class="today-card" data-testid="today-fire">
                <h3>"Fire register"</h3>
                <p>
                    <strong data-cell="on-site">{today.fire_register.len()}</strong>
                    " pupils on site now."
                </p>
                <p>
                    <A href=fire_href>"Open the fire register"</A>
                </p>
            </section>
        </div>
    }
    .into_any()
}

// ---------------------------------------------------------------------------------------------
// The fire register
// ---------------------------------------------------------------------------------------------

/// What the device keeps of the last fire register it showed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedFireRegister {
    pub school_name: String,
    pub date: NaiveDate,
    pub time: String,
    pub pupils: Vec<OnSite>,
}

#[cfg(feature = "hydrate")]
fn fire_key(school_id: Uuid) -> String {
    format!("rollcall.fire-register.{school_id}")
}

#[component]
pub fn FireRegisterPage() -> impl IntoView {
    view! {
        <Title text="Fire register" />
        <SignedIn page=|viewer| view! { <FireRegister viewer /> } />
    }
}

#[component]
fn FireRegister(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let overview = Resource::new(
        move || school.get().map(|s| s.id),
        |id| async move {
            match id {
                Some(id) => load_today(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <section class="panel fire-register-page">
            <div class="page-head no-print">
                <h1>"Fire register"</h1>
                <SchoolPicker viewer=viewer.clone() school />
            </div>
            <Suspense fallback=|| view! { <p class="muted">"Loading who is on site…"</p> }>
                {move || Suspend::new(async move {
                    let name = school.get_untracked().map(|s| s.name).unwrap_or_default();
                    match overview.await {
                        Ok(Some(today)) => {
                            let saved = SavedFireRegister {
                                school_name: name,
                                date: today.date,
                                time: today.time,
                                pupils: today.fire_register,
                            };
                            remember(today.school_id, &saved);
                            view! { <FireList saved offline=false /> }.into_any()
                        }
                        Ok(None) => view! { <crate::components::errors::NoSchool /> }.into_any(),
                        Err(error) => {
                            let cached = school
                                .get_untracked()
                                .and_then(|s| recall(s.id));
                            match cached {
                                Some(saved) => view! { <FireList saved offline=true /> }.into_any(),
                                None => {
                                    view! {
                                        <p class="error" role="alert">{error_message(&error)}</p>
                                    }
                                        .into_any()
                                }
                            }
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Keeps the register on the device, so it can still be read with no network.
fn remember(_school_id: Uuid, _saved: &SavedFireRegister) {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::{LocalStorage, Storage};
        let _ = LocalStorage::set(fire_key(_school_id), _saved);
    }
}

fn recall(_school_id: Uuid) -> Option<SavedFireRegister> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::{LocalStorage, Storage};
        LocalStorage::get(fire_key(_school_id)).ok()
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

#[component]
fn FireList(saved: SavedFireRegister, offline: bool) -> impl IntoView {
    let count = saved.pupils.len();
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    };
    view! {
        {offline
            .then(|| {
                view! {
                    <p class="warning no-print" role="status" data-testid="fire-offline">
                        "No network: this is the register this device saved at "
                        {saved.time.clone()} "."
                    </p>
                }
            })}
        <div class="fire-register" data-testid="fire-register">
            <h2>{saved.school_name.clone()}</h2>
            <p>
                "On site at " {saved.time.clone()} " on " {long_date(saved.date)} ": "
                <strong data-testid="fire-count">{count}</strong> " pupils"
            </p>
            <button type="button" class="no-print" on:click=print>"Print"</button>
            <table class="figures fire-table">
                <caption>"Pupils on site, by form"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Form"</th>
                        <th scope="col">"Pupil"</th>
                        <th scope="col">"Mark"</th>
                        <th scope="col">"Arrived late"</th>
                        <th scope="col" class="tick-col">"Accounted for"</th>
                    </tr>
                </thead>
                <tbody>
                    {saved
                        .pupils
                        .into_iter()
                        .map(|pupil| {
                            view! {
                                <tr>
                                    <td>{pupil.form}</td>
                                    <th scope="row">{pupil.name}</th>
                                    <td>{pupil.code}</td>
                                    <td>{pupil.arrived_at.unwrap_or_default()}</td>
                                    <td class="tick-col">"☐"</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
