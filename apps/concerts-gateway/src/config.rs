//! The gateway's settings (declared in `bootstrap::settings`) as its parts use
//! them: the clients' policies, the deadline, the page size of streamed answers.

use std::net::SocketAddr;
use std::time::Duration;

use bootstrap::settings::{self, Edits, Imports, Limits, RateLimits};

use crate::clients::{CachePolicy, CallPolicy, ServicesConfig};

pub struct Config {
    pub address: SocketAddr,
    pub services: ServicesConfig,
    /// The most a whole public request may take, all its calls included.
    pub request_deadline: Duration,
    /// Concerts per internal page when a client asks for every match (the
    /// answer is streamed page by page: the gateway holds one page at a time).
    pub stream_page: usize,
    /// The most events of a calendar feed.
    pub ics_max_events: usize,
    /// The origins whose pages may call the API; `None`: any.
    pub cors_origins: Option<Vec<String>>,
    /// How long clients may keep an answer.
    pub cache_max_age_seconds: u32,
    /// Bytes of answers kept to be served again; 0 keeps none.
    pub answer_cache_bytes: u64,
    /// The search page's map tiles.
    pub map_tiles: MapTiles,
    pub limits: Limits,
    /// The tokens that may write, and the import token (refused: 403).
    pub edits: Edits,
    pub imports: Imports,
    /// The NATS server the services relay their logs to, when there is one.
    pub nats_url: Option<String>,
    /// How much one client may ask.
    pub rate_limits: RateLimits,
}

impl From<&settings::Gateway> for Config {
    fn from(settings: &settings::Gateway) -> Self {
        let millis = Duration::from_millis;
        let calls = &settings.calls;
        Self {
            address: bootstrap::listen_address(&settings.listen, settings.port.port),
            services: ServicesConfig {
                bands_url: settings.services.bands(),
                venues_url: settings.services.venues(),
                concerts_url: settings.services.concerts(),
                calls: CallPolicy {
                    timeout: millis(calls.downstream_timeout_ms),
                    connect_timeout: millis(calls.downstream_connect_timeout_ms),
                    retries: calls.downstream_retries,
                    retry_backoff: millis(calls.downstream_retry_backoff_ms),
                    breaker_failures: calls.breaker_failures,
                    breaker_cooldown: millis(calls.breaker_cooldown_ms),
                },
                cache: CachePolicy {
                    capacity: settings.caching.name_cache_capacity,
                    time_to_live: millis(settings.caching.name_cache_ttl_ms),
                },
                versions_time_to_live: millis(settings.caching.data_version_ttl_ms),
                // Well before the services close an idle connection (the same
                // KEEP_ALIVE_TIMEOUT_MS), so that none is reused as it closes.
                pool_idle_timeout: settings.limits.keep_alive_timeout() / 2,
            },
            request_deadline: settings.request_deadline(),
            stream_page: settings.stream_page_size as usize,
            ics_max_events: settings.ics_max_events as usize,
            cors_origins: origins(&settings.browsers.cors_allowed_origins),
            cache_max_age_seconds: settings.browsers.cache_max_age_s,
            answer_cache_bytes: settings.caching.answer_cache_bytes,
            map_tiles: MapTiles {
                url: settings.browsers.map_tile_url.clone(),
                attribution: settings.browsers.map_tile_attribution.clone(),
            },
            limits: settings.limits.clone(),
            edits: settings.edits.clone(),
            imports: settings.imports.clone(),
            nats_url: settings.events.url().map(str::to_owned),
            rate_limits: settings.rate_limits.clone(),
        }
    }
}

/// The map tiles of the search page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapTiles {
    /// A `{z}/{x}/{y}` URL template; empty: a map without tiles.
    pub url: String,
    /// What the tiles' provider asks to be shown on the map.
    pub attribution: String,
}

/// `*` (any origin), or the origins of a comma list.
fn origins(setting: &str) -> Option<Vec<String>> {
    let listed: Vec<String> = setting.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect();
    (!listed.iter().any(|origin| origin == "*")).then_some(listed)
}
