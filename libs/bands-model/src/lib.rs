//! A band, as the bands service stores it and the other apps receive it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// JSON Schema of one band record, as imported (`PUT /bands`) and as in `bands.json`.
pub const BAND_SCHEMA: &str = include_str!("../schemas/band.schema.json");
/// JSON Schema of a band to add (`POST /bands`).
pub const BAND_DRAFT_SCHEMA: &str = include_str!("../schemas/band-draft.schema.json");
/// JSON Schema of a merge patch of a band (`PATCH /bands/{id}`).
pub const BAND_PATCH_SCHEMA: &str = include_str!("../schemas/band-patch.schema.json");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Band {
    pub id: i64,
    pub name: String,
}

/// A band to add: the bands service gives it its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NewBand {
    pub name: String,
}
