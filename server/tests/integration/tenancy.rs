//! Walks every HTTP route and every server function with every role, with a person of another
//! school of the same trust, with a person of another trust, and with nobody signed in, and
//! checks each answer: allowed, forbidden, or sign in first.
//!
//! The walk fails when a route or server function exists that it does not know, so it grows with
//! every feature.

use crate::common;

use std::collections::BTreeSet;

use app::domain::roles::{Permission, Role};
use common::fixture::{self, Fixture};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// Who may call: nobody needs to be signed in, anyone signed in, or a permission at the school.
#[derive(Clone, Copy)]
enum Access {
    Public,
    SignedIn,
    At(Permission),
    /// Allowed with the permission at any school of the trust in the path.
    InTrust(Permission),
    /// Allowed with either permission at the school.
    AtEither(Permission, Permission),
}

#[derive(Clone, Copy)]
enum Body {
    None,
    Form,
    Json,
}

struct Call {
    method: Method,
    /// The path as the OpenAPI document or the server-function registry names it.
    template: &'static str,
    access: Access,
    body: Body,
}

const fn call(method: Method, template: &'static str, access: Access, body: Body) -> Call {
    Call {
        method,
        template,
        access,
        body,
    }
}

fn calls() -> Vec<Call> {
    use Access::*;
    use Body::*;
    use Permission::*;
    vec![
        // The JSON API.
        call(Method::GET, "/healthz", Public, None),
        call(Method::GET, "/api/openapi.json", Public, None),
        call(Method::POST, "/api/auth/login", Public, Json),
        call(Method::POST, "/api/auth/logout", Public, None),
        call(Method::POST, "/api/auth/logout-everywhere", SignedIn, None),
        call(Method::GET, "/api/auth/me", SignedIn, None),
        call(
            Method::GET,
            "/api/schools/{school_id}/api-tokens",
            At(ManageApiTokens),
            None,
        ),
        call(
            Method::POST,
            "/api/schools/{school_id}/api-tokens",
            At(ManageApiTokens),
            Json,
        ),
        call(
            Method::DELETE,
            "/api/schools/{school_id}/api-tokens/{token_id}",
            At(ManageApiTokens),
            None,
        ),
        call(
            Method::GET,
            "/api/schools/{school_id}/attendance",
            At(ViewReports),
            None,
        ),
        call(
            Method::GET,
            "/api/trusts/{trust_id}/attendance",
            InTrust(ViewReports),
            None,
        ),
        call(
            Method::GET,
            "/api/schools/{school_id}/marks.csv",
            At(ViewReports),
            None,
        ),
        call(
            Method::GET,
            "/api/schools/{school_id}/register-copies/{month}",
            At(ViewReports),
            None,
        ),
        call(
            Method::GET,
            "/api/schools/{school_id}/reports/{file}",
            At(ViewReports),
            None,
        ),
        call(
            Method::GET,
            "/api/trusts/{trust_id}/reports/{file}",
            InTrust(ViewTrust),
            None,
        ),
        call(
            Method::GET,
            "/api/schools/{school_id}/late-arrivals",
            AtEither(TakeRegisters, RecordLateArrivals),
            None,
        ),
        call(
            Method::GET,
            "/api/schools/{school_id}/first-day-calling",
            AtEither(WorkCases, TakeRegisters),
            None,
        ),
        call(
            Method::POST,
            "/api/sync/devices",
            AtEither(RecordLateArrivals, RecordVisits),
            Json,
        ),
        call(
            Method::POST,
            "/api/sync/push",
            AtEither(RecordLateArrivals, RecordVisits),
            Json,
        ),
        call(Method::GET, "/api/sync/pull", At(RecordLateArrivals), None),
        // Server functions.
        call(Method::POST, "/api/fn/system/status", Public, Form),
        call(Method::POST, "/api/fn/auth/viewer", Public, Form),
        call(Method::POST, "/api/fn/auth/sign-in", Public, Form),
        call(Method::POST, "/api/fn/auth/sign-out", Public, Form),
        call(Method::POST, "/api/fn/school/day", At(SearchRoll), Form),
        call(
            Method::POST,
            "/api/fn/school/settings",
            At(ManageSchool),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/school/session-times",
            At(ManageSchool),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/school/late-policy",
            At(ManageSchool),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/late-arrivals/day",
            AtEither(TakeRegisters, RecordLateArrivals),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/cases/list",
            AtEither(WorkCases, ViewReports),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/cases/one",
            AtEither(WorkCases, ViewReports),
            Form,
        ),
        call(Method::POST, "/api/fn/cases/answer", At(WorkCases), Form),
        call(Method::POST, "/api/fn/cases/note", At(WorkCases), Form),
        call(Method::POST, "/api/fn/cases/policy", At(ManageSchool), Form),
        call(
            Method::POST,
            "/api/fn/cases/save-policy",
            At(ManageSchool),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/calling/day",
            AtEither(WorkCases, TakeRegisters),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/calling/attempt",
            AtEither(WorkCases, TakeRegisters),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/calling/reason",
            At(TakeRegisters),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/calling/deadlines",
            At(ManageSchool),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/calling/save-deadlines",
            At(ManageSchool),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/leave/list",
            AtEither(TakeRegisters, WorkCases),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/leave/one",
            AtEither(TakeRegisters, WorkCases),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/leave/request",
            AtEither(TakeRegisters, WorkCases),
            Form,
        ),
        call(Method::POST, "/api/fn/leave/decide", At(DecideLeave), Form),
        call(Method::POST, "/api/fn/leave/taken", At(TakeRegisters), Form),
        call(
            Method::POST,
            "/api/fn/arrangements/list",
            At(WorkCases),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/arrangements/add",
            At(WorkCases),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/arrangements/review",
            At(WorkCases),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/roll/list",
            AtEither(WorkCases, DeleteFromRoll),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/roll/ten-day",
            AtEither(WorkCases, DeleteFromRoll),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/roll/ten-day-sent",
            At(WorkCases),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/roll/delete",
            At(DeleteFromRoll),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/roll/cancel",
            At(DeleteFromRoll),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/roll/return-sent",
            At(DeleteFromRoll),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/penalty-notices/list",
            AtEither(WorkCases, ViewReports),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/penalty-notices/improve",
            At(WorkCases),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/penalty-notices/issue",
            At(WorkCases),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/penalty-notices/paid",
            At(WorkCases),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/penalty-notices/withdraw",
            At(WorkCases),
            Form,
        ),
        call(
            Method::GET,
            "/api/schools/{school_id}/letters/{letter_id}/pdf",
            AtEither(WorkCases, ViewReports),
            None,
        ),
        call(
            Method::GET,
            "/api/schools/{school_id}/cases/{case_id}/evidence-pack",
            AtEither(WorkCases, ViewReports),
            None,
        ),
        call(
            Method::GET,
            "/api/schools/{school_id}/pupils/{pupil_id}/subject-access",
            At(ExportSubjectAccess),
            None,
        ),
        call(
            Method::POST,
            "/api/fn/data-protection/safeguarding-views",
            At(ViewSafeguarding),
            Form,
        ),
        call(
            Method::GET,
            "/api/schools/{school_id}/certificates.pdf",
            AtEither(WorkCases, ViewReports),
            None,
        ),
        call(
            Method::POST,
            "/api/fn/certificates/list",
            AtEither(WorkCases, ViewReports),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/letters/templates",
            AtEither(WorkCases, ViewReports),
            Form,
        ),
        // Templates and the letterhead: administrators (ManageSchool) and attendance leads,
        // the same people as DecideLeave's with the trust administrator.
        call(
            Method::POST,
            "/api/fn/letters/save-template",
            AtEither(ManageSchool, DecideLeave),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/letters/save-letterhead",
            AtEither(ManageSchool, DecideLeave),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/letters/list",
            AtEither(WorkCases, ViewReports),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/letters/one",
            AtEither(WorkCases, ViewReports),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/letters/generate",
            At(WorkCases),
            Form,
        ),
        call(Method::POST, "/api/fn/letters/batch", At(WorkCases), Form),
        call(Method::POST, "/api/fn/letters/email", At(WorkCases), Form),
        call(
            Method::POST,
            "/api/fn/cases/workers",
            AtEither(WorkCases, ViewReports),
            Form,
        ),
        call(Method::POST, "/api/fn/cases/reassign", At(WorkCases), Form),
        call(Method::POST, "/api/fn/cases/close", At(WorkCases), Form),
        call(Method::POST, "/api/fn/cases/add-task", At(WorkCases), Form),
        call(Method::POST, "/api/fn/cases/task-done", At(WorkCases), Form),
        call(
            Method::POST,
            "/api/fn/meetings/case",
            AtEither(WorkCases, ViewReports),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/meetings/arrange",
            At(WorkCases),
            Form,
        ),
        call(Method::POST, "/api/fn/meetings/record", At(WorkCases), Form),
        call(Method::POST, "/api/fn/meetings/plan", At(WorkCases), Form),
        call(
            Method::POST,
            "/api/fn/school/add-closure",
            At(ManageSchool),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/school/remove-closure",
            At(ManageSchool),
            Form,
        ),
        call(Method::POST, "/api/fn/pupils/search", At(SearchRoll), Form),
        call(Method::POST, "/api/fn/pupils/record", At(ViewPupils), Form),
        call(
            Method::POST,
            "/api/fn/attendance/breakdown",
            At(ViewReports),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/attendance/pupil",
            At(ViewPupils),
            Form,
        ),
        call(Method::POST, "/api/fn/reports/run", At(ViewReports), Form),
        call(Method::POST, "/api/fn/reports/today", At(ViewReports), Form),
        call(
            Method::POST,
            "/api/fn/reports/trust",
            InTrust(ViewTrust),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/registers/day",
            At(TakeRegisters),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/registers/load",
            At(TakeRegisters),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/registers/save",
            At(TakeRegisters),
            Json,
        ),
        call(
            Method::POST,
            "/api/fn/registers/amend",
            At(TakeRegisters),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/registers/history",
            At(ViewPupils),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/registers/overdue-n",
            At(TakeRegisters),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/registers/unexpected-closure",
            At(ManageSchool),
            Form,
        ),
        call(Method::POST, "/api/fn/import/start", At(ManageSchool), Json),
        call(
            Method::POST,
            "/api/fn/import/progress",
            At(ManageSchool),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/import/recent",
            At(ManageSchool),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/registers/year-groups",
            At(TakeRegisters),
            Form,
        ),
        call(Method::POST, "/api/fn/staff/list", At(ManageStaff), Form),
        call(Method::POST, "/api/fn/staff/add", At(ManageStaff), Json),
        call(Method::POST, "/api/fn/staff/roles", At(ManageStaff), Json),
        call(Method::POST, "/api/fn/staff/disable", At(ManageStaff), Form),
        // Home visits: /visits is for those who record visits and for the office's watch
        // (WorkCases or TakeRegisters; WorkCases is within RecordVisits).
        call(
            Method::POST,
            "/api/fn/visits/mine",
            AtEither(RecordVisits, TakeRegisters),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/visits/one",
            AtEither(RecordVisits, TakeRegisters),
            Form,
        ),
        call(Method::POST, "/api/fn/visits/plan", At(RecordVisits), Form),
        call(
            Method::POST,
            "/api/fn/visits/officers",
            At(RecordVisits),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/visits/save-record",
            At(RecordVisits),
            Json,
        ),
        call(
            Method::POST,
            "/api/fn/visits/resolve",
            At(RecordVisits),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/visits/concern-seen",
            At(ViewSafeguarding),
            Form,
        ),
        call(
            Method::POST,
            "/api/fn/calling/alert-seen",
            At(ViewSafeguarding),
            Form,
        ),
    ]
}

