//! The PKI API in the request pipeline: how a request binds (GET query or JSON body, property
//! names in any case), how the handler runs, and the one place a PKI answer or refusal
//! becomes HTTP.

use super::ctx::Ctx;
use super::error::{Kind, PkiError, Wire};
use super::routes::{self, Op, Route};
use super::wire::Fields;
use super::Pki;
use crate::changes::Changes;
use crate::journal::{Meta, Refusal, Request};
use crate::pipeline::{header, header_text, Answer, Api, Call, FaultHooks, GetCache};
use crate::server::body::BodyError;
use crate::server::router::query_pairs;
use hyper::header::{HeaderName, ALLOW, CONTENT_TYPE, HOST};
use hyper::http::request::Parts;
use hyper::Method;
use std::sync::atomic::Ordering;
use std::time::Duration;

const JSON: &str = "application/json; charset=utf-8";

/// A PKI request bound: its fields, and the URL certificates it issues name when that comes
/// from the request's `Host` (docs/install.md, `--public-url`).
pub struct Bound {
    fields: Fields<'static>,
    base_url: Option<String>,
}

/// `scheme://host` from the request's `Host` when it is a well-formed host[:port]
/// (`config::check_authority`); else `None` — the configured URL is used — and a diagnostic says
/// why, so no certificate names a malformed URI. An absent `Host` says nothing.
fn host_url(scheme: &str, host: &str, fallback: &str, diag: &mut Vec<String>) -> Option<String> {
    if host.is_empty() {
        return None;
    }
    match crate::config::check_authority(host) {
        Ok(()) => Some(format!("{scheme}://{host}")),
        Err(why) => {
            diag.push(format!(
                "Host '{host}' is not used in URLs ({why}): certificates name {fallback} instead (start signsim with --public-url to choose)"
            ));
            None
        }
    }
}

impl Api for Pki {
    const NAME: &'static str = "pki";
    const CONTENT_TYPE: &'static str = JSON;
    type Route = &'static Route;
    type Input = Bound;
    type Error = PkiError;

    fn no_route(&self, head: &Parts, allowed: &[Method], meta: &mut Meta) -> Answer {
        let path = head.uri.path();
        if let Some(file) = path.strip_prefix("/crl/") {
            let e = if allowed.is_empty() {
                PkiError::new(
                    Kind::UnknownMethod,
                    format!(
                        "CRLs are at /crl/{{caName}}.crl, not /crl/{file}; the CAs are: {}",
                        self.world().ca_names()
                    ),
                )
            } else {
                PkiError::new(
                    Kind::MethodNotAllowed,
                    format!("CRLs are fetched with GET, not {}", head.method),
                )
            };
            meta.operation = "crl".into();
            return self.refuse(&&routes::CRL, e, meta);
        }
        // `/api/{name}` in any case of `api`.
        let name = path
            .splitn(3, '/')
            .nth(2)
            .unwrap_or("")
            .trim_end_matches('/')
            .to_string();
        match routes::by_name(&name).filter(|_| !allowed.is_empty()) {
            Some(route) => {
                meta.operation = route.name.into();
                let e = PkiError::new(
                    Kind::MethodNotAllowed,
                    format!(
                        "{} is called with {}, not {}",
                        route.name,
                        route.verb.method(),
                        head.method
                    ),
                );
                self.refuse(&route, e, meta)
                    .with_header(ALLOW, route.verb.method().as_str())
            }
            None => {
                let e = PkiError::new(Kind::UnknownMethod, routes::unknown_method_message(&name));
                meta.operation = name.into();
                self.refuse(&&routes::CRL, e, meta)
            }
        }
    }

    fn body_limit(&self, route: &&'static Route, head: &Parts) -> Result<Option<usize>, PkiError> {
        if route.verb == routes::Verb::Get {
            return Ok(None);
        }
        let ct = header(head, CONTENT_TYPE).to_ascii_lowercase();
        // The media type exactly (parameters such as charset allowed), as ASP.NET matches it:
        // `text/jsonx` or `application/json-patch` are not JSON bodies.
        if ct.split(';').next().unwrap_or("").trim() != "application/json" {
            return Err(PkiError::new(
                Kind::UnsupportedMediaType,
                if ct.is_empty() {
                    "the request has no Content-Type; send the JSON body with Content-Type: application/json".to_string()
                } else {
                    format!("Content-Type is '{ct}'; the service reads JSON bodies only: send Content-Type: application/json")
                },
            ));
        }
        Ok(Some(self.world().policy.pki_max_body_bytes))
    }

    fn body_error(&self, _route: &&'static Route, e: BodyError) -> PkiError {
        match e {
            BodyError::TooLarge { limit } => PkiError::new(
                Kind::BodyTooLarge,
                format!("the request body is over {limit} bytes (policy.pki_max_body_bytes)"),
            ),
            BodyError::Read(e) => PkiError::new(
                Kind::MalformedBody,
                format!("the request body could not be read: {e}"),
            ),
        }
    }

    async fn bind(
        &self,
        route: &&'static Route,
        call: Call,
        meta: &mut Meta,
    ) -> Result<Bound, PkiError> {
        let base_url = self.inner.host_scheme.and_then(|scheme| {
            let fallback = &self.inner.base_url;
            host_url(scheme, call.header(HOST), fallback, &mut meta.diagnostics)
        });
        let fields = match (&route.op, route.verb) {
            (Op::Crl, _) => {
                let f = Fields::from_query(vec![("caName".into(), call.params.join("/"))]);
                meta.request = Request::Summary(f.to_json());
                f
            }
            (_, routes::Verb::Get) => {
                meta.request = Request::Query(call.query().unwrap_or("").to_string());
                Fields::from_query(query_pairs(call.query()))
            }
            (_, routes::Verb::Post) => {
                let f = Fields::from_json(&call.body)?;
                meta.request = Request::json(&meta.sent, &call.body, || f.to_json());
                f
            }
        };
        meta.diagnostics.extend(fields.case_bindings());
        Ok(Bound { fields, base_url })
    }

