//! The public change feed on the real binaries: a follower reads every
//! change once, in commit order (a concert never before its band and its
//! venue), page by page through the `Link`s, narrowed by entity and band,
//! and a follower waiting with `wait` wakes at the next write. On SQLite,
//! and on MongoDB when the test server runs.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use system_tests::{ON_MONGODB, slow_store_waits};
use testkit::{System, SystemOptions, error_messages, mongodb_test_uri};

/// One page: its changes and the `Link` to the next.
async fn page(system: &System, path_and_query: &str) -> (Vec<Value>, String) {
    let response = system.get_raw(path_and_query).await;
    assert_eq!(response.status(), StatusCode::OK, "{path_and_query}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    let next = link.strip_prefix('<').and_then(|link| link.split_once(">; rel=\"next\"")).map(|(next, _)| next);
    let next = next.unwrap_or_else(|| panic!("a Link to the next page: {link}")).to_owned();
    let changes = response.json::<Value>().await.unwrap().as_array().cloned().unwrap();
    (changes, next)
}

/// Every change from `start` on, following the `Link`s (a bounded number of
/// pages), and the `Link` after the last.
async fn walk(system: &System, start: &str) -> (Vec<Value>, String) {
    let (mut all, mut next) = (Vec::new(), start.to_owned());
    for _ in 0..100 {
        let (changes, after) = page(system, &next).await;
        if changes.is_empty() {
            if next.contains("since=") {
                assert_eq!(after, next, "an empty page leads to where it started");
            }
            return (all, after);
        }
        all.extend(changes);
        next = after;
    }
    panic!("the feed did not end within 100 pages");
}

