//! One call to a service, made resilient: it stays within the public
//! request's deadline, carries its request id, is retried with jittered
//! backoff when the service could not be reached (idempotent calls only), is
//! refused at once while the service is known to be failing (circuit
//! breaker), and is measured.

use std::time::{Duration, Instant};

use exceptions::HttpError;
use failsafe::futures::CircuitBreaker;
use failsafe::{StateMachine, backoff, failure_policy};
use serde::de::DeserializeOwned;

use crate::config::CallPolicy;

/// What a public request passes to every call it makes.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Sent as `x-request-id`, so that one request can be followed across the processes.
    pub request_id: Option<String>,
    /// When the public request must be answered, whatever is still pending.
    pub deadline: Instant,
    /// The deadline as configured, for messages.
    pub budget: Duration,
}

impl RequestContext {
    pub fn new(request_id: Option<String>, budget: Duration) -> Self {
        Self { request_id, deadline: Instant::now() + budget, budget }
    }

    fn remaining(&self) -> Option<Duration> {
        self.deadline.checked_duration_since(Instant::now()).filter(|left| !left.is_zero())
    }

    pub(crate) fn deadline_passed(&self) -> HttpError {
        HttpError::GatewayTimeout(format!(
            "the request took longer than its deadline of {} ms",
            self.budget.as_millis()
        ))
    }
}

/// Whether repeating a call is safe. Every call the gateway makes today reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    Idempotent,
    #[allow(dead_code)] // kept so that a future write cannot be retried by mistake
    NotIdempotent,
}

/// Why one attempt failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// No connection could be made: nothing reached the service.
    Unreachable,
    /// The service said it cannot serve now (503).
    Unavailable,
    /// No answer within the attempt's time.
    TimedOut { waited: Duration, by_deadline: bool },
    /// An answer that is not the expected JSON, or a status the gateway did not expect.
    BadAnswer(String),
    /// Refused without trying: the circuit is open.
    CircuitOpen,
}

impl Failure {
    fn is_retryable(&self) -> bool {
        matches!(self, Failure::Unreachable | Failure::Unavailable)
    }

    fn label(&self) -> &'static str {
        match self {
            Failure::Unreachable => "unreachable",
            Failure::Unavailable => "unavailable",
            Failure::TimedOut { .. } => "timeout",
            Failure::BadAnswer(_) => "bad_answer",
            Failure::CircuitOpen => "circuit_open",
        }
    }

    fn into_http(self, service: &str, context: &RequestContext) -> HttpError {
        match self {
            Failure::Unreachable => HttpError::ServiceUnavailable(format!("the {service} service is unreachable")),
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
        metrics::gauge!("downstream_circuit_open", "service" => self.service).set(1.0);
    }

    fn on_half_open(&self) {
        tracing::info!(service = self.service, "circuit half open: trying the service again");
    }

    fn on_closed(&self) {
        tracing::info!(service = self.service, "circuit closed: the service answers again");
        metrics::gauge!("downstream_circuit_open", "service" => self.service).set(0.0);
    }
}

pub(crate) type Breaker = StateMachine<failure_policy::ConsecutiveFailures<backoff::Constant>, BreakerEvents>;

pub(crate) fn breaker(service: &'static str, policy: &CallPolicy) -> Breaker {
    failsafe::Config::new()
        .failure_policy(failure_policy::consecutive_failures(
            policy.breaker_failures,
            backoff::constant(policy.breaker_cooldown),
        ))
        .instrument(BreakerEvents { service })
        .build()
}

/// What a call expects back: the media type it asks for (and checks), and
/// how a body of that type becomes what the caller wants, or why it cannot.
pub(crate) struct Answer<T> {
    pub media_type: &'static str,
    pub decode: fn(&[u8]) -> Result<T, String>,
}

impl<T: DeserializeOwned> Answer<T> {
    pub fn json() -> Self {
        Self { media_type: "application/json", decode: |body| serde_json::from_slice(body).map_err(|e| e.to_string()) }
    }
}

/// Makes one call to `service` (with retries as `policy` and `idempotency`
/// allow) and decodes its answer.
pub(crate) async fn call<T, F>(
    service: &'static str,
    breaker: &Breaker,
    policy: &CallPolicy,
    context: &RequestContext,
    idempotency: Idempotency,
    request: F,
    answer: Answer<T>,
) -> Result<T, HttpError>
where
    F: Fn() -> reqwest::RequestBuilder,
{
    let mut retries_left = if idempotency == Idempotency::Idempotent { policy.retries } else { 0 };
    let mut pause = policy.retry_backoff;
    loop {
        let started = Instant::now();
        let result = attempt(service, breaker, policy, context, &request, &answer).await;
        let outcome = result.as_ref().map_or_else(Failure::label, |_| "ok");
        metrics::histogram!("downstream_request_duration_seconds", "service" => service, "outcome" => outcome)
            .record(started.elapsed().as_secs_f64());
        let failure = match result {
            Ok(answer) => return Ok(answer),
            Err(failure) => failure,
        };
        tracing::warn!(service, outcome, retries_left, "service call failed");
        // Jitter spreads the retries of many requests over time instead of synchronising them.
        let jittered = pause.mul_f64(0.5 + fastrand::f64());
        let time_for_retry = context.remaining().is_some_and(|left| left > jittered);
        if retries_left == 0 || !failure.is_retryable() || !time_for_retry {
            return Err(failure.into_http(service, context));
        }
        tokio::time::sleep(jittered).await;
        retries_left -= 1;
        pause *= 2;
    }
}

