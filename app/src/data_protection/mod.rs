//! Data protection: the subject access export of everything held about a pupil and their
//! parents and carers (`GET /api/schools/{school_id}/pupils/{pupil_id}/subject-access`), the log
//! of every view of a safeguarding record, and the retention job (`docs/retention.md`).
//!
//! Who may do what: the office and the DSL export (`ExportSubjectAccess`), and only the DSL's
//! export holds safeguarding records; only safeguarding staff read the log of views.

#[cfg(feature = "ssr")]
pub mod queries;

use chrono::NaiveDateTime;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{auth::Viewer, domain::roles::Permission};

/// What was open when a safeguarding record was shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ViewedRecord {
    Case,
    HomeVisit,
    PupilRecord,
    CallingList,
    ConcernAlerts,
    EvidencePack,
    TenDayNotice,
    SubjectAccessExport,
}

impl ViewedRecord {
    const ALL: [ViewedRecord; 8] = [
        ViewedRecord::Case,
        ViewedRecord::HomeVisit,
        ViewedRecord::PupilRecord,
        ViewedRecord::CallingList,
        ViewedRecord::ConcernAlerts,
        ViewedRecord::EvidencePack,
        ViewedRecord::TenDayNotice,
        ViewedRecord::SubjectAccessExport,
    ];

    /// The name the database uses.
    pub fn key(self) -> &'static str {
        match self {
            ViewedRecord::Case => "case",
            ViewedRecord::HomeVisit => "home_visit",
            ViewedRecord::PupilRecord => "pupil_record",
            ViewedRecord::CallingList => "calling_list",
            ViewedRecord::ConcernAlerts => "concern_alerts",
            ViewedRecord::EvidencePack => "evidence_pack",
            ViewedRecord::TenDayNotice => "ten_day_notice",
            ViewedRecord::SubjectAccessExport => "subject_access_export",
        }
    }

    pub fn from_key(key: &str) -> ViewedRecord {
        Self::ALL
            .into_iter()
            .find(|record| record.key() == key)
            .unwrap_or(ViewedRecord::PupilRecord)
    }

    /// What the DSL reads in the log.
    pub fn label(self) -> &'static str {
        match self {
            ViewedRecord::Case => "Case page, with its safeguarding notes",
            ViewedRecord::HomeVisit => "Home visit, with its concern",
            ViewedRecord::PupilRecord => "Pupil's page, with the child-protection status",
            ViewedRecord::CallingList => "First-day calling list, with the flag",
            ViewedRecord::ConcernAlerts => "Safeguarding alerts on the visits page",
            ViewedRecord::EvidencePack => "Evidence pack",
            ViewedRecord::TenDayNotice => "Ten-day notice",
            ViewedRecord::SubjectAccessExport => "Subject access export",
        }
    }
}

/// One line of the log of views of a pupil's safeguarding records: one view, or several of the
/// same record by the same person within a minute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeguardingView {
    /// By the school's clock.
    pub viewed_at: NaiveDateTime,
    pub staff_name: String,
    pub record: ViewedRecord,
    /// How many times in that minute.
    pub times: i64,
}

/// Who has seen this pupil's safeguarding records, newest first: for safeguarding staff only.
#[server(prefix = "/api/fn", endpoint = "data-protection/safeguarding-views")]
pub async fn load_safeguarding_views(
    school_id: Uuid,
    pupil_id: Uuid,
) -> Result<Vec<SafeguardingView>, ServerFnError> {
    use crate::auth::server;
    server::require(Permission::ViewSafeguarding, school_id)?;
    queries::safeguarding_views(&server::pool()?, school_id, pupil_id)
        .await
        .map_err(server::internal)
}

/// The subject access export's address for this pupil.
pub fn subject_access_href(school_id: Uuid, pupil_id: Uuid) -> String {
    format!("/api/schools/{school_id}/pupils/{pupil_id}/subject-access")
}

pub type SafeguardingViewsResource = Resource<Result<Option<Vec<SafeguardingView>>, ServerFnError>>;

/// The log of safeguarding views of the pupil the page shows, read only for those who may see
/// it (`None` for everyone else).
pub fn safeguarding_views_resource(
    viewer: &Viewer,
    pupil: impl Fn() -> Option<(Uuid, Uuid)> + Send + Sync + 'static,
) -> SafeguardingViewsResource {
    let viewer = viewer.clone();
    Resource::new(
        move || {
            pupil().filter(|(school_id, _)| viewer.can(Permission::ViewSafeguarding, *school_id))
        },
        |asked| async move {
            match asked {
                Some((school_id, pupil_id)) => {
                    load_safeguarding_views(school_id, pupil_id).await.map(Some)
                }
                None => Ok(None),
            }
        },
    )
}

/// The pupil page's data protection panel: the export for those who answer subject access
/// requests, and the log of safeguarding views for safeguarding staff.
/// `views` is `safeguarding_views_resource`, made at the top of the page.
#[component]
pub fn PupilDataProtection(
    viewer: Viewer,
    school_id: Uuid,
    pupil_id: Uuid,
    views: SafeguardingViewsResource,
) -> impl IntoView {
    let may_export = viewer.can(Permission::ExportSubjectAccess, school_id);
    let sees_safeguarding = viewer.can(Permission::ViewSafeguarding, school_id);
    (may_export || sees_safeguarding).then(|| {
        view! {
            <section class="data-protection" data-testid="data-protection">
                <h2>"Data protection"</h2>
                {may_export.then(|| view! {
                    <p>
                        <a class="button" href=subject_access_href(school_id, pupil_id) download=""
                            data-testid="subject-access-export">
                            "Subject access export (JSON)"
                        </a>
                    </p>
                    <p class="muted">
                        "Everything Rollcall holds about this pupil and their parents and carers, for a subject access request."
                        {(!sees_safeguarding).then_some(
                            " Safeguarding records are left out: ask the designated safeguarding lead to make the export that includes them.",
                        )}
                    </p>
                })}
                {sees_safeguarding.then(|| view! {
                    <h3>"Who has seen the safeguarding records"</h3>
                    <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                        {move || Suspend::new(async move {
                            match views.await {
                                Ok(Some(views)) if views.is_empty() => view! {
                                    <p class="muted" data-testid="safeguarding-views-empty">"Nobody has yet."</p>
                                }.into_any(),
                                Ok(Some(views)) => view! {
                                    <table data-testid="safeguarding-views">
                                        <thead><tr><th>"When"</th><th>"Who"</th><th>"What was open"</th></tr></thead>
                                        <tbody>
                                            {views.into_iter().map(|view| view! {
                                                <tr>
                                                    <td>{view.viewed_at.format("%-d %b %Y %H:%M").to_string()}</td>
                                                    <td>{view.staff_name}</td>
                                                    <td>
                                                        {view.record.label()}
                                                        {(view.times > 1).then(|| format!(" ({} times)", view.times))}
                                                    </td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any(),
                                Ok(None) => ().into_any(),
                                Err(error) => view! {
                                    <p class="error" role="alert">{crate::components::errors::error_message(&error)}</p>
                                }.into_any(),
                            }
                        })}
                    </Suspense>
                })}
            </section>
        }
    })
}
