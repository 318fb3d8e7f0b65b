//! The product's errors as HTTP sees them, mapped to status codes in one place.
//!
//! Every service and the gateway answer failures with the same JSON shape
//! (NestJS style, with meilisearch-style codes):
//! `{"statusCode":400,"error":"Bad Request","message":["..."],"errors":[{"code":"...","parameter":"...","message":"..."}]}`.
//! `message` is always a list so that a client handles one shape, and a bad
//! request can report all of its problems at once; `errors` holds the same
//! problems typed ([`Problem`]), one entry per message, for programs.
//!
//! Nothing here writes a log line: an error answer carries a [`Failure`] in
//! its extensions, which the one logging middleware of every process
//! (`bootstrap`) reads. The answers themselves ([`response`]) need axum, a
//! feature the apps turn on; the storage layer uses only the errors.

mod problem;
#[cfg(feature = "axum")]
mod response;
mod store;
mod write;

pub use problem::{Code, Problem};
#[cfg(feature = "axum")]
pub use response::{method_not_allowed, route_not_found};
pub use store::{Source, StoreError};
pub use write::WriteError;

use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A failure that ends a request, with the status it maps to.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The client sent something invalid: every problem found, each naming the field and the rule.
    #[error("bad request: {}", sentences(.0))]
    BadRequest(Vec<Problem>),
    /// No such record (`band 7`).
    #[error("not found: {0}")]
    NotFound(String),
    /// Nothing is served at this path (`route /x`).
    #[error("not found: {0}")]
    RouteNotFound(String),
    /// The client is known (its token is valid) but may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The request contradicts what is stored (another record holds that
    /// identity; a band that still has concerts).
    #[error("conflict: {0}")]
    Conflict(String),
    /// `If-Match` names a version of the record that is no longer the current one.
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// An `Idempotency-Key` used before for another body: well formed, but not what it should be (422).
    #[error("idempotency key reused: {0}")]
    IdempotencyKeyReused(String),
    /// What the client asks for existed once and is gone for good: a change
    /// feed's entries compacted away after its cursor.
    #[error("gone: {0}")]
    Gone(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    /// A body of a media type the route does not read.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// The request line is longer than the process accepts.
    #[error("URI too long: {0}")]
    UriTooLong(String),
    /// The request's header fields are larger than the process accepts.
    #[error("request header fields too large: {0}")]
    HeadersTooLarge(String),
    /// A write without the bearer token it needs, or with another one. The
    /// message never holds what the client sent.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// A downstream service answered something unusable.
    #[error("bad gateway: {0}")]
    BadGateway(String),
    /// A dependency (a store, a downstream service) cannot be reached right now.
    #[error("service unavailable: {0}")]
    ServiceUnavailable(String),
    /// The client has used up its rate limit; it may ask again after `retry_after` seconds.
    #[error("too many requests: {message}")]
    RateLimited { message: String, retry_after: u64 },
    /// The process is at its concurrency limit; the client should retry after a pause.
    #[error("overloaded: {0}")]
    Overloaded(String),
    /// A downstream service did not answer in time.
    #[error("gateway timeout: {0}")]
    GatewayTimeout(String),
    /// A bug or an unexpected failure; the details go to the log, not to the client.
    #[error("internal error: {0}")]
    Internal(String),
    /// The service's store failed: unavailable (503) or broken (500); the
    /// cause goes to the log, not to the client.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl HttpError {
    /// A bad request with one problem.
    pub fn bad_request(problem: Problem) -> Self {
        Self::BadRequest(vec![problem])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) | Self::RouteNotFound(_) => StatusCode::NOT_FOUND,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::IdempotencyKeyReused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Gone(_) => StatusCode::GONE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            Self::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::BadGateway(_) => StatusCode::BAD_GATEWAY,
            Self::ServiceUnavailable(_) | Self::Overloaded(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Store(StoreError::Unavailable { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(StoreError::Backend { .. }) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Store(StoreError::Full { .. }) => StatusCode::INSUFFICIENT_STORAGE,
        }
    }

    /// What the client is told: a bad request's problems, or the one problem
    /// (its code, its message) of any other answer.
    fn problems(&self) -> Vec<Problem> {
        let (code, message) = match self {
            Self::BadRequest(problems) => return problems.clone(),
            Self::NotFound(what) => (Code::NotFound, format!("{what} not found")),
            Self::RouteNotFound(what) => (Code::RouteNotFound, format!("{what} not found")),
            Self::MethodNotAllowed => (Code::MethodNotAllowed, "method not allowed on this route".to_owned()),
            Self::Forbidden(message) => (Code::Forbidden, message.clone()),
            Self::Conflict(message) => (Code::Conflict, message.clone()),
            Self::PreconditionFailed(message) => (Code::PreconditionFailed, message.clone()),
            Self::IdempotencyKeyReused(message) => (Code::IdempotencyKeyReused, message.clone()),
            Self::Gone(message) => (Code::CursorExpired, message.clone()),
            Self::PayloadTooLarge(message) => (Code::PayloadTooLarge, message.clone()),
            Self::UnsupportedMediaType(message) => (Code::UnsupportedMediaType, message.clone()),
            Self::UriTooLong(message) => (Code::UriTooLong, message.clone()),
            Self::HeadersTooLarge(message) => (Code::HeadersTooLarge, message.clone()),
            Self::Unauthorized(message) => (Code::Unauthorized, message.clone()),
            Self::Overloaded(message) => (Code::Overloaded, message.clone()),
            Self::RateLimited { message, .. } => (Code::RateLimited, message.clone()),
            Self::BadGateway(message) => (Code::BadGateway, message.clone()),
            Self::ServiceUnavailable(message) => (Code::ServiceUnavailable, message.clone()),
            Self::GatewayTimeout(message) => (Code::GatewayTimeout, message.clone()),
            Self::Store(StoreError::Unavailable { .. }) => {
                (Code::StoreUnavailable, "the store is unavailable, retry later".to_owned())
            }
            Self::Store(StoreError::Full { .. }) => {
                (Code::StoreFull, "the store's disk is full: nothing of this request was written".to_owned())
            }
            // The details go to the log, never to the client.
            Self::Internal(_) | Self::Store(StoreError::Backend { .. }) => {
                (Code::Internal, "internal server error".to_owned())
            }
        };
        vec![Problem::new(code, message)]
    }

    pub fn body(&self) -> ErrorBody {
        let status = self.status();
        let errors = self.problems();
        ErrorBody {
            status_code: status.as_u16(),
            error: status.canonical_reason().unwrap_or("Error").to_owned(),
            message: errors.iter().map(|problem| problem.message.clone()).collect(),
            errors,
        }
    }
}

/// The problems' sentences, for the log.
fn sentences(problems: &[Problem]) -> String {
    problems.iter().map(|problem| problem.message.as_str()).collect::<Vec<_>>().join("; ")
}

/// How much an error answer matters to operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The client's mistake (4xx): nothing to act on.
    ClientError,
    /// Expected under load (shed requests).
    Warning,
    /// A failure to look into (other 5xx).
    Error,
}

