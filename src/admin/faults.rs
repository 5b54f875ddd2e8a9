//! Fault rules: list, add (validated first), clear, remove by name.

use super::{AdminError, Reply, Req};
use serde_json::{json, Value};

pub fn list(c: &Req<'_>) -> Result<Reply, AdminError> {
    let list: Vec<Value> = c
        .shared()
        .faults
        .list()
        .into_iter()
        .map(|(r, calls)| json!({"rule": r, "matched_calls": calls}))
        .collect();
    Ok(Reply::Json(json!({"faults": list})))
}

pub fn add(c: &Req<'_>) -> Result<Reply, AdminError> {
    let rule: crate::faults::FaultRule =
        serde_json::from_slice(&c.body).map_err(|e| AdminError::bad(format!("fault rule: {e}")))?;
    let mut problems = rule.problems();
    problems.extend(c.control.fault_problems(&rule));
    if !problems.is_empty() {
        return Err(AdminError::bad(
                problems
                    .iter()
                    .map(|(f, m)| format!("{f}: {m}"))
                    .collect::<Vec<_>>()
                    .join("; "),
        )
        .with_details(json!({"problems": problems.iter().map(|(f, m)| json!({"field": f, "message": m})).collect::<Vec<_>>()})));
    }
    let name = c.shared().faults.add(rule);
    tracing::warn!("fault rule added: {name}");
    Ok(Reply::Json(json!({"added": name})))
}

pub fn clear(c: &Req<'_>) -> Result<Reply, AdminError> {
    c.shared().faults.replace(Vec::new());
    Ok(Reply::Json(json!({"cleared": true})))
}

pub fn remove(c: &Req<'_>) -> Result<Reply, AdminError> {
    if c.shared().faults.remove(&c.params[0]) {
        Ok(Reply::Json(json!({"removed": c.params[0]})))
    } else {
        Err(AdminError::not_found(format!(
            "no fault rule named '{}'",
            c.params[0]
        )))
    }
}
