//! Who is signed in, in the header, and the way out. Read through the
//! page's API (`me`), so the server renders it and hydration reuses it;
//! nothing shows when nobody is signed in (the sign-in page).

use leptos::prelude::*;

use crate::api::ApiHandle;

#[component]
pub fn AccountMenu() -> impl IntoView {
    // No API while the server only lists the routes: nothing to show.
    let Some(ApiHandle(api)) = use_context::<ApiHandle>() else {
        return ().into_any();
    };
    let me = Resource::new(|| (), move |_| api.me());
    let signing_out = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    let client = StoredValue::new(crate::query::use_query_client());
    let sign_out = move |_| {
        signing_out.set(true);
        #[cfg(feature = "hydrate")]
        {
            let call = crate::session::plain_api().client().logout();
            leptos::task::spawn_local(async move {
                // Signed out or not, the sign-in page is where to go: the
                // cookies are cleared by the answer when it arrives.
                let _ = call.await;
                crate::session::leave(Some(&client.get_value()), "/login");
            });
        }
    };
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                me.await.ok().map(|user| view! {
                    <div class="account" data-testid="account">
                        <span class="account-name" data-testid="account-name">{user.name.to_string()}</span>
                        <span class=format!("role role-{}", user.role) data-testid="account-role">{user.role.to_string()}</span>
                        <button
                            type="button"
                            class="link"
                            data-testid="sign-out"
                            on:click=sign_out
                            disabled=move || signing_out.get()
                        >
                            "Sign out"
                        </button>
                    </div>
                })
            })}
        </Transition>
    }
    .into_any()
}