/// What the walk aims a request at: the main school, where every role works, or its sister
/// school, where only trust-wide roles reach.
struct Target {
    school: Uuid,
    pupil: Uuid,
    form: Uuid,
    token: Uuid,
    mark: i64,
    /// A late-door tablet registered to the school.
    device: Uuid,
    theirs: bool,
}

/// Everyone the walk asks as.
#[derive(Clone, Debug)]
enum Caller {
    Nobody,
    Role(Role),
    /// A school administrator of another trust.
    OtherTrust,
}

impl Caller {
    fn all() -> Vec<Caller> {
        let mut callers = vec![Caller::Nobody, Caller::OtherTrust];
        callers.extend(Role::ALL.into_iter().map(Caller::Role));
        callers
    }
}

/// A request's path and body, aimed at `school`, with arguments unique to this request so that
/// repeated calls do not trip over each other.
fn request(
    call: &Call,
    target: &Target,
    victim: Uuid,
    trust_id: Uuid,
    n: usize,
) -> (String, Option<Value>, Option<String>) {
    let Target {
        school,
        pupil,
        form: form_id,
        token: token_id,
        mark,
        device,
        ..
    } = *target;
    let path = call
        .template
        .replace("{school_id}", &school.to_string())
        .replace("{token_id}", &token_id.to_string())
        .replace("{pupil_id}", &pupil.to_string())
        .replace("{letter_id}", &Uuid::nil().to_string())
        .replace("{case_id}", &Uuid::nil().to_string())
        .replace("{trust_id}", &trust_id.to_string())
        .replace("{month}", "2026-11")
        .replace(
            "{file}",
            if call.template.starts_with("/api/trusts/") {
                "schools.xlsx"
            } else {
                "daily-absence.csv"
            },
        )
        + &if call.template.ends_with("attendance")
            || call.template.ends_with(".csv")
            || call.template.contains("/reports/")
        {
            "?from=2026-11-23&to=2026-11-27".to_string()
        } else if call.template.ends_with("/certificates.pdf") {
            "?from=2026-11-23&to=2026-11-27&kind=full".to_string()
        } else if call.template == "/api/sync/pull" {
            format!("?device_id={device}")
        } else {
            String::new()
        };
    let day =
        chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap() + chrono::Duration::days(n as i64);
    let form = match call.template {
        "/api/fn/auth/sign-in" => "email=nobody%40nowhere.test&password=x".to_string(),
        "/api/fn/pupils/record" | "/api/fn/data-protection/safeguarding-views" => {
            format!("school_id={school}&pupil_id={pupil}")
        }
        "/api/fn/pupils/search" => format!("school_id={school}&query=a"),
        "/api/fn/school/session-times" => format!(
            "school_id={school}&am_register_opens=08%3A40&pm_register_opens=13%3A15&register_open_minutes=30"
        ),
        "/api/fn/school/late-policy" => format!(
            "school_id={school}&sanction_before_close=&sanction_after_close=Same-day+detention&concern_after=3"
        ),
        "/api/fn/late-arrivals/day" => format!("school_id={school}&date=2026-11-24"),
        "/api/fn/calling/day" => format!("school_id={school}&date=2026-11-24"),
        // No alert was raised for the walk's pupil: 404 after the permission check.
        "/api/fn/calling/alert-seen" => {
            format!("school_id={school}&pupil_id={pupil}&date=2026-11-24")
        }
        "/api/fn/calling/attempt" => format!(
            "school_id={school}&pupil_id={pupil}&date=2026-11-24&contact_id=&method=visit&outcome=no_one_home&note=walk"
        ),
        // N is not a reason: allowed callers get past the permission check to a 422.
        "/api/fn/calling/reason" => format!(
            "school_id={school}&pupil_id={pupil}&date=2026-11-24&contact_id=&method=visit&code=N&note=walk&seen_am=&seen_pm="
        ),
        "/api/fn/calling/save-deadlines" => {
            format!("school_id={school}&dsl_alert_minutes=60&home_visit_minutes=120")
        }
        "/api/fn/cases/list" => format!("school_id={school}&mine=false"),
        "/api/fn/certificates/list" => {
            format!("school_id={school}&from=2026-11-23&to=2026-11-27&kind=improved&top=3")
        }
        "/api/fn/cases/save-policy" => format!(
            "school_id={school}&letter_below=95&meeting_below=92&plan_below=90&referral_at_or_below=50&penalty_sessions=10&penalty_school_weeks=10&cme_days=10"
        ),
        "/api/fn/cases/one" => format!("school_id={school}&case_id={}", Uuid::nil()),
        // Without a reason the override is refused after the permission check (422).
        "/api/fn/cases/answer" => {
            format!("school_id={school}&proposal_id=0&accept=false&reason=")
        }
        "/api/fn/cases/note" => {
            format!(
                "school_id={school}&case_id={}&text=walk&safeguarding=false",
                Uuid::nil()
            )
        }
        // Leave and penalty notices: made-up requests and notices, or no parent chosen, are
        // refused after the permission check (404 or 422); nothing is written.
        "/api/fn/leave/one" => format!("school_id={school}&request_id={}", Uuid::nil()),
        "/api/fn/leave/request" => format!(
            "school_id={school}&pupil_id={pupil}&contact_id=&first_date=2026-12-01&first_session=AM&last_date=2026-12-01&last_session=PM&ground=C&parent_reason=walk&received_on=2026-11-20"
        ),
        "/api/fn/leave/decide" => format!(
            "school_id={school}&request_id={}&decision=approve&reason=walk",
            Uuid::nil()
        ),
        "/api/fn/leave/taken" => format!("school_id={school}&request_id={}", Uuid::nil()),
        // Leaving the roll: a made-up pupil or deletion is refused after the permission check
        // (422), so the walk takes nobody off the roll.
        "/api/fn/roll/delete" => format!(
            "school_id={school}&pupil_id={}&ground=moved_away&deleted_on=2099-01-01&notice_on=&cooling_off_until=&note=walk",
            Uuid::nil()
        ),
        "/api/fn/roll/cancel" => {
            format!("school_id={school}&deletion_id={}&reason=walk", Uuid::nil())
        }
        "/api/fn/roll/return-sent" => format!("school_id={school}&deletion_id={}", Uuid::nil()),
        // A made-up pupil or arrangement is refused after the permission check (422).
        "/api/fn/arrangements/add" => format!(
            "school_id={school}&pupil_id={}&kind=reduced_timetable&starts_on=2099-01-05&ends_on=2099-01-30&review_on=2099-01-16&detail=walk&la_notified_on=",
            Uuid::nil()
        ),
        "/api/fn/arrangements/review" => format!(
            "school_id={school}&arrangement_id={}&note=walk&next_review_on=",
            Uuid::nil()
        ),
        // The walk's pupil has no run of unexplained absence: no notice is due (404, 422).
        "/api/fn/roll/ten-day" | "/api/fn/roll/ten-day-sent" => {
            format!("school_id={school}&pupil_id={pupil}")
        }
        "/api/fn/penalty-notices/improve" => format!(
            "school_id={school}&pupil_id={pupil}&contact_id=&improvement_ends_on=2026-12-18&support_offered=walk"
        ),
        "/api/fn/penalty-notices/issue" => {
            format!("school_id={school}&pupil_id={pupil}&contact_id=")
        }
        "/api/fn/penalty-notices/paid" => format!(
            "school_id={school}&notice_id={}&paid_on=2026-11-20&amount=80",
            Uuid::nil()
        ),
        "/api/fn/penalty-notices/withdraw" => {
            format!("school_id={school}&notice_id={}&reason=walk", Uuid::nil())
        }
        // Letters: made-up letters and cases, and a stage that is not one, are refused after
        // the permission check (404 or 422); nothing is written but the letterhead.
        "/api/fn/letters/save-template" => {
            format!("school_id={school}&step=nowhere&subject=walk&body=walk")
        }
        "/api/fn/letters/save-letterhead" => format!("school_id={school}&address=walk"),
        "/api/fn/letters/one" | "/api/fn/letters/email" => {
            format!("school_id={school}&letter_id={}", Uuid::nil())
        }
        "/api/fn/letters/generate" => format!("school_id={school}&case_id={}", Uuid::nil()),
        "/api/fn/letters/batch" => format!("school_id={school}&step=nowhere"),
        // A made-up case is refused after the permission check (422); nothing is written.
        "/api/fn/cases/reassign" => format!(
            "school_id={school}&case_id={}&owner_id={victim}",
            Uuid::nil()
        ),
        "/api/fn/cases/close" => format!("school_id={school}&case_id={}&reason=walk", Uuid::nil()),
        "/api/fn/cases/add-task" => format!(
            "school_id={school}&case_id={}&title=walk&due_on=2099-01-01&assigned_to={victim}",
            Uuid::nil()
        ),
        "/api/fn/cases/task-done" => format!("school_id={school}&task_id={}", Uuid::nil()),
        // Meetings: a made-up case or meeting is refused after the permission check (404 or
        // 422); nothing is written.
        "/api/fn/meetings/case" => format!("school_id={school}&case_id={}", Uuid::nil()),
        "/api/fn/meetings/arrange" => format!(
            "school_id={school}&case_id={}&kind=panel&date={day}&time=09%3A00&place=walk&invited=walk",
            Uuid::nil()
        ),
        "/api/fn/meetings/record" => format!(
            "school_id={school}&meeting_id={}&attendees=walk&minutes=walk&actions=",
            Uuid::nil()
        ),
        "/api/fn/meetings/plan" => format!(
            "school_id={school}&meeting_id={}&target=95&review_on=2027-12-01&support=walk",
            Uuid::nil()
        ),
        // Visits: a made-up visit or conflict, or no reason given, is refused after the
        // permission check (404 or 422); nothing is written.
        "/api/fn/visits/one" | "/api/fn/visits/concern-seen" => {
            format!("school_id={school}&visit_id={}", Uuid::nil())
        }
        "/api/fn/visits/plan" => {
            format!("school_id={school}&pupil_id={pupil}&planned_on=2026-12-01&reason=")
        }
        "/api/fn/visits/resolve" => {
            format!("school_id={school}&conflict_id={}&keep=kept", Uuid::nil())
        }
        "/api/fn/school/add-closure" => {
            format!("school_id={school}&closed_on={day}&kind=inset&note=walk")
        }
        "/api/fn/school/remove-closure" => format!("school_id={school}&closed_on={day}"),
        "/api/fn/staff/disable" => format!("school_id={school}&staff_id={victim}"),
        "/api/fn/attendance/breakdown" => {
            format!("school_id={school}&from=2026-11-23&to=2026-11-27&by=year")
        }
        "/api/fn/attendance/pupil" => format!("school_id={school}&pupil_id={pupil}"),
        "/api/fn/reports/run" => format!(
            "school_id={school}&kind=persistent_absence&from=2026-11-23&to=2026-11-27&by=year"
        ),
        "/api/fn/reports/trust" => "from=2026-11-23&to=2026-11-27".to_string(),
        "/api/fn/import/progress" => format!("school_id={school}&task={}", Uuid::new_v4()),
        "/api/fn/registers/load" => {
            format!("school_id={school}&form_id={form_id}&date=2026-11-24&session=AM")
        }
        "/api/fn/registers/amend" => {
            format!("school_id={school}&mark_id={mark}&code=%2F&reason=walk")
        }
        "/api/fn/registers/history" => {
            format!("school_id={school}&pupil_id={pupil}&date=2026-11-24&session=AM")
        }
        "/api/fn/registers/unexpected-closure" => {
            format!("school_id={school}&date=2026-12-01&sessions%5B0%5D=PM&reason=walk")
        }
        _ => format!("school_id={school}"),
    };
    let json = match call.template {
        "/api/auth/login" => json!({ "email": "nobody@nowhere.test", "password": "x" }),
        "/api/schools/{school_id}/api-tokens" => json!({ "name": "walk", "role": "leadership" }),
        "/api/fn/staff/add" => json!({ "new": {
            "school_id": school, "email": format!("walk{n}@oakfield.test"), "name": "Walk",
            "password": "long enough password", "roles": ["pastoral"] } }),
        "/api/sync/devices" => json!({ "id": Uuid::new_v4(), "school_id": school }),
        "/api/sync/push" => {
            json!({ "device_id": device, "sent_at": chrono::Utc::now(), "events": [] })
        }
        // An empty file: refused in the task, but the start itself is allowed or not.
        "/api/fn/import/start" => json!({ "school_id": school, "kind": "marks",
            "file_name": "walk.csv", "text": "upn,date,session,code,minutes_late\n" }),
        "/api/fn/visits/save-record" => json!({
            "school_id": school, "visit_id": Uuid::nil(), "base_revision": 0,
            "record": app::visits::VisitRecord::default() }),
        "/api/fn/registers/save" => json!({
            "school_id": school, "form_id": form_id, "date": "2026-11-24", "session": "PM",
            "entries": [], "reason": null }),
        "/api/fn/staff/roles" => {
            json!({ "school_id": school, "staff_id": victim, "roles": ["pastoral"] })
        }
        _ => Value::Null,
    };
    match call.body {
        Body::None => (path, None, None),
        Body::Form => (path, None, Some(form)),
        Body::Json => (path, Some(json), None),
    }
}

