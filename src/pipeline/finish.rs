//! The last step of every request, served by an API or not: its id, the access log line, the
//! one observer (warnings, transitions, reactions), the journal entry and the emulator's
//! headers.

use super::{Answer, Seen, Shared};
use crate::journal::{Body, Entry, Meta};
use crate::server::Response;
use http_body_util::Full;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use std::time::Duration;

// Parsed once, not per request (a `&str` name is parsed and hashed at every insert).
static X_SIGNSIM: HeaderName = HeaderName::from_static("x-signsim");
static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-signsim-request-id");
static X_WARNING: HeaderName = HeaderName::from_static("x-signsim-warning");

/// The last step of every request, served by an API or not: the id, the access log line,
/// reactions, the journal entry and the emulator's headers.
pub fn finish(shared: &Shared, seen: Seen, meta: Meta, answer: Answer) -> Response {
    let id = shared.journal.next_id();
    let duration = seen.started.elapsed();
    log(id, &seen, &meta, answer.status, duration);
    observe(shared, id, &meta);
    let warnings: Vec<HeaderValue> = meta.warnings.iter().filter_map(warning_header).collect();
    let ring = match meta.api {
        "admin" => &shared.admin_journal,
        _ => &shared.journal,
    };
    // Off (`--journal-size 0`): not even built.
    if ring.is_on() {
        // One reading of the real time for both stamps.
        let wall_time = crate::clock::wall_stamp();
        ring.push(Entry {
            id,
            time: shared.clock.stamp(wall_time),
            wall_time,
            method: seen.method,
            path: seen.path,
            content_type: seen.content_type,
            status: answer.status,
            response: Body::new(answer.content_type, &answer.body),
            duration_us: duration.as_micros() as u64,
            meta,
        });
    }
    let mut resp = hyper::Response::new(Full::new(answer.body));
    *resp.status_mut() = hyper::StatusCode::from_u16(answer.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(answer.content_type));
    for (name, value) in answer.headers {
        headers.append(name, value);
    }
    headers.insert(X_SIGNSIM.clone(), HeaderValue::from_static(crate::VERSION));
    // `HeaderValue::from(u64)` writes into a growable buffer and then frees it for a shared
    // one: two blocks a request where one exact copy of the digits does.
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = id;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if let Ok(v) = HeaderValue::from_maybe_shared(bytes::Bytes::copy_from_slice(&digits[at..])) {
        headers.insert(X_REQUEST_ID.clone(), v);
    }
    for w in warnings {
        headers.append(X_WARNING.clone(), w);
    }
    if let Some(fault) = answer.connection {
        resp.extensions_mut().insert(fault);
    }
    resp
}

/// The one observer of what a finished request (or a scenario event or reaction, journaled by
/// `app::reactions`) did: its portability warnings (and refusals under `refuse`) tallied, its outcomes counted for the
/// contract coverage report ([`crate::coverage`]), each state-machine transition it
/// applied logged ([`crate::changes`]), and the reactions it triggers scheduled — by the
/// request itself or by a transition it applied. Its journal entry keeps the transitions.
pub fn observe(shared: &Shared, id: u64, meta: &Meta) {
    shared.warnings.observe(id, meta);
    shared.coverage.count(meta);
    for c in &meta.changes {
        tracing::debug!(
            "request {id}: {} {}{} {} → {} ({}) for {}",
            c.machine,
            c.record,
            c.permission.map(|i| format!("/{i}")).unwrap_or_default(),
            c.from,
            c.to,
            c.transition,
            c.tenant
        );
    }
    shared.schedule.observe(meta, || shared.clock.now());
}

/// How many characters of a message [`header_text`] writes into a header (at most 6 KiB once
/// percent-encoded).
pub const HEADER_CHARS: usize = 500;

