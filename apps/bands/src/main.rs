//! The bands service process: configuration, store (MongoDB when
//! `BANDS_MONGODB_URI` is set, else SQLite), routes, serve.

use std::sync::Arc;

use bands::routes;
use bands::store::{BandStore, MongoBandStore, SqliteBandStore};
use bootstrap::{Limits, ServiceConfig};
use mongo_db::{MongoConfig, MongoDb};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bootstrap::load_env();
    let _logs = bootstrap::init_tracing();
    bootstrap::init_metrics();
    let config = ServiceConfig::from_env("BANDS_HTTP_PORT", 3001, "bands.sqlite3")?;
    let limits = Limits::from_env()?;
    let store: Arc<dyn BandStore> = match MongoConfig::from_env("bands")? {
        Some(mongo) => Arc::new(MongoBandStore::new(&MongoDb::connect(&mongo).await?)),
        None => Arc::new(SqliteBandStore::open(&config.database).await?),
    };
    let app = routes::router(store, &limits)?;
    bootstrap::serve("bands", config.address, app, &limits).await?;
    Ok(())
}
