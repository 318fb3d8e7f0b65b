//! One problem of an error answer, typed: what kind it is ([`Code`], a
//! closed set clients may match on), the field it is about, and the
//! sentence people read. The validator makes them from schema errors, the
//! hand-written refusals name their own code; [`crate::HttpError`] turns
//! them into the body's `errors` (and `message`, their sentences).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares [`Code`] and [`Code::ALL`] from one list, so that the set the
/// API documents (OpenAPI's enum, the docs' table) cannot miss a code.
macro_rules! codes {
    ($($(#[$when:meta])* $code:ident,)+) => {
        /// What kind of problem an error answer reports: a stable snake_case
        /// string clients can match on (the `message` beside it is for people
        /// and may be reworded). A code is a promise: the set is closed and
        /// documented (docs/api.md); a new code is a change to the API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum Code {
            $($(#[$when])* $code,)+
        }

        impl Code {
            /// Every code, in the order declared.
            pub const ALL: &'static [Code] = &[$(Code::$code,)+];
        }
    };
}

codes! {
    // What the client sent breaks a rule of its JSON Schema (400), by keyword.
    /// `type`: a value of another type (`latitude=north`).
    WrongType,
    /// A query parameter that takes one value, given more than once (`limit=1&limit=2`).
    RepeatedParameter,
    /// `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`; or a date beyond what a date can be.
    OutOfRange,
    /// `minItems`: a list too short.
    TooFewItems,
    /// `maxItems`: a list too long.
    TooManyItems,
    /// `minLength`: a text too short.
    TooShort,
    /// `maxLength`: a text too long.
    TooLong,
    /// `format`, `pattern`: a text of the wrong form (a name of spaces only, a malformed header).
    InvalidFormat,
    /// `enum`, `const`: a value outside the allowed set (a status that does not exist; an id a patch would change).
    NotAllowed,
    /// `required`, `dependentRequired`: a field missing, always or because another one is given.
    Required,
    /// `additionalProperties`: a parameter or field the route does not know.
    UnknownParameter,
    /// `anyOf`, `oneOf` matched by none: none of the accepted alternatives was given.
    NoMatchingAlternative,
    /// `oneOf` matched by more than one, `not`: alternatives that exclude each other given together.
    MutuallyExclusive,
    /// Any other rule of a schema.
    InvalidValue,
    /// The body is not JSON, or could not be read whole.
    MalformedBody,
    // Refusals the schemas cannot say (400).
    /// A paging cursor (`cursor`, `since`) this API did not give out.
    InvalidCursor,
    /// A date or date-time that is not one of the accepted forms.
    InvalidDate,
    /// A range whose start is after its end (`from` after `to`).
    InvalidRange,
    // The other refusals and failures, one each.
    /// No such record (404), or a write names one that does not exist (400, with its field).
    NotFound,
    /// No route at this path (404).
    RouteNotFound,
    /// The route does not take this method (405).
    MethodNotAllowed,
    /// A write without a bearer token this service knows (401).
    Unauthorized,
    /// The token is known but may not do this (403).
    Forbidden,
    /// The write contradicts what is stored (409).
    Conflict,
    /// `If-Match` names a revision that is no longer current (412).
    PreconditionFailed,
    /// This `Idempotency-Key` was given before for another request (422).
    IdempotencyKeyReused,
    /// The change feed no longer holds the changes after this cursor (410): read the catalogue again.
    CursorExpired,
    /// The body is larger than the route accepts (413).
    PayloadTooLarge,
    /// The body is not JSON by its `Content-Type` (415).
    UnsupportedMediaType,
    /// The query string is longer than accepted (414).
    UriTooLong,
    /// The header fields are larger than accepted (431).
    HeadersTooLarge,
    /// This client asked more than its rate limit allows: retry after `Retry-After` (429).
    RateLimited,
    /// At capacity: retry after `Retry-After` (503).
    Overloaded,
    /// A service behind the gateway answered something unusable (502).
    BadGateway,
    /// A service behind the gateway, or a dependency, cannot be reached (503).
    ServiceUnavailable,
    /// A service did not answer in time, or the request passed its deadline (504).
    GatewayTimeout,
    /// The store cannot be reached now (503).
    StoreUnavailable,
    /// The store's disk is full: nothing was written (507).
    StoreFull,
    /// A failure of the service itself (500); the details are in its log.
    Internal,
}

/// One problem of an error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"code": "out_of_range", "parameter": "latitude", "message": "latitude must be <= 90"}))]
pub struct Problem {
    pub code: Code,
    /// The field the problem is about, as the message names it (`latitude`,
    /// `bandIds[2]`, `[4].name`, `If-Match`); left out when it is not about one field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// The problem in words, naming the field and the rule.
    pub message: String,
}

impl Problem {
    /// A problem that is not about one field.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self { code, parameter: None, message: message.into() }
    }

    /// A problem with the field `parameter`.
    pub fn at(code: Code, parameter: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code, parameter: Some(parameter.into()), message: message.into() }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The serialized name is the code's one spelling.
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(name)) => f.write_str(&name),
            _ => write!(f, "{self:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_and_distinct() {
        let names: Vec<String> = Code::ALL.iter().map(Code::to_string).collect();
        for name in &names {
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{name}");
        }
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        assert_eq!(Code::OutOfRange.to_string(), "out_of_range");
        assert_eq!(serde_json::from_str::<Code>("\"idempotency_key_reused\"").unwrap(), Code::IdempotencyKeyReused);
    }

    /// The codes are a promise made in the docs: the table lists each one.
    #[test]
    fn the_api_docs_list_every_code() {
        let docs = include_str!("../../../docs/api.md");
        let missing: Vec<String> =
            Code::ALL.iter().map(|code| format!("| `{code}` |")).filter(|row| !docs.contains(row.as_str())).collect();
        assert!(missing.is_empty(), "docs/api.md's table of codes lacks {missing:?}");
    }

    #[test]
    fn a_problem_about_no_field_leaves_parameter_out() {
        let json = serde_json::to_value(Problem::new(Code::Internal, "internal server error")).unwrap();
        assert_eq!(json, serde_json::json!({"code": "internal", "message": "internal server error"}));
        let json = serde_json::to_value(Problem::at(Code::OutOfRange, "latitude", "latitude must be <= 90")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "out_of_range", "parameter": "latitude", "message": "latitude must be <= 90"})
        );
    }
}
