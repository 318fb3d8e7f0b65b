//! Who may write, and what: bearer tokens, each with a scope. `IMPORT_TOKEN`
//! imports (the seed tool, bulk loads); each token of `WRITE_TOKENS` edits
//! the catalogue a record at a time (an operator, through the gateway). An
//! import token cannot edit, an editing token cannot import (403); no token
//! or an unknown one is a 401. Reads stay open.
//!
//! Tokens are kept as their SHA-256 (a setting may give the hash itself,
//! `name=sha256:<hex>`, so that no plain token need be stored), and the hash
//! of what a client sends is compared with each in constant time. A write
//! let in carries the name of its token ([`Writer`]) for the log: never the
//! token itself.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use exceptions::HttpError;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::settings::{Edits, Imports};

/// What a token lets its bearer do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Bulk imports (`PUT` of a service's records, the staged load).
    Import,
    /// Creating, changing and deleting records one at a time.
    Edit,
    /// Reading, as a partner known by its API key (reads need no key: a key
    /// gives its holder rate limits of its own).
    Read,
}

impl Scope {
    /// The scope's name, as the docs and the refusals say it.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Import => "import",
            Scope::Edit => "catalogue:write",
            Scope::Read => "catalogue:read",
        }
    }
}

/// Who a write came from: its token's name and scope (a request extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Writer {
    pub name: String,
    pub scope: Scope,
}

#[derive(Clone)]
struct Credential {
    name: String,
    scope: Scope,
    hash: [u8; 32],
}

/// A setting of tokens that cannot be read.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{setting}: {why}")]
pub struct CredentialsError {
    setting: &'static str,
    why: String,
}

/// The tokens a process knows.
#[derive(Clone)]
pub struct Credentials {
    known: Arc<Vec<Credential>>,
}

/// The shortest plain token accepted: a guessable one is refused at start.
const SHORTEST_TOKEN: usize = 16;

impl Credentials {
    /// The import token and the editing tokens: a service checks both; the
    /// gateway, which imports nothing, knows the import token to tell its
    /// bearer that it may not edit (403, not 401).
    pub fn new(imports: &Imports, edits: &Edits) -> Result<Self, CredentialsError> {
        let mut known = Vec::new();
        if let Some(token) = imports.token() {
            known.push(Credential { name: "import".to_owned(), scope: Scope::Import, hash: hash(token) });
        }
        known.extend(named("WRITE_TOKENS", edits.write_tokens.as_deref(), Scope::Edit)?);
        Ok(Self { known: Arc::new(known) })
    }

    /// These credentials and partners' API keys (`API_KEYS`, the same form as `WRITE_TOKENS`).
    pub fn with_api_keys(mut self, api_keys: Option<&str>) -> Result<Self, CredentialsError> {
        let mut known: Vec<Credential> = self.known.iter().cloned().collect();
        known.extend(named("API_KEYS", api_keys, Scope::Read)?);
        self.known = Arc::new(known);
        Ok(self)
    }

    /// The name of the known key or token the request carries (`X-Api-Key`,
    /// or `Authorization: Bearer`), whatever its scope; `None` for none or
    /// one this process does not know.
    pub fn identify(&self, headers: &HeaderMap) -> Option<&str> {
        let given = headers.get(API_KEY).or_else(|| headers.get(header::AUTHORIZATION))?.to_str().ok()?;
        let given = bearer(given).unwrap_or(given.trim());
        self.find(given).map(|credential| credential.name.as_str())
    }

    /// Whether any token of `scope` is known (else every such write is refused).
    pub fn any(&self, scope: Scope) -> bool {
        self.known.iter().any(|credential| credential.scope == scope)
    }

    /// Who `headers` carry the token of, if it may do what `scope` allows;
    /// else why not, in words that never repeat what was sent.
    pub fn admit(&self, headers: &HeaderMap, scope: Scope) -> Result<Writer, HttpError> {
        let unauthorized = |why: &str| HttpError::Unauthorized(why.to_owned());
        if !self.any(scope) {
            let setting = if scope == Scope::Import { "IMPORT_TOKEN" } else { "WRITE_TOKENS" };
            return Err(unauthorized(&format!(
                "this service accepts no {} writes: it was started without {setting}",
                scope.name()
            )));
        }
        let given = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).and_then(bearer);
        let Some(given) = given else {
            return Err(unauthorized("a write needs the header Authorization: Bearer <token>"));
        };
        let presented = hash(given);
        // Every credential is compared, whichever matches, so that the time taken tells nothing.
        let mut found: Option<&Credential> = None;
        for credential in self.known.iter() {
            if bool::from(credential.hash.ct_eq(&presented)) {
                found = Some(credential);
            }
        }
        match found {
            None => Err(unauthorized("the bearer token is not one this service knows")),
            Some(credential) if credential.scope != scope => Err(HttpError::Forbidden(format!(
                "the token {} may {}, not {}",
                credential.name,
                credential.scope.name(),
                scope.name()
            ))),
            Some(credential) => Ok(Writer { name: credential.name.clone(), scope }),
        }
    }
}

impl Credentials {
    /// The credential whose token is `given`, compared in constant time with every one.
    fn find(&self, given: &str) -> Option<&Credential> {
        let presented = hash(given);
        let mut found = None;
        for credential in self.known.iter() {
            if bool::from(credential.hash.ct_eq(&presented)) {
                found = Some(credential);
            }
        }
        found
    }
}

