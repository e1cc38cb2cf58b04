//! Posts feed benchmarks. Prints figures; asserts nothing about time.
//!
//! 1. Keyset page cost against table size: the same page query (first page
//!    and a page from a cursor halfway down) on 10,000 and on 1,000,000
//!    posts, with the ratio.
//! 2. `GET /api/posts?limit=20` over loopback at 64 connections on 100,000
//!    posts: throughput and p50/p99 latency, beside the same query in a
//!    tight in-process loop at the same concurrency (the ceiling), with
//!    the ratio.
//!
//! Run: `cargo bench -p server --bench feed` (`BENCH_SECS` sets the length
//! of each load phase, default 10).

use std::sync::Arc;
use std::time::{Duration, Instant};

use server::config::Config;
use server::db::{Db, PostCursor};
use server::AppState;
use tidings::PostListQuery;

const CONNECTIONS: usize = 64;

/// Fills a fresh database with 50 users and `posts` posts, one a second
/// back from now, entirely inside SQLite.
async fn fill(db: &Db, posts: u64) {
    let mut tx = db.sqlite().unwrap().begin().await.unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
         INSERT INTO users (id, name, email, role, last_active, created_at, updated_at)
         SELECT printf('00000000-0000-4000-8000-%012x', i), 'Bench User ' || i, 'bench' || i || '@example.com',
                'user', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'
         FROM n",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO posts (id, title, content, author_id, created_at, updated_at)
         SELECT printf('00000000-0000-4000-9000-%012x', i), 'Post number ' || i,
                'Body of post ' || i || '. Some words to make the row a realistic size for a feed.',
                printf('00000000-0000-4000-8000-%012x', 1 + i % 50),
                strftime('%Y-%m-%dT%H:%M:%S', '2026-11-01', '-' || i || ' seconds') || '.000000Z',
                strftime('%Y-%m-%dT%H:%M:%S', '2026-11-01', '-' || i || ' seconds') || '.000000Z'
         FROM n",
    )
    .bind(posts as i64)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE")
        .execute(db.sqlite().unwrap())
        .await
        .unwrap();
}

