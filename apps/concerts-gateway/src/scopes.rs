//! What a concert search's answer depends on, finer than the concerts'
//! data version: its bands and the places of its circle. A concert written
//! for band 7 at a venue in Oslo changes the answers about band 7 and about
//! circles around Oslo, and no other; so answers kept for other searches
//! stay good (their tags do not change) while the catalogue is written.
//!
//! A generation is kept per band and per cell of a one-degree grid, and
//! each concert change (before and after it: a concert may move) bumps its
//! band's and its venue's cell. A search's scope is the sum of the
//! generations it covers: it changes exactly when one of them does
//! (generations only grow). A circle too wide for the grid (more than
//! [`MOST_CELLS`] cells, or reaching a pole) counts every change. An import,
//! or a change whose place cannot be told, starts a new epoch, which every
//! scope holds: then no kept answer is reused.
//!
//! The generations come from the concerts service's change log, which the
//! gateway follows ([`crate::follower`]).

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use venues_model::WithinRadius;

use crate::query::{ConcertsQuery, Filter};

/// The most cells a circle's scope adds up; beyond, every change counts.
const MOST_CELLS: usize = 400;
/// Kilometres per degree of latitude on the services' sphere (radius 6378.1 km).
const KM_PER_DEGREE: f64 = 6378.1 * std::f64::consts::PI / 180.0;

/// A cell of the grid: whole degrees of latitude and longitude.
type Cell = (i16, i16);

#[derive(Debug, Default)]
pub struct ConcertScopes {
    bands: RwLock<HashMap<i64, u64>>,
    cells: RwLock<HashMap<Cell, u64>>,
    /// Bumped by every change: the scope of what the grid cannot bound.
    every_change: AtomicU64,
    /// Bumped when the changes cannot be told apart (an import, a change of
    /// an unknown place, a log followed again from its end).
    epoch: AtomicU64,
}

impl ConcertScopes {
    /// A concert of `band` at `place` (latitude, longitude) changed.
    pub fn touched(&self, band: i64, place: (f64, f64)) {
        *self.bands.write().unwrap_or_else(std::sync::PoisonError::into_inner).entry(band).or_default() += 1;
        *self.cells.write().unwrap_or_else(std::sync::PoisonError::into_inner).entry(cell_of(place)).or_default() += 1;
        self.every_change.fetch_add(1, Ordering::AcqRel);
    }

