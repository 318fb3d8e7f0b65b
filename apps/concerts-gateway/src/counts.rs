//! `GET /concerts/counts`: how many concerts a search matches, in all and per
//! month, year, venue or band. The query is the search's, without what pages
//! it, plus `by`; the answer's shape is [`CountsView`].

use concerts_model::{AFTER_CALENDAR, BEFORE_CALENDAR, ConcertCounts, GroupBy};
use exceptions::HttpError;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::{CompiledSchema, FromQuery, Schema, SchemaError};

use crate::query::{ConcertsParams, ConcertsQuery, QUERY_SCHEMA};

/// The search counted, and how its count is split (`None`: the total only).
#[derive(Debug, Clone, PartialEq)]
pub struct CountsQuery {
    /// Always unpaged and in the default order: a count has neither.
    pub search: ConcertsQuery,
    pub by: Option<GroupBy>,
}

/// The query string as its schema describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CountsParams {
    #[serde(flatten)]
    search: ConcertsParams,
    by: Option<GroupBy>,
}

static COUNTS_SCHEMA: CompiledSchema = CompiledSchema::new(counts_schema);

/// The search's schema (one source for the rules they share) without
/// `limit`, `cursor` and `sort`, with `by`; `by=band` needs `bandIds`, since
/// a circle's concerts split by band would have to be read one by one.
fn counts_schema() -> Result<Schema, SchemaError> {
    let search = Schema::from_json_text("ConcertsQuery", QUERY_SCHEMA)?;
    let mut source = search.source().clone();
    source["title"] = json!("ConcertCountsQuery");
    source["description"] = json!(
        "The query string of GET /concerts/counts: the search of GET /concerts (bandIds, or latitude, longitude and \
         radius together, or all four; from, to and status narrow it), and by to split the count."
    );
    if let Some(properties) = source["properties"].as_object_mut() {
        for paging in ["limit", "cursor", "sort"] {
            properties.remove(paging);
        }
        properties.insert(
            "by".to_owned(),
            json!({
                "description": "Split the count: month or year (UTC calendar), venue, or band (needs bandIds). \
                                Without it, the total only.",
                "type": "string",
                "enum": ["month", "year", "venue", "band"],
                "examples": ["month"]
            }),
        );
    }
    if let Some(dependent) = source["dependentRequired"].as_object_mut() {
        dependent.remove("cursor");
    }
    source["if"] = json!({"required": ["by"], "properties": {"by": {"const": "band"}}});
    source["then"] = json!({
        "required": ["bandIds"],
        "errorMessage": {"required": "by=band needs bandIds: a circle's count is split by month, year or venue"}
    });
    Schema::new("ConcertCountsQuery", source)
}

impl FromQuery for CountsQuery {
    type Params = CountsParams;

    fn schema() -> Result<&'static Schema, &'static SchemaError> {
        COUNTS_SCHEMA.as_ref()
    }

    fn parse(params: CountsParams) -> Result<Self, HttpError> {
        Ok(Self { search: ConcertsQuery::parse(params.search)?, by: params.by })
    }
}

impl CountsQuery {
    /// What the answer's tag is made of, as [`ConcertsQuery::normalized`].
    pub fn normalized(&self) -> String {
        format!("{};by={:?}", self.search.normalized(), self.by)
    }
}

/// The answer of `GET /concerts/counts`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({"total": 12, "groups": [{"key": "2019-05", "count": 4}, {"key": "2019-06", "count": 8}]}))]
pub struct CountsView {
    /// Every concert the search matches.
    pub total: u64,
    /// With `by`, each group's count (a group of no concert is left out):
    /// months and years in order, venues and bands the most concerts first.
    pub groups: Vec<GroupView>,
}

