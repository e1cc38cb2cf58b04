//! List requests as query strings: parsed on the server (naming each bad
//! parameter) and written by the browser client, from one definition.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{parse_user_id, FieldErrors, Role, SortOrder, UserFilter, UserSort};

/// Largest page any list answers.
pub const MAX_LIMIT: u32 = 100;
/// Page size when a request names none.
pub const DEFAULT_LIMIT: u32 = 20;

/// Longest search text, in characters (after trimming).
pub const MAX_SEARCH_LEN: usize = 100;
/// Most results `GET /api/users/search` answers.
pub const MAX_SEARCH_LIMIT: u32 = 20;
/// Results `GET /api/users/search` answers when asked for no number.
pub const DEFAULT_SEARCH_LIMIT: u32 = 10;

/// `GET /api/users?page=&limit=&search=&role=&active=&sort=&order=`
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserListQuery {
    pub filter: UserFilter,
    /// 1-based.
    pub page: u32,
    pub limit: u32,
}

impl Default for UserListQuery {
    fn default() -> Self {
        Self {
            filter: UserFilter::default(),
            page: 1,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// `GET /api/users/search?q=&limit=`: users whose name or email contains
/// `q` (as the list's `search` matches), by name ascending.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSearchQuery {
    /// Trimmed, 1 to [`MAX_SEARCH_LEN`] characters.
    pub q: String,
    /// 1 to [`MAX_SEARCH_LIMIT`].
    pub limit: u32,
}

impl UserSearchQuery {
    /// Parses decoded query pairs; unknown keys are ignored, bad values named.
    pub fn from_params(params: &[(String, String)]) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let q = lookup(params, "q").map(str::trim).unwrap_or_default();
        if q.is_empty() {
            errors.add("q", "q is required: 1 to 100 characters to search for");
        } else if q.chars().count() > MAX_SEARCH_LEN {
            errors.add("q", "q must be at most 100 characters");
        }
        let limit = match lookup(params, "limit") {
            None => DEFAULT_SEARCH_LIMIT,
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if (1..=MAX_SEARCH_LIMIT).contains(&n) => n,
                _ => {
                    errors.add(
                        "limit",
                        format!("limit must be an integer from 1 to {MAX_SEARCH_LIMIT}"),
                    );
                    DEFAULT_SEARCH_LIMIT
                }
            },
        };
        errors.finish(|| Self {
            q: q.to_owned(),
            limit,
        })
    }

    /// The list filter this search is: `q` as `search`, by name ascending.
    pub fn filter(&self) -> UserFilter {
        UserFilter {
            search: Some(self.q.clone()),
            sort: UserSort::Name,
            order: SortOrder::Asc,
            ..Default::default()
        }
    }

    pub fn to_params(&self) -> Vec<(&'static str, String)> {
        vec![("q", self.q.clone()), ("limit", self.limit.to_string())]
    }
}

/// `GET /api/posts?cursor=&before=&limit=&authorId=&search=`
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostListQuery {
    /// A page's `nextCursor`: the posts older than its last.
    pub cursor: Option<String>,
    /// A page's `prevCursor`: the posts newer than its first (the nearest
    /// `limit` of them, newest first). With `cursor`, the posts between
    /// the two.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    pub limit: u32,
    pub author_id: Option<Uuid>,
    /// Text the title or the content contains (ASCII case folded);
    /// trimmed, 1 to [`MAX_SEARCH_LEN`] characters when present.
    #[serde(default)]
    pub search: Option<String>,
}

impl Default for PostListQuery {
    fn default() -> Self {
        Self {
            cursor: None,
            before: None,
            limit: DEFAULT_LIMIT,
            author_id: None,
            search: None,
        }
    }
}

fn parse_limit(errors: &mut FieldErrors, raw: Option<&str>) -> u32 {
    let Some(raw) = raw else { return DEFAULT_LIMIT };
    match raw.parse::<u32>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
        _ => {
            errors.add(
                "limit",
                format!("limit must be an integer from 1 to {MAX_LIMIT}"),
            );
            DEFAULT_LIMIT
        }
    }
}

