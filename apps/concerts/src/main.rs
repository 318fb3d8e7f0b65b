//! The concerts service process: configuration, store (MongoDB when
//! `CONCERTS_MONGODB_URI` is set, else SQLite), routes, serve.

use std::sync::Arc;

use bootstrap::{Limits, ServiceConfig};
use concerts::routes;
use concerts::store::{ConcertStore, MongoConcertStore, SqliteConcertStore};
use mongo_db::{MongoConfig, MongoDb};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bootstrap::load_env();
    let _logs = bootstrap::init_tracing();
    bootstrap::init_metrics();
    let config = ServiceConfig::from_env("CONCERTS_HTTP_PORT", 3003, "concerts.sqlite3")?;
    let limits = Limits::from_env()?;
    let store: Arc<dyn ConcertStore> = match MongoConfig::from_env("concerts")? {
        Some(mongo) => Arc::new(MongoConcertStore::new(&MongoDb::connect(&mongo).await?)),
        None => Arc::new(SqliteConcertStore::open(&config.database).await?),
    };
    let app = routes::router(store, &limits)?;
    bootstrap::serve("concerts", config.address, app, &limits).await?;
    Ok(())
}
