//! The search page in a real browser: Debian's Chromium, headless, driven
//! over the DevTools protocol (chromiumoxide), against the whole system
//! in-process on loopback. Every test also checks that the page threw no
//! error and that no request left the loopback (the map has no tiles here).
//!
//! Where no Chromium is installed, each test says it was skipped and why;
//! `.ci/run` installs it, and with `CI` set a missing Chromium fails.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use bootstrap::edits::EditableStore;
use bootstrap::settings::Switch;
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::network::EventRequestWillBeSent;
use chromiumoxide::cdp::js_protocol::runtime::EventExceptionThrown;
use chromiumoxide::handler::viewport::Viewport;
use chromiumoxide::page::Page;
use concerts_model::{ConcertRecord, Status};
use futures::StreamExt;
use serde_json::Value;
use system_tests::InProcess;

const CHROMIUM: &str = "/usr/bin/chromium";

/// A headless Chromium with a profile of its own; closed by [`Chromium::close`].
struct Chromium {
    browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
}

/// A page, and what it did: every request's URL, every uncaught error.
struct Watched {
    page: Page,
    requests: Arc<Mutex<Vec<String>>>,
    errors: Arc<Mutex<Vec<String>>>,
}

impl Chromium {
    /// The browser, or `None` after saying why the test is skipped.
    async fn launch(test: &str, width: u32) -> Option<Self> {
        if !Path::new(CHROMIUM).exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: no Chromium at {CHROMIUM}, and CI needs every test to run"
            );
            println!("{test} (browser): skipped — no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)");
            return None;
        }
        let profile = tempfile::tempdir().expect("a profile folder");
        let config = BrowserConfig::builder()
            .chrome_executable(CHROMIUM)
            .no_sandbox()
            .user_data_dir(profile.path())
            .viewport(Viewport { width, height: 900, ..Viewport::default() })
            .window_size(width, 900)
            // Without these, Chromium calls Google's hosts, which this machine's network refuses.
            .args([
                "disable-gpu",
                "disable-quic",
                "no-first-run",
                "disable-background-networking",
                "disable-component-update",
                "disable-sync",
                "disable-default-apps",
                "disable-extensions",
                // Pages that Chromium takes for hidden get their rendering steps throttled, and with
                // them the IntersectionObserver that loads the next page on scroll.
                "disable-background-timer-throttling",
                "disable-renderer-backgrounding",
                "disable-backgrounding-occluded-windows",
            ])
            .build()
            .expect("a browser configuration");
        let (browser, mut events) = Browser::launch(config).await.expect("Chromium starts");
        let handler = tokio::spawn(async move { while events.next().await.is_some() {} });
        Some(Self { browser, handler, _profile: profile })
    }

    async fn open(&self, url: &str) -> Watched {
        let page = self.browser.new_page("about:blank").await.expect("a page");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let mut sent = page.event_listener::<EventRequestWillBeSent>().await.expect("network events");
        let kept = requests.clone();
        tokio::spawn(async move {
            while let Some(event) = sent.next().await {
                kept.lock().unwrap().push(event.request.url.clone());
            }
        });
        let mut thrown = page.event_listener::<EventExceptionThrown>().await.expect("error events");
        let kept = errors.clone();
        tokio::spawn(async move {
            while let Some(event) = thrown.next().await {
                kept.lock().unwrap().push(format!("{:?}", event.exception_details));
            }
        });
        // Every violation of the Content-Security-Policy, for stayed_clean.
        page.evaluate_on_new_document(
            "window.__violations = []; document.addEventListener('securitypolicyviolation', \
             (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));",
        )
        .await
        .expect("a script for every document");
        page.goto(url).await.expect("the page loads");
        Watched { page, requests, errors }
    }

    async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.handler.abort();
    }
}

impl Watched {
    async fn eval(&self, expression: &str) -> Value {
        let result = self.page.evaluate(expression).await.unwrap_or_else(|e| panic!("{expression}: {e}"));
        result.value().cloned().unwrap_or(Value::Null)
    }

