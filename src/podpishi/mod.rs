//! The Podpishi.Online API (Kazakhstan), as documented in `seeds/podpishi-api.ru.txt` and
//! interpreted by SPEC section 2.
//!
//! - [`Podpishi::handle`] is the one wrapper: it serves `POST /api.php` (upload,
//!   [`endpoints::upload`]), `POST /apistatus.php` (the commands of [`COMMANDS`], one file per
//!   `oper` under [`endpoints`]), the minimal web cabinet `GET /cabinet`, and the control
//!   endpoints under `/__admin/podpishi/`. It reads the body under the scenario's limit,
//!   authenticates, decodes the command and maps every [`error::PodpishiError`] to the wire
//!   in one place ([`error::PodpishiError::to_xml`]).
//! - [`World`] is the scenario as handlers need it (tariffs, test signers, trusted roots,
//!   zone, policies); [`state`] holds the stored records. Accounts live in the store (seeded
//!   from the scenario) because partners register new ones and balances change.
//! - [`signing`] verifies CMS signatures against a permission and records them; upload,
//!   `addsignature` and the admin "counterparty signs" endpoint share it.
//!
//! Handlers are synchronous: they read the clock once and change state in one store
//! transaction, so a refusal leaves nothing behind.

pub mod endpoints;
pub mod error;
pub mod signing;
pub mod state;
pub mod wire;

use crate::clock::{Clock, Zone};
use crate::journal::Meta;
use crate::scenario::model::{PodpishiSpec, TariffSpec, UnverifiablePolicy};
use crate::scenario::{PodMaterial, SignerMaterial};
use crate::server::{body, Request, Response};
use crate::store::{Table, Tx};
use bytes::Bytes;
use error::{DocContext, Kind, PodpishiError, Shape};
use http_body_util::Full;
use hyper::{header, Method, StatusCode};
use state::{keys, Account};
use std::sync::Arc;
use time::OffsetDateTime;
use wire::Command;

/// What a command answers.
pub enum Reply {
    /// A complete XML document.
    Xml(String),
    /// `application/zip` (getdoc).
    Zip { name: String, bytes: Vec<u8> },
}

