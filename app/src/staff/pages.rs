//! The staff page: who has which role at the school, adding staff, changing roles.

use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

use super::{AddStaff, DisableStaff, NewStaff, SetStaffRoles, StaffMember, staff_list};
use crate::{
    auth::Viewer,
    components::{
        errors::error_message,
        signed_in::{SchoolPicker, SignedIn, chosen_school},
    },
    domain::roles::Role,
};

#[component]
pub fn StaffPage() -> impl IntoView {
    view! {
        <Title text="Staff" />
        <SignedIn page=|viewer| view! { <Staff viewer /> } />
    }
}

/// The message of a failed call, if it failed.
fn failed<T>(result: Option<Result<T, ServerFnError>>) -> Option<String> {
    result
        .and_then(|r| r.err())
        .map(|error| error_message(&error))
}

#[component]
fn Staff(viewer: Viewer) -> impl IntoView {
    let school = chosen_school(&viewer);
    let add = ServerAction::<AddStaff>::new();
    let set_roles = ServerAction::<SetStaffRoles>::new();
    let disable = ServerAction::<DisableStaff>::new();
    let staff = Resource::new(
        move || {
            (
                school.get().map(|s| s.id),
                add.version().get(),
                set_roles.version().get(),
                disable.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => staff_list(id).await,
                None => Ok(Vec::new()),
            }
        },
    );
    let add_error = move || failed(add.value().get());
    let roles_error = move || failed(set_roles.value().get());
    let disable_error = move || failed(disable.value().get());
    let added = move || add.value().get().is_some_and(|result| result.is_ok());

    view! {
        <section class="panel">
            <div class="page-head">
                <h1>"Staff"</h1>
                <SchoolPicker viewer=viewer.clone() school />
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading staff…"</p> }>
                {move || Suspend::new(async move {
                    match staff.await {
                        Ok(members) => {
                            let school_id = school.get_untracked().map(|s| s.id).unwrap_or_default();
                            view! { <StaffTable members school_id set_roles disable /> }.into_any()
                        }
                        Err(error) => view! {
                            <p class="error" role="alert">{error_message(&error)}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
            <Show when=move || roles_error().is_some()>
                <p class="error" role="alert">{roles_error}</p>
            </Show>
            <Show when=move || disable_error().is_some()>
                <p class="error" role="alert">{disable_error}</p>
            </Show>
        </section>
        <section class="panel">
            <h2>"Add a member of staff"</h2>
            <AddStaffForm school=move || school.get().map(|s| s.id) add />
            <Show when=move || add_error().is_some()>
                <p class="error" role="alert">{add_error}</p>
            </Show>
            <Show when=added>
                <p class="notice" role="status">"Added. They can sign in now with the email and first password you gave."</p>
            </Show>
        </section>
    }
}

#[component]
fn StaffTable(
    members: Vec<StaffMember>,
    school_id: Uuid,
    set_roles: ServerAction<SetStaffRoles>,
    disable: ServerAction<DisableStaff>,
) -> impl IntoView {
    view! {
        <table data-testid="staff">
            <thead><tr>
                <th scope="col">"Name"</th>
                <th scope="col">"Email"</th>
                <th scope="col">"Roles"</th>
                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
            </tr></thead>
            <tbody>
                {members.into_iter().map(|member| {
                    let roles = member.roles.iter().chain(member.trust_roles.iter())
                        .map(|role| role.label()).collect::<Vec<_>>().join(", ");
                    let staff_id = member.id;
                    let chosen = RwSignal::new(member.roles.clone());
                    view! {
                        <tr class:disabled=member.disabled>
                            <td>{member.name.clone()} {member.disabled.then_some(" (disabled)")}</td>
                            <td class="email">{member.email.clone()}</td>
                            <td>{roles}</td>
                            <td>
                                <Show when=move || !member.disabled>
                                    <details>
                                        <summary>"Change"</summary>
                                        <RoleChecks chosen legend="Roles at this school" />
                                        <button type="button" on:click=move |_| {
                                            set_roles.dispatch(SetStaffRoles {
                                                school_id,
                                                staff_id,
                                                roles: chosen.get_untracked(),
                                            });
                                        }>"Save roles"</button>
                                        <button type="button" class="danger" on:click=move |_| {
                                            disable.dispatch(DisableStaff { school_id, staff_id });
                                        }>"Disable account"</button>
                                    </details>
                                </Show>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// A checkbox for each role a school can grant.
#[component]
fn RoleChecks(chosen: RwSignal<Vec<Role>>, legend: &'static str) -> impl IntoView {
    view! {
        <fieldset class="roles">
            <legend>{legend}</legend>
            {Role::ALL.into_iter().filter(|role| role.granted_by_school()).map(|role| view! {
                <label class="check">
                    <input
                        type="checkbox"
                        prop:checked=move || chosen.read().contains(&role)
                        on:change=move |event| {
                            let on = event_target_checked(&event);
                            chosen.update(|roles| {
                                roles.retain(|r| *r != role);
                                if on { roles.push(role); }
                            });
                        }
                    />
                    {role.label()}
                </label>
            }).collect_view()}
        </fieldset>
    }
}

#[component]
fn AddStaffForm(
    school: impl Fn() -> Option<Uuid> + Send + Sync + 'static,
    add: ServerAction<AddStaff>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let roles = RwSignal::new(Vec::<Role>::new());
    // Clear the form once an account is made.
    Effect::new(move |_| {
        if add.value().get().is_some_and(|result| result.is_ok()) {
            name.set(String::new());
            email.set(String::new());
            password.set(String::new());
            roles.set(Vec::new());
        }
    });
    view! {
        <form class="stack" on:submit=move |event| {
            event.prevent_default();
            let Some(school_id) = school() else { return };
            add.dispatch(AddStaff {
                new: NewStaff {
                    school_id,
                    email: email.get_untracked(),
                    name: name.get_untracked(),
                    password: password.get_untracked(),
                    roles: roles.get_untracked(),
                },
            });
        }>
            <label for="new-name">"Name"</label>
            <input id="new-name" type="text" autocomplete="off" bind:value=name />
            <label for="new-email">"Email"</label>
            <input id="new-email" type="email" autocomplete="off" bind:value=email />
            <label for="new-password">"First password (at least 10 characters)"</label>
            <input id="new-password" type="text" autocomplete="new-password" bind:value=password />
            <RoleChecks chosen=roles legend="Roles" />
            <button type="submit" disabled=move || add.pending().get()>"Add member of staff"</button>
        </form>
    }
}
