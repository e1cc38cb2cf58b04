//! Each [`Api`](super::Api) call as an HTTP request: endpoint, path,
//! query, JSON body, and for writes the `If-Match` version and the
//! `Idempotency-Key`.

use serde::Deserialize;
use tidings::{
    NewPostInput, NewUserInput, PostListQuery, PostPatchInput, UserBatchInput,
    UserBatchUpdateInput, UserListQuery, UserPatchInput, UserSearchQuery,
};
use uuid::Uuid;

use super::account::Credentials;
use super::endpoint;
use super::error::ApiError;
use super::idempotency::IdempotencyKey;
use super::request::ApiRequest;

pub fn list_users(query: &UserListQuery) -> ApiRequest {
    endpoint::LIST_USERS.request().with_query(query.to_params())
}

pub fn get_user(id: Uuid) -> ApiRequest {
    endpoint::GET_USER.request_for(id)
}

pub fn create_user(
    input: &NewUserInput,
    key: Option<&IdempotencyKey>,
) -> Result<ApiRequest, ApiError> {
    Ok(endpoint::CREATE_USER
        .request()
        .with_json(input)?
        .idempotent(key))
}

pub fn update_user(
    id: Uuid,
    version: i64,
    patch: &UserPatchInput,
    key: Option<&IdempotencyKey>,
) -> Result<ApiRequest, ApiError> {
    Ok(endpoint::UPDATE_USER
        .request_for(id)
        .with_json(patch)?
        .if_match(version)
        .idempotent(key))
}

pub fn delete_user(id: Uuid, version: i64, key: Option<&IdempotencyKey>) -> ApiRequest {
    endpoint::DELETE_USER
        .request_for(id)
        .if_match(version)
        .idempotent(key)
}

pub fn user_stats() -> ApiRequest {
    endpoint::USER_STATS.request()
}

/// `{data: [...]}`: how the server answers a list that is not paged.
#[derive(Debug, Clone, Deserialize)]
pub struct DataList<T> {
    pub data: Vec<T>,
}

/// The batch names each user's version in its body, not in `If-Match`.
pub fn batch_update_users(
    updates: Vec<UserBatchUpdateInput>,
    key: Option<&IdempotencyKey>,
) -> Result<ApiRequest, ApiError> {
    let body = UserBatchInput {
        updates: Some(updates),
    };
    Ok(endpoint::BATCH_UPDATE_USERS
        .request()
        .with_json(&body)?
        .idempotent(key))
}

/// The query's cursor and limit; the path names the author.
pub fn list_user_posts(id: Uuid, query: &PostListQuery) -> ApiRequest {
    let query = PostListQuery {
        author_id: None,
        ..query.clone()
    };
    endpoint::LIST_USER_POSTS
        .request_for(id)
        .with_query(query.to_params())
}

pub fn list_posts(query: &PostListQuery) -> ApiRequest {
    endpoint::LIST_POSTS.request().with_query(query.to_params())
}

pub fn get_post(id: Uuid) -> ApiRequest {
    endpoint::GET_POST.request_for(id)
}

pub fn create_post(
    input: &NewPostInput,
    key: Option<&IdempotencyKey>,
) -> Result<ApiRequest, ApiError> {
    Ok(endpoint::CREATE_POST
        .request()
        .with_json(input)?
        .idempotent(key))
}

pub fn update_post(
    id: Uuid,
    version: i64,
    patch: &PostPatchInput,
    key: Option<&IdempotencyKey>,
) -> Result<ApiRequest, ApiError> {
    Ok(endpoint::UPDATE_POST
        .request_for(id)
        .with_json(patch)?
        .if_match(version)
        .idempotent(key))
}

pub fn delete_post(id: Uuid, version: i64, key: Option<&IdempotencyKey>) -> ApiRequest {
    endpoint::DELETE_POST
        .request_for(id)
        .if_match(version)
        .idempotent(key)
}

pub fn search_users(query: &UserSearchQuery) -> ApiRequest {
    endpoint::SEARCH_USERS
        .request()
        .with_query(query.to_params())
}

pub fn health() -> ApiRequest {
    endpoint::HEALTH.request()
}

pub fn me() -> ApiRequest {
    endpoint::ME.request()
}

