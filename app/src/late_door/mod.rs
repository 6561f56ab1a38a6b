//! The late door: staff at the entrance log pupils who arrive late, on a tablet that keeps
//! working with no network.
//!
//! The page draws only from the tablet's own storage (the roll, the policy, today's arrivals
//! and the outbox); `tablet` fills that storage and syncs it with the server through the
//! protocol in docs/sync.md. The server renders the frame alone, so the page is the same
//! whether it came from the network or from the service worker's cache (`public/sw.js`).

pub mod office;
pub mod roll;

#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "hydrate")]
mod tablet;

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::SchoolRef,
    domain::lateness::{ArrivalDecision, LatePolicy, LateReason},
    sync::{Arrival, LARGE_SKEW_SECONDS, RejectedEvent, RollPupil},
};
use roll::Roll;

/// The person using the tablet, remembered on it so that the door keeps working when the page
/// comes from the cache or the sign-in has ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoorStaff {
    pub id: Uuid,
    pub name: String,
    /// The schools where this person records late arrivals.
    pub schools: Vec<SchoolRef>,
}

/// What the screen says after a tap on a reason. Only the browser makes these: the server
/// renders the page before any tap.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Outcome {
    Saved {
        arrival_id: Uuid,
        pupil: String,
        decision: ArrivalDecision,
    },
    NotLate(String),
    NotSaved(String),
}

/// Everything the late door shows, as signals the tablet's storage and the sync fill.
#[derive(Clone, Copy)]
struct Door {
    staff: RwSignal<Option<DoorStaff>>,
    school: RwSignal<Option<SchoolRef>>,
    /// The tablet's storage has been read (only ever in the browser).
    ready: RwSignal<bool>,
    /// The server answered 401: the sign-in ended. Capture goes on; sync waits.
    signed_out: RwSignal<bool>,
    roll: RwSignal<Roll>,
    policy: RwSignal<Option<(LatePolicy, Tz)>>,
    /// Today's arrivals at every door, the ones captured here included.
    arrivals: RwSignal<Vec<Arrival>>,
    /// Ids of the events still in the outbox.
    waiting: RwSignal<HashSet<Uuid>>,
    rejected: RwSignal<Vec<RejectedEvent>>,
    last_sync: RwSignal<Option<DateTime<Utc>>>,
    /// The server's clock minus the tablet's, from the last push.
    skew: RwSignal<i64>,
    /// Why the last sync failed, in words.
    trouble: RwSignal<Option<String>>,
    storage_full: RwSignal<bool>,
    syncing: RwSignal<bool>,
    outcome: RwSignal<Option<Outcome>>,
    /// The tablet's clock, ticking while the page is open.
    now: RwSignal<Option<DateTime<Utc>>>,
}

impl Door {
    fn new() -> Door {
        Door {
            staff: RwSignal::new(None),
            school: RwSignal::new(None),
            ready: RwSignal::new(false),
            signed_out: RwSignal::new(false),
            roll: RwSignal::new(Roll::default()),
            policy: RwSignal::new(None),
            arrivals: RwSignal::new(Vec::new()),
            waiting: RwSignal::new(HashSet::new()),
            rejected: RwSignal::new(Vec::new()),
            last_sync: RwSignal::new(None),
            skew: RwSignal::new(0),
            trouble: RwSignal::new(None),
            storage_full: RwSignal::new(false),
            syncing: RwSignal::new(false),
            outcome: RwSignal::new(None),
            now: RwSignal::new(None),
        }
    }

    /// The school's date and time zone by the tablet's clock.
    fn today(&self) -> Option<(NaiveDate, Tz)> {
        let now = self.now.get()?;
        let (_, zone) = self.policy.get()?;
        Some((now.with_timezone(&zone).date_naive(), zone))
    }

    /// What an arrival now would be: L or U, minutes late, sanction; `None` when not late.
    fn decision_now(&self) -> Option<Option<ArrivalDecision>> {
        let now = self.now.get()?;
        self.policy.with(|policy| {
            policy
                .as_ref()
                .map(|(policy, zone)| policy.decide(now.with_timezone(zone).naive_local()))
        })
    }

