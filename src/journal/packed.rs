//! An entry as the ring keeps it: its fixed fields inline, every text and byte string it owns
//! in one block.
//!
//! Rationale: an [`Entry`] as the request path builds it owns a dozen allocations (the path,
//! the request and response bytes, each diagnostic line, the record, the tenant) and is 632
//! bytes itself. Kept 1 000 requests deep, each of those blocks comes back cold when it is
//! freed and reused, and the allocator's free lists are churned: callgrind counted ~3.5 K
//! instructions and ~52 lines missing a 1 MiB cache per journaled signed request, two thirds of
//! the instructions in malloc's slow paths. Packed, an entry is one allocation and a 264-byte
//! slot. The entry is rebuilt whole when the journal is read.

use super::{Body, Entry, Filter, Kept, Meta, Refusal, Request, Warning};
use crate::changes::Change;
use crate::replay::{Sent, SentBody};
use serde_json::Value;
use std::borrow::Cow;
use std::time::SystemTime;

/// Marks an absent string in the block.
const ABSENT: u32 = u32::MAX;

/// What an entry keeps beyond its texts and bytes, on the few requests that have any.
#[derive(Default)]
struct Rare {
    summary: Option<Value>,
    /// A response kept as a summary or digest (a body over the journal's keep size).
    response: Option<Kept>,
    warnings: Vec<Warning>,
    changes: Vec<Change>,
    /// The size of a body too large for replay.
    too_large: Option<usize>,
}

/// Which [`Request`] an entry had.
#[derive(Clone, Copy)]
enum RequestKind {
    None,
    Summary,
    Json,
    /// A JSON body that is the replay copy itself (kept once).
    JsonSent,
    Query,
    /// The query string the replay keeps (kept once).
    QuerySent,
    Deferred(fn(&[u8]) -> Value),
}

/// One journal entry in the ring.
pub(super) struct Packed {
    id: u64,
    time: SystemTime,
    wall_time: SystemTime,
    duration_us: u64,
    status: u16,
    success: Option<bool>,
    api: &'static str,
    /// A borrowed method, content type, operation; `None` when it was owned (then in `block`).
    method: Option<&'static str>,
    content_type: Option<&'static str>,
    operation: Option<&'static str>,
    response_type: &'static str,
    fault_kind: Option<&'static str>,
    action: Option<&'static str>,
    refusal: Option<Refusal>,
    request: RequestKind,
    /// A cached answer's bytes, shared with the GET cache (any other answer is in `block`).
    cached: Option<bytes::Bytes>,
    /// The texts and bytes, each as a 4-byte length and its bytes, in [`Packed::pack`]'s order.
    block: Box<[u8]>,
    rare: Option<Box<Rare>>,
}

/// Writes length-prefixed strings into one buffer of the size they need.
struct Writer(Vec<u8>);

impl Writer {
    fn put(&mut self, s: Option<&[u8]>) {
        match s {
            Some(s) => {
                // Every kept text and body is capped far below 4 GiB.
                self.0.extend_from_slice(&(s.len() as u32).to_le_bytes());
                self.0.extend_from_slice(s);
            }
            None => self.0.extend_from_slice(&ABSENT.to_le_bytes()),
        }
    }
}

/// Reads them back in the same order.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn slot(&mut self) -> Option<&'a [u8]> {
        let (len, rest) = self.0.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len);
        if len == ABSENT {
            self.0 = rest;
            return None;
        }
        let (s, rest) = rest.split_at_checked(len as usize)?;
        self.0 = rest;
        Some(s)
    }
}

/// The diagnostic lines, to the block's end.
impl<'a> Iterator for Reader<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        self.slot()
    }
}

/// An owned text's bytes for the block; a borrowed one stays in the slot.
#[expect(
    clippy::ptr_arg,
    reason = "whether the text is borrowed is what it asks"
)]
fn split<'a>(c: &'a Cow<'static, str>) -> (Option<&'static str>, Option<&'a [u8]>) {
    match c {
        Cow::Borrowed(s) => (Some(s), None),
        Cow::Owned(s) => (None, Some(s.as_bytes())),
    }
}

/// The text [`split`] kept: borrowed, or the owned one from the block.
fn joined(kept: Option<&'static str>, owned: Option<&[u8]>) -> Cow<'static, str> {
    match kept {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(text(owned).unwrap_or_default()),
    }
}

fn text(s: Option<&[u8]>) -> Option<String> {
    s.map(|s| String::from_utf8_lossy(s).into_owned())
}

/// What the block holds before the diagnostic lines, in its order: [`Texts::write`] and
/// [`Texts::read`] are the block's layout.
struct Texts<'a> {
    method: Option<&'a [u8]>,
    content_type: Option<&'a [u8]>,
    operation: Option<&'a [u8]>,
    path: Option<&'a [u8]>,
    fault: Option<&'a [u8]>,
    record: Option<&'a [u8]>,
    tenant: Option<&'a [u8]>,
    query: Option<&'a [u8]>,
    sent_body: Option<&'a [u8]>,
    request: Option<&'a [u8]>,
    response: Option<&'a [u8]>,
}

