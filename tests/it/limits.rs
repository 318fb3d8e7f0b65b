//! The gateway guarded against abuse, as clients meet it: rate limits per
//! client (the real binary telling clients apart by their loopback address;
//! in-process for keys and tokens), and the security headers of each kind of
//! answer.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bootstrap::settings::{Quota, Switch};
use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use system_tests::InProcess;
use testkit::{System, SystemOptions};

/// A client whose connections come from `address` (127.0.0.0/8 is all loopback).
fn client_from(address: [u8; 4]) -> Client {
    Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::from(address)))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client")
}

/// An answer's status, headers and JSON body (`Null` when not JSON).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().expect("a text header"))
    }
}

async fn ask(request: reqwest::RequestBuilder) -> Answer {
    let answer = request.send().await.expect("an answer");
    let (status, headers) = (answer.status(), answer.headers().clone());
    let body = answer.json().await.unwrap_or(Value::Null);
    Answer { status, headers, body }
}

/// Asks `url` until the first 429, at most `most` times: the answers let
/// in, then the refusal.
async fn until_refused(client: &Client, url: &str, most: usize) -> (Vec<Answer>, Answer) {
    let mut let_in = Vec::new();
    for _ in 0..most {
        let answer = ask(client.get(url)).await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            return (let_in, answer);
        }
        let_in.push(answer);
    }
    panic!("{most} requests to {url}, none refused");
}

/// The refusal a client over its searches' limit gets: 429 in the JSON error
/// shape, when to come back, and the bucket empty.
fn assert_refused(refused: &Answer, quota: &str) {
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.body["errors"][0]["code"], "rate_limited", "{}", refused.body);
    assert!(refused.body["message"][0].as_str().unwrap().contains("retry after 1 s"), "{}", refused.body);
    assert_eq!(refused.header("retry-after"), Some("1"), "one token a second: back in a second at most");
    assert_eq!(refused.header("ratelimit-policy"), Some(quota));
    assert_eq!(refused.header("ratelimit"), Some("\"searches\";r=0;t=5"));
}

/// With the real gateway: a client (127.0.0.1) asks searches faster than its
/// limit of 1 a second with bursts of 5. The burst is let in, counted down in
/// `RateLimit`; then 429 with `Retry-After`. Meanwhile another client
/// (127.0.0.2) is let in with its own full bucket, the first client's name
/// suggestions (another bucket) still are, and the probes are never limited.
/// After `Retry-After`, the first client is let in again.
#[tokio::test]
async fn a_client_beyond_its_rate_gets_429_and_another_client_at_the_same_time_does_not() {
    let gateway_env = vec![("RATE_LIMITS", "on".to_owned()), ("RATE_LIMIT_SEARCHES", "1,5".to_owned())];
    let system = System::start_seeded(SystemOptions { gateway_env, ..SystemOptions::default() }).await;
    let search = format!("{}/concerts?bandIds=1&limit=1", system.gateway.url);
    let (alice, bob) = (client_from([127, 0, 0, 1]), client_from([127, 0, 0, 2]));
    let policy = "\"searches\";q=5;w=5";

    let (let_in, refused) = until_refused(&alice, &search, 20).await;
    assert!((5..=6).contains(&let_in.len()), "the burst of 5 is let in, then refused: {}", let_in.len());
    assert!(let_in.iter().all(|answer| answer.status == StatusCode::OK));
    assert!(let_in.iter().all(|answer| answer.header("ratelimit-policy") == Some(policy)));
    assert_eq!(let_in[0].header("ratelimit"), Some("\"searches\";r=4;t=1"), "the first of 5: 4 left");
    assert_refused(&refused, policy);

    let other = ask(bob.get(&search)).await;
    assert_eq!((other.status, other.header("ratelimit")), (StatusCode::OK, Some("\"searches\";r=4;t=1")));
    let names = ask(alice.get(format!("{}/bands?q=doors", system.gateway.url))).await;
    assert_eq!(names.status, StatusCode::OK, "name suggestions have a bucket of their own");
    assert_eq!(names.header("ratelimit-policy"), Some("\"names\";q=40;w=2"));

    for probe in ["/health", "/ready", "/metrics"] {
        for _ in 0..20 {
            let answer = ask(alice.get(format!("{}{probe}", system.gateway.url))).await;
            assert_eq!(answer.status, StatusCode::OK, "{probe} is never limited");
            assert_eq!(answer.header("ratelimit"), None, "{probe} counts in no bucket");
        }
    }

    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(ask(alice.get(&search)).await.status, StatusCode::OK, "let in again after Retry-After");
}

