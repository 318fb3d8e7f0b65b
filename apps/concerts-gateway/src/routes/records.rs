//! One band or venue at a time: `GET /bands/{id}` (open to all), and the
//! writes `POST /bands`, `PATCH /bands/{id}`, `DELETE /bands/{id}` (a token
//! of scope `catalogue:write`); the same for venues. The owning service
//! checks the record and answers; the gateway relays its answer as it is.
//!
//! Deleting a band or a venue that still has concerts is refused (409, with
//! how many), unless asked with `?cascade=delete`: then its concerts are
//! deleted first, then it. No search shows a concert whose band or venue is
//! gone meanwhile: a page leaves out the concerts it cannot name.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use bands_model::Band;
use bootstrap::edits;
use exceptions::{ErrorBody, HttpError};
use serde::Deserialize;
use serde_json::json;
use validator::{CompiledSchema, FromQuery, Schema, SchemaError, Validated};
use venues_model::Venue;

use crate::clients::Owner;
use crate::context::RequestContext;
use crate::routes::record_id::RecordId;
use crate::state::State as Shared;
use crate::writes::{Call, Edit, JsonBytes, Step, answered, idempotency, succeeded};

/// A kind of record the gateway writes through to its service.
#[derive(Debug, Clone, Copy)]
pub struct Entity {
    pub owner: Owner,
    /// `band`: as messages say it.
    pub name: &'static str,
    /// `/bands`: where its records are, at the gateway and at the service.
    pub path: &'static str,
    /// `bandId`: how a concert names it.
    pub concerts_key: &'static str,
}

pub const BANDS: Entity = Entity { owner: Owner::Bands, name: "band", path: "/bands", concerts_key: "bandId" };
pub const VENUES: Entity = Entity { owner: Owner::Venues, name: "venue", path: "/venues", concerts_key: "venueId" };

/// Get one band, with its `ETag`.
#[utoipa::path(get, path = "/bands/{id}", tag = "catalogue", operation_id = "getBand",
    params(("id" = i64, Path, description = "The band's id")),
    responses(
        (status = 200, description = "The band; its `ETag` changes with each write of it", body = Band,
            example = json!({"id": 1, "name": "3 Doors Down"})),
        (status = 404, description = "No band has this id", body = ErrorBody),
    ))]
pub(crate) async fn read_band(
    gateway: State<Shared>,
    context: RequestContext,
    RecordId(id): RecordId,
) -> Result<Response, HttpError> {
    read(gateway, context, BANDS, id).await
}

/// Get one venue, with its `ETag`.
#[utoipa::path(get, path = "/venues/{id}", tag = "catalogue", operation_id = "getVenue",
    params(("id" = i64, Path, description = "The venue's id")),
    responses(
        (status = 200, description = "The venue; its `ETag` changes with each write of it", body = Venue),
        (status = 404, description = "No venue has this id", body = ErrorBody),
    ))]
pub(crate) async fn read_venue(
    gateway: State<Shared>,
    context: RequestContext,
    RecordId(id): RecordId,
) -> Result<Response, HttpError> {
    read(gateway, context, VENUES, id).await
}

/// Add a band; its id is given by the bands service.
///
/// With `Idempotency-Key`, the same key and body again within 24 hours get
/// the first answer back (the band is made once); the same key with another
/// body gets a 422.
#[utoipa::path(post, path = "/bands", tag = "catalogue", operation_id = "createBand",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry harmless: 1 to 200 characters, unique per create")),
    responses(
        (status = 201, description = "Made: the band, with `Location` and `ETag`", body = Band,
            example = json!({"id": 2001, "name": "The Velvet Owls"})),
    ))]
pub(crate) async fn create_band(
    gateway: State<Shared>,
    context: RequestContext,
    edit: Edit,
    headers: HeaderMap,
    JsonBytes(body): JsonBytes,
) -> Result<Response, HttpError> {
    create(gateway, context, edit, BANDS, headers, body).await
}