impl<'a> Texts<'a> {
    /// The texts, then each diagnostic line to the block's end, in one block of exactly the
    /// size they need.
    fn write(&self, diagnostics: &[String]) -> Box<[u8]> {
        let fixed = [
            self.method,
            self.content_type,
            self.operation,
            self.path,
            self.fault,
            self.record,
            self.tenant,
            self.query,
            self.sent_body,
            self.request,
            self.response,
        ];
        let size = fixed
            .iter()
            .map(|t| 4 + t.map_or(0, <[u8]>::len))
            .sum::<usize>()
            + diagnostics.iter().map(|d| 4 + d.len()).sum::<usize>();
        let mut w = Writer(Vec::with_capacity(size));
        for t in fixed {
            w.put(t);
        }
        for d in diagnostics {
            w.put(Some(d.as_bytes()));
        }
        w.0.into_boxed_slice()
    }

    /// The texts, and the reader left at the diagnostic lines.
    fn read(block: &'a [u8]) -> (Texts<'a>, Reader<'a>) {
        let mut r = Reader(block);
        let texts = Texts {
            method: r.slot(),
            content_type: r.slot(),
            operation: r.slot(),
            path: r.slot(),
            fault: r.slot(),
            record: r.slot(),
            tenant: r.slot(),
            query: r.slot(),
            sent_body: r.slot(),
            request: r.slot(),
            response: r.slot(),
        };
        (texts, r)
    }
}

impl Packed {
    /// The entry packed: one allocation for everything it owns. What the packed entry keeps
    /// is taken out of `e`, which the caller drops (its blocks are freed while still warm).
    pub(super) fn pack(e: &mut Entry) -> Packed {
        let m = &mut e.meta;
        let (method, method_text) = split(&e.method);
        let (content_type, content_type_text) = split(&e.content_type);
        let (operation, operation_text) = split(&m.operation);
        let sent_body = match &m.sent.body {
            SentBody::Kept(b) => Some(b),
            _ => None,
        };
        let sent_query = m.sent.query.as_deref();
        let (request, request_bytes): (RequestKind, Option<&[u8]>) = match &m.request {
            Request::None => (RequestKind::None, None),
            Request::Summary(_) => (RequestKind::Summary, None),
            Request::Json(b)
                if sent_body.is_some_and(|s| s.as_ptr() == b.as_ptr() && s.len() == b.len()) =>
            {
                (RequestKind::JsonSent, None)
            }
            Request::Json(b) => (RequestKind::Json, Some(b)),
            Request::Query(q) if sent_query == Some(q.as_str()) => (RequestKind::QuerySent, None),
            Request::Query(q) => (RequestKind::Query, Some(q.as_bytes())),
            Request::Deferred { bytes, render } => (RequestKind::Deferred(*render), Some(bytes)),
        };
        let (response_bytes, cached) = match &e.response.kept {
            Kept::Bytes(b) if m.cached => (None, Some(b.clone())),
            Kept::Bytes(b) => (Some(&b[..]), None),
            _ => (None, None),
        };
        let block = Texts {
            method: method_text,
            content_type: content_type_text,
            operation: operation_text,
            path: Some(e.path.as_bytes()),
            fault: m.fault.as_deref().map(str::as_bytes),
            record: m.record.as_deref().map(str::as_bytes),
            tenant: m.tenant.as_deref().map(str::as_bytes),
            query: sent_query.map(str::as_bytes),
            sent_body: sent_body.map(|b| &b[..]),
            request: request_bytes,
            response: response_bytes,
        }
        .write(&m.diagnostics);
        let too_large = match m.sent.body {
            SentBody::TooLarge(n) => Some(n),
            _ => None,
        };
        let rare = (matches!(m.request, Request::Summary(_))
            || !matches!(e.response.kept, Kept::Bytes(_))
            || !m.warnings.is_empty()
            || !m.changes.is_empty()
            || too_large.is_some())
        .then(|| {
            Box::new(Rare {
                summary: match std::mem::take(&mut m.request) {
                    Request::Summary(v) => Some(v),
                    _ => None,
                },
                response: match &e.response.kept {
                    Kept::Bytes(_) => None,
                    other => Some(other.clone()),
                },
                warnings: std::mem::take(&mut m.warnings),
                changes: std::mem::take(&mut m.changes),
                too_large,
            })
        });
        Packed {
            id: e.id,
            time: e.time,
            wall_time: e.wall_time,
            duration_us: e.duration_us,
            status: e.status,
            success: m.success,
            api: m.api,
            method,
            content_type,
            operation,
            response_type: e.response.content_type,
            fault_kind: m.fault_kind,
            action: m.action,
            refusal: m.refusal.take(),
            request,
            cached,
            block,
            rare,
        }
    }

