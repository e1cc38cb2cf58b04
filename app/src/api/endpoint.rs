//! The endpoints the client calls, each a method and a path template.
//!
//! The template (`GET /api/users/{id}`) names an endpoint wherever one
//! call must be told from another without its data: metrics, logs.

use std::fmt;

use uuid::Uuid;

use super::request::ApiRequest;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Safe methods change nothing on the server: asking twice is harmless.
    pub fn is_safe(self) -> bool {
        matches!(self, Method::Get)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One endpoint: a method and a path template whose only parameter is
/// `{id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub method: Method,
    pub template: &'static str,
}

impl Endpoint {
    pub const fn new(method: Method, template: &'static str) -> Self {
        Self { method, template }
    }

    /// The path of this endpoint for `id` (`{id}` replaced), or the
    /// template itself when it has no parameter.
    pub fn path(self, id: Option<Uuid>) -> String {
        match id {
            Some(id) => self.template.replace("{id}", &id.to_string()),
            None => self.template.to_owned(),
        }
    }

    /// A request to this endpoint (with no parameter).
    pub fn request(self) -> ApiRequest {
        ApiRequest::new(self, self.path(None))
    }

    /// A request to this endpoint for the entity `id`.
    pub fn request_for(self, id: Uuid) -> ApiRequest {
        ApiRequest::new(self, self.path(Some(id)))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.template)
    }
}

pub const LIST_USERS: Endpoint = Endpoint::new(Method::Get, "/api/users");
pub const GET_USER: Endpoint = Endpoint::new(Method::Get, "/api/users/{id}");
pub const CREATE_USER: Endpoint = Endpoint::new(Method::Post, "/api/users");
pub const UPDATE_USER: Endpoint = Endpoint::new(Method::Patch, "/api/users/{id}");
pub const DELETE_USER: Endpoint = Endpoint::new(Method::Delete, "/api/users/{id}");
pub const USER_STATS: Endpoint = Endpoint::new(Method::Get, "/api/users/stats");
pub const BATCH_UPDATE_USERS: Endpoint = Endpoint::new(Method::Patch, "/api/users/batch");
pub const LIST_USER_POSTS: Endpoint = Endpoint::new(Method::Get, "/api/users/{id}/posts");
pub const LIST_POSTS: Endpoint = Endpoint::new(Method::Get, "/api/posts");
pub const GET_POST: Endpoint = Endpoint::new(Method::Get, "/api/posts/{id}");
pub const CREATE_POST: Endpoint = Endpoint::new(Method::Post, "/api/posts");
pub const UPDATE_POST: Endpoint = Endpoint::new(Method::Patch, "/api/posts/{id}");
pub const DELETE_POST: Endpoint = Endpoint::new(Method::Delete, "/api/posts/{id}");
pub const SEARCH_USERS: Endpoint = Endpoint::new(Method::Get, "/api/users/search");
pub const HEALTH: Endpoint = Endpoint::new(Method::Get, "/healthz");
pub const ME: Endpoint = Endpoint::new(Method::Get, "/api/auth/me");

/// The session's own endpoints: called by the sign-in page and the
/// session, never through a client that refreshes on 401.
pub const LOGIN: Endpoint = Endpoint::new(Method::Post, "/api/auth/login");
pub const REFRESH: Endpoint = Endpoint::new(Method::Post, "/api/auth/refresh");
pub const LOGOUT: Endpoint = Endpoint::new(Method::Post, "/api/auth/logout");

/// Every endpoint of the [`Api`](super::Api) trait.
pub const ALL: [Endpoint; 16] = [
    LIST_USERS,
    GET_USER,
    CREATE_USER,
    UPDATE_USER,
    DELETE_USER,
    USER_STATS,
    BATCH_UPDATE_USERS,
    LIST_USER_POSTS,
    LIST_POSTS,
    GET_POST,
    CREATE_POST,
    UPDATE_POST,
    DELETE_POST,
    SEARCH_USERS,
    HEALTH,
    ME,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_templates_not_urls() {
        assert_eq!(GET_USER.to_string(), "GET /api/users/{id}");
        let id = Uuid::from_u128(7);
        assert_eq!(
            DELETE_POST.path(Some(id)),
            format!("/api/posts/{id}"),
            "the id fills the template"
        );
        assert_eq!(LIST_POSTS.path(None), "/api/posts");
        let names: std::collections::HashSet<String> =
            ALL.iter().map(ToString::to_string).collect();
        assert_eq!(names.len(), ALL.len(), "no two endpoints share a name");
    }

    #[test]
    fn only_get_is_safe() {
        assert!(Method::Get.is_safe());
        for m in [Method::Post, Method::Patch, Method::Delete] {
            assert!(!m.is_safe());
        }
    }
}