/// Add a venue; its id is given by the venues service.
///
/// `Idempotency-Key` as for `POST /bands`.
#[utoipa::path(post, path = "/venues", tag = "catalogue", operation_id = "createVenue",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry harmless: 1 to 200 characters, unique per create")),
    responses(
        (status = 201, description = "Made: the venue, with `Location` and `ETag`", body = Venue),
    ))]
pub(crate) async fn create_venue(
    gateway: State<Shared>,
    context: RequestContext,
    edit: Edit,
    headers: HeaderMap,
    JsonBytes(body): JsonBytes,
) -> Result<Response, HttpError> {
    create(gateway, context, edit, VENUES, headers, body).await
}

/// Change a band: a JSON merge patch (RFC 7396) of it.
///
/// With `If-Match` (its `ETag`), only if nobody changed it since (else 412).
#[utoipa::path(patch, path = "/bands/{id}", tag = "catalogue", operation_id = "changeBand",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The band's id"),
        ("If-Match" = Option<String>, Header, description = "The band's `ETag` as read: the change is made only if it is still current")),
    responses(
        (status = 200, description = "The band as it is now, with its new `ETag`", body = Band),
        (status = 404, description = "No band has this id", body = ErrorBody),
    ))]
pub(crate) async fn change_band(
    gateway: State<Shared>,
    context: RequestContext,
    edit: Edit,
    RecordId(id): RecordId,
    JsonBytes(body): JsonBytes,
) -> Result<Response, HttpError> {
    change(gateway, context, edit, BANDS, id, body).await
}

/// Change a venue: a JSON merge patch (RFC 7396) of it.
///
/// With `If-Match` (its `ETag`), only if nobody changed it since (else 412).
#[utoipa::path(patch, path = "/venues/{id}", tag = "catalogue", operation_id = "changeVenue",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The venue's id"),
        ("If-Match" = Option<String>, Header, description = "The venue's `ETag` as read: the change is made only if it is still current")),
    responses(
        (status = 200, description = "The venue as it is now, with its new `ETag`", body = Venue),
        (status = 404, description = "No venue has this id", body = ErrorBody),
    ))]
pub(crate) async fn change_venue(
    gateway: State<Shared>,
    context: RequestContext,
    edit: Edit,
    RecordId(id): RecordId,
    JsonBytes(body): JsonBytes,
) -> Result<Response, HttpError> {
    change(gateway, context, edit, VENUES, id, body).await
}

/// Delete a band.
///
/// A band with concerts is not deleted (409, saying how many) unless
/// `cascade=delete` is given: its concerts are then deleted too.
#[utoipa::path(delete, path = "/bands/{id}", tag = "catalogue", operation_id = "deleteBand",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The band's id"),
        ("If-Match" = Option<String>, Header, description = "The band's `ETag` as read: deleted only if it is still current")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No band has this id", body = ErrorBody),
        (status = 409, description = "The band has concerts, and `cascade=delete` was not given", body = ErrorBody),
    ))]
pub(crate) async fn delete_band(
    gateway: State<Shared>,
    context: RequestContext,
    edit: Edit,
    RecordId(id): RecordId,
    Validated(cascade): Validated<Cascade>,
) -> Result<Response, HttpError> {
    delete(gateway, context, edit, BANDS, id, cascade).await
}

/// Delete a venue.
///
/// A venue with concerts is not deleted (409, saying how many) unless
/// `cascade=delete` is given: its concerts are then deleted too.
#[utoipa::path(delete, path = "/venues/{id}", tag = "catalogue", operation_id = "deleteVenue",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The venue's id"),
        ("If-Match" = Option<String>, Header, description = "The venue's `ETag` as read: deleted only if it is still current")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No venue has this id", body = ErrorBody),
        (status = 409, description = "The venue has concerts, and `cascade=delete` was not given", body = ErrorBody),
    ))]
pub(crate) async fn delete_venue(
    gateway: State<Shared>,
    context: RequestContext,
    edit: Edit,
    RecordId(id): RecordId,
    Validated(cascade): Validated<Cascade>,
) -> Result<Response, HttpError> {
    delete(gateway, context, edit, VENUES, id, cascade).await
}

