//! One call to a service, made resilient: it stays within the public
//! request's deadline, carries its request id, is retried with jittered
//! backoff when the service could not be reached (idempotent calls only), is
//! refused at once while the service is known to be failing (circuit
//! breaker), and is measured.

use std::time::{Duration, Instant};

use bootstrap::telemetry;
use exceptions::HttpError;
use failsafe::futures::CircuitBreaker;
use failsafe::{StateMachine, backoff, failure_policy};
use serde::de::DeserializeOwned;

use crate::context::RequestContext;

/// Timeouts, retries and the circuit breaker for calls to one service.
#[derive(Debug, Clone, Copy)]
pub struct CallPolicy {
    /// The most one call may take, connection included (for a streamed
    /// answer: until its first bytes, then between any two of its reads).
    pub timeout: Duration,
    /// The most opening a connection may take.
    pub connect_timeout: Duration,
    /// Extra attempts for a call that found the service unreachable.
    pub retries: u32,
    /// The first pause before a retry; it doubles each time, with jitter.
    pub retry_backoff: Duration,
    /// Consecutive failures after which calls to the service are refused at once.
    pub breaker_failures: u32,
    /// How long calls stay refused before one is let through to test the service.
    pub breaker_cooldown: Duration,
}

/// Why one attempt failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The call did not reach a service that could answer it. `gone`: its
    /// process is gone, for now (nothing listens on its port, or it dropped
    /// the connection: a process killed, or restarting), rather than a host
    /// that does not answer at all.
    Unreachable { gone: bool },
    /// The service said it cannot serve now (503).
    Unavailable,
    /// No answer within the attempt's time.
    TimedOut { waited: Duration, by_deadline: bool },
    /// An answer that is not the expected one, or a status the gateway did not expect.
    BadAnswer(String),
    /// Refused without trying: the circuit is open.
    CircuitOpen,
}

impl Failure {
    /// Whether another attempt may get through. Not when the process is
    /// gone: a restart takes longer than the retries wait, and a quick 503
    /// beats a slow one (the soak run, BENCHMARKS.md).
    fn is_retryable(&self) -> bool {
        matches!(self, Failure::Unreachable { gone: false } | Failure::Unavailable)
    }

    fn label(&self) -> &'static str {
        match self {
            Failure::Unreachable { .. } => "unreachable",
            Failure::Unavailable => "unavailable",
            Failure::TimedOut { .. } => "timeout",
            Failure::BadAnswer(_) => "bad_answer",
            Failure::CircuitOpen => "circuit_open",
        }
    }

    pub(crate) fn into_http(self, service: &str, context: &RequestContext) -> HttpError {
        match self {
            Failure::Unreachable { .. } => {
                HttpError::ServiceUnavailable(format!("the {service} service is unreachable"))
            }
            Failure::Unavailable => HttpError::ServiceUnavailable(format!("the {service} service is unavailable")),
            Failure::CircuitOpen => HttpError::ServiceUnavailable(format!(
                "the {service} service is failing; calls to it are paused for a moment"
            )),
            Failure::TimedOut { by_deadline: true, .. } => context.deadline_passed(),
            Failure::TimedOut { waited, .. } => HttpError::GatewayTimeout(format!(
                "the {service} service did not answer within {} ms",
                waited.as_millis()
            )),
            Failure::BadAnswer(what) => HttpError::BadGateway(format!("the {service} service {what}")),
        }
    }
}

/// Logs and measures the breaker's changes of state.
#[derive(Debug, Clone)]
pub(crate) struct BreakerEvents {
    service: &'static str,
}

impl failsafe::Instrument for BreakerEvents {
    fn on_call_rejected(&self) {}

    fn on_open(&self) {
        tracing::warn!(service = self.service, "circuit open: calls to the service are paused");
        telemetry::record_circuit(self.service, true);
    }

    fn on_half_open(&self) {
        tracing::info!(service = self.service, "circuit half open: trying the service again");
    }

    fn on_closed(&self) {
        tracing::info!(service = self.service, "circuit closed: the service answers again");
        telemetry::record_circuit(self.service, false);
    }
}

pub(crate) type Breaker = StateMachine<failure_policy::ConsecutiveFailures<backoff::Constant>, BreakerEvents>;

fn breaker(service: &'static str, policy: &CallPolicy) -> Breaker {
    failsafe::Config::new()
        .failure_policy(failure_policy::consecutive_failures(
            policy.breaker_failures,
            backoff::constant(policy.breaker_cooldown),
        ))
        .instrument(BreakerEvents { service })
        .build()
}

/// What a call expects back: the media type it asks for (and checks), and
/// how it reads an answer of that type.
pub(crate) trait Answer {
    type Output;
    fn media_type(&self) -> &'static str;
    /// Whether the call's timeout also bounds reading the body (a whole
    /// answer), or only its arrival (a stream, read at its reader's pace).
    fn read_within_timeout(&self) -> bool {
        true
    }
    async fn read(&self, response: reqwest::Response) -> Result<Self::Output, Failure>;
}

