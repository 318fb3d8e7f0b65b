//! The changes on NATS JetStream, against Debian's `nats-server` (each test
//! starts its own): every change of every service's log is stored once,
//! under its id (entity and position), through a broker outage, a relay
//! killed mid-publish, and a service killed between its commit and its
//! relay; the gateway follows the stream, and polls the logs while the
//! broker is down. And the concerts service follows the bands' and venues'
//! logs: a band or venue deleted at its own service takes its concerts
//! with it, also when the delete came while the concerts service was down.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{NatsServer, Process, System, SystemOptions};

/// How long a relay may take to store what was logged, at most.
const RELAYED_WITHIN: Duration = Duration::from_secs(15);

/// The positions of a service's log, from its own `GET /changes`.
async fn log_positions(process: &Process) -> Vec<i64> {
    let (status, page) = testkit::get(&format!("{}/changes?after=0&limit=1000", process.url)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["changes"].as_array().unwrap().iter().map(|change| change["position"].as_i64().unwrap()).collect()
}

/// One message the stream stores.
struct Stored {
    subject: String,
    id: String,
    change: Value,
}

/// Every message of the stream, in the order stored.
async fn stored(url: &str) -> Vec<Stored> {
    let client = async_nats::connect(url).await.expect("a connection to the test NATS");
    let context = jetstream::new(client);
    let Ok(mut stream) = context.get_stream("CATALOGUE").await else { return Vec::new() };
    let last = stream.info().await.expect("the stream's state").state.last_sequence;
    let mut messages = Vec::new();
    for sequence in 1..=last {
        let Ok(message) = stream.get_raw_message(sequence).await else { continue };
        let id = message.headers.get("Nats-Msg-Id").map(|id| id.to_string()).unwrap_or_default();
        let change = serde_json::from_slice(&message.payload).expect("a change as the payload");
        messages.push(Stored { subject: message.subject.to_string(), id, change });
    }
    messages
}

/// Waits until the stream holds every position of the three logs; what it stores.
async fn relayed(system: &System, url: &str) -> Vec<Stored> {
    let started = Instant::now();
    loop {
        let messages = stored(url).await;
        let mut missing = Vec::new();
        for (entity, process) in [("bands", &system.bands), ("venues", &system.venues), ("concerts", &system.concerts)]
        {
            let held: HashSet<i64> = messages
                .iter()
                .filter(|message| message.subject.starts_with(&format!("catalogue.{entity}.")))
                .map(|message| message.change["position"].as_i64().unwrap())
                .collect();
            missing.extend(log_positions(process).await.into_iter().filter(|p| !held.contains(p)).map(|p| (entity, p)));
        }
        if missing.is_empty() {
            return messages;
        }
        assert!(started.elapsed() < RELAYED_WITHIN, "not relayed within {RELAYED_WITHIN:?}: {missing:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Each change is stored once: ids never repeat, each is its entity and
/// position, on the subject of its kind, and each entity's positions come
/// in order.
fn each_once(messages: &[Stored]) {
    let mut ids = HashSet::new();
    let mut last: BTreeMap<&str, i64> = BTreeMap::new();
    for message in messages {
        assert!(ids.insert(message.id.clone()), "{} stored twice", message.id);
        let entity = message.subject.split('.').nth(1).unwrap();
        let position = message.change["position"].as_i64().unwrap();
        assert_eq!(message.id, format!("{entity}-{position}"));
        assert_eq!(message.subject, format!("catalogue.{entity}.{}", message.change["kind"].as_str().unwrap()));
        let before = last.insert(entity, position).unwrap_or(0);
        assert!(position > before, "{entity}: {position} after {before}");
    }
}

/// A band, a venue and `count` concerts of them, made through the gateway.
async fn concerts_made(system: &System, count: usize) -> Vec<i64> {
    let made = json!({
        "band": {"name": "The Relayed"},
        "venue": {"name": "Le Relais, Nantes, France", "latitude": 47.21, "longitude": -1.55},
        "date": "2027-05-01T20:00:00Z"
    });
    let (status, _, first) = system.write("POST", "/concerts", Some(&made), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let mut ids = vec![first["id"].as_i64().unwrap()];
    for day in 2..=count {
        let concert = json!({"bandId": first["bandId"], "venueId": first["venueId"], "date": format!("2027-05-{day:02}T20:00:00Z")});
        let (status, _, made) = system.write("POST", "/concerts", Some(&concert), &[]).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        ids.push(made["id"].as_i64().unwrap());
    }
    ids
}

#[tokio::test]
async fn each_change_is_stored_once_through_a_broker_outage_and_a_relay_killed_mid_publish() {
    const TEST: &str = "each_change_is_stored_once";
    let Some(mut nats) = NatsServer::start(TEST).await else { return };
    let mut system = System::start(SystemOptions { nats_url: Some(nats.url.clone()), ..Default::default() }).await;
    let ids = concerts_made(&system, 5).await;
    let cancel = json!({"status": "cancelled"});
    assert_eq!(system.write("PATCH", &format!("/concerts/{}", ids[0]), Some(&cancel), &[]).await.0, StatusCode::OK);
    assert_eq!(system.write("DELETE", &format!("/concerts/{}", ids[1]), None, &[]).await.0, StatusCode::NO_CONTENT);
    each_once(&relayed(&system, &nats.url).await);

    // NATS down: writes go on, and are relayed once it is back.
    nats.kill().await;
    let more = concerts_made(&system, 3).await;
    assert_eq!(system.write("DELETE", &format!("/concerts/{}", more[0]), None, &[]).await.0, StatusCode::NO_CONTENT);
    nats.start_again().await;
    each_once(&relayed(&system, &nats.url).await);

    // The concerts service (its relay with it) killed while writes pour in.
    let (status, concert) = system.get_from(&system.concerts, &format!("/concerts/{}", more[1])).await;
    assert_eq!(status, StatusCode::OK, "{concert}");
    let (band, venue) = (concert["bandId"].clone(), concert["venueId"].clone());
    let concerts = system.concerts.url.clone();
    let writer = tokio::spawn(async move {
        let client = testkit::http();
        let mut made = 0;
        for day in 0..400_i64 {
            let concert = json!({"bandId": band, "venueId": venue, "date": 1_900_000_000_000_i64 + day * 86_400_000});
            let sent = client.post(format!("{concerts}/concerts")).bearer_auth(testkit::WRITE_TOKEN).json(&concert);
            match sent.send().await {
                Ok(response) if response.status() == StatusCode::CREATED => made += 1,
                _ => break,
            }
        }
        made
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    system.restart("concerts").await;
    let made = writer.await.unwrap();
    assert!(made > 0, "some writes were made before the kill");
    let messages = relayed(&system, &nats.url).await;
    each_once(&messages);
    let concerts_stored = messages.iter().filter(|message| message.subject.starts_with("catalogue.concerts.")).count();
    println!("{made} concerts written before the kill; the stream holds {concerts_stored} concert changes, each once");
}

#[tokio::test]
async fn a_change_committed_before_the_service_is_killed_is_relayed_after_its_restart() {
    const TEST: &str = "a_change_committed_before_the_service_is_killed";
    let Some(mut nats) = NatsServer::start(TEST).await else { return };
    let mut system = System::start(SystemOptions { nats_url: Some(nats.url.clone()), ..Default::default() }).await;
    let ids = concerts_made(&system, 1).await;
    relayed(&system, &nats.url).await;
    // Committed while the relay cannot publish, then the process killed (kill -9).
    nats.kill().await;
    let (status, _, _) = system.write_to(&system.concerts, "DELETE", &format!("/concerts/{}", ids[0]), None, &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    system.restart("concerts").await;
    nats.start_again().await;
    let messages = relayed(&system, &nats.url).await;
    each_once(&messages);
    let last = messages.iter().rev().find(|message| message.subject.starts_with("catalogue.concerts.")).unwrap();
    assert_eq!(last.subject, "catalogue.concerts.deleted");
    assert_eq!(last.change["id"], ids[0]);
}

/// `following` of the gateway's `/ready`.
async fn following(system: &System) -> Value {
    let (status, ready) = system.get("/ready").await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    ready["following"].clone()
}

/// Waits (at most 10 s) until the gateway says it follows from `source`.
async fn follows_from(system: &System, source: &str) {
    let started = Instant::now();
    while following(system).await["from"] != source {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not following from {source}: {}",
            following(system).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Asks `path` until `check` holds of its answer (at most 3 s); how long it took.
async fn shows(system: &System, path: &str, check: impl Fn(&Value) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        let (status, answer) = system.get(path).await;
        if status == StatusCode::OK && check(&answer) {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(3), "{path} did not show the change within 3 s: {answer}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A concert of band 2 on `date` (UNIX ms) written straight at the
/// concerts service; how long it took to show in `path` through the gateway.
async fn written_at_the_service_shows(system: &System, path: &str, date: i64) -> Duration {
    let concert = json!({"bandId": 2, "venueId": 1, "date": date});
    let (status, _, made) = system.write_to(&system.concerts, "POST", "/concerts", Some(&concert), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["id"].clone();
    shows(system, path, |answer| answer.as_array().unwrap().iter().any(|c| c["id"] == id)).await
}

#[tokio::test]
async fn the_gateway_follows_the_stream_and_polls_the_logs_while_the_broker_is_down() {
    const TEST: &str = "the_gateway_follows_the_stream";
    let Some(mut nats) = NatsServer::start(TEST).await else { return };
    // Names and versions kept for ten minutes: only following can explain a change shown sooner.
    let gateway_env = vec![("DATA_VERSION_TTL_MS", "600000".to_owned()), ("NAME_CACHE_TTL_MS", "600000".to_owned())];
    let options = SystemOptions { nats_url: Some(nats.url.clone()), gateway_env, ..Default::default() };
    let mut system = System::start_seeded(options).await;
    follows_from(&system, "nats").await;

    let path = "/concerts?bandIds=2&limit=500";
    let (_, before) = system.get(path).await;
    let took = written_at_the_service_shows(&system, path, 1_924_000_000_000).await;
    println!("a concert written at the service showed through the gateway following NATS after {took:?}");
    assert_eq!(system.get(path).await.1.as_array().unwrap().len(), before.as_array().unwrap().len() + 1);

    // A band renamed at its service: the names the gateway keeps change at once.
    let (status, _, renamed) =
        system.write_to(&system.bands, "PATCH", "/bands/2", Some(&json!({"name": "Renamed On The Stream"})), &[]).await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    shows(&system, path, |answer| answer[0]["band"] == "Renamed On The Stream").await;

    // The broker down: the gateway polls the logs, and writes still show.
    nats.kill().await;
    follows_from(&system, "log").await;
    written_at_the_service_shows(&system, path, 1_925_000_000_000).await;
    nats.start_again().await;
    follows_from(&system, "nats").await;
    system.restart("concerts-gateway").await;
    follows_from(&system, "nats").await;
    written_at_the_service_shows(&system, path, 1_926_000_000_000).await;
}

/// How many concerts the concerts service holds of a band or venue (`bandId=1`).
async fn count_at_the_service(system: &System, of: &str) -> u64 {
    let (status, counted) = testkit::get(&format!("{}/concerts/count?{of}", system.concerts.url)).await;
    assert_eq!(status, StatusCode::OK, "{counted}");
    counted["count"].as_u64().unwrap()
}

/// Waits (at most 5 s) until the concerts service holds none of `of`.
async fn all_gone(system: &System, of: &str) {
    let started = Instant::now();
    while count_at_the_service(system, of).await > 0 {
        assert!(started.elapsed() < Duration::from_secs(5), "concerts of {of} remain");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_band_or_venue_deleted_at_its_service_takes_its_concerts_even_while_the_concerts_service_was_down() {
    let mut system = System::start_seeded(SystemOptions::default()).await;
    let (_, of_band) = system.get("/concerts?bandIds=1&limit=1000").await;
    let of_band: Vec<i64> = of_band.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert!(!of_band.is_empty());
    assert_eq!(count_at_the_service(&system, "bandId=1").await, of_band.len() as u64);
    // The gateway refuses this delete (409); straight at the bands service it is made.
    assert_eq!(system.write_to(&system.bands, "DELETE", "/bands/1", None, &[]).await.0, StatusCode::NO_CONTENT);
    all_gone(&system, "bandId=1").await;
    let (_, feed) = system.get("/changes?entity=concerts&limit=1000").await;
    let tombstones: HashSet<i64> = feed
        .as_array()
        .unwrap()
        .iter()
        .filter(|change| change["kind"] == "deleted")
        .map(|change| change["id"].as_i64().unwrap())
        .collect();
    assert!(of_band.iter().all(|id| tombstones.contains(id)), "each concert of the band is a tombstone of the feed");

    // The bands service down: the concerts service goes on serving.
    system.bands.kill().await;
    assert!(count_at_the_service(&system, "bandId=2").await > 0);
    system.restart("bands").await;

    // A venue deleted while the concerts service is down: applied once it is back.
    let of_band_2 = count_at_the_service(&system, "bandId=2").await;
    assert!(count_at_the_service(&system, "venueId=2").await > 0);
    system.concerts.kill().await;
    assert_eq!(system.write_to(&system.venues, "DELETE", "/venues/2", None, &[]).await.0, StatusCode::NO_CONTENT);
    system.restart("concerts").await;
    all_gone(&system, "venueId=2").await;
    assert!(count_at_the_service(&system, "bandId=2").await > 0, "only what named the venue went");
    assert!(count_at_the_service(&system, "bandId=2").await <= of_band_2);
}
