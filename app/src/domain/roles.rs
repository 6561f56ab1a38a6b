//! Who may do what: the roles staff hold and the permission matrix, in one place.
//! `docs/permissions.md` is this table in words; keep the two in step.

use serde::{Deserialize, Serialize};

/// A role a member of staff holds at one school, or across the trust.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    TrustAdmin,
    SchoolAdmin,
    AttendanceLead,
    AttendanceOfficer,
    LateDoor,
    HomeVisitor,
    /// Designated safeguarding lead: the only role that sees safeguarding records.
    Dsl,
    /// Tutors and heads of year.
    Pastoral,
    /// Read-only leadership: heads, governors, trust leaders.
    Leadership,
}

/// Something a person may be allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// Find pupils by name and form (the late door's search).
    SearchRoll,
    /// Browse the roll and open a pupil's page with contacts.
    ViewPupils,
    /// See child-in-need and protection-plan flags and safeguarding notes.
    ViewSafeguarding,
    /// Add staff, change their roles, disable their accounts.
    ManageStaff,
    /// Change the school's calendar and session times.
    ManageSchool,
    /// Make and revoke API tokens for other systems.
    ManageApiTokens,
    /// Take and amend registers.
    TakeRegisters,
    /// Record late arrivals at the door.
    RecordLateArrivals,
    /// Work cases: calls, letters, meetings, notices.
    WorkCases,
    /// Record home visits.
    RecordVisits,
    /// Read reports and dashboards.
    ViewReports,
    /// See every school of the trust side by side.
    ViewTrust,
    /// Grant or refuse a leave of absence request: the person the school authorised.
    DecideLeave,
    /// Take a pupil off the roll (and cancel a deletion not yet in force).
    DeleteFromRoll,
    /// Answer a subject access request: export everything held about a pupil and their parents.
    ExportSubjectAccess,
}

impl Permission {
    pub const ALL: [Permission; 15] = [
        Permission::SearchRoll,
        Permission::ViewPupils,
        Permission::ViewSafeguarding,
        Permission::ManageStaff,
        Permission::ManageSchool,
        Permission::ManageApiTokens,
        Permission::TakeRegisters,
        Permission::RecordLateArrivals,
        Permission::WorkCases,
        Permission::RecordVisits,
        Permission::ViewReports,
        Permission::ViewTrust,
        Permission::DecideLeave,
        Permission::DeleteFromRoll,
        Permission::ExportSubjectAccess,
    ];
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::TrustAdmin,
        Role::SchoolAdmin,
        Role::AttendanceLead,
        Role::AttendanceOfficer,
        Role::LateDoor,
        Role::HomeVisitor,
        Role::Dsl,
        Role::Pastoral,
        Role::Leadership,
    ];

    /// The permission matrix.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match permission {
            SearchRoll => true,
            ViewPupils => !matches!(self, LateDoor),
            ViewSafeguarding => matches!(self, Dsl),
            ManageStaff | ManageSchool | ManageApiTokens => {
                matches!(self, TrustAdmin | SchoolAdmin)
            }
            TakeRegisters => matches!(
                self,
                SchoolAdmin | AttendanceLead | AttendanceOfficer | Pastoral
            ),
            RecordLateArrivals => {
                matches!(
                    self,
                    SchoolAdmin | AttendanceLead | AttendanceOfficer | LateDoor
                )
            }
            WorkCases => matches!(self, AttendanceLead | AttendanceOfficer | Dsl),
            RecordVisits => matches!(self, AttendanceLead | AttendanceOfficer | HomeVisitor | Dsl),
            ViewReports => !matches!(self, LateDoor | HomeVisitor),
            ViewTrust => matches!(self, TrustAdmin),
            // The headteacher's delegate in the office and the attendance lead; never an officer
            // alone, so a refusal that may lead to a penalty notice is a senior decision.
            DecideLeave => matches!(self, SchoolAdmin | AttendanceLead),
            // The admission register is the school's: its office and the attendance lead keep
            // it; an officer proposes, they decide.
            DeleteFromRoll => matches!(self, TrustAdmin | SchoolAdmin | AttendanceLead),
            // The office answers subject access requests; the DSL makes the export that
            // includes safeguarding records, which nobody else may see.
            ExportSubjectAccess => matches!(self, TrustAdmin | SchoolAdmin | Dsl),
        }
    }

    /// The name staff use for the role.
    pub fn label(self) -> &'static str {
        match self {
            Role::TrustAdmin => "Trust administrator",
            Role::SchoolAdmin => "School administrator",
            Role::AttendanceLead => "Attendance lead",
            Role::AttendanceOfficer => "Attendance officer",
            Role::LateDoor => "Late door",
            Role::HomeVisitor => "Home visitor",
            Role::Dsl => "Designated safeguarding lead",
            Role::Pastoral => "Pastoral (tutor, head of year)",
            Role::Leadership => "Leadership (read only)",
        }
    }

    /// The name the database and the API use.
    pub fn key(self) -> &'static str {
        match self {
            Role::TrustAdmin => "trust_admin",
            Role::SchoolAdmin => "school_admin",
            Role::AttendanceLead => "attendance_lead",
            Role::AttendanceOfficer => "attendance_officer",
            Role::LateDoor => "late_door",
            Role::HomeVisitor => "home_visitor",
            Role::Dsl => "dsl",
            Role::Pastoral => "pastoral",
            Role::Leadership => "leadership",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.key() == key)
    }

    /// Roles a school administrator may grant at their school: all but the trust's own.
    pub fn granted_by_school(self) -> bool {
        self != Role::TrustAdmin
    }

    /// Roles that may be granted across the whole trust rather than at one school.
    pub fn may_be_trust_wide(self) -> bool {
        matches!(self, Role::TrustAdmin | Role::Leadership)
    }

    /// Whether the role works mainly at the late door or out on visits, for choosing where a
    /// person lands after signing in.
    fn landing(self) -> Landing {
        match self {
            Role::LateDoor => Landing::LateDoor,
            Role::HomeVisitor => Landing::Visits,
            _ => Landing::Today,
        }
    }
}

