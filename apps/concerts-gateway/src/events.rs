//! The catalogue's changes on NATS JetStream, as the gateway follows them
//! when `NATS_URL` is set (the services relay their logs there:
//! `bootstrap::relay`). Each follower opens its own subscription; when the
//! broker fails, the followers poll the services' logs until it is back.

use changes_model::Change;
use events::{Broker, EventsError, From};
use exceptions::HttpError;
use futures::Stream;

use crate::clients::Owner;

/// How long the stream keeps changes when the gateway is the first to open it
/// (the services open it with their `CHANGE_RETENTION_DAYS`).
const RETENTION: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// The NATS server the changes come from.
#[derive(Debug, Clone)]
pub struct EventSource {
    url: String,
}

/// Why following stopped for now.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error(transparent)]
    Events(#[from] EventsError),
    #[error("cannot read the change log")]
    Log(#[from] HttpError),
    #[error("the subscription ended")]
    Ended,
    #[error("the connection to NATS is lost")]
    Disconnected,
}

/// How often a quiet subscription checks that its connection is up.
const CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// A subscription to one entity's changes.
pub struct Subscription<S> {
    broker: Broker,
    changes: std::pin::Pin<Box<S>>,
}

impl<S: Stream<Item = Result<Change, EventsError>>> Subscription<S> {
    /// The next change; an error when the connection is lost (checked every
    /// second while nothing comes) or the subscription ends.
    pub async fn next(&mut self) -> Result<Change, FollowError> {
        use futures::StreamExt;
        loop {
            match tokio::time::timeout(CHECK_EVERY, self.changes.next()).await {
                Ok(Some(change)) => return Ok(change?),
                Ok(None) => return Err(FollowError::Ended),
                Err(_) if !self.broker.connected() => return Err(FollowError::Disconnected),
                Err(_) => {}
            }
        }
    }

    /// The changes that came already, after the next one ([`Self::next`]).
    pub fn ready(&mut self) -> Result<Vec<Change>, FollowError> {
        use futures::FutureExt;
        use futures::StreamExt;
        let mut ready = Vec::new();
        while let Some(Some(change)) = self.changes.next().now_or_never() {
            ready.push(change?);
        }
        Ok(ready)
    }
}

impl EventSource {
    pub fn new(url: String) -> Self {
        Self { url }
    }

    /// `owner`'s changes from now on, in order.
    pub async fn follow(
        &self,
        owner: Owner,
    ) -> Result<Subscription<impl Stream<Item = Result<Change, EventsError>> + use<>>, EventsError> {
        let broker = Broker::connect(&self.url, RETENTION).await?;
        let changes = Box::pin(broker.follow(owner.name(), From::Now).await?);
        Ok(Subscription { broker, changes })
    }
}
