//! What the gateway answers before it asks any service: every refusal of a
//! bad request, unknown routes, over-long queries, and the documentation.
//! The services' addresses lead nowhere: none of this may need them.

use reqwest::StatusCode;
use testkit::{Code, Problem, error_problems, problem};

use crate::{NOWHERE, gateway};

#[tokio::test]
async fn every_bad_request_is_a_400_naming_the_parameter_and_rule() {
    let gateway = gateway(&NOWHERE, |_| {}).await;
    let no_filter = "give bandIds, or latitude, longitude and radius together (or all four)";
    let cases: [(&str, Vec<Problem>); 14] = [
        ("/concerts", vec![problem(Code::NoMatchingAlternative, None, no_filter)]),
        (
            "/concerts?latitude=1&longitude=2",
            vec![
                problem(Code::Required, Some("radius"), "radius is required when latitude and longitude are given"),
                problem(Code::NoMatchingAlternative, None, no_filter),
            ],
        ),
        (
            "/concerts?bandIds=1&radius=3",
            vec![
                problem(Code::Required, Some("latitude"), "latitude is required when radius is given"),
                problem(Code::Required, Some("longitude"), "longitude is required when radius is given"),
            ],
        ),
        (
            "/concerts?bandId=1",
            vec![
                problem(
                    Code::UnknownParameter,
                    Some("bandId"),
                    "bandId is not a known parameter (known: bandIds, cursor, from, latitude, limit, longitude, radius, sort, status, to)",
                ),
                problem(Code::NoMatchingAlternative, None, no_filter),
            ],
        ),
        (
            "/concerts?bandIds=1&latitude=1&latitude=2&longitude=0&radius=1",
            vec![problem(Code::RepeatedParameter, Some("latitude"), "latitude must be given only once")],
        ),
        (
            "/concerts?bandIds=one",
            vec![problem(Code::WrongType, Some("bandIds[0]"), "bandIds[0] must be an integer (got \"one\")")],
        ),
        ("/concerts?bandIds=0", vec![problem(Code::OutOfRange, Some("bandIds[0]"), "bandIds[0] must be >= 1")]),
        (
            "/concerts?latitude=90.5&longitude=0&radius=1",
            vec![problem(Code::OutOfRange, Some("latitude"), "latitude must be <= 90")],
        ),
        (
            "/concerts?latitude=0&longitude=-180.5&radius=1",
            vec![problem(Code::OutOfRange, Some("longitude"), "longitude must be >= -180")],
        ),
        (
            "/concerts?latitude=0&longitude=0&radius=-2",
            vec![problem(Code::OutOfRange, Some("radius"), "radius must be >= 0")],
        ),
        (
            "/concerts?latitude=0&longitude=0&radius=NaN",
            vec![problem(Code::WrongType, Some("radius"), "radius must be a number (got \"NaN\")")],
        ),
        ("/concerts?bandIds=1&limit=0", vec![problem(Code::OutOfRange, Some("limit"), "limit must be >= 1")]),
        (
            "/concerts?bandIds=1&cursor=djE6MToyOjM",
            vec![problem(Code::Required, Some("limit"), "limit is required when cursor is given")],
        ),
        (
            "/concerts?bandIds=1&limit=5&cursor=Zm9vYmFy",
            vec![problem(
                Code::InvalidCursor,
                Some("cursor"),
                "cursor is not one this API gave out: take it from the previous page's Link header",
            )],
        ),
    ];
    for (query, expected) in cases {
        let (status, body) = testkit::get(&format!("{}{query}", gateway.url)).await;
        assert_eq!(error_problems(status, &body, StatusCode::BAD_REQUEST), expected, "{query}");
    }
    let (status, body) = testkit::get(&format!("{}/nowhere", gateway.url)).await;
    assert_eq!(
        error_problems(status, &body, StatusCode::NOT_FOUND),
        [Problem::new(Code::RouteNotFound, "route /nowhere not found")]
    );
}

