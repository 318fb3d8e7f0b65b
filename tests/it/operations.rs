//! What operators rely on: request ids across the processes, one log line per
//! request, Prometheus metrics, liveness and readiness probes.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use testkit::{Process, System, SystemOptions, error_messages};

#[tokio::test]
async fn a_request_can_be_followed_across_all_four_processes_by_its_id() {
    let system = System::start_seeded(SystemOptions::default()).await;
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{}/concerts?bandIds=1", system.gateway.url))
        .header("x-request-id", "trace-me-7f3a")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-request-id"], "trace-me-7f3a", "the caller's id comes back");

    // A bandIds query asks bands, concerts, then venues: each logs the id with its request line.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for process in [&system.gateway, &system.bands, &system.concerts, &system.venues] {
        let lines: Vec<String> = process.log_lines().into_iter().filter(|l| l.contains("trace-me-7f3a")).collect();
        let line = lines
            .iter()
            .find(|l| l.contains("finished processing request"))
            .unwrap_or_else(|| panic!("{} logs no request line with the id: {:?}", process.name, process.log_lines()));
        for field in ["method=", "route=\"/", "status=200", "latency="] {
            assert!(line.contains(field), "{}: {field} in {line}", process.name);
        }
    }

    // Without an id, the gateway makes one and returns it.
    let response = client.get(format!("{}/concerts?bandIds=1", system.gateway.url)).send().await.unwrap();
    let made = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(made.len(), 36, "a UUID: {made}");
}

#[tokio::test]
async fn logs_are_json_lines_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").display().to_string();
    let bands = Process::start(
        "bands",
        dir.path(),
        &[("BANDS_HTTP_PORT", "0".into()), ("DATA_DIR", data), ("LOG_FORMAT", "json".into())],
    )
    .await;
    reqwest::get(format!("{}/bands?ids=1", bands.url)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let request_line = bands
        .log_lines()
        .into_iter()
        .filter_map(|line| serde_json::from_str::<Value>(&line).ok())
        .find(|entry| entry["message"] == "finished processing request")
        .expect("a JSON request line");
    assert_eq!(request_line["span"]["route"], "/bands");
    assert_eq!(request_line["span"]["method"], "GET");
    assert_eq!(request_line["status"], 200);
    assert!(request_line["latency"].is_string());
    assert!(request_line["span"]["request_id"].as_str().is_some_and(|id| id.len() == 36));
}

#[tokio::test]
async fn every_process_serves_prometheus_metrics() {
    let system = System::start_seeded(SystemOptions::default()).await;
    system.get("/concerts?latitude=48.857931&longitude=2.350144&radius=20").await;
    system.get("/concerts?bandIds=x").await;

    let metrics = |process: &Process| {
        let url = format!("{}/metrics", process.url);
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let gateway = metrics(&system.gateway).await;
    for expected in [
        r#"http_requests_total{method="GET",route="/concerts",status="200"} 1"#,
        r#"http_requests_total{method="GET",route="/concerts",status="400"} 1"#,
        r#"http_request_duration_seconds_bucket{method="GET",route="/concerts",status="200",le="0.5"}"#,
        // The circle's venue ids, then the names of the page's venues.
        r#"downstream_request_duration_seconds_count{service="venues",outcome="ok"} 2"#,
        r#"downstream_request_duration_seconds_count{service="concerts",outcome="ok"} 1"#,
        "process_resident_memory_bytes",
    ] {
        assert!(gateway.contains(expected), "gateway metrics lack {expected}:\n{gateway}");
    }
    let venues = metrics(&system.venues).await;
    for expected in [
        r#"store_query_duration_seconds_count{backend="memory",operation="venues_ids_within_radius",outcome="ok"} 1"#,
        r#"http_requests_total{method="GET",route="/venues/within/ids",status="200"} 1"#,
        // The gateway tags its answers with the services' data versions (asked at
        // the first request and again as the import shows in the venues' log).
        r#"http_requests_total{method="GET",route="/version",status="200"} "#,
    ] {
        assert!(venues.contains(expected), "venues metrics lack {expected}:\n{venues}");
    }
}

#[tokio::test]
async fn readiness_follows_the_services_and_liveness_does_not() {
    let mut system = System::start(SystemOptions::default()).await;
    let (status, body) = system.get("/ready").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["services"]["venues"], "ready");
    for service in [&system.bands, &system.venues, &system.concerts] {
        let (status, body) = system.get_from(service, "/ready").await;
        assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ready")), "{}", service.name);
    }

    system.venues.kill().await;
    let (status, body) = system.get("/ready").await;
    let messages = error_messages(status, &body, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(messages, vec!["the venues service is unreachable"]);
    let (status, body) = system.get("/health").await;
    assert_eq!((status, body), (StatusCode::OK, serde_json::json!({"status": "ok"})), "still alive");

    system.restart("venues").await;
    let (status, _) = system.get("/ready").await;
    assert_eq!(status, StatusCode::OK, "ready again once the service is back");
}
