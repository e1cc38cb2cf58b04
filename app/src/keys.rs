//! Every query key the app uses, defined once. Keys are hierarchical by
//! resource: `["users", …]` holds the users lists, one user, their posts,
//! the authors and the stats, and `["posts", …]` the feed and one post, so
//! [`users::all`] / [`posts::all`] reach everything of a resource (with
//! `invalidate_prefix`) and no two queries of different shapes can share a
//! key by accident.
//!
//! Each function gives a hook's arguments: a tuple whose first two
//! elements name the query and whose third, where there is one, is what
//! its fetcher needs. `all()` names a whole resource, for
//! `invalidate_prefix`. [`shape_of`] says what each key holds, so the
//! engine keeps the users and posts of every query once, in its store, and
//! places realtime changes into the lists (the client is built with it).

use serde::de::DeserializeOwned;
use serde_json::Value;
use tidings::cache::{QueryKey, Shape};
use tidings::UserListQuery;
use uuid::Uuid;

/// What the query `key` holds (see the module docs); a key of none of
/// the families below is [`Shape::Opaque`].
pub fn shape_of(key: &QueryKey) -> Shape {
    let segments = key.segments();
    let name = |i: usize| segments.get(i).and_then(Value::as_str);
    let arg = |i: usize| -> Option<Value> { segments.get(i).cloned() };
    fn parse<T: DeserializeOwned>(value: Option<Value>) -> Option<T> {
        serde_json::from_value(value?).ok()
    }
    let shape = match (name(0), name(1)) {
        (Some("users"), Some("list")) => {
            parse::<UserListQuery>(arg(2)).map(|q| Shape::UserPage(q.filter))
        }
        (Some("users"), Some("authors")) => {
            parse::<UserListQuery>(arg(2)).map(|q| Shape::Users(q.filter))
        }
        (Some("users"), Some("detail")) => Some(Shape::User),
        (Some("users"), Some("posts")) => parse::<Uuid>(arg(2)).map(|author| Shape::PostPage {
            author: Some(author),
        }),
        (Some("users"), Some("stats")) => Some(Shape::UserStats),
        (Some("posts"), Some("feed")) => Some(Shape::PostPages),
        (Some("posts"), Some("detail")) => Some(Shape::Post),
        _ => None,
    };
    shape.unwrap_or_default()
}

/// The users' queries.
pub mod users {
    use tidings::UserListQuery;
    use uuid::Uuid;

    use super::QueryKey;

    /// Every users query: the prefix of all below.
    pub fn all() -> QueryKey {
        QueryKey::new("users")
    }

    /// One page of the users list.
    pub fn list(query: UserListQuery) -> (&'static str, &'static str, UserListQuery) {
        ("users", "list", query)
    }

    /// Everyone (up to the API's limit) by name: the authors of posts.
    pub fn authors(query: UserListQuery) -> (&'static str, &'static str, UserListQuery) {
        ("users", "authors", query)
    }

    /// One user.
    pub fn detail(id: Uuid) -> (&'static str, &'static str, Uuid) {
        ("users", "detail", id)
    }

    /// One user's posts, as their page shows them.
    pub fn posts(id: Uuid) -> (&'static str, &'static str, Uuid) {
        ("users", "posts", id)
    }

    /// The users' numbers.
    pub fn stats() -> (&'static str, &'static str) {
        ("users", "stats")
    }
}

/// The posts' queries.
pub mod posts {
    use tidings::PostListQuery;
    use uuid::Uuid;

    use super::QueryKey;

    /// Every posts query: the prefix of all below.
    pub fn all() -> QueryKey {
        QueryKey::new("posts")
    }

    /// The feed, newest first, page after page.
    pub fn feed(query: PostListQuery) -> (&'static str, &'static str, PostListQuery) {
        ("posts", "feed", query)
    }

    /// One post.
    pub fn detail(id: Uuid) -> (&'static str, &'static str, Uuid) {
        ("posts", "detail", id)
    }
}

/// The header's search.
pub mod search {
    /// People and posts matching `term` (cached per term).
    pub fn results(term: String) -> (&'static str, String) {
        ("search", term)
    }
}

#[cfg(test)]
mod tests {
    use tidings::{PostListQuery, Role, UserFilter};

    use super::*;
    use crate::query::query_key;

    #[test]
    fn each_resource_prefix_reaches_all_its_queries_and_no_other() {
        let id = Uuid::from_u128(7);
        let users_keys = [
            query_key(&users::list(UserListQuery::default())),
            query_key(&users::authors(UserListQuery::default())),
            query_key(&users::detail(id)),
            query_key(&users::posts(id)),
            query_key(&users::stats()),
        ];
        let posts_keys = [
            query_key(&posts::feed(PostListQuery::default())),
            query_key(&posts::detail(id)),
        ];
        for key in &users_keys {
            assert!(key.starts_with(&users::all()), "{key:?}");
            assert!(!key.starts_with(&posts::all()), "{key:?}");
        }
        for key in &posts_keys {
            assert!(key.starts_with(&posts::all()), "{key:?}");
            assert!(!key.starts_with(&users::all()), "{key:?}");
        }
        let all: std::collections::HashSet<_> = users_keys
            .iter()
            .chain(&posts_keys)
            .map(QueryKey::hash)
            .collect();
        assert_eq!(
            all.len(),
            users_keys.len() + posts_keys.len(),
            "no two alike"
        );
        assert_ne!(
            query_key(&users::list(UserListQuery::default())),
            query_key(&users::authors(UserListQuery::default())),
            "a list and the authors never share a key, whatever their query"
        );
    }

    #[test]
    fn every_key_says_what_it_holds() {
        let id = Uuid::from_u128(7);
        let admins = UserListQuery {
            filter: UserFilter {
                role: Some(Role::Admin),
                ..Default::default()
            },
            page: 3,
            limit: 5,
        };
        let shapes = [
            (
                query_key(&users::list(admins.clone())),
                Shape::UserPage(admins.filter.clone()),
            ),
            (
                query_key(&users::authors(admins.clone())),
                Shape::Users(admins.filter),
            ),
            (query_key(&users::detail(id)), Shape::User),
            (
                query_key(&users::posts(id)),
                Shape::PostPage { author: Some(id) },
            ),
            (query_key(&users::stats()), Shape::UserStats),
            (
                query_key(&posts::feed(PostListQuery::default())),
                Shape::PostPages,
            ),
            (query_key(&posts::detail(id)), Shape::Post),
            (QueryKey::new("session"), Shape::Opaque),
            (users::all(), Shape::Opaque),
        ];
        for (key, shape) in shapes {
            assert_eq!(shape_of(&key), shape, "{key:?}");
        }
    }
}
