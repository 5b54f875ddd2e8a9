//! `POST /api/RecievedCertConfirmation` (sic): the applicant received the certificate.
//!
//! Signed over `Unicode(certificate)`. Optional upstream; recorded in the history. The
//! certificate must be the one issued for the tracking code; the document gives no form for it
//! (the PKI document, line 659), so a PEM is accepted with a `certificate-pem-armor` warning. Confirming twice is accepted and
//! changes nothing (the first time is kept).

use crate::clock::wire_time;
use crate::pki::error::PkiError;
use crate::pki::wire::{Field, Fields};
use crate::pki::Ctx;
use serde_json::{json, Value};

/// `RecievedCertConfirmation`'s body, every field bound once (`customercode` and `signature`
/// are the signed opening's, [`Ctx::signed_customer`]).
struct Request<'f> {
    /// As sent, empty when absent: the signature covers it.
    certificate: String,
    /// Read after the signature: a bad signature is refused before a missing tracking code.
    tracking_code: Field<'f>,
}

impl<'f> Request<'f> {
    fn parse(f: &'f Fields) -> Result<Request<'f>, PkiError> {
        Ok(Request {
            certificate: f.opt_str("certificate")?.unwrap_or_default(),
            tracking_code: f.field("trackingCode"),
        })
    }
}

/// parse → authorize (signature over the certificate, the tracking code is the customer's, its
/// CA is up, the certificate is the one issued) → the confirm transition → render.
pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let req = Request::parse(f)?;
    let cert_text = req.certificate;
    let customer = ctx.signed_customer(f, &cert_text)?;
    let code = req.tracking_code.str()?;
    let rec = ctx.tracking(&code, &customer.code)?;
    ctx.world.ca(&rec.ca)?.require_available()?;
    let sent = super::revoke_certificate::find_certificate(
        ctx,
        &cert_text,
        super::revoke_certificate::CertificateForm::Unspecified,
    )?;
    let serial = sent.serial;
    let (applied, first) = ctx.model().confirm(&code, &sent, ctx.now)?;
    let rec = applied.record;
    let at = rec.confirmed_at.map(wire_time).unwrap_or_default();
    ctx.diag.push(format!(
        "tracking code {code}: receipt confirmed{}",
        if first {
            ""
        } else {
            " (again; first confirmation kept)"
        }
    ));
    Ok(json!({
        "IsSuccess": true,
        "Description": if first { format!("receipt of certificate serial {serial:x} confirmed") } else { format!("receipt was already confirmed at {at}") },
        "ErrorCode": 0,
        "ErrorMessage": "",
    }))
}