/// A JSON answer, read whole.
pub(crate) struct JsonAnswer<T>(std::marker::PhantomData<T>);

impl<T> JsonAnswer<T> {
    pub(crate) fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<T: DeserializeOwned> Answer for JsonAnswer<T> {
    type Output = T;

    fn media_type(&self) -> &'static str {
        "application/json"
    }

    async fn read(&self, response: reqwest::Response) -> Result<T, Failure> {
        let body = response.bytes().await.map_err(|e| Failure::BadAnswer(format!("answer was cut short: {e}")))?;
        serde_json::from_slice(&body).map_err(|e| unreadable(&e))
    }
}

/// Whether `error` says the service's process is gone: the connection was
/// refused (nothing listens on the port) or dropped before the answer (the
/// process died with the request in flight, or on a pooled connection).
fn process_gone(error: &reqwest::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionRefused, ConnectionReset, UnexpectedEof};
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && matches!(io.kind(), ConnectionRefused | ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof)
        {
            return true;
        }
        if cause.downcast_ref::<hyper::Error>().is_some_and(|e| e.is_incomplete_message() || e.is_closed()) {
            return true;
        }
        source = cause.source();
    }
    false
}

pub(crate) fn unreadable(why: &dyn std::fmt::Display) -> Failure {
    Failure::BadAnswer(format!("answered an unreadable body ({why})"))
}

/// HTTP to one service, with its own breaker.
#[derive(Clone)]
pub(crate) struct ServiceClient {
    pub name: &'static str,
    pub base_url: String,
    pub http: reqwest::Client,
    pub policy: CallPolicy,
    breaker: Breaker,
}

impl ServiceClient {
    pub(crate) fn new(name: &'static str, base_url: &str, http: reqwest::Client, policy: CallPolicy) -> Self {
        Self { name, base_url: base_url.to_owned(), http, policy, breaker: breaker(name, &policy) }
    }

    /// The same service, for a call the service may hold for `wait` before
    /// answering (a follower of its change log): its timeout longer by that.
    pub(crate) fn waiting(&self, wait: Duration) -> Self {
        Self { policy: CallPolicy { timeout: self.policy.timeout + wait, ..self.policy }, ..self.clone() }
    }

