//! JSON Schema validation for everything a client sends: query strings and JSON bodies.
//!
//! A schema is compiled once ([`Schema::new`]). Requests are turned into a
//! JSON instance, validated, and only then deserialized into typed structs,
//! which the extractors ([`Validated`], [`ValidatedJson`]) hand to handlers,
//! so a handler never sees an invalid value. Every failure becomes a 400
//! whose problems each have a code and name the field and the rule
//! ([`messages`]), all problems at once.

mod extract;
mod messages;
mod numbers;
mod query;

pub use extract::{CompiledSchema, FromBody, FromQuery, Validated, ValidatedJson, read_body, read_query, require_json};

use exceptions::{Code, HttpError, Problem};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A compiled JSON Schema (draft 2020-12) together with its source, which is
/// needed to read query strings the way the schema declares them.
pub struct Schema {
    name: String,
    source: Value,
    compiled: jsonschema::Validator,
}

/// The schema itself is invalid: a bug in the program, reported at start-up.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid JSON Schema {name}: {reason}")]
pub struct SchemaError {
    name: String,
    reason: String,
}

impl Schema {
    pub fn new(name: &str, source: Value) -> Result<Self, SchemaError> {
        // Formats (`date`, `date-time`) are rules here, not annotations.
        let compiled = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&source)
            .map_err(|e| SchemaError { name: name.to_owned(), reason: e.to_string() })?;
        // A code misspelt in a schema stops the start, not a request.
        let unknown = messages::unknown_error_codes(&source);
        if !unknown.is_empty() {
            return Err(SchemaError {
                name: name.to_owned(),
                reason: format!("unknown codes: {}", unknown.join(", ")),
            });
        }
        Ok(Self { name: name.to_owned(), source, compiled })
    }

    /// Parses a schema kept as JSON text (usually `include_str!` of a `.schema.json` file).
    pub fn from_json_text(name: &str, text: &str) -> Result<Self, SchemaError> {
        let source =
            serde_json::from_str(text).map_err(|e| SchemaError { name: name.to_owned(), reason: e.to_string() })?;
        Self::new(name, source)
    }

    /// A list of records, each valid under `record_schema` (JSON text): the body of an import.
    pub fn list_of(name: &str, record_schema: &str, max_items: usize) -> Result<Self, SchemaError> {
        let mut record: Value = serde_json::from_str(record_schema)
            .map_err(|e| SchemaError { name: name.to_owned(), reason: e.to_string() })?;
        // `$schema` may only stand at a document's root.
        if let Some(object) = record.as_object_mut() {
            object.remove("$schema");
        }
        Self::new(name, serde_json::json!({"type": "array", "maxItems": max_items, "items": record}))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The schema as written, for documentation (OpenAPI) and for other schemas built on it.
    pub fn source(&self) -> &Value {
        &self.source
    }

    /// Every rule `instance` breaks, as problems naming the field and the rule.
    pub fn check(&self, instance: &Value) -> Result<(), Vec<Problem>> {
        let mut found: Vec<Problem> = Vec::new();
        for error in self.compiled.iter_errors(instance) {
            for problem in messages::describe(&error, &self.source) {
                // jsonschema may report one failure twice (dependentRequired), and two
                // keywords may share one errorMessage: the first of a sentence stays.
                if !found.iter().any(|seen| seen.message == problem.message) {
                    found.push(problem);
                }
            }
        }
        if found.is_empty() { Ok(()) } else { Err(found) }
    }

    /// Reads a raw query string (`a=1&b=2,3`) as the schema describes it,
    /// validates it, and deserializes it.
    pub fn parse_query<T: DeserializeOwned>(&self, raw: Option<&str>) -> Result<T, HttpError> {
        let instance = query::to_instance(raw.unwrap_or(""), &self.source);
        self.parse_instance(instance)
    }

    /// Parses a JSON body, validates it, and deserializes it.
    pub fn parse_json<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, HttpError> {
        let instance: Value = serde_json::from_slice(body).map_err(|e| {
            HttpError::bad_request(Problem::new(Code::MalformedBody, format!("body is not valid JSON: {e}")))
        })?;
        self.parse_instance(instance)
    }

    fn parse_instance<T: DeserializeOwned>(&self, mut instance: Value) -> Result<T, HttpError> {
        numbers::whole_as_integers(&mut instance);
        self.check(&instance).map_err(HttpError::BadRequest)?;
        // Valid instances always fit T; should a schema and its type drift apart,
        // the client still gets a 400 rather than a crash.
        serde_json::from_value(instance)
            .map_err(|e| HttpError::bad_request(Problem::new(Code::InvalidValue, format!("{}: {e}", self.name))))
    }
}

#[cfg(test)]
mod tests;

pub mod id_batch;
pub mod name_search;
