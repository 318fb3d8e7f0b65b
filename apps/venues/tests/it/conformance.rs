//! One behaviour, two backends: every venue store passes the same checks on
//! the same fixtures. Always against SQLite; against MongoDB when
//! `MONGODB_TEST_URI` is set (`make test-mongo`). Expected sets come from an
//! independent haversine, not from the service's own geometry.

use std::sync::Arc;

use bootstrap::RecordStore;
use storage::mongo::{MongoDb, doc, name_index, plan_stages, upsert_statement};
use testkit::edits::Editing;
use testkit::{Backend, Place};
use venues::store::{MongoVenueStore, SqliteVenueStore, VenueStore, mongo};
use venues_model::{NewVenue, PlaceSuggestion, Tz, Venue, WithinRadius};

/// An independent great-circle distance (haversine, sphere of 6378.1 km).
fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6378.1 * h.sqrt().asin()
}

fn venue(id: i64, name: &str, latitude: f64, longitude: f64) -> Venue {
    Venue::new(id, name, latitude, longitude)
}

/// The venues as imported: without what the store adds (place, zone), which
/// the checks of places and zones look at by themselves.
fn bare(venues: Vec<Venue>) -> Vec<Venue> {
    venues.into_iter().map(|v| Venue::new(v.id, v.name, v.latitude, v.longitude)).collect()
}

const PARIS: (f64, f64) = (48.857931, 2.350144);
const POINT_EPHEMERE: (f64, f64) = (48.8814422, 2.3684356);

fn paris_area() -> Vec<Venue> {
    vec![
        venue(1, "Olympia, Paris, France", 48.8700, 2.3283),
        venue(2, "Point Ephémère, Paris, France", POINT_EPHEMERE.0, POINT_EPHEMERE.1),
        venue(3, "Stade de France, Saint-Denis, France", 48.9245, 2.3602),
        venue(4, "Electric Ballroom, London, UK", 51.5396971, -0.1426),
        venue(5, "Zénith, Paris, France", PARIS.0, PARIS.1),
    ]
}

/// The ids of the venues within the radius.
async fn within(store: &dyn VenueStore, (latitude, longitude): (f64, f64), radius: f64) -> Vec<i64> {
    let found = store.within_radius(WithinRadius { latitude, longitude, radius }).await.unwrap();
    found.into_iter().map(|nearby| nearby.id).collect()
}

async fn open(backend: &Backend, check: &str) -> Arc<dyn VenueStore> {
    match backend.place(check).await {
        Place::SqliteFile(path) => Arc::new(SqliteVenueStore::open(&path).await.unwrap()),
        Place::MongoDb(db) => Arc::new(MongoVenueStore::new(&db)),
    }
}

/// Every check, each on a fresh, empty store.
async fn conformance(backend: Backend) {
    lookups_by_id_batches(open(&backend, "lookups").await).await;
    within_radius_is_the_great_circle_set(open(&backend, "radius").await).await;
    the_boundary_is_inside_and_radius_zero_finds_the_exact_position(open(&backend, "boundary").await).await;
    circles_across_the_antimeridian_and_around_a_pole(open(&backend, "wrap").await).await;
    an_empty_store_says_so_and_finds_nothing(open(&backend, "empty").await).await;
    importing_twice_is_idempotent_and_moves_venues(open(&backend, "reimport").await).await;
    venues_are_found_by_name_and_city(open(&backend, "named").await).await;
    let edited = open(&backend, "edits").await;
    testkit::edits::conformance(edited.clone(), edited, EDITING).await;
    a_venue_written_alone_is_found_where_it_is_at_once(open(&backend, "edited").await).await;
    venues_are_given_their_place_and_zone(open(&backend, "located").await).await;
    a_moved_venue_takes_the_zone_of_where_it_is(open(&backend, "moved").await).await;
    cities_are_suggested_with_their_venues_in_step_with_writes(open(&backend, "cities").await).await;
    backend.clean_up().await;
}

const EDITING: Editing<Venue, NewVenue> = Editing {
    draft: |n| NewVenue::new(format!("Hall {n}, Lyon, France"), 45.76, 4.83 + f64::from(n) / 100.0),
    id: |venue| venue.id,
    change: |venue| Venue { latitude: venue.latitude + 0.5, ..venue.clone() },
};

