//! The services the seed tool writes to, found the way the gateway finds them.

use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;
use serde_json::Value;

pub struct Services {
    http: reqwest::Client,
    bands: String,
    venues: String,
    concerts: String,
}

impl Services {
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder().timeout(Duration::from_secs(120)).build()?,
            bands: bootstrap::service_url("BANDS_SERVICE_URL", "BANDS_HTTP_PORT", 3001)?,
            venues: bootstrap::service_url("VENUES_SERVICE_URL", "VENUES_HTTP_PORT", 3002)?,
            concerts: bootstrap::service_url("CONCERTS_SERVICE_URL", "CONCERTS_HTTP_PORT", 3003)?,
        })
    }

    fn base(&self, path: &str) -> &str {
        match path {
            "/bands" => &self.bands,
            "/venues" => &self.venues,
            _ => &self.concerts,
        }
    }

    /// Whether at least one service holds no record yet.
    pub async fn any_empty(&self) -> anyhow::Result<bool> {
        for base in [&self.bands, &self.venues, &self.concerts] {
            let ready: Value = self.checked(self.http.get(format!("{base}/ready")), base).await?;
            if ready["empty"].as_bool().unwrap_or(true) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Those of `ids` that the service behind `path` already stores.
    pub async fn existing_ids(&self, path: &str, ids: &[i64]) -> anyhow::Result<Vec<i64>> {
        let base = self.base(path);
        let mut found = Vec::new();
        for batch in ids.chunks(validator::id_batch::MAX_IDS_PER_LOOKUP) {
            let list: Vec<String> = batch.iter().map(i64::to_string).collect();
            let url = format!("{base}{path}?ids={}", list.join(","));
            let records: Vec<Value> = self.checked(self.http.get(url), base).await?;
            found.extend(records.iter().filter_map(|r| r["id"].as_i64()));
        }
        Ok(found)
    }

    /// `PUT`s `records` to the service behind `path`, `batch` at a time.
    pub async fn import<T: Serialize>(
        &self,
        name: &str,
        path: &str,
        records: &[T],
        batch: usize,
    ) -> anyhow::Result<()> {
        let base = self.base(path);
        for (number, chunk) in records.chunks(batch).enumerate() {
            let _: Value = self
                .checked(self.http.put(format!("{base}{path}")).json(chunk), base)
                .await
                .with_context(|| format!("importing {name}, batch {number}"))?;
        }
        println!("seed: {name}: {} records imported into {base}", records.len());
        Ok(())
    }

    async fn checked<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        base: &str,
    ) -> anyhow::Result<T> {
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach {base}; is the system running (make start)?"))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            bail!("{base} answered {status}: {body}");
        }
        response.json().await.with_context(|| format!("{base} answered an unreadable body"))
    }
}
