//! `/penalty-notices`: the pupils who meet the school's threshold, Notices to Improve, and penalty
//! notices with their amounts, deadlines and status; payments and withdrawals are recorded here.

use chrono::Duration;
use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

use super::{
    Eligible, IssueNoticeToImprove, IssuePenaltyNotice, NoticeToImprove, PenaltyBook,
    PenaltyNotice, RecordPenaltyPayment, WithdrawPenaltyNotice, load_penalty_book,
};
use crate::{
    auth::Viewer,
    components::{
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
    domain::{
        penalty::{Sequence, Status, pounds},
        triggers::short_date,
    },
};

/// The server's answer to one of the page's forms.
type Done = Option<Result<(), ServerFnError>>;

#[derive(Clone, Copy)]
struct Actions {
    improve: ServerAction<IssueNoticeToImprove>,
    issue: ServerAction<IssuePenaltyNotice>,
    pay: ServerAction<RecordPenaltyPayment>,
    withdraw: ServerAction<WithdrawPenaltyNotice>,
}

#[component]
pub fn PenaltyNoticesPage() -> impl IntoView {
    view! {
        <Title text="Penalty notices" />
        <SignedIn page=|viewer| view! { <PenaltyNotices viewer /> } />
    }
}

#[component]
fn PenaltyNotices(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let actions = Actions {
        improve: ServerAction::new(),
        issue: ServerAction::new(),
        pay: ServerAction::new(),
        withdraw: ServerAction::new(),
    };
    let book = Resource::new(
        move || {
            (
                school.get().map(|s| s.id),
                actions.improve.version().get(),
                actions.issue.version().get(),
                actions.pay.version().get(),
                actions.withdraw.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => load_penalty_book(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let outcome = |done: Done, words: &'static str| match done {
        Some(Ok(())) => view! { <p class="leave-done" role="status">{words}</p> }.into_any(),
        Some(Err(error)) => view! {
            <p class="error" role="alert" data-testid="penalty-error">{error_message(&error)}</p>
        }
        .into_any(),
        None => ().into_any(),
    };
    view! {
        <div class="penalty">
            <section class="panel">
                <div class="page-head">
                    <h1>"Penalty notices"</h1>
                    <SchoolPicker viewer=viewer.clone() school />
                </div>
                <p class="muted">
                    "Meeting the threshold means a notice may be considered, never that one must be issued. Support first: a Notice to Improve usually comes before a penalty notice. Per parent per child: the first notice is £80 if paid within 21 days and £160 within 28; a second within 3 years is £160; there is no third within 3 years."
                </p>
                {move || outcome(actions.improve.value().get(), "Notice to Improve issued.")}
                {move || outcome(actions.issue.value().get(), "Penalty notice issued.")}
                {move || outcome(actions.pay.value().get(), "Payment recorded.")}
                {move || outcome(actions.withdraw.value().get(), "Notice withdrawn.")}
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match book.await {
                            Ok(Some(book)) => view! { <Book book actions /> }.into_any(),
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
fn Book(book: PenaltyBook, actions: Actions) -> impl IntoView {
    let school_id = book.school_id;
    let can_issue = book.can_issue;
    let ends_on = (book.today + Duration::days(28)).to_string();
    let eligible = if book.eligible.is_empty() {
        view! { <p data-testid="none-eligible">"No pupil meets the threshold this year."</p> }
            .into_any()
    } else {
        view! {
            <table class="penalty-eligible" data-testid="eligible">
                <thead>
                    <tr>
                        <th scope="col">"Pupil"</th>
                        <th scope="col">"Unauthorised sessions"</th>
                        <th scope="col">"Notices so far"</th>
                        <th scope="col">"Action"</th>
                    </tr>
                </thead>
                <tbody>
                    {book.eligible.into_iter().map(|pupil| view! {
                        <EligibleRow school_id pupil can_issue ends_on=ends_on.clone() actions />
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <h2>"Meeting the threshold"</h2>
        {eligible}
        <h2>"Notices to Improve"</h2>
        <NoticesToImprove notices=book.notices_to_improve />
        <h2>"Penalty notices"</h2>
        <Notices school_id notices=book.notices can_issue today=book.today actions />
    }
}

#[component]
fn EligibleRow(
    school_id: Uuid,
    pupil: Eligible,
    can_issue: bool,
    ends_on: String,
    actions: Actions,
) -> impl IntoView {
    let pupil_id = pupil.pupil_id;
    let parents = pupil.parents.clone();
    let options = move || {
        parents
            .clone()
            .into_iter()
            .map(|parent| view! { <option value=parent.id.to_string()>{parent.name}</option> })
            .collect_view()
    };
    let options_too = options.clone();
    view! {
        <tr data-pupil=pupil.pupil_name.clone()>
            <td><strong>{pupil.pupil_name.clone()}</strong> <span class="muted">" " {pupil.form.clone()}</span></td>
            <td>
                <strong>{pupil.window.sessions}</strong>
                <p class="muted">{pupil.why.clone()}</p>
            </td>
            <td>{pupil.notices}</td>
            <td class="penalty-actions">
                {can_issue.then(|| view! {
                    <details>
                        <summary>"Notice to Improve"</summary>
                        <ActionForm action=actions.improve attr:class="stack" attr:data-testid="issue-improve">
                            <input type="hidden" name="school_id" value=school_id.to_string() />
                            <input type="hidden" name="pupil_id" value=pupil_id.to_string() />
                            <label>"Parent or carer" <select name="contact_id" required>{options()}</select></label>
                            <label>"Improvement period ends (3 to 6 weeks)" <input type="date" name="improvement_ends_on" value=ends_on.clone() required /></label>
                            <label>"Support offered" <textarea name="support_offered" required rows="2" maxlength="2000"></textarea></label>
                            <button type="submit">"Issue the Notice to Improve"</button>
                        </ActionForm>
                    </details>
                    <details>
                        <summary>"Penalty notice"</summary>
                        <ActionForm action=actions.issue attr:class="stack" attr:data-testid="issue-penalty">
                            <input type="hidden" name="school_id" value=school_id.to_string() />
                            <input type="hidden" name="pupil_id" value=pupil_id.to_string() />
                            <label>"Parent or carer" <select name="contact_id" required>{options_too()}</select></label>
                            <button type="submit">"Issue a penalty notice today"</button>
                        </ActionForm>
                    </details>
                })}
            </td>
        </tr>
    }
}

#[component]
fn NoticesToImprove(notices: Vec<NoticeToImprove>) -> impl IntoView {
    if notices.is_empty() {
        return view! { <p class="muted">"None issued."</p> }.into_any();
    }
    view! {
        <table class="penalty-improve" data-testid="notices-to-improve">
            <thead>
                <tr>
                    <th scope="col">"Pupil"</th>
                    <th scope="col">"Parent or carer"</th>
                    <th scope="col">"Issued"</th>
                    <th scope="col">"Improvement period ends"</th>
                    <th scope="col">"Support offered"</th>
                </tr>
            </thead>
            <tbody>
                {notices.into_iter().map(|notice| view! {
                    <tr>
                        <td>{notice.pupil_name}</td>
                        <td>{notice.parent_name}</td>
                        <td>{short_date(notice.issued_on)}</td>
                        <td>{short_date(notice.improvement_ends_on)}</td>
                        <td>{notice.support_offered}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Notices(
    school_id: Uuid,
    notices: Vec<PenaltyNotice>,
    can_issue: bool,
    today: chrono::NaiveDate,
    actions: Actions,
) -> impl IntoView {
    if notices.is_empty() {
        return view! { <p class="muted">"None issued."</p> }.into_any();
    }
    view! {
        <table class="penalty-notices" data-testid="penalty-notices">
            <thead>
                <tr>
                    <th scope="col">"Pupil"</th>
                    <th scope="col">"Parent or carer"</th>
                    <th scope="col">"Issued"</th>
                    <th scope="col">"Amount and deadlines"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Record"</th>
                </tr>
            </thead>
            <tbody>
                {notices.into_iter().map(|notice| view! {
                    <NoticeRow school_id notice can_issue today actions />
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn NoticeRow(
    school_id: Uuid,
    notice: PenaltyNotice,
    can_issue: bool,
    today: chrono::NaiveDate,
    actions: Actions,
) -> impl IntoView {
    let id = notice.id;
    let open = matches!(notice.status, Status::Issued | Status::Unpaid);
    let amounts = match notice.sequence {
        Sequence::First => format!(
            "First notice: £80 until {}, £160 until {}",
            notice.lower_until.map(short_date).unwrap_or_default(),
            short_date(notice.pay_by)
        ),
        Sequence::Second => format!(
            "Second within 3 years: £160 until {}",
            short_date(notice.pay_by)
        ),
    };
    let due = notice
        .due_today
        .map(|pence| format!("Due if paid today: {}", pounds(pence)));
    view! {
        <tr data-status=notice.status.key()>
            <td>{notice.pupil_name.clone()}</td>
            <td>{notice.parent_name.clone()}</td>
            <td>{short_date(notice.issued_on)}</td>
            <td>{amounts} {due.map(|due| view! { <br /> <strong>{due}</strong> })}</td>
            <td data-testid="notice-status">{notice.status.label()}</td>
            <td class="penalty-actions">
                {(open && can_issue).then(|| view! {
                    <details>
                        <summary>"Payment"</summary>
                        <ActionForm action=actions.pay attr:class="stack" attr:data-testid="record-payment">
                            <input type="hidden" name="school_id" value=school_id.to_string() />
                            <input type="hidden" name="notice_id" value=id.to_string() />
                            <label>"Paid on" <input type="date" name="paid_on" value=today.to_string() max=today.to_string() required /></label>
                            <label>"Amount (£)" <input type="text" name="amount" inputmode="decimal" required /></label>
                            <button type="submit">"Record the payment"</button>
                        </ActionForm>
                    </details>
                    <details>
                        <summary>"Withdraw"</summary>
                        <ActionForm action=actions.withdraw attr:class="stack" attr:data-testid="withdraw-notice">
                            <input type="hidden" name="school_id" value=school_id.to_string() />
                            <input type="hidden" name="notice_id" value=id.to_string() />
                            <label>"Reason" <textarea name="reason" required rows="2" maxlength="2000"></textarea></label>
                            <button type="submit">"Withdraw the notice"</button>
                        </ActionForm>
                    </details>
                })}
            </td>
        </tr>
    }
}