    /// Waits (up to 15 s) until `expression` is true.
    async fn until(&self, expression: &str) {
        let started = Instant::now();
        while self.eval(expression).await != Value::Bool(true) {
            if started.elapsed() > Duration::from_secs(15) {
                let status = self.status().await;
                let requests = self.requests.lock().unwrap().clone();
                let last = &requests[requests.len().saturating_sub(6)..];
                panic!("never true: {expression}; status: {status}; the last requests: {last:#?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn status(&self) -> Value {
        self.eval("document.getElementById('status')?.textContent").await
    }

    async fn shown(&self) -> u64 {
        self.eval("document.querySelectorAll('#results li').length").await.as_u64().unwrap_or(0)
    }

    /// Types `text` into the field `#id`, as a person does, key by key.
    async fn type_into(&self, id: &str, text: &str) {
        let field = self.page.find_element(format!("#{id}")).await.expect("the field");
        field.click().await.expect("the field takes focus");
        field.type_str(text).await.expect("typing");
    }

    /// No uncaught error, nothing the Content-Security-Policy refused, and no
    /// request to anywhere but the loopback.
    async fn stayed_clean(&self) {
        let violations = self.eval("window.__violations").await;
        assert_eq!(violations, serde_json::json!([]), "the page broke its Content-Security-Policy");
        let errors = self.errors.lock().unwrap();
        assert!(errors.is_empty(), "the page threw: {errors:#?}");
        let requests = self.requests.lock().unwrap();
        assert!(!requests.is_empty(), "requests were watched");
        let elsewhere: Vec<&String> = requests
            .iter()
            .filter(|url| {
                !(url.starts_with("http://127.0.0.1:") || url.starts_with("data:") || url.starts_with("about:"))
            })
            .collect();
        assert!(elsewhere.is_empty(), "requests left the loopback: {elsewhere:#?}");
    }
}

/// The system for a browser: the demo data, a map without tiles, and the
/// rate limits on as they are by default: a person never meets them.
async fn system() -> InProcess {
    InProcess::seeded(|gateway| {
        gateway.browsers.map_tile_url = String::new();
        gateway.rate_limits.rate_limits = Switch::On;
    })
    .await
}

/// The version of axe-core (npm) the page is checked with.
const AXE_CORE: &str = "axe-core@4.10.3";

/// axe-core's script, installed with npm under `target/` when missing; `None`
/// after saying why the test is skipped (no npm here; in CI it fails).
fn axe_core(test: &str) -> Option<String> {
    let prefix = testkit::repo_root().join("target/axe");
    let script = prefix.join("node_modules/axe-core/axe.min.js");
    if !script.exists() {
        let installed = std::process::Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&prefix)
            .arg(AXE_CORE)
            .output();
        if !installed.is_ok_and(|output| output.status.success()) {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: npm cannot install {AXE_CORE}, and CI needs every test to run"
            );
            println!("{test} (axe-core): skipped — npm could not install {AXE_CORE} here");
            return None;
        }
    }
    Some(std::fs::read_to_string(script).expect("axe-core's script"))
}

impl Watched {
    /// axe-core's serious and critical violations on the page as it is now: `rule: elements`.
    async fn serious_violations(&self, axe: &str) -> Vec<String> {
        if self.eval("typeof axe").await != "object" {
            self.eval(&format!("{axe}; true")).await;
        }
        let found = self
            .eval(
                "(async () => (await axe.run(document, { resultTypes: ['violations'] })).violations
                   .filter((rule) => ['serious', 'critical'].includes(rule.impact))
                   .map((rule) => `${rule.id}: ${rule.nodes.map((node) => node.target.join(' ')).join(', ')}`))()",
            )
            .await;
        serde_json::from_value(found).expect("a list of violations")
    }
}

