//! `/reports`: one report at a time for a school and any period, with the group switch, the
//! exports (CSV, Excel) and a printable page; `/reports?view=trust` puts the trust's schools
//! side by side for trust-level roles, each drilling down to its school.
//!
//! The choice lives in the address (`?report=&from=&to=&by=`), so a link or a reload shows the
//! same report and the form works before the wasm has loaded.

use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::{A, Form},
    hooks::use_query_map,
};

use super::{
    Cell, GROUPINGS, Report, ReportKind, Table, charts::ChartFigure, run_report, run_trust_report,
};
use crate::{
    attendance::Grouping,
    auth::Viewer,
    components::{
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
    domain::roles::Permission,
};

fn academic_year_start(date: NaiveDate) -> NaiveDate {
    let year = if date.month() >= 9 {
        date.year()
    } else {
        date.year() - 1
    };
    NaiveDate::from_ymd_opt(year, 9, 1).unwrap_or(date)
}

fn parse_date(text: Option<String>) -> Option<NaiveDate> {
    text.and_then(|text| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok())
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Choice {
    kind: ReportKind,
    from: NaiveDate,
    to: NaiveDate,
    by: Grouping,
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    view! {
        <Title text="Reports" />
        <SignedIn page=|viewer| view! { <Reports viewer /> } />
    }
}

#[component]
fn Reports(viewer: Viewer) -> impl IntoView {
    let query = use_query_map();
    let trust = Memo::new(move |_| query.read().get("view").as_deref() == Some("trust"));
    let may_see_trust = viewer.can_somewhere(Permission::ViewTrust);
    view! {
        <Show
            when=move || trust.get() && may_see_trust
            fallback=move || view! { <SchoolReports viewer=viewer.clone() /> }
        >
            <TrustView />
        </Show>
    }
}

#[component]
fn SchoolReports(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let query = use_query_map();
    let choice = Memo::new(move |_| {
        let query = query.read();
        let to = parse_date(query.get("to")).unwrap_or_else(crate::uk_time::today);
        let from = parse_date(query.get("from")).unwrap_or_else(|| academic_year_start(to));
        let kind = query
            .get("report")
            .and_then(|key| ReportKind::parse(&key))
            .unwrap_or(ReportKind::DailyAbsence);
        let by = query
            .get("by")
            .and_then(|by| Grouping::parse(&by).ok())
            .filter(|by| GROUPINGS.contains(by))
            .unwrap_or(Grouping::Year);
        Choice { kind, from, to, by }
    });
    let report = Resource::new(
        move || (school.get().map(|s| s.id), choice.get()),
        |(id, choice)| async move {
            match id {
                Some(id) => run_report(id, choice.kind, choice.from, choice.to, choice.by)
                    .await
                    .map(Some),
                None => Ok(None),
            }
        },
    );
    let school_id = move || school.get().map(|s| s.id.to_string()).unwrap_or_default();
    let from = move || choice.get().from.to_string();
    let to = move || choice.get().to.to_string();
    let may_see_trust = viewer.can_somewhere(Permission::ViewTrust);
    view! {
        <section class="panel reports">
            <div class="page-head">
                <h1>"Reports"</h1>
                <SchoolPicker viewer=viewer.clone() school />
            </div>
            {may_see_trust
                .then(|| {
                    view! {
                        <p class="no-print">
                            <A href="/reports?view=trust">"The trust's schools side by side"</A>
                        </p>
                    }
                })}
            <Form method="get" action="/reports" noscroll=true attr:class="period-form no-print">
                <input type="hidden" name="school" value=school_id prop:value=school_id />
                <div class="field">
                    <label for="report">"Report"</label>
                    <select id="report" name="report" prop:value=move || choice.get().kind.key()>
                        {ReportKind::ALL
                            .iter()
                            .map(|kind| {
                                let kind = *kind;
                                view! {
                                    <option
                                        value=kind.key()
                                        selected=move || choice.get().kind == kind
                                    >
                                        {kind.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="from">"From"</label>
                    <input id="from" name="from" type="date" required value=from prop:value=from />
                </div>
                <div class="field">
                    <label for="to">"To"</label>
                    <input id="to" name="to" type="date" required value=to prop:value=to />
                </div>
                <div class="field">
                    <label for="by">"Group by"</label>
                    <select id="by" name="by" prop:value=move || choice.get().by.key()>
                        {GROUPINGS
                            .iter()
                            .map(|grouping| {
                                let grouping = *grouping;
                                view! {
                                    <option
                                        value=grouping.key()
                                        selected=move || choice.get().by == grouping
                                    >
                                        {grouping.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <button type="submit">"Show report"</button>
            </Form>
            <Transition fallback=|| view! { <p class="muted">"Running the report…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(Some(report)) => view! { <ReportView report /> }.into_any(),
                        Ok(None) => view! { <crate::components::errors::NoSchool /> }.into_any(),
                        Err(error) => {
                            view! { <p class="error" role="alert">{error_message(&error)}</p> }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// The address of a report's export.
fn export_href(report: &Report, extension: &str) -> String {
    format!(
        "/api/schools/{}/reports/{}.{extension}?from={}&to={}&by={}",
        report.school_id,
        report.kind.key(),
        report.from,
        report.to,
        report.by.key()
    )
}

fn print_page() {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.print();
    }
}

#[component]
fn ReportView(report: Report) -> impl IntoView {
    let csv = export_href(&report, "csv");
    let xlsx = export_href(&report, "xlsx");
    let heading = format!("{}: {}", report.kind.label(), report.school_name);
    let period = format!(
        "{} to {}{}",
        report.from.format("%-d %B %Y"),
        report.to.format("%-d %B %Y"),
        if report.kind.uses_grouping() {
            format!(", by {}", report.by.label().to_lowercase())
        } else {
            String::new()
        }
    );
    let key = report.kind.key();
    view! {
        <article class="report" data-testid="report" data-report=key>
            <h2>{heading}</h2>
            <p class="muted">{report.kind.purpose()}</p>
            <p class="report-period" data-testid="report-period">{period}</p>
            <p class="exports no-print">
                <a href=csv rel="external" download data-testid="export-csv">"Download CSV"</a>
                <a href=xlsx rel="external" download data-testid="export-xlsx">"Download Excel"</a>
                <button type="button" on:click=|_| print_page()>"Print"</button>
            </p>
            <div class="charts">
                {report
                    .charts
                    .into_iter()
                    .enumerate()
                    .map(|(i, chart)| view! { <ChartFigure chart id=format!("{key}-{i}") /> })
                    .collect_view()}
            </div>
            {report
                .tables
                .into_iter()
                .map(|table| view! { <ReportTable table link=None /> })
                .collect_view()}
        </article>
    }
}

/// A table of a report. `link` turns the first column into links (the trust view's schools).
#[component]
fn ReportTable(table: Table, link: Option<Callback<String, Option<String>>>) -> impl IntoView {
    let empty = table.rows.is_empty();
    let sheet = table.sheet.clone();
    // A percentage shows its sign where its column is one ("Attendance %"); a difference in
    // percentage points does not.
    let percent_columns: Vec<bool> = table.columns.iter().map(|c| c.ends_with('%')).collect();
    let row = move |cells: Vec<Cell>, total: bool| {
        let cells = cells
            .into_iter()
            .enumerate()
            .map(|(i, cell)| {
                let class = match cell {
                    Cell::Count(_) | Cell::Percent(_) | Cell::Published(_) => "num",
                    Cell::Date(_) => "date",
                    Cell::Text(_) => "",
                };
                let text = cell.display();
                let text = if matches!(cell, Cell::Percent(Some(_)) | Cell::Published(_))
                    && percent_columns.get(i).copied().unwrap_or(false)
                {
                    format!("{text}%")
                } else {
                    text
                };
                if i == 0 {
                    let href = link.and_then(|link| link.run(text.clone()));
                    let content = match href {
                        Some(href) if !total => view! { <A href=href>{text}</A> }.into_any(),
                        _ => text.into_any(),
                    };
                    view! { <th scope="row">{content}</th> }.into_any()
                } else {
                    view! { <td class=class>{text}</td> }.into_any()
                }
            })
            .collect_view();
        view! { <tr>{cells}</tr> }
    };
    view! {
        <div class="figures-scroll">
            <table class="figures" data-testid=format!("table-{sheet}")>
                <caption>{table.title.clone()}</caption>
                <thead>
                    <tr>
                        {table
                            .columns
                            .iter()
                            .map(|c| view! { <th scope="col">{c.clone()}</th> })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {table.rows.into_iter().map(|cells| row(cells, false)).collect_view()}
                </tbody>
                {table.total.map(|cells| view! { <tfoot>{row(cells, true)}</tfoot> })}
            </table>
            {empty.then(|| view! { <p class="muted">"Nothing to report for this period."</p> })}
        </div>
    }
}

#[component]
fn TrustView() -> impl IntoView {
    let query = use_query_map();
    let period = Memo::new(move |_| {
        let query = query.read();
        let to = parse_date(query.get("to")).unwrap_or_else(crate::uk_time::today);
        let from = parse_date(query.get("from")).unwrap_or_else(|| academic_year_start(to));
        (from, to)
    });
    let report = Resource::new(
        move || period.get(),
        |(from, to)| async move { run_trust_report(from, to).await },
    );
    let viewer = crate::auth::use_viewer().0;
    let from = move || period.get().0.to_string();
    let to = move || period.get().1.to_string();
    view! {
        <section class="panel reports">
            <div class="page-head">
                <h1>"The trust's schools"</h1>
            </div>
            <Form method="get" action="/reports" noscroll=true attr:class="period-form no-print">
                <input type="hidden" name="view" value="trust" />
                <div class="field">
                    <label for="from">"From"</label>
                    <input id="from" name="from" type="date" required value=from prop:value=from />
                </div>
                <div class="field">
                    <label for="to">"To"</label>
                    <input id="to" name="to" type="date" required value=to prop:value=to />
                </div>
                <button type="submit">"Show schools"</button>
            </Form>
            <Transition fallback=|| view! { <p class="muted">"Working out the figures…"</p> }>
                {move || Suspend::new(async move {
                    let (trust_id, schools) = viewer
                        .await
                        .ok()
                        .flatten()
                        .map(|viewer| (viewer.trust_id, viewer.schools))
                        .unwrap_or_default();
                    match report.await {
                        Ok(report) => {
                            let (from, to) = (report.from, report.to);
                            let export = |extension: &str| {
                                format!(
                                    "/api/trusts/{trust_id}/reports/schools.{extension}?from={from}&to={to}"
                                )
                            };
                            let (csv, xlsx) = (export("csv"), export("xlsx"));
                            // A school's name drills down to its own breakdown for the period.
                            let link = Callback::new(move |name: String| {
                                schools.iter().find(|s| s.name == name).map(|s| {
                                    format!(
                                        "/reports?school={}&report=breakdown&from={from}&to={to}",
                                        s.id
                                    )
                                })
                            });
                            view! {
                                <article class="report" data-testid="trust-report">
                                    <p class="report-period">
                                        {format!(
                                            "{} to {}",
                                            report.from.format("%-d %B %Y"),
                                            report.to.format("%-d %B %Y"),
                                        )}
                                    </p>
                                    <p class="exports no-print">
                                        <a href=csv rel="external" download data-testid="export-csv">
                                            "Download CSV"
                                        </a>
                                        <a href=xlsx rel="external" download data-testid="export-xlsx">
                                            "Download Excel"
                                        </a>
                                        <button type="button" on:click=|_| print_page()>
                                            "Print"
                                        </button>
                                    </p>
                                    {report
                                        .charts
                                        .into_iter()
                                        .enumerate()
                                        .map(|(i, chart)| {
                                            view! { <ChartFigure chart id=format!("trust-{i}") /> }
                                        })
                                        .collect_view()}
                                    {report
                                        .tables
                                        .into_iter()
                                        .map(|table| view! { <ReportTable table link=Some(link) /> })
                                        .collect_view()}
                                </article>
                            }
                                .into_any()
                        }
                        Err(error) => {
                            view! { <p class="error" role="alert">{error_message(&error)}</p> }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}
