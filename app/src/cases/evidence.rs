//! The evidence pack of a case: one PDF, ready for a court or a local-authority referral, with
//! a cover page, a certificate of attendance, the attendance record (the code breakdown and
//! every session mark) and the chronology of everything done on the case, in date order. Served
//! by `server/src/http/evidence.rs`; laid out by `crate::pdf`.
//!
//! Nothing is worked out twice: the figures are the statistics engine's
//! (`attendance::queries::pupil_attendance`), and the chronology is the case's timeline as the
//! viewer may see it (`cases::queries::case_detail`, which already leaves out safeguarding notes
//! and visit concerns for anyone without `ViewSafeguarding`), with the contact attempts of
//! first-day calling, the minutes of meetings, how each letter was sent and what was found at
//! each visit (read through `visits::queries::visit`, which blanks the notes of a visit with a
//! concern for the same people).

use uuid::Uuid;

/// Where the case page downloads the pack from.
pub fn evidence_pack_href(school_id: Uuid, case_id: Uuid) -> String {
    format!("/api/schools/{school_id}/cases/{case_id}/evidence-pack")
}

#[cfg(feature = "ssr")]
pub use build::*;

#[cfg(feature = "ssr")]
mod build {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    use chrono_tz::Tz;
    use sqlx::PgPool;
    use uuid::Uuid;

    use crate::{
        attendance::{CalendarDayKind, PupilAttendanceRecord, queries::pupil_attendance},
        auth::Viewer,
        cases::{CaseEvent, queries::case_detail},
        domain::{codes::Code, figures::format_percent, roles::Permission},
        pdf::{Layout, Style, TEXT_WIDTH},
    };

    /// The pack as a file to download.
    pub struct EvidencePack {
        /// `evidence-pack-<UPN>-<date>.pdf`.
        pub file_name: String,
        pub pdf: Vec<u8>,
    }

    /// One entry of the chronology.
    #[derive(Clone, Debug, PartialEq)]
    pub struct Entry {
        pub at: DateTime<Utc>,
        /// What kind of thing it was, in words: "Letter", "Home visit".
        pub what: String,
        pub by: Option<String>,
        pub summary: String,
        /// Further lines: minutes, how a letter was sent, what was found at a visit.
        pub more: Vec<String>,
    }

    /// Everything the pack shows, gathered; `render` lays it out.
    pub struct PackContents {
        pub school_name: String,
        pub time_zone: Tz,
        pub pupil_name: String,
        pub upn: String,
        pub date_of_birth: NaiveDate,
        pub year: String,
        pub form: String,
        /// Child in need or on a protection plan: only for those who may see safeguarding.
        pub safeguarding_status: Option<String>,
        pub stage: String,
        pub owner: String,
        pub opened_on: NaiveDate,
        pub closed_on: Option<NaiveDate>,
        pub generated_at: NaiveDateTime,
        pub generated_by: String,
        pub attendance: PupilAttendanceRecord,
        pub chronology: Vec<Entry>,
    }

    /// The case's pack as `viewer` may see it, with the school's clocks reading `now`; `None`
    /// when the case is not this school's.
    pub async fn evidence_pack(
        pool: &PgPool,
        viewer: &Viewer,
        school_id: Uuid,
        case_id: Uuid,
        now: NaiveDateTime,
    ) -> Result<Option<EvidencePack>, sqlx::Error> {
        let Some(contents) = gather(pool, viewer, school_id, case_id, now).await? else {
            return Ok(None);
        };
        let file_name = format!(
            "evidence-pack-{}-{}.pdf",
            file_safe(&contents.upn),
            now.format("%Y-%m-%d")
        );
        Ok(Some(EvidencePack {
            file_name,
            pdf: render(&contents),
        }))
    }

    /// Letters and digits only, so the name is safe in a header.
    fn file_safe(text: &str) -> String {
        text.chars().filter(char::is_ascii_alphanumeric).collect()
    }

