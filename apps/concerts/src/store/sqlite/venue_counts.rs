//! How many concerts each venue holds: what tells, before reading a row, how
//! large a share of all concerts a geo search covers, and so whether its page
//! is cheaper to scan along the list order or to merge venue by venue.
//!
//! Kept in the `venue_concerts` table (see the schema), in the same
//! transaction as the concerts themselves, and in memory for the searches.

use std::collections::HashMap;
use std::sync::RwLock;

use storage::sqlite::rusqlite::{self, Connection, Transaction};

/// Concerts per venue, in memory.
#[derive(Debug, Default)]
pub struct VenueCounts {
    counts: RwLock<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    by_venue: HashMap<i64, u64>,
    total: u64,
}

/// Concerts added (or, below zero, taken away) per venue by one write.
pub type Added = HashMap<i64, i64>;

impl VenueCounts {
    /// Counts the concerts of a store that had some before the counts
    /// existed (once: afterwards every import keeps the counts).
    pub fn backfill(transaction: &Transaction<'_>) -> rusqlite::Result<()> {
        transaction.execute_batch(
            "INSERT INTO venue_concerts (venue_id, concerts)
                 SELECT venue_id, count(*) FROM concerts
                 WHERE NOT EXISTS (SELECT 1 FROM venue_concerts) GROUP BY venue_id",
        )
    }

    pub fn load(connection: &Connection) -> rusqlite::Result<Self> {
        let mut statement = connection.prepare("SELECT venue_id, concerts FROM venue_concerts")?;
        let by_venue: HashMap<i64, u64> = statement
            .query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?.unsigned_abs())))?
            .collect::<rusqlite::Result<_>>()?;
        let total = by_venue.values().sum();
        Ok(Self { counts: RwLock::new(Counts { by_venue, total }) })
    }

    /// Takes the counts of `other` (read again after a bulk load).
    pub fn replace(&self, other: VenueCounts) {
        let other = other.counts.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
        *self.counts.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = other;
    }

    /// The venues that have concerts.
    pub fn venues(&self) -> Vec<i64> {
        let counts = self.counts.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        counts.by_venue.iter().filter(|(_, count)| **count > 0).map(|(venue, _)| *venue).collect()
    }

    /// The share of all concerts held by `venues` (each counted once), from 0 to 1.
    pub fn share(&self, venues: &[i64]) -> f64 {
        let counts = self.counts.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        if counts.total == 0 {
            return 0.0;
        }
        let mut seen = std::collections::HashSet::with_capacity(venues.len());
        let held: u64 = venues.iter().filter(|v| seen.insert(**v)).filter_map(|v| counts.by_venue.get(v)).sum();
        held as f64 / counts.total as f64
    }

    /// Adds what a write added (or took away), once it is committed.
    pub fn add(&self, added: &Added) {
        let mut counts = self.counts.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (venue, count) in added {
            let held = counts.by_venue.entry(*venue).or_default();
            *held = held.saturating_add_signed(*count);
            counts.total = counts.total.saturating_add_signed(*count);
        }
    }
}

/// Records in `transaction` the concerts an import added.
pub fn record(transaction: &Transaction<'_>, added: &Added) -> rusqlite::Result<()> {
    let mut statement = transaction.prepare_cached(
        "INSERT INTO venue_concerts (venue_id, concerts) VALUES (?1, ?2)
         ON CONFLICT (venue_id) DO UPDATE SET concerts = concerts + excluded.concerts",
    )?;
    for (venue, count) in added {
        statement.execute((venue, count))?;
    }
    Ok(())
}

/// Counts a concert at `venue_id` as added (`+1`) or taken away (`-1`).
pub fn count(added: &mut Added, venue_id: i64, change: i64) {
    *added.entry(venue_id).or_default() += change;
}