async fn fresh_db(dir: &tempfile::TempDir, name: &str, posts: u64) -> Db {
    let db = Db::connect(&format!("sqlite://{}/{name}.db", dir.path().display()))
        .await
        .unwrap();
    let started = Instant::now();
    fill(&db, posts).await;
    println!(
        "  filled {posts} posts in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    db
}

/// The cursor a client would hold after reading `depth` posts.
async fn cursor_at(db: &Db, depth: u64) -> String {
    let (created_at, id): (String, String) = sqlx::query_as(
        "SELECT created_at, id FROM posts ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?",
    )
    .bind(depth as i64 - 1)
    .fetch_one(db.sqlite().unwrap())
    .await
    .unwrap();
    PostCursor { created_at, id }.encode()
}

/// Mean time of one page query, over `iterations`.
async fn page_time(db: &Db, cursor: Option<String>, iterations: u32) -> Duration {
    let query = PostListQuery {
        cursor,
        ..Default::default()
    };
    for _ in 0..100 {
        db.list_posts(&query).await.unwrap();
    }
    let started = Instant::now();
    for _ in 0..iterations {
        let page = db.list_posts(&query).await.unwrap();
        assert_eq!(page.data.len(), 20);
    }
    started.elapsed() / iterations
}

async fn keyset_scaling(dir: &tempfile::TempDir) {
    println!("Keyset page cost against table size (mean of 2,000 queries each)");
    let mut rows = Vec::new();
    for posts in [10_000u64, 1_000_000] {
        let db = fresh_db(dir, &format!("keyset{posts}"), posts).await;
        let first = page_time(&db, None, 2_000).await;
        let middle = page_time(&db, Some(cursor_at(&db, posts / 2).await), 2_000).await;
        println!(
            "  {posts:>9} posts: first page {:>7.1} µs, page at depth {:>7}: {:>7.1} µs",
            first.as_secs_f64() * 1e6,
            posts / 2,
            middle.as_secs_f64() * 1e6
        );
        rows.push((first, middle));
    }
    let ratio = |a: Duration, b: Duration| b.as_secs_f64() / a.as_secs_f64();
    println!(
        "  ratio 1,000,000 / 10,000: first page {:.2}x, mid-depth page {:.2}x",
        ratio(rows[0].0, rows[1].0),
        ratio(rows[0].1, rows[1].1)
    );
}

struct Load {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Load {
    fn report(&mut self, label: &str) -> f64 {
        self.latencies.sort();
        let pick = |q: f64| self.latencies[((self.latencies.len() - 1) as f64 * q) as usize];
        let rps = self.requests as f64 / self.elapsed.as_secs_f64();
        println!(
            "  {label:<28} {rps:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests)",
            pick(0.50).as_secs_f64() * 1e3,
            pick(0.99).as_secs_f64() * 1e3,
            self.requests
        );
        rps
    }
}

/// Runs `op` from `CONNECTIONS` tasks at once for `secs`.
async fn drive<F, Fut>(secs: u64, op: F) -> Load
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|worker| {
            let op = op.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    op(worker).await;
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    Load {
        requests: latencies.len(),
        elapsed: started.elapsed(),
        latencies,
    }
}

async fn http_throughput(dir: &tempfile::TempDir, secs: u64) {
    println!("GET /api/posts?limit=20 on 100,000 posts, {CONNECTIONS} connections, {secs} s each");
    let url = format!("sqlite://{}/http.db", dir.path().display());
    let db = fresh_db(dir, "http", 100_000).await;
    let state = AppState::from_config(Config::for_database(url))
        .await
        .unwrap();
    // The feed needs a signed-in reader: an admin made in the store, who
    // signs in over HTTP like anyone else.
    let admin: tidings::NewUserInput = serde_json::from_value(serde_json::json!({
        "name": "Bench Admin", "email": "bench-admin@example.com", "role": "admin"
    }))
    .unwrap();
    let hash = server::auth::password::hash("bench-password").unwrap();
    let (_, created) = state
        .db
        .create_account(&admin.validate().unwrap(), &hash)
        .await
        .unwrap();
    state.hub.announce(created);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::run(listener, state, async {
        let _ = stopped.await;
    }));

    let session: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{addr}/api/auth/login"))
        .json(&serde_json::json!({
            "email": "bench-admin@example.com", "password": "bench-password"
        }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = format!("Bearer {}", session["accessToken"].as_str().unwrap());
    let clients: Arc<Vec<reqwest::Client>> = Arc::new(
        (0..CONNECTIONS)
            .map(|_| {
                let mut headers = reqwest::header::HeaderMap::new();
                headers.insert(
                    reqwest::header::AUTHORIZATION,
                    bearer.parse().expect("a header value"),
                );
                reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .default_headers(headers)
                    .build()
                    .unwrap()
            })
            .collect(),
    );
    let endpoint = format!("http://{addr}/api/posts?limit=20");
    let mut over_http = drive(secs, move |worker| {
        let client = clients[worker].clone();
        let endpoint = endpoint.clone();
        async move {
            let response = client.get(&endpoint).send().await.unwrap();
            assert!(response.status().is_success());
            response.bytes().await.unwrap();
        }
    })
    .await;
    let _ = stop.send(());
    let _ = server.await;

    let mut in_process = drive(secs, move |_| {
        let db = db.clone();
        async move {
            let page = db.list_posts(&PostListQuery::default()).await.unwrap();
            std::hint::black_box(serde_json::to_vec(&page).unwrap());
        }
    })
    .await;
    let http = over_http.report("over loopback HTTP");
    let ceiling = in_process.report("in-process (query + JSON)");
    println!(
        "  HTTP reaches {:.0}% of the in-process ceiling",
        100.0 * http / ceiling
    );
}

fn main() {
    let secs = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        keyset_scaling(&dir).await;
        http_throughput(&dir, secs).await;
    });
}
