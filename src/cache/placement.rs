//! Where a created, changed or deleted entity goes in the cached pages of
//! one sorted list: pure functions over the pages' ids, so every case is
//! tested without a cache around them.
//!
//! The pages of one list (one filter, one page size) are handled together,
//! in page order, as the server's pages are windows onto one sorted
//! sequence: a row inserted on page 2 pushes page 2's last row onto page 3,
//! and a row removed from page 2 pulls page 3's first row up. Where the
//! neighbouring page that would give or take that row is not cached, the
//! page cannot be known here and is marked stale (the caller refetches only
//! it); everything else is decided on the client.

use std::cmp::Ordering;

use uuid::Uuid;

/// One cached page of a sorted list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// 1-based page number.
    pub page: u32,
    /// Rows per page.
    pub limit: u32,
    /// Rows in the whole list.
    pub total: u64,
    /// The page's rows, in order.
    pub ids: Vec<Uuid>,
    /// The page's rows cannot be decided here: refetch it.
    pub stale: bool,
}

impl Window {
    /// Whether rows follow this page in the whole list.
    fn has_next(&self, total: u64) -> bool {
        u64::from(self.page) * u64::from(self.limit) < total
    }

    /// Where a row ranked by `rank` (its order against each row here; `None`
    /// when a row cannot be compared) goes: the number of rows before it.
    fn position(&self, rank: &impl Fn(Uuid) -> Option<Ordering>) -> Option<usize> {
        let mut before = 0;
        for id in &self.ids {
            match rank(*id)? {
                Ordering::Greater => before += 1,
                Ordering::Less | Ordering::Equal => break,
            }
        }
        Some(before)
    }
}

/// Inserts `id` into `windows` (one list's cached pages, in page order),
/// the row it names belonging to the list; `rank(row)` orders it against
/// `row`. Totals grow by one.
pub fn insert(windows: &mut [Window], id: Uuid, rank: impl Fn(Uuid) -> Option<Ordering>) {
    let mut previous: Option<u32> = None;
    // A row pushed off the end of the previous page, for the front of the
    // next; `shifting` while the pages after the insertion move down one.
    let mut carry: Option<Uuid> = None;
    let mut shifting = false;
    let mut placed = false;
    // Whether the page before was full (a row after all of its rows then
    // opens this page).
    let mut previous_full = false;
    for w in windows.iter_mut() {
        w.total += 1;
        let contiguous = w.page > 1 && previous == Some(w.page - 1) && previous_full;
        previous = Some(w.page);
        previous_full = w.ids.len() >= w.limit as usize;
        if w.ids.contains(&id) {
            placed = true;
            continue;
        }
        if shifting {
            match carry.take().filter(|_| contiguous) {
                Some(row) => w.ids.insert(0, row),
                None => {
                    w.stale = true;
                    continue;
                }
            }
        } else if !placed {
            let Some(pos) = w.position(&rank) else {
                w.stale = true;
                shifting = true;
                continue;
            };
            let starts_list = w.page == 1 || pos > 0 || contiguous;
            let exists = u64::from(w.page - 1) * u64::from(w.limit) < w.total;
            if !starts_list {
                // The row goes on an earlier page that is not cached, or
                // at this page's front: either way this page moves.
                if exists {
                    w.stale = true;
                    shifting = true;
                }
                continue;
            }
            if pos < w.ids.len() || w.ids.len() < w.limit as usize {
                w.ids.insert(pos, id);
                placed = true;
            }
        }
        if w.ids.len() > w.limit as usize {
            carry = w.ids.pop();
            shifting = true;
        } else {
            carry = None;
            shifting = false;
        }
    }
}

/// Moves `id`, a row that stays in the list with a new sort key, within
/// the cached page holding it, when its new place is inside that page: no
/// row enters or leaves any page then, so nothing needs the server. `rank`
/// orders the row at its new key against each other row. `false` (nothing
/// changed) when no cached page holds it or its new place may lie on a
/// neighbouring page: the caller removes and inserts it instead.
pub fn reorder(windows: &mut [Window], id: Uuid, rank: impl Fn(Uuid) -> Option<Ordering>) -> bool {
    let Some(w) = windows.iter_mut().find(|w| w.ids.contains(&id)) else {
        return false;
    };
    let mut rest = w.clone();
    rest.ids.retain(|row| *row != id);
    let Some(pos) = rest.position(&rank) else {
        return false;
    };
    // At the front it may belong on the page before; at the end, on the
    // page after (unless none follows).
    let after_front = pos > 0 || w.page == 1;
    let before_end = pos < rest.ids.len() || !w.has_next(w.total);
    if !(after_front && before_end) {
        return false;
    }
    rest.ids.insert(pos, id);
    w.ids = rest.ids;
    true
}

