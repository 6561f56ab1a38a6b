//! `/calling`: the day's first-day calling list, and the calling deadlines' section of the
//! school settings.

use chrono::{Datelike, NaiveDate, Weekday};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_query_map},
};
use uuid::Uuid;

use super::{
    Attempt, CallContact, CallPupil, CalledPupil, CallingDay, CallingDeadlines, Escalation,
    LogAttempt, METHODS, OUTCOMES, RecordReason, SaveCallingDeadlines, load_calling_day,
    load_calling_deadlines, method_label, outcome_label, reason_codes,
};
use crate::{
    auth::Viewer,
    components::{
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
    domain::{codes::Code, roles::Permission},
    school::pages::long_date,
};

fn day_link(school_id: Uuid, date: NaiveDate) -> String {
    format!("/calling?school={school_id}&date={date}")
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

fn tel(number: &str) -> String {
    let digits: String = number
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    format!("tel:{digits}")
}

fn safeguarding_label(status: &str) -> &'static str {
    match status {
        "child_protection_plan" => "Child protection plan",
        "child_in_need" => "Child in need",
        _ => "Safeguarding",
    }
}

fn escalation_label(escalation: Escalation) -> Option<&'static str> {
    match escalation {
        Escalation::None => None,
        Escalation::DslAlert => Some("DSL to be alerted"),
        Escalation::HomeVisit => Some("Home visit proposed"),
    }
}

/// What this person may do on the page.
#[derive(Clone, Copy)]
struct Can {
    school_id: Uuid,
    date: NaiveDate,
    pupils: bool,
    registers: bool,
}

#[component]
pub fn CallingPage() -> impl IntoView {
    view! {
        <Title text="First-day calling" />
        <SignedIn page=|viewer| view! { <Calling viewer /> } />
    }
}

