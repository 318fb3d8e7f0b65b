//! The concerts service process: settings, store (MongoDB when
//! `CONCERTS_MONGODB_URI` is set, else SQLite), the followers of the bands'
//! and venues' logs, the relay to NATS when configured, routes, serve.

use std::process::ExitCode;
use std::sync::Arc;

use bootstrap::Credentials;
use bootstrap::settings::{self, MongoDb as _, Settings};
use bootstrap::telemetry;
use concerts::references::{self, Referenced};
use concerts::routes;
use concerts::store::{ConcertStore, MongoConcertStore, SqliteConcertStore};
use storage::mongo::{MongoConfig, MongoDb};

// Request handling allocates many small, short-lived buffers (bodies, JSON,
// rows); mimalloc serves them faster than the system allocator, whose locks
// showed in profiles under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let settings = settings::Concerts::load();
    let _logs = telemetry::init_tracing(&settings.service.logging);
    telemetry::init_metrics();
    bootstrap::exit_status("concerts", run(settings).await)
}

async fn run(settings: settings::Concerts) -> anyhow::Result<()> {
    let settings::Concerts { service: settings, referenced } = settings;
    let mongo = MongoConfig::for_service(settings.mongodb.uri(), settings.mongodb.database(), "concerts")?;
    let store: Arc<dyn ConcertStore> = match mongo {
        Some(mongo) => Arc::new(MongoConcertStore::new(&MongoDb::connect(&mongo).await?)),
        None => Arc::new(SqliteConcertStore::open(&settings.data.data_dir.join("concerts.sqlite3")).await?),
    };
    let credentials = Credentials::new(&settings.imports, &settings.edits)?;
    bootstrap::changes::keep_compacted(store.clone(), settings.changes.retention());
    if let Some(url) = settings.events.url() {
        bootstrap::relay::relay(url.to_owned(), "concerts", store.clone(), settings.changes.retention());
    }
    references::follow(store.clone(), Referenced::Bands, referenced.bands.url());
    references::follow(store.clone(), Referenced::Venues, referenced.venues.url());
    let app = routes::router(store, &settings.limits, &credentials)?;
    let address = bootstrap::listen_address(&settings.listen, settings.port.port);
    bootstrap::serve("concerts", address, app, &settings.limits).await?;
    Ok(())
}
