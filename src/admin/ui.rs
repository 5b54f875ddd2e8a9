//! The dashboard at `/__admin/ui` (docs/dashboard.md): one HTML page, a script and a style
//! sheet, compiled into the binary and served under the control API's own access rule. The
//! page is plain HTML and JavaScript over the control API — nothing is fetched from anywhere
//! else, so it works on a machine without a network.

use super::{AdminError, Reply, Req};
use crate::pipeline::Answer;
use bytes::Bytes;
use hyper::header::HeaderName;

/// The policy the dashboard keeps to: its script, styles and icon come from signsim itself,
/// nothing inline (no `<script>` body, `style=` attribute or `on…=` handler: app.js attaches
/// its handlers), it talks only to its own origin, and no other site may frame it.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The headers on every answer under `/__admin` — the page, its files, and every JSON, text,
/// ZIP, PEM or DER document of the control API, refusals included (docs/dashboard.md).
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
];

/// `answer` with [`SECURITY_HEADERS`].
pub fn guarded(mut answer: Answer) -> Answer {
    for (name, value) in SECURITY_HEADERS {
        answer = answer.with_header(HeaderName::from_static(name), value);
    }
    answer
}

const PAGE: &str = include_str!("ui/index.html");

/// The page's assets by file name.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("ui/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("ui/style.css"),
    ),
    ("icon.svg", "image/svg+xml", include_str!("ui/icon.svg")),
];

pub fn page(_c: &Req<'_>) -> Result<Reply, AdminError> {
    Ok(Reply::Bytes {
        content_type: "text/html; charset=utf-8",
        body: Bytes::from_static(PAGE.as_bytes()),
    })
}

pub fn asset(c: &Req<'_>) -> Result<Reply, AdminError> {
    let name = c.params[0].as_str();
    let (_, content_type, body) = ASSETS.iter().find(|(n, ..)| *n == name).ok_or_else(|| {
        AdminError::not_found(format!(
            "the dashboard has no file '{name}': it has {}",
            ASSETS
                .iter()
                .map(|(n, ..)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    Ok(Reply::Bytes {
        content_type,
        body: Bytes::from_static(body.as_bytes()),
    })
}
