//! Podpishi in the request pipeline: binding reads the form once, authenticates, and decodes
//! the command (its `oper` becomes the operation the journal and fault rules see); the
//! handler runs the upload, the command or the cabinet; [`Podpishi::refuse`] is the one place
//! an error becomes XML.
//!
//! Every answer is HTTP 200, as the PHP upstream sends, in `text/xml; charset=UTF-8` — except
//! `getdoc` (a ZIP) and the cabinet (HTML).

use super::ctx::portable;
use super::error::{DocContext, Kind, PodpishiError, Refused, Shape};
use super::routes::{self, Reply, Route};
use super::state::Account;
use super::wire::{self, Command, Form};
use super::world::World;
use super::xml::{xml_answer, XML};
use super::{cabinet, endpoints, Ctx, Podpishi};
use crate::changes::Changes;
use crate::journal::{Meta, Refusal, Request, Warning};
use crate::pipeline::{Answer, Api, Call, FaultHooks};
use crate::server::body::BodyError;
use hyper::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use hyper::http::request::Parts;
use hyper::Method;
use serde_json::{json, Value};
use std::sync::Arc;
use time::OffsetDateTime;

/// A request bound to what its handler reads.
pub enum Input {
    Upload { form: Form, account: Arc<Account> },
    Command { account: Arc<Account>, cmd: Command },
    Cabinet { query: Option<String> },
}

impl Api for Podpishi {
    const NAME: &'static str = "podpishi";
    const CONTENT_TYPE: &'static str = XML;
    type Route = Route;
    type Input = Input;
    type Error = Refused;

    /// Uploads and the commands that change something may write; the cabinet and the read
    /// commands ([`crate::podpishi::routes::READS`]) only read.
    fn offload(&self, _route: &Route, input: &Input) -> Option<std::time::Duration> {
        let writes = match input {
            Input::Upload { .. } => true,
            Input::Command { cmd, .. } => !crate::podpishi::routes::READS
                .iter()
                .any(|r| r.eq_ignore_ascii_case(cmd.oper().trim())),
            Input::Cabinet { .. } => false,
        };
        let store = self.store();
        (writes && store.is_durable()).then(|| store.timeout())
    }

    fn no_route(&self, head: &Parts, allowed: &[Method], meta: &mut Meta) -> Answer {
        let path = head.uri.path();
        let only = allowed.first().unwrap_or(&Method::POST);
        let e = PodpishiError::new(
            Kind::MalformedRequest,
            format!("{path} is called with {only} only, not {}", head.method),
        );
        let doc = (path == "/api.php").then(Box::default);
        meta.operation = if doc.is_some() { "upload" } else { "command" }.into();
        self.refuse(
            &Route::Command,
            Refused {
                error: e,
                doc,
                oper: None,
            },
            meta,
        )
    }

    fn body_limit(&self, route: &Route, _head: &Parts) -> Result<Option<usize>, Refused> {
        let spec = &self.world().spec;
        Ok(match route {
            Route::Upload => Some(spec.max_upload_bytes),
            Route::Command => Some(spec.max_command_bytes),
            Route::Cabinet => None,
        })
    }

    fn body_error(&self, route: &Route, e: BodyError) -> Refused {
        let e = match e {
            BodyError::TooLarge { limit } => PodpishiError::new(
                Kind::BodyTooLarge,
                format!(
                    "the request body is over {limit} bytes (podpishi.{})",
                    if *route == Route::Upload {
                        "max_upload_bytes"
                    } else {
                        "max_command_bytes"
                    }
                ),
            ),
            BodyError::Read(e) => PodpishiError::new(
                Kind::MalformedRequest,
                format!("the request body could not be read: {e}"),
            ),
        };
        Refused {
            error: e,
            doc: (*route == Route::Upload).then(Box::default),
            oper: None,
        }
    }

