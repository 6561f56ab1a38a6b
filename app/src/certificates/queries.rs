//! Who earns a certificate, from the statistics engine's figures, and the batch PDF.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use sqlx::PgPool;
use uuid::Uuid;

use super::{CertificateList, Kind, Recipient};
use crate::{
    attendance::queries::pupil_figures,
    domain::figures::format_percent,
    pdf::{Layout, Style},
};

/// "First Last" from the engine's "Last, First".
fn first_last(name: &str) -> String {
    match name.split_once(", ") {
        Some((last, first)) => format!("{first} {last}"),
        None => name.to_string(),
    }
}

/// The period of the same length just before `from`..=`to`.
pub fn period_before(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    let days = (to - from).num_days() + 1;
    (from - Duration::days(days), from - Duration::days(1))
}

/// The pupils of the school who earn certificates of `kind` over the period, in name order for
/// full attendance and most improved first otherwise; `None` when there is no such school.
/// Full attendance is every possible session attended, counted in whole sessions (never a
/// rounded percentage); a pupil with no possible sessions in the period earns nothing, nor does
/// one with none in the period before for "most improved".
pub async fn recipients(
    pool: &PgPool,
    school_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    kind: Kind,
) -> Result<Option<CertificateList>, sqlx::Error> {
    let Some(school_name): Option<String> =
        sqlx::query_scalar("select name from schools where id = $1")
            .bind(school_id)
            .fetch_optional(pool)
            .await?
    else {
        return Ok(None);
    };
    let now = pupil_figures(pool, &[school_id], from, to).await?;
    let recipient = |figures: &crate::attendance::PupilFigures| Recipient {
        pupil_id: figures.pupil_id,
        name: first_last(&figures.name),
        form: figures.form.clone(),
        year: figures.year.clone(),
        attending: figures.sessions.attending(),
        possible: figures.sessions.possible(),
        attendance: figures.sessions.attendance_percent().unwrap_or(0.0),
        before: None,
        improvement: None,
    };
    let (before, recipients) = match kind {
        Kind::Full => {
            let recipients = now
                .iter()
                .filter(|f| {
                    f.sessions.possible() > 0 && f.sessions.attending() == f.sessions.possible()
                })
                .map(recipient)
                .collect();
            (None, recipients)
        }
        Kind::Improved { top, min_points } => {
            let (before_from, before_to) = period_before(from, to);
            let earlier: HashMap<Uuid, f64> =
                pupil_figures(pool, &[school_id], before_from, before_to)
                    .await?
                    .into_iter()
                    .filter_map(|f| Some((f.pupil_id, f.sessions.attendance_percent()?)))
                    .collect();
            let mut improved: Vec<Recipient> = now
                .iter()
                .filter(|f| f.sessions.possible() > 0)
                .filter_map(|f| {
                    let before = *earlier.get(&f.pupil_id)?;
                    let mut line = recipient(f);
                    let rise = line.attendance - before;
                    line.before = Some(before);
                    line.improvement = Some(rise);
                    // Up by at least the points asked (to a hundredth, so 2.0 is 2.0), and up.
                    let enough = min_points.is_none_or(|points| rise + 0.005 >= points);
                    (rise > 0.0 && enough).then_some(line)
                })
                .collect();
            improved.sort_by(|a, b| {
                b.improvement
                    .partial_cmp(&a.improvement)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| a.name.cmp(&b.name))
            });
            if let Some(top) = top {
                improved.truncate(top);
            }
            (Some((before_from, before_to)), improved)
        }
    };
    Ok(Some(CertificateList {
        school_name,
        from,
        to,
        before,
        recipients,
    }))
}

fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// The certificates as one PDF, one a page, for printing in a batch. With nobody to award, one
/// page says so.
pub fn certificates_pdf(list: &CertificateList) -> Vec<u8> {
    let mut layout = Layout::new();
    let period = format!("{} to {}", long_date(list.from), long_date(list.to));
    let big = Style {
        size: 28.0,
        bold: true,
        leading: 40.0,
    };
    let title = Style {
        size: 22.0,
        bold: true,
        leading: 34.0,
    };
    for recipient in &list.recipients {
        layout.new_page();
        layout.line(0.0, Style::SUBHEADING, &list.school_name);
        layout.space(90.0);
        layout.paragraph(
            0.0,
            title,
            if recipient.improvement.is_some() {
                "Certificate for Most Improved Attendance"
            } else {
                "Certificate of 100% Attendance"
            },
        );
        layout.space(30.0);
        layout.line(0.0, Style::BODY, "This certificate is awarded to");
        layout.space(10.0);
        layout.paragraph(0.0, big, &recipient.name);
        let group = if recipient.form.is_empty() {
            recipient.year.clone()
        } else {
            format!("{}, form {}", recipient.year, recipient.form)
        };
        layout.line(0.0, Style::BODY, &group);
        layout.space(24.0);
        let words = match (recipient.before, recipient.improvement) {
            (Some(before), Some(rise)) => format!(
                "for improving their attendance to {} from {} to {}: up {rise:.1} points on \
                 the {} of the same length of time before.",
                format_percent(Some(recipient.attendance)),
                long_date(list.from),
                long_date(list.to),
                format_percent(Some(before)),
            ),
            _ => format!(
                "for attending every one of their {} sessions from {period}.",
                recipient.possible
            ),
        };
        layout.paragraph(0.0, Style::BODY, &words);
        layout.space(100.0);
        layout.line(0.0, Style::BODY, "Signed: ______________________________");
        layout.space(14.0);
        layout.line(0.0, Style::BODY, "Headteacher");
    }
    if list.recipients.is_empty() {
        layout.line(0.0, Style::SUBHEADING, &list.school_name);
        layout.paragraph(
            0.0,
            Style::BODY,
            &format!("No pupil earns these certificates for {period}."),
        );
    }
    layout.finish(&format!("Certificates: {}", list.school_name))
}
