//! What people and pages need beyond ids and coordinates, against the whole
//! system in-process on the demo data: names as typed, date ranges, answers
//! readable from other origins, compressed, and tagged for caches.

use std::io::Read;
use std::time::Duration;

use bootstrap::RecordStore;
use concerts_model::NewConcert;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use system_tests::{Data, InProcess, PARIS, VENUE_1, assert_same_answer};
use testkit::{Code, error_problems, problem};

/// 2019-06-01T00:00:00Z and 2019-06-30T23:59:59.999Z, in UNIX milliseconds.
const JUNE_2019: (i64, i64) = (1_559_347_200_000, 1_561_939_199_999);

fn names(body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap_or_else(|| panic!("a list: {body}"))
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn bands_and_venues_are_found_by_what_people_type() {
    let system = InProcess::seeded(|_| {}).await;
    let (status, body) = system.get("/bands?q=3%20Doors").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&body).first().map(String::as_str), Some("3 Doors Down"));
    assert_eq!(body[0]["id"], 1);
    for (typed, expected) in [("sigur%20ros", "Sigur Rós"), ("husker", "Hüsker Dü"), ("RADIOHEAD", "Radiohead")] {
        let (_, body) = system.get(&format!("/bands?q={typed}")).await;
        assert_eq!(names(&body).first().map(String::as_str), Some(expected), "{typed}");
    }
    let (_, sinead) = system.get("/bands?q=sinead").await;
    assert_eq!(names(&sinead)[..2], ["Sinéad Lohan", "Sinéad O'Connor"], "both Sinéads");
    let (_, few) = system.get("/bands?q=the&limit=3").await;
    assert_eq!(names(&few).len(), 3, "at most the limit");

    // A venue's name holds its city: every venue with a word starting "paris", the one starting with it first.
    let (status, paris) = system.get("/venues?q=paris&limit=50").await;
    assert_eq!(status, StatusCode::OK);
    let data = Data::load();
    let mut expected: Vec<String> = data
        .venues
        .values()
        .map(|venue| venue["name"].as_str().unwrap().to_owned())
        .filter(|name| name.to_lowercase().split(|c: char| !c.is_alphanumeric()).any(|word| word.starts_with("paris")))
        .collect();
    expected.sort();
    let mut found = names(&paris);
    assert_eq!(found[0], "Paris Las Vegas, Las Vegas, NV, US", "the name starting with the text first");
    found.sort();
    assert_eq!(found, expected);
    let first = &paris[0];
    assert!(first["latitude"].is_f64() && first["longitude"].is_f64(), "a place to draw a circle around: {first}");

    // Ids, for a page that reloads its search.
    let (_, by_ids) = system.get("/bands?ids=944,1").await;
    assert_eq!(names(&by_ids), ["3 Doors Down", "Sigur Rós"]);
}

/// A query with a date range, and what it asks for: the bands, the circle
/// (centre, km), and the first and last millisecond.
struct Case {
    query: &'static str,
    bands: Option<&'static [i64]>,
    area: Option<((f64, f64), f64)>,
    from: i64,
    to: i64,
}

