//! `POST /api/RequestApprove`: an RA approves the applicant's identity.
//!
//! `sign` is the customer's transaction signature over `Unicode(nationalCode + trackingCode +
//! approver)`. Then, by the profile:
//! - **in person** (`Approval`): `approverSign` is required and must be a CMS *detached*
//!   signature over the same UTF-16LE bytes, by the certificate of the approver the scenario
//!   lists under the name given in `approver`; it is verified for real (messageDigest and
//!   contentType of the signed attributes, the signature, the signer certificate);
//! - **remote** (`FaceAuth`): `approverSign` must be empty, and `orderId` is required when the
//!   customer uses the provider's own face authentication (`provider_face_auth`); `approver` or
//!   `approverSign` left out (not sent empty) is warned `field-missing` (`orderId` is optional,
//!   line 642).
//!
//! `AwaitingApproval` → `Approved` by the model's one approval transition (the control API's
//! too); any other state is refused with the next valid step.

use crate::crypto::cms::{self, CmsError};
use crate::crypto::utf16le;
use crate::pki::error::{Kind, PkiError};
use crate::pki::model::approval::{may_approve, Approver};
use crate::pki::signature::show;
use crate::pki::wire::{Field, Fields};
use crate::pki::{Ctx, Customer, Profile};
use serde_json::{json, Value};

/// `RequestApprove`'s body, every field bound once (`customercode` and `sign` are the signed
/// opening's, [`Ctx::signed_customer`]).
struct Request<'f> {
    /// These three as sent, empty when absent: the signature covers them untrimmed.
    national_code: String,
    tracking_code: String,
    approver: String,
    /// `approver` as bound, to tell a left-out one from an empty one.
    approver_field: Field<'f>,
    /// These two are read once the tracking code's profile is known: a bad signature, a foreign
    /// tracking code or an unavailable CA is refused first.
    approver_sign: Field<'f>,
    order_id: Field<'f>,
}

impl<'f> Request<'f> {
    fn parse(f: &'f Fields) -> Result<Request<'f>, PkiError> {
        Ok(Request {
            national_code: f.opt_str("nationalCode")?.unwrap_or_default(),
            tracking_code: f.opt_str("trackingCode")?.unwrap_or_default(),
            approver: f.opt_str("approver")?.unwrap_or_default(),
            approver_field: f.field("approver"),
            approver_sign: f.field("approverSign"),
            order_id: f.field("orderId"),
        })
    }
}

/// parse → authorize (signature over `nationalCode + trackingCode + approver`, the tracking
/// code is the customer's and the national code's, its CA up, then the order, the state and the
/// approver's proof: CMS in person, the order remotely) → the approve transition → render.
pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let Request {
        national_code: national,
        tracking_code: code,
        approver,
        approver_field,
        approver_sign: approver_sign_field,
        order_id,
    } = Request::parse(f)?;
    let text = format!("{national}{code}{approver}");
    let customer = ctx.signed_customer(f, &text)?;
    let rec = ctx.tracking_of(&code, &customer.code, &national)?;
    let ca = ctx.world.ca(&rec.ca)?;
    ca.require_available()?;
    let profile = ca.profile(&rec.profile)?;
    let approver_sign = approver_sign_field.str_or_empty()?;
    let order_id = order_id.str_or_empty()?;
    let remote = profile.spec.face_auth && !profile.spec.approval;
    let model = ctx.model();
    // A used order says so before the state does: "already Approved" would hide the reuse.
    if remote
        && customer.spec.provider_face_auth
        && !order_id.is_empty()
        && approver_sign.is_empty()
    {
        model.check_order(&order_id, &national, &rec.code)?;
    }
    // The state is checked before the approver's signature, so that the refusal names the
    // next step; the transition checks it again in its transaction.
    may_approve(&rec, profile.spec.approval || profile.spec.face_auth)?;
    let approved_by = if remote {
        check_remote(ctx, customer, profile, &approver_sign, &order_id)?;
        // Remotely approverSign "must be empty" (line 638): sent empty, not left out.
        ctx.documented_fields(
            &[approver_field, approver_sign_field],
            "the PKI document, lines 605-618 and 638",
        )?;
        approver.trim().to_string()
    } else {
        verify_approver_sign(ctx, &approver_sign, &approver, &text)?
    };
    let by = if remote {
        Approver::Remote {
            name: &approved_by,
            order_id: &order_id,
            // The order is used once, in the same transaction as the approval.
            order: customer
                .spec
                .provider_face_auth
                .then_some(order_id.as_str()),
        }
    } else {
        Approver::InPerson {
            name: &approved_by,
            order_id: &order_id,
        }
    };
    let applied = model.approve(&rec.code, &by, ctx.now)?;
    ctx.diag.push(format!(
        "tracking code {}: {} → {}",
        applied.record.code,
        applied.from.name(),
        applied.to.name()
    ));
    Ok(json!({
        "ResultCode": true,
        "Description": format!("tracking code {} approved by '{approved_by}'", applied.record.code),
        "Message": "Success",
        "ErrorCode": 0,
        "ErrorMessage": "",
    }))
}