/// One group of a count.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GroupView {
    /// `2019-06` (a month), `2019` (a year), or the venue's or band's id.
    pub key: String,
    pub count: u64,
    /// The venue's or band's name, for `by=venue` and `by=band`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl CountsView {
    /// The view of `counts` split `by`; `name` gives a venue's or band's name.
    pub fn of(counts: ConcertCounts, by: Option<GroupBy>, name: impl Fn(i64) -> Option<String>) -> Self {
        let mut groups: Vec<(i64, u64)> = counts.groups;
        if matches!(by, Some(GroupBy::Venue | GroupBy::Band)) {
            groups.sort_unstable_by_key(|&(id, count)| (std::cmp::Reverse(count), id));
        }
        let groups = groups
            .into_iter()
            .map(|(key, count)| match by {
                Some(GroupBy::Month) => GroupView { key: month_name(key), count, name: None },
                Some(GroupBy::Venue | GroupBy::Band) => GroupView { key: key.to_string(), count, name: name(key) },
                _ => GroupView { key: format!("{key:04}"), count, name: None },
            })
            .collect();
        Self { total: counts.total, groups }
    }
}

/// `2019-06` for `201906`; the months before and after the calendar's years by name.
fn month_name(month: i64) -> String {
    match month {
        BEFORE_CALENDAR => "before 0000-01".to_owned(),
        AFTER_CALENDAR => "after 9999-12".to_owned(),
        _ => format!("{:04}-{:02}", month / 100, month % 100),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use exceptions::Code;

    fn parse(raw: &str) -> Result<CountsQuery, HttpError> {
        let schema = CountsQuery::schema().expect("the counts schema compiles");
        CountsQuery::parse(schema.parse_query(Some(raw))?)
    }

    #[test]
    fn a_count_is_a_search_without_paging_and_with_by() {
        let query = parse("bandIds=2,1&from=2019-06-01&by=month").unwrap();
        assert_eq!(query.by, Some(GroupBy::Month));
        assert_eq!(query.search.bands(), Some(&[1, 2][..]));
        assert_eq!(parse("latitude=48.8&longitude=2.3&radius=20").unwrap().by, None);
        let refused = |raw: &str| match parse(raw) {
            Err(HttpError::BadRequest(problems)) => problems,
            other => panic!("{raw} should be refused: {other:?}"),
        };
        let messages = |raw: &str| refused(raw).into_iter().map(|problem| problem.message).collect::<Vec<_>>();
        let by_band = refused("latitude=48.8&longitude=2.3&radius=20&by=band");
        assert_eq!(
            by_band.iter().map(|p| (p.code, p.parameter.as_deref(), p.message.as_str())).collect::<Vec<_>>(),
            vec![(
                Code::Required,
                Some("bandIds"),
                "by=band needs bandIds: a circle's count is split by month, year or venue"
            )]
        );
        assert_eq!(
            messages("bandIds=1&by=day"),
            vec!["by must be one of [\"month\",\"year\",\"venue\",\"band\"] (got \"day\")"]
        );
        assert_eq!(
            messages("bandIds=1&limit=5"),
            vec!["limit is not a known parameter (known: bandIds, by, from, latitude, longitude, radius, status, to)"]
        );
        assert_ne!(parse("bandIds=1&by=month").unwrap().normalized(), parse("bandIds=1&by=year").unwrap().normalized());
    }

    #[test]
    fn groups_are_named_and_ordered_for_their_kind() {
        let counts = ConcertCounts { total: 9, groups: vec![(7, 2), (3, 5), (9, 2)] };
        let view = CountsView::of(counts, Some(GroupBy::Venue), |id| Some(format!("venue {id}")));
        let shown: Vec<(&str, u64, Option<&str>)> =
            view.groups.iter().map(|g| (g.key.as_str(), g.count, g.name.as_deref())).collect();
        assert_eq!(shown, [("3", 5, Some("venue 3")), ("7", 2, Some("venue 7")), ("9", 2, Some("venue 9"))]);
        let months = ConcertCounts { total: 3, groups: vec![(BEFORE_CALENDAR, 1), (201906, 2)] };
        let view = CountsView::of(months, Some(GroupBy::Month), |_| None);
        assert_eq!(
            serde_json::to_value(view).unwrap(),
            json!({"total": 3, "groups": [{"key": "before 0000-01", "count": 1}, {"key": "2019-06", "count": 2}]})
        );
        let years = CountsView::of(ConcertCounts { total: 1, groups: vec![(2019, 1)] }, Some(GroupBy::Year), |_| None);
        assert_eq!(years.groups[0].key, "2019");
    }
}
