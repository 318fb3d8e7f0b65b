//! The concerts service's HTTP routes against a real SQLite store in a
//! temporary folder. What the store itself must do, on every backend (order,
//! filters, idempotent imports), is in `conformance.rs`.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use concerts::routes::router;
use concerts::store::SqliteConcertStore;
use serde_json::{Value, json};
use testkit::{call, error_messages};

fn concerts() -> Value {
    json!([
        {"bandId": 1, "venueId": 10, "date": 1000},
        {"bandId": 1, "venueId": 11, "date": 3000},
        {"bandId": 2, "venueId": 10, "date": 2000},
        {"bandId": 2, "venueId": 10, "date": 3000},
        {"bandId": 3, "venueId": 12, "date": 3000},
        {"bandId": 1, "venueId": 10, "date": 5000}
    ])
}

async fn app() -> (Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteConcertStore::open(&dir.path().join("concerts.sqlite3")).await.unwrap();
    let app = router(Arc::new(store), &bootstrap::settings::Limits::default(), &testkit::credentials()).unwrap();
    let (status, body) = call(&app, "PUT", "/concerts", Some(&concerts())).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"imported": 6})));
    (app, dir)
}

/// `query` with a limit large enough for every test's answer, unless it sets one.
async fn search(app: &Router, mut query: Value) -> Vec<(i64, i64, i64)> {
    if query.get("limit").is_none() {
        query["limit"] = json!(100);
    }
    let (status, body) = call(app, "POST", "/concerts/search", Some(&query)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Each concert is [bandId, venueId, date].
    body.as_array()
        .unwrap()
        .iter()
        .map(|c| (c[3].as_i64().unwrap(), c[1].as_i64().unwrap(), c[2].as_i64().unwrap()))
        .collect()
}

#[tokio::test]
async fn searches_answer_concerts_newest_first() {
    let (app, _dir) = app().await;
    assert_eq!(search(&app, json!({"bandIds": [1]})).await, vec![(5000, 1, 10), (3000, 1, 11), (1000, 1, 10)]);
    assert_eq!(search(&app, json!({"bandIds": [2], "venueIds": [10, 12]})).await, vec![(3000, 2, 10), (2000, 2, 10)]);
    let (_, body) = call(&app, "POST", "/concerts/search", Some(&json!({"venueIds": [12], "limit": 10}))).await;
    // [id, bandId, venueId, date, status]; ids given in the order imported.
    assert_eq!(body, json!([[5, 3, 12, 3000, "scheduled"]]));
}

#[tokio::test]
async fn the_empty_and_unmatched_searches_answer_empty_lists() {
    let (app, _dir) = app().await;
    assert_eq!(search(&app, json!({"bandIds": [3], "venueIds": [10]})).await, vec![]);
    assert_eq!(search(&app, json!({"bandIds": [99]})).await, vec![]);
}

#[tokio::test]
async fn pages_follow_each_other_without_gap_or_repeat() {
    let (app, _dir) = app().await;
    for filter in
        [json!({"bandIds": [1, 2, 3]}), json!({"venueIds": [10, 11, 12]}), json!({"bandIds": [1, 2], "venueIds": [10]})]
    {
        let whole = search(&app, filter.clone()).await;
        for limit in [1, 2, 4] {
            let mut walked = Vec::new();
            let mut query = filter.clone();
            query["limit"] = json!(limit);
            for _ in 0..10 {
                let page = search(&app, query.clone()).await;
                let Some(&(date, band_id, venue_id)) = page.last() else { break };
                query["after"] = json!({"date": date, "bandId": band_id, "venueId": venue_id});
                walked.extend(page);
            }
            assert_eq!(walked, whole, "{filter} by pages of {limit}");
        }
    }
    let first_two = search(&app, json!({"bandIds": [1, 2, 3], "limit": 2})).await;
    assert_eq!(first_two, vec![(5000, 1, 10), (3000, 3, 12)]);
}

#[tokio::test]
async fn searches_and_imports_are_validated() {
    let (app, _dir) = app().await;
    let cases = [
        (json!({"limit": 5}), vec!["give bandIds, venueIds, or both"]),
        (json!({"bandIds": [], "limit": 5}), vec!["bandIds must have at least 1 item"]),
        (
            json!({"bandIds": [1], "city": "Paris", "limit": 5}),
            vec!["city is not a known parameter (known: after, bandIds, from, limit, order, statuses, to, venueIds)"],
        ),
        (json!({"venueIds": ["1"], "limit": 5}), vec!["venueIds[0] must be an integer (got \"1\")"]),
        (json!({"venueIds": [1], "limit": 10_001}), vec!["limit must be <= 10000"]),
        (json!({"venueIds": [1], "limit": 0}), vec!["limit must be >= 1"]),
        (
            json!({"venueIds": [1], "limit": 5, "after": {"date": 1}}),
            vec!["after.bandId is required", "after.venueId is required"],
        ),
        (json!({"bandIds": [1], "order": "venuesInOrder"}), vec!["venueIds is required"]),
        (
            json!({"venueIds": [1, 2], "order": "venuesInOrder", "limit": 5, "after": {"date": 1, "bandId": 1, "venueId": 3}}),
            vec!["after.venueId must be one of venueIds when order is venuesInOrder"],
        ),
        (
            json!({"venueIds": [1], "order": "nearest"}),
            vec!["order must be one of [\"newestFirst\",\"soonestFirst\",\"venuesInOrder\"] (got \"nearest\")"],
        ),
    ];
    for (query, expected) in cases {
        let (status, body) = call(&app, "POST", "/concerts/search", Some(&query)).await;
        assert_eq!(error_messages(status, &body, StatusCode::BAD_REQUEST), expected, "{query}");
    }
    let (status, body) = call(&app, "PUT", "/concerts", Some(&json!([{"bandId": 1, "venueId": 2}]))).await;
    assert_eq!(error_messages(status, &body, StatusCode::BAD_REQUEST), vec!["[0].date is required"]);
}

/// The gateway reads search answers as binary rows; they hold the same
/// concerts, in the same order, as the JSON answer.
#[tokio::test]
async fn searches_answer_binary_rows_to_who_accepts_them() {
    use axum::body::Body;
    use axum::http::Request;
    use concerts_model::{Concert, rows};
    use tower::ServiceExt;

    let (app, _dir) = app().await;
    let query = json!({"bandIds": [1, 2], "venueIds": [10, 11], "limit": 100});
    for accept in [rows::CONTENT_TYPE, "application/json;q=0.5, application/vnd.concert-rows"] {
        let request = Request::post("/concerts/search")
            .header("content-type", "application/json")
            .header("accept", accept)
            .body(Body::from(query.to_string()))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], rows::CONTENT_TYPE, "{accept}");
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let concerts: Vec<(i64, i64, i64)> = rows::decode(&bytes).unwrap().iter().map(Concert::list_key).collect();
        assert_eq!(concerts, search(&app, query.clone()).await, "{accept}");
        assert_eq!(concerts, vec![(5000, 1, 10), (3000, 2, 10), (3000, 1, 11), (2000, 2, 10), (1000, 1, 10)]);
    }
}