/// The page passes axe-core with no serious or critical violation, before
/// a search and with its results (a list, a map with markers, the calendar link).
#[tokio::test]
async fn the_page_passes_axe_core_empty_and_with_results() {
    const TEST: &str = "axe-core";
    let Some(chromium) = Chromium::launch(TEST, 1200).await else { return };
    let Some(axe) = axe_core(TEST) else { return };
    let system = system().await;
    let page = chromium.open(&format!("{}/", system.gateway.url)).await;
    page.until("document.getElementById('status').textContent === 'Pick a band or a place.'").await;
    assert_eq!(page.serious_violations(&axe).await, Vec::<String>::new(), "the empty page");
    page.type_into("band-input", "3 Doors").await;
    page.until("document.querySelector('#band-options li')?.textContent === '3 Doors Down'").await;
    page.page.find_element("#band-input").await.unwrap().press_key("Enter").await.unwrap();
    page.until("document.getElementById('results').dataset.complete === 'true' && document.querySelectorAll('#results li').length > 0").await;
    assert_eq!(page.serious_violations(&axe).await, Vec::<String>::new(), "the page with results");
    page.stayed_clean().await;
    chromium.close().await;
}

#[tokio::test]
async fn a_person_types_a_band_picks_it_with_the_keyboard_and_sees_its_concerts() {
    let Some(chromium) = Chromium::launch("typing a band", 1200).await else { return };
    let system = system().await;
    let page = chromium.open(&format!("{}/", system.gateway.url)).await;
    page.until("document.getElementById('status').textContent === 'Pick a band or a place.'").await;
    page.type_into("band-input", "3 Doors").await;
    page.until("document.querySelector('#band-options li')?.textContent === '3 Doors Down'").await;
    let field = page.page.find_element("#band-input").await.unwrap();
    field.press_key("Enter").await.unwrap();
    page.until("document.getElementById('results').dataset.complete === 'true' && document.querySelectorAll('#results li').length > 0").await;
    assert_eq!(page.shown().await, 5, "3 Doors Down plays five concerts");
    assert_eq!(page.status().await, "5 concerts.");
    assert_eq!(page.eval("document.querySelector('#bands-picked li')?.firstChild.textContent").await, "3 Doors Down");
    assert_eq!(page.eval("new URLSearchParams(location.search).get('bandIds')").await, "1", "the search is in the URL");
    assert_eq!(page.eval("document.activeElement.id").await, "band-input", "the keyboard stays where it was");
    page.stayed_clean().await;
    chromium.close().await;
}

#[tokio::test]
async fn a_person_picks_a_place_narrows_the_dates_and_sees_the_count_the_api_gives() {
    let Some(chromium) = Chromium::launch("a place and dates", 1200).await else { return };
    let system = system().await;
    let page = chromium.open(&format!("{}/", system.gateway.url)).await;
    page.type_into("place-input", "batofar").await;
    page.until("document.querySelector('#place-options li')?.textContent === 'Le Batofar, Paris, France'").await;
    let option = page.page.find_element("#place-options li").await.unwrap();
    option.click().await.unwrap();
    page.until("document.getElementById('results').dataset.count > 0").await;
    page.eval(
        "for (const [id, value] of [['from', '2018-01-01'], ['to', '2018-12-31']]) {
           const field = document.getElementById(id); field.value = value; field.dispatchEvent(new Event('change'));
         } true",
    )
    .await;
    // Scroll to the end of the list until every page has come (bounded).
    for _ in 0..40 {
        if page.eval("document.getElementById('results').dataset.complete === 'true'").await == Value::Bool(true) {
            break;
        }
        page.eval("document.getElementById('more').scrollIntoView(); true").await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    page.until("document.getElementById('results').dataset.complete === 'true'").await;
    let (latitude, longitude) = (48.83335, 2.3793886);
    let api = format!("/concerts?latitude={latitude}&longitude={longitude}&radius=20&from=2018-01-01&to=2018-12-31");
    let (_, answer) = system.get(&api).await;
    let expected = answer.as_array().unwrap().len() as u64;
    assert!(expected > 50, "the range spans pages: {expected}");
    assert_eq!(page.shown().await, expected, "the page shows what the API answers");
    assert_eq!(page.status().await, format!("{expected} concerts."));
    assert_eq!(page.eval("new URLSearchParams(location.search).get('from')").await, "2018-01-01");
    // The same search as a calendar to subscribe to.
    let subscribe = page.eval("document.getElementById('subscribe').hidden ? null : document.getElementById('subscribe').getAttribute('href')").await;
    let calendar =
        format!("/concerts.ics?latitude={latitude}&longitude={longitude}&radius=20&from=2018-01-01&to=2018-12-31");
    assert_eq!(subscribe, calendar.as_str());
    let ics = system.get_raw(&calendar).await.text().await.unwrap();
    assert_eq!(ics.matches("BEGIN:VEVENT").count() as u64, expected, "the calendar holds the concerts shown");
    page.stayed_clean().await;
    chromium.close().await;
}

