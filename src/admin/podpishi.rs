//! `/__admin/podpishi/…`: documents, accounts, partner transactions, the outbox, a state
//! dump, and the counterparty's sign/refuse step — through Podpishi's own verbs.
//!
//! `POST …/documents/{num}/sign` takes `{"signer": "petrova", "action": "sign"|"refuse",
//! "index": 2, "attached": false, "reason": "…"}`. A refusal is HTTP 4xx with
//! `{"error": …, "status": N}` (N: the Podpishi error status).

use super::{AdminError, Reply, Req};
use crate::podpishi::counterparty::Step;
use crate::podpishi::error::{Kind, PodpishiError};
use serde_json::json;

impl From<PodpishiError> for AdminError {
    fn from(e: PodpishiError) -> Self {
        let status = match e.kind {
            Kind::DocumentUnknown | Kind::PermissionUnknown => 404,
            Kind::Internal => 500,
            Kind::WrongState => 409,
            _ => 400,
        };
        AdminError::new(status, e.message).with_details(json!({"status": e.kind.status()}))
    }
}

fn document_number(c: &Req<'_>) -> Result<u64, AdminError> {
    c.params[0].parse().map_err(|_| {
        AdminError::from(PodpishiError::new(
            Kind::InvalidField,
            format!("'{}' is not a document number", c.params[0]),
        ))
    })
}

pub fn outbox(c: &Req<'_>) -> Result<Reply, AdminError> {
    Ok(Reply::Json(json!(c.podpishi()?.outbox()?)))
}

pub fn document(c: &Req<'_>) -> Result<Reply, AdminError> {
    let num = document_number(c)?;
    Ok(Reply::Json(c.podpishi()?.document_json(num)?))
}

pub fn sign(c: &Req<'_>) -> Result<Reply, AdminError> {
    let num = document_number(c)?;
    let step: Step = if c.body.iter().all(u8::is_ascii_whitespace) {
        Step::default()
    } else {
        serde_json::from_slice(&c.body).map_err(|e| {
            AdminError::from(PodpishiError::new(
                Kind::MalformedRequest,
                format!("the body is not JSON: {e}"),
            ))
        })?
    };
    Ok(Reply::Json(
        c.podpishi()?.counterparty(num, &step, &c.changes)?,
    ))
}

/// The document's ZIP as `getdoc` answers it (the dashboard's download).
pub fn zip(c: &Req<'_>) -> Result<Reply, AdminError> {
    let num = document_number(c)?;
    let (_, bytes) = c.podpishi()?.document_zip(num)?;
    Ok(Reply::Bytes {
        content_type: "application/zip",
        body: bytes::Bytes::from(bytes),
    })
}

pub fn signers(c: &Req<'_>) -> Result<Reply, AdminError> {
    Ok(Reply::Json(json!({"signers": c.podpishi()?.signers()})))
}

pub fn account(c: &Req<'_>) -> Result<Reply, AdminError> {
    let login = &c.params[0];
    c.podpishi()?
        .account_json(login)?
        .map(|mut v| {
            crate::journal::redact(&mut v);
            Reply::Json(v)
        })
        .ok_or_else(|| AdminError::not_found(format!("there is no account '{login}'")))
}

pub fn partner_transactions(c: &Req<'_>) -> Result<Reply, AdminError> {
    Ok(Reply::Json(json!(c.podpishi()?.partner_transactions()?)))
}

/// Everything stored, apikeys masked (the control API shows no secrets).
pub fn state(c: &Req<'_>) -> Result<Reply, AdminError> {
    let mut dump = c.podpishi()?.state_dump()?;
    crate::journal::redact(&mut dump);
    Ok(Reply::Json(dump))
}
