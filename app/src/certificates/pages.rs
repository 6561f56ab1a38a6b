//! /certificates: pick a period and a kind, see who earns a certificate with their figures, and
//! download them all as one PDF to print. The choices are in the address (`?from=&to=&kind=`),
//! so a list can be bookmarked and the form is a plain GET.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{CertificateList, load_certificates, pdf_href};
use crate::{
    auth::Viewer,
    components::{
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
    domain::figures::format_percent,
};

#[component]
pub fn CertificatesPage() -> impl IntoView {
    view! {
        <Title text="Certificates" />
        <SignedIn page=|viewer| view! { <Certificates viewer /> } />
    }
}

/// What the address asks for.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Asked {
    from: NaiveDate,
    to: NaiveDate,
    kind: String,
    top: String,
    min_points: String,
}

#[component]
fn Certificates(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let query = use_query_map();
    let asked = Memo::new(move |_| {
        let query = query.read();
        let date = |key: &str| query.get(key).and_then(|d| d.parse::<NaiveDate>().ok());
        Some(Asked {
            from: date("from")?,
            to: date("to")?,
            kind: query.get("kind").unwrap_or_else(|| "full".to_string()),
            top: query.get("top").unwrap_or_default(),
            min_points: query.get("min_points").unwrap_or_default(),
        })
    });
    let list = Resource::new(
        move || (school.get().map(|s| s.id), asked.get()),
        |(school_id, asked)| async move {
            match (school_id, asked) {
                (Some(school_id), Some(asked)) => {
                    let top = asked.top.trim().parse::<usize>().ok();
                    let min_points = asked.min_points.trim().parse::<f64>().ok();
                    load_certificates(
                        school_id,
                        asked.from,
                        asked.to,
                        asked.kind.clone(),
                        top,
                        min_points,
                    )
                    .await
                    .map(|list| Some((school_id, asked, list)))
                }
                _ => Ok(None),
            }
        },
    );
    let value = move |key: &'static str| move || query.read().get(key).unwrap_or_default();
    let kind_is = move |kind: &'static str| {
        move || {
            query
                .read()
                .get("kind")
                .unwrap_or_else(|| "full".to_string())
                == kind
        }
    };
    view! {
        <section class="panel">
            <div class="page-head">
                <h1>"Certificates"</h1>
                <SchoolPicker viewer=viewer.clone() school />
            </div>
            <p class="muted">
                "Certificates for 100% attendance, or for the most improved attendance on the period of the same length just before, printed in a batch: one certificate a page."
            </p>
            <form method="get" action="/certificates" class="stack" data-testid="certificate-choice">
                {move || school.get().map(|s| view! {
                    <input type="hidden" name="school" value=s.id.to_string() />
                })}
                <label for="cert-from">"From"</label>
                <input id="cert-from" name="from" type="date" required prop:value=value("from") />
                <label for="cert-to">"To"</label>
                <input id="cert-to" name="to" type="date" required prop:value=value("to") />
                <label for="cert-kind">"Kind"</label>
                <select id="cert-kind" name="kind">
                    <option value="full" selected=kind_is("full")>"100% attendance"</option>
                    <option value="improved" selected=kind_is("improved")>"Most improved"</option>
                </select>
                <label for="cert-top">"Most improved: the top (pupils, empty for all)"</label>
                <input id="cert-top" name="top" type="number" min="1" prop:value=value("top") />
                <label for="cert-points">"Most improved: up by at least (percentage points)"</label>
                <input id="cert-points" name="min_points" type="number" min="0" max="100" step="0.1" prop:value=value("min_points") />
                <button type="submit">"Show who earns one"</button>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(Some((school_id, asked, list))) => {
                            let href = pdf_href(
                                school_id,
                                asked.from,
                                asked.to,
                                &asked.kind,
                                asked.top.trim().parse().ok(),
                                asked.min_points.trim().parse().ok(),
                            );
                            view! { <Recipients list href /> }.into_any()
                        }
                        Ok(None) => view! {
                            <p class="muted">"Choose a period and a kind of certificate."</p>
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
fn Recipients(list: CertificateList, href: String) -> impl IntoView {
    let count = list.recipients.len();
    let improved = list.before.is_some();
    let compared = list.before.map(|(from, to)| {
        format!(
            "Compared with {} to {}.",
            from.format("%-d %b %Y"),
            to.format("%-d %b %Y")
        )
    });
    view! {
        <h2>{format!("{count} {}", if count == 1 { "certificate" } else { "certificates" })}</h2>
        <p class="muted">{compared}</p>
        <p>
            <a class="button" href=href download="" rel="external" data-testid="certificates-pdf">"Download the certificates (PDF)"</a>
        </p>
        <table data-testid="certificates">
            <thead>
                <tr>
                    <th scope="col">"Pupil"</th>
                    <th scope="col">"Form"</th>
                    <th scope="col">"Sessions attended"</th>
                    <th scope="col">"Attendance"</th>
                    {improved.then(|| view! {
                        <th scope="col">"Before"</th>
                        <th scope="col">"Up (points)"</th>
                    })}
                </tr>
            </thead>
            <tbody>
                {list.recipients.into_iter().map(|r| view! {
                    <tr>
                        <td>{r.name.clone()}</td>
                        <td>{r.form.clone()}</td>
                        <td>{format!("{} of {}", r.attending, r.possible)}</td>
                        <td>{format_percent(Some(r.attendance))}</td>
                        {improved.then(|| view! {
                            <td>{format_percent(r.before)}</td>
                            <td>{r.improvement.map(|rise| format!("{rise:.1}")).unwrap_or_default()}</td>
                        })}
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