/// The city Paris, then soonest first: the list comes in the API's order,
/// each concert at its venue's local time with its zone, and the histogram
/// shows a bar per month with the counts the API gives.
#[tokio::test]
async fn a_person_picks_paris_sorts_soonest_first_and_sees_the_concerts_per_month() {
    let Some(chromium) = Chromium::launch("Paris, soonest first, per month", 1200).await else { return };
    let system = system().await;
    let page = chromium.open(&format!("{}/", system.gateway.url)).await;
    page.type_into("place-input", "paris").await;
    let venues = system_tests::city_venues("Paris", "France").len();
    let city = format!("Paris, France · {venues} venues");
    page.until(&format!("document.querySelector('#place-options li')?.textContent === {city:?}")).await;
    page.page.find_element("#place-options li").await.unwrap().click().await.unwrap();
    page.until("document.getElementById('results').dataset.count > 0").await;
    page.eval("const order = document.getElementById('sort'); order.value = 'date'; order.dispatchEvent(new Event('change')); true")
        .await;
    page.until("new URLSearchParams(location.search).get('sort') === 'date'").await;
    // The search the page asks, from its URL (the city's circle), without the place's name.
    let search = page
        .eval(
            "(() => { const params = new URLSearchParams(location.search); params.delete('place'); params.delete('sort');
               return params.toString(); })()",
        )
        .await;
    let search = search.as_str().unwrap().to_owned();
    assert!(search.contains("latitude=") && search.contains("radius="), "{search}");
    let (_, soonest) = system.get(&format!("/concerts?{search}&sort=date&limit=50")).await;
    // Each concert's time element holds the venue's local date-time, as the API gives it.
    let first_local = soonest[0]["localDate"].as_str().unwrap();
    page.until(&format!("document.querySelector('#results li time')?.dateTime === {first_local:?}")).await;
    let shown: Vec<(String, String)> = serde_json::from_value(
        page.eval(
            "[...document.querySelectorAll('#results li')].map((item) =>
               [item.querySelector('time').dateTime, item.querySelector('.zone')?.textContent ?? ''])",
        )
        .await,
    )
    .unwrap();
    let expected: Vec<(String, String)> = soonest
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["localDate"].as_str().unwrap().to_owned(), c["timeZone"].as_str().unwrap().to_owned()))
        .collect();
    assert!(expected.iter().all(|(_, zone)| zone == "Europe/Paris"), "{expected:?}");
    assert_eq!(shown, expected, "the first page, soonest first, at local time with the zone, as the API gives it");

    let (_, counts) = system.get(&format!("/concerts/counts?{search}&by=month")).await;
    let total = counts["total"].as_u64().unwrap();
    page.until(&format!(
        "document.getElementById('histogram-title').textContent === '{total} concerts in all, per month'"
    ))
    .await;
    let bars: Vec<(String, u64)> = serde_json::from_value(
        page.eval(
            "[...document.querySelectorAll('#months li')].map((bar) => [bar.dataset.month, Number(bar.dataset.count)])",
        )
        .await,
    )
    .unwrap();
    let groups: Vec<(String, u64)> = counts["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].as_str().unwrap().to_owned(), g["count"].as_u64().unwrap()))
        .collect();
    assert!(groups.len() > 100, "twelve years of months: {}", groups.len());
    assert_eq!(bars, groups, "a bar per month, with the API's counts");
    assert_eq!(bars.iter().map(|(_, count)| count).sum::<u64>(), total);
    assert_eq!(page.eval("document.getElementById('histogram').hidden").await, false);
    page.stayed_clean().await;
    chromium.close().await;
}

