//! Reading MIS files: headers matched by name (case, spaces and punctuation ignored, common
//! aliases accepted), and each row checked on its own. What needs the database (which pupils
//! the school has, its calendar) is checked in `queries`.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use chrono::NaiveDate;

use super::RowProblem;
use super::tasks::Tracker;
use crate::domain::{
    codes::{Code, HistoricMapping, Session},
    upn::Upn,
};

/// Reads a file's bytes as text: UTF-8 (with or without a byte-order mark), else Windows-1252
/// as older MIS exports write it (read here as Latin-1, which differs only in punctuation).
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    }
}

/// A header as compared: lower case letters and digits only, so "Legal Surname",
/// "legal_surname" and "LEGAL-SURNAME" are the same.
pub fn normalise(header: &str) -> String {
    header
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The columns of a pupils file, each with the headers accepted for it (the first is the one
/// documented).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PupilField {
    Upn,
    LegalFirst,
    LegalLast,
    PreferredFirst,
    PreferredLast,
    DateOfBirth,
    Sex,
    NcYear,
    Form,
    Admitted,
    Left,
    Sen,
    Fsm,
    Eal,
    PupilPremium,
    Ethnicity,
    Contact(u8, ContactField),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContactField {
    Priority,
    Title,
    FirstName,
    LastName,
    Name,
    Relationship,
    ParentalResponsibility,
    Mobile,
    HomePhone,
    WorkPhone,
    Email,
    Address,
    Postcode,
}

pub const PUPIL_COLUMNS: &[(PupilField, &[&str])] = &[
    (PupilField::Upn, &["UPN", "Unique Pupil Number"]),
    (
        PupilField::LegalFirst,
        &[
            "Legal Forename",
            "Legal First Name",
            "Forename",
            "First Name",
            "Firstname",
            "Given Name",
        ],
    ),
    (
        PupilField::LegalLast,
        &[
            "Legal Surname",
            "Legal Last Name",
            "Surname",
            "Last Name",
            "Lastname",
            "Family Name",
        ],
    ),
    (
        PupilField::PreferredFirst,
        &[
            "Preferred Forename",
            "Preferred First Name",
            "Known As",
            "Chosen Forename",
        ],
    ),
    (
        PupilField::PreferredLast,
        &["Preferred Surname", "Preferred Last Name", "Chosen Surname"],
    ),
    (
        PupilField::DateOfBirth,
        &["Date of Birth", "DOB", "Birth Date", "Birthdate"],
    ),
    (PupilField::Sex, &["Sex", "Gender"]),
    (
        PupilField::NcYear,
        &[
            "NC Year",
            "Year",
            "Year Group",
            "National Curriculum Year",
            "Curriculum Year",
            "NCY",
        ],
    ),
    (
        PupilField::Form,
        &[
            "Reg Group",
            "Form",
            "Registration Group",
            "Reg",
            "Form Group",
            "Tutor Group",
            "Class",
        ],
    ),
    (
        PupilField::Admitted,
        &[
            "Admission Date",
            "Date of Admission",
            "Admitted",
            "Start Date",
            "Entry Date",
        ],
    ),
    (
        PupilField::Left,
        &[
            "Leaving Date",
            "Date of Leaving",
            "Left",
            "Leave Date",
            "End Date",
        ],
    ),
    (
        PupilField::Sen,
        &["SEN Status", "SEN", "SEN Provision", "SEND", "SEN Need"],
    ),
    (
        PupilField::Fsm,
        &[
            "FSM",
            "Free School Meals",
            "FSM Eligible",
            "FSM Eligibility",
        ],
    ),
    (
        PupilField::Eal,
        &[
            "EAL",
            "English as an Additional Language",
            "English Additional Language",
        ],
    ),
    (
        PupilField::PupilPremium,
        &[
            "Pupil Premium",
            "PP",
            "Pupil Premium Indicator",
            "PP Eligible",
        ],
    ),
    (
        PupilField::Ethnicity,
        &["Ethnicity", "Ethnicity Code", "Ethnic Code", "Ethnic Group"],
    ),
];

/// The part of a contact column after "Contact 1 " or "Contact 2 ".
pub const CONTACT_COLUMNS: &[(ContactField, &[&str])] = &[
    (ContactField::Priority, &["Priority", "Contact Priority"]),
    (ContactField::Title, &["Title"]),
    (
        ContactField::FirstName,
        &["Forename", "First Name", "Firstname", "Given Name"],
    ),
    (
        ContactField::LastName,
        &["Surname", "Last Name", "Lastname", "Family Name"],
    ),
    (ContactField::Name, &["Name", "Full Name"]),
    (
        ContactField::Relationship,
        &["Relationship", "Relation", "Relationship to Pupil"],
    ),
    (
        ContactField::ParentalResponsibility,
        &["Parental Responsibility", "PR"],
    ),
    (
        ContactField::Mobile,
        &[
            "Mobile",
            "Mobile Phone",
            "Mobile Telephone",
            "Mobile Number",
        ],
    ),
    (
        ContactField::HomePhone,
        &["Home Phone", "Home Telephone", "Telephone", "Phone"],
    ),
    (ContactField::WorkPhone, &["Work Phone", "Work Telephone"]),
    (ContactField::Email, &["Email", "Email Address", "E-mail"]),
    (ContactField::Address, &["Address", "Home Address"]),
    (
        ContactField::Postcode,
        &["Postcode", "Post Code", "Postal Code"],
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MarkField {
    Upn,
    Date,
    Session,
    Code,
    MinutesLate,
}

pub const MARK_COLUMNS: &[(MarkField, &[&str])] = &[
    (MarkField::Upn, &["UPN", "Unique Pupil Number"]),
    (
        MarkField::Date,
        &["Date", "Session Date", "Attendance Date", "Mark Date"],
    ),
    (MarkField::Session, &["Session", "AM/PM", "Session Name"]),
    (
        MarkField::Code,
        &[
            "Code",
            "Mark",
            "Attendance Code",
            "Attendance Mark",
            "Session Mark",
        ],
    ),
    (
        MarkField::MinutesLate,
        &[
            "Minutes Late",
            "Mins Late",
            "Late Minutes",
            "Minutes",
            "Late (mins)",
        ],
    ),
];

fn pupil_field(header: &str) -> Option<PupilField> {
    let name = normalise(header);
    if let Some(field) = PUPIL_COLUMNS
        .iter()
        .find(|(_, aliases)| aliases.iter().any(|alias| normalise(alias) == name))
        .map(|(field, _)| *field)
    {
        return Some(field);
    }
    let (slot, rest) = ["contact1", "contact2"]
        .iter()
        .enumerate()
        .find_map(|(slot, prefix)| name.strip_prefix(prefix).map(|rest| (slot as u8 + 1, rest)))?;
    CONTACT_COLUMNS
        .iter()
        .find(|(_, aliases)| aliases.iter().any(|alias| normalise(alias) == rest))
        .map(|(field, _)| PupilField::Contact(slot, *field))
}

fn mark_field(header: &str) -> Option<MarkField> {
    let name = normalise(header);
    MARK_COLUMNS
        .iter()
        .find(|(_, aliases)| aliases.iter().any(|alias| normalise(alias) == name))
        .map(|(field, _)| *field)
}

/// Which column holds which field, and the headers nobody reads.
pub struct Columns<F> {
    index: HashMap<F, usize>,
    headers: Vec<String>,
    pub ignored: Vec<String>,
}

impl<F: Copy + Eq + std::hash::Hash> Columns<F> {
    fn read(
        headers: &csv::StringRecord,
        field_of: impl Fn(&str) -> Option<F>,
        problems: &mut Vec<RowProblem>,
    ) -> Self {
        let mut index = HashMap::new();
        let mut ignored = Vec::new();
        let headers: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
        for (i, header) in headers.iter().enumerate() {
            match field_of(header) {
                Some(field) => {
                    if let Some(&earlier) = index.get(&field) {
                        problems.push(RowProblem {
                            line: 1,
                            column: header.clone(),
                            message: format!(
                                "\"{}\" and \"{header}\" are the same column: remove one of them",
                                headers[earlier]
                            ),
                        });
                    } else {
                        index.insert(field, i);
                    }
                }
                None if header.is_empty() => {}
                None => ignored.push(header.clone()),
            }
        }
        Columns {
            index,
            headers,
            ignored,
        }
    }

    pub fn has(&self, field: F) -> bool {
        self.index.contains_key(&field)
    }

    /// The header as the file spells it.
    pub fn header(&self, field: F) -> String {
        self.index
            .get(&field)
            .map(|&i| self.headers[i].clone())
            .unwrap_or_default()
    }

    /// The trimmed cell, or `None` when the file has no such column.
    pub fn get<'r>(&self, record: &'r csv::StringRecord, field: F) -> Option<&'r str> {
        self.index
            .get(&field)
            .map(|&i| record.get(i).unwrap_or("").trim())
    }
}

/// Reads a date as MIS exports write it: 2026-09-03, 03/09/2026, 3/9/2026 or 03-09-2026, with
/// or without a time of midnight after it.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let text = text.trim();
    let hint = "write it as YYYY-MM-DD (2026-09-03) or DD/MM/YYYY (03/09/2026)";
    if text.is_empty() {
        return Err(format!("the date is empty: {hint}"));
    }
    let date_part = text
        .split(|c: char| c.is_whitespace() || c == 'T')
        .next()
        .unwrap_or(text);
    let parts: Vec<&str> = date_part.split(['-', '/', '.']).collect();
    let numbers: Option<Vec<u32>> = parts
        .iter()
        .map(|p| {
            (!p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        })
        .collect();
    let (year, month, day) = match (parts.as_slice(), numbers.as_deref()) {
        ([y, _, _], Some([year, month, day])) if y.len() == 4 && date_part.contains('-') => {
            (*year, *month, *day)
        }
        ([_, _, y], Some([day, month, year])) if y.len() == 4 => (*year, *month, *day),
        _ => return Err(format!("\"{text}\" is not a date: {hint}")),
    };
    NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(|| {
        format!("\"{text}\" is not a real date (there is no day {day} of month {month} in {year}): check it in the MIS")
    })
}

/// Yes/no flags: Y, Yes, True, 1 or N, No, False, 0; blank is no.
pub fn parse_flag(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" | "t" | "1" => Ok(true),
        "n" | "no" | "false" | "f" | "0" | "" => Ok(false),
        other => Err(format!("\"{other}\" is not yes or no: write Y or N")),
    }
}

pub fn parse_sex(text: &str) -> Result<String, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "m" | "male" => Ok("M".to_string()),
        "f" | "female" => Ok("F".to_string()),
        "" => Err("the sex is empty: write M or F, as in the school census".to_string()),
        other => Err(format!(
            "\"{other}\" is not a sex the school census records: write M or F"
        )),
    }
}

