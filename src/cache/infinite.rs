//! Infinite queries: a list loaded page by page, forwards and backwards.
//!
//! The data of an infinite query is an [`InfiniteData`] (pages with the
//! param each was loaded with), stored in the cache as JSON like any other
//! query. [`InfiniteOptions`] say how to get from one page to the next
//! param (a cursor, a page number); `max_pages` bounds memory by dropping
//! pages from the end opposite to the one being extended. A refetch reloads
//! every page in order, recomputing each param from the fresh page before
//! it, so a cursor list stays consistent after rows were inserted.

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// From a page and the param it was loaded with to the param of its
/// neighbour, or `None` when there is none.
pub type PageParamFn = Arc<dyn Fn(&Value, &Value) -> Option<Value> + Send + Sync>;

/// How an infinite query pages.
#[derive(Clone)]
pub struct InfiniteOptions {
    /// The param of the first page loaded.
    pub initial_page_param: Value,
    /// Last page and its param -> the next page's param.
    pub next_page_param: PageParamFn,
    /// First page and its param -> the previous page's param (if paging back
    /// is possible at all).
    pub previous_page_param: Option<PageParamFn>,
    /// Keep at most this many pages.
    pub max_pages: Option<usize>,
}

impl fmt::Debug for InfiniteOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InfiniteOptions")
            .field("initial_page_param", &self.initial_page_param)
            .field("backwards", &self.previous_page_param.is_some())
            .field("max_pages", &self.max_pages)
            .finish()
    }
}

impl InfiniteOptions {
    /// Pages forward only, starting at `initial_page_param`.
    pub fn new(
        initial_page_param: Value,
        next: impl Fn(&Value, &Value) -> Option<Value> + Send + Sync + 'static,
    ) -> Self {
        Self {
            initial_page_param,
            next_page_param: Arc::new(next),
            previous_page_param: None,
            max_pages: None,
        }
    }

    /// Also pages backwards with `previous`.
    pub fn with_previous(
        mut self,
        previous: impl Fn(&Value, &Value) -> Option<Value> + Send + Sync + 'static,
    ) -> Self {
        self.previous_page_param = Some(Arc::new(previous));
        self
    }

    /// Keeps at most `max` pages (at least one).
    pub fn max_pages(mut self, max: usize) -> Self {
        self.max_pages = Some(max.max(1));
        self
    }

    /// Keyset pages shaped `{data, nextCursor, hasMore, prevCursor}`, in
    /// both directions: starts at the head (`null`), follows `nextCursor`
    /// while `hasMore` and `prevCursor` while set, each param a
    /// [`KeysetParam`].
    pub fn cursor() -> Self {
        let param = |cursor: Option<&Value>, before: Option<&Value>| {
            let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
            let param = KeysetParam {
                cursor: text(cursor),
                before: text(before),
            };
            serde_json::to_value(param).expect("a param serializes")
        };
        Self::new(Value::Null, move |page, _| {
            let more = page.get("hasMore").and_then(Value::as_bool) == Some(true);
            let next = page.get("nextCursor").filter(|c| c.is_string())?;
            more.then(|| param(Some(next), None))
        })
        .with_previous(move |page, _| {
            let previous = page.get("prevCursor").filter(|c| c.is_string())?;
            Some(param(None, Some(previous)))
        })
    }

    /// Numbered pages shaped `{data, pagination:{hasNextPage,
    /// hasPreviousPage}}`, starting at `first`, in both directions.
    pub fn page_numbers(first: u64) -> Self {
        let flag = |page: &Value, name: &str| {
            page.get("pagination")
                .and_then(|p| p.get(name))
                .and_then(Value::as_bool)
                == Some(true)
        };
        Self::new(Value::from(first), move |page, param| {
            let n = param.as_u64()?;
            flag(page, "hasNextPage").then(|| Value::from(n + 1))
        })
        .with_previous(move |page, param| {
            let n = param.as_u64()?;
            (n > 1 && flag(page, "hasPreviousPage")).then(|| Value::from(n - 1))
        })
    }
}

/// A keyset page's param under [`InfiniteOptions::cursor`]: after a page
/// (`cursor`: its `nextCursor`) or before one (`before`: its
/// `prevCursor`); the head is `null`, so a fetcher takes an
/// `Option<KeysetParam>`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KeysetParam {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
}

/// The loaded pages of an infinite query, first to last.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InfiniteData {
    /// The pages as the server sent them.
    pub pages: Vec<Value>,
    /// The param each page was loaded with (same length as `pages`).
    pub page_params: Vec<Value>,
}

