//! The request journal: a bounded record of every request and how it was judged.
//!
//! The request pipeline (`pipeline`) gives every request an id (`X-Signsim-Request-Id`)
//! and, once the answer is ready, appends an [`Entry`]: time, method, path, content type, the API and operation, a
//! summary of the request (fields; binary parts as size + SHA-256), the response status and a
//! summary of its body, the duration, the fault applied if any, and the diagnostics the API
//! attached — which signature form matched or everything tried, which properties were bound
//! case-insensitively, the state transition taken, policy decisions.
//!
//! The entry is written once, from the [`Meta`] the pipeline and the API's handler filled
//! while judging the request; the journal never changes a response.
//!
//! Memory is bounded twice (docs/control-api.md, journal entries): each entry keeps at most
//! [`KEYS_PER_OBJECT`] keys per object, [`ITEMS_PER_ARRAY`] items per array, [`DEPTH`] levels,
//! strings of 96 characters (longer ones as head + length + SHA-256) and [`REQUEST_BYTES`] of
//! request summary, each cut noted in place (`"…": "59936 more keys not kept …"`); and the
//! ring keeps the newest `capacity` entries whose estimated size fits the byte budget
//! (`--journal-bytes`, default 16 MiB). Evictions are counted.
//!
//! Secrets are masked when an entry is pushed and when a body is rendered: values of the
//! properties and elements named in [`SECRETS`] (P12 `password`, `reportkey`, `sesspass`,
//! `apikey`) show as `********` — the journal is what the control API serves.
//!
//! Rationale: the journal sits on every request, so an entry is built from data the API
//! already has (no re-parsing) and the lock is held only to push. The ring keeps each entry
//! packed (`packed`: a small slot and one block for everything it owns) and rebuilds the
//! [`Entry`] when the journal is read: what 1 000 kept entries cost a request is mostly the
//! memory they hold.

use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

mod graves;
mod packed;

use packed::Packed;

/// What the pipeline and an API's handler tell the journal about one request: typed, filled
/// as the request is judged, never parsed back out of strings or answers.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Meta {
    /// `pki`, `podpishi`, `admin`, `scenario`, or `other` (a path no API owns).
    pub api: &'static str,
    /// The upstream method (`RegisterInfo`) or command (`getstatus`), or the admin route: a
    /// route's own name is borrowed, not copied into every entry.
    pub operation: Cow<'static, str>,
    /// Whether the API answered success in its own terms (`IsSuccess`, `err="no"`).
    pub success: Option<bool>,
    /// The request as the API read it (fields; long values shortened; binaries summarised).
    pub request: Request,
    /// The fault rule applied, as `name: what it did`.
    pub fault: Option<String>,
    /// The error kind the API refused with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
    /// How the request was judged.
    pub diagnostics: Vec<String>,
    /// Portability warnings: acceptances that rely on behaviour production may not share.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// The record the request created or touched (tracking code, document number).
    pub record: Option<String>,
    /// The state-machine transitions the request applied, in order (see [`crate::changes`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<crate::changes::Change>,
    /// Whose request it was, once the API knew: the PKI customer code, the Podpishi login
    /// (contract coverage is kept per tenant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The kind of the fault rule's action applied (`delay`, `error`, …; see `fault`).
    #[serde(skip)]
    pub fault_kind: Option<&'static str>,
    /// What a scenario event or reaction did (its action kind: `approve`, `clock_jump`, …), or
    /// how a control call moved the clock (`set`, `advance`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'static str>,
    /// The query and body bytes as they arrived, for `GET /__admin/requests/{id}/curl` (never
    /// in the entry's JSON: they hold what the summary masks).
    #[serde(skip)]
    pub sent: crate::replay::Sent,
    /// The answer came from the GET cache: its bytes are the cache's, shared, so the journal
    /// keeps a reference to them, not a copy.
    #[serde(skip)]
    pub cached: bool,
}

/// A request as the journal keeps it. A small JSON body or a query string is kept as sent
/// and summarised (parsed, long values shortened, secrets masked, caps applied) only when the
/// journal is read or a filter looks into it: the request path pays for one copy of a few
/// hundred bytes, not for building and dropping a JSON tree.
#[derive(Clone, Debug, Default)]
pub enum Request {
    #[default]
    None,
    /// Already summarised by the API (Podpishi commands, uploads, large bodies).
    Summary(Value),
    /// A JSON body of at most [`KEEP_BYTES`] that parsed as an object.
    Json(bytes::Bytes),
    /// A query string, shown as its decoded pairs.
    Query(String),
    /// A body of at most [`KEEP_BYTES`] with the API's function that summarises it when the
    /// journal is read (a Podpishi command form: its login and decoded command).
    Deferred {
        bytes: bytes::Bytes,
        render: fn(&[u8]) -> Value,
    },
}