/// What an error answer says about its cause, for the log: put in the
/// response's extensions, never sent to the client.
#[derive(Debug, Clone)]
pub struct Failure {
    pub severity: Severity,
    /// The error and every error it came from, outermost first.
    pub detail: String,
}

/// `error: its source: its source's source...`, for a log line.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The JSON body of every error answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "statusCode": 400,
    "error": "Bad Request",
    "message": ["latitude must be <= 90"],
    "errors": [{"code": "out_of_range", "parameter": "latitude", "message": "latitude must be <= 90"}]
}))]
pub struct ErrorBody {
    /// The HTTP status code, repeated for clients that only see the body.
    pub status_code: u16,
    /// The status code's reason phrase.
    pub error: String,
    /// What went wrong; for a bad request, one entry per problem, naming the field and the rule.
    pub message: Vec<String>,
    /// The same problems for programs, one entry per `message` and in its
    /// order: a stable code, the field when the problem is about one.
    pub errors: Vec<Problem>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_request_keeps_every_problem() {
        let problems = vec![
            Problem::at(Code::OutOfRange, "a", "a must be >= 1"),
            Problem::at(Code::Required, "b", "b is required"),
        ];
        let body = HttpError::BadRequest(problems.clone()).body();
        assert_eq!(body.status_code, 400);
        assert_eq!(body.error, "Bad Request");
        assert_eq!(body.message, vec!["a must be >= 1", "b is required"]);
        assert_eq!(body.errors, problems);
    }

