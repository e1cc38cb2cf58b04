//! How the site travels, against a real server over a site root of its
//! own (a fake bundle of a few hundred KB): brotli or gzip as the request
//! accepts, counted in the bytes that arrive, nothing for small answers,
//! images or the socket's upgrade, a precompressed sibling sent as it is;
//! how long each kind of answer may be kept (`Cache-Control`), with a 304
//! for a file asked again unchanged; and pages naming the bundle by its
//! hashed names only when the site has those files.

use crate::support;

use std::io::{Read, Write};
use std::path::Path;

use futures::StreamExt;
use leptos::config::LeptosOptions;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, IF_MODIFIED_SINCE, LAST_MODIFIED, VARY,
};
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use server::ops::cache_control::{IMMUTABLE, NO_STORE, PAGE, REVALIDATE, UPLOAD};
use server::ops::csp::{DEFAULT_POLICY, WORKER_PATH, WORKER_POLICY};
use support::{id_of, TestServer, TINY_PNG};
use tempfile::TempDir;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// A hash as cargo-leptos writes it in a file name.
const HASH: &str = "Xq3vB7_kP0-wZ9mN2cR5tA";

/// About the size of an optimised Tidings bundle.
const WASM_LEN: usize = 400 * 1024;

/// Past what the server compresses per request (a debug build's bundle).
const LARGE_LEN: usize = 3 * 1024 * 1024 / 2;

/// A site root as cargo-leptos leaves it: the bundle under `pkg/` (also
/// under a hashed name), a stylesheet with a brotli sibling, an image and
/// the icon.
struct Site {
    dir: TempDir,
    wasm: Vec<u8>,
    js: Vec<u8>,
    css: Vec<u8>,
    css_br: Vec<u8>,
}

impl Site {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary site root");
        let pkg = dir.path().join("pkg");
        std::fs::create_dir(&pkg).expect("create pkg/");
        let wasm = text_like(WASM_LEN, 1);
        let js = text_like(24 * 1024, 2);
        let css = text_like(16 * 1024, 3);
        let css_br = brotli_best(&css);
        let write = |path: &Path, bytes: &[u8]| std::fs::write(path, bytes).expect("write");
        write(&pkg.join("tidings.wasm"), &wasm);
        write(&pkg.join(format!("tidings.{HASH}.wasm")), &wasm);
        write(&pkg.join("tidings.js"), &js);
        write(&pkg.join(format!("tidings.{HASH}.js")), &js);
        write(&pkg.join("tidings.css"), &css);
        write(&pkg.join(format!("tidings.{HASH}.css")), &css);
        write(&pkg.join("tidings.css.br"), &css_br);
        write(&pkg.join("photo.png"), &text_like(8 * 1024, 4));
        let large = text_like(LARGE_LEN, 5);
        write(&pkg.join("large.wasm"), &large);
        write(&pkg.join("large-precompressed.wasm"), &large);
        write(
            &pkg.join("large-precompressed.wasm.br"),
            &brotli_best(&large),
        );
        write(
            &dir.path().join("favicon.svg"),
            br#"<svg xmlns="http://www.w3.org/2000/svg"/>"#,
        );
        write(
            &dir.path().join("sw.js"),
            b"self.addEventListener('fetch', () => {});",
        );
        Self {
            dir,
            wasm,
            js,
            css,
            css_br,
        }
    }

    async fn serve(&self) -> TestServer {
        self.serve_listing(None).await
    }

    /// A server naming the bundle as a hash list saying `hash` does, as
    /// the one `cargo leptos build` writes.
    async fn serve_hashed(&self, hash: &str) -> TestServer {
        let list = self.dir.path().join("hash.txt");
        let text = format!("js: {hash}\nwasm: {hash}\ncss: {hash}\n");
        std::fs::write(&list, text).expect("write the hash list");
        self.serve_listing(Some(list.to_str().expect("a UTF-8 path")))
            .await
    }

    async fn serve_listing(&self, hash_list: Option<&str>) -> TestServer {
        let options = LeptosOptions::builder()
            .output_name("tidings")
            .site_root(self.dir.path().to_str().expect("a UTF-8 path"))
            .site_pkg_dir("pkg")
            .hash_files(hash_list.is_some())
            .hash_file(std::sync::Arc::from(hash_list.unwrap_or("hash.txt")))
            .build();
        TestServer::start_with(move |config| config.leptos = Some(options)).await
    }
}

