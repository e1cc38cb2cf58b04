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
//! `invalidate_prefix`.

use tidings::cache::QueryKey;

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

#[cfg(test)]
mod tests {
    use tidings::{PostListQuery, UserListQuery};
    use uuid::Uuid;

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
}
