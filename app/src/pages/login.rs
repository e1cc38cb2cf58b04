//! The sign-in page: email and password, the server's answer shown in
//! words (wrong credentials, too many attempts, a field left empty), and
//! on success a fresh load of the page the reader came from (`?next=`).
//! Development builds list the demo accounts, one click to fill the form.
//!
//! Arriving here with a live refresh cookie (the 15-minute access cookie
//! ran out) signs in silently and goes straight back.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::session::safe_next;

/// The seeded accounts, shown in development builds.
const DEMO_ACCOUNTS: [(&str, &str); 3] = [
    ("admin@tidings.dev", "admin: everything"),
    (
        "moderator@tidings.dev",
        "moderator: edits and deletes posts",
    ),
    ("user@tidings.dev", "user: their own posts and account"),
];
const DEMO_PASSWORD: &str = "tidings-demo";

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = Memo::new(move |_| safe_next(query.read().get("next").as_deref()));
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);

    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let call = crate::session::plain_api().client().refresh();
        leptos::task::spawn_local(async move {
            if call.await.is_ok() {
                crate::session::go_to(&next.get_untracked());
            }
        });
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let credentials = crate::api::Credentials {
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        if credentials.email.is_empty() || credentials.password.is_empty() {
            error.set(Some("Enter your email and password.".into()));
            return;
        }
        error.set(None);
        pending.set(true);
        #[cfg(feature = "hydrate")]
        {
            let call = crate::session::plain_api().client().login(credentials);
            leptos::task::spawn_local(async move {
                match call.await {
                    Ok(_) => crate::session::go_to(&next.get_untracked()),
                    Err(e) => {
                        error.set(Some(match e.field_errors() {
                            Some(fields) => fields.to_string(),
                            None => e.to_string(),
                        }));
                        pending.set(false);
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (credentials, next);
    };

    view! {
        <section class="login" data-testid="login-page">
            <h1>"Sign in to Tidings"</h1>
            <form class="login-form" data-testid="login-form" on:submit=submit novalidate>
                <label>
                    "Email"
                    <input
                        type="email"
                        name="email"
                        autocomplete="username"
                        required
                        data-testid="login-email"
                        bind:value=email
                    />
                </label>
                <label>
                    "Password"
                    <input
                        type="password"
                        name="password"
                        autocomplete="current-password"
                        required
                        data-testid="login-password"
                        bind:value=password
                    />
                </label>
                {move || error.get().map(|e| view! {
                    <p class="form-error" role="alert" data-testid="login-error">{e}</p>
                })}
                <button type="submit" data-testid="login-submit" disabled=move || pending.get()>
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
            {cfg!(debug_assertions).then(|| view! {
                <aside class="demo-accounts" data-testid="demo-accounts" aria-label="Demo accounts">
                    <h2>"Demo accounts"</h2>
                    <p>"Password for each: " <code>{DEMO_PASSWORD}</code></p>
                    <ul>
                        {DEMO_ACCOUNTS
                            .into_iter()
                            .map(|(address, what)| view! {
                                <li>
                                    <button
                                        type="button"
                                        class="link"
                                        data-testid="demo-account"
                                        on:click=move |_| {
                                            email.set(address.to_owned());
                                            password.set(DEMO_PASSWORD.to_owned());
                                        }
                                    >
                                        {address}
                                    </button>
                                    " — " {what}
                                </li>
                            })
                            .collect_view()}
                    </ul>
                </aside>
            })}
        </section>
    }
}
