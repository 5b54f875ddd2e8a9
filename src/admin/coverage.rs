//! `GET /__admin/coverage`: the contract coverage report (`?tenant=`, `?api=pki|podpishi`);
//! `DELETE /__admin/coverage` starts counting again. Reset keeps the counts.

use super::{AdminError, Reply, Req};
use crate::coverage::Filter;
use serde_json::json;

/// The query names `GET /__admin/coverage` takes.
pub const FILTERS: &[&str] = &["tenant", "api"];

pub fn get(c: &Req<'_>) -> Result<Reply, AdminError> {
    let filter = filter(c)?;
    let coverage = &c.shared().coverage;
    if let Some(t) = &filter.tenant {
        let seen = coverage.tenants();
        if !seen.iter().any(|s| s == t) {
            let hint = crate::suggest::closest(t, seen.iter().map(String::as_str))
                .map(|s| format!(" did you mean '{s}'?"))
                .unwrap_or_default();
            return Err(AdminError::not_found(format!(
                "tenant: '{t}' has made no request since counting started;{hint} expected a PKI customer code or a Podpishi login that has: {}",
                if seen.is_empty() { "(none yet)".to_string() } else { seen.join(", ") }
            )));
        }
    }
    let report = coverage.report(&filter);
    Ok(Reply::Json(
        serde_json::to_value(report).unwrap_or_default(),
    ))
}

pub fn clear(c: &Req<'_>) -> Result<Reply, AdminError> {
    c.shared().coverage.clear();
    Ok(Reply::Json(json!({"cleared": true})))
}

fn filter(c: &Req<'_>) -> Result<Filter, AdminError> {
    let mut f = Filter::default();
    for (name, value) in &c.query {
        match name.to_ascii_lowercase().as_str() {
            "tenant" => f.tenant = Some(value.clone()),
            "api" => match value.as_str() {
                "pki" | "podpishi" => f.api = Some(value.clone()),
                _ => {
                    return Err(AdminError::bad(format!(
                        "api: '{value}' is not an API; expected pki or podpishi"
                    )))
                }
            },
            _ => {
                let hint = crate::suggest::closest(name, FILTERS.iter().copied())
                    .map(|s| format!("did you mean '{s}'? "))
                    .unwrap_or_default();
                return Err(AdminError::bad(format!(
                    "'{name}' is not a coverage filter; {hint}the filters are: {}",
                    FILTERS.join(", ")
                )));
            }
        }
    }
    Ok(f)
}
