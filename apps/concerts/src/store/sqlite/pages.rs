//! Reading one page of a search from the SQLite file, newest first or
//! soonest first.
//!
//! Two ways, chosen per page. A merge ([`merge`]) seeks once into each key's
//! index range and reads about the rows the page returns: best when the keys
//! are few. A scan ([`scan`]) walks `concerts_in_list_order` and keeps the
//! matching rows: best when the keys are many and hold a good share of all
//! concerts, as a geo search over a region does. A scan that reads more rows
//! than the merge would have cost hands over to the merge where it stopped.
//!
//! The filter of a two-sided search (bands and venues) is applied here, to
//! rows read in order, rather than in SQL: an `IN` list of thousands of ids
//! would be built into a temporary index at every statement run.
//!
//! Every index is walked forwards for one order and backwards for the other.
//! The merge is written for newest first; soonest first is merged in the
//! mirror ([`mirrored`]), where every date and id is turned around.

use std::collections::HashSet;

use concerts_model::{Concert, Position, Status};
use storage::sqlite::rusqlite::{Connection, Result, Row};

use super::super::Direction;
use super::merge::{self, Driver};
use super::scan;
use super::venue_heads::HeadsView;

/// Every concert after (?1, ?2, ?3) in list order and not past ?4, from
/// `concerts_in_list_order` (which holds every column read): newest first
/// and soonest first.
const LIST_ORDER_SQL: [&str; 2] = [
    "SELECT band_id, venue_id, date, id, status FROM concerts
     WHERE (date, band_id, venue_id) < (?1, ?2, ?3) AND date >= ?4
     ORDER BY date DESC, band_id DESC, venue_id DESC",
    "SELECT band_id, venue_id, date, id, status FROM concerts
     WHERE (date, band_id, venue_id) > (?1, ?2, ?3) AND date <= ?4
     ORDER BY date, band_id, venue_id",
];

impl Direction {
    fn index(self) -> usize {
        match self {
            Self::NewestFirst => 0,
            Self::SoonestFirst => 1,
        }
    }
}

/// What a page is read for.
pub struct PageQuery<'a> {
    pub direction: Direction,
    /// Which side of a concert the keys name.
    pub driver: Driver,
    pub keys: &'a [i64],
    /// The other side's ids a concert must have, when the search names both sides.
    pub filter: Option<&'a HashSet<i64>>,
    /// The share of all concerts the keys hold (0 to 1), when known.
    pub share: Option<f64>,
    /// The venues' newest concerts, read before the file when the keys are
    /// venues and the page is newest first (ignored otherwise).
    pub heads: Option<HeadsView<'a>>,
    /// The last date a concert may have in the reading direction, included:
    /// the earliest newest first (`i64::MIN`: any), the latest soonest first
    /// (`i64::MAX`: any). Where the page starts is `after`: the caller folds
    /// the other end of the range into it.
    pub until: i64,
    /// The statuses a concert may have (any when `None`).
    pub statuses: Option<&'a [Status]>,
}

impl PageQuery<'_> {
    fn passes_filter(&self, concert: &Concert) -> bool {
        self.filter.as_ref().is_none_or(|ids| ids.contains(&self.driver.second(concert)))
            && self.statuses.is_none_or(|statuses| statuses.contains(&concert.status))
    }

    /// The venue heads, when they can serve this query.
    fn heads(&self) -> Option<&HeadsView<'_>> {
        let newest_by_venue = self.driver == Driver::Venues && self.direction == Direction::NewestFirst;
        self.heads.as_ref().filter(|_| newest_by_venue)
    }
}

/// A concert's status from its column; a code this version does not know is read as scheduled.
pub fn status(code: u8) -> Status {
    Status::from_code(code).unwrap_or_default()
}

/// The first `limit` concerts after `after` that `query` describes, in its direction.
pub fn read(
    connection: &Connection,
    query: &PageQuery<'_>,
    after: Option<&Position>,
    limit: usize,
) -> Result<Vec<Concert>> {
    let Some(budget) = scan::budget(query.keys.len(), limit, query.share) else {
        return merge_page(connection, query, after, limit);
    };
    let keys: HashSet<i64> = query.keys.iter().copied().collect();
    let matches = |concert: &Concert| keys.contains(&query.driver.key(concert)) && query.passes_filter(concert);
    let mut statement = connection.prepare_cached(LIST_ORDER_SQL[query.direction.index()])?;
    let (date, band_id, venue_id) = after.copied().unwrap_or(query.direction.first()).key();
    let rows = statement.query_map((date, band_id, venue_id, query.until), |row| {
        let (id, code) = (row.get(3)?, row.get(4)?);
        Ok(Concert { id, band_id: row.get(0)?, venue_id: row.get(1)?, date: row.get(2)?, status: status(code) })
    })?;
    let mut scanned = scan::scan(rows, matches, limit, budget)?;
    drop(statement);
    if !scanned.complete {
        let resume_after = scanned.last_read.map(|last| last.position()).or(after.copied());
        let rest = limit - scanned.found.len();
        scanned.found.extend(merge_page(connection, query, resume_after.as_ref(), rest)?);
    }
    Ok(scanned.found)
}

