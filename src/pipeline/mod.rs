//! The one request pipeline every API goes through: PKI, Podpishi (uploads, commands, the
//! cabinet) and the control API alike.
//!
//! ```text
//! route lookup ─► gate ─► cache ─► body (limit) ─► bind ─► early fault ─► latency
//!     ─► handler ─► answer (or the API's refusal) ─► late fault ─► journal entry + log line
//! ```
//!
//! Each step is written once, here; an API says what is particular to it by implementing
//! [`Api`]: its route table (one [`crate::server::router::Router`] of routes that carry their
//! properties, [`RouteInfo`]), how a request binds to its input, its handler, and its one
//! mapping of an error to the wire. Handlers fill the typed [`Meta`] (record touched,
//! diagnostics, warnings); the pipeline adds what it decided (fault applied, refusal, timing)
//! and writes the journal entry and the access log line from it.
//!
//! Fault rules ([`crate::faults`]) meet every request of a route that allows them, bound or
//! not: a request that never binds still meets the rules for its operation (a field rule just
//! can not match it). Connection-level faults travel to the server as a
//! [`ConnectionFault`] response extension.

pub mod cache;

use crate::clock::Clock;
use crate::events::Schedule;
use crate::faults::{Action, Faults, MALFORMED_BODY};
use crate::journal::{Body, Entry, Journal, Meta};
use crate::server::body::{read_limited, BodyError, Timeouts};
use crate::server::router::{Match, Router};
use crate::server::{ConnectionFault, Request, Response};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::http::request::Parts;
use hyper::Method;
use std::future::Future;
use std::time::{Duration, Instant};

pub use cache::GetCache;

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
    /// API requests hold it shared while they run; reset and scenario loading take it
    /// exclusively, so no request of the old world writes into the store of the new one.
    pub gate: tokio::sync::RwLock<()>,
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
    /// Whether fault rules apply to it.
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
pub trait Api: Send + Sync {
    /// `pki`, `podpishi`, `admin`: in the journal, the log and fault rules.
    const NAME: &'static str;
    /// The content type of its answers (and of a fault's bare status body).
    const CONTENT_TYPE: &'static str;
    type Route: RouteInfo + Send + Sync + 'static;
    /// A request bound to what the handler reads.
    type Input: Send;
    /// Its refusals; a store failure after the handler (the flush) becomes one.
    type Error: Send + From<crate::store::StoreError>;

    fn router(&self) -> &Router<Self::Route>;

    /// Whether the request may be served at all, asked before routing (the control API's
    /// loopback/token rule); `Some` is the refusal.
    fn admit(&self, _head: &Parts, _meta: &mut Meta) -> Option<Answer> {
        None
    }

    /// A path or method the router does not serve, in the API's own shape (404 / 405).
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

    /// A request field by name, for fault rules that match one.
    fn field(&self, input: &Self::Input, name: &str) -> Option<String>;

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

    /// The one mapping of an error to the wire; records the refusal in `meta`.
    fn refuse(&self, route: &Self::Route, error: Self::Error, meta: &mut Meta) -> Answer;

    /// The error a fault rule injects, in the route's own shape.
    fn injected(&self, route: &Self::Route, code: i64, message: &str, meta: &Meta) -> Answer;

    /// The API's GET cache and the generation of the world its answers depend on.
    fn cache(&self) -> Option<(&GetCache, u64)> {
        None
    }
}

/// What the journal needs of the request itself, taken before the head is handed over.
pub struct Seen {
    method: String,
    path: String,
    content_type: String,
    started: Instant,
}

impl Seen {
    pub fn of(head: &Parts) -> Seen {
        Seen {
            method: head.method.to_string(),
            path: head.uri.path().to_string(),
            content_type: header(head, CONTENT_TYPE).to_string(),
            started: Instant::now(),
        }
    }
}

