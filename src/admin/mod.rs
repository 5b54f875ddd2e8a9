//! The emulator's own control API under `/__admin/` (WireMock's convention): health, reset,
//! scenario loading, the request journal, the clock, fault rules, state inspection, officer
//! actions and CA material. JSON in and out; errors are `{"error": "..."}` with 400/404/409.
//!
//! Access: loopback-only by default. When signsim listens beyond loopback it refuses to start
//! without `--admin-token`, and then every admin call needs `Authorization: Bearer <token>`.
//! The admin API reaches the APIs only through their public verbs (`pki::control`).
//!
//! Rationale: the route table below is the API's reference; README lists the same rows.

mod pki_routes;

use crate::app::App;
use crate::config::ScenarioSource;
use crate::journal::{Filter, Meta};
use crate::server::{body, router, Request, Response};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::Method;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;

/// The largest admin body (a scenario file).
const MAX_BODY: usize = 4 * 1024 * 1024;

pub struct AdminError {
    status: u16,
    message: String,
    /// Structured detail merged into the error body (e.g. `problems`).
    details: Option<Value>,
}

impl AdminError {
    pub fn bad(message: impl Into<String>) -> AdminError {
        AdminError {
            status: 400,
            message: message.into(),
            details: None,
        }
    }
    pub fn not_found(message: impl Into<String>) -> AdminError {
        AdminError {
            status: 404,
            message: message.into(),
            details: None,
        }
    }
    pub fn conflict(message: impl Into<String>) -> AdminError {
        AdminError {
            status: 409,
            message: message.into(),
            details: None,
        }
    }
}

impl From<crate::pki::error::PkiError> for AdminError {
    fn from(e: crate::pki::error::PkiError) -> Self {
        use crate::pki::error::Kind;
        let status = match e.kind {
            Kind::TrackingCodeUnknown
            | Kind::UnknownCa
            | Kind::UnknownCustomer
            | Kind::CertificateUnknown => 404,
            Kind::WrongState => 409,
            Kind::Internal => 500,
            _ => 400,
        };
        AdminError {
            status,
            message: e.message,
            details: None,
        }
    }
}

/// What an admin handler answers.
pub enum Reply {
    Json(Value),
    Bytes {
        content_type: &'static str,
        body: Bytes,
    },
}

/// One admin call: the matched path parameters, the query and the body.
pub struct Call<'a> {
    pub app: &'a Arc<App>,
    pub params: Vec<String>,
    pub query: Vec<(String, String)>,
    pub body: Bytes,
}

impl Call<'_> {
    pub fn json(&self) -> Result<Value, AdminError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(json!({}));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| AdminError::bad(format!("the body is not JSON: {e}")))
    }
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn pki(&self) -> Result<crate::pki::Pki, AdminError> {
        self.app
            .pki()
            .ok_or_else(|| AdminError::not_found("the loaded scenario has no [pki] section"))
    }
}