/// The city first among the suggestions, its venues counted from the data
/// file; picked, its concerts show each at the venue's local time, with its zone.
#[tokio::test]
async fn a_person_picks_a_city_and_sees_its_concerts_at_local_time() {
    let Some(chromium) = Chromium::launch("a city and local times", 1200).await else { return };
    let system = system().await;
    let venues = system_tests::city_venues("Paris", "France").len();
    let page = chromium.open(&format!("{}/", system.gateway.url)).await;
    page.type_into("place-input", "paris").await;
    let first = format!("Paris, France · {venues} venues");
    page.until(&format!("document.querySelector('#place-options li')?.textContent === {first:?}")).await;
    page.page.find_element("#place-options li").await.unwrap().click().await.unwrap();
    page.until("document.getElementById('results').dataset.count > 0").await;
    let picked = page.eval("document.getElementById('place-picked').textContent").await;
    assert!(picked.as_str().unwrap().starts_with("Paris, France ("), "{picked}");

    // The first concerts as the API gives them for the search in the URL, and as the page shows them.
    let query = page.eval("location.search").await;
    let query = query.as_str().unwrap().replace("&place=Paris%2C+France", "");
    let (_, answer) = system.get(&format!("/concerts{query}")).await;
    let expected: Vec<(String, String)> = answer.as_array().unwrap()[..5]
        .iter()
        .map(|c| (c["timeZone"].as_str().unwrap().to_owned(), c["localDate"].as_str().unwrap().to_owned()))
        .collect();
    assert!(expected.iter().all(|(zone, _)| zone == "Europe/Paris"), "{expected:?}");
    let shown = page
        .eval(
            "[...document.querySelectorAll('#results li')].slice(0, 5).map((item) => {
               const time = item.querySelector('time');
               return { zone: item.querySelector('.zone')?.textContent, at: time.dateTime, text: time.textContent };
             })",
        )
        .await;
    for (item, (zone, local)) in shown.as_array().unwrap().iter().zip(&expected) {
        assert_eq!((item["zone"].as_str(), item["at"].as_str()), (Some(zone.as_str()), Some(local.as_str())));
        // The hour and minute shown are the local ones ("21:00" or "9:00 PM", as the browser's language says).
        let (hour, minute): (u32, &str) = (local[11..13].parse().unwrap(), &local[14..16]);
        let text = item["text"].as_str().unwrap();
        let twelve = if hour % 12 == 0 { 12 } else { hour % 12 };
        assert!(
            text.contains(&format!("{hour:02}:{minute}")) || text.contains(&format!("{twelve}:{minute}")),
            "{text} is not {local}"
        );
    }
    page.stayed_clean().await;
    chromium.close().await;
}

