//! Settings that several binaries read: each group is declared here once and
//! flattened into the binaries that need it.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

/// The interface a process binds to.
#[derive(Debug, Clone, Args)]
pub struct Listen {
    /// Interface every process listens on (0.0.0.0 in containers)
    #[arg(long, env = "BIND_ADDRESS", default_value = "127.0.0.1")]
    pub bind_address: IpAddr,
}

/// What a process accepts, and how it stops.
#[derive(Debug, Clone, Args)]
pub struct Limits {
    /// Requests a process handles at once; more are shed at once with 503 and Retry-After: 1
    #[arg(long, env = "MAX_CONCURRENT_REQUESTS", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_requests: u32,
    /// The longest query string a process accepts, in bytes (beyond it: 414)
    #[arg(long, env = "MAX_QUERY_LENGTH", default_value_t = 16384, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_query_length: u32,
    /// After SIGTERM or Ctrl-C, how long in-flight requests may take to finish, in ms
    #[arg(long, env = "SHUTDOWN_GRACE_MS", default_value_t = 10000)]
    pub shutdown_grace_ms: u64,
    /// How long a request's line and headers may take to arrive, from its first byte (or from the connection's start), in ms; then the connection is closed
    #[arg(long, env = "HEADER_READ_TIMEOUT_MS", default_value_t = 10000, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_ms: u64,
    /// How long a connection may stay idle between requests, in ms; then it is closed
    #[arg(long, env = "KEEP_ALIVE_TIMEOUT_MS", default_value_t = 60000, value_parser = clap::value_parser!(u64).range(1..))]
    pub keep_alive_timeout_ms: u64,
    /// The most bytes a request's header fields may take (beyond it: 431)
    #[arg(long, env = "MAX_HEADER_BYTES", default_value_t = 16384, value_parser = clap::value_parser!(u32).range(1024..=1048576))]
    pub max_header_bytes: u32,
}

impl Default for Limits {
    fn default() -> Self {
        super::defaults()
    }
}

impl Limits {
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }

    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms)
    }

    pub fn keep_alive_timeout(&self) -> Duration {
        Duration::from_millis(self.keep_alive_timeout_ms)
    }
}

/// The import token, as a service checks it (and the gateway, to refuse it an edit).
#[derive(Debug, Clone, Args)]
pub struct Imports {
    /// Bearer token that every import (PUT /bands, /venues, /concerts and the staged bulk load) must carry; the seed tool sends it; it may not edit (403). Unset: every import is refused. make creates one in .env
    #[arg(long, env = "IMPORT_TOKEN", hide_env_values = true)]
    pub import_token: Option<String>,
}

/// The editing tokens, as the gateway and each service check them.
#[derive(Debug, Clone, Args)]
pub struct Edits {
    /// Tokens that may create, change and delete records (scope catalogue:write), as name=token or name=sha256:<hex>, comma separated; the name is logged with each write. Unset: no edit is let in. make creates one in .env
    #[arg(long, env = "WRITE_TOKENS", hide_env_values = true)]
    pub write_tokens: Option<String>,
}

/// The NATS JetStream that carries the catalogue's changes in a deployment at scale.
#[derive(Debug, Clone, Args)]
pub struct Events {
    /// NATS server with JetStream (nats://host:4222): each service relays its change log to the stream CATALOGUE (subjects catalogue.<entity>.<kind>) and the gateway follows it. Unset: no events; the gateway polls the services' logs
    #[arg(long, env = "NATS_URL")]
    pub nats_url: Option<String>,
}

impl Events {
    /// The server's URL, when one is given (not empty).
    pub fn url(&self) -> Option<&str> {
        self.nats_url.as_deref().map(str::trim).filter(|url| !url.is_empty())
    }
}

/// How long an entity service keeps its change log's entries.
#[derive(Debug, Clone, Args)]
pub struct ChangeRetention {
    /// Days the entries of a service's change log are kept (the newest always is); a follower whose cursor is older gets 410 and reads the catalogue again. Compacted at start and every hour
    #[arg(long, env = "CHANGE_RETENTION_DAYS", default_value_t = 30)]
    pub change_retention_days: u32,
}

impl ChangeRetention {
    pub fn retention(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.change_retention_days) * 24 * 3600)
    }
}

/// The services' import token, as a client that imports (the seed tool) sends it.
#[derive(Debug, Clone, Args)]
pub struct ImportAs {
    /// The services' import token, sent as a bearer token with every import request (make creates one in .env)
    #[arg(long, env = "IMPORT_TOKEN", hide_env_values = true)]
    pub import_token: Option<String>,
}

