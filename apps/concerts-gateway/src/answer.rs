//! Writing answers: a page's concerts as JSON items of the public shape
//! ([`crate::search::ConcertView`]).
//!
//! A page of a thousand concerts names each band and venue many times.
//! Each one's part of an item (its name escaped, the venue's coordinates
//! formatted) is written by `serde_json` once per page and copied into every
//! item that names it, which makes writing a large answer several times
//! cheaper than serializing each item whole. The bytes are the same as
//! `serde_json` writes for a `ConcertView` (tested below).

use hashbrown::HashMap;

use crate::search::Listing;

/// Appends `listings` to `out` as comma-separated JSON objects, with a comma
/// first unless `first` (the items of one array may come in several pieces).
pub fn write_items(listings: &[Listing], first: bool, out: &mut Vec<u8>) {
    let mut bands: HashMap<i64, Vec<u8>> = HashMap::new();
    let mut venues: HashMap<i64, (Vec<u8>, Vec<u8>)> = HashMap::new();
    out.reserve(listings.len() * 120);
    for (index, listing) in listings.iter().enumerate() {
        if index > 0 || !first {
            out.push(b',');
        }
        let view = listing.view();
        // `{"band":"...","location":"...","date":` then the date, then `,"latitude":..,"longitude":..}`.
        let band = bands.entry(listing.band_id()).or_insert_with(|| {
            let mut part = b"{\"band\":".to_vec();
            write_json(&mut part, &view.band);
            part
        });
        out.extend_from_slice(band);
        let (location, position) = venues.entry(listing.venue_id()).or_insert_with(|| {
            let mut location = b",\"location\":".to_vec();
            write_json(&mut location, &view.location);
            location.extend_from_slice(b",\"date\":");
            let mut position = b",\"latitude\":".to_vec();
            write_json(&mut position, &view.latitude);
            position.extend_from_slice(b",\"longitude\":");
            write_json(&mut position, &view.longitude);
            position.push(b'}');
            (location, position)
        });
        out.extend_from_slice(location);
        write_json(out, &view.date);
        out.extend_from_slice(position);
    }
}

/// The whole answer of one page: a JSON array.
pub fn array(listings: &[Listing]) -> Vec<u8> {
    let mut out = vec![b'['];
    write_items(listings, true, &mut out);
    out.push(b']');
    out
}

fn write_json(out: &mut Vec<u8>, value: &impl serde::Serialize) {
    // Strings and numbers always serialize; a non-finite float (never stored) would write `null`.
    let _ = serde_json::to_writer(out, value);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bands_model::Band;
    use venues_model::Venue;

    use super::*;
    use crate::search::ConcertView;

    fn views(listings: &[Listing]) -> Vec<ConcertView<'_>> {
        listings.iter().map(Listing::view).collect()
    }

    fn listings() -> Vec<Listing> {
        let bands = [
            Arc::new(Band { id: 1, name: "Sigur Rós".into() }),
            Arc::new(Band { id: 2, name: "The \"Quoted\" \\ Band\n\t\u{1}".into() }),
        ];
        let venues = [
            Arc::new(Venue {
                id: 10,
                name: "Point Ephémère, Paris, France".into(),
                latitude: 48.8814422,
                longitude: 2.3684356,
            }),
            Arc::new(Venue { id: 11, name: "Südpol 🎸".into(), latitude: -90.0, longitude: -0.000_000_1 }),
            Arc::new(Venue { id: 12, name: String::new(), latitude: 1e-7, longitude: 179.99999999 }),
        ];
        let mut all = Vec::new();
        for (i, date) in [1569531810650_i64, 0, -1, i64::MAX, 42].into_iter().enumerate() {
            all.push(Listing::new(bands[i % 2].clone(), venues[i % 3].clone(), date));
        }
        all
    }

    #[test]
    fn an_answer_is_byte_for_byte_what_serde_writes_for_the_views() {
        let listings = listings();
        assert_eq!(String::from_utf8(array(&listings)).unwrap(), serde_json::to_string(&views(&listings)).unwrap());
        assert_eq!(array(&[]), b"[]");
    }

    #[test]
    fn pieces_written_one_after_another_make_one_array() {
        let listings = listings();
        let mut out = vec![b'['];
        write_items(&listings[..2], true, &mut out);
        write_items(&listings[2..], false, &mut out);
        out.push(b']');
        assert_eq!(out, array(&listings));
    }
}
