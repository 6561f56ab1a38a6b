//! Letters to parents: a template per stage of the case ladder with merge fields (`merge.rs`),
//! letters generated from them for one case or for everyone at a stage, printed, downloaded as
//! PDF (`pdf.rs`, served by `server/src/http/letters.rs`) and emailed through SMTP (`mail.rs`)
//! with a delivery log. Every letter generated or emailed is on the case's timeline.
//!
//! Who may do what: letters are read by whoever may read the school's cases, and generated and
//! emailed by those who work cases. The templates are the school's words, so they are edited by
//! those who manage the school (administrators) and by the attendance lead, who usually writes
//! them; officers use them as they are.

#[cfg(feature = "ssr")]
pub mod mail;
pub mod merge;
#[cfg(feature = "ssr")]
pub mod pdf;
#[cfg(feature = "ssr")]
pub mod queries;

#[cfg(feature = "ssr")]
pub use mail::MailSettings;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    components::{
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
    domain::{
        roles::{Permission, Role},
        triggers::Step,
    },
};

/// A school's template for one stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LetterTemplate {
    pub id: Uuid,
    pub step: Step,
    pub subject: String,
    pub body: String,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
    pub updated_by_name: Option<String>,
}

/// One line of the letters list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LetterLine {
    pub id: Uuid,
    pub case_id: Uuid,
    pub pupil_name: String,
    pub step: Step,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    pub created_by_name: Option<String>,
    pub recipient_email: String,
    /// The latest email attempt's status: queued, sent or failed.
    pub last_delivery: Option<String>,
}

/// One attempt to email a letter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Delivery {
    pub to_address: String,
    pub status: String,
    pub error: Option<String>,
    pub queued_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub by_name: Option<String>,
}

/// A generated letter as it was merged, with its delivery log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Letter {
    pub line: LetterLine,
    pub body: String,
    /// Merge fields that had no value, merged as nothing.
    pub missing: Vec<String>,
    pub template_version: i32,
    pub recipient_name: String,
    pub school_name: String,
    pub school_address: String,
    pub deliveries: Vec<Delivery>,
}

/// The templates page's data: the templates, the letterhead address, and whether the viewer
/// may edit them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Templates {
    pub templates: Vec<LetterTemplate>,
    pub address: String,
    pub can_edit: bool,
}

/// What a batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchOutcome {
    /// Open cases at the stage.
    pub cases: usize,
    pub generated: usize,
    /// Cases that already had the stage's letter.
    pub already: usize,
}

/// Whether the viewer may edit the school's templates: administrators and the attendance lead.
pub fn may_edit_templates(viewer: &Viewer, school_id: Uuid) -> bool {
    viewer.can(Permission::ManageSchool, school_id)
        || viewer
            .roles_at(school_id)
            .any(|role| role == Role::AttendanceLead)
}

/// The address of a letter's PDF.
pub fn pdf_href(school_id: Uuid, letter_id: Uuid) -> String {
    format!("/api/schools/{school_id}/letters/{letter_id}/pdf")
}

fn letter_link(school_id: Uuid, letter_id: Uuid) -> String {
    format!("/letters/{letter_id}?school={school_id}")
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(feature = "ssr")]
fn require_read(school_id: Uuid) -> Result<Viewer, ServerFnError> {
    use crate::auth::server;
    let viewer = server::require_viewer()?;
    if crate::cases::may_read(&viewer, school_id) || may_edit_templates(&viewer, school_id) {
        Ok(viewer)
    } else {
        server::require(Permission::WorkCases, school_id)
    }
}

/// The school's templates, one per stage, and whether the viewer may edit them.
#[server(prefix = "/api/fn", endpoint = "letters/templates")]
pub async fn load_templates(school_id: Uuid) -> Result<Templates, ServerFnError> {
    use crate::auth::server;
    let viewer = require_read(school_id)?;
    let pool = server::pool()?;
    Ok(Templates {
        templates: queries::templates(&pool, school_id)
            .await
            .map_err(server::internal)?,
        address: queries::letterhead(&pool, school_id)
            .await
            .map_err(server::internal)?,
        can_edit: may_edit_templates(&viewer, school_id),
    })
}

