//! The attendance pages: a school's figures for a period by group, and one pupil's attendance
//! (the headline figures, a calendar of every mark, the trend, the codes used and every
//! amendment).
//!
//! Both pages keep their period in the address (`?from=&to=`, and `&by=` for the school's
//! figures), so a link or a reload shows the same figures, and the forms work before the wasm
//! has loaded.

use chrono::{Datelike, NaiveDate, Weekday};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::{A, Form},
    hooks::{use_params_map, use_query_map},
};
use uuid::Uuid;

use super::{
    Breakdown, CalendarDay, CalendarDayKind, FiguresLine, Grouping, PupilAttendanceRecord,
    load_breakdown, load_pupil_attendance,
};
use crate::{
    auth::Viewer,
    components::{
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
    domain::{
        codes::{Category, Code, Session},
        figures::format_percent,
    },
    registers::{MarkChange, SessionMark},
    school::pages::{long_date, school_link},
};

/// 1 September of the academic year `date` falls in.
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

fn short_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// A count as people read it: 12,345.
fn count(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    if value < 0 { format!("-{out}") } else { out }
}

/// A share as a percentage worked out from the counts, so the one decimal shown is rounded
/// once from the exact value.
fn share(part: i64, whole: i64) -> String {
    format_percent((whole > 0).then(|| part as f64 * 100.0 / whole as f64))
}

/// The address of a pupil's attendance page, optionally for a period.
fn pupil_attendance_href(
    pupil_id: Uuid,
    school_id: Uuid,
    period: Option<(NaiveDate, NaiveDate)>,
) -> String {
    let mut href = format!("/pupils/{pupil_id}/attendance?school={school_id}");
    if let Some((from, to)) = period {
        href.push_str(&format!("&from={from}&to={to}"));
    }
    href
}

/// The link from a pupil's record to their attendance, for the school the page is about.
#[component]
pub fn PupilAttendanceLink(pupil_id: Uuid) -> impl IntoView {
    let query = use_query_map();
    let href = move || {
        let school = query
            .read()
            .get("school")
            .and_then(|id| Uuid::parse_str(&id).ok());
        school_link(&format!("/pupils/{pupil_id}/attendance"), school)
    };
    view! {
        <p class="see-attendance">
            <A href=href>"Attendance: figures, marks and amendments"</A>
        </p>
    }
}

// ----------------------------------------------------------------------------------------
// The school's figures
// ----------------------------------------------------------------------------------------

#[component]
pub fn AttendancePage() -> impl IntoView {
    view! {
        <Title text="Attendance" />
        <SignedIn page=|viewer| view! { <SchoolAttendance viewer /> } />
    }
}

#[component]
fn SchoolAttendance(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let query = use_query_map();
    let period = Memo::new(move |_| {
        let query = query.read();
        let today = crate::uk_time::today();
        let to = parse_date(query.get("to")).unwrap_or(today);
        let from = parse_date(query.get("from")).unwrap_or_else(|| academic_year_start(to));
        let by = query
            .get("by")
            .and_then(|by| Grouping::parse(&by).ok())
            .filter(|by| Grouping::FOR_A_SCHOOL.contains(by))
            .unwrap_or(Grouping::Year);
        (from, to, by)
    });
    let figures = Resource::new(
        move || (school.get().map(|s| s.id), period.get()),
        |(id, (from, to, by))| async move {
            match id {
                Some(id) => load_breakdown(id, from, to, by)
                    .await
                    .map(|breakdown| Some((id, breakdown))),
                None => Ok(None),
            }
        },
    );
    let school_id = move || school.get().map(|s| s.id.to_string()).unwrap_or_default();
    let from = move || period.get().0.to_string();
    let to = move || period.get().1.to_string();
    view! {
        <section class="panel">
            <div class="page-head">
                <h1>"Attendance"</h1>
                <SchoolPicker viewer=viewer.clone() school />
            </div>
            <Form method="get" action="/attendance" noscroll=true attr:class="period-form">
                <input type="hidden" name="school" value=school_id prop:value=school_id />
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
                    <select id="by" name="by" prop:value=move || period.get().2.key()>
                        {Grouping::FOR_A_SCHOOL
                            .iter()
                            .map(|grouping| {
                                let grouping = *grouping;
                                view! {
                                    <option
                                        value=grouping.key()
                                        selected=move || period.get().2 == grouping
                                    >
                                        {grouping.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <button type="submit">"Show figures"</button>
            </Form>
            <Transition fallback=|| view! { <p class="muted">"Working out the figures…"</p> }>
                {move || Suspend::new(async move {
                    match figures.await {
                        Ok(Some((school_id, breakdown))) => {
                            view! { <FiguresTable school_id breakdown /> }.into_any()
                        }
                        Ok(None) => {
                            view! {
                                <crate::components::errors::NoSchool />
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

#[component]
fn FiguresTable(school_id: Uuid, breakdown: Breakdown) -> impl IntoView {
    let by = Grouping::parse(&breakdown.by).unwrap_or(Grouping::Year);
    let period = (breakdown.from, breakdown.to);
    let caption = format!(
        "From {} to {}, by {}",
        short_date(breakdown.from),
        short_date(breakdown.to),
        by.label().to_lowercase()
    );
    let mut lines = breakdown.groups;
    if by == Grouping::Pupil {
        // The engine keys pupils by id; people look for a name.
        lines.sort_by_cached_key(|line| line.group.to_lowercase());
    }
    let groups = lines.len();
    let counted = if by == Grouping::Pupil {
        format!("{} pupils", count(groups as i64))
    } else {
        format!(
            "{} {} · {} enrolments",
            count(groups as i64),
            if groups == 1 { "group" } else { "groups" },
            count(breakdown.total.enrolments),
        )
    };
    view! {
        <p class="muted" role="status">{counted}</p>
        <div class="figures-scroll">
            <table class="figures" data-testid="figures" data-by=by.key()>
                <caption>{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">{by.label()}</th>
                        <th scope="col" class="num">"Enrolments"</th>
                        <th scope="col" class="num">"Possible sessions"</th>
                        <th scope="col" class="num">"Attendance"</th>
                        <th scope="col" class="num">"Authorised absence"</th>
                        <th scope="col" class="num">"Unauthorised absence"</th>
                        <th scope="col" class="num">"Persistently absent (10%+)"</th>
                        <th scope="col" class="num">"Persistent absence rate"</th>
                        <th scope="col" class="num">"Severely absent (50%+)"</th>
                        <th scope="col" class="num">
                            "Late before close (L)"
                        </th>
                        <th scope="col" class="num">
                            "Late after close (U)"
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {lines
                        .into_iter()
                        .map(|line| {
                            let group = line.group.clone();
                            let name = match (by, line.id) {
                                (Grouping::Pupil, Some(pupil_id)) => {
                                    view! {
                                        <A href=pupil_attendance_href(
                                            pupil_id,
                                            school_id,
                                            Some(period),
                                        )>{group}</A>
                                    }
                                        .into_any()
                                }
                                _ => group.into_any(),
                            };
                            view! {
                                <tr>
                                    <th scope="row">{name}</th>
                                    <FiguresCells line />
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
                <tfoot>
                    <tr data-testid="total">
                        <th scope="row">{breakdown.total.group.clone()}</th>
                        <FiguresCells line=breakdown.total />
                    </tr>
                </tfoot>
            </table>
        </div>
    }
}

#[component]
fn FiguresCells(line: FiguresLine) -> impl IntoView {
    let possible = line.possible;
    view! {
        <td class="num" data-cell="enrolments">{count(line.enrolments)}</td>
        <td class="num" data-cell="possible">{count(possible)}</td>
        <td class="num" data-cell="attendance">{share(line.present + line.aea, possible)}</td>
        <td class="num" data-cell="authorised">{share(line.authorised, possible)}</td>
        <td class="num" data-cell="unauthorised">{share(line.unauthorised, possible)}</td>
        <td class="num" data-cell="persistent">{count(line.persistent_absentees)}</td>
        <td class="num" data-cell="persistent-rate">
            {share(line.persistent_absentees, line.enrolments)}
        </td>
        <td class="num" data-cell="severe">{count(line.severe_absentees)}</td>
        <td class="num" data-cell="late-l">{count(line.late_before_close)}</td>
        <td class="num" data-cell="late-u">{count(line.late_after_close)}</td>
    }
}

// ----------------------------------------------------------------------------------------
// One pupil's attendance
// ----------------------------------------------------------------------------------------

#[component]
pub fn PupilAttendance() -> impl IntoView {
    view! {
        <Title text="Pupil attendance" />
        <SignedIn page=|viewer| view! { <PupilAttendanceView viewer /> } />
    }
}

#[component]
fn PupilAttendanceView(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let params = use_params_map();
    let query = use_query_map();
    let record = Resource::new(
        move || {
            let query = query.read();
            (
                school.get().map(|s| s.id),
                params
                    .read()
                    .get("id")
                    .and_then(|id| Uuid::parse_str(&id).ok()),
                parse_date(query.get("from")),
                parse_date(query.get("to")),
            )
        },
        |(school_id, pupil_id, from, to)| async move {
            match (school_id, pupil_id) {
                (Some(school_id), Some(pupil_id)) => {
                    load_pupil_attendance(school_id, pupil_id, from, to)
                        .await
                        .map(|record| (school_id, record))
                }
                _ => Err(ServerFnError::new("There is no such pupil at this school.")),
            }
        },
    );
    view! {
        <Transition fallback=|| {
            view! {
                <section class="panel">
                    <p class="muted">"Loading the pupil's attendance…"</p>
                </section>
            }
        }>
            {move || Suspend::new(async move {
                match record.await {
                    Ok((school_id, record)) => {
                        view! { <PupilRecordView school_id record /> }.into_any()
                    }
                    Err(error) => {
                        view! {
                            <section class="panel">
                                <h1>"Attendance"</h1>
                                <p class="error" role="alert">{error_message(&error)}</p>
                            </section>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn PupilRecordView(school_id: Uuid, record: PupilAttendanceRecord) -> impl IntoView {
    let PupilAttendanceRecord {
        pupil_id,
        name,
        upn,
        form,
        admitted_on,
        left_on,
        from,
        to,
        days,
        sessions,
        by_code,
        weekly,
        late_minutes_total,
        amendments,
    } = record;
    let path = format!("/pupils/{pupil_id}/attendance");
    let this_year = school_link(&path, Some(school_id));
    let record_href = school_link(&format!("/pupils/{pupil_id}"), Some(school_id));
    let possible = sessions.possible();
    let on_roll = match left_on {
        Some(left) => format!("{} to {}", short_date(admitted_on), short_date(left)),
        None => format!("since {}", short_date(admitted_on)),
    };
    let flags = (sessions.is_persistent_absence() || sessions.is_severe_absence()).then(|| {
        view! {
            <ul class="absence-flags" data-testid="absence-flags">
                {sessions
                    .is_persistent_absence()
                    .then(|| view! { <li class="flag-pa">"Persistently absent (10%+)"</li> })}
                {sessions
                    .is_severe_absence()
                    .then(|| view! { <li class="flag-sa">"Severely absent (50%+)"</li> })}
            </ul>
        }
    });
    let attendance = format_percent(sessions.attendance_percent());
    view! {
        <Title text=format!("{name}: attendance") />
        <section class="panel pupil-attendance">
            <p class="back">
                <A href=record_href>"← Pupil record"</A>
            </p>
            <h1>{name.clone()} <span class="muted">" · attendance"</span></h1>
            <dl class="facts pupil-line" data-testid="pupil-line">
                <dt>"Form"</dt>
                <dd>{if form.is_empty() { "No form".to_string() } else { form }}</dd>
                <dt>"UPN"</dt>
                <dd>{upn}</dd>
                <dt>"On roll"</dt>
                <dd>{on_roll}</dd>
            </dl>
            <Form method="get" action=path noscroll=true attr:class="period-form">
                <input type="hidden" name="school" value=school_id.to_string() />
                <div class="field">
                    <label for="from">"From"</label>
                    <input id="from" name="from" type="date" required value=from.to_string() />
                </div>
                <div class="field">
                    <label for="to">"To"</label>
                    <input id="to" name="to" type="date" required value=to.to_string() />
                </div>
                <button type="submit">"Show this period"</button>
                <A href=this_year attr:class="reset-period">
                    "This academic year to date"
                </A>
            </Form>
        </section>

        <section class="panel attendance-part" aria-labelledby="figures-heading">
            <h2 id="figures-heading">
                {format!("From {} to {}", short_date(from), short_date(to))}
            </h2>
            {flags}
            <dl class="headline" data-testid="headline">
                <div class="stat main">
                    <dt>"Attendance"</dt>
                    <dd data-testid="attendance-percent">{attendance}</dd>
                </div>
                <div class="stat">
                    <dt>"Possible sessions"</dt>
                    <dd>{count(possible)}</dd>
                </div>
                <div class="stat">
                    <dt>"Present"</dt>
                    <dd>{count(sessions.present)}</dd>
                </div>
                <div class="stat">
                    <dt>"Approved educational activity"</dt>
                    <dd>{count(sessions.aea)}</dd>
                </div>
                <div class="stat">
                    <dt>"Authorised absence"</dt>
                    <dd>
                        {count(sessions.authorised)}
                        <span class="rate">{share(sessions.authorised, possible)}</span>
                    </dd>
                </div>
                <div class="stat">
                    <dt>"Unauthorised absence"</dt>
                    <dd>
                        {count(sessions.unauthorised)}
                        <span class="rate">{share(sessions.unauthorised, possible)}</span>
                    </dd>
                </div>
                <div class="stat">
                    <dt>"Late before close (L)"</dt>
                    <dd>{count(sessions.late_before_close)}</dd>
                </div>
                <div class="stat">
                    <dt>"Late after close (U)"</dt>
                    <dd>{count(sessions.late_after_close)}</dd>
                </div>
                <div class="stat">
                    <dt>"Minutes late in all"</dt>
                    <dd>{count(late_minutes_total)}</dd>
                </div>
            </dl>
        </section>

        <section class="panel attendance-part" aria-labelledby="calendar-heading">
            <h2 id="calendar-heading">"Marks"</h2>
            <Legend />
            <MarksCalendar days />
        </section>

        <section class="panel attendance-part" aria-labelledby="trend-heading">
            <h2 id="trend-heading">"Attendance to date, week by week"</h2>
            <Trend weekly />
        </section>

        <section class="panel attendance-part" aria-labelledby="codes-heading">
            <h2 id="codes-heading">"Sessions by code"</h2>
            <CodesTable by_code />
        </section>

        <section class="panel attendance-part" aria-labelledby="amendments-heading">
            <h2 id="amendments-heading">"Amendments"</h2>
            <Amendments amendments />
        </section>
    }
}

// ----------------------------------------------------------------------------------------
// Marks and their colours
// ----------------------------------------------------------------------------------------

/// The CSS class for a code's category; the code's text is always shown as well.
fn category_class(code: &str) -> &'static str {
    match Code::parse(code) {
        Ok(Code::PlannedClosure) => "mark cat-closed",
        Ok(code) => match code.category() {
            Category::Present => "mark cat-present",
            Category::ApprovedActivity => "mark cat-aea",
            Category::Authorised => "mark cat-authorised",
            Category::Unauthorised => "mark cat-unauthorised",
            Category::NotPossible => "mark cat-not-possible",
            Category::Administrative => "mark cat-administrative",
        },
        Err(_) => "mark cat-unknown",
    }
}

fn meaning(code: &str) -> String {
    match Code::parse(code) {
        Ok(code) => code.meaning().to_string(),
        Err(_) => format!("{code}: not a code in force"),
    }
}

/// One session's mark in the calendar, readable without colour and described in full to
/// screen readers and on hover.
fn mark_view(date: NaiveDate, session: Session, mark: Option<&SessionMark>) -> AnyView {
    let when = format!("{}, {}", long_date(date), session.as_str());
    match mark {
        Some(mark) => {
            let mut label = format!("{when}: {}, {}", mark.code, meaning(&mark.code));
            if let Some(minutes) = mark.minutes_late {
                label.push_str(&format!(", {minutes} minutes late"));
            }
            if mark.amended {
                label.push_str(", amended");
            }
            let class = if mark.amended {
                format!("{} amended", category_class(&mark.code))
            } else {
                category_class(&mark.code).to_string()
            };
            view! {
                <span
                    class=class
                    role="img"
                    title=label.clone()
                    aria-label=label
                    data-mark-id=mark.mark_id.to_string()
                >
                    {mark.code.clone()}
                </span>
            }
            .into_any()
        }
        None => {
            let label = format!("{when}: no mark yet");
            view! {
                <span class="mark none" role="img" title=label.clone() aria-label=label>
                    "–"
                </span>
            }
            .into_any()
        }
    }
}

#[component]
fn Legend() -> impl IntoView {
    let codes_of = |category: Category| {
        Code::ALL
            .iter()
            .filter(|code| code.category() == category)
            .map(|code| code.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let categories = [
        (
            Category::Present,
            "mark cat-present",
            "Present (L: late, before the register closed)",
        ),
        (
            Category::ApprovedActivity,
            "mark cat-aea",
            "Attending approved educational activity (counts as attending)",
        ),
        (
            Category::Authorised,
            "mark cat-authorised",
            "Authorised absence",
        ),
        (
            Category::Unauthorised,
            "mark cat-unauthorised",
            "Unauthorised absence (U: late, after the register closed)",
        ),
        (
            Category::NotPossible,
            "mark cat-not-possible",
            "Not a possible session",
        ),
    ];
    view! {
        <details class="legend" open>
            <summary>"Key to the colours and codes"</summary>
            <ul class="legend-list">
                {categories
                    .into_iter()
                    .map(|(category, class, label)| {
                        view! {
                            <li>
                                <span class=format!("{class} legend-codes")>
                                    {codes_of(category)}
                                </span>
                                <span>{label}</span>
                            </li>
                        }
                    })
                    .collect_view()}
                <li>
                    <span class="mark cat-closed legend-codes">"#"</span>
                    <span>"School closed (planned closure)"</span>
                </li>
                <li>
                    <span class="mark none legend-codes">"–"</span>
                    <span>"No mark yet"</span>
                </li>
                <li>
                    <span class="mark cat-present amended legend-codes">"/"</span>
                    <span>"Amended: the mark replaced an earlier one (see Amendments)"</span>
                </li>
                <li>
                    <span class="swatch no-school" aria-hidden="true"></span>
                    <span>"No school: holiday or INSET day"</span>
                </li>
                <li>
                    <span class="swatch not-on-roll" aria-hidden="true"></span>
                    <span>"Not on roll"</span>
                </li>
            </ul>
            <p class="muted">
                "Each mark shows AM then PM. Hover over or focus on a mark for its date and meaning; the codes used are explained under Sessions by code."
            </p>
        </details>
    }
}

/// The school weeks of one month: Monday to Friday, a day or nothing in each place.
struct Month {
    first: NaiveDate,
    weeks: Vec<[Option<CalendarDay>; 5]>,
}

fn months_of(days: Vec<CalendarDay>) -> Vec<Month> {
    let mut months: Vec<Month> = Vec::new();
    let mut last_week = None;
    for day in days {
        let weekday = day.date.weekday();
        if matches!(weekday, Weekday::Sat | Weekday::Sun) {
            continue;
        }
        let first = day.date.with_day(1).unwrap_or(day.date);
        if months.last().is_none_or(|month| month.first != first) {
            months.push(Month {
                first,
                weeks: Vec::new(),
            });
            last_week = None;
        }
        let Some(month) = months.last_mut() else {
            continue;
        };
        let week = day.date.iso_week();
        if last_week != Some(week) {
            month.weeks.push(Default::default());
            last_week = Some(week);
        }
        if let Some(row) = month.weeks.last_mut() {
            row[weekday.num_days_from_monday() as usize] = Some(day);
        }
    }
    months
}

#[component]
fn MarksCalendar(days: Vec<CalendarDay>) -> impl IntoView {
    let months = months_of(days);
    if months.is_empty() {
        return view! { <p>"There are no school days in this period."</p> }.into_any();
    }
    view! {
        <div class="months" data-testid="calendar">
            {months
                .into_iter()
                .map(|month| {
                    view! {
                        <table class="month">
                            <caption>{month.first.format("%B %Y").to_string()}</caption>
                            <thead>
                                <tr>
                                    <th scope="col"><abbr title="Monday">"Mon"</abbr></th>
                                    <th scope="col"><abbr title="Tuesday">"Tue"</abbr></th>
                                    <th scope="col"><abbr title="Wednesday">"Wed"</abbr></th>
                                    <th scope="col"><abbr title="Thursday">"Thu"</abbr></th>
                                    <th scope="col"><abbr title="Friday">"Fri"</abbr></th>
                                </tr>
                            </thead>
                            <tbody>
                                {month
                                    .weeks
                                    .into_iter()
                                    .map(|week| {
                                        view! {
                                            <tr>
                                                {week.into_iter().map(day_cell).collect_view()}
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                })
                .collect_view()}
        </div>
    }
    .into_any()
}

fn day_cell(day: Option<CalendarDay>) -> AnyView {
    let Some(day) = day else {
        return view! { <td class="day outside"></td> }.into_any();
    };
    let number = day.date.day().to_string();
    let marks = |day: &CalendarDay| {
        view! {
            <span class="marks">
                {mark_view(day.date, Session::Am, day.am.as_ref())}
                {mark_view(day.date, Session::Pm, day.pm.as_ref())}
            </span>
        }
    };
    match day.kind {
        CalendarDayKind::SchoolDay => view! {
            <td class="day school-day">
                <span class="date">{number}</span>
                {marks(&day)}
            </td>
        }
        .into_any(),
        CalendarDayKind::Closed => {
            let label = format!("{}: school closed (#)", long_date(day.date));
            view! {
                <td class="day closed">
                    <span class="date">{number}</span>
                    <span class="marks">
                        <span class="mark cat-closed" role="img" title=label.clone() aria-label=label>
                            "#"
                        </span>
                    </span>
                </td>
            }
            .into_any()
        }
        CalendarDayKind::NoSchool => {
            let label = format!("{}: no school", long_date(day.date));
            view! {
                <td class="day no-school" title=label>
                    <span class="date">{number}</span>
                    <span class="visually-hidden">"No school"</span>
                </td>
            }
            .into_any()
        }
        CalendarDayKind::NotOnRoll => {
            let label = format!("{}: not on roll", long_date(day.date));
            let has_marks = day.am.is_some() || day.pm.is_some();
            view! {
                <td class="day not-on-roll" title=label>
                    <span class="date">{number}</span>
                    {if has_marks {
                        marks(&day).into_any()
                    } else {
                        view! { <span class="off-roll">"off roll"</span> }.into_any()
                    }}
                </td>
            }
            .into_any()
        }
    }
}

// ----------------------------------------------------------------------------------------
// The trend
// ----------------------------------------------------------------------------------------

const PLOT_HEIGHT: f64 = 200.0;
const PLOT_TOP: f64 = 12.0;
const PLOT_BOTTOM: f64 = 170.0;

#[component]
fn Trend(weekly: Vec<(NaiveDate, Option<f64>)>) -> impl IntoView {
    let points: Vec<(NaiveDate, f64)> = weekly
        .iter()
        .filter_map(|(date, value)| value.map(|value| (*date, value)))
        .collect();
    let (Some(first), Some(last)) = (points.first().copied(), points.last().copied()) else {
        return view! { <p>"There are no school weeks with possible sessions in this period yet."</p> }
            .into_any();
    };
    let lowest = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let highest = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let summary = format!(
        "Line chart of attendance to date, week by week: {} in the week ending {}, {} in the week ending {}; lowest {}, highest {}.",
        format_percent(Some(first.1)),
        short_date(first.0),
        format_percent(Some(last.1)),
        short_date(last.0),
        format_percent(Some(lowest)),
        format_percent(Some(highest)),
    );

    // The scale: from a round ten at or below the lowest point (and below the 90% line) to 100.
    let bottom = ((lowest.min(88.0) / 10.0).floor() * 10.0).clamp(0.0, 90.0);
    let step = if 100.0 - bottom > 40.0 { 20.0 } else { 10.0 };
    let y =
        move |value: f64| PLOT_TOP + (100.0 - value) / (100.0 - bottom) * (PLOT_BOTTOM - PLOT_TOP);
    let ticks: Vec<f64> = {
        let mut ticks = Vec::new();
        let mut tick = 100.0;
        while tick >= bottom - 0.01 {
            ticks.push(tick);
            tick -= step;
        }
        ticks
    };
    let count = points.len();
    let x = move |index: usize| {
        if count == 1 {
            50.0
        } else {
            2.0 + index as f64 / (count - 1) as f64 * 96.0
        }
    };

    // A month's name under its first week, where it has room.
    let mut month_labels = Vec::new();
    let mut last_month = None;
    let mut last_x = f64::NEG_INFINITY;
    for (index, (date, _)) in points.iter().enumerate() {
        let month = (date.year(), date.month());
        if last_month != Some(month) {
            last_month = Some(month);
            if x(index) - last_x >= 9.0 {
                last_x = x(index);
                month_labels.push((x(index), date.format("%b").to_string()));
            }
        }
    }

    let segments: Vec<(f64, f64, f64, f64)> = points
        .windows(2)
        .enumerate()
        .map(|(index, pair)| (x(index), y(pair[0].1), x(index + 1), y(pair[1].1)))
        .collect();
    let rows = weekly.clone();

    view! {
        <div class="trend" role="img" aria-label=summary data-testid="trend">
            <svg class="trend-axis" width="48" height=PLOT_HEIGHT aria-hidden="true">
                {ticks
                    .iter()
                    .map(|tick| {
                        view! {
                            <text x="42" y=format!("{:.1}", y(*tick) + 4.0) text-anchor="end">
                                {format!("{tick:.0}%")}
                            </text>
                        }
                    })
                    .collect_view()}
            </svg>
            <svg class="trend-plot" width="100%" height=PLOT_HEIGHT aria-hidden="true">
                {ticks
                    .iter()
                    .map(|tick| {
                        let at = format!("{:.1}", y(*tick));
                        view! { <line class="grid" x1="0" x2="100%" y1=at.clone() y2=at /> }
                    })
                    .collect_view()}
                {(bottom < 90.0)
                    .then(|| {
                        let at = format!("{:.1}", y(90.0));
                        view! { <line class="threshold" x1="0" x2="100%" y1=at.clone() y2=at /> }
                    })}
                {segments
                    .into_iter()
                    .map(|(x1, y1, x2, y2)| {
                        view! {
                            <line
                                class="series"
                                x1=format!("{x1:.2}%")
                                y1=format!("{y1:.1}")
                                x2=format!("{x2:.2}%")
                                y2=format!("{y2:.1}")
                            />
                        }
                    })
                    .collect_view()}
                {points
                    .iter()
                    .enumerate()
                    .map(|(index, (_, value))| {
                        view! {
                            <circle
                                class="point"
                                cx=format!("{:.2}%", x(index))
                                cy=format!("{:.1}", y(*value))
                                r="3.5"
                            />
                        }
                    })
                    .collect_view()}
                {month_labels
                    .into_iter()
                    .map(|(at, label)| {
                        view! {
                            <text
                                class="month-label"
                                x=format!("{at:.2}%")
                                y=format!("{:.0}", PLOT_BOTTOM + 22.0)
                                text-anchor="middle"
                            >
                                {label}
                            </text>
                        }
                    })
                    .collect_view()}
            </svg>
        </div>
        <p class="muted trend-note">
            "The dashed line is 90%: below it a pupil is persistently absent."
        </p>
        <details class="trend-numbers">
            <summary>"The numbers behind the chart"</summary>
            <table class="compact">
                <thead>
                    <tr>
                        <th scope="col">"Week ending"</th>
                        <th scope="col" class="num">"Attendance to date"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|(date, value)| {
                            view! {
                                <tr>
                                    <td>{short_date(date)}</td>
                                    <td class="num">{format_percent(value)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </details>
    }
    .into_any()
}

// ----------------------------------------------------------------------------------------
// Codes and amendments
// ----------------------------------------------------------------------------------------

#[component]
fn CodesTable(by_code: Vec<(String, i64)>) -> impl IntoView {
    if by_code.is_empty() {
        return view! { <p>"No marks in this period."</p> }.into_any();
    }
    view! {
        <table class="codes" data-testid="codes">
            <thead>
                <tr>
                    <th scope="col">"Code"</th>
                    <th scope="col">"Meaning"</th>
                    <th scope="col">"Counts as"</th>
                    <th scope="col" class="num">"Sessions"</th>
                </tr>
            </thead>
            <tbody>
                {by_code
                    .into_iter()
                    .map(|(code, sessions)| {
                        let counts_as = match Code::parse(&code) {
                            Ok(parsed) => parsed.category().label(),
                            Err(_) => "Unknown",
                        };
                        view! {
                            <tr>
                                <td>
                                    <span class=category_class(&code)>{code.clone()}</span>
                                </td>
                                <td>{meaning(&code)}</td>
                                <td>{counts_as}</td>
                                <td class="num">{count(sessions)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Amendments(amendments: Vec<MarkChange>) -> impl IntoView {
    if amendments.is_empty() {
        return view! { <p data-testid="amendments">"None of this pupil's marks has been amended."</p> }
            .into_any();
    }
    view! {
        <p class="muted">"Every change to this pupil's marks, newest first. The original entry is kept."</p>
        <table class="amendments" data-testid="amendments">
            <thead>
                <tr>
                    <th scope="col">"Session"</th>
                    <th scope="col">"Change"</th>
                    <th scope="col">"Who"</th>
                    <th scope="col">"When"</th>
                    <th scope="col">"Reason"</th>
                </tr>
            </thead>
            <tbody>
                {amendments
                    .into_iter()
                    .map(|change| {
                        let original = change.replaced_code.clone().unwrap_or_else(|| "–".into());
                        let change_label = format!(
                            "{} ({}) changed to {} ({})",
                            original,
                            meaning(&original),
                            change.code,
                            meaning(&change.code),
                        );
                        view! {
                            <tr>
                                <td>
                                    {short_date(change.session_date)} " "
                                    {change.session.as_str()}
                                </td>
                                <td>
                                    <span class="change" role="img" aria-label=change_label.clone() title=change_label>
                                        <span class=category_class(&original)>{original.clone()}</span>
                                        " → "
                                        <span class=category_class(&change.code)>
                                            {change.code.clone()}
                                        </span>
                                    </span>
                                </td>
                                <td>{change.recorded_by.clone().unwrap_or_else(|| "Rollcall".into())}</td>
                                <td>{crate::uk_time::date_time(change.recorded_at)}</td>
                                <td>{change.reason.clone().unwrap_or_default()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(date: &str) -> CalendarDay {
        CalendarDay {
            date: NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
            kind: CalendarDayKind::SchoolDay,
            am: None,
            pm: None,
        }
    }

    #[test]
    fn the_academic_year_starts_on_1_september() {
        let date = |text| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
        assert_eq!(academic_year_start(date("2026-11-23")), date("2026-09-01"));
        assert_eq!(academic_year_start(date("2027-08-31")), date("2026-09-01"));
        assert_eq!(academic_year_start(date("2026-09-01")), date("2026-09-01"));
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(26_400), "26,400");
        assert_eq!(count(-1_234_567), "-1,234,567");
    }

    #[test]
    fn months_are_weeks_of_weekdays() {
        // Tuesday 29 September to Monday 5 October 2026, with the weekend.
        let days = [
            "2026-09-29",
            "2026-09-30",
            "2026-10-01",
            "2026-10-02",
            "2026-10-03",
            "2026-10-04",
            "2026-10-05",
        ]
        .map(day)
        .to_vec();
        let months = months_of(days);
        assert_eq!(months.len(), 2);
        assert_eq!(months[0].weeks.len(), 1);
        let september = &months[0].weeks[0];
        assert!(september[0].is_none());
        assert!(september[1].is_some() && september[2].is_some());
        assert!(september[3].is_none());
        let october = &months[1].weeks;
        assert_eq!(october.len(), 2);
        assert!(october[0][3].is_some() && october[0][4].is_some());
        assert!(october[1][0].is_some());
    }
}
