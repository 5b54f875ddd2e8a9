//! `/__admin/pki/…`: PKI state, officer actions and CA material, through the PKI's own verbs.

use super::{AdminError, Reply, Req};
use crate::pki::error::{Kind, PkiError};
use bytes::Bytes;
use serde_json::{json, Value};

impl From<PkiError> for AdminError {
    fn from(e: PkiError) -> Self {
        let status = match e.kind {
            Kind::TrackingCodeUnknown
            | Kind::UnknownCa
            | Kind::UnknownCustomer
            | Kind::CertificateUnknown => 404,
            Kind::WrongState => 409,
            Kind::Internal => 500,
            _ => 400,
        };
        AdminError::new(status, e.message)
    }
}

/// A tracking record as the control API shows it: the P12 password's hash masked, and the
/// PKCS#12 (which holds the private key) as its size and digest with where to download it.
fn shown(mut rec: Value) -> Value {
    let code = rec["code"].as_str().unwrap_or_default().to_string();
    if let Some(issue) = rec.get_mut("issue").and_then(Value::as_object_mut) {
        if let Some(p12) = issue.get("p12").and_then(Value::as_str) {
            let der = crate::crypto::b64_decode(p12).unwrap_or_default();
            issue.insert(
                "p12".into(),
                json!({
                    "bytes": der.len(),
                    "sha256": crate::crypto::sha256_hex(&der),
                    "download": format!("/__admin/pki/tracking/{code}/p12"),
                }),
            );
        }
    }
    crate::journal::redact(&mut rec);
    rec
}

fn shown_all(v: &mut Value) {
    if let Some(all) = v.as_array_mut() {
        for rec in all.iter_mut() {
            *rec = shown(rec.take());
        }
    }
}

pub fn state(c: &Req<'_>) -> Result<Reply, AdminError> {
    let mut dump = c.pki()?.state_dump()?;
    shown_all(&mut dump["tracking"]);
    Ok(Reply::Json(dump))
}

pub fn tracking_find(c: &Req<'_>) -> Result<Reply, AdminError> {
    let national = c
        .query("nationalCode")
        .ok_or_else(|| AdminError::bad("give ?nationalCode="))?;
    let mut all = serde_json::to_value(c.pki()?.tracking_of_person(national)?).unwrap_or_default();
    shown_all(&mut all);
    Ok(Reply::Json(json!({ "tracking": all })))
}

pub fn tracking(c: &Req<'_>) -> Result<Reply, AdminError> {
    let code = &c.params[0];
    let rec = c
        .pki()?
        .tracking_record(code)?
        .ok_or_else(|| AdminError::not_found(format!("tracking code '{code}' does not exist")))?;
    Ok(Reply::Json(shown(
        serde_json::to_value(rec).unwrap_or_default(),
    )))
}

/// The PKCS#12 issued for a P12 tracking code (DER, `application/x-pkcs12`): the one place the
/// control API hands out a private key, and only when asked for by name.
pub fn p12(c: &Req<'_>) -> Result<Reply, AdminError> {
    let code = &c.params[0];
    let rec = c
        .pki()?
        .tracking_record(code)?
        .ok_or_else(|| AdminError::not_found(format!("tracking code '{code}' does not exist")))?;
    let p12 = rec
        .issue
        .as_ref()
        .and_then(|i| i.p12.as_deref())
        .ok_or_else(|| {
            AdminError::not_found(format!(
                "tracking code '{code}' has no PKCS#12: it is {} with TokenType {}",
                rec.status.name(),
                rec.token_type
            ))
        })?;
    let der = crate::crypto::b64_decode(p12)
        .map_err(|e| AdminError::new(500, format!("the stored PKCS#12 does not decode: {e}")))?;
    Ok(Reply::Bytes {
        content_type: "application/x-pkcs12",
        body: Bytes::from(der),
    })
}