/// What the caller should get: `Ok(())` for allowed, or the refusal's status.
fn expected(call: &Call, caller: &Caller, school_is_theirs: bool) -> Result<(), StatusCode> {
    match (call.access, caller) {
        (Access::Public, _) => Ok(()),
        (_, Caller::Nobody) => Err(StatusCode::UNAUTHORIZED),
        (Access::SignedIn, _) => Ok(()),
        (Access::At(_) | Access::InTrust(_) | Access::AtEither(..), Caller::OtherTrust) => {
            Err(StatusCode::FORBIDDEN)
        }
        (Access::AtEither(one, other), Caller::Role(role)) => {
            let trust_wide = *role == Role::TrustAdmin;
            if (role.allows(one) || role.allows(other)) && (school_is_theirs || trust_wide) {
                Ok(())
            } else {
                Err(StatusCode::FORBIDDEN)
            }
        }
        (Access::InTrust(permission), Caller::Role(role)) => {
            if role.allows(permission) {
                Ok(())
            } else {
                Err(StatusCode::FORBIDDEN)
            }
        }
        (Access::At(permission), Caller::Role(role)) => {
            let trust_wide = *role == Role::TrustAdmin;
            if role.allows(permission) && (school_is_theirs || trust_wide) {
                Ok(())
            } else {
                Err(StatusCode::FORBIDDEN)
            }
        }
    }
}

