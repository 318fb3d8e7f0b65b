//! The newest concerts of every venue, in memory.
//!
//! A geo search names every venue in its circle, a few hundred around a city,
//! and the first page of a merge reads the newest few concerts of each: a
//! seek into the file per venue, most of the page's cost. Those rows are the
//! same for every search that starts at the top, so each venue's newest
//! [`HEAD_LENGTH`] concerts are kept here (10,000 venues: about 31 MB). A
//! read the head can answer costs no seek; one that goes past it reads the
//! file. A page the heads hold entirely needs no file at all
//! ([`super::pages::read_from_memory`]).
//!
//! The heads are read from the index in the background once the store has
//! opened (a start must not wait for 10,000 seeks, a minute on a cold 200M
//! store), and kept in step by every import, once it is committed. Until a
//! venue's head is in, reads of it go to the file: slower, never wrong.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

use concerts_model::{Concert, Status};
use storage::sqlite::rusqlite::{self, Connection};

/// Concerts kept per venue: 128 holds the first pages of most searches, and
/// every concert of a venue with a year or two of concerts (the demo data's
/// venues have 38 to 76), for 3 KB a venue. With 16, a geo search of the
/// demo mix cost the service twice the CPU (BENCHMARKS.md).
pub const HEAD_LENGTH: usize = 128;

/// One venue's newest concerts, in list order.
#[derive(Debug, Default)]
struct Head {
    concerts: Vec<Concert>,
    /// Whether these are all the venue's concerts.
    complete: bool,
}

#[derive(Debug, Default)]
struct Heads {
    by_venue: HashMap<i64, Head>,
    /// Whether every venue that has concerts has its head here (then a
    /// venue without one has no concert at all).
    all_in: bool,
    /// Venues an import gave their first concerts while the heads were
    /// being read: the load reads them too, at its end.
    unread: HashSet<i64>,
    /// Which load these heads belong to: a reset starts a new one, and a
    /// load still running for an older one stops.
    generation: u64,
}

#[derive(Debug, Default)]
pub struct VenueHeads {
    heads: RwLock<Heads>,
    /// Held while heads are read from the file and while an import's
    /// concerts are taken in, so that a head read before an import committed
    /// still gets that import's concerts, and one read after it gets them once.
    gate: Mutex<()>,
}

/// The heads as one page sees them.
pub struct HeadsView<'a>(RwLockReadGuard<'a, Heads>);

impl VenueHeads {
    /// Heads of a store with no concert: all in, and empty.
    #[cfg(test)]
    pub fn empty() -> Self {
        Self { heads: RwLock::new(Heads { all_in: true, ..Heads::default() }), gate: Mutex::new(()) }
    }

    /// Forgets every head (the store changed wholesale): a new load must
    /// follow; returns its generation.
    pub fn reset(&self) -> u64 {
        let _gate = self.gate();
        let mut heads = self.write();
        heads.by_venue.clear();
        heads.unread.clear();
        heads.all_in = false;
        heads.generation += 1;
        heads.generation
    }

    /// The generation a load started now belongs to.
    pub fn generation(&self) -> u64 {
        self.heads.read().unwrap_or_else(PoisonError::into_inner).generation
    }

    /// Reads the heads of `venues` for load `generation`, and with
    /// `last` marks the heads as all in. Returns false when a newer load
    /// has begun (this one should stop).
    pub fn load(&self, connection: &Connection, generation: u64, venues: &[i64], last: bool) -> rusqlite::Result<bool> {
        let _gate = self.gate();
        if self.generation() != generation {
            return Ok(false);
        }
        let mut newest = connection.prepare_cached(
            "SELECT date, band_id, id, status FROM concerts WHERE venue_id = ?1 ORDER BY date DESC, band_id DESC",
        )?;
        let mut venues = venues.to_vec();
        if last {
            let heads = self.heads.read().unwrap_or_else(PoisonError::into_inner);
            venues.extend(heads.unread.iter().filter(|venue| !heads.by_venue.contains_key(venue)));
        }
        let mut read = Vec::with_capacity(venues.len());
        for venue_id in venues {
            let mut concerts: Vec<Concert> = newest
                .query_map([venue_id], |row| {
                    let status = Status::from_code(row.get(3)?).unwrap_or_default();
                    Ok(Concert { id: row.get(2)?, band_id: row.get(1)?, venue_id, date: row.get(0)?, status })
                })?
                .take(HEAD_LENGTH + 1)
                .collect::<rusqlite::Result<_>>()?;
            let complete = concerts.len() <= HEAD_LENGTH;
            concerts.truncate(HEAD_LENGTH);
            read.push((venue_id, Head { concerts, complete }));
        }
        let mut heads = self.write();
        heads.by_venue.extend(read);
        if last {
            heads.all_in = true;
            heads.unread.clear();
        }
        Ok(true)
    }

