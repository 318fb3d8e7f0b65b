//! End to end: the four real binaries on loopback ports, the exercise's data
//! seeded with the real seed tool, the public API called over HTTP; on
//! SQLite, and on MongoDB.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use system_tests::{ON_MONGODB, answers_the_exercise, slow_store_waits};
use testkit::{System, SystemOptions, error_messages, mongodb_test_uri, repo_root};

#[tokio::test]
async fn the_public_api_answers_the_exercise() {
    let system = System::start_seeded(SystemOptions::default()).await;
    answers_the_exercise(&system.gateway.url).await;
}

/// The same system on MongoDB, seeded by the same tool (twice: imports are idempotent).
#[tokio::test]
async fn the_public_api_answers_the_exercise_on_mongodb() {
    let Some(uri) = mongodb_test_uri("end-to-end") else { return };
    let _alone = ON_MONGODB.lock().await;
    let options = SystemOptions {
        mongodb_uri: Some(uri),
        downstream_timeout: Duration::from_secs(15),
        gateway_env: slow_store_waits(),
        ..Default::default()
    };
    let system = System::start_seeded(options).await;
    let output = system.seed(&repo_root().join("data/wemaintain")).await;
    assert!(output.status.success(), "seeding again failed: {}", String::from_utf8_lossy(&output.stderr));
    answers_the_exercise(&system.gateway.url).await;
    system.drop_mongodb_databases().await;
}

/// A service whose MongoDB cannot be reached (nothing listens on the loopback's
/// port 9) still starts, stays alive, reports not-ready, and answers 503 JSON
/// as soon as the server selection times out; the gateway passes the 503 on.
#[tokio::test]
async fn services_whose_mongodb_is_unreachable_start_and_answer_503_quickly() {
    let unreachable = "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300".to_owned();
    let system = System::start(SystemOptions { mongodb_uri: Some(unreachable), ..SystemOptions::default() }).await;
    let http = reqwest::Client::new();
    for service in [&system.bands, &system.venues, &system.concerts] {
        let (status, body) = system.get_from(service, "/health").await;
        assert_eq!(status, StatusCode::OK, "{} is alive: {body}", service.name);
    }
    let requests = [
        http.get(format!("{}/ready", system.bands.url)),
        http.get(format!("{}/bands?ids=1", system.bands.url)),
        http.put(format!("{}/bands", system.bands.url))
            .bearer_auth(testkit::IMPORT_TOKEN)
            .json(&json!([{"id": 1, "name": "Radiohead"}])),
        http.get(format!("{}/ready", system.venues.url)),
        http.get(format!("{}/venues/within/ids?latitude=0&longitude=0&radius=1", system.venues.url)),
        http.get(format!("{}/ready", system.concerts.url)),
        http.post(format!("{}/concerts/search", system.concerts.url)).json(&json!({"bandIds": [1], "limit": 10})),
        http.get(format!("{}/concerts?bandIds=1", system.gateway.url)),
        http.get(format!("{}/ready", system.gateway.url)),
    ];
    for request in requests {
        let started = Instant::now();
        let response = request.send().await.unwrap();
        let elapsed = started.elapsed();
        let url = response.url().clone();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or_else(|e| panic!("{url}: a JSON body: {e}"));
        let messages = error_messages(status, &body, StatusCode::SERVICE_UNAVAILABLE);
        assert!(!messages.is_empty(), "{url}");
        assert!(elapsed < Duration::from_secs(5), "{url} answered after {elapsed:?}");
    }
}

/// `make start` on MongoDB: with the three `*_MONGODB_URI` set, the
/// supervisor brings the system up on its databases, seeds the demo data into
/// them, and the exercise's queries are answered; Ctrl-C's signal stops it.
#[tokio::test]
async fn make_start_runs_the_system_on_mongodb() {
    let Some(uri) = mongodb_test_uri("make start on MongoDB") else { return };
    let _alone = ON_MONGODB.lock().await;
    let data = tempfile::tempdir().unwrap();
    let run = format!("start{}", std::process::id());
    let ports = [0; 4].map(|_| testkit::free_port());
    let mut env = testkit::supervisor_env(ports, &data.path().join("data"));
    env.extend(slow_store_waits().into_iter().map(|(name, value)| (name.to_owned(), value)));
    for service in ["BANDS", "VENUES", "CONCERTS"] {
        env.push((format!("{service}_MONGODB_URI"), uri.clone()));
        env.push((format!("{service}_MONGODB_DATABASE"), format!("{run}_{}", service.to_lowercase())));
    }
    let supervisor = testkit::binary("supervisor");
    let mut start = testkit::Process::spawn("make start", &supervisor, &[] as &[&str], data.path(), &env);
    start.wait_for_line("The concert discovery API is running", Duration::from_secs(60)).await;
    let gateway = format!("http://127.0.0.1:{}", ports[0]);
    answers_the_exercise(&gateway).await;
    start.interrupt();
    let status = start.wait_exit(Duration::from_secs(30)).await.expect("the system stops on Ctrl-C's signal");
    assert!(status.success(), "make start ends with status 0 after Ctrl-C: {status}");
    for service in ["bands", "venues", "concerts"] {
        let config = storage::mongo::MongoConfig::new(&uri, Some(&format!("{run}_{service}")), service).unwrap();
        storage::mongo::MongoDb::connect(&config).await.unwrap().drop().await.unwrap();
    }
}
