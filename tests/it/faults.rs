//! The real binaries under faults: a service stopped and restarted under
//! load, SIGTERM with requests in flight. Every loop here is bounded in count
//! and in time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use testkit::{Process, System, SystemOptions, error_messages};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const GEO_QUERY: &str = "/concerts?latitude=48.857931&longitude=2.350144&radius=20";

/// What one request of the steady load saw.
struct Answer {
    at: Instant,
    status: StatusCode,
    body: Value,
    took: Duration,
}

/// Sends `GEO_QUERY` from `workers` loops until `stop` (or 2,000 requests
/// each, or 60 s), and returns every answer.
async fn steady_load(url: String, workers: usize, stop: Arc<AtomicBool>) -> Vec<Answer> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let started = Instant::now();
    let tasks = (0..workers).map(|_| {
        let (client, url, stop) = (client.clone(), url.clone(), stop.clone());
        tokio::spawn(async move {
            let mut answers = Vec::new();
            while !stop.load(Ordering::Relaxed) && answers.len() < 2000 && started.elapsed() < Duration::from_secs(60) {
                let at = Instant::now();
                let response = client.get(format!("{url}{GEO_QUERY}")).send().await.expect("the gateway answers");
                let status = response.status();
                let body = response.json().await.unwrap_or(Value::Null);
                answers.push(Answer { at, status, body, took: at.elapsed() });
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            answers
        })
    });
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all
}

#[tokio::test]
async fn a_service_stopped_under_load_fails_fast_and_recovers_without_restarting_the_gateway() {
    let options = SystemOptions {
        downstream_timeout: Duration::from_millis(1000),
        // No answer kept: every request of the load reaches the services
        // (kept answers during an outage: the next test).
        gateway_env: vec![
            ("REQUEST_DEADLINE_MS", "2000".into()),
            ("BREAKER_COOLDOWN_MS", "300".into()),
            ("ANSWER_CACHE_BYTES", "0".into()),
        ],
        ..SystemOptions::default()
    };
    let mut system = System::start_seeded(options).await;
    let stop = Arc::new(AtomicBool::new(false));
    let load = tokio::spawn(steady_load(system.gateway.url.clone(), 4, stop.clone()));

    tokio::time::sleep(Duration::from_millis(500)).await;
    let stopped_at = Instant::now();
    system.venues.kill().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let restarted_at = Instant::now();
    system.restart("venues").await;

    // Back to 200 within seconds, the gateway untouched.
    let mut recovered = None;
    for _ in 0..100 {
        let (status, _) = system.get(GEO_QUERY).await;
        if status == StatusCode::OK {
            recovered = Some(restarted_at.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered = recovered.expect("geo answers are 200 again within 10 s of the restart");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let answers = load.await.unwrap();

    let during_outage: Vec<&Answer> =
        answers.iter().filter(|a| a.at > stopped_at + Duration::from_millis(50) && a.at < restarted_at).collect();
    assert!(!during_outage.is_empty(), "the load kept running during the outage");
    for answer in &during_outage {
        assert!(answer.status.is_server_error(), "a geo answer needs the venues service: {}", answer.status);
        error_messages(answer.status, &answer.body, answer.status);
        assert!(answer.took < Duration::from_secs(3), "answered within the deadline, not hung: {:?}", answer.took);
    }
    assert!(answers.iter().all(|a| a.status == StatusCode::OK || a.status.is_server_error()));
    let last = answers.iter().max_by_key(|a| a.at).unwrap();
    assert_eq!(last.status, StatusCode::OK, "the load ends on 200s (recovered after {recovered:?})");
    assert_eq!(last.body.as_array().map(Vec::len), Some(935));
}

#[tokio::test]
async fn an_answer_kept_is_served_while_a_service_is_down_and_a_new_one_fails_fast() {
    let mut system = System::start_seeded(SystemOptions::default()).await;
    let (status, kept) = system.get(GEO_QUERY).await;
    assert_eq!(status, StatusCode::OK);
    system.venues.kill().await;

    let (status, again) = system.get(GEO_QUERY).await;
    assert_eq!(status, StatusCode::OK, "the answer made before the outage, for the same data");
    assert_eq!(again, kept);
    let started = Instant::now();
    let (status, body) = system.get("/concerts?latitude=48.86&longitude=2.35&radius=7").await;
    assert!(status.is_server_error(), "an answer not kept needs the venues service: {status}");
    error_messages(status, &body, status);
    assert!(started.elapsed() < Duration::from_secs(3), "failed fast: {:?}", started.elapsed());
}

/// Sends the head and the first half of a `PUT /concerts` body, and returns
/// the connection with the rest of the body still to send.
async fn start_slow_import(url: &str, first_date: i64) -> (TcpStream, Vec<u8>) {
    let records: Vec<String> =
        (0..200).map(|i| format!(r#"{{"bandId":1,"venueId":1,"date":{}}}"#, first_date + i)).collect();
    let body = format!("[{}]", records.join(",")).into_bytes();
    let address = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "PUT /concerts HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        testkit::IMPORT_TOKEN,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let half = body.len() / 2;
    stream.write_all(&body[..half]).await.unwrap();
    (stream, body[half..].to_vec())
}

#[tokio::test]
async fn sigterm_lets_every_request_in_flight_finish_then_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").display().to_string();
    let mut concerts = Process::start(
        "concerts",
        dir.path(),
        &[("CONCERTS_HTTP_PORT", "0".into()), ("DATA_DIR", data), ("IMPORT_TOKEN", testkit::IMPORT_TOKEN.into())],
    )
    .await;

    let mut in_flight = Vec::new();
    for i in 0..8 {
        in_flight.push(start_slow_import(&concerts.url, 1_000_000 * i).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    concerts.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;

    for (mut stream, rest) in in_flight {
        stream.write_all(&rest).await.unwrap();
        let mut answer = String::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut answer)).await.unwrap().unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "an in-flight import completes: {answer}");
        assert!(answer.ends_with(r#"{"imported":200}"#), "{answer}");
    }
    let status = concerts.wait_exit(Duration::from_secs(10)).await.expect("the service exits after SIGTERM");
    assert!(status.success(), "a graceful stop exits 0: {status}");
    assert!(TcpStream::connect(concerts.url.trim_start_matches("http://")).await.is_err(), "no longer accepting");
}
