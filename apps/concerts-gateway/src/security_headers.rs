//! The headers that tell browsers what the gateway's answers may do: a
//! Content-Security-Policy for each kind of answer (the search page, Swagger
//! UI, the API's data), no MIME sniffing, no framing by other sites, and
//! a Referrer-Policy.

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

/// What the search page may load: its own files and API, and the map's
/// tiles from the configured host. No inline script or style.
fn page_policy(tiles: &TileOrigin) -> String {
    let tiles = tiles.0.as_deref().map(|origin| format!(" {origin}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; connect-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Swagger UI: its own files, and the inline styles and images its
/// components set.
const DOCS_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// The API's answers are data: nothing in them may run or load anything.
const DATA_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// The page sends only its origin to the tiles' host (tile servers such as
/// OpenStreetMap's ask for a Referer), and nothing to plain HTTP.
const REFERRER_POLICY: &str = "strict-origin-when-cross-origin";

/// The origin of the map tiles' URL template (`https://{s}.tile.example`
/// becomes `https://*.tile.example`), for the page's policy; `None` without tiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileOrigin(Option<String>);

/// A tile URL the page's policy cannot name.
#[derive(Debug, thiserror::Error)]
#[error(
    "MAP_TILE_URL={0:?} is not an http(s) URL template such as https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png"
)]
pub struct TileUrlError(String);

impl TileOrigin {
    pub fn of(template: &str) -> Result<Self, TileUrlError> {
        let template = template.trim();
        // None, or tiles of the gateway's own origin (behind the same proxy): 'self' covers them.
        if template.is_empty() || template.starts_with('/') {
            return Ok(Self(None));
        }
        let refused = || TileUrlError(template.to_owned());
        let (scheme, rest) = template.split_once("://").ok_or_else(refused)?;
        let host = rest.split('/').next().unwrap_or_default().replace("{s}", "*");
        let allowed = |c: char| c.is_ascii_alphanumeric() || "-.:*[]".contains(c);
        if !matches!(scheme, "http" | "https") || host.is_empty() || !host.chars().all(allowed) {
            return Err(refused());
        }
        Ok(Self(Some(format!("{scheme}://{host}"))))
    }
}

/// The page's routes with the page's policy.
pub fn page(router: Router, tiles: &TileOrigin) -> Router {
    let policy = HeaderValue::try_from(page_policy(tiles)).unwrap_or(HeaderValue::from_static(DATA_POLICY));
    router.layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, policy))
}

/// Swagger UI's routes with its policy.
pub fn docs(router: Router) -> Router {
    router.layer(SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOCS_POLICY),
    ))
}

/// Every answer: the data policy unless a route set its own, and the rest.
pub fn everywhere(router: Router) -> Router {
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DATA_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static(REFERRER_POLICY)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_may_load_tiles_from_the_configured_host_only() {
        let osm = TileOrigin::of("https://tile.openstreetmap.org/{z}/{x}/{y}.png").unwrap();
        assert_eq!(osm, TileOrigin(Some("https://tile.openstreetmap.org".into())));
        assert!(page_policy(&osm).contains("img-src 'self' data: https://tile.openstreetmap.org;"));
        let shards = TileOrigin::of("https://{s}.tile.example:8443/{z}/{x}/{y}.png").unwrap();
        assert_eq!(shards, TileOrigin(Some("https://*.tile.example:8443".into())));
        let none = TileOrigin::of("").unwrap();
        assert!(page_policy(&none).contains("img-src 'self' data:;"));
        assert_eq!(TileOrigin::of("/tiles/{z}/{x}/{y}.png").unwrap(), none);
        for bad in ["tile.example/{z}/{x}/{y}.png", "ftp://tile.example/{z}", "https://a b/{z}", "https://x;y/{z}"] {
            assert!(TileOrigin::of(bad).is_err(), "{bad}");
        }
    }
}
