//! The import page: choose what the file holds, choose the file (or paste it), and watch the
//! import check and write it; then the summary, or every problem with its line.

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

use super::{
    ImportKind, ImportOutcome, ImportProgress, ImportSummary, MAX_REQUEST_BYTES, Phase, RowProblem,
    fits_in_request, poll_import, recent_imports, start_import,
};
use crate::{
    auth::Viewer,
    components::{
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
};

#[component]
pub fn ImportPage() -> impl IntoView {
    view! {
        <Title text="Import" />
        <SignedIn page=|viewer| view! { <Import viewer /> } />
    }
}

/// 12345 as "12,345".
fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The file chosen or pasted, ready to send.
#[derive(Clone, Debug, Default)]
struct Chosen {
    name: String,
    text: String,
}

/// Everything the page changes while an import runs, in one `Copy` bundle for the callbacks.
#[derive(Clone, Copy)]
struct Run {
    running: RwSignal<bool>,
    progress: RwSignal<Option<ImportProgress>>,
    error: RwSignal<Option<String>>,
    finished: RwSignal<u32>,
}

/// Asks how the import is going until it is done.
fn poll(run: Run, school_id: Uuid, task: Uuid) {
    leptos::task::spawn_local(async move {
        match poll_import(school_id, task).await {
            Ok(None) => {
                run.error.set(Some(
                    "The server no longer knows this import (it may have restarted): see Recent imports below for whether it was written, and import the file again if not."
                        .to_string(),
                ));
                run.running.set(false);
                run.finished.update(|n| *n += 1);
            }
            Ok(Some(progress)) => {
                let done = progress.outcome.is_some();
                run.progress.set(Some(progress));
                if done {
                    run.running.set(false);
                    run.finished.update(|n| *n += 1);
                } else {
                    set_timeout(
                        move || poll(run, school_id, task),
                        Duration::from_millis(400),
                    );
                }
            }
            Err(error) => {
                run.error.set(Some(error_message(&error)));
                run.running.set(false);
            }
        }
    });
}

/// Reads the chosen file in the browser and hands over its name and text.
#[cfg(feature = "hydrate")]
fn read_file(
    event: &leptos::ev::Event,
    chosen: RwSignal<Option<Chosen>>,
    error: RwSignal<Option<String>>,
) {
    use wasm_bindgen::{JsCast, closure::Closure};
    let Some(input) = event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return;
    };
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        chosen.set(None);
        return;
    };
    let name = file.name();
    if file.size() > MAX_REQUEST_BYTES as f64 {
        chosen.set(None);
        error.set(Some(too_big(file.size() as usize)));
        return;
    }
    let Ok(reader) = web_sys::FileReader::new() else {
        return;
    };
    let done = reader.clone();
    let onload = Closure::once_into_js(move || {
        let text = done
            .result()
            .ok()
            .and_then(|value| value.as_string())
            .unwrap_or_default();
        chosen.set(Some(Chosen { name, text }));
    });
    reader.set_onload(Some(onload.unchecked_ref()));
    if reader.read_as_text(&file).is_err() {
        error.set(Some(
            "The browser could not read that file: choose it again.".to_string(),
        ));
    }
}

#[cfg(not(feature = "hydrate"))]
fn read_file(_: &leptos::ev::Event, _: RwSignal<Option<Chosen>>, _: RwSignal<Option<String>>) {}

fn too_big(bytes: usize) -> String {
    let mb = |n: usize| n as f64 / (1024.0 * 1024.0);
    format!(
        "This file is {:.1} MB; the page takes files up to {:.0} MB. Import it on the server \
         with `rollcall import pupils|marks --school <URN> FILE` (see docs/import.md), or split \
         it into smaller files.",
        mb(bytes),
        mb(MAX_REQUEST_BYTES)
    )
}

