//! The exercise's data set, read straight from the files, and what the API
//! must answer, computed here independently of the system (a plain
//! haversine, a plain filter and sort).

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::repo_root;

pub const PARIS: (f64, f64) = (48.857931, 2.350144);
pub const VENUE_1: (f64, f64) = (43.63967479999999, -79.3535794);

pub struct Data {
    pub bands: HashMap<i64, String>,
    pub venues: HashMap<i64, Value>,
    pub concerts: Vec<Value>,
}

impl Data {
    pub fn load() -> Self {
        let read = |file: &str| -> Vec<Value> {
            let path = repo_root().join("data/wemaintain").join(file);
            serde_json::from_slice(&std::fs::read(&path).expect("the demo data")).expect("JSON")
        };
        let bands = read("bands.json")
            .into_iter()
            .map(|b| (b["id"].as_i64().unwrap(), b["name"].as_str().unwrap().to_owned()))
            .collect();
        let venues = read("venues.json").into_iter().map(|v| (v["id"].as_i64().unwrap(), v)).collect();
        Self { bands, venues, concerts: read("concerts.json") }
    }

    pub fn venue_position(&self, id: i64) -> (f64, f64) {
        let v = &self.venues[&id];
        (v["latitude"].as_f64().unwrap(), v["longitude"].as_f64().unwrap())
    }

    /// What the API must answer: filter, newest first, in the public shape.
    pub fn expected(&self, band_ids: Option<&[i64]>, area: Option<((f64, f64), f64)>) -> Vec<Value> {
        self.expected_in(band_ids, area, Expected::NewestFirst)
    }

    /// What the API must answer in an order: filter, sort by the order's key
    /// (every tie broken as the API documents it), in the public shape.
    pub fn expected_in(
        &self,
        band_ids: Option<&[i64]>,
        area: Option<((f64, f64), f64)>,
        order: Expected,
    ) -> Vec<Value> {
        let mut matching: Vec<&Value> = self
            .concerts
            .iter()
            .filter(|c| band_ids.is_none_or(|ids| ids.contains(&c["bandId"].as_i64().unwrap())))
            .filter(|c| {
                area.is_none_or(|(centre, radius)| {
                    haversine_km(centre, self.venue_position(c["venueId"].as_i64().unwrap())) <= radius
                })
            })
            .collect();
        let key = |c: &Value| ["date", "bandId", "venueId"].map(|field| c[field].as_i64().unwrap());
        match order {
            Expected::NewestFirst => matching.sort_by_key(|c| std::cmp::Reverse(key(c))),
            Expected::SoonestFirst => matching.sort_by_key(|c| key(c)),
            Expected::NearestTo(centre) => matching.sort_by(|a, b| {
                let [a_date, a_band, a_venue] = key(a);
                let [b_date, b_band, b_venue] = key(b);
                let km = |venue| haversine_km(centre, self.venue_position(venue));
                km(a_venue).total_cmp(&km(b_venue)).then((a_venue, a_date, a_band).cmp(&(b_venue, b_date, b_band)))
            }),
        }
        matching
            .into_iter()
            .map(|c| {
                let venue = &self.venues[&c["venueId"].as_i64().unwrap()];
                json!({
                    "band": self.bands[&c["bandId"].as_i64().unwrap()],
                    "location": venue["name"],
                    "date": c["date"],
                    "latitude": venue["latitude"],
                    "longitude": venue["longitude"],
                    "bandId": c["bandId"],
                    "venueId": c["venueId"],
                    "status": "scheduled",
                })
            })
            .collect()
    }
}

/// The orders the API answers in, as this module computes them.
#[derive(Debug, Clone, Copy)]
pub enum Expected {
    /// Date, band id, venue id: descending.
    NewestFirst,
    /// Date, band id, venue id: ascending.
    SoonestFirst,
    /// The venue's distance from the point, then venue id, date, band id: ascending.
    NearestTo((f64, f64)),
}

/// The positions of the demo data's venues in `city`, `country`, read from
/// the data file itself: a name "Venue, [District,] City, Country" ends with the two.
pub fn city_venues(city: &str, country: &str) -> Vec<(f64, f64)> {
    let path = testkit::repo_root().join("data/wemaintain/venues.json");
    let venues: Vec<Value> = serde_json::from_slice(&std::fs::read(path).expect("the demo venues")).expect("JSON");
    venues
        .iter()
        .filter(|venue| {
            let parts: Vec<&str> = venue["name"].as_str().unwrap_or_default().rsplit(", ").take(2).collect();
            parts == [country, city]
        })
        .map(|venue| (venue["latitude"].as_f64().unwrap_or(f64::NAN), venue["longitude"].as_f64().unwrap_or(f64::NAN)))
        .collect()
}

/// An independent great-circle distance on the contract's sphere (6378.1 km).
pub fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6378.1 * h.sqrt().asin()
}

fn count(body: &Value) -> usize {
    body.as_array().unwrap_or_else(|| panic!("a JSON array: {}", short(body))).len()
}

