//! The public queries, each parsed once into a domain value: the query
//! string is checked against its JSON Schema (the single source of the rules,
//! shown as is in the OpenAPI document), then read into a type that holds
//! only what can be meant. A search is bands, or a circle, or both; a page is
//! a size and where it starts, or everything: nothing downstream checks again
//! what these types rule out.

use std::time::Duration;

use changes_model::{Change, ChangeKind};
use chrono::{DateTime, NaiveDate};
use concerts_model::{DateRange, Status};
use exceptions::{Code, HttpError, Problem};
use serde::Deserialize;
use serde_json::json;
use validator::{CompiledSchema, FromQuery, Schema, SchemaError, id_batch, name_search};
use venues_model::WithinRadius;

use crate::clients::Owner;

/// Where venues are (latitude, longitude), by id.
pub type VenuePlaces = std::collections::HashMap<i64, (f64, f64)>;
use crate::paging::{self, After, FeedCursor};
use crate::sort::Sort;

pub const QUERY_SCHEMA: &str = include_str!("../schemas/concerts-query.schema.json");
pub const CHANGES_QUERY_SCHEMA: &str = include_str!("../schemas/changes-query.schema.json");

static CONCERTS_SCHEMA: CompiledSchema = CompiledSchema::new(|| Schema::from_json_text("ConcertsQuery", QUERY_SCHEMA));
static NAMES_SCHEMA: CompiledSchema = CompiledSchema::new(names_schema);
static CHANGES_SCHEMA: CompiledSchema =
    CompiledSchema::new(|| Schema::from_json_text("ChangesQuery", CHANGES_QUERY_SCHEMA));

/// `GET /concerts`: which concerts, within which dates, one page or all.
#[derive(Debug, Clone, PartialEq)]
pub struct ConcertsQuery {
    pub filter: Filter,
    pub dates: DateRange,
    /// The statuses kept (each once, in their order); `None`: every status.
    pub statuses: Option<Vec<Status>>,
    /// The order the concerts come in; nearest first only with a circle.
    pub sort: Sort,
    pub paging: Paging,
}

/// What a concert must match.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// One of these bands (each once, ascending).
    Bands(Vec<i64>),
    /// A venue within the circle.
    Circle(WithinRadius),
    /// One of these bands, at a venue within the circle.
    Both(Vec<i64>, WithinRadius),
}

/// How much of the answer a request asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Paging {
    /// At most `limit` concerts, right after `after` (from the start when
    /// `None`), which is in the query's order.
    Page { limit: usize, after: Option<After> },
    /// Every match, streamed.
    Everything,
}

/// The query string as its schema describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConcertsParams {
    band_ids: Option<Vec<i64>>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    radius: Option<f64>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
    status: Option<Vec<Status>>,
    sort: Option<Sort>,
}

impl FromQuery for ConcertsQuery {
    type Params = ConcertsParams;

    fn schema() -> Result<&'static Schema, &'static SchemaError> {
        CONCERTS_SCHEMA.as_ref()
    }

    fn parse(params: ConcertsParams) -> Result<Self, HttpError> {
        let circle = match (params.latitude, params.longitude, params.radius) {
            (Some(latitude), Some(longitude), Some(radius)) => Some(WithinRadius { latitude, longitude, radius }),
            _ => None,
        };
        let bands = params.band_ids.map(|mut ids| {
            ids.sort_unstable();
            ids.dedup();
            ids
        });
        let filter = match (bands, circle) {
            (Some(bands), None) => Filter::Bands(bands),
            (None, Some(circle)) => Filter::Circle(circle),
            (Some(bands), Some(circle)) => Filter::Both(bands, circle),
            (None, None) => return Err(HttpError::Internal("the query schema let a query without a filter in".into())),
        };
        let sort = params.sort.unwrap_or_default();
        if sort == Sort::Nearest && matches!(filter, Filter::Bands(_)) {
            return Err(HttpError::Internal("the query schema let sort=distance in without a circle".into()));
        }
        let from = params.from.as_deref().map(|text| moment("from", text, Day::First)).transpose()?;
        let to = params.to.as_deref().map(|text| moment("to", text, Day::Last)).transpose()?;
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(HttpError::bad_request(Problem::at(Code::InvalidRange, "from", "from must not be after to")));
        }
        let paging = match params.limit {
            Some(limit) => {
                let after = params.cursor.as_deref().map(paging::decode_cursor).transpose()?;
                if let Some(after) = after.filter(|after| after.sort() != sort) {
                    let message = format!(
                        "cursor was given out for sort={}, not sort={}: take it from this search's Link header",
                        after.sort().name(),
                        sort.name()
                    );
                    return Err(HttpError::bad_request(Problem::at(Code::InvalidCursor, "cursor", message)));
                }
                Paging::Page { limit, after }
            }
            None => Paging::Everything,
        };
        let statuses = params.status.map(|mut statuses| {
            statuses.sort_unstable();
            statuses.dedup();
            statuses
        });
        Ok(Self { filter, dates: DateRange { from, to }, statuses, sort, paging })
    }
}

