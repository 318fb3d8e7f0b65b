//! The concerts service process: configuration, store, routes, serve.

use std::sync::Arc;

use bootstrap::ServiceConfig;
use concerts::routes;
use concerts::store::SqliteConcertStore;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bootstrap::load_env();
    bootstrap::init_tracing();
    let config = ServiceConfig::from_env("CONCERTS_HTTP_PORT", 3003, "concerts.sqlite3")?;
    let store = SqliteConcertStore::open(&config.database).await?;
    let app = routes::router(Arc::new(store))?;
    bootstrap::serve("concerts", config.address, app).await?;
    Ok(())
}
