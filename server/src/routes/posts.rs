//! `/api/posts`: keyset-paged feed, get, create, patch, delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use tidings::{CursorPage, NewPostInput, Post, PostListQuery, PostPatchInput};

use super::parse_id;
use crate::db::Db;
use crate::error::ApiError;
use crate::extract::{ApiJson, QueryPairs};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/posts", get(list).post(create))
        .route("/posts/{id}", get(show).patch(update).delete(remove))
}

async fn list(
    State(db): State<Db>,
    QueryPairs(params): QueryPairs,
) -> Result<Json<CursorPage<Post>>, ApiError> {
    let query = PostListQuery::from_params(&params)?;
    Ok(Json(db.list_posts(&query).await?))
}

async fn show(State(db): State<Db>, Path(id): Path<String>) -> Result<Json<Post>, ApiError> {
    let id = parse_id("post", &id)?;
    db.get_post(id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("post", &id.to_string()))
}

async fn create(
    State(db): State<Db>,
    ApiJson(input): ApiJson<NewPostInput>,
) -> Result<(StatusCode, Json<Post>), ApiError> {
    let new = input.validate()?;
    Ok((StatusCode::CREATED, Json(db.create_post(&new).await?)))
}

async fn update(
    State(db): State<Db>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PostPatchInput>,
) -> Result<Json<Post>, ApiError> {
    let id = parse_id("post", &id)?;
    let patch = input.validate()?;
    db.update_post(id, &patch)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("post", &id.to_string()))
}

async fn remove(State(db): State<Db>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let id = parse_id("post", &id)?;
    if db.delete_post(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("post", &id.to_string()))
    }
}