/// The header a partner's API key may come in (else `Authorization: Bearer`).
pub const API_KEY: header::HeaderName = header::HeaderName::from_static("x-api-key");

/// The credentials of a setting of `name=token` (or `name=sha256:<hex>`)
/// entries, comma separated, each of `scope`.
fn named(setting: &'static str, list: Option<&str>, scope: Scope) -> Result<Vec<Credential>, CredentialsError> {
    let refused = |why: String| CredentialsError { setting, why };
    let mut known = Vec::new();
    for entry in list.unwrap_or_default().split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (name, secret) =
            entry.split_once('=').ok_or_else(|| refused("an entry is not name=token (or name=sha256:<hex>)".into()))?;
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c)) {
            return Err(refused(format!("{name:?} is not a token name (letters, digits, - _ . @)")));
        }
        let hash = match secret.trim().strip_prefix("sha256:") {
            Some(hex) => from_hex(hex).ok_or_else(|| refused(format!("{name}: sha256: needs 64 hex digits")))?,
            None if secret.trim().len() >= SHORTEST_TOKEN => hash(secret.trim()),
            None => return Err(refused(format!("{name}: a token has at least {SHORTEST_TOKEN} characters"))),
        };
        known.push(Credential { name: name.to_owned(), scope, hash });
    }
    Ok(known)
}

fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn from_hex(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(bytes)
}

/// The credentials of an `Authorization: Bearer ...` value (the scheme's case does not matter).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, credentials) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| credentials.trim())
}

/// `route`, answering only requests that carry a token of `scope` (else a
/// 401 or 403, before the body is read); the handler finds the [`Writer`] in
/// the request's extensions.
pub fn only_for<S>(route: MethodRouter<S>, credentials: &Credentials, scope: Scope) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    if !credentials.any(scope) {
        tracing::warn!("no {} token is set: every such write will be refused with 401", scope.name());
    }
    route.layer(middleware::from_fn_with_state((credentials.clone(), scope), require))
}

async fn require(
    State((credentials, scope)): State<(Credentials, Scope)>,
    mut request: Request,
    next: Next,
) -> Response {
    match credentials.admit(request.headers(), scope) {
        Ok(writer) => {
            request.extensions_mut().insert(writer);
            next.run(request).await
        }
        Err(refusal) => refusal.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(authorization).unwrap());
        headers
    }

    fn edits(tokens: Option<&str>) -> Edits {
        Edits { write_tokens: tokens.map(str::to_owned) }
    }

    fn credentials(import: Option<&str>, tokens: Option<&str>) -> Credentials {
        let imports = Imports { import_token: import.map(str::to_owned) };
        Credentials::new(&imports, &edits(tokens)).unwrap()
    }

    #[test]
    fn only_a_known_token_of_the_scope_lets_a_write_in() {
        let both = credentials(Some("s3cret-import-token"), Some("alice=alice-editing-token-1"));
        assert_eq!(both.admit(&with("Bearer s3cret-import-token"), Scope::Import).unwrap().name, "import");
        assert_eq!(both.admit(&with("bearer alice-editing-token-1"), Scope::Edit).unwrap().name, "alice");
        let status = |result: Result<Writer, HttpError>| result.unwrap_err().status().as_u16();
        assert_eq!(
            status(both.admit(&with("Bearer s3cret-import-token"), Scope::Edit)),
            403,
            "an import token cannot edit"
        );
        assert_eq!(
            status(both.admit(&with("Bearer alice-editing-token-1"), Scope::Import)),
            403,
            "nor an editing one import"
        );
        assert_eq!(status(both.admit(&with("Bearer alice-editing-token-2"), Scope::Edit)), 401);
        assert_eq!(status(both.admit(&with("Basic YWxpY2U="), Scope::Edit)), 401);
        assert_eq!(status(both.admit(&HeaderMap::new(), Scope::Edit)), 401);
        let refusal = both.admit(&with("Bearer wrong-guess"), Scope::Edit).unwrap_err().to_string();
        assert!(!refusal.contains("wrong-guess") && !refusal.contains("alice-editing"), "{refusal}");
    }

    #[test]
    fn a_token_may_be_given_by_its_hash_and_weak_settings_are_refused() {
        let hex: String = hash("a-long-enough-token").iter().map(|b| format!("{b:02x}")).collect();
        let hashed = credentials(None, Some(&format!("ops=sha256:{hex}")));
        assert_eq!(hashed.admit(&with("Bearer a-long-enough-token"), Scope::Edit).unwrap().name, "ops");
        for bad in ["short=abc", "noequals", "bad name=a-long-enough-token", "x=sha256:12"] {
            assert!(Credentials::new(&Imports { import_token: None }, &edits(Some(bad))).is_err(), "{bad}");
        }
    }

    #[test]
    fn without_tokens_no_write_is_let_in() {
        for unset in [None, Some(String::new()), Some("  ".to_owned())] {
            let none = Credentials::new(&Imports { import_token: unset }, &edits(None)).unwrap();
            let refusal = none.admit(&with("Bearer anything-at-all-here"), Scope::Import).unwrap_err();
            assert_eq!(refusal.status().as_u16(), 401);
            assert!(refusal.to_string().contains("IMPORT_TOKEN"), "{refusal}");
        }
    }
}