/// Serves one request of `api`: every step of the module map above.
pub async fn serve<A: Api>(api: &A, shared: &Shared, req: Request) -> Response {
    let (head, body) = req.into_parts();
    let seen = Seen::of(&head);
    let mut meta = Meta::new(A::NAME, "");
    if let Some(refusal) = api.admit(&head, &mut meta) {
        return finish(shared, seen, meta, refusal);
    }
    let answer = match api.router().find(&head.method, head.uri.path()) {
        Match::Found { handler, params } => {
            meta.operation = handler.name().to_string();
            run(api, shared, handler, head, params, body, &mut meta).await
        }
        Match::MethodNotAllowed(allowed) => {
            meta.success = Some(false);
            api.no_route(&head, &allowed, &mut meta)
        }
        Match::NotFound => {
            meta.success = Some(false);
            api.no_route(&head, &[], &mut meta)
        }
    };
    finish(shared, seen, meta, answer)
}

async fn run<A: Api>(
    api: &A,
    shared: &Shared,
    route: &A::Route,
    head: Parts,
    params: Vec<String>,
    body: hyper::body::Incoming,
    meta: &mut Meta,
) -> Answer {
    let _read;
    let _write;
    match route.gate() {
        Gate::Shared => _read = Some(shared.gate.read().await),
        Gate::Exclusive => _write = Some(shared.gate.write().await),
        Gate::Open => {}
    }
    let armed = route.faults() && shared.faults.armed();
    let cached = match api.cache() {
        Some((cache, generation)) if route.cacheable() && !armed => Some((cache, generation)),
        _ => None,
    };
    let query = head.uri.query().unwrap_or("").to_string();
    if let Some((cache, generation)) = cached {
        if let Some((answer, ok)) = cache.get(route.name(), &query, generation) {
            // The cheapest summary that still shows the fields: the query as sent.
            meta.request = crate::journal::Request::Query(query);
            meta.success = Some(ok);
            return answer;
        }
    }
    let bound = bind(api, route, head, params, body, meta).await;
    let decision = if armed {
        shared.faults.decide(A::NAME, &meta.operation, &|name| {
            bound.as_ref().ok().and_then(|input| api.field(input, name))
        })
    } else {
        None
    };
    if let Some(d) = &decision {
        meta.fault = Some(d.describe());
        match &d.action {
            Action::Delay { .. } => tokio::time::sleep(Duration::from_millis(d.delay_ms)).await,
            Action::Error { code, message } => {
                meta.success = Some(false);
                return api.injected(route, *code, message, meta);
            }
            Action::Status { status, body } => {
                meta.success = Some(false);
                return Answer::new(*status, A::CONTENT_TYPE, body.clone().unwrap_or_default());
            }
            Action::Reset | Action::Empty => {
                let mut a = Answer::new(200, A::CONTENT_TYPE, Bytes::new());
                a.connection = Some(if d.action == Action::Reset {
                    ConnectionFault::Reset
                } else {
                    ConnectionFault::Close
                });
                return a;
            }
            Action::Truncate | Action::Malformed => {}
        }
    }
    let latency = api.latency(route);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (handled, pending) =
        crate::store::flush::collect(|| bound.and_then(|input| api.handle(route, input, meta)));
    // Acknowledged only once on disk: the group flush covering the handler's writes.
    let handled = match pending {
        Some(p) => match p.wait().await {
            Ok(()) => handled,
            Err(e) => Err(A::Error::from(e)),
        },
        None => handled,
    };
    let answer = match handled {
        Ok(a) => {
            meta.success.get_or_insert(true);
            a
        }
        Err(e) => {
            meta.success = Some(false);
            api.refuse(route, e, meta)
        }
    };
    if let (Some((cache, generation)), None) = (cached, &decision) {
        cache.put(
            route.name(),
            query,
            generation,
            &answer,
            meta.success == Some(true),
        );
    }
    match decision.map(|d| d.action) {
        Some(Action::Truncate) => Answer {
            body: answer.body.slice(..answer.body.len() / 2),
            ..answer
        },
        Some(Action::Malformed) => Answer {
            body: Bytes::from_static(MALFORMED_BODY),
            ..answer
        },
        _ => answer,
    }
}

