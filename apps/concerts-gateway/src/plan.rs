//! The plan of a concert search: which services to ask, in which order, and
//! how their answers join into pages of concerts with their bands and venues.
//!
//! Each call asks for exactly the records a page needs, so the work grows
//! with the page, not with the catalogue nor with the number of matches;
//! calls that do not depend on each other run concurrently.

use std::sync::Arc;

use bands_model::Band;
use concerts_model::{Concert, ConcertFilter, ConcertSearch, Position};
use exceptions::HttpError;
use hashbrown::HashMap;
use venues_model::Venue;

use crate::clients::{RowStream, Services};
use crate::context::RequestContext;
use crate::query::{ConcertsQuery, Filter};

/// A search under way: the filter the concerts service pages through (a
/// circle already turned into its venues), and the bands already known
/// (those the filter itself needed).
pub struct Plan {
    services: Arc<Services>,
    filter: ConcertFilter,
    bands: HashMap<i64, Arc<Band>>,
}

/// One page of the answer: its concerts, the bands and venues they name
/// (each once, however many concerts name it), and where the next page starts.
#[derive(Debug, Default)]
pub struct Page {
    /// In list order; each one's band and venue are in `bands` and `venues`.
    concerts: Vec<Concert>,
    bands: HashMap<i64, Arc<Band>>,
    venues: HashMap<i64, Arc<Venue>>,
    /// Where the last concert of this page stands, when more come after it.
    pub next_after: Option<Position>,
}

impl Page {
    /// The page of `concerts` with these bands and venues. A concert whose
    /// band or venue is missing (the services own their data separately, so
    /// they can disagree for a while) is left out and logged.
    pub fn new(
        mut concerts: Vec<Concert>,
        bands: HashMap<i64, Arc<Band>>,
        venues: HashMap<i64, Arc<Venue>>,
        next_after: Option<Position>,
    ) -> Self {
        let named = concerts.len();
        concerts.retain(|c| bands.contains_key(&c.band_id) && venues.contains_key(&c.venue_id));
        if concerts.len() < named {
            tracing::warn!(missing = named - concerts.len(), "concerts refer to bands or venues that do not exist");
        }
        Self { concerts, bands, venues, next_after }
    }

    pub fn concerts(&self) -> &[Concert] {
        &self.concerts
    }

    pub fn bands(&self) -> impl Iterator<Item = &Band> {
        self.bands.values().map(|band| &**band)
    }

    pub fn venues(&self) -> impl Iterator<Item = &Venue> {
        self.venues.values().map(|venue| &**venue)
    }

    pub fn is_empty(&self) -> bool {
        self.concerts.is_empty()
    }

    /// The band and the venue that one of the page's concerts names.
    pub fn band_and_venue(&self, concert: &Concert) -> Option<(&Band, &Venue)> {
        Some((self.bands.get(&concert.band_id)?, self.venues.get(&concert.venue_id)?))
    }
}

impl Plan {
    /// Fetches what `query` needs before its concerts can be paged through:
    /// the ids of the venues within the circle, and with both filters the
    /// bands too (both at once). `None` when nothing can match.
    pub async fn start(
        services: &Arc<Services>,
        query: &ConcertsQuery,
        context: &RequestContext,
    ) -> Result<Option<Plan>, HttpError> {
        let (filter, bands) = match &query.filter {
            Filter::Bands(band_ids) => (search_for(Some(band_ids.clone()), None), Vec::new()),
            Filter::Circle(circle) => {
                let venue_ids = services.venues.within_radius(context, *circle).await?;
                (search_for(None, Some(venue_ids)), Vec::new())
            }
            Filter::Both(band_ids, circle) => {
                let (bands, venue_ids) = tokio::try_join!(
                    services.bands.by_ids(context, band_ids),
                    services.venues.within_radius(context, *circle)
                )?;
                (search_for(Some(ids(&bands, |b| b.id)), Some(venue_ids)), bands)
            }
        };
        let filter = ConcertFilter { dates: query.dates, statuses: query.statuses.clone(), ..filter };
        let nothing_matches = [&filter.band_ids, &filter.venue_ids].into_iter().flatten().any(Vec::is_empty);
        if nothing_matches {
            return Ok(None);
        }
        Ok(Some(Plan { services: services.clone(), filter, bands: bands.into_iter().map(|b| (b.id, b)).collect() }))
    }