/// (entity, kind, id) of each change.
fn summary(changes: &[Value]) -> Vec<(String, String, i64)> {
    changes
        .iter()
        .map(|c| {
            (
                c["entity"].as_str().unwrap().to_owned(),
                c["kind"].as_str().unwrap().to_owned(),
                c["id"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn the_feed_shows_every_write_once_in_order(system: &System) {
    // Whatever is there already (the demo import: one `bulk` change per service).
    let (before, start) = walk(system, "/changes?limit=1000").await;
    assert!(before.iter().all(|change| change["cursor"].is_string() && change["at"].is_string()), "{before:?}");

    let made = json!({
        "band": {"name": "The Feed Followers"},
        "venue": {"name": "Le Flux, Lyon, France", "latitude": 45.76, "longitude": 4.84},
        "date": "2027-03-01T20:00:00Z"
    });
    let (status, _, concert) = system.write("POST", "/concerts", Some(&made), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{concert}");
    let (id, band, venue) =
        (concert["id"].as_i64().unwrap(), concert["bandId"].as_i64().unwrap(), concert["venueId"].as_i64().unwrap());
    let cancel = json!({"status": "cancelled"});
    assert_eq!(system.write("PATCH", &format!("/concerts/{id}"), Some(&cancel), &[]).await.0, StatusCode::OK);
    assert_eq!(system.write("DELETE", &format!("/concerts/{id}"), None, &[]).await.0, StatusCode::NO_CONTENT);
    assert_eq!(system.write("DELETE", &format!("/bands/{band}"), None, &[]).await.0, StatusCode::NO_CONTENT);
    assert_eq!(system.write("DELETE", &format!("/venues/{venue}"), None, &[]).await.0, StatusCode::NO_CONTENT);

    // Two at a time: every change once, in the order made.
    let two = start.replace("limit=1000", "limit=2");
    let (changes, end) = walk(system, &two).await;
    let expected: Vec<(String, String, i64)> = [
        ("bands", "created", band),
        ("venues", "created", venue),
        ("concerts", "created", id),
        ("concerts", "updated", id),
        ("concerts", "deleted", id),
        ("bands", "deleted", band),
        ("venues", "deleted", venue),
    ]
    .into_iter()
    .map(|(entity, kind, id)| (entity.to_owned(), kind.to_owned(), id))
    .collect();
    assert_eq!(summary(&changes), expected);
    assert_eq!(changes[0]["record"], json!({"id": band, "name": "The Feed Followers"}));
    assert_eq!(changes[2]["record"]["bandId"], band);
    assert_eq!(changes[3]["record"]["status"], "cancelled");
    assert_eq!(changes[4]["record"], Value::Null, "a tombstone: the id only");
    let cursors: Vec<&str> = changes.iter().map(|c| c["cursor"].as_str().unwrap()).collect();
    assert_eq!(cursors.iter().collect::<std::collections::HashSet<_>>().len(), cursors.len(), "cursors advance");

    // From a change's own cursor: what follows it, nothing before.
    let (after_third, _) = walk(system, &format!("/changes?since={}&limit=1000", cursors[2])).await;
    assert_eq!(summary(&after_third), expected[3..]);
    // Narrowed: only concerts; only this band's changes (and the venues').
    let (concerts, _) = walk(system, &start.replace("limit=1000", "limit=1000&entity=concerts")).await;
    assert_eq!(summary(&concerts), expected[2..5]);
    let (of_band, _) = walk(system, &start.replace("limit=1000", &format!("limit=1000&bandIds={band}"))).await;
    assert_eq!(summary(&of_band), expected);
    let (of_other, _) = walk(system, &start.replace("limit=1000", &format!("limit=1000&bandIds={}", band + 1))).await;
    assert_eq!(summary(&of_other), [expected[1].clone(), expected[6].clone()], "venues are kept");

    // A follower waiting at the end wakes at the next write, not at its wait's end.
    let waiting = end.replace("limit=2", "limit=2&wait=20");
    let follower = async {
        let started = Instant::now();
        (page(system, &waiting).await.0, started.elapsed())
    };
    let writer = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        system.write("POST", "/bands", Some(&json!({"name": "Woken Up"})), &[]).await
    };
    let ((woken, waited), (status, _, written)) = tokio::join!(follower, writer);
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(summary(&woken), [("bands".to_owned(), "created".to_owned(), written["id"].as_i64().unwrap())]);
    assert!(waited < Duration::from_secs(10), "woken by the write, after {waited:?}");
}

#[tokio::test]
async fn the_feed_shows_every_write_once_in_order_on_sqlite() {
    let system = System::start_seeded(SystemOptions::default()).await;
    the_feed_shows_every_write_once_in_order(&system).await;
}

#[tokio::test]
async fn the_same_on_mongodb() {
    let Some(uri) = mongodb_test_uri("the change feed") else { return };
    let _alone = ON_MONGODB.lock().await;
    let options = SystemOptions { mongodb_uri: Some(uri), gateway_env: slow_store_waits(), ..SystemOptions::default() };
    let system = System::start(options).await;
    the_feed_shows_every_write_once_in_order(&system).await;
    system.drop_mongodb_databases().await;
}

#[tokio::test]
async fn a_query_the_feed_cannot_read_gets_a_400_naming_the_parameter() {
    let system = System::start(SystemOptions::default()).await;
    for (query, expected) in [
        ("since=12", "since is not a cursor this API gave out"),
        ("since=1-2-3-4", "since is not a cursor this API gave out"),
        ("limit=0", "limit"),
        ("wait=61", "wait"),
        ("entity=artists", "entity"),
        ("sinse=1-2-3", "sinse"),
        ("latitude=48.8&longitude=2.3", "radius"),
        ("latitude=91&longitude=2.3&radius=5", "latitude"),
    ] {
        let (status, body) = system.get(&format!("/changes?{query}")).await;
        let messages = error_messages(status, &body, StatusCode::BAD_REQUEST).join(" ");
        assert!(messages.contains(expected), "{query}: {messages}");
    }
}

/// With a circle, the feed holds the venues in it, the concerts at them
/// (one that moves away included: a mirror takes it out) and every band,
/// and its `Link` keeps the circle.
#[tokio::test]
async fn a_circle_narrows_the_feed_to_its_venues_and_the_concerts_at_them() {
    let system = System::start(SystemOptions::default()).await;
    let in_paris = json!({
        "band": {"name": "The Circled"},
        "venue": {"name": "La Cigale, Paris, France", "latitude": 48.8823, "longitude": 2.3406},
        "date": "2027-04-01T20:00:00Z"
    });
    let (status, _, paris) = system.write("POST", "/concerts", Some(&in_paris), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{paris}");
    let in_lyon = json!({
        "bandId": paris["bandId"],
        "venue": {"name": "Le Transbordeur, Lyon, France", "latitude": 45.7836, "longitude": 4.8606},
        "date": "2027-04-02T20:00:00Z"
    });
    let (status, _, lyon) = system.write("POST", "/concerts", Some(&in_lyon), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{lyon}");
    let moved = json!({"venueId": lyon["venueId"]});
    let path = format!("/concerts/{}", paris["id"]);
    assert_eq!(system.write("PATCH", &path, Some(&moved), &[]).await.0, StatusCode::OK);

    let circle = "latitude=48.857931&longitude=2.350144&radius=20";
    let (changes, next) = page(&system, &format!("/changes?{circle}")).await;
    let (paris_id, band) = (paris["id"].as_i64().unwrap(), paris["bandId"].as_i64().unwrap());
    assert_eq!(
        summary(&changes),
        [
            ("bands".to_owned(), "created".to_owned(), band),
            ("venues".to_owned(), "created".to_owned(), paris["venueId"].as_i64().unwrap()),
            ("concerts".to_owned(), "created".to_owned(), paris_id),
            ("concerts".to_owned(), "updated".to_owned(), paris_id),
        ],
        "not the Lyon venue, nor the concert made there"
    );
    assert!(next.contains(circle), "the Link keeps the circle: {next}");
}

/// A copy of the catalogue kept from the feed alone, as a partner keeps one.
struct Mirror {
    records: BTreeMap<(String, i64), Value>,
    /// Where it reads next.
    next: String,
}

impl Mirror {
    /// Applies every change up to now; a page the system cannot answer
    /// (a service restarting) is asked again, a bounded number of times.
    async fn catch_up(&mut self, system: &System) {
        for _ in 0..200 {
            let response = system.get_raw(&self.next).await;
            if response.status() != StatusCode::OK {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            let link = response.headers()["link"].to_str().unwrap().to_owned();
            let changes = response.json::<Value>().await.unwrap().as_array().cloned().unwrap();
            if changes.is_empty() {
                return;
            }
            for change in changes {
                let key = (change["entity"].as_str().unwrap().to_owned(), change["id"].as_i64().unwrap());
                match change["kind"].as_str().unwrap() {
                    "created" | "updated" => self.records.insert(key, change["record"].clone()),
                    "deleted" => self.records.remove(&key),
                    other => panic!("no import in this test, yet a change of kind {other}"),
                };
            }
            self.next = link.trim_start_matches('<').split_once('>').unwrap().0.to_owned();
        }
        panic!("the mirror did not catch up within 200 pages");
    }
}

/// Writes of every kind through the gateway, for at most `budget`: what was
/// acknowledged does not matter here, only what the catalogue holds at the end.
async fn write_for_a_while(gateway: String, budget: Duration) -> usize {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let (mut bands, mut venues, mut concerts) = (Vec::new(), Vec::new(), Vec::new());
    let mut acknowledged = 0;
    for n in 0..400_i64 {
        if started.elapsed() > budget {
            break;
        }
        let (method, path, body) = match n % 6 {
            0 => (reqwest::Method::POST, "/bands".to_owned(), Some(json!({"name": format!("Mirror band {n}")}))),
            1 => (
                reqwest::Method::POST,
                "/venues".to_owned(),
                Some(json!({"name": format!("Mirror hall {n}, Oslo, Norway"), "latitude": 59.9, "longitude": 10.7})),
            ),
            2 | 3 if !bands.is_empty() && !venues.is_empty() => (
                reqwest::Method::POST,
                "/concerts".to_owned(),
                Some(
                    json!({"bandId": bands[bands.len() - 1], "venueId": venues[venues.len() - 1], "date": 1_900_000_000_000_i64 + n}),
                ),
            ),
            4 if !concerts.is_empty() => {
                let id = concerts[n as usize % concerts.len()];
                (reqwest::Method::PATCH, format!("/concerts/{id}"), Some(json!({"status": "postponed"})))
            }
            5 if concerts.len() > 2 => (reqwest::Method::DELETE, format!("/concerts/{}", concerts.remove(0)), None),
            _ if !bands.is_empty() => {
                let id = bands[n as usize % bands.len()];
                (reqwest::Method::PATCH, format!("/bands/{id}"), Some(json!({"name": format!("Renamed band {n}")})))
            }
            _ => continue,
        };
        let mut request = http.request(method, format!("{gateway}{path}")).bearer_auth(testkit::WRITE_TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let Ok(response) = request.send().await else { continue };
        if !response.status().is_success() {
            continue;
        }
        acknowledged += 1;
        if response.status() == StatusCode::CREATED {
            let made: Value = response.json().await.unwrap();
            let id = made["id"].as_i64().unwrap();
            match path.as_str() {
                "/bands" => bands.push(id),
                "/venues" => venues.push(id),
                _ => concerts.push(id),
            }
        }
    }
    acknowledged
}

/// The "done when": a follower that reads the feed from the start,
/// applies each change and follows on holds, after writes of every kind and
/// a `kill -9` of each service in turn, exactly what the catalogue holds.
#[tokio::test]
async fn a_mirror_kept_from_the_feed_equals_the_catalogue_after_writes_and_kills() {
    let mut system = System::start(SystemOptions::default()).await;
    let mut mirror = Mirror { records: BTreeMap::new(), next: "/changes?limit=50".to_owned() };
    let writer = tokio::spawn(write_for_a_while(system.gateway.url.clone(), Duration::from_secs(20)));
    for service in ["concerts", "bands", "venues"] {
        tokio::time::sleep(Duration::from_millis(700)).await;
        system.restart(service).await;
        mirror.catch_up(&system).await;
    }
    let acknowledged = writer.await.unwrap();
    assert!(acknowledged > 50, "writes went on around the kills: {acknowledged} acknowledged");
    mirror.catch_up(&system).await;

    for entity in ["bands", "venues", "concerts"] {
        let kept: BTreeMap<i64, &Value> =
            mirror.records.iter().filter(|((e, _), _)| e == entity).map(|((_, id), record)| (*id, record)).collect();
        // Ids are given in order and never twice: probing past the largest finds every record there is.
        let largest = kept.keys().max().copied().unwrap_or(0);
        let mut held = BTreeMap::new();
        for id in 1..=largest + 20 {
            let (status, record) = system.get(&format!("/{entity}/{id}")).await;
            match status {
                StatusCode::OK => held.insert(id, record),
                StatusCode::NOT_FOUND => None,
                other => panic!("/{entity}/{id}: {other} {record}"),
            };
        }
        let held: BTreeMap<i64, &Value> = held.iter().map(|(id, record)| (*id, record)).collect();
        assert_eq!(kept, held, "{entity}: the mirror and the catalogue");
    }
    println!("{acknowledged} writes acknowledged; the mirror holds {} records, as the catalogue", mirror.records.len());
}

/// A follower whose cursor is older than what a log keeps gets 410 and is
/// told to read the catalogue again; one that starts afresh follows on.
#[tokio::test]
async fn a_follower_behind_the_retention_gets_410_and_a_fresh_one_follows_on() {
    let mut system = System::start(SystemOptions::default()).await;
    for n in 0..3 {
        let (status, _, _) = system.write("POST", "/bands", Some(&json!({"name": format!("Kept {n}")})), &[]).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (all, end) = walk(&system, "/changes?limit=10").await;
    assert_eq!(all.len(), 3);
    // Restarted with no retention: it compacts at start, keeping the newest entry only.
    system.restart_with("bands", &[("CHANGE_RETENTION_DAYS", "0")]).await;
    let (status, body) = system.get("/changes?since=0-0-0").await;
    let messages = error_messages(status, &body, StatusCode::GONE).join(" ");
    assert!(messages.contains("read the catalogue again"), "{messages}");
    let (fresh, _) = walk(&system, "/changes?limit=10").await;
    assert_eq!(summary(&fresh), summary(&all[2..]), "a first page starts at the oldest kept");
    let (caught_up, _) = page(&system, &end).await;
    assert!(caught_up.is_empty(), "a follower that read everything lost nothing");
}

/// `GET path` with `If-None-Match: etag`: the status, the `ETag`, the ids answered.
async fn read_again(system: &System, path: &str, etag: &str) -> (StatusCode, String, Vec<i64>) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", system.gateway.url))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let tag = response.headers().get("etag").map(|tag| tag.to_str().unwrap().to_owned()).unwrap_or_default();
    let ids = match status {
        StatusCode::OK => response
            .json::<Value>()
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect(),
        _ => Vec::new(),
    };
    (status, tag, ids)
}

/// A concert made straight at the concerts service (as through another
/// gateway), with the editor's token; its id.
async fn concert_written_at_the_service(system: &System, concert: Value) -> i64 {
    let (status, _, made) = system.write_to(&system.concerts, "POST", "/concerts", Some(&concert), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    made["id"].as_i64().unwrap()
}

/// Asks `path` with `If-None-Match: etag` until the answer changes (at most
/// 2 s): the ids then answered, and how long it took.
async fn changed_through_the_gateway(system: &System, path: &str, etag: &str) -> (Vec<i64>, Duration) {
    let written = Instant::now();
    for _ in 0..100 {
        let (status, _, ids) = read_again(system, path, etag).await;
        if status == StatusCode::OK {
            return (ids, written.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{path}: the write made at the service did not show through the gateway within 2 s");
}

/// The gateway follows the concerts' log: a write shows at once to the
/// writer, a write made elsewhere (straight at the service, as through
/// another gateway) shows within a moment, and the answers a write does not
/// touch keep their tags (their kept copies go on being served).
#[tokio::test]
async fn a_kept_answer_changes_exactly_when_what_it_shows_does() {
    let system = System::start_seeded(SystemOptions::default()).await;
    let (band_1, band_2) = ("/concerts?bandIds=1", "/concerts?bandIds=2");
    let (_, tag_1, before_1) = read_again(&system, band_1, "\"none\"").await;
    let (_, tag_2, before_2) = read_again(&system, band_2, "\"none\"").await;
    assert!(!before_1.is_empty() && !before_2.is_empty() && tag_1 != tag_2);

    let concert = json!({"bandId": 1, "venueId": 1, "date": "2031-01-01T20:00:00Z"});
    let (status, _, made) = system.write("POST", "/concerts", Some(&concert), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let written = Instant::now();
    let (status, new_tag_1, after_1) = read_again(&system, band_1, &tag_1).await;
    assert_eq!(status, StatusCode::OK, "the writer reads its write at once, whatever tag it held");
    assert!(written.elapsed() < Duration::from_millis(100), "{:?}", written.elapsed());
    assert_eq!(after_1[0], made["id"].as_i64().unwrap(), "the newest concert first");
    assert_ne!(new_tag_1, tag_1);
    let (status, _, _) = read_again(&system, band_2, &tag_2).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED, "band 2's answer is untouched: its tag holds");

    // Straight at the concerts service: the gateway learns it from the log.
    let id = concert_written_at_the_service(&system, json!({"bandId": 2, "venueId": 1, "date": 1_924_000_000_000_i64}))
        .await;
    let (ids, after) = changed_through_the_gateway(&system, band_2, &tag_2).await;
    assert_eq!(ids[0], id);
    println!("a write made at the service showed through the gateway after {after:?}");
    let (status, _, _) = read_again(&system, band_1, &new_tag_1).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED, "band 1's answer is untouched by band 2's concert");
}

/// The gateway killed (`kill -9`) and started again follows the log from
/// where it ends: a write made at the service after the restart shows
/// through it, and the feed, which it keeps nothing of, misses nothing.
#[tokio::test]
async fn a_gateway_killed_follows_on_after_its_restart() {
    let mut system = System::start_seeded(SystemOptions::default()).await;
    let (before, end) = walk(&system, "/changes?limit=1000").await;
    system.restart("concerts-gateway").await;
    let (_, tag, _) = read_again(&system, "/concerts?bandIds=3", "\"none\"").await;
    let id = concert_written_at_the_service(&system, json!({"bandId": 3, "venueId": 2, "date": 1_925_000_000_000_i64}))
        .await;
    let (ids, _) = changed_through_the_gateway(&system, "/concerts?bandIds=3", &tag).await;
    assert_eq!(ids[0], id, "the write made at the service shows through the restarted gateway");
    let (after, _) = walk(&system, &end).await;
    assert_eq!(summary(&after), [("concerts".to_owned(), "created".to_owned(), id)], "after {} changes", before.len());
}