    /// The period the pack covers: from the start of the academic year (or the pupil's
    /// admission, if later) to today (or the day they left, if earlier).
    async fn period(
        pool: &PgPool,
        school_id: Uuid,
        admitted_on: NaiveDate,
        left_on: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<(NaiveDate, NaiveDate), sqlx::Error> {
        let year_start: Option<NaiveDate> = sqlx::query_scalar(
            "select starts_on from academic_years
             where school_id = $1 and starts_on <= $2 order by starts_on desc limit 1",
        )
        .bind(school_id)
        .bind(today)
        .fetch_optional(pool)
        .await?;
        let to = left_on.map_or(today, |left| left.min(today));
        let from = year_start
            .unwrap_or(today - chrono::Duration::days(365))
            .max(admitted_on)
            .min(to);
        Ok((from, to))
    }

    /// Gathers the pack's contents from the queries that already answer each part.
    pub async fn gather(
        pool: &PgPool,
        viewer: &Viewer,
        school_id: Uuid,
        case_id: Uuid,
        now: NaiveDateTime,
    ) -> Result<Option<PackContents>, sqlx::Error> {
        let Some(detail) = case_detail(pool, viewer, school_id, case_id).await? else {
            return Ok(None);
        };
        let sees_safeguarding = viewer.can(Permission::ViewSafeguarding, school_id);
        let pupil_id = detail.case.pupil_id;
        let Some(pupil) =
            crate::pupils::queries::record(pool, school_id, pupil_id, sees_safeguarding).await?
        else {
            return Ok(None);
        };
        let (school_name, zone): (String, String) =
            sqlx::query_as("select name, time_zone from schools where id = $1")
                .bind(school_id)
                .fetch_one(pool)
                .await?;
        let time_zone: Tz = zone.parse().unwrap_or(chrono_tz::Europe::London);
        let today = now.date();
        let (from, to) = period(pool, school_id, pupil.admitted_on, pupil.left_on, today).await?;
        let Some(attendance) =
            pupil_attendance(pool, school_id, pupil_id, Some(from), Some(to)).await?
        else {
            return Ok(None);
        };

        if sees_safeguarding
            && (pupil.is_flagged() || detail.events.iter().any(|event| event.safeguarding))
        {
            crate::data_protection::queries::log_view(
                pool,
                viewer,
                school_id,
                pupil_id,
                crate::data_protection::ViewedRecord::EvidencePack,
                Some(case_id),
            )
            .await?;
        }
        let mut events = detail.events;
        events.extend(crate::calling::queries::timeline(pool, school_id, pupil_id).await?);
        events.sort_by_key(|event| event.at);
        let mut chronology = Vec::with_capacity(events.len());
        for event in events {
            let more = more_about(pool, viewer, school_id, &event, time_zone).await?;
            let mut what = kind_words(&event.kind).to_string();
            if event.safeguarding && event.kind == "note" {
                what.push_str(" (safeguarding)");
            }
            chronology.push(Entry {
                at: event.at,
                what,
                by: event.by_name,
                summary: event.summary,
                more,
            });
        }
        let local = |at: DateTime<Utc>| at.with_timezone(&time_zone).date_naive();
        Ok(Some(PackContents {
            school_name,
            time_zone,
            pupil_name: pupil.display_name(),
            upn: pupil.upn,
            date_of_birth: pupil.date_of_birth,
            year: pupil.year,
            form: pupil.form.unwrap_or_default(),
            safeguarding_status: pupil.safeguarding_status.filter(|status| status != "none"),
            stage: capitalised(detail.case.stage.label()),
            owner: detail
                .case
                .owner_name
                .unwrap_or_else(|| "Unassigned".to_string()),
            opened_on: local(detail.case.opened_at),
            closed_on: detail.closed_at.map(local),
            generated_at: now,
            generated_by: viewer.name.clone(),
            attendance,
            chronology,
        }))
    }

    /// What a timeline entry is, in words.
    fn kind_words(kind: &str) -> &'static str {
        match kind {
            "opened" => "Case opened",
            "proposed" => "Proposal",
            "accepted" => "Proposal accepted",
            "overridden" => "Proposal overridden",
            "note" => "Note",
            "letter" => "Letter",
            "letter_emailed" => "Letter emailed",
            "meeting_arranged" => "Meeting arranged",
            "meeting_held" => "Meeting held",
            "plan_agreed" => "Attendance plan agreed",
            "plan_reviewed" => "Attendance plan reviewed",
            "contact_attempt" => "Contact attempt",
            "visit_planned" => "Home visit planned",
            "visit_made" => "Home visit",
            "visit_concern" => "Safeguarding concern",
            "notice_to_improve" => "Notice to Improve",
            "penalty_notice" => "Penalty notice",
            "leave_requested" => "Leave request",
            "leave_decided" => "Leave decision",
            "leave_taken" => "Refused leave taken",
            _ => "Case",
        }
    }