/// The page from the venues' heads alone, when they hold it: with no file
/// to read, it needs no connection. `None` when the keys are bands or the
/// page soonest first, when a scan serves the page better (thousands of
/// venues holding a large share: merging their heads cost more than
/// scanning, 7.5 ms against 2 ms for 2,940 venues around Paris), or when a
/// venue's rows the page needs go past its head.
pub fn read_from_memory(query: &PageQuery<'_>, after: Option<&Position>, limit: usize) -> Option<Vec<Concert>> {
    if scan::budget(query.keys.len(), limit, query.share).is_some() {
        return None;
    }
    let heads = query.heads()?;
    let page = merge::page(Driver::Venues, query.keys, after, limit, |key, bound, n| {
        heads.read(key, bound, query.until, n, |c| query.passes_filter(c)).ok_or(PastTheHead)
    });
    page.ok()
}

/// A read the venue heads cannot answer.
struct PastTheHead;

/// Every concert of `keys` (bands or venues, as `driver` says) within
/// `dates`, of `statuses`, and with, when given, the other side in `other`:
/// merged from the keys' index ranges, never scanned (nothing bounds a scan
/// of all concerts), so the cost is that of the keys' concerts in the range.
pub fn every_match(
    connection: &Connection,
    (driver, keys): (Driver, &[i64]),
    other: Option<&HashSet<i64>>,
    dates: concerts_model::DateRange,
    statuses: Option<&[Status]>,
) -> Result<Vec<Concert>> {
    let query = PageQuery {
        direction: Direction::NewestFirst,
        driver,
        keys,
        filter: other,
        share: None,
        heads: None,
        until: dates.from.unwrap_or(i64::MIN),
        statuses,
    };
    let start = dates.to.and_then(|to| to.checked_add(1));
    let start = start.map(|date| Position { date, band_id: i64::MIN, venue_id: i64::MIN });
    merge_page(connection, &query, start.as_ref(), usize::MAX)
}

/// A page as a merge of per-key index ranges ([`merge::page`]).
fn merge_page(
    connection: &Connection,
    query: &PageQuery<'_>,
    after: Option<&Position>,
    limit: usize,
) -> Result<Vec<Concert>> {
    let driver = query.driver;
    let mut statement = connection.prepare_cached(key_range_sql(driver, query.direction))?;
    // The rows of one key, within `bound`, in the reading direction.
    let mut key_range = |key: i64, (date, second): (i64, i64), n: usize| -> Result<Vec<Concert>> {
        // The index gives rows in order, so stepping stops after `n`: no LIMIT is
        // needed, and a bound LIMIT would make SQLite re-plan whenever it changes.
        let rows = statement.query_map((key, date, second, query.until), |row| key_row(driver, key, row))?;
        rows.filter(|row| row.as_ref().map_or(true, |concert| query.passes_filter(concert))).take(n).collect()
    };
    match query.direction {
        Direction::NewestFirst => merge::page(driver, query.keys, after, limit, |key, bound, n| {
            if let Some(found) =
                query.heads().and_then(|heads| heads.read(key, bound, query.until, n, |c| query.passes_filter(c)))
            {
                return Ok(found);
            }
            key_range(key, bound, n)
        }),
        Direction::SoonestFirst => {
            // Soonest first is newest first in the mirror: merged there, each key's
            // rows read forwards and mirrored on the way in, the page mirrored back.
            let keys: Vec<i64> = query.keys.iter().map(|key| !key).collect();
            let after = after.map(mirrored::position);
            let page = merge::page(driver, &keys, after.as_ref(), limit, |key, (date, second), n| {
                let rows = key_range(!key, (!date, !second), n)?;
                Ok::<_, storage::sqlite::rusqlite::Error>(rows.into_iter().map(mirrored::concert).collect())
            })?;
            Ok(page.into_iter().map(mirrored::concert).collect())
        }
    }
}

/// Concerts with every date and id turned around (`!x`, which reverses the
/// order of all i64s: a < b exactly when !b < !a, with no overflow): the
/// newest-first order of mirrored concerts is the soonest-first order of the
/// real ones, so the merge, written for the first, serves both.
mod mirrored {
    use concerts_model::{Concert, Position};

