//! One behaviour, two backends: every band store passes the same checks on
//! the same fixtures. Always against SQLite; against MongoDB when
//! `MONGODB_TEST_URI` is set (`make test-mongo`).

use std::sync::Arc;

use bands::store::{BandStore, MongoBandStore, SqliteBandStore};
use bands_model::{Band, NewBand};
use testkit::edits::Editing;
use testkit::{Backend, Place};

fn band(id: i64, name: &str) -> Band {
    Band { id, name: name.to_owned() }
}

async fn open(backend: &Backend, check: &str) -> Arc<dyn BandStore> {
    match backend.place(check).await {
        Place::SqliteFile(path) => Arc::new(SqliteBandStore::open(&path).await.unwrap()),
        Place::MongoDb(db) => Arc::new(MongoBandStore::new(&db)),
    }
}

/// Every check, each on a fresh, empty store.
async fn conformance(backend: Backend) {
    lookups_by_id_batches(open(&backend, "lookups").await).await;
    an_empty_store_says_so_and_finds_nothing(open(&backend, "empty").await).await;
    importing_twice_is_idempotent_and_updates_by_id(open(&backend, "reimport").await).await;
    bands_are_found_by_name_as_people_type_it(open(&backend, "named").await).await;
    let edited = open(&backend, "edits").await;
    testkit::edits::conformance(edited.clone(), edited, EDITING).await;
    a_band_written_alone_is_found_by_its_name_at_once(open(&backend, "edited").await).await;
    backend.clean_up().await;
}

async fn lookups_by_id_batches(store: Arc<dyn BandStore>) {
    let taken = store.upsert(vec![band(3, "Sigur Rós"), band(1, "Radiohead"), band(2, "Muse")]).await.unwrap();
    assert_eq!(taken, 3);
    assert_eq!(store.by_ids(&[3, 1, 99]).await.unwrap(), vec![band(1, "Radiohead"), band(3, "Sigur Rós")]);
    assert_eq!(store.by_ids(&[99, 100]).await.unwrap(), vec![]);

    // A full lookup batch (1000 ids) over a store larger than the batch, half of them missing.
    let many: Vec<Band> = (1..=1500).map(|id| band(id, &format!("band {id}"))).collect();
    store.upsert(many.clone()).await.unwrap();
    let asked: Vec<i64> = (1..=1000).rev().map(|i| i * 2).collect();
    let expected: Vec<Band> = many.into_iter().filter(|b| b.id % 2 == 0 && b.id <= 2000).collect();
    assert_eq!(store.by_ids(&asked).await.unwrap(), expected);
}

async fn an_empty_store_says_so_and_finds_nothing(store: Arc<dyn BandStore>) {
    assert!(store.is_empty().await.unwrap());
    assert_eq!(store.by_ids(&[1, 2]).await.unwrap(), vec![]);
    store.upsert(vec![band(1, "Radiohead")]).await.unwrap();
    assert!(!store.is_empty().await.unwrap());
}

async fn importing_twice_is_idempotent_and_updates_by_id(store: Arc<dyn BandStore>) {
    let bands = vec![band(1, "Radiohead"), band(2, "Muse")];
    let before = store.data_version().await.unwrap();
    store.upsert(bands.clone()).await.unwrap();
    let after = store.data_version().await.unwrap();
    assert_ne!(after, before, "an import changes the data's version");
    assert_eq!(store.data_version().await.unwrap(), after, "reading does not");
    store.upsert(bands.clone()).await.unwrap();
    assert_eq!(store.by_ids(&[1, 2]).await.unwrap(), bands);

    store.upsert(vec![band(2, "Muse (UK)")]).await.unwrap();
    assert_eq!(store.by_ids(&[1, 2]).await.unwrap(), vec![band(1, "Radiohead"), band(2, "Muse (UK)")]);
}

const EDITING: Editing<Band, NewBand> = Editing {
    draft: |n| NewBand { name: format!("Band number {n}") },
    id: |band| band.id,
    change: |band| Band { id: band.id, name: format!("{} (renamed)", band.name) },
};

