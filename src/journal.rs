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
//! while judging the request; the journal never changes a response. Memory is bounded: a ring
//! of `capacity` entries; evictions are counted.
//!
//! Rationale: the journal sits on every request, so an entry is built from data the API
//! already has (no re-parsing) and the lock is held only to push.

use serde::Serialize;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// What the pipeline and an API's handler tell the journal about one request: typed, filled
/// as the request is judged, never parsed back out of strings or answers.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Meta {
    /// `pki`, `podpishi`, `admin`, `scenario`, or `other` (a path no API owns).
    pub api: &'static str,
    /// The upstream method (`RegisterInfo`) or command (`getstatus`), or the admin route.
    pub operation: String,
    /// Whether the API answered success in its own terms (`IsSuccess`, `err="no"`).
    pub success: Option<bool>,
    /// The request as the API read it (fields; long values shortened; binaries summarised).
    pub request: Value,
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
    pub fn new(api: &'static str, operation: impl Into<String>) -> Meta {
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
    /// On the emulator's clock; shown as RFC 3339 UTC.
    #[serde(serialize_with = "rfc3339")]
    pub time: time::OffsetDateTime,
    /// The real time it was served (milliseconds), whatever the scenario clock said.
    #[serde(serialize_with = "wall")]
    pub wall_time: time::OffsetDateTime,
    pub method: String,
    pub path: String,
    pub content_type: String,
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
    content_type: String,
    kept: Kept,
}

#[derive(Clone, Debug)]
enum Kept {
    Bytes(bytes::Bytes),
    Digest {
        len: usize,
        sha256: String,
        head: bytes::Bytes,
    },
}

/// Bodies up to this size are kept verbatim (JSON answers render whole); larger ones keep their
/// size, SHA-256 and a 2 KiB head, so a full journal stays a few MiB.
const KEEP_BYTES: usize = 4 * 1024;

impl Body {
    pub fn new(content_type: &str, bytes: &bytes::Bytes) -> Body {
        let kept = if bytes.len() <= KEEP_BYTES {
            Kept::Bytes(bytes.clone())
        } else {
            Kept::Digest {
                len: bytes.len(),
                sha256: crate::crypto::sha256_hex(bytes),
                head: bytes.slice(..2048),
            }
        };
        Body {
            content_type: content_type.to_string(),
            kept,
        }
    }

    pub fn text(text: &str) -> Body {
        Body {
            content_type: "text/plain".into(),
            kept: Kept::Bytes(bytes::Bytes::from(text.to_string())),
        }
    }

    /// Small JSON parsed (long strings shortened), text as its head, anything else as size +
    /// SHA-256.
    pub fn render(&self) -> Value {
        let ct = self.content_type.as_str();
        match &self.kept {
            Kept::Digest { len, sha256, head } => {
                if ct.contains("json") || ct.contains("xml") || ct.starts_with("text/") {
                    serde_json::json!({"bytes": len, "sha256": sha256, "head": String::from_utf8_lossy(head)})
                } else {
                    serde_json::json!({"bytes": len, "sha256": sha256})
                }
            }
            Kept::Bytes(b) => {
                if ct.contains("json") {
                    if let Ok(v) = serde_json::from_slice::<Value>(b) {
                        return summarize(&v);
                    }
                }
                if ct.contains("json") || ct.contains("xml") || ct.starts_with("text/") {
                    return Value::String(
                        String::from_utf8_lossy(&b[..b.len().min(2048)]).into_owned(),
                    );
                }
                serde_json::json!({"bytes": b.len(), "sha256": crate::crypto::sha256_hex(b)})
            }
        }
    }
}

impl Serialize for Body {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.render().serialize(s)
    }
}

fn wall<S: serde::Serializer>(t: &time::OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::clock::wall_time(*t))
}

fn rfc3339<S: serde::Serializer>(t: &time::OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::clock::wire_time(*t))
}

/// How many control-API calls the journal keeps (in their own ring, see `pipeline::Shared`).
pub const ADMIN_CAPACITY: usize = 200;

pub struct Journal {
    ring: Mutex<VecDeque<Entry>>,
    capacity: usize,
    evicted: AtomicU64,
    next_id: AtomicU64,
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
                let found = request_field(&e.meta.request, f);
                match &self.value {
                    Some(v) => found.as_deref() == Some(v.as_str()),
                    None => found.is_some(),
                }
            })
    }
}

impl Journal {
    pub fn new(capacity: usize) -> Journal {
        Journal {
            ring: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
            capacity: capacity.max(1),
            evicted: AtomicU64::new(0),
            next_id: AtomicU64::new(1),
        }
    }

    /// The id of the next request.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub fn push(&self, entry: Entry) {
        let mut ring = crate::sync::lock(&self.ring);
        if ring.len() >= self.capacity {
            ring.pop_front();
            self.evicted.fetch_add(1, Ordering::Relaxed);
        }
        ring.push_back(entry);
    }

    /// Matching entries, oldest first, at most `limit` (the newest ones when limited).
    pub fn query(&self, f: &Filter) -> Vec<Entry> {
        let ring = crate::sync::lock(&self.ring);
        let all: Vec<&Entry> = ring.iter().filter(|e| f.matches(e)).collect();
        let limit = f.limit.unwrap_or(usize::MAX);
        let skip = all.len().saturating_sub(limit);
        all.into_iter().skip(skip).cloned().collect()
    }

    pub fn count(&self, f: &Filter) -> usize {
        crate::sync::lock(&self.ring)
            .iter()
            .filter(|e| f.matches(e))
            .count()
    }

    pub fn get(&self, id: u64) -> Option<Entry> {
        crate::sync::lock(&self.ring)
            .iter()
            .find(|e| e.id == id)
            .cloned()
    }

    pub fn clear(&self) {
        crate::sync::lock(&self.ring).clear();
    }

    pub fn len(&self) -> usize {
        crate::sync::lock(&self.ring).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
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
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), summarize(v))).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u64, op: &str, status: u16) -> Entry {
        Entry {
            id,
            time: time::OffsetDateTime::UNIX_EPOCH,
            wall_time: time::OffsetDateTime::UNIX_EPOCH,
            method: "POST".into(),
            path: "/api/x".into(),
            content_type: String::new(),
            status,
            response: Body::text(""),
            duration_us: 1,
            meta: Meta {
                success: Some(status == 200),
                ..Meta::new("pki", op)
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
        assert_eq!(
            j.count(&Filter {
                since: Some(4),
                ..Filter::default()
            }),
            1
        );
    }
}