/// Text as a header value a client can read back: printable ASCII as it is; anything else
/// (Persian, Cyrillic, a line break) RFC 8187 style, `UTF-8''` and the text's UTF-8 bytes
/// percent-encoded (every byte but RFC 8187's `attr-char`), which PHP's `rawurldecode`,
/// .NET's `Uri.UnescapeDataString` and Python's `urllib.parse.unquote` decode once the
/// `UTF-8''` prefix is cut off (docs/errors.md).
///
/// A message longer than [`HEADER_CHARS`] characters (one that quotes a hostile megabyte, say)
/// is cut there, saying how much was left out: the journal keeps it whole, and clients cap the
/// size of a response head (a few KiB to 100 KiB).
pub fn header_text(text: &str) -> String {
    let cut;
    let text = match text.char_indices().nth(HEADER_CHARS) {
        Some((at, _)) => {
            let rest = text[at..].chars().count();
            cut = format!(
                "{}... (+{rest} characters: the journal has the whole text)",
                &text[..at]
            );
            cut.as_str()
        }
        None => text,
    };
    if text.chars().all(|c| (' '..='~').contains(&c)) {
        return text.to_string();
    }
    let mut out = String::from("UTF-8''");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `X-Signsim-Warning: <kind> <reason>`, the reason as [`header_text`] writes it (a kind is
/// plain ASCII, so a client reads it as the first word either way).
fn warning_header(w: &crate::journal::Warning) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("{} {}", w.kind, header_text(&w.reason))).ok()
}

/// One access line per request at info; the judgement (diagnostics, warnings) at debug.
fn log(id: u64, seen: &Seen, meta: &Meta, status: u16, duration: Duration) {
    if !tracing::enabled!(target: "signsim::access", tracing::Level::INFO) {
        return;
    }
    let outcome = match (&meta.fault, &meta.refusal, meta.success) {
        (Some(f), _, _) => format!("fault {f}"),
        (None, Some(r), _) => format!("refused {} ({})", r.kind, r.code),
        (None, None, Some(false)) => "failed".to_string(),
        _ => "ok".to_string(),
    };
    tracing::info!(
        target: "signsim::access",
        request_id = id,
        api = meta.api,
        operation = %meta.operation,
        status,
        outcome = %outcome,
        duration_us = duration.as_micros() as u64,
        "{} {}",
        seen.method,
        seen.path,
    );
    if tracing::enabled!(target: "signsim::access", tracing::Level::DEBUG)
        && (!meta.diagnostics.is_empty() || !meta.warnings.is_empty())
    {
        for line in &meta.diagnostics {
            tracing::debug!(target: "signsim::access", request_id = id, "  {line}");
        }
        for w in &meta.warnings {
            tracing::debug!(target: "signsim::access", request_id = id, "  warning {} {}", w.kind, w.reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::header_text;

    /// Decodes what [`header_text`] wrote, as a client's percent-decoder does.
    fn decode(value: &str) -> String {
        let Some(encoded) = value.strip_prefix("UTF-8''") else {
            return value.to_string();
        };
        let bytes = encoded.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn ascii_stays_and_the_rest_is_rfc_8187() {
        let plain = "402 WrongState: tracking code 7 is Registered (see 'x')";
        assert_eq!(header_text(plain), plain);
        for text in [
            "کد رهگیری ۱۰۰۰۰۰۱ یافت نشد",
            "Неверная подпись: ключ 'abc' 100%",
            "line\nbreak",
        ] {
            let v = header_text(text);
            assert!(v.starts_with("UTF-8''"), "{v}");
            assert!(v.bytes().all(|b| b.is_ascii_graphic()), "{v}");
            assert_eq!(decode(&v), text);
        }
        assert_eq!(header_text("й"), "UTF-8''%D0%B9");
    }

    #[test]
    fn a_long_message_is_cut_saying_how_much_is_left_out() {
        let long = format!("customer code '{}' is not known", "9".repeat(950_000));
        let v = header_text(&long);
        assert!(v.len() < 1_000, "{}", v.len());
        assert!(v.starts_with("customer code '999"), "{v}");
        assert!(
            v.ends_with("characters: the journal has the whole text)"),
            "{v}"
        );
        let persian = "ک".repeat(10_000);
        let v = header_text(&persian);
        assert!(v.len() <= 6 * 1024 + 100, "{}", v.len());
        assert!(
            decode(&v).starts_with(&"ک".repeat(super::HEADER_CHARS)),
            "{v}"
        );
    }
}
