//! The public query of `GET /concerts`, and the JSON Schema that validates it.
//!
//! The schema file is the single source of the rules: it is compiled once at
//! start-up for validation and shown as is in the OpenAPI document.

use chrono::{DateTime, NaiveDate};
use concerts_model::DateRange;
use exceptions::HttpError;
use serde::Deserialize;
use serde_json::json;
use validator::{Schema, SchemaError, id_batch, name_search};
use venues_model::WithinRadius;

pub const QUERY_SCHEMA: &str = include_str!("../schemas/concerts-query.schema.json");

pub fn schema() -> Result<Schema, SchemaError> {
    Schema::from_json_text("ConcertsQuery", QUERY_SCHEMA)
}

/// The query of `GET /bands` and `GET /venues`: a name as a person types it
/// (`q`, with `limit`), or ids. Its rules are the services' own
/// (`validator::name_search`, `validator::id_batch`).
pub fn names_schema(title: &str, what: &str) -> Result<Schema, SchemaError> {
    Schema::new(
        title,
        json!({
            "title": title,
            "description": format!("The query string of GET /{what}: q, the text a name holds (and limit), or ids."),
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "q": name_search::text_property(),
                "limit": name_search::limit_property(),
                "ids": id_batch::ids_property(),
            },
            "anyOf": [{"required": ["q"]}, {"required": ["ids"]}],
            "not": {"required": ["q", "ids"]},
            "dependentRequired": {"limit": ["q"]},
            "errorMessage": {"anyOf": "give q (what the name holds) or ids", "not": "give q or ids, not both"}
        }),
    )
}

/// A validated query of `GET /bands` or `GET /venues`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NamesQuery {
    pub q: Option<String>,
    pub limit: Option<usize>,
    pub ids: Option<Vec<i64>>,
}

impl NamesQuery {
    /// The query as a text that is the same for every query meaning the same.
    pub fn normalized(&self) -> String {
        let ids = self.ids.clone().map(|mut ids| {
            ids.sort_unstable();
            ids.dedup();
            ids
        });
        format!("q={:?};ids={ids:?}", self.text())
    }

    /// The search by name, if this is one: the text and how many names at most.
    pub fn text(&self) -> Option<(&str, usize)> {
        Some((self.q.as_deref()?, self.limit.unwrap_or(name_search::DEFAULT_NAMES)))
    }
}

/// A validated query: `band_ids`, or the whole geo triple, or both.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConcertsQuery {
    pub band_ids: Option<Vec<i64>>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub radius: Option<f64>,
    /// The earliest moment, as given (a date, a date-time with a zone, or UNIX ms).
    pub from: Option<String>,
    /// The latest moment, as given.
    pub to: Option<String>,
    /// Page size; without it, the whole answer.
    pub limit: Option<usize>,
    /// Where the page starts (from the previous page's `Link` header).
    pub cursor: Option<String>,
}

impl ConcertsQuery {
    /// The band filter, each id once, ascending.
    pub fn bands(&self) -> Option<Vec<i64>> {
        self.band_ids.as_ref().map(|ids| {
            let mut ids = ids.clone();
            ids.sort_unstable();
            ids.dedup();
            ids
        })
    }

    /// The geo filter, when all three of its parameters are given.
    pub fn area(&self) -> Option<WithinRadius> {
        Some(WithinRadius { latitude: self.latitude?, longitude: self.longitude?, radius: self.radius? })
    }

    /// The query as a text that is the same for every query meaning the same
    /// (ids in order and once, dates in milliseconds): what an answer's tag
    /// is made of.
    pub fn normalized(&self, dates: &DateRange) -> String {
        format!(
            "bands={:?};area={:?};from={:?};to={:?};limit={:?};cursor={:?}",
            self.bands(),
            self.area().map(|a| (a.latitude, a.longitude, a.radius)),
            dates.from,
            dates.to,
            self.limit,
            self.cursor,
        )
    }

    /// The date range, in UNIX milliseconds, both ends included: a bare date
    /// is that UTC day (`from` its first millisecond, `to` its last).
    pub fn dates(&self) -> Result<DateRange, HttpError> {
        let from = self.from.as_deref().map(|text| moment("from", text, Day::First)).transpose()?;
        let to = self.to.as_deref().map(|text| moment("to", text, Day::Last)).transpose()?;
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(HttpError::bad_request("from must not be after to"));
        }
        Ok(DateRange { from, to })
    }
}

