//! Who may use the control API, checked before routing (docs/control-api.md), in this order:
//! - the caller: a token when one is set (from anywhere), every client under `--admin-open`,
//!   else loopback clients only;
//! - `Host` must be a loopback name (`localhost`, `*.localhost`), an IP address, a single-label
//!   name (a compose service or CI alias) or the host of `--public-url`: a DNS-rebinding page
//!   reaches signsim under a name of its own, which is refused, so it can read nothing;
//! - `Origin`, when sent (browsers send it on every cross-origin request and every POST), must
//!   be this server's own (the request's `Host`, or the public URL); `Sec-Fetch-Site` may not
//!   say `cross-site` or `same-site`;
//! - a state-changing request (POST, PUT, PATCH, DELETE) with a body must say
//!   `Content-Type: application/json` (a scenario also `application/toml`): the types a page
//!   can send cross-site without asking first — `text/plain`, forms — are refused (415). A
//!   body-less one (`curl -X POST …/reset`) needs no content type: a browser sending it would
//!   carry a foreign `Origin`, refused above.

use super::{Admin, AdminError};
use hyper::http::request::Parts;
use hyper::Method;

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
    /// Every check, in order; the first refusal is the answer.
    pub(super) fn authorize(&self, head: &Parts) -> Result<(), AdminError> {
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
            // Only a well-formed host is worth a --public-url signsim would accept.
            let remedy = match crate::config::check_authority(&host) {
                Ok(()) => format!(
                    "to reach it as '{host}', start signsim with --public-url http://{host}"
                ),
                Err(why) => format!("and it is not a host a URL can name ({why})"),
            };
            return Err(AdminError::new(
                403,
                format!(
                    "Host '{host}' is not a loopback name, an address, a single-label name or the public URL's host: the control API answers only under names of its own (DNS rebinding); {remedy}"
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
}
