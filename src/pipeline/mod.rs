//! The one request pipeline every API goes through: PKI, Podpishi (uploads, commands, the
//! cabinet) and the control API alike.
//!
//! ```text
//! admit ─► route (or the API's 404/405) ─► gate ─► cache ─► body (limit) ─► bind ─► early fault
//!     ─► latency ─► handler ─► answer (or the API's refusal) ─► late fault ─► journal entry + log line
//! ```
//!
//! The pipeline looks nothing up: the app's one routing table has found the API and its route
//! ([`Routed`]) before [`serve`] is called. Each step is written once, here; an API says what is
//! particular to it by implementing [`Api`]: who may call it, its 404/405, how a request binds
//! to its input (its routes carry their properties, [`RouteInfo`]), its handler, and its one
//! mapping of an error to the wire; an API that fault rules meet adds [`FaultHooks`]. Handlers fill the typed [`Meta`] (record touched,
//! diagnostics, warnings); the pipeline adds what it decided (fault applied, refusal, timing)
//! and writes the journal entry and the access log line from it.
//!
//! Fault rules ([`crate::faults`]) meet every request of a route that allows them, bound or
//! not: a request that never binds still meets the rules for its operation (a field rule just
//! can not match it). Connection-level faults travel to the server as a
//! [`ConnectionFault`] response extension.
//!
//! Files: this one runs the steps (`serve`, `run`, the fault steps, `apply`); `api` holds the
//! [`Api`] trait and the values passed between the steps; `finish` the last step; `cache` the
//! answers of cacheable GETs.

mod api;
pub mod cache;
mod finish;
mod offload;

pub use api::{header, Answer, Api, Call, FaultHooks, Gate, RouteInfo, Routed, Seen, Shared};
pub use finish::{finish, header_text, observe};

use crate::faults::{Action, MALFORMED_BODY};
use crate::journal::Meta;
use crate::server::body::{read_limited, Timeouts};
use crate::server::{ConnectionFault, Request, Response};
use bytes::Bytes;
use hyper::http::request::Parts;
use std::time::Duration;

pub use cache::GetCache;
pub use offload::{Stall, StallReport, Stalls};