    fn uuid_in(detail: &serde_json::Value, key: &str) -> Option<Uuid> {
        detail.get(key)?.as_str()?.parse().ok()
    }

    fn text_in(detail: &serde_json::Value, key: &str) -> Option<String> {
        detail
            .get(key)?
            .as_str()
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_string)
    }

    /// The details the timeline's one line leaves out: a meeting's minutes, how a letter was
    /// sent, what was found at a visit (as the viewer may see it).
    async fn more_about(
        pool: &PgPool,
        viewer: &Viewer,
        school_id: Uuid,
        event: &CaseEvent,
        zone: Tz,
    ) -> Result<Vec<String>, sqlx::Error> {
        let mut more = Vec::new();
        match event.kind.as_str() {
            "meeting_held" => {
                if let Some(minutes) = text_in(&event.detail, "minutes") {
                    more.push(format!("Minutes: {minutes}"));
                }
            }
            "letter" => {
                let Some(letter_id) = uuid_in(&event.detail, "letter_id") else {
                    return Ok(more);
                };
                if let Some(letter) =
                    crate::letters::queries::letter(pool, school_id, letter_id).await?
                {
                    let sent: Vec<String> = letter
                        .deliveries
                        .iter()
                        .filter(|delivery| delivery.status == "sent")
                        .map(|delivery| {
                            format!(
                                "emailed to {} on {}",
                                delivery.to_address,
                                delivery
                                    .finished_at
                                    .unwrap_or(delivery.queued_at)
                                    .with_timezone(&zone)
                                    .format("%-d %b %Y %H:%M")
                            )
                        })
                        .collect();
                    more.push(format!("Subject: {}", letter.line.subject));
                    more.push(if sent.is_empty() {
                        "How sent: not emailed; printed for posting or handing to the family."
                            .to_string()
                    } else {
                        format!("How sent: {}.", sent.join("; "))
                    });
                }
            }
            "visit_made" => {
                let Some(visit_id) = uuid_in(&event.detail, "visit_id") else {
                    return Ok(more);
                };
                if let Some(visit) =
                    crate::visits::queries::visit(pool, viewer, school_id, visit_id).await?
                    && let Some(record) = visit.record
                    && !visit.notes_hidden
                {
                    for (label, text) in [
                        ("What was said", &record.what_was_said),
                        ("Facts (seen and heard)", &record.facts),
                        ("Opinion", &record.opinion),
                        ("Agreed actions", &record.agreed_actions),
                    ] {
                        if !text.trim().is_empty() {
                            more.push(format!("{label}: {}", text.trim()));
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(more)
    }

    fn capitalised(text: &str) -> String {
        let mut chars = text.chars();
        chars
            .next()
            .map(|first| first.to_uppercase().collect::<String>() + chars.as_str())
            .unwrap_or_default()
    }

    fn long_date(date: NaiveDate) -> String {
        date.format("%-d %B %Y").to_string()
    }

    fn safeguarding_words(status: &str) -> &str {
        match status {
            "child_in_need" => "Child in need",
            "child_protection_plan" => "Child protection plan",
            other => other,
        }
    }

    /// The PDF: cover, certificate, attendance record and chronology, each from a new page.
    /// Laid out twice: the first time finds the page each section starts on, for the contents.
    pub fn render(pack: &PackContents) -> Vec<u8> {
        let (_, starts) = lay_out(pack, [0; 3]);
        let (layout, _) = lay_out(pack, starts);
        layout.finish(&format!("Evidence pack: {}", pack.pupil_name))
    }

    /// The pack on pages, with the contents giving `starts` as the sections' first pages; and
    /// the pages they did start on.
    fn lay_out(pack: &PackContents, starts: [usize; 3]) -> (Layout, [usize; 3]) {
        let mut layout = Layout::new();
        let record = &pack.attendance;
        let period = format!("{} to {}", long_date(record.from), long_date(record.to));
        let pair = |layout: &mut Layout, label: &str, value: &str| {
            layout.row(&[170.0, TEXT_WIDTH - 170.0], Style::BODY, &[label, value]);
        };

        // The cover.
        layout.line(0.0, Style::SMALL, &pack.school_name);
        layout.space(40.0);
        layout.heading(Style::HEADING, "Attendance evidence pack");
        layout.paragraph(0.0, Style::SUBHEADING, &pack.pupil_name);
        layout.space(12.0);
        pair(&mut layout, "School", &pack.school_name);
        pair(&mut layout, "Pupil", &pack.pupil_name);
        pair(&mut layout, "UPN", &pack.upn);
        pair(&mut layout, "Date of birth", &long_date(pack.date_of_birth));
        pair(&mut layout, "Year and form", &{
            if pack.form.is_empty() {
                pack.year.clone()
            } else {
                format!("{}, form {}", pack.year, pack.form)
            }
        });
        if let Some(status) = &pack.safeguarding_status {
            pair(&mut layout, "Safeguarding", safeguarding_words(status));
        }
        pair(&mut layout, "Case stage", &pack.stage);
        pair(&mut layout, "Case owner", &pack.owner);
        pair(&mut layout, "Case opened", &long_date(pack.opened_on));
        if let Some(closed) = pack.closed_on {
            pair(&mut layout, "Case closed", &long_date(closed));
        }
        pair(&mut layout, "Period covered", &period);
        pair(
            &mut layout,
            "Generated",
            &format!(
                "{} by {}",
                pack.generated_at.format("%-d %B %Y at %H:%M"),
                pack.generated_by
            ),
        );
        layout.space(12.0);
        layout.heading(Style::SUBHEADING, "Contents");
        let titles = [
            "Certificate of attendance",
            "Attendance record and code breakdown",
            "Chronology",
        ];
        for (n, (title, page)) in titles.iter().zip(starts).enumerate() {
            layout.row(
                &[20.0, 300.0, TEXT_WIDTH - 320.0],
                Style::BODY,
                &[&format!("{}.", n + 1), title, &format!("page {page}")],
            );
        }

        let mut found = [0; 3];
        layout.new_page();
        found[0] = layout.page_count();
        certificate(&mut layout, pack, &period);
        layout.new_page();
        found[1] = layout.page_count();
        attendance_record(&mut layout, pack);
        layout.new_page();
        found[2] = layout.page_count();
        chronology(&mut layout, pack);
        (layout, found)
    }

    fn certificate(layout: &mut Layout, pack: &PackContents, period: &str) {
        let sessions = &pack.attendance.sessions;
        layout.heading(Style::HEADING, "1. Certificate of attendance");
        layout.paragraph(
            0.0,
            Style::BODY,
            &format!(
                "I certify that the figures below are a true statement of the attendance of \
                 {} (UPN {}, born {}) at {} for the period {period}, taken from the school's \
                 attendance register kept under the School Attendance (Pupil Registration) \
                 (England) Regulations 2024. Sessions are counted only on school days while \
                 the pupil was on roll, as the DfE's methodology defines them.",
                pack.pupil_name,
                pack.upn,
                long_date(pack.date_of_birth),
                pack.school_name
            ),
        );
        layout.space(10.0);
        let widths = [300.0, TEXT_WIDTH - 300.0];
        for (label, value) in [
            ("Possible sessions", sessions.possible().to_string()),
            (
                "Present (including late before the register closed)",
                sessions.present.to_string(),
            ),
            (
                "Attending an approved educational activity",
                sessions.aea.to_string(),
            ),
            ("Authorised absence", sessions.authorised.to_string()),
            ("Unauthorised absence", sessions.unauthorised.to_string()),
        ] {
            layout.row(&widths, Style::BODY, &[label, &value]);
        }
        layout.row(
            &widths,
            Style::BODY_BOLD,
            &[
                "Attendance",
                &sessions.attendance_percent().map_or_else(
                    || "no possible sessions".to_string(),
                    |percent| format_percent(Some(percent)),
                ),
            ],
        );
        layout.space(6.0);
        layout.paragraph(
            0.0,
            Style::SMALL,
            &format!(
                "Late before the register closed (L, counted as present): {}. Late after the \
                 register closed (U, counted as unauthorised absence): {}. Attendance is \
                 present and approved educational activity as a share of possible sessions.",
                sessions.late_before_close, sessions.late_after_close
            ),
        );
        layout.space(36.0);
        for label in ["Signed", "Name", "Position", "Date"] {
            layout.line(
                0.0,
                Style::BODY,
                &format!("{label}: ____________________________________"),
            );
            layout.space(12.0);
        }
        layout.paragraph(
            0.0,
            Style::SMALL,
            &format!("On behalf of {}", pack.school_name),
        );
    }

    fn attendance_record(layout: &mut Layout, pack: &PackContents) {
        let record = &pack.attendance;
        layout.heading(Style::HEADING, "2. Attendance record");
        layout.paragraph(
            0.0,
            Style::SMALL,
            &format!(
                "Every session of every school day on roll from {} to {}, with the mark on the \
                 register now. A dash is a session with no mark.",
                long_date(record.from),
                long_date(record.to)
            ),
        );
        layout.space(6.0);
        layout.heading(Style::SUBHEADING, "Code breakdown");
        let widths = [50.0, 320.0, TEXT_WIDTH - 370.0];
        layout.table_header(&widths, Style::TABLE_BOLD, &["Code", "Meaning", "Sessions"]);
        for (code, count) in &record.by_code {
            layout.row(
                &widths,
                Style::TABLE,
                &[code, code_meaning(code), &count.to_string()],
            );
        }
        layout.end_table();
        if record.by_code.is_empty() {
            layout.line(0.0, Style::TABLE, "No marks in the period.");
        }
        layout.space(8.0);
        layout.heading(Style::SUBHEADING, "Session marks");
        let widths = [90.0, 28.0, 125.0, 28.0, TEXT_WIDTH - 271.0];
        layout.table_header(
            &widths,
            Style::TABLE_BOLD,
            &["Date", "AM", "Meaning", "PM", "Meaning"],
        );
        let mut shown = 0;
        for day in &record.days {
            let marked = day.am.is_some() || day.pm.is_some();
            if day.kind != CalendarDayKind::SchoolDay && !marked {
                continue;
            }
            let code = |mark: &Option<crate::registers::SessionMark>| {
                mark.as_ref()
                    .map_or_else(|| "-".to_string(), |mark| mark.code.clone())
            };
            let (am, pm) = (code(&day.am), code(&day.pm));
            let date = day.date.format("%a %-d %b %Y").to_string();
            layout.row(
                &widths,
                Style::TABLE,
                &[&date, &am, code_meaning(&am), &pm, code_meaning(&pm)],
            );
            shown += 1;
        }
        layout.end_table();
        if shown == 0 {
            layout.line(0.0, Style::TABLE, "No school days in the period.");
        }
    }

    fn code_meaning(code: &str) -> &'static str {
        Code::parse(code).map_or("", Code::meaning)
    }

    fn chronology(layout: &mut Layout, pack: &PackContents) {
        layout.heading(Style::HEADING, "3. Chronology");
        layout.paragraph(
            0.0,
            Style::SMALL,
            "Everything done on the case, in date order: contact attempts, letters, meetings \
             and their minutes, home visits, notices, leave requests, proposals and their \
             answers, and notes. Times are the school's.",
        );
        layout.space(6.0);
        if pack.chronology.is_empty() {
            layout.line(0.0, Style::BODY, "Nothing has been recorded on the case.");
        }
        let widths = [95.0, TEXT_WIDTH - 95.0];
        for entry in &pack.chronology {
            let when = entry
                .at
                .with_timezone(&pack.time_zone)
                .format("%-d %b %Y %H:%M")
                .to_string();
            let mut heading = entry.what.clone();
            if let Some(by) = &entry.by {
                heading.push_str(&format!(" - {by}"));
            }
            layout.row(&widths, Style::SMALL, &[&when, &heading]);
            let mut text = entry.summary.clone();
            for line in &entry.more {
                text.push('\n');
                text.push_str(line);
            }
            layout.row(&widths, Style::SMALL, &["", &text]);
            layout.space(5.0);
        }
    }
}
