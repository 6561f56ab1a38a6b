//! The reports as files: every report of `/reports` as CSV or as an Excel workbook, for a
//! school (`/api/schools/{school_id}/reports/{report}.csv|.xlsx`) and the trust's schools side
//! by side (`/api/trusts/{trust_id}/reports/schools.csv|.xlsx`). The files hold exactly the
//! tables the page shows, from the same `app::reports` code.

use app::{
    attendance::{self, Grouping},
    auth::Viewer,
    domain::roles::Permission,
    reports::{self, Cell, Report, ReportKind},
};
use axum::{Extension, extract::State, http::header, response::IntoResponse};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    AppState,
    error::ApiError,
    extract::{Path, Query},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(school_report))
        .routes(routes!(trust_report))
}

#[derive(Deserialize, IntoParams)]
pub struct ReportQuery {
    /// The first day, as YYYY-MM-DD.
    from: Option<String>,
    /// The last day, included, as YYYY-MM-DD.
    to: Option<String>,
    /// year (the default), form, sen, fsm, eal or sex: the breakdown's and the persistent
    /// absence report's groups.
    by: Option<String>,
}

fn date(name: &str, value: Option<&str>) -> Result<NaiveDate, ApiError> {
    let value = value
        .ok_or_else(|| ApiError::BadRequest(format!("Give `{name}` as a date like 2026-09-01.")))?;
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::BadRequest(format!(
            "`{name}` is {value:?}, which is not a date like 2026-09-01."
        ))
    })
}

fn period(query: &ReportQuery) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let from = date("from", query.from.as_deref())?;
    let to = date("to", query.to.as_deref())?;
    attendance::check_period(from, to).map_err(ApiError::BadRequest)?;
    Ok((from, to))
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Csv,
    Xlsx,
}

/// `daily-absence.csv` → the report and the format.
fn file(name: &str) -> Result<(&str, Format), ApiError> {
    if let Some(stem) = name.strip_suffix(".csv") {
        Ok((stem, Format::Csv))
    } else if let Some(stem) = name.strip_suffix(".xlsx") {
        Ok((stem, Format::Xlsx))
    } else {
        Err(ApiError::BadRequest(format!(
            "{name:?} is not a report file: ask for the report's name with .csv or .xlsx."
        )))
    }
}

/// One of a school's reports for a period, as a file.
#[utoipa::path(get, path = "/api/schools/{school_id}/reports/{file}", tag = "reports",
    params(
        ("school_id" = Uuid, Path, description = "The school"),
        ("file" = String, Path, description = "The report and the format: daily-absence, \
            n-codes, persistent-absence, falling-attendance, lateness, \
            penalty-notices-and-cases or breakdown, then .csv or .xlsx"),
        ReportQuery,
    ),
    responses(
        (status = 200, description = "The report", content_type = "text/csv", body = String),
        (status = 400, description = "A missing or wrong date, report or grouping", body = super::error::ErrorBody),
        (status = 403, description = "Not allowed to see this school's reports", body = super::error::ErrorBody),
    ))]
async fn school_report(
    State(pool): State<PgPool>,
    viewer: Option<Extension<Viewer>>,
    Path((school_id, name)): Path<(Uuid, String)>,
    Query(query): Query<ReportQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let Extension(viewer) = viewer.ok_or_else(ApiError::sign_in_first)?;
    if !viewer.can(Permission::ViewReports, school_id) {
        return Err(ApiError::not_permitted());
    }
    let (stem, format) = file(&name)?;
    let kind = ReportKind::parse(stem).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "There is no report {stem:?}: use daily-absence, n-codes, persistent-absence, \
             falling-attendance, lateness, penalty-notices-and-cases or breakdown."
        ))
    })?;
    let (from, to) = period(&query)?;
    let by = match query.by.as_deref() {
        None | Some("") => Grouping::Year,
        Some(by) => Grouping::parse(by)
            .ok()
            .filter(|by| reports::GROUPINGS.contains(by))
            .ok_or_else(|| {
                ApiError::BadRequest("Group by year, form, sen, fsm, eal or sex.".into())
            })?,
    };
    let report = reports::queries::report(&pool, school_id, kind, from, to, by)
        .await?
        .ok_or_else(|| ApiError::NotFound("There is no such school.".into()))?;
    respond(&report, format)
}

/// The trust's schools side by side for a period, as a file.
#[utoipa::path(get, path = "/api/trusts/{trust_id}/reports/{file}", tag = "reports",
    params(
        ("trust_id" = Uuid, Path, description = "The trust"),
        ("file" = String, Path, description = "schools.csv or schools.xlsx"),
        ReportQuery,
    ),
    responses(
        (status = 200, description = "A line per school", content_type = "text/csv", body = String),
        (status = 400, description = "A missing or wrong date", body = super::error::ErrorBody),
        (status = 403, description = "Not allowed to see the trust's schools side by side", body = super::error::ErrorBody),
    ))]
