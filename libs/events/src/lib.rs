//! The catalogue's changes as events on NATS JetStream, for deployments at
//! scale: each entity service relays its change log to one stream,
//! `CATALOGUE`, and whoever keeps a copy (the gateways, partners) follows
//! the stream instead of polling the services.
//!
//! - A change is published on `catalogue.<entity>.<kind>` (for example
//!   `catalogue.concerts.updated`), its payload the log's entry as the
//!   service serves it at `GET /changes` ([`Change`], with its position).
//! - Its message id (`Nats-Msg-Id`) is its entity and position
//!   (`concerts-42`): JetStream keeps one message per id within its
//!   duplicate window, so a relay that publishes again what it is not sure
//!   was stored (at least once) stores nothing twice.
//! - A relay starts after the last position the stream holds for its
//!   entity ([`Broker::last_relayed`]): what the stream holds is the relay's
//!   cursor, so a relay that died anywhere between its service's commit and
//!   the broker's acknowledgement relays the rest when it starts again.

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::consumer::DeliverPolicy;
use async_nats::jetstream::consumer::pull::OrderedConfig;
use async_nats::jetstream::stream::{Config, LastRawMessageErrorKind, StorageType, Stream};
use async_nats::jetstream::{self, Context};
use changes_model::Change;
use futures::{Stream as Messages, StreamExt};

/// The stream that holds every service's changes.
pub const STREAM: &str = "CATALOGUE";
/// How long JetStream remembers a message id to drop its duplicates.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// How long a connection may take before the broker counts as down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Why the broker could not be used.
#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    #[error("cannot connect to NATS at {url}")]
    Connect {
        url: String,
        #[source]
        source: async_nats::ConnectError,
    },
    #[error("cannot open the JetStream stream {STREAM}")]
    Stream(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("cannot write change {id} as JSON")]
    Encode {
        id: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot publish change {id}")]
    Publish {
        id: String,
        #[source]
        source: async_nats::jetstream::context::PublishError,
    },
    #[error("cannot follow {subject}")]
    Follow {
        subject: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("message {sequence} of {STREAM} is not a change")]
    Unreadable {
        sequence: u64,
        #[source]
        source: serde_json::Error,
    },
}

/// The subject a change of `entity` of this kind is published on.
pub fn subject(entity: &str, change: &Change) -> String {
    format!("catalogue.{entity}.{}", change.kind.as_str())
}

/// Every subject of `entity`'s changes.
pub fn subjects_of(entity: &str) -> String {
    format!("catalogue.{entity}.>")
}

/// A change's message id: its entity and its position in its service's log.
pub fn message_id(entity: &str, change: &Change) -> String {
    format!("{entity}-{}", change.position)
}

/// Where a follower starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum From {
    /// From the oldest change the stream holds.
    Start,
    /// From the next change published.
    Now,
}

/// A connection to NATS with the catalogue's stream open.
#[derive(Clone)]
pub struct Broker {
    client: async_nats::Client,
    jetstream: Context,
    stream: Stream,
}

impl Broker {
    /// Connects to `url` and opens the stream (made when missing, keeping
    /// changes for `retention`, like the services' logs).
    pub async fn connect(url: &str, retention: Duration) -> Result<Self, EventsError> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(CONNECT_TIMEOUT)
            .connect(url)
            .await
            .map_err(|source| EventsError::Connect { url: url.to_owned(), source })?;
        let jetstream = jetstream::new(client.clone());
        let stream = jetstream
            .get_or_create_stream(Config {
                name: STREAM.to_owned(),
                subjects: vec!["catalogue.>".to_owned()],
                storage: StorageType::File,
                max_age: retention,
                duplicate_window: DUPLICATE_WINDOW,
                ..Default::default()
            })
            .await
            .map_err(|error| EventsError::Stream(error.into()))?;
        Ok(Self { client, jetstream, stream })
    }

    /// Whether the connection is up now. (While it is down the client
    /// connects again in the background; a follower's subscription simply
    /// brings nothing meanwhile, so a follower asks this to know.)
    pub fn connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// The position of the last change of `entity` the stream holds (0: none).
    pub async fn last_relayed(&self, entity: &str) -> Result<i64, EventsError> {
        match self.stream.get_last_raw_message_by_subject(&subjects_of(entity)).await {
            Ok(message) => {
                let change: Change = serde_json::from_slice(&message.payload)
                    .map_err(|source| EventsError::Unreadable { sequence: message.sequence, source })?;
                Ok(change.position)
            }
            Err(error) if error.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(0),
            Err(error) => Err(EventsError::Stream(error.into())),
        }
    }

    /// Publishes `changes` of `entity`, in order, and waits until the stream
    /// has stored each (a duplicate of a message it holds counts as stored).
    /// The publishes are sent one after another without waiting, then their
    /// acknowledgements awaited: one round trip for the batch.
    pub async fn publish(&self, entity: &str, changes: &[Change]) -> Result<(), EventsError> {
        let mut acknowledgements = Vec::with_capacity(changes.len());
        for change in changes {
            let id = message_id(entity, change);
            let payload =
                serde_json::to_vec(change).map_err(|source| EventsError::Encode { id: id.clone(), source })?;
            let mut headers = HeaderMap::new();
            headers.insert("Nats-Msg-Id", id.as_str());
            let sent = self.jetstream.publish_with_headers(subject(entity, change), headers, payload.into()).await;
            acknowledgements.push((id, sent));
        }
        for (id, sent) in acknowledgements {
            let acknowledgement = match sent {
                Ok(pending) => pending.await,
                Err(error) => Err(error),
            };
            acknowledgement.map_err(|source| EventsError::Publish { id, source })?;
        }
        Ok(())
    }

    /// The changes of `entity`, in the order they were published, from
    /// `from`; the stream ends when the connection is lost for good.
    pub async fn follow(
        &self,
        entity: &str,
        from: From,
    ) -> Result<impl Messages<Item = Result<Change, EventsError>> + use<>, EventsError> {
        let subject = subjects_of(entity);
        let deliver_policy = match from {
            From::Start => DeliverPolicy::All,
            From::Now => DeliverPolicy::New,
        };
        let failed =
            |source: Box<dyn std::error::Error + Send + Sync>| EventsError::Follow { subject: subject.clone(), source };
        let consumer = self
            .stream
            .create_consumer(OrderedConfig { filter_subject: subject.clone(), deliver_policy, ..Default::default() })
            .await
            .map_err(|error| failed(error.into()))?;
        let messages = consumer.messages().await.map_err(|error| failed(error.into()))?;
        let subject = subject.clone();
        Ok(messages.map(move |message| {
            let message =
                message.map_err(|error| EventsError::Follow { subject: subject.clone(), source: error.into() })?;
            let sequence = message.info().map(|info| info.stream_sequence).unwrap_or_default();
            serde_json::from_slice(&message.payload).map_err(|source| EventsError::Unreadable { sequence, source })
        }))
    }
}