/// The services' import token, as the supervisor passes it on to them.
#[derive(Debug, Clone, Args)]
pub struct ImportTokenPassedOn {
    /// The import token the supervisor gives the services and the demo import (unset: a random one for this run, forgotten when it stops)
    #[arg(long, env = "IMPORT_TOKEN", hide_env_values = true)]
    pub import_token: Option<String>,
}

/// A token setting, when one is set (not empty).
fn set(token: &Option<String>) -> Option<&str> {
    token.as_deref().map(str::trim).filter(|token| !token.is_empty())
}

impl Imports {
    pub fn token(&self) -> Option<&str> {
        set(&self.import_token)
    }
}

impl ImportAs {
    pub fn token(&self) -> Option<&str> {
        set(&self.import_token)
    }
}

impl ImportTokenPassedOn {
    pub fn token(&self) -> Option<&str> {
        set(&self.import_token)
    }
}

/// How a process logs.
#[derive(Debug, Clone, Args)]
pub struct Logging {
    /// Log filter, in tracing's EnvFilter syntax (for example info,concerts=debug)
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub rust_log: String,
    /// text for readable lines, json for one JSON object per line
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Where an entity service keeps its SQLite file.
#[derive(Debug, Clone, Args)]
pub struct DataDir {
    /// Folder of the SQLite files (bands.sqlite3, venues.sqlite3, concerts.sqlite3), created if missing
    #[arg(long, env = "DATA_DIR", default_value = "var/data")]
    pub data_dir: PathBuf,
}

/// The port of one service, as the service itself reads it.
pub trait ServicePort {
    /// The service's name (`bands`, `venues`, `concerts`).
    const SERVICE: &'static str;
    fn port(&self) -> u16;
}

/// The ports of the system, each declared once: variable, flag, default.
/// Each binary sees a port from its own side (the service listens on it, a
/// client calls it, the supervisor starts and probes the process there), so
/// each side has its own line of help.
macro_rules! port {
    ($env:literal, $flag:literal, $default:literal, $(#[$help:meta] $role:ident),+ $(,)?) => {
        $(
            #[derive(Debug, Clone, Args)]
            pub struct $role {
                #[$help]
                #[arg(id = $env, long = $flag, env = $env, default_value_t = $default)]
                pub port: u16,
            }
        )+
    };
}

port!(
    "GATEWAY_HTTP_PORT", "gateway-http-port", 3000,
    /// Port the gateway listens on (0 picks a free one; it logs "listening on http://ADDR")
    GatewayPort,
    /// Port the supervisor starts the gateway on, and probes it at (0 is refused: it must be known)
    GatewayStartedOn,
);
port!(
    "BANDS_HTTP_PORT", "bands-http-port", 3001,
    /// Port the bands service listens on (0 picks a free one; it logs "listening on http://ADDR")
    BandsPort,
    /// Port of the bands service on this machine, called when BANDS_SERVICE_URL is unset
    BandsCalledAt,
    /// Port the supervisor starts the bands service on, and probes it at (0 is refused: it must be known)
    BandsStartedOn,
);
port!(
    "VENUES_HTTP_PORT", "venues-http-port", 3002,
    /// Port the venues service listens on (0 picks a free one; it logs "listening on http://ADDR")
    VenuesPort,
    /// Port of the venues service on this machine, called when VENUES_SERVICE_URL is unset
    VenuesCalledAt,
    /// Port the supervisor starts the venues service on, and probes it at (0 is refused: it must be known)
    VenuesStartedOn,
);
port!(
    "CONCERTS_HTTP_PORT", "concerts-http-port", 3003,
    /// Port the concerts service listens on (0 picks a free one; it logs "listening on http://ADDR")
    ConcertsPort,
    /// Port of the concerts service on this machine, called when CONCERTS_SERVICE_URL is unset
    ConcertsCalledAt,
    /// Port the supervisor starts the concerts service on, and probes it at (0 is refused: it must be known)
    ConcertsStartedOn,
);

macro_rules! service_port {
    ($($role:ident = $service:literal),+) => {
        $(
            impl ServicePort for $role {
                const SERVICE: &'static str = $service;
                fn port(&self) -> u16 {
                    self.port
                }
            }
        )+
    };
}

service_port!(BandsPort = "bands", VenuesPort = "venues", ConcertsPort = "concerts");

/// Where the clients of the services (the gateway, the seed tool) reach them.
#[derive(Debug, Clone, Args)]
pub struct ServiceUrls {
    #[command(flatten)]
    pub bands: BandsUrl,
    #[command(flatten)]
    pub venues: VenuesUrl,
    #[command(flatten)]
    pub concerts: ConcertsUrl,
}

impl ServiceUrls {
    pub fn bands(&self) -> String {
        self.bands.url()
    }

    pub fn venues(&self) -> String {
        self.venues.url()
    }

    pub fn concerts(&self) -> String {
        self.concerts.url()
    }
}

/// Where the services whose records concerts name are reached (the
/// concerts service follows their change logs).
#[derive(Debug, Clone, Args)]
pub struct ReferencedServices {
    #[command(flatten)]
    pub bands: BandsUrl,
    #[command(flatten)]
    pub venues: VenuesUrl,
}

/// Where the bands service is reached.
#[derive(Debug, Clone, Args)]
pub struct BandsUrl {
    #[command(flatten)]
    pub port: BandsCalledAt,
    /// Base URL of the bands service (default: http://127.0.0.1:BANDS_HTTP_PORT)
    #[arg(long, env = "BANDS_SERVICE_URL")]
    pub bands_service_url: Option<String>,
}

impl BandsUrl {
    pub fn url(&self) -> String {
        url(self.bands_service_url.as_deref(), self.port.port)
    }
}

/// Where the venues service is reached.
#[derive(Debug, Clone, Args)]
pub struct VenuesUrl {
    #[command(flatten)]
    pub port: VenuesCalledAt,
    /// Base URL of the venues service (default: http://127.0.0.1:VENUES_HTTP_PORT)
    #[arg(long, env = "VENUES_SERVICE_URL")]
    pub venues_service_url: Option<String>,
}

impl VenuesUrl {
    pub fn url(&self) -> String {
        url(self.venues_service_url.as_deref(), self.port.port)
    }
}

/// Where the concerts service is reached.
#[derive(Debug, Clone, Args)]
pub struct ConcertsUrl {
    #[command(flatten)]
    pub port: ConcertsCalledAt,
    /// Base URL of the concerts service (default: http://127.0.0.1:CONCERTS_HTTP_PORT)
    #[arg(long, env = "CONCERTS_SERVICE_URL")]
    pub concerts_service_url: Option<String>,
}

impl ConcertsUrl {
    pub fn url(&self) -> String {
        url(self.concerts_service_url.as_deref(), self.port.port)
    }
}

/// The URL given (without a trailing `/`), or the service on this machine at `port`.
fn url(given: Option<&str>, port: u16) -> String {
    match given.map(str::trim).filter(|url| !url.is_empty()) {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://127.0.0.1:{port}"),
    }
}

/// A service's MongoDB, when it runs on one instead of its SQLite file.
pub trait MongoDb {
    /// The connection string, when one is given (not empty).
    fn uri(&self) -> Option<&str>;
    /// The database the service owns, when one is named.
    fn database(&self) -> Option<&str>;
}

macro_rules! service_mongodb {
    ($name:ident, $service:literal, $uri_flag:literal, $uri_env:literal, $db_flag:literal, $db_env:literal) => {
        #[derive(Debug, Clone, Args)]
        pub struct $name {
            #[arg(
                id = $uri_env,
                long = $uri_flag,
                env = $uri_env,
                help = concat!("A MongoDB connection string puts the ", $service, " service on MongoDB; unset keeps its SQLite file")
            )]
            pub uri: Option<String>,
            #[arg(
                id = $db_env,
                long = $db_flag,
                env = $db_env,
                help = concat!("The database the ", $service, " service owns (default: the URI's path, else ", $service, ")")
            )]
            pub database: Option<String>,
        }

        impl MongoDb for $name {
            fn uri(&self) -> Option<&str> {
                self.uri.as_deref().map(str::trim).filter(|uri| !uri.is_empty())
            }

            fn database(&self) -> Option<&str> {
                self.database.as_deref().map(str::trim).filter(|name| !name.is_empty())
            }
        }
    };
}

service_mongodb!(
    BandsMongoDb,
    "bands",
    "bands-mongodb-uri",
    "BANDS_MONGODB_URI",
    "bands-mongodb-database",
    "BANDS_MONGODB_DATABASE"
);
service_mongodb!(
    VenuesMongoDb,
    "venues",
    "venues-mongodb-uri",
    "VENUES_MONGODB_URI",
    "venues-mongodb-database",
    "VENUES_MONGODB_DATABASE"
);
service_mongodb!(
    ConcertsMongoDb,
    "concerts",
    "concerts-mongodb-uri",
    "CONCERTS_MONGODB_URI",
    "concerts-mongodb-database",
    "CONCERTS_MONGODB_DATABASE"
);