impl ConcertsQuery {
    /// The bands of the filter, if it names some.
    pub fn bands(&self) -> Option<&[i64]> {
        match &self.filter {
            Filter::Bands(bands) | Filter::Both(bands, _) => Some(bands),
            Filter::Circle(_) => None,
        }
    }

    /// The circle of the filter, if it has one.
    pub fn circle(&self) -> Option<WithinRadius> {
        match &self.filter {
            Filter::Circle(circle) | Filter::Both(_, circle) => Some(*circle),
            Filter::Bands(_) => None,
        }
    }

    /// The query as a text that is the same for every query meaning the same
    /// (ids in order and once, dates in milliseconds): what an answer's tag
    /// is made of.
    pub fn normalized(&self) -> String {
        let circle = self.circle().map(|c| (c.latitude, c.longitude, c.radius));
        format!(
            "bands={:?};circle={circle:?};from={:?};to={:?};statuses={:?};sort={:?};paging={:?}",
            self.bands(),
            self.dates.from,
            self.dates.to,
            self.statuses,
            self.sort,
            self.paging
        )
    }

    /// The query string of this search's page that starts at `next`, in its
    /// canonical form: what the `Link` to the next page holds.
    pub fn next_page(&self, next: &After) -> Option<String> {
        let Paging::Page { limit, .. } = self.paging else { return None };
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(bands) = self.bands() {
            let ids: Vec<String> = bands.iter().map(i64::to_string).collect();
            query.append_pair("bandIds", &ids.join(","));
        }
        if let Some(WithinRadius { latitude, longitude, radius }) = self.circle() {
            query.append_pair("latitude", &latitude.to_string());
            query.append_pair("longitude", &longitude.to_string());
            query.append_pair("radius", &radius.to_string());
        }
        if let Some(from) = self.dates.from {
            query.append_pair("from", &from.to_string());
        }
        if let Some(to) = self.dates.to {
            query.append_pair("to", &to.to_string());
        }
        if let Some(statuses) = &self.statuses {
            let names: Vec<&str> = statuses.iter().map(|status| status.name()).collect();
            query.append_pair("status", &names.join(","));
        }
        if self.sort != Sort::default() {
            query.append_pair("sort", self.sort.name());
        }
        query.append_pair("limit", &limit.to_string());
        query.append_pair("cursor", &paging::cursor_after(next));
        Some(query.finish())
    }
}

/// `GET /changes`: from where, how many, how long to wait, whose changes.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangesQuery {
    /// Where the page starts; `None`: at the oldest change kept.
    pub since: Option<FeedCursor>,
    pub limit: usize,
    pub wait: Duration,
    /// Whose changes (each once, in no particular order).
    pub entities: Vec<Owner>,
    /// Only these bands and their concerts (each once, ascending); venues are all kept.
    pub bands: Option<Vec<i64>>,
    /// Only the venues in this circle and the concerts at them; bands are all kept.
    pub circle: Option<WithinRadius>,
}

/// The query string as its schema describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangesParams {
    since: Option<String>,
    limit: Option<usize>,
    wait: Option<u64>,
    entity: Option<Vec<String>>,
    band_ids: Option<Vec<i64>>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    radius: Option<f64>,
}

impl FromQuery for ChangesQuery {
    type Params = ChangesParams;

    fn schema() -> Result<&'static Schema, &'static SchemaError> {
        CHANGES_SCHEMA.as_ref()
    }