/// Which way a page fetch extends the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PageDirection {
    /// Load (or reload) from the first page.
    Refetch,
    /// Append after the last page.
    Forward,
    /// Prepend before the first page.
    Backward,
}

/// The page a host must fetch now.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    /// Where the page will go.
    pub direction: PageDirection,
    /// The param to fetch it with (cursor, page number...).
    pub param: Value,
}

impl InfiniteData {
    /// Reads infinite data stored in the cache.
    pub fn from_value(value: &Value) -> Option<Self> {
        Self::deserialize(value).ok()
    }

    /// The form stored in the cache.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("pages serialize")
    }

    /// Number of pages held.
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    /// Whether no page is held.
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// Every page as a `T`.
    pub fn pages_as<T: DeserializeOwned>(&self) -> Result<Vec<T>, serde_json::Error> {
        self.pages
            .iter()
            .cloned()
            .map(serde_json::from_value)
            .collect()
    }

    /// The param of the page after the last, if there is one.
    pub fn next_param(&self, options: &InfiniteOptions) -> Option<Value> {
        let (page, param) = (self.pages.last()?, self.page_params.last()?);
        (options.next_page_param)(page, param)
    }

    /// The param of the page before the first, if there is one.
    pub fn previous_param(&self, options: &InfiniteOptions) -> Option<Value> {
        let (page, param) = (self.pages.first()?, self.page_params.first()?);
        (options.previous_page_param.as_ref()?)(page, param)
    }

    /// Whether [`InfiniteData::next_param`] has a page to offer.
    pub fn has_next_page(&self, options: &InfiniteOptions) -> bool {
        self.next_param(options).is_some()
    }

    /// Whether [`InfiniteData::previous_param`] has a page to offer.
    pub fn has_previous_page(&self, options: &InfiniteOptions) -> bool {
        self.previous_param(options).is_some()
    }

    /// Adds `page`, loaded with `param`, at the end `direction` names
    /// (`Refetch` appends), then drops pages from the opposite end until at
    /// most `max_pages` remain.
    pub fn push_page(
        &mut self,
        direction: PageDirection,
        param: Value,
        page: Value,
        max_pages: Option<usize>,
    ) {
        let max = max_pages.unwrap_or(usize::MAX).max(1);
        if direction == PageDirection::Backward {
            self.pages.insert(0, page);
            self.page_params.insert(0, param);
            self.pages.truncate(max);
            self.page_params.truncate(max);
        } else {
            self.pages.push(page);
            self.page_params.push(param);
            let excess = self.pages.len().saturating_sub(max);
            self.pages.drain(..excess);
            self.page_params.drain(..excess);
        }
    }
}

/// An infinite fetch under way: the page being fetched and, for a refetch,
/// the pages reloaded so far.
#[derive(Debug, Clone)]
pub(crate) struct PageFetch {
    pub(crate) request: PageRequest,
    collected: InfiniteData,
    target: usize,
}

/// What to do after a page arrived.
pub(crate) enum PageStep {
    /// The query's new data.
    Done(Value),
    /// A refetch goes on with the page now in the fetch's request.
    Next,
}

/// Plans a page fetch in `direction` over the current `data`; `None` when
/// there is no page that way. Extending a list with no data loads the first
/// page.
pub(crate) fn plan(
    options: &InfiniteOptions,
    data: Option<&Value>,
    direction: PageDirection,
) -> Option<PageFetch> {
    let existing = data
        .and_then(InfiniteData::from_value)
        .filter(|d| !d.is_empty());
    let (direction, param, target) = match (direction, &existing) {
        (PageDirection::Forward, Some(d)) => (direction, d.next_param(options)?, 0),
        (PageDirection::Backward, Some(d)) => (direction, d.previous_param(options)?, 0),
        (_, Some(d)) => (PageDirection::Refetch, d.page_params[0].clone(), d.len()),
        (_, None) => (
            PageDirection::Refetch,
            options.initial_page_param.clone(),
            1,
        ),
    };
    Some(PageFetch {
        request: PageRequest { direction, param },
        collected: InfiniteData::default(),
        target,
    })
}