    /// The pupil's arrival this session, if one is logged (and not undone) at any door.
    fn logged(
        &self,
        pupil_id: Uuid,
        decision: &ArrivalDecision,
        date: NaiveDate,
    ) -> Option<Arrival> {
        self.arrivals.with(|arrivals| {
            arrivals
                .iter()
                .find(|arrival| {
                    arrival.pupil_id == pupil_id
                        && arrival.session_date == date
                        && arrival.session == decision.session
                        && !arrival.undone
                })
                .cloned()
        })
    }
}

#[component]
pub fn LateDoorPage() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    let door = tablet::door();
    #[cfg(not(feature = "hydrate"))]
    let door = Door::new();
    #[cfg(feature = "hydrate")]
    tablet::run(door);
    view! {
        <Title text="Late door" />
        <section class="panel late-door">
            <div class="page-head">
                <h1>"Late door"</h1>
                <SchoolChoice door />
            </div>
            <SyncBadge door />
            <Warnings door />
            {move || {
                if !door.ready.get() {
                    view! { <p class="muted" data-testid="door-loading">"Opening the late door…"</p> }.into_any()
                } else if door.staff.with(Option::is_none) {
                    view! {
                        <p class="lead">
                            "Sign in to use the late door. " <a href="/login">"Sign in"</a>
                        </p>
                    }.into_any()
                } else if door.school.with(Option::is_none) {
                    view! { <p class="lead">"You do not record late arrivals at any school."</p> }.into_any()
                } else {
                    view! {
                        <Capture door />
                        <RejectedList door />
                        <TodayAtTheDoor door />
                    }.into_any()
                }
            }}
        </section>
    }
}

/// For people who record arrivals at more than one school.
#[component]
fn SchoolChoice(door: Door) -> impl IntoView {
    let navigate = leptos_router::hooks::use_navigate();
    move || {
        let schools = door.staff.with(|staff| {
            staff
                .as_ref()
                .map(|staff| staff.schools.clone())
                .unwrap_or_default()
        });
        if schools.len() < 2 {
            return ().into_any();
        }
        let current = door.school.get().map(|school| school.id);
        let navigate = navigate.clone();
        view! {
            <label class="school-picker">
                "School "
                <select on:change=move |event| {
                    navigate(&format!("/late-door?school={}", event_target_value(&event)), Default::default());
                }>
                    {schools.into_iter().map(|school| view! {
                        <option value=school.id.to_string() selected=Some(school.id) == current>{school.name}</option>
                    }).collect_view()}
                </select>
            </label>
        }
        .into_any()
    }
}

/// How many arrivals wait to sync and when the last sync succeeded.
#[component]
fn SyncBadge(door: Door) -> impl IntoView {
    let waiting = move || door.waiting.with(HashSet::len);
    let zone = move || {
        door.policy
            .with(|policy| policy.as_ref().map(|(_, zone)| *zone))
    };
    view! {
        <div class="sync-badge" class:pending=move || { waiting() > 0 } data-testid="sync-badge" role="status" aria-live="polite">
            <span class="waiting">
                {move || match waiting() {
                    _ if !door.ready.get() => "Reading this tablet's storage…".to_string(),
                    0 => "Nothing waiting to sync".to_string(),
                    1 => "1 waiting to sync".to_string(),
                    n => format!("{n} waiting to sync"),
                }}
            </span>
            <span class="last-sync">
                {move || match (door.last_sync.get(), zone()) {
                    (Some(at), Some(zone)) => format!("Last synced {}", clock(at, zone)),
                    _ => "Not synced yet".to_string(),
                }}
            </span>
            <button
                type="button"
                class="quiet"
                disabled=move || door.syncing.get() || !door.ready.get()
                on:click=move |_| {
                    #[cfg(feature = "hydrate")]
                    tablet::request_sync(door);
                }
            >
                {move || if door.syncing.get() { "Syncing…" } else { "Sync now" }}
            </button>
        </div>
    }
}