    async fn bind(&self, route: &Route, call: Call, meta: &mut Meta) -> Result<Input, Refused> {
        if *route == Route::Cabinet {
            return Ok(Input::Cabinet {
                query: call.query().map(str::to_string),
            });
        }
        let content_type = call.header(CONTENT_TYPE).to_string();
        let upload = *route == Route::Upload;
        let as_refusal = |error| Refused {
            error,
            doc: upload.then(Box::default),
            oper: None,
        };
        if upload {
            // What the journal shows if the form does not parse.
            meta.request = Request::Summary(json!({"multipart": {
                "bytes": call.body.len(),
                "sha256": crate::crypto::sha256_hex(&call.body),
            }}));
        }
        // A urlencoded command form is kept as sent and summarised when the journal is read.
        let deferred = !upload
            && call.body.len() <= crate::journal::KEEP_BYTES
            && !Form::is_multipart(&content_type);
        let raw = deferred.then(|| call.body.clone());
        let form = Form::read(&content_type, call.body)
            .await
            .map_err(as_refusal)?;
        if upload {
            meta.request = Request::Summary(endpoints::upload::summarize(&form));
        }
        let account = form
            .text_ref("login")
            .and_then(|l| Ok((l, form.text_ref("apikey")?)))
            .and_then(|(l, k)| self.authenticate(l, k, &mut meta.warnings))
            .map_err(as_refusal)?;
        meta.tenant = Some(account.login.clone());
        if upload {
            return Ok(Input::Upload { form, account });
        }
        let cmd = form
            .text_ref("command")
            .and_then(|c| Command::decode(c.unwrap_or_default()))
            .map_err(as_refusal)?;
        // The documented name is a static text: no copy when it is written as documented.
        meta.operation = match routes::command(cmd.oper()) {
            Some((name, _)) if name == cmd.oper() => name.into(),
            _ => cmd.oper().to_string().into(),
        };
        meta.request = match raw {
            Some(body) => Request::deferred(&meta.sent, &body, command_request),
            None => {
                Request::Summary(json!({"login": account.login, "command": command_summary(&cmd)}))
            }
        };
        meta.record = cmd
            .one("docnum")
            .ok()
            .flatten()
            .or(cmd.one("docuniq").ok().flatten())
            .map(str::to_string);
        Ok(Input::Command { account, cmd })
    }

    fn handle(&self, _route: &Route, input: Input, meta: &mut Meta) -> Result<Answer, Refused> {
        match input {
            Input::Cabinet { query } => Ok(cabinet::handle(self, query.as_deref())),
            Input::Upload { form, account } => {
                endpoints::upload::handle(self, &form, account, meta).map(xml_answer)
            }
            Input::Command { account, cmd } => {
                let reply = self
                    .run_command(account, &cmd, meta)
                    .map_err(|error| Refused {
                        error,
                        doc: None,
                        oper: Some(cmd.oper().to_string()),
                    })?;
                Ok(match reply {
                    Reply::Xml(x) => xml_answer(x),
                    Reply::Zip { name, bytes } => Answer::new(200, "application/zip", bytes)
                        .with_header(
                            CONTENT_DISPOSITION,
                            &format!("attachment; filename=\"{name}\""),
                        ),
                })
            }
        }
    }

    fn refuse(&self, _route: &Route, r: Refused, meta: &mut Meta) -> Answer {
        let e = &r.error;
        let status = e.status.unwrap_or(e.kind.status());
        meta.diagnostics.push(format!(
            "refused: {} (status {status}): {}",
            e.kind.name(),
            e.message
        ));
        meta.refusal = Some(Refusal {
            kind: e.kind.name(),
            code: status as i64,
        });
        let shape = match &r.doc {
            Some(doc) => Shape::Upload(doc),
            None => Shape::Command(r.oper.as_deref()),
        };
        let answer = xml_answer(e.to_xml(shape));
        if e.kind == Kind::Authorization {
            // The body says exactly what the upstream says; the detail goes beside it.
            return answer.with_header(
                hyper::header::HeaderName::from_static("x-signsim-diagnostic"),
                &crate::pipeline::header_text(&e.message),
            );
        }
        answer
    }

    fn fault_hooks(&self) -> Option<&dyn FaultHooks<Podpishi>> {
        Some(self)
    }
}

impl FaultHooks<Podpishi> for Podpishi {
    fn field(&self, input: &Input, name: &str) -> Option<String> {
        match input {
            Input::Upload { form, .. } => form.text(name).ok().flatten(),
            Input::Command { cmd, .. } => cmd.one(name).ok().flatten().map(str::to_string),
            Input::Cabinet { .. } => None,
        }
    }

    fn injected(&self, route: &Route, code: i64, message: &str, meta: &Meta) -> Answer {
        let e = PodpishiError::injected(code, message);
        let doc = DocContext::default();
        let shape = match route {
            Route::Upload => Shape::Upload(&doc),
            _ if meta.operation == "command" => Shape::Command(None),
            _ => Shape::Command(Some(&meta.operation)),
        };
        xml_answer(e.to_xml(shape))
    }
}

