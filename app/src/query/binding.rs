//! What every query hook shares: one engine observer for the component's
//! lifetime, a Leptos [`Resource`] for Suspense and SSR, and a
//! [`Snapshot`] of the query as a memo (`observer.rs`, `snapshot.rs`).
//!
//! The resource's fetcher does not fetch by itself: it asks the engine
//! (`load`), so two components with one key join one request, cached data
//! answers at once, and the result lands in the engine. During SSR the
//! resource's value ([`Loaded`]) is serialized into the page; in the
//! browser the resource starts with it without running its fetcher, and
//! the hook writes it into the browser's engine ([`QueryClientHandle::absorb`]),
//! so hydration makes no second request. After that the engine is the
//! source of truth: refetches after invalidation, polling, focus or
//! reconnect go through it, and the snapshot re-reads it when the key's
//! trigger fires. The resource reloads only when the key changes, and
//! while it does, data keeps showing the last loaded key's data, as a
//! Leptos resource would (so `<Transition>` works).
//!
//! A server render fetches the query before it creates the resource, so
//! the resource is born resolved (its first poll is ready) and nothing
//! changes while the page renders; and it reads the resource's value
//! itself, unmemoized: what the page carries to the browser, so the HTML
//! shows exactly the data the browser hydrates with. (A resource resolving
//! during the render is what went wrong: the fetch finished on another
//! thread while `<Suspense>` walked the children, and a memo evaluated in
//! the middle of that notification kept the value it read before the data
//! came, rendering "loading" or an empty count that the browser then
//! hydrated as full, and panicked.)

use std::sync::{Arc, Mutex};

use leptos::prelude::*;
use serde::Serialize;
use serde_json::Value;
use tidings::cache::{Millis, QueryKey, QueryOptions};

use super::fetcher::Fetcher;
use super::handle::{lock, use_query_client, QueryClientHandle};
use super::key::query_key;
use super::loaded::Loaded;
use super::observer::ObserverSlot;
use super::snapshot::Snapshot;
use crate::api::ApiError;

/// Waits for `load` where the server can block: on the multi-threaded
/// runtime, off its worker. Elsewhere (a single-threaded runtime, where
/// nothing resolves concurrently anyway) the resource waits as usual.
#[cfg(feature = "ssr")]
fn settle_before_render(load: impl std::future::Future<Output = Loaded>) {
    use tokio::runtime::{Handle, RuntimeFlavor};
    if let Ok(runtime) = Handle::try_current() {
        if runtime.runtime_flavor() == RuntimeFlavor::MultiThread {
            tokio::task::block_in_place(|| runtime.block_on(load));
        }
    }
}

#[cfg(not(feature = "ssr"))]
fn settle_before_render(_load: impl std::future::Future<Output = Loaded>) {}

/// The reactive parts of one hook, shared by the typed results.
#[derive(Clone)]
pub(crate) struct Binding {
    pub(crate) handle: QueryClientHandle,
    pub(crate) slot: ObserverSlot,
    /// The query's options as this hook sets them; shared with the key
    /// binding, so a change ([`Binding::poll_every`]) outlives key moves.
    options: Arc<Mutex<QueryOptions>>,
    pub(crate) resource: Resource<Loaded>,
    pub(crate) snapshot: Memo<Snapshot>,
    /// Rendering on the server: the signals read the resource (see the
    /// module's note).
    server_render: bool,
}

impl Binding {
    /// Binds a hook: `key_fn` gives the arguments, `fetcher_for` the
    /// fetcher of each.
    pub(crate) fn new<K>(
        key_fn: impl Fn() -> K + Send + Sync + 'static,
        fetcher_for: impl Fn(&K) -> Fetcher + Send + Sync + 'static,
        options: QueryOptions,
    ) -> Self
    where
        K: Serialize + PartialEq + Clone + Send + Sync + 'static,
    {
        let handle = use_query_client();
        let options = handle.adapt(options);
        let paging = options.infinite.clone();
        let options = Arc::new(Mutex::new(options));
        let slot = ObserverSlot::default();
        let bind = {
            let (handle, slot, options) = (handle.clone(), slot.clone(), Arc::clone(&options));
            move |args: &K| {
                let key = query_key(args);
                handle.register(&key, fetcher_for(args));
                let options = lock(&options).clone();
                slot.target(&handle, &key, &options);
                key
            }
        };
        let (key_fn, bind) = (Arc::new(key_fn), Arc::new(bind));
        let first = untrack(|| bind(&key_fn()));
        let server_render =
            Owner::current_shared_context().is_some_and(|context| !context.is_browser());
        if server_render {
            settle_before_render(handle.clone().load(first));
        }
        // The fetch starts only when the future is polled: while hydrating,
        // the resource builds a future it never polls, and the engine must
        // not fetch data the page already carries.
        let resource = Resource::new(move || key_fn(), {
            let handle = handle.clone();
            move |args: K| {
                let (handle, key) = (handle.clone(), bind(&args));
                async move { handle.load(key).await }
            }
        });
        let derived = *resource;
        if let Some(initial) = derived.get_untracked() {
            handle.absorb(&initial);
        }
        on_cleanup({
            let (handle, slot) = (handle.clone(), slot.clone());
            move || slot.release(&handle)
        });
        let snapshot = Memo::new({
            let (handle, slot, paging) = (handle.clone(), slot.clone(), paging.clone());
            move |_| {
                derived.track();
                slot.track();
                handle.snapshot(&slot, derived, paging.as_ref())
            }
        });
        Self {
            handle,
            slot,
            options,
            resource,
            snapshot,
            server_render,
        }
    }

