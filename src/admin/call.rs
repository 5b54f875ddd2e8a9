//! What an admin handler is given ([`Req`]) and answers ([`Reply`], [`AdminError`]).

use super::{Control, LoadError};
use crate::pipeline::Shared;
use bytes::Bytes;
use serde_json::{json, Value};

pub struct AdminError {
    pub(super) status: u16,
    pub(super) message: String,
    /// Structured detail merged into the error body (e.g. `problems`).
    pub(super) details: Option<Value>,
}

impl AdminError {
    pub fn new(status: u16, message: impl Into<String>) -> AdminError {
        AdminError {
            status,
            message: message.into(),
            details: None,
        }
    }
    pub fn bad(message: impl Into<String>) -> AdminError {
        AdminError::new(400, message)
    }
    pub fn not_found(message: impl Into<String>) -> AdminError {
        AdminError::new(404, message)
    }
    pub fn with_details(mut self, details: Value) -> AdminError {
        self.details = Some(details);
        self
    }
}

impl From<crate::store::StoreError> for AdminError {
    /// The cause goes to the log, not to the client.
    fn from(e: crate::store::StoreError) -> AdminError {
        use crate::store::StoreError;
        match e {
            StoreError::Full(m) => AdminError::new(507, m),
            StoreError::Stalled(m) => AdminError::new(503, m),
            e => {
                tracing::error!("control API: {e}");
                AdminError::new(500, "the store failed; the server log has the cause")
            }
        }
    }
}

impl From<LoadError> for AdminError {
    fn from(e: LoadError) -> AdminError {
        match e {
            LoadError::Problems(problems) => AdminError::bad(format!(
                "the scenario has {} problem(s); nothing was changed",
                problems.len()
            ))
            .with_details(json!({"problems": problems.iter().map(|p| json!({"line": p.line, "field": p.field, "message": p.message})).collect::<Vec<_>>()})),
            LoadError::Failed(m) => AdminError::bad(m),
            LoadError::Store(e) => e.into(),
        }
    }
}

/// What an admin handler answers.
pub enum Reply {
    Json(Value),
    Bytes {
        content_type: &'static str,
        body: Bytes,
    },
}

/// One admin call as a handler sees it: the world, the path parameters, the query, the body.
pub struct Req<'a> {
    pub control: &'a dyn Control,
    pub params: Vec<String>,
    pub query: Vec<(String, String)>,
    pub body: Bytes,
    /// The transitions the call applied (an approval, a counterparty's signature), for the
    /// journal entry and the one observer.
    pub changes: crate::changes::Changes,
    /// What the call did, where its route's name does not say (how it moved the clock), for
    /// the journal entry's `action` and the coverage report.
    pub action: std::sync::OnceLock<&'static str>,
}

impl Req<'_> {
    pub fn json(&self) -> Result<Value, AdminError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(json!({}));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| AdminError::bad(format!("the body is not JSON: {e}")))
    }
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn shared(&self) -> &Shared {
        self.control.shared()
    }
    pub fn pki(&self) -> Result<crate::pki::Pki, AdminError> {
        self.control
            .pki()
            .ok_or_else(|| AdminError::not_found("the loaded scenario has no [pki] section"))
    }
    pub fn podpishi(&self) -> Result<crate::podpishi::Podpishi, AdminError> {
        self.control
            .podpishi()
            .ok_or_else(|| AdminError::not_found("the loaded scenario has no [podpishi] section"))
    }
}