/// The `search` parameter: trimmed, absent when empty, named when longer
/// than [`MAX_SEARCH_LEN`].
fn parse_search(errors: &mut FieldErrors, params: &[(String, String)]) -> Option<String> {
    let search = lookup(params, "search")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if search
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_SEARCH_LEN)
    {
        errors.add(
            "search",
            format!("search must be at most {MAX_SEARCH_LEN} characters"),
        );
    }
    search
}

fn lookup<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A typed parameter's value as sent; an empty value counts as absent (as
/// a form sends an unset field).
fn non_empty<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    lookup(params, key).filter(|v| !v.is_empty())
}

/// Largest `page` a list answers (the OpenAPI document's `int32` bound).
pub const MAX_PAGE: u32 = i32::MAX as u32;

impl UserListQuery {
    /// Parses decoded query pairs; unknown keys are ignored, bad values named.
    pub fn from_params(params: &[(String, String)]) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let page = match lookup(params, "page") {
            None => 1,
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
                _ => {
                    errors.add(
                        "page",
                        format!("page must be a whole number from 1 to {MAX_PAGE}"),
                    );
                    1
                }
            },
        };
        let limit = parse_limit(&mut errors, lookup(params, "limit"));
        let search = parse_search(&mut errors, params);
        let role = non_empty(params, "role").and_then(|r| errors.check("role", r.parse::<Role>()));
        let active = non_empty(params, "active").and_then(|a| match a {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                errors.add("active", "active must be true or false");
                None
            }
        });
        let sort = non_empty(params, "sort")
            .and_then(|s| errors.check("sort", s.parse::<UserSort>()))
            .unwrap_or_default();
        let order = non_empty(params, "order")
            .and_then(|o| errors.check("order", o.parse::<SortOrder>()))
            .unwrap_or_default();
        errors.finish(|| Self {
            filter: UserFilter {
                search,
                role,
                active,
                sort,
                order,
            },
            page,
            limit,
        })
    }

    /// The query pairs a client sends; defaults are left out.
    pub fn to_params(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("page", self.page.to_string()),
            ("limit", self.limit.to_string()),
        ];
        if let Some(s) = &self.filter.search {
            out.push(("search", s.clone()));
        }
        if let Some(r) = self.filter.role {
            out.push(("role", r.as_str().to_owned()));
        }
        if let Some(a) = self.filter.active {
            out.push(("active", a.to_string()));
        }
        out.push(("sort", self.filter.sort.as_str().to_owned()));
        out.push(("order", self.filter.order.as_str().to_owned()));
        out
    }
}

