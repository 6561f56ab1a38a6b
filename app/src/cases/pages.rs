//! The caseload (/cases) and one case (/cases/:id): the pupil, stage, owner, the figures that
//! triggered it, the timeline in date order, proposals to accept or override with a reason, and
//! notes.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};
use uuid::Uuid;

use super::{
    AddCaseNote, AddCaseTask, AnswerProposal, CaseDetail, CaseEvent, CaseLine, CaseTask,
    CaseTaskDone, CloseCase, ReassignCase, SaveCasePolicy, load_case, load_case_policy,
    load_case_workers, load_caseload,
};
use crate::{
    auth::Viewer,
    components::{
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
    domain::triggers::{CasePolicy, hundredths},
};

fn case_link(school_id: Uuid, case_id: Uuid) -> String {
    format!("/cases/{case_id}?school={school_id}")
}

fn attendance_text(attendance: Option<i32>) -> String {
    attendance.map_or_else(|| "–".to_string(), hundredths)
}

fn stage_text(line: &CaseLine) -> String {
    let label = line.stage.label();
    let mut chars = label.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

#[component]
pub fn CasesPage() -> impl IntoView {
    view! {
        <Title text="Cases" />
        <SignedIn page=|viewer| view! { <Caseload viewer /> } />
    }
}

#[component]
fn Caseload(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let query = use_query_map();
    let mine = Memo::new(move |_| query.read().get("all").is_none());
    let cases = Resource::new(
        move || (school.get().map(|s| s.id), mine.get()),
        |(id, mine)| async move {
            match id {
                Some(id) => load_caseload(id, mine).await.map(|cases| Some((id, cases))),
                None => Ok(None),
            }
        },
    );
    view! {
        <section class="panel">
            <div class="page-head">
                <h1>"Cases"</h1>
                <SchoolPicker viewer=viewer.clone() school />
            </div>
            <p class="muted">
                "Open cases, most urgent first: the most serious stage, then the lowest attendance this academic year."
            </p>
            <nav class="case-filter">
                {move || school.get().map(|s| {
                    let id = s.id;
                    view! {
                        <A href=format!("/cases?school={id}")>"My cases"</A>
                        " · "
                        <A href=format!("/cases?school={id}&all=1")>"All cases at the school"</A>
                    }
                })}
            </nav>
            <Transition fallback=|| view! { <p class="muted">"Loading cases…"</p> }>
                {move || Suspend::new(async move {
                    match cases.await {
                        Ok(Some((school_id, cases))) if cases.is_empty() => view! {
                            <p data-testid="no-cases">
                                {if mine.get_untracked() { "You have no open cases." } else { "There are no open cases at this school." }}
                                " "
                                <A href=format!("/cases?school={school_id}&all=1")>"See all cases"</A>
                            </p>
                        }.into_any(),
                        Ok(Some((school_id, cases))) => view! { <CaseTable school_id cases /> }.into_any(),
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
    }
}

#[component]
fn CaseTable(school_id: Uuid, cases: Vec<CaseLine>) -> impl IntoView {
    view! {
        <table data-testid="caseload">
            <thead>
                <tr>
                    <th scope="col">"Pupil"</th>
                    <th scope="col">"Form"</th>
                    <th scope="col">"Stage"</th>
                    <th scope="col">"Attendance"</th>
                    <th scope="col">"Why"</th>
                    <th scope="col">"Owner"</th>
                    <th scope="col">"Tasks due"</th>
                    <th scope="col">"To answer"</th>
                </tr>
            </thead>
            <tbody>
                {cases.into_iter().map(|line| {
                    let stage = stage_text(&line);
                    view! {
                        <tr>
                            <td><A href=case_link(school_id, line.id)>{line.pupil_name.clone()}</A></td>
                            <td>{line.form.clone()}</td>
                            <td>{stage}</td>
                            <td>{attendance_text(line.attendance)}</td>
                            <td class="case-why">{line.why.clone()}</td>
                            <td>{line.owner_name.clone().unwrap_or_else(|| "Unassigned".to_string())}</td>
                            <td class={if line.tasks_due > 0 { "warn" } else { "" }}>{line.tasks_due}</td>
                            <td>{line.open_proposals}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn CasePage() -> impl IntoView {
    view! {
        <Title text="Case" />
        <SignedIn page=|viewer| view! { <OneCase viewer /> } />
    }
}

#[component]
fn OneCase(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let params = use_params_map();
    let case_id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| Uuid::parse_str(&id).ok())
    });
    let answer = ServerAction::<AnswerProposal>::new();
    let note = ServerAction::<AddCaseNote>::new();
    // Who may be sent on a home visit, for "Plan a home visit"; made here, at the top, so it
    // hydrates.
    let officers = crate::visits::pages::officers_resource(&viewer, school);
    let school_id = Memo::new(move |_| school.get().map(|s| s.id));
    let letters = crate::letters::CaseLettersState::new(school_id, case_id);
    let meetings = crate::meetings::MeetingsState::new(school_id, case_id);
    let manage = Management {
        workers: Resource::new(
            move || school_id.get(),
            |school_id| async move {
                match school_id {
                    Some(school_id) => load_case_workers(school_id).await,
                    None => Ok(Vec::new()),
                }
            },
        ),
        reassign: ServerAction::<ReassignCase>::new(),
        close: ServerAction::<CloseCase>::new(),
        add_task: ServerAction::<AddCaseTask>::new(),
        task_done: ServerAction::<CaseTaskDone>::new(),
    };
    let case = Resource::new(
        move || {
            (
                school.get().map(|s| s.id),
                case_id.get(),
                answer.version().get(),
                note.version().get(),
                manage.reassign.version().get(),
                manage.close.version().get(),
                manage.add_task.version().get(),
                manage.task_done.version().get(),
            )
        },
        |(school_id, case_id, ..)| async move {
            match (school_id, case_id) {
                (Some(school_id), Some(case_id)) => load_case(school_id, case_id)
                    .await
                    .map(|c| Some((school_id, c))),
                _ => Ok(None),
            }
        },
    );
    let answer_error = move || {
        answer
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_message(&e))
    };
    let note_error = move || {
        note.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_message(&e))
    };
    view! {
        <section class="panel">
            <Transition fallback=|| view! { <p class="muted">"Loading the case…"</p> }>
                {move || Suspend::new(async move {
                    match case.await {
                        Ok(Some((school_id, detail))) => view! {
                            <CaseView school_id detail answer note officers letters meetings manage />
                        }.into_any(),
                        Ok(None) => view! { <p>"There is no such case."</p> }.into_any(),
                        Err(error) => view! {
                            <p class="error" role="alert">{error_message(&error)}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
            <Show when=move || answer_error().is_some()>
                <p class="error" role="alert">{answer_error}</p>
            </Show>
            <Show when=move || note_error().is_some()>
                <p class="error" role="alert">{note_error}</p>
            </Show>
        </section>
    }
}

#[component]
fn CaseView(
    school_id: Uuid,
    detail: CaseDetail,
    answer: ServerAction<AnswerProposal>,
    note: ServerAction<AddCaseNote>,
    officers: Resource<Vec<crate::visits::Officer>>,
    letters: crate::letters::CaseLettersState,
    meetings: crate::meetings::MeetingsState,
    manage: Management,
) -> impl IntoView {
    let CaseDetail {
        case,
        closed_at,
        events,
        tasks,
        can_work,
    } = detail;
    let stage = stage_text(&case);
    view! {
        <div class="page-head">
            <h1>{case.pupil_name.clone()}</h1>
            <A href=format!("/cases?school={school_id}")>"Back to cases"</A>
            <a class="button" href=super::evidence::evidence_pack_href(school_id, case.id) download="" rel="external" data-testid="evidence-pack">"Download evidence pack"</a>
        </div>
        <dl class="case-facts" data-testid="case-facts">
            <dt>"Form"</dt><dd>{case.form.clone()}</dd>
            <dt>"Stage"</dt><dd data-testid="case-stage">{stage}</dd>
            <dt>"Owner"</dt><dd>{case.owner_name.clone().unwrap_or_else(|| "Unassigned".to_string())}</dd>
            <dt>"Opened"</dt><dd>{crate::uk_time::date(case.opened_at)}</dd>
            <dt>"Attendance"</dt><dd>{attendance_text(case.attendance)}</dd>
            <dt>"Why"</dt><dd data-testid="case-why">{case.why.clone()}</dd>
            {closed_at.map(|at| view! { <dt>"Closed"</dt><dd>{crate::uk_time::date(at)}</dd> })}
            <dt>"Records"</dt>
            <dd>
                <A href=format!("/pupils/{}?school={school_id}", case.pupil_id)>"Pupil's record"</A>
                " · "
                <A href=format!("/pupils/{}/attendance?school={school_id}", case.pupil_id)>"Attendance record"</A>
            </dd>
        </dl>
        <CaseTasks school_id case_id=case.id owner_id=case.owner_id tasks can_add={can_work && closed_at.is_none()} can_work manage />
        <h2>"Timeline"</h2>
        <ol class="case-timeline" data-testid="timeline">
            {events.into_iter().map(|event| view! { <Event school_id event can_work answer /> }).collect_view()}
        </ol>
        <crate::letters::CaseLetters school_id case_id=case.id can_work state=letters />
        <crate::meetings::CaseMeetings school_id case_id=case.id can_work state=meetings />
        <Show when=move || can_work && closed_at.is_none()>
            <ManageCase school_id case_id=case.id manage />
        </Show>
        <Show when=move || can_work>
            <crate::visits::pages::PlanFromCase school_id case_id=case.id pupil_id=case.pupil_id officers />
        </Show>
        <Show when=move || can_work>
            <h2>"Add a note"</h2>
            <ActionForm action=note attr:class="stack" attr:data-testid="add-note">
                <input type="hidden" name="school_id" value=school_id.to_string() />
                <input type="hidden" name="case_id" value=case.id.to_string() />
                <label for="note-text">"Note"</label>
                <textarea id="note-text" name="text" rows="3" required></textarea>
                <label for="note-safeguarding">"Who sees it"</label>
                <select id="note-safeguarding" name="safeguarding">
                    <option value="false" selected>"Everyone who reads cases"</option>
                    <option value="true">"Safeguarding: only the designated safeguarding lead"</option>
                </select>
                <button type="submit">"Add note"</button>
            </ActionForm>
        </Show>
    }
}

/// Passing a case on and closing it, with the people it may go to; made at the top of the page
/// so the list hydrates.
#[derive(Clone, Copy)]
struct Management {
    workers: Resource<Result<Vec<(Uuid, String)>, ServerFnError>>,
    reassign: ServerAction<ReassignCase>,
    close: ServerAction<CloseCase>,
    add_task: ServerAction<AddCaseTask>,
    task_done: ServerAction<CaseTaskDone>,
}

#[component]
fn ManageCase(school_id: Uuid, case_id: Uuid, manage: Management) -> impl IntoView {
    let Management {
        workers,
        reassign,
        close,
        ..
    } = manage;
    let problem = move || {
        reassign
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| close.value().get().and_then(|r| r.err()))
            .map(|e| error_message(&e))
    };
    view! {
        <section class="case-manage" data-testid="case-manage">
            <h2>"Owner and closing"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match workers.await {
                        Ok(people) => view! {
                            <ActionForm action=reassign attr:class="inline-form" attr:data-testid="reassign-case">
                                <input type="hidden" name="school_id" value=school_id.to_string() />
                                <input type="hidden" name="case_id" value=case_id.to_string() />
                                <label for="case-owner">"Pass the case to"</label>
                                <select id="case-owner" name="owner_id">
                                    {people.into_iter().map(|(id, name)| view! {
                                        <option value=id.to_string()>{name}</option>
                                    }).collect_view()}
                                </select>
                                <button type="submit" class="quiet">"Pass on"</button>
                            </ActionForm>
                        }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error_message(&error)}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <ActionForm action=close attr:class="stack" attr:data-testid="close-case">
                <input type="hidden" name="school_id" value=school_id.to_string() />
                <input type="hidden" name="case_id" value=case_id.to_string() />
                <label for="close-reason">"Reason for closing the case"</label>
                <input id="close-reason" name="reason" type="text" required />
                <button type="submit" class="quiet">"Close the case"</button>
            </ActionForm>
            <Show when=move || problem().is_some()>
                <p class="error" role="alert">{problem}</p>
            </Show>
        </section>
    }
}

#[component]
fn Event(
    school_id: Uuid,
    event: CaseEvent,
    can_work: bool,
    answer: ServerAction<AnswerProposal>,
) -> impl IntoView {
    let open_proposal = can_work && event.kind == "proposed" && !event.answered;
    let id = event.id;
    let by = event.by_name.clone().map(|name| format!(" · {name}"));
    let class = if event.safeguarding {
        "case-event case-safeguarding"
    } else {
        "case-event"
    };
    view! {
        <li class=class data-kind=event.kind.clone()>
            <p class="muted">
                {crate::uk_time::date_time(event.at)}
                {by}
                {event.safeguarding.then_some(" · Safeguarding")}
                {(event.kind == "proposed" && event.answered).then_some(" · Answered")}
            </p>
            <p>{event.summary.clone()}</p>
            {crate::letters::timeline_link(school_id, &event.kind, &event.detail)}
            {crate::visits::pages::timeline_link(school_id, &event.kind, &event.detail)}
            <Show when=move || open_proposal>
                <div class="case-answer">
                    <ActionForm action=answer attr:class="inline-form">
                        <input type="hidden" name="school_id" value=school_id.to_string() />
                        <input type="hidden" name="proposal_id" value=id.to_string() />
                        <input type="hidden" name="accept" value="true" />
                        <input type="hidden" name="reason" value="" />
                        <button type="submit">"Accept"</button>
                    </ActionForm>
                    <ActionForm action=answer attr:class="stack" attr:data-testid="override">
                        <input type="hidden" name="school_id" value=school_id.to_string() />
                        <input type="hidden" name="proposal_id" value=id.to_string() />
                        <input type="hidden" name="accept" value="false" />
                        <label for=format!("reason-{id}")>"Reason for overriding"</label>
                        <input id=format!("reason-{id}") name="reason" type="text" required />
                        <button type="submit" class="quiet">"Override"</button>
                    </ActionForm>
                </div>
            </Show>
        </li>
    }
}

/// A threshold for an input: 9500 is "95.00".
fn percent_value(value: i32) -> String {
    format!("{}.{:02}", value / 100, value % 100)
}

/// The case policy on the school's settings page.
#[component]
pub fn CasePolicySection(school_id: Uuid) -> impl IntoView {
    let save = ServerAction::<SaveCasePolicy>::new();
    let policy = Resource::new(
        move || save.version().get(),
        move |_| load_case_policy(school_id),
    );
    let saved = move || save.value().get().is_some_and(|r| r.is_ok());
    let error = move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_message(&e))
    };
    view! {
        <h2 id="case-policy">"Case policy"</h2>
        <p class="muted">
            "When the engine opens a case and which step it proposes. Attendance is this academic year to date; a stage is reached below its percentage, a referral at or below (severe absence). Cases already open keep their history."
        </p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match policy.await {
                    Ok(policy) => view! { <CasePolicyForm school_id policy save /> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error_message(&error)}</p> }.into_any(),
                }
            })}
        </Suspense>
        <Show when=saved>
            <p class="notice" role="status">"Case policy saved."</p>
        </Show>
        <Show when=move || error().is_some()>
            <p class="error" role="alert">{error}</p>
        </Show>
    }
}

#[component]
fn CasePolicyForm(
    school_id: Uuid,
    policy: CasePolicy,
    save: ServerAction<SaveCasePolicy>,
) -> impl IntoView {
    view! {
        <ActionForm action=save attr:class="stack" attr:data-testid="case-policy">
            <input type="hidden" name="school_id" value=school_id.to_string() />
            <label for="case-letter">"First letter (at risk) below this attendance, %"</label>
            <input id="case-letter" name="letter_below" type="text" inputmode="decimal" required
                value=percent_value(policy.letter_below) />
            <label for="case-meeting">"School attendance meeting below, %"</label>
            <input id="case-meeting" name="meeting_below" type="text" inputmode="decimal" required
                value=percent_value(policy.meeting_below) />
            <label for="case-plan">"Meeting with an attendance plan and a target below, %"</label>
            <input id="case-plan" name="plan_below" type="text" inputmode="decimal" required
                value=percent_value(policy.plan_below) />
            <label for="case-referral">"Referral for severe absence at or below, %"</label>
            <input id="case-referral" name="referral_at_or_below" type="text" inputmode="decimal" required
                value=percent_value(policy.referral_at_or_below) />
            <label for="case-penalty-sessions">"Consider a penalty notice after this many unauthorised sessions (G, N, O, U)…"</label>
            <input id="case-penalty-sessions" name="penalty_sessions" type="number" min="1" max="100" required
                value=policy.penalty_sessions.to_string() />
            <label for="case-penalty-weeks">"…within this many school weeks"</label>
            <input id="case-penalty-weeks" name="penalty_school_weeks" type="number" min="1" max="39" required
                value=policy.penalty_school_weeks.to_string() />
            <label for="case-cme">"Ten-day notice (missing education) after this many school days of unexplained absence"</label>
            <input id="case-cme" name="cme_days" type="number" min="1" max="60" required
                value=policy.cme_days.to_string() />
            <button type="submit">"Save case policy"</button>
        </ActionForm>
    }
}

/// The case's tasks: what must be done by when and by whom, overdue ones marked; done ones stay
/// with who did them.
#[component]
fn CaseTasks(
    school_id: Uuid,
    case_id: Uuid,
    owner_id: Option<Uuid>,
    tasks: Vec<CaseTask>,
    can_add: bool,
    can_work: bool,
    manage: Management,
) -> impl IntoView {
    let Management {
        workers,
        add_task,
        task_done,
        ..
    } = manage;
    let problem = move || {
        add_task
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| task_done.value().get().and_then(|r| r.err()))
            .map(|e| error_message(&e))
    };
    let empty = tasks.is_empty();
    view! {
        <section class="case-tasks" data-testid="case-tasks">
            <h2>"Tasks"</h2>
            {empty.then(|| view! { <p class="muted">"No tasks on this case."</p> })}
            <ul class="task-list">
                {tasks.into_iter().map(|task| {
                    let done = task.done_at.is_some();
                    let class = if task.overdue { "task overdue" } else if done { "task done" } else { "task" };
                    view! {
                        <li class=class data-testid="case-task">
                            <span class="task-title">{task.title.clone()}</span>
                            <span class="muted">
                                {format!(" · {} · due {}", task.assigned_name, task.due_on.format("%a %-d %b %Y"))}
                            </span>
                            {task.overdue.then(|| view! { <strong class="badge warn">"Overdue"</strong> })}
                            {task.done_at.map(|at| view! {
                                <span class="badge">{format!("Done {}{}", crate::uk_time::local(at).format("%-d %b"), task.done_by_name.clone().map(|n| format!(" by {n}")).unwrap_or_default())}</span>
                            })}
                            {(can_work && !done).then(|| view! {
                                <ActionForm action=task_done attr:class="inline-form">
                                    <input type="hidden" name="school_id" value=school_id.to_string() />
                                    <input type="hidden" name="task_id" value=task.id.to_string() />
                                    <button type="submit" class="quiet">"Mark done"</button>
                                </ActionForm>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <Show when=move || can_add>
                <ActionForm action=add_task attr:class="inline-form" attr:data-testid="add-task">
                    <input type="hidden" name="school_id" value=school_id.to_string() />
                    <input type="hidden" name="case_id" value=case_id.to_string() />
                    <label for="task-title">"Task"</label>
                    <input id="task-title" name="title" type="text" maxlength="200" required />
                    <label for="task-due">"Due"</label>
                    <input id="task-due" name="due_on" type="date" required />
                    <label for="task-for">"For"</label>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let people = workers.await.unwrap_or_default();
                            view! {
                                <select id="task-for" name="assigned_to">
                                    {people.into_iter().map(|(id, name)| view! {
                                        <option value=id.to_string() selected={Some(id) == owner_id}>{name}</option>
                                    }).collect_view()}
                                </select>
                            }
                        })}
                    </Suspense>
                    <button type="submit">"Add task"</button>
                </ActionForm>
            </Show>
            <Show when=move || problem().is_some()>
                <p class="error" role="alert">{problem}</p>
            </Show>
        </section>
    }
}