/// At most the first 300 characters of `value`, for a message.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], text.len()),
        None => text,
    }
}

/// Asserts that an answer is `expected`, saying where they part if not
/// (answers are hundreds of concerts: a whole one is no message).
#[track_caller]
pub fn assert_same_answer(got: &Value, expected: &[Value], what: &str) {
    let got = without_ids(got);
    let Some(items) = got.as_array() else { panic!("{what}: not a JSON array: {}", short(&got)) };
    if let Some(at) = items.iter().zip(expected).position(|(a, b)| a != b) {
        panic!("{what}: item {at} is {} where {} was expected", short(&items[at]), short(&expected[at]));
    }
    assert_eq!(items.len(), expected.len(), "{what}: how many concerts");
}

/// An answer's items without their `id` (the store gives ids in the order it
/// imports, which the data files do not say), once each id is checked to be
/// a positive integer given to one concert only; and without their local
/// time (`timeZone`, `localDate`: the data files hold no zone; `places.rs`
/// checks them by hand), once the local date is checked to be the same
/// second as `date`.
pub fn without_ids(answer: &Value) -> Value {
    let Some(items) = answer.as_array() else { return answer.clone() };
    let mut ids = std::collections::HashSet::new();
    let stripped = items
        .iter()
        .map(|item| {
            let id = item["id"].as_i64().unwrap_or_else(|| panic!("an item without its id: {item}"));
            assert!(id > 0 && ids.insert(id), "id {id} is positive and given once");
            let local = item["localDate"].as_str().unwrap_or_else(|| panic!("an item without its local date: {item}"));
            let instant = chrono::DateTime::parse_from_rfc3339(local).unwrap_or_else(|e| panic!("{local}: {e}"));
            assert_eq!(instant.timestamp(), item["date"].as_i64().unwrap().div_euclid(1000), "{item}");
            assert!(item["timeZone"].is_string(), "{item}");
            let mut item = item.clone();
            if let Some(fields) = item.as_object_mut() {
                for field in ["id", "timeZone", "localDate"] {
                    fields.remove(field);
                }
            }
            item
        })
        .collect();
    Value::Array(stripped)
}

/// The exercise's known counts and whole answers, asked of the gateway at `gateway`.
pub async fn answers_the_exercise(gateway: &str) {
    let data = Data::load();
    let get = |query: &str| {
        let url = format!("{gateway}{query}");
        async move { testkit::get(&url).await }
    };

    // The counts the exercise's data set is known for.
    let cases = [
        ("/concerts?bandIds=1", 5),
        ("/concerts?bandIds=1,2", 26),
        ("/concerts?bandIds=1&bandIds=2", 26),
        ("/concerts?latitude=43.63967479999999&longitude=-79.3535794&radius=2", 150),
        ("/concerts?latitude=48.857931&longitude=2.350144&radius=20", 935),
        ("/concerts?bandIds=1,2&latitude=43.63967479999999&longitude=-79.3535794&radius=1", 2),
    ];
    for (query, expected) in cases {
        let (status, body) = get(query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {}", short(&body));
        assert_eq!(count(&body), expected, "{query}");
    }

    // Whole answers, item by item and in order, against the independent computation.
    let (_, commas) = get("/concerts?bandIds=1,2").await;
    let (_, repeated) = get("/concerts?bandIds=2&bandIds=1").await;
    let (_, mixed) = get("/concerts?bandIds=1,2&bandIds=2").await;
    assert_eq!(without_ids(&commas), Value::Array(data.expected(Some(&[1, 2]), None)));
    assert_eq!(repeated, commas);
    assert_eq!(mixed, commas);

    let (_, paris) = get("/concerts?latitude=48.857931&longitude=2.350144&radius=20").await;
    assert_eq!(without_ids(&paris), Value::Array(data.expected(None, Some((PARIS, 20.0)))));

    let (_, both) =
        get("/concerts?bandIds=1,2,3,4,5&latitude=43.63967479999999&longitude=-79.3535794&radius=500").await;
    let expected_both = data.expected(Some(&[1, 2, 3, 4, 5]), Some((VENUE_1, 500.0)));
    assert!(!expected_both.is_empty());
    assert_eq!(without_ids(&both), Value::Array(expected_both));

    // A venue exactly at the radius is inside; radius 0 at a venue finds that venue's concerts.
    let (_, at_venue) = get("/concerts?latitude=43.63967479999999&longitude=-79.3535794&radius=0").await;
    assert_eq!(without_ids(&at_venue), Value::Array(data.expected(None, Some((VENUE_1, 0.0)))));
    assert!(count(&at_venue) > 0);

    // Nothing matches: an empty list, not an error.
    for query in ["/concerts?bandIds=999999", "/concerts?latitude=-48.87&longitude=-123.39&radius=100"] {
        let (status, body) = get(query).await;
        assert_eq!((status, body), (StatusCode::OK, json!([])), "{query}");
    }
}