impl Request {
    /// A JSON body the API parsed: kept as sent when small, otherwise summarised now from
    /// `summary` (which the API builds from what it parsed).
    pub fn json(
        sent: &crate::replay::Sent,
        body: &[u8],
        summary: impl FnOnce() -> Value,
    ) -> Request {
        if body.len() <= KEEP_BYTES {
            // The body kept for copy as curl, shared (the ring keeps one copy of both).
            Request::Json(sent.share(body))
        } else {
            Request::Summary(summary())
        }
    }

    /// A body the API read and summarises with `render` when the journal is read; the caller
    /// keeps it to at most [`KEEP_BYTES`].
    pub fn deferred(
        sent: &crate::replay::Sent,
        body: &[u8],
        render: fn(&[u8]) -> Value,
    ) -> Request {
        Request::Deferred {
            // Shared, as in [`Request::json`].
            bytes: sent.share(body),
            render,
        }
    }

    /// The summary the control API shows.
    pub fn render(&self) -> Value {
        match self {
            Request::None => Value::Null,
            // Masked and capped as a summary made at bind time is when pushed.
            Request::Deferred { bytes, render } => {
                let mut v = render(bytes);
                redact(&mut v);
                bound(&v, 0, &mut REQUEST_BYTES.clone())
            }
            Request::Summary(v) => v.clone(),
            Request::Json(b) => {
                let body = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
                match serde_json::from_slice::<Value>(body) {
                    Ok(v) => kept_summary(&v),
                    Err(_) => Value::String(redacted_text(&String::from_utf8_lossy(b))),
                }
            }
            Request::Query(q) => {
                let pairs: serde_json::Map<String, Value> =
                    crate::server::router::query_pairs(Some(q))
                        .into_iter()
                        .map(|(k, v)| (k, Value::String(v)))
                        .collect();
                kept_summary(&Value::Object(pairs))
            }
        }
    }

    /// A field by dotted path, as [`request_field`] reads it.
    pub fn field(&self, path: &str) -> Option<String> {
        match self {
            Request::None => None,
            Request::Summary(v) => request_field(v, path),
            _ => request_field(&self.render(), path),
        }
    }

    /// Roughly the bytes it holds on to.
    fn weight(&self) -> usize {
        match self {
            Request::None => 0,
            Request::Summary(v) => weight(v),
            Request::Json(b) => 32 + b.len(),
            Request::Query(q) => 32 + q.len(),
            Request::Deferred { bytes, .. } => 32 + bytes.len(),
        }
    }
}

/// What the journal shows of a request value: long strings shortened, secrets masked, caps
/// applied.
fn kept_summary(v: &Value) -> Value {
    bound(&redacted(summarize(v)), 0, &mut REQUEST_BYTES.clone())
}

impl Serialize for Request {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.render().serialize(s)
    }
}

/// The error an API refused a request with.
#[derive(Clone, Debug, Serialize)]
pub struct Refusal {
    /// The catalogue name (`SignatureInvalid`).
    pub kind: &'static str,
    /// The code the client saw (`ErrorCode`, `<status>`, HTTP status for the control API).
    pub code: i64,
}

/// One acceptance that relies on behaviour the upstream may not share.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Warning {
    pub kind: &'static str,
    pub reason: String,
}

impl Meta {
    pub fn new(api: &'static str, operation: impl Into<Cow<'static, str>>) -> Meta {
        Meta {
            api,
            operation: operation.into(),
            ..Meta::default()
        }
    }
}

/// One journaled request: what arrived, what the API made of it ([`Meta`]), what went back.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub id: u64,
    /// On the emulator's clock; shown as RFC 3339 UTC. Both stamps are kept as the system
    /// clock gives them and made dates only when the journal is read.
    #[serde(serialize_with = "rfc3339")]
    pub time: std::time::SystemTime,
    /// The real time it was served (milliseconds), whatever the scenario clock said.
    #[serde(serialize_with = "wall")]
    pub wall_time: std::time::SystemTime,
    /// A standard method or a common content type is borrowed, not copied into every entry.
    pub method: Cow<'static, str>,
    pub path: String,
    pub content_type: Cow<'static, str>,
    pub status: u16,
    pub response: Body,
    pub duration_us: u64,
    #[serde(flatten)]
    pub meta: Meta,
}

/// A response body as the journal keeps it: small bodies verbatim (rendered only when the
/// journal is read — the request path pays for a reference count, not for JSON parsing),
/// large ones as size and SHA-256.
#[derive(Clone, Debug)]
pub struct Body {
    content_type: &'static str,
    kept: Kept,
}