/// Without a limit, every match comes, in order, also across the store's
/// internal pages, in both formats; `after` starts it anywhere.
#[tokio::test]
async fn a_search_without_a_limit_answers_every_match_in_order() {
    use axum::body::Body;
    use axum::http::Request;
    use concerts_model::{Concert, rows};
    use tower::ServiceExt;

    let (app, _dir) = app().await;
    // 12,500 concerts of band 7 at venues 20..=29: more than two pages of the store.
    let many: Vec<Value> = (0..12_500)
        .map(|i| json!({"bandId": 7, "venueId": 20 + i % 10, "date": 1_000_000 + (i * 37) % 20_000 }))
        .collect();
    for batch in many.chunks(5000) {
        let (status, body) = call(&app, "PUT", "/concerts", Some(&Value::Array(batch.to_vec()))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let mut expected: Vec<(i64, i64, i64)> =
        many.iter().map(|c| (c["date"].as_i64().unwrap(), 7, c["venueId"].as_i64().unwrap())).collect();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    expected.dedup();
    assert!(expected.len() > 10_000, "the fixture spans several pages: {}", expected.len());

    let query = json!({"bandIds": [7]});
    let (status, body) = call(&app, "POST", "/concerts/search", Some(&query)).await;
    assert_eq!(status, StatusCode::OK);
    let json: Vec<(i64, i64, i64)> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c[3].as_i64().unwrap(), c[1].as_i64().unwrap(), c[2].as_i64().unwrap()))
        .collect();
    assert_eq!(json, expected);

    let request = Request::post("/concerts/search")
        .header("content-type", "application/json")
        .header("accept", rows::CONTENT_TYPE)
        .body(Body::from(json!({"bandIds": [7], "after": {"date": 1_019_000, "bandId": 7, "venueId": 25}}).to_string()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.headers()["content-type"], rows::CONTENT_TYPE);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let streamed: Vec<(i64, i64, i64)> = rows::decode(&bytes).unwrap().iter().map(Concert::list_key).collect();
    let after = (1_019_000, 7, 25);
    let wanted: Vec<(i64, i64, i64)> = expected.iter().copied().filter(|c| *c < after).collect();
    assert!(wanted.len() > 10_000, "{}", wanted.len());
    assert_eq!(streamed, wanted);
}

/// Every concert a search for `venues` finds, newest first, as (date, band, venue).
async fn at_venues(app: &Router, venues: &[i64]) -> Vec<(i64, i64, i64)> {
    search(app, json!({"venueIds": venues, "limit": 1000})).await
}

#[tokio::test]
async fn a_bulk_load_is_unseen_until_committed_then_taken_in_once_each() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteConcertStore::open(&dir.path().join("concerts.sqlite3")).await.unwrap();
    let app = router(Arc::new(store), &bootstrap::settings::Limits::default(), &testkit::credentials()).unwrap();
    // Into an empty store (the indexes are built after the rows), twice over,
    // as a load run again after a kill stages everything again.
    for _ in 0..2 {
        let (status, body) = call(&app, "PUT", "/concerts/staged", Some(&concerts())).await;
        assert_eq!((status, body), (StatusCode::OK, json!({"imported": 6})));
    }
    assert_eq!(at_venues(&app, &[10, 11, 12]).await, vec![], "staged, not yet seen");
    let (status, body) = call(&app, "POST", "/concerts/staged/commit", None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"committed": 6})));
    let all = vec![(5000, 1, 10), (3000, 3, 12), (3000, 2, 10), (3000, 1, 11), (2000, 2, 10), (1000, 1, 10)];
    assert_eq!(at_venues(&app, &[10, 11, 12]).await, all);
    assert_eq!(search(&app, json!({"bandIds": [2]})).await, vec![(3000, 2, 10), (2000, 2, 10)]);

    // Into a store that has concerts: new ones join, known ones stay once.
    let more = json!([{"bandId": 4, "venueId": 10, "date": 9000}, {"bandId": 1, "venueId": 10, "date": 1000}]);
    call(&app, "PUT", "/concerts/staged", Some(&more)).await;
    let (_, body) = call(&app, "POST", "/concerts/staged/commit", None).await;
    assert_eq!(body, json!({"committed": 1}));
    let venue_10 = at_venues(&app, &[10]).await;
    assert_eq!(venue_10, vec![(9000, 4, 10), (5000, 1, 10), (3000, 2, 10), (2000, 2, 10), (1000, 1, 10)]);
    // A commit with nothing staged changes nothing.
    let (_, body) = call(&app, "POST", "/concerts/staged/commit", None).await;
    assert_eq!(body, json!({"committed": 0}));
    assert_eq!(at_venues(&app, &[10]).await, venue_10);
}

