//! The whole system (three services and the gateway) for end-to-end tests.

use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::Value;
use storage::mongo::{MongoConfig, MongoDb};
use tempfile::TempDir;

use crate::process::{Process, binary, repo_root};

pub struct SystemOptions {
    /// The gateway's per-call timeout.
    pub downstream_timeout: Duration,
    /// More settings for the gateway (`("MAX_CONCURRENT_REQUESTS", "4")`, ...).
    pub gateway_env: Vec<(&'static str, String)>,
    /// Run the services on MongoDB at this URI (each in a database of its own,
    /// named after this run) instead of SQLite files.
    pub mongodb_uri: Option<String>,
    /// Relay the changes to the NATS at this URL, and follow them there.
    pub nats_url: Option<String>,
}

impl Default for SystemOptions {
    fn default() -> Self {
        Self { downstream_timeout: Duration::from_secs(2), gateway_env: Vec::new(), mongodb_uri: None, nats_url: None }
    }
}

/// The four processes on free loopback ports, with their data in a temporary folder.
pub struct System {
    pub gateway: Process,
    pub bands: Process,
    pub venues: Process,
    pub concerts: Process,
    pub data_dir: TempDir,
    /// The MongoDB URI and this system's prefix of database names, when on MongoDB.
    mongodb: Option<(String, String)>,
    /// What every service is started with beyond its own port and store
    /// (the NATS, the bands' and venues' URLs the concerts service follows).
    shared_env: Vec<(String, String)>,
    /// The gateway's environment, to start it again as it was.
    gateway_env: Vec<(&'static str, String)>,
    http: reqwest::Client,
}

impl System {
    pub async fn start(options: SystemOptions) -> System {
        let data_dir = tempfile::tempdir().expect("a temporary folder");
        let dir = data_dir.path();
        // Several systems may run at once, in one test process or several.
        static SYSTEMS: AtomicU32 = AtomicU32::new(0);
        let run = format!("t{}_{}", std::process::id(), SYSTEMS.fetch_add(1, Ordering::Relaxed));
        let mongodb = options.mongodb_uri.map(|uri| (uri, run));
        let mut shared_env: Vec<(String, String)> = Vec::new();
        if let Some(url) = &options.nats_url {
            shared_env.push(("NATS_URL".to_owned(), url.clone()));
        }
        let env = |service, shared: &[(String, String)]| {
            let mut env = service_env(service, 0, dir, mongodb.as_ref());
            env.extend_from_slice(shared);
            env
        };
        let (bands_env, venues_env) = (env("bands", &shared_env), env("venues", &shared_env));
        let (bands, venues) =
            tokio::join!(Process::start("bands", dir, &bands_env), Process::start("venues", dir, &venues_env));
        // The concerts service follows the bands' and venues' logs.
        shared_env.push(("BANDS_SERVICE_URL".to_owned(), bands.url.clone()));
        shared_env.push(("VENUES_SERVICE_URL".to_owned(), venues.url.clone()));
        let concerts = Process::start("concerts", dir, &env("concerts", &shared_env)).await;
        let mut gateway_env = vec![
            ("GATEWAY_HTTP_PORT", "0".to_owned()),
            ("BANDS_SERVICE_URL", bands.url.clone()),
            ("VENUES_SERVICE_URL", venues.url.clone()),
            ("CONCERTS_SERVICE_URL", concerts.url.clone()),
            ("DOWNSTREAM_TIMEOUT_MS", options.downstream_timeout.as_millis().to_string()),
            ("WRITE_TOKENS", crate::write_tokens()),
            ("IMPORT_TOKEN", crate::IMPORT_TOKEN.to_owned()),
            // A test is one client asking fast; the tests of the limits turn them on.
            ("RATE_LIMITS", "off".to_owned()),
        ];
        if let Some(url) = &options.nats_url {
            gateway_env.push(("NATS_URL", url.clone()));
        }
        gateway_env.extend(options.gateway_env);
        let gateway = Process::start("concerts-gateway", dir, &gateway_env).await;
        let gateway_env = gateway_env.into_iter().filter(|(name, _)| *name != "GATEWAY_HTTP_PORT").collect();
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("an HTTP client");
        System { gateway, bands, venues, concerts, data_dir, mongodb, shared_env, gateway_env, http }
    }

    /// Drops the MongoDB databases of the services, when they run on MongoDB.
    pub async fn drop_mongodb_databases(&self) {
        let Some((uri, run)) = &self.mongodb else { return };
        for service in ["bands", "venues", "concerts"] {
            let name = format!("{run}_{service}");
            let config = MongoConfig::new(uri, Some(&name), service).expect("a MongoDB URI");
            let db = MongoDb::connect(&config).await.expect("a MongoDB client");
            db.drop().await.unwrap_or_else(|e| panic!("dropping {name}: {e}"));
        }
    }

