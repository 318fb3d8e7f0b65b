//! The settings of the public gateway.

use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

use clap::{Args, Parser};
use ipnet::IpNet;

use super::groups::{Edits, Events, GatewayPort, Imports, Limits, Listen, Logging, ServiceUrls};

/// `concerts-gateway`: the public API.
#[derive(Debug, Clone, Parser)]
pub struct Gateway {
    #[command(flatten)]
    pub port: GatewayPort,
    #[command(flatten)]
    pub listen: Listen,
    #[command(flatten)]
    pub limits: Limits,
    #[command(flatten)]
    pub logging: Logging,
    #[command(flatten)]
    pub services: ServiceUrls,
    #[command(flatten)]
    pub events: Events,
    #[command(flatten)]
    pub calls: DownstreamCalls,
    #[command(flatten)]
    pub caching: Caching,
    #[command(flatten)]
    pub browsers: Browsers,
    #[command(flatten)]
    pub edits: Edits,
    #[command(flatten)]
    pub imports: Imports,
    #[command(flatten)]
    pub rate_limits: RateLimits,
    /// The longest a public request may take at the gateway, all its calls included, in ms (beyond it: 504)
    #[arg(long, env = "REQUEST_DEADLINE_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_deadline_ms: u64,
    /// Concerts per internal page of an answer without limit; the gateway holds one page at a time
    #[arg(long, env = "STREAM_PAGE_SIZE", default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub stream_page_size: u32,
    /// The most events of a calendar feed (GET /concerts.ics): the first of the search's concerts in its order, with a Link to the next when limit is given
    #[arg(long, env = "ICS_MAX_EVENTS", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub ics_max_events: u32,
}

impl Gateway {
    pub fn request_deadline(&self) -> Duration {
        Duration::from_millis(self.request_deadline_ms)
    }
}

/// How the gateway calls the services.
#[derive(Debug, Clone, Args)]
pub struct DownstreamCalls {
    /// The longest one call to a service may take, connection included, in ms (beyond it: 504)
    #[arg(long, env = "DOWNSTREAM_TIMEOUT_MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..))]
    pub downstream_timeout_ms: u64,
    /// The longest opening a connection to a service may take, in ms (beyond it: 503, unreachable)
    #[arg(long, env = "DOWNSTREAM_CONNECT_TIMEOUT_MS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
    pub downstream_connect_timeout_ms: u64,
    /// Extra attempts of a read whose service did not answer the connection or answered 503 (never after a timeout, nor when its process is gone: connection refused or dropped)
    #[arg(long, env = "DOWNSTREAM_RETRIES", default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub downstream_retries: u32,
    /// The first pause before a retry, in ms; it doubles each time, with 0.5 to 1.5 jitter
    #[arg(long, env = "DOWNSTREAM_RETRY_BACKOFF_MS", default_value_t = 50)]
    pub downstream_retry_backoff_ms: u64,
    /// Consecutive failed calls (timeouts, 503s, connections not answered; not those that found the process gone) after which a service's circuit opens (calls refused at once with 503)
    #[arg(long, env = "BREAKER_FAILURES", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub breaker_failures: u32,
    /// How long a circuit stays open before one call tests the service again, in ms
    #[arg(long, env = "BREAKER_COOLDOWN_MS", default_value_t = 2000)]
    pub breaker_cooldown_ms: u64,
}

/// What the gateway keeps of the services' data, and for how long it trusts it.
#[derive(Debug, Clone, Args)]
pub struct Caching {
    /// Bands and venues (each) the gateway keeps after fetching them, seldom-read ones dropped first; 0 keeps none
    #[arg(long, env = "NAME_CACHE_CAPACITY", default_value_t = 200000)]
    pub name_cache_capacity: u64,
    /// How long the gateway keeps a band or venue, in ms: a renamed one shows its new name after at most this time
    #[arg(long, env = "NAME_CACHE_TTL_MS", default_value_t = 60000)]
    pub name_cache_ttl_ms: u64,
    /// How long the gateway takes the services' data versions as known, in ms: an import shows in answers' tags within this time
    #[arg(long, env = "DATA_VERSION_TTL_MS", default_value_t = 1000)]
    pub data_version_ttl_ms: u64,
    /// Bytes of answers the gateway keeps, by their ETag and coding, to serve again without asking the services (an answer of up to a sixteenth of it); 0 keeps none
    #[arg(long, env = "ANSWER_CACHE_BYTES", default_value_t = 268435456)]
    pub answer_cache_bytes: u64,
}