#[component]
fn Import(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let kind = RwSignal::new(ImportKind::Pupils);
    let chosen = RwSignal::new(None::<Chosen>);
    let pasted = RwSignal::new(String::new());
    let file_input = NodeRef::<leptos::html::Input>::new();
    let run = Run {
        running: RwSignal::new(false),
        progress: RwSignal::new(None),
        error: RwSignal::new(None),
        finished: RwSignal::new(0),
    };
    let recent = Resource::new(
        move || (school.get().map(|s| s.id), run.finished.get()),
        |(id, _)| async move {
            match id {
                Some(id) => recent_imports(id).await,
                None => Ok(Vec::new()),
            }
        },
    );

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if run.running.get_untracked() {
            return;
        }
        let Some(school_id) = school.get_untracked().map(|s| s.id) else {
            return;
        };
        let file = chosen.get_untracked().unwrap_or_else(|| Chosen {
            name: String::new(),
            text: pasted.get_untracked(),
        });
        run.progress.set(None);
        if file.text.trim().is_empty() {
            run.error.set(Some(
                "Choose a CSV file exported from your MIS, or paste its text.".to_string(),
            ));
            return;
        }
        if !fits_in_request(&file.text) {
            run.error.set(Some(too_big(file.text.len())));
            return;
        }
        run.error.set(None);
        run.running.set(true);
        let kind = kind.get_untracked();
        leptos::task::spawn_local(async move {
            match start_import(school_id, kind, file.name, file.text).await {
                Ok(task) => poll(run, school_id, task),
                Err(error) => {
                    run.error.set(Some(error_message(&error)));
                    run.running.set(false);
                }
            }
        });
    };

    view! {
        <section class="panel import">
            <div class="page-head">
                <h1>"Import from your MIS"</h1>
                <SchoolPicker viewer=viewer.clone() school />
            </div>
            <p class="lead">
                "CSV files exported from SIMS, Arbor, Bromcom or a spreadsheet: pupils first, then their marks. "
                "Every row is checked first. A file with any problem is refused with every problem listed, and nothing of it is written. "
                "Importing the same file again changes nothing."
            </p>
            <form class="stack import-form" on:submit=submit>
                <fieldset class="import-kind">
                    <legend>"What the file holds"</legend>
                    {[ImportKind::Pupils, ImportKind::Marks].into_iter().map(|option| view! {
                        <label class="check">
                            <input
                                type="radio"
                                name="import-kind"
                                prop:checked=move || kind.get() == option
                                on:change=move |_| kind.set(option)
                            />
                            {option.label()}
                        </label>
                    }).collect_view()}
                </fieldset>
                <label for="import-file">"CSV file"</label>
                <input
                    id="import-file"
                    node_ref=file_input
                    type="file"
                    accept=".csv,text/csv,text/plain"
                    on:change=move |event| {
                        run.error.set(None);
                        read_file(&event, chosen, run.error);
                    }
                />
                <p class="muted hint">
                    "Up to 2 MB here (about 50,000 marks). Bigger files: "
                    <code>"rollcall import marks --school <URN> FILE"</code>
                    " on the server, described in docs/import.md."
                </p>
                {move || chosen.get().map(|file| view! {
                    <p class="muted">{format!("{}: {} bytes, ready to import.", file.name, count(file.text.len() as u64))}</p>
                })}
                <label for="import-text">"Or paste the CSV text"</label>
                <textarea
                    id="import-text"
                    rows="6"
                    spellcheck="false"
                    prop:value=move || pasted.get()
                    on:input=move |event| {
                        pasted.set(event_target_value(&event));
                        // Pasting replaces a file chosen before.
                        if chosen.get_untracked().is_some() {
                            chosen.set(None);
                            #[cfg(feature = "hydrate")]
                            if let Some(input) = file_input.get_untracked() {
                                input.set_value("");
                            }
                        }
                    }
                ></textarea>
                <button type="submit" disabled=move || run.running.get()>"Import"</button>
            </form>
            <ProgressView run />
            <Show when=move || run.error.get().is_some()>
                <p class="error" role="alert">{move || run.error.get()}</p>
            </Show>
            {move || run.progress.get().and_then(|p| p.outcome).map(|outcome| match outcome {
                Ok(ImportOutcome::Imported(summary)) => view! { <SummaryView summary /> }.into_any(),
                Ok(ImportOutcome::Refused { file_name, rows, problems, .. }) => {
                    view! { <ProblemsView file_name rows problems /> }.into_any()
                }
                Err(message) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
            })}
        </section>
        <section class="panel import-recent">
            <h2>"Recent imports"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match recent.await {
                        Ok(past) if past.is_empty() => view! {
                            <p class="muted">"Nothing has been imported at this school yet."</p>
                        }.into_any(),
                        Ok(past) => view! {
                            <table data-testid="recent-imports">
                                <thead><tr>
                                    <th scope="col">"When"</th>
                                    <th scope="col">"File"</th>
                                    <th scope="col">"Kind"</th>
                                    <th scope="col" class="num">"Rows"</th>
                                    <th scope="col" class="num">"New"</th>
                                    <th scope="col" class="num">"Changed"</th>
                                    <th scope="col" class="num">"Unchanged"</th>
                                    <th scope="col">"By"</th>
                                </tr></thead>
                                <tbody>
                                    {past.into_iter().map(|row| view! {
                                        <tr>
                                            <td>{crate::uk_time::date_time(row.imported_at)}</td>
                                            <td class="file-name">{row.file_name}</td>
                                            <td>{row.kind.label()}</td>
                                            <td class="num">{count(row.rows.max(0) as u64)}</td>
                                            <td class="num">{count(row.created.max(0) as u64)}</td>
                                            <td class="num">{count(row.changed.max(0) as u64)}</td>
                                            <td class="num">{count(row.unchanged.max(0) as u64)}</td>
                                            <td>{row.imported_by.unwrap_or_else(|| "command line".to_string())}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error_message(&error)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <FormatsHelp />
    }
}

#[component]
fn ProgressView(run: Run) -> impl IntoView {
    let line = move || {
        let progress = run.progress.get();
        if !run.running.get() {
            return None;
        }
        let Some(progress) = progress else {
            return Some(("Sending the file".to_string(), None::<(u64, u64)>));
        };
        let text = match progress.phase {
            Phase::Reading => format!(
                "{}: {} rows read",
                progress.phase.label(),
                count(progress.checked)
            ),
            Phase::Checking => format!("{}: {} rows", progress.phase.label(), count(progress.rows)),
            Phase::Writing | Phase::Done => format!(
                "{}: {} of {} rows",
                Phase::Writing.label(),
                count(progress.written),
                count(progress.rows)
            ),
        };
        let bar = match progress.phase {
            Phase::Writing | Phase::Done => Some((progress.written, progress.rows.max(1))),
            _ => None,
        };
        Some((text, bar))
    };
    view! {
        <div class="import-progress" role="status" aria-live="polite">
            {move || line().map(|(text, bar)| view! {
                <p>{text}</p>
                {match bar {
                    Some((value, max)) => view! {
                        <progress max=max.to_string() value=value.to_string()></progress>
                    }.into_any(),
                    None => view! { <progress></progress> }.into_any(),
                }}
            })}
        </div>
    }
}

#[component]
fn SummaryView(summary: ImportSummary) -> impl IntoView {
    let (created, changed) = match summary.kind {
        ImportKind::Pupils => ("New pupils", "Pupils changed"),
        ImportKind::Marks => ("New marks", "Marks amended (the old mark is kept)"),
    };
    let imported_before = summary.imported_before.map(|at| {
        format!(
            "This same file was imported before, on {}.",
            crate::uk_time::local(at).format("%-d %B %Y at %H:%M")
        )
    });
    let nothing_changed = summary.created == 0
        && summary.changed == 0
        && summary.year_groups_created.is_empty()
        && summary.forms_created.is_empty();
    view! {
        <div class="import-summary" data-testid="import-summary" role="status">
            <h2>{format!("Imported {}", summary.file_name)}</h2>
            {nothing_changed.then(|| view! { <p class="notice">"Nothing changed: Rollcall already had everything in this file."</p> })}
            {imported_before.map(|text| view! { <p class="muted">{text}</p> })}
            <dl class="facts">
                <dt>"Rows"</dt><dd>{count(summary.rows)}</dd>
                <dt>{created}</dt><dd>{count(summary.created)}</dd>
                <dt>{changed}</dt><dd>{count(summary.changed)}</dd>
                <dt>"Unchanged"</dt><dd>{count(summary.unchanged)}</dd>
                {(!summary.year_groups_created.is_empty()).then(|| view! {
                    <dt>"Year groups added"</dt><dd>{summary.year_groups_created.join(", ")}</dd>
                })}
                {(!summary.forms_created.is_empty()).then(|| view! {
                    <dt>"Forms added"</dt><dd>{summary.forms_created.join(", ")}</dd>
                })}
                {(summary.present_signs_corrected > 0).then(|| view! {
                    <dt>"Present signs corrected"</dt>
                    <dd>{format!("{} (a / in the afternoon is stored as \\, and a \\ in the morning as /)", count(summary.present_signs_corrected))}</dd>
                })}
                {(!summary.ignored_columns.is_empty()).then(|| view! {
                    <dt>"Columns not read"</dt><dd>{summary.ignored_columns.join(", ")}</dd>
                })}
            </dl>
            {(!summary.mappings.is_empty()).then(|| view! {
                <h3>"Withdrawn codes mapped"</h3>
                <table data-testid="import-mappings">
                    <thead><tr>
                        <th scope="col">"Code in the file"</th>
                        <th scope="col">"Stored as"</th>
                        <th scope="col" class="num">"Marks"</th>
                        <th scope="col">"Why"</th>
                    </tr></thead>
                    <tbody>
                        {summary.mappings.into_iter().map(|m| view! {
                            <tr>
                                <td class="code">{m.withdrawn}</td>
                                <td class="code">{m.now}</td>
                                <td class="num">{count(m.rows)}</td>
                                <td>{m.why}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </div>
    }
}

#[component]
fn ProblemsView(file_name: String, rows: u64, problems: Vec<RowProblem>) -> impl IntoView {
    let lines = {
        let mut lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
        lines.dedup();
        lines.len()
    };
    let heading = format!(
        "Nothing was imported: {} {} on {} {} of {}",
        count(problems.len() as u64),
        if problems.len() == 1 {
            "problem"
        } else {
            "problems"
        },
        count(lines as u64),
        if lines == 1 { "line" } else { "lines" },
        file_name
    );
    view! {
        <div class="import-problems">
            <h2 role="alert">{heading}</h2>
            <p>{format!(
                "The file has {} rows. Correct these in the MIS (or the file) and import the whole file again; nothing of it was written.",
                count(rows)
            )}</p>
            <table data-testid="import-problems">
                <thead><tr>
                    <th scope="col" class="num">"Line"</th>
                    <th scope="col">"Column"</th>
                    <th scope="col">"What is wrong, and how to fix it"</th>
                </tr></thead>
                <tbody>
                    {problems.into_iter().map(|p| view! {
                        <tr>
                            <td class="num">{p.line}</td>
                            <td>{p.column}</td>
                            <td>{p.message}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The columns each format reads, for the person preparing the export.
#[component]
fn FormatsHelp() -> impl IntoView {
    view! {
        <section class="panel import-help">
            <h2>"The files"</h2>
            <p>"The first line names the columns. Names are matched whatever their case or spacing, and the usual MIS names are accepted (Surname or Legal Surname, Reg Group or Form, DOB or Date of Birth). Dates are YYYY-MM-DD or DD/MM/YYYY. Other columns are left alone."</p>
            <details>
                <summary>"Pupils and contacts"</summary>
                <p>"Needed: UPN, Legal Forename, Legal Surname, Date of Birth, Sex (M or F), NC Year (R for Reception, N for Nursery), Admission Date."</p>
                <p>"Optional: Preferred Forename, Preferred Surname, Reg Group, Leaving Date, SEN Status (N, K or E), FSM, EAL, Pupil Premium (Y or N), Ethnicity (the DfE's code), and for Contact 1 and Contact 2: Priority, Title, Forename, Surname, Relationship, Parental Responsibility, Mobile, Home Phone, Work Phone, Email, Address, Postcode."</p>
                <p>"A pupil is matched by UPN: a new UPN adds a pupil, a known one updates what changed. Missing year groups and forms are added. When the file has contact columns, each pupil's contacts become those in the file. A column the file does not have is left as it is."</p>
            </details>
            <details>
                <summary>"Register marks"</summary>
                <p>"Needed: UPN, Date, Session (AM or PM), Code. Optional: Minutes Late (needed for L and U)."</p>
                <p>"A mark that differs from Rollcall's is amended, keeping the original, with the reason \"Imported from\" and the file's name. Withdrawn codes are read as their successors and counted in the summary: H and F as C, J as J1, Y as Y7."</p>
            </details>
        </section>
    }
}
