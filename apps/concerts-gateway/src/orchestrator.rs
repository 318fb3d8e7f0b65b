//! `POST /concerts`: the step-2 orchestrator. A concert may come with a new
//! band and a new venue instead of ids; the gateway makes what is new in
//! order (the band, then the venue, then the concert), each by the service
//! that owns it, and when a later step fails it deletes what the earlier
//! ones made: the client sees all of it, or none.
//!
//! Safe to retry at any step: with an `Idempotency-Key` K, each step is sent
//! with its own key (`K/band`, `K/venue`, `K/concert`) and the fingerprint of
//! the whole request, so a retry after a crash finds what was already made
//! (the services remember a key with its record) and makes only the rest;
//! the same K with another body is refused at the first step. What a
//! compensation deletes takes its key with it, so a retry makes it again.
//!
//! A step that failed without a clear answer (the service died, or did not
//! answer in time: it may have made the record) is not compensated when the
//! client gave a key: the record may exist, and a retry with the key finds it
//! and goes on, where a deletion could leave a concert naming a band deleted
//! under it. A refusal (4xx) is compensated, and so is any failure without a key.

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bands_model::NewBand;
use bootstrap::edits::Once;
use concerts_model::{NewConcert, Status};
use exceptions::{Code, HttpError, Problem};
use serde::Deserialize;
use venues_model::NewVenue;

use crate::clients::{Owner, ServiceAnswer};
use crate::context::RequestContext;
use crate::routes::records::{BANDS, Entity, VENUES};
use crate::state::Gateway;
use crate::writes::{Call, Edit, Step, succeeded, to_body};

/// A record a concert names: one that exists, or a new one to make.
#[derive(Debug, Clone, PartialEq)]
pub enum Part<D> {
    Existing(i64),
    New(D),
}

/// A concert to make, with what it names.
#[derive(Debug, Clone, PartialEq)]
pub struct ConcertCreate {
    pub band: Part<NewBand>,
    pub venue: Part<NewVenue>,
    /// UNIX ms.
    pub date: i64,
    pub status: Status,
}

/// Makes `create`; `key` is the client's `Idempotency-Key`, `asked` the
/// fingerprint of its whole request. The concert service's answer (201,
/// `Location`, the concert), or the refusal of the step that failed.
pub async fn make(
    gateway: &Gateway,
    context: &RequestContext,
    edit: &Edit,
    create: ConcertCreate,
    key: Option<&str>,
    asked: &str,
) -> Response {
    let step = |name: &str| key.map(|key| Once { key: format!("{key}/{name}"), fingerprint: asked.to_owned() });
    let mut made: Vec<(Entity, i64)> = Vec::new();
    let result = async {
        let band_id = named(gateway, context, edit, BANDS, create.band, step("band"), &mut made).await?;
        let venue_id = named(gateway, context, edit, VENUES, create.venue, step("venue"), &mut made).await?;
        let concert = NewConcert { band_id, venue_id, date: create.date, status: create.status };
        let once = step("concert");
        let call =
            Call::new(Owner::Concerts, Method::POST, "/concerts").with_body(to_body(&concert)?).keyed(once.as_ref());
        succeeded(gateway.relay(context, edit, call).await?)
    }
    .await;
    match result {
        Ok(answer) => answer.into_response(),
        Err(refusal) => {
            if key.is_none() || !refusal.is_uncertain() {
                compensate(gateway, context, edit, &made).await;
            }
            refusal.into_response()
        }
    }
}

/// The id of the band or venue `part` names: checked to exist, or made now
/// (and noted in `made`).
async fn named<D: serde::Serialize>(
    gateway: &Gateway,
    context: &RequestContext,
    edit: &Edit,
    entity: Entity,
    part: Part<D>,
    once: Option<Once>,
    made: &mut Vec<(Entity, i64)>,
) -> Step<i64> {
    match part {
        Part::Existing(id) => {
            exists(gateway, context, entity, id).await?;
            Ok(id)
        }
        Part::New(draft) => {
            let call =
                Call::new(entity.owner, Method::POST, entity.path).with_body(to_body(&draft)?).keyed(once.as_ref());
            let answer = succeeded(gateway.relay(context, edit, call).await?)?;
            let id = id_of(&answer, entity)?;
            made.push((entity, id));
            Ok(id)
        }
    }
}

/// That `entity` `id` exists, asked of its service now (not of a cache: it
/// may have been deleted a moment ago); else a 400 naming it.
pub async fn exists(gateway: &Gateway, context: &RequestContext, entity: Entity, id: i64) -> Step<()> {
    let answer = gateway.read_one(context, entity.owner, &format!("{}/{id}", entity.path)).await?;
    if answer.status == StatusCode::NOT_FOUND {
        let message = format!("{} {id}: no {} has this id", entity.concerts_key, entity.name);
        return Err(HttpError::bad_request(Problem::at(Code::NotFound, entity.concerts_key, message)).into());
    }
    succeeded(answer).map(|_| ())
}

fn id_of(answer: &ServiceAnswer, entity: Entity) -> Result<i64, HttpError> {
    #[derive(Deserialize)]
    struct Made {
        id: i64,
    }
    answer.json::<Made>(entity.name).map(|made| made.id)
}

/// Deletes what the failed request made, the latest first. A deletion that
/// fails is logged: the record stays until the client retries with the same
/// key (which then finds and uses it).
async fn compensate(gateway: &Gateway, context: &RequestContext, edit: &Edit, made: &[(Entity, i64)]) {
    // The compensation has its own time: the request's may be what ran out.
    let context = context.renewed();
    for (entity, id) in made.iter().rev() {
        let path = format!("{}/{id}", entity.path);
        let deleted = gateway.relay(&context, edit, Call::new(entity.owner, Method::DELETE, &path)).await;
        match deleted {
            Ok(answer) if answer.is_success() || answer.status == StatusCode::NOT_FOUND => {
                tracing::info!(who = %edit.writer.name, path, "compensated: deleted what a failed create made");
            }
            Ok(answer) => {
                tracing::error!(path, status = answer.status.as_u16(), "a compensation was refused: the record stays")
            }
            Err(error) => tracing::error!(path, %error, "a compensation failed: the record stays"),
        }
    }
}
