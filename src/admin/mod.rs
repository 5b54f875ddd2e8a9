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
//! - It goes through the same request pipeline as the APIs (`pipeline`): routing,
//!   body limit, handler, journal entry and log line; fault rules never apply to it.
//!
//! Access (docs/control-api.md), checked before routing, in this order:
//! - loopback clients only, unless `--admin-token` is given (a blank token is no token); then
//!   every call needs `Authorization: Bearer <token>`. Beyond loopback signsim refuses to start
//!   without a token (`app`).
//! - `Host` must be a loopback name (`localhost`, `*.localhost`), an IP address, or the host of
//!   `--public-url`: a DNS-rebinding page reaches signsim under a name of its own, which is
//!   refused, so it can read nothing.
//! - `Origin`, when sent (browsers send it on every cross-origin request and every POST), must
//!   be this server's own (the request's `Host`, or the public URL); `Sec-Fetch-Site` may not
//!   say `cross-site` or `same-site`.
//! - A state-changing request (POST, PUT, PATCH, DELETE) with a body must say
//!   `Content-Type: application/json` (a scenario also `application/toml`): the types a page
//!   can send cross-site without asking first — `text/plain`, forms — are refused (415). A
//!   body-less one (`curl -X POST …/reset`) needs no content type: a browser sending it would
//!   carry a foreign `Origin`, refused above.

mod call;
pub mod faults;
pub mod journal;
pub mod openapi;
pub mod pki;
pub mod podpishi;
pub mod routes;
pub mod ui;
pub mod world;

use crate::config::ScenarioSource;
use crate::journal::{Meta, Refusal};
use crate::pipeline::{Answer, Api, Call, Gate, RouteInfo, Shared};
use crate::scenario::Problem;
use crate::server::body::BodyError;
use crate::server::router::{query_pairs, Router};
pub use call::{AdminError, Reply, Req};
use hyper::http::request::Parts;
use hyper::Method;
use routes::{AdminRoute, ROUTER};
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
}

/// The control API for one request: the world handle and who is asking.
pub struct Admin {
    pub control: Arc<dyn Control>,
    pub peer: SocketAddr,
}

/// `host[:port]` of a URL like `http://host:port/path` (lowercase).
fn authority_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r)?;
    let auth = rest.split(['/', '?', '#']).next().unwrap_or("");
    (!auth.is_empty()).then(|| auth.to_ascii_lowercase())
}

/// The host of `host[:port]` (IPv6 literals keep no brackets).
fn host_of(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    match authority.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => authority,
    }
}

/// A name only this machine answers to, an address (which no other site can rebind), or a
/// single-label name: a compose service or CI service alias (`signsim`) is reached under
/// one, and a DNS-rebinding page can not have one — its site's name is a domain the
/// attacker's DNS answers for, which has a dot.
fn is_local_or_address(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<std::net::IpAddr>().is_ok()
        || is_single_label(host)
}

