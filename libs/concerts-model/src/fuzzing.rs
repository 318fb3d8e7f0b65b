//! The `rows` fuzz target's check (`fuzz/`, cargo-fuzz), fed bytes by
//! libFuzzer and, by the gateway's fuzzing tests (which replay every
//! target's kept inputs), every input kept under `fuzz/seeds/rows/` and
//! `fuzz/regressions/rows/`. See docs/testing.md, Fuzzing.

use crate::rows::{self, ROW_BYTES, RowsError};
use crate::{Concert, Status};

/// Bytes as the rows a gateway reads from the concerts service: decoded,
/// they encode back to the same bytes; refused, for a cut row or an unknown
/// status only. And the same bytes taken as concerts (the status byte
/// folded onto a known one) encode to rows that decode to them.
pub fn rows(data: &[u8]) {
    match rows::decode(data) {
        Ok(concerts) => {
            assert_eq!(concerts.len() * ROW_BYTES, data.len());
            assert_eq!(rows::encode(&concerts), data, "rows decoded do not encode back");
        }
        Err(RowsError::Cut { length }) => {
            assert_eq!(length, data.len());
            assert!(!length.is_multiple_of(ROW_BYTES), "whole rows refused as cut");
        }
        Err(RowsError::Status { row, code }) => {
            assert_eq!(data.get(row * ROW_BYTES + ROW_BYTES - 1), Some(&code), "row {row} misnamed");
            assert!(Status::from_code(code).is_none(), "a known status {code} refused");
        }
    }
    let concerts: Vec<Concert> = data.chunks_exact(ROW_BYTES).map(concert_of).collect();
    assert_eq!(rows::decode(&rows::encode(&concerts)).as_ref(), Ok(&concerts), "concerts do not survive rows");
}

fn concert_of(bytes: &[u8]) -> Concert {
    let number = |at: usize| {
        let mut le = [0; 8];
        le.copy_from_slice(&bytes[at..at + 8]);
        i64::from_le_bytes(le)
    };
    let status = Status::from_code(bytes[32] % 4).unwrap_or_default();
    Concert { id: number(0), band_id: number(8), venue_id: number(16), date: number(24), status }
}
