//! One concert at a time: `GET /concerts/{id}` (open to all), and the writes
//! `POST /concerts` (with a new band and venue if need be: the
//! [`crate::orchestrator`]), `PATCH /concerts/{id}` (a new date reschedules
//! it) and `DELETE /concerts/{id}` (a token of scope `catalogue:write`).
//!
//! A concert names a band and a venue that exist: each id a write gives is
//! asked of the service that owns it, and a missing one is a 400 naming it.
//! Dates are UNIX milliseconds or a date-time with its zone; the services are
//! sent milliseconds.

use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use bands_model::NewBand;
use bootstrap::edits::{fingerprint, idempotency_key};
use chrono::DateTime;
use concerts_model::{ConcertRecord, Status};
use exceptions::{Code, ErrorBody, HttpError, Problem};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use validator::{CompiledSchema, FromBody, Schema, SchemaError, ValidatedJson};
use venues_model::NewVenue;

use crate::clients::Owner;
use crate::context::RequestContext;
use crate::orchestrator::{self, ConcertCreate, Part, exists};
use crate::routes::record_id::RecordId;
use crate::routes::records::{BANDS, VENUES};
use crate::state::State as Shared;
use crate::writes::{Call, Edit, Step, answered, to_body};

pub const CREATE_SCHEMA: &str = include_str!("../../schemas/concert-create.schema.json");
pub const EDIT_SCHEMA: &str = include_str!("../../schemas/concert-edit.schema.json");

static CREATE: CompiledSchema = CompiledSchema::new(|| Schema::from_json_text("ConcertCreate", CREATE_SCHEMA));
static EDIT: CompiledSchema = CompiledSchema::new(|| Schema::from_json_text("ConcertEdit", EDIT_SCHEMA));

/// Get one concert, with its `ETag`.
#[utoipa::path(get, path = "/concerts/{id}", tag = "catalogue", operation_id = "getConcert",
    params(("id" = i64, Path, description = "The concert's id (it stays when the concert is rescheduled)")),
    responses(
        (status = 200, description = "The concert: `previousDate` is the date before it was rescheduled", body = ConcertRecord,
            example = json!({"id": 9012, "bandId": 12, "venueId": 345, "date": 1811956200000_i64, "status": "rescheduled", "previousDate": 1811869800000_i64})),
        (status = 404, description = "No concert has this id", body = ErrorBody),
    ))]
pub(crate) async fn read_concert(
    State(gateway): State<Shared>,
    context: RequestContext,
    RecordId(id): RecordId,
) -> Result<Response, HttpError> {
    Ok(gateway.read_one(&context, Owner::Concerts, &format!("/concerts/{id}")).await?.into_response())
}

/// Add a concert, with a new band and a new venue if need be.
///
/// Give `bandId` (a band that exists) or `band` (a new one), and `venueId`
/// or `venue`. What is new is made first, the band then the venue, then the
/// concert; if a step fails, what the earlier steps made is deleted. With
/// `Idempotency-Key`, the same key and body again within 24 hours get the
/// first answer back, even after a failure half-way; the same key with
/// another body gets a 422.
#[utoipa::path(post, path = "/concerts", tag = "catalogue", operation_id = "createConcert",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry harmless: 1 to 200 characters, unique per create")),
    responses(
        (status = 201, description = "Made: the concert, with `Location` and `ETag`", body = ConcertRecord,
            example = json!({"id": 20001, "bandId": 2001, "venueId": 10001, "date": 1811956200000_i64, "status": "scheduled"})),
        (status = 409, description = "The band already plays this venue at this date (another concert)", body = ErrorBody),
    ))]
pub(crate) async fn create_concert(
    State(gateway): State<Shared>,
    context: RequestContext,
    edit: Edit,
    headers: HeaderMap,
    ValidatedJson(create): ValidatedJson<ConcertCreate>,
) -> Result<Response, HttpError> {
    let key = idempotency_key(&headers)?;
    let asked = fingerprint(&to_body(&create.fingerprinted())?);
    Ok(orchestrator::make(&gateway, &context, &edit, create, key.as_deref(), &asked).await)
}

/// Change a concert: a JSON merge patch (RFC 7396) of it.
///
/// A new `date` reschedules it: its status becomes `rescheduled` (unless the
/// patch gives one) and `previousDate` keeps the date before. `status`
/// postpones or cancels it. With `If-Match` (its `ETag`), only if nobody
/// changed it since (else 412).
#[utoipa::path(patch, path = "/concerts/{id}", tag = "catalogue", operation_id = "changeConcert",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The concert's id"),
        ("If-Match" = Option<String>, Header, description = "The concert's `ETag` as read: the change is made only if it is still current")),
    responses(
        (status = 200, description = "The concert as it is now, with its new `ETag`", body = ConcertRecord),
        (status = 404, description = "No concert has this id", body = ErrorBody),
        (status = 409, description = "The band already plays this venue at this date (another concert)", body = ErrorBody),
    ))]