/// Public calls whose answer for made-up input is a refusal, not a success.
fn public_refusal(call: &Call) -> Option<StatusCode> {
    match call.template {
        "/api/auth/login" => Some(StatusCode::UNAUTHORIZED),
        "/api/fn/auth/sign-in" => Some(StatusCode::UNPROCESSABLE_ENTITY),
        "/api/fn/calling/reason" => Some(StatusCode::UNPROCESSABLE_ENTITY),
        // The walk has no case: allowed callers get past the permission check to "no such".
        "/api/fn/cases/one" => Some(StatusCode::NOT_FOUND),
        "/api/fn/cases/answer"
        | "/api/fn/cases/note"
        | "/api/fn/cases/reassign"
        | "/api/fn/cases/close"
        | "/api/fn/cases/add-task"
        | "/api/fn/cases/task-done" => Some(StatusCode::UNPROCESSABLE_ENTITY),
        "/api/fn/leave/one" | "/api/fn/meetings/case" | "/api/fn/roll/ten-day" => {
            Some(StatusCode::NOT_FOUND)
        }
        "/api/fn/meetings/arrange" | "/api/fn/meetings/record" | "/api/fn/meetings/plan" => {
            Some(StatusCode::UNPROCESSABLE_ENTITY)
        }
        "/api/fn/visits/one"
        | "/api/fn/visits/resolve"
        | "/api/fn/visits/concern-seen"
        | "/api/fn/calling/alert-seen" => Some(StatusCode::NOT_FOUND),
        "/api/fn/visits/plan" | "/api/fn/visits/save-record" => {
            Some(StatusCode::UNPROCESSABLE_ENTITY)
        }
        "/api/schools/{school_id}/letters/{letter_id}/pdf"
        | "/api/schools/{school_id}/cases/{case_id}/evidence-pack"
        | "/api/fn/letters/one" => Some(StatusCode::NOT_FOUND),
        "/api/fn/letters/save-template"
        | "/api/fn/letters/generate"
        | "/api/fn/letters/batch"
        | "/api/fn/letters/email" => Some(StatusCode::UNPROCESSABLE_ENTITY),
        "/api/fn/leave/request"
        | "/api/fn/leave/decide"
        | "/api/fn/leave/taken"
        | "/api/fn/roll/delete"
        | "/api/fn/roll/cancel"
        | "/api/fn/roll/return-sent"
        | "/api/fn/roll/ten-day-sent"
        | "/api/fn/arrangements/add"
        | "/api/fn/arrangements/review"
        | "/api/fn/penalty-notices/improve"
        | "/api/fn/penalty-notices/issue"
        | "/api/fn/penalty-notices/paid"
        | "/api/fn/penalty-notices/withdraw" => Some(StatusCode::UNPROCESSABLE_ENTITY),
        _ => None,
    }
}