    /// Changes that cannot be told apart: every scope changes.
    pub fn new_epoch(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// The scope of `query`'s answer, as a tag holds it.
    pub fn of(&self, query: &ConcertsQuery) -> String {
        let epoch = self.epoch.load(Ordering::Acquire);
        let (bands, circle) = match &query.filter {
            Filter::Bands(bands) => (Some(bands), None),
            Filter::Circle(circle) => (None, Some(circle)),
            Filter::Both(bands, circle) => (Some(bands), Some(circle)),
        };
        let bands = bands.map_or(0, |bands| {
            let generations = self.bands.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            bands.iter().map(|band| generations.get(band).copied().unwrap_or(0)).sum::<u64>()
        });
        let places = circle.map_or(0, |circle| match cells_of(circle) {
            Some(cells) => {
                let generations = self.cells.read().unwrap_or_else(std::sync::PoisonError::into_inner);
                cells.iter().map(|cell| generations.get(cell).copied().unwrap_or(0)).sum::<u64>()
            }
            None => self.every_change.load(Ordering::Acquire),
        });
        format!("e{epoch}:b{bands}:p{places}")
    }
}

fn cell_of((latitude, longitude): (f64, f64)) -> Cell {
    let longitude = (longitude + 180.0).rem_euclid(360.0) - 180.0;
    (latitude.floor() as i16, longitude.floor() as i16)
}

/// The cells a circle may reach (its bounding box, a cell wider on each
/// side), or `None` when that is too many or it reaches a pole.
fn cells_of(circle: &WithinRadius) -> Option<Vec<Cell>> {
    let reach = circle.radius / KM_PER_DEGREE + 1.0;
    let (south, north) = (circle.latitude - reach, circle.latitude + reach);
    if south <= -89.0 || north >= 89.0 {
        return None;
    }
    let widest = south.abs().max(north.abs()).to_radians().cos();
    let wide = reach / widest + 1.0;
    if wide >= 180.0 {
        return None;
    }
    let rows = south.floor() as i16..=north.floor() as i16;
    let columns = (circle.longitude - wide).floor() as i32..=(circle.longitude + wide).floor() as i32;
    if rows.len() * columns.clone().count() > MOST_CELLS {
        return None;
    }
    let wrapped = |column: i32| ((column + 180).rem_euclid(360) - 180) as i16;
    Some(rows.flat_map(|row| columns.clone().map(move |column| (row, wrapped(column)))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use concerts_model::DateRange;

    use crate::query::Paging;

    fn search(filter: Filter) -> ConcertsQuery {
        ConcertsQuery {
            filter,
            dates: DateRange::default(),
            statuses: None,
            sort: crate::sort::Sort::default(),
            paging: Paging::Everything,
        }
    }

    fn circle(latitude: f64, longitude: f64, radius: f64) -> WithinRadius {
        WithinRadius { latitude, longitude, radius }
    }

    const OSLO: (f64, f64) = (59.91, 10.75);

    #[test]
    fn a_change_moves_the_scopes_of_its_band_and_place_and_no_other() {
        let scopes = ConcertScopes::default();
        let band_7 = search(Filter::Bands(vec![7]));
        let band_8 = search(Filter::Bands(vec![8]));
        let around_oslo = search(Filter::Circle(circle(59.9, 10.7, 30.0)));
        let around_paris = search(Filter::Circle(circle(48.86, 2.35, 30.0)));
        let both = search(Filter::Both(vec![8], circle(59.9, 10.7, 30.0)));
        let before: Vec<String> = [&band_7, &band_8, &around_oslo, &around_paris, &both].map(|q| scopes.of(q)).into();
        scopes.touched(7, OSLO);
        let after: Vec<String> = [&band_7, &band_8, &around_oslo, &around_paris, &both].map(|q| scopes.of(q)).into();
        let changed: Vec<bool> = before.iter().zip(&after).map(|(b, a)| b != a).collect();
        assert_eq!(changed, [true, false, true, false, true], "band 7, Oslo, and band 8 in Oslo");
    }

    #[test]
    fn a_circle_too_wide_for_the_grid_counts_every_change_and_an_epoch_counts_for_all() {
        let scopes = ConcertScopes::default();
        let planet = search(Filter::Circle(circle(0.0, 0.0, 20_100.0)));
        let arctic = search(Filter::Circle(circle(88.5, 0.0, 10.0)));
        let band = search(Filter::Bands(vec![1]));
        let (planet_0, arctic_0, band_0) = (scopes.of(&planet), scopes.of(&arctic), scopes.of(&band));
        scopes.touched(9, (-33.9, 151.2));
        assert_ne!(scopes.of(&planet), planet_0);
        assert_ne!(scopes.of(&arctic), arctic_0, "a circle reaching a pole counts every change");
        assert_eq!(scopes.of(&band), band_0);
        scopes.new_epoch();
        assert_ne!(scopes.of(&band), band_0, "a new epoch changes every scope");
    }

    #[test]
    fn the_grid_holds_every_venue_of_a_circle_across_the_antimeridian() {
        let fiji = circle(-17.0, 179.9, 60.0);
        let cells = cells_of(&fiji).unwrap();
        for venue in [(-17.0, 179.95), (-17.0, -179.95), (-16.6, 179.6), (-17.4, -179.8)] {
            assert!(cells.contains(&cell_of(venue)), "{venue:?} in {cells:?}");
        }
        assert_eq!(cell_of((-17.0, 180.0)), cell_of((-17.0, -180.0)), "one meridian, one cell");
    }
}
