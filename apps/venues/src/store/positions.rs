//! Where every venue is, in memory, for radius queries.
//!
//! A radius query looks at every venue near its circle. Read from the file,
//! that is a lookup per candidate; in an in-memory R-tree it is a few
//! microseconds for hundreds of venues. Venues are few (10,000 at the
//! exercise's largest scale, about 300 KB here), so all of them fit. The
//! venues table stays the record: the tree is built from it when the store
//! opens and kept in step with every import.

use std::collections::HashMap;
use std::sync::RwLock;

use rstar::{AABB, RTree, RTreeObject};
use venues_model::{Venue, WithinRadius};

use super::Nearby;
use crate::geo::bounding_boxes;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Position {
    id: i64,
    latitude: f64,
    longitude: f64,
}

impl RTreeObject for Position {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        AABB::from_point([self.longitude, self.latitude])
    }
}

/// The position of every venue.
#[derive(Debug, Default)]
pub struct Positions {
    index: RwLock<Index>,
}

#[derive(Debug, Default)]
struct Index {
    by_id: HashMap<i64, Position>,
    tree: RTree<Position>,
}

impl Positions {
    /// Positions of `(id, latitude, longitude)`.
    pub fn new(venues: impl IntoIterator<Item = (i64, f64, f64)>) -> Self {
        let by_id =
            venues.into_iter().map(|(id, latitude, longitude)| (id, Position { id, latitude, longitude })).collect();
        Self { index: RwLock::new(Index::built(by_id)) }
    }

    /// The venues at most `radius` km from the centre, boundary included,
    /// each with its distance, by ascending id.
    pub fn within(&self, query: WithinRadius) -> Vec<Nearby> {
        let index = self.index.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let centre = (query.latitude, query.longitude);
        let mut found: Vec<Nearby> = bounding_boxes(centre, query.radius)
            .into_iter()
            .flat_map(|area| {
                let envelope = AABB::from_corners([area.min_lon, area.min_lat], [area.max_lon, area.max_lat]);
                index.tree.locate_in_envelope(&envelope).copied().collect::<Vec<_>>()
            })
            .filter_map(|p| Nearby::within(centre, query.radius, p.id, (p.latitude, p.longitude)))
            .collect();
        // Two boxes meet at the antimeridian; a venue on it may be found twice.
        found.sort_unstable_by_key(|nearby| nearby.id);
        found.dedup_by_key(|nearby| nearby.id);
        found
    }

    /// Takes in imported venues (new ones, and new positions of known ones).
    pub fn place(&self, venues: &[Venue]) {
        let mut index = self.index.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut by_id = std::mem::take(&mut index.by_id);
        for v in venues {
            by_id.insert(v.id, Position { id: v.id, latitude: v.latitude, longitude: v.longitude });
        }
        // Bulk loading the whole tree again is simple and quick at this size (milliseconds).
        *index = Index::built(by_id);
    }
}

impl Positions {
    /// Forgets a deleted venue.
    pub fn remove(&self, id: i64) {
        let mut index = self.index.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut by_id = std::mem::take(&mut index.by_id);
        if by_id.remove(&id).is_some() {
            *index = Index::built(by_id);
        } else {
            index.by_id = by_id;
        }
    }
}

impl Index {
    fn built(by_id: HashMap<i64, Position>) -> Self {
        let tree = RTree::bulk_load(by_id.values().copied().collect());
        Self { by_id, tree }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn venue(id: i64, latitude: f64, longitude: f64) -> Venue {
        Venue::new(id, format!("venue {id}"), latitude, longitude)
    }

    fn within(positions: &Positions, latitude: f64, longitude: f64, radius: f64) -> Vec<i64> {
        positions.within(WithinRadius { latitude, longitude, radius }).into_iter().map(|nearby| nearby.id).collect()
    }

    #[test]
    fn finds_the_venues_in_the_circle_in_id_order() {
        let positions = Positions::new([(3, 48.9245, 2.3602), (1, 48.8700, 2.3283), (4, 51.5397, -0.1426)]);
        assert_eq!(within(&positions, 48.857931, 2.350144, 8.0), vec![1, 3]);
        assert_eq!(within(&positions, 48.857931, 2.350144, 400.0), vec![1, 3, 4]);
    }

    #[test]
    fn a_moved_venue_is_found_only_where_it_is_now() {
        let positions = Positions::new([(1, 48.8700, 2.3283)]);
        positions.place(&[venue(1, 51.5397, -0.1426), venue(2, 48.8700, 2.3283)]);
        assert_eq!(within(&positions, 48.8700, 2.3283, 1.0), vec![2]);
        assert_eq!(within(&positions, 51.5397, -0.1426, 1.0), vec![1]);
    }

    #[test]
    fn a_circle_across_the_antimeridian_finds_both_sides_once() {
        let positions = Positions::new([(1, -16.5, 179.95), (2, -16.5, -179.95), (3, -16.5, 170.0)]);
        assert_eq!(within(&positions, -16.5, 180.0, 20.0), vec![1, 2]);
    }
}