/// The page a person lands on after signing in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Landing {
    /// The office's overview of the day.
    Today,
    LateDoor,
    Visits,
}

impl Landing {
    pub fn path(self) -> &'static str {
        match self {
            Landing::Today => "/today",
            Landing::LateDoor => "/late-door",
            Landing::Visits => "/visits",
        }
    }

    /// Someone with an office role lands on the office's page even if they also cover the door.
    pub fn for_roles(roles: impl IntoIterator<Item = Role>) -> Landing {
        roles
            .into_iter()
            .map(Role::landing)
            .min()
            .unwrap_or(Landing::Today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_dsl_sees_safeguarding() {
        for role in Role::ALL {
            assert_eq!(
                role.allows(Permission::ViewSafeguarding),
                role == Role::Dsl,
                "{role:?}"
            );
        }
    }

    #[test]
    fn late_door_staff_can_find_pupils_but_not_open_their_records() {
        assert!(Role::LateDoor.allows(Permission::SearchRoll));
        assert!(Role::LateDoor.allows(Permission::RecordLateArrivals));
        assert!(!Role::LateDoor.allows(Permission::ViewPupils));
        assert!(!Role::LateDoor.allows(Permission::TakeRegisters));
    }

    #[test]
    fn leadership_reads_but_changes_nothing() {
        let writes = [
            Permission::ManageStaff,
            Permission::ManageSchool,
            Permission::ManageApiTokens,
            Permission::TakeRegisters,
            Permission::RecordLateArrivals,
            Permission::WorkCases,
            Permission::RecordVisits,
            Permission::DecideLeave,
            Permission::DeleteFromRoll,
        ];
        for permission in writes {
            assert!(!Role::Leadership.allows(permission), "{permission:?}");
        }
        assert!(Role::Leadership.allows(Permission::ViewReports));
    }

    #[test]
    fn only_the_school_administrator_and_attendance_lead_decide_leave() {
        for role in Role::ALL {
            assert_eq!(
                role.allows(Permission::DecideLeave),
                matches!(role, Role::SchoolAdmin | Role::AttendanceLead),
                "{role:?}"
            );
        }
    }

    #[test]
    fn every_role_key_round_trips() {
        for role in Role::ALL {
            assert_eq!(Role::from_key(role.key()), Some(role));
        }
        assert_eq!(Role::from_key("headteacher"), None);
    }

    #[test]
    fn each_role_lands_on_its_own_page() {
        assert_eq!(Landing::for_roles([Role::LateDoor]).path(), "/late-door");
        assert_eq!(Landing::for_roles([Role::HomeVisitor]).path(), "/visits");
        assert_eq!(
            Landing::for_roles([Role::AttendanceOfficer]).path(),
            "/today"
        );
        assert_eq!(
            Landing::for_roles([Role::LateDoor, Role::AttendanceOfficer]).path(),
            "/today"
        );
    }
}
