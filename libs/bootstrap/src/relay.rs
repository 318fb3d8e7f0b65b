//! With `NATS_URL` set, an entity service relays its change log to NATS
//! JetStream ([`events`]), for the consumers of a deployment at scale.
//!
//! The log is the outbox: a change is committed with its entry, and the
//! relay publishes entries after the last one the stream holds. Writes never
//! wait for NATS: while it is down they go on, and the relay publishes what
//! they logged once it is back; a service killed between a commit and its
//! relay publishes the change after it starts again. Each message's id is
//! the entity and the position, so what is published twice is stored once.

use std::sync::Arc;
use std::time::Duration;

use events::{Broker, EventsError};
use exceptions::StoreError;

use crate::changes::{ChangeLog, next_commit};

/// Entries published at once.
const BATCH: usize = 1000;
/// How long to wait for a commit before the log is looked at anyway.
const LOOK_AGAIN: Duration = Duration::from_secs(1);
/// How long to wait before trying again after a failure.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Why the relay stopped for now.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Broker(#[from] EventsError),
    #[error("cannot read the change log")]
    Log(#[from] StoreError),
}

/// Relays `entity`'s log to the NATS at `url` in the background, for as
/// long as the process runs, trying again a second after each failure.
pub fn relay(url: String, entity: &'static str, log: Arc<dyn ChangeLog>, retention: Duration) {
    tokio::spawn(async move {
        let mut failing = false;
        loop {
            let Err(error) = relay_on(&url, entity, log.as_ref(), retention, &mut failing).await;
            if !failing {
                tracing::warn!(%url, error = %exceptions::chain(&error), "the change log is not relayed to NATS for now: writes go on, and what they log is relayed once NATS is back");
                failing = true;
            }
            tokio::time::sleep(RETRY_AFTER).await;
        }
    });
}

/// Publishes the log from where the stream ends, then each entry as it is
/// committed, until something fails.
async fn relay_on(
    url: &str,
    entity: &'static str,
    log: &dyn ChangeLog,
    retention: Duration,
    failing: &mut bool,
) -> Result<std::convert::Infallible, RelayError> {
    let broker = Broker::connect(url, retention).await?;
    let mut position = broker.last_relayed(entity).await?;
    tracing::info!(%url, entity, position, "relaying the change log to NATS JetStream");
    *failing = false;
    loop {
        let next = next_commit();
        let page = log.changes_after(position, BATCH).await?;
        let Some(last) = page.changes.last().map(|change| change.position) else {
            let _ = tokio::time::timeout(LOOK_AGAIN, next).await;
            continue;
        };
        broker.publish(entity, &page.changes).await?;
        position = last;
        crate::telemetry::record_change_log_relayed(entity, position);
    }
}