    fn parse(params: ChangesParams) -> Result<Self, HttpError> {
        let all = [Owner::Bands, Owner::Venues, Owner::Concerts];
        let entities = match params.entity {
            Some(names) => all.into_iter().filter(|owner| names.iter().any(|name| name == owner.name())).collect(),
            None => all.to_vec(),
        };
        let bands = params.band_ids.map(|mut ids| {
            ids.sort_unstable();
            ids.dedup();
            ids
        });
        Ok(Self {
            since: params.since.as_deref().map(FeedCursor::parse).transpose()?,
            limit: params.limit.unwrap_or(100),
            wait: Duration::from_secs(params.wait.unwrap_or(0)),
            entities,
            bands,
            // The schema asks for the three together.
            circle: match (params.latitude, params.longitude, params.radius) {
                (Some(latitude), Some(longitude), Some(radius)) => Some(WithinRadius { latitude, longitude, radius }),
                _ => None,
            },
        })
    }
}

impl ChangesQuery {
    /// Whether the filters keep `change` of `owner`'s log: with `bandIds`,
    /// the concerts of those bands (a deleted one by what it was) and those
    /// bands, every venue; with a circle, the venues in it and the concerts
    /// at them (`places`: where the concerts' venues are; a concert whose
    /// venue is not known any more is kept, so that its tombstone reaches
    /// whoever kept it), every band; both: what both keep. An update is
    /// kept when what it was or what it is now is kept (a concert that
    /// moved away is taken out of a mirror). Every import (`bulk`: read
    /// again) is kept.
    pub fn keeps(&self, owner: Owner, change: &Change, places: &VenuePlaces) -> bool {
        if change.kind == ChangeKind::Bulk {
            return true;
        }
        let states = || [&change.record, &change.previous].into_iter().flatten();
        let of_band = |id: Option<i64>| match &self.bands {
            Some(bands) => id.is_some_and(|id| bands.binary_search(&id).is_ok()),
            None => true,
        };
        let in_circle = |place: Option<(f64, f64)>| match (&self.circle, place) {
            (Some(circle), Some(place)) => circle.contains(place),
            _ => true,
        };
        match owner {
            Owner::Concerts => states().any(|state| {
                of_band(state["bandId"].as_i64())
                    && in_circle(state["venueId"].as_i64().and_then(|venue| places.get(&venue).copied()))
            }),
            Owner::Bands => of_band(change.id),
            Owner::Venues => {
                states().any(|state| in_circle(state["latitude"].as_f64().zip(state["longitude"].as_f64())))
            }
        }
    }

    /// The venues whose places [`Self::keeps`] needs for the concert changes
    /// of `changes`: none without a circle.
    pub fn venues_to_place(&self, changes: &[Change]) -> Vec<i64> {
        if self.circle.is_none() {
            return Vec::new();
        }
        let mut venues: Vec<i64> = changes
            .iter()
            .flat_map(|change| [&change.record, &change.previous])
            .flatten()
            .filter_map(|state| state["venueId"].as_i64())
            .collect();
        venues.sort_unstable();
        venues.dedup();
        venues
    }

    /// The query string of the page that starts at `next`, in its canonical
    /// form: what the `Link` to the next page holds.
    pub fn next_page(&self, next: FeedCursor) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("since", &next.to_string());
        query.append_pair("limit", &self.limit.to_string());
        if !self.wait.is_zero() {
            query.append_pair("wait", &self.wait.as_secs().to_string());
        }
        if self.entities.len() < 3 {
            let names: Vec<&str> = self.entities.iter().map(|owner| owner.name()).collect();
            query.append_pair("entity", &names.join(","));
        }
        if let Some(bands) = &self.bands {
            let ids: Vec<String> = bands.iter().map(i64::to_string).collect();
            query.append_pair("bandIds", &ids.join(","));
        }
        if let Some(circle) = &self.circle {
            query.append_pair("latitude", &circle.latitude.to_string());
            query.append_pair("longitude", &circle.longitude.to_string());
            query.append_pair("radius", &circle.radius.to_string());
        }
        query.finish()
    }
}

/// Which millisecond of a bare date a bound means.
#[derive(Clone, Copy)]
enum Day {
    First,
    Last,
}

const DAY_MS: i64 = 86_400_000;

