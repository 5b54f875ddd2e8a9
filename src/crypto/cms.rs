//! CMS (PKCS#7) SignedData: verification of attached and detached signatures.
//!
//! Steps (RFC 5652 §5.4, §5.6): decode ContentInfo → SignedData; take the content from
//! `encapContentInfo` or, for a detached signature, from the caller; find the signer's
//! certificate in `certificates` by issuer+serial or subject key identifier; if signed
//! attributes are present, check `contentType` is id-data and `messageDigest` equals the
//! content's digest, then verify the signature over the DER of the attributes as a SET;
//! otherwise verify it over the content itself.
//!
//! RSA (PKCS#1 v1.5 with SHA-1/256/384/512) is verified. GOST algorithms (Kazakhstan's
//! 34.310) are recognised and reported as [`CmsError::Unverifiable`], so callers can apply a
//! policy instead of failing blind.

use der::{Decode, Encode};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_cert::Certificate;

const ID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
/// id-data: the content type of plain signed bytes.
pub const ID_DATA: &str = "1.2.840.113549.1.7.1";
const ATTR_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const ATTR_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const ATTR_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";

#[derive(Debug, Clone, PartialEq)]
pub enum CmsError {
    /// Not DER CMS, or not SignedData.
    Malformed(String),
    /// No signer, or the signer's certificate is not in the message.
    NoSigner(String),
    /// The content's digest is not the one the signer signed.
    DigestMismatch,
    /// The signature does not verify with the signer certificate's key.
    BadSignature,
    /// A detached signature came without content, or the content is missing.
    NoContent,
    /// The algorithm is known but signsim can not verify it (GOST); named by OID and name.
    Unverifiable { oid: String, name: &'static str },
    /// An algorithm signsim does not know.
    UnsupportedAlgorithm(String),
}

impl std::fmt::Display for CmsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CmsError::Malformed(m) => write!(f, "not a DER CMS SignedData: {m}"),
            CmsError::NoSigner(m) => write!(f, "{m}"),
            CmsError::DigestMismatch => write!(f, "the messageDigest attribute does not match the content: the content was altered, or the signature is over other bytes"),
            CmsError::BadSignature => write!(f, "the signature does not verify with the signer certificate's public key"),
            CmsError::NoContent => write!(f, "the signature is detached and no content was given to verify it against"),
            CmsError::Unverifiable { oid, name } => write!(f, "the signature uses {name} ({oid}), which signsim recognises but cannot verify"),
            CmsError::UnsupportedAlgorithm(oid) => write!(f, "unsupported algorithm {oid}"),
        }
    }
}

/// What a verified (or recognised-but-unverifiable) signature turned out to be.
#[derive(Debug, Clone)]
pub struct CmsSigned {
    pub signer_cert_der: Vec<u8>,
    pub digest: &'static str,
    pub signed_attrs: bool,
    /// True when the content was not inside the message.
    pub detached: bool,
    /// The signed content (encapsulated, or the detached content given).
    pub content: Vec<u8>,
    pub signing_time: Option<time::OffsetDateTime>,
}

/// GOST OIDs used by Kazakh signatures (GOST 34.310-2004 and GOST 2015).
pub fn gost_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.398.3.10.1.1.1.1" | "1.2.398.3.10.1.1.1.2" => "GOST 34.310-2004",
        "1.2.398.3.10.1.3.1"
        | "1.2.398.3.10.1.1.2.3.1"
        | "1.2.398.3.10.1.1.2.3.2"
        | "1.2.398.3.10.1.1.2.1"
        | "1.2.398.3.10.1.1.2.2" => "GOST 34.310-2015",
        "1.2.398.3.10.1.3.2" | "1.2.398.3.10.1.3.3" => "GOST 34.311 digest",
        o if o.starts_with("1.2.398.3.10.") => "a Kazakh GOST algorithm",
        o if o.starts_with("1.2.643.") => "a Russian GOST algorithm",
        _ => return None,
    })
}

fn digest_of(oid: &str, data: &[u8]) -> Result<(&'static str, Vec<u8>), CmsError> {
    Ok(match oid {
        "1.3.14.3.2.26" => ("SHA-1", Sha1::digest(data).to_vec()),
        "2.16.840.1.101.3.4.2.1" => ("SHA-256", Sha256::digest(data).to_vec()),
        "2.16.840.1.101.3.4.2.2" => ("SHA-384", Sha384::digest(data).to_vec()),
        "2.16.840.1.101.3.4.2.3" => ("SHA-512", Sha512::digest(data).to_vec()),
        o => {
            return Err(match gost_name(o) {
                Some(name) => CmsError::Unverifiable {
                    oid: o.to_string(),
                    name,
                },
                None => CmsError::UnsupportedAlgorithm(format!("digest {o}")),
            })
        }
    })
}

