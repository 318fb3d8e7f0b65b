//! The gateway as one router, built from its configuration: what `main`
//! serves, and what tests serve in-process on a free port against the
//! services (or stand-ins) they choose.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use utoipa_swagger_ui::SwaggerUi;
use validator::SchemaError;

use crate::clients::Services;
use crate::config::Config;
use crate::openapi;
use crate::query;
use crate::routes::concerts::{ConcertsRoute, find_concerts};
use crate::routes::names::{NamesRoute, find_bands, find_venues};
use crate::routes::probes;

/// Why the gateway could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error("cannot make the HTTP client of the services")]
    Client(#[from] reqwest::Error),
}

/// The public API (`/concerts`, Swagger UI at `/api`, the OpenAPI document
/// at `/api-json`) and the probes, with the middleware every process has.
pub fn router(config: &Config) -> Result<Router, BuildError> {
    let services = Arc::new(Services::new(&config.services)?);
    let concerts = ConcertsRoute {
        services: services.clone(),
        query_schema: query::schema()?,
        request_deadline: config.request_deadline,
        stream_page: config.stream_page,
    };
    let names = NamesRoute {
        services: services.clone(),
        bands_schema: query::names_schema("BandsQuery", "bands")?,
        venues_schema: query::names_schema("VenuesQuery", "venues")?,
        request_deadline: config.request_deadline,
    };
    let document = openapi::document(&[
        ("/concerts", concerts.query_schema.source()),
        ("/bands", names.bands_schema.source()),
        ("/venues", names.venues_schema.source()),
    ]);
    let api = Router::new()
        .route("/concerts", get(find_concerts))
        .with_state(Arc::new(concerts))
        .route("/bands", get(find_bands))
        .route("/venues", get(find_venues))
        .with_state(Arc::new(names))
        .merge(SwaggerUi::new("/api").external_url_unchecked("/api-json", document));
    let ready = get(probes::ready).with_state(Services::clone(&services));
    Ok(bootstrap::service_router(api, ready, &config.limits))
}
