//! Staff accounts and their roles at a school, managed by the school's administrators.

mod pages;
#[cfg(feature = "ssr")]
pub mod queries;

pub use pages::StaffPage;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::roles::Role;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    /// Roles at this school (trust-wide ones are shown but managed by the trust).
    pub roles: Vec<Role>,
    pub trust_roles: Vec<Role>,
    pub disabled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewStaff {
    pub school_id: Uuid,
    pub email: String,
    pub name: String,
    pub password: String,
    pub roles: Vec<Role>,
}

impl NewStaff {
    /// What is wrong with the form, in words that say what to fix.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let email = self.email.trim();
        let plausible = email.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !host.ends_with('.')
        });
        if !plausible || email.contains(char::is_whitespace) {
            problems.push(format!(
                "{email:?} is not an email address like name@school.org.uk."
            ));
        }
        if self.name.trim().is_empty() {
            problems.push("Give the person's name.".to_string());
        }
        if self.password.chars().count() < 10 {
            problems.push("The first password needs at least 10 characters.".to_string());
        }
        if self.roles.is_empty() {
            problems.push("Choose at least one role.".to_string());
        }
        if let Some(role) = self.roles.iter().find(|role| !role.granted_by_school()) {
            problems.push(format!(
                "{} is granted by the trust, not a school.",
                role.label()
            ));
        }
        problems
    }
}

#[server(prefix = "/api/fn", endpoint = "staff/list")]
pub async fn staff_list(school_id: Uuid) -> Result<Vec<StaffMember>, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    server::require(Permission::ManageStaff, school_id)?;
    queries::list(&server::pool()?, school_id)
        .await
        .map_err(server::internal)
}

#[server(prefix = "/api/fn", endpoint = "staff/add", input = Json)]
pub async fn add_staff(new: NewStaff) -> Result<Uuid, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    let viewer = server::require(Permission::ManageStaff, new.school_id)?;
    let problems = new.problems();
    if !problems.is_empty() {
        return Err(server::invalid(problems.join(" ")));
    }
    queries::add(&server::pool()?, &viewer, &new)
        .await
        .map_err(server::internal)?
        .map_err(server::invalid)
}

#[server(prefix = "/api/fn", endpoint = "staff/roles", input = Json)]
pub async fn set_staff_roles(
    school_id: Uuid,
    staff_id: Uuid,
    roles: Vec<Role>,
) -> Result<(), ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    let viewer = server::require(Permission::ManageStaff, school_id)?;
    if let Some(role) = roles.iter().find(|role| !role.granted_by_school()) {
        return Err(server::invalid(format!(
            "{} is granted by the trust, not a school.",
            role.label()
        )));
    }
    if staff_id == viewer.staff_id
        && !roles.contains(&Role::SchoolAdmin)
        && !viewer.can(Permission::ViewTrust, school_id)
    {
        return Err(server::invalid(
            "You cannot take away your own administrator role; ask another administrator.",
        ));
    }
    queries::set_roles(&server::pool()?, &viewer, school_id, staff_id, &roles)
        .await
        .map_err(server::internal)?
        .map_err(server::invalid)
}

#[server(prefix = "/api/fn", endpoint = "staff/disable")]
pub async fn disable_staff(school_id: Uuid, staff_id: Uuid) -> Result<(), ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    let viewer = server::require(Permission::ManageStaff, school_id)?;
    if staff_id == viewer.staff_id {
        return Err(server::invalid("You cannot disable your own account."));
    }
    queries::disable(&server::pool()?, &viewer, school_id, staff_id)
        .await
        .map_err(server::internal)?
        .map_err(server::invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> NewStaff {
        NewStaff {
            school_id: Uuid::nil(),
            email: "j.bloggs@school.org.uk".into(),
            name: "Jo Bloggs".into(),
            password: "long enough password".into(),
            roles: vec![Role::AttendanceOfficer],
        }
    }

    #[test]
    fn a_complete_form_has_no_problems() {
        assert!(form().problems().is_empty());
    }

    #[test]
    fn each_problem_says_what_to_fix() {
        let bad = NewStaff {
            email: "not an email".into(),
            name: " ".into(),
            password: "short".into(),
            roles: vec![],
            ..form()
        };
        let problems = bad.problems();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].contains("not an email address"));
    }

    #[test]
    fn a_school_cannot_grant_trust_roles() {
        let bad = NewStaff {
            roles: vec![Role::TrustAdmin],
            ..form()
        };
        assert!(bad.problems()[0].contains("granted by the trust"));
    }
}
