//! Recognition certificates: for 100% attendance, and for the most improved attendance, over a
//! period the office picks; listed with each pupil's figures and printed in a batch as one PDF,
//! one certificate a page (`queries::certificates_pdf`, served by
//! `server/src/http/certificates.rs`).
//!
//! Full-attendance awards are unfair to children who are often ill, so "most improved" matters
//! as much (`attendance-rules.md`, section 8): it compares each pupil's attendance with the
//! period of the same length just before, and keeps the top N, or those up by at least X
//! points. The figures are the statistics engine's (`attendance::queries::pupil_figures`); a
//! pupil with no possible sessions in the period gets nothing.
//!
//! Who may do what: the same office staff who may read the school's cases (`cases::may_read`).

pub mod pages;
#[cfg(feature = "ssr")]
pub mod queries;

pub use pages::CertificatesPage;

use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which certificates.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Kind {
    /// Present or at an approved activity for every possible session.
    Full,
    /// Up on the period of the same length before: the `top` most improved and/or those up by
    /// at least `min_points` percentage points. Without either, everyone who improved.
    Improved {
        top: Option<usize>,
        min_points: Option<f64>,
    },
}

impl Kind {
    /// From the words of a request: `kind` is `full` or `improved`.
    pub fn parse(kind: &str, top: Option<usize>, min_points: Option<f64>) -> Result<Kind, String> {
        match kind {
            "full" => Ok(Kind::Full),
            "improved" => {
                if min_points.is_some_and(|points| !(0.0..=100.0).contains(&points)) {
                    return Err("The improvement is in percentage points, 0 to 100.".to_string());
                }
                if top == Some(0) {
                    return Err("Show at least one pupil, or leave \"top\" empty.".to_string());
                }
                Ok(Kind::Improved { top, min_points })
            }
            other => Err(format!(
                "{other:?} is not a kind of certificate: choose full or improved."
            )),
        }
    }
}

/// A pupil who earns a certificate, with the figures that earned it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recipient {
    pub pupil_id: Uuid,
    /// First name last name, as the school knows them.
    pub name: String,
    pub form: String,
    pub year: String,
    pub attending: i64,
    pub possible: i64,
    pub attendance: f64,
    /// For "most improved": the attendance of the period before, and the rise in points.
    pub before: Option<f64>,
    pub improvement: Option<f64>,
}

/// The period and kind as asked, with the pupils who qualify.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CertificateList {
    pub school_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The period compared with, for "most improved".
    pub before: Option<(NaiveDate, NaiveDate)>,
    pub recipients: Vec<Recipient>,
}

/// Where the batch PDF of these certificates is downloaded from.
pub fn pdf_href(
    school_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    kind: &str,
    top: Option<usize>,
    min_points: Option<f64>,
) -> String {
    let kind = if kind == "improved" {
        "improved"
    } else {
        "full"
    };
    format!(
        "/api/schools/{school_id}/certificates.pdf?from={from}&to={to}&kind={kind}&top={}&min_points={}",
        top.map(|top| top.to_string()).unwrap_or_default(),
        min_points
            .map(|points| points.to_string())
            .unwrap_or_default()
    )
}

/// The pupils who earn certificates of `kind` over the period.
#[server(prefix = "/api/fn", endpoint = "certificates/list")]
pub async fn load_certificates(
    school_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    kind: String,
    top: Option<usize>,
    min_points: Option<f64>,
) -> Result<CertificateList, ServerFnError> {
    use crate::auth::server;
    crate::cases::require_read(school_id)?;
    crate::attendance::check_period(from, to).map_err(server::invalid)?;
    let kind = Kind::parse(&kind, top, min_points).map_err(server::invalid)?;
    queries::recipients(&server::pool()?, school_id, from, to, kind)
        .await
        .map_err(server::internal)?
        .ok_or_else(|| server::not_found("There is no such school."))
}