/// `text` (the schema has checked its form) as UNIX milliseconds: a bare
/// date is that UTC day (`from` its first millisecond, `to` its last);
/// `now` is the second the request is read (its first millisecond for
/// `from`, its last for `to`). The moment, not the word, goes into the
/// answer's tag and the next page's `Link`: the pages of one search keep
/// one `now`, and answers are kept a second at most.
fn moment(name: &str, text: &str, day: Day) -> Result<i64, HttpError> {
    let out_of_range =
        || HttpError::bad_request(Problem::at(Code::OutOfRange, name, format!("{name} is out of range")));
    if let Ok(millis) = text.parse::<i64>() {
        return Ok(millis);
    }
    if text == "now" {
        let second = chrono::Utc::now().timestamp();
        return Ok(match day {
            Day::First => second * 1000,
            Day::Last => second * 1000 + 999,
        });
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let first = date.and_hms_opt(0, 0, 0).ok_or_else(out_of_range)?.and_utc().timestamp_millis();
        return Ok(match day {
            Day::First => first,
            Day::Last => first + DAY_MS - 1,
        });
    }
    DateTime::parse_from_rfc3339(text).map(|moment| moment.timestamp_millis()).map_err(|_| {
        let message = format!(
            "{name} must be a date (2019-06-01), a date-time with a zone (2019-06-01T20:00:00Z), UNIX milliseconds or now"
        );
        HttpError::bad_request(Problem::at(Code::InvalidDate, name, message))
    })
}

/// `GET /bands` and `GET /venues`: names as a person types them, or records by id.
#[derive(Debug, Clone, PartialEq)]
pub enum NamesQuery {
    /// At most `limit` records whose name holds `text`, best first.
    Text { text: String, limit: usize },
    /// These records (each id once, ascending).
    Ids(Vec<i64>),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NamesParams {
    q: Option<String>,
    limit: Option<usize>,
    ids: Option<Vec<i64>>,
}

impl FromQuery for NamesQuery {
    type Params = NamesParams;

    fn schema() -> Result<&'static Schema, &'static SchemaError> {
        NAMES_SCHEMA.as_ref()
    }