    /// Makes one call and reads its answer as `expected` says. Every call the
    /// gateway makes reads, so a call that could not reach the service is
    /// tried again, as the policy allows; a write must not come through here.
    pub(crate) async fn call<E, F>(
        &self,
        context: &RequestContext,
        request: F,
        expected: E,
    ) -> Result<E::Output, HttpError>
    where
        E: Answer,
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let mut retries_left = self.policy.retries;
        let mut pause = self.policy.retry_backoff;
        loop {
            let started = Instant::now();
            let result = self.attempt(context, &request, &expected).await;
            let outcome = result.as_ref().map_or_else(Failure::label, |_| "ok");
            telemetry::record_downstream_call(self.name, outcome, started.elapsed());
            let failure = match result {
                Ok(answer) => return Ok(answer),
                Err(failure) => failure,
            };
            tracing::warn!(service = self.name, outcome, retries_left, "service call failed");
            // Jitter spreads the retries of many requests over time instead of synchronising them.
            let jittered = pause.mul_f64(0.5 + fastrand::f64());
            let time_for_retry = context.remaining().is_some_and(|left| left > jittered);
            if retries_left == 0 || !failure.is_retryable() || !time_for_retry {
                return Err(failure.into_http(self.name, context));
            }
            tokio::time::sleep(jittered).await;
            retries_left -= 1;
            pause *= 2;
        }
    }

    async fn attempt<E, F>(&self, context: &RequestContext, request: &F, expected: &E) -> Result<E::Output, Failure>
    where
        E: Answer,
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let Some(left) = context.remaining() else {
            return Err(Failure::TimedOut { waited: Duration::ZERO, by_deadline: true });
        };
        let (timeout, by_deadline) =
            if left < self.policy.timeout { (left, true) } else { (self.policy.timeout, false) };
        let mut builder = request(&self.http).header(reqwest::header::ACCEPT, expected.media_type());
        if let Some(id) = &context.request_id {
            builder = builder.header(bootstrap::REQUEST_ID, id);
        }
        let timed_out = || Failure::TimedOut { waited: timeout, by_deadline };
        let bounded = async move {
            let arrival = async {
                let response = builder.send().await.map_err(|error| {
                    let gone = process_gone(&error);
                    if error.is_connect() || gone {
                        Failure::Unreachable { gone }
                    } else {
                        Failure::BadAnswer(format!("call failed: {error}"))
                    }
                })?;
                self.checked(response, expected.media_type()).await
            };
            if expected.read_within_timeout() {
                let whole = async { expected.read(arrival.await?).await };
                tokio::time::timeout(timeout, whole).await.map_err(|_| timed_out())?
            } else {
                // A stream is read at its reader's pace: only its arrival is bounded here.
                let response = tokio::time::timeout(timeout, arrival).await.map_err(|_| timed_out())??;
                expected.read(response).await
            }
        };
        // A call cut short by the public deadline says nothing about the
        // service. One that found the process gone failed at once and cost
        // the service nothing, so it opens no circuit: one that did kept a
        // service that restarts in 0.3 s out for the whole 2 s cooldown (the
        // soak run, BENCHMARKS.md).
        let counts_against_service = |failure: &Failure| {
            !matches!(failure, Failure::TimedOut { by_deadline: true, .. } | Failure::Unreachable { gone: true })
        };
        match self.breaker.call_with(counts_against_service, bounded).await {
            Ok(answer) => Ok(answer),
            Err(failsafe::Error::Inner(failure)) => Err(failure),
            Err(failsafe::Error::Rejected) => Err(Failure::CircuitOpen),
        }
    }

    /// The response, if its status is a success and its body of the type asked.
    async fn checked(&self, response: reqwest::Response, media_type: &str) -> Result<reqwest::Response, Failure> {
        let status = response.status();
        if status == reqwest::StatusCode::SERVICE_UNAVAILABLE {
            return Err(Failure::Unavailable);
        }
        if !status.is_success() {
            let detail = response.text().await.unwrap_or_default();
            tracing::warn!(service = self.name, %status, %detail, "service answered an error");
            return Err(Failure::BadAnswer(format!("answered {status}")));
        }
        let got = response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        // Bytes of another type could still be read as this one (binary rows as anything).
        if got.and_then(|v| v.split(';').next()).map(str::trim) != Some(media_type) {
            let got = got.unwrap_or("no content type");
            return Err(Failure::BadAnswer(format!("answered {got} where {media_type} was asked")));
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::concerts::RowsAnswer;

    fn policy() -> CallPolicy {
        CallPolicy {
            timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_millis(500),
            retries: 2,
            retry_backoff: Duration::from_millis(50),
            breaker_failures: 5,
            breaker_cooldown: Duration::from_secs(2),
        }
    }

    #[test]
    fn only_unreached_calls_are_retried() {
        assert!(Failure::Unreachable { gone: false }.is_retryable());
        assert!(!Failure::Unreachable { gone: true }.is_retryable(), "a restart takes longer than a retry waits");
        assert!(Failure::Unavailable.is_retryable());
        assert!(!Failure::TimedOut { waited: Duration::from_secs(1), by_deadline: false }.is_retryable());
        assert!(!Failure::BadAnswer("answered 500".into()).is_retryable());
        assert!(!Failure::CircuitOpen.is_retryable());
    }

    #[test]
    fn failures_become_the_gateway_answers() {
        let context = RequestContext::new(None, Duration::from_millis(5000));
        let status = |failure: Failure| failure.into_http("venues", &context).status().as_u16();
        assert_eq!(status(Failure::Unreachable { gone: true }), 503);
        assert_eq!(status(Failure::CircuitOpen), 503);
        assert_eq!(status(Failure::TimedOut { waited: Duration::from_millis(10), by_deadline: false }), 504);
        assert_eq!(status(Failure::TimedOut { waited: Duration::from_millis(10), by_deadline: true }), 504);
        assert_eq!(status(Failure::BadAnswer("answered 500".into())), 502);
        let message = Failure::TimedOut { waited: Duration::ZERO, by_deadline: true }.into_http("venues", &context);
        assert!(message.to_string().contains("deadline of 5000 ms"), "{message}");
    }

    /// A stand-in service on a loopback port that answers every request with
    /// `content_type` and `body`.
    async fn service_answering(content_type: &'static str, body: &'static [u8]) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(move || async move { ([("content-type", content_type)], body) });
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{address}")
    }

    /// Binary rows are read only from an answer that says it holds them:
    /// 24 bytes of JSON would otherwise be read as a concert.
    #[tokio::test]
    async fn an_answer_of_another_type_or_cut_short_is_a_bad_gateway() {
        let context = RequestContext::new(None, Duration::from_secs(5));
        let twenty_four_bytes_of_json = b"[[1,2,1569531810650],[3]]";
        let cases = [
            (
                "application/json",
                &twenty_four_bytes_of_json[..24],
                "answered application/json where application/vnd.concert-rows was asked",
            ),
            (
                concerts_model::rows::CONTENT_TYPE,
                &[0_u8; 25][..],
                "answered an unreadable body (25 bytes are not whole rows of 33)",
            ),
        ];
        for (content_type, body, expected) in cases {
            let url = service_answering(content_type, body).await;
            let client = ServiceClient::new("concerts", &url, reqwest::Client::new(), policy());
            let error = client.call(&context, |http| http.get(&client.base_url), RowsAnswer).await.unwrap_err();
            assert_eq!(error.status().as_u16(), 502, "{error}");
            assert_eq!(error.to_string(), format!("bad gateway: the concerts service {expected}"));
        }
        let url = service_answering(concerts_model::rows::CONTENT_TYPE, &[0_u8; 66]).await;
        let client = ServiceClient::new("concerts", &url, reqwest::Client::new(), policy());
        let read = client.call(&context, |http| http.get(&client.base_url), RowsAnswer).await;
        assert_eq!(read.unwrap().len(), 2);
    }
}
