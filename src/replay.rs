//! What a journal entry keeps to reproduce its request, and the `curl` command that does:
//! `GET /__admin/requests/{id}/curl` (docs/control-api.md), the dashboard's *copy as curl*.
//!
//! The journal's `request` is a summary — long values shortened, secrets masked, uploads as
//! size + SHA-256 — so it can not be sent again. Each entry therefore also keeps, out of its
//! JSON, the query string and the body bytes exactly as they arrived, up to [`REPLAY_BYTES`]
//! (counted in the journal's byte budget). The headers that decide how signsim reads a request
//! are its method, path and `Content-Type` (the entry has them); nothing else is read.
//!
//! These bytes hold what the summary masks (a P12 password, a Podpishi apikey): only the curl
//! route shows them, on request, under the control API's access rule — the same rule that
//! hands out an issued PKCS#12.

/// Bodies up to this size are kept for replay; a larger one is noted by its size.
pub const REPLAY_BYTES: usize = 64 * 1024;

/// The request as it arrived, for replay (never in the journal's JSON).
#[derive(Clone, Debug, Default)]
pub struct Sent {
    /// The query string, without `?`.
    pub query: Option<String>,
    pub body: SentBody,
}

#[derive(Clone, Debug, Default)]
pub enum SentBody {
    /// Not read: a GET, or a request refused before its body was read.
    #[default]
    NotRead,
    Kept(bytes::Bytes),
    /// Over [`REPLAY_BYTES`]: its size.
    TooLarge(usize),
}

impl Sent {
    /// Records a body that was read. Shared, not copied: it may be a slice of the connection's
    /// read buffer, which the journal never keeps alive — it copies what it keeps when the
    /// entry is pushed (`journal::packed`).
    pub fn keep_body(&mut self, body: &bytes::Bytes) {
        self.body = if body.len() <= REPLAY_BYTES {
            SentBody::Kept(body.clone())
        } else {
            SentBody::TooLarge(body.len())
        };
    }

    /// `body` as a value the journal can keep: the body [`Sent::keep_body`] kept when it is
    /// these bytes (shared, and packed once), else a copy of its own.
    pub fn share(&self, body: &[u8]) -> bytes::Bytes {
        match &self.body {
            SentBody::Kept(b) if b[..] == *body => b.clone(),
            _ => bytes::Bytes::copy_from_slice(body),
        }
    }

    /// Roughly the bytes it holds on to.
    pub fn weight(&self) -> usize {
        self.query.as_ref().map_or(0, String::len)
            + match &self.body {
                SentBody::Kept(b) => b.len(),
                _ => 0,
            }
    }
}

/// A `curl` command, pasteable into a POSIX shell, that sends `method path?query` with its
/// content type and body bytes to `base` (`http://127.0.0.1:8080`). `Err` says why the
/// request can not be reproduced exactly.
pub fn curl(
    base: &str,
    method: &str,
    path: &str,
    content_type: &str,
    sent: &Sent,
) -> Result<String, String> {
    let mut url = format!("{}{path}", base.trim_end_matches('/'));
    if let Some(q) = sent.query.as_deref().filter(|q| !q.is_empty()) {
        url.push('?');
        url.push_str(q);
    }
    let mut args = vec!["curl".to_string(), "-sS".into()];
    if method != "GET" {
        args.extend(["-X".into(), quote(method)]);
    }
    args.push(quote(&url));
    if !content_type.is_empty() {
        args.extend(["-H".into(), quote(&format!("Content-Type: {content_type}"))]);
    }
    let body = match &sent.body {
        SentBody::NotRead if method == "GET" || method == "HEAD" => None,
        SentBody::NotRead => {
            args.extend(["-H".into(), quote("Content-Length: 0")]);
            None
        }
        SentBody::TooLarge(n) => {
            return Err(format!(
                "the body was {n} bytes; the journal keeps bodies of up to {REPLAY_BYTES} bytes for replay"
            ))
        }
        SentBody::Kept(b) => Some(b),
    };
    let Some(body) = body else {
        return Ok(args.join(" "));
    };
    match std::str::from_utf8(body) {
        // Text a terminal pastes unchanged: inside single quotes.
        Ok(text)
            if text
                .chars()
                .all(|c| c == '\n' || c == '\t' || !c.is_control()) =>
        {
            args.extend(["--data-binary".into(), quote(text)]);
            Ok(args.join(" "))
        }
        // Anything else (CR LF of a multipart form, binary files) travels as base64.
        _ => {
            args.extend(["--data-binary".into(), "@-".into()]);
            Ok(format!(
                "printf %s {} | base64 -d | {}",
                quote(&crate::crypto::b64(body)),
                args.join(" ")
            ))
        }
    }
}

/// `text` as one POSIX shell word.
fn quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(query: Option<&str>, body: &[u8]) -> Sent {
        let mut s = Sent {
            query: query.map(str::to_string),
            ..Sent::default()
        };
        s.keep_body(&bytes::Bytes::copy_from_slice(body));
        s
    }

    #[test]
    fn a_json_post_is_quoted_for_the_shell() {
        let s = sent(None, br#"{"name":"O'Brien <script>","fa":"\u0645"}"#);
        let c = curl(
            "http://127.0.0.1:1/",
            "POST",
            "/api/RegisterInfo",
            "application/json",
            &s,
        )
        .unwrap();
        assert_eq!(
            c,
            r#"curl -sS -X POST http://127.0.0.1:1/api/RegisterInfo -H 'Content-Type: application/json' --data-binary '{"name":"O'\''Brien <script>","fa":"\u0645"}'"#
        );
    }

    #[test]
    fn a_get_keeps_its_query_and_binary_bodies_go_as_base64() {
        let get = Sent {
            query: Some("Customercode=1&x=a b".into()),
            ..Sent::default()
        };
        assert_eq!(
            curl("http://h", "GET", "/api/GetCAList", "", &get).unwrap(),
            "curl -sS 'http://h/api/GetCAList?Customercode=1&x=a b'"
        );
        let form = sent(
            None,
            b"--b\r\nContent-Disposition: form-data\r\n\r\n\xff\r\n--b--",
        );
        let c = curl(
            "http://h",
            "POST",
            "/api.php",
            "multipart/form-data; boundary=b",
            &form,
        )
        .unwrap();
        assert!(c.starts_with("printf %s LS1i"), "{c}");
        assert!(c.ends_with("| base64 -d | curl -sS -X POST http://h/api.php -H 'Content-Type: multipart/form-data; boundary=b' --data-binary @-"), "{c}");
    }

    #[test]
    fn a_body_over_the_bound_is_not_reproducible() {
        let big = sent(None, &vec![b'a'; REPLAY_BYTES + 1]);
        let e = curl("http://h", "POST", "/api/x", "application/json", &big).unwrap_err();
        assert!(e.contains(&format!("{} bytes", REPLAY_BYTES + 1)), "{e}");
        assert_eq!(big.weight(), 0);
    }
}
