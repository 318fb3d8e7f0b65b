//! What every write through the gateway shares: who makes it ([`Edit`], an
//! extractor: the writer the credentials let in, and what of the request the
//! owning service must see), its JSON body, the service's answer relayed as
//! it is, and what follows an answered write (the data versions asked again,
//! so the writer reads the write: [`crate::state::Gateway::written`]).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use bootstrap::Writer;
use bootstrap::edits::{self, Once};
use exceptions::HttpError;
use serde::Serialize;

use crate::clients::{Forwarded, Owner, ServiceAnswer};
use crate::context::RequestContext;
use crate::state::Gateway;

/// A write let in: who makes it, and the headers passed on to the service.
#[derive(Debug, Clone)]
pub struct Edit {
    pub writer: Writer,
    pub forwarded: Forwarded,
    /// The revision `If-Match` names (checked here: a malformed one is a 400
    /// before anything is asked of a service); `None` without it or with `*`.
    pub expected: Option<i64>,
}

impl<S: Send + Sync> FromRequestParts<S> for Edit {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, HttpError> {
        let writer = parts
            .extensions
            .get::<Writer>()
            .cloned()
            .ok_or_else(|| HttpError::Internal("a write route is not behind the credentials check".into()))?;
        let expected = edits::if_match(&parts.headers)?;
        Ok(Self { writer, forwarded: Forwarded::from_headers(&parts.headers), expected })
    }
}

/// What a step of a write comes to: its value, or the answer to send now.
pub type Step<T> = Result<T, Refusal>;

/// Why a write stops: the service's refusal as it gave it, or the gateway's
/// own error; sent as the answer.
#[derive(Debug)]
pub struct Refusal(Box<Response>);

impl From<HttpError> for Refusal {
    fn from(error: HttpError) -> Self {
        Self(Box::new(error.into_response()))
    }
}

impl Refusal {
    /// Whether what was asked may have been done all the same: the service
    /// failed rather than refused (a 5xx, its own or the gateway's for it).
    pub fn is_uncertain(&self) -> bool {
        self.0.status().is_server_error()
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// The service's answer as a step: a success goes on, anything else is the answer.
pub fn succeeded(answer: ServiceAnswer) -> Step<ServiceAnswer> {
    if answer.is_success() { Ok(answer) } else { Err(Refusal(Box::new(answer.into_response()))) }
}

/// A step's outcome as the answer: its value's, or the refusal.
pub fn answered<T: IntoResponse>(step: Step<T>) -> Response {
    step.map_or_else(IntoResponse::into_response, IntoResponse::into_response)
}

/// One call about a record, to the service that owns it.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    pub owner: Owner,
    pub method: Method,
    pub path: &'a str,
    pub body: Option<Bytes>,
    /// A create's key at the service, and the fingerprint of the whole request.
    pub once: Option<&'a Once>,
}

impl<'a> Call<'a> {
    pub fn new(owner: Owner, method: Method, path: &'a str) -> Self {
        Self { owner, method, path, body: None, once: None }
    }

    pub fn with_body(self, body: Bytes) -> Self {
        Self { body: Some(body), ..self }
    }

    pub fn keyed(self, once: Option<&'a Once>) -> Self {
        Self { once, ..self }
    }
}

/// A request's body, if it is JSON (else 415), as the service is sent it:
/// the service reads and checks it.
#[derive(Debug, Clone)]
pub struct JsonBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = HttpError;

    async fn from_request(request: Request, state: &S) -> Result<Self, HttpError> {
        validator::require_json(request.headers())?;
        Ok(Self(Bytes::from_request(request, state).await?))
    }
}

/// The create's key and fingerprint, from `Idempotency-Key` and the body.
pub fn idempotency(headers: &HeaderMap, body: &[u8]) -> Result<Option<Once>, HttpError> {
    edits::idempotency(headers, body)
}

/// `value` as a JSON body.
pub fn to_body(value: &impl Serialize) -> Result<Bytes, HttpError> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|e| HttpError::Internal(format!("a body: {e}")))
}

impl Gateway {
    /// Sends `call` to its service, and once the service has answered a
    /// write with a success, asks its data version again (the answers made
    /// next read the write). Logged with the writer.
    pub async fn relay(
        &self,
        context: &RequestContext,
        edit: &Edit,
        call: Call<'_>,
    ) -> Result<ServiceAnswer, HttpError> {
        let Call { owner, method, path, body, once } = call;
        let answer = self.services.of(owner).send(context, &edit.forwarded, method.clone(), path, body, once).await?;
        if answer.is_success() && method != Method::GET {
            self.written(owner, answer.data_version.clone()).await;
            tracing::info!(who = %edit.writer.name, %method, path, status = answer.status.as_u16(), "write");
        }
        Ok(answer)
    }

    /// One record, as its service answers it (its `ETag`, or a 404).
    pub async fn read_one(
        &self,
        context: &RequestContext,
        owner: Owner,
        path: &str,
    ) -> Result<ServiceAnswer, HttpError> {
        self.services.of(owner).send(context, &Forwarded::default(), Method::GET, path, None, None).await
    }

    /// After a write `owner`'s service answered (with its data version
    /// then, when it gave it): what this gateway answers next reads it.
    pub async fn written(&self, owner: Owner, version: Option<String>) {
        self.services.written(owner, version).await;
        if owner == Owner::Concerts {
            self.follower.catch_up().await;
        }
    }
}
