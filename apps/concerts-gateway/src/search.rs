//! Answering a concert search: which services to ask, in which order, and how
//! their answers join into what the client sees, one page at a time.
//!
//! Each call asks for exactly the records a page needs, so the work grows
//! with the page, not with the catalogue nor with the number of matches;
//! calls that do not depend on each other run concurrently.

use std::collections::HashMap;
use std::sync::Arc;

use bands_model::Band;
use concerts_model::{Concert, ConcertSearch};
use exceptions::HttpError;
use serde::Serialize;
use utoipa::ToSchema;
use venues_model::Venue;

use crate::clients::{RequestContext, Services};
use crate::query::ConcertsQuery;

/// One concert as the public API shows it (borrowed from a [`Listing`]: no
/// name is copied to write an answer).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "band": "Radiohead", "location": "Point Ephémère, Paris, France",
    "date": 1569531810650_i64, "latitude": 48.8814422, "longitude": 2.3684356
}))]
pub struct ConcertView<'a> {
    /// The band's name.
    pub band: &'a str,
    /// The venue's name: "Venue, City, [State,] Country".
    pub location: &'a str,
    /// UNIX time in milliseconds.
    pub date: i64,
    /// The venue's latitude, in degrees.
    pub latitude: f64,
    /// The venue's longitude, in degrees.
    pub longitude: f64,
}

/// A concert with its band and venue.
#[derive(Debug, Clone)]
pub struct Listing {
    band: Arc<Band>,
    venue: Arc<Venue>,
    date: i64,
}

impl Listing {
    pub fn new(band: Arc<Band>, venue: Arc<Venue>, date: i64) -> Self {
        Self { band, venue, date }
    }

    pub fn band_id(&self) -> i64 {
        self.band.id
    }

    pub fn venue_id(&self) -> i64 {
        self.venue.id
    }

    pub fn view(&self) -> ConcertView<'_> {
        ConcertView {
            band: &self.band.name,
            location: &self.venue.name,
            date: self.date,
            latitude: self.venue.latitude,
            longitude: self.venue.longitude,
        }
    }
}

/// A search under way: the filter the concerts service pages through, and
/// the bands already known (those the filter itself needed).
pub struct Search {
    services: Services,
    filter: ConcertSearch,
    bands: HashMap<i64, Arc<Band>>,
}

/// One page of the answer, and where the next one starts.
#[derive(Debug, Default)]
pub struct Page {
    pub concerts: Vec<Listing>,
    /// The last concert of this page, when more come after it.
    pub next_after: Option<Concert>,
}

impl Search {
    /// Fetches what `query` needs before its concerts can be paged through:
    /// the ids of the venues within the radius, and with both filters the
    /// bands too (both at once). `None` when nothing can match.
    pub async fn start(
        services: &Services,
        query: &ConcertsQuery,
        context: &RequestContext,
    ) -> Result<Option<Search>, HttpError> {
        let (filter, bands) = match (query.bands(), query.area()) {
            (Some(band_ids), None) => (search_for(Some(band_ids), None), Vec::new()),
            (None, Some(area)) => {
                let venue_ids = services.venues.ids_within_radius(context, area).await?;
                (search_for(None, Some(venue_ids)), Vec::new())
            }
            (Some(band_ids), Some(area)) => {
                let (bands, venue_ids) = tokio::try_join!(
                    services.bands.by_ids(context, &band_ids),
                    services.venues.ids_within_radius(context, area)
                )?;
                (search_for(Some(ids(&bands, |b| b.id)), Some(venue_ids)), bands)
            }
            // The schema requires one filter; this only guards against the two drifting apart.
            (None, None) => return Err(HttpError::bad_request("give bandIds, or latitude, longitude and radius")),
        };
        let nothing_matches = [&filter.band_ids, &filter.venue_ids].into_iter().flatten().any(Vec::is_empty);
        if nothing_matches {
            return Ok(None);
        }
        Ok(Some(Search { services: services.clone(), filter, bands: bands.into_iter().map(|b| (b.id, b)).collect() }))
    }

    /// The `limit` concerts right after `after` (from the start when `None`),
    /// with their band and venue.
    pub async fn page(
        &self,
        context: &RequestContext,
        after: Option<Concert>,
        limit: usize,
    ) -> Result<Page, HttpError> {
        // One more than asked tells whether a next page exists.
        let search = ConcertSearch { limit: limit + 1, after, ..self.filter.clone() };
        let mut concerts = self.services.concerts.search(context, &search).await?;
        let more = concerts.len() > limit;
        concerts.truncate(limit);

        let unknown_bands = distinct(&concerts, |c| c.band_id, |id| !self.bands.contains_key(&id));
        let page_venues = distinct(&concerts, |c| c.venue_id, |_| true);
        let (bands, venues) = tokio::try_join!(
            self.services.bands.by_ids(context, &unknown_bands),
            self.services.venues.by_ids(context, &page_venues)
        )?;
        // Only this page's fetched records are indexed; the bands the search knew are looked up where they are.
        let fetched_bands: hashbrown::HashMap<i64, &Arc<Band>> = bands.iter().map(|b| (b.id, b)).collect();
        let venues: hashbrown::HashMap<i64, &Arc<Venue>> = venues.iter().map(|v| (v.id, v)).collect();
        let band = |id| self.bands.get(&id).or_else(|| fetched_bands.get(&id).copied());
        let venue = |id| venues.get(&id).copied();
        Ok(Page {
            concerts: join(&concerts, band, venue),
            next_after: more.then(|| concerts.last().copied()).flatten(),
        })
    }
}

