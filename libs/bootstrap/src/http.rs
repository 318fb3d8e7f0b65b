//! Serving a process: the routes every process has (`/health`, `/ready`,
//! `/metrics`), the middleware they all share (the one place where error
//! answers are logged), and graceful shutdown.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::settings::{Limits, Listen};
use crate::telemetry::record_request;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use axum::{BoxError, Json, Router};
use exceptions::{Failure, HttpError, Severity, method_not_allowed, route_not_found};
use serde_json::{Value, json};

use crate::connections::{ConnectionLimits, serve_connection};
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// The header that carries a request's id across every process it touches.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What a process serves: its `api` behind the concurrency limit (so a flood
/// is shed, not queued), and beside it the probes and metrics that operators
/// need most when the API is saturated: `/health` (alive), `/ready` (able to
/// serve, as `ready` decides) and `/metrics`.
pub fn service_router(api: Router, ready: MethodRouter, limits: &Limits) -> Router {
    let api = api.layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(shed))
            .load_shed()
            .layer(GlobalConcurrencyLimitLayer::new(limits.max_concurrent_requests as usize)),
    );
    // What the probes say is true now: no cache may keep it.
    let operations = Router::new()
        .route("/health", get(alive))
        .route("/ready", ready)
        .route("/metrics", get(metrics))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    with_common_layers(api.merge(operations), limits)
}

/// Where a process listens: `BIND_ADDRESS` and its port (0 picks a free one).
pub fn listen_address(listen: &Listen, port: u16) -> SocketAddr {
    SocketAddr::new(listen.bind_address, port)
}

/// `GET /metrics`: the Prometheus text format.
async fn metrics() -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], crate::telemetry::render_metrics())
}

/// `GET /health`: the process answers. Nothing else is checked, so that a
/// slow dependency never gets a healthy process restarted.
pub async fn alive() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn shed(error: BoxError) -> HttpError {
    if error.is::<tower::load_shed::error::Overloaded>() {
        HttpError::Overloaded("too many requests in progress, retry shortly".to_owned())
    } else {
        HttpError::Internal(error.to_string())
    }
}

/// JSON 404/405 fallbacks, the query-length limit, metrics, one log line per
/// request (method, route, status, latency, request id) and one more for an
/// error answer that operators should see, request ids taken from
/// `x-request-id` or made and returned, and a panic in a handler turned into
/// a JSON 500 instead of a dropped connection.
fn with_common_layers(router: Router, limits: &Limits) -> Router {
    router
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CatchPanicLayer::custom(|panic: Box<dyn std::any::Any + Send>| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            HttpError::Internal(format!("handler panicked: {message}")).into_response()
        }))
        .layer(middleware::from_fn_with_state(limits.max_query_length as usize, limit_query_length))
        .layer(middleware::from_fn_with_state(limits.max_header_bytes as usize, limit_header_size))
        .layer(middleware::from_fn(observe))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        route = route_of(request),
                        request_id = request.headers().get(&REQUEST_ID).and_then(|id| id.to_str().ok()).unwrap_or("-"),
                    )
                })
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The route's pattern (`/concerts`), never the raw path, so that logs and
/// metrics labels stay few.
fn route_of(request: &Request) -> &str {
    request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str)
}

async fn limit_query_length(State(max): State<usize>, request: Request, next: Next) -> Response {
    match request.uri().query() {
        Some(query) if query.len() > max => {
            HttpError::UriTooLong(format!("the query string is {} bytes long; the limit is {max}", query.len()))
                .into_response()
        }
        _ => next.run(request).await,
    }
}

/// Header fields of more than `max` bytes, counted as they are sent
/// (`name: value` and the line's end), get a JSON 431.
async fn limit_header_size(State(max): State<usize>, request: Request, next: Next) -> Response {
    let size: usize = request.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    if size > max {
        return HttpError::HeadersTooLarge(format!(
            "the request's header fields take {size} bytes; the limit is {max} (MAX_HEADER_BYTES)"
        ))
        .into_response();
    }
    next.run(request).await
}

/// Records the request's metrics, and logs an error answer's cause
/// ([`Failure`]): a warning for shed requests, an error for other server
/// errors, nothing for the client's mistakes. It runs inside the request's
/// span, so that the line carries the request id. A write that succeeded
/// is announced to the change log's waiters ([`crate::changes::committed`]).
async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let writes = !request.method().is_safe();
    let route = route_of(&request).to_owned();
    let response = next.run(request).await;
    if writes && response.status().is_success() {
        // Whoever waits for the change log reads it now, not at its next look.
        crate::changes::committed();
    }
    let status = response.status().as_u16();
    record_request(&method, &route, status, started.elapsed());
    if let Some(failure) = response.extensions().get::<Failure>() {
        match failure.severity {
            Severity::Warning => tracing::warn!(status, error = %failure.detail, "request refused"),
            Severity::Error => tracing::error!(status, error = %failure.detail, "request failed"),
            Severity::ClientError => {}
        }
    }
    response
}

/// Binds `address`, logs `listening on http://ADDR` (the line end-to-end tests
/// wait for), and serves it ([`serve_on`]) until Ctrl-C or SIGTERM.
pub async fn serve(service: &str, address: SocketAddr, router: Router, limits: &Limits) -> anyhow::Result<()> {
    use anyhow::Context;
    let listener = TcpListener::bind(address).await.with_context(|| format!("cannot listen on {address}"))?;
    let bound = listener.local_addr()?;
    tracing::info!(service, "listening on http://{bound}");
    serve_on(service, listener, router, limits, async {
        shutdown_signal().await;
        tracing::info!(service, "finishing in-flight requests");
    })
    .await;
    tracing::info!(service, "stopped");
    Ok(())
}

/// Serves each connection of `listener` on its own task with the limits of
/// [`crate::connections`], until `shutdown` completes. Then it stops
/// accepting, lets in-flight requests finish for up to
/// `limits.shutdown_grace`, and returns.
pub async fn serve_on(
    service: &str,
    listener: TcpListener,
    router: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) {
    let connection_limits = ConnectionLimits::new(limits);
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let connections = TaskTracker::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(serve_connection(stream, peer, router.clone(), connection_limits, stop.clone()));
                }
                // Out of file descriptors, or a connection reset before it was
                // accepted: the listener itself is fine; pause so as not to spin.
                Err(error) => {
                    tracing::warn!(service, %error, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = stopping.send(true);
    connections.close();
    let grace = limits.shutdown_grace();
    if tokio::time::timeout(grace, connections.wait()).await.is_err() {
        tracing::warn!(service, ?grace, "grace period over, exiting with requests still in flight");
    }
}

/// The pause after a failed accept.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
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
    tracing::info!("shutdown signal received");
}
