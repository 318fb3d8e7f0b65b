//! The whole system in this process: the three services' and the gateway's
//! real routers, each served on its own loopback port, the services on
//! SQLite files in a temporary folder. The gateway reaches the services over
//! HTTP exactly as in production; only the processes are one.

use std::sync::Arc;

use bands::store::SqliteBandStore;
use bands_model::Band;
use bootstrap::settings::{self, Settings};
use bootstrap::{MAX_IMPORT_BATCH, RecordStore};
use concerts::store::SqliteConcertStore;
use concerts_gateway::config::Config;
use concerts_model::NewConcert;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tempfile::TempDir;
use testkit::{Served, repo_root, serve};
use venues::store::SqliteVenueStore;
use venues_model::Venue;

pub struct InProcess {
    pub gateway: Served,
    pub bands: Served,
    pub venues: Served,
    pub concerts: Served,
    pub band_store: Arc<SqliteBandStore>,
    pub venue_store: Arc<SqliteVenueStore>,
    pub concert_store: Arc<SqliteConcertStore>,
    _data: TempDir,
}

impl InProcess {
    /// Empty stores; the gateway with the default settings, changed by `configure`.
    pub async fn start(configure: impl FnOnce(&mut settings::Gateway)) -> Self {
        // As each process's main does; here one recorder serves the four routers.
        bootstrap::telemetry::init_metrics();
        let data = tempfile::tempdir().expect("a temporary folder");
        let limits = settings::Limits::default();
        let band_store = Arc::new(SqliteBandStore::open(&data.path().join("bands.sqlite3")).await.expect("a store"));
        let venue_store = Arc::new(SqliteVenueStore::open(&data.path().join("venues.sqlite3")).await.expect("a store"));
        let concert_store =
            Arc::new(SqliteConcertStore::open(&data.path().join("concerts.sqlite3")).await.expect("a store"));
        let bands =
            serve(bands::routes::router(band_store.clone(), &limits, &testkit::credentials()).expect("a router")).await;
        let venues =
            serve(venues::routes::router(venue_store.clone(), &limits, &testkit::credentials()).expect("a router"))
                .await;
        let concerts =
            serve(concerts::routes::router(concert_store.clone(), &limits, &testkit::credentials()).expect("a router"))
                .await;

        let mut gateway = settings::Gateway::defaults();
        gateway.services.bands.bands_service_url = Some(bands.url.clone());
        gateway.services.venues.venues_service_url = Some(venues.url.clone());
        gateway.services.concerts.concerts_service_url = Some(concerts.url.clone());
        gateway.edits.write_tokens = Some(testkit::write_tokens());
        gateway.imports.import_token = Some(testkit::IMPORT_TOKEN.to_owned());
        // A test is one client asking fast; the tests of the limits turn them on.
        gateway.rate_limits.rate_limits = settings::Switch::Off;
        configure(&mut gateway);
        let gateway = serve(concerts_gateway::app::router(&Config::from(&gateway)).expect("a gateway")).await;
        Self { gateway, bands, venues, concerts, band_store, venue_store, concert_store, _data: data }
    }

    /// [`Self::start`], with the exercise's data imported into the stores.
    pub async fn seeded(configure: impl FnOnce(&mut settings::Gateway)) -> Self {
        let system = Self::start(configure).await;
        system.import_demo_data().await;
        testkit::gateway_caught_up(&system.gateway.url, &system.concerts.url).await;
        system
    }

    /// The exercise's data, imported straight into the stores.
    pub async fn import_demo_data(&self) {
        import::<Band>(self.band_store.as_ref(), "bands.json").await;
        import::<Venue>(self.venue_store.as_ref(), "venues.json").await;
        import::<NewConcert>(self.concert_store.as_ref(), "concerts.json").await;
    }

    /// The variables that point a client (the seed tool) at these services,
    /// with the token their writes need.
    pub fn seed_env(&self) -> [(&'static str, String); 4] {
        [
            ("BANDS_SERVICE_URL", self.bands.url.clone()),
            ("VENUES_SERVICE_URL", self.venues.url.clone()),
            ("CONCERTS_SERVICE_URL", self.concerts.url.clone()),
            ("IMPORT_TOKEN", testkit::IMPORT_TOKEN.to_owned()),
        ]
    }

    /// `GET` on the gateway: the status and the JSON body.
    pub async fn get(&self, path_and_query: &str) -> (StatusCode, Value) {
        testkit::get(&format!("{}{path_and_query}", self.gateway.url)).await
    }

    /// `GET` on the gateway, the response as it came.
    pub async fn get_raw(&self, path_and_query: &str) -> reqwest::Response {
        testkit::http().get(format!("{}{path_and_query}", self.gateway.url)).send().await.expect("the gateway answers")
    }
}

async fn import<T: DeserializeOwned>(store: &dyn RecordStore<T>, file: &str) {
    let path = repo_root().join("data/wemaintain").join(file);
    let records: Vec<T> = serde_json::from_slice(&std::fs::read(&path).expect("the demo data")).expect("records");
    let mut records = records.into_iter().peekable();
    while records.peek().is_some() {
        let batch: Vec<T> = records.by_ref().take(MAX_IMPORT_BATCH).collect();
        store.upsert(batch).await.expect("the demo data imports");
    }
}