#[tokio::test]
async fn more_concerts_load_as_the_list_is_scrolled_on_a_phone_sized_screen() {
    let Some(chromium) = Chromium::launch("scrolling", 375).await else { return };
    let system = system().await;
    // A shared search: the URL holds it.
    let page = chromium
        .open(&format!("{}/?latitude=48.857931&longitude=2.350144&radius=20&place=Paris", system.gateway.url))
        .await;
    page.until("document.querySelectorAll('#results li').length === 50").await;
    // Once the count is in, the status says how many there are in all.
    page.until(
        "document.getElementById('status').textContent === '50 concerts of 935 so far; more load as you scroll.'",
    )
    .await;
    assert_eq!(page.eval("document.documentElement.scrollWidth <= 375").await, true, "nothing wider than the screen");
    page.eval("document.getElementById('more').scrollIntoView(); true").await;
    page.until("document.querySelectorAll('#results li').length >= 100").await;
    assert!(
        page.eval("document.getElementById('place-picked').textContent").await.as_str().unwrap().starts_with("Paris")
    );
    page.stayed_clean().await;
    chromium.close().await;
}

#[tokio::test]
async fn a_page_from_another_origin_reads_concerts_with_fetch() {
    let Some(chromium) = Chromium::launch("another origin", 1200).await else { return };
    let system = system().await;
    let script = format!(
        "<!doctype html><title>waiting</title><script>
           fetch('{}/concerts?bandIds=1&limit=3')
             .then((answer) => answer.json().then((concerts) => {{
               document.title = `read ${{concerts.length}}, next ${{answer.headers.get('link') ? 'linked' : 'none'}}, \
                 ${{answer.headers.get('ratelimit-policy')}}`;
             }}))
             .catch((error) => {{ document.title = `refused: ${{error}}`; }});
         </script>",
        system.gateway.url
    );
    let elsewhere = testkit::serve(Router::new().route("/", get(move || async move { Html(script) }))).await;
    assert_ne!(elsewhere.url, system.gateway.url, "another origin: another port");
    let page = chromium.open(&format!("{}/", elsewhere.url)).await;
    page.until("document.title !== 'waiting'").await;
    assert_eq!(
        page.eval("document.title").await,
        "read 3, next linked, \"searches\";q=100;w=2",
        "the answer, its Link and its rate limit are readable"
    );
    page.stayed_clean().await;
    chromium.close().await;
}

/// The page under its Content-Security-Policy with map tiles from another
/// origin (a tile server on another loopback port, as `MAP_TILE_URL` names
/// it): the tiles load, the page searches, and nothing breaks the policy;
/// a request to an origin the policy does not name is refused.
#[tokio::test]
async fn the_page_works_under_its_security_policy_with_tiles_from_the_configured_host() {
    let Some(chromium) = Chromium::launch("security policy", 1200).await else { return };
    let tile = std::fs::read(testkit::repo_root().join("apps/concerts-gateway/web/vendor/leaflet/images/layers.png"))
        .expect("a PNG to serve as a tile");
    let tiles = testkit::serve(Router::new().route(
        "/{z}/{x}/{y}",
        get(move || {
            let tile = tile.clone();
            async move { ([(axum::http::header::CONTENT_TYPE, "image/png")], tile) }
        }),
    ))
    .await;
    let tile_url = format!("{}/{{z}}/{{x}}/{{y}}.png", tiles.url);
    let system = InProcess::seeded(|gateway| {
        gateway.browsers.map_tile_url = tile_url;
        gateway.rate_limits.rate_limits = Switch::On;
    })
    .await;
    let page = chromium.open(&format!("{}/", system.gateway.url)).await;
    page.type_into("band-input", "3 Doors").await;
    page.until("document.querySelector('#band-options li')?.textContent === '3 Doors Down'").await;
    page.page.find_element("#band-input").await.unwrap().press_key("Enter").await.unwrap();
    page.until("document.getElementById('results').dataset.complete === 'true' && document.querySelectorAll('#results li').length === 5").await;
    page.until("document.querySelectorAll('img.leaflet-tile-loaded').length > 0").await;
    assert!(
        page.requests.lock().unwrap().iter().any(|url| url.starts_with(&tiles.url)),
        "tiles came from the tile host"
    );

    let elsewhere = "http://127.0.0.1:9/concerts";
    page.eval(&format!(
        "fetch('{elsewhere}').then(() => window.__fetched = 'fetched', () => window.__fetched = 'refused'); true"
    ))
    .await;
    page.until("window.__fetched !== undefined").await;
    assert_eq!(page.eval("window.__fetched").await, "refused");
    let violations = page.eval("window.__violations").await;
    assert_eq!(violations, serde_json::json!([format!("connect-src {elsewhere}")]), "the policy refused it");
    page.eval("window.__violations = []; true").await;
    page.requests.lock().unwrap().retain(|url| url != elsewhere);
    page.stayed_clean().await;
    chromium.close().await;
}

