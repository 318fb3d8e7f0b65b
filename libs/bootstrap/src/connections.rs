//! The connections of a process, each served on its own task over hyper's
//! HTTP/1.1, with the limits a server facing the public needs: a connection
//! whose request line and headers take too long to arrive (slowloris), one
//! that stays idle between requests, and one where nothing moves while an
//! answer is written (a client that stops reading) are closed; a handler
//! itself may work as long as it needs (its deadlines are its own). Header
//! fields beyond the process's cap are refused, by [`crate::http`] with a JSON
//! 431 and, for an absurd size, by hyper itself before they are buffered.
//!
//! hyper has one timer for the first two cases, started whenever it waits
//! for a request, so an idle connection could not be given longer than a
//! slow head; the phases below keep the two apart.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::settings::Limits;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::Request;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;
use tower::ServiceExt;

/// Room beyond the header fields' cap for the request line, whose query has a
/// cap of its own (414): past the sum, hyper answers 431 without reading on.
const REQUEST_LINE_ROOM: usize = 8 * 1024;

/// How long each phase of a connection may last.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    pub header_read: Duration,
    pub keep_alive: Duration,
    /// What hyper may buffer of a request's head, request line included.
    pub head_bytes: usize,
}

impl ConnectionLimits {
    pub fn new(limits: &Limits) -> Self {
        Self {
            header_read: limits.header_read_timeout(),
            keep_alive: limits.keep_alive_timeout(),
            head_bytes: limits.max_header_bytes as usize + limits.max_query_length as usize + REQUEST_LINE_ROOM,
        }
    }
}

