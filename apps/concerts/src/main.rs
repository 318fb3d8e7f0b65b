//! The concerts service process: configuration, store, routes, serve.

use std::sync::Arc;

use bootstrap::{Limits, ServiceConfig};
use concerts::routes;
use concerts::store::SqliteConcertStore;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bootstrap::load_env();
    bootstrap::init_tracing();
    bootstrap::init_metrics();
    let config = ServiceConfig::from_env("CONCERTS_HTTP_PORT", 3003, "concerts.sqlite3")?;
    let limits = Limits::from_env()?;
    let store = SqliteConcertStore::open(&config.database).await?;
    let app = routes::router(Arc::new(store), &limits)?;
    bootstrap::serve("concerts", config.address, app, &limits).await?;
    Ok(())
}
