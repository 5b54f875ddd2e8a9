//! The emulator's own control API under `/__admin/` (WireMock's convention): health, reset,
//! scenario loading, the request journal, the clock, fault rules, state inspection, officer
//! and counterparty actions, CA material. JSON in and out; errors are `{"error": "..."}`
//! with 400/401/403/404/405/409.
//!
//! - [`routes`] is the one table of every `/__admin` route; the handlers live by concern in
//!   [`world`] (health, reset, scenario, clock, schedule), [`journal`], [`faults`], [`pki`]
//!   and [`podpishi`].
//! - The control plane reaches the world through the narrow [`Control`] handle the app
//!   implements — it does not import the app — and the APIs only through their public verbs
//!   (`pki::control`, `podpishi::counterparty`).
//! - It goes through the same request pipeline as the APIs (`pipeline`): its routes are in the
//!   app's one routing table ([`routes::paths`]); body limit, handler, journal entry and log
//!   line; it has no fault hooks, so fault rules never apply to it.
//!
//! - [`access`] decides who may call it (token, `--admin-open`, loopback) and refuses what a web
//!   page of another site can send (Host, Origin, Sec-Fetch-Site, content type), before any route
//!   or 404 is answered.

mod access;
mod call;
pub mod coverage;
pub mod faults;
pub mod journal;
pub mod openapi;
pub mod pki;
pub mod podpishi;
pub mod route;
pub mod routes;
pub mod ui;
pub mod world;

use crate::config::ScenarioSource;
use crate::journal::{Meta, Refusal};
use crate::pipeline::{Answer, Api, Call, Gate, RouteInfo, Shared};
use crate::scenario::Problem;
use crate::server::body::BodyError;
use crate::server::router::query_pairs;
pub use call::{AdminError, Reply, Req};
use hyper::http::request::Parts;
use hyper::Method;
use route::AdminRoute;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;

/// The largest admin body (a scenario file).
const MAX_BODY: usize = 4 * 1024 * 1024;

const JSON: &str = "application/json; charset=utf-8";

/// What the control plane may do to the running world; the app implements it.
pub trait Control: Send + Sync {
    /// Journal, faults, clock, schedule and the world gate.
    fn shared(&self) -> &Shared;
    fn pki(&self) -> Option<crate::pki::Pki>;
    fn podpishi(&self) -> Option<crate::podpishi::Podpishi>;
    fn scenario_name(&self) -> String;
    fn scenario_source(&self) -> ScenarioSource;
    /// Validates `source` completely, then replaces the world with it; on problems nothing
    /// changes.
    fn load(&self, source: ScenarioSource) -> Result<(), LoadError>;
    /// Back to the loaded scenario's initial state.
    fn reset(&self) -> Result<(), LoadError>;
    /// Runs whatever the clock has made due.
    fn run_due(&self);
    /// `memory` or `persistent (DIR)`.
    fn store_mode(&self) -> String;
    /// The store in force.
    fn store(&self) -> crate::store::Store;
    fn uptime_ms(&self) -> u64;
    /// Who may call the control API (a token in force is never blank).
    fn admin_access(&self) -> crate::config::AdminAccess<'_>;
    /// Under `--tls`, the root (PEM) that issued the server certificate.
    fn tls_root(&self) -> Option<String>;
    /// The effective portability policy.
    fn portability(&self) -> crate::portability::Policy;
    /// What in a fault rule names nothing of the loaded world, as (field, message).
    fn fault_problems(&self, rule: &crate::faults::FaultRule) -> Vec<(String, String)>;
    /// The URL clients reach signsim at (`--public-url`, default the bound address).
    fn public_url(&self) -> String;
}

pub enum LoadError {
    Problems(Vec<Problem>),
    Failed(String),
    /// The store refused or failed (a full disk): the server's failure, the old state whole.
    Store(crate::store::StoreError),
}

/// The control API for one request: the world handle and who is asking.
#[derive(Clone)]
pub struct Admin {
    pub control: Arc<dyn Control>,
    pub peer: SocketAddr,
}

impl Admin {
    /// The one mapping of an admin answer to HTTP.
    fn answer(result: Result<Reply, AdminError>, meta: &mut Meta) -> Answer {
        ui::guarded(Admin::unguarded(result, meta))
    }

