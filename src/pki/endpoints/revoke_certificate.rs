//! `POST /api/RevokeCertificate`: revoke a certificate this customer's applicant holds.
//!
//! The signature is `Sign(certificate)` (ambiguous form, see `signature`). The certificate is
//! found by its issuer (one of our CAs) and serial; only the customer that registered it may
//! revoke it. `revokeCertReason` is an RFC 5280 CRLReason code (default 0, unspecified); the
//! revocation appears in the CA's CRL at `/crl/{caName}.crl` with that reason.

use crate::crypto::x509;
use crate::pki::error::{Kind, PkiError};
use crate::pki::model::certificates::unknown_certificate;
pub use crate::pki::model::certificates::Sent;
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use serde_json::{json, Value};

pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let cert_text = f.opt_str("certificate")?.unwrap_or_default();
    let customer = ctx.signed_customer(f, &cert_text)?;
    let reason = f.opt_int("revokeCertReason")?.unwrap_or(0);
    let reason_name = x509::revocation_reason(reason).ok_or_else(|| {
        PkiError::new(
            Kind::RevokeReasonInvalid,
            format!("revokeCertReason {reason} is not an RFC 5280 CRLReason: 0 unspecified, 1 keyCompromise, 2 cACompromise, 3 affiliationChanged, 4 superseded, 5 cessationOfOperation, 6 certificateHold, 8 removeFromCRL, 9 privilegeWithdrawn, 10 aACompromise")
        )
    })?;
    let sent = find_certificate(ctx, &cert_text)?;
    let serial = sent.serial;
    let ca = ctx.ca_for(customer, &sent.ca)?;
    ca.require_available()?;
    let applied = ctx
        .model()
        .revoke(&sent, &customer.code, reason as u8, reason_name, ctx.now)?;
    let rec = applied.record;
    ctx.record = Some(rec.code.clone());
    ctx.diag.push(format!(
        "tracking code {}: {} → {}, serial {serial:x}, reason {reason} ({reason_name})",
        rec.code,
        applied.from.name(),
        applied.to.name()
    ));
    Ok(json!({
        "IsSuccess": true,
        "Description": format!("certificate serial {serial:x} revoked ({reason_name}); tracking code {} is Revoked", rec.code),
        "ErrorCode": 0,
        "ErrorMessage": "",
    }))
}

/// The CA, serial and DER of a certificate sent as base64 DER (a `CERTIFICATE` PEM tolerated).
pub fn find_certificate(ctx: &Ctx<'_>, text: &str) -> Result<Sent, PkiError> {
    if text.trim().is_empty() {
        return Err(PkiError::new(Kind::MissingField, "certificate is missing: send the base64 DER certificate IssueCertificateByTrackingCode returned"));
    }
    let der = crate::crypto::der_from_b64_or_labelled_pem(text, &["CERTIFICATE"]).map_err(|e| {
        PkiError::new(
            Kind::CertificateInvalid,
            format!("certificate is not base64 of a DER certificate: {e}"),
        )
    })?;
    let info = x509::parse_certificate(&der)
        .map_err(|e| PkiError::new(Kind::CertificateInvalid, format!("certificate: {e}")))?;
    let ca = ctx
        .world
        .cas
        .iter()
        .find(|c| c.signer.subject_der == info.issuer_der)
        .ok_or_else(|| {
            PkiError::new(
                Kind::CertificateUnknown,
                format!(
                    "certificate (serial {}) was not issued by any CA of this service",
                    info.serial_hex
                ),
            )
        })?;
    let serial = info
        .serial
        .ok_or_else(|| unknown_certificate(&ca.spec.name, &info.serial_hex))?;
    Ok(Sent {
        ca: ca.spec.name.clone(),
        serial,
        der,
    })
}
