//! The whole system (three services and the gateway) for end-to-end tests.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use crate::process::{Process, binary, repo_root};

pub struct SystemOptions {
    /// The gateway's per-call timeout.
    pub downstream_timeout: Duration,
}

impl Default for SystemOptions {
    fn default() -> Self {
        Self { downstream_timeout: Duration::from_secs(2) }
    }
}

/// The four processes on free loopback ports, with their data in a temporary folder.
pub struct System {
    pub gateway: Process,
    pub bands: Process,
    pub venues: Process,
    pub concerts: Process,
    pub data_dir: TempDir,
    http: reqwest::Client,
}

impl System {
    pub async fn start(options: SystemOptions) -> System {
        let data_dir = tempfile::tempdir().expect("a temporary folder");
        let dir = data_dir.path();
        let data = ("DATA_DIR", dir.join("data").display().to_string());
        let bands_env = [("BANDS_HTTP_PORT", "0".to_owned()), data.clone()];
        let venues_env = [("VENUES_HTTP_PORT", "0".to_owned()), data.clone()];
        let concerts_env = [("CONCERTS_HTTP_PORT", "0".to_owned()), data];
        let (bands, venues, concerts) = tokio::join!(
            Process::start("bands", dir, &bands_env),
            Process::start("venues", dir, &venues_env),
            Process::start("concerts", dir, &concerts_env),
        );
        let gateway = Process::start(
            "concerts-gateway",
            dir,
            &[
                ("GATEWAY_HTTP_PORT", "0".into()),
                ("BANDS_SERVICE_URL", bands.url.clone()),
                ("VENUES_SERVICE_URL", venues.url.clone()),
                ("CONCERTS_SERVICE_URL", concerts.url.clone()),
                ("DOWNSTREAM_TIMEOUT_MS", options.downstream_timeout.as_millis().to_string()),
            ],
        )
        .await;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("an HTTP client");
        System { gateway, bands, venues, concerts, data_dir, http }
    }

    /// Starts the system and imports the exercise's data set with the seed tool.
    pub async fn start_seeded(options: SystemOptions) -> System {
        let system = Self::start(options).await;
        let output = system.seed(&repo_root().join("data/wemaintain")).await;
        assert!(output.status.success(), "seeding failed: {}", String::from_utf8_lossy(&output.stderr));
        system
    }

    /// Runs the seed tool against this system's services.
    pub async fn seed(&self, dir: &Path) -> Output {
        self.seed_with(dir, &[]).await
    }

    /// Runs the seed tool with extra options (`--batch-size`, `--in-flight`, ...).
    pub async fn seed_with(&self, dir: &Path, options: &[&str]) -> Output {
        tokio::process::Command::new(binary("seed"))
            .arg("--dir")
            .arg(dir)
            .args(options)
            .current_dir(self.data_dir.path())
            .env("BANDS_SERVICE_URL", &self.bands.url)
            .env("VENUES_SERVICE_URL", &self.venues.url)
            .env("CONCERTS_SERVICE_URL", &self.concerts.url)
            .output()
            .await
            .expect("the seed tool runs")
    }

    /// `GET` on the gateway; the status and the JSON body.
    pub async fn get(&self, path_and_query: &str) -> (reqwest::StatusCode, Value) {
        self.get_from(&self.gateway, path_and_query).await
    }

    /// `GET` on any of the processes; the status and the JSON body (`Null` if not JSON).
    pub async fn get_from(&self, process: &Process, path_and_query: &str) -> (reqwest::StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}{path_and_query}", process.url))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path_and_query} on {}: {e}", process.name));
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `GET` on the gateway, returning the raw response (for non-JSON pages).
    pub async fn get_raw(&self, path_and_query: &str) -> reqwest::Response {
        self.http.get(format!("{}{path_and_query}", self.gateway.url)).send().await.expect("the gateway answers")
    }
}