async fn trust_report(
    State(pool): State<PgPool>,
    viewer: Option<Extension<Viewer>>,
    Path((trust_id, name)): Path<(Uuid, String)>,
    Query(query): Query<ReportQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let Extension(viewer) = viewer.ok_or_else(ApiError::sign_in_first)?;
    let schools: Vec<_> = viewer
        .schools
        .iter()
        .filter(|school| {
            viewer.trust_id == trust_id && viewer.can(Permission::ViewTrust, school.id)
        })
        .cloned()
        .collect();
    if schools.is_empty() {
        return Err(ApiError::not_permitted());
    }
    let (stem, format) = file(&name)?;
    if stem != "schools" {
        return Err(ApiError::BadRequest(
            "The trust's report is schools.csv or schools.xlsx.".into(),
        ));
    }
    let (from, to) = period(&query)?;
    let mut report = reports::queries::trust_report(&pool, &schools, from, to).await?;
    report.school_name = "All schools of the trust".into();
    respond(&report, format)
}

fn respond(report: &Report, format: Format) -> Result<impl IntoResponse + use<>, ApiError> {
    let stem = report.file_stem();
    let (content_type, file_name, body) = match format {
        Format::Csv => (
            "text/csv; charset=utf-8",
            format!("{stem}.csv"),
            report_csv(report),
        ),
        Format::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            format!("{stem}.xlsx"),
            report_xlsx(report).map_err(|error| ApiError::Internal(error.into()))?,
        ),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    ))
}

fn heading(report: &Report) -> String {
    format!(
        "{}: {}, {} to {}",
        report.kind.label(),
        report.school_name,
        report.from,
        report.to
    )
}

/// The report as CSV: a line naming the report, then each table under its title, a blank line
/// between tables. Text that a spreadsheet would run as a formula is written as text.
pub fn report_csv(report: &Report) -> Vec<u8> {
    use app::exports::cell;
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record([cell(&heading(report)).as_ref()]);
    for table in &report.tables {
        let _ = writer.write_record([""]);
        let _ = writer.write_record([cell(&table.title).as_ref()]);
        let _ = writer.write_record(table.columns.iter().map(|c| cell(c).into_owned()));
        for row in table.rows.iter().chain(table.total.iter()) {
            let _ = writer.write_record(row.iter().map(|c| cell(&c.display()).into_owned()));
        }
    }
    writer.into_inner().unwrap_or_default()
}

/// The report as an Excel workbook: a worksheet per table, its title and the report's name
/// above the column headings, numbers as numbers and dates as dates. Cells are written as
/// strings or numbers, never as formulas.
pub fn report_xlsx(report: &Report) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let one_place = Format::new().set_num_format("0.0");
    let two_places = Format::new().set_num_format("0.00");
    let day = Format::new().set_num_format("yyyy-mm-dd");
    for table in &report.tables {
        let sheet = workbook.add_worksheet();
        sheet.set_name(
            table
                .sheet
                .replace(['[', ']', ':', '*', '?', '/', '\\'], " "),
        )?;
        sheet.write_string_with_format(0, 0, &table.title, &bold)?;
        sheet.write_string(1, 0, heading(report))?;
        for (col, column) in table.columns.iter().enumerate() {
            sheet.write_string_with_format(3, col as u16, column, &bold)?;
            sheet.set_column_width(col as u16, if col == 0 { 28 } else { 16 })?;
        }
        let rows = table.rows.iter().chain(table.total.iter());
        for (i, row) in rows.enumerate() {
            let r = 4 + i as u32;
            for (col, value) in row.iter().enumerate() {
                let col = col as u16;
                match value {
                    Cell::Text(text) if !text.is_empty() => {
                        sheet.write_string(r, col, text)?;
                    }
                    Cell::Text(_) | Cell::Percent(None) => {}
                    Cell::Count(count) => {
                        sheet.write_number(r, col, *count as f64)?;
                    }
                    Cell::Percent(Some(value)) => {
                        sheet.write_number_with_format(r, col, *value, &one_place)?;
                    }
                    Cell::Published(value) => {
                        sheet.write_number_with_format(r, col, *value, &two_places)?;
                    }
                    Cell::Date(date) => {
                        let when = ExcelDateTime::from_ymd(
                            date.year() as u16,
                            date.month() as u8,
                            date.day() as u8,
                        )?;
                        sheet.write_datetime_with_format(r, col, &when, &day)?;
                    }
                }
            }
        }
        sheet.set_freeze_panes(4, 0)?;
    }
    if report.tables.is_empty() {
        workbook
            .add_worksheet()
            .write_string(0, 0, heading(report))?;
    }
    workbook.save_to_buffer()
}
