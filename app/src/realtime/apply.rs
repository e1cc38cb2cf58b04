#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]
//! The machine's cache commands, performed on a [`QueryClientHandle`]:
//! events into the engine (exactly once, by seq), invalidations,
//! the refetch of everything after a `RESYNC`, writes shared by other tabs.
//! No browser API here, so it runs (and is tested) natively too.

use serde_json::Value;
use tidings::cache::{EventOutcome, FetchStart, QueryKey};
use tidings::protocol::Event;

use crate::query::QueryClientHandle;

/// What became of an event in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreOutcome {
    /// Applied under the optimistic layers.
    Applied,
    /// The store had applied this seq (or a later one) already.
    Duplicate,
    /// The payload could not be read: nothing changed.
    Unreadable(String),
}

/// Applies `event` to the engine: its store, and every cached list and
/// stat it concerns (see [`tidings::cache::QueryClient::apply_change_event`]). What the
/// engine could not decide on the client refetches now, if observed.
pub(crate) fn apply_event(client: &QueryClientHandle, event: &Event) -> StoreOutcome {
    let applied = client.update(|c| c.apply_change_event(event.seq, event.kind, &event.data));
    match applied {
        Ok(applied) => {
            client.run(applied.starts);
            match applied.outcome {
                EventOutcome::Applied => StoreOutcome::Applied,
                EventOutcome::Duplicate => StoreOutcome::Duplicate,
            }
        }
        Err(e) => StoreOutcome::Unreadable(e.to_string()),
    }
}

/// Sets the store's last applied seq to `seq` (after a `RESYNC`, which
/// may go backwards in a new epoch), keeping its entities and layers.
pub(crate) fn reset_seq(client: &QueryClientHandle, seq: u64) {
    client.update(|c| c.reset_event_seq(seq));
}

/// Invalidates every query: observed ones refetch now. Returns the fetches
/// started.
pub(crate) fn refetch_all(client: &QueryClientHandle) -> Vec<FetchStart> {
    let starts = client.update(|c| c.invalidate_prefix(&QueryKey::root()));
    client.run(starts.clone());
    starts
}

/// Whether any of `starts`' queries is still fetching.
pub(crate) fn still_fetching(client: &QueryClientHandle, starts: &[FetchStart]) -> bool {
    client.read(|c| {
        starts
            .iter()
            .any(|s| c.state(&s.key).is_some_and(|state| state.is_fetching()))
    })
}

/// Writes `data` as `key`'s data if this tab holds `key` (a tab does not
/// take in queries it never asked for). `true` when written.
pub(crate) fn write_query_data(client: &QueryClientHandle, key: &QueryKey, data: Value) -> bool {
    if !client.contains(key) {
        return false;
    }
    client.update(|c| c.set_query_data(key, data));
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Timers;
    use serde_json::json;
    use tidings::cache::{FakeClock, QueryOptions};
    use tidings::protocol::EventKind;
    use uuid::Uuid;

    fn client() -> QueryClientHandle {
        QueryClientHandle::builder()
            .clock(FakeClock::default())
            .timers(Timers::Manual)
            .spawner(|_| {})
            .build()
    }

    /// `USER_UPDATED` of user 1, named `name` at `version`, as event `seq`.
    fn user_event(seq: u64, name: &str, version: i64) -> Event {
        let t = chrono::DateTime::UNIX_EPOCH;
        let user = tidings::User {
            id: Uuid::from_u128(1),
            name: tidings::Name::parse(name).unwrap(),
            email: tidings::Email::parse("ada@example.org").unwrap(),
            role: tidings::Role::User,
            avatar_url: None,
            last_active: t,
            preferences: tidings::Preferences::default(),
            created_at: t,
            updated_at: t,
            version,
        };
        Event {
            kind: EventKind::UserUpdated,
            seq,
            ts: t,
            actor: None,
            data: serde_json::to_value(&user).unwrap(),
        }
    }

    fn name(client: &QueryClientHandle) -> Option<String> {
        client.with_store_untracked(|s| {
            s.visible()
                .users
                .get(&Uuid::from_u128(1))
                .map(|u| u.name.to_string())
        })
    }

    #[test]
    fn events_apply_once_and_reset_moves_the_seq() {
        let client = client();
        let revision = |client: &QueryClientHandle| client.with_store_untracked(|s| s.revision());
        let last_seq = |client: &QueryClientHandle| client.with_store_untracked(|s| s.last_seq());
        assert_eq!(
            apply_event(&client, &user_event(2, "Ada", 1)),
            StoreOutcome::Applied
        );
        let applied = revision(&client);
        assert_eq!(
            apply_event(&client, &user_event(2, "Ada B.", 2)),
            StoreOutcome::Duplicate
        );
        assert_eq!(
            apply_event(&client, &user_event(1, "Ada C.", 3)),
            StoreOutcome::Duplicate
        );
        assert_eq!(revision(&client), applied, "untouched");
        assert_eq!(name(&client).as_deref(), Some("Ada"));

        let mut broken = user_event(3, "x", 4);
        broken.data = json!({"id": 5});
        assert!(matches!(
            apply_event(&client, &broken),
            StoreOutcome::Unreadable(_)
        ));
        assert_eq!(last_seq(&client), 2);

        // A new epoch starts over at 1: the store follows.
        reset_seq(&client, 0);
        assert_eq!(last_seq(&client), 0);
        assert_eq!(
            apply_event(&client, &user_event(1, "Ada D.", 5)),
            StoreOutcome::Applied
        );
        assert_eq!(name(&client).as_deref(), Some("Ada D."));
    }

    #[test]
    fn shared_writes_reach_only_queries_held() {
        let client = client();
        let held = QueryKey::new("users");
        client.update(|c| c.set_query_data(&held, json!([1])));
        assert!(write_query_data(&client, &held, json!([2])));
        assert_eq!(client.query_data::<Value>(&held), Some(json!([2])));
        let other = QueryKey::new("posts");
        assert!(!write_query_data(&client, &other, json!([3])));
        assert!(!client.contains(&other));
    }

    #[test]
    fn refetch_all_starts_observed_queries_only() {
        let client = client();
        let shown = QueryKey::new("users");
        let hidden = QueryKey::new("posts");
        client.update(|c| {
            c.set_query_data(&shown, json!([]));
            c.set_query_data(&hidden, json!([]));
            c.observe(&shown, QueryOptions::default());
        });
        let starts = refetch_all(&client);
        assert_eq!(starts.len(), 1);
        assert_eq!(starts[0].key, shown);
        // No fetcher is registered for it: the host cancels the fetch.
        assert!(!still_fetching(&client, &starts));
        assert!(client.read(|c| c.state(&hidden).unwrap().is_invalidated));
    }
}
