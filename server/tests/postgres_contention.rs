//! PostgreSQL under contention between two instances: batch changes that
//! name the same users in opposite orders do not deadlock, and a
//! transaction the database gives up on (a deadlock, a serialization
//! failure) and a pool whose connections stay busy past its acquire
//! timeout are a 503 `busy` to retry, never a 500.

mod support;

use std::time::Duration;

use axum::response::IntoResponse;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use server::error::ApiError;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection};
use support::postgres::PgSchema;
use support::{id_of, TestServer};

/// `answer` is 503 `busy` with `Retry-After: 1`, as a client receives it.
async fn assert_busy(answer: ApiError) {
    assert!(
        matches!(answer, ApiError::Busy { retry_after: 1 }),
        "{answer:?}"
    );
    let response = answer.into_response();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response.headers().get("retry-after").map(|v| v.as_bytes()),
        Some(&b"1"[..])
    );
    let body = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "busy", "{body}");
}

async fn version(server: &TestServer, user: &Value) -> i64 {
    server.fetch(&format!("/api/users/{}", id_of(user))).await["version"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn batches_in_opposite_orders_on_two_instances_never_deadlock() {
    let a = TestServer::start_postgres().await;
    let b = a.start_sibling().await;
    let ada = a.create_user("Ada", "ada@example.com").await;
    let bob = a.create_user("Bob", "bob@example.com").await;
    let mut applied = 0;
    for round in 0..20 {
        let (va, vb) = (version(&a, &ada).await, version(&a, &bob).await);
        let body = |first: &Value, v1: i64, second: &Value, v2: i64| {
            json!({ "updates": [
                { "id": id_of(first), "version": v1, "changes": { "name": format!("{round} first") } },
                { "id": id_of(second), "version": v2, "changes": { "name": format!("{round} second") } },
            ]})
        };
        let forward = body(&ada, va, &bob, vb);
        let backward = body(&bob, vb, &ada, va);
        // `call` fails the test on a 500.
        let (one, two) = tokio::join!(
            a.send_json(Method::PATCH, "/api/users/batch", &forward),
            b.send_json(Method::PATCH, "/api/users/batch", &backward),
        );
        for reply in [one, two] {
            match reply.status {
                StatusCode::OK => applied += 1,
                // The other batch won the race: versions moved on.
                StatusCode::PRECONDITION_FAILED => {}
                other => panic!("a batch answered {other}: {}", reply.text),
            }
        }
    }
    assert!(applied >= 20, "one batch of each round applies ({applied})");
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_deadlock_the_database_breaks_is_a_busy_answer() {
    let server = TestServer::start_postgres().await;
    let url = server.schema().expect("a PostgreSQL schema").database_url();
    let ada = id_of(&server.create_user("Ada", "ada@example.com").await);
    let bob = id_of(&server.create_user("Bob", "bob@example.com").await);
    let lock = "SELECT id FROM users WHERE id = $1 FOR UPDATE";
    let mut one = PgConnection::connect(&url).await.unwrap();
    let mut two = PgConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut one).await.unwrap();
    sqlx::query("BEGIN").execute(&mut two).await.unwrap();
    sqlx::query(lock)
        .bind(&ada)
        .execute(&mut one)
        .await
        .unwrap();
    sqlx::query(lock)
        .bind(&bob)
        .execute(&mut two)
        .await
        .unwrap();
    let (first, second) = tokio::join!(
        sqlx::query(lock).bind(&bob).execute(&mut one),
        sqlx::query(lock).bind(&ada).execute(&mut two),
    );
    let broken = [first, second]
        .into_iter()
        .find_map(Result::err)
        .expect("the database breaks the deadlock");
    let answer = ApiError::from(broken);
    // Their locks go before the schema is dropped.
    for conn in [one, two] {
        conn.close().await.unwrap();
    }
    assert_busy(answer).await;
    server.stop().await;
}

#[tokio::test]
async fn a_serialization_failure_is_a_busy_answer() {
    let server = TestServer::start_postgres().await;
    let url = server.schema().expect("a PostgreSQL schema").database_url();
    let ada = id_of(&server.create_user("Ada", "ada@example.com").await);
    let rename = "UPDATE users SET name = $1 WHERE id = $2";
    let mut reader = PgConnection::connect(&url).await.unwrap();
    let mut writer = PgConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ")
        .execute(&mut reader)
        .await
        .unwrap();
    // The reader's snapshot is taken at its first statement.
    sqlx::query("SELECT name FROM users WHERE id = $1")
        .bind(&ada)
        .execute(&mut reader)
        .await
        .unwrap();
    sqlx::query(rename)
        .bind("Ada, renamed meanwhile")
        .bind(&ada)
        .execute(&mut writer)
        .await
        .unwrap();
    let failed = sqlx::query(rename)
        .bind("Ada, from an old snapshot")
        .bind(&ada)
        .execute(&mut reader)
        .await
        .expect_err("a row changed since the snapshot cannot be updated");
    let code = failed.as_database_error().and_then(|e| e.code());
    assert_eq!(code.as_deref(), Some("40001"), "{failed}");
    let answer = ApiError::from(failed);
    for conn in [reader, writer] {
        conn.close().await.unwrap();
    }
    assert_busy(answer).await;
    server.stop().await;
}

#[tokio::test]
async fn a_pool_with_no_connection_free_in_time_is_a_busy_answer() {
    let schema = PgSchema::create().await;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_millis(200))
        .connect(&schema.database_url())
        .await
        .unwrap();
    let held = pool.acquire().await.unwrap();
    let waited = pool
        .acquire()
        .await
        .expect_err("the one connection is held");
    assert!(matches!(waited, sqlx::Error::PoolTimedOut), "{waited:?}");
    drop(held);
    pool.close().await;
    assert_busy(ApiError::from(waited)).await;
}
