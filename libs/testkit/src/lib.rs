//! Test helpers shared by the apps' tests (a dev-dependency only).
//!
//! - [`call`]: one request through a router, in-process, answer as JSON
//!   (writes with [`IMPORT_TOKEN`], the services' token in tests).
//! - [`serve`]: a router on a free loopback port, in-process.
//! - [`get`]: one `GET` over HTTP, answer as JSON.
//! - [`System`]: the four real binaries on free loopback ports with a
//!   temporary data folder, for end-to-end tests.
//! - [`SilentService`]: a dependency that never answers; [`FaultProxy`]: one
//!   that kills a process at a chosen request.
//! - [`Backend`]: where the store conformance suites put their stores;
//!   [`NatsServer`]: a real `nats-server` with JetStream.

pub mod edits;
mod nats;
mod process;
mod proxy;
mod serve;
mod silent;
mod stores;
mod system;

/// What error answers hold, for tests to name.
pub use exceptions::{Code, Problem};
pub use nats::NatsServer;
pub use process::{Process, binary, binary_dir, free_port, repo_root, supervisor_env};
pub use proxy::{Fault, FaultProxy, Moment};
pub use serve::{Served, serve};
pub use silent::SilentService;
pub use stores::{Backend, MONGODB_TEST_URI, Place, mongodb_test_uri};
pub use system::{System, SystemOptions};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

/// The bearer token of the services' writes in tests ([`writes`]); [`call`],
/// [`System`] and the seed runs of the tests send it.
pub const IMPORT_TOKEN: &str = "test-import-token";

/// The token of the editors in tests (scope `catalogue:write`), named
/// [`WRITER`] in `WRITE_TOKENS`.
pub const WRITE_TOKEN: &str = "test-write-token-of-the-editor";
/// The name [`WRITE_TOKEN`] is logged under.
pub const WRITER: &str = "tester";

/// `WRITE_TOKENS` of every process under test: [`WRITER`]'s [`WRITE_TOKEN`].
pub fn write_tokens() -> String {
    format!("{WRITER}={WRITE_TOKEN}")
}

/// The credentials of a service under test: [`IMPORT_TOKEN`] imports,
/// [`WRITE_TOKEN`] edits.
pub fn credentials() -> bootstrap::Credentials {
    let imports = bootstrap::settings::Imports { import_token: Some(IMPORT_TOKEN.to_owned()) };
    let edits = bootstrap::settings::Edits { write_tokens: Some(write_tokens()) };
    bootstrap::Credentials::new(&imports, &edits).expect("the test tokens are valid")
}

/// Sends one request through `router`, with [`IMPORT_TOKEN`] as a trusted
/// client (the seed tool) would, and returns the status and the JSON body
/// (`Value::Null` for an empty or non-JSON body).
pub async fn call(router: &Router, method: &str, uri: &str, body: Option<&Value>) -> (StatusCode, Value) {
    call_as(router, method, uri, body, Some(&format!("Bearer {IMPORT_TOKEN}"))).await
}

/// [`call`] with this `Authorization` header, or none.
pub async fn call_as(
    router: &Router,
    method: &str,
    uri: &str,
    body: Option<&Value>,
    authorization: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    let request =
        request.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).expect("a well-formed test request");
    let response = router.clone().oneshot(request).await.expect("routers are infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("a readable body");
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// `GET url` over HTTP (30 s at most): the status and the JSON body (`Null` if not JSON).
pub async fn get(url: &str) -> (StatusCode, Value) {
    let response = http().get(url).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = StatusCode::from_u16(response.status().as_u16()).expect("a status code");
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// An HTTP client for tests: loopback only, bounded in time.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build().expect("an HTTP client")
}

/// Asserts that an answer is an error in the product's JSON shape with this
/// status, and returns its messages.
pub fn error_messages(status: StatusCode, body: &Value, expected: StatusCode) -> Vec<String> {
    error_problems(status, body, expected).into_iter().map(|problem| problem.message).collect()
}

/// Asserts that an answer is an error in the product's JSON shape with this
/// status, and returns its problems (`errors`).
pub fn error_problems(status: StatusCode, body: &Value, expected: StatusCode) -> Vec<Problem> {
    assert_eq!(status, expected, "unexpected status; body: {body}");
    assert_eq!(body["statusCode"], expected.as_u16(), "statusCode in {body}");
    assert_eq!(body["error"], expected.canonical_reason().unwrap_or_default(), "error in {body}");
    error_shape(body).unwrap_or_else(|why| panic!("{why}: {body}"))
}

/// A problem as an answer says it: `parameter` when it is about one field.
pub fn problem(code: Code, parameter: Option<&str>, message: impl Into<String>) -> Problem {
    Problem { code, parameter: parameter.map(str::to_owned), message: message.into() }
}

/// The problems of an error body, if it has the product's shape: `message`
/// a list of strings, and `errors` one problem per message, in its order,
/// each with a code of the documented set; else what is wrong.
pub fn error_shape(body: &Value) -> Result<Vec<Problem>, String> {
    let messages: Vec<&str> = body["message"]
        .as_array()
        .ok_or("message must be a list")?
        .iter()
        .map(|message| message.as_str().ok_or("messages are strings"))
        .collect::<Result<_, _>>()?;
    let problems: Vec<Problem> = serde_json::from_value(body["errors"].clone())
        .map_err(|e| format!("errors must be a list of problems, each with a known code ({e})"))?;
    if messages.is_empty() {
        return Err("an error answer says what went wrong".to_owned());
    }
    if problems.iter().map(|problem| problem.message.as_str()).ne(messages.iter().copied()) {
        return Err("errors must hold one problem per message, in the same order".to_owned());
    }
    Ok(problems)
}

/// Waits (at most 5 s) until the gateway at `gateway` has applied the change
/// log of the concerts service at `concerts` up to its end (its `/ready`
/// says how far it is): the tags of its answers hold from then on, until
/// the next write.
pub async fn gateway_caught_up(gateway: &str, concerts: &str) {
    let (_, log) = get(&format!("{concerts}/changes?limit=1")).await;
    let last = log["last"].as_i64().expect("the concerts' change log");
    for _ in 0..100 {
        let (_, ready) = get(&format!("{gateway}/ready")).await;
        if ready["following"]["concerts"].as_i64().is_some_and(|followed| followed >= last) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the gateway did not follow the concerts' change log to its end ({last}) within 5 s");
}