async fn read(
    State(gateway): State<Shared>,
    context: RequestContext,
    entity: Entity,
    id: i64,
) -> Result<Response, HttpError> {
    let answer = gateway.read_one(&context, entity.owner, &format!("{}/{id}", entity.path)).await?;
    Ok(answer.into_response())
}

async fn create(
    State(gateway): State<Shared>,
    context: RequestContext,
    edit: Edit,
    entity: Entity,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let once = idempotency(&headers, &body)?;
    let call = Call::new(entity.owner, Method::POST, entity.path).with_body(body).keyed(once.as_ref());
    let answer = gateway.relay(&context, &edit, call).await?;
    Ok(answer.into_response())
}

async fn change(
    State(gateway): State<Shared>,
    context: RequestContext,
    edit: Edit,
    entity: Entity,
    id: i64,
    body: Bytes,
) -> Result<Response, HttpError> {
    let path = format!("{}/{id}", entity.path);
    let answer = gateway.relay(&context, &edit, Call::new(entity.owner, Method::PATCH, &path).with_body(body)).await?;
    Ok(answer.into_response())
}

async fn delete(
    State(gateway): State<Shared>,
    context: RequestContext,
    edit: Edit,
    entity: Entity,
    id: i64,
    cascade: Cascade,
) -> Result<Response, HttpError> {
    let deleted: Step<Response> = async {
        let path = format!("{}/{id}", entity.path);
        // A precondition first (RFC 9110): a record changed since it was read is not judged by its concerts.
        if let Some(expected) = edit.expected {
            let current = succeeded(gateway.read_one(&context, entity.owner, &path).await?)?;
            let tag = current.etag.as_ref().and_then(|tag| tag.to_str().ok());
            if tag.and_then(edits::revision) != Some(expected) {
                let now = tag.unwrap_or("?");
                let message = format!("{} {id} has changed since: it is at revision {now}; read it again", entity.name);
                return Err(HttpError::PreconditionFailed(message).into());
            }
        }
        let count = format!("/concerts/count?{}={id}", entity.concerts_key);
        let concerts =
            succeeded(gateway.read_one(&context, Owner::Concerts, &count).await?)?.json::<Count>("concerts")?.count;
        if concerts > 0 {
            if cascade != Cascade::Delete {
                let counted = if concerts == 1 { "1 concert".to_owned() } else { format!("{concerts} concerts") };
                let message = format!(
                    "{} {id} has {counted}: delete them first, or delete it with ?cascade=delete (its concerts too)",
                    entity.name
                );
                return Err(HttpError::Conflict(message).into());
            }
            let of = format!("/concerts?{}={id}", entity.concerts_key);
            succeeded(gateway.relay(&context, &edit, Call::new(Owner::Concerts, Method::DELETE, &of)).await?)?;
        }
        Ok(gateway.relay(&context, &edit, Call::new(entity.owner, Method::DELETE, &path)).await?.into_response())
    }
    .await;
    Ok(answered(deleted))
}

#[derive(Deserialize)]
struct Count {
    count: u64,
}

/// `?cascade=delete`: whether a record's concerts go with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cascade {
    #[default]
    No,
    Delete,
}

#[derive(Deserialize)]
pub struct CascadeParams {
    cascade: Option<String>,
}

static CASCADE: CompiledSchema = CompiledSchema::new(|| {
    Schema::new(
        "Cascade",
        json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {"cascade": {"enum": ["delete"], "description": "`delete`: its concerts are deleted with it"}}
        }),
    )
});

impl FromQuery for Cascade {
    type Params = CascadeParams;

    fn schema() -> Result<&'static Schema, &'static SchemaError> {
        CASCADE.as_ref()
    }

    fn parse(params: CascadeParams) -> Result<Self, HttpError> {
        Ok(if params.cascade.is_some() { Cascade::Delete } else { Cascade::No })
    }
}
