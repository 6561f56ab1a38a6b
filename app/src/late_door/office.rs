//! The office's side of the late door: the day's arrivals at every door, the conflicts with
//! marks the office had already set (to resolve on the register), the sanctions the policy
//! gave (a printable list, for example the day's detentions), and the pupils late often enough
//! in the half term to be a punctuality concern.
//!
//! Who may see it: people who take registers at the school (`TakeRegisters`, as the registers
//! page) and late-door staff (`RecordLateArrivals`), who already pull the day's arrivals on
//! their tablets. Links to a pupil's attendance and to a register are shown only to people who
//! may open them.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_query_map},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    components::{
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
    domain::{
        codes::{Category, Code, Session},
        lateness::LateReason,
        roles::Permission,
    },
    school::pages::long_date,
};

/// Whether this person may see the school's late arrivals: the office (whoever takes
/// registers) and the late door.
pub fn may_see_late_arrivals(viewer: &Viewer, school_id: Uuid) -> bool {
    viewer.can(Permission::TakeRegisters, school_id)
        || viewer.can(Permission::RecordLateArrivals, school_id)
}

/// An arrival at any door, as the office reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OfficeArrival {
    /// The id of the `late_arrival` event.
    pub id: Uuid,
    pub pupil_id: Uuid,
    /// Last name, first name, as the pupil is known.
    pub pupil_name: String,
    /// The pupil's form now; empty when they have none.
    pub form: String,
    pub form_id: Option<Uuid>,
    pub session_date: NaiveDate,
    pub session: Session,
    pub arrived_at: DateTime<Utc>,
    /// The time of arrival on the school's clocks.
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "08:52:00"))]
    pub arrived_time: NaiveTime,
    /// L (late, register open) or U (late after the register closed).
    pub code: String,
    pub minutes_late: i32,
    /// transport, medical, overslept, caring or other.
    pub reason: String,
    pub note: String,
    /// What the policy gave for it when it was logged; empty for none.
    pub sanction: String,
    /// Why the arrival did not change the register: the office had set another code, which
    /// stood.
    pub conflict: Option<String>,
    /// For a conflict: the code the office had set, which stood.
    pub stood_code: Option<String>,
    /// The session's mark on the register now, if it has one.
    pub register_code: Option<String>,
    /// For a conflict: the office has changed the session's mark since the arrival was logged.
    pub resolved: bool,
    /// Who logged it at the door.
    pub recorded_by: Option<String>,
    /// Taken back at the door: it counts for nothing.
    pub undone: bool,
}

impl OfficeArrival {
    /// A conflict the office has still to look at.
    pub fn open_conflict(&self) -> bool {
        self.conflict.is_some() && !self.undone && !self.resolved
    }
}

/// The day's arrivals that count, by code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LateCounts {
    /// L: arrived while the register was open.
    pub late: i64,
    /// U: arrived after the register closed.
    pub late_after_close: i64,
    /// Every arrival not undone.
    pub total: i64,
    /// Arrivals taken back at the door, not counted above.
    pub undone: i64,
}

/// A half term, as the school's calendar has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HalfTerm {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// A pupil late often enough in the half term to be a punctuality concern.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PunctualityConcern {
    pub pupil_id: Uuid,
    /// Last name, first name.
    pub pupil_name: String,
    pub form: String,
    /// Sessions marked L or U in the half term, up to the day asked about.
    pub times_late: i64,
    pub last_late_on: NaiveDate,
}

/// The pupils late at least `concern_after` times in the half term.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PunctualityConcerns {
    /// The half term counted: the one the day is in, or the last one before it in a holiday.
    /// None when the calendar has no term that started by then.
    pub half_term: Option<HalfTerm>,
    /// The school's setting: late this many times in a half term is a concern.
    pub concern_after: i32,
    /// Most lates first.
    pub pupils: Vec<PunctualityConcern>,
}

