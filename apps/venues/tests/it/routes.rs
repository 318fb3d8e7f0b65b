//! The venues service's HTTP routes against a real SQLite store in a temporary
//! folder. What the store itself must do, on every backend (the great-circle
//! sets, the boundary, the antimeridian), is in `conformance.rs`.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use serde_json::{Value, json};
use testkit::{call, error_messages};
use venues::routes::router;
use venues::store::SqliteVenueStore;

async fn app_with(venues: Value) -> (Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteVenueStore::open(&dir.path().join("venues.sqlite3")).await.unwrap();
    let app = router(Arc::new(store), &bootstrap::settings::Limits::default(), &testkit::credentials()).unwrap();
    let (status, body) = call(&app, "PUT", "/venues", Some(&venues)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (app, dir)
}

fn ids(body: &Value) -> Vec<i64> {
    body.as_array().unwrap_or_else(|| panic!("a list: {body}")).iter().map(|v| v["id"].as_i64().unwrap()).collect()
}

fn paris_area() -> Value {
    json!([
        {"id": 1, "name": "Olympia, Paris, France", "latitude": 48.8700, "longitude": 2.3283},
        {"id": 2, "name": "Point Ephémère, Paris, France", "latitude": 48.8814422, "longitude": 2.3684356},
        {"id": 3, "name": "Stade de France, Saint-Denis, France", "latitude": 48.9245, "longitude": 2.3602},
        {"id": 4, "name": "Electric Ballroom, London, UK", "latitude": 51.5396971, "longitude": -0.1426},
        {"id": 5, "name": "Zénith, Paris, France", "latitude": 48.857931, "longitude": 2.350144}
    ])
}

async fn within(app: &Router, (lat, lon): (f64, f64), radius: f64) -> Vec<i64> {
    let (status, body) =
        call(app, "GET", &format!("/venues/within/ids?latitude={lat}&longitude={lon}&radius={radius}"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).expect("a list of ids")
}

#[tokio::test]
async fn venues_are_found_by_id_and_within_a_radius() {
    let (app, _dir) = app_with(paris_area()).await;
    let (_, body) = call(&app, "GET", "/venues?ids=4,2,42", None).await;
    assert_eq!(ids(&body), vec![2, 4]);
    assert_eq!(
        body[0],
        json!({"id": 2, "name": "Point Ephémère, Paris, France", "latitude": 48.8814422, "longitude": 2.3684356})
    );
    let (_, repeated) = call(&app, "GET", "/venues?ids=4&ids=2", None).await;
    assert_eq!(repeated, body);
    assert_eq!(within(&app, (48.857931, 2.350144), 8.0).await, vec![1, 2, 3, 5]);
    // Nearest first: Zénith at the centre, Olympia (2.1 km), Point Ephémère (2.9 km), Stade de France (7.4 km).
    let (status, nearest) =
        call(&app, "GET", "/venues/within/nearest?latitude=48.857931&longitude=2.350144&radius=8", None).await;
    assert_eq!(status, StatusCode::OK, "{nearest}");
    let nearest: Vec<(i64, f64)> = serde_json::from_value(nearest).expect("[[id, km], ...]");
    assert_eq!(nearest.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![5, 1, 2, 3]);
    let kms: Vec<f64> = nearest.iter().map(|(_, km)| (km * 10.0).round() / 10.0).collect();
    assert_eq!(kms, vec![0.0, 2.1, 2.9, 7.4]);
}

#[tokio::test]
async fn geo_queries_and_imports_are_validated() {
    let (app, _dir) = app_with(paris_area()).await;
    let cases = [
        ("/venues/within/ids?latitude=91&longitude=0&radius=1", vec!["latitude must be <= 90"]),
        ("/venues/within/ids?latitude=0&longitude=0", vec!["radius is required"]),
        ("/venues/within/ids?latitude=0&longitude=0&radius=-1", vec!["radius must be >= 0"]),
        ("/venues/within/ids?latitude=0&longitude=x&radius=1", vec!["longitude must be a number (got \"x\")"]),
        ("/venues/within/nearest?latitude=0&longitude=0", vec!["radius is required"]),
    ];
    for (uri, expected) in cases {
        let (status, body) = call(&app, "GET", uri, None).await;
        assert_eq!(error_messages(status, &body, StatusCode::BAD_REQUEST), expected, "{uri}");
    }
    let bad = json!([{"id": 9, "name": "Nowhere", "latitude": 95.0, "longitude": 0.0}]);
    let (status, body) = call(&app, "PUT", "/venues", Some(&bad)).await;
    assert_eq!(error_messages(status, &body, StatusCode::BAD_REQUEST), vec!["[0].latitude must be <= 90"]);
}
