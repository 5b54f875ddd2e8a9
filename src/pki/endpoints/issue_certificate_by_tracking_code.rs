//! `POST /api/IssueCertificateByTrackingCode`: issue the certificate of a registered applicant.
//!
//! Checks: customer → signature over the `csr` field (`Sign(csr)`, an ambiguous form: see
//! `signature`) → CA allowed and available → the tracking code is the customer's and was
//! registered for this CA and profile → for `P12` the password is given (and equals the
//! registration's) → its state allows issuing (Registered, or Approved after RequestApprove)
//! → the token: for `USERGENERATED` the CSR parses, its self-signature verifies and its RSA
//! key is large enough (the CSR is base64 DER, as the document writes it — the PKI document,
//! line 506 —, so a PEM is refused); for `P12` the csr is `"none"` and a fresh key comes from
//! the key pool. A request without `paymentId` is warned `field-missing` (line 507). Then one
//! transaction re-reads the state, checks and debits the credit, takes the next serial of the
//! CA, signs the certificate (and wraps key + chain in a PKCS#12) and records it: concurrent
//! calls can neither double-spend nor issue twice.
//!
//! Calling again for an `Issued` tracking code with the same CSR (or, for P12, `none` and the
//! same password) returns the same certificate (or PKCS#12) uncharged
//! (`PaymentStatus: "NotCharged"`); anything else is refused — revoke first.

use crate::clock::wire_time;
use crate::crypto::x509::{self, Attr, LeafSpec};
use crate::pki::error::{Kind, PkiError};
use crate::pki::keypool::PoolKey;
use crate::pki::model::certificates::{may_issue, same_request, IssueRequest, Issued, Made};
use crate::pki::state::{Issue, Status, TrackingRecord};
use crate::pki::wire::{Field, Fields};
use crate::pki::{Ca, Ctx, Customer, Profile};
use serde_json::{json, Value};
use time::Duration;

/// What the certificate is issued for.
enum Token {
    /// The client's key, from its CSR (SPKI DER).
    Csr { spki: Vec<u8> },
    /// A key signsim generates (PKCS#8 DER), returned in a PKCS#12 under `password`.
    P12 {
        key: Vec<u8>,
        spki: Vec<u8>,
        password: String,
    },
}

/// `IssueCertificateByTrackingCode`'s body, every field bound once (`customercode` and
/// `signature` are the signed opening's, [`Ctx::signed_customer`]).
struct Request<'f> {
    /// As sent, empty when absent: the signature covers it.
    csr: String,
    /// The rest are read at the step that checks them, in the order of the checks above (a
    /// bad signature is refused before a missing caName, and so on).
    ca_name: Field<'f>,
    profile_name: Field<'f>,
    tracking_code: Field<'f>,
    /// P12 tokens only.
    password: Field<'f>,
    payment_id: Field<'f>,
}

