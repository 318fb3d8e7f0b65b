//! The `cursor` target: bytes as a page's cursor (`decode_cursor`), as
//! the text inside one (base64 is opaque to a fuzzer: these bytes reach the
//! parsing behind it), and as the change feed's (`FeedCursor::parse`). A
//! cursor that decodes names a place that writes back as a cursor naming the
//! same place.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::paging::{After, FeedCursor, cursor_after, decode_cursor};

use super::refused_politely;

pub fn cursor(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    page_cursor(&text);
    page_cursor(&URL_SAFE_NO_PAD.encode(data));
    match FeedCursor::parse(&text) {
        Ok(feed) => assert_eq!(FeedCursor::parse(&feed.to_string()).ok(), Some(feed), "{feed}"),
        Err(error) => refused_politely(&error),
    }
}

fn page_cursor(text: &str) {
    match decode_cursor(text) {
        Ok(after) => {
            if let After::Nearest { km, .. } = after {
                assert!(km.is_finite() && km >= 0.0, "a distance of {km} km");
            }
            let again = decode_cursor(&cursor_after(&after)).expect("a cursor written is read");
            assert_eq!(again, after, "the cursor of {after:?} reads as {again:?}");
        }
        Err(error) => refused_politely(&error),
    }
}
