//! Where concerts are, as people think of it: the local time of each concert
//! at its venue, and cities suggested for a place field. In-process, on
//! SQLite; the expectations are written by hand or read from the data file
//! here, not computed by the code under test.

use std::collections::HashMap;

use bands_model::Band;
use bootstrap::RecordStore;
use concerts_model::{NewConcert, Status};
use reqwest::StatusCode;
use system_tests::{InProcess, city_venues, haversine_km};
use venues_model::Venue;

/// 2019-06-01T19:00:00Z in UNIX milliseconds.
const JUNE_1_2019_19H_UTC: i64 = 1_559_415_600_000;
/// 21:00 in Paris on 2019-03-30 (UTC+1) and on 2019-03-31 (UTC+2, the day the clocks went forward).
const PARIS_BEFORE_DST: i64 = 1_553_976_000_000;
const PARIS_AFTER_DST: i64 = 1_554_058_800_000;

/// A venue on each continent: its position, its zone and the local time of
/// 2019-06-01T19:00Z there, from the IANA rules of 2019 (written by hand).
const CITIES: [(&str, (f64, f64), &str, &str); 12] = [
    ("Olympia, Paris, France", (48.8700, 2.3283), "Europe/Paris", "2019-06-01T21:00:00+02:00"),
    ("Zepp DiverCity, Tokyo, Japan", (35.6251, 139.7756), "Asia/Tokyo", "2019-06-02T04:00:00+09:00"),
    ("Enmore Theatre, Sydney, NSW, Australia", (-33.8988, 151.1749), "Australia/Sydney", "2019-06-02T05:00:00+10:00"),
    ("Bowery Ballroom, New York, NY, US", (40.7204, -73.9934), "America/New_York", "2019-06-01T15:00:00-04:00"),
    ("The Troubadour, Los Angeles, CA, US", (34.0815, -118.3893), "America/Los_Angeles", "2019-06-01T12:00:00-07:00"),
    ("Audio, São Paulo, Brazil", (-23.5270, -46.6780), "America/Sao_Paulo", "2019-06-01T16:00:00-03:00"),
    ("Bassline, Johannesburg, South Africa", (-26.1952, 28.0340), "Africa/Johannesburg", "2019-06-01T21:00:00+02:00"),
    ("Blue Frog, Mumbai, India", (19.0176, 72.8302), "Asia/Kolkata", "2019-06-02T00:30:00+05:30"),
    ("Harpa, Reykjavik, Iceland", (64.1503, -21.9326), "Atlantic/Reykjavik", "2019-06-01T19:00:00+00:00"),
    ("Powerstation, Auckland, New Zealand", (-36.8580, 174.7580), "Pacific/Auckland", "2019-06-02T07:00:00+12:00"),
    ("Foro Sol, Mexico City, Mexico", (19.4047, -99.0907), "America/Mexico_City", "2019-06-01T14:00:00-05:00"),
    ("Cairo Jazz Club, Cairo, Egypt", (30.0626, 31.2165), "Africa/Cairo", "2019-06-01T21:00:00+02:00"),
];

#[tokio::test]
async fn each_concert_shows_the_local_time_and_zone_of_its_venue() {
    let system = InProcess::start(|_| {}).await;
    let venues = CITIES.iter().zip(1..).map(|((name, (lat, lon), ..), id)| Venue::new(id, *name, *lat, *lon)).collect();
    system.venue_store.upsert(venues).await.unwrap();
    system.band_store.upsert(vec![Band { id: 1, name: "The Travellers".into() }]).await.unwrap();
    let concert = |venue_id, date| NewConcert { band_id: 1, venue_id, date, status: Status::Scheduled };
    let mut concerts: Vec<NewConcert> = (1..=12).map(|venue| concert(venue, JUNE_1_2019_19H_UTC)).collect();
    concerts.extend([concert(1, PARIS_BEFORE_DST), concert(1, PARIS_AFTER_DST)]);
    system.concert_store.upsert(concerts).await.unwrap();
    testkit::gateway_caught_up(&system.gateway.url, &system.concerts.url).await;

    let (status, answer) = system.get("/concerts?bandIds=1&limit=100").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let items = answer.as_array().unwrap_or_else(|| panic!("a list: {answer}"));
    assert_eq!(items.len(), 14);
    let shown: HashMap<(i64, i64), (&str, &str)> = items
        .iter()
        .map(|item| {
            let key = (item["venueId"].as_i64().unwrap(), item["date"].as_i64().unwrap());
            (key, (item["timeZone"].as_str().unwrap(), item["localDate"].as_str().unwrap()))
        })
        .collect();
    for ((name, _, zone, local), id) in CITIES.iter().zip(1..) {
        assert_eq!(shown[&(id, JUNE_1_2019_19H_UTC)], (*zone, *local), "{name}");
    }
    assert_eq!(shown[&(1, PARIS_BEFORE_DST)], ("Europe/Paris", "2019-03-30T21:00:00+01:00"));
    assert_eq!(shown[&(1, PARIS_AFTER_DST)], ("Europe/Paris", "2019-03-31T21:00:00+02:00"));
    // The new fields come after the ones clients already read.
    let raw = system.get_raw("/concerts?bandIds=1&limit=1").await.text().await.unwrap();
    assert!(raw.contains(r#""status":"scheduled","timeZone":"#), "{raw}");
}

#[tokio::test]
async fn a_city_named_by_the_text_comes_first_with_a_circle_around_its_venues() {
    let system = InProcess::seeded(|_| {}).await;
    for (typed, city, country) in
        [("paris", "Paris", "France"), ("london", "London", "UK"), ("berlin", "Berlin", "Germany")]
    {
        let expected = city_venues(city, country);
        assert!(expected.len() > 1, "{city}: the demo data has several venues there");
        let (status, places) = system.get(&format!("/places?q={typed}")).await;
        assert_eq!(status, StatusCode::OK, "{places}");
        let first = &places[0];
        assert_eq!(first["kind"], "city", "{typed}: {places}");
        assert_eq!(first["label"], format!("{city}, {country}"));
        assert_eq!(first["venues"], expected.len(), "{typed}: {first}");
        let centre = (first["latitude"].as_f64().unwrap(), first["longitude"].as_f64().unwrap());
        let radius = first["radius"].as_f64().unwrap();
        for venue in &expected {
            assert!(haversine_km(centre, *venue) <= radius, "{typed}: {venue:?} outside {first}");
        }
        assert!(radius < 60.0, "{typed}: a city's circle, not a region's: {radius} km");
        let venues = places.as_array().unwrap().iter().filter(|place| place["kind"] == "venue").count();
        assert!(venues > 0, "{typed}: venues follow the city: {places}");
    }
    // "paris" names the city before the venue whose name starts with it.
    let (_, paris) = system.get("/places?q=paris").await;
    let labels: Vec<&str> = paris.as_array().unwrap().iter().map(|p| p["label"].as_str().unwrap()).collect();
    assert_eq!(labels[..2], ["Paris, France", "Paris Las Vegas, Las Vegas, NV, US"]);
    let (status, body) = system.get("/places").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