/// In-process, every client from one address: a partner's API key (in
/// `X-Api-Key` or as a bearer token) and an editor's token each have their
/// own buckets; a key the gateway does not know counts as the address.
/// Writes are limited before their token is checked (guessing tokens is
/// limited too). With `RATE_LIMITS=off`, nothing is limited or told.
#[tokio::test]
async fn known_keys_and_tokens_have_buckets_of_their_own_and_made_up_ones_do_not() {
    let system = InProcess::seeded(|gateway| {
        gateway.rate_limits.rate_limits = Switch::On;
        gateway.rate_limits.rate_limit_searches = "1,3".parse::<Quota>().unwrap();
        gateway.rate_limits.rate_limit_writes = "1,2".parse::<Quota>().unwrap();
        gateway.rate_limits.api_keys = Some("acme=acme-partner-key-0123456789".to_owned());
    })
    .await;
    let client = Client::new();
    let search = format!("{}/concerts?bandIds=1&limit=1", system.gateway.url);
    let (let_in, refused) = until_refused(&client, &search, 10).await;
    assert!((3..=4).contains(&let_in.len()), "{}", let_in.len());
    assert_eq!(refused.body["errors"][0]["code"], "rate_limited");

    let made_up = ask(client.get(&search).header("x-api-key", "a-key-nobody-gave-out-0123")).await;
    assert_eq!(made_up.status, StatusCode::TOO_MANY_REQUESTS, "an unknown key counts as the address");
    let made_up = ask(client.get(&search).bearer_auth("a-token-nobody-gave-out-0123")).await;
    assert_eq!(made_up.status, StatusCode::TOO_MANY_REQUESTS, "an unknown token counts as the address");
    for partner in [
        client.get(&search).header("x-api-key", "acme-partner-key-0123456789"),
        client.get(&search).bearer_auth("acme-partner-key-0123456789"),
    ] {
        let answer = ask(partner).await;
        assert_eq!(answer.status, StatusCode::OK, "the partner's own bucket");
    }
    let editor = ask(client.get(&search).bearer_auth(testkit::WRITE_TOKEN)).await;
    assert_eq!(editor.status, StatusCode::OK, "the editor's own bucket");

    // Writes: a bucket of 2, spent by writes without a token (401) as much as by any.
    let write = || client.post(format!("{}/bands", system.gateway.url)).json(&serde_json::json!({"name": "X"}));
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(ask(write()).await.status);
    }
    assert!(statuses[..2].iter().all(|status| *status == StatusCode::UNAUTHORIZED), "{statuses:?}");
    let refused_at = statuses.iter().position(|status| *status == StatusCode::TOO_MANY_REQUESTS);
    assert!(matches!(refused_at, Some(2..=3)), "guessing tokens is limited: {statuses:?}");

    let unlimited = InProcess::start(|_| {}).await;
    for _ in 0..120 {
        let answer = ask(client.get(format!("{}/bands?q=doors", unlimited.gateway.url))).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.header("ratelimit"), None, "RATE_LIMITS=off tells no limit");
    }
}

/// Every answer tells browsers not to sniff its type, not to be framed, and
/// what to send as Referer; each kind has its Content-Security-Policy: the
/// page may load its own files, its API and the configured tiles; Swagger
/// UI its own files (and the inline styles it sets); data, nothing.
#[tokio::test]
async fn every_answer_carries_the_security_headers_of_its_kind() {
    let system = InProcess::start(|gateway| {
        gateway.browsers.map_tile_url = "https://{s}.tiles.example.org/{z}/{x}/{y}.png".to_owned();
    })
    .await;
    let client = Client::new();
    let policy_of = |answer: &Answer| answer.header("content-security-policy").expect("a policy").to_owned();
    let url = |path: &str| format!("{}{path}", system.gateway.url);
    let mut answers = Vec::new();
    for path in ["/", "/app/app.js", "/api/", "/api-json", "/concerts?bandIds=1", "/concerts?latitude=99", "/nowhere"] {
        let answer = ask(client.get(url(path))).await;
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(answer.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(answer.header("referrer-policy"), Some("strict-origin-when-cross-origin"), "{path}");
        assert!(policy_of(&answer).ends_with("frame-ancestors 'none'"), "{path}: {}", policy_of(&answer));
        answers.push((path, answer));
    }
    let page = policy_of(&answers[0].1);
    assert!(page.starts_with("default-src 'self'; script-src 'self'; style-src 'self';"), "{page}");
    assert!(page.contains("img-src 'self' data: https://*.tiles.example.org;"), "the tiles' host: {page}");
    assert!(page.contains("connect-src 'self';"), "{page}");
    assert_eq!(policy_of(&answers[1].1), page, "the page's files");
    assert!(policy_of(&answers[2].1).contains("style-src 'self' 'unsafe-inline'"), "Swagger UI");
    for (path, answer) in &answers[4..] {
        assert_eq!(policy_of(answer), "default-src 'none'; frame-ancestors 'none'", "{path}: data");
    }
    assert_eq!(answers[5].1.status, StatusCode::BAD_REQUEST);
    assert_eq!(answers[6].1.status, StatusCode::NOT_FOUND);
}