/// `from` and `to` against the concerts filtered by hand, for bands, a
/// circle and both; either end alone; days, date-times and milliseconds.
#[tokio::test]
async fn date_ranges_narrow_every_search() {
    let system = InProcess::seeded(|_| {}).await;
    let data = Data::load();
    let in_range = |from: i64, to: i64| move |concert: &Value| (from..=to).contains(&concert["date"].as_i64().unwrap());
    let cases = [
        Case {
            query: "bandIds=1,2,3,4,5,6,7,8,9,10&from=2019-06-01&to=2019-06-30",
            bands: Some(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
            area: None,
            from: JUNE_2019.0,
            to: JUNE_2019.1,
        },
        Case {
            query: "latitude=48.857931&longitude=2.350144&radius=20&from=2019-01-01",
            bands: None,
            area: Some((PARIS, 20.0)),
            from: 1_546_300_800_000,
            to: i64::MAX,
        },
        Case {
            query: "latitude=48.857931&longitude=2.350144&radius=20&to=2010-12-31",
            bands: None,
            area: Some((PARIS, 20.0)),
            from: i64::MIN,
            to: 1_293_839_999_999,
        },
        Case {
            query: "latitude=48.857931&longitude=2.350144&radius=20&from=2019-06-01T00:00:00Z&to=2019-06-30T23:59:59.999Z",
            bands: None,
            area: Some((PARIS, 20.0)),
            from: JUNE_2019.0,
            to: JUNE_2019.1,
        },
        Case {
            query: "bandIds=1,2,3,4,5&latitude=43.63967479999999&longitude=-79.3535794&radius=500&from=1400000000000&to=1560000000000",
            bands: Some(&[1, 2, 3, 4, 5]),
            area: Some((VENUE_1, 500.0)),
            from: 1_400_000_000_000,
            to: 1_560_000_000_000,
        },
        Case {
            query: "latitude=48.857931&longitude=2.350144&radius=20&from=2019-06-01T02:00:00%2B02:00&to=2019-06-01",
            bands: None,
            area: Some((PARIS, 20.0)),
            from: JUNE_2019.0,
            to: JUNE_2019.0 + 86_399_999,
        },
    ];
    for Case { query, bands, area, from, to } in cases {
        let expected: Vec<Value> = data.expected(bands, area).into_iter().filter(in_range(from, to)).collect();
        let (status, body) = system.get(&format!("/concerts?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert_same_answer(&body, &expected, query);
        // Paging across the range gives the same answer.
        let mut walked = Vec::new();
        let mut next = Some(format!("/concerts?{query}&limit=7"));
        for _ in 0..500 {
            let Some(path) = next.take() else { break };
            let response = system.get_raw(&path).await;
            next = next_link(response.headers());
            walked.extend(response.json::<Vec<Value>>().await.unwrap());
        }
        assert!(next.is_none(), "{query}: the pages end");
        assert_same_answer(&Value::Array(walked), &expected, &format!("{query}, by pages of 7"));
    }
}

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

/// `from=now` and `to=now` split a search at the second it is read: what is
/// coming and what is past, together every concert; the pages of one
/// search keep one `now` (the `Link` holds the moment, not the word).
#[tokio::test]
async fn now_splits_a_search_into_what_is_coming_and_what_is_past() {
    let system = InProcess::seeded(|_| {}).await;
    let tomorrow = now_ms() + 86_400_000;
    for day in 0..3 {
        let concert = json!({"bandId": 1, "venueId": 1, "date": tomorrow + day * 86_400_000});
        let made = testkit::http()
            .post(format!("{}/concerts", system.gateway.url))
            .bearer_auth(testkit::WRITE_TOKEN)
            .json(&concert)
            .send()
            .await
            .unwrap();
        assert_eq!(made.status(), StatusCode::CREATED);
    }
    let dates = |answer: &Value| -> Vec<i64> {
        answer.as_array().unwrap().iter().map(|concert| concert["date"].as_i64().unwrap()).collect()
    };
    let query = "/concerts?bandIds=1";
    let (_, all) = system.get(query).await;
    let before = now_ms();
    let (status, coming) = system.get(&format!("{query}&from=now")).await;
    assert_eq!(status, StatusCode::OK, "{coming}");
    let (_, past) = system.get(&format!("{query}&to=now")).await;
    let after = now_ms();
    let (coming, past) = (dates(&coming), dates(&past));
    assert_eq!(coming.len(), 3, "the three concerts written for tomorrow on");
    assert!(coming.iter().all(|&date| date >= before - 1000), "{coming:?}");
    assert!(past.iter().all(|&date| date <= after), "{past:?}");
    assert_eq!(coming.len() + past.len(), dates(&all).len(), "together, every concert of the band");

    let first = system.get_raw(&format!("{query}&from=now&limit=2")).await;
    let next = next_link(first.headers()).expect("a second page");
    assert!(!next.contains("now") && next.contains("from="), "the Link holds the moment: {next}");
    let (_, second) = system.get(&next).await;
    assert_eq!(dates(&second).len(), 1, "the rest of what was coming at that moment");
}

fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    Some(link.strip_prefix('<')?.strip_suffix(">; rel=\"next\"")?.to_owned())
}

#[tokio::test]
async fn every_bad_input_is_a_400_naming_the_parameter_and_the_rule() {
    let system = InProcess::start(|_| {}).await;
    let dates = |name: &str| {
        format!(
            "{name} must be a date (2019-06-01), a date-time with a zone (2019-06-01T20:00:00Z), UNIX milliseconds or now"
        )
    };
    let long = "a".repeat(101);
    let blank = "q must not be empty or only spaces";
    let cases: Vec<(String, Code, Option<&str>, String)> = vec![
        ("/concerts?bandIds=1&from=2019-13-01".into(), Code::InvalidDate, Some("from"), dates("from")),
        ("/concerts?bandIds=1&to=yesterday".into(), Code::InvalidDate, Some("to"), dates("to")),
        (
            "/concerts?bandIds=1&from=2019-07-01&to=2019-06-30".into(),
            Code::InvalidRange,
            Some("from"),
            "from must not be after to".into(),
        ),
        (
            "/concerts?from=2019-06-01".into(),
            Code::NoMatchingAlternative,
            None,
            "give bandIds, or latitude, longitude and radius together (or all four)".into(),
        ),
        (
            "/concerts?latitude=48.8&longitude=2.3&radius=-1".into(),
            Code::OutOfRange,
            Some("radius"),
            "radius must be >= 0".into(),
        ),
        ("/bands?q=".into(), Code::InvalidFormat, Some("q"), blank.into()),
        ("/bands?q=%20%20".into(), Code::InvalidFormat, Some("q"), blank.into()),
        (format!("/venues?q={long}"), Code::TooLong, Some("q"), "q must be at most 100 characters long".into()),
        ("/bands?q=muse&limit=51".into(), Code::OutOfRange, Some("limit"), "limit must be <= 50".into()),
        (
            "/bands?q=muse&sort=name".into(),
            Code::UnknownParameter,
            Some("sort"),
            "sort is not a known parameter (known: ids, limit, q)".into(),
        ),
        ("/venues".into(), Code::NoMatchingAlternative, None, "give q (what the name holds) or ids".into()),
    ];
    for (path, code, parameter, message) in cases {
        let (status, body) = system.get(&path).await;
        assert_eq!(
            error_problems(status, &body, StatusCode::BAD_REQUEST),
            [problem(code, parameter, message)],
            "{path}"
        );
    }
}

/// The whole answer, as a client reads it: the sentence for people, the
/// code and the parameter for programs.
#[tokio::test]
async fn a_bad_request_gives_each_problem_a_code_and_its_parameter() {
    let system = InProcess::start(|_| {}).await;
    let (status, body) = system.get("/concerts?latitude=91&longitude=0&radius=1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({
            "statusCode": 400,
            "error": "Bad Request",
            "message": ["latitude must be <= 90"],
            "errors": [{"code": "out_of_range", "parameter": "latitude", "message": "latitude must be <= 90"}]
        })
    );
}