/// Sets the school's postal address on its letterhead; by those who edit templates. Audited.
#[server(prefix = "/api/fn", endpoint = "letters/save-letterhead")]
pub async fn save_letterhead(school_id: Uuid, address: String) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require_viewer()?;
    if !may_edit_templates(&viewer, school_id) {
        server::require(Permission::ManageSchool, school_id)?;
    }
    queries::save_letterhead(&server::pool()?, viewer.staff_id, school_id, &address)
        .await
        .map_err(server::internal)
}

/// Saves a stage's template. A template with a merge field Rollcall does not know is refused,
/// naming the field and listing the known ones; nothing is saved. Audited.
#[server(prefix = "/api/fn", endpoint = "letters/save-template")]
pub async fn save_template(
    school_id: Uuid,
    step: String,
    subject: String,
    body: String,
) -> Result<LetterTemplate, ServerFnError> {
    use crate::auth::server;
    let viewer = server::require_viewer()?;
    if !may_edit_templates(&viewer, school_id) {
        server::require(Permission::ManageSchool, school_id)?;
    }
    let step = Step::from_key(&step)
        .ok_or_else(|| server::invalid(format!("{step:?} is not a stage of the case ladder.")))?;
    queries::save_template(
        &server::pool()?,
        viewer.staff_id,
        school_id,
        step,
        &subject,
        &body,
    )
    .await
    .map_err(server::internal)?
    .map_err(server::invalid)
}

/// The school's letters, newest first; one case's with `case_id`.
#[server(prefix = "/api/fn", endpoint = "letters/list")]
pub async fn load_letters(
    school_id: Uuid,
    case_id: Option<Uuid>,
) -> Result<Vec<LetterLine>, ServerFnError> {
    use crate::auth::server;
    require_read(school_id)?;
    queries::letters(&server::pool()?, school_id, case_id)
        .await
        .map_err(server::internal)
}

/// One letter with its delivery log, and whether the viewer may email it.
#[server(prefix = "/api/fn", endpoint = "letters/one")]
pub async fn load_letter(
    school_id: Uuid,
    letter_id: Uuid,
) -> Result<(Letter, bool), ServerFnError> {
    use crate::auth::server;
    let viewer = require_read(school_id)?;
    let letter = queries::letter(&server::pool()?, school_id, letter_id)
        .await
        .map_err(server::internal)?
        .ok_or_else(|| server::not_found("There is no such letter at this school."))?;
    Ok((letter, viewer.can(Permission::WorkCases, school_id)))
}

/// Generates the letter of a case's current stage; answers the letter's id.
#[server(prefix = "/api/fn", endpoint = "letters/generate")]
pub async fn generate_letter(school_id: Uuid, case_id: Uuid) -> Result<Uuid, ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::WorkCases, school_id)?;
    queries::generate(&server::pool()?, viewer.staff_id, school_id, case_id)
        .await
        .map_err(server::internal)?
        .map_err(server::invalid)
}

/// Generates the stage's letter for every open case at that stage without one yet.
#[server(prefix = "/api/fn", endpoint = "letters/batch")]
pub async fn generate_batch(school_id: Uuid, step: String) -> Result<BatchOutcome, ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::WorkCases, school_id)?;
    let step = Step::from_key(&step)
        .ok_or_else(|| server::invalid(format!("{step:?} is not a stage of the case ladder.")))?;
    queries::generate_batch(&server::pool()?, viewer.staff_id, school_id, step)
        .await
        .map_err(server::internal)?
        .map_err(server::invalid)
}

/// Emails a letter to the parent through the server's SMTP relay, logging the delivery.
#[server(prefix = "/api/fn", endpoint = "letters/email")]
pub async fn email_letter(school_id: Uuid, letter_id: Uuid) -> Result<Delivery, ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::WorkCases, school_id)?;
    let settings = use_context::<MailSettings>().unwrap_or_default();
    queries::email(
        &server::pool()?,
        &settings,
        viewer.staff_id,
        school_id,
        letter_id,
    )
    .await
    .map_err(server::internal)?
    .map_err(server::invalid)
}

