//! HTTP clients of the three services. One pooled keep-alive `reqwest` client
//! is shared by all; every call has a timeout, and every failure becomes the
//! gateway's answer here, once: unreachable 503, too slow 504, nonsense 502.

mod bands;
mod concerts;
mod venues;

pub use bands::BandsClient;
pub use concerts::ConcertsClient;
pub use venues::VenuesClient;

use std::time::Duration;

use exceptions::HttpError;
use futures::future::try_join_all;
use serde::Serialize;
use serde::de::DeserializeOwned;
use validator::id_batch::MAX_IDS_PER_LOOKUP;

use crate::config::Config;

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
            .timeout(config.call_timeout)
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .build()?;
        let client = |name, base_url: &str| ServiceClient {
            name,
            base_url: base_url.to_owned(),
            http: http.clone(),
            timeout: config.call_timeout,
        };
        Ok(Self {
            bands: BandsClient::new(client("bands", &config.bands_url)),
            venues: VenuesClient::new(client("venues", &config.venues_url)),
            concerts: ConcertsClient::new(client("concerts", &config.concerts_url)),
        })
    }
}

/// JSON over HTTP to one service.
#[derive(Clone)]
pub(crate) struct ServiceClient {
    name: &'static str,
    base_url: String,
    http: reqwest::Client,
    timeout: Duration,
}

impl ServiceClient {
    /// `GET {base}{path_and_query}`.
    async fn get<T: DeserializeOwned>(&self, path_and_query: &str) -> Result<T, HttpError> {
        self.send(self.http.get(format!("{}{path_and_query}", self.base_url))).await
    }

    /// `POST {base}{path}` with a JSON body.
    async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, HttpError> {
        self.send(self.http.post(format!("{}{path}", self.base_url)).json(body)).await
    }

    /// `GET {base}{path}?ids=..` for any number of ids: batches of at most
    /// [`MAX_IDS_PER_LOOKUP`], sent concurrently, answers concatenated. No ids, no call.
    async fn by_ids<T: DeserializeOwned>(&self, path: &str, ids: &[i64]) -> Result<Vec<T>, HttpError> {
        let batches = ids.chunks(MAX_IDS_PER_LOOKUP).map(|batch| {
            let list: Vec<String> = batch.iter().map(i64::to_string).collect();
            let path_and_query = format!("{path}?ids={}", list.join(","));
            async move { self.get::<Vec<T>>(&path_and_query).await }
        });
        Ok(try_join_all(batches).await?.into_iter().flatten().collect())
    }

    async fn send<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, HttpError> {
        let response = request.send().await.map_err(|e| self.failure(&e))?;
        let status = response.status();
        if !status.is_success() {
            let detail = response.text().await.unwrap_or_default();
            tracing::warn!(service = self.name, %status, %detail, "service answered an error");
            return Err(if status == reqwest::StatusCode::SERVICE_UNAVAILABLE {
                HttpError::ServiceUnavailable(format!("the {} service is unavailable", self.name))
            } else {
                HttpError::BadGateway(format!("the {} service answered {status}", self.name))
            });
        }
        response.json().await.map_err(|e| self.failure(&e))
    }

    fn failure(&self, error: &reqwest::Error) -> HttpError {
        tracing::warn!(service = self.name, %error, "service call failed");
        // A connect timeout is both: the service is unreachable, not slow.
        if error.is_connect() {
            HttpError::ServiceUnavailable(format!("the {} service is unreachable", self.name))
        } else if error.is_timeout() {
            HttpError::GatewayTimeout(format!(
                "the {} service did not answer within {} ms",
                self.name,
                self.timeout.as_millis()
            ))
        } else if error.is_decode() {
            HttpError::BadGateway(format!("the {} service answered an unreadable body", self.name))
        } else {
            HttpError::BadGateway(format!("the call to the {} service failed", self.name))
        }
    }
}
