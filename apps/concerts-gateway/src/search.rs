//! Answering a concert search: which services to ask, in which order, and how
//! their answers join into what the client sees.
//!
//! Each call asks for exactly the records the answer needs, so the work grows
//! with the answer, not with the catalogue; calls that do not depend on each
//! other run concurrently.

use std::collections::{BTreeSet, HashMap};

use bands_model::Band;
use concerts_model::{Concert, ConcertSearch};
use exceptions::HttpError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use venues_model::Venue;

use crate::clients::{RequestContext, Services};
use crate::query::ConcertsQuery;

/// One concert as the public API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "band": "Radiohead", "location": "Point Ephémère, Paris, France",
    "date": 1569531810650_i64, "latitude": 48.8814422, "longitude": 2.3684356
}))]
pub struct ConcertView {
    /// The band's name.
    pub band: String,
    /// The venue's name: "Venue, City, [State,] Country".
    pub location: String,
    /// UNIX time in milliseconds.
    pub date: i64,
    /// The venue's latitude, in degrees.
    pub latitude: f64,
    /// The venue's longitude, in degrees.
    pub longitude: f64,
}

/// The concerts matching `query`, newest first.
pub async fn find_concerts(
    services: &Services,
    query: &ConcertsQuery,
    context: &RequestContext,
) -> Result<Vec<ConcertView>, HttpError> {
    match (query.bands(), query.area()) {
        (Some(band_ids), None) => {
            let search = ConcertSearch { band_ids: Some(band_ids.clone()), venue_ids: None };
            let (bands, concerts) = tokio::try_join!(
                services.bands.by_ids(context, &band_ids),
                services.concerts.search(context, &search)
            )?;
            let venues = services.venues.by_ids(context, &distinct(&concerts, |c| c.venue_id)).await?;
            Ok(join(&concerts, &bands, &venues))
        }
        (None, Some(area)) => {
            let venues = services.venues.within_radius(context, area).await?;
            if venues.is_empty() {
                return Ok(Vec::new());
            }
            let search = ConcertSearch { band_ids: None, venue_ids: Some(venues.iter().map(|v| v.id).collect()) };
            let concerts = services.concerts.search(context, &search).await?;
            let bands = services.bands.by_ids(context, &distinct(&concerts, |c| c.band_id)).await?;
            Ok(join(&concerts, &bands, &venues))
        }
        (Some(band_ids), Some(area)) => {
            let (bands, venues) = tokio::try_join!(
                services.bands.by_ids(context, &band_ids),
                services.venues.within_radius(context, area)
            )?;
            if venues.is_empty() || bands.is_empty() {
                return Ok(Vec::new());
            }
            let search = ConcertSearch {
                band_ids: Some(bands.iter().map(|b| b.id).collect()),
                venue_ids: Some(venues.iter().map(|v| v.id).collect()),
            };
            let concerts = services.concerts.search(context, &search).await?;
            Ok(join(&concerts, &bands, &venues))
        }
        // The schema requires one filter; this only guards against the two drifting apart.
        (None, None) => Err(HttpError::bad_request("give bandIds, or latitude, longitude and radius")),
    }
}

/// Each id that `concerts` refer to through `id`, once.
fn distinct(concerts: &[Concert], id: impl Fn(&Concert) -> i64) -> Vec<i64> {
    concerts.iter().map(id).collect::<BTreeSet<_>>().into_iter().collect()
}

/// Joins concerts with their band and venue, keeping the concerts' order. A
/// concert whose band or venue is missing (the services own their data
/// separately, so they can disagree for a while) is left out and logged.
pub fn join(concerts: &[Concert], bands: &[Band], venues: &[Venue]) -> Vec<ConcertView> {
    let bands: HashMap<i64, &Band> = bands.iter().map(|b| (b.id, b)).collect();
    let venues: HashMap<i64, &Venue> = venues.iter().map(|v| (v.id, v)).collect();
    let views: Vec<ConcertView> = concerts
        .iter()
        .filter_map(|concert| {
            let band = bands.get(&concert.band_id)?;
            let venue = venues.get(&concert.venue_id)?;
            Some(ConcertView {
                band: band.name.clone(),
                location: venue.name.clone(),
                date: concert.date,
                latitude: venue.latitude,
                longitude: venue.longitude,
            })
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

    fn band(id: i64, name: &str) -> Band {
        Band { id, name: name.to_owned() }
    }

    fn venue(id: i64, name: &str, latitude: f64, longitude: f64) -> Venue {
        Venue { id, name: name.to_owned(), latitude, longitude }
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
        let views = join(&concerts, &bands, &venues);
        assert_eq!(
            views,
            vec![
                ConcertView {
                    band: "Sigur Rós".into(),
                    location: "Olympia, Paris, France".into(),
                    date: 300,
                    latitude: 48.87,
                    longitude: 2.32
                },
                ConcertView {
                    band: "Radiohead".into(),
                    location: "Point Ephémère, Paris, France".into(),
                    date: 200,
                    latitude: 48.88,
                    longitude: 2.36
                },
                ConcertView {
                    band: "Sigur Rós".into(),
                    location: "Point Ephémère, Paris, France".into(),
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
        let views = join(&concerts, &[band(1, "A")], &[venue(10, "V", 0.0, 0.0)]);
        assert_eq!(views.iter().map(|v| v.date).collect::<Vec<_>>(), vec![3]);
    }

    #[test]
    fn join_of_nothing_is_empty() {
        assert!(join(&[], &[band(1, "A")], &[]).is_empty());
    }

    #[test]
    fn distinct_ids_are_sorted_and_unique() {
        let concerts = [concert(3, 1, 0), concert(1, 1, 0), concert(3, 2, 0)];
        assert_eq!(distinct(&concerts, |c| c.band_id), vec![1, 3]);
        assert_eq!(distinct(&concerts, |c| c.venue_id), vec![1, 2]);
    }

    #[test]
    fn the_public_item_has_the_exercise_shape() {
        let view = ConcertView {
            band: "Radiohead".into(),
            location: "Point Ephémère, Paris, France".into(),
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
