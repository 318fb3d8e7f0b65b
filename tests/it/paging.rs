//! Pages of `GET /concerts`: following the `Link` headers gives the unpaged
//! answer exactly, in every order (`sort`), also while concerts are imported
//! between pages.

use bootstrap::RecordStore;
use concerts_model::NewConcert;
use reqwest::StatusCode;
use serde_json::{Value, json};
use system_tests::{Data, Expected, InProcess, PARIS, VENUE_1, assert_same_answer};

const QUERIES: [&str; 4] = [
    "bandIds=1,2,3,4,5,6,7,8,9,10",
    "latitude=48.857931&longitude=2.350144&radius=20",
    "bandIds=1,2,3,4,5,6,7,8,9,10&latitude=43.63967479999999&longitude=-79.3535794&radius=1000",
    "latitude=43.63967479999999&longitude=-79.3535794&radius=2",
];

/// The `Link: <...>; rel="next"` target, if any.
fn next_link(response: &reqwest::Response) -> Option<String> {
    let link = response.headers().get("link")?.to_str().ok()?;
    let target = link.strip_prefix('<')?.strip_suffix(">; rel=\"next\"")?;
    Some(target.to_owned())
}

/// Follows the links from `first` (bounded), returning every page.
async fn walk(system: &InProcess, first: &str) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(path) = next.take() {
        assert!(pages.len() < 2000, "too many pages");
        let response = system.get_raw(&path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        next = next_link(&response);
        pages.push(response.json::<Vec<Value>>().await.unwrap());
    }
    pages
}

