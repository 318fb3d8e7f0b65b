//! The gateway's settings, from the environment (see `.env.example`).

use std::net::SocketAddr;
use std::time::Duration;

use bootstrap::{ConfigError, Limits, env_or, listen_address, service_url};

use crate::clients::CachePolicy;

pub struct Config {
    pub address: SocketAddr,
    pub bands_url: String,
    pub venues_url: String,
    pub concerts_url: String,
    /// How the gateway calls the services.
    pub calls: CallPolicy,
    /// How many bands and venues the gateway keeps, and for how long.
    pub cache: CachePolicy,
    /// The most a whole public request may take, all its calls included.
    pub request_deadline: Duration,
    /// Concerts per internal page when a client asks for every match (the
    /// answer is streamed page by page: the gateway holds one page at a time).
    pub stream_page: usize,
    pub limits: Limits,
}

/// Timeouts, retries and the circuit breaker for calls to one service.
#[derive(Debug, Clone, Copy)]
pub struct CallPolicy {
    /// The most one call may take, connection included.
    pub timeout: Duration,
    /// The most opening a connection may take.
    pub connect_timeout: Duration,
    /// Extra attempts for an idempotent call that found the service unreachable.
    pub retries: u32,
    /// The first pause before a retry; it doubles each time, with jitter.
    pub retry_backoff: Duration,
    /// Consecutive failures after which calls to the service are refused at once.
    pub breaker_failures: u32,
    /// How long calls stay refused before one is let through to test the service.
    pub breaker_cooldown: Duration,
}

impl Default for CallPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_millis(2000),
            connect_timeout: Duration::from_millis(500),
            retries: 2,
            retry_backoff: Duration::from_millis(50),
            breaker_failures: 5,
            breaker_cooldown: Duration::from_millis(2000),
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let millis = |name: &str, default: Duration| -> Result<Duration, ConfigError> {
            Ok(Duration::from_millis(env_or(name, default.as_millis() as u64)?))
        };
        let defaults = CallPolicy::default();
        Ok(Self {
            address: listen_address("GATEWAY_HTTP_PORT", 3000)?,
            bands_url: service_url("BANDS_SERVICE_URL", "BANDS_HTTP_PORT", 3001)?,
            venues_url: service_url("VENUES_SERVICE_URL", "VENUES_HTTP_PORT", 3002)?,
            concerts_url: service_url("CONCERTS_SERVICE_URL", "CONCERTS_HTTP_PORT", 3003)?,
            calls: CallPolicy {
                timeout: millis("DOWNSTREAM_TIMEOUT_MS", defaults.timeout)?,
                connect_timeout: millis("DOWNSTREAM_CONNECT_TIMEOUT_MS", defaults.connect_timeout)?,
                retries: env_or("DOWNSTREAM_RETRIES", defaults.retries)?,
                retry_backoff: millis("DOWNSTREAM_RETRY_BACKOFF_MS", defaults.retry_backoff)?,
                breaker_failures: env_or("BREAKER_FAILURES", defaults.breaker_failures)?.max(1),
                breaker_cooldown: millis("BREAKER_COOLDOWN_MS", defaults.breaker_cooldown)?,
            },
            cache: CachePolicy {
                capacity: env_or("NAME_CACHE_CAPACITY", CachePolicy::default().capacity)?,
                time_to_live: millis("NAME_CACHE_TTL_MS", CachePolicy::default().time_to_live)?,
            },
            request_deadline: millis("REQUEST_DEADLINE_MS", Duration::from_millis(5000))?,
            // At most 9,999: a page asks the concerts service for one more (its limit is 10,000).
            stream_page: env_or("STREAM_PAGE_SIZE", 5000_usize)?.clamp(1, 9999),
            limits: Limits::from_env()?,
        })
    }
}