pub fn login(credentials: &Credentials) -> Result<ApiRequest, ApiError> {
    endpoint::LOGIN.request().with_json(credentials)
}

pub fn refresh() -> ApiRequest {
    endpoint::REFRESH.request()
}

pub fn logout() -> ApiRequest {
    endpoint::LOGOUT.request()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::endpoint::Method;

    #[test]
    fn reads_carry_their_query() {
        let request = list_users(&UserListQuery {
            page: 2,
            limit: 10,
            ..Default::default()
        });
        assert_eq!(request.method(), Method::Get);
        assert!(
            request.url().starts_with("/api/users?"),
            "{}",
            request.url()
        );
        assert!(request.url().contains("page=2"), "{}", request.url());
        assert!(request.body.is_none());
        let id = Uuid::from_u128(9);
        assert_eq!(get_post(id).url(), format!("/api/posts/{id}"));
        assert_eq!(health().url(), "/healthz");
        let search = search_users(&UserSearchQuery {
            q: "ad a".into(),
            limit: 5,
        });
        assert!(
            search.url().starts_with("/api/users/search?q=ad"),
            "{}",
            search.url()
        );
        assert!(search.url().contains("limit=5"), "{}", search.url());
        let posts = list_posts(&PostListQuery {
            search: Some("rust".into()),
            ..Default::default()
        });
        assert!(posts.url().contains("search=rust"), "{}", posts.url());
        assert_eq!(user_stats().url(), "/api/users/stats");
        let by_author = list_user_posts(
            id,
            &PostListQuery {
                author_id: Some(Uuid::from_u128(5)),
                limit: 10,
                ..Default::default()
            },
        );
        assert_eq!(by_author.url(), format!("/api/users/{id}/posts?limit=10"));
    }

    #[test]
    fn a_batch_carries_the_versions_in_its_body() {
        let id = Uuid::from_u128(3);
        let update = UserBatchUpdateInput {
            id: Some(id.to_string()),
            version: Some(4),
            changes: Some(UserPatchInput {
                role: Some("moderator".into()),
                ..Default::default()
            }),
        };
        let request = batch_update_users(vec![update], Some(&IdempotencyKey::new("k"))).unwrap();
        assert_eq!(request.method(), Method::Patch);
        assert_eq!(request.url(), "/api/users/batch");
        assert_eq!(request.header("If-Match"), None);
        assert_eq!(request.idempotency_key(), Some("k"));
        assert_eq!(
            request.body.as_deref(),
            Some(format!(r#"{{"updates":[{{"id":"{id}","version":4,"changes":{{"role":"moderator"}}}}]}}"#).as_str())
        );
    }

    #[test]
    fn writes_carry_version_key_and_body() {
        let id = Uuid::from_u128(1);
        let key = IdempotencyKey::new("abc");
        let patch = UserPatchInput {
            name: Some("Ada".into()),
            ..Default::default()
        };
        let request = update_user(id, 4, &patch, Some(&key)).unwrap();
        assert_eq!(request.method(), Method::Patch);
        assert_eq!(request.path, format!("/api/users/{id}"));
        assert_eq!(request.header("If-Match"), Some("\"4\""));
        assert_eq!(request.header("Idempotency-Key"), Some("abc"));
        assert_eq!(request.body.as_deref(), Some(r#"{"name":"Ada"}"#));

        let request = delete_post(id, 7, None);
        assert_eq!(request.method(), Method::Delete);
        assert_eq!(request.header("If-Match"), Some("\"7\""));
        assert_eq!(request.header("Idempotency-Key"), None);
        assert!(request.body.is_none());

        let request = create_post(&NewPostInput::default(), Some(&key)).unwrap();
        assert_eq!(request.method(), Method::Post);
        assert_eq!(request.header("If-Match"), None);
        assert_eq!(request.idempotency_key(), Some("abc"));
        let request = create_user(&NewUserInput::default(), None).unwrap();
        assert_eq!(request.header("content-type"), Some("application/json"));
        let request = update_post(id, 1, &PostPatchInput::default(), None).unwrap();
        assert_eq!(request.body.as_deref(), Some("{}"));
        assert_eq!(
            delete_user(id, 2, Some(&key)).header("if-match"),
            Some("\"2\"")
        );
    }
}