type Handler = fn(&Call<'_>) -> Result<Reply, AdminError>;

fn routes() -> router::Router<(&'static str, Handler)> {
    let r: router::Router<(&'static str, Handler)> = router::Router::new(false);
    let r = r
        .route(
            Method::GET,
            "/__admin/health",
            ("health", health as Handler),
        )
        .route(Method::POST, "/__admin/reset", ("reset", reset as Handler))
        .route(
            Method::POST,
            "/__admin/scenario",
            ("scenario", load_scenario as Handler),
        )
        .route(
            Method::GET,
            "/__admin/clock",
            ("clock", clock_get as Handler),
        )
        .route(
            Method::POST,
            "/__admin/clock",
            ("clock", clock_set as Handler),
        )
        .route(
            Method::GET,
            "/__admin/requests",
            ("requests", requests as Handler),
        )
        .route(
            Method::DELETE,
            "/__admin/requests",
            ("requests.clear", requests_clear as Handler),
        )
        .route(
            Method::POST,
            "/__admin/requests/count",
            ("requests.count", requests_count as Handler),
        )
        .route(
            Method::GET,
            "/__admin/requests/{id}",
            ("requests.get", request_get as Handler),
        )
        .route(
            Method::GET,
            "/__admin/schedule",
            ("schedule", schedule as Handler),
        )
        .route(
            Method::GET,
            "/__admin/faults",
            ("faults", faults_list as Handler),
        )
        .route(
            Method::POST,
            "/__admin/faults",
            ("faults.add", faults_add as Handler),
        )
        .route(
            Method::DELETE,
            "/__admin/faults",
            ("faults.clear", faults_clear as Handler),
        )
        .route(
            Method::DELETE,
            "/__admin/faults/{name}",
            ("faults.remove", faults_remove as Handler),
        );
    pki_routes::add(r)
}

static ROUTES: std::sync::LazyLock<router::Router<(&'static str, Handler)>> =
    std::sync::LazyLock::new(routes);

pub async fn handle(app: &Arc<App>, req: Request, peer: SocketAddr) -> Response {
    let path = req.uri().path().to_string();
    let mut meta = Meta {
        api: "admin",
        ..Meta::default()
    };
    if let Err(e) = authorize(app, &req, peer) {
        meta.operation = "auth".into();
        meta.success = Some(false);
        return answer(Err(e), meta);
    }
    if path.starts_with("/__admin/podpishi/") {
        // Podpishi's control routes (counterparty signing, outbox) live with the API.
        let Some(pod) = app.podpishi() else {
            return answer(
                Err(AdminError::not_found(
                    "the loaded scenario has no [podpishi] section",
                )),
                meta,
            );
        };
        // Journaled as an admin call: `podpishi.documents.sign`, `podpishi.outbox`, …
        let method = req.method().clone();
        meta.operation = format!(
            "podpishi.{}",
            path.trim_start_matches("/__admin/podpishi/")
                .split('/')
                .filter(|seg| !seg.chars().all(|c| c.is_ascii_digit()))
                .collect::<Vec<_>>()
                .join(".")
        );
        let mut resp = pod.handle(req).await;
        meta.success = Some(resp.status().is_success());
        if let Some(inner) = resp.extensions_mut().remove::<Meta>() {
            meta.request = inner.request;
            meta.diagnostics = inner.diagnostics;
        }
        meta.diagnostics.push(format!("{method} {path}"));
        meta.record = path
            .split('/')
            .find(|seg| !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()))
            .map(str::to_string);
        resp.extensions_mut().insert(meta);
        return resp;
    }
    let (name, handler, params) = match ROUTES.find(req.method(), &path) {
        router::Match::Found {
            handler: (name, h),
            params,
        } => (*name, *h, params),
        router::Match::MethodNotAllowed(allowed) => {
            let list: Vec<String> = allowed.iter().map(|m| m.to_string()).collect();
            return answer(
                Err(AdminError {
                    status: 405,
                    message: format!("{path} takes {}", list.join(", ")),
                    details: None,
                }),
                meta,
            );
        }
        router::Match::NotFound => {
            return answer(
                Err(AdminError::not_found(format!(
                    "no admin route {} {path}; see the README's admin API reference",
                    req.method()
                ))),
                meta,
            )
        }
    };
    meta.operation = name.to_string();
    let query = router::query_pairs(req.uri().query());
    let body = match body::read_limited(req, MAX_BODY).await {
        Ok((_, b)) => b,
        Err(body::BodyError::TooLarge { limit }) => {
            return answer(
                Err(AdminError::bad(format!("the body is over {limit} bytes"))),
                meta,
            )
        }
        Err(body::BodyError::Read(e)) => {
            return answer(
                Err(AdminError::bad(format!("the body could not be read: {e}"))),
                meta,
            )
        }
    };
    let call = Call {
        app,
        params,
        query,
        body,
    };
    // Replacing the world waits for in-flight API requests and holds new ones back.
    let _exclusive = match name {
        "reset" | "scenario" => Some(app.gate.write().await),
        _ => None,
    };
    let result = handler(&call);
    meta.success = Some(result.is_ok());
    answer(result, meta)
}

fn authorize(app: &App, req: &Request, peer: SocketAddr) -> Result<(), AdminError> {
    match &app.config.admin_token {
        Some(token) => {
            let given = req
                .headers()
                .get(hyper::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            if given == token {
                Ok(())
            } else {
                Err(AdminError { status: 401, message: "the control API needs Authorization: Bearer <the --admin-token value>".into(), details: None })
            }
        }
        None if peer.ip().is_loopback() => Ok(()),
        None => Err(AdminError { status: 403, message: "the control API answers loopback clients only (start with --admin-token to expose it)".into(), details: None }),
    }
}

fn answer(result: Result<Reply, AdminError>, meta: Meta) -> Response {
    let (status, ct, body) = match result {
        Ok(Reply::Json(v)) => (
            200,
            "application/json; charset=utf-8",
            Bytes::from(serde_json::to_vec_pretty(&v).unwrap_or_default()),
        ),
        Ok(Reply::Bytes { content_type, body }) => (200, content_type, body),
        Err(e) => {
            let mut body = json!({"error": e.message});
            if let Some(Value::Object(extra)) = e.details {
                for (k, v) in extra {
                    body[k] = v;
                }
            }
            (
                e.status,
                "application/json; charset=utf-8",
                Bytes::from(body.to_string()),
            )
        }
    };
    let mut resp = hyper::Response::new(Full::new(body));
    *resp.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(ct));
    resp.extensions_mut().insert(meta);
    resp
}

fn health(c: &Call<'_>) -> Result<Reply, AdminError> {
    let app = c.app;
    let loaded = app.loaded();
    Ok(Reply::Json(json!({
        "status": "ok",
        "version": crate::app::VERSION,
        "scenario": loaded.name,
        "uptime_ms": app.started.elapsed().as_millis() as u64,
        "store": crate::app::store_mode(&app.config),
        "clock": crate::clock::wire_time(app.clock.now()),
        "clock_frozen": app.clock.is_frozen(),
        "journal": {"entries": app.journal.len(), "capacity": app.journal.capacity(), "evicted": app.journal.evicted()},
        "faults": app.faults.list().len(),
    })))
}

fn reset(c: &Call<'_>) -> Result<Reply, AdminError> {
    let started = std::time::Instant::now();
    c.app.reset().map_err(|e| AdminError::bad(e.to_string()))?;
    c.app.journal.clear();
    Ok(Reply::Json(
        json!({"reset": true, "scenario": c.app.scenario_name(), "took_ms": started.elapsed().as_secs_f64() * 1000.0}),
    ))
}

fn load_scenario(c: &Call<'_>) -> Result<Reply, AdminError> {
    let text = std::str::from_utf8(&c.body)
        .map_err(|_| AdminError::bad("the scenario is not UTF-8 text"))?
        .to_string();
    let base = match c.query("base") {
        Some(b) => std::path::PathBuf::from(b),
        None => match c.app.loaded().source {
            ScenarioSource::File(p) => p.parent().map(|d| d.to_path_buf()).unwrap_or_default(),
            ScenarioSource::Text { base, .. } => base,
            ScenarioSource::Embedded => {
                let cwd = std::env::current_dir().unwrap_or_default();
                if cwd.join("scenarios").is_dir() {
                    cwd.join("scenarios")
                } else {
                    cwd
                }
            }
        },
    };
    match crate::app::load_scenario(&ScenarioSource::Text {
        text: text.clone(),
        base: base.clone(),
    }) {
        Err(problems) => Err(AdminError {
            details: Some(
                json!({"problems": problems.iter().map(|p| json!({"line": p.line, "field": p.field, "message": p.message})).collect::<Vec<_>>()}),
            ),
            ..AdminError::bad(format!(
                "the scenario has {} problem(s); nothing was changed",
                problems.len()
            ))
        }),
        Ok(_) => {
            c.app
                .load(ScenarioSource::Text { text, base })
                .map_err(|e| AdminError::bad(e.to_string()))?;
            c.app.journal.clear();
            Ok(Reply::Json(json!({"loaded": c.app.scenario_name()})))
        }
    }
}

fn clock_get(c: &Call<'_>) -> Result<Reply, AdminError> {
    Ok(Reply::Json(
        json!({"now": crate::clock::wire_time(c.app.clock.now()), "frozen": c.app.clock.is_frozen()}),
    ))
}

/// `{"set": RFC3339}` or `{"advance": "30d" | "2h" | "90s" | "-1d"}`.
fn clock_set(c: &Call<'_>) -> Result<Reply, AdminError> {
    let v = c.json()?;
    if let Some(at) = v.get("set").and_then(Value::as_str) {
        let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            .map_err(|e| AdminError::bad(format!("set: '{at}' is not RFC 3339 ({e})")))?;
        c.app.clock.set(t).map_err(AdminError::bad)?;
    } else if let Some(by) = v.get("advance").and_then(Value::as_str) {
        c.app
            .clock
            .advance(crate::clock::parse_duration(by).map_err(AdminError::bad)?)
            .map_err(AdminError::bad)?;
    } else {
        return Err(AdminError::bad(
            "send {\"set\": \"2026-06-01T08:00:00Z\"} or {\"advance\": \"30d\"}",
        ));
    }
    // Whatever the new time makes due happens now, before the answer.
    c.app.run_due();
    clock_get(c)
}


fn filter_from_query(c: &Call<'_>) -> Result<Filter, AdminError> {
    let num = |name: &str| -> Result<Option<u64>, AdminError> {
        c.query(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| AdminError::bad(format!("{name} '{v}' is not a number")))
            })
            .transpose()
    };
    Ok(Filter {
        api: c.query("api").map(str::to_string),
        operation: c.query("operation").map(str::to_string),
        status: num("status")?.map(|s| s as u16),
        success: c.query("success").map(|v| v == "true"),
        since: num("since")?,
        method: c.query("method").map(str::to_string),
        path: c.query("path").map(str::to_string),
        record: c.query("record").map(str::to_string),
        limit: num("limit")?.map(|l| l as usize),
    })
}

