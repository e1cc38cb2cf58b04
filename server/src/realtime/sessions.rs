//! The open sockets by user: how many each user may hold, and the end of
//! the session a socket serves.
//!
//! A socket takes a [`Seat`] once it is signed in and holds it for its
//! life; the seat names the user, their role and the sign-in session
//! (refresh family) its token came from. A seat is refused when the user
//! already holds `per_user` sockets or the server `total`. The hub ends
//! seats when their session ends: on sign-out (this session), when the
//! user is deleted (every session), and when their role changes (every
//! seat holding a token of the old role, which must reconnect with a fresh
//! one). Each instance learns these from its own tail of the log and from
//! the sign-out notifications (see [`super::listener`]), so sockets end on
//! every instance.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use tidings::Role;
use tokio::sync::Notify;
use uuid::Uuid;

use super::tail::AccountChange;

/// Why a seat ended; each is a close code and reason for the client (see
/// `tidings::protocol::close_code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// The user signed out of this session (or it was revoked).
    SignedOut,
    /// The user was deleted.
    Deleted,
    /// The user's role changed: reconnect with a fresh token.
    RoleChanged,
}

/// Most sockets one user, and the whole server, may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketLimits {
    pub per_user: usize,
    pub total: usize,
}

impl Default for SocketLimits {
    fn default() -> Self {
        Self {
            per_user: 16,
            total: 100_000,
        }
    }
}

/// Why a seat was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The user holds `per_user` sockets already.
    PerUser(usize),
    /// The server holds `total` sockets already.
    Total(usize),
}

impl Refusal {
    /// The reason, for an error frame or answer.
    pub fn message(self) -> String {
        match self {
            Refusal::PerUser(n) => {
                format!("a user may hold at most {n} realtime sockets; close one first")
            }
            Refusal::Total(_) => "the server holds as many realtime sockets as it may".into(),
        }
    }
}

/// The registry; one per hub.
#[derive(Debug, Default)]
pub struct Sessions {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    by_user: HashMap<Uuid, Vec<Holder>>,
    total: usize,
    next: u64,
}

#[derive(Debug)]
struct Holder {
    id: u64,
    session: Option<Uuid>,
    role: Role,
    ending: Arc<Ending>,
}

#[derive(Debug, Default)]
struct Ending {
    reason: OnceLock<SessionEnd>,
    notify: Notify,
}

impl Ending {
    fn end(&self, reason: SessionEnd) {
        if self.reason.set(reason).is_ok() {
            self.notify.notify_one();
        }
    }
}

impl Sessions {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A seat for a socket of `user` with `role`, signed in through
    /// `session`, within `limits`.
    pub fn admit(
        self: &Arc<Self>,
        user: Uuid,
        role: Role,
        session: Option<Uuid>,
        limits: SocketLimits,
    ) -> Result<Seat, Refusal> {
        let mut state = self.state();
        if state.total >= limits.total {
            return Err(Refusal::Total(limits.total));
        }
        let held = state.by_user.get(&user).map_or(0, Vec::len);
        if held >= limits.per_user {
            return Err(Refusal::PerUser(limits.per_user));
        }
        state.next += 1;
        state.total += 1;
        let id = state.next;
        let ending = Arc::new(Ending::default());
        state.by_user.entry(user).or_default().push(Holder {
            id,
            session,
            role,
            ending: ending.clone(),
        });
        Ok(Seat {
            sessions: self.clone(),
            user,
            id,
            ending,
        })
    }

    /// Sockets open now, of everyone.
    pub fn total(&self) -> usize {
        self.state().total
    }

    /// Ends the seats of `user`'s `session`.
    pub fn end_session(&self, user: Uuid, session: Uuid) {
        self.end_where(user, SessionEnd::SignedOut, |h| h.session == Some(session));
    }

    /// Applies a change of an account (from the log) to its seats.
    pub fn follow(&self, change: AccountChange) {
        match change {
            AccountChange::Deleted(user) => self.end_where(user, SessionEnd::Deleted, |_| true),
            AccountChange::Role(user, role) => {
                self.end_where(user, SessionEnd::RoleChanged, |h| h.role != role)
            }
        }
    }

    fn end_where(&self, user: Uuid, reason: SessionEnd, which: impl Fn(&Holder) -> bool) {
        let state = self.state();
        for holder in state.by_user.get(&user).into_iter().flatten() {
            if which(holder) {
                holder.ending.end(reason);
            }
        }
    }

