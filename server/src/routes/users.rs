//! `/api/users`: paged list, get, create, patch, delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use tidings::{NewUserInput, Page, User, UserListQuery, UserPatchInput};

use super::parse_id;
use crate::db::Db;
use crate::error::ApiError;
use crate::extract::{ApiJson, QueryPairs};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(list).post(create))
        .route("/users/{id}", get(show).patch(update).delete(remove))
}

async fn list(
    State(db): State<Db>,
    QueryPairs(params): QueryPairs,
) -> Result<Json<Page<User>>, ApiError> {
    let query = UserListQuery::from_params(&params)?;
    Ok(Json(db.list_users(&query).await?))
}

async fn show(State(db): State<Db>, Path(id): Path<String>) -> Result<Json<User>, ApiError> {
    let id = parse_id("user", &id)?;
    db.get_user(id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("user", &id.to_string()))
}

async fn create(
    State(db): State<Db>,
    ApiJson(input): ApiJson<NewUserInput>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let new = input.validate()?;
    Ok((StatusCode::CREATED, Json(db.create_user(&new).await?)))
}

async fn update(
    State(db): State<Db>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<UserPatchInput>,
) -> Result<Json<User>, ApiError> {
    let id = parse_id("user", &id)?;
    let patch = input.validate()?;
    db.update_user(id, &patch)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("user", &id.to_string()))
}

async fn remove(State(db): State<Db>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let id = parse_id("user", &id)?;
    if db.delete_user(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("user", &id.to_string()))
    }
}
