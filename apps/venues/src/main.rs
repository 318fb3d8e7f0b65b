//! The venues service process: settings, store (MongoDB when
//! `VENUES_MONGODB_URI` is set, else SQLite), routes, serve.

use std::process::ExitCode;
use std::sync::Arc;

use bootstrap::Credentials;
use bootstrap::settings::{self, MongoDb as _, Settings};
use bootstrap::telemetry;
use storage::mongo::{MongoConfig, MongoDb};
use venues::routes;
use venues::store::{MongoVenueStore, SqliteVenueStore, VenueStore};

// Request handling allocates many small, short-lived buffers (bodies, JSON,
// rows); mimalloc serves them faster than the system allocator, whose locks
// showed in profiles under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let settings = settings::Venues::load();
    let _logs = telemetry::init_tracing(&settings.logging);
    telemetry::init_metrics();
    bootstrap::exit_status("venues", run(settings).await)
}

async fn run(settings: settings::Venues) -> anyhow::Result<()> {
    // Before the first write or request, which would otherwise wait for it.
    venues::zones::warm_up();
    let mongo = MongoConfig::for_service(settings.mongodb.uri(), settings.mongodb.database(), "venues")?;
    let store: Arc<dyn VenueStore> = match mongo {
        Some(mongo) => Arc::new(MongoVenueStore::new(&MongoDb::connect(&mongo).await?)),
        None => Arc::new(SqliteVenueStore::open(&settings.data.data_dir.join("venues.sqlite3")).await?),
    };
    let credentials = Credentials::new(&settings.imports, &settings.edits)?;
    bootstrap::changes::keep_compacted(store.clone(), settings.changes.retention());
    if let Some(url) = settings.events.url() {
        bootstrap::relay::relay(url.to_owned(), "venues", store.clone(), settings.changes.retention());
    }
    let app = routes::router(store, &settings.limits, &credentials)?;
    let address = bootstrap::listen_address(&settings.listen, settings.port.port);
    bootstrap::serve("venues", address, app, &settings.limits).await?;
    Ok(())
}
