//! What a process accepts: how many requests at once, how long a query
//! string, how long it lets in-flight requests finish when asked to stop.

use std::time::Duration;

use crate::{ConfigError, env_or};

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Requests handled at once; more are shed with a 503 and `Retry-After`
    /// rather than queued behind a growing latency.
    pub max_concurrent_requests: usize,
    /// The longest query string accepted (414 beyond it).
    pub max_query_length: usize,
    /// After SIGTERM or Ctrl-C: how long in-flight requests may take to finish.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_concurrent_requests: 512, max_query_length: 16 * 1024, shutdown_grace: Duration::from_secs(10) }
    }
}

impl Limits {
    pub fn from_env() -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let limits = Self {
            max_concurrent_requests: env_or("MAX_CONCURRENT_REQUESTS", defaults.max_concurrent_requests)?,
            max_query_length: env_or("MAX_QUERY_LENGTH", defaults.max_query_length)?,
            shutdown_grace: Duration::from_millis(env_or("SHUTDOWN_GRACE_MS", 10_000)?),
        };
        if limits.max_concurrent_requests == 0 {
            return Err(ConfigError {
                name: "MAX_CONCURRENT_REQUESTS".to_owned(),
                value: "0".to_owned(),
                reason: "at least one request must be allowed".to_owned(),
            });
        }
        Ok(limits)
    }
}
