//! Searches by name (`GET /bands/search?q=..&limit=..`, and the gateway's
//! public `GET /bands?q=..`): one schema for what a person may type, shared
//! by the services that answer and the gateway that asks.

use exceptions::HttpError;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{CompiledSchema, FromQuery, Schema, SchemaError};

/// The most names one search answers.
pub const MAX_NAMES: usize = 50;
/// Names answered when the search does not say.
pub const DEFAULT_NAMES: usize = 10;
/// The longest text a search takes.
pub const MAX_TEXT: usize = 100;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NameSearch {
    pub q: String,
    #[serde(default = "default_limit")]
    pub limit: usize,
}

fn default_limit() -> usize {
    DEFAULT_NAMES
}

static SCHEMA: CompiledSchema = CompiledSchema::new(schema);

impl FromQuery for NameSearch {
    type Params = Self;

    fn schema() -> Result<&'static Schema, &'static SchemaError> {
        SCHEMA.as_ref()
    }

    fn parse(search: Self) -> Result<Self, HttpError> {
        Ok(search)
    }
}

/// The rule for `q`: some text, not only spaces, at most [`MAX_TEXT`] characters.
pub fn text_property() -> Value {
    let blank = "q must not be empty or only spaces";
    json!({
        "description": "What the name holds, as a person types it: case, accents and punctuation do not matter (\"sigur ros\" finds \"Sigur Rós\").",
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_TEXT,
        "pattern": "\\S",
        "examples": ["sigur ros"],
        "errorMessage": {"minLength": blank, "pattern": blank},
        // One sentence, one code: an empty text is blank as spaces are.
        "errorCode": {"minLength": "invalid_format"}
    })
}

/// The rule for `limit`: 1 to [`MAX_NAMES`], [`DEFAULT_NAMES`] when not given.
pub fn limit_property() -> Value {
    json!({
        "description": format!("How many names at most (default {DEFAULT_NAMES})."),
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_NAMES,
        "default": DEFAULT_NAMES
    })
}

pub fn schema() -> Result<Schema, SchemaError> {
    Schema::new(
        "NameSearch",
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["q"],
            "properties": { "q": text_property(), "limit": limit_property() }
        }),
    )
}
