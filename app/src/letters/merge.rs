//! Letter templates and their merge fields: `{{pupil.first_name}}` and the like, replaced by the
//! case's values in one pass. Pure, so both the browser (checking as the school types) and the
//! server (checking on save, merging on generation) use the same rules.
//!
//! - A field the list below does not know is refused, naming it and listing the known ones.
//! - A known field with no value (no address recorded) merges as nothing and is reported, so the
//!   letter page can say what is missing before it is sent.
//! - `\{{` writes a literal `{{`. Values are merged as they are and never merged again, so a
//!   value containing braces cannot pull in another field. The result is plain text; the page
//!   and the PDF escape it for their own formats.

use std::collections::BTreeMap;

use crate::domain::triggers::Step;

/// Every merge field a template may use, with what it becomes.
pub const FIELDS: &[(&str, &str)] = &[
    ("pupil.first_name", "the pupil's first name"),
    ("pupil.last_name", "the pupil's last name"),
    ("pupil.full_name", "the pupil's first and last name"),
    ("pupil.form", "the pupil's form"),
    ("pupil.year", "the pupil's year group"),
    ("parent.name", "the parent or carer the letter is to"),
    ("parent.address", "their address and postcode"),
    (
        "figures.attendance_percent",
        "attendance this academic year, like 88.4%",
    ),
    (
        "figures.unauthorised_sessions",
        "unauthorised absences this year, in sessions",
    ),
    (
        "figures.authorised_sessions",
        "authorised absences this year, in sessions",
    ),
    (
        "figures.possible_sessions",
        "sessions the pupil could have attended",
    ),
    (
        "figures.period",
        "the period of the figures, to follow \"between\": 1 September 2026 and 20 November 2026",
    ),
    (
        "figures.why",
        "what the case policy found, in the engine's words",
    ),
    ("school.name", "the school's name"),
    ("school.address", "the school's address"),
    ("today", "today's date, like 23 November 2026"),
    (
        "case.stage",
        "the case's stage, like school attendance meeting",
    ),
    ("staff.name", "the name of the person generating the letter"),
];

/// Whether `name` is one of [`FIELDS`].
pub fn is_known(name: &str) -> bool {
    FIELDS.iter().any(|(field, _)| *field == name)
}

/// Why a template cannot be used, in words the school can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateError {
    UnknownField(String),
    Unclosed,
    Empty,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::UnknownField(name) => write!(
                f,
                "The template uses {{{{{name}}}}}, which is not a merge field. The merge fields \
                 are: {}.",
                FIELDS
                    .iter()
                    .map(|(field, _)| format!("{{{{{field}}}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            TemplateError::Unclosed => write!(
                f,
                "A {{{{ has no closing }}}}: close the merge field, or write \\{{{{ for the \
                 characters themselves."
            ),
            TemplateError::Empty => write!(f, "Write the letter before saving it."),
        }
    }
}

/// A piece of a template: text as it is, or a field to fill.
#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Text(&'a str),
    Field(&'a str),
}

fn parse(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        if rest[..open].ends_with('\\') {
            pieces.push(Piece::Text(&rest[..open - 1]));
            pieces.push(Piece::Text("{{"));
            rest = &rest[open + 2..];
            continue;
        }
        pieces.push(Piece::Text(&rest[..open]));
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or(TemplateError::Unclosed)?;
        let name = after[..close].trim();
        if !is_known(name) {
            return Err(TemplateError::UnknownField(name.to_string()));
        }
        pieces.push(Piece::Field(name));
        rest = &after[close + 2..];
    }
    pieces.push(Piece::Text(rest));
    Ok(pieces)
}

/// Checks a template (subject or body) without merging it: every field known, every `{{`
/// closed.
pub fn check(template: &str) -> Result<(), TemplateError> {
    parse(template).map(|_| ())
}

/// A merged text and the known fields that had no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merged {
    pub text: String,
    pub missing: Vec<String>,
}

/// Fills a template's fields from `values` (field name to value). A value that is absent or
/// blank merges as nothing and is listed in `missing`, once.
pub fn merge(template: &str, values: &BTreeMap<String, String>) -> Result<Merged, TemplateError> {
    let mut merged = Merged {
        text: String::with_capacity(template.len()),
        missing: Vec::new(),
    };
    for piece in parse(template)? {
        match piece {
            Piece::Text(text) => merged.text.push_str(text),
            Piece::Field(name) => match values.get(name).filter(|v| !v.trim().is_empty()) {
                Some(value) => merged.text.push_str(value),
                None => {
                    if !merged.missing.iter().any(|m| m == name) {
                        merged.missing.push(name.to_string());
                    }
                }
            },
        }
    }
    Ok(merged)
}