/// Which millisecond of a bare date a bound means.
#[derive(Clone, Copy)]
enum Day {
    First,
    Last,
}

const DAY_MS: i64 = 86_400_000;

/// `text` (the schema has checked its form) as UNIX milliseconds.
fn moment(name: &str, text: &str, day: Day) -> Result<i64, HttpError> {
    let out_of_range = || HttpError::bad_request(format!("{name} is out of range"));
    if let Ok(millis) = text.parse::<i64>() {
        return Ok(millis);
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let first = date.and_hms_opt(0, 0, 0).ok_or_else(out_of_range)?.and_utc().timestamp_millis();
        return Ok(match day {
            Day::First => first,
            Day::Last => first + DAY_MS - 1,
        });
    }
    DateTime::parse_from_rfc3339(text).map(|moment| moment.timestamp_millis()).map_err(|_| {
        HttpError::bad_request(format!(
            "{name} must be a date (2019-06-01), a date-time with a zone (2019-06-01T20:00:00Z) or UNIX milliseconds"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use exceptions::HttpError;

    fn parse(raw: &str) -> Result<ConcertsQuery, HttpError> {
        schema().expect("the query schema compiles").parse_query(Some(raw))
    }

    fn rejected(raw: &str) -> Vec<String> {
        match parse(raw) {
            Err(HttpError::BadRequest(messages)) => messages,
            other => panic!("{raw:?} should be rejected, got {other:?}"),
        }
    }

    #[test]
    fn band_ids_alone_are_a_query() {
        let query = parse("bandIds=3,1,3").unwrap();
        assert_eq!(query.bands(), Some(vec![1, 3]));
        assert_eq!(query.area(), None);
    }

    #[test]
    fn both_band_id_forms_and_a_mix_read_the_same() {
        let commas = parse("bandIds=1,2,3").unwrap();
        assert_eq!(parse("bandIds=1&bandIds=2&bandIds=3").unwrap(), commas);
        assert_eq!(parse("bandIds=1,2&bandIds=3").unwrap(), commas);
        assert_eq!(parse("bandIds=1%2C2%2C3").unwrap(), commas);
    }

    #[test]
    fn the_geo_triple_alone_is_a_query() {
        let query = parse("latitude=48.857931&longitude=2.350144&radius=20").unwrap();
        assert_eq!(query.bands(), None);
        assert_eq!(query.area(), Some(WithinRadius { latitude: 48.857931, longitude: 2.350144, radius: 20.0 }));
    }

    #[test]
    fn all_four_filters_together_are_a_query() {
        let query = parse("bandIds=1,2&latitude=-33.5&longitude=151&radius=0.5").unwrap();
        assert_eq!(query.bands(), Some(vec![1, 2]));
        assert!(query.area().is_some());
    }

    #[test]
    fn no_filter_is_rejected() {
        let message = vec!["give bandIds, or latitude, longitude and radius together (or all four)".to_owned()];
        assert_eq!(rejected(""), message);
    }

    #[test]
    fn a_partial_geo_triple_names_what_is_missing() {
        assert_eq!(
            rejected("latitude=1&longitude=2"),
            vec![
                "radius is required when latitude and longitude are given",
                "give bandIds, or latitude, longitude and radius together (or all four)"
            ]
        );
        let with_bands = rejected("bandIds=1&radius=5");
        assert_eq!(
            with_bands,
            vec!["latitude is required when radius is given", "longitude is required when radius is given"]
        );
    }

    #[test]
    fn unknown_parameters_are_rejected_by_name() {
        assert_eq!(
            rejected("bandId=1"),
            vec![
                "bandId is not a known parameter (known: bandIds, cursor, from, latitude, limit, longitude, radius, to)",
                "give bandIds, or latitude, longitude and radius together (or all four)"
            ]
        );
        assert_eq!(
            rejected("bandIds=1&page=5"),
            vec![
                "page is not a known parameter (known: bandIds, cursor, from, latitude, limit, longitude, radius, to)"
            ]
        );
    }

    #[test]
    fn a_scalar_given_twice_is_rejected() {
        assert_eq!(rejected("latitude=1&latitude=2&longitude=0&radius=1"), vec!["latitude must be given only once"]);
    }

    #[test]
    fn ranges_are_enforced_with_the_limit_named() {
        assert_eq!(rejected("latitude=90.01&longitude=0&radius=1"), vec!["latitude must be <= 90"]);
        assert_eq!(rejected("latitude=-91&longitude=0&radius=1"), vec!["latitude must be >= -90"]);
        assert_eq!(rejected("latitude=0&longitude=180.5&radius=1"), vec!["longitude must be <= 180"]);
        assert_eq!(rejected("latitude=0&longitude=-181&radius=1"), vec!["longitude must be >= -180"]);
        assert_eq!(rejected("latitude=0&longitude=0&radius=-0.1"), vec!["radius must be >= 0"]);
        assert_eq!(rejected("bandIds=0"), vec!["bandIds[0] must be >= 1"]);
        assert_eq!(rejected("bandIds=-4"), vec!["bandIds[0] must be >= 1"]);
    }

    #[test]
    fn range_limits_themselves_are_accepted() {
        for raw in ["latitude=90&longitude=180&radius=0", "latitude=-90&longitude=-180&radius=0"] {
            assert!(parse(raw).is_ok(), "{raw}");
        }
    }

    #[test]
    fn malformed_values_are_rejected_with_the_value_sent() {
        assert_eq!(rejected("bandIds=abc"), vec!["bandIds[0] must be an integer (got \"abc\")"]);
        assert_eq!(rejected("bandIds=1.5"), vec!["bandIds[0] must be an integer (got 1.5)"]);
        assert_eq!(rejected("bandIds=1,,2"), vec!["bandIds[1] must be an integer (got \"\")"]);
        assert_eq!(rejected("bandIds="), vec!["bandIds[0] must be an integer (got \"\")"]);
        assert_eq!(rejected("latitude=north&longitude=0&radius=1"), vec!["latitude must be a number (got \"north\")"]);
        assert_eq!(rejected("latitude=0&longitude=0&radius="), vec!["radius must be a number (got \"\")"]);
    }

    #[test]
    fn only_finite_numbers_are_accepted() {
        for value in ["NaN", "inf", "-inf", "Infinity", "1e400"] {
            assert_eq!(
                rejected(&format!("latitude=0&longitude=0&radius={value}")),
                vec![format!("radius must be a number (got \"{value}\")")]
            );
        }
    }

    #[test]
    fn huge_band_ids_are_rejected_not_wrapped() {
        assert_eq!(rejected("bandIds=99999999999999999999"), vec!["bandIds[0] must be <= 9007199254740991"]);
    }

    #[test]
    fn too_many_band_ids_are_rejected() {
        let ids: Vec<String> = (1..=1001).map(|i| i.to_string()).collect();
        assert_eq!(rejected(&format!("bandIds={}", ids.join(","))), vec!["bandIds must have at most 1000 items"]);
    }

    #[test]
    fn pages_are_asked_with_a_limit_and_an_opaque_cursor() {
        let query = parse("bandIds=1&limit=100&cursor=djE6MToyOjM").unwrap();
        assert_eq!((query.limit, query.cursor.as_deref()), (Some(100), Some("djE6MToyOjM")));
        assert_eq!(rejected("bandIds=1&limit=0"), vec!["limit must be >= 1"]);
        assert_eq!(rejected("bandIds=1&limit=1001"), vec!["limit must be <= 1000"]);
        assert_eq!(rejected("bandIds=1&limit=ten"), vec!["limit must be an integer (got \"ten\")"]);
        assert_eq!(rejected("bandIds=1&cursor=abc"), vec!["limit is required when cursor is given"]);
        assert_eq!(
            rejected("bandIds=1&limit=5&cursor=not%20a%20cursor!"),
            vec!["cursor is not one this API gave out: take it from the previous page's Link header"]
        );
    }

    #[test]
    fn dates_are_utc_days_date_times_with_zones_or_milliseconds() {
        let dates = |raw: &str| parse(raw).unwrap().dates().unwrap();
        let june = dates("bandIds=1&from=2019-06-01&to=2019-06-30");
        assert_eq!((june.from, june.to), (Some(1_559_347_200_000), Some(1_561_939_199_999)), "whole UTC days");
        let zoned = dates("bandIds=1&from=2019-06-01T22:00:00%2B02:00&to=2019-06-01T20:00:00Z");
        assert_eq!((zoned.from, zoned.to), (Some(1_559_419_200_000), Some(1_559_419_200_000)), "the same instant");
        let millis = dates("bandIds=1&from=-5&to=1559347200000");
        assert_eq!((millis.from, millis.to), (Some(-5), Some(1_559_347_200_000)));
        assert_eq!(dates("bandIds=1&to=2019-06-01").from, None, "either end alone");
        assert_eq!(dates("bandIds=1"), DateRange::default());
    }

    #[test]
    fn bad_dates_name_the_parameter_and_the_rule() {
        let rule = |name: &str| {
            format!(
                "{name} must be a date (2019-06-01), a date-time with a zone (2019-06-01T20:00:00Z) or UNIX milliseconds"
            )
        };
        assert_eq!(rejected("bandIds=1&from=2019-13-01"), vec![rule("from")]);
        assert_eq!(rejected("bandIds=1&to=2019-06-01T20:00:00"), vec![rule("to")], "a date-time needs its zone");
        assert_eq!(rejected("bandIds=1&from=June"), vec![rule("from")]);
        assert_eq!(rejected("bandIds=1&from=1&from=2"), vec!["from must be given only once"]);
        let reversed = parse("bandIds=1&from=2019-07-01&to=2019-06-30").unwrap().dates().unwrap_err();
        assert_eq!(reversed.body().message, vec!["from must not be after to"]);
        assert_eq!(
            rejected("from=2019-06-01"),
            vec!["give bandIds, or latitude, longitude and radius together (or all four)"]
        );
    }

    #[test]
    fn queries_that_mean_the_same_normalize_the_same() {
        let normalized = |raw: &str| {
            let query = parse(raw).unwrap();
            query.normalized(&query.dates().unwrap())
        };
        assert_eq!(normalized("bandIds=2,1,2&limit=5"), normalized("limit=5&bandIds=1&bandIds=2"));
        assert_eq!(normalized("bandIds=1&from=2019-06-01"), normalized("bandIds=1&from=1559347200000"));
        assert_ne!(normalized("bandIds=1&limit=5"), normalized("bandIds=1&limit=6"));
        assert_ne!(normalized("bandIds=1"), normalized("bandIds=1&to=2019-06-01"));
        let names = names_schema("BandsQuery", "bands").unwrap();
        let named = |raw: &str| names.parse_query::<NamesQuery>(Some(raw)).unwrap().normalized();
        assert_eq!(named("ids=2,1"), named("ids=1,2,2"));
        assert_eq!(named("q=muse"), named("q=muse&limit=10"), "10 unless said");
        assert_ne!(named("q=muse"), named("q=muses"));
    }

    #[test]
    fn names_are_searched_by_text_or_looked_up_by_ids() {
        let schema = names_schema("BandsQuery", "bands").unwrap();
        let parse = |raw: &str| schema.parse_query::<NamesQuery>(Some(raw));
        let rejected = |raw: &str| match parse(raw) {
            Err(HttpError::BadRequest(messages)) => messages,
            other => panic!("{raw:?} should be rejected, got {other:?}"),
        };
        assert_eq!(parse("q=sigur+ros").unwrap().text(), Some(("sigur ros", 10)), "ten names unless said");
        assert_eq!(parse("q=muse&limit=50").unwrap().text(), Some(("muse", 50)));
        assert_eq!(parse("ids=3,1").unwrap().ids, Some(vec![3, 1]));
        assert_eq!(rejected(""), vec!["give q (what the name holds) or ids"]);
        assert_eq!(rejected("q="), vec!["q must not be empty or only spaces"]);
        assert_eq!(rejected("q=%20%20%09"), vec!["q must not be empty or only spaces"]);
        assert_eq!(rejected(&format!("q={}", "a".repeat(101))), vec!["q must be at most 100 characters long"]);
        assert_eq!(rejected("q=muse&limit=51"), vec!["limit must be <= 50"]);
        assert_eq!(rejected("q=muse&limit=0"), vec!["limit must be >= 1"]);
        assert_eq!(rejected("q=muse&ids=1"), vec!["give q or ids, not both"]);
        assert_eq!(rejected("ids=1&limit=5"), vec!["q is required when limit is given"]);
        assert_eq!(rejected("q=muse&name=x"), vec!["name is not a known parameter (known: ids, limit, q)"]);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let messages = rejected("bandIds=0,x&latitude=100&longitude=0&radius=-1&bogus=1");
        assert_eq!(messages.len(), 5, "{messages:?}");
    }
}
