//! Logs and metrics, set up once per process, and the metrics of serving and
//! of the gateway's calls, named here (the stores name theirs, `storage`).
//!
//! Logs: `tracing` to stdout, filtered by `RUST_LOG`, text or JSON lines.
//! Metrics: a Prometheus recorder behind the `metrics` facade, rendered for
//! `GET /metrics`, with process figures (CPU, memory, file descriptors)
//! collected at each scrape.

use std::io::BufWriter;
use std::sync::OnceLock;
use std::time::Duration;

use crate::settings::{LogFormat, Logging};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

pub use tracing_appender::non_blocking::WorkerGuard as LogGuard;

/// Latency buckets, in seconds: from half a millisecond to the longest deadline.
const LATENCY_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Logs to stdout as `logging` says.
///
/// Lines are written by a thread of their own, in batches: a request never
/// waits for stdout, and a busy process makes one write per batch instead of
/// one per line. Keep the returned guard until the process ends: dropping it
/// writes out what is still queued. If the queue is full (stdout blocked),
/// lines are dropped rather than requests stalled.
#[must_use = "logs queued when the guard is dropped may be lost"]
pub fn init_tracing(logging: &Logging) -> WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking(BufWriter::new(std::io::stdout()));
    let filter = EnvFilter::try_new(&logging.rust_log).unwrap_or_else(|error| {
        eprintln!("warning: RUST_LOG={:?} is not a log filter ({error}); logging at info", logging.rust_log);
        EnvFilter::new("info")
    });
    // Colours only for a person at a terminal, never in files or pipes.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    // try_init: a second call (tests) keeps the first subscriber instead of panicking.
    let _ = match logging.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    guard
}

/// How often the histograms' samples are folded into their buckets.
const UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

struct Metrics {
    handle: Option<PrometheusHandle>,
    process: metrics_process::Collector,
}

/// The process's metrics; installed on first use (several routers may be
/// built in one test process, but only one recorder can be global).
fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), LATENCY_BUCKETS)
            .and_then(|builder| builder.install_recorder())
            .map_err(|error| tracing::warn!(%error, "metrics are disabled"))
            .ok();
        if let Some(handle) = &handle {
            // The recorder keeps every histogram sample until upkeep folds it
            // in: without this, memory grew by about 15 MiB a minute under
            // load when nothing scraped /metrics (the soak run, BENCHMARKS.md).
            let handle = handle.clone();
            let upkeep = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_INTERVAL);
                    handle.run_upkeep();
                }
            });
            if let Err(error) = upkeep {
                tracing::warn!(%error, "no metrics upkeep thread: histograms grow until scraped");
            }
        }
        let process = metrics_process::Collector::default();
        process.describe();
        Metrics { handle, process }
    })
}

/// Installs the recorder now, so that metrics recorded before the first scrape are kept.
pub fn init_metrics() {
    let _ = metrics();
}

/// Every metric of this process in the Prometheus text format.
pub fn render_metrics() -> String {
    let metrics = metrics();
    metrics.process.collect();
    metrics.handle.as_ref().map(PrometheusHandle::render).unwrap_or_default()
}

/// One HTTP request handled by this process:
/// `http_requests_total` and `http_request_duration_seconds{method, route, status}`.
pub fn record_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = [("method", method.to_owned()), ("route", route.to_owned()), ("status", status.to_string())];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
}

/// One call from the gateway to a service: `downstream_request_duration_seconds{service, outcome}`.
pub fn record_downstream_call(service: &'static str, outcome: &'static str, elapsed: Duration) {
    metrics::histogram!("downstream_request_duration_seconds", "service" => service, "outcome" => outcome)
        .record(elapsed.as_secs_f64());
}

/// One read of the gateway's answer cache:
/// `answer_cache_requests_total{outcome}` (`hit`, `miss`, or `not_kept`: an
/// answer made but not kept, streamed or too large), and
/// `answer_cache_hit_ratio`, the hits among the hits and misses so far.
pub fn record_answer_cache(outcome: &'static str) {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    static HITS: AtomicU64 = AtomicU64::new(0);
    static MISSES: AtomicU64 = AtomicU64::new(0);
    metrics::counter!("answer_cache_requests_total", "outcome" => outcome).increment(1);
    let (hits, misses) = match outcome {
        "hit" => (HITS.fetch_add(1, Relaxed) + 1, MISSES.load(Relaxed)),
        "miss" => (HITS.load(Relaxed), MISSES.fetch_add(1, Relaxed) + 1),
        _ => return,
    };
    metrics::gauge!("answer_cache_hit_ratio").set(hits as f64 / (hits + misses) as f64);
}

/// What the gateway's answer cache holds: `answer_cache_bytes` and `answer_cache_entries`.
pub fn record_answer_cache_size(bytes: u64, entries: usize) {
    metrics::gauge!("answer_cache_bytes").set(bytes as f64);
    metrics::gauge!("answer_cache_entries").set(entries as f64);
}

/// How far the gateway has applied a service's change log:
/// `change_log_followed_position{service}` (its lag: the service's last
/// position, `GET /changes`, minus this).
pub fn record_change_log_followed(service: &'static str, position: i64) {
    metrics::gauge!("change_log_followed_position", "service" => service).set(position as f64);
}

/// The last position of a service's log stored in NATS JetStream: `change_log_relayed_position{entity}`.
pub fn record_change_log_relayed(entity: &'static str, position: i64) {
    metrics::gauge!("change_log_relayed_position", "entity" => entity).set(position as f64);
}

/// Whether calls to a service are refused for now: `downstream_circuit_open{service}` (1 or 0).
pub fn record_circuit(service: &'static str, open: bool) {
    metrics::gauge!("downstream_circuit_open", "service" => service).set(if open { 1.0 } else { 0.0 });
}