pub fn approve(c: &Req<'_>) -> Result<Reply, AdminError> {
    let v = c.json()?;
    let approver = v
        .get("approver")
        .and_then(Value::as_str)
        .unwrap_or("control API");
    let rec = c.pki()?.approve(&c.params[0], approver, &c.changes)?;
    Ok(Reply::Json(
        json!({"tracking_code": rec.code, "status": rec.status.name()}),
    ))
}

pub fn reject(c: &Req<'_>) -> Result<Reply, AdminError> {
    let v = c.json()?;
    let reason = v
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or("rejected by the RA");
    let rec = c.pki()?.reject(&c.params[0], reason, &c.changes)?;
    Ok(Reply::Json(
        json!({"tracking_code": rec.code, "status": rec.status.name()}),
    ))
}

pub fn certificate(c: &Req<'_>) -> Result<Reply, AdminError> {
    let serial = u64::from_str_radix(&c.params[1], 16)
        .map_err(|_| AdminError::bad(format!("serial '{}' is not hexadecimal", c.params[1])))?;
    let rec = c.pki()?.certificate(&c.params[0], serial)?.ok_or_else(|| {
        AdminError::not_found(format!(
            "CA '{}' has no certificate with serial {}",
            c.params[0], c.params[1]
        ))
    })?;
    let pem = crate::crypto::b64_decode(&rec.certificate)
        .map(|der| crate::crypto::x509::pem_encode("CERTIFICATE", &der))
        .unwrap_or_default();
    let mut v = serde_json::to_value(rec).unwrap_or_default();
    v["pem"] = json!(pem);
    Ok(Reply::Json(v))
}

pub fn customer(c: &Req<'_>) -> Result<Reply, AdminError> {
    let code = &c.params[0];
    Ok(Reply::Json(
        json!({"customer": code, "credit": c.pki()?.credit(code)?}),
    ))
}

/// `{"set": n}` or `{"add": n}` (negative to take away).
pub fn credit(c: &Req<'_>) -> Result<Reply, AdminError> {
    let v = c.json()?;
    let (amount, add) = match (
        v.get("set").and_then(Value::as_i64),
        v.get("add").and_then(Value::as_i64),
    ) {
        (Some(n), None) => (n, false),
        (None, Some(n)) => (n, true),
        _ => return Err(AdminError::bad("send {\"set\": n} or {\"add\": n}")),
    };
    let code = &c.params[0];
    Ok(Reply::Json(
        json!({"customer": code, "credit": c.pki()?.change_credit(code, amount, add)?}),
    ))
}

pub fn cas(c: &Req<'_>) -> Result<Reply, AdminError> {
    let world = c.pki()?.world();
    Ok(Reply::Json(json!({"cas": world.cas.iter().map(|ca| json!({
        "name": ca.spec.name,
        "title": ca.spec.title,
        "subject": ca.signer.subject_display,
        "available": ca.available.load(std::sync::atomic::Ordering::Relaxed),
        "profiles": ca.profiles.iter().map(|p| p.spec.name.clone()).collect::<Vec<_>>(),
    })).collect::<Vec<_>>()})))
}

pub fn availability(c: &Req<'_>) -> Result<Reply, AdminError> {
    let up = c
        .json()?
        .get("available")
        .and_then(Value::as_bool)
        .ok_or_else(|| AdminError::bad("send {\"available\": true|false}"))?;
    c.pki()?.set_available(&c.params[0], up)?;
    Ok(Reply::Json(json!({"ca": c.params[0], "available": up})))
}

pub fn ca_certificate(c: &Req<'_>) -> Result<Reply, AdminError> {
    let (pem, _) = c.pki()?.ca_material(&c.params[0])?;
    Ok(Reply::Bytes {
        content_type: "application/x-pem-file",
        body: Bytes::from(pem),
    })
}

/// The root above the scenario's CAs: the last certificate of the first CA's chain.
pub fn root(c: &Req<'_>) -> Result<Reply, AdminError> {
    let world = c.pki()?.world();
    let pem = world
        .cas
        .iter()
        .find_map(|ca| ca.chain_pem.last().cloned())
        .ok_or_else(|| AdminError::not_found("no CA of the scenario lists a chain up to a root"))?;
    Ok(Reply::Bytes {
        content_type: "application/x-pem-file",
        body: Bytes::from(pem),
    })
}