/// The national curriculum year: 9, Year 9, Y9, R or Reception (0), N or Nursery (-1).
pub fn parse_nc_year(text: &str) -> Result<i32, String> {
    let hint = "write the national curriculum year as a number (9, or Year 9), R for Reception or N for Nursery";
    let compact = normalise(text);
    let year = match compact.as_str() {
        "" => return Err(format!("the year is empty: {hint}")),
        "r" | "yr" | "reception" | "yearr" | "yearreception" => 0,
        "n" | "n1" | "n2" | "nursery" | "yn" => -1,
        _ => compact
            .strip_prefix("year")
            .or_else(|| compact.strip_prefix("yr"))
            .or_else(|| compact.strip_prefix('y'))
            .unwrap_or(&compact)
            .parse::<i32>()
            .map_err(|_| format!("\"{}\" is not a year: {hint}", text.trim()))?,
    };
    if (-1..=14).contains(&year) {
        Ok(year)
    } else {
        Err(format!(
            "{year} is not a national curriculum year: use -1 (Nursery) to 14"
        ))
    }
}

/// The name a new year group gets.
pub fn year_group_name(nc_year: i32) -> String {
    match nc_year {
        -1 => "Nursery".to_string(),
        0 => "Reception".to_string(),
        n => format!("Year {n}"),
    }
}

