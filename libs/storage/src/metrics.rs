//! The one metric the stores record: `store_query_duration_seconds{backend,
//! operation, outcome}`, through the `metrics` facade (each process installs
//! the recorder, `bootstrap::telemetry`).

use std::time::Duration;

/// One store query, with how long it took and whether it succeeded.
pub fn record_store_query(backend: &'static str, operation: &str, elapsed: Duration, ok: bool) {
    let outcome = if ok { "ok" } else { "error" };
    let labels =
        [("backend", backend.to_owned()), ("operation", operation.to_owned()), ("outcome", outcome.to_owned())];
    metrics::histogram!("store_query_duration_seconds", &labels).record(elapsed.as_secs_f64());
}