    fn latency(&self, route: &&'static Route) -> Duration {
        match route.slow {
            true => Duration::from_millis(self.world().get_all_cert_latency_ms),
            false => Duration::ZERO,
        }
    }

    fn handle(
        &self,
        route: &&'static Route,
        bound: Bound,
        meta: &mut Meta,
    ) -> Result<Answer, PkiError> {
        let f = bound.fields;
        let world = self.world();
        if matches!(route.op, Op::Crl) {
            let der = self.crl_der(world.ca(&f.str("caName")?)?)?;
            return Ok(Answer::new(200, "application/pkix-crl", der));
        }
        let changes = Changes::new();
        let mut ctx = Ctx {
            world: &world,
            store: &self.inner.store,
            now: self.inner.clock.now(),
            base_url: bound.base_url.as_deref().unwrap_or(&self.inner.base_url),
            keys: &self.inner.keys,
            hot: &self.inner.hot,
            replays: &self.inner.replays,
            diag: Vec::new(),
            record: None,
            signing: route.signed,
            warnings: Vec::new(),
            changes: &changes,
            tenant: Default::default(),
        };
        let result = match route.op {
            Op::Json(handler) => {
                handler(&mut ctx, &f).map(|body| serde_json::to_vec(&body).unwrap_or_default())
            }
            Op::Written(handler) => handler(&mut ctx, &f),
            Op::Crl => Ok(Vec::new()),
        };
        if let Some(t) = ctx.tenant.get() {
            meta.tenant = Some(t.to_string());
        }
        // Moved whole when the pipeline added none (the usual case): no second vector.
        if meta.diagnostics.is_empty() {
            meta.diagnostics = std::mem::take(&mut ctx.diag);
        } else {
            meta.diagnostics.append(&mut ctx.diag);
        }
        if meta.warnings.is_empty() {
            meta.warnings = std::mem::take(&mut ctx.warnings);
        } else {
            meta.warnings.append(&mut ctx.warnings);
        }
        meta.changes = changes.take();
        meta.record = ctx
            .record
            .take()
            .or_else(|| f.lookup("trackingCode").filter(|s| !s.is_empty()));
        Ok(Answer::new(200, JSON, result?))
    }

    fn refuse(&self, route: &&'static Route, e: PkiError, meta: &mut Meta) -> Answer {
        let world = self.world();
        let kind = e.kind;
        meta.diagnostics.push(format!(
            "refused: {} ({}): {}",
            kind.name(),
            kind.code(),
            e.message
        ));
        let mut wire = e.into_body(route.shape, route.answers_401, &world.overrides);
        meta.refusal = Some(Refusal {
            kind: kind.name(),
            code: wire.code,
        });
        // A CRL is a file, not a method: an unknown CA is a missing file (404), with the
        // API's error body saying which CAs exist.
        if matches!(route.op, Op::Crl) && kind == Kind::UnknownCa {
            wire.status = 404;
        }
        answer(kind, wire)
    }

    /// Every POST method may write (a registration, an approval, an issue, a revoke, the
    /// replay record of a report); the GET methods and CRLs only read.
    fn offload(&self, route: &&'static Route, _input: &Bound) -> Option<std::time::Duration> {
        let store = self.store();
        (route.verb == routes::Verb::Post && store.is_durable()).then(|| store.timeout())
    }

    fn cache(&self) -> Option<(&GetCache, u64)> {
        Some((
            &self.inner.get_cache,
            self.world().generation.load(Ordering::Acquire),
        ))
    }

    fn fault_hooks(&self) -> Option<&dyn FaultHooks<Pki>> {
        Some(self)
    }
}

impl FaultHooks<Pki> for Pki {
    fn field(&self, input: &Bound, name: &str) -> Option<String> {
        input.fields.lookup(name)
    }

    /// The customer a faulted request names (`customercode` or a bare `Customercode`), when
    /// the world has it.
    fn tenant(&self, input: &Bound) -> Option<String> {
        let sent = input.fields.lookup("customercode")?;
        let code = sent.split('-').next().unwrap_or("").trim();
        self.world().customer(code).ok().map(|c| c.code.clone())
    }

    fn injected(&self, route: &&'static Route, code: i64, message: &str, _meta: &Meta) -> Answer {
        let wire = PkiError::injected(code, message).into_body(
            route.shape,
            route.answers_401,
            &self.world().overrides,
        );
        answer(Kind::InjectedFault, wire)
    }
}

/// A refusal's answer: its status and body, and `X-Signsim-Diagnostic: <ErrorCode> <kind>:
/// <message>` (the message as [`header_text`] writes it) — the body of GetTrackingCodeInfo and
/// IsApproved has no room for the code and the message.
fn answer(kind: Kind, wire: Wire) -> Answer {
    let diagnostic = format!(
        "{} {}: {}",
        wire.code,
        kind.name(),
        header_text(&wire.message)
    );
    Answer::new(
        wire.status,
        JSON,
        serde_json::to_vec(&wire.body).unwrap_or_default(),
    )
    .with_header(HeaderName::from_static("x-signsim-diagnostic"), &diagnostic)
}