async fn attempt<T, F>(
    service: &'static str,
    breaker: &Breaker,
    policy: &CallPolicy,
    context: &RequestContext,
    request: &F,
    answer: &Answer<T>,
) -> Result<T, Failure>
where
    F: Fn() -> reqwest::RequestBuilder,
{
    let Some(left) = context.remaining() else {
        return Err(Failure::TimedOut { waited: Duration::ZERO, by_deadline: true });
    };
    let (timeout, by_deadline) = if left < policy.timeout { (left, true) } else { (policy.timeout, false) };
    let mut builder = request().header(reqwest::header::ACCEPT, answer.media_type).timeout(timeout);
    if let Some(id) = &context.request_id {
        builder = builder.header(bootstrap::REQUEST_ID, id);
    }
    let exchange = async move {
        let response = builder.send().await.map_err(|e| classify(&e, timeout, by_deadline))?;
        let status = response.status();
        if status == reqwest::StatusCode::SERVICE_UNAVAILABLE {
            return Err(Failure::Unavailable);
        }
        if !status.is_success() {
            let detail = response.text().await.unwrap_or_default();
            tracing::warn!(service, %status, %detail, "service answered an error");
            return Err(Failure::BadAnswer(format!("answered {status}")));
        }
        let media_type = response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        // Bytes of another type could still be read as this one (binary rows as anything).
        if media_type.and_then(|v| v.split(';').next()).map(str::trim) != Some(answer.media_type) {
            let got = media_type.unwrap_or("no content type");
            return Err(Failure::BadAnswer(format!("answered {got} where {} was asked", answer.media_type)));
        }
        let body = response.bytes().await.map_err(|e| classify(&e, timeout, by_deadline))?;
        (answer.decode)(&body).map_err(|why| Failure::BadAnswer(format!("answered an unreadable body ({why})")))
    };
    // A call cut short by the public deadline says nothing about the service.
    let counts_against_service = |failure: &Failure| !matches!(failure, Failure::TimedOut { by_deadline: true, .. });
    match breaker.call_with(counts_against_service, exchange).await {
        Ok(answer) => Ok(answer),
        Err(failsafe::Error::Inner(failure)) => Err(failure),
        Err(failsafe::Error::Rejected) => Err(Failure::CircuitOpen),
    }
}

fn classify(error: &reqwest::Error, waited: Duration, by_deadline: bool) -> Failure {
    // A connect timeout is both: the service is unreachable, not slow.
    if error.is_connect() {
        Failure::Unreachable
    } else if error.is_timeout() {
        Failure::TimedOut { waited, by_deadline }
    } else {
        Failure::BadAnswer(format!("call failed: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unreached_calls_are_retried() {
        assert!(Failure::Unreachable.is_retryable());
        assert!(Failure::Unavailable.is_retryable());
        assert!(!Failure::TimedOut { waited: Duration::from_secs(1), by_deadline: false }.is_retryable());
        assert!(!Failure::BadAnswer("answered 500".into()).is_retryable());
        assert!(!Failure::CircuitOpen.is_retryable());
    }

    #[test]
    fn failures_become_the_gateway_answers() {
        let context = RequestContext::new(None, Duration::from_millis(5000));
        let status = |failure: Failure| failure.into_http("venues", &context).status().as_u16();
        assert_eq!(status(Failure::Unreachable), 503);
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
        format!("http://{address}/")
    }

    /// Binary rows are read only from an answer that says it holds them:
    /// 24 bytes of JSON would otherwise be read as a concert.
    #[tokio::test]
    async fn an_answer_of_another_type_or_cut_short_is_a_bad_gateway() {
        let policy = CallPolicy::default();
        let context = RequestContext::new(None, Duration::from_secs(5));
        let http = reqwest::Client::new();
        let rows = || Answer::<Vec<concerts_model::Concert>> {
            media_type: concerts_model::rows::CONTENT_TYPE,
            decode: |body| concerts_model::rows::decode(body).map_err(|e| e.to_string()),
        };
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
                "answered an unreadable body (25 bytes are not whole rows of 24)",
            ),
        ];
        for (content_type, body, expected) in cases {
            let url = service_answering(content_type, body).await;
            let breaker = breaker("concerts", &policy);
            let error =
                call("concerts", &breaker, &policy, &context, Idempotency::Idempotent, || http.get(&url), rows())
                    .await
                    .unwrap_err();
            assert_eq!(error.status().as_u16(), 502, "{error}");
            assert_eq!(error.to_string(), format!("bad gateway: the concerts service {expected}"));
        }
        let url = service_answering(concerts_model::rows::CONTENT_TYPE, &[0_u8; 48]).await;
        let breaker = breaker("concerts", &policy);
        let read =
            call("concerts", &breaker, &policy, &context, Idempotency::Idempotent, || http.get(&url), rows()).await;
        assert_eq!(read.unwrap().len(), 2);
    }
}
