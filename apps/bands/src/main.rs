//! The bands service process: configuration, store, routes, serve.

use std::sync::Arc;

use bands::routes;
use bands::store::SqliteBandStore;
use bootstrap::{Limits, ServiceConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bootstrap::load_env();
    bootstrap::init_tracing();
    bootstrap::init_metrics();
    let config = ServiceConfig::from_env("BANDS_HTTP_PORT", 3001, "bands.sqlite3")?;
    let limits = Limits::from_env()?;
    let store = SqliteBandStore::open(&config.database).await?;
    let app = routes::router(Arc::new(store), &limits)?;
    bootstrap::serve("bands", config.address, app, &limits).await?;
    Ok(())
}
