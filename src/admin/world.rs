//! Health, reset, scenario loading, the clock and the schedule.

use super::{AdminError, Reply, Req};
use crate::config::ScenarioSource;
use serde_json::{json, Value};

/// Never waits on the store: the room is one `statvfs` (or `/proc/meminfo`), the stalls are
/// counters. `status` is `degraded`, with the reasons in `problems`, while writes are refused
/// for want of space or requests give up waiting for the store.
pub fn health(c: &Req<'_>) -> Result<Reply, AdminError> {
    let s = c.shared();
    let room = c.control.store().room();
    let stalls = s.stalls.report();
    let mut problems = Vec::new();
    if room.full {
        problems.push(format!(
            "writes are refused: the {} has {} free, below --min-free {} ({}); they resume by themselves once space is freed",
            match room.on {
                "disk" => "data directory's filesystem",
                _ => "memory for the in-memory store",
            },
            crate::store::space::size(room.free_bytes),
            crate::store::space::size(room.min_free_bytes),
            room.min_free
        ));
    }
    if stalls.stuck > 0 {
        problems.push(format!(
            "the store is stuck: {} call(s) still running after their request gave up waiting (--store-timeout); {} request(s) gave up since start",
            stalls.stuck, stalls.count
        ));
    }
    Ok(Reply::Json(json!({
        "status": if problems.is_empty() { "ok" } else { "degraded" },
        "problems": problems,
        "space": room,
        "store_stalls": stalls,
        "version": crate::VERSION,
        "commit": crate::COMMIT,
        "scenario": c.control.scenario_name(),
        "uptime_ms": c.control.uptime_ms(),
        "store": c.control.store_mode(),
        "clock": crate::clock::wire_time(s.clock.now()),
        "clock_frozen": s.clock.is_frozen(),
        "journal": super::journal::sizes(c).0,
        "admin_journal": super::journal::sizes(c).1,
        "journal_bytes": {"kept": s.journal.bytes(), "budget": s.journal.budget()},
        "faults": s.faults.list().len(),
        "revision": s.revision.load(std::sync::atomic::Ordering::Relaxed),
        "p12_keys": c.control.pki().map(|p| p.key_pool()),
    })))
}

pub fn reset(c: &Req<'_>) -> Result<Reply, AdminError> {
    let started = std::time::Instant::now();
    c.control.reset()?;
    super::journal::clear_all(c);
    Ok(Reply::Json(
        json!({"reset": true, "scenario": c.control.scenario_name(), "took_ms": started.elapsed().as_secs_f64() * 1000.0}),
    ))
}

/// The body is the scenario's TOML; `?base=DIR` says where its relative paths resolve (default:
/// the directory of the loaded scenario).
pub fn load_scenario(c: &Req<'_>) -> Result<Reply, AdminError> {
    let text = std::str::from_utf8(&c.body)
        .map_err(|_| AdminError::bad("the scenario is not UTF-8 text"))?
        .to_string();
    let base = match c.query("base") {
        Some(b) => std::path::PathBuf::from(b),
        None => match c.control.scenario_source() {
            ScenarioSource::File(p) => p.parent().map(|d| d.to_path_buf()).unwrap_or_default(),
            ScenarioSource::Text { base, .. } => base,
            ScenarioSource::Embedded => {
                let cwd = std::env::current_dir().unwrap_or_default();
                if cwd.join("scenarios").is_dir() {
                    cwd.join("scenarios")
                } else {
                    cwd
                }
            }
        },
    };
    c.control.load(ScenarioSource::Text { text, base })?;
    super::journal::clear_all(c);
    Ok(Reply::Json(json!({"loaded": c.control.scenario_name()})))
}

/// Under `--tls`, the root that issued the server certificate (PEM): what a client passes as
/// `--cacert`. It is the fixtures' test root, the same as `/__admin/pki/root` for the default
/// scenario.
pub fn tls_root(c: &Req<'_>) -> Result<Reply, AdminError> {
    let pem = c.control.tls_root().ok_or_else(|| {
        AdminError::not_found("signsim serves plain HTTP; start it with --tls for HTTPS")
    })?;
    Ok(Reply::Bytes {
        content_type: "application/x-pem-file",
        body: bytes::Bytes::from(pem),
    })
}

pub fn clock_get(c: &Req<'_>) -> Result<Reply, AdminError> {
    Ok(Reply::Json(
        json!({"now": crate::clock::wire_time(c.shared().clock.now()), "frozen": c.shared().clock.is_frozen()}),
    ))
}

/// The ways `POST /__admin/clock` moves the clock (`frozen` only stops or starts it), as the coverage report
/// counts them.
pub const CLOCK_TRAVELS: &[(&str, &str)] = &[
    ("set", "POST /__admin/clock {\"set\": RFC 3339}"),
    ("advance", "POST /__admin/clock {\"advance\": \"30d\"}"),
];

/// `{"set": RFC3339}` or `{"advance": "30d" | "2h" | "90s" | "-1d"}`, and/or `{"frozen": bool}`
/// (freeze the clock where it stands, or let it run from there).
pub fn clock_set(c: &Req<'_>) -> Result<Reply, AdminError> {
    let v = c.json()?;
    let frozen = match v.get("frozen") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => {
            return Err(AdminError::bad(format!(
                "frozen: {other} is not true or false"
            )))
        }
    };
    if let Some(f) = frozen {
        c.shared().clock.freeze(f);
    }
    if let Some(at) = v.get("set").and_then(Value::as_str) {
        let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            .map_err(|e| AdminError::bad(format!("set: '{at}' is not RFC 3339 ({e})")))?;
        c.shared().clock.set(t).map_err(AdminError::bad)?;
        let _ = c.action.set("set");
    } else if let Some(by) = v.get("advance").and_then(Value::as_str) {
        c.shared()
            .clock
            .advance(crate::clock::parse_duration(by).map_err(AdminError::bad)?)
            .map_err(AdminError::bad)?;
        let _ = c.action.set("advance");
    } else if frozen.is_none() {
        return Err(AdminError::bad(
            "send {\"set\": \"2026-06-01T08:00:00Z\"}, {\"advance\": \"30d\"} or {\"frozen\": true}",
        ));
    }
    // Whatever the new time makes due happens now, before the answer.
    c.control.run_due();
    clock_get(c)
}

pub fn schedule(c: &Req<'_>) -> Result<Reply, AdminError> {
    let pending: Vec<Value> = c
        .shared()
        .schedule
        .pending()
        .into_iter()
        .map(|p| json!({"at": crate::clock::wire_time(p.at), "action": p.action, "record": p.record, "origin": p.origin}))
        .collect();
    Ok(Reply::Json(
        json!({"pending": pending, "done": c.shared().schedule.done()}),
    ))
}