impl PostListQuery {
    pub fn from_params(params: &[(String, String)]) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let limit = parse_limit(&mut errors, lookup(params, "limit"));
        let cursor = non_empty(params, "cursor").map(str::to_owned);
        let before = non_empty(params, "before").map(str::to_owned);
        let author_id = non_empty(params, "authorId")
            .and_then(|a| errors.check("authorId", parse_user_id(a, "authorId")));
        let search = parse_search(&mut errors, params);
        errors.finish(|| Self {
            cursor,
            before,
            limit,
            author_id,
            search,
        })
    }

    pub fn to_params(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("limit", self.limit.to_string())];
        if let Some(c) = &self.cursor {
            out.push(("cursor", c.clone()));
        }
        if let Some(b) = &self.before {
            out.push(("before", b.clone()));
        }
        if let Some(a) = self.author_id {
            out.push(("authorId", a.to_string()));
        }
        if let Some(s) = &self.search {
            out.push(("search", s.clone()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn users_query_names_each_bad_param() {
        let errors = UserListQuery::from_params(&pairs(&[
            ("page", "0"),
            ("limit", "1000"),
            ("role", "king"),
            ("active", "yes"),
            ("sort", "height"),
            ("order", "up"),
        ]))
        .unwrap_err();
        for field in ["page", "limit", "role", "active", "sort", "order"] {
            assert!(errors.get(field).is_some(), "{field} should be named");
        }
    }

    #[test]
    fn a_page_is_bounded_and_an_empty_param_is_absent() {
        let errors = UserListQuery::from_params(&pairs(&[("page", "2147483648")])).unwrap_err();
        assert!(errors.get("page").is_some());
        let last = UserListQuery::from_params(&pairs(&[("page", "2147483647")])).unwrap();
        assert_eq!(last.page, MAX_PAGE);
        let q =
            UserListQuery::from_params(&pairs(&[("search", "  "), ("role", ""), ("active", "")]))
                .unwrap();
        assert_eq!(
            (q.filter.search, q.filter.role, q.filter.active),
            (None, None, None)
        );
    }

    #[test]
    fn users_query_round_trips() {
        let q = UserListQuery::from_params(&pairs(&[
            ("page", "3"),
            ("limit", "10"),
            ("search", " ada "),
            ("role", "admin"),
            ("active", "false"),
            ("sort", "name"),
            ("order", "asc"),
        ]))
        .unwrap();
        assert_eq!(q.filter.search.as_deref(), Some("ada"));
        assert_eq!(q.filter.active, Some(false));
        let back: Vec<(String, String)> = q
            .to_params()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        assert_eq!(UserListQuery::from_params(&back).unwrap(), q);
        assert_eq!(
            UserListQuery::from_params(&[]).unwrap(),
            UserListQuery::default()
        );
    }

    #[test]
    fn search_query_bounds() {
        let q = UserSearchQuery::from_params(&pairs(&[("q", "  ada ")])).unwrap();
        assert_eq!((q.q.as_str(), q.limit), ("ada", DEFAULT_SEARCH_LIMIT));
        let back: Vec<(String, String)> = q
            .to_params()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        assert_eq!(UserSearchQuery::from_params(&back).unwrap(), q);
        let long = "x".repeat(101);
        for bad in [vec![], vec![("q", "   ")], vec![("q", long.as_str())]] {
            let e = UserSearchQuery::from_params(&pairs(&bad)).unwrap_err();
            assert!(e.get("q").is_some(), "{bad:?}");
        }
        for limit in ["0", "21", "x"] {
            let e =
                UserSearchQuery::from_params(&pairs(&[("q", "a"), ("limit", limit)])).unwrap_err();
            assert!(e.get("limit").is_some() && e.get("q").is_none(), "{limit}");
        }
        assert_eq!(
            UserSearchQuery::from_params(&pairs(&[("q", "a"), ("limit", "20")]))
                .unwrap()
                .limit,
            20
        );
    }

    #[test]
    fn posts_query() {
        let q = PostListQuery::from_params(&pairs(&[("limit", "5"), ("cursor", "abc")])).unwrap();
        assert_eq!((q.limit, q.cursor.as_deref()), (5, Some("abc")));
        let e =
            PostListQuery::from_params(&pairs(&[("authorId", "x"), ("limit", "-1")])).unwrap_err();
        assert!(e.get("authorId").is_some() && e.get("limit").is_some());
    }

    #[test]
    fn posts_search_is_trimmed_bounded_and_round_trips() {
        let q = PostListQuery::from_params(&pairs(&[("search", "  rust ")])).unwrap();
        assert_eq!(q.search.as_deref(), Some("rust"));
        let back: Vec<(String, String)> = q
            .to_params()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        assert_eq!(PostListQuery::from_params(&back).unwrap(), q);
        let blank = PostListQuery::from_params(&pairs(&[("search", "   ")])).unwrap();
        assert_eq!(blank.search, None);
        let long = "x".repeat(MAX_SEARCH_LEN + 1);
        let e = PostListQuery::from_params(&pairs(&[("search", long.as_str())])).unwrap_err();
        assert!(e.get("search").is_some_and(|m| m.contains("search")));
        assert!(e.get("limit").is_none());
    }
}