/// The template a school starts with for a stage, in plain English: its subject and body.
pub fn default_template(step: Step) -> (&'static str, &'static str) {
    match step {
        Step::FirstLetter => (
            "{{pupil.first_name}}'s attendance at {{school.name}}",
            "{{today}}

Dear {{parent.name}},

We are writing because {{pupil.full_name}}'s attendance is lower than we would like. Between {{figures.period}}, {{pupil.first_name}} attended {{figures.attendance_percent}} of sessions and missed {{figures.unauthorised_sessions}} sessions without a reason the school could authorise.

Every day in school matters for learning and for friendships. If something is making it hard for {{pupil.first_name}} to come to school, please tell us: we would like to help.

We will keep an eye on {{pupil.first_name}}'s attendance over the coming weeks. If it does not improve we will invite you to a meeting.

Yours sincerely,

{{staff.name}}
{{school.name}}",
        ),
        Step::Meeting => (
            "An invitation to a meeting about {{pupil.first_name}}'s attendance",
            "{{today}}

Dear {{parent.name}},

We wrote to you earlier about {{pupil.full_name}}'s attendance. Between {{figures.period}}, {{pupil.first_name}} attended {{figures.attendance_percent}} of sessions, with {{figures.unauthorised_sessions}} unauthorised absences.

We would like to meet you to talk about what is getting in the way and how we can support {{pupil.first_name}} together. Please contact the school office to agree a time in the next two weeks.

Yours sincerely,

{{staff.name}}
{{school.name}}",
        ),
        Step::AttendancePlan => (
            "{{pupil.first_name}}'s attendance: a meeting to agree a plan",
            "{{today}}

Dear {{parent.name}},

{{pupil.full_name}}'s attendance has fallen to {{figures.attendance_percent}} between {{figures.period}}. Below 90% a pupil is persistently absent, which has a real effect on learning.

We would like to meet you to agree an attendance plan: the support the school will give, what we ask of you, a target for {{pupil.first_name}}'s attendance and a date when we will review it together. Please contact the school office to arrange the meeting.

Yours sincerely,

{{staff.name}}
{{school.name}}",
        ),
        Step::PenaltyNotice => (
            "{{pupil.first_name}}'s unauthorised absence",
            "{{today}}

Dear {{parent.name}},

{{pupil.full_name}} has missed {{figures.unauthorised_sessions}} sessions without authorisation this academic year ({{figures.period}}). The national framework asks schools to consider a notice to improve or a penalty notice when a pupil has 10 unauthorised sessions within 10 school weeks.

No decision has been made. We would like to talk with you first about the support that could help {{pupil.first_name}} attend every day. Please contact the school office as soon as you can.

Yours sincerely,

{{staff.name}}
{{school.name}}",
        ),
        Step::TenDayNotice => (
            "We need to hear from you about {{pupil.first_name}}",
            "{{today}}

Dear {{parent.name}},

{{pupil.full_name}} has not been in school, and we have not been able to find out why. When a pupil is absent for 10 school days without an explanation, the school must tell the local authority.

Please contact the school office today so that we know {{pupil.first_name}} is safe and can plan their return.

Yours sincerely,

{{staff.name}}
{{school.name}}",
        ),
        Step::Referral => (
            "{{pupil.first_name}}'s attendance: a referral for support",
            "{{today}}

Dear {{parent.name}},

{{pupil.full_name}} has attended {{figures.attendance_percent}} of sessions between {{figures.period}}, which is severe absence. Because of this, we are referring {{pupil.first_name}} to the local authority's attendance support team, who work with families and schools to find what will help.

We will be in touch to arrange a meeting with you and the local authority. If you have any questions, please contact the school office.

Yours sincerely,

{{staff.name}}
{{school.name}}",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn fills_known_fields_with_or_without_spaces() {
        let merged = merge(
            "Dear {{parent.name}}, {{ pupil.first_name }} attended {{figures.attendance_percent}}.",
            &values(&[
                ("parent.name", "Ms Shah"),
                ("pupil.first_name", "Aisha"),
                ("figures.attendance_percent", "88.4%"),
            ]),
        )
        .unwrap();
        assert_eq!(merged.text, "Dear Ms Shah, Aisha attended 88.4%.");
        assert!(merged.missing.is_empty());
    }

    #[test]
    fn an_unknown_field_is_named_with_the_known_ones() {
        let error = merge("Dear {{parent.nmae}}", &values(&[])).unwrap_err();
        assert_eq!(error, TemplateError::UnknownField("parent.nmae".into()));
        let words = error.to_string();
        assert!(words.contains("{{parent.nmae}}"), "{words}");
        assert!(words.contains("{{parent.name}}"), "{words}");
        assert!(words.contains("{{figures.period}}"), "{words}");
        assert_eq!(
            check("{{school.name}} {{case.id}}"),
            Err(TemplateError::UnknownField("case.id".into()))
        );
    }

    #[test]
    fn a_missing_value_merges_as_nothing_and_is_reported_once() {
        let merged = merge(
            "{{school.name}}\n{{school.address}}\n{{school.address}}",
            &values(&[
                ("school.name", "Oakfield Academy"),
                ("school.address", "  "),
            ]),
        )
        .unwrap();
        assert_eq!(merged.text, "Oakfield Academy\n\n");
        assert_eq!(merged.missing, vec!["school.address".to_string()]);
    }

    #[test]
    fn escaped_braces_stay_and_values_are_never_merged_again() {
        let merged = merge(
            r"Write \{{ like this. {{pupil.first_name}}",
            &values(&[("pupil.first_name", "{{school.name}} <b>&")]),
        )
        .unwrap();
        assert_eq!(merged.text, "Write {{ like this. {{school.name}} <b>&");
        assert!(merged.missing.is_empty());
    }

    #[test]
    fn an_unclosed_field_is_refused() {
        assert_eq!(check("Dear {{parent.name"), Err(TemplateError::Unclosed));
        assert_eq!(check("Single { braces } are text"), Ok(()));
    }

    #[test]
    fn every_default_template_uses_only_known_fields() {
        for step in Step::ALL {
            let (subject, body) = default_template(step);
            assert_eq!(check(subject), Ok(()), "{step:?}");
            assert_eq!(check(body), Ok(()), "{step:?}");
        }
    }

    #[test]
    fn every_field_is_known_and_unique() {
        for (i, (field, _)) in FIELDS.iter().enumerate() {
            assert!(is_known(field));
            assert!(!FIELDS[..i].iter().any(|(other, _)| other == field));
        }
    }
}
