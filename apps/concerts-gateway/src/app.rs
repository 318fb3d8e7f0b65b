//! The gateway as one router, built from its configuration: what `main`
//! serves, and what tests serve in-process on a free port against the
//! services (or stand-ins) they choose.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, header};
use axum::routing::{MethodRouter, get, patch, post};
use bootstrap::edits::{IDEMPOTENCY_KEY, MAX_EDIT_BYTES};
use bootstrap::{Credentials, Scope, only_for};
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa_swagger_ui::SwaggerUi;
use validator::name_search::NameSearch;
use validator::{FromQuery, SchemaError};

use crate::answer_cache::AnswerCache;
use crate::clients::Services;
use crate::config::Config;
use crate::context::RequestDeadline;
use crate::counts::CountsQuery;
use crate::events::EventSource;
use crate::follower::Follower;
use crate::freshness::Freshness;
use crate::openapi;
use crate::query::{ChangesQuery, ConcertsQuery, NamesQuery};
use crate::rate_limits::{self, RateLimits, RouteClass};
use crate::record_logs;
use crate::routes::changes::follow_changes;
use crate::routes::concert_records::{change_concert, create_concert, delete_concert, read_concert};
use crate::routes::concerts::{concerts_calendar, find_concerts};
use crate::routes::counts::count_concerts;
use crate::routes::page;
use crate::routes::probes;
use crate::routes::records::{
    Cascade, change_band, change_venue, create_band, create_venue, delete_band, delete_venue, read_band, read_venue,
};
use crate::routes::suggestions::{find_bands, find_places, find_venues};
use crate::security_headers::{self, TileOrigin, TileUrlError};
use crate::state::{Gateway, State};