    /// Stops a service (`"bands"`, `"venues"` or `"concerts"`) or the
    /// gateway (`"concerts-gateway"`) and starts it again on the same port
    /// with the same data and settings, as a supervisor would.
    pub async fn restart(&mut self, service: &str) {
        self.restart_with(service, &[]).await;
    }

    /// Kills `service` and starts it again on its port, with `extra` settings
    /// (an entity service; the gateway restarts as it was).
    pub async fn restart_with(&mut self, service: &str, extra: &[(&str, &str)]) {
        if service == "concerts-gateway" {
            let port = self.gateway.port();
            self.gateway.kill().await;
            let mut env = self.gateway_env.clone();
            env.push(("GATEWAY_HTTP_PORT", port.to_string()));
            self.gateway = Process::start("concerts-gateway", self.data_dir.path(), &env).await;
            return;
        }
        let slot = match service {
            "bands" => &mut self.bands,
            "venues" => &mut self.venues,
            "concerts" => &mut self.concerts,
            other => panic!("no service named {other}"),
        };
        let port = slot.port();
        slot.kill().await;
        let dir = self.data_dir.path();
        let mut env = service_env(service, port, dir, self.mongodb.as_ref());
        env.extend_from_slice(&self.shared_env);
        env.extend(extra.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())));
        *slot = Process::start(service, dir, &env).await;
    }

    /// Starts the system and imports the exercise's data set with the seed tool.
    pub async fn start_seeded(options: SystemOptions) -> System {
        let system = Self::start(options).await;
        let output = system.seed(&repo_root().join("data/wemaintain")).await;
        assert!(output.status.success(), "seeding failed: {}", String::from_utf8_lossy(&output.stderr));
        system.gateway_caught_up().await;
        system
    }

    /// Waits until the gateway has applied the concerts' change log up to its end.
    pub async fn gateway_caught_up(&self) {
        crate::gateway_caught_up(&self.gateway.url, &self.concerts.url).await;
    }

    /// Runs the seed tool against this system's services.
    pub async fn seed(&self, dir: &Path) -> Output {
        self.seed_with(dir, &[]).await
    }

    /// Runs the seed tool with extra options (`--batch-size`, `--in-flight`, ...).
    pub async fn seed_with(&self, dir: &Path, options: &[&str]) -> Output {
        self.seed_command(dir, options).output().await.expect("the seed tool runs")
    }

    /// The seed tool's command for this system's services, to run as the test needs.
    pub fn seed_command(&self, dir: &Path, options: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(binary("seed"));
        command
            .arg("--dir")
            .arg(dir)
            .args(options)
            .current_dir(self.data_dir.path())
            .env("BANDS_SERVICE_URL", &self.bands.url)
            .env("VENUES_SERVICE_URL", &self.venues.url)
            .env("CONCERTS_SERVICE_URL", &self.concerts.url)
            .env("IMPORT_TOKEN", crate::IMPORT_TOKEN)
            .kill_on_drop(true);
        command
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

    /// A write through the gateway with the editor's token ([`crate::WRITE_TOKEN`]):
    /// `method path` with `body` (JSON) and `headers`; the status, the
    /// headers, and the JSON body (`Null` when none).
    pub async fn write(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Value) {
        self.write_to(&self.gateway, method, path, body, headers).await
    }

    /// [`Self::write`] on any of the processes (a write straight at a
    /// service, as another gateway would make it).
    pub async fn write_to(
        &self,
        process: &Process,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut request = self.http.request(method, format!("{}{path}", process.url)).bearer_auth(crate::WRITE_TOKEN);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{path} on {}: {e}", process.name));
        let (status, headers) = (response.status(), response.headers().clone());
        let text = response.text().await.unwrap_or_default();
        (status, headers, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `GET` on the gateway, returning the raw response (for non-JSON pages).
    pub async fn get_raw(&self, path_and_query: &str) -> reqwest::Response {
        self.http.get(format!("{}{path_and_query}", self.gateway.url)).send().await.expect("the gateway answers")
    }
}

/// The environment of one entity service: its port, the shared data folder,
/// and its own MongoDB database when the system runs on MongoDB.
fn service_env(service: &str, port: u16, dir: &Path, mongodb: Option<&(String, String)>) -> Vec<(String, String)> {
    let prefix = service.to_ascii_uppercase();
    let mut env = vec![
        (format!("{prefix}_HTTP_PORT"), port.to_string()),
        ("DATA_DIR".to_owned(), dir.join("data").display().to_string()),
        ("IMPORT_TOKEN".to_owned(), crate::IMPORT_TOKEN.to_owned()),
        ("WRITE_TOKENS".to_owned(), crate::write_tokens()),
    ];
    if let Some((uri, run)) = mongodb {
        env.push((format!("{prefix}_MONGODB_URI"), uri.clone()));
        env.push((format!("{prefix}_MONGODB_DATABASE"), format!("{run}_{service}")));
    }
    env
}
