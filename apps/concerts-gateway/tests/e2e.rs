//! End to end: the four real binaries on loopback ports, the exercise's data
//! seeded with the seed tool, the public API called over HTTP.
//!
//! Expected answers come from the data files themselves, computed here
//! independently of the system (a plain haversine, a plain filter and sort).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{SilentService, System, SystemOptions, error_messages, mongodb_test_uri, repo_root};

/// The exercise's data set, read straight from the files.
struct Data {
    bands: HashMap<i64, String>,
    venues: HashMap<i64, Value>,
    concerts: Vec<Value>,
}

impl Data {
    fn load() -> Self {
        let read = |file: &str| -> Vec<Value> {
            let path = repo_root().join("data/wemaintain").join(file);
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
        };
        let bands = read("bands.json")
            .into_iter()
            .map(|b| (b["id"].as_i64().unwrap(), b["name"].as_str().unwrap().to_owned()))
            .collect();
        let venues = read("venues.json").into_iter().map(|v| (v["id"].as_i64().unwrap(), v)).collect();
        Self { bands, venues, concerts: read("concerts.json") }
    }

    fn venue_position(&self, id: i64) -> (f64, f64) {
        let v = &self.venues[&id];
        (v["latitude"].as_f64().unwrap(), v["longitude"].as_f64().unwrap())
    }

    /// What the API must answer: filter, newest first, in the public shape.
    fn expected(&self, band_ids: Option<&[i64]>, area: Option<((f64, f64), f64)>) -> Vec<Value> {
        let mut matching: Vec<&Value> = self
            .concerts
            .iter()
            .filter(|c| band_ids.is_none_or(|ids| ids.contains(&c["bandId"].as_i64().unwrap())))
            .filter(|c| {
                area.is_none_or(|(centre, radius)| {
                    haversine_km(centre, self.venue_position(c["venueId"].as_i64().unwrap())) <= radius
                })
            })
            .collect();
        matching.sort_by_key(|c| std::cmp::Reverse(c["date"].as_i64().unwrap()));
        matching
            .into_iter()
            .map(|c| {
                let venue = &self.venues[&c["venueId"].as_i64().unwrap()];
                json!({
                    "band": self.bands[&c["bandId"].as_i64().unwrap()],
                    "location": venue["name"],
                    "date": c["date"],
                    "latitude": venue["latitude"],
                    "longitude": venue["longitude"],
                })
            })
            .collect()
    }
}

fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6378.1 * h.sqrt().asin()
}

fn count(body: &Value) -> usize {
    body.as_array().unwrap_or_else(|| panic!("a JSON array: {body}")).len()
}

const PARIS: (f64, f64) = (48.857931, 2.350144);
const VENUE_1: (f64, f64) = (43.63967479999999, -79.3535794);

#[tokio::test]
async fn the_public_api_answers_the_exercise() {
    answers_the_exercise(&System::start_seeded(SystemOptions::default()).await).await;
}

