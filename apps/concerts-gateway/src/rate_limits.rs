//! Rate limits per client, so that one client cannot take all the capacity:
//! a token bucket (governor's GCRA) per client and route class, told to every
//! client in the `RateLimit` and `RateLimit-Policy` headers of the IETF draft
//! (draft-ietf-httpapi-ratelimit-headers-09), and a 429 with `Retry-After`
//! beyond it.
//!
//! A client is the key or token it sends when the gateway knows it (a
//! partner's `API_KEYS`, an editor's `WRITE_TOKENS`), else its IP address.
//! An unknown key counts as the address: made-up keys must not buy buckets.
//! An IPv6 client is its /64, which any one host can pick addresses from.
//! Behind reverse proxies (`TRUSTED_PROXIES`), the address is the one they
//! forward; a client's own `X-Forwarded-For` is believed from them only.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use bootstrap::Credentials;
use bootstrap::settings::{Networks, Quota, RateLimits as Settings, Switch};
use exceptions::HttpError;
use governor::RateLimiter;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;

/// `RateLimit`: what is left of the client's bucket, and when it is full again.
pub const RATE_LIMIT: HeaderName = HeaderName::from_static("ratelimit");
/// `RateLimit-Policy`: the bucket's size and the seconds it takes to fill.
pub const RATE_LIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

/// The kinds of request that each have their own bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    /// Concert searches, calendars, counts, the change feed, a record by id.
    Searches,
    /// Name suggestions for a search box (`/bands`, `/venues`, `/places`).
    Names,
    /// Creating, changing and deleting records.
    Writes,
}

impl RouteClass {
    const ALL: [RouteClass; 3] = [RouteClass::Searches, RouteClass::Names, RouteClass::Writes];

    /// The policy's name in the headers.
    pub fn name(self) -> &'static str {
        match self {
            RouteClass::Searches => "searches",
            RouteClass::Names => "names",
            RouteClass::Writes => "writes",
        }
    }
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Client {
    /// The name of a key or token the gateway knows.
    Known(Arc<str>),
    Address(IpAddr),
}

type Buckets = RateLimiter<Client, DefaultKeyedStateStore<Client>, DefaultClock, StateInformationMiddleware>;

/// One route class's buckets, and its policy as the headers say it.
struct Limit {
    class: RouteClass,
    quota: Quota,
    buckets: Buckets,
    policy: HeaderValue,
}

/// The limits of every route class, and who the clients are.
pub struct RateLimits {
    limits: [Limit; 3],
    credentials: Credentials,
    proxies: Networks,
}

/// How often buckets that are full again are forgotten, so that memory
/// follows the clients of the last minute, not every client that ever came.
const FORGET_EVERY: Duration = Duration::from_secs(60);

impl RateLimits {
    /// The limits the settings ask for (`None` with `RATE_LIMITS=off`); a
    /// task forgets idle clients while they are in use.
    pub fn new(settings: &Settings, credentials: Credentials) -> Option<Arc<Self>> {
        if settings.rate_limits == Switch::Off {
            return None;
        }
        let quota = |class| match class {
            RouteClass::Searches => settings.rate_limit_searches,
            RouteClass::Names => settings.rate_limit_names,
            RouteClass::Writes => settings.rate_limit_writes,
        };
        let limits = Arc::new(Self {
            limits: RouteClass::ALL.map(|class| Limit::new(class, quota(class))),
            credentials,
            proxies: settings.trusted_proxies.clone().unwrap_or_default(),
        });
        tokio::spawn(forget_idle(Arc::downgrade(&limits)));
        Some(limits)
    }

    fn of(&self, class: RouteClass) -> &Limit {
        &self.limits[class as usize]
    }

    /// The client of `request`: its known key or token, else its address.
    fn client(&self, request: &Request) -> Client {
        if let Some(name) = self.credentials.identify(request.headers()) {
            return Client::Known(name.into());
        }
        let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip());
        let peer = peer.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        Client::Address(one_host(self.origin(peer, request.headers())))
    }

    /// Where a request comes from: its connection's address, or, when that
    /// is a trusted proxy, the last address of `X-Forwarded-For` that is not
    /// (each proxy appends the address it got the request from).
    fn origin(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let trusted = |address: &IpAddr| self.proxies.contains(address);
        if !trusted(&peer) {
            return peer;
        }
        let hops: Vec<&str> = headers
            .get_all(X_FORWARDED_FOR)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect();
        let mut origin = peer;
        for hop in hops.into_iter().rev() {
            let Ok(address) = hop.trim().parse::<IpAddr>() else { break };
            origin = address;
            if !trusted(&address) {
                break;
            }
        }
        origin
    }
}