pub(crate) async fn change_concert(
    State(gateway): State<Shared>,
    context: RequestContext,
    edit: Edit,
    RecordId(id): RecordId,
    ValidatedJson(change): ValidatedJson<ConcertEdit>,
) -> Result<Response, HttpError> {
    let changed: Step<Response> = async {
        if let Some(band_id) = change.band_id {
            exists(&gateway, &context, BANDS, band_id).await?;
        }
        if let Some(venue_id) = change.venue_id {
            exists(&gateway, &context, VENUES, venue_id).await?;
        }
        let path = format!("/concerts/{id}");
        let call = Call::new(Owner::Concerts, Method::PATCH, &path).with_body(to_body(&change.patch())?);
        Ok(gateway.relay(&context, &edit, call).await?.into_response())
    }
    .await;
    Ok(answered(changed))
}

/// Delete a concert (to call one off and keep it listed, set its status to `cancelled`).
#[utoipa::path(delete, path = "/concerts/{id}", tag = "catalogue", operation_id = "deleteConcert",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The concert's id"),
        ("If-Match" = Option<String>, Header, description = "The concert's `ETag` as read: deleted only if it is still current")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No concert has this id", body = ErrorBody),
    ))]
pub(crate) async fn delete_concert(
    State(gateway): State<Shared>,
    context: RequestContext,
    edit: Edit,
    RecordId(id): RecordId,
) -> Result<Response, HttpError> {
    let path = format!("/concerts/{id}");
    Ok(gateway.relay(&context, &edit, Call::new(Owner::Concerts, Method::DELETE, &path)).await?.into_response())
}

/// A date as a write gives it: UNIX ms, or a date-time with its zone (the schema checked the form).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DateGiven {
    Millis(i64),
    Text(String),
}

impl DateGiven {
    fn millis(self, field: &str) -> Result<i64, HttpError> {
        match self {
            DateGiven::Millis(millis) => Ok(millis),
            DateGiven::Text(text) => {
                DateTime::parse_from_rfc3339(&text).map(|moment| moment.timestamp_millis()).map_err(|_| {
                    let message = format!("{field} must be a date-time with its zone (2027-06-01T20:30:00Z)");
                    HttpError::bad_request(Problem::at(Code::InvalidDate, field, message))
                })
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConcertCreateParams {
    band_id: Option<i64>,
    band: Option<NewBand>,
    venue_id: Option<i64>,
    venue: Option<NewVenue>,
    date: DateGiven,
    status: Option<Status>,
}

impl FromBody for ConcertCreate {
    type Params = ConcertCreateParams;

    fn schema() -> Result<&'static Schema, &'static SchemaError> {
        CREATE.as_ref()
    }

    fn parse(params: ConcertCreateParams) -> Result<Self, HttpError> {
        fn part<D>(id: Option<i64>, new: Option<D>) -> Result<Part<D>, HttpError> {
            match (id, new) {
                (Some(id), None) => Ok(Part::Existing(id)),
                (None, Some(new)) => Ok(Part::New(new)),
                _ => Err(HttpError::Internal("the create schema let a concert without one band or venue in".into())),
            }
        }
        Ok(ConcertCreate {
            band: part(params.band_id, params.band)?,
            venue: part(params.venue_id, params.venue)?,
            date: params.date.millis("date")?,
            status: params.status.unwrap_or_default(),
        })
    }
}

/// A change of a concert: what the patch sets (a merge patch of a concert
/// has no field to remove).
#[derive(Debug, Clone, PartialEq)]
pub struct ConcertEdit {
    pub band_id: Option<i64>,
    pub venue_id: Option<i64>,
    pub date: Option<i64>,
    pub status: Option<Status>,
}

impl ConcertEdit {
    /// The merge patch the concerts service is sent (dates in milliseconds).
    pub(crate) fn patch(&self) -> Value {
        let mut patch = Map::new();
        let fields = [
            ("bandId", self.band_id.map(Value::from)),
            ("venueId", self.venue_id.map(Value::from)),
            ("date", self.date.map(Value::from)),
            ("status", self.status.map(|status| Value::from(status.name()))),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                patch.insert(name.to_owned(), value);
            }
        }
        Value::Object(patch)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConcertEditParams {
    band_id: Option<i64>,
    venue_id: Option<i64>,
    date: Option<DateGiven>,
    status: Option<Status>,
}

impl FromBody for ConcertEdit {
    type Params = ConcertEditParams;

    fn schema() -> Result<&'static Schema, &'static SchemaError> {
        EDIT.as_ref()
    }

    fn parse(params: ConcertEditParams) -> Result<Self, HttpError> {
        Ok(ConcertEdit {
            band_id: params.band_id,
            venue_id: params.venue_id,
            date: params.date.map(|date| date.millis("date")).transpose()?,
            status: params.status,
        })
    }
}

impl ConcertCreate {
    /// What the request asks, as the key's fingerprint is made of: the same
    /// request gives the same text, however its JSON was spaced.
    pub(crate) fn fingerprinted(&self) -> Value {
        let part = |id: &Part<Value>| match id {
            Part::Existing(id) => json!({"id": id}),
            Part::New(new) => json!({"new": new}),
        };
        let band = match &self.band {
            Part::Existing(id) => Part::Existing(*id),
            Part::New(new) => Part::New(json!({"name": new.name})),
        };
        let venue = match &self.venue {
            Part::Existing(id) => Part::Existing(*id),
            Part::New(new) => {
                Part::New(json!({"name": new.name, "latitude": new.latitude, "longitude": new.longitude}))
            }
        };
        json!({"band": part(&band), "venue": part(&venue), "date": self.date, "status": self.status.name()})
    }
}
