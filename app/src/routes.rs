//! Which page a path shows, each page's code loaded only when it is shown.
//!
//! Every page is a lazy route: the site's build splits its code (and the
//! code only it uses) out of the main WebAssembly module into a module of
//! its own, which the browser fetches the first time the page is shown.
//! The server names the modules a page it renders needs, so the browser
//! fetches them beside the main module (`scripts/build_site.sh` splits the
//! bundle; [`preload_modules`] writes the preload links). A first load
//! hydrates once its page's module is in (`hydrate_lazy` in `lib.rs`).
//!
//! Test builds (feature `testing`) route to the pages directly: the
//! browser tests' runner loads one module and cannot load a split bundle.

use leptos::prelude::*;
use leptos_router::components::{Route, Routes};
use leptos_router::{path, SsrMode};

use crate::components::layout::NotFound;
use crate::pages::post_detail::PostDetailPage;
use crate::pages::user::UserPage;
use crate::pages::{login::LoginPage, posts::PostsPage, users::UsersPage};

/// What a route shows: `$page`, through its lazy route `$route`.
#[cfg(not(feature = "testing"))]
macro_rules! page {
    ($route:ident shows $page:ident) => {
        leptos_router::Lazy::<lazy::$route>::new()
    };
}

#[cfg(feature = "testing")]
macro_rules! page {
    ($route:ident shows $page:ident) => {
        || {
            mark_hydrated();
            view! { <$page/> }
        }
    };
}

/// The page the current path shows. Async SSR: the server waits for the
/// page's data and sends complete HTML, so lists read without JavaScript.
#[component]
pub fn PageRoutes() -> impl IntoView {
    view! {
        <Routes fallback=|| {
            mark_hydrated_now(use_context());
            view! { <NotFound/> }
        }>
            <Route path=path!("/") view={page!(UsersRoute shows UsersPage)} ssr=SsrMode::Async/>
            <Route path=path!("/users") view={page!(UsersRoute shows UsersPage)} ssr=SsrMode::Async/>
            <Route path=path!("/users/:id") view={page!(UserRoute shows UserPage)} ssr=SsrMode::Async/>
            <Route path=path!("/posts") view={page!(PostsRoute shows PostsPage)} ssr=SsrMode::Async/>
            <Route path=path!("/login") view={page!(LoginRoute shows LoginPage)} ssr=SsrMode::Async/>
            <Route path=path!("/posts/:id") view={page!(PostRoute shows PostDetailPage)} ssr=SsrMode::Async/>
        </Routes>
    }
}

/// One lazy route per page; its view is the code split out.
#[cfg(not(feature = "testing"))]
mod lazy {
    use leptos::prelude::*;
    use leptos_router::{lazy_route, LazyRoute};

    use super::*;

    /// The users table (`/` and `/users`).
    pub struct UsersRoute;

    #[lazy_route]
    impl LazyRoute for UsersRoute {
        fn data() -> Self {
            #[cfg(feature = "ssr")]
            preload_modules("users_route");
            UsersRoute
        }

        fn view(_this: Self) -> AnyView {
            mark_hydrated();
            let page = view! { <UsersPage/> };
            page.into_any()
        }
    }

    /// One user (`/users/:id`).
    pub struct UserRoute;

    #[lazy_route]
    impl LazyRoute for UserRoute {
        fn data() -> Self {
            #[cfg(feature = "ssr")]
            preload_modules("user_route");
            UserRoute
        }

        fn view(_this: Self) -> AnyView {
            mark_hydrated();
            let page = view! { <UserPage/> };
            page.into_any()
        }
    }

    /// The feed (`/posts`).
    pub struct PostsRoute;

    #[lazy_route]
    impl LazyRoute for PostsRoute {
        fn data() -> Self {
            #[cfg(feature = "ssr")]
            preload_modules("posts_route");
            PostsRoute
        }

        fn view(_this: Self) -> AnyView {
            mark_hydrated();
            let page = view! { <PostsPage/> };
            page.into_any()
        }
    }

    /// Signing in (`/login`).
    pub struct LoginRoute;

    #[lazy_route]
    impl LazyRoute for LoginRoute {
        fn data() -> Self {
            #[cfg(feature = "ssr")]
            preload_modules("login_route");
            LoginRoute
        }

        fn view(_this: Self) -> AnyView {
            mark_hydrated();
            let page = view! { <LoginPage/> };
            page.into_any()
        }
    }

    /// One post (`/posts/:id`).
    pub struct PostRoute;

    #[lazy_route]
    impl LazyRoute for PostRoute {
        fn data() -> Self {
            #[cfg(feature = "ssr")]
            preload_modules("post_route");
            PostRoute
        }

        fn view(_this: Self) -> AnyView {
            mark_hydrated();
            let page = view! { <PostDetailPage/> };
            page.into_any()
        }
    }
}

/// Names in the page's head the modules the route `route` needs (its
/// lazy view's split, `__<route>_view_<n>`, in Leptos's manifest of the
/// split bundle), so the browser fetches them beside the main module
/// rather than once it runs. Leptos writes such links itself only for a
/// page rendered in one pass (the sign-in page): for a page that awaits
/// its data it looks the manifest up outside the render and finds none.
/// `crossorigin="anonymous"` makes a preload match the loader's `fetch`.
#[cfg(feature = "ssr")]
fn preload_modules(route: &str) {
    use leptos_meta::Link;

    let Some(manifest) = use_context::<leptos::WasmSplitManifest>() else {
        return;
    };
    let Some(manifest) = manifest.0.try_read_value() else {
        return;
    };
    let (pkg, splits, loader) = &*manifest;
    let split = format!("__{route}_view_");
    let modules = splits
        .iter()
        .filter(|(name, _)| name.starts_with(&split))
        .flat_map(|(_, modules)| modules);
    // `to_html` registers a head element with the page's meta context.
    for module in modules {
        let href = format!("{pkg}/{module}.wasm");
        let link = view! {
            <Link rel="preload" href=href as_="fetch" type_="application/wasm" crossorigin="anonymous"/>
        };
        let _ = link.to_html();
    }
    let href = format!("{pkg}/{loader}");
    let _ = view! { <Link rel="modulepreload" href=href crossorigin="anonymous"/> }.to_html();
}

/// Whether the page the router shows has hydrated, its own code loaded:
/// the app's first render runs before it, and what must come after the
/// page took over its server HTML waits for this.
#[derive(Clone, Copy)]
pub struct PageHydrated(RwSignal<bool>);

impl PageHydrated {
    /// Provides a flag that is false until the page hydrates.
    pub fn provide() -> Self {
        let flag = Self(RwSignal::new(false));
        provide_context(flag);
        flag
    }

    /// Whether the page has hydrated (tracked).
    #[cfg(feature = "hydrate")]
    pub fn get(self) -> bool {
        self.0.get()
    }
}

/// Marks the page hydrated once the view being built has taken over.
fn mark_hydrated() {
    let flag = use_context::<PageHydrated>();
    Effect::new(move |_| mark_hydrated_now(flag));
}

/// Marks the page hydrated: the [`PageHydrated`] flag, and
/// `data-hydrated="true"` on `<html>`, so tests (and styles) can tell a
/// live page from server HTML. The not-found page, which has no code of
/// its own, is marked as it is built.
fn mark_hydrated_now(flag: Option<PageHydrated>) {
    if let Some(PageHydrated(flag)) = flag {
        flag.set(true);
    }
    #[cfg(feature = "hydrate")]
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
