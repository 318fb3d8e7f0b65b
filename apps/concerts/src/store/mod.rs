//! Where concerts are kept: SQLite by default, MongoDB when configured. Routes
//! see only these traits, so the backend changes nothing above them.

pub mod mongo;
mod sqlite;
mod venue_order;

pub use mongo::MongoConcertStore;
pub use sqlite::SqliteConcertStore;
use venue_order::VenueOrderPlan;

use async_trait::async_trait;
use bootstrap::RecordStore;
use bootstrap::changes::ChangeLog;
use bootstrap::edits::EditableStore;
use concerts_model::{Concert, ConcertCounts, ConcertFilter, ConcertRecord, GroupBy, NewConcert, Order, Position};
use exceptions::StoreError;

/// A band or a venue, as what concerts are of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Band(i64),
    Venue(i64),
}

/// Concert search, bulk loads, writes one at a time ([`EditableStore`]) and
/// what the rules across services ask (how many concerts a band or venue
/// has; deleting them all); imports (a concert already stored is kept once)
/// and emptiness come from [`RecordStore`].
#[async_trait]
pub trait ConcertStore: RecordStore<NewConcert> + EditableStore<ConcertRecord, NewConcert> + ChangeLog {
    /// The concerts `filter` matches in `order`, ready to be read page by
    /// page: what a search needs from its filter is worked out once, whatever
    /// the number of pages. With [`Order::VenuesInOrder`] the filter's venues
    /// are in the order their concerts come.
    fn search(&self, filter: ConcertFilter, order: Order) -> Box<dyn ConcertPages>;

    /// Sets `concerts` aside for [`Self::commit_staged`], for a bulk load:
    /// durable, but not seen by searches before the commit. By default (a
    /// store with no cheaper way) they are simply imported.
    async fn stage(&self, concerts: Vec<NewConcert>) -> Result<usize, StoreError> {
        self.upsert(concerts).await
    }

    /// Takes in every concert staged so far, each once, and returns how many
    /// were new. By default nothing was set aside, so nothing is new.
    async fn commit_staged(&self) -> Result<u64, StoreError> {
        Ok(0)
    }

    /// How many concerts `filter` matches, in all and per group of `by`. By
    /// default (a store that keeps no counts) by reading every match.
    async fn count(&self, filter: ConcertFilter, by: Option<GroupBy>) -> Result<ConcertCounts, StoreError> {
        let matches = self.search(filter, Order::NewestFirst).page(None, usize::MAX).await?;
        let mut tally = std::collections::BTreeMap::new();
        for concert in &matches {
            *tally.entry(by.map_or(0, |by| by.key(concert))).or_default() += 1;
        }
        Ok(ConcertCounts::of(tally, by.is_some()))
    }

    /// How many concerts the band or venue has.
    async fn count_of(&self, side: Side) -> Result<u64, StoreError>;

    /// Deletes every concert of the band or venue (each a change in the
    /// log); how many there were.
    async fn delete_all_of(&self, side: Side) -> Result<u64, StoreError>;

    /// The last position of the bands' or the venues' log applied (0: none).
    async fn cursor(&self, log: &'static str) -> Result<i64, StoreError>;

    /// Keeps `position` as the last applied of `log`, for a restart.
    async fn keep_cursor(&self, log: &'static str, position: i64) -> Result<(), StoreError>;
}

/// Which way along the dates a page is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    NewestFirst,
    SoonestFirst,
}

impl Direction {
    /// The direction of `order`, when it is one of dates.
    pub fn of(order: Order) -> Option<Self> {
        match order {
            Order::NewestFirst => Some(Self::NewestFirst),
            Order::SoonestFirst => Some(Self::SoonestFirst),
            Order::VenuesInOrder => None,
        }
    }

    /// Where a list read this way starts: before every concert.
    pub fn first(self) -> Position {
        match self {
            Self::NewestFirst => Position::FIRST,
            Self::SoonestFirst => Position { date: i64::MIN, band_id: i64::MIN, venue_id: i64::MIN },
        }
    }

    /// Of two places to start reading after, the one further along this way.
    pub fn further(self, a: Position, b: Position) -> Position {
        match self {
            Self::NewestFirst => a.min(b),
            Self::SoonestFirst => a.max(b),
        }
    }
}

/// The pages of one search.
#[async_trait]
pub trait ConcertPages: Send + Sync {
    /// At most `limit` concerts, those right after `after` (from the first
    /// when `None`), in the search's order (see [`Order`]: each is total, as no
    /// two concerts share date, band and venue). With [`Order::VenuesInOrder`],
    /// `after` is a concert at one of the search's venues.
    async fn page(&self, after: Option<Position>, limit: usize) -> Result<Vec<Concert>, StoreError>;
}
