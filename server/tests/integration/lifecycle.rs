//! The server as a process: health check, and shutdown on the signal.

use crate::support;

use reqwest::StatusCode;
use support::TestServer;

#[tokio::test]
async fn health_check_answers_ok() {
    let server = TestServer::start().await;
    let reply = server.get("/healthz").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, "ok");
    server.stop().await;
}

#[tokio::test]
async fn shutdown_signal_stops_the_server() {
    let server = TestServer::start_seeded().await;
    let addr = server.addr;
    // A kept-alive connection from an earlier request must not hold
    // shutdown up.
    assert_eq!(server.get("/api/users").await.status, StatusCode::OK);
    assert_eq!(server.get("/users").await.status, StatusCode::OK);
    server.stop().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "nothing listens on {addr} after shutdown"
    );
}

#[tokio::test]
async fn two_servers_have_separate_stores() {
    let a = TestServer::start().await;
    let b = TestServer::start().await;
    a.create_user("Ada", "ada@example.com").await;
    // The same email is free in the other server's database.
    b.create_user("Ada", "ada@example.com").await;
    assert_eq!(a.all_users().await.len(), 1);
    assert_eq!(b.all_users().await.len(), 1);
    a.stop().await;
    b.stop().await;
}
