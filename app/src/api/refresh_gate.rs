//! The refresh gate: however many requests get a 401 at once, the session
//! is refreshed once, and each of them waits for that one refresh.
//!
//! States: *idle* at some epoch, or *refreshing* (one shared future). A
//! request is stamped with the epoch it read its token in. On its 401:
//!
//! - refreshing: wait for the refresh under way;
//! - idle, and a refresh settled since the request was sent: do not
//!   refresh again; replay if that refresh succeeded (the token is newer
//!   than the one refused), give up if it failed;
//! - idle, nothing settled since: start the refresh and wait for it.
//!
//! Settling (success or failure) moves to the next epoch, back to idle.
//! The failure callback runs inside the shared future, so exactly once
//! per failed refresh, however many requests waited for it.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use futures::future::{self, LocalBoxFuture, Shared};
use futures::FutureExt;

use super::error::ApiError;

type SharedRefresh = Shared<LocalBoxFuture<'static, Result<(), ApiError>>>;

#[derive(Default)]
struct GateState {
    epoch: u64,
    /// Whether the refresh that ended the previous epoch succeeded.
    last_ok: bool,
    pending: Option<SharedRefresh>,
    started: u64,
}

/// What a 401 leads to (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// A refresh is under way: wait for it.
    Wait,
    /// A refresh succeeded since the request was sent: replay now.
    Replay,
    /// A refresh failed since the request was sent: the session is over.
    GiveUp,
    /// This request starts the refresh.
    Lead,
}

#[derive(Clone, Default)]
pub struct RefreshGate {
    state: Rc<RefCell<GateState>>,
}

impl RefreshGate {
    pub fn new() -> Self {
        Self::default()
    }

    /// The current epoch: stamp it on a request when reading its token.
    pub fn epoch(&self) -> u64 {
        self.state.borrow().epoch
    }

    /// How many refreshes were started so far.
    pub fn refreshes_started(&self) -> u64 {
        self.state.borrow().started
    }

    pub fn is_refreshing(&self) -> bool {
        self.state.borrow().pending.is_some()
    }

    /// The transition a 401 on a request stamped `sent_epoch` takes.
    pub fn admission(&self, sent_epoch: u64) -> Admission {
        let state = self.state.borrow();
        if state.pending.is_some() {
            Admission::Wait
        } else if state.epoch > sent_epoch {
            if state.last_ok {
                Admission::Replay
            } else {
                Admission::GiveUp
            }
        } else {
            Admission::Lead
        }
    }