    fn update(&self, user: Uuid, id: u64, role: Role, session: Option<Uuid>) {
        let mut state = self.state();
        if let Some(holder) = state
            .by_user
            .get_mut(&user)
            .and_then(|seats| seats.iter_mut().find(|h| h.id == id))
        {
            holder.role = role;
            holder.session = session;
        }
    }

    fn release(&self, user: Uuid, id: u64) {
        let mut state = self.state();
        if let Some(seats) = state.by_user.get_mut(&user) {
            let before = seats.len();
            seats.retain(|h| h.id != id);
            let removed = before - seats.len();
            if seats.is_empty() {
                state.by_user.remove(&user);
            }
            state.total -= removed;
        }
    }
}

/// One socket's place in the registry; released when dropped.
#[derive(Debug)]
pub struct Seat {
    sessions: Arc<Sessions>,
    user: Uuid,
    id: u64,
    ending: Arc<Ending>,
}

impl Seat {
    pub fn user(&self) -> Uuid {
        self.user
    }

    /// The socket re-authenticated: its token now carries `role` and
    /// `session`.
    pub fn renew(&self, role: Role, session: Option<Uuid>) {
        self.sessions.update(self.user, self.id, role, session);
    }

    /// Resolves when the seat's session ends, with why. Cancel-safe.
    pub async fn ended(&self) -> SessionEnd {
        loop {
            let notified = self.ending.notify.notified();
            if let Some(reason) = self.ending.reason.get() {
                return *reason;
            }
            notified.await;
        }
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.sessions.release(self.user, self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const LIMITS: SocketLimits = SocketLimits {
        per_user: 2,
        total: 3,
    };

    async fn ends_with(seat: &Seat) -> Option<SessionEnd> {
        tokio::time::timeout(Duration::from_millis(50), seat.ended())
            .await
            .ok()
    }

    #[tokio::test]
    async fn seats_are_limited_per_user_and_in_total_and_freed_on_drop() {
        let sessions = Arc::new(Sessions::default());
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let a1 = sessions.admit(a, Role::User, None, LIMITS).unwrap();
        let _a2 = sessions.admit(a, Role::User, None, LIMITS).unwrap();
        assert_eq!(
            sessions.admit(a, Role::User, None, LIMITS).unwrap_err(),
            Refusal::PerUser(2)
        );
        let _b1 = sessions.admit(b, Role::User, None, LIMITS).unwrap();
        assert_eq!(
            sessions.admit(b, Role::User, None, LIMITS).unwrap_err(),
            Refusal::Total(3)
        );
        drop(a1);
        assert_eq!(sessions.total(), 2);
        assert!(sessions.admit(a, Role::User, None, LIMITS).is_ok());
    }

    #[tokio::test]
    async fn sign_out_deletion_and_role_changes_end_the_right_seats() {
        let sessions = Arc::new(Sessions::default());
        let limits = SocketLimits::default();
        let (user, s1, s2) = (Uuid::from_u128(1), Uuid::from_u128(10), Uuid::from_u128(11));
        let one = sessions.admit(user, Role::Admin, Some(s1), limits).unwrap();
        let two = sessions.admit(user, Role::Admin, Some(s2), limits).unwrap();
        let other = sessions
            .admit(Uuid::from_u128(2), Role::Admin, Some(s1), limits)
            .unwrap();
        sessions.end_session(user, s1);
        assert_eq!(ends_with(&one).await, Some(SessionEnd::SignedOut));
        assert_eq!(ends_with(&two).await, None);
        assert_eq!(ends_with(&other).await, None);
        // The same role again changes nothing; another role ends the seat.
        sessions.follow(AccountChange::Role(user, Role::Admin));
        assert_eq!(ends_with(&two).await, None);
        two.renew(Role::User, Some(s2));
        sessions.follow(AccountChange::Role(user, Role::User));
        assert_eq!(ends_with(&two).await, None);
        sessions.follow(AccountChange::Role(user, Role::Moderator));
        assert_eq!(ends_with(&two).await, Some(SessionEnd::RoleChanged));
        sessions.follow(AccountChange::Deleted(Uuid::from_u128(2)));
        assert_eq!(ends_with(&other).await, Some(SessionEnd::Deleted));
        // The first reason stays.
        sessions.follow(AccountChange::Deleted(user));
        assert_eq!(ends_with(&one).await, Some(SessionEnd::SignedOut));
    }
}