/// A day's late arrivals at a school, for the office: everything `/late-arrivals` shows and
/// `GET /api/schools/{school_id}/late-arrivals` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LateArrivalsDay {
    pub school_id: Uuid,
    pub school_name: String,
    pub date: NaiveDate,
    /// Why there are no sessions, when the day is not a school day.
    pub not_a_school_day: Option<String>,
    /// The policy now: what an L earns (empty for nothing).
    pub sanction_before_close: String,
    /// The policy now: what a U earns.
    pub sanction_after_close: String,
    pub counts: LateCounts,
    /// Every arrival of the day at every door, undone ones too, in order of arrival.
    pub arrivals: Vec<OfficeArrival>,
    /// Arrivals that met a mark the office had set, not undone; resolved ones too (see
    /// `resolved`).
    pub conflicts: Vec<OfficeArrival>,
    /// Arrivals not undone that earned a sanction, by sanction and pupil.
    pub sanctions: Vec<OfficeArrival>,
    pub concerns: PunctualityConcerns,
}

#[server(prefix = "/api/fn", endpoint = "late-arrivals/day")]
pub async fn load_late_arrivals(
    school_id: Uuid,
    date: Option<NaiveDate>,
) -> Result<LateArrivalsDay, ServerFnError> {
    use crate::auth::server;
    let viewer = server::require_viewer()?;
    // Either permission will do; `require` answers the 403 when neither is held.
    let permission = if viewer.can(Permission::TakeRegisters, school_id) {
        Permission::TakeRegisters
    } else {
        Permission::RecordLateArrivals
    };
    server::require(permission, school_id)?;
    super::queries::late_arrivals_day(&server::pool()?, school_id, date)
        .await
        .map_err(server::internal)?
        .ok_or_else(|| server::not_found("There is no such school."))
}

// ---------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------

fn register_link(school_id: Uuid, form_id: Uuid, date: NaiveDate, session: Session) -> String {
    format!("/registers/{form_id}/{date}/{session}?school={school_id}")
}

fn pupil_link(school_id: Uuid, pupil_id: Uuid) -> String {
    format!("/pupils/{pupil_id}/attendance?school={school_id}")
}

fn day_link(school_id: Uuid, date: NaiveDate) -> String {
    format!("/late-arrivals?school={school_id}&date={date}")
}

/// The weekday before or after `date`, skipping weekends.
fn next_weekday(date: NaiveDate, forward: bool) -> NaiveDate {
    let mut day = date;
    loop {
        day = if forward {
            day.succ_opt().unwrap_or(day)
        } else {
            day.pred_opt().unwrap_or(day)
        };
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            return day;
        }
    }
}

/// A class naming a code's category, for its colour (the code's text is always there too).
fn code_class(code: &str) -> &'static str {
    match Code::parse(code).map(Code::category) {
        Ok(Category::Present) => "reg-code reg-cat-present",
        Ok(Category::ApprovedActivity) => "reg-code reg-cat-aea",
        Ok(Category::Authorised) => "reg-code reg-cat-authorised",
        Ok(Category::Unauthorised) => "reg-code reg-cat-unauthorised",
        Ok(Category::NotPossible) => "reg-code reg-cat-not-possible",
        Ok(Category::Administrative) | Err(_) => "reg-code reg-cat-administrative",
    }
}

fn code_meaning(code: &str) -> &'static str {
    Code::parse(code).map(Code::meaning).unwrap_or("")
}