async fn a_venue_written_alone_is_found_where_it_is_at_once(store: Arc<dyn VenueStore>) {
    let paris = (48.8566, 2.3522);
    let lyon = (45.7640, 4.8357);
    let draft = NewVenue::new("La Cigale, Paris, France", paris.0, paris.1);
    let made = store.create(draft, None).await.unwrap().revised.record;
    assert_eq!(within(store.as_ref(), paris, 1.0).await, vec![made.id]);
    assert_eq!(store.by_name("cigale", 10).await.unwrap(), vec![made.clone()]);
    let moved = venue(made.id, "La Cigale, Lyon, France", lyon.0, lyon.1);
    let to = moved.clone();
    let moved = store.update(made.id, None, Box::new(move |_| Ok(to.clone()))).await.unwrap().record;
    assert_eq!(moved.city.as_deref(), Some("Lyon"), "read from the new name");
    assert_eq!(within(store.as_ref(), paris, 1.0).await, Vec::<i64>::new(), "gone from where it was");
    assert_eq!(within(store.as_ref(), lyon, 1.0).await, vec![made.id]);
    assert_eq!(store.by_name("lyon", 10).await.unwrap(), vec![moved]);
    store.delete(made.id, None).await.unwrap();
    assert_eq!(within(store.as_ref(), lyon, 1.0).await, Vec::<i64>::new());
    assert_eq!(store.by_ids(&[made.id]).await.unwrap(), vec![]);
}

async fn lookups_by_id_batches(store: Arc<dyn VenueStore>) {
    assert_eq!(store.upsert(paris_area()).await.unwrap(), 5);
    let found = bare(store.by_ids(&[4, 2, 42]).await.unwrap());
    let expected = paris_area();
    assert_eq!(found, vec![expected[1].clone(), expected[3].clone()], "ascending id, every field exact");

    let many: Vec<Venue> = (10..1510).map(|id| venue(id, &format!("venue {id}"), 0.01 * id as f64, 0.0)).collect();
    store.upsert(many.clone()).await.unwrap();
    let asked: Vec<i64> = (0..1000).rev().map(|i| 10 + 3 * i).collect();
    let expected: Vec<Venue> = many.into_iter().filter(|v| (v.id - 10) % 3 == 0 && v.id < 3010).collect();
    assert_eq!(bare(store.by_ids(&asked).await.unwrap()), expected);
}

async fn within_radius_is_the_great_circle_set(store: Arc<dyn VenueStore>) {
    let venues = paris_area();
    store.upsert(venues.clone()).await.unwrap();
    // Up to π × 6378.1 km (20,037.5 km) and beyond: the whole planet.
    for radius in [1.0, 3.0, 8.0, 343.0, 400.0, 20_000.0, 20_037.6, 50_000.0] {
        let expected: Vec<i64> =
            venues.iter().filter(|v| haversine_km(PARIS, (v.latitude, v.longitude)) <= radius).map(|v| v.id).collect();
        assert_eq!(within(store.as_ref(), PARIS, radius).await, expected, "radius {radius}");
    }
    assert_eq!(within(store.as_ref(), (-33.9, 151.2), 100.0).await, Vec::<i64>::new(), "nothing near Sydney");
    // Each venue found comes with its distance from the centre.
    let circle = WithinRadius { latitude: PARIS.0, longitude: PARIS.1, radius: 400.0 };
    for nearby in store.within_radius(circle).await.unwrap() {
        let venue = venues.iter().find(|v| v.id == nearby.id).unwrap();
        let expected = haversine_km(PARIS, (venue.latitude, venue.longitude));
        assert!((nearby.km - expected).abs() < 1e-6, "venue {}: {} km, not {expected}", nearby.id, nearby.km);
    }
}

async fn the_boundary_is_inside_and_radius_zero_finds_the_exact_position(store: Arc<dyn VenueStore>) {
    store.upsert(paris_area()).await.unwrap();
    let exact = haversine_km(PARIS, POINT_EPHEMERE);
    assert!(within(store.as_ref(), PARIS, exact).await.contains(&2), "a venue exactly at the radius is inside");
    assert!(!within(store.as_ref(), PARIS, exact - 0.001).await.contains(&2), "1 m short of it is outside");
    assert_eq!(within(store.as_ref(), PARIS, 0.0).await, vec![5], "radius 0 at a venue's exact position finds it");
    assert_eq!(within(store.as_ref(), (48.857931, 2.3502), 0.0).await, Vec::<i64>::new(), "radius 0 elsewhere");
}

