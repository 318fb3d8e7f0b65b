//! A "service" that accepts connections and never says a word: the worst
//! kind of failure for a caller, since nothing tells it to stop waiting.

use std::path::Path;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::process::Process;

pub struct SilentService {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    holder: JoinHandle<()>,
}

impl SilentService {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("a bound address"));
        let holder = tokio::spawn(async move {
            // Keep every connection open, unanswered.
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        Self { url, holder }
    }

    /// A real gateway whose three services are this silent one, with `env` added.
    pub async fn behind_gateway(&self, dir: &Path, env: &[(&str, String)]) -> Process {
        let mut all = vec![
            ("GATEWAY_HTTP_PORT", "0".to_owned()),
            ("BANDS_SERVICE_URL", self.url.clone()),
            ("VENUES_SERVICE_URL", self.url.clone()),
            ("CONCERTS_SERVICE_URL", self.url.clone()),
        ];
        all.extend(env.iter().map(|(key, value)| (*key, value.clone())));
        Process::start("concerts-gateway", dir, &all).await
    }
}

impl Drop for SilentService {
    fn drop(&mut self) {
        self.holder.abort();
    }
}
