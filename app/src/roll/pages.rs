//! `/roll`: pupils leaving the roll. The deletions recorded, where each stands (cooling off,
//! leaving on a date, off the roll, cancelled), the deletion return to the local authority, and a
//! form to take a pupil off.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use super::{
    CancelDeletion, DeleteFromRoll, Deletion, DeletionReturnSent, MissingEducation, RollChanges,
    Standing, TenDayNoticeSent, load_roll_changes, load_ten_day_notice,
};
use crate::{
    auth::Viewer,
    components::{
        actions::on_success,
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
    domain::roll::{CONTINUOUS_ABSENCE_DAYS, DeletionGround},
};

fn short(date: NaiveDate) -> String {
    date.format("%a %-d %b %Y").to_string()
}

#[component]
pub fn RollPage() -> impl IntoView {
    view! {
        <Title text="Leaving the roll" />
        <SignedIn page=|viewer| view! { <Roll viewer /> } />
    }
}

/// The actions of the page, made once so the list can reload after each.
#[derive(Clone, Copy)]
struct Actions {
    notice_sent: ServerAction<TenDayNoticeSent>,
    delete: ServerAction<DeleteFromRoll>,
    cancel: ServerAction<CancelDeletion>,
    sent: ServerAction<DeletionReturnSent>,
}

#[component]
fn Roll(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let actions = Actions {
        notice_sent: ServerAction::new(),
        delete: ServerAction::new(),
        cancel: ServerAction::new(),
        sent: ServerAction::new(),
    };
    // The list reloads only after a change was saved: a refused one keeps the form as typed.
    let saved = RwSignal::new(0usize);
    let reload = move || saved.update(|n| *n += 1);
    on_success(*actions.notice_sent, reload);
    on_success(*actions.delete, reload);
    on_success(*actions.cancel, reload);
    on_success(*actions.sent, reload);
    let list = Resource::new(
        move || (school.get().map(|s| s.id), saved.get()),
        |(id, ..)| async move {
            match id {
                Some(id) => load_roll_changes(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let problem = move || {
        [
            actions.notice_sent.value().get().and_then(|r| r.err()),
            actions.cancel.value().get().and_then(|r| r.err()),
            actions.sent.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| error_message(&e))
    };
    view! {
        <div class="roll-changes">
            <section class="panel">
                <div class="page-head">
                    <h1>"Leaving the roll"</h1>
                    <SchoolPicker viewer=viewer.clone() school />
                </div>
                <p class="muted">
                    "A pupil comes off the roll only on one of the regulation's grounds, never backdated, and the local authority gets a deletion return for every deletion. Home education starts from the parent's written notice; keep the cooling-off period here."
                </p>
                <Show when=move || problem().is_some()>
                    <p class="error" role="alert" data-testid="roll-error">{problem}</p>
                </Show>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Ok(Some(list)) => view! {
                                <Missing list=list.clone() actions />
                                <h2>"Deletions"</h2>
                                <Deletions list=list.clone() actions />
                                {list.can_delete.then(|| view! { <NewDeletion list=list.clone() actions /> })}
                            }.into_any(),
                            Ok(None) => view! { <crate::components::errors::NoSchool /> }.into_any(),
                            Err(error) => view! {
                                <p class="error" role="alert">{error_message(&error)}</p>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
}

fn notice_link(school_id: Uuid, pupil_id: Uuid) -> String {
    format!("/roll/ten-day/{pupil_id}?school={school_id}")
}

/// Pupils whose run of unexplained absence reached the school's ten-day notice.
#[component]
fn Missing(list: RollChanges, actions: Actions) -> impl IntoView {
    let RollChanges {
        school_id,
        cme_days,
        can_send_notice,
        missing,
        ..
    } = list;
    let heading = format!("Ten-day notices: {cme_days} or more school days of unexplained absence");
    if missing.is_empty() {
        return view! {
            <h2>{heading}</h2>
            <p data-testid="no-missing">"No pupil has a run of unexplained absence that long."</p>
        }
        .into_any();
    }
    view! {
        <h2>{heading}</h2>
        <table class="roll-missing" data-testid="missing-education">
            <thead>
                <tr>
                    <th scope="col">"Pupil"</th>
                    <th scope="col">"Unexplained absence"</th>
                    <th scope="col">"Notice to the local authority"</th>
                </tr>
            </thead>
            <tbody>
                {missing.into_iter().map(|pupil: MissingEducation| {
                    let sent = pupil.notice_sent_on;
                    view! {
                        <tr data-testid="missing" data-sent=sent.is_some().to_string()>
                            <td>
                                <strong>{pupil.pupil_name.clone()}</strong>
                                <span class="muted">" " {pupil.form.clone()}</span>
                            </td>
                            <td>{format!("{} school days since {}", pupil.run_days, short(pupil.run_from))}</td>
                            <td>
                                <a href=notice_link(school_id, pupil.pupil_id)>"Print the notice"</a>
                                {sent.map(|on| view! { <span class="badge">{format!("Sent {}", short(on))}</span> })}
                                {(sent.is_none() && can_send_notice).then(|| view! {
                                    <ActionForm action=actions.notice_sent attr:class="inline-form">
                                        <input type="hidden" name="school_id" value=school_id.to_string() />
                                        <input type="hidden" name="pupil_id" value=pupil.pupil_id.to_string() />
                                        <button type="submit" class="quiet">"Mark notice sent"</button>
                                    </ActionForm>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Deletions(list: RollChanges, actions: Actions) -> impl IntoView {
    if list.deletions.is_empty() {
        return view! { <p data-testid="no-deletions">"No pupil has been taken off the roll here."</p> }
            .into_any();
    }
    let RollChanges {
        school_id,
        today,
        can_delete,
        ..
    } = list;
    view! {
        <table class="roll-deletions" data-testid="roll-deletions">
            <thead>
                <tr>
                    <th scope="col">"Pupil"</th>
                    <th scope="col">"Ground"</th>
                    <th scope="col">"Where it stands"</th>
                    <th scope="col">"Deletion return"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .deletions
                    .into_iter()
                    .map(|deletion| view! { <DeletionRow school_id today deletion can_delete actions /> })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn DeletionRow(
    school_id: Uuid,
    today: NaiveDate,
    deletion: Deletion,
    can_delete: bool,
    actions: Actions,
) -> impl IntoView {
    let standing = deletion.standing(today);
    let (state, words) = match standing {
        Standing::Cancelled => (
            "cancelled",
            format!(
                "Cancelled: {}",
                deletion.cancel_reason.clone().unwrap_or_default()
            ),
        ),
        Standing::CoolingOff(until) => (
            "cooling-off",
            format!(
                "Cooling off until {}; leaves the roll on {}",
                short(until),
                short(deletion.deleted_on)
            ),
        ),
        Standing::Leaving(on) => ("leaving", format!("Leaves the roll on {}", short(on))),
        Standing::OffRoll => (
            "off-roll",
            format!("Off the roll since {}", short(deletion.deleted_on)),
        ),
    };
    let may_cancel =
        can_delete && matches!(standing, Standing::CoolingOff(_) | Standing::Leaving(_));
    let may_send =
        can_delete && standing != Standing::Cancelled && deletion.return_sent_on.is_none();
    let notice = deletion
        .notice_on
        .map(|on| format!("Parent's notice dated {}. ", short(on)));
    view! {
        <tr data-state=state data-testid="deletion">
            <td>
                <strong>{deletion.pupil_name.clone()}</strong>
                <span class="muted">" " {deletion.form.clone()}</span>
                <br />
                <span class="muted">"UPN " {deletion.upn.clone()}</span>
            </td>
            <td>
                {deletion.ground.label()}
                <br />
                <span class="muted">{notice} {deletion.note.clone()}</span>
                <br />
                <span class="muted">{format!("Recorded by {} on {}", deletion.recorded_by, crate::uk_time::date(deletion.recorded_at))}</span>
            </td>
            <td>
                <span class="roll-standing">{words}</span>
                {may_cancel.then(|| view! {
                    <ActionForm action=actions.cancel attr:class="inline-form">
                        <input type="hidden" name="school_id" value=school_id.to_string() />
                        <input type="hidden" name="deletion_id" value=deletion.id.to_string() />
                        <label>"Reason to keep on roll" <input type="text" name="reason" required maxlength="500" /></label>
                        <button type="submit" class="quiet">"Keep on roll"</button>
                    </ActionForm>
                })}
            </td>
            <td>
                {deletion.return_sent_on.map(|on| format!("Sent {}", short(on)))}
                {may_send.then(|| view! {
                    <ActionForm action=actions.sent attr:class="inline-form">
                        <input type="hidden" name="school_id" value=school_id.to_string() />
                        <input type="hidden" name="deletion_id" value=deletion.id.to_string() />
                        <button type="submit" class="quiet">"Mark return sent"</button>
                    </ActionForm>
                })}
                {(!may_send && deletion.return_sent_on.is_none()).then_some(
                    if standing == Standing::Cancelled { "Not needed: cancelled" } else { "Not sent" },
                )}
            </td>
        </tr>
    }
}

#[component]
fn NewDeletion(list: RollChanges, actions: Actions) -> impl IntoView {
    let ground = RwSignal::new(DeletionGround::AnotherSchool);
    let home_education = move || ground.get() == DeletionGround::HomeEducation;
    let error = move || {
        actions
            .delete
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_message(&e))
    };
    // Cleared once a deletion is recorded; a refused one keeps what was typed.
    let form = NodeRef::<leptos::html::Form>::new();
    on_success(*actions.delete, move || {
        if let Some(form) = form.get_untracked() {
            form.reset();
            ground.set(DeletionGround::AnotherSchool);
        }
    });
    let today = list.today.to_string();
    let notice_max = today.clone();
    view! {
        <section class="roll-new" aria-labelledby="roll-new-title">
            <h2 id="roll-new-title">"Take a pupil off the roll"</h2>
            <Show when=move || error().is_some()>
                <p class="error" role="alert" data-testid="deletion-error">{error}</p>
            </Show>
            <ActionForm action=actions.delete node_ref=form attr:class="roll-form" attr:data-testid="new-deletion">
                <input type="hidden" name="school_id" value=list.school_id.to_string() />
                <label>"Pupil"
                    <select name="pupil_id" required>
                        <option value="">"Choose a pupil"</option>
                        {list.pupils.into_iter().map(|pupil| view! {
                            <option value=pupil.id.to_string()>{format!("{} ({})", pupil.name, pupil.form)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Ground"
                    <select name="ground" required on:change=move |event| {
                        if let Some(chosen) = DeletionGround::from_key(&event_target_value(&event)) {
                            ground.set(chosen);
                        }
                    }>
                        {DeletionGround::ALL.into_iter().map(|choice| view! {
                            <option value=choice.key()>{choice.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <p class="muted">
                    {format!("Absent {CONTINUOUS_ABSENCE_DAYS} continuous school days is checked against the register: every session of each day G, N or O.")}
                </p>
                <Show when=home_education>
                    <div class="roll-dates">
                        <label>"Parent's written notice dated" <input type="date" name="notice_on" max=notice_max.clone() required /></label>
                        <label>"Cooling off until (optional)" <input type="date" name="cooling_off_until" /></label>
                    </div>
                </Show>
                <Show when=move || !home_education()>
                    <input type="hidden" name="notice_on" value="" />
                    <input type="hidden" name="cooling_off_until" value="" />
                </Show>
                <label>"First day off the roll" <input type="date" name="deleted_on" min=today.clone() value=today.clone() required /></label>
                <label>"Note: enquiries made, the new school, what the parent wrote"
                    <textarea name="note" required maxlength="2000" rows="3"></textarea>
                </label>
                <button type="submit">"Take off the roll"</button>
            </ActionForm>
        </section>
    }
}

/// `/roll/ten-day/:pupil_id`: the ten-day notice to the local authority, ready to print.
#[component]
pub fn TenDayNoticePage() -> impl IntoView {
    view! {
        <Title text="Ten-day notice" />
        <SignedIn page=|viewer| view! { <TenDay viewer /> } />
    }
}

#[component]
fn TenDay(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let params = use_params_map();
    let notice = Resource::new(
        move || {
            (
                school.get().map(|s| s.id),
                params
                    .read()
                    .get("pupil_id")
                    .and_then(|id| Uuid::parse_str(&id).ok()),
            )
        },
        |(school, pupil)| async move {
            match (school, pupil) {
                (Some(school), Some(pupil)) => load_ten_day_notice(school, pupil).await.map(Some),
                _ => Ok(None),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading the notice…"</p> }>
            {move || Suspend::new(async move {
                match notice.await {
                    Ok(Some(notice)) => view! { <Notice notice /> }.into_any(),
                    Ok(None) => view! { <p class="error" role="alert">"Choose a school and a pupil."</p> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error_message(&error)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Notice(notice: super::TenDayNotice) -> impl IntoView {
    let days = notice.run.len();
    let back = format!("/roll?school={}", notice.school_id);
    view! {
        <article class="ten-day-notice" data-testid="ten-day-notice">
            <div class="leave-notice-actions">
                <a href=back>"Back to leaving the roll"</a>
                <button type="button" onclick="window.print()">"Print"</button>
            </div>
            <p class="leave-notice-school">{notice.school_name.clone()}</p>
            <h1>"Notice to the local authority: child missing education"</h1>
            <p>
                {format!(
                    "{} has been absent without explanation for {days} consecutive school days, from {} to {}. The school has not been able to establish where the child is or why they are absent.",
                    notice.pupil_name,
                    short(notice.run_from),
                    short(notice.run.last().map(|day| day.date).unwrap_or(notice.run_from)),
                )}
            </p>
            <dl class="leave-notice-facts">
                <dt>"Pupil"</dt><dd>{notice.pupil_name.clone()}</dd>
                <dt>"UPN"</dt><dd>{notice.upn.clone()}</dd>
                <dt>"Date of birth"</dt><dd>{notice.date_of_birth.format("%-d %B %Y").to_string()}</dd>
                <dt>"Year and form"</dt><dd>{format!("{} {}", notice.year, notice.form)}</dd>
                <dt>"Notice"</dt>
                <dd>{match notice.sent_on {
                    Some(on) => format!("Sent to the local authority on {}", short(on)),
                    None => format!("Prepared on {}; not yet marked sent", short(notice.today)),
                }}</dd>
            </dl>
            <h2>"Parents and carers"</h2>
            <ul class="notice-contacts">
                {notice.contacts.into_iter().map(|contact| view! {
                    <li>
                        <strong>{contact.name}</strong> " (" {contact.relationship} ")"
                        <br />
                        {[contact.phones, contact.email, contact.address].into_iter().filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" · ")}
                    </li>
                }).collect_view()}
            </ul>
            <h2>"The register"</h2>
            <table class="notice-run" data-testid="notice-run">
                <thead><tr><th scope="col">"Day"</th><th scope="col">"AM"</th><th scope="col">"PM"</th></tr></thead>
                <tbody>
                    {notice.run.into_iter().map(|day| view! {
                        <tr><td>{short(day.date)}</td><td>{day.am}</td><td>{day.pm}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h2>"Attempts to reach the family"</h2>
            {if notice.attempts.is_empty() {
                view! { <p data-testid="notice-attempts">"None recorded since the absence began."</p> }.into_any()
            } else {
                view! {
                    <ul data-testid="notice-attempts">
                        {notice.attempts.into_iter().map(|attempt| view! {
                            <li>
                                {format!(
                                    "{}: {} {} — {}{}",
                                    crate::uk_time::date_time(attempt.recorded_at),
                                    crate::calling::method_label(&attempt.method),
                                    attempt.contact_name,
                                    crate::calling::outcome_label(&attempt.outcome),
                                    if attempt.note.is_empty() { String::new() } else { format!(": {}", attempt.note) },
                                )}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <h2>"What the school has done"</h2>
            {if notice.case_events.is_empty() {
                view! { <p data-testid="notice-case">"No case entries since the absence began."</p> }.into_any()
            } else {
                view! {
                    <ul data-testid="notice-case">
                        {notice.case_events.into_iter().map(|event| view! {
                            <li>{format!("{}: {}", crate::uk_time::date(event.at), event.summary)}</li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <p class="leave-notice-sign">"Signed ……………………………… for the school"</p>
        </article>
    }
}