/// Swagger UI's Try-it-out, as a person uses it on `GET /concerts`: open the
/// operation, press "Try it out", enter the band ids 1 and 2, press
/// "Execute". Nothing else filled in narrows the search: 26 concerts.
#[tokio::test]
async fn swaggers_try_it_out_with_band_ids_1_and_2_gives_26_concerts() {
    let Some(chromium) = Chromium::launch("Swagger's Try-it-out", 1400).await else { return };
    let system = system().await;
    let page = chromium.open(&format!("{}/api/", system.gateway.url)).await;
    let operation = "#operations-concerts-findConcerts";
    page.until(&format!("!!document.querySelector('{operation} .opblock-summary')")).await;
    page.eval(&format!("document.querySelector('{operation} .opblock-summary-control').click(); true")).await;
    page.until(&format!("!!document.querySelector('{operation} .try-out__btn')")).await;
    page.eval(&format!("document.querySelector('{operation} .try-out__btn').click(); true")).await;
    let band_ids = format!("{operation} tr[data-param-name='bandIds']");
    page.until(&format!("document.querySelectorAll(\"{band_ids} input\").length > 0")).await;
    // Each item of the list has its field; React reads what is typed from input events.
    page.eval(&format!(
        "const row = document.querySelector(\"{band_ids}\");
         const add = () => [...row.querySelectorAll('button')].find((b) => /add/i.test(b.textContent));
         while (row.querySelectorAll('input').length < 2) add().click();
         const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
         [...row.querySelectorAll('input')].forEach((field, index) => {{
           set.call(field, String(index + 1));
           field.dispatchEvent(new Event('input', {{ bubbles: true }}));
         }});
         true"
    ))
    .await;
    let others = page
        .eval(&format!(
            "[...document.querySelectorAll(\"{operation} tr[data-param-name]\")]
               .filter((row) => row.dataset.paramName !== 'bandIds')
               .flatMap((row) => [...row.querySelectorAll('input')].map((field) => field.value))
               .filter((value) => value !== '')"
        ))
        .await;
    assert_eq!(others, serde_json::json!([]), "no other parameter is filled in");
    page.eval(&format!("document.querySelector('{operation} .execute').click(); true")).await;
    let body = format!("{operation} .live-responses-table .response-col_description pre");
    page.until(&format!("!!document.querySelector(\"{body}\")")).await;
    let text = page.eval(&format!("document.querySelector(\"{body}\").textContent")).await;
    let concerts: Value = serde_json::from_str(text.as_str().unwrap_or_default()).expect("the answer as JSON");
    assert_eq!(concerts.as_array().map(Vec::len), Some(26), "{text}");
    let url = page.eval(&format!("document.querySelector('{operation} .request-url pre')?.textContent")).await;
    assert!(url.as_str().is_some_and(|url| url.ends_with("/concerts?bandIds=1,2")), "{url}");
    page.stayed_clean().await;
    chromium.close().await;
}

