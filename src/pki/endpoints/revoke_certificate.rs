//! `POST /api/RevokeCertificate`: revoke a certificate this customer's applicant holds.
//!
//! The signature is `Sign(certificate)` (ambiguous form, see `signature`). The certificate is
//! found by its issuer (one of our CAs) and serial; only the customer that registered it may
//! revoke it. `revokeCertReason` is an RFC 5280 CRLReason code (0, unspecified, when left out,
//! with a `field-missing` warning: the document's body has it); the revocation appears in the
//! CA's CRL at `/crl/{caName}.crl` with that reason. The certificate is base64 DER, as the
//! document writes it (the PKI document, line 548): a PEM is refused.

use crate::crypto::x509;
use crate::pki::error::{Kind, PkiError};
use crate::pki::model::certificates::unknown_certificate;
pub use crate::pki::model::certificates::Sent;
use crate::pki::wire::{Field, Fields};
use crate::pki::Ctx;
use serde_json::{json, Value};

/// `RevokeCertificate`'s body, every field bound once (`customercode` and `signature` are the
/// signed opening's, [`Ctx::signed_customer`]).
struct Request<'f> {
    /// As sent, empty when absent: the signature covers it.
    certificate: String,
    /// Read after the signature ([`reason`]): a bad signature is refused before a bad reason.
    revoke_cert_reason: Field<'f>,
}

impl<'f> Request<'f> {
    fn parse(f: &'f Fields) -> Result<Request<'f>, PkiError> {
        Ok(Request {
            certificate: f.opt_str("certificate")?.unwrap_or_default(),
            revoke_cert_reason: f.field("revokeCertReason"),
        })
    }
}

/// parse → authorize (signature over the certificate, then the reason, the certificate is one
/// of ours, its CA the customer's and up) → the revoke transition → render.
pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let req = Request::parse(f)?;
    let cert_text = req.certificate;
    let customer = ctx.signed_customer(f, &cert_text)?;
    let (reason, reason_name) = reason(req.revoke_cert_reason)?;
    ctx.documented_fields(&[req.revoke_cert_reason], "the PKI document, lines 547-552")?;
    let sent = find_certificate(ctx, &cert_text, CertificateForm::Base64)?;
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

/// `revokeCertReason`: an RFC 5280 CRLReason code (0, unspecified, when absent) and its name.
fn reason(field: Field) -> Result<(i64, &'static str), PkiError> {
    let reason = field.opt_int()?.unwrap_or(0);
    let reason_name = x509::revocation_reason(reason).ok_or_else(|| {
        PkiError::new(
            Kind::RevokeReasonInvalid,
            format!("revokeCertReason {reason} is not an RFC 5280 CRLReason: 0 unspecified, 1 keyCompromise, 2 cACompromise, 3 affiliationChanged, 4 superseded, 5 cessationOfOperation, 6 certificateHold, 8 removeFromCRL, 9 privilegeWithdrawn, 10 aACompromise")
        )
    })?;
    Ok((reason, reason_name))
}

/// How a method's document writes its `certificate` field.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CertificateForm {
    /// `(base64(certificate))` (RevokeCertificate, the PKI document, line 548): a PEM is
    /// refused, as .NET's `Convert.FromBase64String` refuses its `-----` lines.
    Base64,
    /// No form given (RecievedCertConfirmation, the PKI document, line 659): a `CERTIFICATE`
    /// PEM is accepted with a `certificate-pem-armor` warning.
    Unspecified,
}

/// The CA, serial and DER of a certificate sent as base64 DER (a PEM as `form` says).
pub fn find_certificate(
    ctx: &mut Ctx<'_>,
    text: &str,
    form: CertificateForm,
) -> Result<Sent, PkiError> {
    if text.trim().is_empty() {
        return Err(PkiError::new(Kind::MissingField, "certificate is missing: send the base64 DER certificate IssueCertificateByTrackingCode returned"));
    }
    let armoured = text.trim_start().starts_with("-----");
    if armoured && form == CertificateForm::Base64 {
        return Err(PkiError::new(
            Kind::CertificateInvalid,
            format!(
                "certificate is PEM-armoured ({}); the document sends base64(certificate) (the PKI document, line 548), and a .NET Convert.FromBase64String can not read '-': strip the -----BEGIN/-----END lines and send the base64 between them",
                pem_first_line(text)
            ),
        ));
    }
    let der = crate::crypto::der_from_b64_or_labelled_pem(text, &["CERTIFICATE"]).map_err(|e| {
        PkiError::new(
            Kind::CertificateInvalid,
            format!("certificate is not base64 of a DER certificate: {e}"),
        )
    })?;
    let info = x509::parse_certificate(&der)
        .map_err(|e| PkiError::new(Kind::CertificateInvalid, format!("certificate: {e}")))?;
    if armoured {
        ctx.portable(
            "certificate-pem-armor",
            format!(
                "certificate is PEM-armoured ({}); the document gives no form for it (the PKI document, line 659) and the service hands certificates out as plain base64 (line 522): send the base64 between the armour lines",
                pem_first_line(text)
            ),
        )?;
    }
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

/// The first line of a PEM, quoted and shortened, for messages.
pub fn pem_first_line(text: &str) -> String {
    let first = text.trim_start().lines().next().unwrap_or("").trim();
    format!("'{}'", first.chars().take(48).collect::<String>())
}