impl<'f> Request<'f> {
    fn parse(f: &'f Fields) -> Result<Request<'f>, PkiError> {
        Ok(Request {
            csr: f.opt_str("csr")?.unwrap_or_default(),
            ca_name: f.field("caName"),
            profile_name: f.field("profileName"),
            tracking_code: f.field("trackingCode"),
            password: f.field("password"),
            payment_id: f.field("paymentId"),
        })
    }
}

/// parse → authorize (the signed customer, CA, profile, tracking code; the P12 password) →
/// the same request again is answered as before → the state, the CA's validity, a sibling's
/// certificate, the token → the issue transition → render.
pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let req = Request::parse(f)?;
    let csr_text = &req.csr;
    let (customer, ca, profile, rec) = authorize(ctx, f, &req)?;
    let code = rec.code.clone();
    let p12 = rec.token_type == "P12";
    let password = if p12 {
        p12_password(req.password, &rec)?
    } else {
        String::new()
    };
    // The same request again for an Issued tracking code gets the same answer, uncharged
    // (checked again inside the transaction); anything else must be in an issuable state.
    if let Some(issue) = rec
        .issue
        .as_ref()
        .filter(|i| rec.status == Status::Issued && same_request(i, csr_text, p12))
    {
        ctx.diag.push(format!("tracking code {code} already Issued for this request: the same answer returned, not charged"));
        return answer(ctx, ca, issue, false);
    }
    may_issue(&rec)?;
    ca_can_sign(ctx, ca)?;
    if let Some(answered) = held_by_sibling(ctx, ca, &rec, csr_text, p12)? {
        return Ok(answered);
    }
    let token = token(ctx, &code, csr_text, p12, password)?;
    let payment_id = req.payment_id.str_or_empty()?;
    ctx.documented_fields(&[req.payment_id], "the PKI document, line 507")?;
    let price = profile.spec.price as i64 + rec.lookup_charge as i64;
    let now = ctx.now;
    let validity = Duration::days(profile.spec.validity_days as i64);
    let not_after = (now + validity).min(ca.signer.not_after);
    let request = IssueRequest {
        code: &code,
        customer: &customer.code,
        ca: &ca.spec.name,
        profile: &profile.spec.name,
        price,
        csr: csr_text,
        p12,
        payment_id: &payment_id,
        now,
        not_after,
    };
    let signer = Signer::new(ctx, ca, profile, &rec, now, not_after);
    let Issued { issue, charged_now } = ctx
        .model()
        .issue(&request, |serial| signer.make(serial, &code, &token))?;
    ctx.diag.push(if charged_now {
        format!("tracking code {code}: → Issued, serial {:x}, charged {price}", issue.serial)
    } else {
        format!("tracking code {code} already Issued for this request: the same answer returned, not charged")
    });
    answer(ctx, ca, &issue, charged_now)
}

/// The customer (signature over the `csr` field), the CA (allowed, available) and profile,
/// and the customer's tracking record registered for that CA and profile.
fn authorize<'a>(
    ctx: &mut Ctx<'a>,
    f: &Fields,
    req: &Request,
) -> Result<(&'a Customer, &'a Ca, &'a Profile, TrackingRecord), PkiError> {
    let customer = ctx.signed_customer(f, &req.csr)?;
    let ca = ctx.ca_for(customer, &req.ca_name.str()?)?;
    ca.require_available()?;
    let profile = ca.profile(&req.profile_name.str()?)?;
    let code = req.tracking_code.str()?;
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
    Ok((customer, ca, profile, rec))
}

/// The CA's own certificate is valid now (the clock may have been moved past it).
fn ca_can_sign(ctx: &Ctx<'_>, ca: &Ca) -> Result<(), PkiError> {
    if ctx.now < ca.signer.not_before {
        return Err(PkiError::new(
            Kind::CaUnavailable,
            format!(
                "CA '{}' can not issue yet: its own certificate is valid from {} (the clock is at {}); nothing was charged",
                ca.spec.name,
                wire_time(ca.signer.not_before),
                wire_time(ctx.now)
            ),
        ));
    }
    if ctx.now >= ca.signer.not_after {
        return Err(PkiError::new(
            Kind::CaUnavailable,
            format!(
                "CA '{}' can not issue: its own certificate expired at {} (the clock is at {}); nothing was charged",
                ca.spec.name,
                wire_time(ca.signer.not_after),
                wire_time(ctx.now)
            ),
        ));
    }
    Ok(())
}

