//! [`use_mutation`]: writes to the server, on a Leptos [`Action`], with
//! optimistic layers, serial scopes and tag invalidation.
//!
//! One call goes: enqueue in the engine's
//! [`MutationCache`](tidings::cache::MutationCache) (in its scope,
//! it waits for the one before it to settle), apply `on_mutate`'s ops as
//! the call's optimistic layer on the [`EntityStore`](tidings::cache::EntityStore)
//! at once, send, then on success confirm `on_success`'s ops under the
//! layers, drop the layer and invalidate the tags (observed queries
//! refetch); on failure drop only this call's layer.
//!
//! A mutation may [`divert`](MutationOptions::divert) a call instead of
//! sending it, or after an attempt got no answer: the offline outbox takes
//! it (and shows it from then on), so it neither fails nor rolls back.

use std::future::Future;
use std::sync::{Arc, Mutex};

use futures::channel::oneshot;
use leptos::prelude::*;
use serde::Serialize;
use serde_json::Value;
use tidings::cache::{MutationId, StoreOp, Tag};

use super::handle::{lock, use_query_client, QueryClientHandle};
use super::layer_change::LayerChange;
use crate::api::ApiError;

type ScopeFn<V> = Arc<dyn Fn(&V) -> Option<String> + Send + Sync>;
type OpsFn<V> = Arc<dyn Fn(&V) -> Vec<StoreOp> + Send + Sync>;
type ConfirmFn<V, R> = Arc<dyn Fn(&V, &R) -> Vec<StoreOp> + Send + Sync>;
type TagsFn<V, R> = Arc<dyn Fn(&V, &R) -> Vec<Tag> + Send + Sync>;
type ErrorFn<V> = Arc<dyn Fn(&V, &ApiError) + Send + Sync>;
type DivertFn<V> = Arc<dyn Fn(&V, Option<&ApiError>) -> bool + Send + Sync>;

/// What a mutation does around its request. Build with the setters.
pub struct MutationOptions<V, R> {
    pub(super) scope: Option<ScopeFn<V>>,
    pub(super) on_mutate: Option<OpsFn<V>>,
    pub(super) on_success: Option<ConfirmFn<V, R>>,
    pub(super) on_error: Option<ErrorFn<V>>,
    pub(super) invalidates: Vec<Tag>,
    pub(super) invalidates_with: Option<TagsFn<V, R>>,
    pub(super) divert: Option<DivertFn<V>>,
}

impl<V, R> Default for MutationOptions<V, R> {
    fn default() -> Self {
        Self {
            scope: None,
            on_mutate: None,
            on_success: None,
            on_error: None,
            invalidates: Vec::new(),
            invalidates_with: None,
            divert: None,
        }
    }
}

impl<V, R> Clone for MutationOptions<V, R> {
    fn clone(&self) -> Self {
        Self {
            scope: self.scope.clone(),
            on_mutate: self.on_mutate.clone(),
            on_success: self.on_success.clone(),
            on_error: self.on_error.clone(),
            invalidates: self.invalidates.clone(),
            invalidates_with: self.invalidates_with.clone(),
            divert: self.divert.clone(),
        }
    }
}

impl<V, R> MutationOptions<V, R> {
    /// Calls with the same scope (e.g. `user:<id>`) run one at a time, in
    /// call order; `None` runs at once.
    pub fn scope(mut self, f: impl Fn(&V) -> Option<String> + Send + Sync + 'static) -> Self {
        self.scope = Some(Arc::new(f));
        self
    }

    /// The ops to show at once, as this call's optimistic layer.
    pub fn on_mutate(mut self, f: impl Fn(&V) -> Vec<StoreOp> + Send + Sync + 'static) -> Self {
        self.on_mutate = Some(Arc::new(f));
        self
    }

    /// The ops the server's answer confirms (e.g. upsert the returned
    /// entity); applied under the remaining layers before this call's
    /// layer is dropped.
    pub fn on_success(
        mut self,
        f: impl Fn(&V, &R) -> Vec<StoreOp> + Send + Sync + 'static,
    ) -> Self {
        self.on_success = Some(Arc::new(f));
        self
    }

    /// Called when the call failed (after its layer was rolled back).
    pub fn on_error(mut self, f: impl Fn(&V, &ApiError) + Send + Sync + 'static) -> Self {
        self.on_error = Some(Arc::new(f));
        self
    }

    /// Tags every successful call invalidates.
    pub fn invalidates(mut self, tags: impl IntoIterator<Item = Tag>) -> Self {
        self.invalidates = tags.into_iter().collect();
        self
    }

    /// More tags to invalidate, from the call and its answer.
    pub fn invalidates_with(
        mut self,
        f: impl Fn(&V, &R) -> Vec<Tag> + Send + Sync + 'static,
    ) -> Self {
        self.invalidates_with = Some(Arc::new(f));
        self
    }
}

impl<V, R> MutationOptions<V, R> {
    /// Offers each call elsewhere before it is sent (`None`) and after an
    /// attempt that got no answer (`Some(error)`): `f` returns whether it
    /// took the call. A taken call is settled here without failing (its
    /// layer goes: the taker shows it now) and stays pending.
    pub fn divert(
        mut self,
        f: impl Fn(&V, Option<&ApiError>) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.divert = Some(Arc::new(f));
        self
    }
}

/// One call's state.
type CallState<R> = Option<Result<R, ApiError>>;

