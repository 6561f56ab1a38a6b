//! `/visits`, the home visitor's phone: my visits drawn from the phone's own storage, with the
//! steps of a visit (risk assessment, check-in, record, concern, check-out) captured into the
//! outbox; and the school's alerts. `/visits/{id}`: one visit for the office, online.
//!
//! The server renders `/visits` as a frame only (the phone fills it from storage once
//! hydrated), so the page is the same from the network or from the service worker's cache.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    ConcernSeen, Conflict, MyVisits, Officer, PlanVisit, ResolveConflict, RiskAssessment,
    SaveVisitRecord, Saved, Visit, VisitRecord, events, load_visit,
};
use crate::{
    auth::SchoolRef,
    calling::NoContactSeen,
    components::{errors::error_message, signed_in::SignedIn},
    sync::{RejectedEvent, SyncEvent},
    uk_time,
};

/// The person using the phone, remembered on it so the page works when the sign-in has ended
/// or the page came from the cache.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorStaff {
    pub id: Uuid,
    pub name: String,
    pub schools: Vec<SchoolRef>,
}

/// Everything `/visits` shows, as signals the phone's storage and the sync fill.
#[derive(Clone, Copy)]
pub(super) struct Phone {
    pub staff: RwSignal<Option<VisitorStaff>>,
    pub school: RwSignal<Option<SchoolRef>>,
    /// The phone's storage has been read (only ever in the browser).
    pub ready: RwSignal<bool>,
    pub signed_out: RwSignal<bool>,
    /// My visits and the alerts as last fetched.
    pub data: RwSignal<Option<MyVisits>>,
    /// Events waiting in the outbox for this school.
    pub waiting: RwSignal<Vec<SyncEvent>>,
    pub rejected: RwSignal<Vec<RejectedEvent>>,
    pub last_sync: RwSignal<Option<DateTime<Utc>>>,
    pub trouble: RwSignal<Option<String>>,
    pub syncing: RwSignal<bool>,
    /// What the last action did: saved on the phone, or not, and why.
    pub message: RwSignal<Option<(bool, String)>>,
    /// Records being typed, by visit: a sync redraws the visit's steps, and must not lose them.
    pub drafts: StoredValue<HashMap<Uuid, VisitRecord>>,
}

impl Phone {
    fn new() -> Phone {
        Phone {
            staff: RwSignal::new(None),
            school: RwSignal::new(None),
            ready: RwSignal::new(false),
            signed_out: RwSignal::new(false),
            data: RwSignal::new(None),
            waiting: RwSignal::new(Vec::new()),
            rejected: RwSignal::new(Vec::new()),
            last_sync: RwSignal::new(None),
            trouble: RwSignal::new(None),
            syncing: RwSignal::new(false),
            message: RwSignal::new(None),
            drafts: StoredValue::new(HashMap::new()),
        }
    }

    /// The waiting event of this kind for this visit, if any.
    fn pending(&self, visit_id: Uuid, kind: &str) -> Option<SyncEvent> {
        self.waiting.with(|waiting| {
            waiting
                .iter()
                .find(|event| event.kind == kind && event_visit(event) == Some(visit_id))
                .cloned()
        })
    }

    /// Captures an event for the visit; `false` when it could not be saved on the phone.
    fn capture(&self, kind: &str, payload: serde_json::Value) -> bool {
        #[cfg(feature = "hydrate")]
        {
            super::phone::capture(*self, kind, payload)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (kind, payload);
            false
        }
    }

    fn sync_now(&self) {
        #[cfg(feature = "hydrate")]
        super::phone::request_sync(*self);
    }
}

/// The visit an event is about.
pub(super) fn event_visit(event: &SyncEvent) -> Option<Uuid> {
    event
        .payload
        .get("visit_id")
        .and_then(|id| id.as_str())
        .and_then(|id| Uuid::parse_str(id).ok())
}

fn day_and_clock(at: DateTime<Utc>) -> String {
    uk_time::local(at).format("%a %-d %b %H:%M").to_string()
}

