//! A hook's query as the UI reads it ([`Snapshot`]), recomputed when the
//! observer moves, its key's trigger fires or the resource settles.
//!
//! The snapshot is plain data compared for equality, so each signal a hook
//! exposes (flags, error, data) re-runs only when its part changed, and the
//! typed data is decoded only when [`Shown`] says the data changed.

use leptos::prelude::*;
use serde_json::Value;
use tidings::cache::{
    InfiniteData, InfiniteOptions, KeyHash, Millis, PageDirection, QueryError, QueryKey,
    QueryStatus,
};

use super::handle::{lock, QueryClientHandle};
use super::loaded::Loaded;
use super::observer::ObserverSlot;

/// Where the data a hook shows comes from; changes exactly when that data
/// does, so typed data is decoded once per change.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) enum Shown {
    /// No data.
    #[default]
    Nothing,
    /// The engine's view of the observer: own data (at its `revision`:
    /// an equal answer keeps it) or placeholder / previous data.
    Cached {
        key: KeyHash,
        revision: u32,
        placeholder: bool,
    },
    /// The last loaded value of the resource, for another key (the new
    /// key is loading).
    Loaded { key: KeyHash, at: Millis },
}

/// A hook's query as the UI reads it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Snapshot {
    pub(crate) key: Option<QueryKey>,
    pub(crate) status: QueryStatus,
    pub(crate) fetching: bool,
    pub(crate) stale: bool,
    pub(crate) error: Option<QueryError>,
    pub(crate) shown: Shown,
    /// Which way the page fetch in flight goes (infinite queries).
    pub(crate) page_fetch: Option<PageDirection>,
    pub(crate) has_next: bool,
    pub(crate) has_previous: bool,
}

impl Snapshot {
    /// The snapshot a resource's value alone gives (a server render): no
    /// value yet is a first load; a value is the query's own data or its
    /// final error, settled.
    pub(crate) fn of_loaded(loaded: Option<&Loaded>, paging: Option<&InfiniteOptions>) -> Self {
        let Some(loaded) = loaded else {
            return Self {
                fetching: true,
                ..Self::default()
            };
        };
        let status = match (&loaded.data, &loaded.error) {
            (Some(_), _) => QueryStatus::Success,
            (None, Some(_)) => QueryStatus::Error,
            (None, None) => QueryStatus::Pending,
        };
        let (has_next, has_previous) = page_flags(paging, loaded.data.as_ref());
        Self {
            key: Some(loaded.key.clone()),
            status,
            shown: match loaded.data {
                Some(_) => Shown::Cached {
                    key: loaded.key.hash(),
                    revision: 1,
                    placeholder: false,
                },
                None => Shown::Nothing,
            },
            has_next,
            has_previous,
            ..Self::default()
        }
    }

    pub(crate) fn is_placeholder(&self) -> bool {
        match &self.shown {
            Shown::Cached { placeholder, .. } => *placeholder,
            Shown::Loaded { .. } => true,
            Shown::Nothing => false,
        }
    }
}

/// Whether an infinite query holding `data` has a next and a previous page.
fn page_flags(paging: Option<&InfiniteOptions>, data: Option<&Value>) -> (bool, bool) {
    paging
        .zip(data)
        .and_then(|(paging, data)| Some((paging, InfiniteData::from_value(data)?)))
        .map_or((false, false), |(paging, data)| {
            (data.has_next_page(paging), data.has_previous_page(paging))
        })
}

impl QueryClientHandle {
    /// The snapshot of `slot`'s query, tracking its key.
    pub(crate) fn snapshot(
        &self,
        slot: &ObserverSlot,
        derived: AsyncDerived<Loaded>,
        paging: Option<&InfiniteOptions>,
    ) -> Snapshot {
        let Some((id, key)) = slot.current() else {
            return Snapshot::default();
        };
        let hash = key.hash();
        self.track_key(&hash);
        let loaded = derived.with_untracked(|l| {
            let l = l.as_ref().filter(|l| l.data.is_some())?;
            Some(Shown::Loaded {
                key: l.key.hash(),
                at: l.at,
            })
        });
        let fallback = loaded.filter(|s| !matches!(s, Shown::Loaded { key, .. } if *key == hash));
        let engine = lock(&self.0.engine);
        let Some(view) = engine.view(id) else {
            return Snapshot {
                key: Some(key),
                shown: fallback.unwrap_or_default(),
                ..Snapshot::default()
            };
        };
        let state = view.state;
        let page_fetch = state
            .is_fetching()
            .then(|| lock(&self.0.registry).pages.get(&hash).copied())
            .flatten();
        let shown = match &view.data {
            Some(_) => Shown::Cached {
                key: hash,
                revision: state.data_revision,
                placeholder: view.is_placeholder,
            },
            None => fallback.unwrap_or_default(),
        };
        let (has_next, has_previous) = page_flags(
            paging,
            view.data.as_deref().filter(|_| !view.is_placeholder),
        );
        Snapshot {
            key: Some(key),
            status: state.status,
            fetching: state.is_fetching(),
            stale: view.is_stale,
            error: state.error.clone(),
            shown,
            page_fetch,
            has_next,
            has_previous,
        }
    }

    /// Applies `decode` to the data `shown` names.
    pub(crate) fn read_shown<R>(
        &self,
        slot: &ObserverSlot,
        derived: AsyncDerived<Loaded>,
        shown: &Shown,
        decode: impl FnOnce(&Value) -> R,
    ) -> Option<R> {
        match shown {
            Shown::Nothing => None,
            Shown::Cached { .. } => {
                let (id, _) = slot.current()?;
                self.read(|c| c.view(id)?.data.as_deref().map(decode))
            }
            Shown::Loaded { .. } => {
                derived.with_untracked(|l| l.as_ref()?.data.as_ref().map(decode))
            }
        }
    }
}
