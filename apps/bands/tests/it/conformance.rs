//! One behaviour, two backends: every band store passes the same checks on
//! the same fixtures. Always against SQLite; against MongoDB when
//! `MONGODB_TEST_URI` is set (`make test-mongo`).

use std::sync::Arc;

use bands::store::{BandStore, MongoBandStore, SqliteBandStore};
use bands_model::Band;
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
    store.upsert(bands.clone()).await.unwrap();
    store.upsert(bands.clone()).await.unwrap();
    assert_eq!(store.by_ids(&[1, 2]).await.unwrap(), bands);

    store.upsert(vec![band(2, "Muse (UK)")]).await.unwrap();
    assert_eq!(store.by_ids(&[1, 2]).await.unwrap(), vec![band(1, "Radiohead"), band(2, "Muse (UK)")]);
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
