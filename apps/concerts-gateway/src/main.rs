//! The gateway process: configuration, clients of the services, routes, serve.

use concerts_gateway::clients::Services;
use concerts_gateway::config::Config;
use concerts_gateway::routes;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bootstrap::load_env();
    let _logs = bootstrap::init_tracing();
    bootstrap::init_metrics();
    let config = Config::from_env()?;
    let services = Services::new(&config)?;
    let app = routes::router(services, &config)?;
    bootstrap::serve("concerts-gateway", config.address, app, &config.limits).await?;
    Ok(())
}