#[tokio::test]
async fn pages_of_other_origins_may_read_every_answer() {
    let system = InProcess::seeded(|_| {}).await;
    let http = testkit::http();
    let preflight = http
        .request(reqwest::Method::OPTIONS, format!("{}/concerts?bandIds=1", system.gateway.url))
        .header("origin", "http://127.0.0.1:9999")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "if-none-match")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let methods = preflight.headers()["access-control-allow-methods"].to_str().unwrap().to_owned();
    assert!(methods.contains("GET"), "{methods}");

    for path in ["/concerts?bandIds=1", "/concerts?bandIds=1&limit=2", "/bands?q=muse", "/venues?q=paris"] {
        let answer = http
            .get(format!("{}{path}", system.gateway.url))
            .header("origin", "http://127.0.0.1:9999")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
        assert_eq!(answer.headers()["access-control-allow-origin"], "*", "{path}");
        let exposed = answer.headers()["access-control-expose-headers"].to_str().unwrap().to_lowercase();
        for header in ["link", "etag", "x-request-id"] {
            assert!(exposed.contains(header), "{path}: {header} is exposed: {exposed}");
        }
    }

    let listed =
        InProcess::start(|gateway| gateway.browsers.cors_allowed_origins = "http://127.0.0.1:8001".into()).await;
    let from = |origin: &'static str| {
        let url = format!("{}/bands?q=muse", listed.gateway.url);
        let http = http.clone();
        async move { http.get(url).header("origin", origin).send().await.unwrap() }
    };
    assert_eq!(from("http://127.0.0.1:8001").await.headers()["access-control-allow-origin"], "http://127.0.0.1:8001");
    assert!(!from("http://127.0.0.1:8002").await.headers().contains_key("access-control-allow-origin"), "not listed");
}

