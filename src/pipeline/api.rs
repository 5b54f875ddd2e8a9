//! What an API tells the pipeline ([`Api`], [`RouteInfo`], and [`FaultHooks`] where fault rules
//! meet it) and the values that pass between them: what routing found ([`Routed`]), the routed
//! [`Call`], the [`Answer`], the [`Shared`] state every request sees, the world [`Gate`], and
//! what the journal keeps of the request ([`Seen`]).

use super::GetCache;
use crate::clock::Clock;
use crate::events::Schedule;
use crate::faults::Faults;
use crate::journal::{Journal, Meta};
use crate::server::body::BodyError;
use crate::server::ConnectionFault;
use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::http::request::Parts;
use hyper::Method;
use std::borrow::Cow;
use std::future::Future;
use std::time::{Duration, Instant};

/// What every request shares, whatever API serves it.
pub struct Shared {
    pub journal: Journal,
    /// The control API's own calls, in a ring of their own so health probes never push API
    /// requests out (ids come from `journal`'s one sequence).
    pub admin_journal: Journal,
    pub faults: Faults,
    pub clock: Clock,
    pub schedule: Schedule,
    /// Portability warnings seen, per kind.
    pub warnings: crate::portability::Tally,
    /// The contract coverage counts, per tenant; kept through resets.
    pub coverage: crate::coverage::Coverage,
    /// API requests hold it shared while they run; reset and scenario loading take it
    /// exclusively, so no request of the old world writes into the store of the new one.
    pub gate: tokio::sync::RwLock<()>,
    /// Requests that gave up waiting for a stalled store (`--store-timeout`), for health.
    pub stalls: super::Stalls,
    /// Grows with every control-API call that changed something (a POST or DELETE answered
    /// 2xx): with the journal's ids, what a page polls to know that the world changed.
    pub revision: std::sync::atomic::AtomicU64,
}

/// How a route takes the world gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Runs beside other requests of the same world (every API request).
    Shared,
    /// Replaces the world: waits for in-flight requests and holds new ones back.
    Exclusive,
    /// Reads or changes only what is safe at any time (most control routes).
    Open,
}

/// The properties a route table line carries.
pub trait RouteInfo {
    /// The operation the journal, the log and fault rules know the route by.
    fn name(&self) -> &'static str;
    /// Whether fault rules apply to it (in an API they meet: see [`Api::fault_hooks`]).
    fn faults(&self) -> bool {
        true
    }
    fn gate(&self) -> Gate {
        Gate::Shared
    }
    /// Whether its answer depends only on the world and the query (see [`GetCache`]).
    fn cacheable(&self) -> bool {
        false
    }
}

/// An answer ready for the wire.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Bytes,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Drop the connection instead of answering (fault injection).
    pub connection: Option<ConnectionFault>,
}

impl Answer {
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Bytes>) -> Answer {
        Answer {
            status,
            content_type,
            body: body.into(),
            headers: Vec::new(),
            connection: None,
        }
    }

    pub fn with_header(mut self, name: HeaderName, value: &str) -> Answer {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
        self
    }
}

/// What the one routing table found for a request of an API (the app looks it up once).
pub enum Routed<R> {
    /// A route of the API, with its path parameters.
    Found(R, Vec<String>),
    /// A path the API owns that no route of it serves with this method: the methods the path
    /// takes (none: no route has the path).
    Missed(Vec<Method>),
}

/// A routed request: its head, the route's path parameters and its body (empty when the route
/// reads none).
pub struct Call {
    pub head: Parts,
    pub params: Vec<String>,
    pub body: Bytes,
}

impl Call {
    pub fn query(&self) -> Option<&str> {
        self.head.uri.query()
    }

    /// A request header as text (`""` when absent or not text).
    pub fn header(&self, name: HeaderName) -> &str {
        header(&self.head, name)
    }
}