    pub fn view(&self) -> HeadsView<'_> {
        HeadsView(self.heads.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Takes in concerts an import added (committed).
    pub fn add(&self, added: &[Concert]) {
        let _gate = self.gate();
        let mut heads = self.write();
        let all_in = heads.all_in;
        for concert in added {
            match heads.by_venue.get_mut(&concert.venue_id) {
                Some(head) => head.take_in(*concert),
                // A venue without a head, once all are in, had no concert: its head is complete.
                None if all_in => {
                    let mut head = Head { concerts: Vec::new(), complete: true };
                    head.take_in(*concert);
                    heads.by_venue.insert(concert.venue_id, head);
                }
                // Not read yet: the read will find this concert in the file.
                None => {
                    heads.unread.insert(concert.venue_id);
                }
            }
        }
    }

    /// Takes out concerts deleted (or moved: [`Self::add`] then takes their new
    /// place), committed. A head that loses a concert may now lack one older
    /// concert that the file has: reads past its end go to the file, as
    /// [`HeadsView::read`] asks for what a head does not show whole.
    pub fn remove(&self, removed: &[Concert]) {
        let _gate = self.gate();
        let mut heads = self.write();
        for concert in removed {
            if let Some(head) = heads.by_venue.get_mut(&concert.venue_id) {
                head.take_out(concert);
            }
        }
    }

    fn gate(&self) -> MutexGuard<'_, ()> {
        self.gate.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Heads> {
        self.heads.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Head {
    fn take_out(&mut self, concert: &Concert) {
        let key = concert.list_key();
        let position = self.concerts.partition_point(|c| c.list_key() > key);
        if self.concerts.get(position).is_some_and(|c| c.list_key() == key) {
            self.concerts.remove(position);
        }
    }

    fn take_in(&mut self, concert: Concert) {
        let key = concert.list_key();
        // In list order: descending, so the position is after every greater key.
        let position = self.concerts.partition_point(|c| c.list_key() > key);
        if let Some(here) = self.concerts.get_mut(position).filter(|c| c.list_key() == key) {
            *here = concert; // already here (read from the file after it was committed): its status as now
            return;
        }
        if position == self.concerts.len() && !self.complete {
            return; // older than the head, and the head is not everything
        }
        self.concerts.insert(position, concert);
        if self.concerts.len() > HEAD_LENGTH {
            self.concerts.pop();
            self.complete = false;
        }
    }
}

impl HeadsView<'_> {
    /// The first `n` concerts of `venue` below `bound` on (date, band id) and
    /// not before `from` that `keep` accepts, in list order, if the head holds
    /// them: `None` when the file must be read.
    pub fn read(
        &self,
        venue: i64,
        bound: (i64, i64),
        from: i64,
        n: usize,
        keep: impl Fn(&Concert) -> bool,
    ) -> Option<Vec<Concert>> {
        let Some(head) = self.0.by_venue.get(&venue) else {
            // No concert there, or its head is not read yet: then the file answers.
            return self.0.all_in.then(Vec::new);
        };
        let start = head.concerts.partition_point(|c| (c.date, c.band_id) >= bound);
        let rest = &head.concerts[start..];
        // Newest first: the range ends at the first concert before `from`.
        let in_range = rest.partition_point(|c| c.date >= from);
        let found: Vec<Concert> = rest[..in_range].iter().copied().filter(|c| keep(c)).take(n).collect();
        let reaches_the_end_of_the_range = in_range < rest.len();
        (found.len() == n || head.complete || reaches_the_end_of_the_range).then_some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concert(band_id: i64, date: i64) -> Concert {
        Concert { id: date * 10 + band_id, band_id, venue_id: 1, date, status: Status::Scheduled }
    }

    fn heads_of(concerts: &[Concert]) -> VenueHeads {
        let heads = VenueHeads::empty();
        heads.add(concerts);
        heads
    }

    #[test]
    fn a_short_venue_is_answered_whole_from_memory() {
        let heads = heads_of(&[concert(1, 10), concert(2, 30), concert(3, 20)]);
        let view = heads.view();
        let dates = |found: Option<Vec<Concert>>| found.map(|f| f.iter().map(|c| c.date).collect::<Vec<_>>());
        let top = (i64::MAX, i64::MAX);
        assert_eq!(dates(view.read(1, top, i64::MIN, 2, |_| true)), Some(vec![30, 20]));
        assert_eq!(dates(view.read(1, (30, 2), i64::MIN, 5, |_| true)), Some(vec![20, 10]), "below the bound only");
        assert_eq!(dates(view.read(1, top, i64::MIN, 5, |c| c.band_id != 2)), Some(vec![20, 10]));
        assert_eq!(dates(view.read(1, top, 20, 5, |_| true)), Some(vec![30, 20]), "not before from");
        assert_eq!(view.read(99, top, i64::MIN, 5, |_| true), Some(Vec::new()), "no concerts there");
    }

    #[test]
    fn a_long_venue_keeps_its_newest_and_sends_deeper_reads_to_the_file() {
        let count = HEAD_LENGTH as i64 + 24;
        let all: Vec<Concert> = (0..count).map(|date| concert(date % 3, date)).collect();
        let heads = heads_of(&all);
        let view = heads.view();
        let top = (i64::MAX, i64::MAX);
        let found = view.read(1, top, i64::MIN, 4, |_| true).unwrap();
        assert_eq!(found.iter().map(|c| c.date).collect::<Vec<_>>(), vec![count - 1, count - 2, count - 3, count - 4]);
        let oldest_kept = count - HEAD_LENGTH as i64;
        assert!(view.read(1, (oldest_kept + 1, 0), i64::MIN, 2, |_| true).is_none(), "past the head: read the file");
        assert!(view.read(1, top, i64::MIN, HEAD_LENGTH + 1, |_| true).is_none());
        let recent = view.read(1, top, count - 10, HEAD_LENGTH, |_| true).expect("a range the head holds whole");
        assert_eq!(recent.len(), 10, "the head answers a date range inside it, however much is asked");
    }

    #[test]
    fn a_deleted_concert_leaves_its_head_and_a_changed_one_is_kept_as_it_is_now() {
        let heads = heads_of(&[concert(1, 10), concert(2, 20), concert(3, 30)]);
        heads.remove(&[concert(2, 20)]);
        heads.add(&[Concert { status: Status::Cancelled, ..concert(3, 30) }]);
        let found = heads.view().read(1, (i64::MAX, i64::MAX), i64::MIN, 5, |_| true).unwrap();
        assert_eq!(
            found.iter().map(|c| (c.date, c.status)).collect::<Vec<_>>(),
            [(30, Status::Cancelled), (10, Status::Scheduled)]
        );
    }

    #[test]
    fn an_import_older_than_a_full_head_changes_nothing_and_a_newer_one_enters() {
        let all: Vec<Concert> = (100..100 + HEAD_LENGTH as i64 + 1).map(|date| concert(1, date)).collect();
        let heads = heads_of(&all);
        heads.add(&[concert(1, 5)]);
        heads.add(&[concert(1, 1000)]);
        let view = heads.view();
        let found = view.read(1, (i64::MAX, i64::MAX), i64::MIN, HEAD_LENGTH, |_| true).unwrap();
        assert_eq!(found[0].date, 1000);
        assert!(found.iter().all(|c| c.date != 5));
        assert_eq!(found.len(), HEAD_LENGTH);
    }
}
