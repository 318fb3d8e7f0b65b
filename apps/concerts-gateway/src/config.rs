//! The gateway's settings, from the environment (see `.env.example`).

use std::net::SocketAddr;
use std::time::Duration;

use bootstrap::{ConfigError, env_or, listen_address, service_url};

pub struct Config {
    pub address: SocketAddr,
    pub bands_url: String,
    pub venues_url: String,
    pub concerts_url: String,
    /// The most one call to a service may take, connection included.
    pub call_timeout: Duration,
    /// The most opening a connection to a service may take.
    pub connect_timeout: Duration,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            address: listen_address("GATEWAY_HTTP_PORT", 3000)?,
            bands_url: service_url("BANDS_SERVICE_URL", "BANDS_HTTP_PORT", 3001)?,
            venues_url: service_url("VENUES_SERVICE_URL", "VENUES_HTTP_PORT", 3002)?,
            concerts_url: service_url("CONCERTS_SERVICE_URL", "CONCERTS_HTTP_PORT", 3003)?,
            call_timeout: Duration::from_millis(env_or("DOWNSTREAM_TIMEOUT_MS", 2000)?),
            connect_timeout: Duration::from_millis(env_or("DOWNSTREAM_CONNECT_TIMEOUT_MS", 500)?),
        })
    }
}
