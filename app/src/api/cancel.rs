//! Cancellation: a `CancelToken` the caller keeps, and [`cancellable`],
//! which ends any API call with [`ApiError::Aborted`] once the token is
//! cancelled.
//!
//! Cancelling drops the call's future; the browser transport aborts its
//! fetch (`AbortController`) when dropped, so the request really stops.
//! One token may cancel many calls (e.g. everything a page started).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use futures::future::{select, Either};

use super::error::ApiError;

#[derive(Clone, Default)]
pub struct CancelToken {
    inner: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    cancelled: bool,
    wakers: Vec<Waker>,
}

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave `State` half-written.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Cancels every call using this token, now and later.
    pub fn cancel(&self) {
        let wakers = {
            let mut state = self.state();
            state.cancelled = true;
            std::mem::take(&mut state.wakers)
        };
        for waker in wakers {
            waker.wake();
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.state().cancelled
    }

    /// Resolves once the token is cancelled.
    pub fn cancelled(&self) -> Cancelled {
        Cancelled {
            token: self.clone(),
        }
    }
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// The future of [`CancelToken::cancelled`].
pub struct Cancelled {
    token: CancelToken,
}

impl Future for Cancelled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.token.state();
        if state.cancelled {
            return Poll::Ready(());
        }
        if !state.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            state.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// Runs `call` until it ends or `token` is cancelled, whichever is first;
/// on cancellation `call` is dropped and the result is
/// [`ApiError::Aborted`].
pub async fn cancellable<T, F>(call: F, token: &CancelToken) -> Result<T, ApiError>
where
    F: Future<Output = Result<T, ApiError>>,
{
    if token.is_cancelled() {
        return Err(ApiError::Aborted);
    }
    let call = std::pin::pin!(call);
    match select(call, token.cancelled()).await {
        Either::Left((result, _)) => result,
        Either::Right(((), _)) => Err(ApiError::Aborted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::channel::oneshot;
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[test]
    fn cancelling_ends_every_waiting_call_with_aborted() {
        let mut pool = LocalPool::new();
        let token = CancelToken::new();
        let results = Rc::new(RefCell::new(Vec::new()));
        let mut senders = Vec::new();
        for _ in 0..3 {
            let (tx, rx) = oneshot::channel::<u32>();
            senders.push(tx);
            let token = token.clone();
            let results = results.clone();
            pool.spawner()
                .spawn_local(async move {
                    let call = async move { rx.await.map_err(|_| ApiError::Network("x".into())) };
                    let result = cancellable(call, &token).await;
                    results.borrow_mut().push(result);
                })
                .unwrap();
        }
        pool.run_until_stalled();
        assert!(results.borrow().is_empty());
        token.cancel();
        pool.run_until_stalled();
        assert_eq!(*results.borrow(), vec![Err(ApiError::Aborted); 3]);
        // The calls were dropped: their answers have nowhere to go.
        assert!(senders.into_iter().all(|tx| tx.send(1).is_err()));
    }

    #[test]
    fn a_finished_call_keeps_its_result_and_a_cancelled_token_stops_new_ones() {
        let token = CancelToken::new();
        let ok = futures::executor::block_on(cancellable(async { Ok(5) }, &token));
        assert_eq!(ok, Ok(5));
        token.cancel();
        assert!(token.is_cancelled());
        let started = Rc::new(RefCell::new(false));
        let flag = started.clone();
        let late = futures::executor::block_on(cancellable(
            async move {
                *flag.borrow_mut() = true;
                Ok(6)
            },
            &token,
        ));
        assert_eq!(late, Err(ApiError::Aborted));
        assert!(
            !*started.borrow(),
            "a call on a cancelled token never starts"
        );
    }
}
