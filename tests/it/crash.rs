//! Writes that survive crashes, on the real binaries. A composite create
//! (`POST /concerts` with a new band and a new venue) is cut by `kill -9` at
//! each of its steps, of the service making the step (before it sees the
//! request, or after it has made the record but before its answer gets out)
//! or of the gateway; after a restart, the client sends the same request
//! with the same `Idempotency-Key`, and finds exactly one complete record set
//! and nothing else. And no write a client was told succeeded is lost when a
//! service is killed under a stream of writes.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{Fault, FaultProxy, Moment, System, SystemOptions};

/// The system with a proxy before each service, so that a process can be
/// killed at a chosen request.
async fn system_behind_proxies() -> (System, [FaultProxy; 3]) {
    let proxies = [FaultProxy::start().await, FaultProxy::start().await, FaultProxy::start().await];
    let options = SystemOptions {
        gateway_env: vec![
            ("BANDS_SERVICE_URL", proxies[0].url.clone()),
            ("VENUES_SERVICE_URL", proxies[1].url.clone()),
            ("CONCERTS_SERVICE_URL", proxies[2].url.clone()),
        ],
        ..SystemOptions::default()
    };
    let system = System::start(options).await;
    for (proxy, service) in proxies.iter().zip([&system.bands, &system.venues, &system.concerts]) {
        proxy.forward_to(&service.url);
    }
    (system, proxies)
}

/// Who is killed.
#[derive(Debug, Clone, Copy)]
enum Victim {
    /// The service the step is sent to.
    Service,
    /// The gateway, as its request for the step arrives.
    Gateway,
}

fn composite(case: &str) -> Value {
    json!({
        "band": {"name": format!("Crash {case} band")},
        "venue": {"name": format!("Crash {case} hall, Nuuk, Greenland"), "latitude": 64.18, "longitude": -51.69},
        "date": 1_811_881_800_000_i64,
    })
}

/// The bands and venues whose name holds the case's, and the concerts of those bands.
async fn record_sets(system: &System, case: &str) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let query = format!("crash%20{}", case.replace(' ', "%20"));
    let list = |answer: Value| answer.as_array().cloned().unwrap_or_default();
    let bands = list(system.get(&format!("/bands?q={query}")).await.1);
    let venues = list(system.get(&format!("/venues?q={query}")).await.1);
    let mut concerts = Vec::new();
    for band in &bands {
        concerts.extend(list(system.get(&format!("/concerts?bandIds={}", band["id"])).await.1));
    }
    (bands, venues, concerts)
}

#[tokio::test]
async fn a_composite_create_cut_at_any_step_and_sent_again_makes_exactly_one_record_set() {
    let (mut system, proxies) = system_behind_proxies().await;
    let steps = [("POST /bands", 0, "bands"), ("POST /venues", 1, "venues"), ("POST /concerts", 2, "concerts")];
    let mut cases = Vec::new();
    for (request, proxy, service) in steps {
        cases.push((request, proxy, service, Victim::Service, Moment::Before));
        cases.push((request, proxy, service, Victim::Service, Moment::After));
        cases.push((request, proxy, service, Victim::Gateway, Moment::Before));
    }
    cases.push(("POST /venues", 1, "venues", Victim::Gateway, Moment::After));
    for (index, (request, proxy, service, victim, moment)) in cases.into_iter().enumerate() {
        let case = format!("{index} {service} {victim:?} {moment:?}").to_lowercase();
        let what = format!("{request}: the {victim:?} killed {moment:?}");
        let key = format!("crash-case-{index}");
        let pid = match victim {
            Victim::Service => [&system.bands, &system.venues, &system.concerts][proxy].id(),
            Victim::Gateway => system.gateway.id(),
        };
        let fired = proxies[proxy].injected();
        proxies[proxy].arm(Fault { request: request.to_owned(), pid, moment });
        let (status, _, _) = send(&system, &case, &key).await;
        assert!(status.is_none_or(|status| status.is_server_error()), "{what}: the first try fails ({status:?})");
        assert_eq!(proxies[proxy].injected(), fired + 1, "{what}: the fault fired");
        let restarted = match victim {
            Victim::Service => service,
            Victim::Gateway => "concerts-gateway",
        };
        system.restart(restarted).await;

        let (status, _, made) = send(&system, &case, &key).await;
        assert_eq!(status, Some(StatusCode::CREATED), "{what}: the retry makes it: {made}");
        let (bands, venues, concerts) = record_sets(&system, &case).await;
        assert_eq!(bands.len(), 1, "{what}: one band: {bands:?}");
        assert_eq!(venues.len(), 1, "{what}: one venue: {venues:?}");
        assert_eq!(concerts.len(), 1, "{what}: one concert: {concerts:?}");
        assert_eq!(
            (concerts[0]["id"].clone(), concerts[0]["bandId"].clone()),
            (made["id"].clone(), bands[0]["id"].clone())
        );
        assert_eq!(concerts[0]["venueId"], venues[0]["id"], "{what}: the concert at its venue");

        let (again, _, replayed) = send(&system, &case, &key).await;
        assert_eq!((again, replayed), (Some(StatusCode::CREATED), made), "{what}: once more, the same answer");
    }
}

/// The composite create of `case`, with `key`: the status (none when the
/// connection was cut), headers and body.
async fn send(
    system: &System,
    case: &str,
    key: &str,
) -> (Option<StatusCode>, Option<reqwest::header::HeaderMap>, Value) {
    let request = reqwest::Client::new()
        .post(format!("{}/concerts", system.gateway.url))
        .bearer_auth(testkit::WRITE_TOKEN)
        .header("Idempotency-Key", key)
        .timeout(Duration::from_secs(20))
        .json(&composite(case));
    match request.send().await {
        Ok(response) => {
            let (status, headers) = (response.status(), response.headers().clone());
            (Some(status), Some(headers), response.json().await.unwrap_or(Value::Null))
        }
        Err(_) => (None, None, Value::Null),
    }
}

#[tokio::test]
async fn no_write_a_client_was_told_succeeded_is_lost_when_a_service_is_killed() {
    let mut system = System::start(SystemOptions::default()).await;
    let gateway = system.gateway.url.clone();
    let writer = tokio::spawn(async move {
        let http = reqwest::Client::new();
        let (mut acknowledged, mut refused) = (Vec::new(), 0);
        let started = Instant::now();
        for n in 0..600 {
            if started.elapsed() > Duration::from_secs(30) {
                break;
            }
            let band = json!({"name": format!("Durable {n}")});
            let sent = http.post(format!("{gateway}/bands")).bearer_auth(testkit::WRITE_TOKEN).json(&band).send().await;
            match sent {
                Ok(response) if response.status() == StatusCode::CREATED => {
                    let made: Value = response.json().await.unwrap();
                    acknowledged.push((made["id"].as_i64().unwrap(), format!("Durable {n}")));
                }
                _ => refused += 1,
            }
        }
        (acknowledged, refused)
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    system.restart("bands").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    system.restart("bands").await;
    let (acknowledged, refused) = writer.await.unwrap();
    assert!(acknowledged.len() > 100, "writes went on around the kills: {} acknowledged", acknowledged.len());
    for (id, name) in &acknowledged {
        let (status, band) = system.get(&format!("/bands/{id}")).await;
        assert_eq!((status, band["name"].as_str()), (StatusCode::OK, Some(name.as_str())), "acknowledged write {id}");
    }
    // Writes that were refused are the client's to send again; say how many there were.
    println!("{} writes acknowledged and all found; {refused} refused during the restarts", acknowledged.len());
}