/// N (no need), K (SEN support) or E (education, health and care plan).
pub fn parse_sen(text: &str) -> Result<String, String> {
    match normalise(text).as_str() {
        "" | "n" | "none" | "nosen" | "nospecialeducationalneed" => Ok("N".to_string()),
        "k" | "sensupport" | "support" => Ok("K".to_string()),
        "e" | "ehcp" | "ehcplan" | "educationhealthandcareplan" | "s" | "statement" => {
            Ok("E".to_string())
        }
        _ => Err(format!(
            "\"{}\" is not a SEN status: write N (none), K (SEN support) or E (EHC plan)",
            text.trim()
        )),
    }
}

pub fn parse_ethnicity(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Ok("NOBT".to_string());
    }
    if code.len() == 4 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(format!(
            "\"{}\" is not a DfE ethnicity code: use the four-letter code, for example WBRI, or leave it blank",
            text.trim()
        ))
    }
}

fn optional_text(text: Option<&str>) -> Option<Option<String>> {
    text.map(|t| (!t.is_empty()).then(|| t.to_string()))
}

/// A contact of a pupil as the file gives it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ContactRow {
    pub priority: i32,
    pub title: String,
    pub first_name: String,
    pub last_name: String,
    pub relationship: String,
    pub parental_responsibility: bool,
    pub mobile_phone: String,
    pub home_phone: String,
    pub work_phone: String,
    pub email: String,
    pub address: String,
    pub postcode: String,
}