/// The same system on MongoDB, seeded by the same tool (twice: imports are idempotent).
#[tokio::test]
async fn the_public_api_answers_the_exercise_on_mongodb() {
    let Some(uri) = mongodb_test_uri("end-to-end") else { return };
    let system = System::start_seeded(SystemOptions { mongodb_uri: Some(uri), ..SystemOptions::default() }).await;
    let output = system.seed(&repo_root().join("data/wemaintain")).await;
    assert!(output.status.success(), "seeding again failed: {}", String::from_utf8_lossy(&output.stderr));
    answers_the_exercise(&system).await;
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
        http.put(format!("{}/bands", system.bands.url)).json(&json!([{"id": 1, "name": "Radiohead"}])),
        http.get(format!("{}/ready", system.venues.url)),
        http.get(format!("{}/venues/within?latitude=0&longitude=0&radius=1", system.venues.url)),
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

async fn answers_the_exercise(system: &System) {
    let data = Data::load();

    // The counts the exercise's data set is known for.
    let cases = [
        ("/concerts?bandIds=1", 5),
        ("/concerts?bandIds=1,2", 26),
        ("/concerts?bandIds=1&bandIds=2", 26),
        ("/concerts?latitude=43.63967479999999&longitude=-79.3535794&radius=2", 150),
        ("/concerts?latitude=48.857931&longitude=2.350144&radius=20", 935),
        ("/concerts?bandIds=1,2&latitude=43.63967479999999&longitude=-79.3535794&radius=1", 2),
    ];
    for (query, expected) in cases {
        let (status, body) = system.get(query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert_eq!(count(&body), expected, "{query}");
    }

    // Whole answers, item by item and in order, against the independent computation.
    let (_, commas) = system.get("/concerts?bandIds=1,2").await;
    let (_, repeated) = system.get("/concerts?bandIds=2&bandIds=1").await;
    let (_, mixed) = system.get("/concerts?bandIds=1,2&bandIds=2").await;
    assert_eq!(commas, Value::Array(data.expected(Some(&[1, 2]), None)));
    assert_eq!(repeated, commas);
    assert_eq!(mixed, commas);

    let (_, paris) = system.get("/concerts?latitude=48.857931&longitude=2.350144&radius=20").await;
    assert_eq!(paris, Value::Array(data.expected(None, Some((PARIS, 20.0)))));

    let (_, both) =
        system.get("/concerts?bandIds=1,2,3,4,5&latitude=43.63967479999999&longitude=-79.3535794&radius=500").await;
    let expected_both = data.expected(Some(&[1, 2, 3, 4, 5]), Some((VENUE_1, 500.0)));
    assert!(!expected_both.is_empty());
    assert_eq!(both, Value::Array(expected_both));

    // A venue exactly at the radius is inside; radius 0 at a venue finds that venue's concerts.
    let (_, at_venue) = system.get("/concerts?latitude=43.63967479999999&longitude=-79.3535794&radius=0").await;
    assert_eq!(at_venue, Value::Array(data.expected(None, Some((VENUE_1, 0.0)))));
    assert!(count(&at_venue) > 0);

    // Nothing matches: an empty list, not an error.
    for query in ["/concerts?bandIds=999999", "/concerts?latitude=-48.87&longitude=-123.39&radius=100"] {
        let (status, body) = system.get(query).await;
        assert_eq!((status, body), (StatusCode::OK, json!([])), "{query}");
    }
}

#[tokio::test]
async fn every_bad_request_is_a_400_naming_the_parameter_and_rule() {
    let system = System::start(SystemOptions::default()).await;
    let cases: [(&str, &[&str]); 14] = [
        ("/concerts", &["give bandIds, or latitude, longitude and radius together (or all four)"]),
        (
            "/concerts?latitude=1&longitude=2",
            &[
                "radius is required when latitude and longitude are given",
                "give bandIds, or latitude, longitude and radius together (or all four)",
            ],
        ),
        (
            "/concerts?bandIds=1&radius=3",
            &["latitude is required when radius is given", "longitude is required when radius is given"],
        ),
        (
            "/concerts?bandId=1",
            &[
                "bandId is not a known parameter (known: bandIds, cursor, latitude, limit, longitude, radius)",
                "give bandIds, or latitude, longitude and radius together (or all four)",
            ],
        ),
        ("/concerts?bandIds=1&latitude=1&latitude=2&longitude=0&radius=1", &["latitude must be given only once"]),
        ("/concerts?bandIds=one", &["bandIds[0] must be an integer (got \"one\")"]),
        ("/concerts?bandIds=0", &["bandIds[0] must be >= 1"]),
        ("/concerts?latitude=90.5&longitude=0&radius=1", &["latitude must be <= 90"]),
        ("/concerts?latitude=0&longitude=-180.5&radius=1", &["longitude must be >= -180"]),
        ("/concerts?latitude=0&longitude=0&radius=-2", &["radius must be >= 0"]),
        ("/concerts?latitude=0&longitude=0&radius=NaN", &["radius must be a number (got \"NaN\")"]),
        ("/concerts?bandIds=1&limit=0", &["limit must be >= 1"]),
        ("/concerts?bandIds=1&cursor=djE6MToyOjM", &["limit is required when cursor is given"]),
        (
            "/concerts?bandIds=1&limit=5&cursor=Zm9vYmFy",
            &["cursor is not one this API gave out: take it from the previous page's Link header"],
        ),
    ];
    for (query, expected) in cases {
        let (status, body) = system.get(query).await;
        assert_eq!(error_messages(status, &body, StatusCode::BAD_REQUEST), expected, "{query}");
    }
    let (status, body) = system.get("/nowhere").await;
    error_messages(status, &body, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn swagger_ui_and_the_openapi_document_are_served() {
    let system = System::start(SystemOptions::default()).await;
    for path in ["/api", "/api/"] {
        let page = system.get_raw(path).await;
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        let html = page.text().await.unwrap();
        assert!(html.contains("swagger-ui"), "{path} serves Swagger UI");
    }
    let config = system.get_raw("/api/swagger-initializer.js").await.text().await.unwrap();
    assert!(config.contains("/api-json"), "Swagger UI loads the served document: {config}");
    let asset = system.get_raw("/api/swagger-ui-bundle.js").await;
    assert_eq!(asset.status(), StatusCode::OK, "Swagger UI's assets are served by the gateway");

    let (status, document) = system.get("/api-json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let operation = &document["paths"]["/concerts"]["get"];
    let names: Vec<&str> =
        operation["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["bandIds", "cursor", "latitude", "limit", "longitude", "radius"]);
}

#[tokio::test]
async fn a_stopped_service_gives_a_json_5xx_quickly_and_others_keep_working() {
    let mut system =
        System::start_seeded(SystemOptions { downstream_timeout: Duration::from_secs(1), ..SystemOptions::default() })
            .await;
    system.venues.kill().await;

    let started = Instant::now();
    let (status, body) = system.get("/concerts?latitude=48.857931&longitude=2.350144&radius=20").await;
    assert_eq!(
        error_messages(status, &body, StatusCode::SERVICE_UNAVAILABLE),
        vec!["the venues service is unreachable"]
    );
    let (status, body) = system.get("/concerts?bandIds=1").await;
    error_messages(status, &body, StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < Duration::from_secs(10), "failures are answered, not hung: {:?}", started.elapsed());

    // Validation does not need the services.
    let (status, _) = system.get("/concerts?bandIds=x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_service_that_never_answers_gives_a_504_within_the_timeout() {
    let silent = SilentService::start().await;
    let dir = tempfile::tempdir().unwrap();
    let gateway = silent.behind_gateway(dir.path(), &[("DOWNSTREAM_TIMEOUT_MS", "300".to_owned())]).await;

    let started = Instant::now();
    let response = reqwest::get(format!("{}/concerts?bandIds=1", gateway.url)).await.unwrap();
    let elapsed = started.elapsed();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    let messages = error_messages(status, &body, StatusCode::GATEWAY_TIMEOUT);
    assert!(messages[0].contains("did not answer within 300 ms"), "{messages:?}");
    assert!(elapsed < Duration::from_secs(5), "answered after {elapsed:?}");
}
