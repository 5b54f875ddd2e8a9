//! `POST /api/RecievedCertConfirmation` (sic): the applicant received the certificate.
//!
//! Signed over `Unicode(certificate)`. Optional upstream; recorded in the history. The
//! certificate must be the one issued for the tracking code. Confirming twice is accepted and
//! changes nothing (the first time is kept).

use crate::clock::wire_time;
use crate::pki::error::{Kind, PkiError};
use crate::pki::state::{keys, HistoryEntry, Status, TrackingRecord};
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use crate::store::{refuse, Abort, Table, Tx};
use serde_json::{json, Value};

pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let cert_text = f.opt_str("certificate")?.unwrap_or_default();
    let customer = ctx.signed_customer(f, &cert_text)?;
    let code = f.str("trackingCode")?;
    let rec = ctx.tracking(&code, &customer.code)?;
    ctx.world.ca(&rec.ca)?.require_available()?;
    let sent = super::revoke_certificate::find_certificate(ctx, &cert_text)?;
    let (ca, serial) = (sent.ca.clone(), sent.serial);
    let now = ctx.now;
    let (rec, first) = ctx.store.write(|tx: &Tx<'_>| {
        let mut rec: TrackingRecord = tx
            .get(Table::PkiTracking, &keys::tracking(&code))?
            .ok_or_else(|| Abort::Refuse(PkiError::tracking_unknown(&code)))?;
        match rec.status {
            Status::Issued => {}
            Status::Revoked => return refuse(PkiError::new(Kind::WrongState, format!("tracking code {code} is Revoked: its certificate can no longer be confirmed"))),
            other => {
                return refuse(PkiError::new(
                    Kind::WrongState,
                    format!("tracking code {code} is {}: no certificate has been issued yet; call IssueCertificateByTrackingCode first", other.name()),
                ))
            }
        }
        let issued = rec.issue.as_ref().map(|i| i.serial);
        if rec.ca != ca || issued != Some(serial) {
            return refuse(PkiError::new(
                Kind::CertificateUnknown,
                format!("certificate (CA '{ca}', serial {serial:x}) is not the one issued for tracking code {code} (CA '{}', serial {:x})", rec.ca, issued.unwrap_or_default()),
            ));
        }
        if let Some(issue) = &rec.issue {
            sent.must_equal(&issue.certificate).map_err(Abort::Refuse)?;
        }
        if rec.confirmed_at.is_some() {
            return Ok((rec, false));
        }
        rec.confirmed_at = Some(now);
        rec.history.push(HistoryEntry { at: now, event: "Receipt confirmed by RecievedCertConfirmation".into() });
        tx.put(Table::PkiTracking, &keys::tracking(&code), &rec)?;
        Ok((rec, true))
    })?;
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