#[component]
fn Warnings(door: Door) -> impl IntoView {
    let waiting = move || door.waiting.with(HashSet::len);
    view! {
        <Show when=move || door.signed_out.get() && door.staff.with(Option::is_some)>
            <p class="warning" role="alert" data-testid="signed-out">
                "Your sign-in has ended. "
                {move || match waiting() {
                    0 => "Arrivals you log are kept on this tablet".to_string(),
                    1 => "The arrival waiting is kept on this tablet".to_string(),
                    n => format!("The {n} arrivals waiting are kept on this tablet"),
                }}
                ": " <a href="/login">"sign in again"</a> " to send them."
            </p>
        </Show>
        <Show when=move || door.storage_full.get()>
            <p class="error" role="alert" data-testid="storage-full">
                "This tablet's storage is full, so it cannot keep another arrival: the last one was NOT saved. "
                "Write arrivals on paper, and connect to the network so the waiting ones are sent and make room."
            </p>
        </Show>
        <Show when=move || { door.skew.get().abs() > LARGE_SKEW_SECONDS }>
            <p class="warning" role="alert" data-testid="clock-skew">
                {move || skew_warning(door.skew.get())}
            </p>
        </Show>
        {move || door.trouble.get().map(|trouble| view! {
            <p class="warning" role="alert" data-testid="sync-trouble">
                {trouble} " Arrivals stay on this tablet and are sent when the server answers."
            </p>
        })}
    }
}

fn skew_warning(skew: i64) -> String {
    let minutes = (skew.abs() + 30) / 60;
    let amount = match minutes {
        0 | 1 => "about a minute".to_string(),
        m if m < 120 => format!("{m} minutes"),
        m => format!("{} hours", (m + 30) / 60),
    };
    let direction = if skew > 0 { "behind" } else { "ahead of" };
    format!(
        "This tablet's clock is {amount} {direction} the server's. Set the tablet's clock: L or U \
         and the minutes late are decided by it."
    )
}

