//! Calls about one record, forwarded to the service that owns it as the
//! client made them: the writer's own credentials (each service checks them
//! again), `If-Match`, and for a create its `Idempotency-Key`. A write is
//! sent once: the gateway does not retry it (the client may, with the same
//! key). The service's answer comes back as it is: its status, its JSON (a
//! record, or an error naming the field and the rule), `ETag` and `Location`.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bootstrap::edits::{DATA_VERSION, IDEMPOTENCY_FINGERPRINT, IDEMPOTENCY_KEY, Once};
use exceptions::HttpError;
use serde::de::DeserializeOwned;

use super::call::ServiceClient;
use crate::context::RequestContext;

/// What a client's request carries that the service must see too.
#[derive(Debug, Clone, Default)]
pub struct Forwarded {
    pub authorization: Option<HeaderValue>,
    pub if_match: Option<HeaderValue>,
}

impl Forwarded {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        Self {
            authorization: headers.get(header::AUTHORIZATION).cloned(),
            if_match: headers.get(header::IF_MATCH).cloned(),
        }
    }
}

/// A service's answer about one record, as it gave it.
#[derive(Debug, Clone)]
pub struct ServiceAnswer {
    pub status: StatusCode,
    pub etag: Option<HeaderValue>,
    pub location: Option<HeaderValue>,
    /// The service's data version once it made the write (`Data-Version`).
    pub data_version: Option<String>,
    pub body: Bytes,
}

impl ServiceAnswer {
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// The body, read as `T` (a service that answers something else is a bad gateway).
    pub fn json<T: DeserializeOwned>(&self, service: &str) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| HttpError::BadGateway(format!("the {service} service answered an unreadable body ({e})")))
    }
}

impl IntoResponse for ServiceAnswer {
    fn into_response(self) -> Response {
        let mut response = (self.status, Body::from(self.body)).into_response();
        let headers = response.headers_mut();
        if response_has_body(self.status) {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        // What one record's answer is: never kept by a shared cache (it changes with each write).
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        for (name, value) in [(header::ETAG, self.etag), (header::LOCATION, self.location)] {
            if let Some(value) = value {
                headers.insert(name, value);
            }
        }
        response
    }
}

fn response_has_body(status: StatusCode) -> bool {
    status != StatusCode::NO_CONTENT && status != StatusCode::NOT_MODIFIED
}

impl ServiceClient {
    /// Sends `method path` (with `body`, JSON) to the service once, as
    /// `forwarded` says, within the request's deadline; a create with `once`:
    /// its key at the service, and the fingerprint of the whole request.
    pub(crate) async fn send(
        &self,
        context: &RequestContext,
        forwarded: &Forwarded,
        method: Method,
        path: &str,
        body: Option<Bytes>,
        once: Option<&Once>,
    ) -> Result<ServiceAnswer, HttpError> {
        let Some(left) = context.remaining() else { return Err(context.deadline_passed()) };
        let timeout = left.min(self.policy.timeout);
        let is_write = method != Method::GET;
        let mut request = self.http.request(method, format!("{}{path}", self.base_url)).timeout(timeout);
        let headers: [(HeaderName, Option<&HeaderValue>); 2] = [
            (header::AUTHORIZATION, forwarded.authorization.as_ref()),
            (header::IF_MATCH, forwarded.if_match.as_ref()),
        ];
        for (name, value) in headers {
            if let Some(value) = value {
                request = request.header(name, value);
            }
        }
        if let Some(id) = &context.request_id {
            request = request.header(bootstrap::REQUEST_ID, id);
        }
        if let Some(Once { key, fingerprint }) = once {
            request = request.header(IDEMPOTENCY_KEY, key).header(IDEMPOTENCY_FINGERPRINT, fingerprint);
        }
        if let Some(body) = body {
            request = request.header(header::CONTENT_TYPE, "application/json").body(body);
        }
        let failed = |error: reqwest::Error| self.failure(error, is_write, timeout);
        let response = request.send().await.map_err(failed)?;
        let status = response.status();
        let etag = response.headers().get(header::ETAG).cloned();
        let location = response.headers().get(header::LOCATION).cloned();
        let data_version = response.headers().get(DATA_VERSION).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = response.bytes().await.map_err(failed)?;
        Ok(ServiceAnswer { status, etag, location, data_version, body })
    }

    fn failure(&self, error: reqwest::Error, is_write: bool, waited: Duration) -> HttpError {
        let service = self.name;
        // Refused before it was sent: nothing was written.
        if error.is_connect() {
            return HttpError::ServiceUnavailable(format!("the {service} service is unreachable: nothing was changed"));
        }
        let unknown = if is_write {
            ": the write may have been made or not; send it again (with the same Idempotency-Key for a create)"
        } else {
            ""
        };
        if error.is_timeout() {
            HttpError::GatewayTimeout(format!(
                "the {service} service did not answer within {} ms{unknown}",
                waited.as_millis()
            ))
        } else {
            HttpError::ServiceUnavailable(format!("the {service} service did not answer{unknown}"))
        }
    }
}
