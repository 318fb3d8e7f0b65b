//! Lookups by a batch of ids (`GET /bands?ids=1,2`, `GET /venues?ids=3`): one
//! schema for the services that answer them and one limit for the clients that
//! must split larger batches.

use exceptions::HttpError;
use serde::Deserialize;
use serde_json::json;

use crate::{CompiledSchema, FromQuery, Schema, SchemaError};

/// The largest id a record may have, as every record's schema says: the
/// largest whole number a JSON number holds exactly (2^53 - 1), so that
/// JavaScript clients read every id as it is.
pub const MAX_ID: i64 = 9_007_199_254_740_991;

/// The most ids one lookup may carry; it keeps a request line near 20 KB.
pub const MAX_IDS_PER_LOOKUP: usize = 1000;

/// `?ids=1,2`: the records to look up.
#[derive(Debug, Deserialize)]
pub struct IdBatch {
    pub ids: Vec<i64>,
}

static SCHEMA: CompiledSchema = CompiledSchema::new(schema);

impl FromQuery for IdBatch {
    type Params = Self;

    fn schema() -> Result<&'static Schema, &'static SchemaError> {
        SCHEMA.as_ref()
    }

    fn parse(batch: Self) -> Result<Self, HttpError> {
        Ok(batch)
    }
}

/// The rule for `ids`: 1 to [`MAX_IDS_PER_LOOKUP`] ids, each ≥ 1.
pub fn ids_property() -> serde_json::Value {
    json!({
        "description": "Ids: a comma separated list (ids=1,2), the key repeated (ids=1&ids=2), or both.",
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "minItems": 1,
        "maxItems": MAX_IDS_PER_LOOKUP,
        "examples": [[1, 2]]
    })
}

pub fn schema() -> Result<Schema, SchemaError> {
    Schema::new(
        "IdBatch",
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["ids"],
            "properties": { "ids": ids_property() }
        }),
    )
}
