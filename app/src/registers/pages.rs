//! The register pages: the day's registers for the office, and taking one form's register.
//!
//! Taking a register keeps what the person entered on the page until they save it in one call;
//! every entry carries the mark the person saw, so the server can refuse a save made on an old
//! copy instead of overwriting someone else's change.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use leptos::{prelude::*, wasm_bindgen::JsCast, web_sys};
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_params_map, use_query_map},
};
use uuid::Uuid;

use super::{
    AmendMark, DayRegisters, LoadMarkHistory, MarkChange, OverdueN, RecordUnexpectedClosure,
    Register, RegisterEntry, RegisterLine, RegisterStatus, SaveRegister, Saved, SessionMark,
    load_day_registers, load_overdue_n, load_register,
};
use crate::{
    auth::Viewer,
    components::{
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
    domain::{
        codes::{Category, Code, Session},
        roles::Permission,
    },
    school::pages::long_date,
};

/// The address of a form's register for a session.
fn register_link(school_id: Uuid, form_id: Uuid, date: NaiveDate, session: Session) -> String {
    format!("/registers/{form_id}/{date}/{session}?school={school_id}")
}

/// The address of a pupil's attendance.
fn pupil_link(school_id: Uuid, pupil_id: Uuid) -> String {
    format!("/pupils/{pupil_id}/attendance?school={school_id}")
}

/// The address of the day's registers.
fn day_link(school_id: Uuid, date: NaiveDate) -> String {
    format!("/registers?school={school_id}&date={date}")
}

/// An instant as people in the school read it. Schools in England keep UK time.
fn local_time(at: DateTime<Utc>, date: NaiveDate) -> String {
    let local = crate::uk_time::local(at);
    if local.date_naive() == date {
        local.format("%H:%M").to_string()
    } else {
        local.format("%H:%M on %-d %b %Y").to_string()
    }
}

fn short_date(date: NaiveDate) -> String {
    date.format("%a %-d %b %Y").to_string()
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

/// Where a mark came from, in words.
fn source_label(source: &str) -> &str {
    match source {
        "register" => "register",
        "late_door" => "late door",
        "import" => "import",
        "calling" => "first-day calling",
        "demo" => "demo data",
        other => other,
    }
}

/// A class naming a code's category, for its colour.
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

/// A code with its minutes late, as written on the register: `L (12 min)`.
fn code_with_minutes(code: &str, minutes_late: Option<i32>) -> String {
    match minutes_late {
        Some(minutes) => format!("{code} ({minutes} min)"),
        None => code.to_string(),
    }
}

/// The failed call's message, if it failed.
fn failed<T>(result: Option<Result<T, ServerFnError>>) -> Option<String> {
    result
        .and_then(|r| r.err())
        .map(|error| error_message(&error))
}

/// Whether the server refused because someone else changed the marks first (its 409). Server
/// function errors carry only the message, so this reads the message the server writes for a
/// conflict.
fn is_conflict(message: &str) -> bool {
    message.starts_with("Someone else")
}

// ---------------------------------------------------------------------------------------------
// The day's registers
// ---------------------------------------------------------------------------------------------

#[component]
pub fn RegistersPage() -> impl IntoView {
    view! {
        <Title text="Registers" />
        <SignedIn page=|viewer| view! { <Registers viewer /> } />
    }
}

#[component]
fn Registers(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let query = use_query_map();
    let date = Memo::new(move |_| {
        query
            .read()
            .get("date")
            .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
    });
    let closure = ServerAction::<RecordUnexpectedClosure>::new();
    let day = Resource::new(
        move || {
            (
                school.get().map(|s| s.id),
                date.get(),
                closure.version().get(),
            )
        },
        |(id, date, _)| async move {
            match id {
                Some(id) => load_day_registers(id, date)
                    .await
                    .map(|day| Some((id, day))),
                None => Ok(None),
            }
        },
    );
    let overdue = Resource::new(
        move || (school.get().map(|s| s.id), closure.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_overdue_n(id).await.map(|list| Some((id, list))),
                None => Ok(None),
            }
        },
    );
    let can_close = {
        let viewer = viewer.clone();
        move || {
            school
                .get()
                .is_some_and(|s| viewer.can(Permission::ManageSchool, s.id))
        }
    };
    view! {
        <section class="panel">
            <div class="page-head">
                <h1>"Registers"</h1>
                <SchoolPicker viewer=viewer.clone() school />
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading the day's registers…"</p> }>
                {move || Suspend::new(async move {
                    match day.await {
                        Ok(Some((school_id, day))) => view! { <Day school_id day /> }.into_any(),
                        Ok(None) => view! {
                            <crate::components::errors::NoSchool />
                        }.into_any(),
                        Err(error) => view! {
                            <p class="error" role="alert">{error_message(&error)}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <section class="panel" aria-labelledby="overdue-heading">
            <Transition fallback=|| view! { <p class="muted">"Loading N marks…"</p> }>
                {move || Suspend::new(async move {
                    match overdue.await {
                        Ok(Some((school_id, list))) => view! { <OverdueList school_id list /> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(error) => view! {
                            <h2 id="overdue-heading">"N marks overdue"</h2>
                            <p class="error" role="alert">{error_message(&error)}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <Show when=can_close>
            <section class="panel" aria-labelledby="closure-heading">
                <ClosureForm school=Signal::derive(move || school.get().map(|s| s.id)) date closure />
            </section>
        </Show>
    }
}

#[component]
fn Day(school_id: Uuid, day: DayRegisters) -> impl IntoView {
    let navigate = use_navigate();
    let date = day.date;
    let not_taken: Vec<RegisterStatus> = day
        .registers
        .iter()
        .filter(|r| still_to_take(r))
        .cloned()
        .collect();
    let sessions = [
        (Session::Am, day.am_opens, day.am_closes),
        (Session::Pm, day.pm_opens, day.pm_closes),
    ];
    view! {
        <form class="reg-day-picker" on:submit=|event| event.prevent_default()>
            <A href=day_link(school_id, next_weekday(date, false)) attr:class="button quiet">
                "Previous day"
            </A>
            <label for="register-date">"Date"</label>
            <input
                id="register-date"
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
        <h2 class="reg-day-title">{long_date(date)}</h2>
        {match day.not_a_school_day.clone() {
            Some(why) => view! {
                <p class="reg-closed-day" role="status">{why} " No registers are taken."</p>
            }.into_any(),
            None => view! {
                <NotTaken school_id date not_taken />
                <div class="reg-sessions">
                    {sessions.into_iter().map(|(session, opens, closes)| {
                        let registers: Vec<RegisterStatus> = day.registers.iter()
                            .filter(|r| r.session == session).cloned().collect();
                        view! { <SessionTable school_id date session opens closes registers /> }
                    }).collect_view()}
                </div>
            }.into_any(),
        }}
    }
}

/// One session's registers of the day, form by form.
#[component]
fn SessionTable(
    school_id: Uuid,
    date: NaiveDate,
    session: Session,
    opens: NaiveTime,
    closes: NaiveTime,
    registers: Vec<RegisterStatus>,
) -> impl IntoView {
    view! {
        <section class="reg-session">
            <h3 class="reg-session-title">
                {session.label()}
                <span class="muted">
                    {format!(" · opens {}, closes {}", opens.format("%H:%M"), closes.format("%H:%M"))}
                </span>
            </h3>
            <div class="reg-table-scroll">
                <table class="reg-day-registers" data-testid=format!("registers-{session}")>
                    <thead><tr>
                        <th scope="col">"Form"</th>
                        <th scope="col">"Marked"</th>
                        <th scope="col">"Taken"</th>
                    </tr></thead>
                    <tbody>
                        {registers.into_iter().map(|r| {
                            let complete = r.pupils > 0 && r.marked >= r.pupils;
                            let taken = match (&r.taken_at, &r.taken_by) {
                                (Some(at), by) => format!(
                                    "{} by {}",
                                    local_time(*at, date),
                                    by.as_deref().unwrap_or("an import")
                                ),
                                (None, _) if complete => "Every pupil has a mark".to_string(),
                                (None, _) => "Not taken".to_string(),
                            };
                            let label = format!("{} {}", r.form, session.label().to_lowercase());
                            view! {
                                <tr class:reg-not-taken=still_to_take(&r)>
                                    <th scope="row">
                                        <A href=register_link(school_id, r.form_id, date, session)>{label}</A>
                                    </th>
                                    <td class:reg-incomplete=!complete>{format!("{} of {}", r.marked, r.pupils)}</td>
                                    <td>{taken}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// Whether a register still has to be taken: nobody has saved it and some pupil has no mark
/// (a closure or the late door can mark every pupil without anyone taking the register).
fn still_to_take(register: &RegisterStatus) -> bool {
    register.taken_at.is_none() && register.marked < register.pupils
}

/// The registers of the day still not taken, as links to take them.
#[component]
fn NotTaken(school_id: Uuid, date: NaiveDate, not_taken: Vec<RegisterStatus>) -> impl IntoView {
    if not_taken.is_empty() {
        return view! {
            <p class="notice" data-testid="not-taken">"Every register of the day has been taken."</p>
        }
        .into_any();
    }
    let count = not_taken.len();
    view! {
        <div class="reg-not-taken-box" data-testid="not-taken">
            <h3>{format!("Not taken yet: {count} register{}", if count == 1 { "" } else { "s" })}</h3>
            {Session::BOTH.into_iter().map(|session| {
                let forms: Vec<RegisterStatus> = not_taken.iter()
                    .filter(|r| r.session == session).cloned().collect();
                (!forms.is_empty()).then(|| view! {
                    <p class="reg-not-taken-line">
                        <span class="reg-not-taken-session">{session.label()}</span>
                        {forms.into_iter().map(|r| {
                            let label = format!("{} {}", r.form, session.label().to_lowercase());
                            view! {
                                <A href=register_link(school_id, r.form_id, date, session)
                                    attr:class="reg-chip"
                                    attr:aria-label=label>
                                    {r.form}
                                </A>
                            }
                        }).collect_view()}
                    </p>
                })
            }).collect_view()}
        </div>
    }
    .into_any()
}

#[component]
fn OverdueList(school_id: Uuid, list: Vec<OverdueN>) -> impl IntoView {
    let count = list.len();
    view! {
        <h2 id="overdue-heading" data-testid="overdue-heading">
            {format!("{count} N mark{} overdue", if count == 1 { "" } else { "s" })}
        </h2>
        <p class="muted">
            "N means the reason for an absence is not yet known. The school has five school days to find it and change the mark."
        </p>
        {if list.is_empty() {
            view! { <p class="notice">"No N mark is older than five school days."</p> }.into_any()
        } else {
            view! {
                <div class="reg-table-scroll">
                <table class="reg-overdue" data-testid="overdue">
                    <thead><tr>
                        <th scope="col">"Pupil"</th>
                        <th scope="col">"Form"</th>
                        <th scope="col">"Date"</th>
                        <th scope="col">"Session"</th>
                        <th scope="col">"School days old"</th>
                    </tr></thead>
                    <tbody>
                        {list.into_iter().map(|n| view! {
                            <tr>
                                <td><A href=pupil_link(school_id, n.pupil_id)>{n.name.clone()}</A></td>
                                <td>{n.form.clone()}</td>
                                <td>{short_date(n.session_date)}</td>
                                <td>{n.session.label()}</td>
                                <td>{n.school_days_old}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                </div>
            }.into_any()
        }}
    }
}

/// Marking every pupil Y4 for a day the school closed unexpectedly.
#[component]
fn ClosureForm(
    school: Signal<Option<Uuid>>,
    date: Memo<Option<NaiveDate>>,
    closure: ServerAction<RecordUnexpectedClosure>,
) -> impl IntoView {
    let day = RwSignal::new(
        date.get_untracked()
            .map(|d| d.to_string())
            .unwrap_or_default(),
    );
    let morning = RwSignal::new(true);
    let afternoon = RwSignal::new(true);
    let reason = RwSignal::new(String::new());
    // Empty for the whole school (Y4), or a year group's id (Y3).
    let year = RwSignal::new(String::new());
    let years = Resource::new(
        move || school.get(),
        |school| async move {
            match school {
                Some(id) => super::load_year_groups(id).await.unwrap_or_default(),
                None => Vec::new(),
            }
        },
    );
    let year_group = move || Uuid::parse_str(&year.get_untracked()).ok();
    let year_name = move || {
        let id = Uuid::parse_str(&year.get()).ok()?;
        years
            .get()
            .and_then(|years| years.into_iter().find(|y| y.id == id))
            .map(|y| y.name)
    };
    let confirming = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let check = move || -> Result<(NaiveDate, Vec<Session>, String), String> {
        let date = NaiveDate::parse_from_str(&day.get_untracked(), "%Y-%m-%d")
            .map_err(|_| "Choose the date the school closed.".to_string())?;
        let sessions: Vec<Session> = [(Session::Am, morning), (Session::Pm, afternoon)]
            .into_iter()
            .filter(|(_, on)| on.get_untracked())
            .map(|(session, _)| session)
            .collect();
        if sessions.is_empty() {
            return Err("Choose the morning, the afternoon or both.".to_string());
        }
        let reason = reason.get_untracked().trim().to_string();
        if reason.is_empty() {
            return Err("Say why the school closed: it is kept with every mark.".to_string());
        }
        Ok((date, sessions, reason))
    };
    let result = move || closure.value().get();
    Effect::new(move |_| {
        if closure.value().get().is_some_and(|r| r.is_ok()) {
            confirming.set(false);
            reason.set(String::new());
        }
    });
    view! {
        <h2 id="closure-heading">"Unexpected closure"</h2>
        <p class="muted">
            "When the school closes without notice (snow, a burst pipe, no power), mark every pupil on roll Y4 (the site closed), or one year group Y3 (part of the premises closed), in one go. Marks already entered for those sessions are replaced and the originals kept."
        </p>
        <form class="stack" novalidate on:submit=move |event| {
            event.prevent_default();
            match check() {
                Err(message) => problem.set(Some(message)),
                Ok(_) => {
                    problem.set(None);
                    confirming.set(true);
                }
            }
        }>
            <label for="closure-date">"Date of the closure"</label>
            <input id="closure-date" type="date" required bind:value=day
                on:input=move |_| confirming.set(false) />
            <fieldset class="roles">
                <legend>"Sessions"</legend>
                <label class="check">
                    <input type="checkbox" bind:checked=morning on:change=move |_| confirming.set(false) />
                    "Morning"
                </label>
                <label class="check">
                    <input type="checkbox" bind:checked=afternoon on:change=move |_| confirming.set(false) />
                    "Afternoon"
                </label>
            </fieldset>
            <label for="closure-year">"Who is closed"</label>
            <select id="closure-year" bind:value=year on:change=move |_| confirming.set(false)>
                <option value="">"The whole school site (Y4)"</option>
                <Suspense fallback=|| ()>
                    {move || years.get().map(|years| years.into_iter().map(|y| view! {
                        <option value=y.id.to_string()>{format!("{} only: part of the premises (Y3)", y.name)}</option>
                    }).collect_view())}
                </Suspense>
            </select>
            <label for="closure-reason">"Reason (kept with every mark)"</label>
            <input id="closure-reason" type="text" required maxlength="300" bind:value=reason
                on:input=move |_| confirming.set(false) />
            <Show when=move || !confirming.get()>
                <button type="submit">"Record closure…"</button>
            </Show>
        </form>
        <Show when=move || confirming.get()>
            <div class="reg-confirm" data-testid="closure-confirm">
                <p>
                    {move || {
                        let sessions = match (morning.get(), afternoon.get()) {
                            (true, true) => "morning and afternoon",
                            (true, false) => "morning",
                            _ => "afternoon",
                        };
                        let date = NaiveDate::parse_from_str(&day.get(), "%Y-%m-%d")
                            .map(long_date).unwrap_or_default();
                        match year_name() {
                            Some(name) => format!("Mark every pupil of {name} on roll Y3 for the {sessions} of {date}?"),
                            None => format!("Mark every pupil on roll Y4 for the {sessions} of {date}?"),
                        }
                    }}
                </p>
                <button type="button" disabled=move || closure.pending().get() on:click=move |_| {
                    let Some(school_id) = school.get_untracked() else { return };
                    match check() {
                        Err(message) => problem.set(Some(message)),
                        Ok((date, sessions, reason)) => {
                            closure.dispatch(RecordUnexpectedClosure {
                                school_id,
                                date,
                                sessions,
                                year_group_id: year_group(),
                                reason,
                            });
                        }
                    }
                }>"Yes, record the closure"</button>
                <button type="button" class="quiet" on:click=move |_| confirming.set(false)>"Cancel"</button>
            </div>
        </Show>
        <Show when=move || problem.get().is_some()>
            <p class="error" role="alert">{move || problem.get()}</p>
        </Show>
        <Show when=move || failed(result()).is_some()>
            <p class="error" role="alert">{move || failed(result())}</p>
        </Show>
        {move || match result() {
            Some(Ok(saved)) => Some(view! {
                <p class="notice" role="status">
                    {format!(
                        "Closure recorded: {} marks written ({} new, {} replaced), {} already marked so.",
                        saved.created + saved.amended, saved.created, saved.amended, saved.unchanged
                    )}
                </p>
            }),
            _ => None,
        }}
    }
}

// ---------------------------------------------------------------------------------------------
// Taking a register
// ---------------------------------------------------------------------------------------------

/// What a person entered for one pupil, not yet saved.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    code: Code,
    /// As typed, for L and U.
    minutes: String,
}

/// The codes with a button of their own on every line: the ones a register mostly needs.
fn quick_codes(session: Session) -> [(Code, &'static str); 6] {
    [
        (Code::present(session), "Present"),
        (Code::Late, "Late"),
        (Code::NoReasonYet, "No reason yet"),
        (Code::Illness, "Illness"),
        (Code::Medical, "Medical"),
        (Code::LateAfterClose, "Late after close"),
    ]
}

/// The code a key stands for on a register line: `/` or `\` for present, and the letter of any
/// one-letter code a person may enter.
fn code_for_key(key: &str, session: Session) -> Option<Code> {
    if key == "/" || key == "\\" {
        return Some(Code::present(session));
    }
    if key.chars().count() != 1 {
        return None;
    }
    let code = Code::parse(key).ok()?;
    Code::for_registers().any(|c| c == code).then_some(code)
}

/// Reads the minutes late as typed: a whole number from 1 to 300.
fn read_minutes(text: &str) -> Option<i32> {
    text.trim()
        .parse::<i32>()
        .ok()
        .filter(|m| (1..=300).contains(m))
}

/// The entry as it would be saved: its code and minutes, when it is complete.
fn entry_mark(entry: &Entry) -> (String, Option<i32>) {
    let minutes = if entry.code.is_late() {
        read_minutes(&entry.minutes)
    } else {
        None
    };
    (entry.code.as_str().to_string(), minutes)
}

/// Whether an entry would change the mark already saved.
fn changes_saved(entry: &Entry, mark: &Option<SessionMark>) -> bool {
    match mark {
        Some(mark) => {
            let (code, minutes) = entry_mark(entry);
            mark.code != code || mark.minutes_late != minutes
        }
        None => false,
    }
}

/// Moves the keyboard focus to the control in `row`, `col` of the register, if there is one.
fn focus_cell(row: usize, col: usize) -> bool {
    let selector = format!("[data-row=\"{row}\"][data-col=\"{col}\"]");
    match document().query_selector(&selector) {
        Ok(Some(element)) => match element.dyn_into::<web_sys::HtmlElement>() {
            Ok(element) => element.focus().is_ok(),
            Err(_) => false,
        },
        _ => false,
    }
}

/// Moves the focus to a line's minutes late once it has been drawn.
fn focus_minutes_soon(row: usize) {
    request_animation_frame(move || {
        let _ = focus_cell(row, MINUTES_COL);
    });
}

/// Columns of a line's controls: the six quick codes, the full list, the minutes late.
const SELECT_COL: usize = 6;
const MINUTES_COL: usize = 7;

#[component]
pub fn RegisterPage() -> impl IntoView {
    view! {
        <Title text="Register" />
        <SignedIn page=|viewer| view! { <TakeRegister viewer /> } />
    }
}

/// Everything the lines of a register share: the person's entries and what is open.
#[derive(Clone, Copy)]
struct Sheet {
    school_id: Uuid,
    date: NaiveDate,
    session: Session,
    entries: RwSignal<HashMap<Uuid, Entry>>,
    open_history: RwSignal<HashSet<Uuid>>,
    amend: ServerAction<AmendMark>,
    amended_pupil: RwSignal<Option<Uuid>>,
    reload: RwSignal<u32>,
}

impl Sheet {
    fn entry(&self, pupil_id: Uuid) -> Option<Entry> {
        self.entries.with(|entries| entries.get(&pupil_id).cloned())
    }

    /// Sets a pupil's code, keeping minutes already typed (or the saved ones).
    fn set_code(&self, pupil_id: Uuid, code: Code, saved: &Option<SessionMark>) {
        self.entries.update(|entries| {
            let minutes = entries
                .get(&pupil_id)
                .map(|e| e.minutes.clone())
                .filter(|m| !m.is_empty())
                .or_else(|| {
                    saved
                        .as_ref()
                        .and_then(|m| m.minutes_late)
                        .map(|m| m.to_string())
                })
                .unwrap_or_default();
            entries.insert(pupil_id, Entry { code, minutes });
        });
    }

    fn clear(&self, pupil_id: Uuid) {
        self.entries.update(|entries| {
            entries.remove(&pupil_id);
        });
    }
}

#[component]
fn TakeRegister(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let params = use_params_map();
    let key = Memo::new(move |_| {
        let params = params.read();
        (
            params.get("form").and_then(|f| Uuid::parse_str(&f).ok()),
            params
                .get("date")
                .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
            params.get("session").and_then(|s| Session::parse(&s).ok()),
        )
    });
    let reload = RwSignal::new(0u32);
    let register = Resource::new(
        move || (school.get().map(|s| s.id), key.get(), reload.get()),
        |(school_id, (form, date, session), _)| async move {
            match (school_id, form, date, session) {
                (Some(school_id), Some(form), Some(date), Some(session)) => {
                    load_register(school_id, form, date, session).await
                }
                _ => Err(ServerFnError::new(
                    "There is no such register: the address needs a form, a date (YYYY-MM-DD) and AM or PM.",
                )),
            }
        },
    );
    let entries = RwSignal::new(HashMap::<Uuid, Entry>::new());
    let open_history = RwSignal::new(HashSet::<Uuid>::new());
    let reason = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let save = ServerAction::<SaveRegister>::new();
    let amend = ServerAction::<AmendMark>::new();
    let amended_pupil = RwSignal::new(None::<Uuid>);

    // A saved register is read again, so the marks show as saved, and the entries are done.
    Effect::new(move |_| {
        if save.value().get().is_some_and(|r| r.is_ok()) {
            entries.set(HashMap::new());
            reason.set(String::new());
            reload.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if amend.value().get().is_some_and(|r| r.is_ok()) {
            save.value().set(None);
            reload.update(|n| *n += 1);
        }
    });
    // Another register starts with nothing entered.
    Effect::new(move |previous: Option<_>| {
        let now = key.get();
        if previous.is_some_and(|p| p != now) {
            entries.set(HashMap::new());
            open_history.set(HashSet::new());
            save.value().set(None);
        }
        now
    });

    let back = move || {
        let school_id = school.get().map(|s| s.id)?;
        let date = key.get().1?;
        Some(day_link(school_id, date))
    };
    view! {
        <section class="panel reg-register-panel">
            <p class="reg-back">
                {move || back().map(|href| view! { <A href=href>"All registers of the day"</A> })}
            </p>
            <Transition fallback=|| view! { <h1>"Register"</h1><p class="muted">"Loading the register…"</p> }>
                {move || Suspend::new(async move {
                    match register.await {
                        Ok(register) => {
                            let sheet = Sheet {
                                school_id: register.school_id,
                                date: register.date,
                                session: register.session,
                                entries,
                                open_history,
                                amend,
                                amended_pupil,
                                reload,
                            };
                            view! { <RegisterSheet register sheet reason problem save /> }.into_any()
                        }
                        Err(error) => view! {
                            <h1>"Register"</h1>
                            <p class="error" role="alert">{error_message(&error)}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn RegisterSheet(
    register: Register,
    sheet: Sheet,
    reason: RwSignal<String>,
    problem: RwSignal<Option<String>>,
    save: ServerAction<SaveRegister>,
) -> impl IntoView {
    let Register {
        school_id,
        form_id,
        form,
        date,
        session,
        opens,
        closes,
        is_open,
        taken_at,
        taken_by,
        lines,
    } = register;
    let entries = sheet.entries;
    let lines = StoredValue::new(lines);

    let needs_reason = Memo::new(move |_| {
        entries.with(|entries| {
            lines.with_value(|lines| {
                lines.iter().any(|line| {
                    entries
                        .get(&line.pupil_id)
                        .is_some_and(|e| changes_saved(e, &line.mark))
                })
            })
        })
    });
    let counts = Memo::new(move |_| {
        entries.with(|entries| {
            lines.with_value(|lines| {
                let entered = lines
                    .iter()
                    .filter(|l| entries.contains_key(&l.pupil_id))
                    .count();
                let changing = lines
                    .iter()
                    .filter(|l| {
                        entries
                            .get(&l.pupil_id)
                            .is_some_and(|e| changes_saved(e, &l.mark))
                    })
                    .count();
                let unmarked = lines
                    .iter()
                    .filter(|l| l.mark.is_none() && !entries.contains_key(&l.pupil_id))
                    .count();
                (entered, changing, unmarked, lines.len())
            })
        })
    });

    let all_present = move |_| {
        let present = Code::present(session);
        entries.update(|entries| {
            lines.with_value(|lines| {
                for line in lines.iter().filter(|l| l.mark.is_none()) {
                    entries.entry(line.pupil_id).or_insert(Entry {
                        code: present,
                        minutes: String::new(),
                    });
                }
            })
        });
    };

    let on_save = move |_| {
        let current = entries.get_untracked();
        let mut list = Vec::new();
        let mut wrong = Vec::new();
        let mut changing = false;
        lines.with_value(|lines| {
            for line in lines {
                let Some(entry) = current.get(&line.pupil_id) else {
                    continue;
                };
                let (code, minutes_late) = entry_mark(entry);
                if entry.code.is_late() && minutes_late.is_none() {
                    wrong.push(format!(
                        "{}: give the minutes late (1 to 300) for {}",
                        line.name, entry.code
                    ));
                }
                changing |= changes_saved(entry, &line.mark);
                list.push(RegisterEntry {
                    pupil_id: line.pupil_id,
                    code,
                    minutes_late,
                    seen_mark_id: line.mark.as_ref().map(|m| m.mark_id),
                });
            }
        });
        let reason_text = reason.get_untracked().trim().to_string();
        if list.is_empty() {
            wrong.push("enter a mark for at least one pupil".to_string());
        }
        if changing && reason_text.is_empty() {
            wrong.push("give a reason for changing marks already saved".to_string());
        }
        if !wrong.is_empty() {
            problem.set(Some(format!("Not saved yet: {}.", wrong.join("; "))));
            return;
        }
        problem.set(None);
        save.dispatch(SaveRegister {
            school_id,
            form_id,
            date,
            session,
            entries: list,
            reason: changing.then_some(reason_text),
        });
    };

    let reload_register = move |_| {
        entries.set(HashMap::new());
        problem.set(None);
        save.value().set(None);
        sheet.reload.update(|n| *n += 1);
    };

    let save_result = move || save.value().get();
    let save_error = move || failed(save_result());
    let taken = match taken_at {
        Some(at) => format!(
            "Taken at {} by {}",
            local_time(at, date),
            taken_by.as_deref().unwrap_or("an import")
        ),
        None => "Not taken yet".to_string(),
    };

    view! {
        <header class="reg-register-head">
            <h1>{format!("{form} · {} register", session.label())}</h1>
            <p class="reg-register-date">{long_date(date)}</p>
            <p class="reg-register-times" data-testid="register-times">
                {format!("Register opens {}, closes {}", opens.format("%H:%M"), closes.format("%H:%M"))}
                <span class=if is_open { "reg-badge reg-open" } else { "reg-badge reg-closed" }>
                    {if is_open { "Open now" } else { "Not open now" }}
                </span>
            </p>
            <p class="reg-register-taken" data-testid="register-taken">{taken}</p>
        </header>

        <div class="reg-register-tools">
            <button type="button" on:click=all_present>"All present"</button>
            <p class="muted">
                {format!("Fills every unmarked pupil with {}. Then change the few who are not.", Code::present(session))}
            </p>
        </div>
        <p class="muted reg-keys-hint">
            "Keyboard: on a pupil's line type a code (/ present, L, N, I, M, U or any one-letter code); arrow keys move between lines; Backspace clears what you entered."
        </p>

        <div class="reg-table-scroll">
        <table class="reg-register" data-testid="register">
            <thead><tr>
                <th scope="col">"Pupil"</th>
                <th scope="col">"Saved mark"</th>
                <th scope="col">"Mark"</th>
                <th scope="col"><span class="visually-hidden">"History"</span></th>
            </tr></thead>
            {lines.get_value().into_iter().enumerate().map(|(row, line)| {
                view! { <Line row line sheet /> }
            }).collect_view()}
        </table>
        </div>

        <details class="reg-legend">
            <summary>"Codes and what they mean"</summary>
            <CodeLegend />
        </details>

        <div class="reg-save-bar" data-testid="save-bar">
            <p class="reg-save-counts">
                {move || {
                    let (entered, changing, unmarked, total) = counts.get();
                    let mut text = format!("{entered} of {total} entered");
                    if changing > 0 {
                        text.push_str(&format!(", {changing} changing a saved mark"));
                    }
                    text.push_str(&format!(", {unmarked} unmarked"));
                    text
                }}
            </p>
            <Show when=move || needs_reason.get()>
                <div class="reg-reason-field">
                    <label for="save-reason">"Reason for changing saved marks (required)"</label>
                    <input id="save-reason" type="text" required maxlength="300" bind:value=reason />
                </div>
            </Show>
            <Show when=move || problem.get().is_some()>
                <p class="error" role="alert">{move || problem.get()}</p>
            </Show>
            {move || save_error().map(|message| {
                let conflict = is_conflict(&message);
                view! {
                    <div class="reg-save-problem">
                        <p class="error" role="alert">{message}</p>
                        {conflict.then(|| view! {
                            <button type="button" class="quiet" on:click=reload_register>"Reload register"</button>
                        })}
                    </div>
                }
            })}
            {move || match save_result() {
                Some(Ok(Saved { created, amended, unchanged })) => Some(view! {
                    <p class="notice" role="status" data-testid="saved">
                        {format!("Saved: {created} new, {amended} changed, {unchanged} unchanged.")}
                    </p>
                }),
                _ => None,
            }}
            <button type="button" class="reg-save" disabled=move || save.pending().get() on:click=on_save>
                {move || if save.pending().get() { "Saving…" } else { "Save register" }}
            </button>
        </div>
    }
}

/// One pupil's line: the saved mark, the controls to enter one, and the mark's history.
#[component]
fn Line(row: usize, line: RegisterLine, sheet: Sheet) -> impl IntoView {
    let RegisterLine {
        pupil_id,
        name,
        mark,
    } = line;
    let session = sheet.session;
    let entry = Memo::new(move |_| sheet.entry(pupil_id));
    let saved = StoredValue::new(mark.clone());
    let changing = Memo::new(move |_| {
        entry
            .get()
            .is_some_and(|e| saved.with_value(|m| changes_saved(&e, m)))
    });
    let is_late = move || entry.get().is_some_and(|e| e.code.is_late());
    let history_open = Memo::new(move |_| sheet.open_history.with(|open| open.contains(&pupil_id)));

    let on_key = move |event: web_sys::KeyboardEvent| {
        if event.ctrl_key() || event.meta_key() || event.alt_key() {
            return;
        }
        let Some(target) = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
        else {
            return;
        };
        let Some(col) = target
            .get_attribute("data-col")
            .and_then(|c| c.parse::<usize>().ok())
        else {
            return;
        };
        let key = event.key();
        // The minutes late take typing and arrows of their own.
        if col == MINUTES_COL {
            return;
        }
        match key.as_str() {
            "ArrowDown" => {
                if focus_cell(row + 1, col) {
                    event.prevent_default();
                }
            }
            "ArrowUp" => {
                if row > 0 && focus_cell(row - 1, col) {
                    event.prevent_default();
                }
            }
            "ArrowRight" if col < SELECT_COL => {
                if focus_cell(row, col + 1) {
                    event.prevent_default();
                }
            }
            "ArrowLeft" if col > 0 => {
                if focus_cell(row, col - 1) {
                    event.prevent_default();
                }
            }
            "Backspace" | "Delete" => {
                event.prevent_default();
                sheet.clear(pupil_id);
            }
            _ => {
                if let Some(code) = code_for_key(&key, session) {
                    event.prevent_default();
                    saved.with_value(|m| sheet.set_code(pupil_id, code, m));
                    if code.is_late() {
                        focus_minutes_soon(row);
                    }
                }
            }
        }
    };

    let saved_view = match &mark {
        Some(m) => {
            let by = m
                .recorded_by
                .clone()
                .unwrap_or_else(|| "an import".to_string());
            let when = local_time(m.recorded_at, sheet.date);
            view! {
                <span class=code_class(&m.code) title=Code::parse(&m.code).map(Code::meaning).unwrap_or("")>
                    {code_with_minutes(&m.code, m.minutes_late)}
                </span>
                <span class="reg-mark-meta">
                    {format!("{by} · {} · {when}", source_label(&m.source))}
                    {m.amended.then_some(" · amended")}
                </span>
            }
            .into_any()
        }
        None => view! { <span class="muted">"Unmarked"</span> }.into_any(),
    };
    let select_id = format!("code-{pupil_id}");
    let minutes_id = format!("minutes-{pupil_id}");
    let history_id = format!("history-{pupil_id}");
    let has_mark = mark.is_some();
    let group_label = format!("Mark for {name}");
    let select_label = format!("Code for {name}");
    let history_label = format!(" of {name}'s mark");

    view! {
        <tbody class="reg-line" on:keydown=on_key>
            <tr
                data-testid="register-line"
                data-pupil=pupil_id.to_string()
                class:reg-entered=move || entry.get().is_some()
                class:reg-changing=move || changing.get()
            >
                <th scope="row" class="reg-pupil">
                    <A href=pupil_link(sheet.school_id, pupil_id)>{name}</A>
                </th>
                <td class="reg-saved" data-testid="saved-mark">{saved_view}</td>
                <td class="reg-mark">
                    <div class="reg-controls">
                    <div class="reg-quick" role="group" aria-label=group_label>
                        {quick_codes(session).into_iter().enumerate().map(|(col, (code, label))| {
                            let pressed = move || entry.get().is_some_and(|e| e.code == code);
                            view! {
                                <button
                                    type="button"
                                    class=code_class(code.as_str())
                                    class:reg-quick-code=true
                                    data-row=row
                                    data-col=col
                                    title=code.meaning()
                                    aria-pressed=move || if pressed() { "true" } else { "false" }
                                    on:click=move |_| {
                                        if pressed() {
                                            sheet.clear(pupil_id);
                                        } else {
                                            saved.with_value(|m| sheet.set_code(pupil_id, code, m));
                                            if code.is_late() {
                                                focus_minutes_soon(row);
                                            }
                                        }
                                    }
                                >
                                    {code.as_str()}
                                    <span class="visually-hidden">{format!(" {label}")}</span>
                                </button>
                            }
                        }).collect_view()}
                    </div>
                    <div class="reg-more">
                        <label class="visually-hidden" for=select_id.clone()>{select_label}</label>
                        <select
                            id=select_id
                            class="reg-code-select"
                            data-row=row
                            data-col=SELECT_COL
                            prop:value=move || entry.get().map(|e| e.code.as_str().to_string()).unwrap_or_default()
                            on:change=move |event| {
                                match Code::parse(&event_target_value(&event)) {
                                    Ok(code) => {
                                        saved.with_value(|m| sheet.set_code(pupil_id, code, m));
                                        if code.is_late() {
                                            focus_minutes_soon(row);
                                        }
                                    }
                                    Err(_) => sheet.clear(pupil_id),
                                }
                            }
                        >
                            <option value="">"Any code…"</option>
                            {Code::for_registers().map(|code| view! {
                                <option value=code.as_str()>{format!("{} — {}", code, code.meaning())}</option>
                            }).collect_view()}
                        </select>
                        <Show when=is_late>
                            <span class="reg-minutes">
                                <label class="visually-hidden" for=minutes_id.clone()>"Minutes late"</label>
                                <input
                                    id=minutes_id.clone()
                                    type="number"
                                    inputmode="numeric"
                                    min="1"
                                    max="300"
                                    required
                                    data-row=row
                                    data-col=MINUTES_COL
                                    prop:value=move || entry.get().map(|e| e.minutes).unwrap_or_default()
                                    on:input=move |event| {
                                        let text = event_target_value(&event);
                                        sheet.entries.update(|entries| {
                                            if let Some(entry) = entries.get_mut(&pupil_id) {
                                                entry.minutes = text;
                                            }
                                        });
                                    }
                                />
                                <span aria-hidden="true">"min late"</span>
                                </span>
                        </Show>
                    </div>
                    </div>
                </td>
                <td class="reg-history-cell">
                    {has_mark.then(|| view! {
                        <button
                            type="button"
                            class="quiet reg-history-toggle"
                            aria-expanded=move || if history_open.get() { "true" } else { "false" }
                            aria-controls=history_id.clone()
                            on:click=move |_| {
                                sheet.open_history.update(|open| {
                                    if !open.remove(&pupil_id) {
                                        open.insert(pupil_id);
                                    }
                                });
                            }
                        >
                            "History"
                            <span class="visually-hidden">{history_label}</span>
                        </button>
                    })}
                </td>
            </tr>
            {mark.map(|mark| view! {
                <Show when=move || history_open.get()>
                    <tr class="reg-history-row" id=history_id.clone()>
                        <td colspan="4">
                            <History pupil_id mark=mark.clone() sheet />
                        </td>
                    </tr>
                </Show>
            })}
        </tbody>
    }
}

/// A saved mark's history, and changing it with a reason.
#[component]
fn History(pupil_id: Uuid, mark: SessionMark, sheet: Sheet) -> impl IntoView {
    let history = ServerAction::<LoadMarkHistory>::new();
    history.dispatch(LoadMarkHistory {
        school_id: sheet.school_id,
        pupil_id,
        date: sheet.date,
        session: sheet.session,
    });
    let code = RwSignal::new(mark.code.clone());
    let minutes = RwSignal::new(mark.minutes_late.map(|m| m.to_string()).unwrap_or_default());
    let reason = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let amend = sheet.amend;
    let mark_id = mark.mark_id;
    let is_late = move || Code::parse(&code.get()).is_ok_and(Code::is_late);
    let mine = move || sheet.amended_pupil.get() == Some(pupil_id);
    let amend_result = move || if mine() { amend.value().get() } else { None };
    let ids = (
        format!("amend-code-{pupil_id}"),
        format!("amend-minutes-{pupil_id}"),
        format!("amend-reason-{pupil_id}"),
    );
    view! {
        <div class="reg-history" data-testid="history">
            <h3 class="visually-hidden">"History of this mark"</h3>
            {move || match history.value().get() {
                None => view! { <p class="muted">"Loading the history…"</p> }.into_any(),
                Some(Err(error)) => view! {
                    <p class="error" role="alert">{error_message(&error)}</p>
                }.into_any(),
                Some(Ok(changes)) => view! { <HistoryList changes date=sheet.date /> }.into_any(),
            }}
            <form class="reg-amend" novalidate on:submit=move |event| {
                event.prevent_default();
                let Ok(parsed) = Code::parse(&code.get_untracked()) else {
                    problem.set(Some("Choose the new code.".to_string()));
                    return;
                };
                let minutes_late = if parsed.is_late() {
                    match read_minutes(&minutes.get_untracked()) {
                        Some(m) => Some(m),
                        None => {
                            problem.set(Some(format!("{parsed} needs the minutes late (1 to 300).")));
                            return;
                        }
                    }
                } else {
                    None
                };
                let reason_text = reason.get_untracked().trim().to_string();
                if reason_text.is_empty() {
                    problem.set(Some("Give a reason for the change: it is kept with the original mark.".to_string()));
                    return;
                }
                problem.set(None);
                sheet.amended_pupil.set(Some(pupil_id));
                amend.dispatch(AmendMark {
                    school_id: sheet.school_id,
                    mark_id,
                    code: parsed.as_str().to_string(),
                    minutes_late,
                    reason: reason_text,
                });
            }>
                <h4>"Change this mark"</h4>
                <div class="reg-amend-fields">
                    <span class="reg-field">
                        <label for=ids.0.clone()>"New code"</label>
                        <select id=ids.0.clone() prop:value=move || code.get()
                            on:change=move |event| code.set(event_target_value(&event))>
                            {Code::for_registers().map(|c| view! {
                                <option value=c.as_str() selected=c.as_str() == mark.code>
                                    {format!("{} — {}", c, c.meaning())}
                                </option>
                            }).collect_view()}
                        </select>
                    </span>
                    <Show when=is_late>
                        <span class="reg-field reg-narrow-field">
                            <label for=ids.1.clone()>"Minutes late"</label>
                            <input id=ids.1.clone() type="number" inputmode="numeric" min="1" max="300"
                                required bind:value=minutes />
                        </span>
                    </Show>
                    <span class="reg-field reg-wide-field">
                        <label for=ids.2.clone()>"Reason for the change (required)"</label>
                        <input id=ids.2.clone() type="text" required maxlength="300" bind:value=reason />
                    </span>
                    <button type="submit" disabled=move || amend.pending().get()>"Amend mark"</button>
                </div>
            </form>
            <Show when=move || problem.get().is_some()>
                <p class="error" role="alert">{move || problem.get()}</p>
            </Show>
            {move || failed(amend_result()).map(|message| {
                let conflict = is_conflict(&message);
                view! {
                    <p class="error" role="alert">{message}</p>
                    {conflict.then(|| view! {
                        <button type="button" class="quiet" on:click=move |_| {
                            sheet.reload.update(|n| *n += 1);
                        }>"Reload register"</button>
                    })}
                }
            })}
            <Show when=move || amend_result().is_some_and(|r| r.is_ok())>
                <p class="notice" role="status">"Mark amended. The original is kept in its history."</p>
            </Show>
        </div>
    }
}

#[component]
fn HistoryList(changes: Vec<MarkChange>, date: NaiveDate) -> impl IntoView {
    view! {
        <ol class="reg-history-list">
            {changes.into_iter().map(|change| {
                let by = change.recorded_by.clone().unwrap_or_else(|| "an import".to_string());
                let when = local_time(change.recorded_at, date);
                let what = match &change.replaced_code {
                    None => format!("Original: {}", code_with_minutes(&change.code, change.minutes_late)),
                    Some(old) => format!(
                        "Changed from {old} to {}",
                        code_with_minutes(&change.code, change.minutes_late)
                    ),
                };
                view! {
                    <li class:reg-current=change.is_current>
                        <span class="reg-history-what">{what}</span>
                        {change.is_current.then(|| view! { <span class="reg-badge reg-open">"current"</span> })}
                        <span class="reg-mark-meta">{format!("{by} · {} · {when}", source_label(&change.source))}</span>
                        {change.reason.clone().map(|reason| view! {
                            <span class="reg-history-reason">"Reason: " {reason}</span>
                        })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// Every code in force with its meaning and how it counts.
#[component]
fn CodeLegend() -> impl IntoView {
    view! {
        <table class="reg-legend-table" data-testid="legend">
            <thead><tr>
                <th scope="col">"Code"</th>
                <th scope="col">"Meaning"</th>
                <th scope="col">"Counts as"</th>
            </tr></thead>
            <tbody>
                {Code::ALL.iter().map(|code| {
                    let by_calendar = !Code::for_registers().any(|c| c == *code);
                    view! {
                        <tr>
                            <td><span class=code_class(code.as_str())>{code.as_str()}</span></td>
                            <td>
                                {code.meaning()}
                                {by_calendar.then_some(" (set by the calendar and the roll, not entered on a register)")}
                            </td>
                            <td>{code.category().label()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