/// The subject may already hold an active certificate under another tracking code (the
/// government CA gives a new code per registration): the same request gets it back
/// uncharged (`Some` answer), another key must wait for its revocation.
fn held_by_sibling(
    ctx: &mut Ctx<'_>,
    ca: &Ca,
    rec: &TrackingRecord,
    csr_text: &str,
    p12: bool,
) -> Result<Option<Value>, PkiError> {
    let Some(other) = ctx.model().active_sibling(rec, ctx.now)? else {
        return Ok(None);
    };
    match other
        .issue
        .as_ref()
        .filter(|i| same_request(i, csr_text, p12))
    {
        Some(issue) => {
            ctx.diag.push(format!("subject already holds certificate serial {:x} under tracking code {}: returned, not charged", issue.serial, other.code));
            answer(ctx, ca, issue, false).map(Some)
        }
        None => Err(PkiError::new(
            Kind::WrongState,
            format!(
                "the subject of tracking code {} already holds an active certificate (serial {:x}) under tracking code {}; revoke it first to issue for a new key",
                rec.code,
                other.issue.as_ref().map(|i| i.serial).unwrap_or_default(),
                other.code
            ),
        )),
    }
}

/// The key the certificate is for: a P12 token's fresh key from the pool (the csr must be
/// `none`, the PKCS#12 is protected with `password`), or the key of a USERGENERATED token's
/// CSR.
fn token(
    ctx: &mut Ctx<'_>,
    code: &str,
    csr_text: &str,
    p12: bool,
    password: String,
) -> Result<Token, PkiError> {
    if !p12 {
        return Ok(Token::Csr {
            spki: csr_spki(ctx, code, csr_text)?,
        });
    }
    if !csr_text.trim().eq_ignore_ascii_case("none") {
        return Err(PkiError::new(
            Kind::CsrInvalid,
            format!("csr must be \"none\" for tracking code {code}: it was registered with TokenType P12, so the service generates the key (send a CSR only for USERGENERATED)"),
        ));
    }
    let (key, pooled) = ctx
        .keys
        .take()
        .map_err(|e| PkiError::internal("generating the P12 key", e))?;
    let PoolKey { pkcs8: key, spki } = key;
    ctx.diag.push(format!(
        "P12: RSA-2048 key {}",
        if pooled {
            "from the pool"
        } else {
            "generated on demand (pool empty)"
        }
    ));
    Ok(Token::P12 {
        key,
        spki,
        password,
    })
}

/// Everything the certificate is signed with but its serial, which the issue transaction
/// takes from the CA's counter.
struct Signer<'a> {
    ca: &'a crate::pki::Ca,
    subject: Vec<(Attr, String)>,
    crl_url: String,
    policies: &'a [String],
    extra_ekus: &'a [String],
    chain: Vec<Vec<u8>>,
    not_before: time::OffsetDateTime,
    not_after: time::OffsetDateTime,
}

impl<'a> Signer<'a> {
    fn new(
        ctx: &Ctx<'a>,
        ca: &'a crate::pki::Ca,
        profile: &'a crate::pki::Profile,
        rec: &TrackingRecord,
        not_before: time::OffsetDateTime,
        not_after: time::OffsetDateTime,
    ) -> Signer<'a> {
        Signer {
            ca,
            subject: rec
                .subject
                .iter()
                .filter_map(|(a, v)| Attr::parse(a).map(|a| (a, v.clone())))
                .collect(),
            crl_url: ctx.crl_url(&ca.spec.name),
            policies: &ca.spec.policy_oids,
            extra_ekus: &profile.spec.extra_ekus,
            chain: std::iter::once(ca.signer.cert_der.clone())
                .chain(
                    ca.chain_pem
                        .iter()
                        .filter_map(|p| crate::crypto::der_from_b64_or_pem(p).ok()),
                )
                .collect(),
            not_before,
            not_after,
        }
    }

    /// The certificate with `serial` for the token (and, for P12, key + chain in a PKCS#12).
    fn make(&self, serial: u64, code: &str, token: &Token) -> Result<Made, PkiError> {
        let spki = match token {
            Token::Csr { spki } | Token::P12 { spki, .. } => spki,
        };
        let der = x509::issue_leaf(
            &self.ca.signer,
            spki,
            &LeafSpec {
                serial,
                subject: &self.subject,
                not_before: self.not_before,
                not_after: self.not_after,
                crl_url: Some(self.crl_url.clone()),
                policies: self.policies,
                extra_ekus: self.extra_ekus,
            },
        )
        .map_err(|e| PkiError::internal("signing the certificate", e))?;
        let p12 = match token {
            Token::P12 { key, password, .. } => {
                let mut full = vec![der.clone()];
                full.extend(self.chain.iter().cloned());
                let blob = x509::make_pkcs12(key, &full, password, &format!("tracking-{code}"))
                    .map_err(|e| PkiError::internal("writing the PKCS#12", e))?;
                Some(crate::crypto::b64(&blob))
            }
            Token::Csr { .. } => None,
        };
        Ok(Made { der, p12 })
    }
}

