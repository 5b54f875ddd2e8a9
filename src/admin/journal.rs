//! The request journal: `GET /__admin/requests` (filters in the query), `POST …/count`
//! (filter in the body), `GET …/{id}`, `DELETE` to clear; and `GET /__admin/warnings`, the
//! portability warnings counted per kind.

use super::{AdminError, Reply, Req};
use crate::journal::Filter;
use serde_json::json;

fn filter_from_query(c: &Req<'_>) -> Result<Filter, AdminError> {
    let num = |name: &str| -> Result<Option<u64>, AdminError> {
        c.query(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| AdminError::bad(format!("{name} '{v}' is not a number")))
            })
            .transpose()
    };
    Ok(Filter {
        api: c.query("api").map(str::to_string),
        operation: c.query("operation").map(str::to_string),
        status: num("status")?.map(|s| s as u16),
        success: c.query("success").map(|v| v == "true"),
        since: num("since")?,
        method: c.query("method").map(str::to_string),
        path: c.query("path").map(str::to_string),
        record: c.query("record").map(str::to_string),
        limit: num("limit")?.map(|l| l as usize),
    })
}

pub fn requests(c: &Req<'_>) -> Result<Reply, AdminError> {
    let f = filter_from_query(c)?;
    let entries = c.shared().journal.query(&f);
    Ok(Reply::Json(json!({
        "requests": entries,
        "total": c.shared().journal.len(),
        "evicted": c.shared().journal.evicted(),
        "capacity": c.shared().journal.capacity(),
    })))
}

pub fn count(c: &Req<'_>) -> Result<Reply, AdminError> {
    let f: Filter = if c.body.iter().all(u8::is_ascii_whitespace) {
        Filter::default()
    } else {
        serde_json::from_slice(&c.body).map_err(|e| AdminError::bad(format!("filter: {e}")))?
    };
    Ok(Reply::Json(json!({"count": c.shared().journal.count(&f)})))
}

pub fn get(c: &Req<'_>) -> Result<Reply, AdminError> {
    let id: u64 = c.params[0]
        .parse()
        .map_err(|_| AdminError::bad(format!("'{}' is not a request id", c.params[0])))?;
    let e = c.shared().journal.get(id).ok_or_else(|| {
        AdminError::not_found(format!("request {id} is not (or no longer) in the journal"))
    })?;
    Ok(Reply::Json(serde_json::to_value(e).unwrap_or_default()))
}

pub fn clear(c: &Req<'_>) -> Result<Reply, AdminError> {
    c.shared().journal.clear();
    Ok(Reply::Json(json!({"cleared": true})))
}

/// Portability warnings per kind since start (or the last reset): count, first and last
/// request id, the last reason, and the kind's production risk.
pub fn warnings(c: &Req<'_>) -> Result<Reply, AdminError> {
    let tally = &c.shared().warnings;
    let kinds: serde_json::Map<String, serde_json::Value> = tally
        .snapshot()
        .into_iter()
        .map(|(kind, seen)| {
            let mut v = serde_json::to_value(&seen).unwrap_or_default();
            v["risk"] = json!(crate::portability::risk(kind));
            (kind.to_string(), v)
        })
        .collect();
    Ok(Reply::Json(json!({
        "requests": tally.requests(),
        "kinds": kinds,
        "policy": c.control.portability(),
    })))
}