async fn circles_across_the_antimeridian_and_around_a_pole(store: Arc<dyn VenueStore>) {
    store
        .upsert(vec![
            venue(1, "East of the line", -16.5, 179.95),
            venue(2, "West of the line", -16.5, -179.95),
            venue(3, "Far away", -16.5, 170.0),
            venue(4, "Pole, one side", 89.9, 0.0),
            venue(5, "Pole, other side", 89.9, 180.0),
        ])
        .await
        .unwrap();
    assert_eq!(within(store.as_ref(), (-16.5, 180.0), 20.0).await, vec![1, 2]);
    assert_eq!(within(store.as_ref(), (-16.5, -179.99), 20.0).await, vec![1, 2]);
    assert_eq!(within(store.as_ref(), (90.0, 0.0), 15.0).await, vec![4, 5]);
    assert_eq!(within(store.as_ref(), (89.9, 90.0), 25.0).await, vec![4, 5]);
}

async fn an_empty_store_says_so_and_finds_nothing(store: Arc<dyn VenueStore>) {
    assert!(store.is_empty().await.unwrap());
    assert_eq!(store.by_ids(&[1]).await.unwrap(), vec![]);
    assert_eq!(within(store.as_ref(), PARIS, 50_000.0).await, Vec::<i64>::new());
    store.upsert(paris_area()).await.unwrap();
    assert!(!store.is_empty().await.unwrap());
}

async fn importing_twice_is_idempotent_and_moves_venues(store: Arc<dyn VenueStore>) {
    let before = store.data_version().await.unwrap();
    store.upsert(paris_area()).await.unwrap();
    assert_ne!(store.data_version().await.unwrap(), before, "an import changes the data's version");
    store.upsert(paris_area()).await.unwrap();
    assert_eq!(bare(store.by_ids(&[1, 2, 3, 4, 5]).await.unwrap()), paris_area());
    assert_eq!(within(store.as_ref(), PARIS, 8.0).await, vec![1, 2, 3, 5]);

    // The London venue moves to Paris: the position index follows.
    store.upsert(vec![venue(4, "Moved", 48.8580, 2.3501)]).await.unwrap();
    assert_eq!(within(store.as_ref(), PARIS, 1.0).await, vec![4, 5]);
    assert_eq!(within(store.as_ref(), (51.5396971, -0.1426), 1.0).await, Vec::<i64>::new());
    assert_eq!(bare(store.by_ids(&[4]).await.unwrap()), vec![venue(4, "Moved", 48.8580, 2.3501)]);
}

async fn venues_are_found_by_name_and_city(store: Arc<dyn VenueStore>) {
    store.upsert(paris_area()).await.unwrap();
    store.upsert(vec![venue(6, "Parisian Loft, Lyon, France", 45.76, 4.83)]).await.unwrap();
    let named = |text: &'static str| {
        let store = store.clone();
        async move { store.by_name(text, 10).await.unwrap().into_iter().map(|v| v.id).collect::<Vec<i64>>() }
    };
    // A venue's name holds its city: "paris" finds the Paris venues (a later word), by name,
    // then the one whose name starts with it (Parisian) comes first.
    assert_eq!(named("paris").await, vec![6, 1, 2, 5]);
    assert_eq!(named("point ephemere").await, vec![2]);
    assert_eq!(named("saint denis").await, vec![3]);
    let found = store.by_name("zenith", 1).await.unwrap();
    assert_eq!(bare(found.clone()), vec![paris_area()[4].clone()], "every field of the venue, for a page to place it");
    assert_eq!(found[0].time_zone, Some(Tz::Europe__Paris));
}

/// A venue's city, region, country and zone.
type Located<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<Tz>);

/// Expected places and zones written by hand, not by the code under test.
async fn venues_are_given_their_place_and_zone(store: Arc<dyn VenueStore>) {
    store
        .upsert(vec![
            venue(1, "Le Batofar, Paris, France", 48.83335, 2.3793886),
            venue(2, "Paris Las Vegas, Las Vegas, NV, US", 36.1125, -115.1707),
            venue(3, "Zepp, Tokyo, Japan", 35.6269, 139.7813),
            venue(4, "No City Here", -33.8568, 151.2153),
        ])
        .await
        .unwrap();
    let made = store
        .create(
            NewVenue {
                city: Some("Brooklyn".into()),
                ..NewVenue::new("Brooklyn Steel, New York, NY, US", 40.7195, -73.9382)
            },
            None,
        )
        .await
        .unwrap()
        .revised
        .record;
    let found = store.by_ids(&[1, 2, 3, 4, made.id]).await.unwrap();
    let places: Vec<Located<'_>> =
        found.iter().map(|v| (v.city.as_deref(), v.region.as_deref(), v.country.as_deref(), v.time_zone)).collect();
    assert_eq!(
        places,
        vec![
            (Some("Paris"), None, Some("France"), Some(Tz::Europe__Paris)),
            (Some("Las Vegas"), Some("NV"), Some("US"), Some(Tz::America__Los_Angeles)),
            (Some("Tokyo"), None, Some("Japan"), Some(Tz::Asia__Tokyo)),
            (None, None, None, Some(Tz::Australia__Sydney)),
            (Some("Brooklyn"), None, Some("US"), Some(Tz::America__New_York)),
        ]
    );
    assert_eq!(store.by_name("batofar", 1).await.unwrap(), found[..1], "searches answer the same record");
}

