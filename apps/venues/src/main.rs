//! The venues service process: configuration, store (MongoDB when
//! `VENUES_MONGODB_URI` is set, else SQLite), routes, serve.

use std::sync::Arc;

use bootstrap::{Limits, ServiceConfig};
use mongo_db::{MongoConfig, MongoDb};
use venues::routes;
use venues::store::{MongoVenueStore, SqliteVenueStore, VenueStore};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bootstrap::load_env();
    let _logs = bootstrap::init_tracing();
    bootstrap::init_metrics();
    let config = ServiceConfig::from_env("VENUES_HTTP_PORT", 3002, "venues.sqlite3")?;
    let limits = Limits::from_env()?;
    let store: Arc<dyn VenueStore> = match MongoConfig::from_env("venues")? {
        Some(mongo) => Arc::new(MongoVenueStore::new(&MongoDb::connect(&mongo).await?)),
        None => Arc::new(SqliteVenueStore::open(&config.database).await?),
    };
    let app = routes::router(store, &limits)?;
    bootstrap::serve("venues", config.address, app, &limits).await?;
    Ok(())
}