    /// The `limit` concerts right after `after` (from the start when `None`),
    /// with their bands and venues.
    pub async fn page(
        &self,
        context: &RequestContext,
        after: Option<Position>,
        limit: usize,
    ) -> Result<Page, HttpError> {
        // One more than asked tells whether a next page exists.
        let search = ConcertSearch { filter: self.filter.clone(), limit: Some(limit + 1), after };
        let mut concerts = self.services.concerts.search(context, &search).await?;
        let more = concerts.len() > limit;
        concerts.truncate(limit);
        let next_after = more.then(|| concerts.last().map(Concert::position)).flatten();
        self.with_names(context, concerts, next_after).await
    }

    /// Every concert, in pages of `page_size` with their bands and venues,
    /// from one streamed answer of the concerts service.
    pub async fn pages(self: Arc<Self>, context: &RequestContext, page_size: usize) -> Result<Pages, HttpError> {
        let search = ConcertSearch { filter: self.filter.clone(), limit: None, after: None };
        let rows = self.services.concerts.stream(context, &search).await?;
        Ok(Pages { plan: self, rows: Some(rows), pending: Vec::new(), page_size })
    }

    /// The page of `concerts` with their bands and venues (fetched unless known).
    async fn with_names(
        &self,
        context: &RequestContext,
        concerts: Vec<Concert>,
        next_after: Option<Position>,
    ) -> Result<Page, HttpError> {
        let (known_bands, unknown_bands): (Vec<i64>, Vec<i64>) =
            distinct(&concerts, |c| c.band_id).into_iter().partition(|id| self.bands.contains_key(id));
        let page_venues = distinct(&concerts, |c| c.venue_id);
        let (fetched_bands, venues) = tokio::try_join!(
            self.services.bands.by_ids(context, &unknown_bands),
            self.services.venues.by_ids(context, &page_venues)
        )?;
        let known_bands = known_bands.into_iter().filter_map(|id| Some((id, self.bands.get(&id)?.clone())));
        let bands = known_bands.chain(fetched_bands.into_iter().map(|b| (b.id, b))).collect();
        let venues = venues.into_iter().map(|v| (v.id, v)).collect();
        Ok(Page::new(concerts, bands, venues, next_after))
    }
}

fn search_for(band_ids: Option<Vec<i64>>, venue_ids: Option<Vec<i64>>) -> ConcertFilter {
    ConcertFilter { band_ids, venue_ids, ..ConcertFilter::default() }
}

/// The pages of a streamed answer, as the rows arrive: each page is named
/// (its bands and venues fetched) once it is full, or at the end.
pub struct Pages {
    plan: Arc<Plan>,
    /// `None` once the stream has ended.
    rows: Option<RowStream>,
    /// Rows read but not yet handed out in a page.
    pending: Vec<Concert>,
    page_size: usize,
}

impl Pages {
    /// The next page (each with a fresh deadline for its names), or `None`
    /// when every row has been handed out.
    pub async fn next(&mut self, context: &RequestContext) -> Result<Option<Page>, HttpError> {
        while self.pending.len() < self.page_size {
            let Some(rows) = &mut self.rows else { break };
            match rows.next_rows().await? {
                Some(more) => self.pending.extend(more),
                None => self.rows = None,
            }
        }
        if self.pending.is_empty() {
            return Ok(None);
        }
        let rest = self.pending.split_off(self.page_size.min(self.pending.len()));
        let page = std::mem::replace(&mut self.pending, rest);
        self.plan.with_names(context, page, None).await.map(Some)
    }

    /// Whether every page has been handed out.
    pub fn is_done(&self) -> bool {
        self.rows.is_none() && self.pending.is_empty()
    }
}