#[derive(Clone, Debug)]
enum Kept {
    Bytes(bytes::Bytes),
    /// A JSON body over [`KEEP_BYTES`]: its summary (long strings shortened, caps applied).
    Json {
        len: usize,
        sha256: String,
        summary: Value,
    },
    Digest {
        len: usize,
        sha256: String,
        head: bytes::Bytes,
    },
}

/// JSON bodies up to this size are summarised when larger than [`KEEP_BYTES`] (so a PKCS#12 in
/// an answer shows as its length and digest, never as a readable head).
const SUMMARISE_JSON_BYTES: usize = 256 * 1024;

/// Bodies up to this size are kept verbatim (JSON answers render whole); larger ones keep their
/// size, SHA-256 and a 2 KiB head, so a full journal stays a few MiB.
pub const KEEP_BYTES: usize = 4 * 1024;

impl Body {
    pub fn new(content_type: &'static str, bytes: &bytes::Bytes) -> Body {
        // Looked at only for a body too large to keep as it is.
        let json = || content_type.contains("json") && bytes.len() <= SUMMARISE_JSON_BYTES;
        let parsed = || {
            serde_json::from_slice::<Value>(bytes)
                .ok()
                .map(|v| bound(&redacted(summarize(&v)), 0, &mut REQUEST_BYTES.clone()))
        };
        let kept = if bytes.len() <= KEEP_BYTES {
            Kept::Bytes(bytes.clone())
        } else if let Some(summary) = json().then(parsed).flatten() {
            Kept::Json {
                len: bytes.len(),
                sha256: crate::crypto::sha256_hex(bytes),
                summary,
            }
        } else {
            Kept::Digest {
                len: bytes.len(),
                sha256: crate::crypto::sha256_hex(bytes),
                // A copy: a slice would keep the whole body alive as long as the entry.
                head: bytes::Bytes::copy_from_slice(&bytes[..2048]),
            }
        };
        Body { content_type, kept }
    }

    pub fn text(text: &str) -> Body {
        Body {
            content_type: "text/plain",
            kept: Kept::Bytes(bytes::Bytes::from(text.to_string())),
        }
    }

    /// Small JSON parsed (long strings shortened), text as its head, anything else as size +
    /// SHA-256.
    pub fn render(&self) -> Value {
        let ct = self.content_type;
        match &self.kept {
            Kept::Json {
                len,
                sha256,
                summary,
            } => serde_json::json!({"bytes": len, "sha256": sha256, "summary": summary}),
            Kept::Digest { len, sha256, head } => {
                if ct.contains("json") || ct.contains("xml") || ct.starts_with("text/") {
                    serde_json::json!({"bytes": len, "sha256": sha256, "head": redacted_text(&String::from_utf8_lossy(head))})
                } else {
                    serde_json::json!({"bytes": len, "sha256": sha256})
                }
            }
            Kept::Bytes(b) => {
                if ct.contains("json") {
                    if let Ok(v) = serde_json::from_slice::<Value>(b) {
                        return redacted(summarize(&v));
                    }
                }
                if ct.contains("json") || ct.contains("xml") || ct.starts_with("text/") {
                    return Value::String(redacted_text(&String::from_utf8_lossy(
                        &b[..b.len().min(2048)],
                    )));
                }
                serde_json::json!({"bytes": b.len(), "sha256": crate::crypto::sha256_hex(b)})
            }
        }
    }
}

impl Body {
    /// Roughly the bytes this body holds on to.
    fn weight(&self) -> usize {
        self.content_type.len()
            + match &self.kept {
                Kept::Bytes(b) => b.len(),
                Kept::Json { summary, .. } => 96 + weight(summary),
                Kept::Digest { head, .. } => 96 + head.len(),
            }
    }
}

impl Serialize for Body {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.render().serialize(s)
    }
}

fn wall<S: serde::Serializer>(t: &std::time::SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::clock::wall_time((*t).into()))
}

fn rfc3339<S: serde::Serializer>(t: &std::time::SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::clock::wire_time((*t).into()))
}

/// How many control-API calls the journal keeps (in their own ring, see `pipeline::Shared`).
pub const ADMIN_CAPACITY: usize = 200;

pub struct Journal {
    /// The entries and their accounts, behind one lock: every request takes it, from both
    /// connection lanes, so each lock or counter of its own was one more cache line moved
    /// between the cores per request.
    ring: Mutex<Ring>,
    /// Where entries another thread evicts wait for their maker to free them.
    graves: graves::Graves,
    capacity: usize,
    budget: usize,
    next_id: AtomicU64,
}