fn rsa_verify(key: &RsaPublicKey, digest_name: &str, hashed: &[u8], sig: &[u8]) -> bool {
    let scheme = match digest_name {
        "SHA-1" => Pkcs1v15Sign::new::<Sha1>(),
        "SHA-256" => Pkcs1v15Sign::new::<Sha256>(),
        "SHA-384" => Pkcs1v15Sign::new::<Sha384>(),
        _ => Pkcs1v15Sign::new::<Sha512>(),
    };
    key.verify(scheme, hashed, sig).is_ok()
}

/// Verifies a DER CMS SignedData. `detached_content` is used when the message carries none.
pub fn verify(der_bytes: &[u8], detached_content: Option<&[u8]>) -> Result<CmsSigned, CmsError> {
    let sd = signed_data(der_bytes)?;
    let (content, detached) = match &sd.encap_content_info.econtent {
        Some(any) => {
            let octets = der::asn1::OctetString::from_der(
                &any.to_der()
                    .map_err(|e| CmsError::Malformed(e.to_string()))?,
            )
            .map_err(|e| CmsError::Malformed(format!("encapsulated content: {e}")))?;
            (octets.as_bytes().to_vec(), false)
        }
        None => (detached_content.ok_or(CmsError::NoContent)?.to_vec(), true),
    };
    let si = sd
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| CmsError::NoSigner("the SignedData has no SignerInfo".into()))?;
    let cert = signer_of(&sd, si)?;
    let cert_der = cert
        .to_der()
        .map_err(|e| CmsError::Malformed(e.to_string()))?;
    let sig_alg = si.signature_algorithm.oid.to_string();
    if let Some(name) = gost_name(&sig_alg) {
        return Err(CmsError::Unverifiable { oid: sig_alg, name });
    }
    let (digest_name, content_digest) = digest_of(&si.digest_alg.oid.to_string(), &content)?;
    let key = signer_key(&cert)?;
    let sig = si.signature.as_bytes();
    let mut signing_time = None;
    let verified = match &si.signed_attrs {
        Some(attrs) => {
            signing_time = check_signed_attributes(attrs, &sd, &content_digest)?;
            let attrs_der = attrs
                .to_der()
                .map_err(|e| CmsError::Malformed(e.to_string()))?;
            let (_, h) = digest_of(&si.digest_alg.oid.to_string(), &attrs_der)?;
            rsa_verify(&key, digest_name, &h, sig)
        }
        None => rsa_verify(&key, digest_name, &content_digest, sig),
    };
    if !verified {
        return Err(if si.signed_attrs.is_none() {
            CmsError::DigestMismatch
        } else {
            CmsError::BadSignature
        });
    }
    Ok(CmsSigned {
        signer_cert_der: cert_der,
        digest: digest_name,
        signed_attrs: si.signed_attrs.is_some(),
        detached,
        content,
        signing_time,
    })
}

/// The SignedData inside a ContentInfo, refused when it is another content type.
fn signed_data(der_bytes: &[u8]) -> Result<cms::signed_data::SignedData, CmsError> {
    use cms::content_info::ContentInfo;
    let ci = ContentInfo::from_der(der_bytes).map_err(|e| CmsError::Malformed(e.to_string()))?;
    if ci.content_type.to_string() != ID_SIGNED_DATA {
        return Err(CmsError::Malformed(format!(
            "content type is {}, not SignedData ({ID_SIGNED_DATA})",
            ci.content_type
        )));
    }
    ci.content
        .decode_as()
        .map_err(|e| CmsError::Malformed(format!("SignedData: {e}")))
}

