//! Control endpoints under `/__admin/podpishi/` (the control-plane issue extends these):
//!
//! - `POST /__admin/podpishi/documents/{num}/sign` with JSON
//!   `{"signer": "petrova", "action": "sign"|"refuse", "index": 2, "attached": false}`: the
//!   counterparty's web-cabinet step. `sign` makes a real CMS (sha256WithRSA, signed
//!   attributes, signingTime = the clock; detached unless `attached`) by the named test signer
//!   over the document's first file and records it exactly as `addsignature` would (same
//!   checks: the signer's BIN must be the permission's). `refuse` marks the permission
//!   `sign_deleted` (the counterparty declined). `index` defaults to the receiver's permission.
//! - `GET /__admin/podpishi/outbox`: the emails the service would have sent, as JSON.
//! - `GET /__admin/podpishi/documents/{num}`: a document with its permissions and signatures;
//!   `GET …/accounts/{login}`: an account (balance, BINs, blocked); `GET …/partner-transactions`;
//!   `GET …/state`: everything stored (accounts, documents, transactions, outbox) in key order.
//!
//! Answers are JSON; a refusal is HTTP 4xx with `{"error": …, "status": N}`.

use super::addsignature::{check_signable, sign_permission};
use crate::podpishi::error::{Kind, PodpishiError};
use crate::podpishi::state::{keys, Document, Email};
use crate::podpishi::Podpishi;
use crate::server::{body, Request, Response};
use crate::store::{refuse, Abort, Table};
use bytes::Bytes;
use http_body_util::Full;
use hyper::Method;
use serde_json::{json, Value};

/// Every value of a table as `{key, value}`, in key order.
fn dump(pod: &Podpishi, table: Table) -> Result<Vec<Value>, PodpishiError> {
    Ok(pod
        .store()
        .scan_prefix::<Value>(table, b"", usize::MAX)?
        .into_iter()
        .map(|(k, v)| json!({"key": crate::store::codec::split(&k).join("/"), "value": v}))
        .collect())
}

fn reply(status: u16, v: Value) -> Response {
    hyper::Response::builder()
        .status(status)
        .header(
            hyper::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )
        .body(Full::new(Bytes::from(v.to_string())))
        .unwrap_or_default()
}

fn error(e: PodpishiError) -> Response {
    let status = match e.kind {
        Kind::DocumentUnknown | Kind::PermissionUnknown => 404,
        Kind::Internal => 500,
        Kind::WrongState => 409,
        _ => 400,
    };
    reply(
        status,
        json!({"error": e.message, "status": e.kind.status()}),
    )
}

pub async fn handle(pod: &Podpishi, req: Request, rest: String) -> Response {
    let parts: Vec<&str> = rest.split('/').collect();
    match (req.method().clone(), parts.as_slice()) {
        (Method::GET, ["outbox"]) => {
            match pod
                .store()
                .scan_prefix::<Email>(Table::PodOutbox, b"", usize::MAX)
            {
                Ok(v) => reply(
                    200,
                    json!(v.into_iter().map(|(_, e)| e).collect::<Vec<_>>()),
                ),
                Err(e) => error(e.into()),
            }
        }
        (Method::POST, ["documents", num, "sign"]) => {
            let Ok(num) = num.parse::<u64>() else {
                return error(PodpishiError::new(
                    Kind::InvalidField,
                    format!("'{num}' is not a document number"),
                ));
            };
            let body = match body::read_limited(req, 64 * 1024).await {
                Ok((_, b)) => b,
                Err(_) => {
                    return error(PodpishiError::new(
                        Kind::BodyTooLarge,
                        "the body is over 65536 bytes or unreadable",
                    ))
                }
            };
            match sign(pod, num, &body) {
                Ok(v) => reply(200, v),
                Err(e) => error(e),
            }
        }
        (Method::GET, ["documents", num]) => {
            let Ok(num) = num.parse::<u64>() else {
                return error(PodpishiError::new(
                    Kind::InvalidField,
                    format!("'{num}' is not a document number"),
                ));
            };
            match pod
                .store()
                .get::<Value>(Table::PodDocuments, &keys::document(num))
            {
                Ok(Some(d)) => reply(200, d),
                Ok(None) => error(PodpishiError::new(
                    Kind::DocumentUnknown,
                    format!("there is no document {num}"),
                )),
                Err(e) => error(e.into()),
            }
        }
        (Method::GET, ["accounts", login]) => match pod
            .store()
            .get::<Value>(Table::PodAccounts, &keys::account(login))
        {
            Ok(Some(a)) => reply(200, a),
            Ok(None) => reply(
                404,
                json!({"error": format!("there is no account '{login}'")}),
            ),
            Err(e) => error(e.into()),
        },
        (Method::GET, ["partner-transactions"]) => match dump(pod, Table::PodPartnerTrn) {
            Ok(v) => reply(200, json!(v)),
            Err(e) => error(e),
        },
        (Method::GET, ["state"]) => {
            let all = || -> Result<Value, PodpishiError> {
                Ok(json!({
                    "accounts": dump(pod, Table::PodAccounts)?,
                    "documents": dump(pod, Table::PodDocuments)?,
                    "partner_transactions": dump(pod, Table::PodPartnerTrn)?,
                    "outbox": dump(pod, Table::PodOutbox)?,
                }))
            };
            match all() {
                Ok(v) => reply(200, v),
                Err(e) => error(e),
            }
        }
        (m, _) => reply(
            404,
            json!({"error": format!("signsim has nothing at {m} /__admin/podpishi/{rest}: GET documents/{{num}}, accounts/{{login}}, partner-transactions, outbox, state; POST documents/{{num}}/sign")}),
        ),
    }
}