async fn a_moved_venue_takes_the_zone_of_where_it_is(store: Arc<dyn VenueStore>) {
    let made = store.create(NewVenue::new("Roadshow, Paris, France", 48.85, 2.35), None).await.unwrap().revised.record;
    assert_eq!(made.time_zone, Some(Tz::Europe__Paris));
    // The edit keeps the zone it read: the store gives the one of the new position.
    let moved = store
        .update(
            made.id,
            None,
            Box::new(|before: &Venue| Ok(Venue { latitude: 40.7128, longitude: -74.006, ..before.clone() })),
        )
        .await
        .unwrap()
        .record;
    assert_eq!(moved.time_zone, Some(Tz::America__New_York));
    assert_eq!(store.get(made.id).await.unwrap().unwrap().record.time_zone, Some(Tz::America__New_York));
}

fn city_counts(found: &[PlaceSuggestion]) -> Vec<(&str, usize)> {
    found
        .iter()
        .filter_map(|s| match s {
            PlaceSuggestion::City { label, venues, .. } => Some((label.as_str(), *venues)),
            PlaceSuggestion::Venue { .. } => None,
        })
        .collect()
}

async fn cities_are_suggested_with_their_venues_in_step_with_writes(store: Arc<dyn VenueStore>) {
    store.upsert(paris_area()).await.unwrap();
    assert_eq!(city_counts(&store.cities("paris", 5).await.unwrap()), vec![("Paris, France", 3)]);
    assert_eq!(city_counts(&store.cities("LONDON", 5).await.unwrap()), vec![("London, UK", 1)]);
    let made = store.create(NewVenue::new("La Cigale, Paris, France", 48.8822, 2.3404), None).await.unwrap();
    assert_eq!(city_counts(&store.cities("paris", 5).await.unwrap()), vec![("Paris, France", 4)]);
    store.delete(made.revised.record.id, None).await.unwrap();
    store.upsert(vec![venue(4, "Electric Ballroom, Camden, UK", 51.5396971, -0.1426)]).await.unwrap();
    assert_eq!(city_counts(&store.cities("london", 5).await.unwrap()), vec![], "renamed out of London");
    let found = store.cities("paris", 5).await.unwrap();
    assert_eq!(city_counts(&found), vec![("Paris, France", 3)]);
    let PlaceSuggestion::City { latitude, longitude, radius, .. } = found[0] else { panic!("a city") };
    for v in paris_area().iter().filter(|v| v.name.ends_with(", Paris, France")) {
        assert!(haversine_km((latitude, longitude), (v.latitude, v.longitude)) <= radius, "{} outside", v.name);
    }
}

#[tokio::test]
async fn the_sqlite_store_conforms() {
    conformance(Backend::sqlite()).await;
}

#[tokio::test]
async fn the_mongodb_store_conforms() {
    if let Some(backend) = Backend::mongodb("venues store conformance") {
        let db = mongodb_place(&backend, "explain").await;
        the_radius_query_is_served_by_the_2dsphere_index(&db).await;
        let db = mongodb_place(&backend, "restart").await;
        a_restarted_service_finds_its_indexes_in_place(&db).await;
        conformance(backend).await;
    }
}

async fn mongodb_place(backend: &Backend, check: &str) -> MongoDb {
    match backend.place(check).await {
        Place::MongoDb(db) => db,
        Place::SqliteFile(_) => panic!("a MongoDB backend gives MongoDB places"),
    }
}

/// The query the store sends, explained by the server: an index scan of
/// `location` (the 2dsphere index), never a collection scan.
async fn the_radius_query_is_served_by_the_2dsphere_index(db: &MongoDb) {
    let store = MongoVenueStore::new(db);
    store.upsert(paris_area()).await.unwrap();
    let query = WithinRadius { latitude: PARIS.0, longitude: PARIS.1, radius: 20.0 };
    let plan = db.collection("venues", Vec::new()).explain(mongo::within_radius_query(query)).await.unwrap();
    let stages = plan_stages(&plan);
    assert!(stages.contains(&("IXSCAN".to_owned(), Some("venues_by_location".to_owned()))), "{stages:?}");
    assert!(!stages.iter().any(|(stage, _)| stage == "COLLSCAN"), "{stages:?}");
}