/// What browsers and web pages get from the gateway.
#[derive(Debug, Clone, Args)]
pub struct Browsers {
    /// Origins whose pages may call the API (CORS): * for any, or a comma list such as https://a.example,https://b.example
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", default_value = "*")]
    pub cors_allowed_origins: String,
    /// How long clients and caches may keep an answer, in seconds (Cache-Control: max-age)
    #[arg(long, env = "CACHE_MAX_AGE_S", default_value_t = 60, value_parser = clap::value_parser!(u32).range(0..=86400))]
    pub cache_max_age_s: u32,
    /// Map tiles of the search page, as {z}/{x}/{y} URL; empty shows the map without tiles
    #[arg(long, env = "MAP_TILE_URL", default_value = "https://tile.openstreetmap.org/{z}/{x}/{y}.png")]
    pub map_tile_url: String,
    /// The attribution the tiles' provider asks for, shown on the map
    #[arg(long, env = "MAP_TILE_ATTRIBUTION", default_value = "© OpenStreetMap contributors")]
    pub map_tile_attribution: String,
}

/// How much one client may ask of the gateway: a token bucket per client and
/// route class. The defaults let a person using the page never meet a limit
/// and hold a scraper to a fair share.
#[derive(Debug, Clone, Args)]
pub struct RateLimits {
    /// on: each client (its API key or token when it sends one the gateway knows, else its IP address; an IPv6 /64 counts as one) gets a token bucket per route class, and 429 with Retry-After beyond it; off: no limit (benchmarks: a load generator is one client)
    #[arg(long, env = "RATE_LIMITS", value_enum, default_value_t = Switch::On)]
    pub rate_limits: Switch,
    /// Searches a client may make (GET /concerts, /concerts.ics, /concerts/counts, /changes, a record by id), as RATE,BURST: requests per second, and how many may come at once
    #[arg(long, env = "RATE_LIMIT_SEARCHES", default_value = "50,100")]
    pub rate_limit_searches: Quota,
    /// Name suggestions a client may ask for (GET /bands, /venues, /places), as RATE,BURST
    #[arg(long, env = "RATE_LIMIT_NAMES", default_value = "20,40")]
    pub rate_limit_names: Quota,
    /// Writes a client may make (POST, PATCH, DELETE of a band, venue or concert), as RATE,BURST
    #[arg(long, env = "RATE_LIMIT_WRITES", default_value = "10,50")]
    pub rate_limit_writes: Quota,
    /// Addresses or networks (CIDR) of the reverse proxies in front of the gateway, comma separated: a request that comes through one is counted for the address X-Forwarded-For gives (the last one that is not itself such a proxy); unset: the connection's address
    #[arg(long, env = "TRUSTED_PROXIES")]
    pub trusted_proxies: Option<Networks>,
    /// Partners' API keys, as name=key or name=sha256:<hex>, comma separated: a client that sends one (X-Api-Key, or Authorization: Bearer) has buckets of its own, whatever its address; reads need no key
    #[arg(long, env = "API_KEYS", hide_env_values = true)]
    pub api_keys: Option<String>,
}

/// A setting that is on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    On,
    Off,
}

/// A token bucket's size: requests per second, and how many may come at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl FromStr for Quota {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (rate, burst) =
            text.split_once(',').ok_or_else(|| format!("{text:?} is not RATE,BURST (for example 50,100)"))?;
        let positive = |what: &str, value: &str| {
            value.trim().parse::<NonZeroU32>().map_err(|_| format!("{what} {value:?} is not a whole number above 0"))
        };
        Ok(Self { per_second: positive("the rate", rate)?, burst: positive("the burst", burst)? })
    }
}

impl std::fmt::Display for Quota {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{}", self.per_second, self.burst)
    }
}

/// Networks (`10.0.0.0/8`) and addresses (networks of one), comma separated; empty: none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Networks(pub Vec<IpNet>);

impl Networks {
    pub fn contains(&self, address: &std::net::IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(address))
    }
}

impl FromStr for Networks {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let network = |text: &str| {
            text.parse::<IpNet>()
                .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{text:?} is neither an IP address nor a network such as 10.0.0.0/8"))
        };
        text.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(network)
            .collect::<Result<_, _>>()
            .map(Self)
    }
}
