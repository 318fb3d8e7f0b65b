//! What a store can fail with, whatever the backend (SQLite or MongoDB).
//! Each failure keeps the error it comes from, for the log.

/// The error a store failure comes from.
pub type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or opened right now; retrying later may work.
    #[error("store unavailable: {context}")]
    Unavailable {
        context: String,
        #[source]
        source: Option<Source>,
    },
    /// The database answered with an error: a bug or corrupted data, not the client's fault.
    #[error("store failure: {context}")]
    Backend {
        context: String,
        #[source]
        source: Option<Source>,
    },
    /// The disk of the store has no room left for a write; nothing of it was kept.
    #[error("store full: {context}")]
    Full {
        context: String,
        #[source]
        source: Option<Source>,
    },
}

impl StoreError {
    /// Unavailable for now because of `source`.
    pub fn unavailable(context: impl Into<String>, source: impl Into<Source>) -> Self {
        Self::Unavailable { context: context.into(), source: Some(source.into()) }
    }

    /// Failed because of `source`.
    pub fn backend(context: impl Into<String>, source: impl Into<Source>) -> Self {
        Self::Backend { context: context.into(), source: Some(source.into()) }
    }

    /// No room left for a write, because of `source`.
    pub fn full(context: impl Into<String>, source: impl Into<Source>) -> Self {
        Self::Full { context: context.into(), source: Some(source.into()) }
    }

    /// Failed, as the store itself found (no underlying error).
    pub fn backend_because(context: impl Into<String>) -> Self {
        Self::Backend { context: context.into(), source: None }
    }

    /// Unavailable, as the store itself found (no underlying error).
    pub fn unavailable_because(context: impl Into<String>) -> Self {
        Self::Unavailable { context: context.into(), source: None }
    }

    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}
