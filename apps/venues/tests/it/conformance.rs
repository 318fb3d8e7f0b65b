//! One behaviour, two backends: every venue store passes the same checks on
//! the same fixtures. Always against SQLite; against MongoDB when
//! `MONGODB_TEST_URI` is set (`make test-mongo`). Expected sets come from an
//! independent haversine, not from the service's own geometry.

use std::sync::Arc;

use bootstrap::RecordStore;
use storage::mongo::{MongoDb, plan_stages};
use testkit::edits::Editing;
use testkit::{Backend, Place};
use venues::store::{MongoVenueStore, SqliteVenueStore, VenueStore, mongo};
use venues_model::{NewVenue, Venue, WithinRadius};

/// An independent great-circle distance (haversine, sphere of 6378.1 km).
fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6378.1 * h.sqrt().asin()
}

fn venue(id: i64, name: &str, latitude: f64, longitude: f64) -> Venue {
    Venue { id, name: name.to_owned(), latitude, longitude }
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
    backend.clean_up().await;
}

const EDITING: Editing<Venue, NewVenue> = Editing {
    draft: |n| NewVenue {
        name: format!("Hall {n}, Lyon, France"),
        latitude: 45.76,
        longitude: 4.83 + f64::from(n) / 100.0,
    },
    id: |venue| venue.id,
    change: |venue| Venue { latitude: venue.latitude + 0.5, ..venue.clone() },
};

async fn a_venue_written_alone_is_found_where_it_is_at_once(store: Arc<dyn VenueStore>) {
    let paris = (48.8566, 2.3522);
    let lyon = (45.7640, 4.8357);
    let draft = NewVenue { name: "La Cigale, Paris, France".into(), latitude: paris.0, longitude: paris.1 };
    let made = store.create(draft, None).await.unwrap().revised.record;
    assert_eq!(within(store.as_ref(), paris, 1.0).await, vec![made.id]);
    assert_eq!(store.by_name("cigale", 10).await.unwrap(), vec![made.clone()]);
    let moved = Venue { name: "La Cigale, Lyon, France".into(), latitude: lyon.0, longitude: lyon.1, ..made.clone() };
    let to = moved.clone();
    store.update(made.id, None, Box::new(move |_| Ok(to.clone()))).await.unwrap();
    assert_eq!(within(store.as_ref(), paris, 1.0).await, Vec::<i64>::new(), "gone from where it was");
    assert_eq!(within(store.as_ref(), lyon, 1.0).await, vec![made.id]);
    assert_eq!(store.by_name("lyon", 10).await.unwrap(), vec![moved]);
    store.delete(made.id, None).await.unwrap();
    assert_eq!(within(store.as_ref(), lyon, 1.0).await, Vec::<i64>::new());
    assert_eq!(store.by_ids(&[made.id]).await.unwrap(), vec![]);
}

async fn lookups_by_id_batches(store: Arc<dyn VenueStore>) {
    assert_eq!(store.upsert(paris_area()).await.unwrap(), 5);
    let found = store.by_ids(&[4, 2, 42]).await.unwrap();
    let expected = paris_area();
    assert_eq!(found, vec![expected[1].clone(), expected[3].clone()], "ascending id, every field exact");

    let many: Vec<Venue> = (10..1510).map(|id| venue(id, &format!("venue {id}"), 0.01 * id as f64, 0.0)).collect();
    store.upsert(many.clone()).await.unwrap();
    let asked: Vec<i64> = (0..1000).rev().map(|i| 10 + 3 * i).collect();
    let expected: Vec<Venue> = many.into_iter().filter(|v| (v.id - 10) % 3 == 0 && v.id < 3010).collect();
    assert_eq!(store.by_ids(&asked).await.unwrap(), expected);
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
    assert_eq!(store.by_ids(&[1, 2, 3, 4, 5]).await.unwrap(), paris_area());
    assert_eq!(within(store.as_ref(), PARIS, 8.0).await, vec![1, 2, 3, 5]);

    // The London venue moves to Paris: the position index follows.
    store.upsert(vec![venue(4, "Moved", 48.8580, 2.3501)]).await.unwrap();
    assert_eq!(within(store.as_ref(), PARIS, 1.0).await, vec![4, 5]);
    assert_eq!(within(store.as_ref(), (51.5396971, -0.1426), 1.0).await, Vec::<i64>::new());
    assert_eq!(store.by_ids(&[4]).await.unwrap(), vec![venue(4, "Moved", 48.8580, 2.3501)]);
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
    assert_eq!(found, vec![paris_area()[4].clone()], "every field of the venue, for a page to place it");
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
    let paris = Venue { id: 7, name: "Olympia, Paris, France".into(), latitude: 48.87, longitude: 2.3283 };
    store.upsert(vec![paris]).await.unwrap();
    drop(store);
    let reopened = SqliteVenueStore::open(&path).await.unwrap();
    assert_eq!(within(&reopened, (48.857931, 2.350144), 8.0).await, vec![7]);
}
