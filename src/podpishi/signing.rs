//! Judging a CMS signature for a permission, and recording it.
//!
//! [`judge`] is pure: it verifies the CMS over the document bytes (attached content must be
//! those bytes exactly; detached signatures are checked against them), applies the scenario's
//! policy to algorithms signsim cannot verify (GOST), checks the signer certificate chains to a
//! trusted root and is valid now, and compares the signer's BIN (legal entity, `OU=BIN…`) or
//! IIN (individual, `SERIALNUMBER=IIN…`) with the BIN the permission must be signed by. The
//! signer fields come from the certificate (NCA RK layout, [`crate::crypto::kz`]):
//! `signed_fio` = CN + patronymic (G), `signed_firm` = O, `signed_policy` = the role N of EKU
//! `1.2.398.3.3.4.1.2.N`, or 0 for an individual's certificate **(emulator-defined)**.

use super::error::{Kind, PodpishiError};
use super::state::Permission;
use super::World;
use crate::crypto::cms::{self, CmsError};
use crate::crypto::kz;
use crate::scenario::model::UnverifiablePolicy;
use time::OffsetDateTime;

/// What a judged signature puts into its permission.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub signed_bin: String,
    pub signed_fio: String,
    pub signed_firm: String,
    pub signed_policy: u8,
    pub cms_b64: String,
    pub unverified: Option<String>,
    pub signer: kz::KzSigner,
}

impl Verdict {
    pub fn apply(&self, p: &mut Permission, now: OffsetDateTime) {
        p.signed = true;
        p.signed_bin = self.signed_bin.clone();
        p.signed_fio = self.signed_fio.clone();
        p.signed_firm = self.signed_firm.clone();
        p.signed_policy = self.signed_policy;
        p.signed_date = Some(now);
        p.cms = Some(self.cms_b64.clone());
        p.unverified = self.unverified.clone();
    }
}

/// Whether `signature_pem` came PEM-armoured (the document sends plain base64).
pub fn is_armored(text: &str) -> bool {
    text.trim_start().starts_with("-----BEGIN")
}

/// Decodes `signature_pem` (base64 DER, PEM tolerated).
pub fn decode(field: &str, text: &str) -> Result<Vec<u8>, PodpishiError> {
    crate::crypto::der_from_b64_or_pem(text).map_err(|e| {
        PodpishiError::new(
            Kind::SignatureInvalid,
            format!("{field} is not base64 of a DER CMS signature: {e}"),
        )
    })
}

/// Verifies `der` over `content` for a permission that `must_bin` must sign.
pub fn judge(
    world: &World,
    now: OffsetDateTime,
    field: &str,
    der: &[u8],
    content: &[u8],
    must_bin: &str,
) -> Result<Verdict, PodpishiError> {
    let invalid = |m: String| PodpishiError::new(Kind::SignatureInvalid, format!("{field}: {m}"));
    let (cert_der, unverified) = match cms::verify(der, Some(content)) {
        Ok(signed) => {
            if !signed.detached && signed.content != content {
                return Err(invalid(format!(
                    "the signature is attached over {} bytes that are not the document's {} bytes; sign the uploaded file itself (or send a detached signature)",
                    signed.content.len(),
                    content.len()
                )));
            }
            (signed.signer_cert_der, None)
        }
        Err(CmsError::Unverifiable { oid, name }) => match world.unverifiable() {
            UnverifiablePolicy::Refuse => {
                return Err(PodpishiError::new(
                    Kind::UnverifiableAlgorithm,
                    format!("{field}: the signature uses {name} ({oid}), which signsim cannot verify, and the scenario refuses such signatures (podpishi.unverifiable_algorithm = \"refuse\")"),
                ))
            }
            UnverifiablePolicy::AcceptAndFlag => {
                let cert = cms::signer_certificate(der).map_err(|e| invalid(e.to_string()))?;
                let note = format!("{name} ({oid}) accepted without verification (podpishi.unverifiable_algorithm = \"accept-and-flag\")");
                tracing::warn!("podpishi: {field}: {note}");
                (cert, Some(note))
            }
        },
        Err(e) => return Err(invalid(e.to_string())),
    };
    let signer = kz::parse(&cert_der).map_err(|e| invalid(format!("signer certificate: {e}")))?;
    if !world.roots.is_empty()
        && !world
            .roots
            .iter()
            .any(|r| crate::crypto::x509::issued_by(&cert_der, r))
        && unverified.is_none()
    {
        return Err(PodpishiError::new(
            Kind::UntrustedSigner,
            format!(
                "{field}: the signer certificate '{}' is not issued by a trusted root of this service (podpishi.trusted_roots; the test NCA root is fixtures/kz/root-ca.pem)",
                signer.subject
            ),
        ));
    }
    if let (Some(nb), Some(na)) = (signer.not_before, signer.not_after) {
        if now < nb || now > na {
            return Err(PodpishiError::new(
                Kind::UntrustedSigner,
                format!("{field}: the signer certificate '{}' is valid from {nb} to {na}, not at the service's time {now}", signer.subject),
            ));
        }
    }
    if signer.iin.is_empty() {
        return Err(invalid(format!(
            "the signer certificate '{}' has no SERIALNUMBER=IIN<12 digits> (NCA RK layout)",
            signer.subject
        )));
    }
    let who = signer.signed_for().to_string();
    if who != must_bin {
        let what = if signer.bin.is_empty() {
            format!("an individual's certificate (IIN {})", signer.iin)
        } else {
            format!("a certificate of BIN {} (IIN {})", signer.bin, signer.iin)
        };
        return Err(PodpishiError::new(
            Kind::SignerMismatch,
            format!(
                "{field} is signed by {} with {what}, but it must be signed for BIN/IIN {must_bin}",
                signer.fio()
            ),
        ));
    }
    let policy = if signer.bin.is_empty() {
        0
    } else {
        signer.role
    };
    Ok(Verdict {
        signed_bin: who,
        signed_fio: signer.fio(),
        signed_firm: signer.organization.clone(),
        signed_policy: policy,
        cms_b64: crate::crypto::b64(der),
        unverified,
        signer,
    })
}

/// `signsim cms sign`: base64 CMS over `content` by a signer given as PEM texts, or by the name
/// of a test signer embedded in the binary (`fixtures/kz/signers/NAME.{pem,key}`).
pub fn cli_sign(
    signer: Option<&str>,
    pems: Option<(String, String)>,
    content: &[u8],
    attached: bool,
    at: OffsetDateTime,
) -> Result<String, String> {
    let (cert_pem, key_pem) = match (signer, pems) {
        (Some(name), None) => {
            let get = |ext: &str| {
                crate::scenario::embedded::fixture(&format!("kz/signers/{name}.{ext}"))
                    .map(str::to_string)
                    .ok_or_else(|| format!("--signer {name}: no such test signer; the signers are ivanov, seitkali, petrova, nurlanov, omarov, service"))
            };
            (get("pem")?, get("key")?)
        }
        (None, Some(p)) => p,
        _ => return Err("give either --signer NAME or both --cert and --key".into()),
    };
    let cert = crate::crypto::der_from_b64_or_pem(&cert_pem).map_err(|e| format!("--cert: {e}"))?;
    let key = crate::crypto::rsa::parse_private_key(&key_pem).map_err(|e| format!("--key: {e}"))?;
    let der = cms::sign(&cert, &key, content, attached, at)?;
    Ok(crate::crypto::b64(&der))
}
