//! The request journal: `GET /__admin/requests` (filters in the query), `POST …/count`
//! (filter in the body), `GET …/{id}`, `DELETE` to clear; and `GET /__admin/warnings`, the
//! portability warnings counted per kind.
//!
//! The control API's own calls live in a ring of their own (`pipeline::Shared::admin_journal`)
//! and are left out of lists and counts unless asked for (`include=admin`, or `api=admin`), so a
//! health probe polled every second neither hides nor evicts the requests a person is looking
//! for (docs/control-api.md, journal entries). A filter name signsim does not know is refused
//! with the closest known one, never ignored.

use super::{AdminError, Reply, Req};
use crate::journal::{Entry, Filter, Journal};
use serde_json::{json, Value};

/// Every filter name, as docs/control-api.md lists them.
pub const FILTERS: &[&str] = &[
    "api",
    "operation",
    "status",
    "success",
    "since",
    "method",
    "path",
    "record",
    "field",
    "value",
    "limit",
    "include",
];

fn unknown_filter(name: &str) -> AdminError {
    let hint = crate::suggest::closest(name, FILTERS.iter().copied())
        .map(|c| format!("did you mean '{c}'? "))
        .unwrap_or_default();
    AdminError::bad(format!(
        "'{name}' is not a journal filter; {hint}the filters are: {}",
        FILTERS.join(", ")
    ))
}

fn filter_from_query(c: &Req<'_>) -> Result<Filter, AdminError> {
    if let Some((name, _)) = c
        .query
        .iter()
        .find(|(k, _)| !FILTERS.iter().any(|f| f.eq_ignore_ascii_case(k)))
    {
        return Err(unknown_filter(name));
    }
    let num = |name: &str| -> Result<Option<u64>, AdminError> {
        c.query(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| AdminError::bad(format!("{name} '{v}' is not a number")))
            })
            .transpose()
    };
    let success = match c.query("success") {
        None => None,
        Some(v) if v.eq_ignore_ascii_case("true") => Some(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Some(false),
        Some(v) => {
            return Err(AdminError::bad(format!(
                "success '{v}' is not true or false"
            )))
        }
    };
    let text = |name: &str| c.query(name).map(str::to_string);
    let f = Filter {
        api: text("api"),
        operation: text("operation"),
        status: num("status")?.map(|s| s as u16),
        success,
        since: num("since")?,
        method: text("method"),
        path: text("path"),
        record: text("record"),
        field: text("field"),
        value: text("value"),
        limit: num("limit")?.map(|l| l as usize),
        include: text("include"),
    };
    checked(f)
}

/// The checks a filter needs beyond its types, from the query or a count body alike.
fn checked(f: Filter) -> Result<Filter, AdminError> {
    if let Some(i) = &f.include {
        if !i.eq_ignore_ascii_case("admin") {
            return Err(AdminError::bad(format!(
                "include '{i}' is not known: the only value is 'admin' (the control API's own calls)"
            )));
        }
    }
    if f.value.is_some() && f.field.is_none() {
        return Err(AdminError::bad(
            "value needs field: the request field to compare, e.g. {\"field\": \"personData.NationalCode\", \"value\": \"0012345679\"}",
        ));
    }
    Ok(f)
}

/// The rings a filter reads: the APIs' always, the control API's when asked for.
fn rings<'a>(c: &'a Req<'_>, f: &Filter) -> Vec<&'a Journal> {
    let s = c.shared();
    let admin = f.include.is_some()
        || f.api
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("admin"));
    if admin {
        vec![&s.journal, &s.admin_journal]
    } else {
        vec![&s.journal]
    }
}

/// Matching entries of the rings a filter reads, oldest first, the newest `limit`.
fn select(c: &Req<'_>, f: &Filter) -> Vec<Entry> {
    let unlimited = Filter {
        limit: None,
        ..f.clone()
    };
    let mut all: Vec<Entry> = rings(c, f)
        .into_iter()
        .flat_map(|j| j.query(&unlimited))
        .collect();
    all.sort_by_key(|e| e.id);
    let skip = all.len().saturating_sub(f.limit.unwrap_or(usize::MAX));
    all.split_off(skip)
}

fn ring_json(j: &Journal) -> Value {
    json!({"entries": j.len(), "capacity": j.capacity(), "evicted": j.evicted()})
}

/// The journal's sizes, for `requests` and `health`.
pub fn sizes(c: &Req<'_>) -> (Value, Value) {
    let s = c.shared();
    (ring_json(&s.journal), ring_json(&s.admin_journal))
}