/// Signs (or refuses) as the counterparty; `body` is the JSON described above.
pub fn sign(pod: &Podpishi, num: u64, body: &[u8]) -> Result<Value, PodpishiError> {
    let v: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body).map_err(|e| {
            PodpishiError::new(Kind::MalformedRequest, format!("the body is not JSON: {e}"))
        })?
    };
    let world = pod.world();
    let signer_name = v.get("signer").and_then(Value::as_str).unwrap_or("");
    let action = v.get("action").and_then(Value::as_str).unwrap_or("sign");
    let index = v.get("index").and_then(Value::as_u64);
    let attached = v.get("attached").and_then(Value::as_bool).unwrap_or(false);
    let doc: Document = pod
        .store()
        .get(Table::PodDocuments, &keys::document(num))?
        .ok_or_else(|| {
            PodpishiError::new(Kind::DocumentUnknown, format!("there is no document {num}"))
        })?;
    let now = pod.now();
    match action {
        "sign" => {
            let signer = world.signer(signer_name).ok_or_else(|| {
                PodpishiError::new(
                    Kind::InvalidField,
                    format!(
                        "signer '{signer_name}' is not a test signer; the signers are: {}",
                        world
                            .signers
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            let content = doc
                .files
                .first()
                .map(|f| pod.store().get_raw(Table::PodFiles, f.sha256.as_bytes()))
                .transpose()?
                .flatten()
                .ok_or_else(|| {
                    PodpishiError::internal("reading the document", "its file is missing")
                })?;
            let der = crate::crypto::cms::sign(
                &signer.cert_der,
                signer
                    .key()
                    .map_err(|e| PodpishiError::internal("reading the signer key", e))?,
                &content,
                attached,
                now,
            )
            .map_err(|e| PodpishiError::internal("signing", e))?;
            let p = sign_permission(
                pod.store(),
                world,
                now,
                &doc,
                index,
                &der,
                None,
                &format!("signature by {signer_name}"),
            )?;
            Ok(
                json!({"num": num, "i": p.i, "signed": 1, "signed_bin": p.signed_bin, "signed_fio": p.signed_fio, "signed_firm": p.signed_firm, "signed_policy": p.signed_policy, "signature_pem": p.cms}),
            )
        }
        "refuse" => {
            let i = match index {
                Some(i) => i,
                None => doc
                    .permissions
                    .iter()
                    .find(|p| p.must_signed_by_bin == doc.receiver_bin && p.signed_type != 1)
                    .map(|p| p.i)
                    .ok_or_else(|| {
                        PodpishiError::new(
                            Kind::PermissionUnknown,
                            format!("document {num} has no receiver permission"),
                        )
                    })?,
            };
            pod.store().write(|tx| {
                let mut d: Document = tx
                    .get(Table::PodDocuments, &keys::document(num))?
                    .ok_or_else(|| {
                        Abort::Refuse(PodpishiError::new(
                            Kind::DocumentUnknown,
                            format!("there is no document {num}"),
                        ))
                    })?;
                let snapshot = d.clone();
                let Some(p) = d.permissions.iter_mut().find(|p| p.i == i) else {
                    return refuse(PodpishiError::new(
                        Kind::PermissionUnknown,
                        format!("document {num} has no permission {i}"),
                    ));
                };
                if let Err(e) = check_signable(&snapshot, p) {
                    return refuse(e);
                }
                p.sign_deleted = true;
                tx.put(Table::PodDocuments, &keys::document(num), &d)?;
                Ok(())
            })?;
            Ok(json!({"num": num, "i": i, "sign_deleted": 1}))
        }
        other => Err(PodpishiError::new(
            Kind::InvalidField,
            format!("action '{other}' is not sign or refuse"),
        )),
    }
}