fn answer(
    _ctx: &Ctx<'_>,
    ca: &crate::pki::Ca,
    issue: &Issue,
    charged_now: bool,
) -> Result<Value, PkiError> {
    let info =
        x509::parse_certificate(&crate::crypto::b64_decode(&issue.certificate).unwrap_or_default())
            .map_err(|e| PkiError::internal("reading back the issued certificate", e))?;
    Ok(json!({
        "IsSuccess": true,
        "Certificate": issue.p12.as_ref().unwrap_or(&issue.certificate),
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

/// The P12 password of the issue request, which must equal the registration's.
fn p12_password(password: Field, rec: &TrackingRecord) -> Result<String, PkiError> {
    let password = password.str_or_empty()?;
    if password.is_empty() {
        return Err(PkiError::new(
            Kind::PasswordRequired,
            format!("password is required: tracking code {} was registered with TokenType P12 and the PKCS#12 is protected with it", rec.code),
        ));
    }
    if let Some(h) = &rec.p12_password_sha256 {
        if *h != crate::crypto::sha256_hex(password.as_bytes()) {
            return Err(PkiError::new(
                Kind::InvalidField,
                format!(
                    "password differs from the one given at RegisterInfo for tracking code {}",
                    rec.code
                ),
            ));
        }
    }
    Ok(password)
}

/// The SPKI of a USERGENERATED token's CSR, after every check.
fn csr_spki(ctx: &mut Ctx<'_>, code: &str, csr_text: &str) -> Result<Vec<u8>, PkiError> {
    if csr_text.trim().eq_ignore_ascii_case("none") {
        return Err(PkiError::new(
            Kind::CsrInvalid,
            format!("csr is 'none', which is for P12 tokens; tracking code {code} was registered with TokenType USERGENERATED: send base64 of the DER PKCS#10 request"),
        ));
    }
    if csr_text.trim_start().starts_with("-----") {
        return Err(PkiError::new(
            Kind::CsrInvalid,
            format!(
                "csr is PEM-armoured ({}); the document sends base64(csr) (the PKI document, line 506), and a .NET Convert.FromBase64String can not read '-': strip the -----BEGIN/-----END lines and send the base64 between them",
                super::revoke_certificate::pem_first_line(csr_text)
            ),
        ));
    }
    let csr_der = crate::crypto::b64_decode(csr_text.trim()).map_err(|e| {
        PkiError::new(
            Kind::CsrInvalid,
            format!("csr is not base64 of a DER PKCS#10 request: {e}"),
        )
    })?;
    let csr = x509::parse_csr(&csr_der).map_err(|e| {
        PkiError::new(
            Kind::CsrInvalid,
            match e {
                x509::CsrError::Malformed(m) | x509::CsrError::KeyNotRsa(m) | x509::CsrError::UnsupportedAlgorithm(m) | x509::CsrError::WeakKey(m) => format!("csr: {m}"),
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
    ctx.diag.push(format!(
        "csr: {} self-signature verified, RSA-{}, subject in CSR '{}' (ignored: the subject comes from the registration)",
        csr.signature_algorithm, csr.key_bits, csr.subject
    ));
    Ok(csr.spki_der)
}
