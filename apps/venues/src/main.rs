//! The venues service process: configuration, store, routes, serve.

use std::sync::Arc;

use bootstrap::ServiceConfig;
use venues::routes;
use venues::store::SqliteVenueStore;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bootstrap::load_env();
    bootstrap::init_tracing();
    let config = ServiceConfig::from_env("VENUES_HTTP_PORT", 3002, "venues.sqlite3")?;
    let store = SqliteVenueStore::open(&config.database).await?;
    let app = routes::router(Arc::new(store))?;
    bootstrap::serve("venues", config.address, app).await?;
    Ok(())
}
