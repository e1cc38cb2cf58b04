//! In-flight dedupe: while a call for a key is running, another call for
//! the same key joins it instead of starting its own, and every caller
//! gets (a clone of) its result.
//!
//! The table holds only weak references: when every caller of a run has
//! gone, the run is dropped (so its request is aborted) and the next
//! caller starts afresh. A finished run leaves the table, so later calls
//! ask again: this dedupes concurrent twins, it is not a cache.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures::future::{LocalBoxFuture, Shared, WeakShared};
use futures::FutureExt;

/// A run of one key, shared by its callers.
pub type SharedRun<V> = Shared<LocalBoxFuture<'static, V>>;

struct Entry<V> {
    id: u64,
    run: WeakShared<LocalBoxFuture<'static, V>>,
}

pub struct InFlight<V> {
    entries: Rc<RefCell<HashMap<String, Entry<V>>>>,
    next_id: Cell<u64>,
}

impl<V> Default for InFlight<V> {
    fn default() -> Self {
        Self {
            entries: Rc::default(),
            next_id: Cell::new(0),
        }
    }
}

/// Whether a caller started the run or joined one already in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    Started,
    Joined,
}

impl<V: Clone + 'static> InFlight<V> {
    pub fn new() -> Self {
        Self::default()
    }

    /// The run in flight for `key`, or a new one made by `start`.
    pub fn run(
        &self,
        key: &str,
        start: impl FnOnce() -> LocalBoxFuture<'static, V>,
    ) -> (SharedRun<V>, Joined) {
        let mut entries = self.entries.borrow_mut();
        if let Some(run) = entries.get(key).and_then(|e| e.run.upgrade()) {
            return (run, Joined::Joined);
        }
        // Forget runs whose callers have all gone.
        entries.retain(|_, e| e.run.upgrade().is_some());

        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let table = Rc::downgrade(&self.entries);
        let owned_key = key.to_owned();
        let work = start();
        let run = async move {
            let value = work.await;
            // Leave the table, unless a newer run of the key took the slot.
            if let Some(table) = table.upgrade() {
                let mut entries = table.borrow_mut();
                if entries.get(&owned_key).is_some_and(|e| e.id == id) {
                    entries.remove(&owned_key);
                }
            }
            value
        }
        .boxed_local()
        .shared();
        if let Some(weak) = run.downgrade() {
            entries.insert(key.to_owned(), Entry { id, run: weak });
        }
        (run, Joined::Started)
    }

    /// How many keys have a run with callers still waiting.
    pub fn len(&self) -> usize {
        self.entries
            .borrow()
            .values()
            .filter(|e| e.run.upgrade().is_some())
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::channel::oneshot;
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;

    type Table = InFlight<Result<u32, String>>;

    /// A run that ends when the returned sender is used, counting starts.
    fn gated(
        starts: &Rc<Cell<u32>>,
    ) -> (
        oneshot::Sender<u32>,
        LocalBoxFuture<'static, Result<u32, String>>,
    ) {
        let (tx, rx) = oneshot::channel();
        starts.set(starts.get() + 1);
        (
            tx,
            async move { rx.await.map_err(|_| "dropped".to_owned()) }.boxed_local(),
        )
    }

    #[test]
    fn twins_share_one_run_and_each_gets_the_result() {
        let table = Table::new();
        let starts = Rc::new(Cell::new(0));
        let mut gate = None;
        let (a, first) = table.run("GET /x", || {
            let (tx, run) = gated(&starts);
            gate = Some(tx);
            run
        });
        let (b, second) = table.run("GET /x", || unreachable!("joins instead"));
        let (c, third) = table.run("GET /y", || gated(&starts).1);
        assert_eq!(
            (first, second, third),
            (Joined::Started, Joined::Joined, Joined::Started)
        );
        assert_eq!(starts.get(), 2);
        assert_eq!(table.len(), 2);
        drop(c);
        assert_eq!(table.len(), 1, "a run nobody waits for is gone");

        gate.take().unwrap().send(7).unwrap();
        let (a, b) = futures::executor::block_on(futures::future::join(a, b));
        assert_eq!((a, b), (Ok(7), Ok(7)));
        assert!(table.is_empty(), "a finished run leaves the table");

        let (_, again) = table.run("GET /x", || gated(&starts).1);
        assert_eq!(again, Joined::Started, "later calls ask again");
    }

    #[test]
    fn the_run_survives_its_starter_and_dies_with_its_last_caller() {
        let mut pool = LocalPool::new();
        let table = Rc::new(Table::new());
        let starts = Rc::new(Cell::new(0));
        let (tx, run) = gated(&starts);
        let (starter, _) = table.run("k", move || run);
        let (joiner, how) = table.run("k", || unreachable!());
        assert_eq!(how, Joined::Joined);
        drop(starter);
        let out = Rc::new(RefCell::new(None));
        let sink = out.clone();
        pool.spawner()
            .spawn_local(async move { *sink.borrow_mut() = Some(joiner.await) })
            .unwrap();
        pool.run_until_stalled();
        tx.send(3).unwrap();
        pool.run_until_stalled();
        assert_eq!(*out.borrow(), Some(Ok(3)));

        // Every caller gone before the end: the work is dropped.
        let (tx, run) = gated(&starts);
        let (only, _) = table.run("k", move || run);
        drop(only);
        assert!(tx.is_canceled(), "the run's future was dropped");
        let (_, how) = table.run("k", || gated(&starts).1);
        assert_eq!(how, Joined::Started);
    }
}