/// The kept entries, oldest first, and what the budget and the control API count of them.
struct Ring {
    entries: VecDeque<Packed>,
    /// Each entry's estimated size and the grave of the thread that made it, in ring order.
    sizes: VecDeque<(usize, u8)>,
    /// The sizes' sum.
    bytes: usize,
    evicted: u64,
}

/// Which entries a query selects (every field optional).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub api: Option<String>,
    pub operation: Option<String>,
    pub status: Option<u16>,
    pub success: Option<bool>,
    /// Entries with an id greater than this.
    pub since: Option<u64>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub record: Option<String>,
    /// A request field by dotted path (`personData.NationalCode`, names in any case; a Podpishi
    /// command's elements by their own name) …
    pub field: Option<String>,
    /// … and the value it must have (without it, the field must be present).
    pub value: Option<String>,
    pub limit: Option<usize>,
    /// `admin`: the control API's own calls too (they are left out otherwise). The journal
    /// itself does not read it: the control API decides which rings a query reads.
    pub include: Option<String>,
}

impl Filter {
    fn matches(&self, e: &Entry) -> bool {
        self.api
            .as_ref()
            .is_none_or(|a| a.eq_ignore_ascii_case(e.meta.api))
            && self
                .operation
                .as_ref()
                .is_none_or(|o| o.eq_ignore_ascii_case(&e.meta.operation))
            && self.status.is_none_or(|s| s == e.status)
            && self.success.is_none_or(|s| Some(s) == e.meta.success)
            && self.since.is_none_or(|s| e.id > s)
            && self
                .method
                .as_ref()
                .is_none_or(|m| m.eq_ignore_ascii_case(&e.method))
            && self
                .path
                .as_ref()
                .is_none_or(|p| e.path.contains(p.as_str()))
            && self
                .record
                .as_ref()
                .is_none_or(|r| e.meta.record.as_deref() == Some(r.as_str()))
            && self.field.as_ref().is_none_or(|f| {
                let found = e.meta.request.field(f);
                match &self.value {
                    Some(v) => found.as_deref() == Some(v.as_str()),
                    None => found.is_some(),
                }
            })
    }
}

impl Journal {
    /// A journal of `capacity` entries within the default byte budget (16 MiB).
    pub fn new(capacity: usize) -> Journal {
        Journal::with_budget(capacity, 16 * 1024 * 1024)
    }

    /// A journal of at most `capacity` entries and about `budget` bytes.
    pub fn with_budget(capacity: usize, budget: usize) -> Journal {
        Journal {
            ring: Mutex::new(Ring {
                entries: VecDeque::with_capacity(capacity.min(1024)),
                sizes: VecDeque::with_capacity(capacity.min(1024)),
                bytes: 0,
                evicted: 0,
            }),
            capacity,
            budget: budget.max(1),
            next_id: AtomicU64::new(1),
            graves: graves::Graves::new(),
        }
    }

    /// The id of the next request.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Whether entries are kept at all (`--journal-size 0` turns the journal off).
    pub fn is_on(&self) -> bool {
        self.capacity > 0
    }

    /// Appends an entry — secrets masked, caps applied — evicting the oldest entries while
    /// the ring is full or over its byte budget (the newest entry always stays); kept nowhere
    /// when the journal is off.
    pub fn push(&self, mut entry: Entry) {
        if !self.is_on() {
            return;
        }
        let me = graves::maker();
        self.graves.free_mine(me);
        bound_entry(&mut entry);
        let w = entry_weight(&entry);
        let packed = Packed::pack(&mut entry);
        drop(entry);
        // The evicted entries (usually one) are freed or buried after the locks are released.
        let mut first: Option<(u8, Packed)> = None;
        let mut more: Vec<(u8, Packed)> = Vec::new();
        {
            let mut guard = crate::sync::lock(&self.ring);
            let ring = &mut *guard;
            while !ring.entries.is_empty()
                && (ring.entries.len() >= self.capacity || ring.bytes + w > self.budget)
            {
                let (size, maker) = ring.sizes.pop_front().unwrap_or((0, me));
                ring.bytes -= size;
                if let Some(old) = ring.entries.pop_front() {
                    match first {
                        None => first = Some((maker, old)),
                        Some(_) => more.push((maker, old)),
                    }
                }
                ring.evicted += 1;
            }
            ring.entries.push_back(packed);
            ring.sizes.push_back((w, me));
            ring.bytes += w;
        }
        for (maker, old) in first.into_iter().chain(more) {
            self.graves.bury(me, maker, old);
        }
    }

    /// The estimated bytes the kept entries hold.
    pub fn bytes(&self) -> usize {
        crate::sync::lock(&self.ring).bytes
    }

