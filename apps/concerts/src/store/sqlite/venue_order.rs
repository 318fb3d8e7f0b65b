//! A page in venue order ([`VenueOrderPlan`]) from the SQLite file.
//!
//! A search with bands is read one of two ways, chosen per page by what each
//! would cost: all the bands' concerts at the venues, arranged in venue
//! order (about the bands' concerts: best when they are few), or the venues
//! walked in order, each asked for the bands' concerts there from
//! `concerts_by_band_and_venue` (a seek per band and venue passed: best when
//! the bands are prolific, since a page then fills within a few venues).

use std::collections::HashSet;

use concerts_model::{Concert, Position};
use storage::sqlite::id_list;
use storage::sqlite::rusqlite::{Connection, Result};

use super::super::VenueOrderPlan;
use super::merge::Driver;
use super::month_counts;
use super::pages::{self, VENUE_FORWARDS_SQL};

/// About as many rows as a seek into an index costs.
const SEEK_ROWS: f64 = 12.0;

/// The first `limit` concerts after `after` (a concert at one of the
/// venues; `None`: from the first venue's first concert). `share` is the
/// share of all concerts the plan's venues hold (0 to 1).
pub fn read(
    connection: &Connection,
    plan: &VenueOrderPlan,
    share: f64,
    after: Option<&Position>,
    limit: usize,
) -> Result<Vec<Concert>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    match &plan.bands {
        Some(bands) if walk_is_cheaper(connection, plan, bands, share, limit)? => {
            walk_with_bands(connection, plan, bands, after, limit)
        }
        Some(bands) => of_bands(connection, plan, bands, after, limit),
        None => walk(connection, plan, after, limit),
    }
}

/// Whether walking the venues costs less than reading the bands' concerts.
///
/// Reading costs the bands' concerts (from their month counts). Walking
/// costs a seek per band at each venue passed: if the bands' concerts spread
/// over the venues as all concerts do, the venues hold `share` of them, and
/// a page fills after about `limit / matches` of the venues (twice that,
/// to be safe), all of them at most.
fn walk_is_cheaper(
    connection: &Connection,
    plan: &VenueOrderPlan,
    bands: &[i64],
    share: f64,
    limit: usize,
) -> Result<bool> {
    let venues = plan.venues.len() as f64;
    let walk_at_most = venues * bands.len() as f64 * SEEK_ROWS;
    // Summed band by band, and no further than the walk's highest cost.
    let mut concerts = 0.0;
    for band in bands {
        concerts += month_counts::band_concerts(connection, *band)?;
        if concerts > walk_at_most {
            return Ok(true);
        }
    }
    let matches = concerts * share;
    let passed = (2.0 * (limit as f64 + 1.0) * venues / matches.max(1.0)).min(venues);
    Ok(passed * bands.len() as f64 * SEEK_ROWS < concerts)
}

/// The bands' concerts at a venue, from ?3 to ?4 (both included), in no order.
const BANDS_AT_VENUE_SQL: &str = "SELECT date, band_id, id, status FROM concerts
     WHERE band_id IN rarray(?1) AND venue_id = ?2 AND date BETWEEN ?3 AND ?4";

/// The venues one after the other, from `after`'s, each asked for the
/// bands' concerts there.
fn walk_with_bands(
    connection: &Connection,
    plan: &VenueOrderPlan,
    bands: &[i64],
    after: Option<&Position>,
    limit: usize,
) -> Result<Vec<Concert>> {
    let to = plan.dates.to.unwrap_or(i64::MAX);
    let bands = id_list(bands);
    let mut statement = connection.prepare_cached(BANDS_AT_VENUE_SQL)?;
    let mut found = Vec::with_capacity(limit.min(1024));
    for (venue, bound) in plan.walk(after) {
        let rows =
            statement.query_map((&bands, venue, bound.0, to), |row| pages::key_row(Driver::Venues, venue, row))?;
        let mut here = Vec::new();
        for row in rows {
            let concert = row?;
            if (concert.date, concert.band_id) > bound && plan.keeps(&concert) {
                here.push(concert);
            }
        }
        here.sort_unstable_by_key(|concert| (concert.date, concert.band_id));
        found.extend(here.into_iter().take(limit - found.len()));
        if found.len() == limit {
            break;
        }
    }
    Ok(found)
}

/// The venues one after the other, from `after`'s.
fn walk(
    connection: &Connection,
    plan: &VenueOrderPlan,
    after: Option<&Position>,
    limit: usize,
) -> Result<Vec<Concert>> {
    let to = plan.dates.to.unwrap_or(i64::MAX);
    let mut statement = connection.prepare_cached(VENUE_FORWARDS_SQL)?;
    let mut found = Vec::with_capacity(limit.min(1024));
    for (venue, (date, band)) in plan.walk(after) {
        // Rows are stepped lazily: reading stops as soon as the page is full.
        let rows = statement.query_map((venue, date, band, to), |row| pages::key_row(Driver::Venues, venue, row))?;
        for row in rows {
            let concert = row?;
            if plan.keeps(&concert) {
                found.push(concert);
                if found.len() == limit {
                    return Ok(found);
                }
            }
        }
    }
    Ok(found)
}

