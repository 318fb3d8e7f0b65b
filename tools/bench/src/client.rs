//! The load generator's HTTP: one keep-alive HTTP/1.1 connection per
//! worker, on hyper directly.
//!
//! The generator shares the machine with the system it measures, so every
//! microsecond it spends per request is taken from the system. A pooled
//! `reqwest` client (pool lock, URL parsing, redirect and timeout layers)
//! cost about 90 µs of CPU per request here; a connection owned by its
//! worker costs a fraction of that (BENCHMARKS.md).

use std::io;
use std::time::Duration;

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{ACCEPT_ENCODING, AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Where the requests go: `http://host:port`, and the content codings they
/// accept (`Accept-Encoding`, as browsers send `gzip, br`), if any.
#[derive(Debug, Clone)]
pub struct Target {
    address: String,
    host: HeaderValue,
    accept_encoding: Option<HeaderValue>,
}

impl Target {
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let uri: Uri = url.parse().with_context(|| format!("{url} is not a URL"))?;
        if uri.scheme_str() != Some("http") {
            bail!("{url}: only http:// URLs are supported (the gateway on this machine)");
        }
        let authority = uri.authority().with_context(|| format!("{url} names no host"))?;
        if uri.path() != "/" && !uri.path().is_empty() {
            bail!("{url}: give the gateway's root, without a path");
        }
        let address = format!("{}:{}", authority.host(), authority.port_u16().unwrap_or(80));
        Ok(Self { address, host: HeaderValue::from_str(authority.as_str())?, accept_encoding: None })
    }

    /// The same target, asking for answers in these codings (`gzip, br`).
    pub fn accepting(self, codings: &str) -> anyhow::Result<Self> {
        Ok(Self { accept_encoding: Some(HeaderValue::from_str(codings)?), ..self })
    }
}

/// One connection; opened again after a failure.
pub struct Connection {
    target: Target,
    open: Option<SendRequest<Full<Bytes>>>,
}

/// A request other than a plain `GET`: a write, with its token.
pub struct Sent<'a> {
    pub method: Method,
    pub path: &'a str,
    pub body: Option<&'a str>,
    pub token: &'a HeaderValue,
    pub idempotency_key: Option<&'a str>,
}

impl Connection {
    pub fn new(target: Target) -> Self {
        Self { target, open: None }
    }

    /// `GET path_and_query`, its body read to the end within `timeout`: the
    /// status and the body's length (as sent: compressed, when it was).
    pub async fn get(&mut self, path_and_query: &str, timeout: Duration) -> anyhow::Result<(u16, u64)> {
        let request = Request::get(path_and_query);
        let (status, bytes, _) = self.within(timeout, request, Bytes::new(), false).await?;
        Ok((status, bytes))
    }

    /// `sent`, within `timeout`: the status and the body (JSON).
    pub async fn send(&mut self, sent: Sent<'_>, timeout: Duration) -> anyhow::Result<(u16, Bytes)> {
        let mut request =
            Request::builder().method(sent.method).uri(sent.path).header(AUTHORIZATION, sent.token.clone());
        if let Some(key) = sent.idempotency_key {
            request = request.header("idempotency-key", key);
        }
        let body = match sent.body {
            Some(body) => {
                request = request.header(CONTENT_TYPE, "application/json");
                Bytes::copy_from_slice(body.as_bytes())
            }
            None => Bytes::new(),
        };
        let (status, _, body) = self.within(timeout, request, body, true).await?;
        Ok((status, body))
    }

    async fn within(
        &mut self,
        timeout: Duration,
        request: hyper::http::request::Builder,
        body: Bytes,
        keep: bool,
    ) -> anyhow::Result<(u16, u64, Bytes)> {
        let result = match tokio::time::timeout(timeout, self.exchange(request, body, keep)).await {
            Ok(result) => result,
            Err(_) => Err(anyhow::anyhow!("no answer within {timeout:?}")),
        };
        if result.is_err() {
            // Whatever failed (an answer cut short, or still coming), the next
            // request starts on a fresh connection.
            self.open = None;
        }
        result
    }

    async fn exchange(
        &mut self,
        request: hyper::http::request::Builder,
        body: Bytes,
        keep: bool,
    ) -> anyhow::Result<(u16, u64, Bytes)> {
        let sender = match &mut self.open {
            Some(sender) if !sender.is_closed() => sender,
            _ => self.open.insert(connect(&self.target).await?),
        };
        sender.ready().await?;
        let mut request = request.header(HOST, self.target.host.clone());
        if let Some(codings) = &self.target.accept_encoding {
            request = request.header(ACCEPT_ENCODING, codings.clone());
        }
        let response = sender.send_request(request.body(Full::new(body))?).await?;
        let status = response.status().as_u16();
        let mut body = response.into_body();
        let (mut bytes, mut kept) = (0, Vec::new());
        while let Some(frame) = body.frame().await {
            if let Some(data) = frame?.data_ref() {
                bytes += data.len() as u64;
                if keep {
                    kept.extend_from_slice(data);
                }
            }
        }
        Ok((status, bytes, Bytes::from(kept)))
    }
}

async fn connect(target: &Target) -> io::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(&target.address).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.map_err(io::Error::other)?;
    // Drives the connection until the sender is dropped or the peer closes it.
    tokio::spawn(connection);
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_http_roots() {
        let target = Target::parse("http://127.0.0.1:3300").unwrap();
        assert_eq!((target.address.as_str(), target.host.to_str().unwrap()), ("127.0.0.1:3300", "127.0.0.1:3300"));
        assert_eq!(Target::parse("http://localhost/").unwrap().address, "localhost:80");
        for bad in ["https://127.0.0.1:3000", "127.0.0.1:3000", "http://127.0.0.1:3000/concerts", "not a url"] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }
}
