//! The plan of a concert search: which services to ask, in which order, and
//! how their answers join into pages of concerts with their bands and venues.
//!
//! Each call asks for exactly the records a page needs, so the work grows
//! with the page, not with the catalogue nor with the number of matches;
//! calls that do not depend on each other run concurrently.

use std::sync::Arc;

use bands_model::Band;
use concerts_model::{Concert, ConcertCounts, ConcertFilter, ConcertSearch, CountSearch, GroupBy, Position};
use exceptions::HttpError;
use hashbrown::HashMap;
use venues_model::Venue;

use crate::clients::{RowStream, Services};
use crate::context::RequestContext;
use crate::paging::After;
use crate::query::{ConcertsQuery, Filter};
use crate::sort::Sort;

/// A search under way: the filter the concerts service pages through (a
/// circle already turned into its venues), its order, and the bands already
/// known (those the filter itself needed).
pub struct Plan {
    services: Arc<Services>,
    filter: ConcertFilter,
    sort: Sort,
    bands: HashMap<i64, Arc<Band>>,
    /// Sorted by distance: the circle's venues nearest first (ties by id),
    /// with their distance in km; the filter lists them in this order.
    nearest: Vec<(i64, f64)>,
}

/// One page of the answer: its concerts, the bands and venues they name
/// (each once, however many concerts name it), and where the next page starts.
#[derive(Debug, Default)]
pub struct Page {
    /// In list order; each one's band and venue are in `bands` and `venues`.
    concerts: Vec<Concert>,
    bands: HashMap<i64, Arc<Band>>,
    venues: HashMap<i64, Arc<Venue>>,
    /// Where the next page starts (right after this page's last concert),
    /// when more come after it.
    pub next_after: Option<After>,
}

