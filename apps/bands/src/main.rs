//! The bands service process: settings, store (MongoDB when
//! `BANDS_MONGODB_URI` is set, else SQLite), routes, serve.

use std::process::ExitCode;
use std::sync::Arc;

use bands::routes;
use bands::store::{BandStore, MongoBandStore, SqliteBandStore};
use bootstrap::Credentials;
use bootstrap::settings::{self, MongoDb as _, Settings};
use bootstrap::telemetry;
use storage::mongo::{MongoConfig, MongoDb};

// Request handling allocates many small, short-lived buffers (bodies, JSON,
// rows); mimalloc serves them faster than the system allocator, whose locks
// showed in profiles under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let settings = settings::Bands::load();
    let _logs = telemetry::init_tracing(&settings.logging);
    telemetry::init_metrics();
    bootstrap::exit_status("bands", run(settings).await)
}

async fn run(settings: settings::Bands) -> anyhow::Result<()> {
    let mongo = MongoConfig::for_service(settings.mongodb.uri(), settings.mongodb.database(), "bands")?;
    let store: Arc<dyn BandStore> = match mongo {
        Some(mongo) => Arc::new(MongoBandStore::new(&MongoDb::connect(&mongo).await?)),
        None => Arc::new(SqliteBandStore::open(&settings.data.data_dir.join("bands.sqlite3")).await?),
    };
    let credentials = Credentials::new(&settings.imports, &settings.edits)?;
    bootstrap::changes::keep_compacted(store.clone(), settings.changes.retention());
    if let Some(url) = settings.events.url() {
        bootstrap::relay::relay(url.to_owned(), "bands", store.clone(), settings.changes.retention());
    }
    let app = routes::router(store, &settings.limits, &credentials)?;
    let address = bootstrap::listen_address(&settings.listen, settings.port.port);
    bootstrap::serve("bands", address, app, &settings.limits).await?;
    Ok(())
}