#[component]
pub fn LettersPage() -> impl IntoView {
    view! {
        <Title text="Letters" />
        <SignedIn page=|viewer| view! { <Letters viewer /> } />
    }
}

#[component]
fn Letters(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let batch = ServerAction::<GenerateBatch>::new();
    let save = ServerAction::<SaveTemplate>::new();
    let letterhead = ServerAction::<SaveLetterhead>::new();
    let letters = Resource::new(
        move || (school.get().map(|s| s.id), batch.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_letters(id, None).await.map(|l| Some((id, l))),
                None => Ok(None),
            }
        },
    );
    let templates = Resource::new(
        move || {
            (
                school.get().map(|s| s.id),
                save.version().get(),
                letterhead.version().get(),
            )
        },
        |(id, _, _)| async move {
            match id {
                Some(id) => load_templates(id).await.map(|t| Some((id, t))),
                None => Ok(None),
            }
        },
    );
    let batch_result = move || {
        batch.value().get().map(|result| match result {
            Ok(outcome) => view! {
                <p class="notice" role="status" data-testid="batch-outcome">
                    {format!(
                        "{} letters generated; {} of the {} open cases at that stage already had theirs.",
                        outcome.generated, outcome.already, outcome.cases
                    )}
                </p>
            }
            .into_any(),
            Err(error) => view! { <p class="error" role="alert">{error_message(&error)}</p> }.into_any(),
        })
    };
    let save_result = move || {
        save.value().get().map(|result| match result {
            Ok(template) => view! {
                <p class="notice" role="status">
                    {format!("Template saved: {}, version {}.", capitalised(template.step.label()), template.version)}
                </p>
            }
            .into_any(),
            Err(error) => view! {
                <p class="error" role="alert" data-testid="template-error">{error_message(&error)}</p>
            }
            .into_any(),
        })
    };
    view! {
        <section class="panel letters">
            <div class="page-head">
                <h1>"Letters"</h1>
                <SchoolPicker viewer=viewer.clone() school />
            </div>
            <h2>"Generate for everyone at a stage"</h2>
            {move || school.get().map(|s| view! {
                <ActionForm action=batch attr:class="inline-form" attr:data-testid="batch">
                    <input type="hidden" name="school_id" value=s.id.to_string() />
                    <label for="batch-step">"Stage"</label>
                    <select id="batch-step" name="step">
                        {Step::ALL.into_iter().map(|step| view! {
                            <option value=step.key()>{capitalised(step.label())}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit">"Generate letters"</button>
                </ActionForm>
            })}
            {batch_result}
            <h2>"Letters generated"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading letters…"</p> }>
                {move || Suspend::new(async move {
                    match letters.await {
                        Ok(Some((_, lines))) if lines.is_empty() => view! {
                            <p class="muted">"No letters yet. Generate one from a case, or for everyone at a stage."</p>
                        }.into_any(),
                        Ok(Some((school_id, lines))) => view! { <LetterTable school_id lines /> }.into_any(),
                        Ok(None) => view! { <crate::components::errors::NoSchool /> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error_message(&error)}</p> }.into_any(),
                    }
                })}
            </Transition>
            <h2>"Templates"</h2>
            <p class="muted">
                "One letter per stage of the case ladder. Merge fields in double braces are filled from the case: "
                {merge::FIELDS.iter().map(|(field, meaning)| format!("{{{{{field}}}}} ({meaning})")).collect::<Vec<_>>().join(", ")}
                ". Write \\{{ for the braces themselves."
            </p>
            {save_result}
            <Transition fallback=|| view! { <p class="muted">"Loading templates…"</p> }>
                {move || Suspend::new(async move {
                    match templates.await {
                        Ok(Some((school_id, Templates { templates, address, can_edit }))) => view! {
                            <Letterhead school_id address can_edit letterhead />
                            {templates.into_iter().map(|template| {
                                view! { <TemplateForm school_id template can_edit save /> }
                            }).collect_view()}
                        }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error_message(&error)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn LetterTable(school_id: Uuid, lines: Vec<LetterLine>) -> impl IntoView {
    view! {
        <table data-testid="letters">
            <thead>
                <tr>
                    <th scope="col">"Pupil"</th>
                    <th scope="col">"Stage"</th>
                    <th scope="col">"Subject"</th>
                    <th scope="col">"Generated"</th>
                    <th scope="col">"Email"</th>
                </tr>
            </thead>
            <tbody>
                {lines.into_iter().map(|line| view! {
                    <tr>
                        <td><A href=letter_link(school_id, line.id)>{line.pupil_name.clone()}</A></td>
                        <td>{capitalised(line.step.label())}</td>
                        <td>{line.subject.clone()}</td>
                        <td>
                            {crate::uk_time::date(line.created_at)}
                            {line.created_by_name.clone().map(|name| format!(" · {name}"))}
                        </td>
                        <td>{line.last_delivery.clone().unwrap_or_else(|| "not emailed".to_string())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Letterhead(
    school_id: Uuid,
    address: String,
    can_edit: bool,
    letterhead: ServerAction<SaveLetterhead>,
) -> impl IntoView {
    let saved = move || letterhead.value().get().is_some_and(|r| r.is_ok());
    view! {
        <details class="letter-template" data-step="letterhead">
            <summary>"The school's address on every letter"</summary>
            {if can_edit {
                view! {
                    <ActionForm action=letterhead attr:class="stack">
                        <input type="hidden" name="school_id" value=school_id.to_string() />
                        <label for="letterhead-address">"Address, one line each"</label>
                        <textarea id="letterhead-address" name="address" rows="4">{address}</textarea>
                        <button type="submit">"Save address"</button>
                    </ActionForm>
                    <Show when=saved>
                        <p class="notice" role="status">"Address saved."</p>
                    </Show>
                }.into_any()
            } else {
                view! { <p class="letter-address">{address}</p> }.into_any()
            }}
        </details>
    }
}

#[component]
fn TemplateForm(
    school_id: Uuid,
    template: LetterTemplate,
    can_edit: bool,
    save: ServerAction<SaveTemplate>,
) -> impl IntoView {
    let key = template.step.key();
    let heading = capitalised(template.step.label());
    let meta = format!(
        "Version {}{}",
        template.version,
        template
            .updated_by_name
            .as_ref()
            .map(|name| format!(
                ", saved by {name} on {}",
                crate::uk_time::date(template.updated_at)
            ))
            .unwrap_or_default()
    );
    view! {
        <details class="letter-template" data-step=key>
            <summary>{heading}<span class="muted">{format!(" · {meta}")}</span></summary>
            {if can_edit {
                view! {
                    <ActionForm action=save attr:class="stack">
                        <input type="hidden" name="school_id" value=school_id.to_string() />
                        <input type="hidden" name="step" value=key />
                        <label for=format!("subject-{key}")>"Subject"</label>
                        <input id=format!("subject-{key}") name="subject" type="text" required value=template.subject.clone() />
                        <label for=format!("body-{key}")>"Letter"</label>
                        <textarea id=format!("body-{key}") name="body" rows="16" required>{template.body.clone()}</textarea>
                        <button type="submit">"Save template"</button>
                    </ActionForm>
                }.into_any()
            } else {
                view! {
                    <p><strong>{template.subject.clone()}</strong></p>
                    <pre class="letter-text">{template.body.clone()}</pre>
                }.into_any()
            }}
        </details>
    }
}

#[component]
pub fn LetterPage() -> impl IntoView {
    view! {
        <Title text="Letter" />
        <SignedIn page=|viewer| view! { <OneLetter viewer /> } />
    }
}

#[component]
fn OneLetter(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let params = use_params_map();
    let letter_id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| Uuid::parse_str(&id).ok())
    });
    let email = ServerAction::<EmailLetter>::new();
    let letter = Resource::new(
        move || {
            (
                school.get().map(|s| s.id),
                letter_id.get(),
                email.version().get(),
            )
        },
        |(school_id, letter_id, _)| async move {
            match (school_id, letter_id) {
                (Some(school_id), Some(letter_id)) => load_letter(school_id, letter_id)
                    .await
                    .map(|l| Some((school_id, l))),
                _ => Ok(None),
            }
        },
    );
    let email_result = move || {
        email.value().get().map(|result| match result {
            Ok(delivery) => view! {
                <p class="notice" role="status" data-testid="email-outcome">
                    {format!("Emailed to {}.", delivery.to_address)}
                </p>
            }
            .into_any(),
            Err(error) => view! {
                <p class="error" role="alert" data-testid="email-outcome">{error_message(&error)}</p>
            }
            .into_any(),
        })
    };
    view! {
        <section class="panel">
            <Transition fallback=|| view! { <p class="muted">"Loading the letter…"</p> }>
                {move || Suspend::new(async move {
                    match letter.await {
                        Ok(Some((school_id, (letter, can_work)))) => view! {
                            <LetterView school_id letter can_work email />
                        }.into_any(),
                        Ok(None) => view! { <p>"There is no such letter."</p> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error_message(&error)}</p> }.into_any(),
                    }
                })}
            </Transition>
            {email_result}
        </section>
    }
}

#[component]
fn LetterView(
    school_id: Uuid,
    letter: Letter,
    can_work: bool,
    email: ServerAction<EmailLetter>,
) -> impl IntoView {
    let Letter {
        line,
        body,
        missing,
        template_version,
        recipient_name,
        school_name,
        school_address,
        deliveries,
    } = letter;
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    };
    let to = if line.recipient_email.is_empty() {
        format!("{recipient_name} (no email address recorded)")
    } else {
        format!("{recipient_name} <{}>", line.recipient_email)
    };
    view! {
        <div class="page-head no-print">
            <h1>{line.pupil_name.clone()}": "{capitalised(line.step.label())}</h1>
            <A href=format!("/cases/{}?school={school_id}", line.case_id)>"Back to the case"</A>
        </div>
        <p class="muted no-print">
            {format!("Generated {} by {} from version {} of the template. To: {to}.",
                crate::uk_time::date_time(line.created_at),
                line.created_by_name.clone().unwrap_or_default(),
                template_version)}
        </p>
        {(!missing.is_empty()).then(|| view! {
            <p class="warning no-print" role="status">
                {format!("Nothing was recorded for {}: those places are blank in the letter.",
                    missing.iter().map(|m| format!("{{{{{m}}}}}")).collect::<Vec<_>>().join(", "))}
            </p>
        })}
        <div class="letter-actions no-print">
            <button type="button" on:click=print>"Print"</button>
            <a class="button" href=pdf_href(school_id, line.id) download="" rel="external" data-testid="pdf">"Download PDF"</a>
            <Show when=move || can_work>
                <ActionForm action=email attr:class="inline-form">
                    <input type="hidden" name="school_id" value=school_id.to_string() />
                    <input type="hidden" name="letter_id" value=line.id.to_string() />
                    <button type="submit">"Email to the parent"</button>
                </ActionForm>
            </Show>
        </div>
        <article class="letter-paper" data-testid="letter">
            <header>
                <h2>{school_name}</h2>
                <p class="letter-address">{school_address}</p>
            </header>
            <p class="letter-subject"><strong>{line.subject.clone()}</strong></p>
            <div class="letter-text">{body}</div>
        </article>
        <h2 class="no-print">"Delivery log"</h2>
        {if deliveries.is_empty() {
            view! { <p class="muted no-print">"Not emailed yet."</p> }.into_any()
        } else {
            view! {
                <ul class="delivery-log no-print" data-testid="deliveries">
                    {deliveries.into_iter().map(|d| view! {
                        <li data-status=d.status.clone()>
                            {format!("{} · {} · {}{}",
                                crate::uk_time::date_time(d.queued_at),
                                d.to_address,
                                d.status,
                                d.error.map(|e| format!(": {e}")).unwrap_or_default())}
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

/// For a letter's entry on a case's timeline (generated or emailed), a link to the letter.
pub fn timeline_link(
    school_id: Uuid,
    kind: &str,
    detail: &serde_json::Value,
) -> Option<impl IntoView + use<>> {
    let letter_id = detail.get("letter_id")?.as_str()?;
    let letter_id = Uuid::parse_str(letter_id).ok()?;
    kind.starts_with("letter").then(|| {
        view! { <p><A href=letter_link(school_id, letter_id)>"Read the letter"</A></p> }
    })
}

/// The letters of the case a page shows and the action that generates one, made at the top of
/// the page (not inside the case's own Suspense, where a resource would not hydrate).
#[derive(Clone, Copy)]
pub struct CaseLettersState {
    letters: Resource<Result<Vec<LetterLine>, ServerFnError>>,
    generate: ServerAction<GenerateLetter>,
}

impl CaseLettersState {
    pub fn new(school_id: Memo<Option<Uuid>>, case_id: Memo<Option<Uuid>>) -> CaseLettersState {
        let generate = ServerAction::<GenerateLetter>::new();
        let letters = Resource::new(
            move || (school_id.get(), case_id.get(), generate.version().get()),
            |(school_id, case_id, _)| async move {
                match (school_id, case_id) {
                    (Some(school_id), Some(case_id)) => {
                        load_letters(school_id, Some(case_id)).await
                    }
                    _ => Ok(Vec::new()),
                }
            },
        );
        CaseLettersState { letters, generate }
    }
}

/// The letters of one case on its page: generate the stage's letter, and open those generated.
#[component]
pub fn CaseLetters(
    school_id: Uuid,
    case_id: Uuid,
    can_work: bool,
    state: CaseLettersState,
) -> impl IntoView {
    let CaseLettersState { letters, generate } = state;
    let generated = move || {
        generate.value().get().map(|result| match result {
            Ok(id) => view! {
                <p class="notice" role="status">
                    "Letter generated. " <A href=letter_link(school_id, id)>"Open the letter"</A>
                </p>
            }
            .into_any(),
            Err(error) => {
                view! { <p class="error" role="alert">{error_message(&error)}</p> }.into_any()
            }
        })
    };
    view! {
        <h2>"Letters"</h2>
        <Show when=move || can_work>
            <ActionForm action=generate attr:class="inline-form" attr:data-testid="generate-letter">
                <input type="hidden" name="school_id" value=school_id.to_string() />
                <input type="hidden" name="case_id" value=case_id.to_string() />
                <button type="submit">"Generate the stage letter"</button>
            </ActionForm>
        </Show>
        {generated}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match letters.await {
                    Ok(lines) if lines.is_empty() => view! { <p class="muted">"No letters yet."</p> }.into_any(),
                    Ok(lines) => view! {
                        <ul class="case-letters" data-testid="case-letters">
                            {lines.into_iter().map(|line| view! {
                                <li>
                                    <A href=letter_link(school_id, line.id)>{line.subject.clone()}</A>
                                    {format!(" · {} · {}", crate::uk_time::date(line.created_at),
                                        line.last_delivery.clone().unwrap_or_else(|| "not emailed".to_string()))}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error_message(&error)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Grant, SchoolRef};

    fn viewer(role: Role, school_id: Uuid) -> Viewer {
        Viewer {
            staff_id: Uuid::new_v4(),
            trust_id: Uuid::new_v4(),
            name: "Someone".into(),
            email: "someone@school.test".into(),
            grants: vec![Grant {
                role,
                school_id: Some(school_id),
            }],
            schools: vec![SchoolRef {
                id: school_id,
                name: "Oakfield Academy".into(),
            }],
            via_token: false,
        }
    }

    #[test]
    fn administrators_and_the_attendance_lead_edit_templates_at_their_own_school() {
        let school = Uuid::new_v4();
        for role in Role::ALL {
            let expected = matches!(role, Role::SchoolAdmin | Role::AttendanceLead);
            let at_school = role != Role::TrustAdmin;
            if at_school {
                assert_eq!(
                    may_edit_templates(&viewer(role, school), school),
                    expected,
                    "{role:?}"
                );
            }
        }
        let elsewhere = Uuid::new_v4();
        assert!(!may_edit_templates(
            &viewer(Role::AttendanceLead, school),
            elsewhere
        ));
    }
}
