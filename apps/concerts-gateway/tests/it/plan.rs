//! The query plan, seen from the services: which calls a search makes, with
//! what, and how many. Stand-in services record every request they get.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use concerts_model::{Concert, ConcertSearch, rows};
use serde_json::{Value, json};
use testkit::Served;

use crate::gateway;

/// Venues in every circle the stand-in is asked about.
const VENUES_IN_CIRCLE: i64 = 300;
/// Concerts the stand-in has for any search.
const CONCERTS: i64 = 50;

/// What the stand-ins were asked, in order: `"GET /bands?ids=1,2"`, `"POST /concerts/search {...}"`.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    fn record(&self, call: String) {
        self.0.lock().unwrap().push(call);
    }

    fn taken(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

fn ids(query: &Option<String>) -> Vec<i64> {
    let query = query.as_deref().unwrap_or_default();
    let list = query.strip_prefix("ids=").unwrap_or_default();
    list.split(',').filter_map(|id| id.parse().ok()).collect()
}

/// The i-th concert of the stand-in, newest first.
fn concert(i: i64) -> Concert {
    Concert {
        id: i + 1,
        band_id: i % 10 + 1,
        venue_id: i % VENUES_IN_CIRCLE + 1,
        date: 10_000 - i,
        status: Default::default(),
    }
}

struct StandIns {
    bands: Served,
    venues: Served,
    concerts: Served,
    calls: Calls,
    /// The data version every stand-in says it has (`GET /version`), when it says one.
    version: Arc<Mutex<String>>,
}

/// Stand-ins that say no data version: the gateway tags no answer and keeps none.
async fn stand_ins() -> StandIns {
    stand_ins_saying_versions(false).await
}

async fn stand_ins_saying_versions(say_versions: bool) -> StandIns {
    let calls = Calls::default();
    let version = Arc::new(Mutex::new("v1".to_owned()));
    let versioned = |router: Router| {
        let version = version.clone();
        if !say_versions {
            return router;
        }
        router.route(
            "/version",
            get(move || async move { axum::Json(json!({"version": version.lock().unwrap().clone()})) }),
        )
    };
    let bands = Router::new()
        .route(
            "/bands",
            get(|State(calls): State<Calls>, RawQuery(query): RawQuery| async move {
                calls.record(format!("GET /bands?{}", query.clone().unwrap_or_default()));
                let found: Vec<Value> =
                    ids(&query).iter().map(|id| json!({"id": id, "name": format!("Band {id}")})).collect();
                axum::Json(found)
            }),
        )
        .with_state(calls.clone());
    let venues = Router::new()
        .route(
            "/venues/within/ids",
            get(|State(calls): State<Calls>| async move {
                calls.record("GET /venues/within/ids".to_owned());
                axum::Json((1..=VENUES_IN_CIRCLE).collect::<Vec<i64>>())
            }),
        )
        .route(
            "/venues",
            get(|State(calls): State<Calls>, RawQuery(query): RawQuery| async move {
                calls.record(format!("GET /venues?{}", query.clone().unwrap_or_default()));
                let found: Vec<Value> = ids(&query)
                    .iter()
                    .map(|id| json!({"id": id, "name": format!("Venue {id}"), "latitude": 48.8, "longitude": 2.3}))
                    .collect();
                axum::Json(found)
            }),
        )
        .with_state(calls.clone());
    let concerts = Router::new()
        .route(
            "/concerts/search",
            post(|State(calls): State<Calls>, body: Bytes| async move {
                let search: ConcertSearch = serde_json::from_slice(&body).unwrap();
                calls.record(format!("POST /concerts/search {}", String::from_utf8_lossy(&body)));
                let start = search.after.map_or(0, |after| 10_000 - after.date + 1);
                let end = search.limit.map_or(CONCERTS, |limit| (start + limit as i64).min(CONCERTS));
                let found: Vec<Concert> = (start..end).map(concert).collect();
                (StatusCode::OK, [("content-type", rows::CONTENT_TYPE)], rows::encode(&found))
            }),
        )
        .with_state(calls.clone());
    StandIns {
        bands: testkit::serve(versioned(bands)).await,
        venues: testkit::serve(versioned(venues)).await,
        concerts: testkit::serve(versioned(concerts)).await,
        calls,
        version,
    }
}

fn searches(calls: &[String]) -> Vec<Value> {
    calls
        .iter()
        .filter_map(|call| call.strip_prefix("POST /concerts/search "))
        .map(|body| serde_json::from_str(body).unwrap())
        .collect()
}

/// An unpaged answer of many internal pages is one streamed search: the
/// circle is turned into venues once, and its venues travel once.
#[tokio::test]
async fn a_geo_answer_of_many_pages_sends_the_circles_venues_once() {
    let services = stand_ins().await;
    let urls = [services.bands.url.as_str(), services.venues.url.as_str(), services.concerts.url.as_str()];
    let gateway = gateway(&urls, |s| s.stream_page_size = 7).await;

    let (status, body) = testkit::get(&format!("{}/concerts?latitude=48.8&longitude=2.3&radius=20", gateway.url)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let dates: Vec<i64> = body.as_array().unwrap().iter().map(|c| c["date"].as_i64().unwrap()).collect();
    assert_eq!(dates, (0..CONCERTS).map(|i| 10_000 - i).collect::<Vec<_>>(), "every concert, in order");

    let calls = services.calls.taken();
    assert_eq!(calls.iter().filter(|c| *c == "GET /venues/within/ids").count(), 1, "{calls:#?}");
    let searches = searches(&calls);
    assert_eq!(searches.len(), 1, "one streamed search: {calls:#?}");
    assert_eq!(searches[0]["venueIds"].as_array().map(Vec::len), Some(VENUES_IN_CIRCLE as usize));
    assert!(searches[0].get("limit").is_none(), "every match is asked for: {}", searches[0]);
    // Names are asked for page by page (7 concerts name at most 7 venues), never all 300.
    let venue_lookups: Vec<&String> = calls.iter().filter(|c| c.starts_with("GET /venues?")).collect();
    assert!(venue_lookups.len() >= CONCERTS as usize / 7, "{venue_lookups:#?}");
}

/// A page asks the concerts service for one more concert than the page
/// holds (to know whether a next page exists), and names only its own bands
/// and venues; names already fetched are not asked again.
#[tokio::test]
async fn a_page_asks_for_one_more_and_names_only_its_own_bands_and_venues() {
    let services = stand_ins().await;
    let urls = [services.bands.url.as_str(), services.venues.url.as_str(), services.concerts.url.as_str()];
    let gateway = gateway(&urls, |_| {}).await;

    let response = testkit::http().get(format!("{}/concerts?bandIds=1,2,3&limit=5", gateway.url)).send().await.unwrap();
    assert!(response.headers().contains_key("link"), "a next page follows");
    let calls = services.calls.taken();
    assert!(!calls.iter().any(|c| c.starts_with("GET /venues/within")), "no circle, no geo call: {calls:#?}");
    let asked = searches(&calls);
    assert_eq!(asked.len(), 1, "{calls:#?}");
    assert_eq!(asked[0]["limit"], 6);
    assert_eq!(asked[0]["bandIds"], json!([1, 2, 3]));
    assert!(calls.contains(&"GET /bands?ids=1,2,3,4,5".to_owned()), "the page's five bands: {calls:#?}");
    assert!(calls.contains(&"GET /venues?ids=1,2,3,4,5".to_owned()), "the page's five venues: {calls:#?}");

    // The same page again: its bands and venues are known now.
    testkit::get(&format!("{}/concerts?bandIds=1,2,3&limit=5", gateway.url)).await;
    let calls = services.calls.taken();
    assert_eq!(searches(&calls).len(), 1);
    assert!(!calls.iter().any(|c| c.starts_with("GET /bands") || c.starts_with("GET /venues")), "{calls:#?}");
}

/// An answer asked again is served from what the gateway keeps, in every
/// coding asked, without a call to any service; once the data versions
/// change, it is made again.
#[tokio::test]
async fn an_answer_asked_again_is_served_without_calling_the_services() {
    let services = stand_ins_saying_versions(true).await;
    let urls = [services.bands.url.as_str(), services.venues.url.as_str(), services.concerts.url.as_str()];
    let gateway = gateway(&urls, |s| s.caching.data_version_ttl_ms = 50).await;
    let http = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
    let get = |query: &str, coding: Option<&str>| {
        let mut request = http.get(format!("{}/concerts?{query}", gateway.url));
        if let Some(coding) = coding {
            request = request.header("accept-encoding", coding);
        }
        async move {
            let response = request.send().await.unwrap();
            let coding = response.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_owned());
            let tag = response.headers()["etag"].to_str().unwrap().to_owned();
            (coding, tag, response.bytes().await.unwrap().to_vec())
        }
    };
    let query = "latitude=48.8&longitude=2.3&radius=20";
    let (_, tag, plain) = get(query, None).await;
    let (coding, brotli_tag, brotli) = get(query, Some("gzip, br")).await;
    assert_eq!((coding.as_deref(), &brotli_tag), (Some("br"), &tag), "the same answer, its own coding");
    let mut decoded = Vec::new();
    std::io::Read::read_to_end(&mut brotli::Decompressor::new(&brotli[..], 4096), &mut decoded).unwrap();
    assert_eq!(decoded, plain, "the same answer, compressed");
    assert_eq!(searches(&services.calls.taken()).len(), 2, "made once per coding asked");

    assert_eq!(get(query, None).await.2, plain, "the plain answer kept");
    assert_eq!(get(query, Some("br")).await.2, brotli, "the brotli answer kept");
    let calls = services.calls.taken();
    assert!(calls.is_empty(), "no service was called for the answers kept: {calls:#?}");
    let (coding, _, gzip) = get(query, Some("gzip")).await;
    assert_eq!(coding.as_deref(), Some("gzip"));
    let mut decoded = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzip[..]), &mut decoded).unwrap();
    assert_eq!(decoded, plain);
    assert_eq!(get(query, Some("gzip")).await.2, gzip);
    assert_eq!(searches(&services.calls.taken()).len(), 1, "gzip made once, then kept");

    get("bandIds=1,2", None).await;
    assert_eq!(searches(&services.calls.taken()).len(), 1, "another query is made");

    *services.version.lock().unwrap() = "v2".to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    for _ in 0..20 {
        let (_, new_tag, _) = get(query, Some("br")).await;
        if new_tag != tag {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (_, new_tag, _) = get(query, Some("br")).await;
    assert_ne!(new_tag, tag, "new data, a new tag");
    assert!(!searches(&services.calls.taken()).is_empty(), "the answer is made again from the new data");

    let metrics = testkit::http().get(format!("{}/metrics", gateway.url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("answer_cache_requests_total{outcome=\"hit\"}"), "{metrics}");
    assert!(metrics.contains("answer_cache_hit_ratio") && metrics.contains("answer_cache_bytes"), "{metrics}");
}
