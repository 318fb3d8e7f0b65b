//! The venues service's HTTP routes against a real SQLite store in a temporary
//! folder. What the store itself must do, on every backend (the great-circle
//! sets, the boundary, the antimeridian), is in `conformance.rs`.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use serde_json::{Value, json};
use testkit::{WRITE_TOKEN, call, call_as, error_messages};
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
        json!({
            "id": 2, "name": "Point Ephémère, Paris, France", "latitude": 48.8814422, "longitude": 2.3684356,
            "city": "Paris", "country": "France", "timeZone": "Europe/Paris"
        })
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

#[tokio::test]
async fn places_are_cities_first_then_venues() {
    let (app, _dir) = app_with(paris_area()).await;
    let (status, body) = call(&app, "GET", "/places?q=paris&limit=4", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let kinds: Vec<(&str, &str)> =
        body.as_array().unwrap().iter().map(|s| (s["kind"].as_str().unwrap(), s["label"].as_str().unwrap())).collect();
    assert_eq!(
        kinds,
        vec![
            ("city", "Paris, France"),
            ("venue", "Olympia, Paris, France"),
            ("venue", "Point Ephémère, Paris, France"),
            ("venue", "Zénith, Paris, France"),
        ]
    );
    assert_eq!(body[0]["venues"], 3);
    assert_eq!(body[1]["id"], 1);
    let (status, body) = call(&app, "GET", "/places?q=%20", None).await;
    assert_eq!(error_messages(status, &body, StatusCode::BAD_REQUEST), vec!["q must not be empty or only spaces"]);
}

/// What a writer expects of a venue's place and zone through its writes.
#[tokio::test]
async fn writes_read_the_place_from_the_name_unless_given_and_the_zone_from_the_position() {
    let (app, _dir) = app_with(json!([])).await;
    let write = |method: &'static str, uri: String, body: Value| {
        let app = app.clone();
        async move { call_as(&app, method, &uri, Some(&body), Some(&format!("Bearer {WRITE_TOKEN}"))).await }
    };
    let (status, made) = write(
        "POST",
        "/venues".into(),
        json!({"name": "Le Trabendo, Paris, France", "latitude": 48.8938, "longitude": 2.3906}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(
        (&made["city"], &made["country"], &made["timeZone"]),
        (&json!("Paris"), &json!("France"), &json!("Europe/Paris"))
    );
    let id = made["id"].as_i64().unwrap();

    // Renamed: the place read from the old name follows the new one.
    let (_, renamed) = write("PATCH", format!("/venues/{id}"), json!({"name": "Le Trabendo, Lyon, France"})).await;
    assert_eq!(renamed["city"], "Lyon");
    // Moved across the ocean: the zone follows the position.
    let (_, moved) = write("PATCH", format!("/venues/{id}"), json!({"latitude": 40.7128, "longitude": -74.006})).await;
    assert_eq!(moved["timeZone"], "America/New_York");
    // A city given apart from the name stays when the name changes; null reads it from the name again.
    let (_, given) =
        write("PATCH", format!("/venues/{id}"), json!({"city": "Brooklyn", "region": "NY", "country": "US"})).await;
    assert_eq!((&given["city"], &given["region"]), (&json!("Brooklyn"), &json!("NY")));
    let (_, kept) = write("PATCH", format!("/venues/{id}"), json!({"name": "Trabendo, New York, NY, US"})).await;
    assert_eq!(kept["city"], "Brooklyn");
    let (_, again) =
        write("PATCH", format!("/venues/{id}"), json!({"city": null, "region": null, "country": null})).await;
    assert_eq!((&again["city"], &again["region"], &again["country"]), (&json!("New York"), &json!("NY"), &json!("US")));
    // The zone is the position's, whatever a write says.
    let (status, body) = write("PATCH", format!("/venues/{id}"), json!({"timeZone": "Asia/Tokyo"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
