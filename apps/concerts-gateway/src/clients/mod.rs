//! HTTP clients of the three services. One pooled keep-alive `reqwest` client
//! is shared by all; each service has its own circuit breaker. How a single
//! call is made resilient, and how its failures become the gateway's answer
//! (unreachable 503, too slow 504, nonsense 502), is in [`call`]; bands and
//! venues already fetched are kept for a while ([`cache`]).

mod cache;
mod call;
mod changes;
mod concerts;
mod records;
mod versions;
mod writes;

pub use cache::CachePolicy;
pub use call::CallPolicy;
pub use concerts::{ConcertsClient, RowStream};
pub use records::{BandsClient, RecordsClient, VenuesClient};
pub use versions::{Owner, Versions};
pub use writes::{Forwarded, ServiceAnswer};

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;

use cache::RecordCache;
use call::ServiceClient;
use versions::KnownVersions;

/// How long a readiness probe waits for each service.
const READINESS_TIMEOUT: Duration = Duration::from_secs(1);

/// Where the services are, and how to call them.
#[derive(Debug, Clone)]
pub struct ServicesConfig {
    pub bands_url: String,
    pub venues_url: String,
    pub concerts_url: String,
    pub calls: CallPolicy,
    pub cache: CachePolicy,
    /// How long the services' data versions are taken as known before they are asked again.
    pub versions_time_to_live: Duration,
    /// How long an idle connection to a service is kept for the next call.
    pub pool_idle_timeout: Duration,
}

/// The services as the followers of their logs call them.
struct LogClients {
    bands: ServiceClient,
    venues: ServiceClient,
    concerts: ServiceClient,
}

/// The services the gateway fans out to.
#[derive(Clone)]
pub struct Services {
    pub bands: BandsClient,
    pub venues: VenuesClient,
    pub concerts: ConcertsClient,
    /// The services for the gateway's followers of their logs (breakers of their own).
    logs: Arc<LogClients>,
    versions: Arc<KnownVersions>,
}

impl Services {
    pub fn new(config: &ServicesConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.calls.connect_timeout)
            .pool_idle_timeout(config.pool_idle_timeout)
            .tcp_nodelay(true)
            // The services never redirect; the policy's layer would copy every request's URL.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let client = |name, base_url: &str| ServiceClient::new(name, base_url, http.clone(), config.calls);
        Ok(Self {
            bands: BandsClient::new(
                client("bands", &config.bands_url),
                RecordCache::new(config.cache),
                "/bands",
                |band| band.id,
            ),
            venues: VenuesClient::new(
                client("venues", &config.venues_url),
                RecordCache::new(config.cache),
                "/venues",
                |venue| venue.id,
            ),
            concerts: ConcertsClient { service: client("concerts", &config.concerts_url) },
            // Their calls are measured apart too (service="concerts-log", ...): they wait, by design.
            logs: Arc::new(LogClients {
                bands: client("bands-log", &config.bands_url),
                venues: client("venues-log", &config.venues_url),
                concerts: client("concerts-log", &config.concerts_url),
            }),
            versions: Arc::new(KnownVersions::new(config.versions_time_to_live)),
        })
    }

    /// The services' data versions, when known recently enough (see
    /// [`versions`]). When the bands' or the venues' version changes, the
    /// names kept of them are dropped: a renamed band shows within the
    /// versions' time to live, not after the cache's.
    pub async fn versions(&self) -> Option<Arc<Versions>> {
        // The services are cloned only when the versions must be asked again.
        let ask = || {
            let services = self.clone();
            async move {
                let clients = [&services.bands.service, &services.venues.service, &services.concerts.service];
                services.versions.learn(clients, |before, now| services.drop_stale_names(before, now)).await;
            }
        };
        self.versions.current(ask).await
    }

    /// After a write that `owner`'s service answered: its data version as
    /// the answer gave it (or, when it did not, asked again), so that what
    /// this gateway answers next reads the write.
    pub async fn written(&self, owner: Owner, version: Option<String>) {
        let changed = |before: &Versions, now: &Versions| self.drop_stale_names(before, now);
        match version {
            Some(version) => self.versions.keep(owner, version, changed),
            None => self.versions.relearn(self.of(owner), owner, changed).await,
        }
    }

    /// The client of `owner`'s service.
    pub(crate) fn of(&self, owner: Owner) -> &ServiceClient {
        match owner {
            Owner::Bands => &self.bands.service,
            Owner::Venues => &self.venues.service,
            Owner::Concerts => &self.concerts.service,
        }
    }

    /// The client of `owner`'s service for the followers of its log.
    pub(crate) fn log_of(&self, owner: Owner) -> &ServiceClient {
        match owner {
            Owner::Bands => &self.logs.bands,
            Owner::Venues => &self.logs.venues,
            Owner::Concerts => &self.logs.concerts,
        }
    }

    /// The names kept of bands or venues whose data changed are dropped.
    fn drop_stale_names(&self, before: &Versions, now: &Versions) {
        if before.bands != now.bands {
            self.bands.cache.clear();
        }
        if before.venues != now.venues {
            self.venues.cache.clear();
        }
    }

    /// Each service's readiness, asked concurrently: `(name, Ok)` or `(name, Err(why))`.
    pub async fn readiness(&self) -> Vec<(&'static str, Result<(), String>)> {
        join_all([self.bands.service.ready(), self.venues.service.ready(), self.concerts.service.ready()]).await
    }
}

impl ServiceClient {
    /// The service's own `/ready`, asked directly: no retry, no breaker, so
    /// the probe says how the service is now.
    async fn ready(&self) -> (&'static str, Result<(), String>) {
        let answer = self.http.get(format!("{}/ready", self.base_url)).timeout(READINESS_TIMEOUT).send().await;
        let verdict = match answer {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => Err(format!("answered {}", response.status())),
            Err(error) if error.is_timeout() => Err("did not answer in time".to_owned()),
            Err(_) => Err("is unreachable".to_owned()),
        };
        (self.name, verdict)
    }
}