    /// The byte budget (`--journal-bytes`).
    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Matching entries, oldest first, at most `limit` (the newest ones when limited).
    pub fn query(&self, f: &Filter) -> Vec<Entry> {
        let limit = f.limit.unwrap_or(usize::MAX);
        let ring = crate::sync::lock(&self.ring);
        // Newest first, so a limited query rebuilds only the entries it returns.
        let mut found: Vec<Entry> = ring
            .entries
            .iter()
            .rev()
            .filter(|p| p.may_match(f))
            .map(Packed::unpack)
            .filter(|e| f.matches(e))
            .take(limit)
            .collect();
        drop(ring);
        found.reverse();
        found
    }

    pub fn count(&self, f: &Filter) -> usize {
        crate::sync::lock(&self.ring)
            .entries
            .iter()
            .filter(|p| p.may_match(f) && f.matches(&p.unpack()))
            .count()
    }

    pub fn get(&self, id: u64) -> Option<Entry> {
        crate::sync::lock(&self.ring)
            .entries
            .iter()
            .find(|e| e.id() == id)
            .map(Packed::unpack)
    }

    pub fn clear(&self) {
        let mut ring = crate::sync::lock(&self.ring);
        ring.entries.clear();
        ring.sizes = VecDeque::new();
        ring.bytes = 0;
        drop(ring);
        self.graves.clear();
    }

    pub fn len(&self) -> usize {
        crate::sync::lock(&self.ring).entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn evicted(&self) -> u64 {
        crate::sync::lock(&self.ring).evicted
    }
}

/// A field of a journaled request by dotted path, names in any case (`personData.NationalCode`);
/// a Podpishi command's elements (under `command`) by their own name. Numbers and booleans as
/// their JSON text; `null` is absent. Fault rules and reactions name fields the same way.
pub fn request_field(request: &Value, path: &str) -> Option<String> {
    if let Some(found) = request
        .get("command")
        .filter(|c| c.is_object())
        .and_then(|c| request_field(c, path))
    {
        return Some(found);
    }
    let mut cur = request;
    for part in path.split('.') {
        let obj = cur.as_object()?;
        cur = obj
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(part))
            .map(|(_, v)| v)?;
    }
    match cur {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        v => Some(v.to_string()),
    }
}

/// Shortens long strings inside a JSON value (signatures, CSRs, certificates) for the journal.
pub fn summarize(v: &Value) -> Value {
    match v {
        Value::String(s) if s.chars().count() > 96 => {
            let head: String = s.chars().take(48).collect();
            Value::String(format!(
                "{head}… ({} chars, sha256 {})",
                s.chars().count(),
                &crate::crypto::sha256_hex(s.as_bytes())[..16]
            ))
        }
        Value::Array(a) => Value::Array(a.iter().take(50).map(summarize).collect()),
        // One more key than the journal keeps, so the cap (applied at push) still counts.
        Value::Object(m) if m.len() > KEYS_PER_OBJECT => {
            let mut out: serde_json::Map<String, Value> = m
                .iter()
                .take(KEYS_PER_OBJECT)
                .map(|(k, v)| (k.clone(), summarize(v)))
                .collect();
            out.insert(
                "…".into(),
                Value::String(format!(
                    "{} more keys not kept (the journal keeps {KEYS_PER_OBJECT} keys per object)",
                    m.len() - KEYS_PER_OBJECT
                )),
            );
            Value::Object(out)
        }
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), summarize(v))).collect())
        }
        other => other.clone(),
    }
}

/// Properties and elements whose values the control API never shows (any case).
pub const SECRETS: [&str; 5] = [
    "password",
    "reportkey",
    "sesspass",
    "apikey",
    "p12_password_sha256",
];

/// What a masked secret shows as.
pub const MASK: &str = "********";

fn is_secret(name: &str) -> bool {
    SECRETS.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// Masks the values of [`SECRETS`] properties, at any depth.
pub fn redact(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                if is_secret(k) {
                    if !v.is_null() {
                        *v = Value::String(MASK.into());
                    }
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact),
        _ => {}
    }
}

fn redacted(mut v: Value) -> Value {
    redact(&mut v);
    v
}

/// Masks the text of `<sesspass>…</sesspass>`-like elements of [`SECRETS`] in XML or text.
pub fn redacted_text(text: &str) -> String {
    let mut out = text.to_string();
    for name in SECRETS {
        let (open, close) = (format!("<{name}>"), format!("</{name}>"));
        let mut from = 0;
        while let Some(i) = out[from..].find(&open) {
            let start = from + i + open.len();
            let end = out[start..]
                .find(&close)
                .map(|j| start + j)
                .unwrap_or(out.len());
            out.replace_range(start..end, MASK);
            from = start + MASK.len();
        }
    }
    out
}