pub type CommandHandler = fn(&mut Ctx<'_>, &Command) -> Result<Reply, PodpishiError>;

/// Every `oper` of `/apistatus.php`, in the document's order.
pub const COMMANDS: &[(&str, CommandHandler)] = &[
    ("getstatus", endpoints::getstatus::handle),
    ("getlistdocs", endpoints::getlistdocs::handle),
    ("getavailabledocs", endpoints::getavailabledocs::handle),
    ("getcreateinvoice", endpoints::getcreateinvoice::handle),
    ("gettarifplan", endpoints::gettarifplan::handle),
    ("getdoc", endpoints::getdoc::handle),
    ("addsignature", endpoints::addsignature::handle),
    ("delpermission", endpoints::delpermission::handle),
    ("addpackage2client", endpoints::addpackage2client::handle),
    ("getlistpartnertrn", endpoints::getlistpartnertrn::handle),
    ("setblockuser", endpoints::setblockuser::handle),
    ("reguserbypartner", endpoints::reguserbypartner::handle),
    ("authuserbypartner", endpoints::authuserbypartner::handle),
];

/// The scenario's Podpishi world.
pub struct World {
    pub spec: PodpishiSpec,
    pub zone: Zone,
    pub signers: Vec<SignerMaterial>,
    pub roots: Vec<Vec<u8>>,
}

impl World {
    pub fn build(spec: &PodpishiSpec, material: PodMaterial) -> World {
        World {
            spec: spec.clone(),
            zone: material.zone,
            signers: material.signers,
            roots: material.roots,
        }
    }

    pub fn tariff(&self, id: u64, field: &str) -> Result<&TariffSpec, PodpishiError> {
        self.spec
            .tariffs
            .iter()
            .find(|t| t.id == id)
            .ok_or_else(|| {
                PodpishiError::new(
                    Kind::UnknownTariff,
                    format!(
                        "<{field}> {id} is not a tariff plan; the plans (gettarifplan) are: {}",
                        self.spec
                            .tariffs
                            .iter()
                            .map(|t| format!("{} {}", t.id, t.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }

    pub fn signer(&self, name: &str) -> Option<&SignerMaterial> {
        self.signers.iter().find(|s| s.name == name)
    }

    pub fn unverifiable(&self) -> UnverifiablePolicy {
        self.spec.unverifiable_algorithm
    }
}

/// Everything a command handler may use for one request.
pub struct Ctx<'a> {
    pub world: &'a World,
    pub store: &'a crate::store::Store,
    pub now: OffsetDateTime,
    pub account: Account,
    /// How the request was judged, for the log.
    pub diag: Vec<String>,
}

impl Ctx<'_> {
    /// A document this account owns or receives.
    pub fn document(&self, num: u64, field: &str) -> Result<state::Document, PodpishiError> {
        let doc: state::Document = self
            .store
            .get(Table::PodDocuments, &keys::document(num))?
            .ok_or_else(|| {
                PodpishiError::new(
                    Kind::DocumentUnknown,
                    format!("<{field}> {num}: there is no document {num}"),
                )
            })?;
        if !doc.visible_to(&self.account) {
            return Err(PodpishiError::new(
                Kind::NotYourDocument,
                format!(
                    "<{field}> {num}: document {num} is between BINs {} and {}; account {} (BINs {}) is neither",
                    doc.owner_bin,
                    doc.receiver_bin,
                    self.account.login,
                    self.account.bins.join(", ")
                ),
            ));
        }
        Ok(doc)
    }

    /// `owner_bin` if given (it must be one of the account's templates), else the first.
    pub fn owner_bin(&self, cmd: &Command) -> Result<String, PodpishiError> {
        match cmd.optional("owner_bin")? {
            Some(b) => {
                if self.account.bins.iter().any(|x| x == b) {
                    Ok(b.to_string())
                } else {
                    Err(PodpishiError::new(
                        Kind::InvalidField,
                        format!(
                            "<owner_bin> {b} is not a template of account {}; its BINs are: {}",
                            self.account.login,
                            self.account.bins.join(", ")
                        ),
                    ))
                }
            }
            None => self.account.bins.first().cloned().ok_or_else(|| {
                PodpishiError::new(
                    Kind::MissingField,
                    format!(
                        "account {} has no BIN template; send <owner_bin>",
                        self.account.login
                    ),
                )
            }),
        }
    }

    /// Refuses a partner command from a non-partner.
    pub fn require_partner(&self, oper: &str) -> Result<(), PodpishiError> {
        if self.account.partner {
            Ok(())
        } else {
            Err(PodpishiError::new(
                Kind::NotPartner,
                format!(
                    "{oper} is a partner command; account {} is not a partner",
                    self.account.login
                ),
            ))
        }
    }

    pub fn time(&self, at: OffsetDateTime) -> String {
        wire::format_time(at, self.world.zone)
    }
}

/// The standard success answer of a command: `<resp err="no" command="…">inner</resp>`.
pub fn ok_resp(oper: &str, inner: &str) -> Reply {
    Reply::Xml(format!(
        "{}<resp err=\"no\" command=\"{oper}\">\n{inner}</resp>",
        error::XML_DECL
    ))
}

/// The `<permission …/>` element of getstatus (and, with `id`/`api_reference`/`name`, of
/// getlistdocs).
pub fn permission_xml(
    ctx: &Ctx<'_>,
    doc: &state::Document,
    p: &state::Permission,
    listing: bool,
) -> String {
    use quick_xml::escape::escape;
    let head = if listing {
        format!(
            "id='{}' i='{}' api_reference='{}' name='{}' ",
            doc.num,
            p.i,
            escape(&doc.reference),
            escape(&doc.name)
        )
    } else {
        format!("i='{}' ", p.i)
    };
    format!(
        "<permission {head}is_own_doc='{}' created='{}' signed_type='{}' must_signed_by_bin='{}' signed='{}' signed_bin='{}' signed_fio='{}' signed_firm='{}' signed_policy='{}' signed_date='{}' sign_deleted='{}' />",
        doc.is_own(&ctx.account) as u8,
        ctx.time(doc.created),
        p.signed_type,
        p.must_signed_by_bin,
        p.signed as u8,
        escape(&p.signed_bin),
        escape(&p.signed_fio),
        escape(&p.signed_firm),
        p.signed_policy,
        p.signed_date.map(|d| ctx.time(d)).unwrap_or_default(),
        p.sign_deleted as u8,
    )
}

/// Stores a document with its files, indexes and the receiver's email, inside `tx`.
pub fn put_document<E>(
    tx: &Tx<'_>,
    doc: &state::Document,
    files: &[(state::StoredFile, Bytes)],
) -> Result<(), crate::store::Abort<E>> {
    for (f, bytes) in files {
        tx.put_raw(Table::PodFiles, f.sha256.as_bytes(), bytes)?;
    }
    tx.put(Table::PodDocuments, &keys::document(doc.num), doc)?;
    tx.put(
        Table::PodByOwner,
        &keys::by_bin(&doc.owner_bin, doc.created, doc.num),
        &(),
    )?;
    if doc.receiver_bin != doc.owner_bin {
        tx.put(
            Table::PodByOwner,
            &keys::by_bin(&doc.receiver_bin, doc.created, doc.num),
            &(),
        )?;
    }
    if !doc.receiver_mail.is_empty() {
        let seq = tx.next_seq("pod.outbox", 1)?;
        let action = match doc
            .permissions
            .iter()
            .find(|p| p.must_signed_by_bin == doc.receiver_bin)
        {
            Some(p) if p.signed_type == 2 => "подписать",
            _ => "просмотреть",
        };
        tx.put(
            Table::PodOutbox,
            &keys::outbox(seq),
            &state::Email {
                seq,
                to: doc.receiver_mail.clone(),
                subject: format!("Подпиши.Онлайн: документ № {} «{}»", doc.num, doc.name),
                body: format!(
                    "Организация с БИН {} направила вам документ № {} «{}». Вам предоставлено право его {action}.",
                    doc.owner_bin, doc.num, doc.name
                ),
                document: doc.num,
                at: doc.created,
            },
        )?;
    }
    Ok(())
}

/// The Podpishi API: cheap to clone, shared by every connection.
#[derive(Clone)]
pub struct Podpishi {
    inner: Arc<Inner>,
}

struct Inner {
    store: crate::store::Store,
    clock: Clock,
    world: World,
    faults: Arc<crate::faults::Faults>,
}

impl Podpishi {
    pub fn new(
        store: crate::store::Store,
        clock: Clock,
        world: World,
        faults: Arc<crate::faults::Faults>,
    ) -> Result<Podpishi, PodpishiError> {
        let p = Podpishi {
            inner: Arc::new(Inner {
                store,
                clock,
                world,
                faults,
            }),
        };
        p.seed()?;
        Ok(p)
    }

    pub fn world(&self) -> &World {
        &self.inner.world
    }

    pub fn store(&self) -> &crate::store::Store {
        &self.inner.store
    }

    /// Puts the scenario's accounts in the store unless a data directory already has them.
    fn seed(&self) -> Result<(), PodpishiError> {
        let world = &self.inner.world;
        self.inner.store.write::<_, PodpishiError>(|tx| {
            for (i, a) in world.spec.accounts.iter().enumerate() {
                let k = keys::account(&a.login);
                if tx.get::<Account, _>(Table::PodAccounts, &k)?.is_some() {
                    continue;
                }
                let sid = a.service_id.unwrap_or(1000 + i as u64 + 1);
                let acc = Account {
                    login: a.login.clone(),
                    apikey: a.apikey.clone(),
                    bins: a.bins.clone(),
                    balance: a.balance,
                    partner: a.partner,
                    blocked: a.blocked,
                    service_id: sid,
                    registered_by: None,
                    remote_id: None,
                };
                tx.put(Table::PodAccounts, &k, &acc)?;
                tx.put(
                    Table::PodAccounts,
                    &keys::service_id(sid),
                    &acc.login.to_lowercase(),
                )?;
                for b in &acc.bins {
                    tx.put(Table::PodAccounts, &keys::bin(b, &acc.login), &())?;
                }
            }
            Ok(())
        })?;
        Ok(())
    }

    /// login + apikey → the account (request-level `Authorization error (code=0)` otherwise).
    pub fn authenticate(
        &self,
        login: Option<String>,
        apikey: Option<String>,
    ) -> Result<Account, PodpishiError> {
        let auth = |m: String| PodpishiError::new(Kind::Authorization, m);
        let login = login.map(|l| l.trim().to_string()).unwrap_or_default();
        let apikey = apikey.map(|l| l.trim().to_string()).unwrap_or_default();
        if login.is_empty() {
            return Err(auth("login is missing".into()));
        }
        if apikey.is_empty() {
            return Err(auth("apikey is missing".into()));
        }
        if login.chars().count() > 30 {
            return Err(auth(format!(
                "login '{login}' is longer than 30 characters"
            )));
        }
        if apikey.chars().count() != 32 {
            return Err(auth(format!(
                "apikey has {} characters; it has exactly 32",
                apikey.chars().count()
            )));
        }
        let acc: Account = self
            .inner
            .store
            .get(Table::PodAccounts, &keys::account(&login))?
            .ok_or_else(|| auth(format!("login '{login}' is not an account of this service")))?;
        if acc.apikey != apikey {
            return Err(auth(format!("apikey is not the key of account '{login}' (see Управление in the cabinet; the scenario's accounts list it)")));
        }
        Ok(acc)
    }

    /// Serves `/api.php`, `/apistatus.php`, `/cabinet` and `/__admin/podpishi/…`, and tells the
    /// journal what it did ([`Meta`] response extension).
    pub async fn handle(&self, req: Request) -> Response {
        let mut meta = Meta {
            api: "podpishi",
            ..Meta::default()
        };
        let mut resp = self.serve(req, &mut meta).await;
        resp.extensions_mut().insert(meta);
        resp
    }

    async fn serve(&self, req: Request, meta: &mut Meta) -> Response {
        let path = req.uri().path().to_string();
        meta.operation = match path.as_str() {
            "/api.php" => "upload".into(),
            "/cabinet" => "cabinet".into(),
            p if p.starts_with("/__admin/") => "admin".into(),
            _ => String::new(),
        };
        if path == "/cabinet" {
            return endpoints::cabinet::handle(self, &req);
        }
        if let Some(rest) = path.strip_prefix("/__admin/podpishi/") {
            return endpoints::admin::handle(self, req, rest.to_string()).await;
        }
        let is_upload = path == "/api.php";
        let ctx_doc = DocContext::default();
        if req.method() != Method::POST {
            let e = PodpishiError::new(
                Kind::MalformedRequest,
                format!("{} is called with POST only, not {}", path, req.method()),
            );
            let shape = if is_upload {
                Shape::Upload(&ctx_doc)
            } else {
                Shape::Command(None)
            };
            return xml_response(e.to_xml(shape));
        }
        let limit = if is_upload {
            self.inner.world.spec.max_upload_bytes
        } else {
            self.inner.world.spec.max_command_bytes
        };
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = match body::read_limited(req, limit).await {
            Ok((_, b)) => b,
            Err(body::BodyError::TooLarge { limit }) => {
                let e = PodpishiError::new(
                    Kind::BodyTooLarge,
                    format!(
                        "the request body is over {limit} bytes (podpishi.{})",
                        if is_upload {
                            "max_upload_bytes"
                        } else {
                            "max_command_bytes"
                        }
                    ),
                );
                let shape = if is_upload {
                    Shape::Upload(&ctx_doc)
                } else {
                    Shape::Command(None)
                };
                return xml_response(e.to_xml(shape));
            }
            Err(body::BodyError::Read(e)) => {
                let e = PodpishiError::new(
                    Kind::MalformedRequest,
                    format!("the request body could not be read: {e}"),
                );
                return xml_response(e.to_xml(Shape::Command(None)));
            }
        };
        if is_upload {
            meta.request = serde_json::json!({"multipart": {"bytes": body.len(), "sha256": crate::crypto::sha256_hex(&body)}});
            // A fault rule may match an upload field (a "magic" BIN): read the form for it only
            // when rules exist.
            let form = if self.inner.faults.armed() {
                wire::Form::read(&content_type, body.clone()).await.ok()
            } else {
                None
            };
            let fault = self.fault("upload", &|f| {
                form.as_ref().and_then(|form| form.text(f).ok().flatten())
            });
            if let Some(resp) = self
                .early_fault(&fault, meta, Shape::Upload(&ctx_doc))
                .await
            {
                return resp;
            }
            let (result, doc) = endpoints::upload::handle(self, &content_type, body).await;
            if doc.summary.is_object() {
                meta.request = doc.summary.clone();
            }
            meta.diagnostics.extend(doc.diagnostics.iter().cloned());
            let text = match result {
                Ok(xml) => {
                    meta.success = Some(true);
                    meta.record = xml
                        .split("num='")
                        .nth(1)
                        .and_then(|r| r.split('\'').next())
                        .map(str::to_string);
                    xml
                }
                Err(e) => {
                    meta.success = Some(false);
                    meta.diagnostics
                        .push(format!("refused: {:?}: {}", e.kind, e.message));
                    tracing::info!(status = e.kind.status(), "upload refused: {}", e.message);
                    e.to_xml(Shape::Upload(&doc))
                }
            };
            return late_fault(&fault, xml_response(text));
        }
        let (oper, decoded) = self.command(&content_type, body).await;
        meta.operation = oper.clone().unwrap_or_else(|| "command".into());
        let (result, fault) = match decoded {
            Err(e) => {
                // A request that never became a command still meets the rules for its
                // operation (or the rules without one): a field rule just can not match it.
                let fault = self.fault(oper.as_deref().unwrap_or(""), &|_| None);
                if let Some(resp) = self
                    .early_fault(&fault, meta, Shape::Command(oper.as_deref()))
                    .await
                {
                    return resp;
                }
                (Err(e), fault)
            }
            Ok((account, cmd)) => {
                meta.request = serde_json::json!({
                    "login": account.login,
                    "command": command_summary(&cmd),
                });
                meta.record = cmd
                    .one("docnum")
                    .ok()
                    .flatten()
                    .or(cmd.one("docuniq").ok().flatten())
                    .map(str::to_string);
                let fault = self.fault(&cmd.oper, &|f| {
                    cmd.one(f).ok().flatten().map(str::to_string)
                });
                if let Some(resp) = self
                    .early_fault(&fault, meta, Shape::Command(oper.as_deref()))
                    .await
                {
                    return resp;
                }
                let (r, mut diag) = self.run_command(account, &cmd);
                meta.diagnostics.append(&mut diag);
                (r, fault)
            }
        };
        meta.success = Some(result.is_ok());
        if let Err(e) = &result {
            meta.diagnostics.push(format!(
                "refused: {:?} (status {}): {}",
                e.kind,
                e.kind.status(),
                e.message
            ));
        }
        let resp = match result {
            Ok(Reply::Xml(x)) => xml_response(x),
            Ok(Reply::Zip { name, bytes }) => hyper::Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/zip")
                .header(
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                )
                .body(Full::new(Bytes::from(bytes)))
                .unwrap_or_default(),
            Err(e) => {
                tracing::info!(
                    oper = oper.as_deref().unwrap_or(""),
                    status = e.kind.status(),
                    "command refused: {}",
                    e.message
                );
                xml_response(e.to_xml(Shape::Command(oper.as_deref())))
            }
        };
        late_fault(&fault, resp)
    }

    fn fault(
        &self,
        oper: &str,
        field: &dyn Fn(&str) -> Option<String>,
    ) -> Option<crate::faults::Decision> {
        if !self.inner.faults.armed() {
            return None;
        }
        self.inner.faults.decide("podpishi", oper, field)
    }

    /// Applies the part of a fault that happens before the command runs; returns the answer
    /// when the fault replaces it.
    async fn early_fault(
        &self,
        fault: &Option<crate::faults::Decision>,
        meta: &mut Meta,
        shape: Shape<'_>,
    ) -> Option<Response> {
        use crate::faults::Action;
        let d = fault.as_ref()?;
        meta.diagnostics.push(format!("fault {}", d.describe()));
        match &d.action {
            Action::Delay { .. } => {
                tokio::time::sleep(std::time::Duration::from_millis(d.delay_ms)).await;
                None
            }
            Action::Error { code, message } => {
                meta.success = Some(false);
                Some(xml_response(
                    PodpishiError::injected(*code, message).to_xml(shape),
                ))
            }
            Action::Status { status, body } => {
                meta.success = Some(false);
                let mut resp = xml_response(body.clone().unwrap_or_default());
                *resp.status_mut() =
                    StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY);
                Some(resp)
            }
            Action::Reset | Action::Empty => {
                let mut resp = xml_response(String::new());
                resp.extensions_mut().insert(if d.action == Action::Reset {
                    crate::server::ConnectionFault::Reset
                } else {
                    crate::server::ConnectionFault::Close
                });
                Some(resp)
            }
            Action::Truncate | Action::Malformed => None,
        }
    }

    async fn command(
        &self,
        content_type: &str,
        body: Bytes,
    ) -> (Option<String>, Result<(Account, Command), PodpishiError>) {
        let form = match wire::Form::read(content_type, body).await {
            Ok(f) => f,
            Err(e) => return (None, Err(e)),
        };
        let account = match form
            .text("login")
            .and_then(|l| Ok((l, form.text("apikey")?)))
            .and_then(|(l, k)| self.authenticate(l, k))
        {
            Ok(a) => a,
            Err(e) => return (None, Err(e)),
        };
        let cmd = match form
            .text("command")
            .and_then(|c| Command::decode(&c.unwrap_or_default()))
        {
            Ok(c) => c,
            Err(e) => return (None, Err(e)),
        };
        (Some(cmd.oper.clone()), Ok((account, cmd)))
    }

    /// Runs a decoded command; returns its answer and how it was judged.
    fn run_command(
        &self,
        account: Account,
        cmd: &Command,
    ) -> (Result<Reply, PodpishiError>, Vec<String>) {
        match self.run_command_inner(account, cmd) {
            Ok(pair) => pair,
            Err(e) => (Err(e), Vec::new()),
        }
    }

    fn run_command_inner(
        &self,
        account: Account,
        cmd: &Command,
    ) -> Result<(Result<Reply, PodpishiError>, Vec<String>), PodpishiError> {
        let world = &self.inner.world;
        let now = self.inner.clock.now();
        let Some((name, handler)) = COMMANDS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&cmd.oper))
        else {
            return Ok((
                Err(PodpishiError::new(
                    Kind::UnknownOper,
                    format!(
                        "<oper> '{}' is not a command of /apistatus.php; the commands are: {}",
                        cmd.oper,
                        COMMANDS
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )),
                Vec::new(),
            ));
        };
        if let Some(t) = cmd.one("time")?.filter(|t| !t.is_empty()) {
            let at = wire::parse_time("time", t, world.zone, false)?;
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
        let mut ctx = Ctx {
            world,
            store: &self.inner.store,
            now,
            account,
            diag: Vec::new(),
        };
        let r = handler(&mut ctx, cmd);
        if !ctx.diag.is_empty() {
            tracing::debug!(oper = name, "{}", ctx.diag.join("; "));
        }
        Ok((r, ctx.diag))
    }

    pub fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }
}

/// A decoded command as an object of its elements (a repeated element, like `docuniq`,
/// becomes an array), long values shortened: what the journal shows and reactions match on.
fn command_summary(cmd: &Command) -> serde_json::Value {
    use serde_json::Value;
    let mut m = serde_json::Map::new();
    for (k, v) in &cmd.items {
        let v = crate::journal::summarize(&Value::String(v.clone()));
        match m.get_mut(k) {
            Some(Value::Array(a)) => a.push(v),
            Some(prev) => *prev = Value::Array(vec![prev.take(), v]),
            None => {
                m.insert(k.clone(), v);
            }
        }
    }
    Value::Object(m)
}

/// Applies the part of a fault that changes a finished answer (truncate, malformed).
fn late_fault(fault: &Option<crate::faults::Decision>, resp: Response) -> Response {
    use crate::faults::Action;
    match fault.as_ref().map(|d| &d.action) {
        Some(Action::Truncate) => {
            let (parts, body) = resp.into_parts();
            let bytes = body.into_inner_bytes();
            Response::from_parts(parts, Full::new(bytes.slice(..bytes.len() / 2)))
        }
        Some(Action::Malformed) => {
            let (parts, _) = resp.into_parts();
            Response::from_parts(parts, Full::new(Bytes::from_static(b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>")))
        }
        _ => resp,
    }
}

/// The bytes of a `Full` body without polling it.
trait IntoInnerBytes {
    fn into_inner_bytes(self) -> Bytes;
}

impl IntoInnerBytes for Full<Bytes> {
    fn into_inner_bytes(self) -> Bytes {
        use http_body_util::BodyExt;
        futures_util::FutureExt::now_or_never(self.collect())
            .and_then(Result::ok)
            .map(|c| c.to_bytes())
            .unwrap_or_default()
    }
}

/// Characters XML 1.0 forbids (C0 controls other than tab, LF, CR; U+FFFE, U+FFFF).
fn xml_forbidden(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
}

/// Every XML answer passes here: a value echoed from a request can not make it ill-formed
/// (a forbidden character becomes U+FFFD; requests carrying one are refused before this).
pub fn xml_response(text: String) -> Response {
    let text = if text.chars().any(xml_forbidden) {
        text.chars()
            .map(|c| if xml_forbidden(c) { '\u{FFFD}' } else { c })
            .collect()
    } else {
        text
    };
    hyper::Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/xml; charset=UTF-8")
        .body(Full::new(Bytes::from(text)))
        .unwrap_or_default()
}