fn ids<T>(records: &[T], id: impl Fn(&T) -> i64) -> Vec<i64> {
    records.iter().map(id).collect()
}

/// Each id that `concerts` refer to through `id`, once, in order.
fn distinct(concerts: &[Concert], id: impl Fn(&Concert) -> i64) -> Vec<i64> {
    let mut ids: Vec<i64> = concerts.iter().map(id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use concerts_model::Status;

    use super::*;
    use crate::answer::ConcertView;

    fn band(id: i64, name: &str) -> Arc<Band> {
        Arc::new(Band { id, name: name.to_owned() })
    }

    fn venue(id: i64, name: &str, latitude: f64, longitude: f64) -> Arc<Venue> {
        Arc::new(Venue::new(id, name, latitude, longitude))
    }

    fn by_id<T>(records: Vec<Arc<T>>, id: impl Fn(&T) -> i64) -> HashMap<i64, Arc<T>> {
        records.into_iter().map(|r| (id(&r), r)).collect()
    }

    fn concert(band_id: i64, venue_id: i64, date: i64) -> Concert {
        Concert { id: date * 10, band_id, venue_id, date, status: Status::Scheduled }
    }

    fn view<'a>(concert: Concert, band: &'a str, location: &'a str, latitude: f64, longitude: f64) -> ConcertView<'a> {
        ConcertView {
            band,
            location,
            date: concert.date,
            latitude,
            longitude,
            id: concert.id,
            band_id: concert.band_id,
            venue_id: concert.venue_id,
            status: concert.status,
            // These venues have no zone yet: their dates are shown in UTC.
            time_zone: "UTC",
            local_date: crate::answer::local_date(concert.date, venues_model::Tz::UTC),
        }
    }

    #[test]
    fn a_page_shows_each_concert_with_its_band_and_venue_in_order() {
        let concerts = vec![concert(2, 10, 300), concert(1, 11, 200), concert(2, 11, 100)];
        let bands = by_id(vec![band(1, "Radiohead"), band(2, "Sigur Rós")], |b| b.id);
        let venues = by_id(
            vec![
                venue(11, "Point Ephémère, Paris, France", 48.88, 2.36),
                venue(10, "Olympia, Paris, France", 48.87, 2.32),
            ],
            |v| v.id,
        );
        let page = Page::new(concerts.clone(), bands, venues, None);
        assert_eq!(
            crate::answer::views(&page),
            vec![
                view(concerts[0], "Sigur Rós", "Olympia, Paris, France", 48.87, 2.32),
                view(concerts[1], "Radiohead", "Point Ephémère, Paris, France", 48.88, 2.36),
                view(concerts[2], "Sigur Rós", "Point Ephémère, Paris, France", 48.88, 2.36),
            ]
        );
    }

    #[test]
    fn a_page_leaves_out_concerts_with_unknown_band_or_venue() {
        let concerts = vec![concert(1, 10, 3), concert(9, 10, 2), concert(1, 99, 1)];
        let page = Page::new(
            concerts,
            by_id(vec![band(1, "A")], |b| b.id),
            by_id(vec![venue(10, "V", 0.0, 0.0)], |v| v.id),
            Some(concert(1, 99, 1).position()),
        );
        assert_eq!(page.concerts(), &[concert(1, 10, 3)]);
        assert_eq!(crate::answer::views(&page).iter().map(|v| v.date).collect::<Vec<_>>(), vec![3]);
        // Where the next page starts does not depend on what this one could show.
        assert_eq!(page.next_after, Some(concert(1, 99, 1).position()));
        assert!(Page::new(Vec::new(), HashMap::new(), HashMap::new(), None).is_empty());
    }

    #[test]
    fn distinct_ids_are_sorted_and_unique() {
        let concerts = [concert(3, 1, 0), concert(1, 1, 0), concert(3, 2, 0)];
        assert_eq!(distinct(&concerts, |c| c.band_id), vec![1, 3]);
        assert_eq!(distinct(&concerts, |c| c.venue_id), vec![1, 2]);
    }
}