#[component]
pub fn VisitsPage() -> impl IntoView {
    let phone = Phone::new();
    #[cfg(feature = "hydrate")]
    super::phone::run(phone);
    view! {
        <Title text="My visits" />
        <section class="panel visits">
            <div class="page-head">
                <h1>"My visits"</h1>
            </div>
            <SyncBadge phone />
            <Warnings phone />
            {move || {
                if !phone.ready.get() {
                    view! { <p class="muted" data-testid="visits-loading">"Opening your visits…"</p> }.into_any()
                } else if phone.staff.with(Option::is_none) {
                    view! {
                        <p class="lead">"Sign in to see your visits. " <a href="/login">"Sign in"</a></p>
                    }.into_any()
                } else if phone.school.with(Option::is_none) {
                    view! { <p class="lead">"You make no home visits at any school."</p> }.into_any()
                } else {
                    view! {
                        <Alerts phone />
                        <RejectedList phone />
                        <VisitList phone />
                        <AdHoc phone />
                    }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn SyncBadge(phone: Phone) -> impl IntoView {
    let waiting = move || phone.waiting.with(Vec::len);
    view! {
        <div class="sync-badge" class:pending=move || { waiting() > 0 } data-testid="sync-badge" role="status" aria-live="polite">
            <span class="waiting">
                {move || match waiting() {
                    _ if !phone.ready.get() => "Reading this phone's storage…".to_string(),
                    0 => "Nothing waiting to sync".to_string(),
                    1 => "1 waiting to sync".to_string(),
                    n => format!("{n} waiting to sync"),
                }}
            </span>
            <span class="last-sync">
                {move || match phone.last_sync.get() {
                    Some(at) => format!("Last synced {}", uk_time::time(at)),
                    None => "Not synced yet".to_string(),
                }}
            </span>
            <button
                type="button"
                class="quiet"
                disabled=move || phone.syncing.get() || !phone.ready.get()
                on:click=move |_| phone.sync_now()
            >
                {move || if phone.syncing.get() { "Syncing…" } else { "Sync now" }}
            </button>
        </div>
    }
}

#[component]
fn Warnings(phone: Phone) -> impl IntoView {
    view! {
        <Show when=move || phone.signed_out.get() && phone.staff.with(Option::is_some)>
            <p class="warning" role="alert" data-testid="signed-out">
                "Your sign-in has ended. What you record is kept on this phone: "
                <a href="/login">"sign in again"</a> " to send it."
            </p>
        </Show>
        {move || phone.trouble.get().map(|trouble| view! {
            <p class="warning" role="alert" data-testid="sync-trouble">
                {trouble} " Everything stays on this phone and is sent when the server answers."
            </p>
        })}
        {move || phone.message.get().map(|(saved, text)| view! {
            <p class=if saved { "notice" } else { "error" } role="status" data-testid="visit-message">{text}</p>
        })}
    }
}

/// Alerts for the office (overdue check-outs), the DSL (concerns) and conflicts to resolve.
#[component]
fn Alerts(phone: Phone) -> impl IntoView {
    let seen = ServerAction::<ConcernSeen>::new();
    let no_contact_seen = ServerAction::<NoContactSeen>::new();
    let resolve = ServerAction::<ResolveConflict>::new();
    Effect::new(move |_| {
        if seen.version().get() + no_contact_seen.version().get() + resolve.version().get() > 0 {
            phone.sync_now();
        }
    });
    move || {
        let Some(data) = phone.data.get() else {
            return ().into_any();
        };
        let school_id = data.school_id;
        let watch = data.watch;
        view! {
            {(!watch.overdue.is_empty()).then(|| view! {
                <div class="alert-list" role="alert" data-testid="overdue-alerts">
                    <h2>"Overdue check-outs"</h2>
                    {watch.overdue.into_iter().map(|o| view! {
                        <article class="alert-card overdue">
                            <p><strong>{o.officer_name.clone()}</strong> " has not checked out from " {o.pupil_name.clone()} "'s home."</p>
                            <p>"Address: " {o.address.clone()}</p>
                            <p>"Officer's phone: "
                                {if o.officer_phone.is_empty() {
                                    view! { <span>"not recorded"</span> }.into_any()
                                } else {
                                    let tel = format!("tel:{}", o.officer_phone.replace(' ', ""));
                                    view! { <a href=tel>{o.officer_phone.clone()}</a> }.into_any()
                                }}
                            </p>
                            <p class="muted">
                                {format!("Checked in {}, expected out by {}", uk_time::time(o.checked_in_at), uk_time::time(o.expected_finish))}
                                {(!o.companion.is_empty()).then(|| format!(", with {}", o.companion))}
                            </p>
                        </article>
                    }).collect_view()}
                </div>
            })}
            {(!watch.concerns.is_empty()).then(|| view! {
                <div class="alert-list" role="alert" data-testid="dsl-alerts">
                    <h2>"Safeguarding concerns from visits"</h2>
                    {watch.concerns.into_iter().map(|c| view! {
                        <article class="alert-card concern">
                            <p><strong>{c.pupil_name.clone()}</strong> " (" {c.form.clone()} ")"</p>
                            <p>{c.concern.clone()}</p>
                            <p class="muted">{format!("Raised by {} at {}. {}", c.raised_by, day_and_clock(c.raised_at), c.address)}</p>
                            {c.case_id.map(|case_id| view! {
                                <p><A href=format!("/cases/{case_id}?school={school_id}")>"Open the case"</A></p>
                            })}
                            <ActionForm action=seen attr:class="inline-form">
                                <input type="hidden" name="school_id" value=school_id.to_string() />
                                <input type="hidden" name="visit_id" value=c.visit_id.to_string() />
                                <button type="submit" class="quiet">"Mark as read"</button>
                            </ActionForm>
                        </article>
                    }).collect_view()}
                </div>
            })}
            {(!watch.no_contact.is_empty()).then(|| view! {
                <div class="alert-list" role="alert" data-testid="no-contact-alerts">
                    <h2>"First day of absence: nobody reached"</h2>
                    {watch.no_contact.into_iter().map(|a| view! {
                        <article class="alert-card concern">
                            <p><strong>{a.pupil_name.clone()}</strong> " (" {a.form.clone()} "): absent with no reason, and first-day calling reached nobody at home."</p>
                            <p class="muted">
                                {format!("Raised at {}.", day_and_clock(a.raised_at))}
                                {a.visit_id.is_some().then_some(" A home visit is proposed for today.")}
                            </p>
                            <p>
                                <A href=format!("/calling?school={school_id}")>"Open first-day calling"</A>
                                {a.case_id.map(|case_id| view! { " · " <A href=format!("/cases/{case_id}?school={school_id}")>"Open the case"</A> })}
                            </p>
                            <ActionForm action=no_contact_seen attr:class="inline-form">
                                <input type="hidden" name="school_id" value=school_id.to_string() />
                                <input type="hidden" name="pupil_id" value=a.pupil_id.to_string() />
                                <input type="hidden" name="date" value=a.date.to_string() />
                                <button type="submit" class="quiet">"Mark as read"</button>
                            </ActionForm>
                        </article>
                    }).collect_view()}
                </div>
            })}
            {(!watch.conflicts.is_empty()).then(|| view! {
                <div class="alert-list" data-testid="conflicts">
                    <h2>"Visit records saved in two places"</h2>
                    {watch.conflicts.into_iter().map(|c| view! { <ConflictCard school_id conflict=c resolve /> }).collect_view()}
                </div>
            })}
        }
        .into_any()
    }
}

#[component]
fn ConflictCard(
    school_id: Uuid,
    conflict: Conflict,
    resolve: ServerAction<ResolveConflict>,
) -> impl IntoView {
    let side = |title: String, record: VisitRecord| {
        view! {
            <div class="conflict-side">
                <h3>{title}</h3>
                <RecordFacts record />
            </div>
        }
    };
    let id = conflict.id;
    view! {
        <article class="alert-card conflict" data-testid="conflict">
            <p><strong>{conflict.pupil_name.clone()}</strong> ": the record was saved in two places from the same starting point (usually the office, and a phone that was offline). Nothing was overwritten; choose which to keep."</p>
            <div class="side-by-side">
                {side(format!("Saved first{}", conflict.kept_by.clone().map(|n| format!(", by {n}")).unwrap_or_default()), conflict.kept.clone())}
                {side(format!("Saved second{}", conflict.edit_by.clone().map(|n| format!(", by {n}")).unwrap_or_default()), conflict.edit.clone())}
            </div>
            <div class="inline-form">
                <ActionForm action=resolve>
                    <input type="hidden" name="school_id" value=school_id.to_string() />
                    <input type="hidden" name="conflict_id" value=id.to_string() />
                    <input type="hidden" name="keep" value="kept" />
                    <button type="submit" class="quiet">"Keep what was saved first"</button>
                </ActionForm>
                <ActionForm action=resolve>
                    <input type="hidden" name="school_id" value=school_id.to_string() />
                    <input type="hidden" name="conflict_id" value=id.to_string() />
                    <input type="hidden" name="keep" value="edit" />
                    <button type="submit" class="quiet">"Take what was saved second"</button>
                </ActionForm>
            </div>
        </article>
    }
}

#[component]
fn RecordFacts(record: VisitRecord) -> impl IntoView {
    let row = |label: &'static str, value: String| {
        (!value.trim().is_empty()).then(|| view! { <dt>{label}</dt><dd>{value}</dd> })
    };
    view! {
        <dl class="record-facts">
            <dt>"Outcome"</dt><dd>{record.outcome()}</dd>
            {row("What was said", record.what_was_said)}
            {row("Facts", record.facts)}
            {row("Professional opinion", record.opinion)}
            {row("Agreed actions", record.agreed_actions)}
            {row("Next step", record.next_step)}
        </dl>
    }
}

#[component]
fn RejectedList(phone: Phone) -> impl IntoView {
    move || {
        let rejected = phone.rejected.get();
        (!rejected.is_empty()).then(|| {
            view! {
                <div class="rejected" role="alert" data-testid="rejected">
                    <h2>"Not accepted by the server"</h2>
                    {rejected.into_iter().map(|r| {
                        let id = r.event.id;
                        view! {
                            <article class="alert-card">
                                <p><strong>{kind_label(&r.event.kind)}</strong> ": " {r.reason.clone()}</p>
                                <button type="button" class="quiet" on:click=move |_| {
                                    #[cfg(feature = "hydrate")]
                                    super::phone::dismiss(phone, id);
                                    #[cfg(not(feature = "hydrate"))]
                                    let _ = id;
                                }>"Dismiss"</button>
                            </article>
                        }
                    }).collect_view()}
                </div>
            }
        })
    }
}

pub(super) fn kind_label(kind: &str) -> &'static str {
    match kind {
        events::RISK => "Risk assessment",
        events::CHECK_IN => "Check-in",
        events::RECORD => "Visit record",
        events::CHECK_OUT => "Check-out",
        events::CONCERN => "Safeguarding concern",
        _ => "Event",
    }
}

#[component]
fn VisitList(phone: Phone) -> impl IntoView {
    move || {
        let Some(data) = phone.data.get() else {
            return view! { <p class="muted">"Your visits arrive once this phone has synced."</p> }
                .into_any();
        };
        if data.visits.is_empty() {
            return view! { <p data-testid="no-visits">"No visits are assigned to you."</p> }
                .into_any();
        }
        let today = data.today;
        view! {
            <ul class="visit-list" data-testid="my-visits">
                {data.visits.into_iter().map(|visit| {
                    let day = if visit.planned_on == today {
                        "Today".to_string()
                    } else {
                        visit.planned_on.format("%a %-d %b").to_string()
                    };
                    view! { <li><VisitCard phone visit day /></li> }
                }).collect_view()}
            </ul>
        }
        .into_any()
    }
}

#[component]
fn VisitCard(phone: Phone, visit: Visit, day: String) -> impl IntoView {
    let id = visit.id;
    let open = visit.status != "done";
    view! {
        <details class="visit-card" open=open data-testid="visit" data-visit=id.to_string()>
            <summary>
                <span class="visit-day">{day}</span>
                <strong>{visit.pupil_name.clone()}</strong>
                <span class="muted">{format!(" {} · {}", visit.form, visit.source.label())}</span>
                <VisitStatus phone visit=visit.clone() />
            </summary>
            <dl class="visit-facts">
                <dt>"Reason"</dt><dd>{visit.reason.clone()}</dd>
                <dt>"Address"</dt><dd data-testid="visit-address">{if visit.address.is_empty() { "No address on record".to_string() } else { visit.address.clone() }}</dd>
                <dt>"Contacts"</dt>
                <dd>
                    <ul class="contacts">
                        {visit.contacts.iter().map(|c| {
                            let tel = format!("tel:{}", c.phone.replace(' ', ""));
                            view! {
                                <li>{format!("{} ({}) ", c.name, c.relationship)}
                                    {(!c.phone.is_empty()).then(|| view! { <a href=tel>{c.phone.clone()}</a> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </dd>
                <dt>"Attendance"</dt><dd>{visit.attendance.clone()}</dd>
                {visit.case_summary.clone().map(|summary| view! { <dt>"Case"</dt><dd>{summary}</dd> })}
            </dl>
            <Steps phone visit />
        </details>
    }
}

/// Where the visit stands, counting what waits on the phone.
#[component]
fn VisitStatus(phone: Phone, visit: Visit) -> impl IntoView {
    let id = visit.id;
    move || {
        let out = visit.checked_out_at.is_some() || phone.pending(id, events::CHECK_OUT).is_some();
        let inn = visit.checked_in_at.is_some() || phone.pending(id, events::CHECK_IN).is_some();
        let risk = visit.risk.is_some() || phone.pending(id, events::RISK).is_some();
        let concern =
            visit.concern_raised_at.is_some() || phone.pending(id, events::CONCERN).is_some();
        let status = if out {
            "Done"
        } else if inn {
            "Under way"
        } else if risk {
            "Risk assessed"
        } else {
            "Risk assessment needed"
        };
        view! {
            <span class="visit-status" data-testid="visit-status">{status}</span>
            {concern.then(|| view! { <span class="visit-status concern">"Concern with the DSL"</span> })}
        }
    }
}

/// The steps of the visit, each shown once the one before is done (on the phone or the server).
#[component]
fn Steps(phone: Phone, visit: Visit) -> impl IntoView {
    let id = visit.id;
    let visit = StoredValue::new(visit);
    move || {
        let v = visit.get_value();
        let risk_pending = phone.pending(id, events::RISK);
        let risk: Option<RiskAssessment> = v.risk.clone().or_else(|| {
            risk_pending
                .as_ref()
                .and_then(|e| serde_json::from_value::<events::RiskV1>(e.payload.clone()).ok())
                .map(|p| p.risk)
        });
        let check_in = phone
            .pending(id, events::CHECK_IN)
            .and_then(|e| serde_json::from_value::<events::CheckInV1>(e.payload).ok());
        let checked_in = v
            .checked_in_at
            .map(|at| (at, v.expected_finish.unwrap_or(at)))
            .or_else(|| check_in.map(|c| (c.checked_in_at, c.expected_finish)));
        let checked_out = v.checked_out_at.or_else(|| {
            phone
                .pending(id, events::CHECK_OUT)
                .and_then(|e| serde_json::from_value::<events::CheckOutV1>(e.payload).ok())
                .map(|c| c.checked_out_at)
        });
        let concern = v.concern_raised_at.is_some() || phone.pending(id, events::CONCERN).is_some();
        view! {
            {match risk.clone() {
                None => view! { <RiskForm phone visit_id=id school_id=v.school_id /> }.into_any(),
                Some(risk) => view! {
                    <p class="step-done" data-testid="risk-done">
                        {format!("Risk assessed{}{}.",
                            if risk.second_person_needed { ": a second person is needed" } else { ": no second person needed" },
                            if risk.risks_known.is_empty() { String::new() } else { format!("; known risks: {}", risk.risks_known) })}
                        {risk_pending.is_some().then_some(" (waiting to send)")}
                    </p>
                }.into_any(),
            }}
            {match (risk.as_ref(), checked_in) {
                (None, _) => view! { <p class="muted">"Complete the risk assessment before the visit can start."</p> }.into_any(),
                (Some(risk), None) => view! { <CheckInForm phone visit_id=id school_id=v.school_id second=risk.second_person_needed /> }.into_any(),
                (Some(_), Some((at, until))) => view! {
                    <p class="step-done" data-testid="checked-in">
                        {format!("Checked in at {}, expected out by {}.", uk_time::time(at), uk_time::time(until))}
                        {(v.checked_in_at.is_none()).then_some(" (waiting to send)")}
                    </p>
                }.into_any(),
            }}
            {(checked_in.is_some() || v.record.is_some() || v.notes_hidden).then(|| {
                if v.notes_hidden {
                    view! { <p class="muted" data-testid="notes-hidden">"A safeguarding concern was raised: the visit's notes are with the DSL only."</p> }.into_any()
                } else {
                    view! { <RecordForm phone visit=v.clone() /> }.into_any()
                }
            })}
            {(risk.is_some()).then(|| if concern {
                view! { <p class="step-done concern" data-testid="concern-raised">"A safeguarding concern is with the DSL."</p> }.into_any()
            } else {
                view! { <ConcernForm phone visit_id=id school_id=v.school_id /> }.into_any()
            })}
            {match (checked_in, checked_out) {
                (Some(_), None) => view! {
                    <button type="button" class="check-out" data-testid="check-out" on:click=move |_| {
                        let payload = events::CheckOutV1 { school_id: v.school_id, visit_id: id, checked_out_at: Utc::now() };
                        phone.capture(events::CHECK_OUT, serde_json::to_value(payload).unwrap_or_default());
                    }>"Check out: I have left"</button>
                }.into_any(),
                (_, Some(at)) => view! { <p class="step-done" data-testid="checked-out">{format!("Checked out at {}.", uk_time::time(at))}</p> }.into_any(),
                _ => ().into_any(),
            }}
        }
    }
}

#[component]
fn RiskForm(phone: Phone, visit_id: Uuid, school_id: Uuid) -> impl IntoView {
    let risks = RwSignal::new(String::new());
    let second = RwSignal::new(false);
    let first = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let risk = RiskAssessment {
            risks_known: risks.get_untracked(),
            second_person_needed: second.get_untracked(),
            first_visit: first.get_untracked(),
        };
        if let Some(p) = risk.problem() {
            problem.set(Some(p));
            return;
        }
        problem.set(None);
        let payload = events::RiskV1 {
            school_id,
            visit_id,
            risk,
        };
        phone.capture(
            events::RISK,
            serde_json::to_value(payload).unwrap_or_default(),
        );
    };
    let rid = format!("risks-{visit_id}");
    view! {
        <form class="stack step" on:submit=save data-testid="risk-form">
            <h3>"Risk assessment"</h3>
            <label for=rid.clone()>"Known risks at the address"</label>
            <textarea id=rid rows="2" prop:value=move || risks.get() on:input=move |e| risks.set(event_target_value(&e))></textarea>
            <label class="check"><input type="checkbox" prop:checked=move || first.get() on:change=move |e| first.set(event_target_checked(&e)) />" First visit to this family"</label>
            <label class="check"><input type="checkbox" prop:checked=move || second.get() on:change=move |e| second.set(event_target_checked(&e)) />" A second person is needed"</label>
            {move || problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
            <button type="submit">"Save risk assessment"</button>
        </form>
    }
}

#[component]
fn CheckInForm(phone: Phone, visit_id: Uuid, school_id: Uuid, second: bool) -> impl IntoView {
    let minutes = RwSignal::new(45i64);
    let companion = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let check_in = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if second && companion.get_untracked().trim().is_empty() {
            problem.set(Some(
                "The risk assessment says a second person is needed: say who is with you."
                    .to_string(),
            ));
            return;
        }
        problem.set(None);
        let now = Utc::now();
        let payload = events::CheckInV1 {
            school_id,
            visit_id,
            checked_in_at: now,
            expected_finish: now + Duration::minutes(minutes.get_untracked()),
            companion: companion.get_untracked(),
        };
        phone.capture(
            events::CHECK_IN,
            serde_json::to_value(payload).unwrap_or_default(),
        );
    };
    let mid = format!("finish-{visit_id}");
    let cid = format!("companion-{visit_id}");
    view! {
        <form class="stack step" on:submit=check_in data-testid="check-in-form">
            <h3>"Check in"</h3>
            <label for=mid.clone()>"I expect to be out within"</label>
            <select id=mid on:change=move |e| minutes.set(event_target_value(&e).parse().unwrap_or(45))>
                <option value="15">"15 minutes"</option>
                <option value="30">"30 minutes"</option>
                <option value="45" selected>"45 minutes"</option>
                <option value="60">"1 hour"</option>
                <option value="90">"1 hour 30"</option>
            </select>
            <label for=cid.clone()>{if second { "Who is with you (needed)" } else { "Who is with you (if anyone)" }}</label>
            <input id=cid type="text" prop:value=move || companion.get() on:input=move |e| companion.set(event_target_value(&e)) />
            {move || problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
            <button type="submit">"Check in: start the visit"</button>
        </form>
    }
}

#[component]
fn RecordForm(phone: Phone, visit: Visit) -> impl IntoView {
    let id = visit.id;
    let school_id = visit.school_id;
    let pending = untrack(|| phone.pending(id, events::RECORD))
        .and_then(|e| serde_json::from_value::<events::RecordV1>(e.payload).ok());
    let draft = phone.drafts.with_value(|drafts| drafts.get(&id).cloned());
    let start = draft
        .or_else(|| pending.as_ref().map(|p| p.record.clone()))
        .or_else(|| visit.record.clone())
        .unwrap_or_default();
    let waiting = pending.is_some();
    // An edit still waiting keeps the revision it was based on.
    let base = pending.map_or(visit.revision, |p| p.base_revision);
    let record = RwSignal::new(start);
    // Keep what is typed beside the page, so a redraw after a sync starts from it.
    // Its first run is the starting value, not typing.
    Effect::new(move |first: Option<()>| {
        let typed = record.get();
        if first.is_some() {
            phone.drafts.update_value(|drafts| {
                drafts.insert(id, typed);
            });
        }
    });
    let text = move |label: &'static str, field: fn(&mut VisitRecord) -> &mut String, rows: u8| {
        let fid = format!("{}-{id}", label.to_lowercase().replace(' ', "-"));
        view! {
            <label for=fid.clone()>{label}</label>
            <textarea id=fid rows=rows.to_string()
                prop:value=move || record.with(|r| field(&mut r.clone()).clone())
                on:input=move |e| record.update(|r| *field(r) = event_target_value(&e))></textarea>
        }
    };
    let check = move |label: &'static str, field: fn(&mut VisitRecord) -> &mut bool| {
        view! {
            <label class="check">
                <input type="checkbox" prop:checked=move || record.with(|r| *field(&mut r.clone()))
                    on:change=move |e| record.update(|r| *field(r) = event_target_checked(&e)) />
                " " {label}
            </label>
        }
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let payload = events::RecordV1 {
            school_id,
            visit_id: id,
            base_revision: base,
            record: record.get_untracked(),
        };
        if phone.capture(
            events::RECORD,
            serde_json::to_value(payload).unwrap_or_default(),
        ) {
            phone.drafts.update_value(|drafts| {
                drafts.remove(&id);
            });
        }
    };
    let sid = format!("spoke-{id}");
    view! {
        <form class="stack step" on:submit=save data-testid="record-form">
            <h3>"What happened"</h3>
            {check("Child seen", |r| &mut r.child_seen)}
            {check("Safe and well check done", |r| &mut r.safe_and_well_checked)}
            {check("No answer: card left", |r| &mut r.no_answer_card_left)}
            <label for=sid.clone()>"Spoke with"</label>
            <input id=sid type="text" prop:value=move || record.with(|r| r.spoke_with.clone())
                on:input=move |e| record.update(|r| r.spoke_with = event_target_value(&e)) />
            {text("What was said", |r| &mut r.what_was_said, 3)}
            {text("Facts", |r| &mut r.facts, 3)}
            <p class="hint">"Facts: what you saw and heard. Keep your view for the next box."</p>
            {text("Professional opinion", |r| &mut r.opinion, 2)}
            {text("Agreed actions", |r| &mut r.agreed_actions, 2)}
            {text("Next step", |r| &mut r.next_step, 2)}
            {waiting.then(|| view! { <p class="hint" data-testid="record-waiting">"Saved on this phone, waiting to send."</p> })}
            <button type="submit">"Save the record"</button>
        </form>
    }
}

#[component]
fn ConcernForm(phone: Phone, visit_id: Uuid, school_id: Uuid) -> impl IntoView {
    let concern = RwSignal::new(String::new());
    let raise = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if concern.get_untracked().trim().is_empty() {
            phone
                .message
                .set(Some((false, "Say what the concern is.".to_string())));
            return;
        }
        let payload = events::ConcernV1 {
            school_id,
            visit_id,
            concern: concern.get_untracked(),
        };
        phone.capture(
            events::CONCERN,
            serde_json::to_value(payload).unwrap_or_default(),
        );
    };
    let cid = format!("concern-{visit_id}");
    view! {
        <form class="stack step concern-form" on:submit=raise data-testid="concern-form">
            <label for=cid.clone()>"Safeguarding concern"</label>
            <textarea id=cid rows="2" prop:value=move || concern.get() on:input=move |e| concern.set(event_target_value(&e))></textarea>
            <button type="submit" class="danger">"Raise with the DSL now"</button>
        </form>
    }
}

/// An ad hoc visit, planned online.
#[component]
fn AdHoc(phone: Phone) -> impl IntoView {
    let plan = ServerAction::<PlanVisit>::new();
    Effect::new(move |_| {
        if plan.version().get() > 0 && matches!(plan.value().get(), Some(Ok(_))) {
            phone.sync_now();
        }
    });
    move || {
        let (Some(data), Some(staff)) = (phone.data.get(), phone.staff.get()) else {
            return ().into_any();
        };
        let today = data.today.to_string();
        view! {
            <details class="ad-hoc" data-testid="ad-hoc">
                <summary>"Add an ad hoc visit"</summary>
                <ActionForm action=plan attr:class="stack">
                    <input type="hidden" name="school_id" value=data.school_id.to_string() />
                    <label for="adhoc-pupil">"Pupil"</label>
                    <select id="adhoc-pupil" name="pupil_id" required>
                        <option value="">"Choose…"</option>
                        {data.pupils.into_iter().map(|p| view! { <option value=p.id.to_string()>{format!("{} ({})", p.name, p.form)}</option> }).collect_view()}
                    </select>
                    <label for="adhoc-officer">"Who goes"</label>
                    <select id="adhoc-officer" name="officer_id">
                        {data.officers.into_iter().map(|o| {
                            let me = o.id == staff.id;
                            view! { <option value=o.id.to_string() selected=me>{o.name}</option> }
                        }).collect_view()}
                    </select>
                    <label for="adhoc-date">"Day"</label>
                    <input id="adhoc-date" type="date" name="planned_on" value=today required />
                    <label for="adhoc-reason">"Reason"</label>
                    <input id="adhoc-reason" type="text" name="reason" required />
                    <button type="submit">"Add the visit"</button>
                </ActionForm>
                {move || plan.value().get().map(|r| match r {
                    Ok(_) => view! { <p class="notice" role="status">"Visit added."</p> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{error_message(&e)}</p> }.into_any(),
                })}
            </details>
        }
        .into_any()
    }
}

/// The people who may be sent on a visit at the chosen school, for those who plan visits there
/// (empty for anyone else, who is not shown the form).
pub fn officers_resource(
    viewer: &crate::auth::Viewer,
    school: Memo<Option<SchoolRef>>,
) -> Resource<Vec<Officer>> {
    let viewer = viewer.clone();
    Resource::new(
        move || {
            school
                .get()
                .map(|s| s.id)
                .filter(|id| viewer.can(crate::domain::roles::Permission::RecordVisits, *id))
        },
        |school_id| async move {
            match school_id {
                Some(id) => super::load_officers(id).await.unwrap_or_default(),
                None => Vec::new(),
            }
        },
    )
}

/// "Plan a home visit" on a case's page: the case's pupil, an officer, a day and the reason.
#[component]
pub fn PlanFromCase(
    school_id: Uuid,
    case_id: Uuid,
    pupil_id: Uuid,
    officers: Resource<Vec<Officer>>,
) -> impl IntoView {
    let plan = ServerAction::<PlanVisit>::new();
    let today = uk_time::today().to_string();
    view! {
        <h2>"Home visits"</h2>
        <details class="plan-visit" data-testid="plan-visit">
            <summary>"Plan a home visit"</summary>
            <ActionForm action=plan attr:class="stack">
                <input type="hidden" name="school_id" value=school_id.to_string() />
                <input type="hidden" name="pupil_id" value=pupil_id.to_string() />
                <input type="hidden" name="case_id" value=case_id.to_string() />
                <label for="visit-officer">"Who goes"</label>
                <Suspense fallback=|| view! { <p class="muted">"Loading who makes visits…"</p> }>
                    {move || Suspend::new(async move {
                        let officers = officers.await;
                        view! {
                            <select id="visit-officer" name="officer_id">
                                {officers.into_iter().map(|o| view! {
                                    <option value=o.id.to_string()>{o.name}</option>
                                }).collect_view()}
                            </select>
                        }
                    })}
                </Suspense>
                <label for="visit-day">"Day"</label>
                <input id="visit-day" type="date" name="planned_on" value=today required />
                <label for="visit-reason">"Reason"</label>
                <input id="visit-reason" type="text" name="reason" required />
                <button type="submit">"Plan the visit"</button>
            </ActionForm>
            {move || plan.value().get().map(|r| match r {
                Ok(_) => view! { <p class="notice" role="status" data-testid="visit-planned">"Visit planned: it is on the officer's phone at their next sync, and on this timeline."</p> }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{error_message(&e)}</p> }.into_any(),
            })}
        </details>
    }
}

/// For a visit's entry on a case's timeline, a link to the visit.
pub fn timeline_link(
    school_id: Uuid,
    kind: &str,
    detail: &serde_json::Value,
) -> Option<impl IntoView + use<>> {
    let visit_id = detail.get("visit_id")?.as_str()?;
    let visit_id = Uuid::parse_str(visit_id).ok()?;
    kind.starts_with("visit").then(|| {
        view! { <p><A href=format!("/visits/{visit_id}?school={school_id}")>"Open the visit"</A></p> }
    })
}

#[component]
pub fn VisitPage() -> impl IntoView {
    view! {
        <Title text="Home visit" />
        <SignedIn page=|viewer| view! { <OneVisit viewer /> } />
    }
}

#[component]
fn OneVisit(viewer: crate::auth::Viewer) -> impl IntoView {
    let school = crate::components::signed_in::chosen_school(&viewer);
    let params = use_params_map();
    let save = ServerAction::<SaveVisitRecord>::new();
    let visit = Resource::new(
        move || {
            (
                school.get().map(|s| s.id),
                params
                    .read()
                    .get("id")
                    .and_then(|id| Uuid::parse_str(&id).ok()),
                save.version().get(),
            )
        },
        |(school_id, visit_id, _)| async move {
            match (school_id, visit_id) {
                (Some(school_id), Some(visit_id)) => {
                    load_visit(school_id, visit_id).await.map(Some)
                }
                _ => Ok(None),
            }
        },
    );
    view! {
        <section class="panel">
            <Transition fallback=|| view! { <p class="muted">"Loading the visit…"</p> }>
                {move || Suspend::new(async move {
                    match visit.await {
                        Ok(Some(visit)) => view! { <OfficeVisit visit save /> }.into_any(),
                        Ok(None) => view! { <p>"There is no such visit."</p> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{error_message(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
            {move || save.value().get().map(|r| match r {
                Ok(Saved::Revision(_)) => view! { <p class="notice" role="status" data-testid="record-saved">"Record saved."</p> }.into_any(),
                Ok(Saved::Conflict) => view! { <p class="warning" role="alert" data-testid="record-conflict">"Someone saved this record first: your version is kept beside theirs as a conflict to resolve on My visits."</p> }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{error_message(&e)}</p> }.into_any(),
            })}
        </section>
    }
}

/// One visit in the office: the facts, and the record to edit (based on its revision).
#[component]
fn OfficeVisit(visit: Visit, save: ServerAction<SaveVisitRecord>) -> impl IntoView {
    let record = RwSignal::new(visit.record.clone().unwrap_or_default());
    let (school_id, visit_id, revision) = (visit.school_id, visit.id, visit.revision);
    let field = move |label: &'static str,
                      get: fn(&VisitRecord) -> String,
                      set: fn(&mut VisitRecord, String)| {
        let fid = format!("office-{}", label.to_lowercase().replace(' ', "-"));
        view! {
            <label for=fid.clone()>{label}</label>
            <textarea id=fid rows="2" prop:value=move || record.with(get) on:input=move |e| record.update(|r| set(r, event_target_value(&e)))></textarea>
        }
    };
    view! {
        <div class="page-head">
            <h1>{format!("Home visit: {}", visit.pupil_name)}</h1>
            {visit.case_id.map(|id| view! { <A href=format!("/cases/{id}?school={school_id}")>"Back to the case"</A> })}
        </div>
        <dl class="case-facts">
            <dt>"Day"</dt><dd>{visit.planned_on.format("%a %-d %b %Y").to_string()}</dd>
            <dt>"Officer"</dt><dd>{visit.officer_name.clone()}</dd>
            <dt>"Reason"</dt><dd>{visit.reason.clone()}</dd>
            <dt>"Address"</dt><dd>{visit.address.clone()}</dd>
            <dt>"Status"</dt><dd>{visit.status.replace('_', " ")}</dd>
            <dt>"Revision"</dt><dd data-testid="revision">{revision}</dd>
        </dl>
        {if visit.notes_hidden {
            view! { <p class="muted" data-testid="notes-hidden">"A safeguarding concern was raised: the visit's notes are with the DSL only."</p> }.into_any()
        } else if visit.risk.is_none() {
            view! { <p class="muted">"Nothing can be recorded until the visit is risk assessed."</p> }.into_any()
        } else {
            view! {
                <form class="stack" data-testid="office-record" on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    save.dispatch(SaveVisitRecord { school_id, visit_id, base_revision: revision, record: record.get_untracked() });
                }>
                    <label class="check"><input type="checkbox" prop:checked=move || record.with(|r| r.child_seen) on:change=move |e| record.update(|r| r.child_seen = event_target_checked(&e)) />" Child seen"</label>
                    <label class="check"><input type="checkbox" prop:checked=move || record.with(|r| r.safe_and_well_checked) on:change=move |e| record.update(|r| r.safe_and_well_checked = event_target_checked(&e)) />" Safe and well check done"</label>
                    {field("Spoke with", |r| r.spoke_with.clone(), |r, v| r.spoke_with = v)}
                    {field("What was said", |r| r.what_was_said.clone(), |r, v| r.what_was_said = v)}
                    {field("Facts", |r| r.facts.clone(), |r, v| r.facts = v)}
                    {field("Professional opinion", |r| r.opinion.clone(), |r, v| r.opinion = v)}
                    {field("Agreed actions", |r| r.agreed_actions.clone(), |r, v| r.agreed_actions = v)}
                    {field("Next step", |r| r.next_step.clone(), |r, v| r.next_step = v)}
                    <button type="submit">"Save the record"</button>
                </form>
            }.into_any()
        }}
    }
}