#[tokio::test]
async fn every_route_and_server_function_checks_role_and_school() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;

    // Someone whose roles and account the staff calls may change.
    let victim: Uuid = sqlx::query_scalar(
        "insert into staff (trust_id, email, display_name) values ($1, 'victim@oakfield.test', 'Victim') returning id",
    )
    .bind(world.trust_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query("insert into role_grants (staff_id, trust_id, school_id, role) values ($1, $2, $3, 'pastoral'), ($1, $2, $4, 'pastoral')")
        .bind(victim)
        .bind(world.trust_id)
        .bind(world.school.id)
        .bind(world.sister.id)
        .execute(&app.pool)
        .await
        .unwrap();
    let admin_id: Uuid = sqlx::query_scalar("select id from staff where email = $1")
        .bind(fixture::email(Role::SchoolAdmin))
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let mut tokens = Vec::new();
    for school in [world.school.id, world.sister.id] {
        let id: Uuid = sqlx::query_scalar(
            "insert into api_tokens (school_id, name, role, token_hash, created_by)
             values ($1, 'walk', 'leadership', sha256(gen_random_uuid()::text::bytea), $2) returning id",
        )
        .bind(school)
        .bind(admin_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        tokens.push(id);
    }

    // A mark at each school for the amendment call to change (to the same code, so the walk
    // changes nothing).
    let mut targets = Vec::new();
    for (school, token, theirs) in [
        (&world.school, tokens[0], true),
        (&world.sister, tokens[1], false),
    ] {
        let mut tx = app.pool.begin().await.unwrap();
        app::registers::queries::write_marks(
            &mut tx,
            school.id,
            None,
            "import",
            None,
            &[app::registers::queries::MarkWrite {
                pupil_id: school.pupils[0],
                date: "2026-11-24".parse().unwrap(),
                session: app::domain::codes::Session::Am,
                code: app::domain::codes::Code::PresentAm,
                minutes_late: None,
                seen: app::registers::queries::Seen::Anything,
            }],
        )
        .await
        .unwrap()
        .unwrap();
        tx.commit().await.unwrap();
        let mark: i64 = sqlx::query_scalar("select id from marks where school_id = $1")
            .bind(school.id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        let device = Uuid::new_v4();
        sqlx::query("insert into devices (id, school_id, staff_id) values ($1, $2, $3)")
            .bind(device)
            .bind(school.id)
            .bind(admin_id)
            .execute(&app.pool)
            .await
            .unwrap();
        targets.push(Target {
            device,
            school: school.id,
            pupil: school.pupils[0],
            form: school.form_id,
            token,
            mark,
            theirs,
        });
    }

    let mut n = 0;
    let mut failures = Vec::new();
    for call in calls() {
        for caller in Caller::all() {
            // The main school, where every role works; and its sister school, where only
            // trust-wide roles reach.
            for target in &targets {
                n += 1;
                let client = match &caller {
                    Caller::Nobody => common::browser(&app),
                    Caller::Role(role) => common::sign_in(&app, &fixture::email(*role)).await.0,
                    Caller::OtherTrust => common::sign_in(&app, fixture::OUTSIDER).await.0,
                };
                let (path, json, form) = request(&call, target, victim, world.trust_id, n);
                let mut builder = client.request(call.method.clone(), app.url(&path));
                if let Some(json) = json {
                    builder = builder.json(&json);
                }
                if let Some(form) = form {
                    builder = builder
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(form);
                }
                let response = builder.send().await.unwrap();
                let status = response.status();
                let answer = response.text().await.unwrap_or_default();
                let want = expected(&call, &caller, target.theirs);
                let ok = match (want, public_refusal(&call)) {
                    (Ok(()), Some(refusal)) => status == refusal,
                    (Ok(()), None) => status.is_success(),
                    (Err(code), _) => status == code,
                };
                if !ok {
                    failures.push(format!(
                        "{} {} as {caller:?} at {}: got {status} ({answer}), wanted {want:?}",
                        call.method,
                        call.template,
                        if target.theirs {
                            "their school"
                        } else {
                            "the sister school"
                        },
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} wrong answers:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn the_walk_knows_every_route_and_server_function() {
    let app = common::spawn().await;
    let walked: BTreeSet<(String, String)> = calls()
        .iter()
        .map(|call| (call.method.to_string(), call.template.to_string()))
        .collect();

    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut existing = BTreeSet::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            existing.insert((method.to_uppercase(), path.clone()));
        }
    }
    existing.insert(("GET".to_string(), "/api/openapi.json".to_string()));
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        existing.insert((method.to_string(), path.to_string()));
    }
    let missing: Vec<_> = existing.difference(&walked).collect();
    assert!(
        missing.is_empty(),
        "routes the walk does not check: {missing:?}"
    );
    let stale: Vec<_> = walked.difference(&existing).collect();
    assert!(
        stale.is_empty(),
        "the walk checks routes that no longer exist: {stale:?}"
    );
}

#[tokio::test]
async fn a_pupil_of_another_school_is_not_found_through_this_one() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let (client, _) = common::sign_in(&app, &fixture::email(Role::AttendanceOfficer)).await;
    // Ask at their own school for the sister school's pupil.
    let response = client
        .post(app.url("/api/fn/pupils/record"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "school_id={}&pupil_id={}",
            world.school.id, world.sister.pupils[0]
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(!response.text().await.unwrap().contains("Khan"));
}

#[tokio::test]
async fn safeguarding_status_is_for_the_dsl_only() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    for role in Role::ALL {
        if !role.allows(Permission::ViewPupils) {
            continue;
        }
        let (client, _) = common::sign_in(&app, &fixture::email(role)).await;
        let body: Value = client
            .post(app.url("/api/fn/pupils/record"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "school_id={}&pupil_id={}",
                world.school.id, world.school.protected_pupil
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let seen = body["safeguarding_status"].as_str();
        if role == Role::Dsl {
            assert_eq!(seen, Some("child_protection_plan"));
        } else {
            assert_eq!(seen, None, "{role:?} must not see safeguarding");
        }
    }
}