/// A pupil row. Optional fields are `None` when the file has no such column, so an import
/// leaves them as they are.
#[derive(Clone, Debug)]
pub struct PupilRow {
    pub line: u64,
    pub upn: Upn,
    pub legal_first_name: String,
    pub legal_last_name: String,
    pub preferred_first_name: Option<Option<String>>,
    pub preferred_last_name: Option<Option<String>>,
    pub date_of_birth: NaiveDate,
    pub sex: String,
    pub nc_year: i32,
    pub form: Option<Option<String>>,
    pub admitted_on: NaiveDate,
    pub left_on: Option<Option<NaiveDate>>,
    pub sen_status: Option<String>,
    pub free_school_meals: Option<bool>,
    pub eal: Option<bool>,
    pub pupil_premium: Option<bool>,
    pub ethnicity: Option<String>,
    /// `None` when the file has no contact columns.
    pub contacts: Option<Vec<ContactRow>>,
}

/// A file read: its good rows, every problem, and what else is worth saying.
pub struct Parsed<R, F> {
    pub rows: Vec<R>,
    /// The columns found, when the header could be read.
    pub columns: Option<Columns<F>>,
    pub data_rows: u64,
    pub problems: Vec<RowProblem>,
    pub ignored_columns: Vec<String>,
}

fn reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::None)
        .from_reader(text.as_bytes())
}

fn record_is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|cell| cell.trim().is_empty())
}

