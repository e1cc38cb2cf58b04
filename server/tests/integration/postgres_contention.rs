//! PostgreSQL under contention between two instances: batch changes that
//! name the same users in opposite orders do not deadlock; a transaction
//! the database gives up on (a deadlock, a serialization failure) and a
//! pool whose connections stay busy past its acquire timeout are a 503
//! `busy` to retry, never a 500; and prunes racing on two instances only
//! ever raise the retention floor.

use crate::support;

use std::time::Duration;

use axum::response::IntoResponse;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use server::db::Db;
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

/// The retention floor and what the log holds, read in one statement.
async fn floor_and_events(conn: &mut PgConnection) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT floor, (SELECT COALESCE(MIN(seq), 0) FROM events), \
         (SELECT COALESCE(MAX(seq), 0) FROM events), (SELECT COUNT(*) FROM events) \
         FROM log_meta WHERE id = 1",
    )
    .fetch_one(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn prunes_racing_on_two_instances_never_lower_the_floor() {
    // The keep values of the two prunes: NEAR keeps fewer, raises more.
    const NEAR: u64 = 5;
    const FAR: u64 = 50;
    let schema = PgSchema::create().await;
    let url = schema.database_url();
    let one = Db::connect(&url).await.unwrap();
    let two = Db::connect(&url).await.unwrap();
    let mut conn = PgConnection::connect(&url).await.unwrap();
    let mut floor = 1;
    for round in 0..40 {
        sqlx::query(
            "INSERT INTO events (type, topic, entity_id, actor, data, ts) \
             SELECT 'USER_CREATED', 'users', gen_random_uuid()::text, NULL, '{}', \
             '2026-01-01T00:00:00.000Z' FROM generate_series(1, 60)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        // Which instance keeps more alternates, so either may commit last.
        let (keep_one, keep_two) = if round % 2 == 0 {
            (NEAR, FAR)
        } else {
            (FAR, NEAR)
        };
        let (a, b) = tokio::join!(one.prune_events(keep_one), two.prune_events(keep_two));
        let (a, b) = (a.unwrap(), b.unwrap());
        let (now, first, head, count) = floor_and_events(&mut conn).await;
        let promised = head - NEAR as i64 + 1;
        assert!(
            now >= floor,
            "round {round}: the floor went from {floor} back to {now}"
        );
        assert_eq!(
            now, promised,
            "round {round}: the floor is the higher of the two prunes' ({a}, {b})"
        );
        assert_eq!(
            (first, count),
            (now, head - now + 1),
            "round {round}: every event from the floor on is kept, none below it"
        );
        floor = now;
    }
    conn.close().await.unwrap();
    for db in [one, two] {
        db.postgres().expect("a PostgreSQL store").close().await;
    }
}