#[tokio::test]
async fn swagger_ui_and_the_openapi_document_are_served() {
    let gateway = gateway(&NOWHERE, |_| {}).await;
    let get_raw = |path: &str| {
        let url = format!("{}{path}", gateway.url);
        async move { testkit::http().get(url).send().await.unwrap() }
    };
    for path in ["/api", "/api/"] {
        let page = get_raw(path).await;
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        let html = page.text().await.unwrap();
        assert!(html.contains("swagger-ui"), "{path} serves Swagger UI");
    }
    let config = get_raw("/api/swagger-initializer.js").await.text().await.unwrap();
    assert!(config.contains("/api-json"), "Swagger UI loads the served document: {config}");
    let asset = get_raw("/api/swagger-ui-bundle.js").await;
    assert_eq!(asset.status(), StatusCode::OK, "Swagger UI's assets are served by the gateway");

    let (status, document) = testkit::get(&format!("{}/api-json", gateway.url)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let operation = &document["paths"]["/concerts"]["get"];
    let names: Vec<&str> =
        operation["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["bandIds", "cursor", "from", "latitude", "limit", "longitude", "radius", "sort", "status", "to"]
    );
    for path in ["/bands", "/venues"] {
        let operation = &document["paths"][path]["get"];
        let names: Vec<&str> =
            operation["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["ids", "limit", "q"], "{path}");
    }
}

#[tokio::test]
async fn over_long_query_strings_are_refused_with_a_json_414() {
    let gateway = gateway(&NOWHERE, |_| {}).await;
    let ids: Vec<String> = (1..=5000).map(|i| i.to_string()).collect();
    let (status, body) = testkit::get(&format!("{}/concerts?bandIds={}", gateway.url, ids.join(","))).await;
    let problems = error_problems(status, &body, StatusCode::URI_TOO_LONG);
    assert_eq!(problems[0].code, Code::UriTooLong);
    assert!(problems[0].message.contains("the limit is 16384"), "{problems:?}");
}

/// A record's path and the headers of a write are read before any service
/// is asked: a malformed id, `If-Match` or `Idempotency-Key` is a JSON 400
/// naming it (axum's own answer to a bad path is plain text).
#[tokio::test]
async fn malformed_ids_and_write_headers_are_a_400_naming_them() {
    let gateway = gateway(&NOWHERE, |settings| settings.edits.write_tokens = Some(testkit::write_tokens())).await;
    let id_rule = |text: &str| format!("id must be a whole number from 1 to 9007199254740991, not {text:?}");
    for (path, code) in [
        ("/bands/abc", Code::WrongType),
        ("/venues/1.5", Code::WrongType),
        ("/concerts/0", Code::OutOfRange),
        ("/concerts/-4", Code::OutOfRange),
        ("/bands/9007199254740992", Code::OutOfRange),
    ] {
        let text = path.rsplit('/').next().unwrap();
        let (status, body) = testkit::get(&format!("{}{path}", gateway.url)).await;
        assert_eq!(error_problems(status, &body, StatusCode::BAD_REQUEST), [problem(code, Some("id"), id_rule(text))]);
    }
    let write = |method: reqwest::Method, path: &str, header: (&'static str, &'static str), body: serde_json::Value| {
        testkit::http()
            .request(method, format!("{}{path}", gateway.url))
            .bearer_auth(testkit::WRITE_TOKEN)
            .header(header.0, header.1)
            .json(&body)
            .send()
    };
    for if_match in ["3", "null", "\"3", "W/3", "\"-1\""] {
        let answer = write(reqwest::Method::DELETE, "/bands/1", ("If-Match", if_match), serde_json::json!({})).await;
        let answer = answer.unwrap();
        let status = answer.status();
        let body = answer.json().await.unwrap();
        let rule = format!("If-Match must hold the record's ETag (\"3\") or *, not {if_match:?}");
        assert_eq!(
            error_problems(status, &body, StatusCode::BAD_REQUEST),
            [problem(Code::InvalidFormat, Some("If-Match"), rule)],
            "{if_match}"
        );
    }
    let concert = serde_json::json!({"bandId": 1, "venueId": 1, "date": "2027-06-01T20:30:00Z"});
    let answer = write(reqwest::Method::POST, "/concerts", ("Idempotency-Key", "tab\tinside"), concert).await.unwrap();
    let status = answer.status();
    let body = answer.json().await.unwrap();
    assert_eq!(error_problems(status, &body, StatusCode::BAD_REQUEST)[0].parameter.as_deref(), Some("Idempotency-Key"));
}
