//! The browser API client over real fetches in headless Chromium, without
//! our server: the test runner serves the test page on 127.0.0.1, so a
//! path it does not have is a real 404, port 9 is closed, and the test's
//! own WASM file is a large body that takes a while to arrive.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use app::api::endpoint::GET_USER;
use app::api::http::HttpApi;
use app::api::{
    cancellable, Api, ApiError, CallOptions, CancelToken, ClientBuilder, EndpointMetrics,
    RetryPolicy,
};
use uuid::Uuid;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Serves the runner's copy of this test's WASM (tens of megabytes in a
/// debug build) whatever path the client appends: the runner ignores the
/// query string.
const SLOW_BASE: &str = "/wasm-bindgen-test_bg.wasm?then=";

/// Without console logging, with a tiny retry schedule.
fn builder(max_retries: u32) -> ClientBuilder {
    ClientBuilder::new().retry(RetryPolicy::new(max_retries, Duration::from_millis(2)))
}

fn get_user_metrics(api: &HttpApi) -> EndpointMetrics {
    api.metrics()
        .expect("the browser client keeps metrics")
        .of(GET_USER)
}

#[wasm_bindgen_test]
async fn a_404_is_final_after_exactly_one_attempt() {
    let api = HttpApi::with_builder("", builder(3));
    let err = api.get_user(Uuid::nil()).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
    assert!(!err.retryable());
    let m = get_user_metrics(&api);
    assert_eq!(
        (m.count, m.failures, m.requests, m.retries),
        (1, 1, 1, 0),
        "{m:?}"
    );
}

#[wasm_bindgen_test]
async fn a_network_error_is_retried_as_the_policy_says() {
    let api = HttpApi::with_builder("http://127.0.0.1:9", builder(2));
    let err = api.get_user(Uuid::nil()).await.unwrap_err();
    assert!(matches!(err, ApiError::Network(_)), "{err:?}");
    let m = get_user_metrics(&api);
    assert_eq!(
        (m.count, m.failures, m.requests, m.retries),
        (1, 1, 3, 2),
        "{m:?}"
    );
}

#[wasm_bindgen_test]
async fn a_timeout_aborts_the_request() {
    let api = HttpApi::with_builder(
        SLOW_BASE,
        builder(0).timeout(Some(Duration::from_millis(5))),
    );
    let started = js_sys::Date::now();
    let err = api.get_user(Uuid::nil()).await.unwrap_err();
    assert_eq!(err, ApiError::Timeout { after_ms: 5 });
    assert!(err.retryable());
    assert!(
        js_sys::Date::now() - started < 2_000.0,
        "gave up without waiting for the body"
    );
    let m = get_user_metrics(&api);
    assert_eq!((m.requests, m.failures), (1, 1), "{m:?}");
}

#[wasm_bindgen_test]
async fn a_timed_out_request_is_retried() {
    let api = HttpApi::with_builder(
        SLOW_BASE,
        builder(1).timeout(Some(Duration::from_millis(5))),
    );
    let err = api.get_user(Uuid::nil()).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let m = get_user_metrics(&api);
    assert_eq!((m.requests, m.retries), (2, 1), "{m:?}");
}

#[wasm_bindgen_test]
async fn a_cancelled_request_reports_aborted() {
    let api = HttpApi::with_builder(SLOW_BASE, builder(0));
    let token = CancelToken::new();
    let mut call = api
        .with_options(CallOptions::new().cancel_with(&token))
        .get_user(Uuid::nil());
    assert!(
        futures::poll!(&mut call).is_pending(),
        "the fetch is under way"
    );
    token.cancel();
    assert_eq!(call.await, Err(ApiError::Aborted));
    let m = get_user_metrics(&api);
    assert_eq!(
        (m.count, m.aborted, m.failures, m.requests),
        (1, 1, 0, 1),
        "{m:?}"
    );

    // Any call through the trait can be made cancellable from outside.
    let token = CancelToken::new();
    let mut call = Box::pin(cancellable(api.get_user(Uuid::nil()), &token));
    assert!(futures::poll!(&mut call).is_pending());
    token.cancel();
    assert_eq!(call.await, Err(ApiError::Aborted));
}

#[wasm_bindgen_test]
async fn an_abort_signal_cancels_through_a_token() {
    let controller = web_sys::AbortController::new().unwrap();
    let token = app::api::browser::cancel_on_abort(&controller.signal());
    let api = HttpApi::with_builder(SLOW_BASE, builder(0))
        .with_options(CallOptions::new().cancel_with(&token));
    let mut call = api.get_user(Uuid::nil());
    assert!(futures::poll!(&mut call).is_pending());
    controller.abort();
    assert_eq!(call.await, Err(ApiError::Aborted));
    assert!(token.is_cancelled());

    let aborted = web_sys::AbortController::new().unwrap();
    aborted.abort();
    assert!(app::api::browser::cancel_on_abort(&aborted.signal()).is_cancelled());
}

#[wasm_bindgen_test]
async fn identical_concurrent_gets_make_one_request() {
    let api = HttpApi::with_builder("", builder(0));
    let id = Uuid::from_u128(42);
    let (a, b) = futures::join!(api.get_user(id), api.get_user(id));
    assert_eq!(a.unwrap_err().status(), Some(404));
    assert_eq!(b.unwrap_err().status(), Some(404));
    let m = get_user_metrics(&api);
    assert_eq!(
        (m.count, m.requests, m.cache_hits),
        (2, 1, 1),
        "one network request for two callers: {m:?}"
    );

    // Once settled, the same GET asks again.
    let _ = api.get_user(id).await;
    assert_eq!(get_user_metrics(&api).requests, 2);
}

#[wasm_bindgen_test]
async fn browser_timers_sleep_and_the_clock_moves() {
    let started = js_sys::Date::now();
    app::api::browser::sleep(Duration::from_millis(30)).await;
    assert!(js_sys::Date::now() - started >= 25.0);
}