/// Why the gateway could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error("cannot make the HTTP client of the services")]
    Client(#[from] reqwest::Error),
    #[error("CORS_ALLOWED_ORIGINS={0:?} holds something that is not an origin")]
    Origins(String),
    #[error(transparent)]
    Credentials(#[from] bootstrap::credentials::CredentialsError),
    #[error(transparent)]
    TileUrl(#[from] TileUrlError),
}

/// The public API (`/concerts`, `/bands`, `/venues`, `/places`, each record at
/// `/<entity>/{id}`, Swagger UI at `/api`, the OpenAPI document at
/// `/api-json`), the search page at `/`, and the probes, with the middleware
/// every process has; answers are compressed and readable from any allowed
/// origin. Reads are open; writes need a token of scope `catalogue:write`.
/// Each client is held to its rate limits, and every answer tells browsers
/// what it may do (security headers).
pub fn router(config: &Config) -> Result<Router, BuildError> {
    let credentials =
        Credentials::new(&config.imports, &config.edits)?.with_api_keys(config.rate_limits.api_keys.as_deref())?;
    let tiles = TileOrigin::of(&config.map_tiles.url)?;
    let concerts_query = ConcertsQuery::schema().map_err(Clone::clone)?;
    let counts_query = CountsQuery::schema().map_err(Clone::clone)?;
    let names_query = NamesQuery::schema().map_err(Clone::clone)?;
    let changes_query = ChangesQuery::schema().map_err(Clone::clone)?;
    let places_query = NameSearch::schema().map_err(Clone::clone)?;
    let cascade = Cascade::schema().map_err(Clone::clone)?;
    let services = Arc::new(Services::new(&config.services)?);
    let events = config.nats_url.clone().map(EventSource::new);
    let follower = Follower::new(services.clone());
    follower.start(events.clone());
    record_logs::follow(&services, events);
    let state = Arc::new(Gateway {
        services,
        follower,
        deadline: RequestDeadline(config.request_deadline),
        freshness: Freshness::new(config.cache_max_age_seconds),
        answers: AnswerCache::new(config.answer_cache_bytes),
        stream_page: config.stream_page,
        ics_max_events: config.ics_max_events,
        tiles: config.map_tiles.clone(),
    });
    let document = openapi::document(&[
        ("/concerts", "get", concerts_query.source()),
        ("/concerts.ics", "get", concerts_query.source()),
        ("/concerts/counts", "get", counts_query.source()),
        ("/bands", "get", names_query.source()),
        ("/venues", "get", names_query.source()),
        ("/places", "get", places_query.source()),
        ("/changes", "get", changes_query.source()),
        ("/bands/{id}", "delete", cascade.source()),
        ("/venues/{id}", "delete", cascade.source()),
    ]);
    let limits = RateLimits::new(&config.rate_limits, credentials.clone());
    let search = |route: MethodRouter<State>| rate_limits::limited(route, limits.as_ref(), RouteClass::Searches);
    let names = |route: MethodRouter<State>| rate_limits::limited(route, limits.as_ref(), RouteClass::Names);
    let writes = |route: MethodRouter<State>| {
        let route = only_for(route, &credentials, Scope::Edit).layer(DefaultBodyLimit::max(MAX_EDIT_BYTES));
        rate_limits::limited(route, limits.as_ref(), RouteClass::Writes)
    };
    let api = Router::new()
        .route("/concerts", search(get(find_concerts)).merge(writes(post(create_concert))))
        .route("/concerts.ics", search(get(concerts_calendar)))
        .route("/concerts/counts", search(get(count_concerts)))
        .route("/concerts/{id}", search(get(read_concert)).merge(writes(patch(change_concert).delete(delete_concert))))
        .route("/bands", names(get(find_bands)).merge(writes(post(create_band))))
        .route("/bands/{id}", search(get(read_band)).merge(writes(patch(change_band).delete(delete_band))))
        .route("/venues", names(get(find_venues)).merge(writes(post(create_venue))))
        .route("/places", names(get(find_places)))
        .route("/venues/{id}", search(get(read_venue)).merge(writes(patch(change_venue).delete(delete_venue))))
        .route("/changes", search(get(follow_changes)))
        .with_state(state.clone());
    // The page and Swagger UI are files held in memory, and a page load
    // asks for a dozen at once: they are not rate limited.
    let page = Router::new()
        .route("/", get(page::index))
        .route("/app/config.json", get(page::config))
        .route("/app/{*path}", get(page::app_file))
        .with_state(state.clone());
    let docs = Router::from(SwaggerUi::new("/api").external_url_unchecked("/api-json", document));
    let public = api.merge(security_headers::page(page, &tiles)).merge(security_headers::docs(docs));
    let ready = get(probes::ready).with_state(state);
    let served = bootstrap::service_router(public, ready, &config.limits);
    Ok(security_headers::everywhere(served).layer(compression()).layer(cors(config.cors_origins.as_deref())?))
}

/// Answers of a kilobyte or more, compressed as the client accepts (brotli
/// first, then gzip), streamed answers chunk by chunk. The levels are those
/// measured to cost at most a third of the uncompressed throughput (BENCHMARKS.md).
fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .quality(COMPRESSION_LEVEL)
        .compress_when(SizeAbove::new(1024).and(NotForContentType::IMAGES))
}

/// Each coding's fastest level: brotli's 0, gzip's 1.
const COMPRESSION_LEVEL: CompressionLevel = CompressionLevel::Fastest;

/// Pages of `origins` (any when `None`) may read every public answer and
/// write with a token, and see the headers scripts need: the next page's
/// `Link`, the `ETag`, a new record's `Location`, the request id.
fn cors(origins: Option<&[String]>) -> Result<CorsLayer, BuildError> {
    let allowed = match origins {
        None => AllowOrigin::any(),
        Some(origins) => {
            let parsed: Result<Vec<HeaderValue>, _> =
                origins.iter().map(|origin| HeaderValue::from_str(origin)).collect();
            AllowOrigin::list(parsed.map_err(|_| BuildError::Origins(origins.join(",")))?)
        }
    };
    Ok(CorsLayer::new()
        .allow_origin(allowed)
        .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([
            header::IF_NONE_MATCH,
            header::IF_MATCH,
            header::ACCEPT,
            header::AUTHORIZATION,
            bootstrap::credentials::API_KEY,
            header::CONTENT_TYPE,
            IDEMPOTENCY_KEY,
            bootstrap::REQUEST_ID,
        ])
        .expose_headers([
            header::LINK,
            header::ETAG,
            header::LOCATION,
            bootstrap::REQUEST_ID,
            header::RETRY_AFTER,
            rate_limits::RATE_LIMIT,
            rate_limits::RATE_LIMIT_POLICY,
        ])
        .max_age(Duration::from_secs(600)))
}
