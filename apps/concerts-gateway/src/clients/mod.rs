//! HTTP clients of the three services. One pooled keep-alive `reqwest` client
//! is shared by all; each service has its own circuit breaker. How a single
//! call is made resilient, and how its failures become the gateway's answer
//! (unreachable 503, too slow 504, nonsense 502), is in [`call`]; bands and
//! venues already fetched are kept for a while ([`cache`]).

mod bands;
mod cache;
mod call;
mod concerts;
mod venues;

pub use bands::BandsClient;
pub use cache::CachePolicy;
pub use call::RequestContext;
pub use concerts::ConcertsClient;
pub use venues::VenuesClient;

use std::sync::Arc;
use std::time::Duration;

use exceptions::HttpError;
use futures::future::{join_all, try_join_all};
use serde::Serialize;
use serde::de::DeserializeOwned;
use validator::id_batch::MAX_IDS_PER_LOOKUP;

use crate::config::{CallPolicy, Config};
use cache::RecordCache;
use call::{Answer, Breaker, Idempotency};

/// How long a readiness probe waits for each service.
const READINESS_TIMEOUT: Duration = Duration::from_secs(1);

/// The services the gateway fans out to.
#[derive(Clone)]
pub struct Services {
    pub bands: BandsClient,
    pub venues: VenuesClient,
    pub concerts: ConcertsClient,
}

impl Services {
    pub fn new(config: &Config) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.calls.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            // The services never redirect; the policy's layer would copy every request's URL.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let client = |name, base_url: &str| ServiceClient {
            name,
            base_url: base_url.to_owned(),
            http: http.clone(),
            policy: config.calls,
            breaker: call::breaker(name, &config.calls),
        };
        Ok(Self {
            bands: BandsClient::new(client("bands", &config.bands_url), RecordCache::new(config.cache)),
            venues: VenuesClient::new(client("venues", &config.venues_url), RecordCache::new(config.cache)),
            concerts: ConcertsClient::new(client("concerts", &config.concerts_url)),
        })
    }

    /// Each service's readiness, asked concurrently: `(name, Ok)` or `(name, Err(why))`.
    pub async fn readiness(&self) -> Vec<(&'static str, Result<(), String>)> {
        join_all([self.bands.0.ready(), self.venues.0.ready(), self.concerts.0.ready()]).await
    }
}

/// JSON over HTTP to one service.
#[derive(Clone)]
pub(crate) struct ServiceClient {
    name: &'static str,
    base_url: String,
    http: reqwest::Client,
    policy: CallPolicy,
    breaker: Breaker,
}

impl ServiceClient {
    /// `GET {base}{path_and_query}`.
    async fn get<T: DeserializeOwned>(&self, context: &RequestContext, path_and_query: &str) -> Result<T, HttpError> {
        let url = format!("{}{path_and_query}", self.base_url);
        let call = || self.http.get(&url);
        let answer = Answer::json();
        call::call(self.name, &self.breaker, &self.policy, context, Idempotency::Idempotent, call, answer).await
    }

    /// `POST {base}{path}` with a JSON body, for a query too large for a URL
    /// (a read, so safe to repeat).
    async fn post_query<B, T>(
        &self,
        context: &RequestContext,
        path: &str,
        body: &B,
        answer: Answer<T>,
    ) -> Result<T, HttpError>
    where
        B: Serialize + ?Sized,
    {
        let url = format!("{}{path}", self.base_url);
        let call = || self.http.post(&url).json(body);
        call::call(self.name, &self.breaker, &self.policy, context, Idempotency::Idempotent, call, answer).await
    }

    /// `GET {base}{path}?ids=..` for any number of ids: batches of at most
    /// [`MAX_IDS_PER_LOOKUP`], sent concurrently, answers concatenated. No ids, no call.
    async fn by_ids<T: DeserializeOwned>(
        &self,
        context: &RequestContext,
        path: &str,
        ids: &[i64],
    ) -> Result<Vec<T>, HttpError> {
        let batches = ids.chunks(MAX_IDS_PER_LOOKUP).map(|batch| {
            let list: Vec<String> = batch.iter().map(i64::to_string).collect();
            let path_and_query = format!("{path}?ids={}", list.join(","));
            async move { self.get::<Vec<T>>(context, &path_and_query).await }
        });
        Ok(try_join_all(batches).await?.into_iter().flatten().collect())
    }

    /// [`Self::by_ids`] for the ids that `cache` does not keep; what comes back is kept.
    async fn by_ids_through<T>(
        &self,
        cache: &RecordCache<T>,
        id: fn(&T) -> i64,
        context: &RequestContext,
        path: &str,
        ids: &[i64],
    ) -> Result<Vec<Arc<T>>, HttpError>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        let (mut found, missing) = cache.split(ids);
        if !missing.is_empty() {
            let fetched = self.by_ids(context, path, &missing).await?;
            found.extend(cache.keep(fetched, id));
        }
        Ok(found)
    }

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
