//! The bands service's HTTP routes against a real SQLite store in a temporary
//! folder. What the store itself must do, on every backend, is in `conformance.rs`.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use bands::routes::router;
use bands::store::SqliteBandStore;
use serde_json::{Value, json};
use testkit::{call, error_messages};

async fn app() -> (Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteBandStore::open(&dir.path().join("bands.sqlite3")).await.unwrap();
    (router(Arc::new(store), &bootstrap::settings::Limits::default(), &testkit::credentials()).unwrap(), dir)
}

async fn import(app: &Router, bands: Value) -> (StatusCode, Value) {
    call(app, "PUT", "/bands", Some(&bands)).await
}

#[tokio::test]
async fn imported_bands_are_found_by_id_in_ascending_order() {
    let (app, _dir) = app().await;
    let (status, body) = import(
        &app,
        json!([{"id": 3, "name": "Sigur Rós"}, {"id": 1, "name": "Radiohead"}, {"id": 2, "name": "Muse"}]),
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"imported": 3})));

    let (status, body) = call(&app, "GET", "/bands?ids=3,1,99", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!([{"id": 1, "name": "Radiohead"}, {"id": 3, "name": "Sigur Rós"}]));

    let (_, repeated) = call(&app, "GET", "/bands?ids=3&ids=1", None).await;
    assert_eq!(repeated, body);
}

#[tokio::test]
async fn a_bad_import_names_the_record_and_writes_nothing() {
    let (app, _dir) = app().await;
    let (status, body) =
        import(&app, json!([{"id": 1, "name": "Radiohead"}, {"id": 2}, {"id": "x", "name": "Muse"}])).await;
    assert_eq!(
        error_messages(status, &body, StatusCode::BAD_REQUEST),
        vec!["[1].name is required", "[2].id must be an integer (got \"x\")"]
    );
    let (_, found) = call(&app, "GET", "/bands?ids=1", None).await;
    assert_eq!(found, json!([]));

    let (status, body) = call(&app, "PUT", "/bands", None).await;
    assert!(error_messages(status, &body, StatusCode::BAD_REQUEST)[0].contains("not valid JSON"));
}

#[tokio::test]
async fn lookups_are_validated() {
    let (app, _dir) = app().await;
    let cases = [
        ("/bands", "ids is required"),
        ("/bands?ids=0", "ids[0] must be >= 1"),
        ("/bands?ids=abc", "ids[0] must be an integer (got \"abc\")"),
        ("/bands?ids=1&name=x", "name is not a known parameter (known: ids)"),
    ];
    for (uri, expected) in cases {
        let (status, body) = call(&app, "GET", uri, None).await;
        assert_eq!(error_messages(status, &body, StatusCode::BAD_REQUEST), vec![expected], "{uri}");
    }
    let too_many: Vec<String> = (1..=1001).map(|i| i.to_string()).collect();
    let (status, body) = call(&app, "GET", &format!("/bands?ids={}", too_many.join(",")), None).await;
    assert_eq!(error_messages(status, &body, StatusCode::BAD_REQUEST), vec!["ids must have at most 1000 items"]);
}

#[tokio::test]
async fn probes_tell_alive_and_ready_and_whether_the_store_is_empty() {
    let (app, _dir) = app().await;
    assert_eq!(call(&app, "GET", "/health", None).await, (StatusCode::OK, json!({"status": "ok"})));
    assert_eq!(call(&app, "GET", "/ready", None).await.1, json!({"status": "ready", "empty": true}));
    import(&app, json!([{"id": 1, "name": "Radiohead"}])).await;
    assert_eq!(call(&app, "GET", "/ready", None).await.1, json!({"status": "ready", "empty": false}));
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json_errors() {
    let (app, _dir) = app().await;
    let (status, body) = call(&app, "GET", "/nope", None).await;
    error_messages(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = call(&app, "DELETE", "/bands", None).await;
    error_messages(status, &body, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_data_version_changes_with_each_import() {
    let (app, _dir) = app().await;
    let (status, first) = call(&app, "GET", "/version", None).await;
    assert_eq!(status, StatusCode::OK);
    let version = |body: &Value| body["version"].as_str().expect("a version").to_owned();
    let (_, again) = call(&app, "GET", "/version", None).await;
    assert_eq!(version(&again), version(&first), "nothing imported, the same version");
    import(&app, json!([{"id": 1, "name": "Radiohead"}])).await;
    let (_, after) = call(&app, "GET", "/version", None).await;
    assert_ne!(version(&after), version(&first));
}