/// An unpaged answer is written page by page as the gateway reads them from
/// one streamed search; with tiny internal pages (7 concerts), most answers
/// span many of them. The stitched array must be the answer a single page gives.
#[tokio::test]
async fn an_answer_streamed_in_many_internal_pages_is_the_whole_answer() {
    let system = InProcess::seeded(|gateway| gateway.stream_page_size = 7).await;
    for query in QUERIES {
        let (status, streamed) = system.get(&format!("/concerts?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        let (_, one_page) = system.get(&format!("/concerts?{query}&limit=1000")).await;
        let streamed = streamed.as_array().unwrap();
        assert!(streamed.len() > 7, "{query} spans internal pages: {}", streamed.len());
        assert_eq!(streamed, one_page.as_array().unwrap(), "{query}");
    }
}

#[tokio::test]
async fn following_the_links_gives_exactly_the_unpaged_answer() {
    let system = InProcess::seeded(|_| {}).await;
    for query in QUERIES {
        let (_, whole) = system.get(&format!("/concerts?{query}")).await;
        let whole = whole.as_array().unwrap().clone();
        assert!(!whole.is_empty(), "{query}");
        for limit in [7, 100, 1000] {
            let pages = walk(&system, &format!("/concerts?{query}&limit={limit}")).await;
            let (last, full) = pages.split_last().unwrap();
            assert!(full.iter().all(|page| page.len() == limit), "{query}: every page but the last is full");
            assert!(!last.is_empty() || pages.len() == 1, "{query}: no empty page at the end");
            let walked: Vec<Value> = pages.concat();
            assert_eq!(walked, whole, "{query} by pages of {limit}");
        }
    }
    let one_page = system.get_raw("/concerts?bandIds=1&limit=5").await;
    assert_eq!(next_link(&one_page), None, "5 concerts fit one page of 5: no link");
    let (_, empty) = system.get("/concerts?bandIds=999999&limit=5").await;
    assert_eq!(empty, json!([]));
}

/// Soonest first and nearest first, by bands, by circles and by both, with
/// and without dates: the whole answer is the order computed here from the
/// data files, and pages of every size walk it without gap or repeat.
#[tokio::test]
async fn each_sort_is_its_order_and_its_pages_walk_it() {
    let system = InProcess::seeded(|_| {}).await;
    let data = Data::load();
    let bands: &[i64] = &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    let paris = (PARIS, 20.0);
    let toronto = (VENUE_1, 1000.0);
    let circle = |((latitude, longitude), radius): ((f64, f64), f64)| {
        format!("latitude={latitude}&longitude={longitude}&radius={radius}")
    };
    let searches =
        [(Some(bands), None), (None, Some(paris)), (None, Some((VENUE_1, 2.0))), (Some(bands), Some(toronto))];
    for (band_ids, area) in searches {
        let mut sorts = vec![("date", Expected::SoonestFirst), ("-date", Expected::NewestFirst)];
        if let Some((centre, _)) = area {
            sorts.push(("distance", Expected::NearestTo(centre)));
        }
        for (sort, order) in sorts {
            let filter = [band_ids.map(|ids| format!("bandIds={}", join(ids))), area.map(circle)];
            let query = filter.into_iter().flatten().chain([format!("sort={sort}")]).collect::<Vec<_>>().join("&");
            let expected = data.expected_in(band_ids, area, order);
            assert!(expected.len() > 2, "{query}: the fixture spans an order: {}", expected.len());
            let (status, whole) = system.get(&format!("/concerts?{query}")).await;
            assert_eq!(status, StatusCode::OK, "{query}: {whole}");
            assert_same_answer(&whole, &expected, &query);
            for limit in [1, 7, 100] {
                let pages = walk(&system, &format!("/concerts?{query}&limit={limit}")).await;
                assert_eq!(Value::Array(pages.concat()), whole, "{query} by pages of {limit}");
            }
            // A date range narrows every order; its pages stay within it.
            let (from, to) = (1_500_000_000_000_i64, 1_560_000_000_000_i64);
            let within = |c: &&Value| (from..=to).contains(&c["date"].as_i64().unwrap());
            let ranged: Vec<Value> = expected.iter().filter(within).cloned().collect();
            let pages = walk(&system, &format!("/concerts?{query}&from={from}&to={to}&limit=3")).await;
            assert_same_answer(&Value::Array(pages.concat()), &ranged, &format!("{query}, {from} to {to}"));
        }
    }
    // A cursor keeps to its order.
    let first = system.get_raw("/concerts?bandIds=1,2&sort=date&limit=2").await;
    let next = next_link(&first).expect("a next page");
    let (status, refused) = system.get(&next.replace("sort=date", "sort=-date")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    let (status, refused) = system.get("/concerts?bandIds=1&sort=distance").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["message"], json!(["sort=distance needs a circle: give latitude, longitude and radius"]));
}

fn join(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

#[tokio::test]
async fn pages_stay_consistent_while_concerts_are_imported() {
    // Data versions never taken as known: the import shows in the next
    // answer, not one kept from before it.
    let system = InProcess::seeded(|settings| settings.caching.data_version_ttl_ms = 0).await;
    let query = "latitude=48.857931&longitude=2.350144&radius=20";
    let first = system.get_raw(&format!("/concerts?{query}&limit=50")).await;
    let mut next = next_link(&first);
    let mut walked: Vec<Value> = first.json().await.unwrap();

    // Between two pages: concerts newer than any (they belong before the pages
    // already read) and older than any (they belong after every page), at a
    // venue in the circle.
    let (_, paris) = system.get(&format!("/concerts?{query}")).await;
    let (_, inside) = testkit::get(&format!("{}/venues/within/ids?{query}", system.venues.url)).await;
    let venue_id = inside[0].as_i64().expect("a venue in the circle");
    let newer = (0..30).map(|i| NewConcert {
        band_id: 1 + i,
        venue_id,
        date: 4_000_000_000_000 + i,
        status: Default::default(),
    });
    let older = (0..30).map(|i| NewConcert { band_id: 1 + i, venue_id, date: 1_000 + i, status: Default::default() });
    system.concert_store.upsert(newer.chain(older).collect()).await.unwrap();

    while let Some(path) = next.take() {
        let response = system.get_raw(&path).await;
        next = next_link(&response);
        walked.extend(response.json::<Vec<Value>>().await.unwrap());
    }
    // Every concert that was there before, once and in order; the older ones
    // after them; the newer ones belong to pages already read.
    let (_, now) = system.get(&format!("/concerts?{query}")).await;
    let expected: Vec<Value> =
        now.as_array().unwrap().iter().filter(|c| c["date"].as_i64().unwrap() < 4_000_000_000_000).cloned().collect();
    assert_eq!(walked.len(), paris.as_array().unwrap().len() + 30);
    assert_eq!(walked, expected);
}