pub fn ca_chain(c: &Req<'_>) -> Result<Reply, AdminError> {
    let (pem, chain) = c.pki()?.ca_material(&c.params[0])?;
    Ok(Reply::Bytes {
        content_type: "application/x-pem-file",
        body: Bytes::from(format!("{pem}{}", chain.concat())),
    })
}

pub fn ca_crl(c: &Req<'_>) -> Result<Reply, AdminError> {
    let pki = c.pki()?;
    let world = pki.world();
    let der = pki.crl_der(world.ca(&c.params[0])?)?;
    Ok(Reply::Bytes {
        content_type: "application/pkix-crl",
        body: der,
    })
}

/// The outcomes a face-authentication session may end with; `outcome` left out is the first.
pub const FACE_AUTH_OUTCOMES: &[&str] = &["verified", "failed"];

/// The provider's face-authentication service: `{"nationalCode", "trackingCode", "outcome"?}`
/// (`verified` by default, or `failed`) → the order whose `orderId` RequestApprove carries.
pub fn face_auth(c: &Req<'_>) -> Result<Reply, AdminError> {
    let v = c.json()?;
    let field = |name: &str| {
        match v.get(name) {
        Some(Value::String(s)) => Ok(s.to_string()),
        None => Err(AdminError::bad(format!("send {{\"nationalCode\": …, \"trackingCode\": …, \"outcome\": \"verified\"|\"failed\"}}: {name} is missing"))),
        Some(other) => Err(AdminError::bad(format!(
            "{name}: {other} is not a string; send {{\"nationalCode\": \"…\", \"trackingCode\": \"…\"}}"
        ))),
    }
    };
    let outcome = face_auth_outcome(v.get("outcome"))?;
    let order = c
        .pki()?
        .face_auth(&field("nationalCode")?, &field("trackingCode")?, outcome)?;
    Ok(Reply::Json(json!({
        "orderId": order.order_id,
        "nationalCode": order.national_code,
        "trackingCode": order.tracking_code,
        "outcome": order.outcome,
    })))
}

/// `outcome` as sent: left out is `verified`; otherwise exactly one of
/// [`FACE_AUTH_OUTCOMES`] as a JSON string — `false`, `0`, `null`, a list or an object is
/// refused naming the value, never read as the default.
fn face_auth_outcome(sent: Option<&Value>) -> Result<&'static str, AdminError> {
    let Some(sent) = sent else {
        return Ok(FACE_AUTH_OUTCOMES[0]);
    };
    if let Some(known) = sent
        .as_str()
        .and_then(|s| FACE_AUTH_OUTCOMES.iter().find(|o| **o == s))
    {
        return Ok(known);
    }
    let hint = sent
        .as_str()
        .and_then(|s| crate::suggest::closest(s, FACE_AUTH_OUTCOMES.iter().copied()))
        .map(|o| format!("; did you mean \"{o}\"?"))
        .unwrap_or_default();
    let mut shown = sent.to_string();
    if let Some((at, _)) = shown.char_indices().nth(80) {
        shown = format!("{}…", &shown[..at]);
    }
    Err(AdminError::bad(format!(
        "outcome: {shown} is not a face-authentication outcome: send \"verified\" or \"failed\" as a string, or leave outcome out for \"verified\"{hint}"
    ))
    .with_details(json!({"field": "outcome", "expected": FACE_AUTH_OUTCOMES})))
}

/// `?trackingCode=`: the face-authentication orders issued for it.
pub fn face_auth_orders(c: &Req<'_>) -> Result<Reply, AdminError> {
    let code = c
        .query("trackingCode")
        .ok_or_else(|| AdminError::bad("give ?trackingCode="))?;
    Ok(Reply::Json(
        json!({"orders": c.pki()?.face_auth_orders(code)?}),
    ))
}