/// The certificate the signer identifies (by issuer and serial, or by key identifier) among
/// those the signature carries.
fn signer_of(
    sd: &cms::signed_data::SignedData,
    si: &cms::signed_data::SignerInfo,
) -> Result<Certificate, CmsError> {
    use cms::signed_data::SignerIdentifier;
    let certs = sd.certificates.as_ref().map(|set| &set.0);
    certs
        .into_iter()
        .flat_map(|set| set.iter())
        .filter_map(|c| match c {
            cms::cert::CertificateChoices::Certificate(c) => Some(c),
            _ => None,
        })
        .find(|c| match &si.sid {
            SignerIdentifier::IssuerAndSerialNumber(ias) => {
                c.tbs_certificate.issuer == ias.issuer && c.tbs_certificate.serial_number == ias.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => c
                .tbs_certificate
                .extensions
                .as_ref()
                .and_then(|exts| exts.iter().find(|e| e.extn_id.to_string() == "2.5.29.14"))
                .and_then(|e| der::asn1::OctetString::from_der(e.extn_value.as_bytes()).ok())
                .is_some_and(|k| k.as_bytes() == ski.0.as_bytes()),
        })
        .cloned()
        .ok_or_else(|| CmsError::NoSigner("the signer's certificate is not included in the signature (sign with the certificate embedded, e.g. without -nocerts)".into()))
}

/// The signer's RSA key; a GOST key is unverifiable here (not malformed).
fn signer_key(cert: &Certificate) -> Result<RsaPublicKey, CmsError> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let key_spki = spki
        .to_der()
        .map_err(|e| CmsError::Malformed(e.to_string()))?;
    RsaPublicKey::from_public_key_der(&key_spki).map_err(|_| {
        let alg = spki.algorithm.oid.to_string();
        match gost_name(&alg) {
            Some(name) => CmsError::Unverifiable { oid: alg, name },
            None => CmsError::UnsupportedAlgorithm(format!("signer key {alg}")),
        }
    })
}

/// The signed attributes must carry the content's type and digest; returns the signing
/// time when they carry one.
fn check_signed_attributes(
    attrs: &cms::signed_data::SignedAttributes,
    sd: &cms::signed_data::SignedData,
    content_digest: &[u8],
) -> Result<Option<time::OffsetDateTime>, CmsError> {
    let mut digest_ok = false;
    let mut type_ok = false;
    let mut signing_time = None;
    for attr in attrs.iter() {
        let Some(value) = attr.values.iter().next() else {
            continue;
        };
        match attr.oid.to_string().as_str() {
            ATTR_MESSAGE_DIGEST => {
                let d = value
                    .decode_as::<der::asn1::OctetString>()
                    .map_err(|e| CmsError::Malformed(e.to_string()))?;
                digest_ok = d.as_bytes() == content_digest;
            }
            ATTR_CONTENT_TYPE => {
                let t = value
                    .decode_as::<der::asn1::ObjectIdentifier>()
                    .map_err(|e| CmsError::Malformed(e.to_string()))?;
                type_ok = t.to_string() == sd.encap_content_info.econtent_type.to_string();
            }
            ATTR_SIGNING_TIME => {
                signing_time = value
                    .to_der()
                    .ok()
                    .and_then(|d| x509_cert::time::Time::from_der(&d).ok())
                    .and_then(|t| {
                        time::OffsetDateTime::from_unix_timestamp(
                            t.to_unix_duration().as_secs() as i64
                        )
                        .ok()
                    });
            }
            _ => {}
        }
    }
    if !type_ok {
        return Err(CmsError::Malformed(
            "the signed attributes lack a contentType matching the encapsulated content type"
                .into(),
        ));
    }
    if !digest_ok {
        return Err(CmsError::DigestMismatch);
    }
    Ok(signing_time)
}

/// The signer's certificate of a CMS SignedData, without verifying anything: used to report
/// who signed a message whose algorithm signsim cannot verify (GOST), so a policy that accepts
/// it can still fill the signer fields.
pub fn signer_certificate(der_bytes: &[u8]) -> Result<Vec<u8>, CmsError> {
    use cms::content_info::ContentInfo;
    use cms::signed_data::{SignedData, SignerIdentifier};
    let ci = ContentInfo::from_der(der_bytes).map_err(|e| CmsError::Malformed(e.to_string()))?;
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| CmsError::Malformed(format!("SignedData: {e}")))?;
    let si = sd
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| CmsError::NoSigner("the SignedData has no SignerInfo".into()))?;
    let certs = sd
        .certificates
        .as_ref()
        .map(|s| s.0.iter().collect::<Vec<_>>())
        .unwrap_or_default();
    for c in certs {
        if let cms::cert::CertificateChoices::Certificate(c) = c {
            let matches = match &si.sid {
                SignerIdentifier::IssuerAndSerialNumber(ias) => {
                    c.tbs_certificate.issuer == ias.issuer
                        && c.tbs_certificate.serial_number == ias.serial_number
                }
                SignerIdentifier::SubjectKeyIdentifier(_) => true,
            };
            if matches {
                return c.to_der().map_err(|e| CmsError::Malformed(e.to_string()));
            }
        }
    }
    Err(CmsError::NoSigner(
        "the signer's certificate is not included in the signature".into(),
    ))
}