/// The addresses a request passed through, as proxies append them.
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The address that stands for a host: an IPv4 address as such (also when
/// mapped into IPv6), an IPv6 address as its /64.
fn one_host(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
}

impl Limit {
    fn new(class: RouteClass, quota: Quota) -> Self {
        let per_second = governor::Quota::per_second(quota.per_second).allow_burst(quota.burst);
        let policy = format!("\"{}\";q={};w={}", class.name(), quota.burst, seconds_to_fill(quota, quota.burst.get()));
        Self {
            class,
            quota,
            buckets: RateLimiter::keyed(per_second).with_middleware::<StateInformationMiddleware>(),
            policy: HeaderValue::try_from(policy).unwrap_or(HeaderValue::from_static("")),
        }
    }

    /// `RateLimit` and `RateLimit-Policy` on `response`, `remaining` requests left.
    fn stamp(&self, response: &mut Response, remaining: u32) {
        let used = self.quota.burst.get().saturating_sub(remaining);
        let state = format!("\"{}\";r={remaining};t={}", self.class.name(), seconds_to_fill(self.quota, used));
        let headers = response.headers_mut();
        if let Ok(state) = HeaderValue::try_from(state) {
            headers.insert(RATE_LIMIT, state);
        }
        headers.insert(RATE_LIMIT_POLICY, self.policy.clone());
    }
}

/// Whole seconds the bucket takes to earn back `requests`.
fn seconds_to_fill(quota: Quota, requests: u32) -> u32 {
    requests.div_ceil(quota.per_second.get())
}

/// `route`, its requests counted in the buckets of `class` (as it is when
/// there are no limits).
pub fn limited<S>(route: MethodRouter<S>, limits: Option<&Arc<RateLimits>>, class: RouteClass) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    match limits {
        None => route,
        Some(limits) => route.layer(middleware::from_fn_with_state((limits.clone(), class), admit)),
    }
}

/// Lets the request in when its client's bucket has a token, else answers 429.
async fn admit(State((limits, class)): State<(Arc<RateLimits>, RouteClass)>, request: Request, next: Next) -> Response {
    let limit = limits.of(class);
    match limit.buckets.check_key(&limits.client(&request)) {
        Ok(state) => {
            let mut response = next.run(request).await;
            limit.stamp(&mut response, state.remaining_burst_capacity());
            response
        }
        Err(refused) => {
            let wait = refused.wait_time_from(limit.buckets.clock().now());
            // Whole seconds, rounded up: a client that waits as told gets in.
            let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let Quota { per_second, burst } = limit.quota;
            let message = format!(
                "this client made more {} than its limit of {per_second} a second (bursts of {burst}): retry after {retry_after} s",
                class.name()
            );
            let mut response = HttpError::RateLimited { message, retry_after }.into_response();
            limit.stamp(&mut response, 0);
            response
        }
    }
}

/// Forgets full buckets every minute, as long as the limits are in use.
async fn forget_idle(limits: Weak<RateLimits>) {
    let mut every = tokio::time::interval(FORGET_EVERY);
    every.tick().await;
    loop {
        every.tick().await;
        let Some(limits) = limits.upgrade() else { return };
        for limit in &limits.limits {
            limit.buckets.retain_recent();
            limit.buckets.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    #[test]
    fn an_ipv6_client_is_its_slash_64_and_a_mapped_ipv4_is_the_ipv4() {
        let a: Ipv6Addr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: Ipv6Addr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: Ipv6Addr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(one_host(a.into()), one_host(b.into()));
        assert_ne!(one_host(a.into()), one_host(other.into()));
        assert_eq!(one_host(a.into()), IpAddr::V6("2001:db8:1:2::".parse().unwrap()));
        let mapped = Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped();
        assert_eq!(one_host(mapped.into()), IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)));
    }

    #[test]
    fn behind_trusted_proxies_the_client_is_the_address_they_forward_and_no_one_else_is_believed() {
        let settings = bootstrap::settings::defaults::<Settings>();
        assert_eq!(settings.trusted_proxies, None);
        assert_eq!(" ,".parse::<Networks>(), Ok(Networks::default()), "empty: none");
        let limits = RateLimits {
            limits: RouteClass::ALL.map(|class| Limit::new(class, settings.rate_limit_searches)),
            credentials: Credentials::new(&bootstrap::settings::defaults(), &bootstrap::settings::defaults()).unwrap(),
            proxies: "10.0.0.0/8, 192.0.2.1".parse().unwrap(),
        };
        let forwarded = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(X_FORWARDED_FOR, HeaderValue::from_str(value).unwrap());
            headers
        };
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        let proxy = ip("10.1.1.1");
        assert_eq!(limits.origin(proxy, &forwarded("203.0.113.5, 192.0.2.1")), ip("203.0.113.5"), "two proxies");
        assert_eq!(
            limits.origin(proxy, &forwarded("1.1.1.1, 203.0.113.5")),
            ip("203.0.113.5"),
            "what the client wrote is not believed"
        );
        assert_eq!(limits.origin(proxy, &forwarded("nonsense")), proxy, "nothing to believe: the proxy");
        assert_eq!(limits.origin(proxy, &HeaderMap::new()), proxy);
        let stranger = ip("198.51.100.7");
        assert_eq!(limits.origin(stranger, &forwarded("203.0.113.5")), stranger, "only proxies are believed");
    }

    #[test]
    fn the_policy_names_the_bucket_its_size_and_the_seconds_it_takes_to_fill() {
        let quota: Quota = "50,100".parse().unwrap();
        let limit = Limit::new(RouteClass::Searches, quota);
        assert_eq!(limit.policy, "\"searches\";q=100;w=2");
        assert_eq!(seconds_to_fill(quota, 0), 0);
        assert_eq!(seconds_to_fill(quota, 1), 1);
        assert_eq!(seconds_to_fill(quota, 51), 2);
    }
}
