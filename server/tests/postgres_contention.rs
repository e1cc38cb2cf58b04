//! PostgreSQL under contention between two instances: batch changes that
//! name the same users in opposite orders do not deadlock, and a
//! transaction the database gives up on (a deadlock, a serialization
//! failure) is a 503 `busy` to retry, never a 500.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use server::error::ApiError;
use sqlx::{Connection, PgConnection};
use support::{id_of, TestServer};

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
    assert!(
        matches!(answer, ApiError::Busy { retry_after: 1 }),
        "{answer:?}"
    );
    server.stop().await;
}
