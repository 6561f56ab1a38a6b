//! `/arrangements`: reduced timetables and alternative-provision places, with their reviews;
//! a review past its date is flagged.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

use super::{AddArrangement, Arrangement, Arrangements, ReviewArrangement, load_arrangements};
use crate::{
    auth::Viewer,
    components::{
        actions::on_success,
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
};

fn short(date: NaiveDate) -> String {
    date.format("%a %-d %b %Y").to_string()
}

#[component]
pub fn ArrangementsPage() -> impl IntoView {
    view! {
        <Title text="Reduced timetables and alternative provision" />
        <SignedIn page=|viewer| view! { <ArrangementsView viewer /> } />
    }
}

#[component]
fn ArrangementsView(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let add = ServerAction::<AddArrangement>::new();
    let review = ServerAction::<ReviewArrangement>::new();
    // The list reloads only after a change was saved: a refused one keeps the form as typed.
    let saved = RwSignal::new(0usize);
    let reload = move || saved.update(|n| *n += 1);
    on_success(*add, reload);
    on_success(*review, reload);
    let list = Resource::new(
        move || (school.get().map(|s| s.id), saved.get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_arrangements(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let review_error = move || {
        review
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_message(&e))
    };
    view! {
        <div class="arrangements">
            <section class="panel">
                <div class="page-head">
                    <h1>"Reduced timetables and alternative provision"</h1>
                    <SchoolPicker viewer=viewer.clone() school />
                </div>
                <p class="muted">
                    "A reduced timetable (C2 on the register for the sessions the pupil is not expected) must be temporary, reviewed on set dates and notified to the local authority. Alternative provision is K when the local authority arranged it and B when the school did."
                </p>
                <Show when=move || review_error().is_some()>
                    <p class="error" role="alert" data-testid="review-error">{review_error}</p>
                </Show>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Ok(Some(list)) => view! {
                                <List list=list.clone() review />
                                <NewArrangementForm list add />
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

#[component]
fn List(list: Arrangements, review: ServerAction<ReviewArrangement>) -> impl IntoView {
    if list.arrangements.is_empty() {
        return view! { <p data-testid="no-arrangements">"No arrangements recorded."</p> }
            .into_any();
    }
    let Arrangements {
        school_id, today, ..
    } = list;
    let overdue = list
        .arrangements
        .iter()
        .filter(|a| a.review_overdue(today))
        .count();
    view! {
        {(overdue > 0).then(|| view! {
            <p class="warning" role="status" data-testid="overdue-reviews">
                {format!("{overdue} review{} overdue", if overdue == 1 { "" } else { "s" })}
            </p>
        })}
        <table class="arrangement-list" data-testid="arrangements">
            <thead>
                <tr>
                    <th scope="col">"Pupil"</th>
                    <th scope="col">"Arrangement"</th>
                    <th scope="col">"Dates"</th>
                    <th scope="col">"Review"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .arrangements
                    .into_iter()
                    .map(|arrangement| view! { <Row school_id today arrangement review /> })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Row(
    school_id: Uuid,
    today: NaiveDate,
    arrangement: Arrangement,
    review: ServerAction<ReviewArrangement>,
) -> impl IntoView {
    let overdue = arrangement.review_overdue(today);
    let over = arrangement.ends_on < today;
    let state = if over {
        "ended"
    } else if overdue {
        "overdue"
    } else if arrangement.current(today) {
        "current"
    } else {
        "planned"
    };
    // Cleared once a review is saved; a refused one keeps what was typed.
    let form = NodeRef::<leptos::html::Form>::new();
    on_success(*review, move || {
        if let Some(form) = form.get_untracked() {
            form.reset();
        }
    });
    let notified = match arrangement.la_notified_on {
        Some(on) => format!("Local authority told {}", short(on)),
        None => "Local authority not yet told".to_string(),
    };
    view! {
        <tr data-state=state data-testid="arrangement">
            <td>
                <strong>{arrangement.pupil_name.clone()}</strong>
                <span class="muted">" " {arrangement.form.clone()}</span>
            </td>
            <td>
                {format!("{} ({})", arrangement.kind.label(), arrangement.kind.code())}
                <br />
                <span class="muted">{arrangement.detail.clone()}</span>
                <br />
                <span class="muted">{notified}</span>
            </td>
            <td>{format!("{} to {}", short(arrangement.starts_on), short(arrangement.ends_on))}</td>
            <td>
                {match arrangement.review_on {
                    Some(on) if overdue => view! { <strong class="badge warn">{format!("Overdue since {}", short(on))}</strong> }.into_any(),
                    Some(on) => view! { <span>{format!("Due {}", short(on))}</span> }.into_any(),
                    None => view! { <span class="muted">"None due"</span> }.into_any(),
                }}
                {arrangement.last_review.clone().map(|(on, note)| view! {
                    <br />
                    <span class="muted">{format!("Reviewed {}: {note}", short(on))}</span>
                })}
                {(!over).then(|| view! {
                    <ActionForm action=review node_ref=form attr:class="arrangement-review">
                        <input type="hidden" name="school_id" value=school_id.to_string() />
                        <input type="hidden" name="arrangement_id" value=arrangement.id.to_string() />
                        <label>"What the review decided" <textarea name="note" required maxlength="2000" rows="2"></textarea></label>
                        <label>"Next review" <input type="date" name="next_review_on" max=arrangement.ends_on.to_string() /></label>
                        <button type="submit" class="quiet">"Save the review"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}

#[component]
fn NewArrangementForm(list: Arrangements, add: ServerAction<AddArrangement>) -> impl IntoView {
    let error = move || {
        add.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_message(&e))
    };
    // Cleared once an arrangement is recorded; a refused one keeps what was typed.
    let form = NodeRef::<leptos::html::Form>::new();
    on_success(*add, move || {
        if let Some(form) = form.get_untracked() {
            form.reset();
        }
    });
    let today = list.today.to_string();
    view! {
        <section class="roll-new" aria-labelledby="arrangement-new-title">
            <h2 id="arrangement-new-title">"Record an arrangement"</h2>
            <Show when=move || error().is_some()>
                <p class="error" role="alert" data-testid="arrangement-error">{error}</p>
            </Show>
            <ActionForm action=add node_ref=form attr:class="roll-form" attr:data-testid="new-arrangement">
                <input type="hidden" name="school_id" value=list.school_id.to_string() />
                <label>"Pupil"
                    <select name="pupil_id" required>
                        <option value="">"Choose a pupil"</option>
                        {list.pupils.into_iter().map(|pupil| view! {
                            <option value=pupil.id.to_string()>{format!("{} ({})", pupil.name, pupil.form)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Arrangement"
                    <select name="kind" required>
                        <option value="reduced_timetable">"Reduced timetable (C2)"</option>
                        <option value="ap_la">"Alternative provision arranged by the local authority (K)"</option>
                        <option value="ap_school">"Alternative provision arranged by the school (B)"</option>
                    </select>
                </label>
                <div class="roll-dates">
                    <label>"First day" <input type="date" name="starts_on" value=today.clone() required /></label>
                    <label>"Last day" <input type="date" name="ends_on" min=today.clone() required /></label>
                    <label>"Review on (required for a reduced timetable)" <input type="date" name="review_on" min=today.clone() /></label>
                    <label>"Local authority told on" <input type="date" name="la_notified_on" max=today.clone() /></label>
                </div>
                <label>"The sessions attended, or the provider and its address"
                    <textarea name="detail" required maxlength="2000" rows="2"></textarea>
                </label>
                <button type="submit">"Record the arrangement"</button>
            </ActionForm>
        </section>
    }
}