pub fn requests(c: &Req<'_>) -> Result<Reply, AdminError> {
    let f = filter_from_query(c)?;
    let entries = select(c, &f);
    let s = c.shared();
    Ok(Reply::Json(json!({
        "requests": entries,
        "total": s.journal.len(),
        "evicted": s.journal.evicted(),
        "capacity": s.journal.capacity(),
        "admin": ring_json(&s.admin_journal),
    })))
}

pub fn count(c: &Req<'_>) -> Result<Reply, AdminError> {
    let f: Filter = if c.body.iter().all(u8::is_ascii_whitespace) {
        Filter::default()
    } else {
        serde_json::from_slice(&c.body).map_err(|e| AdminError::bad(format!("filter: {e}")))?
    };
    let f = checked(f)?;
    let n: usize = rings(c, &f).into_iter().map(|j| j.count(&f)).sum();
    Ok(Reply::Json(json!({"count": n})))
}

pub fn get(c: &Req<'_>) -> Result<Reply, AdminError> {
    let (_, e) = entry(c)?;
    Ok(Reply::Json(serde_json::to_value(e).unwrap_or_default()))
}

/// The journal entry (of either ring) whose id is the route's `{id}`.
fn entry(c: &Req<'_>) -> Result<(u64, crate::journal::Entry), AdminError> {
    let id: u64 = c.params[0]
        .parse()
        .map_err(|_| AdminError::bad(format!("'{}' is not a request id", c.params[0])))?;
    let s = c.shared();
    let e = s
        .journal
        .get(id)
        .or_else(|| s.admin_journal.get(id))
        .ok_or_else(|| {
            AdminError::not_found(format!("request {id} is not (or no longer) in the journal"))
        })?;
    Ok((id, e))
}

pub fn clear(c: &Req<'_>) -> Result<Reply, AdminError> {
    clear_all(c);
    Ok(Reply::Json(json!({"cleared": true})))
}

/// Empties both rings (clear, reset, a new scenario).
pub fn clear_all(c: &Req<'_>) {
    c.shared().journal.clear();
    c.shared().admin_journal.clear();
}

/// Portability warnings per kind since start: count, first and last request id, the last
/// reason, and the kind's production risk; beside them, `refused`: the same per kind for the
/// requests refused under `portability = "refuse"`, and the policy in force.
pub fn warnings(c: &Req<'_>) -> Result<Reply, AdminError> {
    let tally = &c.shared().warnings;
    let by_kind = |seen: std::collections::BTreeMap<&'static str, crate::portability::Seen>| {
        seen.into_iter()
            .map(|(kind, seen)| {
                let mut v = serde_json::to_value(&seen).unwrap_or_default();
                v["risk"] = json!(crate::portability::risk(kind));
                (kind.to_string(), v)
            })
            .collect::<serde_json::Map<String, serde_json::Value>>()
    };
    let refused = tally.refused();
    let refused_requests: u64 = refused.values().map(|s| s.count).sum();
    Ok(Reply::Json(json!({
        "requests": tally.requests(),
        "kinds": by_kind(tally.snapshot()),
        "refused_requests": refused_requests,
        "refused": by_kind(refused),
        "policy": c.control.portability(),
    })))
}

/// `GET /__admin/requests/{id}/curl?url=BASE`: a `curl` command that sends the entry's request
/// again, exactly — method, path and query, `Content-Type`, body bytes (secrets included: the
/// entry keeps them for this, out of its JSON) — to `url` (default: the public URL).
/// `{"command", "exact": true}`, or `{"exact": false, "why"}` when the body was too large to keep.
pub fn curl(c: &Req<'_>) -> Result<Reply, AdminError> {
    let (id, e) = entry(c)?;
    if e.meta.api == "scenario" {
        return Err(AdminError::bad(format!(
            "request {id} is a scenario event or reaction, not a request a client sent"
        )));
    }
    let base = c
        .query("url")
        .map(str::to_string)
        .unwrap_or_else(|| c.control.public_url());
    if let Err(why) = crate::config::check_base_url(&base) {
        return Err(AdminError::bad(format!(
            "url '{base}' is not an http(s) base URL such as http://127.0.0.1:8080: {why}"
        )));
    }
    let answer = crate::replay::curl(&base, &e.method, &e.path, &e.content_type, &e.meta.sent);
    Ok(Reply::Json(match answer {
        Ok(command) => json!({"id": id, "command": command, "exact": true}),
        Err(why) => json!({"id": id, "exact": false, "why": why}),
    }))
}
