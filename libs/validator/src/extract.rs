//! Axum extractors that hand a handler what the client sent, checked against
//! its JSON Schema and parsed, once, into the handler's own type: a handler
//! never sees a query string or a body, and a client that sent something
//! invalid gets the JSON 400 (every problem, each naming the field and the
//! rule) before any handler runs.
//!
//! A type says how it is read by implementing [`FromQuery`] or [`FromBody`]:
//! its schema, what the schema describes (`Params`, plain data), and how that
//! becomes the type (parse, don't validate: what a schema cannot say, such
//! as what a date means or what a cursor holds, is checked there, once).

use std::sync::LazyLock;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use exceptions::HttpError;
use serde::de::DeserializeOwned;

use crate::{Schema, SchemaError};

/// A schema compiled on first use and kept for the life of the process.
/// The app's router asks for each one at start-up ([`FromQuery::schema`]),
/// so a schema that does not compile stops the start, never a request.
pub type CompiledSchema = LazyLock<Result<Schema, SchemaError>>;

/// A type read from a request's query string.
pub trait FromQuery: Sized {
    /// What the query string holds, as its schema describes it.
    type Params: DeserializeOwned;

    /// The schema of the query string.
    fn schema() -> Result<&'static Schema, &'static SchemaError>;

    /// The value the params mean.
    fn parse(params: Self::Params) -> Result<Self, HttpError>;
}

/// A type read from a request's JSON body.
pub trait FromBody: Sized {
    /// What the body holds, as its schema describes it.
    type Params: DeserializeOwned;

    /// The schema of the body.
    fn schema() -> Result<&'static Schema, &'static SchemaError>;

    /// The value the params mean.
    fn parse(params: Self::Params) -> Result<Self, HttpError>;
}

/// The request's query string as `T`.
#[derive(Debug, Clone)]
pub struct Validated<T>(pub T);

/// The request's JSON body as `T` (the route's body limit applies: 413 beyond it).
#[derive(Debug, Clone)]
pub struct ValidatedJson<T>(pub T);

/// That a body's media type is JSON (`application/json`, or a `+json` such as
/// `application/merge-patch+json`), or not given: else a 415.
pub fn require_json(headers: &axum::http::HeaderMap) -> Result<(), HttpError> {
    let Some(given) = headers.get(header::CONTENT_TYPE) else { return Ok(()) };
    let media_type = given.to_str().unwrap_or_default().split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/json") || media_type.ends_with("+json") {
        Ok(())
    } else {
        Err(HttpError::UnsupportedMediaType(format!(
            "the body must be JSON (Content-Type: application/json or application/merge-patch+json), not {media_type:?}"
        )))
    }
}

/// A raw query string (`a=1&b=2,3`, `None` when the URI has none) as `T`:
/// what [`Validated`] does with a request's query, and what the fuzzers feed.
pub fn read_query<T: FromQuery>(raw: Option<&str>) -> Result<T, HttpError> {
    let schema = T::schema().map_err(|error| HttpError::Internal(error.to_string()))?;
    T::parse(schema.parse_query(raw)?)
}

/// A JSON body as `T`: what [`ValidatedJson`] does with a request's body
/// once its media type is checked, and what the fuzzers feed.
pub fn read_body<T: FromBody>(body: &[u8]) -> Result<T, HttpError> {
    let schema = T::schema().map_err(|error| HttpError::Internal(error.to_string()))?;
    T::parse(schema.parse_json(body)?)
}

impl<S: Send + Sync, T: FromQuery> FromRequestParts<S> for Validated<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, HttpError> {
        read_query(parts.uri.query()).map(Validated)
    }
}

impl<S: Send + Sync, T: FromBody> FromRequest<S> for ValidatedJson<T> {
    type Rejection = HttpError;

    async fn from_request(request: Request, state: &S) -> Result<Self, HttpError> {
        require_json(request.headers())?;
        let body = Bytes::from_request(request, state).await?;
        read_body(&body).map(ValidatedJson)
    }
}