/// The answer in `encoding`: its `Content-Encoding`, and its bytes decoded.
async fn fetched(system: &InProcess, path: &str, encoding: &str) -> (Option<String>, Vec<u8>) {
    let response = testkit::http()
        .get(format!("{}{path}", system.gateway.url))
        .header("accept-encoding", encoding)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let coding = response.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.bytes().await.unwrap().to_vec();
    let mut decoded = Vec::new();
    match coding.as_deref() {
        Some("gzip") => {
            flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut decoded).unwrap();
        }
        Some("br") => {
            brotli::Decompressor::new(&bytes[..], 4096).read_to_end(&mut decoded).unwrap();
        }
        _ => decoded = bytes,
    }
    (coding, decoded)
}

#[tokio::test]
async fn answers_are_compressed_as_the_client_accepts_and_decode_to_the_plain_answer() {
    let system = InProcess::seeded(|gateway| gateway.stream_page_size = 100).await;
    let paged = "/concerts?latitude=48.857931&longitude=2.350144&radius=20&limit=500";
    let streamed = "/concerts?latitude=48.857931&longitude=2.350144&radius=20";
    for path in [paged, streamed] {
        let (none, plain) = fetched(&system, path, "identity").await;
        assert_eq!(none, None);
        assert!(plain.len() > 20_000, "a large answer: {}", plain.len());
        for (accepted, expected) in [("gzip", "gzip"), ("br", "br"), ("gzip, br", "br"), ("gzip, deflate", "gzip")] {
            let (coding, decoded) = fetched(&system, path, accepted).await;
            assert_eq!(coding.as_deref(), Some(expected), "{path} with {accepted}");
            assert_eq!(decoded, plain, "{path} with {accepted}: the same answer");
        }
    }
    let (coding, _) = fetched(&system, "/bands?ids=1", "gzip, br").await;
    assert_eq!(coding, None, "a small answer is sent as it is");
}

#[tokio::test]
async fn a_client_holding_the_current_answer_gets_a_304_until_an_import_changes_it() {
    let system = InProcess::seeded(|gateway| gateway.caching.data_version_ttl_ms = 100).await;
    let http = testkit::http();
    let url = format!("{}/concerts?bandIds=1", system.gateway.url);
    let first = http.get(&url).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let tag = first.headers()["etag"].clone();
    assert!(tag.to_str().unwrap().starts_with("W/\""), "{tag:?}");
    assert_eq!(first.headers()["cache-control"], "public, max-age=60");
    let again = |tag: HeaderValue| {
        let (http, url) = (http.clone(), url.clone());
        async move { http.get(&url).header("if-none-match", tag).send().await.unwrap() }
    };
    let unchanged = again(tag.clone()).await;
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(unchanged.headers()["etag"], tag);
    assert!(unchanged.bytes().await.unwrap().is_empty(), "no body");
    let other = http.get(format!("{url},2")).header("if-none-match", tag.clone()).send().await.unwrap();
    assert_eq!(other.status(), StatusCode::OK, "another query, another tag");

    // A concert of band 1 imported: within the versions' time to live, the answer changes and so does its tag.
    system
        .concert_store
        .upsert(vec![NewConcert { band_id: 1, venue_id: 1, date: 1_600_000_000_000, status: Default::default() }])
        .await
        .unwrap();
    let mut changed = None;
    for _ in 0..50 {
        let answer = again(tag.clone()).await;
        if answer.status() == StatusCode::OK {
            changed = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let changed = changed.expect("the import shows within a few times the versions' time to live");
    assert_ne!(changed.headers()["etag"], tag);
    assert_eq!(changed.json::<Vec<Value>>().await.unwrap().len(), 6, "5 concerts, and the new one");

    for probe in ["/health", "/ready", "/metrics"] {
        let answer = http.get(format!("{}{probe}", system.gateway.url)).send().await.unwrap();
        assert_eq!(answer.headers()["cache-control"], "no-store", "{probe}");
        assert!(!answer.headers().contains_key("etag"), "{probe}");
    }
}
