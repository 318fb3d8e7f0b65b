//! Services that are down, silent or overloaded: the gateway answers JSON
//! errors within its deadlines, sheds what it cannot take, and its probes
//! keep answering. Every loop is bounded.

use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Value, json};
use testkit::{Code, Problem, SilentService, error_messages, error_problems};

use crate::{NOWHERE, gateway};

const GEO_QUERY: &str = "/concerts?latitude=48.857931&longitude=2.350144&radius=20";

#[tokio::test]
async fn an_unreachable_service_gives_a_json_503_quickly() {
    let gateway = gateway(&NOWHERE, |_| {}).await;
    let started = Instant::now();
    let (status, body) = testkit::get(&format!("{}{GEO_QUERY}", gateway.url)).await;
    assert_eq!(
        error_problems(status, &body, StatusCode::SERVICE_UNAVAILABLE),
        [Problem::new(Code::ServiceUnavailable, "the venues service is unreachable")]
    );
    let (status, body) = testkit::get(&format!("{}/concerts?bandIds=1", gateway.url)).await;
    assert_eq!(
        error_messages(status, &body, StatusCode::SERVICE_UNAVAILABLE),
        vec!["the concerts service is unreachable"]
    );
    assert!(started.elapsed() < Duration::from_secs(5), "failures are answered, not hung: {:?}", started.elapsed());
}

#[tokio::test]
async fn a_service_that_never_answers_gives_a_504_within_the_timeout() {
    let silent = SilentService::start().await;
    let url = silent.url.as_str();
    let gateway = gateway(&[url, url, url], |s| s.calls.downstream_timeout_ms = 300).await;
    let started = Instant::now();
    let (status, body) = testkit::get(&format!("{}/concerts?bandIds=1", gateway.url)).await;
    let elapsed = started.elapsed();
    let problems = error_problems(status, &body, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!((problems.len(), problems[0].code), (1, Code::GatewayTimeout));
    assert!(problems[0].message.contains("did not answer within 300 ms"), "{problems:?}");
    assert!(elapsed < Duration::from_secs(5), "answered after {elapsed:?}");
}

#[tokio::test]
async fn a_flood_beyond_the_limit_is_shed_quickly_while_probes_keep_answering() {
    // The services never answer, so each admitted geo request holds its slot until its timeout.
    let silent = SilentService::start().await;
    let url = silent.url.as_str();
    let gateway = gateway(&[url, url, url], |s| {
        s.calls.downstream_timeout_ms = 1500;
        s.limits.max_concurrent_requests = 2;
    })
    .await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let url = gateway.url.clone();
    let admitted: Vec<_> = (0..2)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move { client.get(format!("{url}{GEO_QUERY}")).send().await.unwrap().status() })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let flood: Vec<_> = (0..20)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                let started = Instant::now();
                let response = client.get(format!("{url}/concerts?bandIds=1")).send().await.unwrap();
                let retry_after = response.headers().get("retry-after").cloned();
                let status = response.status();
                (status, retry_after, response.json::<Value>().await.unwrap(), started.elapsed())
            })
        })
        .collect();
    for request in flood {
        let (status, retry_after, body, took) = request.await.unwrap();
        let problems = error_problems(status, &body, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!((problems.len(), problems[0].code), (1, Code::Overloaded), "shed, not failed");
        assert!(problems[0].message.contains("too many requests"), "{problems:?}");
        assert_eq!(retry_after.as_ref().and_then(|v| v.to_str().ok()), Some("1"));
        assert!(took < Duration::from_secs(1), "shed at once, not queued: {took:?}");
    }
    let status = client.get(format!("{url}/health")).send().await.unwrap().status();
    assert_eq!(status, StatusCode::OK, "probes are not shed");

    for request in admitted {
        assert_eq!(request.await.unwrap(), StatusCode::GATEWAY_TIMEOUT, "admitted requests end at their timeout");
    }
    let status = client.get(format!("{url}/concerts?bandIds=1")).send().await.unwrap().status();
    assert_ne!(status, StatusCode::SERVICE_UNAVAILABLE, "slots are given back: {status}");
}

/// A stand-in whose `/ready` answers `status`.
async fn ready_answering(status: StatusCode) -> testkit::Served {
    testkit::serve(Router::new().route("/ready", get(move || async move { (status, "{}") }))).await
}

#[tokio::test]
async fn readiness_names_each_service_that_is_not_ready() {
    let (ready, unready) =
        (ready_answering(StatusCode::OK).await, ready_answering(StatusCode::SERVICE_UNAVAILABLE).await);
    let all_ready = gateway(&[&ready.url, &ready.url, &ready.url], |_| {}).await;
    let (status, body) = testkit::get(&format!("{}/ready", all_ready.url)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"status": "ready", "services": {"bands": "ready", "venues": "ready", "concerts": "ready"}, "following": {"concerts": null, "from": "log"}})
    );

    let some_not = gateway(&[&ready.url, NOWHERE[0], &unready.url], |_| {}).await;
    let (status, body) = testkit::get(&format!("{}/ready", some_not.url)).await;
    assert_eq!(
        error_messages(status, &body, StatusCode::SERVICE_UNAVAILABLE),
        vec!["the venues service is unreachable; the concerts service answered 503 Service Unavailable"]
    );
    let (status, body) = testkit::get(&format!("{}/health", some_not.url)).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})), "still alive");
}

#[tokio::test]
async fn a_service_back_from_a_restart_is_used_at_once_not_after_the_breaker_cooldown() {
    // bands on a port where nothing listens yet, as while it restarts.
    let port = testkit::free_port();
    back_at_once_after(port, None).await;
}

#[tokio::test]
async fn a_service_that_drops_its_connections_gives_503_and_is_used_at_once_when_back() {
    // bands killed with requests in flight: it reads each request, then drops the connection.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let dropping = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0u8; 1024];
            let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut buffer).await;
        }
    });
    back_at_once_after(port, Some(dropping)).await;
}

/// Six requests to /bands?q= while bands (at `port`) is gone, each a 503,
/// then bands comes back on `port` (after `gone` is stopped): the next
/// request gets through, no circuit having opened.
async fn back_at_once_after(port: u16, gone: Option<tokio::task::JoinHandle<()>>) {
    let bands = format!("http://127.0.0.1:{port}");
    let gateway = gateway(&[bands.as_str(), NOWHERE[1], NOWHERE[2]], |s| {
        s.calls.breaker_failures = 2;
        s.calls.breaker_cooldown_ms = 60_000;
    })
    .await;
    for _ in 0..6 {
        let (status, body) = testkit::get(&format!("{}/bands?q=muse", gateway.url)).await;
        assert_eq!(
            error_messages(status, &body, StatusCode::SERVICE_UNAVAILABLE),
            vec!["the bands service is unreachable"]
        );
    }
    if let Some(gone) = gone {
        gone.abort();
        let _ = gone.await;
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let stand_in = Router::new()
        .route("/bands/search", get(|| async { axum::Json(json!([{"id": 1, "name": "Muse"}])) }))
        .route("/version", get(|| async { axum::Json(json!({"version": "1"})) }));
    tokio::spawn(async move { axum::serve(listener, stand_in).await });
    let (status, body) = testkit::get(&format!("{}/bands?q=muse", gateway.url)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0]["name"], "Muse");
}