    /// The query as the server renders it: from the resource's value.
    fn served(&self) -> impl Fn() -> Snapshot + Send + Sync + 'static {
        let derived = *self.resource;
        let paging = lock(&self.options).infinite.clone();
        move || derived.with(|loaded| Snapshot::of_loaded(loaded.as_ref(), paging.as_ref()))
    }

    /// Reads the resource where the caller reads, so an enclosing
    /// `<Suspense>` / `<Transition>` waits for it.
    pub(crate) fn suspend(&self) {
        self.resource.with(|_| ());
    }

    /// The shown data decoded by `decode`, re-decoded only when it changes.
    pub(crate) fn data<T>(&self, decode: fn(&Value) -> Option<T>) -> Signal<Option<T>>
    where
        T: Clone + Send + Sync + 'static,
    {
        if self.server_render {
            let derived = *self.resource;
            return Signal::derive(move || {
                derived.with(|loaded| loaded.as_ref()?.data.as_ref().and_then(decode))
            });
        }
        let snapshot = self.snapshot;
        let shown = Memo::new(move |_| snapshot.with(|s| s.shown.clone()));
        let (handle, slot, derived) = (self.handle.clone(), self.slot.clone(), *self.resource);
        let typed = Memo::new_with_compare(
            move |_| {
                let shown = shown.get();
                handle.read_shown(&slot, derived, &shown, decode).flatten()
            },
            |_, _| true,
        );
        let this = self.clone();
        Signal::derive(move || {
            this.suspend();
            typed.get()
        })
    }

    /// A flag of the snapshot.
    pub(crate) fn flag(&self, f: fn(&Snapshot) -> bool) -> Signal<bool> {
        if self.server_render {
            let served = self.served();
            return Signal::derive(move || f(&served()));
        }
        let snapshot = self.snapshot;
        Memo::new(move |_| snapshot.with(f)).into()
    }

    /// The query's final error, typed.
    pub(crate) fn error(&self) -> Signal<Option<ApiError>> {
        if self.server_render {
            let derived = *self.resource;
            return Signal::derive(move || derived.with(|loaded| loaded.as_ref()?.error.clone()));
        }
        let (snapshot, handle) = (self.snapshot, self.handle.clone());
        let error = Memo::new(move |_| {
            snapshot.with(|s| {
                let (key, error) = (s.key.as_ref()?, s.error.as_ref()?);
                Some(handle.api_error(&key.hash(), error))
            })
        });
        let this = self.clone();
        Signal::derive(move || {
            this.suspend();
            error.get()
        })
    }

    /// The key observed now, re-observing it if the engine dropped the
    /// observer.
    pub(crate) fn live_key(&self) -> Option<QueryKey> {
        let key = self.slot.key()?;
        if !self.slot.attached(&self.handle) {
            let options = lock(&self.options).clone();
            self.slot.target(&self.handle, &key, &options);
        }
        Some(key)
    }

    /// Polls every `every()` ms while it gives `Some`, and not while it
    /// gives `None`: re-applied whenever what it reads changes.
    pub(crate) fn poll_every(&self, every: impl Fn() -> Option<Millis> + Send + Sync + 'static) {
        self.options_follow(every, |options, every| options.refetch_interval = every);
    }

    /// Enables the query while `enabled()` holds: re-applied whenever what
    /// it reads changes; turned on while stale, it fetches at once.
    pub(crate) fn enabled_when(&self, enabled: impl Fn() -> bool + Send + Sync + 'static) {
        self.options_follow(enabled, |options, on| options.enabled = on);
    }

    /// Changes the hook's options by `change` with what `read()` gives,
    /// again whenever what it reads changes, and hands them to the engine
    /// (which fetches a query they turn on, if stale).
    fn options_follow<T: 'static>(
        &self,
        read: impl Fn() -> T + Send + Sync + 'static,
        change: impl Fn(&mut QueryOptions, T) + Send + Sync + 'static,
    ) {
        let this = self.clone();
        Effect::new(move |_| {
            let value = read();
            let options = {
                let mut options = lock(&this.options);
                change(&mut options, value);
                *options = this.handle.adapt(options.clone());
                options.clone()
            };
            if let Some(key) = this.slot.key() {
                let start = this.handle.update(|c| c.set_options(&key, options));
                this.handle.run(start.into_iter().collect());
            }
        });
    }

    /// Fetches the current key now, whatever its age.
    pub(crate) fn refetch(&self) {
        if let Some(key) = self.live_key() {
            self.handle.refetch(&key);
        }
    }
}