/// Serves one accepted connection until it ends, a limit closes it, or the
/// process stops (`stop` turns true: the request in progress, if any, is
/// finished, then the connection is closed).
pub(crate) async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) {
    // Answers are written in pieces (streamed pages); Nagle's algorithm would
    // hold a small last piece back until the peer acknowledges the one before.
    if let Err(error) = stream.set_nodelay(true) {
        tracing::warn!(%error, "cannot set TCP_NODELAY");
    }
    let activity = Arc::new(Activity::new(Instant::now()));
    let io = TokioIo::new(Watched { stream, activity: activity.clone() });
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let guard = requests.request_started();
        let router = router.clone();
        let mut request = request.map(Body::new);
        // Who is asking, for what tells clients apart (the rate limits).
        request.extensions_mut().insert(ConnectInfo(peer));
        async move {
            let response = router.oneshot(request).await.unwrap_or_else(|never| match never {});
            guard.response_ready(Instant::now());
            Ok::<_, Infallible>(response.map(|body| Body::new(Tracked { body, _guard: guard })))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The phases below time the head; hyper's own timer would also cut idle connections short.
    builder.header_read_timeout(None).max_header_size(limits.head_bytes);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let mut stopping = false;
    if *stop.borrow() {
        connection.as_mut().graceful_shutdown();
        stopping = true;
    }
    loop {
        tokio::select! {
            ended = connection.as_mut() => {
                if let Err(error) = ended {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
            () = tokio::time::sleep_until(activity.next_check(&limits)) => {
                if let Some(why) = activity.overdue(&limits, Instant::now()) {
                    tracing::debug!(why, "closing a connection");
                    return;
                }
            }
            _ = stop.changed(), if !stopping => {
                connection.as_mut().graceful_shutdown();
                stopping = true;
            }
        }
    }
}

/// What a connection is doing, as its reads, writes and requests tell.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a request's line and headers: since the connection
    /// started, or since the first byte of a request after an idle time.
    Head,
    /// Between requests, with nothing of the next one received.
    Idle,
    /// This many requests being answered.
    Busy(u32),
}

#[derive(Debug)]
struct State {
    phase: Phase,
    /// When the phase began.
    since: Instant,
    /// When a byte was last read or written.
    moved: Instant,
    /// Whether an answer is being written (its handler has returned): only
    /// then does a stall mean a client that stopped reading. A handler may
    /// take as long as its work does (a bulk load's commit: minutes).
    writing: bool,
}

#[derive(Debug)]
struct Activity(Mutex<State>);

impl Activity {
    fn new(now: Instant) -> Self {
        Self(Mutex::new(State { phase: Phase::Head, since: now, moved: now, writing: false }))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn bytes_moved(&self, read: bool, now: Instant) {
        let mut state = self.state();
        state.moved = now;
        if read && matches!(state.phase, Phase::Idle) {
            state.phase = Phase::Head;
            state.since = now;
        }
    }

    fn request_started(self: &Arc<Self>) -> RequestGuard {
        let mut state = self.state();
        state.phase = match state.phase {
            Phase::Busy(requests) => Phase::Busy(requests + 1),
            Phase::Head | Phase::Idle => Phase::Busy(1),
        };
        RequestGuard(self.clone())
    }

    fn response_ready(&self, now: Instant) {
        let mut state = self.state();
        state.writing = true;
        state.moved = now;
    }

    fn request_finished(&self, now: Instant) {
        let mut state = self.state();
        state.phase = match state.phase {
            Phase::Busy(requests) if requests > 1 => Phase::Busy(requests - 1),
            _ => {
                state.since = now;
                state.writing = false;
                Phase::Idle
            }
        };
    }

    /// When the phase's limit runs out, if nothing changes before.
    fn next_check(&self, limits: &ConnectionLimits) -> Instant {
        let state = self.state();
        match state.phase {
            Phase::Head => state.since + limits.header_read,
            Phase::Idle => state.since + limits.keep_alive,
            Phase::Busy(_) if state.writing => state.moved + limits.keep_alive,
            // A handler at work: nothing to time; look again later.
            Phase::Busy(_) => Instant::now() + limits.keep_alive,
        }
    }

    /// Why the connection must be closed at `now`, if it must.
    fn overdue(&self, limits: &ConnectionLimits, now: Instant) -> Option<&'static str> {
        let state = self.state();
        match state.phase {
            Phase::Head if now >= state.since + limits.header_read => Some("the request's head took too long"),
            Phase::Idle if now >= state.since + limits.keep_alive => Some("idle for the keep-alive timeout"),
            Phase::Busy(_) if state.writing && now >= state.moved + limits.keep_alive => {
                Some("nothing moved while an answer was written")
            }
            _ => None,
        }
    }
}

/// Marks a request as answered when its response body is done with.
struct RequestGuard(Arc<Activity>);

impl RequestGuard {
    /// The handler has returned: its answer is being written from now.
    fn response_ready(&self, now: Instant) {
        self.0.response_ready(now);
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.request_finished(Instant::now());
    }
}

/// A response body that ends its request's busy phase when hyper drops it
/// (written to the end, or given up).
struct Tracked {
    body: Body,
    _guard: RequestGuard,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The connection's socket, telling [`Activity`] when bytes move.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_moved(true, Instant::now());
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(written)) if written > 0) {
            self.activity.bytes_moved(false, Instant::now());
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(written)) if written > 0) {
            self.activity.bytes_moved(false, Instant::now());
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ConnectionLimits = ConnectionLimits {
        header_read: Duration::from_secs(2),
        keep_alive: Duration::from_secs(10),
        head_bytes: 1 << 16,
    };

    fn at(start: Instant, seconds: u64) -> Instant {
        start + Duration::from_secs(seconds)
    }

    #[test]
    fn each_phase_has_its_own_limit() {
        let start = Instant::now();
        let activity = Arc::new(Activity::new(start));
        assert_eq!(activity.overdue(&LIMITS, at(start, 1)), None, "a new connection waits for its head");
        activity.bytes_moved(true, at(start, 1));
        assert!(activity.overdue(&LIMITS, at(start, 2)).is_some(), "a head still incomplete 2 s after the start");

        let activity = Arc::new(Activity::new(start));
        let request = activity.request_started();
        assert_eq!(activity.overdue(&LIMITS, at(start, 5)), None, "a request being answered is not a slow head");
        drop(request);
        let idle_since = activity.state().since;
        assert_eq!(activity.overdue(&LIMITS, idle_since + Duration::from_secs(9)), None, "idle for 9 s of 10");
        assert!(activity.overdue(&LIMITS, idle_since + Duration::from_secs(10)).is_some(), "idle for 10 s");
        let first_byte = idle_since + Duration::from_secs(9);
        activity.bytes_moved(true, first_byte);
        assert_eq!(
            activity.overdue(&LIMITS, first_byte + Duration::from_secs(1)),
            None,
            "the next request's first byte starts its head's clock"
        );
        assert!(activity.overdue(&LIMITS, first_byte + Duration::from_secs(2)).is_some(), "which has 2 s");
    }

    #[test]
    fn a_handler_may_work_for_longer_than_the_keep_alive_timeout() {
        let start = Instant::now();
        let activity = Arc::new(Activity::new(start));
        let _request = activity.request_started();
        assert_eq!(activity.overdue(&LIMITS, at(start, 600)), None, "ten minutes of work, nothing written yet");
        assert!(activity.next_check(&LIMITS) > Instant::now(), "no busy loop while it works");
    }

    #[test]
    fn an_answer_where_nothing_moves_for_the_keep_alive_timeout_is_cut() {
        let start = Instant::now();
        let activity = Arc::new(Activity::new(start));
        let first = activity.request_started();
        let second = activity.request_started();
        first.response_ready(at(start, 1));
        activity.bytes_moved(false, at(start, 9));
        assert_eq!(activity.overdue(&LIMITS, at(start, 18)), None, "bytes moved 9 s ago");
        assert!(activity.overdue(&LIMITS, at(start, 19)).is_some(), "a client that stopped reading");
        assert_eq!(activity.next_check(&LIMITS), at(start, 19));
        drop(first);
        assert!(matches!(activity.state().phase, Phase::Busy(1)), "one request still answered");
        drop(second);
        assert!(matches!(activity.state().phase, Phase::Idle));
    }
}
