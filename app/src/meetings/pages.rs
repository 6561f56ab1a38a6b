//! The meetings and plans of one case, on the case's page: arrange a meeting, record it once it
//! has taken place, agree a plan with a target and a review date, and see each plan's review.

use leptos::prelude::*;
use uuid::Uuid;

use super::{
    AgreePlan, ArrangeMeeting, AttendancePlan, CaseMeetingsData, Meeting, RecordMeeting,
    load_case_meetings,
};
use crate::{
    components::errors::error_message,
    domain::{meetings::MeetingKind, triggers::hundredths},
};

fn day_words(date: chrono::NaiveDate) -> String {
    date.format("%a %-d %b %Y").to_string()
}

/// The last outcome of an action, as a notice or an error.
fn outcome(result: Option<Result<(), ServerFnError>>, done: &'static str) -> Option<AnyView> {
    result.map(|result| match result {
        Ok(()) => view! { <p class="notice" role="status">{done}</p> }.into_any(),
        Err(error) => {
            view! { <p class="error" role="alert">{error_message(&error)}</p> }.into_any()
        }
    })
}

/// The meetings of the case a page shows and the actions on them, made at the top of the
/// page (not inside the case's own Suspense, where a resource would not hydrate).
#[derive(Clone, Copy)]
pub struct MeetingsState {
    data: Resource<Result<Option<CaseMeetingsData>, ServerFnError>>,
    arrange: ServerAction<ArrangeMeeting>,
    record: ServerAction<RecordMeeting>,
    plan: ServerAction<AgreePlan>,
}

impl MeetingsState {
    pub fn new(school_id: Memo<Option<Uuid>>, case_id: Memo<Option<Uuid>>) -> MeetingsState {
        let arrange = ServerAction::<ArrangeMeeting>::new();
        let record = ServerAction::<RecordMeeting>::new();
        let plan = ServerAction::<AgreePlan>::new();
        let data = Resource::new(
            move || {
                (
                    school_id.get(),
                    case_id.get(),
                    arrange.version().get(),
                    record.version().get(),
                    plan.version().get(),
                )
            },
            |(school_id, case_id, ..)| async move {
                match (school_id, case_id) {
                    (Some(school_id), Some(case_id)) => {
                        load_case_meetings(school_id, case_id).await.map(Some)
                    }
                    _ => Ok(None),
                }
            },
        );
        MeetingsState {
            data,
            arrange,
            record,
            plan,
        }
    }
}

#[component]
pub fn CaseMeetings(
    school_id: Uuid,
    case_id: Uuid,
    can_work: bool,
    state: MeetingsState,
) -> impl IntoView {
    let MeetingsState {
        data,
        arrange,
        record,
        plan,
    } = state;
    view! {
        <section class="case-meetings" data-testid="case-meetings">
            <h2>"Meetings and plans"</h2>
            {move || outcome(record.value().get(), "Meeting recorded.")}
            {move || outcome(plan.value().get(), "Attendance plan agreed.")}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(Some(data)) => view! {
                            <MeetingsView school_id can_work data record plan />
                        }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error_message(&error)}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <Show when=move || can_work>
                <details class="arrange-meeting">
                    <summary>"Arrange a meeting"</summary>
                    <ActionForm action=arrange attr:class="stack" attr:data-testid="arrange-meeting">
                        <input type="hidden" name="school_id" value=school_id.to_string() />
                        <input type="hidden" name="case_id" value=case_id.to_string() />
                        <label for="meeting-kind">"Kind of meeting"</label>
                        <select id="meeting-kind" name="kind">
                            {MeetingKind::ALL.into_iter().map(|kind| view! {
                                <option value=kind.key()>{kind.label()}</option>
                            }).collect_view()}
                        </select>
                        <label for="meeting-date">"Date"</label>
                        <input id="meeting-date" name="date" type="date" required />
                        <label for="meeting-time">"Time"</label>
                        <input id="meeting-time" name="time" type="time" required />
                        <label for="meeting-place">"Where"</label>
                        <input id="meeting-place" name="place" type="text" placeholder="Room 4, or by video call" />
                        <label for="meeting-invited">"Invited"</label>
                        <input id="meeting-invited" name="invited" type="text" placeholder="Parents, form tutor, head of year" />
                        <button type="submit">"Arrange meeting"</button>
                    </ActionForm>
                </details>
                {move || outcome(arrange.value().get().map(|r| r.map(|_| ())), "Meeting arranged.")}
            </Show>
        </section>
    }
}

#[component]
fn MeetingsView(
    school_id: Uuid,
    can_work: bool,
    data: CaseMeetingsData,
    record: ServerAction<RecordMeeting>,
    plan: ServerAction<AgreePlan>,
) -> impl IntoView {
    let CaseMeetingsData {
        meetings,
        plans,
        today,
        case_open,
    } = data;
    let can_write = can_work && case_open;
    let plan_under_way = plans.iter().any(|plan| plan.reviewed_on.is_none());
    // A plan is agreed at the latest meeting that has been recorded.
    let plan_meeting = meetings
        .iter()
        .rev()
        .find(|meeting| meeting.record.is_some())
        .map(|meeting| meeting.id)
        .filter(|_| can_write && !plan_under_way);
    view! {
        {(!plans.is_empty()).then(|| view! {
            <ul class="plans" data-testid="plans">
                {plans.into_iter().map(|p| view! { <PlanLine plan=p today /> }).collect_view()}
            </ul>
        })}
        {if meetings.is_empty() {
            view! { <p class="muted">"No meetings yet."</p> }.into_any()
        } else {
            view! {
                <ol class="meetings" data-testid="meetings">
                    {meetings.into_iter().map(|meeting| {
                        let agree_here = plan_meeting == Some(meeting.id);
                        view! { <MeetingItem school_id meeting can_write agree_here record plan today /> }
                    }).collect_view()}
                </ol>
            }.into_any()
        }}
    }
}