    pub fn concert(c: Concert) -> Concert {
        Concert { id: c.id, band_id: !c.band_id, venue_id: !c.venue_id, date: !c.date, status: c.status }
    }

    pub fn position(p: &Position) -> Position {
        Position { date: !p.date, band_id: !p.band_id, venue_id: !p.venue_id }
    }
}

/// The rows of one key (?1) past the bound (?2, ?3) on (date, the other
/// id) in the reading direction, and not past ?4: read straight from the
/// index that serves the key (the table itself for bands,
/// `concerts_by_venue_and_date` for venues: both hold every column read),
/// forwards or backwards, a range bounded at both ends, with no sort and no scan.
fn key_range_sql(driver: Driver, direction: Direction) -> &'static str {
    match (driver, direction) {
        (Driver::Bands, Direction::NewestFirst) => {
            "SELECT date, venue_id, id, status FROM concerts
             WHERE band_id = ?1 AND (date, venue_id) < (?2, ?3) AND date >= ?4
             ORDER BY date DESC, venue_id DESC"
        }
        (Driver::Venues, Direction::NewestFirst) => {
            "SELECT date, band_id, id, status FROM concerts
             WHERE venue_id = ?1 AND (date, band_id) < (?2, ?3) AND date >= ?4
             ORDER BY date DESC, band_id DESC"
        }
        (Driver::Bands, Direction::SoonestFirst) => {
            "SELECT date, venue_id, id, status FROM concerts
             WHERE band_id = ?1 AND (date, venue_id) > (?2, ?3) AND date <= ?4
             ORDER BY date, venue_id"
        }
        (Driver::Venues, Direction::SoonestFirst) => VENUE_FORWARDS_SQL,
    }
}

/// A venue's rows after (?2, ?3) on (date, band id), up to the date ?4,
/// soonest first.
pub const VENUE_FORWARDS_SQL: &str = "SELECT date, band_id, id, status FROM concerts
     WHERE venue_id = ?1 AND (date, band_id) > (?2, ?3) AND date <= ?4
     ORDER BY date, band_id";

