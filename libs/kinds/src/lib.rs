//! The catalogue's kinds of record, as their writes are read and checked
//! (`bootstrap::edits`): each one's schemas and what a patch settles. Each
//! service serves its own; the gateway's fuzz targets feed all three, so
//! they are declared once, here.

use bands_model::{BAND_DRAFT_SCHEMA, BAND_PATCH_SCHEMA, BAND_SCHEMA, Band, NewBand};
use bootstrap::edits::Kind;
use concerts_model::{CONCERT_PATCH_SCHEMA, CONCERT_RECORD_SCHEMA, CONCERT_SCHEMA, ConcertRecord, NewConcert};
use venues_model::{NewVenue, VENUE_DRAFT_SCHEMA, VENUE_PATCH_SCHEMA, VENUE_SCHEMA, Venue};

/// One band as its writes read and check it.
pub const BANDS: Kind<Band, NewBand> = Kind {
    name: "band",
    path: "/bands",
    record: BAND_SCHEMA,
    draft: BAND_DRAFT_SCHEMA,
    patch: BAND_PATCH_SCHEMA,
    settle: |_, after| Ok(after),
    types: std::marker::PhantomData,
};

/// One venue as its writes read and check it.
pub const VENUES: Kind<Venue, NewVenue> = Kind {
    name: "venue",
    path: "/venues",
    record: VENUE_SCHEMA,
    draft: VENUE_DRAFT_SCHEMA,
    patch: VENUE_PATCH_SCHEMA,
    settle: |before, after| Ok(before.settled(after)),
    types: std::marker::PhantomData,
};

/// One concert as its writes read and check it.
pub const CONCERTS: Kind<ConcertRecord, NewConcert> = Kind {
    name: "concert",
    path: "/concerts",
    record: CONCERT_RECORD_SCHEMA,
    draft: CONCERT_SCHEMA,
    patch: CONCERT_PATCH_SCHEMA,
    settle: |before, after| Ok(before.settled(after)),
    types: std::marker::PhantomData,
};
