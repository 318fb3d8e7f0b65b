//! Serving an app: the middleware every process shares, the listen line tests
//! and operators read, and graceful shutdown on Ctrl-C or SIGTERM.

use std::net::SocketAddr;

use axum::Router;
use exceptions::{HttpError, method_not_allowed, route_not_found};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

/// JSON 404/405 fallbacks, one log line per request (method, path, status,
/// latency), and a panic in a handler
/// turned into a JSON 500 instead of a dropped connection.
pub fn with_common_layers(router: Router) -> Router {
    router
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(CatchPanicLayer::custom(|_panic| {
            axum::response::IntoResponse::into_response(HttpError::Internal("handler panicked".to_owned()))
        }))
}

/// Binds `address`, logs `listening on http://ADDR` (the line end-to-end tests
/// wait for), and serves until Ctrl-C or SIGTERM, then lets in-flight requests finish.
pub async fn serve(service: &str, address: SocketAddr, router: Router) -> std::io::Result<()> {
    let listener = TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    tracing::info!(service, "listening on http://{bound}");
    axum::serve(listener, router).with_graceful_shutdown(shutdown_signal()).await?;
    tracing::info!(service, "stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received, finishing in-flight requests");
}
