//! A page in venue order ([`VenueOrderPlan`]) from the SQLite file.

use std::collections::HashSet;

use concerts_model::{Concert, Position};
use storage::sqlite::rusqlite::{Connection, Result};

use super::super::VenueOrderPlan;
use super::merge::Driver;
use super::pages::{self, VENUE_FORWARDS_SQL};

/// The first `limit` concerts after `after` (a concert at one of the
/// venues; `None`: from the first venue's first concert).
pub fn read(
    connection: &Connection,
    plan: &VenueOrderPlan,
    after: Option<&Position>,
    limit: usize,
) -> Result<Vec<Concert>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    match &plan.bands {
        Some(bands) => of_bands(connection, plan, bands, after, limit),
        None => walk(connection, plan, after, limit),
    }
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
