//! The search page for people, at `/`: plain HTML, CSS and a JavaScript
//! module (`apps/concerts-gateway/web/`), with Leaflet vendored for the map,
//! all built into the binary: nothing to fetch from another origin, nothing
//! for `make start` to build. `/app/config.json` tells the page the map
//! tiles to use (`MAP_TILE_URL`; none: a map without tiles).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use exceptions::HttpError;
use serde_json::{Value, json};

use crate::config::MapTiles;
use crate::freshness::Freshness;
use crate::state::State as Shared;
use crate::tag::Tag;

/// A file of the page: its path under `/app/`, its media type, its bytes.
struct Asset {
    path: &'static str,
    media_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $media_type:literal) => {
        Asset { path: $path, media_type: $media_type, bytes: include_bytes!(concat!("../../web/", $path)) }
    };
}

const INDEX: Asset = asset!("index.html", "text/html; charset=utf-8");

const ASSETS: &[Asset] = &[
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("vendor/leaflet/leaflet.js", "text/javascript; charset=utf-8"),
    asset!("vendor/leaflet/leaflet.css", "text/css; charset=utf-8"),
    asset!("vendor/leaflet/LICENSE", "text/plain; charset=utf-8"),
    asset!("vendor/leaflet/images/marker-icon.png", "image/png"),
    asset!("vendor/leaflet/images/marker-icon-2x.png", "image/png"),
    asset!("vendor/leaflet/images/marker-shadow.png", "image/png"),
    asset!("vendor/leaflet/images/layers.png", "image/png"),
    asset!("vendor/leaflet/images/layers-2x.png", "image/png"),
];

/// How long a browser may use the page's files before it asks again
/// (it then gets a `304` while they are the same).
const FILES_MAX_AGE: Freshness = Freshness::new(300);

/// `GET /`: the search page.
pub(crate) async fn index(headers: HeaderMap) -> Response {
    file(&INDEX, &headers)
}

/// `GET /app/{path}`: a file of the page.
pub(crate) async fn app_file(Path(path): Path<String>, headers: HeaderMap) -> Result<Response, HttpError> {
    let asset = ASSETS
        .iter()
        .find(|asset| asset.path == path)
        .ok_or_else(|| HttpError::RouteNotFound(format!("file /app/{path}")))?;
    Ok(file(asset, &headers))
}

/// `GET /app/config.json`: what the page is told at start.
pub(crate) async fn config(State(gateway): State<Shared>) -> impl IntoResponse {
    let MapTiles { url, attribution } = &gateway.tiles;
    let config: Value = json!({ "tileUrl": url, "attribution": attribution });
    ([(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))], Json(config))
}

/// `asset` with its tag, or a `304` when the browser holds it already.
fn file(asset: &'static Asset, headers: &HeaderMap) -> Response {
    let tag = tag_of(asset);
    if let Some(unchanged) = FILES_MAX_AGE.unchanged(headers, Some(tag)) {
        return unchanged;
    }
    let mut response = (StatusCode::OK, [(header::CONTENT_TYPE, asset.media_type)], asset.bytes).into_response();
    FILES_MAX_AGE.stamp(&mut response, Some(tag));
    response
}

/// A file's tag: made of its bytes, which only a new build changes; hashed once.
fn tag_of(asset: &'static Asset) -> &'static Tag {
    static TAGS: LazyLock<HashMap<&'static str, Tag>> = LazyLock::new(|| {
        std::iter::once(&INDEX)
            .chain(ASSETS)
            .map(|asset| {
                let mut hasher = DefaultHasher::new();
                asset.bytes.hash(&mut hasher);
                (asset.path, Tag::of("/app", asset.path, &[&format!("{:016x}", hasher.finish())]))
            })
            .collect()
    });
    &TAGS[asset.path]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_the_page_names_is_served() {
        let page = std::str::from_utf8(INDEX.bytes).unwrap();
        for path in page.split("\"/app/").skip(1).filter_map(|rest| rest.split('"').next()) {
            assert!(ASSETS.iter().any(|asset| asset.path == path), "index.html names /app/{path}");
        }
    }
}
