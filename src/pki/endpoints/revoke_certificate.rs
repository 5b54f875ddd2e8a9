//! `POST /api/RevokeCertificate`: revoke a certificate this customer's applicant holds.
//!
//! The signature is `Sign(certificate)` (ambiguous form, see `signature`). The certificate is
//! found by its issuer (one of our CAs) and serial; only the customer that registered it may
//! revoke it. `revokeCertReason` is an RFC 5280 CRLReason code (default 0, unspecified); the
//! revocation appears in the CA's CRL at `/crl/{caName}.crl` with that reason.

use crate::crypto::x509;
use crate::pki::error::{Kind, PkiError};
use crate::pki::state::{keys, CertRecord, CertStatus, HistoryEntry, Status, TrackingRecord};
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use crate::store::{refuse, Abort, Table, Tx};
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
    let now = ctx.now;
    let name = ca.spec.name.clone();
    let who = customer.code.clone();
    let rec = ctx.store.write(|tx: &Tx<'_>| {
        let mut cert: CertRecord = tx
            .get(Table::PkiCerts, &keys::cert(&name, serial))?
            .ok_or_else(|| Abort::Refuse(unknown_certificate(&name, &format!("{serial:x}"))))?;
        sent.must_equal(&cert.certificate).map_err(Abort::Refuse)?;
        if cert.customer != who {
            return refuse(PkiError::new(
                Kind::NotOwner,
                format!("certificate serial {serial:x} of CA '{name}' was issued through another customer; only that customer may revoke it"),
            ));
        }
        if cert.status == CertStatus::Revoked {
            return refuse(PkiError::new(
                Kind::AlreadyRevoked,
                format!(
                    "certificate serial {serial:x} of CA '{name}' is already revoked (at {}, reason {})",
                    cert.revoked_at.map(crate::clock::wire_time).unwrap_or_default(),
                    cert.revoke_reason.unwrap_or(0)
                ),
            ));
        }
        cert.status = CertStatus::Revoked;
        cert.revoked_at = Some(now);
        cert.revoke_reason = Some(reason as u8);
        tx.put(Table::PkiCerts, &keys::cert(&name, serial), &cert)?;
        tx.put(Table::PkiRevoked, &keys::cert(&name, serial), &cert)?;
        let mut rec: TrackingRecord = tx
            .get(Table::PkiTracking, &keys::tracking(&cert.tracking_code))?
            .ok_or_else(|| Abort::Refuse(PkiError::internal("revoking", "the certificate's tracking code is missing")))?;
        rec.status = Status::Revoked;
        rec.revoked_at = Some(now);
        rec.history.push(HistoryEntry { at: now, event: format!("Revoked serial {serial:x}, reason {reason} ({reason_name})") });
        tx.put(Table::PkiTracking, &keys::tracking(&rec.code), &rec)?;
        tx.put_raw(Table::PkiByCustomerTime, &keys::event(&rec.customer, now.unix_timestamp(), &rec.code, "Revoked"), b"")?;
        Ok(rec)
    })?;
    ctx.record = Some(rec.code.clone());
    ctx.diag.push(format!(
        "tracking code {}: Issued → Revoked, serial {serial:x}, reason {reason} ({reason_name})",
        rec.code
    ));
    Ok(json!({
        "IsSuccess": true,
        "Description": format!("certificate serial {serial:x} revoked ({reason_name}); tracking code {} is Revoked", rec.code),
        "ErrorCode": 0,
        "ErrorMessage": "",
    }))
}

fn unknown_certificate(ca: &str, serial_hex: &str) -> PkiError {
    PkiError::new(
        Kind::CertificateUnknown,
        format!("CA '{ca}' has not issued a certificate with serial {serial_hex}"),
    )
}

/// A certificate a client sent back: the CA that issued it, its serial and its DER.
pub struct Sent {
    pub ca: String,
    pub serial: u64,
    pub der: Vec<u8>,
}

impl Sent {
    /// Refuses unless `stored` (the base64 DER this CA issued) is byte for byte what was sent:
    /// issuer and serial can be copied into a forged or altered certificate.
    pub fn must_equal(&self, stored: &str) -> Result<(), PkiError> {
        let stored = crate::crypto::b64_decode(stored).unwrap_or_default();
        if stored == self.der {
            return Ok(());
        }
        let at = stored
            .iter()
            .zip(&self.der)
            .position(|(a, b)| a != b)
            .unwrap_or(stored.len().min(self.der.len()));
        Err(PkiError::new(
            Kind::CertificateUnknown,
            format!(
                "certificate names CA '{}' and serial {:x}, but it is not the certificate that CA issued with that serial (it differs from byte {at} on; {} bytes sent, {} issued): send the certificate exactly as IssueCertificateByTrackingCode returned it",
                self.ca,
                self.serial,
                self.der.len(),
                stored.len()
            ),
        ))
    }
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