    fn unguarded(result: Result<Reply, AdminError>, meta: &mut Meta) -> Answer {
        match result {
            Ok(Reply::Json(v)) => {
                Answer::new(200, JSON, serde_json::to_vec_pretty(&v).unwrap_or_default())
            }
            Ok(Reply::Bytes { content_type, body }) => Answer::new(200, content_type, body),
            Err(e) => {
                meta.refusal = Some(Refusal {
                    kind: match e.status {
                        401 => "Unauthorized",
                        403 => "Forbidden",
                        404 => "NotFound",
                        405 => "MethodNotAllowed",
                        409 => "Conflict",
                        415 => "UnsupportedMediaType",
                        500 => "Internal",
                        _ => "BadRequest",
                    },
                    code: e.status as i64,
                });
                meta.diagnostics
                    .push(format!("refused: {} {}", e.status, e.message));
                let mut body = json!({"error": e.message});
                if let Some(Value::Object(extra)) = e.details {
                    for (k, v) in extra {
                        body[k] = v;
                    }
                }
                Answer::new(e.status, JSON, body.to_string())
            }
        }
    }
}

impl Api for Admin {
    const NAME: &'static str = "admin";
    const CONTENT_TYPE: &'static str = JSON;
    type Route = &'static AdminRoute;
    type Input = Call;
    type Error = AdminError;

    /// Calls that change the world run off the async workers on a data directory; reads,
    /// health, the journal, faults and the page stay in place.
    fn offload(&self, route: &&'static AdminRoute, call: &Call) -> Option<std::time::Duration> {
        let name = route.name;
        let touches = name.starts_with("pki.")
            || name.starts_with("podpishi.")
            || matches!(name, "reset" | "scenario" | "clock");
        let writes = call.head.method != Method::GET;
        let store = self.control.store();
        (touches && writes && store.is_durable()).then(|| store.timeout())
    }

    fn admit(&self, head: &Parts, meta: &mut Meta) -> Option<Answer> {
        let e = self.authorize(head).err()?;
        meta.operation = "auth".into();
        meta.success = Some(false);
        Some(Admin::answer(Err(e), meta))
    }

    fn no_route(&self, head: &Parts, allowed: &[Method], meta: &mut Meta) -> Answer {
        let path = head.uri.path();
        let e = if allowed.is_empty() {
            AdminError::not_found(format!(
                "no admin route {} {path}; see docs/control-api.md",
                head.method
            ))
        } else {
            let list: Vec<String> = allowed.iter().map(|m| m.to_string()).collect();
            AdminError::new(405, format!("{path} takes {}", list.join(", ")))
        };
        Admin::answer(Err(e), meta)
    }

    fn body_limit(
        &self,
        _route: &&'static AdminRoute,
        _head: &Parts,
    ) -> Result<Option<usize>, AdminError> {
        Ok(Some(MAX_BODY))
    }

    fn body_error(&self, _route: &&'static AdminRoute, e: BodyError) -> AdminError {
        match e {
            BodyError::TooLarge { limit } => {
                AdminError::bad(format!("the body is over {limit} bytes"))
            }
            BodyError::Read(e) => AdminError::bad(format!("the body could not be read: {e}")),
        }
    }

    async fn bind(
        &self,
        _route: &&'static AdminRoute,
        call: Call,
        _meta: &mut Meta,
    ) -> Result<Call, AdminError> {
        Ok(call)
    }

    fn handle(
        &self,
        route: &&'static AdminRoute,
        call: Call,
        meta: &mut Meta,
    ) -> Result<Answer, AdminError> {
        if route.record {
            meta.record = call.params.first().cloned();
        }
        let writes = call.head.method != Method::GET;
        let req = Req {
            control: self.control.as_ref(),
            query: query_pairs(call.query()),
            params: call.params,
            body: call.body,
            changes: Default::default(),
            action: Default::default(),
        };
        let reply = (route.handler)(&req);
        meta.changes = req.changes.take();
        meta.action = req.action.get().copied();
        if writes && reply.is_ok() {
            let revision = &self.control.shared().revision;
            revision.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        reply.map(|reply| Admin::answer(Ok(reply), meta))
    }

    fn refuse(&self, _route: &&'static AdminRoute, e: AdminError, meta: &mut Meta) -> Answer {
        Admin::answer(Err(e), meta)
    }
}

impl RouteInfo for &'static AdminRoute {
    fn name(&self) -> &'static str {
        self.name
    }
    fn gate(&self) -> Gate {
        self.gate
    }
}