/// The bands' concerts at the venues, in venue order.
fn of_bands(
    connection: &Connection,
    plan: &VenueOrderPlan,
    bands: &[i64],
    after: Option<&Position>,
    limit: usize,
) -> Result<Vec<Concert>> {
    let venues: HashSet<i64> = plan.venues.iter().copied().collect();
    let statuses = plan.statuses.as_deref();
    let matches = pages::every_match(connection, (Driver::Bands, bands), Some(&venues), plan.dates, statuses)?;
    Ok(plan.arrange(matches, after, limit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use concerts_model::{ConcertFilter, DateRange, Status};

    /// 4 bands with 150 concerts each at 30 venues over 200 hours, one concert in seven cancelled.
    fn database() -> (Connection, Vec<Concert>) {
        let connection = Connection::open_in_memory().unwrap();
        storage::sqlite::rusqlite::vtab::array::load_module(&connection).unwrap();
        connection.execute_batch(&super::super::schema()).unwrap();
        let mut concerts = Vec::new();
        for i in 0..3000_i64 {
            let band = [1, 2, 3, 9][(i % 4) as usize];
            let (venue, date) = (1 + i * 7 % 30, (i * 13 % 200) * 3_600_000);
            let status = if i % 7 == 0 { Status::Cancelled } else { Status::Scheduled };
            concerts.push(Concert { id: i + 1, band_id: band, venue_id: venue, date, status });
        }
        concerts.retain({
            let mut seen = HashSet::new();
            move |c| seen.insert((c.band_id, c.date, c.venue_id))
        });
        let mut insert = connection
            .prepare("INSERT INTO concerts (band_id, venue_id, date, id, status) VALUES (?1, ?2, ?3, ?4, ?5)")
            .unwrap();
        for c in &concerts {
            insert.execute((c.band_id, c.venue_id, c.date, c.id, c.status.code())).unwrap();
        }
        drop(insert);
        (connection, concerts)
    }

    /// Every page of a walk, each from the last one's last concert.
    fn pages(read: impl Fn(Option<&Position>) -> Vec<Concert>) -> Vec<Vec<Concert>> {
        let mut pages: Vec<Vec<Concert>> = Vec::new();
        for _ in 0..1000 {
            let page = read(pages.last().and_then(|page| page.last()).map(Concert::position).as_ref());
            if page.is_empty() {
                return pages;
            }
            pages.push(page);
        }
        panic!("the pages do not end");
    }

    /// Walking the venues gives, page by page, what arranging every match
    /// gives, and both what the concerts give sorted by venue rank, date and band.
    #[test]
    fn both_ways_give_the_same_pages_in_venue_order() {
        let (connection, concerts) = database();
        let venues: Vec<i64> = (1..=30).rev().filter(|venue| venue % 4 != 0).collect();
        for (bands, statuses, from) in [
            (vec![1, 2, 3], None, None),
            (vec![9, 2], Some(vec![Status::Scheduled]), Some(40 * 3_600_000 + 1)),
            (vec![4], None, None),
        ] {
            let dates = DateRange { from, to: Some(150 * 3_600_000) };
            let filter = ConcertFilter {
                band_ids: Some(bands.clone()),
                venue_ids: Some(venues.clone()),
                dates,
                statuses: statuses.clone(),
            };
            let plan = VenueOrderPlan::new(filter);
            let walked = pages(|after| walk_with_bands(&connection, &plan, &bands, after, 7).unwrap());
            let arranged = pages(|after| of_bands(&connection, &plan, &bands, after, 7).unwrap());
            assert_eq!(walked, arranged, "bands {bands:?}");
            let rank = |venue: i64| venues.iter().position(|v| *v == venue);
            let mut expected: Vec<Concert> = concerts
                .iter()
                .filter(|c| bands.contains(&c.band_id) && rank(c.venue_id).is_some() && dates.contains(c.date))
                .filter(|c| statuses.as_ref().is_none_or(|kept| kept.contains(&c.status)))
                .copied()
                .collect();
            expected.sort_by_key(|c| (rank(c.venue_id), c.date, c.band_id));
            assert_eq!(walked.concat(), expected, "bands {bands:?}");
            assert!(bands == [4] || walked.len() > 5, "several pages");
        }
    }

    #[test]
    fn the_bands_at_a_venue_are_read_from_their_index() {
        let (connection, _) = database();
        let mut explain = connection.prepare(&format!("EXPLAIN QUERY PLAN {BANDS_AT_VENUE_SQL}")).unwrap();
        let bands = id_list(&[1, 2]);
        let plan: Vec<String> =
            explain.query_map((&bands, 1, 2, 3), |row| row.get(3)).unwrap().map(Result::unwrap).collect();
        let plan = plan.join("; ");
        assert!(
            plan.contains("COVERING INDEX concerts_by_band_and_venue (band_id=? AND venue_id=? AND date>? AND date<?)"),
            "{plan}"
        );
    }

    /// Prolific bands over a few venues walk; bands with few concerts are read whole.
    #[test]
    fn prolific_bands_walk_the_venues() {
        let (connection, _) = database();
        let transaction = connection.unchecked_transaction().unwrap();
        month_counts::rebuild(&transaction).unwrap();
        transaction.commit().unwrap();
        let plan = |bands: Vec<i64>| {
            VenueOrderPlan::new(ConcertFilter {
                band_ids: Some(bands),
                venue_ids: Some((1..=30).collect()),
                ..ConcertFilter::default()
            })
        };
        let walks = |bands: Vec<i64>, share: f64, limit: usize| {
            let plan = plan(bands);
            walk_is_cheaper(&connection, &plan, plan.bands.as_deref().unwrap(), share, limit).unwrap()
        };
        assert!(walks(vec![1, 2, 3], 1.0, 5), "450 concerts, a page of 5");
        assert!(!walks(vec![1, 2, 3], 1.0, 500), "a page of 500 passes every venue: 3 seeks each");
        assert!(!walks(vec![4, 5], 1.0, 5), "no concerts");
        assert!(!walks(vec![1, 2, 3], 0.001, 5), "the venues hold few concerts");
    }
}