fn requests(c: &Call<'_>) -> Result<Reply, AdminError> {
    let f = filter_from_query(c)?;
    let entries = c.app.journal.query(&f);
    Ok(Reply::Json(json!({
        "requests": entries,
        "total": c.app.journal.len(),
        "evicted": c.app.journal.evicted(),
        "capacity": c.app.journal.capacity(),
    })))
}

fn requests_count(c: &Call<'_>) -> Result<Reply, AdminError> {
    let f: Filter = if c.body.iter().all(u8::is_ascii_whitespace) {
        Filter::default()
    } else {
        serde_json::from_slice(&c.body).map_err(|e| AdminError::bad(format!("filter: {e}")))?
    };
    Ok(Reply::Json(json!({"count": c.app.journal.count(&f)})))
}

fn request_get(c: &Call<'_>) -> Result<Reply, AdminError> {
    let id: u64 = c.params[0]
        .parse()
        .map_err(|_| AdminError::bad(format!("'{}' is not a request id", c.params[0])))?;
    let e = c.app.journal.get(id).ok_or_else(|| {
        AdminError::not_found(format!("request {id} is not (or no longer) in the journal"))
    })?;
    Ok(Reply::Json(serde_json::to_value(e).unwrap_or_default()))
}

fn requests_clear(c: &Call<'_>) -> Result<Reply, AdminError> {
    c.app.journal.clear();
    Ok(Reply::Json(json!({"cleared": true})))
}

