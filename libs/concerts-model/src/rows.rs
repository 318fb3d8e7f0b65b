//! Search answers between the concerts service and the gateway, in binary.
//!
//! A geo search's answer is a thousand concerts or more, written by one
//! process and read by the other at every request; as JSON, formatting and
//! parsing the numbers was a tenth of the work of both. Here each concert is
//! its id, band id, venue id and date as little-endian `i64`, then its status
//! as one byte ([`Status::code`]): 33 bytes, copied rather than formatted. A
//! client asks for it with `Accept: application/vnd.concert-rows`; JSON stays
//! the default.

use crate::{Concert, Status};

/// The media type of an answer in this format.
pub const CONTENT_TYPE: &str = "application/vnd.concert-rows";

/// Bytes per concert.
pub const ROW_BYTES: usize = 33;

/// Why bytes are not rows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowsError {
    #[error("{length} bytes are not whole rows of {ROW_BYTES}")]
    Cut { length: usize },
    #[error("row {row} has the unknown status {code}")]
    Status { row: usize, code: u8 },
}

/// `concerts` as rows.
pub fn encode(concerts: &[Concert]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(concerts.len() * ROW_BYTES);
    for concert in concerts {
        for number in [concert.id, concert.band_id, concert.venue_id, concert.date] {
            bytes.extend_from_slice(&number.to_le_bytes());
        }
        bytes.push(concert.status.code());
    }
    bytes
}

/// The concerts written by [`encode`].
pub fn decode(bytes: &[u8]) -> Result<Vec<Concert>, RowsError> {
    if !bytes.len().is_multiple_of(ROW_BYTES) {
        return Err(RowsError::Cut { length: bytes.len() });
    }
    let number = |row: &[u8], at: usize| {
        let mut le = [0; 8];
        le.copy_from_slice(&row[at..at + 8]);
        i64::from_le_bytes(le)
    };
    bytes
        .chunks_exact(ROW_BYTES)
        .enumerate()
        .map(|(index, row)| {
            let status = Status::from_code(row[32]).ok_or(RowsError::Status { row: index, code: row[32] })?;
            Ok(Concert {
                id: number(row, 0),
                band_id: number(row, 8),
                venue_id: number(row, 16),
                date: number(row, 24),
                status,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn decoding_gives_back_what_was_encoded(
            rows in prop::collection::vec((any::<(i64, i64, i64, i64)>(), 0u8..4), 0..50)
        ) {
            let concerts: Vec<Concert> = rows
                .into_iter()
                .map(|((id, band_id, venue_id, date), code)| {
                    Concert { id, band_id, venue_id, date, status: Status::from_code(code).unwrap() }
                })
                .collect();
            let bytes = encode(&concerts);
            prop_assert_eq!(bytes.len(), concerts.len() * ROW_BYTES);
            prop_assert_eq!(decode(&bytes).unwrap(), concerts);
        }
    }

    #[test]
    fn a_row_is_id_band_venue_date_little_endian_then_the_status() {
        let concert =
            Concert { id: 7, band_id: 1, venue_id: -2, date: 0x0102_0304_0506_0708, status: Status::Cancelled };
        let mut expected = vec![7, 0, 0, 0, 0, 0, 0, 0];
        expected.extend([1, 0, 0, 0, 0, 0, 0, 0]);
        expected.extend([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        expected.extend([8, 7, 6, 5, 4, 3, 2, 1]);
        expected.push(3);
        assert_eq!(encode(&[concert]), expected);
    }

    #[test]
    fn a_cut_row_or_an_unknown_status_is_refused() {
        let concert = Concert { id: 1, band_id: 1, venue_id: 2, date: 3, status: Status::Scheduled };
        let bytes = encode(&[concert; 2]);
        assert_eq!(decode(&bytes[..47]), Err(RowsError::Cut { length: 47 }));
        assert_eq!(decode(&[]), Ok(Vec::new()));
        let mut unknown = bytes.clone();
        unknown[ROW_BYTES + 32] = 9;
        assert_eq!(decode(&unknown), Err(RowsError::Status { row: 1, code: 9 }));
    }
}