#[component]
fn PlanLine(plan: AttendancePlan, today: chrono::NaiveDate) -> impl IntoView {
    let status = match (plan.target_met, plan.reviewed_attendance) {
        (Some(true), Some(attendance)) => format!("Target met: {}", hundredths(attendance)),
        (Some(false), Some(attendance)) => format!("Target not met: {}", hundredths(attendance)),
        (Some(_), None) => "Reviewed: no possible sessions to judge by".to_string(),
        (None, _) if plan.review_on <= today => "Review due".to_string(),
        (None, _) => "Under way".to_string(),
    };
    view! {
        <li class="plan" data-testid="plan">
            <p>
                <strong>{format!("Target {}", hundredths(plan.target))}</strong>
                {format!(" from {} to the review on {}", day_words(plan.starts_on), day_words(plan.review_on))}
                " · "
                <span data-testid="plan-status">{status}</span>
            </p>
            <p class="muted">{format!("Support agreed: {}", plan.support)}</p>
        </li>
    }
}

#[component]
fn MeetingItem(
    school_id: Uuid,
    meeting: Meeting,
    can_write: bool,
    agree_here: bool,
    record: ServerAction<RecordMeeting>,
    plan: ServerAction<AgreePlan>,
    today: chrono::NaiveDate,
) -> impl IntoView {
    let id = meeting.id;
    let may_record = can_write && meeting.started && meeting.record.is_none();
    let waiting = meeting.record.is_none() && !meeting.started;
    view! {
        <li class="meeting" data-testid="meeting">
            <h3>{format!("{} · {}", meeting.kind.label(), meeting.when)}</h3>
            <dl class="meeting-facts">
                {(!meeting.place.is_empty()).then(|| view! { <dt>"Where"</dt><dd>{meeting.place.clone()}</dd> })}
                {(!meeting.invited.is_empty()).then(|| view! { <dt>"Invited"</dt><dd>{meeting.invited.clone()}</dd> })}
                {meeting.arranged_by.clone().map(|name| view! { <dt>"Arranged by"</dt><dd>{name}</dd> })}
            </dl>
            {meeting.record.clone().map(|done| view! {
                <dl class="meeting-record" data-testid="meeting-record">
                    <dt>"Attended"</dt><dd>{done.attendees}</dd>
                    <dt>"Minutes"</dt><dd class="minutes">{done.minutes}</dd>
                    <dt>"Actions"</dt><dd>{if done.actions.is_empty() { "None recorded".to_string() } else { done.actions }}</dd>
                    <dt>"Recorded"</dt>
                    <dd>{format!("{}{}", crate::uk_time::date(done.recorded_at), done.recorded_by.map(|n| format!(" by {n}")).unwrap_or_default())}</dd>
                </dl>
            })}
            {waiting.then(|| view! { <p class="muted">"Not yet taken place."</p> })}
            <Show when=move || may_record>
                <details open>
                    <summary>"Record the meeting"</summary>
                    <ActionForm action=record attr:class="stack" attr:data-testid="record-meeting">
                        <input type="hidden" name="school_id" value=school_id.to_string() />
                        <input type="hidden" name="meeting_id" value=id.to_string() />
                        <label for=format!("attendees-{id}")>"Who came"</label>
                        <input id=format!("attendees-{id}") name="attendees" type="text" required />
                        <label for=format!("minutes-{id}")>"Minutes"</label>
                        <textarea id=format!("minutes-{id}") name="minutes" rows="5" required></textarea>
                        <label for=format!("actions-{id}")>"Actions agreed"</label>
                        <textarea id=format!("actions-{id}") name="actions" rows="2"></textarea>
                        <button type="submit">"Record meeting"</button>
                    </ActionForm>
                </details>
            </Show>
            <Show when=move || agree_here>
                <details open=move || plan.value().get().is_some_and(|r| r.is_err())>
                    <summary>"Agree an attendance plan"</summary>
                    <ActionForm action=plan attr:class="stack" attr:data-testid="agree-plan">
                        <input type="hidden" name="school_id" value=school_id.to_string() />
                        <input type="hidden" name="meeting_id" value=id.to_string() />
                        <label for="plan-target">"Target attendance from the meeting to the review, %"</label>
                        <input id="plan-target" name="target" type="text" inputmode="decimal" required placeholder="95" />
                        <label for="plan-review">"Review date"</label>
                        <input id="plan-review" name="review_on" type="date" required min=(today + chrono::Duration::days(1)).to_string() />
                        <label for="plan-support">"Support agreed"</label>
                        <textarea id="plan-support" name="support" rows="3" required></textarea>
                        <button type="submit">"Agree plan"</button>
                    </ActionForm>
                </details>
            </Show>
        </li>
    }
}