/// Keys an object keeps in a journal entry; the rest are counted in a `"…"` key.
pub const KEYS_PER_OBJECT: usize = 64;
/// Items an array keeps.
pub const ITEMS_PER_ARRAY: usize = 50;
/// Levels of nesting kept.
pub const DEPTH: usize = 8;
/// Bytes (estimated) of one request's summary.
pub const REQUEST_BYTES: usize = 16 * 1024;
/// Diagnostic lines and their length.
const DIAGNOSTIC_LINES: usize = 64;
const LINE_CHARS: usize = 1024;

/// The estimated bytes a JSON value holds (heap and node overhead).
fn weight(v: &Value) -> usize {
    match v {
        Value::String(s) => 32 + s.len(),
        Value::Array(a) => 32 + a.iter().map(weight).sum::<usize>(),
        Value::Object(m) => {
            32 + m
                .iter()
                .map(|(k, v)| 48 + k.len() + weight(v))
                .sum::<usize>()
        }
        _ => 16,
    }
}

fn shorten(s: &str) -> String {
    match summarize(&Value::String(s.to_string())) {
        Value::String(t) => t,
        _ => String::new(),
    }
}

fn cut_note(what: &str) -> Value {
    Value::String(format!(
        "… {what} not kept (the journal keeps {} KiB of each request)",
        REQUEST_BYTES / 1024
    ))
}

/// Whether [`bound`] would return `v` unchanged (it charges `left` the same way).
fn within_bounds(v: &Value, depth: usize, left: &mut usize) -> bool {
    let charge = |left: &mut usize, n: usize| *left = left.saturating_sub(n);
    match v {
        Value::String(s) => {
            charge(left, 32 + s.len());
            s.chars().count() <= 96
        }
        Value::Array(_) | Value::Object(_) if depth >= DEPTH => false,
        Value::Array(a) => {
            charge(left, 32);
            a.len() <= ITEMS_PER_ARRAY
                && a.iter()
                    .all(|item| *left > 0 && within_bounds(item, depth + 1, left))
        }
        Value::Object(m) => {
            charge(left, 32);
            m.len() <= KEYS_PER_OBJECT
                && m.iter().all(|(k, item)| {
                    if *left == 0 || k.chars().count() > 96 {
                        return false;
                    }
                    charge(left, 48 + k.len());
                    within_bounds(item, depth + 1, left)
                })
        }
        _ => {
            charge(left, 16);
            true
        }
    }
}

/// `v` within the caps, `left` the bytes still allowed.
fn bound(v: &Value, depth: usize, left: &mut usize) -> Value {
    let charge = |left: &mut usize, n: usize| *left = left.saturating_sub(n);
    match v {
        Value::String(s) => {
            let s = if s.chars().count() > 96 {
                shorten(s)
            } else {
                s.clone()
            };
            charge(left, 32 + s.len());
            Value::String(s)
        }
        Value::Array(_) | Value::Object(_) if depth >= DEPTH => {
            Value::String(format!("… nested deeper than {DEPTH} levels: not kept"))
        }
        Value::Array(a) => {
            charge(left, 32);
            let mut out = Vec::new();
            for (i, item) in a.iter().enumerate() {
                if i >= ITEMS_PER_ARRAY {
                    out.push(Value::String(format!(
                        "… {} more items not kept (the journal keeps {ITEMS_PER_ARRAY} per array)",
                        a.len() - i
                    )));
                    break;
                }
                if *left == 0 {
                    out.push(cut_note(&format!("{} more items", a.len() - i)));
                    break;
                }
                out.push(bound(item, depth + 1, left));
            }
            Value::Array(out)
        }
        Value::Object(m) => {
            charge(left, 32);
            let mut out = serde_json::Map::new();
            for (i, (k, item)) in m.iter().enumerate() {
                if i >= KEYS_PER_OBJECT {
                    out.insert(
                        "…".into(),
                        Value::String(format!(
                            "{} more keys not kept (the journal keeps {KEYS_PER_OBJECT} keys per object)",
                            m.len() - i
                        )),
                    );
                    break;
                }
                if *left == 0 {
                    out.insert("…".into(), cut_note(&format!("{} more keys", m.len() - i)));
                    break;
                }
                let key = if k.chars().count() > 96 {
                    shorten(k)
                } else {
                    k.clone()
                };
                charge(left, 48 + key.len());
                let item = bound(item, depth + 1, left);
                out.insert(key, item);
            }
            Value::Object(out)
        }
        other => {
            charge(left, 16);
            other.clone()
        }
    }
}

fn cap_line(s: &mut String, chars: usize) {
    // A text of at most `chars` bytes has at most `chars` characters: not counted (the
    // common line; counting them was a fifth of what the journal cost a request).
    if s.len() <= chars {
        return;
    }
    let total = s.chars().count();
    if total > chars {
        let head: String = s.chars().take(chars).collect();
        *s = format!("{head}… ({total} chars)");
    }
}