/// Takes the page the host fetched for `fetch`.
pub(crate) fn accept(
    fetch: &mut PageFetch,
    data: Option<&Value>,
    page: Value,
    options: &InfiniteOptions,
) -> PageStep {
    let param = fetch.request.param.clone();
    if fetch.request.direction == PageDirection::Refetch {
        fetch
            .collected
            .push_page(PageDirection::Refetch, param, page, options.max_pages);
        if fetch.collected.len() < fetch.target {
            if let Some(next) = fetch.collected.next_param(options) {
                fetch.request.param = next;
                return PageStep::Next;
            }
        }
        return PageStep::Done(fetch.collected.to_value());
    }
    let mut all = data.and_then(InfiniteData::from_value).unwrap_or_default();
    all.push_page(fetch.request.direction, param, page, options.max_pages);
    PageStep::Done(all.to_value())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn numbered(n: u64, has_prev: bool, has_next: bool) -> Value {
        json!({"data": [n], "pagination": {"page": n, "hasNextPage": has_next, "hasPreviousPage": has_prev}})
    }

    #[test]
    fn page_numbers_go_both_ways_and_cap() {
        let opts = InfiniteOptions::page_numbers(3).max_pages(2);
        let mut d = InfiniteData::default();
        d.push_page(
            PageDirection::Refetch,
            json!(3),
            numbered(3, true, true),
            opts.max_pages,
        );
        assert_eq!(d.next_param(&opts), Some(json!(4)));
        assert_eq!(d.previous_param(&opts), Some(json!(2)));
        d.push_page(
            PageDirection::Forward,
            json!(4),
            numbered(4, true, true),
            opts.max_pages,
        );
        d.push_page(
            PageDirection::Forward,
            json!(5),
            numbered(5, true, false),
            opts.max_pages,
        );
        assert_eq!(
            d.page_params,
            [json!(4), json!(5)],
            "page 3 dropped at the front"
        );
        assert!(!d.has_next_page(&opts));
        d.push_page(
            PageDirection::Backward,
            json!(3),
            numbered(3, true, true),
            opts.max_pages,
        );
        assert_eq!(
            d.page_params,
            [json!(3), json!(4)],
            "page 5 dropped at the back"
        );
        assert_eq!(d.pages_as::<Value>().unwrap().len(), 2);
        let back = InfiniteData::from_value(&d.to_value()).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn cursor_follows_next_cursor_while_has_more_and_prev_cursor_back() {
        let opts = InfiniteOptions::cursor();
        let page = |cursor: Option<&str>, more, prev: Option<&str>| json!({"data": [], "nextCursor": cursor, "hasMore": more, "prevCursor": prev});
        let next = |p: &Value| (opts.next_page_param)(p, &Value::Null);
        let previous = |p: &Value| (opts.previous_page_param.as_ref().unwrap())(p, &Value::Null);
        assert_eq!(
            next(&page(Some("c2"), true, None)),
            Some(json!({"cursor": "c2"}))
        );
        assert_eq!(next(&page(Some("c2"), false, None)), None);
        assert_eq!(next(&page(None, true, None)), None);
        assert_eq!(previous(&page(None, true, None)), None, "the head");
        assert_eq!(
            previous(&page(None, false, Some("c1"))),
            Some(json!({"before": "c1"}))
        );
        let param: Option<KeysetParam> =
            serde_json::from_value(previous(&page(None, false, Some("c1"))).unwrap()).unwrap();
        assert_eq!(param.unwrap().before.as_deref(), Some("c1"));
        let head: Option<KeysetParam> = serde_json::from_value(Value::Null).unwrap();
        assert_eq!(head, None);
    }

    #[test]
    fn refetch_reloads_every_page_in_order() {
        let opts = InfiniteOptions::page_numbers(1);
        let mut held = InfiniteData::default();
        for n in 1..=3 {
            held.push_page(
                PageDirection::Forward,
                json!(n),
                numbered(n, n > 1, true),
                None,
            );
        }
        let held = held.to_value();
        let mut fetch = plan(&opts, Some(&held), PageDirection::Refetch).unwrap();
        assert_eq!(fetch.request.param, json!(1));
        for n in 1..=3u64 {
            match accept(&mut fetch, Some(&held), numbered(n, n > 1, true), &opts) {
                PageStep::Next => assert_eq!(fetch.request.param, json!(n + 1)),
                PageStep::Done(v) => {
                    assert_eq!(n, 3);
                    assert_eq!(InfiniteData::from_value(&v).unwrap().len(), 3);
                }
            }
        }
        assert!(
            plan(&opts, None, PageDirection::Backward).is_some(),
            "no data: first page"
        );
    }
}