/// `len` bytes of words and numbers, as compressible as code is.
fn text_like(len: usize, seed: u64) -> Vec<u8> {
    const WORDS: [&str; 12] = [
        "local.get",
        "i32.const",
        "call",
        "$tidings::cache::Store::apply",
        "i64.store",
        "br_if",
        "end",
        "(func",
        "(param",
        "i32)",
        "memory.grow",
        "unreachable",
    ];
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::with_capacity(len + 64);
    while out.len() < len {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        out.extend_from_slice(WORDS[(state >> 33) as usize % WORDS.len()].as_bytes());
        out.extend_from_slice(((state >> 17) % 1000).to_string().as_bytes());
        out.push(if state & 7 == 0 { b'\n' } else { b' ' });
    }
    out.truncate(len);
    out
}

fn brotli_best(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        writer.write_all(bytes).expect("compress");
    }
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .expect("a brotli stream");
    out
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip stream");
    out
}

/// An answer as it arrived: status, headers and the body's bytes, not
/// decoded (the client decodes nothing).
struct Wire {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Wire {
    fn header(&self, name: impl reqwest::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn encoding(&self) -> Option<&str> {
        self.header(CONTENT_ENCODING)
    }

    fn cache_control(&self) -> &str {
        self.header(CACHE_CONTROL).unwrap_or("(none)")
    }

    fn varies_on_encoding(&self) -> bool {
        self.headers
            .get_all(VARY)
            .iter()
            .any(|v| v.to_str().unwrap_or_default().contains("accept-encoding"))
    }

    /// The body decoded as its `Content-Encoding` says.
    fn decoded(&self) -> Vec<u8> {
        match self.encoding() {
            None => self.body.clone(),
            Some("br") => unbrotli(&self.body),
            Some("gzip") => gunzip(&self.body),
            Some(other) => panic!("unexpected encoding {other}"),
        }
    }
}

async fn fetch(
    client: &Client,
    server: &TestServer,
    path: &str,
    headers: &[(reqwest::header::HeaderName, &str)],
) -> Wire {
    let mut request = client.get(server.url(path));
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    let response = request.send().await.expect("the request is answered");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("the body arrives").to_vec();
    Wire {
        status,
        headers,
        body,
    }
}

async fn fetch_as(server: &TestServer, path: &str, accept: Option<&str>) -> Wire {
    let headers: Vec<_> = accept.map(|a| (ACCEPT_ENCODING, a)).into_iter().collect();
    fetch(&server.client, server, path, &headers).await
}

#[tokio::test]
async fn the_bundle_travels_brotli_or_gzip_as_the_browser_accepts() {
    let site = Site::new();
    let server = site.serve().await;
    for (path, file) in [
        ("/pkg/tidings.wasm", &site.wasm),
        ("/pkg/tidings.js", &site.js),
    ] {
        let raw = file.len();
        let br = fetch_as(&server, path, Some("gzip, deflate, br")).await;
        assert_eq!(br.status, StatusCode::OK);
        assert_eq!(br.encoding(), Some("br"), "{path}: brotli is preferred");
        assert!(br.varies_on_encoding(), "{path}: Vary: Accept-Encoding");
        assert_eq!(&br.decoded(), file, "{path}: brotli decodes to the file");
        assert!(
            br.body.len() < raw / 2,
            "{path}: {} brotli bytes for {raw}",
            br.body.len()
        );

        let gzip = fetch_as(&server, path, Some("gzip")).await;
        assert_eq!(gzip.encoding(), Some("gzip"), "{path}");
        assert_eq!(&gzip.decoded(), file, "{path}: gzip decodes to the file");
        assert!(
            gzip.body.len() < raw / 2,
            "{path}: {} gzip bytes for {raw}",
            gzip.body.len()
        );

        let plain = fetch_as(&server, path, None).await;
        assert_eq!(
            plain.encoding(),
            None,
            "{path}: nothing accepted, nothing encoded"
        );
        assert_eq!(&plain.body, file, "{path}");
        eprintln!(
            "{path}: {raw} bytes as they are, {} brotli, {} gzip",
            br.body.len(),
            gzip.body.len()
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn pages_and_api_answers_are_compressed() {
    let site = Site::new();
    let server = site.serve().await;
    for n in 0..12 {
        server
            .create_user(&format!("Reader {n}"), &format!("reader{n}@example.com"))
            .await;
    }

    let page = fetch_as(&server, "/login", Some("br")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.encoding(), Some("br"), "a page");
    let html = String::from_utf8(page.decoded()).expect("UTF-8 HTML");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    let plain_page = fetch_as(&server, "/login", None).await;
    eprintln!(
        "/login: {} bytes as they are, {} brotli",
        plain_page.body.len(),
        page.body.len()
    );

    let api = fetch_as(&server, "/api/users?limit=50", Some("gzip")).await;
    assert_eq!(api.status, StatusCode::OK);
    assert_eq!(api.encoding(), Some("gzip"), "an API answer");
    let list: serde_json::Value = serde_json::from_slice(&api.decoded()).expect("JSON");
    assert_eq!(list["data"].as_array().map(Vec::len), Some(12));
    let plain_api = fetch_as(&server, "/api/users?limit=50", None).await;
    assert!(api.body.len() < plain_api.body.len() / 2);
    eprintln!(
        "/api/users: {} bytes as they are, {} gzip",
        plain_api.body.len(),
        api.body.len()
    );
    server.stop().await;
}

#[tokio::test]
async fn small_answers_images_and_the_socket_upgrade_travel_as_they_are() {
    let site = Site::new();
    let server = site.serve().await;
    let accept = Some("br, gzip");

    let health = fetch_as(&server, "/healthz", accept).await;
    assert_eq!(health.status, StatusCode::OK);
    assert!(health.body.len() < 1024, "{} bytes", health.body.len());
    assert_eq!(health.encoding(), None, "a small answer");

    let image = fetch_as(&server, "/pkg/photo.png", accept).await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image.header("content-type"), Some("image/png"));
    assert_eq!(image.encoding(), None, "an image");
    assert_eq!(image.body.len(), 8 * 1024);

    let icon = fetch_as(&server, "/favicon.svg", accept).await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(icon.encoding(), None, "a small SVG");

    let mut request = server
        .ws_url("/api/events")
        .into_client_request()
        .expect("a WebSocket URL");
    let headers = request.headers_mut();
    headers.insert(
        "authorization",
        format!("Bearer {}", server.admin_token).parse().unwrap(),
    );
    headers.insert("accept-encoding", "br, gzip".parse().unwrap());
    let (mut socket, upgrade) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the socket opens");
    assert_eq!(upgrade.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert!(
        !upgrade.headers().contains_key("content-encoding"),
        "{:?}",
        upgrade.headers()
    );
    let hello = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
        .await
        .expect("a first frame in time")
        .expect("a first frame")
        .expect("a readable frame");
    assert!(hello.into_text().unwrap().contains("\"hello\""));
    server.stop().await;
}

#[tokio::test]
async fn a_file_too_large_to_compress_per_request_travels_compressed_only_from_its_sibling() {
    let site = Site::new();
    let server = site.serve().await;
    let large = fetch_as(&server, "/pkg/large.wasm", Some("gzip, br")).await;
    assert_eq!(large.status, StatusCode::OK);
    assert_eq!(large.encoding(), None, "not compressed per request");
    assert_eq!(large.body.len(), LARGE_LEN);

    let sibling = fetch_as(&server, "/pkg/large-precompressed.wasm", Some("gzip, br")).await;
    assert_eq!(sibling.encoding(), Some("br"), "its build-time .br file");
    assert_eq!(unbrotli(&sibling.body).len(), LARGE_LEN);
    assert!(sibling.body.len() < LARGE_LEN / 2);
    server.stop().await;
}

#[tokio::test]
async fn a_precompressed_sibling_is_sent_as_it_is() {
    let site = Site::new();
    let server = site.serve().await;
    let br = fetch_as(&server, "/pkg/tidings.css", Some("br")).await;
    assert_eq!(br.status, StatusCode::OK);
    assert_eq!(br.encoding(), Some("br"));
    assert_eq!(br.header("content-type"), Some("text/css"));
    assert!(br.varies_on_encoding());
    assert_eq!(br.body, site.css_br, "the .br file, byte for byte");
    assert_eq!(unbrotli(&br.body), site.css);

    // No gzip sibling: compressed on the way out.
    let gzip = fetch_as(&server, "/pkg/tidings.css", Some("gzip")).await;
    assert_eq!(gzip.encoding(), Some("gzip"));
    assert_eq!(gzip.decoded(), site.css);
    server.stop().await;
}

#[tokio::test]
async fn the_service_worker_may_fetch_the_site_and_nothing_else() {
    let site = Site::new();
    let server = site.serve().await;
    let csp = |wire: &Wire| wire.header("content-security-policy").map(str::to_owned);

    let worker = fetch_as(&server, WORKER_PATH, None).await;
    assert_eq!(worker.status, StatusCode::OK);
    assert_eq!(csp(&worker).as_deref(), Some(WORKER_POLICY));
    assert!(WORKER_POLICY.contains("connect-src 'self'"));
    assert_eq!(
        worker.cache_control(),
        REVALIDATE,
        "a new build's worker is found"
    );

    // Any other file keeps the policy that lets nothing load.
    let icon = fetch_as(&server, "/favicon.svg", None).await;
    assert_eq!(csp(&icon).as_deref(), Some(DEFAULT_POLICY));
    server.stop().await;
}

#[tokio::test]
async fn hashed_bundle_files_are_kept_for_a_year_and_the_rest_is_asked_again() {
    let site = Site::new();
    let server = site.serve().await;

    let hashed = fetch_as(&server, &format!("/pkg/tidings.{HASH}.wasm"), Some("br")).await;
    assert_eq!(hashed.status, StatusCode::OK);
    assert_eq!(hashed.cache_control(), IMMUTABLE);
    assert_eq!(unbrotli(&hashed.body), site.wasm);

    for path in ["/pkg/tidings.wasm", "/pkg/tidings.js", "/favicon.svg"] {
        let file = fetch_as(&server, path, Some("br")).await;
        assert_eq!(file.status, StatusCode::OK, "{path}");
        assert_eq!(file.cache_control(), REVALIDATE, "{path}");
        assert!(file.header(LAST_MODIFIED).is_some(), "{path}: a validator");
    }

    let missing = fetch_as(&server, &format!("/pkg/gone.{HASH}.js"), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.cache_control(), PAGE, "a 404 is never immutable");

    for path in ["/login", "/users", "/nope"] {
        let page = fetch_as(&server, path, None).await;
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert_eq!(page.cache_control(), PAGE, "{path}");
    }

    for path in ["/api/users", "/api/nope", "/healthz"] {
        let answer = fetch_as(&server, path, None).await;
        assert_eq!(answer.cache_control(), NO_STORE, "{path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn pages_name_the_hashed_bundle_when_the_site_has_it() {
    let site = Site::new();
    let server = site.serve_hashed(HASH).await;
    let page = fetch_as(&server, "/login", None).await;
    let html = String::from_utf8(page.body).expect("UTF-8 HTML");
    for (extension, file) in [("js", &site.js), ("wasm", &site.wasm), ("css", &site.css)] {
        let path = format!("/pkg/tidings.{HASH}.{extension}");
        assert!(html.contains(&format!("\"{path}\"")), "{path} in {html}");
        let served = fetch_as(&server, &path, None).await;
        assert_eq!(served.status, StatusCode::OK, "{path}");
        assert_eq!(&served.body, file, "{path}");
        assert_eq!(served.cache_control(), IMMUTABLE, "{path}");
    }
    server.stop().await;

    // A list from another build names files the site does not have.
    let stale = "Zz9vB7_kP0-wZ9mN2cR5tA";
    let server = site.serve_hashed(stale).await;
    let page = fetch_as(&server, "/login", None).await;
    let html = String::from_utf8(page.body).expect("UTF-8 HTML");
    assert!(!html.contains(stale), "{html}");
    for path in ["/pkg/tidings.js", "/pkg/tidings.css"] {
        assert!(html.contains(&format!("\"{path}\"")), "{path} in {html}");
    }
    server.stop().await;
}

#[tokio::test]
async fn an_unchanged_file_is_answered_304_without_a_body() {
    let site = Site::new();
    let server = site.serve().await;
    let first = fetch_as(&server, "/pkg/tidings.wasm", Some("br")).await;
    let stamp = first
        .header(LAST_MODIFIED)
        .expect("Last-Modified")
        .to_owned();

    let again = fetch(
        &server.client,
        &server,
        "/pkg/tidings.wasm",
        &[(ACCEPT_ENCODING, "br"), (IF_MODIFIED_SINCE, &stamp)],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty(), "{} bytes", again.body.len());
    assert_eq!(again.encoding(), None);
    assert_eq!(again.cache_control(), REVALIDATE);

    let older = fetch(
        &server.client,
        &server,
        "/pkg/tidings.wasm",
        &[(IF_MODIFIED_SINCE, "Fri, 09 Aug 1996 14:21:40 GMT")],
    )
    .await;
    assert_eq!(older.status, StatusCode::OK);
    assert_eq!(older.body, site.wasm);
    server.stop().await;
}

#[tokio::test]
async fn avatars_are_kept_by_the_readers_browser_only() {
    let site = Site::new();
    let server = site.serve().await;
    let user = server.create_user("Ada", "ada@example.com").await;
    let form = Form::new().part(
        "avatar",
        Part::bytes(TINY_PNG.to_vec())
            .file_name("me.png")
            .mime_str("image/png")
            .unwrap(),
    );
    let uploaded = server
        .client
        .post(server.url(&format!("/api/users/{}/avatar", id_of(&user))))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(uploaded.status(), StatusCode::OK);
    let body: serde_json::Value = uploaded.json().await.expect("JSON");
    let url = body["avatarUrl"].as_str().expect("avatarUrl").to_owned();

    let avatar = fetch_as(&server, &url, Some("br, gzip")).await;
    assert_eq!(avatar.status, StatusCode::OK);
    assert_eq!(avatar.cache_control(), UPLOAD);
    assert_eq!(avatar.encoding(), None);
    assert_eq!(avatar.body, TINY_PNG);
    server.stop().await;
}