/// A service started again on its database asks for its indexes again: the
/// server must find them as they are, and writes go on.
async fn a_restarted_service_finds_its_indexes_in_place(db: &MongoDb) {
    let first = MongoVenueStore::new(db);
    first.upsert(paris_area()).await.unwrap();
    let restarted = MongoVenueStore::new(db);
    restarted.upsert(vec![venue(6, "La Cigale, Paris, France", 48.8822, 2.3404)]).await.unwrap();
    assert_eq!(within(&restarted, PARIS, 8.0).await, vec![1, 2, 3, 5, 6]);
}

/// Positions are answered from memory: a store opened again on its file must
/// know where the venues it already had are.
#[tokio::test]
async fn a_reopened_sqlite_store_finds_its_venues_by_radius() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("venues.sqlite3");
    let store = SqliteVenueStore::open(&path).await.unwrap();
    let paris = venue(7, "Olympia, Paris, France", 48.87, 2.3283);
    store.upsert(vec![paris]).await.unwrap();
    drop(store);
    let reopened = SqliteVenueStore::open(&path).await.unwrap();
    assert_eq!(within(&reopened, (48.857931, 2.350144), 8.0).await, vec![7]);
}

/// A file of the previous version (no place or zone columns) opens, and its
/// venues get their place and zone, their positions and cities in memory.
#[tokio::test]
async fn an_earlier_sqlite_store_opens_and_its_venues_are_located() {
    use storage::sqlite::rusqlite::Connection;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("venues.sqlite3");
    {
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE venues (id INTEGER PRIMARY KEY, name NOT NULL, latitude NOT NULL, longitude NOT NULL, \
             revision INTEGER NOT NULL DEFAULT 1);
             INSERT INTO venues (id, name, latitude, longitude) VALUES
               (1, 'Olympia, Paris, France', 48.87, 2.3283),
               (2, 'Paris Las Vegas, Las Vegas, NV, US', 36.1125, -115.1707);",
        )
        .unwrap();
    }
    let store = SqliteVenueStore::open(&path).await.unwrap();
    earlier_venues_are_located(&store).await;
    drop(store);
    let reopened = SqliteVenueStore::open(&path).await.unwrap();
    earlier_venues_are_located(&reopened).await;
}

/// Documents of the previous version (no place or zone fields) get them.
#[tokio::test]
async fn earlier_mongodb_documents_are_located() {
    let Some(backend) = Backend::mongodb("venues located on open") else { return };
    let db = mongodb_place(&backend, "earlier").await;
    let old = db.collection("venues", Vec::new());
    // As the previous version wrote them: position, GeoJSON point and name index, nothing more.
    let earlier = |id: i64, name: &str, latitude: f64, longitude: f64| {
        let mut fields = doc! {
            "name": name, "latitude": latitude, "longitude": longitude,
            "location": { "type": "Point", "coordinates": [longitude, latitude] },
        };
        fields.extend(name_index::fields(name));
        upsert_statement(doc! { "_id": id }, doc! { "$set": fields, "$inc": { "revision": 1_i64 } })
    };
    old.upsert_all(vec![
        earlier(1, "Olympia, Paris, France", 48.87, 2.3283),
        earlier(2, "Paris Las Vegas, Las Vegas, NV, US", 36.1125, -115.1707),
    ])
    .await
    .unwrap();
    earlier_venues_are_located(&MongoVenueStore::new(&db)).await;
    backend.clean_up().await;
}

async fn earlier_venues_are_located(store: &dyn VenueStore) {
    assert_eq!(city_counts(&store.cities("las vegas", 5).await.unwrap()), vec![("Las Vegas, NV, US", 1)]);
    let found = store.by_ids(&[1, 2]).await.unwrap();
    let zones: Vec<(Option<&str>, Option<Tz>)> = found.iter().map(|v| (v.city.as_deref(), v.time_zone)).collect();
    assert_eq!(
        zones,
        vec![(Some("Paris"), Some(Tz::Europe__Paris)), (Some("Las Vegas"), Some(Tz::America__Los_Angeles))]
    );
    assert_eq!(within(store, (48.857931, 2.350144), 8.0).await, vec![1]);
    assert_eq!(store.by_name("olympia", 1).await.unwrap()[0].id, 1, "found by name as before");
}