/// Serves one request of `api`, routed by the app's table: every step of the module map above.
pub async fn serve<A: Api>(
    api: &A,
    shared: &Shared,
    req: Request,
    routed: Routed<A::Route>,
) -> Response {
    let (head, body) = req.into_parts();
    let seen = Seen::of(&head);
    let mut meta = Meta::new(A::NAME, "");
    meta.sent.query = head.uri.query().map(str::to_string);
    if let Some(refusal) = api.admit(&head, &mut meta) {
        return finish(shared, seen, meta, refusal);
    }
    let answer = match routed {
        Routed::Found(route, params) => {
            meta.operation = route.name().into();
            run(api, shared, &route, head, params, body, &mut meta).await
        }
        Routed::Missed(allowed) => {
            meta.success = Some(false);
            api.no_route(&head, &allowed, &mut meta)
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
    let hooks = api
        .fault_hooks()
        .filter(|_| route.faults() && shared.faults.armed());
    let cached = match api.cache() {
        Some((cache, generation)) if route.cacheable() && hooks.is_none() => {
            Some((cache, generation))
        }
        _ => None,
    };
    // Only a cacheable route needs the query as its own string (its cache key).
    let query = match cached {
        Some(_) => head.uri.query().unwrap_or("").to_string(),
        None => String::new(),
    };
    if let Some((cache, generation)) = cached {
        if let Some((answer, judged)) = cache.get(route.name(), &query, generation) {
            // The cheapest summary that still shows the fields: the query as sent.
            meta.request = crate::journal::Request::Query(query);
            meta.cached = true;
            // Warned and counted again, with the first answer's diagnostics.
            judged.restore(meta);
            return answer;
        }
    }
    let bound = bind(api, route, head, params, body, meta).await;
    let decision = hooks.and_then(|hooks| {
        shared.faults.decide(A::NAME, &meta.operation, &|name| {
            bound
                .as_ref()
                .ok()
                .and_then(|input| hooks.field(input, name))
        })
    });
    if let (Some(d), Some(hooks)) = (&decision, hooks) {
        meta.fault = Some(d.describe());
        meta.fault_kind = Some(d.action.kind());
        if meta.tenant.is_none() {
            meta.tenant = bound.as_ref().ok().and_then(|input| hooks.tenant(input));
        }
        if let Some(answer) = early_fault(hooks, route, d, meta).await {
            return answer;
        }
    }
    let latency = api.latency(route);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let answer = apply(api, shared, route, bound, meta).await;
    if let (Some((cache, generation)), None) = (cached, &decision) {
        cache.put(
            route.name(),
            query,
            generation,
            &answer,
            cache::Judged::of(meta),
        );
    }
    late_fault(decision.map(|d| d.action), answer)
}

/// A fault that acts before the handler: a delay (then the request goes on), or an answer
/// instead of the handler's — an injected error, a bare status, a dropped connection.
async fn early_fault<A: Api>(
    hooks: &dyn FaultHooks<A>,
    route: &A::Route,
    d: &crate::faults::Decision,
    meta: &mut Meta,
) -> Option<Answer> {
    match &d.action {
        Action::Delay { .. } => {
            tokio::time::sleep(Duration::from_millis(d.delay_ms)).await;
            None
        }
        Action::Error { code, message } => {
            meta.success = Some(false);
            Some(hooks.injected(route, *code, message, meta))
        }
        Action::Status { status, body } => {
            meta.success = Some(false);
            Some(Answer::new(
                *status,
                A::CONTENT_TYPE,
                body.clone().unwrap_or_default(),
            ))
        }
        Action::Reset | Action::Empty => {
            let mut a = Answer::new(200, A::CONTENT_TYPE, Bytes::new());
            a.connection = Some(if d.action == Action::Reset {
                ConnectionFault::Reset
            } else {
                ConnectionFault::Close
            });
            Some(a)
        }
        Action::Truncate | Action::Malformed => None,
    }
}

/// The handler on the bound input, acknowledged only once its writes are on disk (the group
/// flush covering them), its refusal mapped by the API. A handler on a data directory runs off
/// the async workers, waited for at most `--store-timeout` (see [`offload`]).
async fn apply<A: Api>(
    api: &A,
    shared: &Shared,
    route: &A::Route,
    bound: Result<A::Input, A::Error>,
    meta: &mut Meta,
) -> Answer {
    let offload = bound
        .as_ref()
        .ok()
        .and_then(|input| api.offload(route, input));
    let handled = match offload {
        Some(wait) => offload::handle(api, &shared.stalls, route, bound, meta, wait).await,
        None => {
            let (handled, pending) = crate::store::flush::collect(|| {
                bound.and_then(|input| api.handle(route, input, meta))
            });
            if pending.is_some() && offload.is_none() {
                // A handler taken for a read wrote to a data directory from an async worker.
                tracing::error!(
                    "{} {}: wrote to the data directory on an async worker; Api::offload should send it to the blocking pool",
                    A::NAME,
                    meta.operation
                );
            }
            match pending {
                Some(p) => match p.wait().await {
                    Ok(()) => handled,
                    Err(e) => Err(A::Error::from(e)),
                },
                None => handled,
            }
        }
    };
    match handled {
        Ok(a) => {
            meta.success.get_or_insert(true);
            a
        }
        Err(e) => {
            meta.success = Some(false);
            api.refuse(route, e, meta)
        }
    }
}

/// A fault that changes the answer after the handler: half of it, or a proxy's error page.
fn late_fault(action: Option<Action>, answer: Answer) -> Answer {
    match action {
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
    if !body.is_empty() || head.method != hyper::Method::GET {
        meta.sent.keep_body(&body);
    }
    api.bind(route, Call { head, params, body }, meta).await
}
