//! The venues service process: configuration, store, routes, serve.

use std::sync::Arc;

use bootstrap::{Limits, ServiceConfig};
use venues::routes;
use venues::store::SqliteVenueStore;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bootstrap::load_env();
    bootstrap::init_tracing();
    bootstrap::init_metrics();
    let config = ServiceConfig::from_env("VENUES_HTTP_PORT", 3002, "venues.sqlite3")?;
    let limits = Limits::from_env()?;
    let store = SqliteVenueStore::open(&config.database).await?;
    let app = routes::router(Arc::new(store), &limits)?;
    bootstrap::serve("venues", config.address, app, &limits).await?;
    Ok(())
}
