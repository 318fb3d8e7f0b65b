//! A router served in this process on a free loopback port: a service under
//! test, or a stand-in for one, reached over real HTTP.

use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A router being served; it stops when this is dropped.
pub struct Served {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    task: JoinHandle<()>,
}

impl Served {
    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().and_then(|port| port.parse().ok()).expect("the url ends with a port")
    }
}

/// Serves `router` on 127.0.0.1, on a port the system picks.
pub async fn serve(router: Router) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("a bound address"));
    let task = tokio::spawn(async move {
        // With each client's address, as the binaries have it (rate limits).
        let _ = axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await;
    });
    Served { url, task }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}