impl Podpishi {
    /// Runs a decoded command: its handler by `oper`, after the checks every command shares
    /// (`<oper>` as written, `<time>` present, its form and its distance from now).
    fn run_command(
        &self,
        account: Arc<Account>,
        cmd: &Command,
        meta: &mut Meta,
    ) -> Result<Reply, PodpishiError> {
        let world = self.world();
        let now = self.now();
        let Some((name, handler)) = routes::command(cmd.oper()) else {
            return Err(PodpishiError::new(
                Kind::UnknownOper,
                format!(
                    "<oper> '{}' is not a command of /apistatus.php; the commands are: {}",
                    cmd.oper(),
                    routes::COMMANDS
                        .iter()
                        .map(|(n, ..)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        check_oper(world, cmd, name, &mut meta.warnings)?;
        check_time(world, now, cmd, name, &mut meta.warnings)?;
        let changes = Changes::new();
        let mut ctx = Ctx {
            world,
            store: self.store(),
            now,
            account,
            diag: Vec::new(),
            warnings: Vec::new(),
            changes: &changes,
        };
        let r = handler(&mut ctx, cmd);
        meta.diagnostics.append(&mut ctx.diag);
        meta.warnings.append(&mut ctx.warnings);
        meta.changes = changes.take();
        r
    }
}

/// `<oper>` as the document writes it (the Podpishi document, line 127): another case or
/// whitespace around the name is accepted with a warning.
fn check_oper(
    world: &World,
    cmd: &Command,
    name: &str,
    warnings: &mut Vec<Warning>,
) -> Result<(), PodpishiError> {
    if name != cmd.oper() {
        portable(
            world,
            warnings,
            "oper-case",
            format!("<oper> is '{}'; the document writes '{name}'", cmd.oper()),
        )?;
    }
    if let Some(sent) = &cmd.oper_padded {
        portable(
            world,
            warnings,
            "oper-spaces",
            format!(
                "<oper> is '{sent}' (whitespace around the name); expected exactly '{name}' (the Podpishi document, line 127)"
            ),
        )?;
    }
    Ok(())
}

/// `<time>`, which every command carries (the Podpishi document, lines 131, 192, 225, …):
/// absent or empty, or a date only, is accepted with a warning; a time further from now than
/// `podpishi.stale_time_seconds` is refused.
fn check_time(
    world: &World,
    now: OffsetDateTime,
    cmd: &Command,
    name: &str,
    warnings: &mut Vec<Warning>,
) -> Result<(), PodpishiError> {
    let time = cmd.one("time")?.filter(|t| !t.is_empty());
    if time.is_none() {
        portable(
            world,
            warnings,
            "field-missing",
            format!(
                "<time> of {name} is {}; expected the request's time as YYYYMMDDhhmmss, e.g. 20150130162514 (the Podpishi document, line 131: every command carries <time>)",
                if cmd.one("time")?.is_some() { "empty" } else { "missing" }
            ),
        )?;
    }
    if let Some(t) = time {
        let at = wire::parse_time("time", t, world.zone, false)?;
        if t.len() == 8 {
            portable(
                world,
                warnings,
                "time-date-only",
                format!("<time> is '{t}'; expected YYYYMMDDhhmmss, e.g. 20150130162514 (the Podpishi document, line 131)"),
            )?;
        }
        let window = world.spec.stale_time_seconds;
        if window > 0 && (now - at).whole_seconds().unsigned_abs() > window {
            return Err(PodpishiError::new(
                Kind::StaleTime,
                format!(
                    "<time> {t} is {} s away from the service's time {} ({}); podpishi.stale_time_seconds allows {window} s",
                    (now - at).whole_seconds().abs(),
                    wire::format_time(now, world.zone),
                    world.spec.zone
                ),
            ));
        }
    }
    Ok(())
}

/// The journal's view of a urlencoded command form kept as sent: its login (as sent, trimmed)
/// and its decoded command, as [`command_summary`] shows it.
fn command_request(body: &[u8]) -> Value {
    let form = Form::urlencoded(&bytes::Bytes::copy_from_slice(body)).unwrap_or_default();
    let field = |name: &str| form.text_ref(name).ok().flatten();
    json!({
        "login": field("login").map(str::trim),
        "command": field("command")
            .and_then(|c| Command::decode(c).ok())
            .map(|cmd| command_summary(&cmd)),
    })
}

/// A decoded command as an object of its elements (a repeated element, like `docuniq`,
/// becomes an array), long values shortened: what the journal shows and reactions match on.
fn command_summary(cmd: &Command) -> Value {
    let mut m = serde_json::Map::new();
    for (k, v) in cmd.items() {
        let v = crate::journal::summarize(&Value::String(v.to_string()));
        match m.get_mut(k) {
            Some(Value::Array(a)) => a.push(v),
            Some(prev) => *prev = Value::Array(vec![prev.take(), v]),
            None => {
                m.insert(k.to_string(), v);
            }
        }
    }
    Value::Object(m)
}
