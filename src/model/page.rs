//! The two list shapes: numbered pages (users) and keyset pages (posts).

use serde::{Deserialize, Serialize};

/// Where a numbered page sits in its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    /// 1-based.
    pub page: u32,
    pub limit: u32,
    /// Rows matching the filter across all pages.
    pub total: u64,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl Pagination {
    pub fn new(page: u32, limit: u32, total: u64) -> Self {
        Self {
            page,
            limit,
            total,
            has_next_page: u64::from(page) * u64::from(limit) < total,
            has_previous_page: page > 1,
        }
    }

    /// Number of pages, at least 1 so "page 1 of 1" reads right when empty.
    pub fn page_count(&self) -> u64 {
        self.total.div_ceil(u64::from(self.limit.max(1))).max(1)
    }
}

/// One numbered page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub data: Vec<T>,
    pub pagination: Pagination,
}

/// One keyset page: pass `nextCursor` back as `cursor` for the next
/// (older) page, `prevCursor` as `before` for the previous (newer) one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CursorPage<T> {
    pub data: Vec<T>,
    /// Set when older entries follow (`hasMore`).
    pub next_cursor: Option<String>,
    pub has_more: bool,
    /// Set when newer entries precede this page; `null` at the head.
    #[serde(default)]
    pub prev_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_flags() {
        let p = Pagination::new(1, 20, 45);
        assert!(p.has_next_page && !p.has_previous_page);
        assert_eq!(p.page_count(), 3);
        let last = Pagination::new(3, 20, 45);
        assert!(!last.has_next_page && last.has_previous_page);
        assert_eq!(Pagination::new(1, 20, 0).page_count(), 1);
        assert!(!Pagination::new(1, 20, 20).has_next_page);
    }
}