#[component]
fn Calling(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let query = use_query_map();
    let date = Memo::new(move |_| {
        query
            .read()
            .get("date")
            .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
    });
    let log = ServerAction::<LogAttempt>::new();
    let reason = ServerAction::<RecordReason>::new();
    let day = Resource::new(
        move || {
            (
                school.get().map(|s| s.id),
                date.get(),
                log.version().get(),
                reason.version().get(),
            )
        },
        |(id, date, ..)| async move {
            match id {
                Some(id) => load_calling_day(id, date).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let error_of = |result: Option<Result<(), ServerFnError>>| {
        result.and_then(|r| r.err()).map(|e| error_message(&e))
    };
    view! {
        <div class="calling">
            <section class="panel">
                <div class="page-head">
                    <h1>"First-day calling"</h1>
                    <SchoolPicker viewer=viewer.clone() school />
                </div>
                <Show when=move || error_of(log.value().get()).is_some()>
                    <p class="error" role="alert">{move || error_of(log.value().get())}</p>
                </Show>
                <Show when=move || error_of(reason.value().get()).is_some()>
                    <p class="error" role="alert" data-testid="reason-error">{move || error_of(reason.value().get())}</p>
                </Show>
                <Transition fallback=|| view! { <p class="muted">"Loading the list…"</p> }>
                    {
                        let viewer = viewer.clone();
                        move || {
                            let viewer = viewer.clone();
                            Suspend::new(async move {
                                match day.await {
                                    Ok(Some(day)) => {
                                        let can = Can {
                                            school_id: day.school_id,
                                            date: day.date,
                                            pupils: viewer.can(Permission::ViewPupils, day.school_id),
                                            registers: viewer.can(Permission::TakeRegisters, day.school_id),
                                        };
                                        view! { <Day day can log reason /> }.into_any()
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
        </div>
    }
}

#[component]
fn Day(
    day: CallingDay,
    can: Can,
    log: ServerAction<LogAttempt>,
    reason: ServerAction<RecordReason>,
) -> impl IntoView {
    let navigate = use_navigate();
    let school_id = day.school_id;
    let date = day.date;
    let counts = day.counts;
    let opens = day.list_opens_at.format("%H:%M").to_string();
    let deadlines = day.deadlines;
    let head = view! {
        <form class="reg-day-picker" on:submit=|event| event.prevent_default()>
            <A href=day_link(school_id, next_weekday(date, false)) attr:class="button quiet">"Previous day"</A>
            <label for="calling-date">"Date"</label>
            <input
                id="calling-date"
                type="date"
                value=date.to_string()
                on:change=move |event| {
                    if let Ok(chosen) = NaiveDate::parse_from_str(&event_target_value(&event), "%Y-%m-%d") {
                        navigate(&day_link(school_id, chosen), Default::default());
                    }
                }
            />
            <A href=day_link(school_id, next_weekday(date, true)) attr:class="button quiet">"Next day"</A>
        </form>
        <h2>{long_date(date)}</h2>
    };
    if let Some(why) = day.not_a_school_day.clone() {
        return view! { {head} <p class="reg-closed-day" role="status">{why}</p> }.into_any();
    }
    if !day.open {
        return view! {
            {head}
            <p role="status" data-testid="calling-not-open">
                {format!("The list opens at {opens}, when the morning register closes. Pupils with no mark or N then are listed here to call.")}
            </p>
        }
        .into_any();
    }
    let CallingDay {
        pupils,
        done,
        escalations,
        ..
    } = day;
    let empty = pupils.is_empty();
    view! {
        {head}
        <p class="muted">
            {format!(
                "From {opens}, when the morning register closed: every pupil with no mark or N. Not reached {} minutes after: the DSL is alerted; {} minutes after: a home visit is proposed.",
                deadlines.dsl_alert_minutes, deadlines.home_visit_minutes
            )}
        </p>
        <dl class="la-counts" data-testid="calling-counts">
            <div><dt>"To call"</dt><dd data-testid="count-to-call">{counts.to_call}</dd></div>
            <div><dt>"Not reached"</dt><dd data-testid="count-not-reached">{counts.not_reached}</dd></div>
            <div><dt>"Reached"</dt><dd data-testid="count-reached">{counts.reached}</dd></div>
            <div><dt>"Done"</dt><dd data-testid="count-done">{counts.done}</dd></div>
        </dl>
        <Escalations escalations can />
        <h2>"To call"</h2>
        {empty.then(|| view! { <p class="notice" role="status">"Nobody is left to call: every pupil has a mark."</p> })}
        <ul class="calling-list" data-testid="calling-list">
            <For
                each=move || pupils.clone()
                key=|pupil| (pupil.pupil_id, pupil.attempts.len(), pupil.am_mark_id)
                let:pupil
            >
                <PupilCard pupil can log reason />
            </For>
        </ul>
        <Done done can />
    }
    .into_any()
}

#[component]
fn Escalations(escalations: Vec<CallPupil>, can: Can) -> impl IntoView {
    if escalations.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="panel calling-escalations" aria-labelledby="not-reached-heading" data-testid="escalations">
            <h2 id="not-reached-heading">{format!("Not reached: {}", escalations.len())}</h2>
            <p class="muted">"No contact made by the school's deadlines. The designated safeguarding lead decides what happens next."</p>
            <ul>
                {escalations.into_iter().map(|p| {
                    let flag = escalation_label(p.escalation).unwrap_or_default();
                    view! {
                        <li>
                            {p.safeguarding.as_deref().map(|s| view! { <span class="badge calling-safeguarding">{safeguarding_label(s)}</span> " " })}
                            <strong>{pupil_name(&can, p.pupil_id, p.pupil_name.clone())}</strong>
                            {format!(" ({}) · {} · {}", p.form, flag, plural_attempts(p.attempts.len()))}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

fn plural_attempts(n: usize) -> String {
    match n {
        0 => "no attempt yet".to_string(),
        1 => "1 attempt".to_string(),
        n => format!("{n} attempts"),
    }
}

fn pupil_name(can: &Can, pupil_id: Uuid, name: String) -> AnyView {
    if can.pupils {
        let href = format!("/pupils/{pupil_id}/attendance?school={}", can.school_id);
        view! { <A href=href>{name}</A> }.into_any()
    } else {
        name.into_any()
    }
}

#[component]
fn PupilCard(
    pupil: CallPupil,
    can: Can,
    log: ServerAction<LogAttempt>,
    reason: ServerAction<RecordReason>,
) -> impl IntoView {
    let mark = pupil
        .am_code
        .clone()
        .map_or("No mark".to_string(), |code| format!("AM mark {code}"));
    let flag = escalation_label(pupil.escalation);
    let register = pupil.form_id.filter(|_| can.registers).map(|form_id| {
        let href = format!(
            "/registers/{form_id}/{}/AM?school={}",
            can.date, can.school_id
        );
        view! { <A href=href attr:class="button quiet">"Open the register"</A> }
    });
    let options = pupil.contacts.clone();
    let reason_options = pupil.contacts.clone();
    let school = can.school_id.to_string();
    let pupil_id = pupil.pupil_id.to_string();
    let date = can.date.to_string();
    let seen_am = pupil
        .am_mark_id
        .map(|id| id.to_string())
        .unwrap_or_default();
    let seen_pm = pupil
        .pm_mark_id
        .map(|id| id.to_string())
        .unwrap_or_default();
    let pm_now = pupil
        .pm_code
        .clone()
        .map_or("no mark yet".to_string(), |code| format!("now {code}"));
    let card_id = pupil_id.clone();
    let reason_form = {
        let (school, pupil_id, date) = (school.clone(), pupil_id.clone(), date.clone());
        can.registers.then(move || view! {
                <details class="calling-form">
                    <summary>"Record the reason the family gave"</summary>
                    <ActionForm action=reason attr:class="stack" attr:data-testid="record-reason">
                        <input type="hidden" name="school_id" value=school.clone() />
                        <input type="hidden" name="pupil_id" value=pupil_id.clone() />
                        <input type="hidden" name="date" value=date.clone() />
                        <input type="hidden" name="seen_am" value=seen_am.clone() />
                        <input type="hidden" name="seen_pm" value=seen_pm.clone() />
                        <label>"Who gave it"
                            <select name="contact_id">
                                {reason_options.into_iter().map(|c| view! {
                                    <option value=c.id.to_string()>{format!("{}. {} ({})", c.priority, c.name, c.relationship)}</option>
                                }).collect_view()}
                                <option value="">"Nobody in particular (a home visit)"</option>
                            </select>
                        </label>
                        <label>"How"
                            <select name="method">
                                {METHODS.iter().map(|(key, label)| view! { <option value=*key>{*label}</option> }).collect_view()}
                            </select>
                        </label>
                        <label>"Code"
                            <select name="code">
                                {reason_codes().map(|code: Code| view! {
                                    <option value=code.as_str()>{format!("{} · {}", code.as_str(), code.meaning())}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <label>"What the family said" <input type="text" name="note" required maxlength="1000" /></label>
                        <label class="checkbox">
                            <input type="checkbox" name="also_pm" value="on" />
                            {format!(" The afternoon too ({pm_now})")}
                        </label>
                        <button type="submit">"Record reason and set the mark"</button>
                    </ActionForm>
                </details>
            })
    };
    view! {
        <li class="panel calling-pupil" data-testid="call-pupil" data-pupil-id=card_id>
            <div class="calling-pupil-head">
                <h3>{pupil_name(&can, pupil.pupil_id, pupil.pupil_name.clone())}</h3>
                <span class="muted">{pupil.form.clone()}</span>
                <span class="reg-code reg-cat-unauthorised" data-testid="call-mark">{mark}</span>
                {pupil.safeguarding.as_deref().map(|s| view! { <span class="badge calling-safeguarding">{safeguarding_label(s)}</span> })}
                {pupil.reached.then(|| view! { <span class="badge calling-reached">"Reached"</span> })}
                {flag.map(|flag| view! { <span class="badge calling-flag" data-testid="call-flag">{flag}</span> })}
                {register}
            </div>
            <h4>"Contacts, in the order to call them"</h4>
            {pupil.contacts.is_empty().then(|| view! { <p class="error">"No contacts on record: tell the office."</p> })}
            <ol class="calling-contacts">
                {pupil.contacts.into_iter().map(|c| view! { <ContactLine contact=c /> }).collect_view()}
            </ol>
            <h4>"Attempts"</h4>
            {pupil.attempts.is_empty().then(|| view! { <p class="muted">"None yet."</p> })}
            <ol class="calling-attempts" data-testid="call-attempts">
                {pupil.attempts.into_iter().map(|a| view! { <AttemptLine attempt=a /> }).collect_view()}
            </ol>
            <details class="calling-form">
                <summary>"Log an attempt"</summary>
                <ActionForm action=log attr:class="stack" attr:data-testid="log-attempt">
                    <input type="hidden" name="school_id" value=school.clone() />
                    <input type="hidden" name="pupil_id" value=pupil_id.clone() />
                    <input type="hidden" name="date" value=date.clone() />
                    <label>"Contact"
                        <select name="contact_id">
                            {options.into_iter().map(|c| view! {
                                <option value=c.id.to_string()>{format!("{}. {} ({})", c.priority, c.name, c.relationship)}</option>
                            }).collect_view()}
                            <option value="">"Nobody in particular (a home visit)"</option>
                        </select>
                    </label>
                    <label>"How"
                        <select name="method">
                            {METHODS.iter().map(|(key, label)| view! { <option value=*key>{*label}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Outcome"
                        <select name="outcome">
                            {OUTCOMES.iter().map(|(key, label)| view! { <option value=*key>{*label}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Note" <input type="text" name="note" maxlength="1000" /></label>
                    <button type="submit">"Log attempt"</button>
                </ActionForm>
            </details>
            {reason_form}
        </li>
    }
}

#[component]
fn ContactLine(contact: CallContact) -> impl IntoView {
    let phones = [
        ("mobile", contact.mobile_phone),
        ("home", contact.home_phone),
        ("work", contact.work_phone),
    ]
    .into_iter()
    .filter(|(_, number)| !number.trim().is_empty())
    .map(|(which, number)| {
        view! {
            <a href=tel(&number) class="calling-phone">{format!("{number} ({which})")}</a>
            " "
        }
    })
    .collect_view();
    let email = (!contact.email.is_empty()).then(|| {
        view! { <a href=format!("mailto:{}", contact.email)>{contact.email.clone()}</a> }
    });
    view! {
        <li data-testid="call-contact">
            <strong>{contact.name}</strong>
            {format!(" · {} · prefers {} · ", contact.relationship, contact.preferred_contact)}
            {phones}
            {email}
        </li>
    }
}

#[component]
fn AttemptLine(attempt: Attempt) -> impl IntoView {
    let when = crate::uk_time::time(attempt.recorded_at);
    let who = attempt.recorded_by.clone().unwrap_or_default();
    let reason = attempt
        .reason_code
        .clone()
        .map(|code| format!(" · recorded {code}"))
        .unwrap_or_default();
    let note = if attempt.note.is_empty() {
        String::new()
    } else {
        format!(": {}", attempt.note)
    };
    let to = if attempt.contact_name.is_empty() {
        String::new()
    } else {
        format!(" to {}", attempt.contact_name)
    };
    view! {
        <li data-testid="call-attempt">
            {format!(
                "{when} UTC · {}{to} · {}{reason}{note} ({who})",
                method_label(&attempt.method),
                outcome_label(&attempt.outcome)
            )}
        </li>
    }
}

#[component]
fn Done(done: Vec<CalledPupil>, can: Can) -> impl IntoView {
    if done.is_empty() {
        return ().into_any();
    }
    view! {
        <h2>"Done today"</h2>
        <ul class="calling-done" data-testid="calling-done">
            {done.into_iter().map(|p| view! {
                <li>
                    {pupil_name(&can, p.pupil_id, p.pupil_name.clone())}
                    {format!(" ({}) · AM mark now {} · {}", p.form, p.am_code, plural_attempts(p.attempts as usize))}
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The calling deadlines' section of the school settings page.
#[component]
pub fn CallingDeadlinesSection(school_id: Uuid) -> impl IntoView {
    let save = ServerAction::<SaveCallingDeadlines>::new();
    let deadlines = Resource::new(
        move || save.version().get(),
        move |_| load_calling_deadlines(school_id),
    );
    let saved = move || save.value().get().is_some_and(|r| r.is_ok());
    let error = move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_message(&e))
    };
    view! {
        <h2 id="calling-deadlines">"First-day calling deadlines"</h2>
        <p class="muted">"Minutes after the morning register closes. A pupil whose family nobody has reached by then is flagged on the calling list."</p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match deadlines.await {
                    Ok(CallingDeadlines { dsl_alert_minutes, home_visit_minutes }) => view! {
                        <ActionForm action=save attr:class="stack" attr:data-testid="calling-deadlines">
                            <input type="hidden" name="school_id" value=school_id.to_string() />
                            <label for="dsl-alert">"Alert the DSL after (5 to 480 minutes)"</label>
                            <input id="dsl-alert" name="dsl_alert_minutes" type="number" min="5" max="480" required
                                value=dsl_alert_minutes.to_string() />
                            <label for="home-visit">"Propose a home visit after (5 to 600 minutes)"</label>
                            <input id="home-visit" name="home_visit_minutes" type="number" min="5" max="600" required
                                value=home_visit_minutes.to_string() />
                            <button type="submit">"Save calling deadlines"</button>
                        </ActionForm>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{error_message(&e)}</p> }.into_any(),
                }
            })}
        </Suspense>
        <Show when=saved>
            <p class="notice" role="status">"Calling deadlines saved."</p>
        </Show>
        <Show when=move || error().is_some()>
            <p class="error" role="alert">{error}</p>
        </Show>
    }
}
