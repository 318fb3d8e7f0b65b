//! What a store can fail with, whatever the backend (SQLite today, MongoDB next).

use crate::HttpError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or opened right now; retrying later may work.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The database answered with an error: a bug or corrupted data, not the client's fault.
    #[error("store failure: {0}")]
    Backend(String),
}

impl From<StoreError> for HttpError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "store unavailable");
                HttpError::ServiceUnavailable("the store is unavailable, retry later".to_owned())
            }
            StoreError::Backend(detail) => HttpError::Internal(detail),
        }
    }
}