    fn parse(params: NamesParams) -> Result<Self, HttpError> {
        match (params.q, params.ids) {
            (Some(text), None) => Ok(Self::Text { text, limit: params.limit.unwrap_or(name_search::DEFAULT_NAMES) }),
            (None, Some(mut ids)) => {
                ids.sort_unstable();
                ids.dedup();
                Ok(Self::Ids(ids))
            }
            _ => Err(HttpError::Internal("the names schema let a query without exactly one of q and ids in".into())),
        }
    }
}

impl NamesQuery {
    /// The query as a text that is the same for every query meaning the same.
    pub fn normalized(&self) -> String {
        format!("{self:?}")
    }
}

/// The schema of `GET /bands` and `GET /venues`: a name as a person types it
/// (`q`, with `limit`), or ids. Its rules are the services' own
/// (`validator::name_search`, `validator::id_batch`).
fn names_schema() -> Result<Schema, SchemaError> {
    Schema::new(
        "NamesQuery",
        json!({
            "title": "NamesQuery",
            "description": "The query string of GET /bands and GET /venues: q, the text a name holds (and limit), or ids.",
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

#[cfg(test)]
mod tests {
    use super::*;
    use concerts_model::Position;
    use exceptions::HttpError;

    fn parse(raw: &str) -> Result<ConcertsQuery, HttpError> {
        let schema = ConcertsQuery::schema().expect("the query schema compiles");
        ConcertsQuery::parse(schema.parse_query(Some(raw))?)
    }

    fn problems(raw: &str) -> Vec<Problem> {
        match parse(raw) {
            Err(HttpError::BadRequest(problems)) => problems,
            other => panic!("{raw:?} should be rejected, got {other:?}"),
        }
    }

    fn rejected(raw: &str) -> Vec<String> {
        problems(raw).into_iter().map(|problem| problem.message).collect()
    }

    /// The code and parameter of the one problem of `raw`.
    fn coded(raw: &str) -> (Code, Option<String>) {
        match problems(raw).as_slice() {
            [one] => (one.code, one.parameter.clone()),
            many => panic!("{raw:?} should have one problem, got {many:?}"),
        }
    }

    const PARIS: WithinRadius = WithinRadius { latitude: 48.857931, longitude: 2.350144, radius: 20.0 };

    #[test]
    fn band_ids_alone_are_a_query() {
        let query = parse("bandIds=3,1,3").unwrap();
        assert_eq!(query.filter, Filter::Bands(vec![1, 3]));
        assert_eq!((query.paging, query.dates), (Paging::Everything, DateRange::default()));
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
        assert_eq!(query.filter, Filter::Circle(PARIS));
    }

    #[test]
    fn all_four_filters_together_are_a_query() {
        let query = parse("bandIds=2,1&latitude=-33.5&longitude=151&radius=0.5").unwrap();
        let circle = WithinRadius { latitude: -33.5, longitude: 151.0, radius: 0.5 };
        assert_eq!(query.filter, Filter::Both(vec![1, 2], circle));
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
                "bandId is not a known parameter (known: bandIds, cursor, from, latitude, limit, longitude, radius, sort, status, to)",
                "give bandIds, or latitude, longitude and radius together (or all four)"
            ]
        );
        assert_eq!(
            rejected("bandIds=1&page=5"),
            vec![
                "page is not a known parameter (known: bandIds, cursor, from, latitude, limit, longitude, radius, sort, status, to)"
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
        let last = After::NewestFirst(Position { band_id: 1, venue_id: 2, date: 3 });
        let cursor = paging::cursor_after(&last);
        let query = parse(&format!("bandIds=1&limit=100&cursor={cursor}")).unwrap();
        assert_eq!(query.paging, Paging::Page { limit: 100, after: Some(last) });
        assert_eq!(parse("bandIds=1&limit=5").unwrap().paging, Paging::Page { limit: 5, after: None });
        assert_eq!(rejected("bandIds=1&limit=0"), vec!["limit must be >= 1"]);
        assert_eq!(rejected("bandIds=1&limit=1001"), vec!["limit must be <= 1000"]);
        assert_eq!(rejected("bandIds=1&limit=ten"), vec!["limit must be an integer (got \"ten\")"]);
        assert_eq!(rejected("bandIds=1&cursor=abc"), vec!["limit is required when cursor is given"]);
        let not_ours = vec!["cursor is not one this API gave out: take it from the previous page's Link header"];
        assert_eq!(rejected("bandIds=1&limit=5&cursor=not%20a%20cursor!"), not_ours);
        assert_eq!(rejected("bandIds=1&limit=5&cursor=abc"), not_ours, "well formed, but not a cursor");
    }

    #[test]
    fn dates_are_utc_days_date_times_with_zones_or_milliseconds() {
        let dates = |raw: &str| parse(raw).unwrap().dates;
        let june = dates("bandIds=1&from=2019-06-01&to=2019-06-30");
        assert_eq!((june.from, june.to), (Some(1_559_347_200_000), Some(1_561_939_199_999)), "whole UTC days");
        let zoned = dates("bandIds=1&from=2019-06-01T22:00:00%2B02:00&to=2019-06-01T20:00:00Z");
        assert_eq!((zoned.from, zoned.to), (Some(1_559_419_200_000), Some(1_559_419_200_000)), "the same instant");
        let before = chrono::Utc::now().timestamp_millis();
        let upcoming = dates("bandIds=1&from=now");
        let after = chrono::Utc::now().timestamp_millis();
        let from = upcoming.from.unwrap();
        assert!(from % 1000 == 0 && from > before - 1000 && from <= after, "now, to the second: {from}");
        let past = dates("bandIds=1&to=now");
        assert_eq!(past.to.unwrap() % 1000, 999, "the last millisecond of the second");
        let millis = dates("bandIds=1&from=-5&to=1559347200000");
        assert_eq!((millis.from, millis.to), (Some(-5), Some(1_559_347_200_000)));
        assert_eq!(dates("bandIds=1&to=2019-06-01").from, None, "either end alone");
        assert_eq!(dates("bandIds=1"), DateRange::default());
    }

    #[test]
    fn bad_dates_name_the_parameter_and_the_rule() {
        let rule = |name: &str| {
            format!(
                "{name} must be a date (2019-06-01), a date-time with a zone (2019-06-01T20:00:00Z), UNIX milliseconds or now"
            )
        };
        assert_eq!(rejected("bandIds=1&from=2019-13-01"), vec![rule("from")]);
        assert_eq!(rejected("bandIds=1&to=2019-06-01T20:00:00"), vec![rule("to")], "a date-time needs its zone");
        assert_eq!(rejected("bandIds=1&from=June"), vec![rule("from")]);
        assert_eq!(rejected("bandIds=1&from=1&from=2"), vec!["from must be given only once"]);
        assert_eq!(rejected("bandIds=1&from=2019-07-01&to=2019-06-30"), vec!["from must not be after to"]);
        assert_eq!(
            rejected("from=2019-06-01"),
            vec!["give bandIds, or latitude, longitude and radius together (or all four)"]
        );
    }

    #[test]
    fn a_parameter_refused_by_the_schema_or_by_the_parsing_has_one_code() {
        let at = |code, parameter: &str| (code, Some(parameter.to_owned()));
        assert_eq!(coded("bandIds=1&limit=5&cursor=not%20a%20cursor!"), at(Code::InvalidCursor, "cursor"), "schema");
        assert_eq!(coded("bandIds=1&limit=5&cursor=abc"), at(Code::InvalidCursor, "cursor"), "decoding");
        assert_eq!(coded("bandIds=1&from=2019-13-01"), at(Code::InvalidDate, "from"));
        assert_eq!(coded("bandIds=1&to=2019-06-01T20:00:00"), at(Code::InvalidDate, "to"));
        assert_eq!(coded("bandIds=1&from=2019-07-01&to=2019-06-30"), at(Code::InvalidRange, "from"));
        assert_eq!(coded("bandIds=1&from=1&from=2"), at(Code::RepeatedParameter, "from"));
        assert_eq!(coded("latitude=91&longitude=0&radius=1"), at(Code::OutOfRange, "latitude"));
        assert_eq!(coded("from=2019-06-01"), (Code::NoMatchingAlternative, None));
    }

    #[test]
    fn queries_that_mean_the_same_normalize_the_same() {
        let normalized = |raw: &str| parse(raw).unwrap().normalized();
        assert_eq!(normalized("bandIds=2,1,2&limit=5"), normalized("limit=5&bandIds=1&bandIds=2"));
        assert_eq!(normalized("bandIds=1&from=2019-06-01"), normalized("bandIds=1&from=1559347200000"));
        assert_ne!(normalized("bandIds=1&limit=5"), normalized("bandIds=1&limit=6"));
        assert_ne!(normalized("bandIds=1&limit=5"), normalized("bandIds=1"));
        assert_ne!(normalized("bandIds=1"), normalized("bandIds=1&to=2019-06-01"));
        assert_eq!(normalized("bandIds=1"), normalized("bandIds=1&sort=-date"), "newest first unless said");
        assert_ne!(normalized("bandIds=1"), normalized("bandIds=1&sort=date"));
        let names = |raw: &str| {
            let schema = NamesQuery::schema().unwrap();
            NamesQuery::parse(schema.parse_query(Some(raw)).unwrap()).unwrap().normalized()
        };
        assert_eq!(names("ids=2,1"), names("ids=1,2,2"));
        assert_eq!(names("q=muse"), names("q=muse&limit=10"), "10 unless said");
        assert_ne!(names("q=muse"), names("q=muses"));
    }

    #[test]
    fn the_next_page_is_the_same_query_in_its_canonical_form_with_a_cursor() {
        let last = After::NewestFirst(Position { band_id: 12, venue_id: 345, date: 1_569_531_810_650 });
        let query =
            parse("limit=5&bandIds=2&bandIds=1,2&latitude=48.5&longitude=2.25&radius=10&from=2019-06-01").unwrap();
        let next = query.next_page(&last).unwrap();
        let cursor = paging::cursor_after(&last);
        assert_eq!(
            next,
            format!("bandIds=1%2C2&latitude=48.5&longitude=2.25&radius=10&from=1559347200000&limit=5&cursor={cursor}")
        );
        assert_eq!(
            parse(&next).unwrap(),
            ConcertsQuery { paging: Paging::Page { limit: 5, after: Some(last) }, ..query }
        );
        assert_eq!(parse("bandIds=1").unwrap().next_page(&last), None, "no pages without a limit");
    }

    #[test]
    fn a_sort_is_kept_in_the_next_page_and_its_cursor() {
        let last = Position { band_id: 12, venue_id: 345, date: 1_569_531_810_650 };
        let circle = "latitude=48.5&longitude=2.25&radius=10";
        for (sort, after) in [("date", After::SoonestFirst(last)), ("distance", After::Nearest { km: 3.25, last })] {
            let query = parse(&format!("{circle}&sort={sort}&limit=5")).unwrap();
            assert_eq!(query.sort.name(), sort);
            let next = query.next_page(&after).unwrap();
            let cursor = paging::cursor_after(&after);
            assert_eq!(next, format!("{circle}&sort={sort}&limit=5&cursor={cursor}"));
            assert_eq!(
                parse(&next).unwrap(),
                ConcertsQuery { paging: Paging::Page { limit: 5, after: Some(after) }, ..query }
            );
        }
    }

    #[test]
    fn a_sort_needs_what_it_orders_by_and_a_cursor_of_its_own() {
        assert_eq!(parse("bandIds=1").unwrap().sort, Sort::NewestFirst);
        assert_eq!(parse("bandIds=1&sort=date").unwrap().sort, Sort::SoonestFirst);
        assert_eq!(
            rejected("bandIds=1&sort=distance"),
            vec!["sort=distance needs a circle: give latitude, longitude and radius"]
        );
        assert_eq!(
            rejected("bandIds=1&sort=name"),
            vec!["sort must be one of [\"-date\",\"date\",\"distance\"] (got \"name\")"]
        );
        let newest = paging::cursor_after(&After::NewestFirst(Position { band_id: 1, venue_id: 2, date: 3 }));
        assert_eq!(
            rejected(&format!("bandIds=1&sort=date&limit=5&cursor={newest}")),
            vec!["cursor was given out for sort=-date, not sort=date: take it from this search's Link header"]
        );
    }

    #[test]
    fn names_are_searched_by_text_or_looked_up_by_ids() {
        let schema = NamesQuery::schema().unwrap();
        let parse = |raw: &str| schema.parse_query::<NamesParams>(Some(raw)).and_then(NamesQuery::parse);
        let problems = |raw: &str| match parse(raw) {
            Err(HttpError::BadRequest(problems)) => problems,
            other => panic!("{raw:?} should be rejected, got {other:?}"),
        };
        let rejected = |raw: &str| problems(raw).into_iter().map(|problem| problem.message).collect::<Vec<_>>();
        let codes =
            |raw: &str| problems(raw).into_iter().map(|problem| (problem.code, problem.parameter)).collect::<Vec<_>>();
        let text = |text: &str, limit| NamesQuery::Text { text: text.to_owned(), limit };
        assert_eq!(parse("q=sigur+ros").unwrap(), text("sigur ros", 10), "ten names unless said");
        assert_eq!(parse("q=muse&limit=50").unwrap(), text("muse", 50));
        assert_eq!(parse("ids=3,1").unwrap(), NamesQuery::Ids(vec![1, 3]));
        assert_eq!(rejected(""), vec!["give q (what the name holds) or ids"]);
        assert_eq!(rejected("q="), vec!["q must not be empty or only spaces"]);
        assert_eq!(rejected("q=%20%20%09"), vec!["q must not be empty or only spaces"]);
        assert_eq!(rejected(&format!("q={}", "a".repeat(101))), vec!["q must be at most 100 characters long"]);
        assert_eq!(rejected("q=muse&limit=51"), vec!["limit must be <= 50"]);
        assert_eq!(rejected("q=muse&limit=0"), vec!["limit must be >= 1"]);
        assert_eq!(rejected("q=muse&ids=1"), vec!["give q or ids, not both"]);
        assert_eq!(rejected("ids=1&limit=5"), vec!["q is required when limit is given"]);
        assert_eq!(rejected("q=muse&name=x"), vec!["name is not a known parameter (known: ids, limit, q)"]);
        let q = || Some("q".to_owned());
        assert_eq!(codes(""), vec![(Code::NoMatchingAlternative, None)]);
        assert_eq!(codes("q="), vec![(Code::InvalidFormat, q())], "empty is blank, as spaces are");
        assert_eq!(codes("q=%20%20%09"), vec![(Code::InvalidFormat, q())]);
        assert_eq!(codes(&format!("q={}", "a".repeat(101))), vec![(Code::TooLong, q())]);
        assert_eq!(codes("q=muse&ids=1"), vec![(Code::MutuallyExclusive, None)]);
        assert_eq!(codes("ids=1&limit=5"), vec![(Code::Required, q())]);
        assert_eq!(codes("q=muse&name=x"), vec![(Code::UnknownParameter, Some("name".to_owned()))]);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let messages = rejected("bandIds=0,x&latitude=100&longitude=0&radius=-1&bogus=1");
        assert_eq!(messages.len(), 5, "{messages:?}");
    }
}