fn schedule(c: &Call<'_>) -> Result<Reply, AdminError> {
    let pending: Vec<Value> = c
        .app
        .schedule
        .pending()
        .into_iter()
        .map(|p| json!({"at": crate::clock::wire_time(p.at), "action": p.action, "record": p.record, "origin": p.origin}))
        .collect();
    Ok(Reply::Json(
        json!({"pending": pending, "done": c.app.schedule.done()}),
    ))
}

fn faults_list(c: &Call<'_>) -> Result<Reply, AdminError> {
    let list: Vec<Value> = c
        .app
        .faults
        .list()
        .into_iter()
        .map(|(r, calls)| json!({"rule": r, "matched_calls": calls}))
        .collect();
    Ok(Reply::Json(json!({"faults": list})))
}

fn faults_add(c: &Call<'_>) -> Result<Reply, AdminError> {
    let rule: crate::faults::FaultRule =
        serde_json::from_slice(&c.body).map_err(|e| AdminError::bad(format!("fault rule: {e}")))?;
    let problems = rule.problems();
    if !problems.is_empty() {
        return Err(AdminError {
            details: Some(
                json!({"problems": problems.iter().map(|(f, m)| json!({"field": f, "message": m})).collect::<Vec<_>>()}),
            ),
            ..AdminError::bad(
                problems
                    .iter()
                    .map(|(f, m)| format!("{f}: {m}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        });
    }
    let name = c.app.faults.add(rule);
    tracing::warn!("fault rule added: {name}");
    Ok(Reply::Json(json!({"added": name})))
}

fn faults_clear(c: &Call<'_>) -> Result<Reply, AdminError> {
    c.app.faults.replace(Vec::new());
    Ok(Reply::Json(json!({"cleared": true})))
}

fn faults_remove(c: &Call<'_>) -> Result<Reply, AdminError> {
    if c.app.faults.remove(&c.params[0]) {
        Ok(Reply::Json(json!({"removed": c.params[0]})))
    } else {
        Err(AdminError::not_found(format!(
            "no fault rule named '{}'",
            c.params[0]
        )))
    }
}
