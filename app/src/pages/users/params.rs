//! The users table's state as the address bar holds it: page, search,
//! role, "active in 24 h", sort column and direction, grouping. Kept in
//! the URL so a reload, a shared link or the back button shows the same
//! table. Parsing is forgiving (a bad value reads as its default), and
//! writing leaves defaults out, so `/users` stays `/users`.

use tidings::{Role, SortOrder, UserFilter, UserListQuery, UserSort};

use super::USERS_PER_PAGE;

/// What the users table shows; see the module docs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsersParams {
    /// 1-based.
    pub page: u32,
    pub filter: UserFilter,
    /// Rows grouped under role headings.
    pub grouped: bool,
}

impl UsersParams {
    /// Reads the parameters through `get` (a query-string lookup).
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> Self {
        let text = |key: &str| {
            get(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        Self {
            page: text("page")
                .and_then(|p| p.parse::<u32>().ok())
                .filter(|p| *p >= 1)
                .unwrap_or(1),
            filter: UserFilter {
                search: text("search"),
                role: text("role").and_then(|r| r.parse::<Role>().ok()),
                active: text("active").filter(|a| a == "true").map(|_| true),
                sort: text("sort")
                    .and_then(|s| s.parse::<UserSort>().ok())
                    .unwrap_or_default(),
                order: text("order")
                    .and_then(|o| o.parse::<SortOrder>().ok())
                    .unwrap_or_default(),
            },
            grouped: text("group").is_some_and(|g| g == "role"),
        }
    }

    /// The list request for this page.
    pub fn list_query(&self) -> UserListQuery {
        UserListQuery {
            filter: self.filter.clone(),
            page: self.page.max(1),
            limit: USERS_PER_PAGE,
        }
    }

    /// The address of this state, defaults left out.
    pub fn href(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(search) = &self.filter.search {
            pairs.push(("search", search.clone()));
        }
        if let Some(role) = self.filter.role {
            pairs.push(("role", role.as_str().to_owned()));
        }
        if self.filter.active == Some(true) {
            pairs.push(("active", "true".to_owned()));
        }
        if self.filter.sort != UserSort::default() || self.filter.order != SortOrder::default() {
            pairs.push(("sort", self.filter.sort.as_str().to_owned()));
            pairs.push(("order", self.filter.order.as_str().to_owned()));
        }
        if self.grouped {
            pairs.push(("group", "role".to_owned()));
        }
        if self.page > 1 {
            pairs.push(("page", self.page.to_string()));
        }
        let query: Vec<String> = pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={}", encode(&v)))
            .collect();
        if query.is_empty() {
            "/users".to_owned()
        } else {
            format!("/users?{}", query.join("&"))
        }
    }

    /// This state on page `page`.
    pub fn at_page(&self, page: u32) -> Self {
        Self {
            page,
            ..self.clone()
        }
    }

    /// This state with the filter changed by `change`, back on page 1.
    pub fn refiltered(&self, change: impl FnOnce(&mut UserFilter)) -> Self {
        let mut next = self.at_page(1);
        change(&mut next.filter);
        next
    }

    /// Sorted by `column`: a new column starts ascending, the current one
    /// flips direction. Back on page 1.
    pub fn sorted_by(&self, column: UserSort) -> Self {
        self.refiltered(|f| {
            f.order = if f.sort == column && f.order == SortOrder::Asc {
                SortOrder::Desc
            } else {
                SortOrder::Asc
            };
            f.sort = column;
        })
    }

    /// The `aria-sort` value of `column`'s header.
    pub fn aria_sort(&self, column: UserSort) -> &'static str {
        match (self.filter.sort == column, self.filter.order) {
            (false, _) => "none",
            (true, SortOrder::Asc) => "ascending",
            (true, SortOrder::Desc) => "descending",
        }
    }
}

/// Percent-encodes a query value (unreserved characters kept).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &[(&str, &str)]) -> UsersParams {
        UsersParams::parse(|key| {
            query
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn defaults_are_left_out_and_bad_values_read_as_defaults() {
        assert_eq!(parse(&[]), UsersParams::parse(|_| None));
        assert_eq!(parse(&[]).href(), "/users");
        let odd = parse(&[
            ("page", "0"),
            ("role", "king"),
            ("sort", "x"),
            ("active", "yes"),
        ]);
        assert_eq!(odd.page, 1);
        assert_eq!(odd.href(), "/users");
        assert_eq!(
            odd.list_query(),
            UserListQuery {
                limit: USERS_PER_PAGE,
                ..Default::default()
            }
        );
    }

    #[test]
    fn a_state_survives_its_address() {
        let state = parse(&[
            ("page", "3"),
            ("search", "ada lovelace&co"),
            ("role", "moderator"),
            ("active", "true"),
            ("sort", "name"),
            ("order", "asc"),
            ("group", "role"),
        ]);
        let href = state.href();
        assert_eq!(
            href,
            "/users?search=ada%20lovelace%26co&role=moderator&active=true&sort=name&order=asc&group=role&page=3"
        );
        let pairs: Vec<(String, String)> = href
            .split_once('?')
            .unwrap()
            .1
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_owned(), v.replace("%20", " ").replace("%26", "&"))
            })
            .collect();
        let back =
            UsersParams::parse(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()));
        assert_eq!(back, state);
    }

    #[test]
    fn filters_and_sorting_go_back_to_page_one() {
        let state = parse(&[("page", "4")]);
        let admins = state.refiltered(|f| f.role = Some(Role::Admin));
        assert_eq!((admins.page, admins.filter.role), (1, Some(Role::Admin)));

        let by_name = state.sorted_by(UserSort::Name);
        assert_eq!(by_name.page, 1);
        assert_eq!(by_name.aria_sort(UserSort::Name), "ascending");
        assert_eq!(by_name.aria_sort(UserSort::Email), "none");
        let flipped = by_name.sorted_by(UserSort::Name);
        assert_eq!(flipped.aria_sort(UserSort::Name), "descending");
        assert_eq!(
            flipped.sorted_by(UserSort::Name).aria_sort(UserSort::Name),
            "ascending"
        );
        // The default order: newest first.
        assert_eq!(state.aria_sort(UserSort::CreatedAt), "descending");
    }
}