    #[test]
    fn every_other_answer_has_one_problem_with_its_code() {
        let cases = [
            (HttpError::NotFound("band 7".into()), Code::NotFound, "band 7 not found"),
            (HttpError::RouteNotFound("route /x".into()), Code::RouteNotFound, "route /x not found"),
            (HttpError::MethodNotAllowed, Code::MethodNotAllowed, "method not allowed on this route"),
            (HttpError::Gone("compacted".into()), Code::CursorExpired, "compacted"),
            (HttpError::IdempotencyKeyReused("used".into()), Code::IdempotencyKeyReused, "used"),
            (HttpError::Overloaded("busy".into()), Code::Overloaded, "busy"),
            (HttpError::RateLimited { message: "slow down".into(), retry_after: 2 }, Code::RateLimited, "slow down"),
            (HttpError::Unauthorized("no token".into()), Code::Unauthorized, "no token"),
            (HttpError::Forbidden("import only".into()), Code::Forbidden, "import only"),
            (HttpError::Conflict("taken".into()), Code::Conflict, "taken"),
            (HttpError::PreconditionFailed("stale".into()), Code::PreconditionFailed, "stale"),
            (HttpError::PayloadTooLarge("big".into()), Code::PayloadTooLarge, "big"),
            (HttpError::UnsupportedMediaType("xml".into()), Code::UnsupportedMediaType, "xml"),
            (HttpError::UriTooLong("long".into()), Code::UriTooLong, "long"),
            (HttpError::HeadersTooLarge("many".into()), Code::HeadersTooLarge, "many"),
            (HttpError::BadGateway("garbled".into()), Code::BadGateway, "garbled"),
            (HttpError::ServiceUnavailable("down".into()), Code::ServiceUnavailable, "down"),
            (HttpError::GatewayTimeout("slow".into()), Code::GatewayTimeout, "slow"),
            (
                HttpError::from(StoreError::full("writing", std::io::Error::other("disk full"))),
                Code::StoreFull,
                "the store's disk is full: nothing of this request was written",
            ),
            (HttpError::from(StoreError::backend_because("broken")), Code::Internal, "internal server error"),
            (HttpError::Internal("secret".into()), Code::Internal, "internal server error"),
            (
                HttpError::from(StoreError::unavailable_because("closed")),
                Code::StoreUnavailable,
                "the store is unavailable, retry later",
            ),
        ];
        for (error, code, message) in cases {
            let body = error.body();
            assert_eq!(body.errors, vec![Problem::new(code, message)], "{error}");
            assert_eq!(body.message, vec![message]);
        }
    }

    #[test]
    fn internal_errors_do_not_leak_details() {
        let body = HttpError::Internal("disk I/O error at /secret/path".into()).body();
        assert_eq!(body.status_code, 500);
        assert_eq!(body.message, vec!["internal server error"]);
    }

    #[test]
    fn body_serializes_in_nestjs_shape() {
        let json = serde_json::to_value(HttpError::GatewayTimeout("bands service timed out".into()).body()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "statusCode": 504,
                "error": "Gateway Timeout",
                "message": ["bands service timed out"],
                "errors": [{"code": "gateway_timeout", "message": "bands service timed out"}]
            })
        );
    }
}