/// One call of a mutation: its own pending / value / error signals.
pub struct MutationCall<R: Send + Sync + 'static> {
    id: MutationId,
    state: ArcRwSignal<CallState<R>>,
}

impl<R: Send + Sync + 'static> Clone for MutationCall<R> {
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            state: self.state.clone(),
        }
    }
}

impl<R: Clone + Send + Sync + 'static> MutationCall<R> {
    /// The call's id (also its optimistic layer's).
    pub fn id(&self) -> MutationId {
        self.id
    }

    /// Waiting for its turn or for the server.
    pub fn pending(&self) -> Signal<bool> {
        let state = self.state.clone();
        Signal::derive(move || state.with(Option::is_none))
    }

    /// The server's answer, once it succeeded.
    pub fn value(&self) -> Signal<Option<R>> {
        let state = self.state.clone();
        Signal::derive(move || state.with(|s| s.as_ref()?.as_ref().ok().cloned()))
    }

    /// Why it failed, once it did.
    pub fn error(&self) -> Signal<Option<ApiError>> {
        let state = self.state.clone();
        Signal::derive(move || state.with(|s| s.as_ref()?.as_ref().err().cloned()))
    }
}

/// The input of the action: one call.
struct Call<V, R> {
    vars: V,
    id: MutationId,
    turn: Mutex<Option<oneshot::Receiver<()>>>,
    state: ArcRwSignal<CallState<R>>,
}

/// What [`use_mutation`] returns. `Copy`.
pub struct Mutation<V: Send + Sync + 'static, R: Send + Sync + 'static> {
    action: Action<Call<V, R>, Result<R, ApiError>>,
    handle: StoredValue<QueryClientHandle>,
    options: StoredValue<MutationOptions<V, R>>,
}

impl<V: Send + Sync + 'static, R: Send + Sync + 'static> Clone for Mutation<V, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<V: Send + Sync + 'static, R: Send + Sync + 'static> Copy for Mutation<V, R> {}

impl<V, R> Mutation<V, R>
where
    V: Serialize + Send + Sync + 'static,
    R: Clone + Send + Sync + 'static,
{
    /// Sends `vars`; the optimistic layer shows at once.
    pub fn mutate(&self, vars: V) -> MutationCall<R> {
        let handle = self.handle.get_value();
        let (scope, ops) = self.options.with_value(|o| {
            let scope = o.scope.as_ref().and_then(|f| f(&vars));
            let ops = o.on_mutate.as_ref().map(|f| f(&vars)).unwrap_or_default();
            (scope, ops)
        });
        let variables = serde_json::to_value(&vars).unwrap_or(Value::Null);
        let shown = ops.clone();
        let (id, turn) = handle.begin_mutation(scope.as_deref(), variables, ops);
        if !shown.is_empty() {
            handle.tell_layers(LayerChange::Shown { id, ops: shown });
        }
        let state = ArcRwSignal::new(None);
        self.action.dispatch(Call {
            vars,
            id,
            turn: Mutex::new(turn),
            state: state.clone(),
        });
        MutationCall { id, state }
    }

    /// Whether any call is pending.
    pub fn pending(&self) -> Signal<bool> {
        self.action.pending().into()
    }

    /// The answer of the latest call, once it succeeded.
    pub fn value(&self) -> Signal<Option<R>> {
        let value = self.action.value();
        Signal::derive(move || value.with(|v| v.as_ref()?.as_ref().ok().cloned()))
    }

    /// The error of the latest call, once it failed.
    pub fn error(&self) -> Signal<Option<ApiError>> {
        let value = self.action.value();
        Signal::derive(move || value.with(|v| v.as_ref()?.as_ref().err().cloned()))
    }
}

/// A mutation sending each call with `mutate_fn`; see the module docs.
/// Calls are not retried (the API client retries what is safe to).
///
/// # Panics
/// When no [`QueryClientHandle`] was provided.
pub fn use_mutation<V, R, F, Fut>(mutate_fn: F, options: MutationOptions<V, R>) -> Mutation<V, R>
where
    V: Serialize + Clone + Send + Sync + 'static,
    R: Clone + Send + Sync + 'static,
    F: Fn(V) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, ApiError>> + Send + 'static,
{
    let handle = use_query_client();
    let send = Arc::new(mutate_fn);
    let action = Action::new({
        let (handle, options) = (handle.clone(), options.clone());
        move |call: &Call<V, R>| {
            let (handle, options, send) = (handle.clone(), options.clone(), Arc::clone(&send));
            let (vars, id, state) = (call.vars.clone(), call.id, call.state.clone());
            let turn = lock(&call.turn).take();
            async move {
                if let Some(turn) = turn {
                    let _ = turn.await;
                }
                let divert = |error: Option<&ApiError>| {
                    options.divert.as_ref().is_some_and(|f| f(&vars, error))
                };
                if divert(None) {
                    handle.hand_over_mutation(id);
                    return Err(ApiError::Aborted);
                }
                let result = send(vars.clone()).await;
                if let Err(error) = &result {
                    if error.is_unanswered() && divert(Some(error)) {
                        handle.hand_over_mutation(id);
                        return result;
                    }
                }
                handle.finish_mutation(id, &vars, &result, &options);
                state.set(Some(result.clone()));
                result
            }
        }
    });
    Mutation {
        action,
        handle: StoredValue::new(handle),
        options: StoredValue::new(options),
    }
}
