//! `GET /concerts/counts` on the demo data: every count is what counting the
//! same search's answer gives, in all and per month, year, venue and band.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{Value, json};
use system_tests::{InProcess, PARIS, VENUE_1};

/// The groups of `answer` (a `GET /concerts` answer) split `by`, as the
/// counts show them: `(key, count, name)`, months and years in order, venues
/// and bands the most concerts first.
fn counted(answer: &[Value], by: &str) -> Vec<(String, u64, Option<String>)> {
    let mut groups: BTreeMap<String, (u64, Option<String>)> = BTreeMap::new();
    for item in answer {
        let day = chrono::DateTime::from_timestamp_millis(item["date"].as_i64().unwrap()).unwrap();
        let (key, name) = match by {
            "month" => (day.format("%Y-%m").to_string(), None),
            "year" => (day.format("%Y").to_string(), None),
            "venue" => (item["venueId"].to_string(), item["location"].as_str().map(str::to_owned)),
            _ => (item["bandId"].to_string(), item["band"].as_str().map(str::to_owned)),
        };
        let group = groups.entry(key).or_insert((0, name));
        group.0 += 1;
    }
    let mut groups: Vec<(String, u64, Option<String>)> =
        groups.into_iter().map(|(key, (count, name))| (key, count, name)).collect();
    if by == "venue" || by == "band" {
        groups.sort_by_key(|(key, count, _)| (std::cmp::Reverse(*count), key.parse::<i64>().unwrap()));
    }
    groups
}

#[tokio::test]
async fn counts_are_the_count_of_the_search_answer() {
    let system = InProcess::seeded(|_| {}).await;
    let circle = |(latitude, longitude): (f64, f64), radius: f64| {
        format!("latitude={latitude}&longitude={longitude}&radius={radius}")
    };
    let searches = [
        "bandIds=1,2,3,4,5,6,7,8,9,10".to_owned(),
        circle(PARIS, 20.0),
        circle(VENUE_1, 1000.0),
        format!("bandIds=1,2,3,4,5,6,7,8,9,10&{}", circle(VENUE_1, 1000.0)),
        circle((0.0, 0.0), 20_100.0),
    ];
    // Whole months, partial months at either end, a single day, and statuses.
    let narrowing = [
        "",
        "&from=2019-03-15T10:00:00Z&to=2019-09-02",
        "&from=2017-01-01&to=2017-12-31",
        "&to=2016-05-20",
        "&from=2019-06-03&to=2019-06-03",
        "&status=scheduled",
    ];
    for search in &searches {
        for narrowed in narrowing {
            let query = format!("{search}{narrowed}");
            let (status, answer) = system.get(&format!("/concerts?{query}")).await;
            assert_eq!(status, StatusCode::OK, "{query}: {answer}");
            let answer = answer.as_array().unwrap().clone();
            let mut groupings = vec![None, Some("month"), Some("year"), Some("venue")];
            if search.starts_with("bandIds") {
                groupings.push(Some("band"));
            }
            for by in groupings {
                let path = match by {
                    Some(by) => format!("/concerts/counts?{query}&by={by}"),
                    None => format!("/concerts/counts?{query}"),
                };
                let (status, counts) = system.get(&path).await;
                assert_eq!(status, StatusCode::OK, "{path}: {counts}");
                assert_eq!(counts["total"], json!(answer.len()), "{path}");
                let groups: Vec<(String, u64, Option<String>)> = counts["groups"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|g| {
                        (
                            g["key"].as_str().unwrap().to_owned(),
                            g["count"].as_u64().unwrap(),
                            g["name"].as_str().map(str::to_owned),
                        )
                    })
                    .collect();
                let expected = by.map(|by| counted(&answer, by)).unwrap_or_default();
                assert_eq!(groups, expected, "{path}");
            }
        }
    }
    let (status, planet) = system.get("/concerts/counts?latitude=0&longitude=0&radius=20100").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(planet["total"], json!(20_627), "the whole planet: every concert of the demo data");
    let (status, refused) = system.get(&format!("/concerts/counts?{}&by=band", circle(PARIS, 20.0))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["message"], json!(["by=band needs bandIds: a circle's count is split by month, year or venue"]));
}