/// Masks secrets and applies the per-entry caps.
fn bound_entry(e: &mut Entry) {
    if let Request::Summary(request) = &mut e.meta.request {
        redact(request);
        // A summary within the caps (the usual case) is kept as it is, not rebuilt.
        if !within_bounds(request, 0, &mut REQUEST_BYTES.clone()) {
            *request = bound(request, 0, &mut REQUEST_BYTES.clone());
        }
    }
    let n = e.meta.diagnostics.len();
    if n > DIAGNOSTIC_LINES {
        e.meta.diagnostics.truncate(DIAGNOSTIC_LINES);
        e.meta.diagnostics.push(format!(
            "… {} more diagnostic lines not kept (the journal keeps {DIAGNOSTIC_LINES})",
            n - DIAGNOSTIC_LINES
        ));
        // A truncated vector keeps its capacity: 60 000 diagnostic lines would still hold
        // 1.4 MB. One that was not cut holds at most twice its lines: not reallocated.
        e.meta.diagnostics.shrink_to_fit();
    }
    for line in &mut e.meta.diagnostics {
        cap_line(line, LINE_CHARS);
    }
    let n = e.meta.warnings.len();
    if n > DIAGNOSTIC_LINES {
        e.meta.warnings.truncate(DIAGNOSTIC_LINES);
        e.meta.warnings.shrink_to_fit();
    }
    for w in &mut e.meta.warnings {
        cap_line(&mut w.reason, LINE_CHARS);
    }
    cap_line(&mut e.path, LINE_CHARS);
    for s in [&mut e.content_type, &mut e.meta.operation, &mut e.method] {
        // Borrowed text is a route's name, a standard method or a known content type: short.
        if let Cow::Owned(s) = s {
            cap_line(s, LINE_CHARS);
        }
    }
    if let Some(f) = &mut e.meta.fault {
        cap_line(f, LINE_CHARS);
    }
    if let Some(r) = &mut e.meta.record {
        cap_line(r, 96);
    }
}