/// A required column that is missing: said once, on the header's line.
fn missing<F: Copy + Eq + std::hash::Hash>(
    columns: &Columns<F>,
    wanted: &[(F, &[&str])],
    required: &[F],
    problems: &mut Vec<RowProblem>,
) {
    for field in required {
        if !columns.has(*field) {
            let aliases = wanted
                .iter()
                .find(|(f, _)| f == field)
                .map(|(_, aliases)| *aliases)
                .unwrap_or(&[]);
            problems.push(RowProblem {
                line: 1,
                column: aliases.first().unwrap_or(&"").to_string(),
                message: format!(
                    "the file has no \"{}\" column: add it to the header (also accepted: {})",
                    aliases.first().unwrap_or(&""),
                    aliases[1..]
                        .iter()
                        .map(|a| format!("\"{a}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
}

/// Reads a pupils file. Every row is checked; rows with problems are left out of `rows`.
pub fn pupils(text: &str, tracker: &Tracker) -> Parsed<PupilRow, PupilField> {
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    let mut reader = reader(text);
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(error) => {
            return Parsed {
                rows,
                columns: None,
                data_rows: 0,
                problems: vec![unreadable(1, &error)],
                ignored_columns: Vec::new(),
            };
        }
    };
    let columns = Columns::read(&headers, pupil_field, &mut problems);
    use PupilField as P;
    missing(
        &columns,
        PUPIL_COLUMNS,
        &[
            P::Upn,
            P::LegalFirst,
            P::LegalLast,
            P::DateOfBirth,
            P::Sex,
            P::NcYear,
            P::Admitted,
        ],
        &mut problems,
    );
    if !problems.is_empty() {
        return Parsed {
            rows,
            data_rows: 0,
            problems,
            ignored_columns: columns.ignored.clone(),
            columns: Some(columns),
        };
    }
    let has_contacts = (1..=2u8).any(|slot| {
        CONTACT_COLUMNS
            .iter()
            .any(|(field, _)| columns.has(P::Contact(slot, *field)))
    });
    let mut data_rows = 0;
    let mut first_line: HashMap<Upn, u64> = HashMap::new();
    for result in reader.records() {
        let record = match result {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map(|p| p.line()).unwrap_or(0);
                problems.push(unreadable(line, &error));
                continue;
            }
        };
        if record_is_blank(&record) {
            continue;
        }
        data_rows += 1;
        tracker.checked.store(data_rows, Ordering::Relaxed);
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let before = problems.len();
        let mut problem = |field: PupilField, message: String| {
            problems.push(RowProblem {
                line,
                column: columns.header(field),
                message,
            })
        };
        let cell = |field| columns.get(&record, field).unwrap_or("");

        let upn = match Upn::parse(cell(P::Upn)) {
            Ok(upn) => Some(upn),
            Err(error) => {
                problem(
                    P::Upn,
                    format!("{error}: copy the UPN exactly as the MIS has it"),
                );
                None
            }
        };
        if let Some(upn) = &upn
            && let Some(earlier) = first_line.insert(upn.clone(), line)
        {
            first_line.insert(upn.clone(), earlier);
            problem(
                P::Upn,
                format!("{upn} is also on line {earlier}: keep one row per pupil"),
            );
        }
        let mut name = |field: PupilField, what: &str| {
            let value = cell(field);
            if value.is_empty() {
                problem(
                    field,
                    format!("the {what} is empty: give the pupil's {what}"),
                );
            }
            value.to_string()
        };
        let legal_first_name = name(P::LegalFirst, "legal first name");
        let legal_last_name = name(P::LegalLast, "legal surname");
        let mut parsed = |field: PupilField, parse: &dyn Fn(&str) -> Result<(), String>| {
            if let Some(value) = columns.get(&record, field)
                && let Err(message) = parse(value)
            {
                problem(field, message);
            }
        };
        parsed(P::DateOfBirth, &|v| parse_date(v).map(drop));
        parsed(P::Sex, &|v| parse_sex(v).map(drop));
        parsed(P::NcYear, &|v| parse_nc_year(v).map(drop));
        parsed(P::Admitted, &|v| parse_date(v).map(drop));
        parsed(P::Left, &|v| {
            if v.is_empty() {
                Ok(())
            } else {
                parse_date(v).map(drop)
            }
        });
        parsed(P::Sen, &|v| parse_sen(v).map(drop));
        parsed(P::Fsm, &|v| parse_flag(v).map(drop));
        parsed(P::Eal, &|v| parse_flag(v).map(drop));
        parsed(P::PupilPremium, &|v| parse_flag(v).map(drop));
        parsed(P::Ethnicity, &|v| parse_ethnicity(v).map(drop));

        let date_of_birth = parse_date(cell(P::DateOfBirth)).ok();
        let admitted_on = parse_date(cell(P::Admitted)).ok();
        let left_on = columns
            .get(&record, P::Left)
            .map(|v| (!v.is_empty()).then(|| parse_date(v).ok()).flatten());
        if let (Some(admitted), Some(Some(left))) = (admitted_on, left_on)
            && left < admitted
        {
            problems.push(RowProblem {
                line,
                column: columns.header(P::Left),
                message: format!(
                    "the leaving date {left} is before the admission date {admitted}: check both in the MIS"
                ),
            });
        }
        if let (Some(born), Some(admitted)) = (date_of_birth, admitted_on)
            && admitted <= born
        {
            problems.push(RowProblem {
                line,
                column: columns.header(P::DateOfBirth),
                message: format!(
                    "the date of birth {born} is not before the admission date {admitted}: check both in the MIS"
                ),
            });
        }

        let contacts = if has_contacts {
            Some(contacts(&columns, &record, line, &mut problems))
        } else {
            None
        };
        if problems.len() > before {
            continue;
        }
        let (Some(upn), Some(date_of_birth), Some(admitted_on)) = (upn, date_of_birth, admitted_on)
        else {
            continue;
        };
        rows.push(PupilRow {
            line,
            upn,
            legal_first_name,
            legal_last_name,
            preferred_first_name: optional_text(columns.get(&record, P::PreferredFirst)),
            preferred_last_name: optional_text(columns.get(&record, P::PreferredLast)),
            date_of_birth,
            sex: parse_sex(cell(P::Sex)).unwrap_or_default(),
            nc_year: parse_nc_year(cell(P::NcYear)).unwrap_or_default(),
            form: optional_text(columns.get(&record, P::Form)),
            admitted_on,
            left_on,
            sen_status: columns.get(&record, P::Sen).and_then(|v| parse_sen(v).ok()),
            free_school_meals: columns
                .get(&record, P::Fsm)
                .and_then(|v| parse_flag(v).ok()),
            eal: columns
                .get(&record, P::Eal)
                .and_then(|v| parse_flag(v).ok()),
            pupil_premium: columns
                .get(&record, P::PupilPremium)
                .and_then(|v| parse_flag(v).ok()),
            ethnicity: columns
                .get(&record, P::Ethnicity)
                .and_then(|v| parse_ethnicity(v).ok()),
            contacts,
        });
    }
    Parsed {
        rows,
        data_rows,
        problems,
        ignored_columns: columns.ignored.clone(),
        columns: Some(columns),
    }
}

/// The row's contacts, slot 1 then slot 2; a slot with every cell blank has no contact.
fn contacts(
    columns: &Columns<PupilField>,
    record: &csv::StringRecord,
    line: u64,
    problems: &mut Vec<RowProblem>,
) -> Vec<ContactRow> {
    use ContactField as C;
    let mut contacts: Vec<ContactRow> = Vec::new();
    for slot in 1..=2u8 {
        let field = |f| PupilField::Contact(slot, f);
        let cell = |f| columns.get(record, field(f)).unwrap_or("");
        let given = CONTACT_COLUMNS.iter().any(|(f, _)| !cell(*f).is_empty());
        if !given {
            continue;
        }
        let (mut first_name, mut last_name) = (
            cell(C::FirstName).to_string(),
            cell(C::LastName).to_string(),
        );
        if first_name.is_empty() && last_name.is_empty() {
            let full = cell(C::Name);
            match full.rsplit_once(' ') {
                Some((first, last)) => {
                    first_name = first.trim().to_string();
                    last_name = last.trim().to_string();
                }
                None => last_name = full.to_string(),
            }
        }
        if last_name.is_empty() {
            let column = [C::LastName, C::Name]
                .into_iter()
                .find(|f| columns.has(field(*f)))
                .map(|f| columns.header(field(f)))
                .unwrap_or_else(|| format!("Contact {slot} Surname"));
            problems.push(RowProblem {
                line,
                column,
                message: format!(
                    "contact {slot} has no name: give their surname (or full name), or leave every contact {slot} cell empty"
                ),
            });
        }
        let mut problem = |f: ContactField, message: String| {
            problems.push(RowProblem {
                line,
                column: columns.header(field(f)),
                message,
            })
        };
        let priority = match cell(C::Priority) {
            "" => slot as i32,
            text => match text.parse::<i32>() {
                Ok(p) if p >= 1 => p,
                _ => {
                    problem(
                        C::Priority,
                        format!(
                            "\"{text}\" is not a priority: write 1 for the first to call, 2 for the next"
                        ),
                    );
                    slot as i32
                }
            },
        };
        let parental_responsibility = match columns.get(record, field(C::ParentalResponsibility)) {
            None | Some("") => true,
            Some(text) => parse_flag(text).unwrap_or_else(|message| {
                problem(C::ParentalResponsibility, message);
                true
            }),
        };
        let email = cell(C::Email).to_string();
        if !email.is_empty()
            && !email.split_once('@').is_some_and(|(user, host)| {
                !user.is_empty() && host.contains('.') && !email.contains(char::is_whitespace)
            })
        {
            problem(
                C::Email,
                format!("\"{email}\" is not an email address: correct it or leave it blank"),
            );
        }
        if contacts.iter().any(|c| c.priority == priority) {
            problem(
                C::Priority,
                format!(
                    "contact {slot} has priority {priority}, like the contact before it: give each contact its own priority"
                ),
            );
        }
        contacts.push(ContactRow {
            priority,
            title: cell(C::Title).to_string(),
            first_name,
            last_name,
            relationship: cell(C::Relationship).to_string(),
            parental_responsibility,
            mobile_phone: cell(C::Mobile).to_string(),
            home_phone: cell(C::HomePhone).to_string(),
            work_phone: cell(C::WorkPhone).to_string(),
            email,
            address: cell(C::Address).to_string(),
            postcode: cell(C::Postcode).to_ascii_uppercase(),
        });
    }
    contacts
}

fn unreadable(line: u64, error: &csv::Error) -> RowProblem {
    RowProblem {
        line,
        column: String::new(),
        message: format!(
            "this line cannot be read as CSV ({error}): save the file from the MIS or a spreadsheet as CSV, with quotes around cells that contain commas"
        ),
    }
}

/// A mark row whose cells are all well formed.
#[derive(Clone, Debug)]
pub struct MarkRow {
    pub line: u64,
    pub upn: Upn,
    pub date: NaiveDate,
    pub session: Session,
    pub code: Code,
    pub minutes_late: Option<i32>,
    pub mapping: Option<&'static HistoricMapping>,
    /// A present sign of the other session (`/` in the afternoon), read as this session's.
    pub present_sign_corrected: bool,
}

/// Reads a marks file. Every row is checked; rows with problems are left out of `rows`.
pub fn marks(text: &str, tracker: &Tracker) -> Parsed<MarkRow, MarkField> {
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    let mut reader = reader(text);
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(error) => {
            return Parsed {
                rows,
                columns: None,
                data_rows: 0,
                problems: vec![unreadable(1, &error)],
                ignored_columns: Vec::new(),
            };
        }
    };
    let columns = Columns::read(&headers, mark_field, &mut problems);
    use MarkField as M;
    missing(
        &columns,
        MARK_COLUMNS,
        &[M::Upn, M::Date, M::Session, M::Code],
        &mut problems,
    );
    if !problems.is_empty() {
        return Parsed {
            rows,
            data_rows: 0,
            problems,
            ignored_columns: columns.ignored.clone(),
            columns: Some(columns),
        };
    }
    let mut data_rows = 0u64;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                let line = error.position().map(|p| p.line()).unwrap_or(0);
                problems.push(unreadable(line, &error));
                continue;
            }
        }
        if record_is_blank(&record) {
            continue;
        }
        data_rows += 1;
        if data_rows.is_multiple_of(1024) {
            tracker.checked.store(data_rows, Ordering::Relaxed);
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let cell = |field| columns.get(&record, field).unwrap_or("");
        let bad = std::cell::Cell::new(false);
        let mut problem = |field: MarkField, message: String| {
            bad.set(true);
            problems.push(RowProblem {
                line,
                column: columns.header(field),
                message,
            })
        };
        let upn = Upn::parse(cell(M::Upn))
            .map_err(|error| {
                problem(
                    M::Upn,
                    format!("{error}: copy the UPN exactly as the MIS has it"),
                )
            })
            .ok();
        let date = parse_date(cell(M::Date))
            .map_err(|message| problem(M::Date, message))
            .ok();
        let session = Session::parse(cell(M::Session))
            .map_err(|message| problem(M::Session, message))
            .ok();
        let code = match Code::parse_historic(cell(M::Code)) {
            Ok(found) => Some(found),
            Err(unknown) => {
                problem(
                    M::Code,
                    format!(
                        "{unknown}: use a DfE code (for example /, \\, L, U, I, M, N, O, G, C, Y1 to Y7) or a withdrawn one Rollcall maps (H, J, Y, F); see the codes in docs/import.md"
                    ),
                );
                None
            }
        };
        let mut minutes_read = true;
        let minutes_late = match cell(M::MinutesLate) {
            "" => None,
            text => match text.parse::<i32>() {
                Ok(minutes) if minutes >= 0 => Some(minutes),
                _ => {
                    minutes_read = false;
                    problem(
                        M::MinutesLate,
                        format!(
                            "\"{text}\" is not a number of minutes: write whole minutes, like 12, or leave it blank"
                        ),
                    );
                    None
                }
            },
        };
        if let (Some((code, _)), true) = (code, minutes_read)
            && let Err(message) = crate::registers::queries::check_minutes_late(code, minutes_late)
        {
            let fix = if code.is_late() {
                "give the minutes late for L and U marks"
            } else {
                "leave the minutes late blank (or 0) for this code"
            };
            problem(M::MinutesLate, format!("{message}: {fix}"));
        }
        if bad.get() {
            continue;
        }
        let (Some(upn), Some(date), Some(session), Some((code, mapping))) =
            (upn, date, session, code)
        else {
            continue;
        };
        let present = Code::present(session);
        let corrected = code.category() == crate::domain::codes::Category::Present
            && matches!(code, Code::PresentAm | Code::PresentPm)
            && code != present;
        rows.push(MarkRow {
            line,
            upn,
            date,
            session,
            code: if corrected { present } else { code },
            minutes_late,
            mapping,
            present_sign_corrected: corrected,
        });
    }
    tracker.checked.store(data_rows, Ordering::Relaxed);
    Parsed {
        rows,
        data_rows,
        problems,
        ignored_columns: columns.ignored.clone(),
        columns: Some(columns),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_are_read_as_mis_exports_write_them() {
        assert_eq!(parse_date("2026-09-03"), Ok(d(2026, 9, 3)));
        assert_eq!(parse_date("03/09/2026"), Ok(d(2026, 9, 3)));
        assert_eq!(parse_date("3/9/2026"), Ok(d(2026, 9, 3)));
        assert_eq!(parse_date("03-09-2026"), Ok(d(2026, 9, 3)));
        assert_eq!(parse_date("03/09/2026 00:00:00"), Ok(d(2026, 9, 3)));
        assert!(parse_date("09/03/26").unwrap_err().contains("YYYY-MM-DD"));
        assert!(parse_date("3rd Sept").unwrap_err().contains("not a date"));
        assert!(
            parse_date("31/02/2026")
                .unwrap_err()
                .contains("not a real date")
        );
    }

    #[test]
    fn headers_match_whatever_the_case_and_spacing() {
        assert_eq!(pupil_field("LEGAL SURNAME"), Some(PupilField::LegalLast));
        assert_eq!(pupil_field("legal_surname"), Some(PupilField::LegalLast));
        assert_eq!(pupil_field("Last name"), Some(PupilField::LegalLast));
        assert_eq!(pupil_field("Reg Group"), Some(PupilField::Form));
        assert_eq!(pupil_field("DOB"), Some(PupilField::DateOfBirth));
        assert_eq!(
            pupil_field("Contact 2 Mobile Phone"),
            Some(PupilField::Contact(2, ContactField::Mobile))
        );
        assert_eq!(pupil_field("Favourite colour"), None);
        assert_eq!(mark_field("AM/PM"), Some(MarkField::Session));
        assert_eq!(mark_field("Attendance Mark"), Some(MarkField::Code));
    }

    #[test]
    fn years_sen_and_flags_accept_the_common_spellings() {
        assert_eq!(parse_nc_year("9"), Ok(9));
        assert_eq!(parse_nc_year("Year 9"), Ok(9));
        assert_eq!(parse_nc_year("Y11"), Ok(11));
        assert_eq!(parse_nc_year("R"), Ok(0));
        assert_eq!(parse_nc_year("Reception"), Ok(0));
        assert_eq!(parse_nc_year("N2"), Ok(-1));
        assert!(parse_nc_year("15").is_err());
        assert!(parse_nc_year("").is_err());
        assert!(parse_nc_year("Year").is_err());
        assert_eq!(parse_nc_year("YR"), Ok(0));
        assert_eq!(parse_sen("EHCP"), Ok("E".to_string()));
        assert_eq!(parse_sen("SEN Support"), Ok("K".to_string()));
        assert!(parse_sen("X").is_err());
        assert_eq!(parse_flag("Yes"), Ok(true));
        assert_eq!(parse_flag(""), Ok(false));
        assert!(parse_flag("maybe").is_err());
        assert_eq!(year_group_name(0), "Reception");
        assert_eq!(year_group_name(7), "Year 7");
    }

    #[test]
    fn a_marks_file_reports_every_bad_cell_with_its_line() {
        let upn = Upn::from_parts(821, 1, 12, 0);
        let text = format!(
            "UPN,Date,Session,Mark,Minutes Late\n\
             {upn},2026-11-02,AM,/,\n\
             {upn},2026-11-02,PM,/,\n\
             {upn},02/11/2026,XX,Q9,\n\
             B00000000000A,2026-13-01,AM,H,\n\
             {upn},2026-11-03,AM,L,\n"
        );
        let parsed = marks(&text, &Tracker::default());
        assert_eq!(parsed.data_rows, 5);
        assert_eq!(parsed.rows.len(), 2);
        assert!(parsed.rows[1].present_sign_corrected);
        assert_eq!(parsed.rows[1].code, Code::PresentPm);
        let at = |line| {
            parsed
                .problems
                .iter()
                .filter(|p| p.line == line)
                .map(|p| p.column.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(at(4), ["Session", "Mark"]);
        assert_eq!(at(5), ["UPN", "Date"]);
        assert_eq!(at(6), ["Minutes Late"]);
    }
}
