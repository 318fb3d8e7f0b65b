//! The credential of the write routes: a bearer token (`IMPORT_TOKEN`) that
//! every write must carry, compared in constant time. Reads stay open.

use std::sync::Arc;

use crate::settings::Writes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use exceptions::HttpError;
use subtle::ConstantTimeEq;

/// The token a write must carry; none when the service was given none, and then no write is let in.
#[derive(Clone)]
pub(crate) struct WriteToken(Option<Arc<[u8]>>);

impl WriteToken {
    pub fn new(writes: &Writes) -> Self {
        Self(writes.token().map(|token| Arc::from(token.as_bytes())))
    }

    /// Whether `headers` carry the token; else why not, in words that never
    /// repeat what was sent.
    fn admits(&self, headers: &HeaderMap) -> Result<(), &'static str> {
        let Some(expected) = &self.0 else {
            return Err("this service accepts no writes: it was started without IMPORT_TOKEN");
        };
        let given = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).and_then(bearer);
        match given {
            None => Err("a write needs the header Authorization: Bearer <IMPORT_TOKEN>"),
            Some(given) if bool::from(given.as_bytes().ct_eq(expected)) => Ok(()),
            Some(_) => Err("the bearer token is not this service's IMPORT_TOKEN"),
        }
    }
}

/// The credentials of an `Authorization: Bearer ...` value (the scheme's case does not matter).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, credentials) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| credentials.trim())
}

/// `route`, answering only requests that carry the token of `writes` (else
/// a 401, before the body is read): for every route that writes.
pub fn only_with_token<S>(route: MethodRouter<S>, writes: &Writes) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    route.layer(middleware::from_fn_with_state(WriteToken::new(writes), require_token))
}

/// Lets a write through only with the token: else a 401, logged as a warning (without the token).
async fn require_token(State(token): State<WriteToken>, request: Request, next: Next) -> Response {
    match token.admits(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(why) => HttpError::Unauthorized(why.to_owned()).into_response(),
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

    #[test]
    fn only_the_token_lets_a_write_in() {
        let token = WriteToken::new(&Writes { import_token: Some("s3cret-token".into()) });
        assert_eq!(token.admits(&with("Bearer s3cret-token")), Ok(()));
        assert_eq!(token.admits(&with("bearer s3cret-token")), Ok(()), "the scheme is case-insensitive");
        assert!(token.admits(&with("Bearer s3cret-tokeN")).is_err());
        assert!(token.admits(&with("Bearer s3cret")).is_err(), "a prefix of it");
        assert!(token.admits(&with("Basic czNjcmV0LXRva2Vu")).is_err());
        assert!(token.admits(&HeaderMap::new()).is_err());
        let refusal = token.admits(&with("Bearer wrong-guess")).unwrap_err();
        assert!(!refusal.contains("wrong-guess") && !refusal.contains("s3cret"), "{refusal}");
    }

    #[test]
    fn without_a_token_no_write_is_let_in() {
        for unset in [None, Some(String::new()), Some("  ".to_owned())] {
            let token = WriteToken::new(&Writes { import_token: unset });
            assert!(token.admits(&with("Bearer ")).is_err());
            assert!(token.admits(&with("Bearer anything")).unwrap_err().contains("without IMPORT_TOKEN"));
        }
    }
}