/// The estimated bytes an entry holds.
fn entry_weight(e: &Entry) -> usize {
    let strings = |v: &[String]| v.iter().map(|s| 24 + s.len()).sum::<usize>();
    256 + e.method.len()
        + e.path.len()
        + e.content_type.len()
        + e.meta.operation.len()
        + e.meta.request.weight()
        + e.response.weight()
        + strings(&e.meta.diagnostics)
        + e.meta
            .warnings
            .iter()
            .map(|w| 48 + w.reason.len())
            .sum::<usize>()
        + e.meta.fault.as_ref().map_or(0, String::len)
        + e.meta.record.as_ref().map_or(0, String::len)
        + e.meta.sent.weight()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn entry(id: u64, op: &str, status: u16) -> Entry {
        Entry {
            id,
            time: std::time::SystemTime::UNIX_EPOCH,
            wall_time: std::time::SystemTime::UNIX_EPOCH,
            method: "POST".into(),
            path: "/api/x".into(),
            content_type: String::new().into(),
            status,
            response: Body::text(""),
            duration_us: 1,
            meta: Meta {
                success: Some(status == 200),
                ..Meta::new("pki", op.to_string())
            },
        }
    }

    #[test]
    fn ring_is_bounded_and_filters_work() {
        let j = Journal::new(3);
        for i in 1..=5 {
            j.push(entry(
                i,
                if i % 2 == 0 { "A" } else { "B" },
                if i == 5 { 401 } else { 200 },
            ));
        }
        assert_eq!(j.len(), 3);
        assert_eq!(j.evicted(), 2);
        let f = Filter {
            operation: Some("b".into()),
            ..Filter::default()
        };
        assert_eq!(
            j.query(&f).iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![3, 5]
        );
        assert_eq!(
            j.count(&Filter {
                success: Some(false),
                ..Filter::default()
            }),
            1
        );
        assert_eq!(
            j.query(&Filter {
                limit: Some(1),
                ..Filter::default()
            })[0]
                .id,
            5
        );
        // The newest ones when limited, oldest first.
        let ids = |f: &Filter| j.query(f).iter().map(|e| e.id).collect::<Vec<_>>();
        let limited = |limit| Filter {
            limit: Some(limit),
            ..Filter::default()
        };
        assert_eq!(ids(&limited(2)), [4, 5]);
        assert_eq!(ids(&limited(9)), [3, 4, 5]);
        assert_eq!(ids(&limited(0)), Vec::<u64>::new());
        assert_eq!(
            j.count(&Filter {
                since: Some(4),
                ..Filter::default()
            }),
            1
        );
    }

    #[test]
    fn secrets_are_masked_and_entries_capped() {
        let j = Journal::with_budget(10, 1 << 20);
        let mut e = entry(1, "RegisterInfo", 200);
        let wide: serde_json::Map<String, Value> = (0..1000)
            .map(|i| (format!("k{i}"), Value::from(i)))
            .collect();
        e.meta.request = Request::Summary(serde_json::json!({
            "personData": {"Password": "s3cret", "NationalCode": "1"},
            "reportkey": "report-key-A-0001",
            "wide": wide,
        }));
        j.push(e);
        let kept = serde_json::to_value(&j.query(&Filter::default())[0]).unwrap();
        let req = &kept["request"];
        assert_eq!(req["personData"]["Password"], MASK, "{req}");
        assert_eq!(req["reportkey"], MASK);
        let wide = req["wide"].as_object().unwrap();
        assert_eq!(wide.len(), KEYS_PER_OBJECT + 1, "{}", wide.len());
        assert!(
            wide["…"].as_str().unwrap().contains("936 more keys"),
            "{wide:?}"
        );
        assert!(!kept.to_string().contains("s3cret"));
        assert_eq!(
            redacted_text("<sesspass>abc</sesspass><x>1</x><apikey>k</apikey>"),
            "<sesspass>********</sesspass><x>1</x><apikey>********</apikey>"
        );
    }

    #[test]
    fn kept_requests_are_summarised_when_read() {
        let long = "A".repeat(300);
        let body = format!(
            r#"{{"customercode":"1-2","password":"s3cret","signature":"{long}","personData":{{"NationalCode":"7"}}}}"#
        );
        let r = Request::json(&crate::replay::Sent::default(), body.as_bytes(), || {
            unreachable!("a small body is kept as sent")
        });
        assert!(matches!(r, Request::Json(_)));
        let v = r.render();
        assert_eq!(v["password"], MASK);
        assert!(
            v["signature"].as_str().unwrap().contains("300 chars"),
            "{v}"
        );
        assert_eq!(r.field("PERSONDATA.nationalcode").as_deref(), Some("7"));
        let big = format!(r#"{{"x":"{}"}}"#, "b".repeat(KEEP_BYTES));
        let r = Request::json(
            &crate::replay::Sent::default(),
            big.as_bytes(),
            || serde_json::json!({"summarised": true}),
        );
        assert_eq!(r.render(), serde_json::json!({"summarised": true}));
        let q = Request::Query("Customercode=10320874334&reportkey=k&name=%D9%85".into());
        assert_eq!(
            q.render(),
            serde_json::json!({"Customercode": "10320874334", "reportkey": MASK, "name": "م"})
        );
        assert_eq!(q.field("customercode").as_deref(), Some("10320874334"));
    }

    #[test]
    fn a_summary_within_the_caps_is_what_bound_returns() {
        let small = serde_json::json!({"login": "a@b", "command": {"oper": "getstatus", "docuniq": ["1", "2"]}});
        assert!(within_bounds(&small, 0, &mut REQUEST_BYTES.clone()));
        assert_eq!(bound(&small, 0, &mut REQUEST_BYTES.clone()), small);
        let long = serde_json::json!({"x": "y".repeat(97)});
        let wide = Value::Object((0..65).map(|i| (format!("k{i}"), Value::from(i))).collect());
        let deep = (0..DEPTH + 1).fold(Value::from(1), |v, _| serde_json::json!([v]));
        let big = Value::Array((0..40).map(|_| Value::String("z".repeat(90))).collect());
        let heavy = serde_json::json!({"a": big.clone(), "b": big.clone(), "c": big.clone(), "d": big.clone(), "e": big});
        for v in [long, wide, deep, heavy] {
            assert!(!within_bounds(&v, 0, &mut REQUEST_BYTES.clone()), "{v}");
            assert_ne!(bound(&v, 0, &mut REQUEST_BYTES.clone()), v);
        }
    }

    #[test]
    fn the_byte_budget_evicts_the_oldest() {
        let j = Journal::with_budget(1000, 64 * 1024);
        for i in 1..=200 {
            let mut e = entry(i, "A", 200);
            e.meta.request = Request::Summary(Value::String("x".repeat(90)));
            e.meta.diagnostics = vec!["d".repeat(900)];
            j.push(e);
        }
        assert!(j.bytes() <= 64 * 1024, "{}", j.bytes());
        assert!(j.len() < 200 && j.len() > 10, "{}", j.len());
        assert_eq!(j.evicted() as usize + j.len(), 200);
        assert_eq!(j.query(&Filter::default()).last().unwrap().id, 200);
    }
}