/// `signsim`, `pki-emulator`: letters, digits and hyphens, no dot (RFC 1123 label).
fn is_single_label(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 63
        && !host.starts_with('-')
        && !host.ends_with('-')
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Methods that change state.
fn changes_state(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl Admin {
    fn authorize(&self, head: &Parts) -> Result<(), AdminError> {
        self.authenticate(head)?;
        self.same_origin(head)?;
        self.content_type(head)
    }

    /// Host, Origin and Sec-Fetch-Site: refuses what a web page of another site can send.
    fn same_origin(&self, head: &Parts) -> Result<(), AdminError> {
        let public = authority_of(&self.control.public_url());
        let host = crate::pipeline::header(head, hyper::header::HOST)
            .trim()
            .to_ascii_lowercase();
        let host = if host.is_empty() {
            head.uri
                .authority()
                .map(|a| a.as_str().to_ascii_lowercase())
                .unwrap_or_default()
        } else {
            host
        };
        let public_host = public.as_deref().map(host_of);
        if !host.is_empty()
            && !is_local_or_address(host_of(&host))
            && Some(host_of(&host)) != public_host
        {
            return Err(AdminError::new(
                403,
                format!(
                    "Host '{host}' is not a loopback name, an address, a single-label name or the public URL's host: the control API answers only under names of its own (DNS rebinding); to reach it as '{host}', start signsim with --public-url http://{host}"
                ),
            ));
        }
        if let Some(origin) = head.headers.get(hyper::header::ORIGIN) {
            let text = origin.to_str().unwrap_or("").trim().to_ascii_lowercase();
            let own = authority_of(&text)
                .is_some_and(|a| (!host.is_empty() && a == host) || Some(&a) == public.as_ref());
            if !own {
                return Err(AdminError::new(
                    403,
                    format!(
                        "Origin '{text}' is not this server's ('{host}'): the control API refuses requests from web pages of other origins (cross-site request forgery)"
                    ),
                ));
            }
        }
        let site = crate::pipeline::header(
            head,
            hyper::header::HeaderName::from_static("sec-fetch-site"),
        );
        if site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site") {
            return Err(AdminError::new(
                403,
                format!("Sec-Fetch-Site is '{site}': the control API refuses requests that web pages of other sites make"),
            ));
        }
        Ok(())
    }

    /// A state change with a body must be JSON (or a scenario's TOML).
    fn content_type(&self, head: &Parts) -> Result<(), AdminError> {
        if !changes_state(&head.method) {
            return Ok(());
        }
        let ct = crate::pipeline::header(head, hyper::header::CONTENT_TYPE);
        let media = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let scenario = head.uri.path().trim_end_matches('/') == "/__admin/scenario";
        if media == "application/json" || (scenario && media == "application/toml") {
            return Ok(());
        }
        let empty = head
            .headers
            .get(hyper::header::CONTENT_LENGTH)
            .is_none_or(|v| v.as_bytes() == b"0")
            && !head.headers.contains_key(hyper::header::TRANSFER_ENCODING);
        if ct.is_empty() && empty {
            return Ok(());
        }
        let wanted = if scenario {
            "Content-Type: application/toml (or application/json)"
        } else {
            "Content-Type: application/json"
        };
        Err(AdminError::new(
            415,
            if ct.is_empty() {
                format!(
                    "{} {} has a body but no Content-Type: the control API takes state changes only as {wanted} (a web page can not send that to another site without asking first)",
                    head.method,
                    head.uri.path()
                )
            } else {
                format!(
                    "{} {} has Content-Type '{ct}': the control API takes state changes only as {wanted} (a web page can not send that to another site without asking first); e.g. curl -H 'Content-Type: application/json' -d '{{…}}'",
                    head.method,
                    head.uri.path()
                )
            },
        ))
    }

    fn authenticate(&self, head: &Parts) -> Result<(), AdminError> {
        use crate::config::AdminAccess;
        match self.control.admin_access() {
            AdminAccess::Token(token) => {
                let given = crate::pipeline::header(head, hyper::header::AUTHORIZATION);
                if given.strip_prefix("Bearer ") == Some(token) {
                    Ok(())
                } else {
                    Err(AdminError::new(401, "the control API needs Authorization: Bearer <the --admin-token value>"))
                }
            }
            AdminAccess::Open => Ok(()),
            AdminAccess::Loopback if self.peer.ip().is_loopback() => Ok(()),
            AdminAccess::Loopback => Err(AdminError::new(403, format!("the control API answers loopback clients only, and {} is not one: start signsim with --admin-token (SIGNSIM_ADMIN_TOKEN) to expose it with a token, or --admin-open (SIGNSIM_ADMIN_OPEN=true) on a network only you reach", self.peer.ip()))),
        }
    }

    /// The one mapping of an admin answer to HTTP.
    fn answer(result: Result<Reply, AdminError>, meta: &mut Meta) -> Answer {
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

    fn router(&self) -> &Router<&'static AdminRoute> {
        &ROUTER
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

    fn field(&self, _input: &Call, _name: &str) -> Option<String> {
        None
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
        let req = Req {
            control: self.control.as_ref(),
            query: query_pairs(call.query()),
            params: call.params,
            body: call.body,
        };
        (route.handler)(&req).map(|reply| Admin::answer(Ok(reply), meta))
    }

    fn refuse(&self, _route: &&'static AdminRoute, e: AdminError, meta: &mut Meta) -> Answer {
        Admin::answer(Err(e), meta)
    }

    fn injected(
        &self,
        _route: &&'static AdminRoute,
        code: i64,
        message: &str,
        meta: &Meta,
    ) -> Answer {
        let mut meta = meta.clone();
        Admin::answer(
            Err(AdminError::new(500, format!("fault {code}: {message}"))),
            &mut meta,
        )
    }
}

impl RouteInfo for &'static AdminRoute {
    fn name(&self) -> &'static str {
        self.name
    }
    fn faults(&self) -> bool {
        false
    }
    fn gate(&self) -> Gate {
        self.gate
    }
}
