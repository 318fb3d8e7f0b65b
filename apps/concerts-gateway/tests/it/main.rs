//! The gateway's tests, in-process: the gateway's router served on a
//! loopback port, in front of stand-in services (or addresses where nothing
//! listens), so that each test decides exactly what the services do. The
//! whole system with real services is tested in `tests/` (system-tests).

mod faults;
mod plan;
mod validation;

use bootstrap::settings::{self, Settings};
use concerts_gateway::config::Config;
use testkit::Served;

/// Nothing listens on port 9 of the loopback: every call there is refused.
pub const NOWHERE: [&str; 3] = ["http://127.0.0.1:9"; 3];

/// The gateway, with the bands, venues and concerts services at `services`
/// and the default settings changed by `configure`.
pub async fn gateway(services: &[&str; 3], configure: impl FnOnce(&mut settings::Gateway)) -> Served {
    // As the gateway's main does: metrics recorded from the first request.
    bootstrap::telemetry::init_metrics();
    let mut settings = settings::Gateway::defaults();
    let [bands, venues, concerts] = services.map(|url| Some(url.to_owned()));
    settings.services.bands.bands_service_url = bands;
    settings.services.venues.venues_service_url = venues;
    settings.services.concerts.concerts_service_url = concerts;
    // A test is one client asking fast; the tests of the limits turn them on.
    settings.rate_limits.rate_limits = settings::Switch::Off;
    configure(&mut settings);
    let router = concerts_gateway::app::router(&Config::from(&settings)).expect("the gateway builds");
    testkit::serve(router).await
}
