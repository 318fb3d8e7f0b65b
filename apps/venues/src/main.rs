//! The venues service process: configuration, store (MongoDB when
//! `VENUES_MONGODB_URI` is set, else SQLite), routes, serve.

use std::sync::Arc;

use bootstrap::ServiceConfig;
use mongo_db::{MongoConfig, MongoDb};
use venues::routes;
use venues::store::{MongoVenueStore, SqliteVenueStore, VenueStore};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bootstrap::load_env();
    bootstrap::init_tracing();
    let config = ServiceConfig::from_env("VENUES_HTTP_PORT", 3002, "venues.sqlite3")?;
    let store: Arc<dyn VenueStore> = match MongoConfig::from_env("venues")? {
        Some(mongo) => Arc::new(MongoVenueStore::new(&MongoDb::connect(&mongo).await?)),
        None => Arc::new(SqliteVenueStore::open(&config.database).await?),
    };
    let app = routes::router(store)?;
    bootstrap::serve("venues", config.address, app).await?;
    Ok(())
}