pub fn header(head: &Parts, name: HeaderName) -> &str {
    head.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// What an API tells the pipeline about itself.
pub trait Api: Send + Sync + Clone + 'static {
    /// `pki`, `podpishi`, `admin`: in the journal, the log and fault rules.
    const NAME: &'static str;
    /// The content type of its answers (and of a fault's bare status body).
    const CONTENT_TYPE: &'static str;
    type Route: RouteInfo + Send + Sync + Clone + 'static;
    /// A request bound to what the handler reads.
    type Input: Send + 'static;
    /// Its refusals; a store failure after the handler (the flush) becomes one.
    type Error: Send + 'static + From<crate::store::StoreError>;

    /// Whether the request may be served at all, asked before its route is acted on (the
    /// control API's loopback/token rule); `Some` is the refusal.
    fn admit(&self, _head: &Parts, _meta: &mut Meta) -> Option<Answer> {
        None
    }

    /// A path of the API that no route serves with this method, in the API's own shape (404,
    /// or 405 when `allowed` lists the methods the path takes).
    fn no_route(&self, head: &Parts, allowed: &[Method], meta: &mut Meta) -> Answer;

    /// The content-type check and the body limit; `None` reads no body.
    fn body_limit(&self, route: &Self::Route, head: &Parts) -> Result<Option<usize>, Self::Error>;

    /// A body over the limit or unreadable.
    fn body_error(&self, route: &Self::Route, e: BodyError) -> Self::Error;

    /// Turns the request into the handler's input; may rename `meta.operation` (Podpishi's
    /// `oper`) and describe the request in `meta.request`.
    fn bind(
        &self,
        route: &Self::Route,
        call: Call,
        meta: &mut Meta,
    ) -> impl Future<Output = Result<Self::Input, Self::Error>> + Send;

    /// A scenario's fixed latency for the route.
    fn latency(&self, _route: &Self::Route) -> Duration {
        Duration::ZERO
    }

    fn handle(
        &self,
        route: &Self::Route,
        input: Self::Input,
        meta: &mut Meta,
    ) -> Result<Answer, Self::Error>;

    /// `Some(timeout)` when the handler may write to a data directory: it then runs off the
    /// async workers and the request waits for it at most `timeout` (see `offload`). Reads stay
    /// on the worker: the hand-off costs more than a read, and the watermark keeps sled's flush
    /// (which a read can wait behind) from failing.
    fn offload(&self, _route: &Self::Route, _input: &Self::Input) -> Option<Duration> {
        None
    }

    /// The one mapping of an error to the wire; records the refusal in `meta`.
    fn refuse(&self, route: &Self::Route, error: Self::Error, meta: &mut Meta) -> Answer;

    /// The API's GET cache and the generation of the world its answers depend on.
    fn cache(&self) -> Option<(&GetCache, u64)> {
        None
    }

    /// What fault rules need of the API; `None` (the control API) when they never meet it.
    fn fault_hooks(&self) -> Option<&dyn FaultHooks<Self>> {
        None
    }
}

/// What fault rules need of an API they meet (PKI, Podpishi): a request's field to match on,
/// and the error a rule injects in the route's own shape.
pub trait FaultHooks<A: Api>: Sync {
    /// A request field by name, for fault rules that match one.
    fn field(&self, input: &A::Input, name: &str) -> Option<String>;

    /// Whose request it is, when a fault answers before the handler could tell (the
    /// coverage report counts the fault for that tenant); only a tenant of the world.
    fn tenant(&self, _input: &A::Input) -> Option<String> {
        None
    }

    /// The error a fault rule injects, in the route's own shape.
    fn injected(&self, route: &A::Route, code: i64, message: &str, meta: &Meta) -> Answer;
}

/// What the journal needs of the request itself, taken before the head is handed over.
pub struct Seen {
    pub(super) method: Cow<'static, str>,
    pub(super) path: String,
    pub(super) content_type: Cow<'static, str>,
    pub(super) started: Instant,
}

impl Seen {
    pub fn of(head: &Parts) -> Seen {
        Seen {
            method: method_text(&head.method),
            path: head.uri.path().to_string(),
            content_type: known_or_owned(header(head, CONTENT_TYPE)),
            started: Instant::now(),
        }
    }
}

/// A standard method as a `&'static str` (every journal entry keeps one), another as a copy.
fn method_text(m: &Method) -> Cow<'static, str> {
    const STANDARD: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::HEAD, "HEAD"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::PATCH, "PATCH"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    match STANDARD.iter().find(|(s, _)| s == m) {
        Some((_, name)) => Cow::Borrowed(name),
        None => Cow::Owned(m.to_string()),
    }
}

/// The content types the emulated APIs are sent most, as `&'static str` (byte for byte; every
/// journal entry keeps one); any other as a copy.
fn known_or_owned(ct: &str) -> Cow<'static, str> {
    const KNOWN: [&str; 7] = [
        "",
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=UTF-8",
        "application/x-www-form-urlencoded",
        "text/xml",
        "application/xml",
    ];
    match KNOWN.iter().find(|k| **k == ct) {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(ct.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::{known_or_owned, method_text};
    use hyper::Method;
    use std::borrow::Cow;

    #[test]
    fn a_method_or_content_type_is_kept_byte_for_byte_borrowed_when_common() {
        for m in [
            "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE",
        ] {
            let text = method_text(&Method::from_bytes(m.as_bytes()).unwrap());
            assert!(matches!(text, Cow::Borrowed(_)), "{m}");
            assert_eq!(text, m);
        }
        let odd = method_text(&Method::from_bytes(b"PROPFIND").unwrap());
        assert!(matches!(odd, Cow::Owned(_)));
        assert_eq!(odd, "PROPFIND");
        // (content type, borrowed): the known ones byte for byte, others (case, parameters) copied.
        for (ct, borrowed) in [
            ("", true),
            ("application/json", true),
            ("text/xml", true),
            ("application/x-www-form-urlencoded", true),
            ("Application/JSON", false),
            ("multipart/form-data; boundary=x", false),
            ("application/json;charset=utf-8", false),
        ] {
            let text = known_or_owned(ct);
            assert_eq!(matches!(text, Cow::Borrowed(_)), borrowed, "{ct}");
            assert_eq!(text, ct);
        }
    }
}
