//! Whatever a client sends, every process answers: never a 5xx, never a
//! crash, and every refusal in the product's JSON error shape. Properties over
//! generated query strings and bodies (proptest), against every app's real
//! router on its loopback port.

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;
use system_tests::InProcess;

/// Parameter names: the real ones (so that values get checked), typos, and anything.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec!["bandIds", "latitude", "longitude", "radius", "ids", "venueIds"]).prop_map(String::from),
        1 => "[a-zA-Z]{1,8}",
        1 => "\\PC{0,6}",
    ]
}

/// Values: plausible numbers and lists, edge cases, and anything.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?[0-9]{1,22}",
        "-?[0-9]{1,4}\\.[0-9]{1,14}",
        "[0-9]{1,5}(,[0-9]{0,5}){0,8}",
        prop::sample::select(vec!["NaN", "inf", "-Infinity", "1e999", "-0", "", ",", "0x10", "1_000", " 1"])
            .prop_map(String::from),
        "\\PC{0,16}",
    ]
}

/// Query strings: key=value pairs (encoded or not, keys repeated at will),
/// raw bytes percent-encoded (invalid UTF-8 included), and very long ones.
fn query_string() -> impl Strategy<Value = String> {
    let pairs = prop::collection::vec((key(), value(), any::<bool>()), 0..8).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(key, value, encoded)| {
                if encoded {
                    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                    format!("{}={}", encode(&key), encode(&value))
                } else {
                    format!("{key}={value}")
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    let bytes = prop::collection::vec(any::<u8>(), 0..64)
        .prop_map(|bytes| bytes.iter().map(|b| format!("%{b:02X}")).collect::<String>());
    let repeated = (1usize..4000, prop::sample::select(vec!["bandIds=1&", "latitude=1&", "x&", "&&"]))
        .prop_map(|(count, piece)| piece.repeat(count));
    prop_oneof![6 => pairs, 2 => bytes, 1 => repeated]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    prop::sample::select(vec![
                        "id",
                        "name",
                        "latitude",
                        "longitude",
                        "bandId",
                        "venueId",
                        "date",
                        "bandIds",
                        "venueIds"
                    ])
                    .prop_map(String::from),
                    "[a-z]{1,6}",
                ],
                inner,
                0..6
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => json_value().prop_map(|value| value.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..128),
    ]
}

/// The answer must be a success, or a 4xx in the error shape: its messages,
/// and as many `errors`, each with a documented code.
fn check(status: reqwest::StatusCode, body: &Value, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(status.as_u16() < 500, "{what}: {status} {body}");
    if !status.is_success() {
        prop_assert_eq!(body["statusCode"].as_u64(), Some(u64::from(status.as_u16())), "{}: {}", what, body);
        if let Err(why) = testkit::error_shape(body) {
            prop_assert!(false, "{what}: {why}: {body}");
        }
    }
    Ok(())
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

#[test]
fn arbitrary_requests_never_get_a_5xx_and_refusals_are_json() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let system = runtime.block_on(InProcess::seeded(|_| {}));
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let send = |request: reqwest::RequestBuilder| {
        runtime.block_on(async {
            let response = request.send().await.expect("every process answers");
            let status = response.status();
            (
                status,
                serde_json::from_slice::<Value>(&response.bytes().await.unwrap_or_default()).unwrap_or(Value::Null),
            )
        })
    };

    let query_targets = [
        (system.gateway.url.clone(), "/concerts"),
        (system.bands.url.clone(), "/bands"),
        (system.venues.url.clone(), "/venues"),
        (system.venues.url.clone(), "/venues/within/ids"),
        (system.concerts.url.clone(), "/concerts/search"),
    ];
    runner(400)
        .run(&(0..query_targets.len(), query_string()), |(target, query)| {
            let (base, path) = &query_targets[target];
            let (status, body) = send(client.get(format!("{base}{path}?{query}")));
            check(status, &body, &format!("GET {path}?{query}"))
        })
        .unwrap();

    let body_targets = [
        (reqwest::Method::POST, system.concerts.url.clone(), "/concerts/search"),
        (reqwest::Method::PUT, system.concerts.url.clone(), "/concerts"),
        (reqwest::Method::PUT, system.bands.url.clone(), "/bands"),
        (reqwest::Method::PUT, system.venues.url.clone(), "/venues"),
    ];
    runner(300)
        .run(&(0..body_targets.len(), body()), |(target, bytes)| {
            let (method, base, path) = &body_targets[target];
            // With the token, so that the bodies reach the parsing and validation.
            let request = client
                .request(method.clone(), format!("{base}{path}"))
                .header("content-type", "application/json")
                .bearer_auth(testkit::IMPORT_TOKEN)
                .body(bytes.clone());
            let (status, answer) = send(request);
            check(status, &answer, &format!("{method} {path} {}", String::from_utf8_lossy(&bytes)))
        })
        .unwrap();

    // After all that, the system still answers correctly.
    let (status, body) = send(client.get(format!("{}/concerts?bandIds=1", system.gateway.url)));
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(body.as_array().is_some_and(|concerts| concerts.len() >= 5));
}