/// Find the pupil, tap a reason, and it is saved on the tablet.
#[component]
fn Capture(door: Door) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let chosen = RwSignal::new(None::<RollPupil>);
    let highlighted = RwSignal::new(0usize);
    let note = RwSignal::new(String::new());
    let writing_note = RwSignal::new(false);
    let search_box = NodeRef::<leptos::html::Input>::new();
    let note_box = NodeRef::<leptos::html::Input>::new();
    let found = Memo::new(move |_| {
        query.with(|query| {
            door.roll.with(|roll| {
                roll.find(query, 12)
                    .into_iter()
                    .cloned()
                    .collect::<Vec<_>>()
            })
        })
    });

    let choose = move |pupil: RollPupil| {
        door.now.set(Some(Utc::now()));
        chosen.set(Some(pupil));
        door.outcome.set(None);
        writing_note.set(false);
        note.set(String::new());
    };
    let back_to_search = move || {
        chosen.set(None);
        writing_note.set(false);
        note.set(String::new());
        query.set(String::new());
        highlighted.set(0);
        if let Some(input) = search_box.get_untracked() {
            let _ = input.focus();
        }
    };
    let record = move |reason: LateReason| {
        let Some(pupil) = chosen.get_untracked() else {
            return;
        };
        if reason == LateReason::Other && note.with_untracked(|note| note.trim().is_empty()) {
            writing_note.set(true);
            if let Some(input) = note_box.get_untracked() {
                let _ = input.focus();
            }
            return;
        }
        #[cfg(feature = "hydrate")]
        tablet::capture(
            door,
            &pupil,
            reason,
            note.get_untracked().trim().to_string(),
        );
        #[cfg(not(feature = "hydrate"))]
        let _ = (pupil, reason);
        back_to_search();
    };

    // A hardware keyboard: arrows and Enter in the search; 1 to 5 for the reason; Escape.
    let on_search_key = move |event: leptos::ev::KeyboardEvent| {
        let count = found.with(Vec::len);
        match event.key().as_str() {
            "ArrowDown" if count > 0 => {
                event.prevent_default();
                highlighted.update(|index| *index = (*index + 1).min(count - 1));
            }
            "ArrowUp" => {
                event.prevent_default();
                highlighted.update(|index| *index = index.saturating_sub(1));
            }
            "Enter" => {
                event.prevent_default();
                let index = highlighted.get_untracked();
                if let Some(pupil) = found.with_untracked(|found| found.get(index).cloned()) {
                    choose(pupil);
                }
            }
            _ => {}
        }
    };
    let on_reason_key = move |event: leptos::ev::KeyboardEvent| {
        if chosen.with_untracked(Option::is_none) {
            return;
        }
        let key = event.key();
        if key == "Escape" {
            event.prevent_default();
            back_to_search();
            return;
        }
        if writing_note.get_untracked() {
            if key == "Enter" {
                event.prevent_default();
                record(LateReason::Other);
            }
            return;
        }
        if let Some(reason) = key
            .parse::<usize>()
            .ok()
            .and_then(|digit| digit.checked_sub(1))
            .and_then(|index| LateReason::ALL.get(index).copied())
        {
            event.prevent_default();
            record(reason);
        }
    };

    #[cfg(feature = "hydrate")]
    {
        let keys = window_event_listener(leptos::ev::keydown, on_reason_key);
        on_cleanup(move || keys.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = on_reason_key;

    view! {
        <Outcome door />
        <Show
            when=move || chosen.with(Option::is_some)
            fallback=move || view! {
                <label for="late-search" class="big-label">"Find the pupil: any part of the name, or the form"</label>
                <input
                    id="late-search"
                    class="big-input"
                    type="search"
                    autocomplete="off"
                    autocapitalize="off"
                    spellcheck="false"
                    node_ref=search_box
                    prop:value=query
                    on:input=move |event| {
                        query.set(event_target_value(&event));
                        highlighted.set(0);
                    }
                    on:keydown=on_search_key
                />
                <p class="muted roll-size" data-testid="roll-size">
                    {move || match door.roll.with(Roll::len) {
                        0 => "This tablet has no roll yet: connect it to the network once to load it.".to_string(),
                        n => format!("{n} pupils on this tablet's roll."),
                    }}
                </p>
                <ul class="found" aria-label="Pupils found">
                    <For each=move || found.get() key=|pupil| pupil.id let:pupil>
                        {
                            let id = pupil.id;
                            let highlighted = move || {
                                found.with(|found| found.get(highlighted.get()).map(|pupil| pupil.id)) == Some(id)
                            };
                            let label = format!("{} {}", pupil.first_name, pupil.last_name);
                            let form = pupil.form.clone();
                            view! {
                                <li>
                                    <button
                                        type="button"
                                        class="found-pupil"
                                        class:highlighted=highlighted
                                        on:click=move |_| choose(pupil.clone())
                                    >
                                        <span class="name">{label}</span>
                                        <span class="form">{form}</span>
                                    </button>
                                </li>
                            }
                        }
                    </For>
                </ul>
            }
        >
            <div class="reasons-panel">
                {move || chosen.get().map(|pupil| view! {
                    <h2 class="chosen-pupil">
                        {format!("{} {}", pupil.first_name, pupil.last_name)}
                        <span class="form">{pupil.form.clone()}</span>
                    </h2>
                    <DecisionNow door pupil_id=pupil.id />
                })}
                <p class="big-label" id="reason-label">"Why late?"</p>
                <div class="reasons" role="group" aria-labelledby="reason-label">
                    {LateReason::ALL.into_iter().enumerate().map(|(index, reason)| view! {
                        <button type="button" class="reason" on:click=move |_| record(reason)
                            aria-keyshortcuts=(index + 1).to_string()
                        >
                            <span class="key" aria-hidden="true">{index + 1}</span>
                            {reason.label()}
                        </button>
                    }).collect_view()}
                </div>
                <Show when=move || writing_note.get()>
                    <label for="late-note" class="big-label">"What happened? (needed for Other)"</label>
                    <div class="note-row">
                        <input id="late-note" class="big-input" type="text" node_ref=note_box
                            prop:value=note
                            on:input=move |event| note.set(event_target_value(&event))
                        />
                        <button type="button" class="primary" on:click=move |_| record(LateReason::Other)>"Save"</button>
                    </div>
                </Show>
                <button type="button" class="quiet cancel" on:click=move |_| back_to_search()>"Cancel (Esc)"</button>
            </div>
        </Show>
    }
}

/// What an arrival now would be for this pupil, on the tablet's clock, before the reason is
/// tapped; or when they were logged already.
#[component]
fn DecisionNow(door: Door, pupil_id: Uuid) -> impl IntoView {
    move || {
        let (today, zone) = door.today()?;
        let decision = door.decision_now()?;
        Some(match decision {
            None => view! {
                <p class="decision on-time" data-testid="decision">"Not late: the register has not opened yet."</p>
            }
            .into_any(),
            Some(decision) => match door.logged(pupil_id, &decision, today) {
                Some(arrival) => view! {
                    <p class="decision logged" role="alert" data-testid="decision">
                        {format!(
                            "Already logged late at {} ({}, {} minutes){}. Logging again will be refused.",
                            clock(arrival.arrived_at, zone),
                            arrival.code,
                            arrival.minutes_late,
                            arrival.recorded_by.map(|by| format!(" by {by}")).unwrap_or_default(),
                        )}
                    </p>
                }
                .into_any(),
                None => view! {
                    <p class="decision" class:after-close=decision.code.as_str() == "U" data-testid="decision">
                        {describe(&decision)}
                    </p>
                }
                .into_any(),
            },
        })
    }
}

/// "U: late after the morning register closed (an unauthorised absence), 40 minutes late.
/// Sanction: Same-day detention."
fn describe(decision: &ArrivalDecision) -> String {
    let session = decision.session.label().to_lowercase();
    let what = if decision.code.as_str() == "L" {
        format!("late before the {session} register closed")
    } else {
        format!("late after the {session} register closed (an unauthorised absence)")
    };
    let minutes = match decision.minutes_late {
        1 => "1 minute late".to_string(),
        n => format!("{n} minutes late"),
    };
    let sanction = if decision.sanction.trim().is_empty() {
        "No sanction.".to_string()
    } else {
        format!("Sanction: {}.", decision.sanction)
    };
    format!("{}: {what}, {minutes}. {sanction}", decision.code.as_str())
}

/// The answer to the last tap: saved (with a short undo), not late, or not saved and why.
#[component]
fn Outcome(door: Door) -> impl IntoView {
    move || {
        door.outcome.get().map(|outcome| match outcome {
            Outcome::Saved {
                arrival_id,
                pupil,
                decision,
            } => view! {
                <div class="outcome saved" role="status" data-testid="saved">
                    <p>
                        <strong>{format!("Saved: {pupil}.")}</strong>
                        " " {describe(&decision)}
                    </p>
                    <button type="button" class="quiet" on:click=move |_| {
                        #[cfg(feature = "hydrate")]
                        tablet::undo(door, arrival_id);
                        #[cfg(not(feature = "hydrate"))]
                        let _ = arrival_id;
                    }>"Undo"</button>
                </div>
            }
            .into_any(),
            Outcome::NotLate(message) => view! {
                <div class="outcome" role="status" data-testid="not-late"><p>{message}</p></div>
            }
            .into_any(),
            Outcome::NotSaved(message) => view! {
                <div class="outcome error" role="alert" data-testid="not-saved"><p>{message}</p></div>
            }
            .into_any(),
        })
    }
}

/// Events the server would not accept: kept on the tablet until a person deals with them.
#[component]
fn RejectedList(door: Door) -> impl IntoView {
    let name = move |event: &crate::sync::SyncEvent| {
        let pupil_id = event
            .payload
            .get("pupil_id")
            .and_then(|id| id.as_str())
            .and_then(|id| Uuid::parse_str(id).ok());
        let arrival_id = event
            .payload
            .get("arrival_id")
            .and_then(|id| id.as_str())
            .and_then(|id| Uuid::parse_str(id).ok());
        let pupil_id = pupil_id.or_else(|| {
            door.arrivals.with_untracked(|arrivals| {
                arrivals
                    .iter()
                    .find(|arrival| Some(arrival.id) == arrival_id)
                    .map(|arrival| arrival.pupil_id)
            })
        });
        let name = pupil_id
            .and_then(|id| {
                door.roll.with_untracked(|roll| {
                    roll.get(id).map(|pupil| {
                        format!("{} {} ({})", pupil.first_name, pupil.last_name, pupil.form)
                    })
                })
            })
            .unwrap_or_else(|| "A pupil no longer on this tablet's roll".to_string());
        if event.kind == "late_arrival_undo" {
            format!("Undoing the arrival of {name}")
        } else {
            name
        }
    };
    let zone = move || {
        door.policy
            .with(|policy| policy.as_ref().map(|(_, zone)| *zone))
    };
    view! {
        <Show when=move || door.rejected.with(|rejected| !rejected.is_empty())>
            <section class="door-rejected" aria-labelledby="rejected-heading" data-testid="rejected">
                <h2 id="rejected-heading">"Not accepted by the server"</h2>
                <p class="muted">
                    "These stay on this tablet until you deal with them. Tell the office if the register needs changing, then dismiss."
                </p>
                <ul>
                    {move || door.rejected.get().into_iter().map(|rejected| {
                        let id = rejected.event.id;
                        let when = zone().map(|zone| clock(rejected.event.device_time, zone)).unwrap_or_default();
                        view! {
                            <li>
                                <span class="who">{name(&rejected.event)}</span>
                                <span class="when">{format!("logged {when}")}</span>
                                <span class="why">{rejected.reason}</span>
                                <button type="button" class="quiet" on:click=move |_| {
                                    #[cfg(feature = "hydrate")]
                                    tablet::dismiss(door, id);
                                    #[cfg(not(feature = "hydrate"))]
                                    let _ = id;
                                }>"Dismiss"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        </Show>
    }
}

/// Today's late arrivals at every door, newest first, with counts.
#[component]
fn TodayAtTheDoor(door: Door) -> impl IntoView {
    let today = Memo::new(move |_| {
        let (date, zone) = door.today()?;
        let mut arrivals: Vec<Arrival> = door.arrivals.with(|arrivals| {
            arrivals
                .iter()
                .filter(|arrival| arrival.session_date == date)
                .cloned()
                .collect()
        });
        arrivals.sort_by_key(|arrival| std::cmp::Reverse(arrival.arrived_at));
        Some((arrivals, zone))
    });
    let counts = move || {
        today.with(|today| {
            let (arrivals, _) = today.as_ref()?;
            let kept = arrivals.iter().filter(|arrival| !arrival.undone);
            let (l, u) = kept.fold((0, 0), |(l, u), arrival| match arrival.code.as_str() {
                "L" => (l + 1, u),
                _ => (l, u + 1),
            });
            Some(match l + u {
                0 => "Nobody late yet today.".to_string(),
                1 => format!("1 late today: {l} L, {u} U."),
                n => format!("{n} late today: {l} L, {u} U."),
            })
        })
    };
    view! {
        <section class="door-today" aria-labelledby="today-heading">
            <h2 id="today-heading">"Late today"</h2>
            <p class="counts" data-testid="door-counts">{counts}</p>
            <table class="door-arrivals" data-testid="door-arrivals">
                <thead>
                    <tr>
                        <th scope="col">"Arrived"</th>
                        <th scope="col">"Pupil"</th>
                        <th scope="col">"Mark"</th>
                        <th scope="col">"Reason"</th>
                        <th scope="col">"Sanction"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {move || today.get().map(|(arrivals, zone)| arrivals.into_iter().map(|arrival| {
                        let pupil = door.roll.with(|roll| roll.get(arrival.pupil_id).map(|pupil| {
                            format!("{} {} ({})", pupil.first_name, pupil.last_name, pupil.form)
                        })).unwrap_or_else(|| "A pupil not on this tablet's roll".to_string());
                        let waiting = door.waiting.with(|waiting| waiting.contains(&arrival.id));
                        let status = if arrival.undone {
                            "Undone".to_string()
                        } else if waiting {
                            "Waiting to sync".to_string()
                        } else if let Some(conflict) = &arrival.conflict {
                            format!("Sent; the register was not changed: {conflict}")
                        } else {
                            "Sent".to_string()
                        };
                        let reason = LateReason::from_key(&arrival.reason).map(LateReason::label).unwrap_or("Other");
                        let reason = if arrival.note.is_empty() { reason.to_string() } else { format!("{reason}: {}", arrival.note) };
                        view! {
                            <tr class:undone=arrival.undone class:waiting=waiting>
                                <td>{clock(arrival.arrived_at, zone)}</td>
                                <td>{pupil}</td>
                                <td>{format!("{}, {} min", arrival.code, arrival.minutes_late)}</td>
                                <td>{reason}</td>
                                <td>{if arrival.sanction.is_empty() { "None".to_string() } else { arrival.sanction.clone() }}</td>
                                <td>{status}</td>
                            </tr>
                        }
                    }).collect_view())}
                </tbody>
            </table>
        </section>
    }
}

/// "08:52" in the school's time zone.
fn clock(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_skew_is_told_in_minutes_or_hours_and_which_way() {
        assert!(skew_warning(300).contains("5 minutes behind"));
        assert!(skew_warning(-7200).contains("2 hours ahead of"));
    }
}