async fn a_band_written_alone_is_found_by_its_name_at_once(store: Arc<dyn BandStore>) {
    store.upsert(vec![band(40, "Radiohead")]).await.unwrap();
    let made = store.create(NewBand { name: "Sigur Rós".into() }, None).await.unwrap().revised.record;
    assert_eq!(made.id, 41, "after the largest id imported");
    assert_eq!(named(store.as_ref(), "sigur", 10).await, ["Sigur Rós"]);
    let before = store.data_version().await.unwrap();
    store.update(made.id, None, Box::new(|band| Ok(Band { id: band.id, name: "Jónsi".into() }))).await.unwrap();
    assert_ne!(store.data_version().await.unwrap(), before, "a write changes the data's version");
    assert_eq!(named(store.as_ref(), "sigur", 10).await, Vec::<String>::new(), "not by its old name");
    assert_eq!(named(store.as_ref(), "jonsi", 10).await, ["Jónsi"]);
    store.delete(made.id, None).await.unwrap();
    assert_eq!(named(store.as_ref(), "jonsi", 10).await, Vec::<String>::new());
    assert_eq!(store.by_ids(&[40, 41]).await.unwrap(), vec![band(40, "Radiohead")]);
}

/// The names found, in the order found.
async fn named(store: &dyn BandStore, text: &str, limit: usize) -> Vec<String> {
    store.by_name(text, limit).await.unwrap().into_iter().map(|band| band.name).collect()
}

async fn bands_are_found_by_name_as_people_type_it(store: Arc<dyn BandStore>) {
    let names = [
        "Sigur Rós",
        "Hüsker Dü",
        "Sinéad O'Connor",
        "Sinéad Lohan",
        "3 Doors Down",
        "The Doors",
        "Doors",
        "Doorsmen",
        "Backdoors",
        "Czesław Śpiewa",
    ];
    let bands: Vec<Band> = names.iter().enumerate().map(|(i, name)| band(i as i64 + 1, name)).collect();
    store.upsert(bands).await.unwrap();
    let store = store.as_ref();
    assert_eq!(named(store, "sigur ros", 10).await, ["Sigur Rós"]);
    assert_eq!(named(store, "husker", 10).await, ["Hüsker Dü"]);
    assert_eq!(named(store, "sinead", 10).await, ["Sinéad Lohan", "Sinéad O'Connor"], "both Sinéads, by name");
    assert_eq!(named(store, "CZESLAW", 10).await, ["Czesław Śpiewa"]);
    assert_eq!(named(store, "3 Doors", 10).await, ["3 Doors Down"]);
    // The whole name, then names starting with it, then a later word's start, then inside a word.
    assert_eq!(named(store, "doors", 10).await, ["Doors", "Doorsmen", "The Doors", "3 Doors Down", "Backdoors"]);
    assert_eq!(named(store, "doors", 2).await, ["Doors", "Doorsmen"], "the best ones within the limit");
    assert_eq!(named(store, "oor", 10).await.len(), 5, "inside words");
    assert_eq!(named(store, "radiohead", 10).await, Vec::<String>::new());
    assert_eq!(named(store, "?!", 10).await, Vec::<String>::new(), "nothing to look for");
    // A renamed band is found by its new name, not by its old one.
    store.upsert(vec![band(7, "The Lumineers")]).await.unwrap();
    assert_eq!(named(store, "lumineers", 10).await, ["The Lumineers"]);
    assert_eq!(named(store, "doors", 10).await, ["Doorsmen", "The Doors", "3 Doors Down", "Backdoors"]);
}

#[tokio::test]
async fn the_sqlite_store_conforms() {
    conformance(Backend::sqlite()).await;
}

#[tokio::test]
async fn the_mongodb_store_conforms() {
    if let Some(backend) = Backend::mongodb("bands store conformance") {
        conformance(backend).await;
    }
}
