//! The dashboard at `/__admin/ui` (docs/dashboard.md): one HTML page, a script and a style
//! sheet, compiled into the binary and served under the control API's own access rule. The
//! page is plain HTML and JavaScript over the control API — nothing is fetched from anywhere
//! else, so it works on a machine without a network.

use super::{AdminError, Reply, Req};
use bytes::Bytes;

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