    /// Handles a 401 on a request stamped `sent_epoch`: resolves `Ok` when
    /// the request should be replayed (with the token now current) and
    /// `Err` when the session could not be refreshed. `refresh` and
    /// `on_failure` are used only if this call starts the refresh.
    pub fn unauthorized(
        &self,
        sent_epoch: u64,
        refresh: impl FnOnce() -> LocalBoxFuture<'static, Result<(), ApiError>>,
        on_failure: impl FnOnce(&ApiError) + 'static,
    ) -> LocalBoxFuture<'static, Result<(), ApiError>> {
        match self.admission(sent_epoch) {
            Admission::Wait => {
                let pending = self.state.borrow().pending.clone();
                match pending {
                    Some(pending) => pending.boxed_local(),
                    None => future::ready(Ok(())).boxed_local(),
                }
            }
            Admission::Replay => future::ready(Ok(())).boxed_local(),
            Admission::GiveUp => future::ready(Err(ApiError::Http {
                status: 401,
                code: "session_expired".into(),
                message: "the session has ended; sign in again".into(),
                details: serde_json::Value::Null,
                retry_after_ms: None,
            }))
            .boxed_local(),
            Admission::Lead => self.lead(refresh(), on_failure).boxed_local(),
        }
    }

    fn lead(
        &self,
        refresh: LocalBoxFuture<'static, Result<(), ApiError>>,
        on_failure: impl FnOnce(&ApiError) + 'static,
    ) -> SharedRefresh {
        let state: Weak<RefCell<GateState>> = Rc::downgrade(&self.state);
        let shared = async move {
            let outcome = refresh.await;
            if let Some(state) = state.upgrade() {
                let mut state = state.borrow_mut();
                state.epoch += 1;
                state.last_ok = outcome.is_ok();
                state.pending = None;
            }
            if let Err(e) = &outcome {
                on_failure(e);
            }
            outcome
        }
        .boxed_local()
        .shared();
        let mut state = self.state.borrow_mut();
        state.started += 1;
        state.pending = Some(shared.clone());
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::channel::oneshot;
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;
    use std::cell::Cell;

    type Answer = oneshot::Sender<Result<(), ApiError>>;

    struct Rig {
        pool: LocalPool,
        gate: RefreshGate,
        refreshes: Rc<Cell<u32>>,
        failures: Rc<Cell<u32>>,
        answer: Rc<RefCell<Option<Answer>>>,
        results: Rc<RefCell<Vec<Result<(), ApiError>>>>,
    }

    impl Rig {
        fn new() -> Self {
            Self {
                pool: LocalPool::new(),
                gate: RefreshGate::new(),
                refreshes: Rc::default(),
                failures: Rc::default(),
                answer: Rc::default(),
                results: Rc::default(),
            }
        }

        /// A request stamped `epoch` got a 401.
        fn unauthorized(&self, epoch: u64) {
            let refreshes = self.refreshes.clone();
            let answer = self.answer.clone();
            let failures = self.failures.clone();
            let wait = self.gate.unauthorized(
                epoch,
                move || {
                    refreshes.set(refreshes.get() + 1);
                    let (tx, rx) = oneshot::channel();
                    *answer.borrow_mut() = Some(tx);
                    async move { rx.await.unwrap_or(Err(ApiError::Aborted)) }.boxed_local()
                },
                move |_| failures.set(failures.get() + 1),
            );
            let results = self.results.clone();
            self.pool
                .spawner()
                .spawn_local(async move {
                    let result = wait.await;
                    results.borrow_mut().push(result);
                })
                .unwrap();
        }

        fn answer(&mut self, outcome: Result<(), ApiError>) {
            self.answer
                .borrow_mut()
                .take()
                .unwrap()
                .send(outcome)
                .unwrap();
            self.pool.run_until_stalled();
        }
    }

    #[test]
    fn concurrent_401s_share_one_refresh() {
        let mut rig = Rig::new();
        for _ in 0..5 {
            rig.unauthorized(0);
        }
        rig.pool.run_until_stalled();
        assert_eq!(rig.refreshes.get(), 1);
        assert!(rig.gate.is_refreshing());
        assert!(rig.results.borrow().is_empty(), "all wait for the refresh");
        rig.answer(Ok(()));
        assert_eq!(*rig.results.borrow(), vec![Ok(()); 5]);
        assert_eq!(rig.gate.epoch(), 1);
        assert_eq!(rig.gate.refreshes_started(), 1);
        assert_eq!(rig.failures.get(), 0);

        // A late 401 for a request sent with the old token: replay, no
        // second refresh.
        assert_eq!(rig.gate.admission(0), Admission::Replay);
        rig.unauthorized(0);
        rig.pool.run_until_stalled();
        assert_eq!(rig.refreshes.get(), 1);
        assert_eq!(rig.results.borrow().len(), 6);

        // A 401 with the new token is a new refresh.
        assert_eq!(rig.gate.admission(1), Admission::Lead);
    }

    #[test]
    fn a_failed_refresh_calls_back_once_and_ends_the_session() {
        let mut rig = Rig::new();
        for _ in 0..4 {
            rig.unauthorized(0);
        }
        rig.pool.run_until_stalled();
        rig.answer(Err(ApiError::from_response(401, "")));
        assert_eq!(rig.failures.get(), 1);
        assert_eq!(rig.results.borrow().len(), 4);
        assert!(rig.results.borrow().iter().all(Result::is_err));

        // Stragglers of the same epoch give up without refreshing again.
        assert_eq!(rig.gate.admission(0), Admission::GiveUp);
        rig.unauthorized(0);
        rig.pool.run_until_stalled();
        assert_eq!((rig.refreshes.get(), rig.failures.get()), (1, 1));
        assert_eq!(rig.results.borrow().len(), 5);
    }

    #[test]
    fn a_refresh_outlives_its_starter() {
        let mut rig = Rig::new();
        // The leader's wait is dropped at once; the refresh stays pending.
        drop(rig.gate.unauthorized(
            0,
            {
                let answer = rig.answer.clone();
                move || {
                    let (tx, rx) = oneshot::channel();
                    *answer.borrow_mut() = Some(tx);
                    async move { rx.await.unwrap_or(Err(ApiError::Aborted)) }.boxed_local()
                }
            },
            |_| {},
        ));
        assert!(rig.gate.is_refreshing());
        rig.unauthorized(0);
        rig.pool.run_until_stalled();
        assert_eq!(rig.refreshes.get(), 0, "joined, did not start another");
        rig.answer(Ok(()));
        assert_eq!(*rig.results.borrow(), vec![Ok(())]);
        assert!(!rig.gate.is_refreshing());
    }
}
