//! Signing in and out, sessions, and who the person asking is.
//!
//! Every server function and API route starts by asking for the [`Viewer`] and checking a
//! [`Permission`] at a school; the matrix itself is in [`crate::domain::roles`].

#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
pub mod server;

mod page;

pub use page::{SignInPage, SignOutButton};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::roles::{Landing, Permission, Role};

/// One role held at one school, or across the trust when `school_id` is `None`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub school_id: Option<Uuid>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolRef {
    pub id: Uuid,
    pub name: String,
}

/// The person (or, through an API token, the system) making a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub staff_id: Uuid,
    pub trust_id: Uuid,
    pub name: String,
    pub email: String,
    pub grants: Vec<Grant>,
    /// The schools this person may work in, in name order.
    pub schools: Vec<SchoolRef>,
    /// True when the request came with an API token rather than a sign-in session.
    pub via_token: bool,
}

impl Viewer {
    /// The roles this person holds at a school, trust-wide ones included.
    pub fn roles_at(&self, school_id: Uuid) -> impl Iterator<Item = Role> + '_ {
        let reachable = self.schools.iter().any(|school| school.id == school_id);
        self.grants
            .iter()
            .filter(move |grant| reachable && grant.school_id.is_none_or(|id| id == school_id))
            .map(|grant| grant.role)
    }

    pub fn can(&self, permission: Permission, school_id: Uuid) -> bool {
        self.roles_at(school_id).any(|role| role.allows(permission))
    }

    /// Whether the person may do this at any of their schools (for showing a menu entry).
    pub fn can_somewhere(&self, permission: Permission) -> bool {
        self.schools
            .iter()
            .any(|school| self.can(permission, school.id))
    }

    pub fn landing(&self) -> Landing {
        Landing::for_roles(self.grants.iter().map(|grant| grant.role))
    }

    /// The school a page shows when the address names none.
    pub fn first_school(&self) -> Option<&SchoolRef> {
        self.schools.first()
    }
}

/// Who is signed in, or `None`. Pages use it to choose what to show; the server checks again
/// on every call, so hiding a button is never the only protection.
#[server(prefix = "/api/fn", endpoint = "auth/viewer")]
pub async fn current_viewer() -> Result<Option<Viewer>, ServerFnError> {
    Ok(server::viewer_from_request())
}

/// Shared with every page: the signed-in person, loaded once per page load.
#[derive(Clone, Copy)]
pub struct ViewerResource(pub Resource<Result<Option<Viewer>, ServerFnError>>);

pub fn use_viewer() -> ViewerResource {
    expect_context::<ViewerResource>()
}
