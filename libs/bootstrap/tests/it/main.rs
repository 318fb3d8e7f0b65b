//! A process's connections under abuse, served by [`bootstrap::serve_on`] on
//! a loopback port: heads that never finish (slowloris), connections that
//! say nothing, idle keep-alive connections, and oversized header fields.
//! Every wait is bounded.

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use bootstrap::settings::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Short limits, so that the tests are short: a head has 600 ms, an idle
/// connection 2 s.
fn limits() -> Limits {
    Limits { header_read_timeout_ms: 600, keep_alive_timeout_ms: 2000, max_header_bytes: 16384, ..Limits::default() }
}

/// A process serving `/health` and `/hello` with `limits`, on a free port.
async fn start(limits: Limits) -> std::net::SocketAddr {
    let api = Router::new().route("/hello", get(|| async { "hello" }));
    let router = bootstrap::service_router(api, get(|| async { "ready" }), &limits);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { bootstrap::serve_on("test", listener, router, &limits, std::future::pending()).await });
    address
}

/// Waits up to `within` for the server to close `stream` (end of stream or a
/// reset); what it sent meanwhile is returned. Panics if it stays open.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Vec<u8> {
    let mut received = Vec::new();
    let deadline = Instant::now() + within;
    loop {
        let mut buffer = [0u8; 4096];
        match tokio::time::timeout_at(deadline.into(), stream.read(&mut buffer)).await {
            Err(_) => panic!("the connection is still open after {within:?}"),
            Ok(Ok(0) | Err(_)) => return received,
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
        }
    }
}

/// Whether `stream` is still open after `wait` (nothing received, no end).
async fn still_open_after(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buffer = [0u8; 64];
    tokio::time::timeout(wait, stream.read(&mut buffer)).await.is_err()
}

async fn request(stream: &mut TcpStream, path: &str) -> String {
    stream.write_all(format!("GET {path} HTTP/1.1\r\nhost: test\r\n\r\n").as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    // A short answer: its head and body arrive together or soon after.
    while !String::from_utf8_lossy(&answer).contains("\r\n\r\n") {
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(read > 0, "closed before answering");
        answer.extend_from_slice(&buffer[..read]);
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn heads_that_never_finish_are_closed_while_the_probes_keep_answering() {
    let address = start(limits()).await;
    let started = Instant::now();
    let mut partial = Vec::new();
    let mut silent = Vec::new();
    for _ in 0..200 {
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream.write_all(b"GET /hello HTTP/1.1\r\nhost: te").await.unwrap();
        partial.push(stream);
        silent.push(TcpStream::connect(address).await.unwrap());
    }
    // Meanwhile the probe is answered, on a connection of its own each time.
    let probes = reqwest::Client::builder().pool_max_idle_per_host(0).timeout(Duration::from_secs(2)).build().unwrap();
    for _ in 0..5 {
        let health = probes.get(format!("http://{address}/health")).send().await.unwrap();
        assert_eq!(health.status(), 200);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for stream in partial.iter_mut().chain(silent.iter_mut()) {
        // 600 ms from each connection's start, plus room for a loaded machine.
        let received = closed_within(stream, Duration::from_secs(3)).await;
        assert!(received.is_empty(), "closed without an answer: {}", String::from_utf8_lossy(&received));
    }
    assert!(started.elapsed() < Duration::from_secs(4), "closed after {:?}", started.elapsed());
}

#[tokio::test]
async fn a_head_sent_one_byte_at_a_time_is_timed_as_a_whole() {
    let address = start(limits()).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    let started = Instant::now();
    // A byte every 100 ms keeps the socket busy, never the head complete.
    for byte in b"GET /hello HTTP/1.1\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".iter() {
        if stream.write_all(&[*byte]).await.is_err() {
            break;
        }
        if started.elapsed() > Duration::from_secs(3) {
            panic!("the trickled head was still accepted after 3 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    closed_within(&mut stream, Duration::from_secs(1)).await;
    let lasted = started.elapsed();
    assert!(lasted >= Duration::from_millis(500) && lasted < Duration::from_secs(3), "closed after {lasted:?}");
}

#[tokio::test]
async fn an_idle_connection_is_kept_for_the_keep_alive_timeout_then_closed() {
    let address = start(limits()).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    assert!(request(&mut stream, "/hello").await.starts_with("HTTP/1.1 200"));
    // Longer than a head may take: idle is not slow.
    assert!(still_open_after(&mut stream, Duration::from_millis(1200)).await, "closed like a slow head");
    assert!(request(&mut stream, "/hello").await.starts_with("HTTP/1.1 200"), "reused");
    let idle = Instant::now();
    closed_within(&mut stream, Duration::from_secs(4)).await;
    let lasted = idle.elapsed();
    assert!(lasted >= Duration::from_millis(1900), "closed after {lasted:?} of 2 s idle");
}

#[tokio::test]
async fn header_fields_beyond_the_cap_get_a_431() {
    let address = start(limits()).await;
    let client = reqwest::Client::new();
    let url = format!("http://{address}/hello");

    let at_the_cap = client.get(&url).header("x-big", "a".repeat(16_000)).send().await.unwrap();
    assert_eq!(at_the_cap.status(), 200, "under 16,384 bytes of header fields");

    let over = client.get(&url).header("x-big", "a".repeat(20_000)).send().await.unwrap();
    assert_eq!(over.status(), 431);
    let body: serde_json::Value = over.json().await.unwrap();
    let message = body["message"].to_string();
    assert!(message.contains("MAX_HEADER_BYTES") && message.contains("16384"), "names the setting: {body}");
    assert_eq!(body["errors"][0]["code"], "headers_too_large", "{body}");
    assert_eq!(body["errors"][0]["message"], body["message"][0], "{body}");

    // Far over: refused before it is buffered, and the process serves on.
    let huge = client.get(&url).header("x-big", "a".repeat(200_000)).send().await;
    assert!(huge.is_err() || huge.is_ok_and(|r| r.status() == 431), "a 200 KB header is refused");
    let mut many = reqwest::header::HeaderMap::new();
    for index in 0..2000 {
        many.insert(reqwest::header::HeaderName::try_from(format!("x-h{index}")).unwrap(), "1".parse().unwrap());
    }
    let response = client.get(&url).headers(many).send().await;
    assert!(response.is_err() || response.is_ok_and(|r| r.status() == 431), "2,000 header fields are refused");
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
}