/// Removes `id` from `windows` (one list's cached pages, in page order);
/// `rank(row)` orders the removed row against `row`. When the row belonged
/// to the list (`member`) the totals drop by one.
pub fn remove(
    windows: &mut [Window],
    id: Uuid,
    member: bool,
    rank: impl Fn(Uuid) -> Option<Ordering>,
) {
    // The index of the page before, if it is short of its last row and
    // the page after it must give it.
    let mut short: Option<usize> = None;
    for i in 0..windows.len() {
        let old_total = windows[i].total;
        let w = &mut windows[i];
        let contiguous = i > 0 && w.page > 1;
        let before_page = if contiguous { w.page - 1 } else { 0 };
        if member {
            w.total = w.total.saturating_sub(1);
        }
        let lost = if let Some(pos) = w.ids.iter().position(|x| *x == id) {
            w.ids.remove(pos);
            Some(None)
        } else {
            match w.ids.first().map(|first| rank(*first)) {
                // The removed row came before this page: its first row
                // moves up to the page before.
                Some(Some(Ordering::Less)) if member => Some(Some(w.ids.remove(0))),
                Some(None) => {
                    w.stale = true;
                    None
                }
                _ => None,
            }
        };
        let needs_tail = |w: &Window| w.ids.len() < w.limit as usize && w.has_next(old_total);
        if let Some(given) = lost {
            let full_before = w.ids.len() + 1 == w.limit as usize;
            let gets_tail = full_before && needs_tail(w);
            if let (Some(row), Some(s)) = (given, short) {
                if windows[s].page == before_page {
                    windows[s].ids.push(row);
                    short = None;
                }
            }
            if let Some(s) = short.take() {
                windows[s].stale = true;
            }
            if gets_tail {
                short = Some(i);
            }
        } else if let Some(s) = short.take() {
            windows[s].stale = true;
        }
    }
    if let Some(s) = short {
        windows[s].stale = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// Rows are numbered; a row's number is its sort key.
    fn rank_of(n: u128) -> impl Fn(Uuid) -> Option<Ordering> {
        move |row: Uuid| Some(n.cmp(&row.as_u128()))
    }

    fn window(page: u32, limit: u32, total: u64, rows: &[u128]) -> Window {
        Window {
            page,
            limit,
            total,
            ids: rows.iter().map(|n| id(*n)).collect(),
            stale: false,
        }
    }

    fn rows(w: &Window) -> Vec<u128> {
        w.ids.iter().map(|u| u.as_u128()).collect()
    }

    #[test]
    fn a_row_whose_new_key_stays_inside_its_page_moves_there_alone() {
        // Page 2 of 3 cached alone; row 5 gets the key 7.5 (between 7 and 8).
        let mut pages = vec![window(2, 4, 12, &[5, 6, 7, 8])];
        let rank = |row: Uuid| Some((row.as_u128() * 10).cmp(&75).reverse());
        assert!(reorder(&mut pages, id(5), rank));
        assert_eq!(rows(&pages[0]), [6, 7, 5, 8]);
        assert!(!pages[0].stale);
        assert_eq!(pages[0].total, 12);

        // Past the last row of a page with pages after it: not decided here.
        let mut pages = vec![window(2, 4, 12, &[5, 6, 7, 8])];
        assert!(!reorder(&mut pages, id(5), rank_of(9)));
        assert_eq!(rows(&pages[0]), [5, 6, 7, 8], "unchanged");
        // Before the first row of page 2: it may belong on page 1.
        let mut pages = vec![window(2, 4, 12, &[5, 6, 7, 8])];
        assert!(!reorder(&mut pages, id(8), rank_of(4)));
        // On the last page, past its last row is still inside the list.
        let mut pages = vec![window(3, 4, 12, &[9, 10, 11, 12])];
        assert!(reorder(&mut pages, id(9), rank_of(13)));
        assert_eq!(rows(&pages[0]), [10, 11, 12, 9]);
        // Not on any cached page.
        assert!(!reorder(&mut pages, id(1), rank_of(10)));
    }

    /// Every page of a list of `all` rows (numbered, sorted), `limit` each.
    fn pages_of(all: &[u128], limit: u32, pages: &[u32]) -> Vec<Window> {
        pages
            .iter()
            .map(|&p| {
                let start = ((p - 1) * limit) as usize;
                let end = (start + limit as usize).min(all.len());
                window(p, limit, all.len() as u64, &all[start.min(end)..end])
            })
            .collect()
    }

    #[test]
    fn an_insert_pushes_the_last_row_onto_the_next_cached_page() {
        let all = [10, 20, 30, 40, 50];
        let mut pages = pages_of(&all, 2, &[1, 2, 3]);
        insert(&mut pages, id(15), rank_of(15));
        let mut grown = all.to_vec();
        grown.push(15);
        grown.sort();
        assert_eq!(pages, pages_of(&grown, 2, &[1, 2, 3]));
    }

    #[test]
    fn an_insert_after_a_full_page_opens_the_next() {
        let mut pages = pages_of(&[10, 20, 30, 40], 2, &[1, 2]);
        insert(&mut pages, id(50), rank_of(50));
        assert_eq!(pages, pages_of(&[10, 20, 30, 40, 50], 2, &[1, 2]));
        let mut short = pages_of(&[10, 20, 30], 2, &[1, 2]);
        insert(&mut short, id(35), rank_of(35));
        assert_eq!(short, pages_of(&[10, 20, 30, 35], 2, &[1, 2]));
    }

    #[test]
    fn a_page_whose_neighbour_is_not_cached_is_stale() {
        let mut pages = pages_of(&[10, 20, 30, 40, 50, 60], 2, &[1, 3]);
        insert(&mut pages, id(15), rank_of(15));
        assert_eq!(rows(&pages[0]), [10, 15]);
        assert!(!pages[0].stale);
        assert!(
            pages[1].stale,
            "page 3 takes a row from the uncached page 2"
        );
        assert_eq!(pages[1].total, 7);

        let mut later = pages_of(&[10, 20, 30, 40, 50, 60], 2, &[2]);
        insert(&mut later, id(5), rank_of(5));
        assert!(later[0].stale, "the row may go on page 1, or here");
        let mut after = pages_of(&[10, 20, 30, 40, 50, 60], 2, &[1]);
        insert(&mut after, id(70), rank_of(70));
        assert_eq!(after, pages_of(&[10, 20, 30, 40, 50, 60, 70], 2, &[1]));
    }

    #[test]
    fn a_removal_pulls_the_next_rows_up() {
        let all = [10, 20, 30, 40, 50];
        let mut pages = pages_of(&all, 2, &[1, 2, 3]);
        remove(&mut pages, id(20), true, rank_of(20));
        assert_eq!(pages, pages_of(&[10, 30, 40, 50], 2, &[1, 2, 3]));
        let mut tail = pages_of(&all, 2, &[2, 3]);
        remove(&mut tail, id(10), true, rank_of(10));
        assert_eq!(tail, pages_of(&[20, 30, 40, 50], 2, &[2, 3]));
    }

    #[test]
    fn a_removal_without_the_next_page_cached_marks_the_short_page() {
        let mut pages = pages_of(&[10, 20, 30, 40, 50], 2, &[1]);
        remove(&mut pages, id(20), true, rank_of(20));
        assert_eq!(rows(&pages[0]), [10]);
        assert!(pages[0].stale);
        assert_eq!(pages[0].total, 4);
        let mut last = pages_of(&[10, 20, 30], 2, &[1, 2]);
        remove(&mut last, id(30), true, rank_of(30));
        assert_eq!(last, pages_of(&[10, 20], 2, &[1, 2]));
    }

    #[test]
    fn a_row_outside_the_list_changes_nothing_and_an_unknown_order_is_stale() {
        let mut pages = pages_of(&[10, 20], 2, &[1]);
        remove(&mut pages, id(5), false, rank_of(5));
        assert_eq!(pages, pages_of(&[10, 20], 2, &[1]));
        insert(&mut pages, id(15), |_| None);
        assert!(pages[0].stale);
    }
}
