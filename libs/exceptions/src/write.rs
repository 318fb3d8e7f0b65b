//! Why a write of one record was not made, whatever the store: what the
//! client can act on (no such record, it changed meanwhile, another holds
//! its identity, it breaks a rule, the key was used for another request), or
//! the store's own failure.

use crate::{HttpError, Problem, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("no such record")]
    NotFound,
    /// `If-Match` named another revision: the record is at `current`.
    #[error("the record is at revision {current}")]
    Stale { current: i64 },
    /// Another record already holds what must be unique.
    #[error("{0}")]
    Conflict(String),
    /// The record the write would make breaks a rule.
    #[error("invalid record: {}", crate::sentences(.0))]
    Invalid(Vec<Problem>),
    /// The `Idempotency-Key` was given before, for another request.
    #[error("the key was given for another request")]
    KeyReused,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WriteError {
    /// The answer to a write of the `kind` record `id` (none for a create).
    pub fn into_http(self, kind: &str, id: Option<i64>) -> HttpError {
        let named = || match id {
            Some(id) => format!("{kind} {id}"),
            None => kind.to_owned(),
        };
        match self {
            WriteError::NotFound => HttpError::NotFound(named()),
            WriteError::Stale { current } => HttpError::PreconditionFailed(format!(
                "{} has changed since: it is at revision \"{current}\"; read it again",
                named()
            )),
            WriteError::Conflict(why) => HttpError::Conflict(why),
            WriteError::Invalid(problems) => HttpError::BadRequest(problems),
            WriteError::KeyReused => HttpError::IdempotencyKeyReused(
                "this Idempotency-Key was used for another request: use a new key for a new request".to_owned(),
            ),
            WriteError::Store(error) => HttpError::Store(error),
        }
    }
}
