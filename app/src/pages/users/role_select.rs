//! A `<select>` of the three roles bound to a signal, shared by the batch
//! bar and the user dialog.

use leptos::prelude::*;
use tidings::Role;

/// Every role as an option; choosing one sets `role`.
#[component]
pub fn RoleSelect(role: RwSignal<Role>, testid: &'static str) -> impl IntoView {
    view! {
        <select
            data-testid=testid
            on:change=move |ev| {
                if let Ok(r) = event_target_value(&ev).parse::<Role>() {
                    role.set(r);
                }
            }
        >
            {Role::ALL.map(|r| view! {
                <option value=r.as_str() selected=move || role.get() == r>{r.as_str()}</option>
            })}
        </select>
    }
}
