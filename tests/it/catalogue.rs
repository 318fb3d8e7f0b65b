//! The living catalogue through the public API, on the real binaries: a
//! concert of a new band at a new venue made, rescheduled, cancelled and
//! deleted, each change seen at once by every read; the credentials; the
//! refusals, each a 4xx naming the field and the rule; safe retries; the
//! rules across services. On SQLite, and on MongoDB when the test server runs.

use reqwest::StatusCode;
use serde_json::{Value, json};
use system_tests::{ON_MONGODB, slow_store_waits};
use testkit::{
    Code, IMPORT_TOKEN, Problem, System, SystemOptions, WRITE_TOKEN, error_problems, mongodb_test_uri, problem,
};

/// Where the new venue is, and a circle around it holding no venue of the demo data.
const KATUAQ: (f64, f64) = (64.1814, -51.6941);
const AROUND_KATUAQ: &str = "latitude=64.1814&longitude=-51.6941&radius=5";

fn new_concert() -> Value {
    json!({
        "band": {"name": "The Velvet Owls"},
        "venue": {"name": "Katuaq, Nuuk, Greenland", "latitude": KATUAQ.0, "longitude": KATUAQ.1},
        "date": "2027-06-01T20:30:00Z"
    })
}

/// The concerts a search answers, as (id, date, status).
async fn found(system: &System, query: &str) -> Vec<(i64, i64, String)> {
    let (status, answer) = system.get(&format!("/concerts?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {answer}");
    let items = answer.as_array().cloned().unwrap_or_default();
    items
        .iter()
        .map(|item| {
            (item["id"].as_i64().unwrap(), item["date"].as_i64().unwrap(), item["status"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// What the "done when" asks, each step seen at once by the search,
/// the record's own read and the name suggestions.
async fn a_concert_lives_and_every_read_sees_each_change_at_once(system: &System) {
    // Reads warm every cache first: the writes must get past them.
    assert_eq!(found(system, AROUND_KATUAQ).await, vec![]);
    assert_eq!(system.get("/bands?q=velvet%20owls").await.1, json!([]));

    let (status, headers, concert) = system.write("POST", "/concerts", Some(&new_concert()), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{concert}");
    let id = concert["id"].as_i64().unwrap();
    assert_eq!(headers["location"], format!("/concerts/{id}").as_str());
    assert_eq!(concert["status"], "scheduled");
    assert_eq!(concert["date"], 1_811_881_800_000_i64, "the date-time given, in UNIX ms");
    let band = concert["bandId"].as_i64().unwrap();

    assert_eq!(found(system, AROUND_KATUAQ).await, vec![(id, 1_811_881_800_000, "scheduled".into())]);
    let (_, by_band) = system.get(&format!("/concerts?bandIds={band}")).await;
    assert_eq!(by_band[0]["band"], "The Velvet Owls");
    assert_eq!(by_band[0]["location"], "Katuaq, Nuuk, Greenland");
    assert_eq!(
        (by_band[0]["bandId"].as_i64(), by_band[0]["venueId"].clone()),
        (Some(band), concert["venueId"].clone())
    );
    assert_eq!(system.get("/bands?q=velvet%20owls").await.1, json!([{"id": band, "name": "The Velvet Owls"}]));
    let (status, read) = system.get(&format!("/concerts/{id}")).await;
    assert_eq!((status, &read), (StatusCode::OK, &concert));

    // Rescheduled a week later: the same id, its previous date kept.
    let moved = json!({"date": "2027-06-08T20:30:00Z"});
    let (status, _, rescheduled) = system.write("PATCH", &format!("/concerts/{id}"), Some(&moved), &[]).await;
    assert_eq!(status, StatusCode::OK, "{rescheduled}");
    assert_eq!(rescheduled["status"], "rescheduled");
    assert_eq!(rescheduled["previousDate"], 1_811_881_800_000_i64);
    assert_eq!(found(system, AROUND_KATUAQ).await, vec![(id, 1_812_486_600_000, "rescheduled".into())]);

    // Cancelled: still listed, with its status; a status filter leaves it out.
    let (status, _, _) =
        system.write("PATCH", &format!("/concerts/{id}"), Some(&json!({"status": "cancelled"})), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found(system, AROUND_KATUAQ).await, vec![(id, 1_812_486_600_000, "cancelled".into())]);
    assert_eq!(found(system, &format!("{AROUND_KATUAQ}&status=scheduled,rescheduled")).await, vec![]);

    // Renamed band: the new name in the answers at once.
    let renamed = json!({"name": "The Velvet Owls Orchestra"});
    let (status, _, _) = system.write("PATCH", &format!("/bands/{band}"), Some(&renamed), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(system.get(&format!("/concerts?{AROUND_KATUAQ}")).await.1[0]["band"], "The Velvet Owls Orchestra");

    // Deleted: found nowhere, its read a 404 in the JSON error shape.
    let (status, _, _) = system.write("DELETE", &format!("/concerts/{id}"), None, &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(found(system, AROUND_KATUAQ).await, vec![]);
    let (status, gone) = system.get(&format!("/concerts/{id}")).await;
    assert_eq!(
        error_problems(status, &gone, StatusCode::NOT_FOUND),
        [Problem::new(Code::NotFound, format!("concert {id} not found"))]
    );
}

#[tokio::test]
async fn a_concert_of_a_new_band_at_a_new_venue_lives_and_every_read_sees_each_change_at_once() {
    let system = System::start_seeded(SystemOptions::default()).await;
    a_concert_lives_and_every_read_sees_each_change_at_once(&system).await;
}

#[tokio::test]
async fn the_same_on_mongodb() {
    let Some(uri) = mongodb_test_uri("the living catalogue") else { return };
    let _alone = ON_MONGODB.lock().await;
    let options = SystemOptions { mongodb_uri: Some(uri), gateway_env: slow_store_waits(), ..SystemOptions::default() };
    let system = System::start(options).await;
    a_concert_lives_and_every_read_sees_each_change_at_once(&system).await;
    system.drop_mongodb_databases().await;
}

#[tokio::test]
async fn writes_need_a_token_of_the_editing_scope_and_reads_do_not() {
    let mut system = System::start_seeded(SystemOptions::default()).await;
    let http = reqwest::Client::new();
    let post = |token: Option<&str>| {
        let request = http.post(format!("{}/bands", system.gateway.url)).json(&json!({"name": "Nobody's Band"}));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    };
    for (token, expected) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some("a-token-nobody-was-given"), StatusCode::UNAUTHORIZED),
        (Some(IMPORT_TOKEN), StatusCode::FORBIDDEN),
    ] {
        let response = post(token).send().await.unwrap();
        assert_eq!(response.status(), expected, "{token:?}");
        if expected == StatusCode::UNAUTHORIZED {
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
        }
        let body: Value = response.json().await.unwrap();
        assert!(!body.to_string().contains("a-token-nobody"), "a refusal never repeats the token: {body}");
        let code = if expected == StatusCode::UNAUTHORIZED { Code::Unauthorized } else { Code::Forbidden };
        assert_eq!(error_problems(expected, &body, expected)[0].code, code, "{token:?}");
    }
    assert_eq!(system.get("/bands?q=nobody").await.1, json!([]), "nothing was written");

    // The services check the same tokens: an editing token cannot import.
    let import =
        http.put(format!("{}/bands", system.bands.url)).bearer_auth(WRITE_TOKEN).json(&json!([{"id": 9, "name": "x"}]));
    assert_eq!(import.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let edit = http.post(format!("{}/bands", system.bands.url)).bearer_auth(IMPORT_TOKEN).json(&json!({"name": "x"}));
    assert_eq!(edit.send().await.unwrap().status(), StatusCode::FORBIDDEN);

    // Reads stay open; a write is logged with who made it, never with the token.
    assert_eq!(system.get("/bands/1").await.0, StatusCode::OK);
    let (status, _, _) = system.write("POST", "/bands", Some(&json!({"name": "Logged Band"})), &[]).await;
    assert_eq!(status, StatusCode::CREATED);
    for process in [&mut system.gateway, &mut system.bands] {
        let line = format!("who={}", testkit::WRITER);
        process.wait_for_line(&line, std::time::Duration::from_secs(5)).await;
        let log = process.log_lines().join("\n");
        assert!(!log.contains(WRITE_TOKEN) && !log.contains(IMPORT_TOKEN), "no token in the logs");
    }
}

#[tokio::test]
async fn every_bad_write_gets_a_4xx_naming_the_field_and_the_rule() {
    let system = System::start_seeded(SystemOptions::default()).await;
    let long = "x".repeat(201);
    let cases: Vec<(&str, &str, Value, StatusCode, Vec<Problem>)> = vec![
        (
            "POST",
            "/bands",
            json!({"name": ""}),
            StatusCode::BAD_REQUEST,
            vec![problem(Code::InvalidFormat, Some("name"), "name must not be empty or only spaces")],
        ),
        (
            "POST",
            "/bands",
            json!({"name": long}),
            StatusCode::BAD_REQUEST,
            vec![problem(Code::TooLong, Some("name"), "name must be at most 200 characters long")],
        ),
        (
            "POST",
            "/bands",
            json!({"name": 5}),
            StatusCode::BAD_REQUEST,
            vec![problem(Code::WrongType, Some("name"), "name must be a string (got 5)")],
        ),
        (
            "POST",
            "/bands",
            json!({"name": "A", "genre": "rock"}),
            StatusCode::BAD_REQUEST,
            vec![problem(Code::UnknownParameter, Some("genre"), "genre is not a known parameter (known: name)")],
        ),
        (
            "POST",
            "/venues",
            json!({"name": "V", "latitude": 91, "longitude": 0}),
            StatusCode::BAD_REQUEST,
            vec![problem(Code::OutOfRange, Some("latitude"), "latitude must be <= 90")],
        ),
        (
            "POST",
            "/venues",
            json!({"name": "V", "latitude": 1}),
            StatusCode::BAD_REQUEST,
            vec![problem(Code::Required, Some("longitude"), "longitude is required")],
        ),
        (
            "POST",
            "/concerts",
            json!({"bandId": 1, "venueId": 1, "date": "next friday"}),
            StatusCode::BAD_REQUEST,
            vec![problem(
                Code::InvalidDate,
                Some("date"),
                "date must be UNIX milliseconds or a date-time with its zone (2027-06-01T20:30:00Z)",
            )],
        ),
        (
            "POST",
            "/concerts",
            json!({"bandId": 1, "band": {"name": "B"}, "venueId": 1, "date": 5}),
            StatusCode::BAD_REQUEST,
            vec![problem(
                Code::MutuallyExclusive,
                None,
                "give bandId (a band that exists) or band (a new one), not both",
            )],
        ),
        (
            "POST",
            "/concerts",
            json!({"bandId": 999999, "venueId": 1, "date": 5}),
            StatusCode::BAD_REQUEST,
            vec![problem(Code::NotFound, Some("bandId"), "bandId 999999: no band has this id")],
        ),
        (
            "POST",
            "/concerts",
            json!({"bandId": 1, "venueId": 999999, "date": 5}),
            StatusCode::BAD_REQUEST,
            vec![problem(Code::NotFound, Some("venueId"), "venueId 999999: no venue has this id")],
        ),
        (
            "PATCH",
            "/concerts/1",
            json!({"venueId": 999999}),
            StatusCode::BAD_REQUEST,
            vec![problem(Code::NotFound, Some("venueId"), "venueId 999999: no venue has this id")],
        ),
        (
            "PATCH",
            "/concerts/1",
            json!({"status": "sold out"}),
            StatusCode::BAD_REQUEST,
            vec![problem(
                Code::NotAllowed,
                Some("status"),
                "status must be one of [\"scheduled\",\"postponed\",\"rescheduled\",\"cancelled\"] (got \"sold out\")",
            )],
        ),
        (
            "PATCH",
            "/bands/999999",
            json!({"name": "N"}),
            StatusCode::NOT_FOUND,
            vec![problem(Code::NotFound, None, "band 999999 not found")],
        ),
        (
            "PATCH",
            "/bands/1",
            json!({"id": 2}),
            StatusCode::BAD_REQUEST,
            vec![problem(Code::UnknownParameter, Some("id"), "id is not a known parameter (known: name)")],
        ),
    ];
    for (method, path, body, expected, problems) in cases {
        let (status, _, answer) = system.write(method, path, Some(&body), &[]).await;
        assert_eq!(error_problems(status, &answer, expected), problems, "{method} {path} {body}");
    }

    let http = reqwest::Client::new();
    let raw = |method: reqwest::Method, path: &str| {
        http.request(method, format!("{}{path}", system.gateway.url)).bearer_auth(WRITE_TOKEN)
    };
    let malformed = raw(reqwest::Method::POST, "/bands").header("content-type", "application/json").body("{\"name\": ");
    assert_eq!(refused(malformed.send().await.unwrap(), StatusCode::BAD_REQUEST).await, Code::MalformedBody);
    let form = raw(reqwest::Method::POST, "/bands").header("content-type", "text/plain").body("{\"name\": \"A\"}");
    let form = form.send().await.unwrap();
    assert_eq!(refused(form, StatusCode::UNSUPPORTED_MEDIA_TYPE).await, Code::UnsupportedMediaType);
    let huge = json!({"name": "x".repeat(70_000)});
    let too_large = raw(reqwest::Method::POST, "/bands").json(&huge).send().await.unwrap();
    assert_eq!(refused(too_large, StatusCode::PAYLOAD_TOO_LARGE).await, Code::PayloadTooLarge);
    let put = raw(reqwest::Method::PUT, "/bands/1").json(&json!({"name": "A"})).send().await.unwrap();
    assert_eq!(put.headers()["allow"], "GET,HEAD,PATCH,DELETE");
    assert_eq!(refused(put, StatusCode::METHOD_NOT_ALLOWED).await, Code::MethodNotAllowed);
    assert_eq!(
        system.get("/bands/1").await.1["name"],
        system.get("/bands?ids=1").await.1[0]["name"],
        "band 1 unchanged"
    );
}

#[tokio::test]
async fn a_create_sent_again_with_its_key_is_made_once_and_a_stale_etag_is_refused() {
    let system = System::start_seeded(SystemOptions::default()).await;
    let key = [("Idempotency-Key", "order-7781")];
    let (first, _, made) = system.write("POST", "/concerts", Some(&new_concert()), &key).await;
    let (again, _, replayed) = system.write("POST", "/concerts", Some(&new_concert()), &key).await;
    assert_eq!((first, again), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(replayed, made, "the first answer, nothing made twice");
    assert_eq!(found(&system, AROUND_KATUAQ).await.len(), 1);
    assert_eq!(system.get("/bands?q=velvet%20owls").await.1.as_array().map(Vec::len), Some(1));
    let mut other = new_concert();
    other["date"] = json!("2027-07-01T20:30:00Z");
    let (status, _, refused) = system.write("POST", "/concerts", Some(&other), &key).await;
    assert_eq!(
        error_problems(status, &refused, StatusCode::UNPROCESSABLE_ENTITY),
        [Problem::new(
            Code::IdempotencyKeyReused,
            "this Idempotency-Key was used for another request: use a new key for a new request"
        )]
    );
    assert_eq!(found(&system, AROUND_KATUAQ).await.len(), 1);

    // If-Match: the ETag as read, or a 412 when someone changed it since.
    let path = format!("/bands/{}", made["bandId"]);
    let read = reqwest::get(format!("{}{path}", system.gateway.url)).await.unwrap();
    let etag = read.headers()["etag"].to_str().unwrap().to_owned();
    let (status, headers, _) =
        system.write("PATCH", &path, Some(&json!({"name": "First"})), &[("If-Match", &etag)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(headers["etag"].to_str().unwrap(), etag, "a new ETag for the new revision");
    let (status, _, stale) =
        system.write("PATCH", &path, Some(&json!({"name": "Second"})), &[("If-Match", &etag)]).await;
    assert_eq!(error_problems(status, &stale, StatusCode::PRECONDITION_FAILED)[0].code, Code::PreconditionFailed);
    let (status, _, _) = system.write("DELETE", &path, None, &[("If-Match", &etag)]).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(system.get(&path).await.1["name"], "First");
}

#[tokio::test]
async fn a_band_or_venue_with_concerts_goes_only_with_them_and_no_answer_shows_an_orphan() {
    let system = System::start_seeded(SystemOptions::default()).await;
    let (_, _, made) = system.write("POST", "/concerts", Some(&new_concert()), &[]).await;
    let (band, venue) = (made["bandId"].as_i64().unwrap(), made["venueId"].as_i64().unwrap());

    let (status, _, refused) = system.write("DELETE", &format!("/venues/{venue}"), None, &[]).await;
    assert_eq!(
        error_problems(status, &refused, StatusCode::CONFLICT),
        [Problem::new(
            Code::Conflict,
            format!(
                "venue {venue} has 1 concert: delete them first, or delete it with ?cascade=delete (its concerts too)"
            )
        )]
    );
    let (status, _, bad) = system.write("DELETE", &format!("/venues/{venue}?cascade=yes"), None, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert_eq!(found(&system, AROUND_KATUAQ).await.len(), 1, "nothing deleted");

    // The band deleted at its own service (as another client could): no answer names a concert of it.
    let gone = reqwest::Client::new().delete(format!("{}/bands/{band}", system.bands.url)).bearer_auth(WRITE_TOKEN);
    assert_eq!(gone.send().await.unwrap().status(), StatusCode::NO_CONTENT);
    let mut shown = found(&system, AROUND_KATUAQ).await;
    for _ in 0..30 {
        if shown.is_empty() {
            break;
        }
        // The gateway learns of a write it did not make within DATA_VERSION_TTL_MS (1 s).
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        shown = found(&system, AROUND_KATUAQ).await;
    }
    assert_eq!(shown, vec![], "a concert whose band is gone is never shown");

    let (status, _, _) = system.write("DELETE", &format!("/venues/{venue}?cascade=delete"), None, &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, count) = system.get_from(&system.concerts, &format!("/concerts/count?venueId={venue}")).await;
    assert_eq!(count["count"], 0, "its concerts went with it");
    assert_eq!(system.get(&format!("/venues/{venue}")).await.0, StatusCode::NOT_FOUND);
}

/// The code of a refusal with `status`, in the product's error shape.
async fn refused(response: reqwest::Response, status: StatusCode) -> Code {
    let answered = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    match error_problems(answered, &body, status).as_slice() {
        [one] => one.code,
        many => panic!("one problem expected: {many:?}"),
    }
}
