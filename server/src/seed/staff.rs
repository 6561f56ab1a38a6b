//! The demo's staff: one account for every role at every school, named by the role so a
//! demonstrator knows whom to sign in as, a trust administrator, and a tutor for every form.

use app::domain::roles::Role;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use super::{derive_seed, names, roll::School};

/// The trust's email domain.
pub const TRUST_DOMAIN: &str = "riverside.example";

/// Each school role and the mailbox its demo account has.
const ROLE_MAILBOXES: [(Role, &str); 8] = [
    (Role::SchoolAdmin, "admin"),
    (Role::AttendanceLead, "lead"),
    (Role::AttendanceOfficer, "officer"),
    (Role::LateDoor, "door"),
    (Role::HomeVisitor, "visits"),
    (Role::Dsl, "dsl"),
    (Role::Pastoral, "tutor"),
    (Role::Leadership, "head"),
];

pub struct Member {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    /// Roles, each at a school or (None) across the trust.
    pub grants: Vec<(Role, Option<Uuid>)>,
    /// One of the accounts the demo is shown with, as opposed to a form tutor.
    pub demo_account: Option<DemoAccount>,
}

/// An account to list in the summary.
#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub email: String,
    pub role: Role,
    /// The school's name; None for the trust administrator.
    pub school: Option<&'static str>,
}

/// The trust's staff. Sets each form's tutor: the school's `tutor@` account takes the first
/// form, and every other form gets a tutor of its own.
pub fn staff(seed: u64, schools: &mut [School]) -> Vec<Member> {
    let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(seed, 3, 0));
    let trust_admin = format!("trust-admin@{TRUST_DOMAIN}");
    let mut staff = vec![Member {
        id: Uuid::new_v4(),
        display_name: person(&mut rng),
        email: trust_admin.clone(),
        grants: vec![(Role::TrustAdmin, None)],
        demo_account: Some(DemoAccount {
            email: trust_admin,
            role: Role::TrustAdmin,
            school: None,
        }),
    }];
    for school in schools.iter_mut() {
        let domain = format!("{}.example", school.slug);
        let mut tutor = None;
        for (role, mailbox) in ROLE_MAILBOXES {
            let email = format!("{mailbox}@{domain}");
            let member = Member {
                id: Uuid::new_v4(),
                display_name: person(&mut rng),
                email: email.clone(),
                grants: vec![(role, Some(school.id))],
                demo_account: Some(DemoAccount {
                    email,
                    role,
                    school: Some(school.name),
                }),
            };
            if role == Role::Pastoral {
                tutor = Some(member.id);
            }
            staff.push(member);
        }
        let mut mailboxes = Vec::new();
        for (index, form) in school.forms.iter_mut().enumerate() {
            if index == 0 {
                form.tutor_id = tutor;
                continue;
            }
            let (first, last) = name(&mut rng);
            let mut mailbox = names::mailbox(first, last);
            if mailboxes.contains(&mailbox) {
                mailbox = format!("{mailbox}{}", index + 1);
            }
            mailboxes.push(mailbox.clone());
            let member = Member {
                id: Uuid::new_v4(),
                email: format!("{mailbox}@{domain}"),
                display_name: format!("{first} {last}"),
                grants: vec![(Role::Pastoral, Some(school.id))],
                demo_account: None,
            };
            form.tutor_id = Some(member.id);
            staff.push(member);
        }
    }
    staff
}

fn name(rng: &mut impl Rng) -> (&'static str, &'static str) {
    let heritage = names::heritage(rng);
    let first = if rng.random_bool(0.65) {
        names::pick(rng, heritage.women)
    } else {
        names::pick(rng, heritage.men)
    };
    (first, names::pick(rng, heritage.surnames))
}

fn person(rng: &mut impl Rng) -> String {
    let (first, last) = name(rng);
    format!("{first} {last}")
}
