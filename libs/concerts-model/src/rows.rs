//! Search answers between the concerts service and the gateway, in binary.
//!
//! A geo search's answer is a thousand concerts or more, written by one
//! process and read by the other at every request; as JSON, formatting and
//! parsing the numbers was a tenth of the work of both. Here each concert is
//! its three ids as little-endian `i64` (band id, venue id, date): 24 bytes,
//! copied rather than formatted. A client asks for it with
//! `Accept: application/vnd.concert-rows`; JSON stays the default.

use crate::Concert;

/// The media type of an answer in this format.
pub const CONTENT_TYPE: &str = "application/vnd.concert-rows";

/// Bytes per concert.
pub const ROW_BYTES: usize = 24;

/// Why bytes are not rows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{length} bytes are not whole rows of {ROW_BYTES}")]
pub struct RowsError {
    pub length: usize,
}

/// `concerts` as rows.
pub fn encode(concerts: &[Concert]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(concerts.len() * ROW_BYTES);
    for concert in concerts {
        for id in [concert.band_id, concert.venue_id, concert.date] {
            bytes.extend_from_slice(&id.to_le_bytes());
        }
    }
    bytes
}

/// The concerts written by [`encode`].
pub fn decode(bytes: &[u8]) -> Result<Vec<Concert>, RowsError> {
    if !bytes.len().is_multiple_of(ROW_BYTES) {
        return Err(RowsError { length: bytes.len() });
    }
    let id = |row: &[u8], at: usize| {
        let mut le = [0; 8];
        le.copy_from_slice(&row[at..at + 8]);
        i64::from_le_bytes(le)
    };
    Ok(bytes
        .chunks_exact(ROW_BYTES)
        .map(|row| Concert { band_id: id(row, 0), venue_id: id(row, 8), date: id(row, 16) })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn decoding_gives_back_what_was_encoded(ids in prop::collection::vec(any::<(i64, i64, i64)>(), 0..50)) {
            let concerts: Vec<Concert> =
                ids.into_iter().map(|(band_id, venue_id, date)| Concert { band_id, venue_id, date }).collect();
            let bytes = encode(&concerts);
            prop_assert_eq!(bytes.len(), concerts.len() * ROW_BYTES);
            prop_assert_eq!(decode(&bytes).unwrap(), concerts);
        }
    }

    #[test]
    fn a_row_is_band_venue_date_little_endian() {
        let bytes = encode(&[Concert { band_id: 1, venue_id: -2, date: 0x0102_0304_0506_0708 }]);
        let mut expected = vec![1, 0, 0, 0, 0, 0, 0, 0];
        expected.extend([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        expected.extend([8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn a_cut_row_is_refused() {
        let bytes = encode(&[Concert { band_id: 1, venue_id: 2, date: 3 }; 2]);
        assert_eq!(decode(&bytes[..47]), Err(RowsError { length: 47 }));
        assert_eq!(decode(&[]), Ok(Vec::new()));
    }
}
