//! The venues service's routes against a real SQLite store in a temporary folder.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use serde_json::{Value, json};
use testkit::{call, error_messages};
use venues::routes::router;
use venues::store::SqliteVenueStore;

/// An independent great-circle distance (haversine, sphere of 6378.1 km) to check the service against.
fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6378.1 * h.sqrt().asin()
}

async fn app_with(venues: Value) -> (Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteVenueStore::open(&dir.path().join("venues.sqlite3")).await.unwrap();
    let app = router(Arc::new(store), &bootstrap::Limits::default()).unwrap();
    let (status, body) = call(&app, "PUT", "/venues", Some(&venues)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (app, dir)
}

fn ids(body: &Value) -> Vec<i64> {
    body.as_array().unwrap_or_else(|| panic!("a list: {body}")).iter().map(|v| v["id"].as_i64().unwrap()).collect()
}

const PARIS: (f64, f64) = (48.857931, 2.350144);

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
        call(app, "GET", &format!("/venues/within?latitude={lat}&longitude={lon}&radius={radius}"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    ids(&body)
}

#[tokio::test]
async fn within_radius_is_the_great_circle_set() {
    let (app, _dir) = app_with(paris_area()).await;
    let venues = paris_area();
    for radius in [0.0, 1.0, 3.0, 8.0, 343.0, 400.0, 20_000.0] {
        let expected: Vec<i64> = venues
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| {
                haversine_km(PARIS, (v["latitude"].as_f64().unwrap(), v["longitude"].as_f64().unwrap())) <= radius
            })
            .map(|v| v["id"].as_i64().unwrap())
            .collect();
        assert_eq!(within(&app, PARIS, radius).await, expected, "radius {radius}");
    }
}

#[tokio::test]
async fn a_venue_exactly_at_the_radius_is_inside() {
    let (app, _dir) = app_with(paris_area()).await;
    let point_ephemere = (48.8814422, 2.3684356);
    let exact = haversine_km(PARIS, point_ephemere);
    assert!(within(&app, PARIS, exact).await.contains(&2));
    assert!(!within(&app, PARIS, exact - 0.001).await.contains(&2));
    assert_eq!(within(&app, PARIS, 0.0).await, vec![5], "radius 0 at a venue's exact position finds it");
}

#[tokio::test]
async fn circles_across_the_antimeridian_and_around_a_pole_find_both_sides() {
    let (app, _dir) = app_with(json!([
        {"id": 1, "name": "East of the line", "latitude": -16.5, "longitude": 179.95},
        {"id": 2, "name": "West of the line", "latitude": -16.5, "longitude": -179.95},
        {"id": 3, "name": "Far away", "latitude": -16.5, "longitude": 170.0},
        {"id": 4, "name": "Pole, one side", "latitude": 89.9, "longitude": 0.0},
        {"id": 5, "name": "Pole, other side", "latitude": 89.9, "longitude": 180.0}
    ]))
    .await;
    assert_eq!(within(&app, (-16.5, 180.0), 20.0).await, vec![1, 2]);
    assert_eq!(within(&app, (-16.5, -179.99), 20.0).await, vec![1, 2]);
    assert_eq!(within(&app, (90.0, 0.0), 15.0).await, vec![4, 5]);
    assert_eq!(within(&app, (89.9, 90.0), 25.0).await, vec![4, 5]);
}

#[tokio::test]
async fn venues_are_found_by_id_and_reimport_moves_them() {
    let (app, _dir) = app_with(paris_area()).await;
    let (_, body) = call(&app, "GET", "/venues?ids=4,2,42", None).await;
    assert_eq!(ids(&body), vec![2, 4]);
    assert_eq!(body[0]["name"], "Point Ephémère, Paris, France");
    assert_eq!(body[0]["latitude"], 48.8814422);

    // The London venue moves to Paris: the geo index follows.
    let moved = json!([{"id": 4, "name": "Moved", "latitude": 48.8580, "longitude": 2.3501}]);
    call(&app, "PUT", "/venues", Some(&moved)).await;
    assert!(within(&app, PARIS, 1.0).await.contains(&4));
    assert!(!within(&app, (51.5396971, -0.1426), 1.0).await.contains(&4));
}

#[tokio::test]
async fn geo_queries_and_imports_are_validated() {
    let (app, _dir) = app_with(paris_area()).await;
    let cases = [
        ("/venues/within?latitude=91&longitude=0&radius=1", vec!["latitude must be <= 90"]),
        ("/venues/within?latitude=0&longitude=0", vec!["radius is required"]),
        ("/venues/within?latitude=0&longitude=0&radius=-1", vec!["radius must be >= 0"]),
        ("/venues/within?latitude=0&longitude=x&radius=1", vec!["longitude must be a number (got \"x\")"]),
    ];
    for (uri, expected) in cases {
        let (status, body) = call(&app, "GET", uri, None).await;
        assert_eq!(error_messages(status, &body, StatusCode::BAD_REQUEST), expected, "{uri}");
    }
    let bad = json!([{"id": 9, "name": "Nowhere", "latitude": 95.0, "longitude": 0.0}]);
    let (status, body) = call(&app, "PUT", "/venues", Some(&bad)).await;
    assert_eq!(error_messages(status, &body, StatusCode::BAD_REQUEST), vec!["[0].latitude must be <= 90"]);
}