/// A remote approval (face authentication) carries no CMS `approverSign`, and the provider's
/// face-authentication order when the customer uses that service.
fn check_remote(
    ctx: &mut Ctx<'_>,
    customer: &Customer,
    profile: &Profile,
    approver_sign: &str,
    order_id: &str,
) -> Result<(), PkiError> {
    if !approver_sign.is_empty() {
        return Err(PkiError::new(
            Kind::ApproverSignInvalid,
            format!("approverSign must be empty: profile '{}' approves remotely (face authentication); a CMS approverSign is for in-person approval", profile.spec.name),
        ));
    }
    if customer.spec.provider_face_auth && order_id.is_empty() {
        return Err(PkiError::new(
            Kind::MissingField,
            format!("orderId is required: customer {} uses the provider's face authentication, whose order id identifies the session", customer.code),
        ));
    }
    ctx.diag.push(format!(
        "remote approval (face authentication), orderId '{order_id}'"
    ));
    Ok(())
}

/// Verifies an in-person approval; returns the approver's name.
fn verify_approver_sign(
    ctx: &mut Ctx<'_>,
    approver_sign: &str,
    approver: &str,
    text: &str,
) -> Result<String, PkiError> {
    let bad = |m: String| PkiError::new(Kind::ApproverSignInvalid, m);
    if approver_sign.is_empty() {
        return Err(bad(format!(
            "approverSign is required for in-person approval: Base64 of a detached CMS signature by the approver over UTF-16LE of {} (nationalCode + trackingCode + approver), e.g. `openssl cms -sign -binary -outform DER` without -nodetach",
            show(text)
        )));
    }
    let der = crate::crypto::b64_decode(approver_sign)
        .map_err(|e| bad(format!("approverSign is not valid base64: {e}")))?;
    let expected = utf16le(text);
    let signed = match cms::verify(&der, Some(&expected)) {
        Ok(s) => s,
        Err(CmsError::DigestMismatch) => {
            let utf8 = cms::verify(&der, Some(text.as_bytes())).is_ok();
            return Err(bad(if utf8 {
                format!("approverSign is over the UTF-8 bytes of {}; it must be over UTF-16LE (Encoding.Unicode) of that text", show(text))
            } else {
                format!("approverSign does not cover UTF-16LE of {} (nationalCode + trackingCode + approver): the approver signed other bytes", show(text))
            }));
        }
        Err(e) => return Err(bad(format!("approverSign: {e}"))),
    };
    if !signed.detached {
        return Err(bad(format!(
            "approverSign is an attached CMS (the content is inside it); the service wants a detached signature over UTF-16LE of {}: sign without -nodetach",
            show(text)
        )));
    }
    let subject = crate::crypto::x509::parse_certificate(&signed.signer_cert_der)
        .map(|c| c.subject)
        .unwrap_or_default();
    let Some(who) = ctx
        .world
        .approvers
        .iter()
        .find(|a| a.cert_der == signed.signer_cert_der)
    else {
        return Err(PkiError::new(
            Kind::ApproverUnknown,
            format!(
                "approverSign is signed by '{subject}', who is not an approver of this service; the approvers are: {}",
                ctx.world.approvers.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ));
    };
    if !who.name.eq_ignore_ascii_case(approver.trim()) {
        return Err(PkiError::new(
            Kind::ApproverUnknown,
            format!(
                "approver is '{}', but approverSign was made by approver '{}' ({subject})",
                approver.trim(),
                who.name
            ),
        ));
    }
    ctx.diag.push(format!(
        "approverSign: detached CMS ({}, {}) by '{}' verified",
        signed.digest,
        if signed.signed_attrs {
            "signed attributes"
        } else {
            "no signed attributes"
        },
        who.name
    ));
    Ok(who.name.clone())
}
