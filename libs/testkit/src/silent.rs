//! A "service" that accepts connections and never says a word: the worst
//! kind of failure for a caller, since nothing tells it to stop waiting.

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

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
}

impl Drop for SilentService {
    fn drop(&mut self) {
        self.holder.abort();
    }
}
