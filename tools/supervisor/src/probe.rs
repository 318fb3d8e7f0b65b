//! Whether a process is up: its `/health` (alive) and `/ready` (able to
//! serve) probes, asked over HTTP rather than guessed from an open port.

use std::time::Duration;

/// How long one probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// The pause between two probes of a process that is not up yet.
const PROBE_INTERVAL: Duration = Duration::from_millis(100);

/// The probes of one process.
#[derive(Clone)]
pub struct Probes {
    client: reqwest::Client,
    url: String,
}

impl Probes {
    pub fn new(url: &str) -> Self {
        // Each probe on a new connection: a restarted process is a new server.
        let client = reqwest::Client::builder().timeout(PROBE_TIMEOUT).pool_max_idle_per_host(0).build();
        Probes { client: client.unwrap_or_default(), url: url.to_owned() }
    }

    /// Waits until `/health` answers 200.
    pub async fn until_alive(&self) {
        self.until("/health").await;
    }

    /// Waits until `/ready` answers 200.
    pub async fn until_ready(&self) {
        self.until("/ready").await;
    }

    async fn until(&self, path: &str) {
        let url = format!("{}{path}", self.url);
        loop {
            if self.client.get(&url).send().await.is_ok_and(|response| response.status().is_success()) {
                return;
            }
            tokio::time::sleep(PROBE_INTERVAL).await;
        }
    }
}