impl Page {
    /// The page of `concerts` with these bands and venues. A concert whose
    /// band or venue is missing (the services own their data separately, so
    /// they can disagree for a while) is left out and logged.
    pub fn new(
        mut concerts: Vec<Concert>,
        bands: HashMap<i64, Arc<Band>>,
        venues: HashMap<i64, Arc<Venue>>,
        next_after: Option<After>,
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
    /// the ids of the venues within the circle (nearest first, with their
    /// distances, when sorted by distance), and with both filters the bands
    /// too (both at once). `None` when nothing can match.
    pub async fn start(
        services: &Arc<Services>,
        query: &ConcertsQuery,
        context: &RequestContext,
    ) -> Result<Option<Plan>, HttpError> {
        // The circle's venue ids, in the order the search reads them; nearest
        // first, with their distances too.
        let venues = |circle| async move {
            if query.sort != Sort::Nearest {
                return Ok((services.venues.within_radius(context, circle).await?, Vec::new()));
            }
            let nearest = services.venues.nearest_first(context, circle).await?;
            Ok::<_, HttpError>((ids(&nearest, |(id, _)| *id), nearest))
        };
        let (band_ids, venue_ids, bands, nearest) = match &query.filter {
            Filter::Bands(band_ids) => (Some(band_ids.clone()), None, Vec::new(), Vec::new()),
            Filter::Circle(circle) => {
                let (venue_ids, nearest) = venues(*circle).await?;
                (None, Some(venue_ids), Vec::new(), nearest)
            }
            Filter::Both(band_ids, circle) => {
                let (bands, (venue_ids, nearest)) =
                    tokio::try_join!(services.bands.by_ids(context, band_ids), venues(*circle))?;
                (Some(ids(&bands, |b| b.id)), Some(venue_ids), bands, nearest)
            }
        };
        let filter = ConcertFilter { band_ids, venue_ids, dates: query.dates, statuses: query.statuses.clone() };
        let nothing_matches = [&filter.band_ids, &filter.venue_ids].into_iter().flatten().any(Vec::is_empty);
        if nothing_matches {
            return Ok(None);
        }
        let bands = bands.into_iter().map(|b| (b.id, b)).collect();
        Ok(Some(Plan { services: services.clone(), filter, sort: query.sort, bands, nearest }))
    }

    /// The `limit` concerts right after `after` (from the start when `None`),
    /// with their bands and venues.
    pub async fn page(&self, context: &RequestContext, after: Option<After>, limit: usize) -> Result<Page, HttpError> {
        let (filter, after) = match after {
            Some(After::Nearest { km, last }) => self.nearest_after(km, last),
            after => (Some(self.filter.clone()), after.map(|after| after.last())),
        };
        let Some(filter) = filter else { return Ok(Page::default()) };
        // One more than asked tells whether a next page exists.
        let search = ConcertSearch { filter, order: self.sort.order(), limit: Some(limit + 1), after };
        let mut concerts = self.services.concerts.search(context, &search).await?;
        let more = concerts.len() > limit;
        concerts.truncate(limit);
        let next_after = more.then(|| concerts.last().and_then(|last| self.after(last))).flatten();
        self.with_names(context, concerts, next_after).await
    }

    /// Nearest first, the filter of a page after `last` (at a venue `km`
    /// away), and where in it to start; `None` for the filter when no venue is left.
    fn nearest_after(&self, km: f64, last: Position) -> (Option<ConcertFilter>, Option<Position>) {
        let (rest, after) = nearest_from(&self.nearest, km, last);
        if rest.is_empty() {
            return (None, None);
        }
        let filter = ConcertFilter { venue_ids: Some(ids(rest, |(id, _)| *id)), ..self.filter.clone() };
        (Some(filter), after)
    }

    /// Where a page after `last` starts, in the search's order.
    fn after(&self, last: &Concert) -> Option<After> {
        let position = last.position();
        Some(match self.sort {
            Sort::NewestFirst => After::NewestFirst(position),
            Sort::SoonestFirst => After::SoonestFirst(position),
            Sort::Nearest => {
                let (_, km) = self.nearest.iter().find(|(id, _)| *id == last.venue_id)?;
                After::Nearest { km: *km, last: position }
            }
        })
    }

    /// How many concerts the search matches, in all and per group of `by`.
    pub async fn count(&self, context: &RequestContext, by: Option<GroupBy>) -> Result<ConcertCounts, HttpError> {
        self.services.concerts.count(context, &CountSearch { filter: self.filter.clone(), by }).await
    }

    /// Every concert, in pages of `page_size` with their bands and venues,
    /// from one streamed answer of the concerts service.
    pub async fn pages(self: Arc<Self>, context: &RequestContext, page_size: usize) -> Result<Pages, HttpError> {
        let search = ConcertSearch { filter: self.filter.clone(), order: self.sort.order(), limit: None, after: None };
        let rows = self.services.concerts.stream(context, &search).await?;
        Ok(Pages { plan: self, rows: Some(rows), pending: Vec::new(), page_size })
    }

    /// The page of `concerts` with their bands and venues (fetched unless known).
    async fn with_names(
        &self,
        context: &RequestContext,
        concerts: Vec<Concert>,
        next_after: Option<After>,
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

/// Of `nearest` (venues nearest first, ties by id), those a page after `last`
/// (at a venue `km` away) reads: from `last`'s venue on, right after `last`;
/// or, when that venue is not in the circle any more (moved or deleted
/// since), from the next one at least as far, from its start.
fn nearest_from(nearest: &[(i64, f64)], km: f64, last: Position) -> (&[(i64, f64)], Option<Position>) {
    let before = |(id, distance): &(i64, f64)| distance.total_cmp(&km).then(id.cmp(&last.venue_id)).is_lt();
    let rest = &nearest[nearest.partition_point(before)..];
    let after = rest.first().filter(|(id, _)| *id == last.venue_id).map(|_| last);
    (rest, after)
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
            Some(After::NewestFirst(concert(1, 99, 1).position())),
        );
        assert_eq!(page.concerts(), &[concert(1, 10, 3)]);
        assert_eq!(crate::answer::views(&page).iter().map(|v| v.date).collect::<Vec<_>>(), vec![3]);
        // Where the next page starts does not depend on what this one could show.
        assert_eq!(page.next_after, Some(After::NewestFirst(concert(1, 99, 1).position())));
        assert!(Page::new(Vec::new(), HashMap::new(), HashMap::new(), None).is_empty());
    }

    #[test]
    fn nearest_first_a_page_goes_on_from_the_last_venue_or_the_next_one_as_far() {
        let nearest = [(5, 0.0), (1, 2.5), (7, 2.5), (2, 4.0)];
        let last = |venue_id| Position { date: 10, band_id: 3, venue_id };
        assert_eq!(nearest_from(&nearest, 2.5, last(7)), (&nearest[2..], Some(last(7))), "right after, in its venue");
        assert_eq!(nearest_from(&nearest, 2.5, last(1)), (&nearest[1..], Some(last(1))), "a tie on distance: by id");
        // The last venue moved away or was deleted: the next venue at least as far, from its start.
        assert_eq!(nearest_from(&nearest, 2.5, last(6)), (&nearest[2..], None));
        assert_eq!(nearest_from(&nearest, 3.0, last(1)), (&nearest[3..], None));
        assert_eq!(nearest_from(&nearest, 9.0, last(2)), (&nearest[4..], None), "past the circle: nothing left");
    }

    #[test]
    fn distinct_ids_are_sorted_and_unique() {
        let concerts = [concert(3, 1, 0), concert(1, 1, 0), concert(3, 2, 0)];
        assert_eq!(distinct(&concerts, |c| c.band_id), vec![1, 3]);
        assert_eq!(distinct(&concerts, |c| c.venue_id), vec![1, 2]);
    }
}