fn search_for(band_ids: Option<Vec<i64>>, venue_ids: Option<Vec<i64>>) -> ConcertSearch {
    ConcertSearch { band_ids, venue_ids, limit: 0, after: None }
}

fn ids<T>(records: &[T], id: impl Fn(&T) -> i64) -> Vec<i64> {
    records.iter().map(id).collect()
}

/// Each id that `concerts` refer to through `id` and that `wanted` keeps, once.
fn distinct(concerts: &[Concert], id: impl Fn(&Concert) -> i64, wanted: impl Fn(i64) -> bool) -> Vec<i64> {
    let mut ids: Vec<i64> = concerts.iter().map(id).filter(|&i| wanted(i)).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Joins concerts with their band and venue, keeping the concerts' order. A
/// concert whose band or venue is missing (the services own their data
/// separately, so they can disagree for a while) is left out and logged.
pub fn join<'a>(
    concerts: &[Concert],
    band: impl Fn(i64) -> Option<&'a Arc<Band>>,
    venue: impl Fn(i64) -> Option<&'a Arc<Venue>>,
) -> Vec<Listing> {
    let views: Vec<Listing> = concerts
        .iter()
        .filter_map(|concert| {
            Some(Listing::new(band(concert.band_id)?.clone(), venue(concert.venue_id)?.clone(), concert.date))
        })
        .collect();
    if views.len() < concerts.len() {
        tracing::warn!(missing = concerts.len() - views.len(), "concerts refer to bands or venues that do not exist");
    }
    views
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_id<T>(records: &[Arc<T>], id: impl Fn(&T) -> i64) -> HashMap<i64, &Arc<T>> {
        records.iter().map(|r| (id(r), r)).collect()
    }

    fn band(id: i64, name: &str) -> Arc<Band> {
        Arc::new(Band { id, name: name.to_owned() })
    }

    fn venue(id: i64, name: &str, latitude: f64, longitude: f64) -> Arc<Venue> {
        Arc::new(Venue { id, name: name.to_owned(), latitude, longitude })
    }

    fn views(listings: &[Listing]) -> Vec<ConcertView<'_>> {
        listings.iter().map(Listing::view).collect()
    }

    fn concert(band_id: i64, venue_id: i64, date: i64) -> Concert {
        Concert { band_id, venue_id, date }
    }

    #[test]
    fn join_fills_band_and_venue_and_keeps_the_order() {
        let concerts = [concert(2, 10, 300), concert(1, 11, 200), concert(2, 11, 100)];
        let bands = [band(1, "Radiohead"), band(2, "Sigur Rós")];
        let venues =
            [venue(11, "Point Ephémère, Paris, France", 48.88, 2.36), venue(10, "Olympia, Paris, France", 48.87, 2.32)];
        let (bands, venues) = (by_id(&bands, |b| b.id), by_id(&venues, |v| v.id));
        let listings = join(&concerts, |id| bands.get(&id).copied(), |id| venues.get(&id).copied());
        assert_eq!(
            views(&listings),
            vec![
                ConcertView {
                    band: "Sigur Rós",
                    location: "Olympia, Paris, France",
                    date: 300,
                    latitude: 48.87,
                    longitude: 2.32
                },
                ConcertView {
                    band: "Radiohead",
                    location: "Point Ephémère, Paris, France",
                    date: 200,
                    latitude: 48.88,
                    longitude: 2.36
                },
                ConcertView {
                    band: "Sigur Rós",
                    location: "Point Ephémère, Paris, France",
                    date: 100,
                    latitude: 48.88,
                    longitude: 2.36
                },
            ]
        );
    }

    #[test]
    fn join_leaves_out_concerts_with_unknown_band_or_venue() {
        let concerts = [concert(1, 10, 3), concert(9, 10, 2), concert(1, 99, 1)];
        let (bands, venues) = ([band(1, "A")], [venue(10, "V", 0.0, 0.0)]);
        let (bands, venues) = (by_id(&bands, |b| b.id), by_id(&venues, |v| v.id));
        let listings = join(&concerts, |id| bands.get(&id).copied(), |id| venues.get(&id).copied());
        assert_eq!(views(&listings).iter().map(|v| v.date).collect::<Vec<_>>(), vec![3]);
    }

    #[test]
    fn join_of_nothing_is_empty() {
        let bands = [band(1, "A")];
        assert!(join(&[], |id| bands.iter().find(|b| b.id == id), |_| None).is_empty());
    }

    #[test]
    fn distinct_ids_are_sorted_unique_and_only_those_wanted() {
        let concerts = [concert(3, 1, 0), concert(1, 1, 0), concert(3, 2, 0)];
        assert_eq!(distinct(&concerts, |c| c.band_id, |_| true), vec![1, 3]);
        assert_eq!(distinct(&concerts, |c| c.venue_id, |_| true), vec![1, 2]);
        assert_eq!(distinct(&concerts, |c| c.venue_id, |id| id != 1), vec![2]);
    }

    #[test]
    fn the_public_item_has_the_exercise_shape() {
        let view = ConcertView {
            band: "Radiohead",
            location: "Point Ephémère, Paris, France",
            date: 1569531810650,
            latitude: 48.8814422,
            longitude: 2.3684356,
        };
        assert_eq!(
            serde_json::to_value(&view).unwrap(),
            serde_json::json!({"band": "Radiohead", "location": "Point Ephémère, Paris, France", "date": 1569531810650_i64, "latitude": 48.8814422, "longitude": 2.3684356})
        );
    }
}
