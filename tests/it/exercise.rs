//! The exercise against the whole system in-process: every app's real router
//! on its own loopback port, the demo data in SQLite stores.

use reqwest::StatusCode;
use serde_json::Value;
use system_tests::{InProcess, answers_the_exercise};

const GEO_QUERY: &str = "/concerts?latitude=48.857931&longitude=2.350144&radius=20";

#[tokio::test]
async fn the_public_api_answers_the_exercise() {
    let system = InProcess::seeded(|_| {}).await;
    answers_the_exercise(&system.gateway.url).await;
}

#[tokio::test]
async fn admitted_requests_are_answered_in_full_while_a_flood_is_shed() {
    let system = InProcess::seeded(|gateway| gateway.limits.max_concurrent_requests = 2).await;
    let client = reqwest::Client::new();
    let requests: Vec<_> = (0..64)
        .map(|_| {
            let (client, url) = (client.clone(), system.gateway.url.clone());
            tokio::spawn(async move {
                let response = client.get(format!("{url}{GEO_QUERY}")).send().await.unwrap();
                (response.status(), response.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut shed = 0;
    for request in requests {
        let (status, body) = request.await.unwrap();
        match status {
            StatusCode::OK => assert_eq!(body.as_array().map(Vec::len), Some(935), "an admitted answer is whole"),
            StatusCode::SERVICE_UNAVAILABLE => shed += 1,
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(shed > 0, "64 requests at once exceed a limit of 2");
}