fn reason_text(reason: &str, note: &str) -> String {
    let label = LateReason::from_key(reason).map_or(reason, |reason| reason.label());
    if note.trim().is_empty() {
        label.to_string()
    } else {
        format!("{label}: {}", note.trim())
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Which links this person may follow.
#[derive(Clone, Copy)]
struct Links {
    school_id: Uuid,
    pupils: bool,
    registers: bool,
    settings: bool,
}

impl Links {
    fn pupil(&self, arrival_pupil: Uuid, name: String) -> AnyView {
        if self.pupils {
            view! { <A href=pupil_link(self.school_id, arrival_pupil)>{name}</A> }.into_any()
        } else {
            name.into_any()
        }
    }
}

#[component]
pub fn LateArrivalsPage() -> impl IntoView {
    view! {
        <Title text="Late arrivals" />
        <SignedIn page=|viewer| view! { <LateArrivals viewer /> } />
    }
}

#[component]
fn LateArrivals(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let query = use_query_map();
    let date = Memo::new(move |_| {
        query
            .read()
            .get("date")
            .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
    });
    let day = Resource::new(
        move || (school.get().map(|s| s.id), date.get()),
        |(id, date)| async move {
            match id {
                Some(id) => load_late_arrivals(id, date).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let links = {
        let viewer = viewer.clone();
        move |school_id: Uuid| Links {
            school_id,
            pupils: viewer.can(Permission::ViewPupils, school_id),
            registers: viewer.can(Permission::TakeRegisters, school_id),
            settings: viewer.can(Permission::ManageSchool, school_id),
        }
    };
    let links_for_lists = links.clone();
    view! {
        <div class="la-office">
            <section class="panel la-head">
                <div class="page-head">
                    <h1>"Late arrivals"</h1>
                    <SchoolPicker viewer=viewer.clone() school />
                </div>
                <Transition fallback=|| view! { <p class="muted">"Loading the day's arrivals…"</p> }>
                    {
                        let links = links.clone();
                        move || {
                            let links = links.clone();
                            Suspend::new(async move {
                                match day.await {
                                    Ok(Some(day)) => {
                                        let links = links(day.school_id);
                                        view! { <DayHead day links /> }.into_any()
                                    }
                                    Ok(None) => view! {
                                        <crate::components::errors::NoSchool />
                                    }.into_any(),
                                    Err(error) => view! {
                                        <p class="error" role="alert">{error_message(&error)}</p>
                                    }.into_any(),
                                }
                            })
                        }
                    }
                </Transition>
            </section>
            <Transition fallback=|| ()>
                {move || {
                    let links = links_for_lists.clone();
                    Suspend::new(async move {
                        match day.await {
                            Ok(Some(day)) => {
                                let links = links(day.school_id);
                                view! { <DayLists day links /> }.into_any()
                            }
                            _ => ().into_any(),
                        }
                    })
                }}
            </Transition>
        </div>
    }
}

/// The date picker, the day and its counts.
#[component]
fn DayHead(day: LateArrivalsDay, links: Links) -> impl IntoView {
    let navigate = use_navigate();
    let school_id = links.school_id;
    let date = day.date;
    let counts = day.counts;
    view! {
        <form class="reg-day-picker la-no-print" on:submit=|event| event.prevent_default()>
            <A href=day_link(school_id, next_weekday(date, false)) attr:class="button quiet">
                "Previous day"
            </A>
            <label for="late-date">"Date"</label>
            <input
                id="late-date"
                type="date"
                value=date.to_string()
                on:change=move |event| {
                    if let Ok(chosen) = NaiveDate::parse_from_str(&event_target_value(&event), "%Y-%m-%d") {
                        navigate(&day_link(school_id, chosen), Default::default());
                    }
                }
            />
            <A href=day_link(school_id, next_weekday(date, true)) attr:class="button quiet">
                "Next day"
            </A>
        </form>
        <h2 class="la-day-title">{long_date(date)}</h2>
        {day.not_a_school_day.clone().map(|why| view! {
            <p class="reg-closed-day" role="status">{why} " There are no sessions to be late for."</p>
        })}
        <dl class="la-counts" data-testid="late-counts">
            <div>
                <dt>"L"</dt>
                <dd data-testid="count-late">{counts.late}</dd>
                <dd class="la-count-label">"late, register open"</dd>
            </div>
            <div>
                <dt>"U"</dt>
                <dd data-testid="count-late-after-close">{counts.late_after_close}</dd>
                <dd class="la-count-label">"after the register closed"</dd>
            </div>
            <div>
                <dt>"Total"</dt>
                <dd data-testid="count-total">{counts.total}</dd>
                <dd class="la-count-label">
                    {if counts.undone > 0 {
                        format!("arrivals ({} undone, not counted)", counts.undone)
                    } else {
                        "arrivals".to_string()
                    }}
                </dd>
            </div>
        </dl>
    }
}

/// Conflicts, the arrivals, the sanctions and the punctuality concerns.
#[component]
fn DayLists(day: LateArrivalsDay, links: Links) -> impl IntoView {
    let LateArrivalsDay {
        school_name,
        date,
        sanction_before_close,
        sanction_after_close,
        arrivals,
        conflicts,
        sanctions,
        concerns,
        ..
    } = day;
    view! {
        <Conflicts conflicts links />
        <Arrivals arrivals links />
        <Sanctions
            school_name
            date
            sanctions
            sanction_before_close
            sanction_after_close
            links
        />
        <Concerns concerns links />
    }
}

#[component]
fn Conflicts(conflicts: Vec<OfficeArrival>, links: Links) -> impl IntoView {
    let (open, resolved): (Vec<_>, Vec<_>) = conflicts.into_iter().partition(|a| !a.resolved);
    if open.is_empty() && resolved.is_empty() {
        return ().into_any();
    }
    let all_resolved = open.is_empty();
    let heading = if open.is_empty() {
        "No conflicts left to resolve".to_string()
    } else {
        format!("Conflicts to resolve: {}", open.len())
    };
    view! {
        <section class="panel la-conflicts" class:la-all-resolved=all_resolved aria-labelledby="conflicts-heading" data-testid="conflicts">
            <h2 id="conflicts-heading">{heading}</h2>
            <p class="muted">
                "The late door never replaces a mark the office set. These pupils were logged late in a session that already had another code, and that code stood. Open the register to decide which is right."
            </p>
            <ul class="la-conflict-list">
                {open.into_iter().map(|a| view! { <ConflictItem arrival=a links /> }).collect_view()}
            </ul>
            {(!resolved.is_empty()).then(|| view! {
                <h3>"Resolved since"</h3>
                <ul class="la-conflict-list la-resolved">
                    {resolved.into_iter().map(|a| view! { <ConflictItem arrival=a links /> }).collect_view()}
                </ul>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn ConflictItem(arrival: OfficeArrival, links: Links) -> impl IntoView {
    let stood = arrival.stood_code.clone().unwrap_or_default();
    let what_stood = format!(
        "{} was on the register and stood: the door did not write {}.",
        code_meaning(&stood),
        arrival.code
    );
    let register = arrival.form_id.filter(|_| links.registers).map(|form_id| {
        let label = format!(
            "Open the {} {} register",
            arrival.form,
            arrival.session.label().to_lowercase()
        );
        view! {
            <A href=register_link(links.school_id, form_id, arrival.session_date, arrival.session)
                attr:class="button quiet la-register-link">
                {label}
            </A>
        }
    });
    let resolved_note = arrival.resolved.then(|| {
        let now = arrival
            .register_code
            .clone()
            .unwrap_or_else(|| "no mark".to_string());
        format!("Changed by the office since: the register now has {now}.")
    });
    let stood_class = code_class(&stood);
    view! {
        <li class="la-conflict" data-testid="conflict">
            <p class="la-conflict-who">
                <strong>{links.pupil(arrival.pupil_id, arrival.pupil_name.clone())}</strong>
                " (" {arrival.form.clone()} "), " {arrival.session.label().to_lowercase()} " session: arrived at "
                {arrival.arrived_time.format("%H:%M").to_string()} ", " {arrival.minutes_late} " minutes late, "
                {arrival.code.clone()} " by the policy."
            </p>
            <p class="la-conflict-what">
                <span class=stood_class>{stood}</span> " " {what_stood}
                {resolved_note.map(|note| view! { " " <span class="notice">{note}</span> })}
            </p>
            {register}
        </li>
    }
}

#[component]
fn Arrivals(arrivals: Vec<OfficeArrival>, links: Links) -> impl IntoView {
    view! {
        <section class="panel la-arrivals" aria-labelledby="arrivals-heading">
            <h2 id="arrivals-heading">"Arrivals at every door"</h2>
            {if arrivals.is_empty() {
                view! { <p class="muted" data-testid="no-arrivals">"No late arrivals were logged on this day."</p> }.into_any()
            } else {
                view! {
                    <div class="reg-table-scroll">
                        <table class="la-table" data-testid="arrivals">
                            <thead><tr>
                                <th scope="col">"Arrived"</th>
                                <th scope="col">"Pupil"</th>
                                <th scope="col">"Form"</th>
                                <th scope="col">"Session"</th>
                                <th scope="col">"Mark"</th>
                                <th scope="col">"Reason"</th>
                                <th scope="col">"Sanction"</th>
                                <th scope="col">"Logged by"</th>
                            </tr></thead>
                            <tbody>
                                {arrivals.into_iter().map(|a| view! { <ArrivalRow arrival=a links /> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn ArrivalRow(arrival: OfficeArrival, links: Links) -> impl IntoView {
    let status = if arrival.undone {
        Some(("la-status la-status-undone", "Undone".to_string()))
    } else if arrival.conflict.is_some() {
        let stood = arrival.stood_code.clone().unwrap_or_default();
        let now = arrival.register_code.clone().unwrap_or_default();
        Some((
            "la-status la-status-conflict",
            if arrival.resolved {
                format!("Conflict: {stood} stood; resolved, now {now}")
            } else {
                format!("Conflict: {stood} stood")
            },
        ))
    } else {
        match &arrival.register_code {
            Some(now) if *now != arrival.code => {
                Some(("la-status", format!("Register changed since: now {now}")))
            }
            None => Some(("la-status", "Register now unmarked".to_string())),
            _ => None,
        }
    };
    let mark = format!("{} ({} min)", arrival.code, arrival.minutes_late);
    view! {
        <tr class:la-undone=arrival.undone data-testid="arrival">
            <td class="la-time">{arrival.arrived_time.format("%H:%M").to_string()}</td>
            <td class="la-pupil">{links.pupil(arrival.pupil_id, arrival.pupil_name.clone())}</td>
            <td>{arrival.form.clone()}</td>
            <td>{arrival.session.label()}</td>
            <td class="la-mark">
                <span class=code_class(&arrival.code)>{mark}</span>
                {status.map(|(class, text)| view! { <span class=class>{text}</span> })}
            </td>
            <td>{reason_text(&arrival.reason, &arrival.note)}</td>
            <td>{if arrival.sanction.is_empty() { "None".to_string() } else { arrival.sanction.clone() }}</td>
            <td>{arrival.recorded_by.clone().unwrap_or_default()}</td>
        </tr>
    }
}

#[component]
fn Sanctions(
    school_name: String,
    date: NaiveDate,
    sanctions: Vec<OfficeArrival>,
    sanction_before_close: String,
    sanction_after_close: String,
    links: Links,
) -> impl IntoView {
    // One list per sanction, in the order the server gave (by sanction, then pupil).
    let mut groups: Vec<(String, Vec<OfficeArrival>)> = Vec::new();
    for arrival in sanctions {
        match groups.last_mut() {
            Some((name, list)) if *name == arrival.sanction => list.push(arrival),
            _ => groups.push((arrival.sanction.clone(), vec![arrival])),
        }
    }
    let policy = |sanction: &str| {
        if sanction.is_empty() {
            "nothing".to_string()
        } else {
            sanction.to_string()
        }
    };
    let policy_line = format!(
        "The school's policy: an L earns {}; a U earns {}.",
        policy(&sanction_before_close),
        policy(&sanction_after_close)
    );
    let print = move |_| {
        let _ = window().print();
    };
    view! {
        <section class="panel la-sanctions" aria-labelledby="sanctions-heading" data-testid="sanctions">
            <div class="page-head">
                <h2 id="sanctions-heading">"Sanctions"</h2>
                <button type="button" class="quiet la-no-print" on:click=print>"Print the sanctions list"</button>
            </div>
            <p class="la-print-title">{school_name} ", " {long_date(date)}</p>
            <p class="muted la-no-print">
                {policy_line}
                {links.settings.then(|| view! {
                    " " <A href=format!("/admin/school?school={}", links.school_id)>"Change the late policy"</A>
                })}
            </p>
            {if groups.is_empty() {
                view! { <p class="muted" data-testid="no-sanctions">"No sanctions on this day."</p> }.into_any()
            } else {
                groups.into_iter().map(|(sanction, list)| {
                    let count = list.len();
                    view! {
                        <h3 class="la-sanction-title">{sanction.clone()} " " <span class="muted">{format!("({})", plural(count, "pupil", "pupils"))}</span></h3>
                        <table class="la-table la-sanction-table" data-testid="sanction-list" data-sanction=sanction.clone()>
                            <thead><tr>
                                <th scope="col">"Pupil"</th>
                                <th scope="col">"Form"</th>
                                <th scope="col">"Arrived"</th>
                                <th scope="col">"Minutes late"</th>
                                <th scope="col" class="la-check-col">"Done"</th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|a| {
                                    let check = a.open_conflict().then(|| {
                                        let stood = a.stood_code.clone().unwrap_or_default();
                                        format!("Check first: the register has {stood}")
                                    });
                                    view! {
                                        <tr data-testid="sanctioned">
                                            <td>
                                                {links.pupil(a.pupil_id, a.pupil_name.clone())}
                                                {check.map(|text| view! { <span class="la-status la-status-conflict">{text}</span> })}
                                            </td>
                                            <td>{a.form.clone()}</td>
                                            <td>{format!("{} ({})", a.arrived_time.format("%H:%M"), a.code)}</td>
                                            <td>{a.minutes_late}</td>
                                            <td class="la-check-col"><span class="la-tick-box" aria-hidden="true"></span></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }
                }).collect_view().into_any()
            }}
        </section>
    }
}

#[component]
fn Concerns(concerns: PunctualityConcerns, links: Links) -> impl IntoView {
    let PunctualityConcerns {
        half_term,
        concern_after,
        pupils,
    } = concerns;
    let explain = match &half_term {
        Some(term) => format!(
            "Pupils late (L or U on the register) {concern_after} times or more in {}, which started on {}. Undone arrivals do not count. The case workflow takes these up as punctuality concerns.",
            term.name,
            term.starts_on.format("%-d %B %Y")
        ),
        None => "The calendar has no half term up to this day, so nothing is counted.".to_string(),
    };
    view! {
        <section class="panel la-concerns" aria-labelledby="concerns-heading" data-testid="concerns">
            <h2 id="concerns-heading">
                {format!("Punctuality concerns: {}", plural(pupils.len(), "pupil", "pupils"))}
            </h2>
            <p class="muted">{explain}</p>
            {(!pupils.is_empty()).then(|| view! {
                <div class="reg-table-scroll">
                    <table class="la-table">
                        <thead><tr>
                            <th scope="col">"Pupil"</th>
                            <th scope="col">"Form"</th>
                            <th scope="col" class="la-num">"Times late"</th>
                            <th scope="col">"Last late"</th>
                        </tr></thead>
                        <tbody>
                            {pupils.into_iter().map(|p| view! {
                                <tr data-testid="concern">
                                    <td>{links.pupil(p.pupil_id, p.pupil_name.clone())}</td>
                                    <td>{p.form.clone()}</td>
                                    <td class="la-num">{p.times_late}</td>
                                    <td>{p.last_late_on.format("%a %-d %b").to_string()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_with_their_note() {
        assert_eq!(reason_text("transport", ""), "Transport");
        assert_eq!(
            reason_text("other", " dentist ran over "),
            "Other: dentist ran over"
        );
    }

    #[test]
    fn the_day_before_monday_is_friday() {
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(
            next_weekday(monday, false),
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
        );
        assert_eq!(
            next_weekday(monday, true),
            NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
        );
    }
}