#[tokio::test]
async fn a_store_opened_again_after_a_bulk_load_finds_it_all() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("concerts.sqlite3");
    {
        let store = SqliteConcertStore::open(&path).await.unwrap();
        let app = router(Arc::new(store), &bootstrap::settings::Limits::default(), &testkit::credentials()).unwrap();
        call(&app, "PUT", "/concerts/staged", Some(&concerts())).await;
        call(&app, "POST", "/concerts/staged/commit", None).await;
    }
    let store = SqliteConcertStore::open(&path).await.unwrap();
    let app = router(Arc::new(store), &bootstrap::settings::Limits::default(), &testkit::credentials()).unwrap();
    // At once (the venue heads may still be loading: the file answers) and later.
    let all = vec![(5000, 1, 10), (3000, 3, 12), (3000, 2, 10), (3000, 1, 11), (2000, 2, 10), (1000, 1, 10)];
    assert_eq!(at_venues(&app, &[10, 11, 12]).await, all);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(at_venues(&app, &[10, 11, 12]).await, all);
    assert_eq!(search(&app, json!({"venueIds": [10], "limit": 2})).await, vec![(5000, 1, 10), (3000, 2, 10)]);
}

#[tokio::test]
async fn bulk_writes_need_the_token() {
    let (app, _dir) = app().await;
    for (method, path) in [("PUT", "/concerts/staged"), ("POST", "/concerts/staged/commit")] {
        let (status, body) = testkit::call_as(&app, method, path, Some(&concerts()), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
    }
}
