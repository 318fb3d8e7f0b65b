//! Error answers as HTTP: the status, the JSON body, the headers some
//! statuses call for, and the [`Failure`] the logging middleware reads.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::{Code, Failure, HttpError, Problem, Severity, chain};

/// Seconds a shed client is asked to wait before it retries.
const RETRY_AFTER_SECONDS: &str = "1";

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body())).into_response();
        match &self {
            Self::Overloaded(_) => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
            }
            Self::RateLimited { retry_after, .. } => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            _ => {}
        }
        if matches!(self, Self::Unauthorized(_)) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        let severity = match &self {
            // Shedding load is the system working as designed, not a failure to page anyone about.
            Self::Overloaded(_) => Severity::Warning,
            // One client over its limit: operators want to see who, nobody is paged.
            Self::RateLimited { .. } => Severity::Warning,
            // A refused write is the client's mistake, but operators want to see who tries.
            Self::Unauthorized(_) | Self::Forbidden(_) => Severity::Warning,
            _ if self.status().is_server_error() => Severity::Error,
            _ => Severity::ClientError,
        };
        response.extensions_mut().insert(Failure { severity, detail: chain(&self) });
        response
    }
}

/// A body that could not be read (too large, cut off) is the client's problem, said in JSON.
impl From<axum::extract::rejection::BytesRejection> for HttpError {
    fn from(rejection: axum::extract::rejection::BytesRejection) -> Self {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            HttpError::PayloadTooLarge(rejection.body_text())
        } else {
            HttpError::bad_request(Problem::new(Code::MalformedBody, rejection.body_text()))
        }
    }
}

/// Fallback for unknown routes, so that a 404 has the same JSON shape as every other error.
pub async fn route_not_found(uri: axum::http::Uri) -> HttpError {
    HttpError::RouteNotFound(format!("route {}", uri.path()))
}

/// Fallback for a known route called with the wrong method.
pub async fn method_not_allowed() -> HttpError {
    HttpError::MethodNotAllowed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreError;

    #[test]
    fn shed_requests_are_told_when_to_retry() {
        let response = HttpError::Overloaded("at capacity".into()).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn limited_clients_are_told_when_their_bucket_lets_them_in_again() {
        let response = HttpError::RateLimited { message: "over the limit".into(), retry_after: 3 }.into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "3");
        assert_eq!(response.extensions().get::<Failure>().unwrap().severity, Severity::Warning);
    }

    #[test]
    fn store_failures_keep_their_cause_for_the_log_only() {
        let cause = std::io::Error::other("disk I/O error at /secret/path");
        let broken = HttpError::from(StoreError::backend("reading bands", cause));
        assert_eq!(broken.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(broken.body().message, vec!["internal server error"]);
        let response = broken.into_response();
        let failure = response.extensions().get::<Failure>().expect("the cause, for the log");
        assert_eq!(failure.severity, Severity::Error);
        assert_eq!(failure.detail, "store failure: reading bands: disk I/O error at /secret/path");

        let away = HttpError::from(StoreError::unavailable("opening the pool", std::io::Error::other("refused")));
        assert_eq!(away.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(away.body().message, vec!["the store is unavailable, retry later"]);
        assert_eq!(away.into_response().extensions().get::<Failure>().unwrap().severity, Severity::Error);
        let shed = HttpError::Overloaded("at capacity".into()).into_response();
        assert_eq!(shed.extensions().get::<Failure>().unwrap().severity, Severity::Warning);

        let full =
            HttpError::from(StoreError::full("importing bands", std::io::Error::other("database or disk is full")));
        assert_eq!(full.status(), StatusCode::INSUFFICIENT_STORAGE);
        assert_eq!(full.body().message, vec!["the store's disk is full: nothing of this request was written"]);
        let failure = full.into_response().extensions().get::<Failure>().cloned().unwrap();
        assert_eq!(
            (failure.severity, failure.detail.as_str()),
            (Severity::Error, "store full: importing bands: database or disk is full")
        );
    }

    #[test]
    fn a_refused_write_asks_for_a_bearer_token_and_is_logged_as_a_warning() {
        let response = HttpError::Unauthorized("a write needs the bearer token".into()).into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
        assert_eq!(response.extensions().get::<Failure>().unwrap().severity, Severity::Warning);
        let headers = HttpError::HeadersTooLarge("too many".into());
        assert_eq!(headers.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    }
}
