//! The `{id}` of a record's path, parsed once: a whole number from 1 to
//! 2^53 - 1, else a 400 in the JSON error shape naming `id` (axum's own `Path` answers
//! such a path with a plain-text 400 the OpenAPI document cannot describe).

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use exceptions::{Code, HttpError, Problem};
use serde_json::{Value, json};

/// A record's id as its path gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordId(pub i64);

impl RecordId {
    /// The ids the services give: from 1 up.
    pub const MIN: i64 = 1;
    /// The largest id, as every record's schema says.
    pub const MAX: i64 = validator::id_batch::MAX_ID;

    /// The path parameter's JSON Schema, for the OpenAPI document.
    pub fn schema() -> Value {
        json!({"type": "integer", "format": "int64", "minimum": Self::MIN, "maximum": Self::MAX})
    }

    fn parse(text: &str) -> Result<Self, Problem> {
        let whole = !text.is_empty() && text.trim_start_matches('-').bytes().all(|byte| byte.is_ascii_digit());
        let id = text.parse::<i64>().ok().filter(|id| (Self::MIN..=Self::MAX).contains(id));
        id.map(Self).ok_or_else(|| {
            let message = format!("id must be a whole number from {} to {}, not {text:?}", Self::MIN, Self::MAX);
            Problem::at(if whole { Code::OutOfRange } else { Code::WrongType }, "id", message)
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RecordId {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, HttpError> {
        let Path(text) = Path::<String>::from_request_parts(parts, state).await.map_err(|rejection| {
            HttpError::bad_request(Problem::at(Code::InvalidFormat, "id", format!("id cannot be read: {rejection}")))
        })?;
        Self::parse(&text).map_err(HttpError::bad_request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_one_up_are_taken() {
        assert_eq!(RecordId::parse("1"), Ok(RecordId(1)));
        assert_eq!(RecordId::parse("9007199254740991"), Ok(RecordId(RecordId::MAX)));
    }

    #[test]
    fn any_other_path_is_refused_naming_the_id_and_the_rule() {
        for (text, code) in [
            ("0", Code::OutOfRange),
            ("-3", Code::OutOfRange),
            ("9007199254740992", Code::OutOfRange),
            ("9223372036854775808", Code::OutOfRange),
            ("abc", Code::WrongType),
            ("1.5", Code::WrongType),
            ("", Code::WrongType),
        ] {
            let problem = RecordId::parse(text).expect_err(text);
            assert_eq!((problem.code, problem.parameter.as_deref()), (code, Some("id")), "{text:?}");
            assert!(problem.message.starts_with("id must be"), "{}", problem.message);
        }
    }
}