    pub(super) fn id(&self) -> u64 {
        self.id
    }

    /// Whether the entry may match `f`, judged on what the slot and the block hold without
    /// rebuilding the entry: false only for an entry [`Filter`]'s own test would refuse (the
    /// journal rebuilds and tests the rest).
    pub(super) fn may_match(&self, f: &Filter) -> bool {
        let same = |want: &Option<String>, kept: Option<&str>, owned: Option<&[u8]>| {
            want.as_ref().is_none_or(|w| match kept {
                Some(k) => w.eq_ignore_ascii_case(k),
                None => owned.is_some_and(|o| o.eq_ignore_ascii_case(w.as_bytes())),
            })
        };
        if !(f.since.is_none_or(|s| self.id > s)
            && f.status.is_none_or(|s| s == self.status)
            && f.success.is_none_or(|s| Some(s) == self.success)
            && f.api
                .as_ref()
                .is_none_or(|a| a.eq_ignore_ascii_case(self.api)))
        {
            return false;
        }
        let (t, _) = Texts::read(&self.block);
        let path = t.path.unwrap_or_default();
        same(&f.method, self.method, t.method)
            && same(&f.operation, self.operation, t.operation)
            && f.path.as_ref().is_none_or(|p| {
                let p = p.as_bytes();
                p.is_empty() || path.windows(p.len()).any(|w| w == p)
            })
            && f.record
                .as_ref()
                .is_none_or(|want| t.record == Some(want.as_bytes()))
    }