/// Makes a CMS SignedData (sha256WithRSA, signed attributes contentType, messageDigest and
/// signingTime = `at`) over `content` by the holder of `cert_der`/`key`. `attached` puts the
/// content inside the message; otherwise the signature is detached, as `openssl cms -sign`
/// makes it without `-nodetach`.
pub fn sign(
    cert_der: &[u8],
    key: &rsa::RsaPrivateKey,
    content: &[u8],
    attached: bool,
    at: time::OffsetDateTime,
) -> Result<Vec<u8>, String> {
    use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
    use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
    use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
    use der::asn1::{OctetString, SetOfVec};
    use x509_cert::attr::{Attribute, AttributeValue};
    use x509_cert::spki::AlgorithmIdentifierOwned;
    let cert = Certificate::from_der(cert_der).map_err(|e| format!("signer certificate: {e}"))?;
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone());
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: cert.tbs_certificate.issuer.clone(),
        serial_number: cert.tbs_certificate.serial_number.clone(),
    });
    let digest_alg = AlgorithmIdentifierOwned {
        oid: const_oid::db::rfc5912::ID_SHA_256,
        parameters: None,
    };
    let econtent = if attached {
        let octets = OctetString::new(content.to_vec()).map_err(|e| e.to_string())?;
        Some(
            der::Any::from_der(&octets.to_der().map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?,
        )
    } else {
        None
    };
    let eci = EncapsulatedContentInfo {
        econtent_type: const_oid::db::rfc5911::ID_DATA,
        econtent,
    };
    let digest = Sha256::digest(content).to_vec();
    let mut sib = SignerInfoBuilder::new(
        &signer,
        sid,
        digest_alg.clone(),
        &eci,
        if attached { None } else { Some(&digest) },
    )
    .map_err(|e| e.to_string())?;
    let secs = at.unix_timestamp().max(0) as u64;
    let dt = der::DateTime::from_unix_duration(std::time::Duration::from_secs(secs))
        .map_err(|e| e.to_string())?;
    let time_der = if dt.year() < 2050 {
        der::asn1::UtcTime::from_date_time(dt).and_then(|t| t.to_der())
    } else {
        der::asn1::GeneralizedTime::from_date_time(dt).to_der()
    }
    .map_err(|e| e.to_string())?;
    let mut values = SetOfVec::<AttributeValue>::new();
    values
        .insert(AttributeValue::from_der(&time_der).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    sib.add_signed_attribute(Attribute {
        oid: const_oid::db::rfc5911::ID_SIGNING_TIME,
        values,
    })
    .map_err(|e| e.to_string())?;
    let ci = SignedDataBuilder::new(&eci)
        .add_digest_algorithm(digest_alg)
        .map_err(|e| e.to_string())?
        .add_certificate(CertificateChoices::Certificate(cert))
        .map_err(|e| e.to_string())?
        .add_signer_info::<_, rsa::pkcs1v15::Signature>(sib)
        .map_err(|e| e.to_string())?
        .build()
        .map_err(|e| e.to_string())?;
    ci.to_der().map_err(|e| e.to_string())
}

#[cfg(test)]
mod sign_tests {
    use super::*;

    #[test]
    fn signs_and_verifies_attached_and_detached() {
        let cert_pem = include_str!("../../fixtures/kz/signers/petrova.pem");
        let key_pem = include_str!("../../fixtures/kz/signers/petrova.key");
        let cert = crate::crypto::der_from_b64_or_pem(cert_pem).unwrap();
        let key = crate::crypto::rsa::parse_private_key(key_pem).unwrap();
        let at = time::macros::datetime!(2026-06-01 08:00 UTC);
        let detached = sign(&cert, &key, b"doc", false, at).unwrap();
        let v = verify(&detached, Some(b"doc")).unwrap();
        assert!(v.detached && v.signed_attrs);
        assert_eq!(v.signing_time, Some(at));
        assert_eq!(
            verify(&detached, Some(b"dox")).unwrap_err(),
            CmsError::DigestMismatch
        );
        let attached = sign(&cert, &key, b"doc", true, at).unwrap();
        assert_eq!(verify(&attached, None).unwrap().content, b"doc");
        assert_eq!(signer_certificate(&attached).unwrap(), cert);
    }
}
