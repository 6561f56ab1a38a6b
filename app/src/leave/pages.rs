//! `/leave`: the school's leave of absence requests, a form for a new one, decisions and refused
//! leave recorded as taken; `/leave/:id`: the printable decision notice for the parent.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};
use uuid::Uuid;

use super::{
    Coded, DecideLeave, LeaveList, LeaveNotice, LeaveRequest, PupilChoice, RecordLeaveRequest,
    RecordLeaveTaken, load_leave, load_leave_notice,
};
use crate::{
    auth::Viewer,
    components::{
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
    domain::leave::{Decision, Ground},
};

fn notice_link(school_id: Uuid, request_id: Uuid) -> String {
    format!("/leave/{request_id}?school={school_id}")
}

fn long(date: NaiveDate) -> String {
    date.format("%A %-d %B %Y").to_string()
}

#[component]
pub fn LeavePage() -> impl IntoView {
    view! {
        <Title text="Leave of absence" />
        <SignedIn page=|viewer| view! { <Leave viewer /> } />
    }
}

#[component]
fn Leave(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let record = ServerAction::<RecordLeaveRequest>::new();
    let decide = ServerAction::<DecideLeave>::new();
    let taken = ServerAction::<RecordLeaveTaken>::new();
    let list = Resource::new(
        move || {
            (
                school.get().map(|s| s.id),
                record.version().get(),
                decide.version().get(),
                taken.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => load_leave(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let coded_words = |result: Option<Result<Coded, ServerFnError>>, what: &str| {
        result.map(|r| match r {
            Ok(coded) => Ok(format!(
                "{what}: {} session(s) coded on the register, {} kept as they were.",
                coded.coded, coded.kept
            )),
            Err(error) => Err(error_message(&error)),
        })
    };
    // The list reloads in place after a request is recorded, keeping the form's elements: the
    // form is cleared once per recorded request.
    let last_reset = StoredValue::new(0usize);
    let record_error = move || {
        record
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_message(&e))
    };
    let decide_result = move || coded_words(decide.value().get(), "Decision saved");
    let taken_result = move || coded_words(taken.value().get(), "Recorded as taken");
    let message = move |result: Option<Result<String, String>>| match result {
        Some(Ok(words)) => view! { <p class="leave-done" role="status">{words}</p> }.into_any(),
        Some(Err(words)) => {
            view! { <p class="error" role="alert" data-testid="leave-error">{words}</p> }.into_any()
        }
        None => ().into_any(),
    };
    view! {
        <div class="leave">
            <section class="panel">
                <div class="page-head">
                    <h1>"Leave of absence"</h1>
                    <SchoolPicker viewer=viewer.clone() school />
                </div>
                <p class="muted">
                    "Leave can be granted only for a regulated performance or employment abroad (C1), an interview (J1), study leave (S), an agreed reduced timetable (C2) or exceptional circumstances (C). Term-time holiday cannot be authorised; holiday taken after a refusal is G."
                </p>
                {move || message(decide_result())}
                {move || message(taken_result())}
                <Transition fallback=|| view! { <p class="muted">"Loading requests…"</p> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Ok(Some(list)) => view! {
                                <Requests list=list.clone() decide taken />
                                <NewRequest list record last_reset error=Signal::derive(record_error) />
                            }.into_any(),
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
        </div>
    }
}

#[component]
fn Requests(
    list: LeaveList,
    decide: ServerAction<DecideLeave>,
    taken: ServerAction<RecordLeaveTaken>,
) -> impl IntoView {
    if list.requests.is_empty() {
        return view! { <p data-testid="no-leave">"No requests yet."</p> }.into_any();
    }
    let school_id = list.school_id;
    let (can_decide, can_record_taken) = (list.can_decide, list.can_record_taken);
    view! {
        <table class="leave-requests" data-testid="leave-requests">
            <thead>
                <tr>
                    <th scope="col">"Pupil"</th>
                    <th scope="col">"Dates"</th>
                    <th scope="col">"Ground"</th>
                    <th scope="col">"Parent's reason"</th>
                    <th scope="col">"Decision"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .requests
                    .into_iter()
                    .map(|request| view! { <RequestRow school_id request can_decide can_record_taken decide taken /> })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn RequestRow(
    school_id: Uuid,
    request: LeaveRequest,
    can_decide: bool,
    can_record_taken: bool,
    decide: ServerAction<DecideLeave>,
    taken: ServerAction<RecordLeaveTaken>,
) -> impl IntoView {
    let id = request.id.to_string();
    let school = school_id.to_string();
    let pending = request.decision == Decision::Pending;
    let may_take = request.decision == Decision::Refused
        && request.taken_recorded_at.is_none()
        && can_record_taken;
    let decision = match request.decision {
        Decision::Pending => "Awaiting a decision".to_string(),
        decided => format!(
            "{} by {}: {}",
            decided.label(),
            request.decided_by.clone().unwrap_or_default(),
            request.decision_reason.clone().unwrap_or_default()
        ),
    };
    let taken_words = request.taken_recorded_at.map(|_| {
        format!(
            "Taken: {} session(s) recorded as G.",
            request.sessions_coded
        )
    });
    let approved_words = (request.decision == Decision::Approved).then(|| {
        format!(
            "{} session(s) coded {}.",
            request.sessions_coded,
            request.ground.key()
        )
    });
    view! {
        <tr data-decision=request.decision.key()>
            <td>
                <strong>{request.pupil_name.clone()}</strong>
                <span class="muted">" " {request.form.clone()}</span>
                <br />
                <span class="muted">"Asked by " {request.parent_name.clone()} ", received " {request.received_on.format("%-d %b %Y").to_string()}</span>
            </td>
            <td>{request.range_words()}</td>
            <td>{request.ground.label()}</td>
            <td class="leave-reason">{request.parent_reason.clone()}</td>
            <td class="leave-decision">
                <p>{decision}</p>
                {approved_words.map(|words| view! { <p class="muted">{words}</p> })}
                {taken_words.map(|words| view! { <p class="muted">{words}</p> })}
                {(!pending).then(|| view! {
                    <A href=notice_link(school_id, request.id) attr:class="button quiet">"Decision notice"</A>
                })}
                {(pending && can_decide).then(|| {
                    let (school, id) = (school.clone(), id.clone());
                    view! {
                        <ActionForm action=decide attr:class="stack leave-decide" attr:data-testid="decide-leave">
                            <input type="hidden" name="school_id" value=school />
                            <input type="hidden" name="request_id" value=id />
                            <fieldset class="leave-choice">
                                <legend>"Decision"</legend>
                                <label><input type="radio" name="decision" value="approve" required />" Approve"</label>
                                <label><input type="radio" name="decision" value="refuse" />" Refuse"</label>
                            </fieldset>
                            <label>"Reason, for the parent's letter" <textarea name="reason" required maxlength="2000" rows="2"></textarea></label>
                            <button type="submit">"Save the decision"</button>
                        </ActionForm>
                    }
                })}
                {(pending && !can_decide).then(|| view! {
                    <p class="muted">"Only a person the school has authorised (the school administrator or attendance lead) may decide."</p>
                })}
                {may_take.then(|| view! {
                    <ActionForm action=taken attr:class="inline-form" attr:data-testid="record-taken">
                        <input type="hidden" name="school_id" value=school.clone() />
                        <input type="hidden" name="request_id" value=id.clone() />
                        <button type="submit" class="quiet">"Record as taken (N and O become G)"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}

#[component]
fn NewRequest(
    list: LeaveList,
    record: ServerAction<RecordLeaveRequest>,
    last_reset: StoredValue<usize>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let pupils: StoredValue<Vec<PupilChoice>> = StoredValue::new(list.pupils.clone());
    let chosen = RwSignal::new(None::<Uuid>);
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        let version = record.version().get();
        let recorded = matches!(record.value().get(), Some(Ok(())));
        if recorded
            && version != last_reset.get_value()
            && let Some(form) = form.get()
        {
            form.reset();
            last_reset.set_value(version);
        }
    });
    let today = list.today.to_string();
    view! {
        <section class="leave-new" aria-labelledby="leave-new-title">
            <h2 id="leave-new-title">"Record a request"</h2>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert" data-testid="request-error">{move || error.get()}</p>
            </Show>
            <ActionForm action=record node_ref=form attr:class="leave-form" attr:data-testid="new-leave">
                <input type="hidden" name="school_id" value=list.school_id.to_string() />
                <label>"Pupil"
                    <select name="pupil_id" required on:change=move |event| {
                        chosen.set(Uuid::parse_str(&event_target_value(&event)).ok());
                    }>
                        <option value="">"Choose a pupil"</option>
                        {pupils.get_value().into_iter().map(|pupil| view! {
                            <option value=pupil.id.to_string()>{format!("{} ({})", pupil.name, pupil.form)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Parent or carer who asked"
                    <select name="contact_id" required>
                        {move || {
                            let parents = chosen
                                .get()
                                .and_then(|id| pupils.with_value(|all| all.iter().find(|p| p.id == id).map(|p| p.parents.clone())))
                                .unwrap_or_default();
                            if parents.is_empty() {
                                view! { <option value="">"Choose the pupil first"</option> }.into_any()
                            } else {
                                parents.into_iter().map(|parent| view! {
                                    <option value=parent.id.to_string()>{parent.name}</option>
                                }).collect_view().into_any()
                            }
                        }}
                    </select>
                </label>
                <div class="leave-dates">
                    <label>"First day" <input type="date" name="first_date" required /></label>
                    <label>"from"
                        <select name="first_session">
                            <option value="AM">"the morning"</option>
                            <option value="PM">"the afternoon"</option>
                        </select>
                    </label>
                    <label>"Last day" <input type="date" name="last_date" required /></label>
                    <label>"to the end of"
                        <select name="last_session">
                            <option value="PM">"the afternoon"</option>
                            <option value="AM">"the morning"</option>
                        </select>
                    </label>
                </div>
                <label>"Ground"
                    <select name="ground" required>
                        {Ground::ALL.into_iter().map(|ground| view! {
                            <option value=ground.key()>{ground.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"The parent's reason" <textarea name="parent_reason" required maxlength="2000" rows="3"></textarea></label>
                <label>"Received on" <input type="date" name="received_on" value=today.clone() max=today required /></label>
                <button type="submit">"Record the request"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn LeaveDecisionPage() -> impl IntoView {
    view! {
        <Title text="Leave of absence decision" />
        <SignedIn page=|viewer| view! { <DecisionNotice viewer /> } />
    }
}

#[component]
fn DecisionNotice(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let params = use_params_map();
    let notice = Resource::new(
        move || {
            (
                school.get().map(|s| s.id),
                params
                    .read()
                    .get("id")
                    .and_then(|id| Uuid::parse_str(&id).ok()),
            )
        },
        |(school, id)| async move {
            match (school, id) {
                (Some(school), Some(id)) => load_leave_notice(school, id).await.map(Some),
                _ => Ok(None),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the notice…"</p> }>
            {move || Suspend::new(async move {
                match notice.await {
                    Ok(Some(notice)) => view! { <NoticeSheet notice /> }.into_any(),
                    Ok(None) => view! { <p>"There is no such request."</p> }.into_any(),
                    Err(error) => view! {
                        <p class="error" role="alert">{error_message(&error)}</p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NoticeSheet(notice: LeaveNotice) -> impl IntoView {
    let request = notice.request;
    let decided_on = request
        .decided_at
        .map(|at| long(at.date_naive()))
        .unwrap_or_else(|| "not yet decided".to_string());
    let outcome = match request.decision {
        Decision::Approved => format!(
            "The school has approved this leave of absence on the ground of {}. The sessions will be recorded as authorised absence (code {}).",
            request.ground.label(),
            request.ground.key()
        ),
        Decision::Refused => "The school has refused this request. If your child is absent on these dates, the absence will be recorded as unauthorised (code G, holiday not granted by the school) and may lead to a penalty notice from the local authority.".to_string(),
        Decision::Pending => "The school has not yet decided this request.".to_string(),
    };
    view! {
        <article class="panel leave-notice" data-testid="leave-notice">
            <div class="leave-notice-actions">
                <A href="/leave" attr:class="button quiet">"Back to requests"</A>
                <button type="button" on:click=|_| { let _ = window().print(); }>"Print"</button>
            </div>
            <header>
                <p class="leave-notice-school">{notice.school_name}</p>
                <h1>"Leave of absence: the school's decision"</h1>
                <p>{decided_on}</p>
            </header>
            <p>"Dear " {request.parent_name.clone()} ","</p>
            <p>
                "Thank you for your request, received on " {long(request.received_on)}
                ", for leave of absence for " <strong>{request.pupil_name.clone()}</strong>
                {(!request.form.is_empty()).then(|| format!(" ({})", request.form))}
                " from " {long(request.first_date)} " (" {request.first_session.label().to_lowercase()} ") to "
                {long(request.last_date)} " (" {request.last_session.label().to_lowercase()} ")."
            </p>
            <dl class="leave-notice-facts">
                <dt>"Your reason"</dt><dd>{request.parent_reason.clone()}</dd>
                <dt>"Decision"</dt><dd data-testid="notice-decision">{request.decision.label()}</dd>
                <dt>"The school's reason"</dt><dd>{request.decision_reason.clone().unwrap_or_default()}</dd>
            </dl>
            <p>{outcome}</p>
            <p>"Leave of absence may be granted only in the circumstances set out in the School Attendance (Pupil Registration) (England) Regulations 2024, by a person the school has authorised."</p>
            <p class="leave-notice-sign">"Yours sincerely," <br /> {request.decided_by.clone().unwrap_or_default()}</p>
        </article>
    }
}