/// A concert of `key` from a row of [`key_range_sql`].
pub fn key_row(driver: Driver, key: i64, row: &Row<'_>) -> Result<Concert> {
    let (date, second, id, code): (i64, i64, i64, u8) = (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
    let status = status(code);
    Ok(match driver {
        Driver::Bands => Concert { id, band_id: key, venue_id: second, date, status },
        Driver::Venues => Concert { id, band_id: second, venue_id: key, date, status },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use storage::sqlite::rusqlite::types::Value;
    use storage::sqlite::rusqlite::{StatementStatus, params_from_iter};

    fn database(concerts: &[Concert]) -> Connection {
        let connection = Connection::open_in_memory().unwrap();
        connection.execute_batch(&super::super::schema()).unwrap();
        let mut insert = connection
            .prepare("INSERT INTO concerts (band_id, venue_id, date, id, status) VALUES (?1, ?2, ?3, ?4, ?5)")
            .unwrap();
        for c in concerts {
            insert.execute((c.band_id, c.venue_id, c.date, c.id, c.status.code())).unwrap();
        }
        drop(insert);
        connection
    }

    fn concert(id: i64, band_id: i64, venue_id: i64, date: i64) -> Concert {
        let status = if id % 5 == 0 { Status::Cancelled } else { Status::Scheduled };
        Concert { id, band_id, venue_id, date, status }
    }

    fn fixture() -> Vec<Concert> {
        (0..3000).map(|i| concert(i + 1, i % 41, i % 59, i * 7 % 1000)).collect()
    }

    fn plan(connection: &Connection, sql: &str) -> String {
        let mut statement = connection.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let unbound = std::iter::repeat_n(Value::Null, statement.parameter_count());
        let details: Vec<String> =
            statement.query_map(params_from_iter(unbound), |row| row.get(3)).unwrap().map(Result::unwrap).collect();
        details.join("; ")
    }

    #[test]
    fn every_read_is_an_index_range_in_list_order_with_no_sort() {
        let connection = database(&fixture());
        let both = [Direction::NewestFirst, Direction::SoonestFirst];
        let reads = both.into_iter().flat_map(|direction| {
            [
                (key_range_sql(Driver::Bands, direction), "PRIMARY KEY"),
                (key_range_sql(Driver::Venues, direction), "INDEX concerts_by_venue_and_date"),
                (LIST_ORDER_SQL[direction.index()], "INDEX concerts_in_list_order"),
            ]
        });
        for (sql, index) in reads {
            let plan = plan(&connection, sql);
            assert!(plan.contains(index), "{sql}\n uses {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{sql}\n sorts: {plan}");
        }
    }

    /// No `ANALYZE` is run on the store: with its samples, SQLite would plan these
    /// statements again at every new binding of their range bounds.
    #[test]
    fn pages_of_any_size_reuse_their_prepared_statements() {
        let connection = database(&fixture());
        let many: Vec<i64> = (0..40).collect();
        let many_set: HashSet<i64> = many.iter().copied().collect();
        let query = |driver, keys, filter, share| PageQuery {
            driver,
            keys,
            filter,
            share,
            heads: None,
            until: i64::MIN,
            direction: Direction::NewestFirst,
            statuses: None,
        };
        for limit in [1, 2, 10, 101, 1001] {
            read(&connection, &query(Driver::Venues, &[1, 2, 3], None, None), None, limit).unwrap();
            read(&connection, &query(Driver::Bands, &[4, 5], Some(&many_set), None), None, limit).unwrap();
            read(&connection, &query(Driver::Venues, &many, None, Some(0.7)), None, limit).unwrap();
        }
        for sql in [
            key_range_sql(Driver::Venues, Direction::NewestFirst),
            key_range_sql(Driver::Bands, Direction::NewestFirst),
            LIST_ORDER_SQL[0],
        ] {
            let statement = connection.prepare_cached(sql).unwrap();
            assert_eq!(statement.get_status(StatementStatus::RePrepare), 0, "{sql} was prepared again");
        }
    }

    #[test]
    fn pages_the_venue_heads_hold_are_read_from_memory_and_the_same() {
        use super::super::venue_heads::{HEAD_LENGTH, VenueHeads};

        // Venue 1 holds more concerts than a head; venues 2 to 4, fewer.
        let deep = HEAD_LENGTH as i64 + 40;
        let mut concerts: Vec<Concert> = (0..deep).map(|i| concert(i + 1, i % 7, 1, i)).collect();
        concerts.extend((0..60).map(|i| concert(1000 + i, i % 5, 2 + i % 3, i * 3)));
        let connection = database(&concerts);
        let heads = VenueHeads::default();
        assert!(heads.load(&connection, 0, &[1, 2, 3, 4], true).unwrap());
        let bands: HashSet<i64> = [1, 2, 3].into_iter().collect();
        let query = |keys, filter| PageQuery {
            driver: Driver::Venues,
            keys,
            filter,
            share: None,
            heads: Some(heads.view()),
            until: i64::MIN,
            direction: Direction::NewestFirst,
            statuses: None,
        };
        let from_file = |keys, filter, after: Option<&Position>, limit| {
            let statuses = None;
            let query = PageQuery {
                driver: Driver::Venues,
                keys,
                filter,
                share: None,
                heads: None,
                until: i64::MIN,
                direction: Direction::NewestFirst,
                statuses,
            };
            read(&connection, &query, after, limit).unwrap()
        };

        for (keys, filter) in [(&[2, 3, 4][..], None), (&[2, 3, 4][..], Some(&bands)), (&[1, 2][..], None)] {
            for limit in [1, 10, 30] {
                let first = read_from_memory(&query(keys, filter), None, limit);
                assert_eq!(first, Some(from_file(keys, filter, None, limit)), "{keys:?} by {limit}");
                let after = first.and_then(|page| page.last().map(Concert::position));
                let second = read_from_memory(&query(keys, filter), after.as_ref(), limit);
                assert_eq!(second, Some(from_file(keys, filter, after.as_ref(), limit)), "{keys:?} by {limit}, page 2");
            }
        }
        // Every concert of the small venues; venue 1's whole list is past its head.
        let all = usize::try_from(deep).unwrap() + 60;
        assert_eq!(read_from_memory(&query(&[2, 3, 4], None), None, all).map(|page| page.len()), Some(60));
        assert_eq!(read_from_memory(&query(&[1, 2], None), None, all), None);
        let by_bands = PageQuery {
            driver: Driver::Bands,
            keys: &[1],
            filter: None,
            share: None,
            heads: Some(heads.view()),
            until: i64::MIN,
            direction: Direction::NewestFirst,
            statuses: None,
        };
        assert_eq!(read_from_memory(&by_bands, None, 1), None, "band keys are never in the heads");
        // Many venues holding most concerts: a scan of the list order serves the page.
        let many: Vec<i64> = (2..=20).collect();
        let region = PageQuery {
            driver: Driver::Venues,
            keys: &many,
            filter: None,
            share: Some(0.9),
            heads: Some(heads.view()),
            until: i64::MIN,
            direction: Direction::NewestFirst,
            statuses: None,
        };
        assert_eq!(read_from_memory(&region, None, 10), None, "scanned, not merged");
    }
}