    /// The entry as it was pushed.
    pub(super) fn unpack(&self) -> Entry {
        let (t, lines) = Texts::read(&self.block);
        let method = joined(self.method, t.method);
        let content_type = joined(self.content_type, t.content_type);
        let operation = joined(self.operation, t.operation);
        let path = text(t.path).unwrap_or_default();
        let query = text(t.query);
        let sent_body = t.sent_body.map(bytes::Bytes::copy_from_slice);
        let request_bytes = t.request;
        let response_bytes = t.response.map(bytes::Bytes::copy_from_slice);
        let diagnostics = lines.map(|d| text(Some(d)).unwrap_or_default()).collect();
        let rare = self.rare.as_deref();
        let request = match self.request {
            RequestKind::None => Request::None,
            RequestKind::Summary => {
                Request::Summary(rare.and_then(|r| r.summary.clone()).unwrap_or_default())
            }
            RequestKind::JsonSent => Request::Json(sent_body.clone().unwrap_or_default()),
            RequestKind::Json => Request::Json(bytes::Bytes::copy_from_slice(
                request_bytes.unwrap_or_default(),
            )),
            RequestKind::QuerySent => Request::Query(query.clone().unwrap_or_default()),
            RequestKind::Query => Request::Query(
                String::from_utf8_lossy(request_bytes.unwrap_or_default()).into_owned(),
            ),
            RequestKind::Deferred(render) => Request::Deferred {
                bytes: bytes::Bytes::copy_from_slice(request_bytes.unwrap_or_default()),
                render,
            },
        };
        let body = match (sent_body, rare.and_then(|r| r.too_large)) {
            (Some(b), _) => SentBody::Kept(b),
            (None, Some(n)) => SentBody::TooLarge(n),
            (None, None) => SentBody::NotRead,
        };
        let kept = match (response_bytes.or_else(|| self.cached.clone()), rare) {
            (Some(b), _) => Kept::Bytes(b),
            (
                None,
                Some(Rare {
                    response: Some(k), ..
                }),
            ) => k.clone(),
            (None, _) => Kept::Bytes(bytes::Bytes::new()),
        };
        Entry {
            id: self.id,
            time: self.time,
            wall_time: self.wall_time,
            method,
            path,
            content_type,
            status: self.status,
            response: Body {
                content_type: self.response_type,
                kept,
            },
            duration_us: self.duration_us,
            meta: Meta {
                api: self.api,
                operation,
                success: self.success,
                request,
                fault: text(t.fault),
                refusal: self.refusal.clone(),
                diagnostics,
                warnings: rare.map(|r| r.warnings.clone()).unwrap_or_default(),
                record: text(t.record),
                changes: rare.map(|r| r.changes.clone()).unwrap_or_default(),
                tenant: text(t.tenant),
                fault_kind: self.fault_kind,
                action: self.action,
                sent: Sent { query, body },
                cached: self.cached.is_some(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::tests::entry;

    fn round_trip(e: Entry) -> (Packed, Entry) {
        let before = format!("{e:?}");
        let mut e = e;
        let packed = Packed::pack(&mut e);
        let after = packed.unpack();
        assert_eq!(format!("{after:?}"), before, "unpacked as pushed");
        (packed, after)
    }

    fn render_login(b: &[u8]) -> Value {
        serde_json::json!({ "login": String::from_utf8_lossy(b) })
    }

    #[test]
    fn a_signed_call_comes_back_whole_its_body_kept_once_and_borrowed_names_still_borrowed() {
        let body = bytes::Bytes::from_static(
            "{\"caName\":\"01\",\"personData\":{\"Name\":\"مهدی\"}}".as_bytes(),
        );
        let mut e = entry(7, "RegisterInfo", 200);
        e.meta.operation = Cow::Borrowed("RegisterInfo");
        e.content_type = Cow::Borrowed("application/json");
        e.meta.sent.keep_body(&body);
        e.meta.request = Request::json(&e.meta.sent, &body, || Value::Null);
        e.response = Body::new(
            "application/json",
            &bytes::Bytes::from_static(b"{\"IsSuccess\":false,\"ErrorCode\":1}"),
        );
        e.meta.diagnostics = vec![
            "signature: RSA-SHA1 verified over UTF-16LE".into(),
            String::new(),
            "subject DN 'SN=احمدی' is already registered".into(),
        ];
        e.meta.record = Some("1000001".into());
        e.meta.tenant = Some("10320874334".into());
        e.meta.fault = Some("slow: delayed 20 ms".into());
        e.meta.fault_kind = Some("delay");
        e.meta.action = Some("approve");
        e.meta.refusal = Some(Refusal {
            kind: "SignatureInvalid",
            code: 1,
        });
        e.meta.success = Some(false);
        let (packed, after) = round_trip(e);
        assert!(packed.rare.is_none(), "nothing rare to box");
        // A little over four cache lines a slot, where an `Entry` takes ten.
        assert!(std::mem::size_of::<Packed>() <= 272);
        assert!(
            packed.block.len() < 2 * body.len() + 300,
            "the body is kept once: {} bytes",
            packed.block.len()
        );
        assert!(matches!(after.method, Cow::Borrowed("POST")));
        assert!(matches!(after.content_type, Cow::Borrowed(_)));
        assert!(matches!(after.meta.operation, Cow::Borrowed(_)));
        assert_eq!(
            after.meta.request.field("personData.Name").as_deref(),
            Some("مهدی")
        );
    }

    #[test]
    fn rare_parts_owned_texts_summaries_and_digests_come_back_whole() {
        let mut e = entry(8, "upload", 200);
        e.method = Cow::Owned("PROPFIND".into());
        e.content_type = Cow::Owned("multipart/form-data; boundary=x".into());
        e.meta.request = Request::Summary(serde_json::json!({"file": {"bytes": 70_000}}));
        e.meta.sent.body = SentBody::TooLarge(70_000);
        e.meta.sent.query = Some("a=1&b=%D9%85".into());
        let big_json = format!("{{\"data\":\"{}\"}}", "x".repeat(5000));
        e.response = Body::new("application/json", &bytes::Bytes::from(big_json));
        e.meta.warnings = vec![Warning {
            kind: "case_insensitive",
            reason: "bound 'caname' to caName".into(),
        }];
        e.meta.changes = vec![Change {
            machine: "tracking",
            transition: "approve",
            from: "Registered",
            to: "Approved",
            tenant: "10320874334".into(),
            record: "1000001".into(),
            permission: None,
        }];
        let (packed, after) = round_trip(e);
        assert!(packed.rare.is_some());
        assert!(matches!(after.method, Cow::Owned(_)));
        assert!(matches!(after.response.kept, Kept::Json { len: 5011, .. }));

        let mut e = entry(9, "getdoc", 200);
        e.meta.request = Request::Query("id=5".into());
        e.response = Body::new("application/zip", &bytes::Bytes::from(vec![0x50u8; 10_000]));
        let (_, after) = round_trip(e);
        assert!(matches!(
            after.response.kept,
            Kept::Digest { len: 10_000, .. }
        ));
        assert!(matches!(after.meta.sent.body, SentBody::NotRead));
    }

    #[test]
    fn a_deferred_form_an_unshared_body_and_an_empty_entry_come_back_whole() {
        let form = bytes::Bytes::from_static(b"alfa@test.kz");
        let mut e = entry(10, "getstatus", 200);
        e.meta
            .sent
            .keep_body(&bytes::Bytes::from_static(b"login=alfa%40test.kz"));
        e.meta.request = Request::deferred(&e.meta.sent, &form, render_login);
        let (_, after) = round_trip(e);
        assert_eq!(after.meta.request.render()["login"], "alfa@test.kz");

        let mut e = entry(11, "RegisterInfo", 400);
        e.meta
            .sent
            .keep_body(&bytes::Bytes::from_static(b"{\"a\":1}"));
        e.meta.request = Request::Json(bytes::Bytes::from_static(b"{\"b\":2}"));
        round_trip(e);

        let answer = bytes::Bytes::from(vec![b'{'; 600]);
        let mut e = entry(13, "GetCAList", 200);
        e.meta.cached = true;
        e.meta.sent.query = Some("Customercode=10320874334".into());
        e.meta.request = Request::Query("Customercode=10320874334".into());
        e.response = Body::new("application/json", &answer);
        let (packed, after) = round_trip(e);
        assert!(
            packed.block.len() < 100,
            "a cached answer is not copied, the query is kept once: {} bytes",
            packed.block.len()
        );
        let Kept::Bytes(kept) = &after.response.kept else {
            panic!("kept as bytes")
        };
        assert_eq!(kept.as_ptr(), answer.as_ptr(), "shared with the cache");

        let mut e = entry(12, "GetCAList", 200);
        e.method = Cow::Borrowed("GET");
        e.path = String::new();
        e.meta.success = None;
        e.response = Body::new("application/json", &bytes::Bytes::new());
        let (packed, _) = round_trip(e);
        assert!(packed.rare.is_none());
    }
}

#[cfg(test)]
mod prefilter {
    use super::*;
    use crate::journal::tests::entry;

    fn entries() -> Vec<Entry> {
        let mut a = entry(1, "RegisterInfo", 200);
        a.meta.operation = Cow::Borrowed("RegisterInfo");
        a.meta.record = Some("1000001".into());
        a.path = "/api/RegisterInfo".into();
        let mut b = entry(2, "getstatus", 400);
        b.method = Cow::Owned("PROPFIND".into());
        b.meta.api = "podpishi";
        b.meta.success = Some(false);
        b.path = "/apistatus.php".into();
        let mut c = entry(3, "GetCAList", 200);
        c.method = Cow::Borrowed("GET");
        c.meta.success = None;
        vec![a, b, c]
    }

    fn filters() -> Vec<Filter> {
        let mut out = vec![Filter::default()];
        let mut each = |values: &[&str], make: fn(Option<String>) -> Filter| {
            out.extend(values.iter().map(|v| make(Some(v.to_string()))));
        };
        each(&["registerinfo", "GETSTATUS", "getcalist", "x"], |v| {
            Filter {
                operation: v,
                ..Filter::default()
            }
        });
        each(&["post", "propfind", "GET", "DELETE"], |v| Filter {
            method: v,
            ..Filter::default()
        });
        each(&["pki", "PODPISHI", "admin"], |v| Filter {
            api: v,
            ..Filter::default()
        });
        each(&["", "/api/", "status.php", "/API/"], |v| Filter {
            path: v,
            ..Filter::default()
        });
        each(&["1000001", "100000", "1000001 "], |v| Filter {
            record: v,
            ..Filter::default()
        });
        out.extend([0, 1, 2, 3].map(|s| Filter {
            since: Some(s),
            ..Filter::default()
        }));
        out.extend([200, 400, 500].map(|s| Filter {
            status: Some(s),
            ..Filter::default()
        }));
        out.extend([true, false].map(|s| Filter {
            success: Some(s),
            ..Filter::default()
        }));
        out
    }

    #[test]
    fn the_prefilter_turns_away_only_what_the_filter_refuses_and_turns_most_of_it_away() {
        let mut refused = 0;
        let mut turned_away = 0;
        for e in entries() {
            let packed = Packed::pack(&mut e.clone());
            for f in filters() {
                let matches = f.matches(&e);
                let may = packed.may_match(&f);
                assert!(may || !matches, "entry {} turned away by {f:?}", e.id);
                refused += usize::from(!matches);
                turned_away += usize::from(!may);
            }
        }
        // The filters above judge nothing the slot and block do not hold: all turned away.
        assert_eq!(turned_away, refused);
        assert!(refused > 20);
    }
}
