//! The writes a run sends with `--write-share`: one concert at a time through
//! the gateway, as operators make them. Of each connection's writes, a third
//! add a concert (an existing band at an existing venue, at a date of its
//! own, with an `Idempotency-Key`), a third change the status of one it
//! added, a third delete one it added; a connection that has added none adds
//! one. So the catalogue keeps its size through a run: reads measured after
//! writes read the same data (with more adds than deletes, the unpaged
//! answers of the mix grew with each run, and so did their cost).

use hyper::Method;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use crate::mix::Catalogue;

/// The first date a run's concerts take (2030-01-01), in UNIX ms: after
/// every date of the data sets, so that no write lands on a concert there.
const FIRST_DATE: i64 = 1_893_456_000_000;
/// Statuses a change sets.
const STATUSES: [&str; 4] = ["scheduled", "postponed", "rescheduled", "cancelled"];

/// One write to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub method: Method,
    pub path: String,
    pub body: Option<String>,
    pub idempotency_key: Option<String>,
}

/// A connection's stream of writes, and the concerts it added.
pub struct Writes {
    rng: ChaCha8Rng,
    added: Vec<i64>,
    /// Tells apart the keys and dates of runs and connections.
    prefix: u64,
    count: u64,
}

impl Writes {
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5752_4954_4553);
        rng.set_stream(stream);
        Self { rng, added: Vec::new(), prefix: seed.wrapping_mul(1_000_003).wrapping_add(stream), count: 0 }
    }

    pub fn next_write(&mut self, catalogue: &Catalogue) -> Write {
        self.count += 1;
        let roll = self.rng.random_range(0..100);
        if roll >= 34 && !self.added.is_empty() {
            let at = self.rng.random_range(0..self.added.len());
            if roll >= 67 {
                let id = self.added.swap_remove(at);
                return Write {
                    method: Method::DELETE,
                    path: format!("/concerts/{id}"),
                    body: None,
                    idempotency_key: None,
                };
            }
            let status = STATUSES[self.rng.random_range(0..STATUSES.len())];
            let body = format!("{{\"status\":\"{status}\"}}");
            let path = format!("/concerts/{}", self.added[at]);
            return Write { method: Method::PATCH, path, body: Some(body), idempotency_key: None };
        }
        let band = catalogue.band_ids[self.rng.random_range(0..catalogue.band_ids.len())];
        let venue = catalogue.venue_ids[self.rng.random_range(0..catalogue.venue_ids.len())];
        // A millisecond of its own: runs and connections never take the same date.
        let date = FIRST_DATE + ((self.prefix % 100_000) * 10_000_000 + self.count) as i64 * 1000;
        let body = format!("{{\"bandId\":{band},\"venueId\":{venue},\"date\":{date}}}");
        let key = Some(format!("bench-{}-{}", self.prefix, self.count));
        Write { method: Method::POST, path: "/concerts".to_owned(), body: Some(body), idempotency_key: key }
    }

    /// What the gateway answered to `write`: an added concert is remembered.
    pub fn answered(&mut self, write: &Write, status: u16, body: &[u8]) {
        #[derive(Deserialize)]
        struct Added {
            id: i64,
        }
        if write.method == Method::POST
            && status == 201
            && let Ok(added) = serde_json::from_slice::<Added>(body)
        {
            self.added.push(added.id);
        }
    }
}

impl Write {
    /// This write and what came of it (`None`: no answer), as one JSON line of `--write-log`.
    pub fn outcome(&self, answer: Option<(u16, &[u8])>) -> String {
        let body: Option<serde_json::Value> = self.body.as_deref().and_then(|body| serde_json::from_str(body).ok());
        let (status, answer) = match answer {
            Some((status, bytes)) => (Some(status), serde_json::from_slice::<serde_json::Value>(bytes).ok()),
            None => (None, None),
        };
        serde_json::json!({
            "method": self.method.as_str(), "path": self.path, "body": body, "status": status, "answer": answer,
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        Catalogue { band_ids: vec![1, 2, 3], venues: vec![(1.0, 2.0)], venue_ids: vec![7, 8], band_names: Vec::new() }
    }

    #[test]
    fn writes_add_first_then_change_and_delete_what_they_added() {
        let catalogue = catalogue();
        let mut writes = Writes::new(1, 0);
        let first = writes.next_write(&catalogue);
        assert_eq!((first.method.clone(), first.path.as_str()), (Method::POST, "/concerts"));
        assert!(first.idempotency_key.is_some());
        let (mut adds, mut changes, mut deletes, mut dates) = (1, 0, 0, std::collections::HashSet::new());
        for n in 0..1000 {
            let write = writes.next_write(&catalogue);
            match write.method {
                Method::POST => {
                    let body: serde_json::Value = serde_json::from_str(write.body.as_deref().unwrap()).unwrap();
                    assert!(dates.insert(body["date"].as_i64().unwrap()), "a date of its own");
                    assert!([7, 8].contains(&body["venueId"].as_i64().unwrap()));
                    writes.answered(&write, 201, format!("{{\"id\":{n}}}").as_bytes());
                    adds += 1;
                }
                Method::PATCH => changes += 1,
                Method::DELETE => deletes += 1,
                _ => panic!("{write:?}"),
            }
        }
        assert!((280..390).contains(&changes) && (280..390).contains(&deletes), "{changes} changes, {deletes} deletes");
        assert!(adds - deletes < 100, "the catalogue keeps about its size: {adds} adds, {deletes} deletes");
        let other = Writes::new(1, 1).next_write(&catalogue);
        assert_ne!(other.body, first.body, "another connection, another date");
    }

    #[test]
    fn the_log_of_a_write_says_what_was_sent_and_what_came_back() {
        let write = Writes::new(1, 0).next_write(&catalogue());
        let line: serde_json::Value = serde_json::from_str(&write.outcome(Some((201, b"{\"id\":42}")))).unwrap();
        assert_eq!((line["method"].as_str(), line["path"].as_str()), (Some("POST"), Some("/concerts")));
        assert_eq!((line["status"].as_u64(), line["answer"]["id"].as_i64()), (Some(201), Some(42)));
        assert!(line["body"]["bandId"].is_i64());
        let lost: serde_json::Value = serde_json::from_str(&write.outcome(None)).unwrap();
        assert!(lost["status"].is_null() && lost["answer"].is_null(), "no answer: {lost}");
    }
}
