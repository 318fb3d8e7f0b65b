//! A band, as the bands service stores it and the other apps receive it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// JSON Schema of one band record, as imported (`PUT /bands`) and as in `bands.json`.
pub const BAND_SCHEMA: &str = include_str!("../schemas/band.schema.json");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Band {
    pub id: i64,
    pub name: String,
}