/// Concerts called off or moved stay listed, as the API lists them: a
/// cancelled one struck through and labelled, a rescheduled one labelled.
#[tokio::test]
async fn a_cancelled_concert_is_struck_through_and_labelled() {
    let Some(chromium) = Chromium::launch("statuses on the page", 1200).await else { return };
    let system = system().await;
    let (_, before) = system.get("/concerts?bandIds=1").await;
    let ids: Vec<i64> = before.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    let store = system.concert_store.clone();
    for (id, status) in [(ids[0], Status::Cancelled), (ids[1], Status::Rescheduled)] {
        store.update(id, None, Box::new(move |c| Ok(ConcertRecord { status, ..*c }))).await.unwrap();
    }
    let page = chromium.open(&format!("{}/?bandIds=1", system.gateway.url)).await;
    page.until(&format!("document.querySelectorAll('#results li').length === {}", ids.len())).await;
    let shown = page
        .eval(
            "[...document.querySelectorAll('#results li')].slice(0, 3).map((item) => ({
               status: item.dataset.status,
               label: item.querySelector('.status')?.textContent ?? null,
               struck: getComputedStyle(item.querySelector('.name')).textDecorationLine,
               dateStruck: !!item.querySelector('del time'),
             }))",
        )
        .await;
    assert_eq!(
        shown,
        serde_json::json!([
            {"status": "cancelled", "label": "Cancelled", "struck": "line-through", "dateStruck": true},
            {"status": "rescheduled", "label": "Rescheduled", "struck": "none", "dateStruck": false},
            {"status": "scheduled", "label": null, "struck": "none", "dateStruck": false},
        ])
    );
    page.stayed_clean().await;
    chromium.close().await;
}

/// Swagger UI's Authorize, then Try-it-out on `POST /bands`, as a person
/// does it with the editor's token: the band is made, and the API finds it.
#[tokio::test]
async fn swaggers_authorize_takes_the_token_and_try_it_out_adds_a_band() {
    let Some(chromium) = Chromium::launch("Swagger's Authorize", 1400).await else { return };
    let system = system().await;
    let page = chromium.open(&format!("{}/api/", system.gateway.url)).await;
    page.until("!!document.querySelector('.btn.authorize')").await;
    page.eval("document.querySelector('.btn.authorize').click(); true").await;
    page.until("!!document.querySelector('.auth-container input')").await;
    page.eval(&format!(
        "const field = document.querySelector('.auth-container input');
         Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(field, '{}');
         field.dispatchEvent(new Event('input', {{ bubbles: true }}));
         document.querySelector('.auth-container .modal-btn.auth').click(); true",
        testkit::WRITE_TOKEN
    ))
    .await;
    page.until("!!document.querySelector('.auth-container .btn-done')").await;
    page.eval("document.querySelector('.auth-container .btn-done').click(); true").await;

    let operation = "#operations-catalogue-createBand";
    page.until(&format!("!!document.querySelector('{operation} .opblock-summary')")).await;
    page.eval(&format!("document.querySelector('{operation} .opblock-summary-control').click(); true")).await;
    page.until(&format!("!!document.querySelector('{operation} .try-out__btn')")).await;
    page.eval(&format!("document.querySelector('{operation} .try-out__btn').click(); true")).await;
    page.until(&format!("!!document.querySelector('{operation} textarea.body-param__text')")).await;
    page.eval(&format!(
        "const body = document.querySelector('{operation} textarea.body-param__text');
         Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set.call(body, '{{\"name\": \"Swagger Owls\"}}');
         body.dispatchEvent(new Event('input', {{ bubbles: true }}));
         true"
    ))
    .await;
    page.eval(&format!("document.querySelector('{operation} .execute').click(); true")).await;
    let status = format!("{operation} .live-responses-table .response .response-col_status");
    page.until(&format!("!!document.querySelector(\"{status}\")")).await;
    let code = page.eval(&format!("document.querySelector(\"{status}\").textContent.trim()")).await;
    assert_eq!(code, "201", "made with the token Authorize took");
    let (_, found) = system.get("/bands?q=swagger%20owls").await;
    assert_eq!(found[0]["name"], "Swagger Owls", "{found}");
    page.stayed_clean().await;
    chromium.close().await;
}
