//! `POST /api/IssueCertificateByTrackingCode`: issue the certificate of a registered applicant.
//!
//! Checks: customer → signature over the `csr` field (`Sign(csr)`, an ambiguous form: see
//! `signature`) → CA allowed and available → the tracking code is the customer's and was
//! registered for this CA and profile → its state allows issuing → the CSR parses, its
//! self-signature verifies and its RSA key is large enough. Then one transaction re-reads the
//! state, checks and debits the credit, takes the next serial of the CA, signs the certificate
//! and records it: concurrent calls can neither double-spend nor issue twice.
//!
//! Calling again for an `Issued` tracking code with the same CSR returns the same certificate
//! uncharged (`PaymentStatus: "NotCharged"`); with another CSR it is refused — revoke first.

use crate::crypto::x509::{self, Attr, LeafSpec};
use crate::pki::error::{Kind, PkiError};
use crate::pki::signature::{Documented, Signed};
use crate::pki::state::{
    keys, wire_time, CertRecord, CertStatus, CustomerState, HistoryEntry, Issue, Status,
    TrackingRecord,
};
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use crate::store::{refuse, Abort, Table, Tx};
use serde_json::{json, Value};
use time::Duration;

pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let customer = ctx.customer_post(f)?;
    let csr_text = f.opt_str("csr")?.unwrap_or_default();
    ctx.verify(
        customer,
        &f.str_or_empty("signature")?,
        Signed {
            field: "signature",
            formula: "Sign(csr)",
            text: &csr_text,
            documented: Documented::AsSent,
        },
    )?;
    let ca = ctx.ca_for(customer, &f.str("caName")?)?;
    ca.require_available()?;
    let profile = ca.profile(&f.str("profileName")?)?;
    let code = f.str("trackingCode")?;
    let rec = ctx.tracking(&code, &customer.code)?;
    if rec.ca != ca.spec.name || !rec.profile.eq_ignore_ascii_case(&profile.spec.name) {
        return Err(PkiError::new(
            Kind::TrackingCodeMismatch,
            format!(
                "tracking code {code} was registered for CA '{}' profile '{}', not CA '{}' profile '{}'",
                rec.ca, rec.profile, ca.spec.name, profile.spec.name
            ),
        ));
    }
    // The same CSR again for an Issued tracking code gets the same certificate, uncharged
    // (checked again inside the transaction); anything else must be in an issuable state.
    let same_again = rec.status == Status::Issued
        && rec
            .issue
            .as_ref()
            .is_some_and(|i| i.csr.trim() == csr_text.trim());
    if !same_again {
        check_state(&rec)?;
    }
    if rec.token_type == "P12" {
        return Err(PkiError::new(
            Kind::TokenTypeInvalid,
            format!("tracking code {code} was registered with TokenType P12; this emulator build issues USERGENERATED (CSR) tokens only"),
        ));
    }
    if csr_text.trim().eq_ignore_ascii_case("none") {
        return Err(PkiError::new(
            Kind::CsrInvalid,
            format!("csr is 'none', which is for P12 tokens; tracking code {code} was registered with TokenType USERGENERATED: send base64 of the DER PKCS#10 request"),
        ));
    }
    let csr_der = crate::crypto::der_from_b64_or_pem(&csr_text).map_err(|e| {
        PkiError::new(
            Kind::CsrInvalid,
            format!("csr is not base64 of a DER PKCS#10 request: {e}"),
        )
    })?;
    let csr = x509::parse_csr(&csr_der).map_err(|e| {
        PkiError::new(
            Kind::CsrInvalid,
            match e {
                x509::CsrError::Malformed(m) | x509::CsrError::KeyNotRsa(m) | x509::CsrError::UnsupportedAlgorithm(m) => format!("csr: {m}"),
                x509::CsrError::BadSignature(alg) => format!("csr: its {alg} self-signature does not verify: the request was altered after signing, or signed with another key"),
            },
        )
    })?;
    let min = ctx.world.policy.min_csr_key_bits;
    if csr.key_bits < min {
        return Err(PkiError::new(
            Kind::CsrKeyTooSmall,
            format!("csr: its RSA key is {} bits; at least {min} bits are required (policy.min_csr_key_bits)", csr.key_bits),
        ));
    }
    ctx.diag.push(format!("csr: {} self-signature verified, RSA-{}, subject in CSR '{}' (ignored: the subject comes from the registration)", csr.signature_algorithm, csr.key_bits, csr.subject));

    let payment_id = f.str_or_empty("paymentId")?;
    let price = profile.spec.price as i64 + rec.lookup_charge as i64;
    let now = ctx.now;
    let validity = Duration::days(profile.spec.validity_days as i64);
    let not_after = (now + validity).min(ca.signer.not_after);
    let subject: Vec<(Attr, String)> = rec
        .subject
        .iter()
        .filter_map(|(a, v)| Attr::parse(a).map(|a| (a, v.clone())))
        .collect();
    let crl_url = ctx.crl_url(&ca.spec.name);
    let serial_counter = format!("pki.serial.{}", ca.spec.name);
    let policies = ca.spec.policy_oids.clone();
    let extra_ekus = profile.spec.extra_ekus.clone();

    let (issue, charged_now) = ctx.store.write(|tx: &Tx<'_>| {
        let mut rec: TrackingRecord = tx
            .get(Table::PkiTracking, &keys::tracking(&code))?
            .ok_or_else(|| Abort::Refuse(PkiError::new(Kind::TrackingCodeUnknown, format!("tracking code '{code}' does not exist"))))?;
        if let (Status::Issued, Some(issue)) = (rec.status, &rec.issue) {
            if issue.csr.trim() == csr_text.trim() {
                return Ok((issue.clone(), false));
            }
        }
        if let Err(e) = check_state(&rec) {
            return refuse(e);
        }
        let ckey = keys::customer(&customer.code);
        let mut credit: CustomerState = tx.get(Table::PkiCustomers, &ckey)?.unwrap_or(CustomerState { credit: 0 });
        if credit.credit < price {
            return refuse(PkiError::new(
                Kind::InsufficientCredit,
                format!(
                    "customer {} has credit {}; issuing with profile '{}' costs {price}{}: nothing was charged or issued",
                    customer.code,
                    credit.credit,
                    profile.spec.name,
                    if rec.lookup_charge > 0 { format!(" (including {} for the name lookup)", rec.lookup_charge) } else { String::new() }
                ),
            ));
        }
        let serial = tx.next_seq(&serial_counter, 0x1001)?;
        let der = x509::issue_leaf(
            &ca.signer,
            &csr.spki_der,
            &LeafSpec { serial, subject: &subject, not_before: now, not_after, crl_url: Some(crl_url.clone()), policies: &policies, extra_ekus: &extra_ekus },
        )
        .map_err(|e| Abort::Refuse(PkiError::internal("signing the certificate", e)))?;
        let certificate = crate::crypto::b64(&der);
        credit.credit -= price;
        tx.put(Table::PkiCustomers, &ckey, &credit)?;
        let issue = Issue { serial, certificate: certificate.clone(), csr: csr_text.clone(), payment_id: payment_id.clone(), charged: price, at: now };
        rec.status = Status::Issued;
        rec.issue = Some(issue.clone());
        rec.history.push(HistoryEntry { at: now, event: format!("Issued serial {serial:x} by CA {}, charged {price}", ca.spec.name) });
        tx.put(Table::PkiTracking, &keys::tracking(&code), &rec)?;
        tx.put(
            Table::PkiCerts,
            &keys::cert(&ca.spec.name, serial),
            &CertRecord {
                ca: ca.spec.name.clone(),
                serial,
                tracking_code: code.clone(),
                customer: customer.code.clone(),
                national_code: rec.person.national_code.clone(),
                certificate,
                status: CertStatus::Active,
                not_before: now,
                not_after,
                revoked_at: None,
                revoke_reason: None,
            },
        )?;
        Ok((issue, true))
    })?;
    ctx.diag.push(if charged_now {
        format!("tracking code {code}: Registered/Approved → Issued, serial {:x}, charged {price}", issue.serial)
    } else {
        format!("tracking code {code} already Issued with this CSR: the same certificate returned, not charged")
    });
    let info =
        x509::parse_certificate(&crate::crypto::b64_decode(&issue.certificate).unwrap_or_default())
            .map_err(|e| PkiError::internal("reading back the issued certificate", e))?;
    Ok(json!({
        "IsSuccess": true,
        "Certificate": issue.certificate,
        "PaymentStatus": if charged_now { "Paid" } else { "NotCharged" },
        "Description": "",
        "CN": info.common_name,
        "IssuerName": ca.signer.subject_display,
        "ValidFrom": wire_time(info.not_before),
        "ValidTo": wire_time(info.not_after),
        "ErrorCode": 0,
        "ErrorMessage": "",
    }))
}

fn check_state(rec: &TrackingRecord) -> Result<(), PkiError> {
    let code = &rec.code;
    match rec.status {
        Status::Registered | Status::Approved => Ok(()),
        Status::AwaitingApproval => Err(PkiError::new(
            Kind::WrongState,
            format!("tracking code {code} is AwaitingApproval: profile '{}' requires identity approval; call RequestApprove first", rec.profile),
        )),
        Status::Issued => Err(PkiError::new(
            Kind::WrongState,
            format!(
                "tracking code {code} is Issued and its certificate (serial {:x}) is active; to issue for a new key call RevokeCertificate first, then RegisterInfo again",
                rec.issue.as_ref().map(|i| i.serial).unwrap_or_default()
            ),
        )),
        Status::Revoked => Err(PkiError::new(
            Kind::WrongState,
            format!("tracking code {code} is Revoked; call RegisterInfo to start a new lifecycle with a new tracking code"),
        )),
    }
}
