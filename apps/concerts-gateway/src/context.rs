//! What a public request carries to every call it makes: its id (so that
//! one request can be followed across the processes) and its deadline; an
//! extractor builds it from the request, once.

use std::time::{Duration, Instant};

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use bootstrap::REQUEST_ID;
use exceptions::HttpError;

/// What a public request passes to every call it makes.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Sent as `x-request-id`, so that one request can be followed across the processes.
    pub request_id: Option<String>,
    /// When the public request must be answered, whatever is still pending.
    pub deadline: Instant,
    /// The deadline as configured, for messages.
    pub budget: Duration,
}

impl RequestContext {
    pub fn new(request_id: Option<String>, budget: Duration) -> Self {
        Self { request_id, deadline: Instant::now() + budget, budget }
    }

    /// The same request, with a fresh deadline (each page of a streamed answer has its own).
    pub fn renewed(&self) -> Self {
        Self::new(self.request_id.clone(), self.budget)
    }

    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.deadline.checked_duration_since(Instant::now()).filter(|left| !left.is_zero())
    }

    pub(crate) fn deadline_passed(&self) -> HttpError {
        HttpError::GatewayTimeout(format!(
            "the request took longer than its deadline of {} ms",
            self.budget.as_millis()
        ))
    }
}

/// How long a public request may take, all its calls included.
#[derive(Debug, Clone, Copy)]
pub struct RequestDeadline(pub Duration);

impl<S: Send + Sync> FromRequestParts<S> for RequestContext
where
    RequestDeadline: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let request_id = parts.headers.get(REQUEST_ID).and_then(|id| id.to_str().ok()).map(str::to_owned);
        Ok(Self::new(request_id, RequestDeadline::from_ref(state).0))
    }
}