async fn bind<A: Api>(
    api: &A,
    route: &A::Route,
    head: Parts,
    params: Vec<String>,
    body: hyper::body::Incoming,
    meta: &mut Meta,
) -> Result<A::Input, A::Error> {
    let body = match api.body_limit(route, &head)? {
        None => Bytes::new(),
        Some(limit) => {
            let declared = head
                .headers
                .get(hyper::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            read_limited(body, declared, limit, Timeouts::of(&head.extensions))
                .await
                .map_err(|e| api.body_error(route, e))?
        }
    };
    api.bind(route, Call { head, params, body }, meta).await
}

/// The last step of every request, served by an API or not: the id, the access log line,
/// reactions, the journal entry and the emulator's headers.
pub fn finish(shared: &Shared, seen: Seen, meta: Meta, answer: Answer) -> Response {
    let id = shared.journal.next_id();
    let duration = seen.started.elapsed();
    log(id, &seen, &meta, answer.status, duration);
    shared.warnings.record(id, &meta.warnings);
    let warnings: Vec<HeaderValue> = meta.warnings.iter().filter_map(warning_header).collect();
    shared.schedule.observe(&meta, shared.clock.now());
    let ring = match meta.api {
        "admin" => &shared.admin_journal,
        _ => &shared.journal,
    };
    // Off (`--journal-size 0`): not even built.
    if ring.is_on() {
        ring.push(Entry {
            id,
            time: shared.clock.now(),
            wall_time: crate::clock::wall_now(),
            method: seen.method,
            path: seen.path,
            content_type: seen.content_type,
            status: answer.status,
            response: Body::new(answer.content_type, &answer.body),
            duration_us: duration.as_micros() as u64,
            meta,
        });
    }
    let mut resp = hyper::Response::new(Full::new(answer.body));
    *resp.status_mut() = hyper::StatusCode::from_u16(answer.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(answer.content_type));
    for (name, value) in answer.headers {
        headers.append(name, value);
    }
    headers.insert("x-signsim", HeaderValue::from_static(crate::VERSION));
    headers.insert("x-signsim-request-id", HeaderValue::from(id));
    for w in warnings {
        headers.append("x-signsim-warning", w);
    }
    if let Some(fault) = answer.connection {
        resp.extensions_mut().insert(fault);
    }
    resp
}

/// Text a header value can carry: characters outside printable ASCII become `?`.
pub fn header_text(text: &str) -> String {
    text.chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect()
}

/// `X-Signsim-Warning: <kind> <reason>`.
fn warning_header(w: &crate::journal::Warning) -> Option<HeaderValue> {
    HeaderValue::from_str(&header_text(&format!("{} {}", w.kind, w.reason))).ok()
}

/// One access line per request at info; the judgement (diagnostics, warnings) at debug.
fn log(id: u64, seen: &Seen, meta: &Meta, status: u16, duration: Duration) {
    if !tracing::enabled!(target: "signsim::access", tracing::Level::INFO) {
        return;
    }
    let outcome = match (&meta.fault, &meta.refusal, meta.success) {
        (Some(f), _, _) => format!("fault {f}"),
        (None, Some(r), _) => format!("refused {} ({})", r.kind, r.code),
        (None, None, Some(false)) => "failed".to_string(),
        _ => "ok".to_string(),
    };
    tracing::info!(
        target: "signsim::access",
        request_id = id,
        api = meta.api,
        operation = %meta.operation,
        status,
        outcome = %outcome,
        duration_us = duration.as_micros() as u64,
        "{} {}",
        seen.method,
        seen.path,
    );
    if tracing::enabled!(target: "signsim::access", tracing::Level::DEBUG)
        && (!meta.diagnostics.is_empty() || !meta.warnings.is_empty())
    {
        for line in &meta.diagnostics {
            tracing::debug!(target: "signsim::access", request_id = id, "  {line}");
        }
        for w in &meta.warnings {
            tracing::debug!(target: "signsim::access", request_id = id, "  warning {} {}", w.kind, w.reason);
        }
    }
}
