//! X.509: CA material, CSR checks, leaf certificates and CRLs.
//!
//! Certificates and CRLs are built with rcgen and signed with the CA key; CSRs and issued
//! certificates are read with x509-parser, and signatures are verified with the `rsa` crate so
//! a refusal can name the algorithm and the reason.
//!
//! Rationale for [`rcgen_dn`]: rcgen keeps a distinguished name as a map from attribute type
//! to value, so the second `OU` of the real intermediates (`OU=PKI Co, OU=PKI Intermediate
//! Certificate Authority`) would overwrite the first and every issued certificate would name
//! an issuer that does not exist — chain building would fail. rcgen encodes
//! `DnType::OrganizationalUnitName` and `DnType::CustomDnType(2.5.4.11)` with the same OID
//! but keeps them as two entries, so a repeated standard attribute is pushed as its custom
//! twin. That carries two of each standard attribute, which is what the real layouts use;
//! a third is refused when the scenario loads.

use super::rsa::{Hash, PublicKey};
use rcgen::{
    CertificateParams, CertificateRevocationListParams, CrlDistributionPoint, CustomExtension,
    DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod,
    KeyPair, KeyUsagePurpose, RevocationReason, RevokedCertParams, SerialNumber,
};
use std::collections::HashSet;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate, X509CertificationRequest, X509Name};

/// Attribute types a subject DN template may use, with the names .NET and Windows show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Attr {
    CommonName,
    SerialNumber,
    Organization,
    OrganizationalUnit,
    Surname,
    GivenName,
    State,
    Locality,
    Country,
    Email,
    Title,
    Street,
    PostalCode,
}

impl Attr {
    pub const ALL: [Attr; 13] = [
        Attr::CommonName,
        Attr::SerialNumber,
        Attr::Organization,
        Attr::OrganizationalUnit,
        Attr::Surname,
        Attr::GivenName,
        Attr::State,
        Attr::Locality,
        Attr::Country,
        Attr::Email,
        Attr::Title,
        Attr::Street,
        Attr::PostalCode,
    ];

    /// Accepts the short names of RFC 4514, .NET and openssl, any case.
    pub fn parse(name: &str) -> Option<Attr> {
        Some(match name.trim().to_ascii_uppercase().as_str() {
            "CN" => Attr::CommonName,
            "SERIALNUMBER" => Attr::SerialNumber,
            "O" => Attr::Organization,
            "OU" => Attr::OrganizationalUnit,
            "SN" | "SURNAME" => Attr::Surname,
            "G" | "GN" | "GIVENNAME" => Attr::GivenName,
            "S" | "ST" => Attr::State,
            "L" => Attr::Locality,
            "C" => Attr::Country,
            "E" | "EMAIL" | "EMAILADDRESS" => Attr::Email,
            "T" | "TITLE" => Attr::Title,
            "STREET" => Attr::Street,
            "POSTALCODE" => Attr::PostalCode,
            _ => return None,
        })
    }

    /// The name .NET's `X500DistinguishedName.Name` uses.
    pub fn short(self) -> &'static str {
        match self {
            Attr::CommonName => "CN",
            Attr::SerialNumber => "SERIALNUMBER",
            Attr::Organization => "O",
            Attr::OrganizationalUnit => "OU",
            Attr::Surname => "SN",
            Attr::GivenName => "G",
            Attr::State => "S",
            Attr::Locality => "L",
            Attr::Country => "C",
            Attr::Email => "E",
            Attr::Title => "T",
            Attr::Street => "STREET",
            Attr::PostalCode => "PostalCode",
        }
    }

    pub fn oid(self) -> &'static [u64] {
        match self {
            Attr::CommonName => &[2, 5, 4, 3],
            Attr::SerialNumber => &[2, 5, 4, 5],
            Attr::Organization => &[2, 5, 4, 10],
            Attr::OrganizationalUnit => &[2, 5, 4, 11],
            Attr::Surname => &[2, 5, 4, 4],
            Attr::GivenName => &[2, 5, 4, 42],
            Attr::State => &[2, 5, 4, 8],
            Attr::Locality => &[2, 5, 4, 7],
            Attr::Country => &[2, 5, 4, 6],
            Attr::Email => &[1, 2, 840, 113549, 1, 9, 1],
            Attr::Title => &[2, 5, 4, 12],
            Attr::Street => &[2, 5, 4, 9],
            Attr::PostalCode => &[2, 5, 4, 17],
        }
    }

    fn from_oid(oid: &[u64]) -> Option<Attr> {
        Attr::ALL.into_iter().find(|a| a.oid() == oid)
    }
}

/// Renders a DN as .NET does (`CN=…, O=…, C=IR`: last RDN first).
pub fn display_name(entries: &[(Attr, String)]) -> String {
    let mut out = String::with_capacity(entries.iter().map(|(_, v)| v.len() + 8).sum());
    for (a, v) in entries.iter().rev() {
        push_dn_attr(&mut out, *a, v);
    }
    out
}

/// Appends `A=value` to a DN as [`display_name`] shows it, after `, ` unless it is the first.
pub fn push_dn_attr(out: &mut String, attr: Attr, value: &str) {
    if !out.is_empty() {
        out.push_str(", ");
    }
    out.push_str(attr.short());
    out.push('=');
    out.push_str(value);
}

fn name_entries(name: &X509Name<'_>) -> Vec<(Option<Attr>, String, String)> {
    name.iter_attributes()
        .map(|atv| {
            let oid: Vec<u64> = atv
                .attr_type()
                .iter()
                .map(|i| i.collect())
                .unwrap_or_default();
            let value = atv
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|_| String::from_utf8_lossy(atv.as_slice()).into_owned());
            (Attr::from_oid(&oid), atv.attr_type().to_id_string(), value)
        })
        .collect()
}

/// .NET-style display of a parsed name; unknown attribute types show as `OID.x.y.z`.
fn display_parsed(name: &X509Name<'_>) -> String {
    name_entries(name)
        .into_iter()
        .rev()
        .map(|(a, oid, v)| match a {
            Some(a) => format!("{}={}", a.short(), v),
            None => format!("OID.{oid}={v}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// rcgen's DN from a certificate's name, keeping string types and repeated attributes.
fn rcgen_dn_from_name(name: &X509Name<'_>) -> Result<DistinguishedName, String> {
    use x509_parser::der_parser::asn1_rs::Tag;
    let mut entries = Vec::new();
    for atv in name.iter_attributes() {
        let oid: Vec<u64> = atv
            .attr_type()
            .iter()
            .map(|i| i.collect())
            .ok_or("attribute type OID too large")?;
        let data = atv.attr_value().data;
        let text = std::str::from_utf8(data).map_err(|_| "attribute value is not UTF-8")?;
        let value = match atv.attr_value().header.tag() {
            Tag::PrintableString => DnValue::PrintableString(
                text.try_into()
                    .map_err(|e| format!("PrintableString: {e:?}"))?,
            ),
            Tag::Ia5String => {
                DnValue::Ia5String(text.try_into().map_err(|e| format!("IA5String: {e:?}"))?)
            }
            Tag::Utf8String => DnValue::Utf8String(text.to_string()),
            t => return Err(format!("unsupported string type {t:?} in a name")),
        };
        entries.push((oid, value));
    }
    rcgen_dn(entries)
}

/// Builds an rcgen DN in order; see the module note on repeated attributes.
fn rcgen_dn(entries: Vec<(Vec<u64>, DnValue)>) -> Result<DistinguishedName, String> {
    let mut dn = DistinguishedName::new();
    let mut seen = HashSet::new();
    for (oid, value) in entries {
        let standard = DnType::from_oid(&oid);
        let ty = if seen.insert(standard.clone()) {
            standard
        } else if matches!(standard, DnType::CustomDnType(_))
            || !seen.insert(DnType::CustomDnType(oid.clone()))
        {
            return Err(format!(
                "attribute {} appears more often than rcgen can encode",
                oid.iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(".")
            ));
        } else {
            DnType::CustomDnType(oid)
        };
        dn.push(ty, value);
    }
    Ok(dn)
}

/// Checks a subject template's attribute list can be encoded (no type three times, custom
/// types at most once).
pub fn check_subject_encodable(attrs: &[Attr]) -> Result<(), String> {
    let entries = attrs
        .iter()
        .map(|a| (a.oid().to_vec(), DnValue::Utf8String("x".into())))
        .collect();
    rcgen_dn(entries).map(|_| ())
}

/// A CA that can issue: its certificate, key and key identifier.
pub struct CaSigner {
    /// Built on first use: loading an RSA private key into aws-lc validates it with
    /// constant-time big-number arithmetic (~1 ms per 2048-bit key), too slow for a 15 ms
    /// start with several CAs. The key's match with the certificate is checked at load.
    issuer: std::sync::OnceLock<Issuer<'static, KeyPair>>,
    params: CertificateParams,
    key_pem: String,
    ski: Vec<u8>,
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    /// DER of the CA's subject: an issued certificate's issuer field equals it byte for byte.
    pub subject_der: Vec<u8>,
    pub subject_display: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl CaSigner {
    pub fn load(cert_pem: &str, key_pem: &str) -> Result<CaSigner, String> {
        let cert_der =
            super::der_from_b64_or_pem(cert_pem).map_err(|e| format!("certificate PEM: {e}"))?;
        let (_, cert) =
            X509Certificate::from_der(&cert_der).map_err(|e| format!("certificate: {e}"))?;
        let modulus =
            super::rsa::private_key_modulus(key_pem).map_err(|e| format!("private key: {e}"))?;
        let cert_modulus = match cert.public_key().parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(k)) => k
                .modulus
                .iter()
                .copied()
                .skip_while(|b| *b == 0)
                .collect::<Vec<u8>>(),
            _ => return Err("the CA certificate's key is not RSA".into()),
        };
        if modulus != cert_modulus {
            return Err("the private key does not belong to the certificate".into());
        }
        let ski = cert
            .iter_extensions()
            .find_map(|ext| match ext.parsed_extension() {
                x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => {
                    Some(k.0.to_vec())
                }
                _ => None,
            })
            .ok_or("the CA certificate has no subjectKeyIdentifier")?;
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen_dn_from_name(cert.subject())?;
        params.key_identifier_method = KeyIdMethod::PreSpecified(ski.clone());
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
        ];
        let not_after = OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp())
            .map_err(|e| e.to_string())?;
        let not_before =
            OffsetDateTime::from_unix_timestamp(cert.validity().not_before.timestamp())
                .map_err(|e| e.to_string())?;
        Ok(CaSigner {
            issuer: std::sync::OnceLock::new(),
            params,
            key_pem: key_pem.to_string(),
            ski,
            subject_der: cert.subject().as_raw().to_vec(),
            subject_display: display_parsed(cert.subject()),
            cert_pem: pem_encode("CERTIFICATE", &cert_der),
            cert_der,
            not_before,
            not_after,
        })
    }
}

impl CaSigner {
    fn issuer(&self) -> Result<&Issuer<'static, KeyPair>, String> {
        if let Some(i) = self.issuer.get() {
            return Ok(i);
        }
        let key = KeyPair::from_pem(&self.key_pem).map_err(|e| format!("CA private key: {e}"))?;
        Ok(self
            .issuer
            .get_or_init(|| Issuer::new(self.params.clone(), key)))
    }
}

pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = super::b64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// What a certificate request turned out to be.
#[derive(Debug, Clone)]
pub struct Csr {
    pub spki_der: Vec<u8>,
    pub key_bits: usize,
    pub subject: String,
    pub signature_algorithm: &'static str,
}

#[derive(Debug, PartialEq)]
pub enum CsrError {
    /// Not DER of a PKCS#10 request.
    Malformed(String),
    /// The key is not RSA.
    KeyNotRsa(String),
    /// The self-signature uses an algorithm we do not verify.
    UnsupportedAlgorithm(String),
    /// The self-signature does not verify: the request was altered.
    BadSignature(&'static str),
    /// The RSA key is unfit to sign: its public exponent is below 65537 or even.
    WeakKey(String),
}

const SHA1_RSA: &str = "1.2.840.113549.1.1.5";
const SHA256_RSA: &str = "1.2.840.113549.1.1.11";

/// Parses a PKCS#10 request and verifies its self-signature.
pub fn parse_csr(der: &[u8]) -> Result<Csr, CsrError> {
    let (rest, req) = X509CertificationRequest::from_der(der).map_err(|e| {
        CsrError::Malformed(format!("not a DER PKCS#10 certification request ({e})"))
    })?;
    if !rest.is_empty() {
        return Err(CsrError::Malformed(format!(
            "{} bytes follow the request",
            rest.len()
        )));
    }
    check_csr_der(der)?;
    let info = &req.certification_request_info;
    let spki = &info.subject_pki;
    let key_bits = match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(k)) => {
            let e: Vec<u8> = k.exponent.iter().copied().skip_while(|b| *b == 0).collect();
            let small = e.len() <= 8 && e.iter().fold(0u64, |a, b| (a << 8) | *b as u64) < 65537;
            if small || e.last().is_none_or(|b| b % 2 == 0) {
                return Err(CsrError::WeakKey(format!(
                    "the request's RSA public exponent is {} (hex); it must be odd and at least 65537 (0x010001): small exponents are refused",
                    if e.is_empty() { "0".to_string() } else { super::hex(&e) }
                )));
            }
            k.key_size()
        }
        Ok(other) => {
            return Err(CsrError::KeyNotRsa(format!(
                "the request's key is {} ({} bits), RSA is required",
                match other {
                    x509_parser::public_key::PublicKey::EC(_) => "EC",
                    x509_parser::public_key::PublicKey::DSA(_) => "DSA",
                    x509_parser::public_key::PublicKey::GostR3410(_)
                    | x509_parser::public_key::PublicKey::GostR3410_2012(_) => "GOST",
                    _ => "of an unknown type",
                },
                other.key_size()
            )))
        }
        Err(e) => {
            return Err(CsrError::Malformed(format!(
                "the request's public key does not parse ({e})"
            )))
        }
    };
    let public = rsa::pkcs8::DecodePublicKey::from_public_key_der(spki.raw)
        .map(PublicKey::from_rsa)
        .map_err(|e| CsrError::Malformed(format!("the request's RSA key does not parse ({e})")))?;
    let alg = req.signature_algorithm.algorithm.to_id_string();
    let (hash, name) = match alg.as_str() {
        SHA256_RSA => (Hash::Sha256, "sha256WithRSAEncryption"),
        SHA1_RSA => (Hash::Sha1, "sha1WithRSAEncryption"),
        other => {
            return Err(CsrError::UnsupportedAlgorithm(format!(
                "the request is signed with {other}; sha256WithRSAEncryption or sha1WithRSAEncryption is expected"
            )))
        }
    };
    if !public.verifies(hash, info.raw, &req.signature_value.data) {
        return Err(CsrError::BadSignature(name));
    }
    Ok(Csr {
        spki_der: spki.raw.to_vec(),
        key_bits,
        subject: display_parsed(&info.subject),
        signature_algorithm: name,
    })
}

/// The request exactly as DER and PKCS#10 write it. The self-signature covers only the
/// `CertificationRequestInfo` bytes; x509-parser reads the envelope around them (the outer
/// SEQUENCE, the signatureAlgorithm, the signature BIT STRING) leniently — a changed tag class,
/// an OID tag that is not OBJECT IDENTIFIER, an unterminated OID arc, non-NULL parameters,
/// bytes after the parameters or after the signature, non-minimal lengths, unused bits in the
/// signature — so an altered request would still verify. The `der` crate decodes strictly
/// (tags, minimal lengths, nothing left over); what it keeps as it was read is checked here:
/// the parameters (NULL, or absent as RFC 4055 section 5 lets a reader accept), the signature's
/// unused bits (none: OpenSSL refuses them too), and that encoding the request again gives
/// the same bytes (a SET OF in DER order).
fn check_csr_der(der: &[u8]) -> Result<(), CsrError> {
    use der::{Decode, Encode, Tag, Tagged};
    let req = x509_cert::request::CertReq::from_der(der).map_err(|e| {
        CsrError::Malformed(format!(
            "not a DER PKCS#10 certification request ({e}); a CSR is DER (RFC 2986), its envelope as well as its signed part"
        ))
    })?;
    if let Some(p) = &req.algorithm.parameters {
        if p.tag() != Tag::Null || !p.value().is_empty() {
            return Err(CsrError::Malformed(format!(
                "the signatureAlgorithm's parameters are {} of length {}; NULL (05 00) or no parameters are expected",
                p.tag(),
                p.value().len()
            )));
        }
    }
    if req.signature.unused_bits() != 0 {
        return Err(CsrError::Malformed(format!(
            "the signature BIT STRING's unused-bits octet is {}; an RSA signature is whole octets, 0 is expected",
            req.signature.unused_bits()
        )));
    }
    let again = req.to_der().map_err(|e| {
        CsrError::Malformed(format!(
            "not a DER PKCS#10 certification request (it does not encode again: {e})"
        ))
    })?;
    if again != der {
        let at = again
            .iter()
            .zip(der)
            .position(|(a, b)| a != b)
            .unwrap_or(again.len().min(der.len()));
        return Err(CsrError::Malformed(format!(
            "not in DER's canonical form: encoded again the request differs at byte {at} (a SET OF out of DER order?)"
        )));
    }
    Ok(())
}

/// What to put in an end-entity certificate.
pub struct LeafSpec<'a> {
    pub serial: u64,
    pub subject: &'a [(Attr, String)],
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub crl_url: Option<String>,
    /// Certificate policy OIDs (dotted), e.g. the CA's assurance level.
    pub policies: &'a [String],
    /// Extra extended key usage OIDs (dotted) besides clientAuth and emailProtection.
    pub extra_ekus: &'a [String],
}

/// The serial as DER INTEGER content: big-endian, no sign problem (a leading 0x00 when needed).
pub fn serial_bytes(serial: u64) -> Vec<u8> {
    let mut b: Vec<u8> = serial
        .to_be_bytes()
        .iter()
        .copied()
        .skip_while(|b| *b == 0)
        .collect();
    if b.is_empty() || b[0] & 0x80 != 0 {
        b.insert(0, 0);
    }
    b
}

fn dotted(oid: &str) -> Result<Vec<u64>, String> {
    oid.split('.')
        .map(|p| {
            p.parse::<u64>()
                .map_err(|_| format!("'{oid}' is not a dotted OID"))
        })
        .collect()
}

/// DER of a certificatePolicies extension value listing `oids` without qualifiers.
fn certificate_policies_der(oids: &[String]) -> Result<Vec<u8>, String> {
    use der::Encode;
    let infos = oids
        .iter()
        .map(|o| {
            Ok(x509_cert::ext::pkix::certpolicy::PolicyInformation {
                policy_identifier: o.parse().map_err(|e| format!("policy OID '{o}': {e}"))?,
                policy_qualifiers: None,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    x509_cert::ext::pkix::CertificatePolicies(infos)
        .to_der()
        .map_err(|e| e.to_string())
}

fn subject_value(attr: Attr, value: &str) -> DnValue {
    let printable = || value.try_into().map(DnValue::PrintableString).ok();
    match attr {
        Attr::Country | Attr::SerialNumber => {
            printable().unwrap_or_else(|| DnValue::Utf8String(value.into()))
        }
        Attr::Email => value
            .try_into()
            .map(DnValue::Ia5String)
            .unwrap_or_else(|_| DnValue::Utf8String(value.into())),
        _ => DnValue::Utf8String(value.into()),
    }
}

/// Issues an end-entity signing certificate for `spki_der`, signed by `ca`.
pub fn issue_leaf(ca: &CaSigner, spki_der: &[u8], spec: &LeafSpec<'_>) -> Result<Vec<u8>, String> {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen_dn(
        spec.subject
            .iter()
            .map(|(a, v)| (a.oid().to_vec(), subject_value(*a, v)))
            .collect(),
    )?;
    params.serial_number = Some(SerialNumber::from_slice(&serial_bytes(spec.serial)));
    params.not_before = spec.not_before;
    params.not_after = spec.not_after;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ClientAuth,
        ExtendedKeyUsagePurpose::EmailProtection,
    ];
    for eku in spec.extra_ekus {
        params
            .extended_key_usages
            .push(ExtendedKeyUsagePurpose::Other(dotted(eku)?));
    }
    params.use_authority_key_identifier_extension = true;
    if let Some(url) = &spec.crl_url {
        params.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec![url.clone()],
        }];
    }
    if !spec.policies.is_empty() {
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(
                &[2, 5, 29, 32],
                certificate_policies_der(spec.policies)?,
            ));
    }
    let spki =
        rcgen::SubjectPublicKeyInfo::from_der(spki_der).map_err(|e| format!("public key: {e}"))?;
    let cert = params
        .signed_by(&spki, ca.issuer()?)
        .map_err(|e| e.to_string())?;
    Ok(cert.der().to_vec())
}

/// A TLS server certificate for `names` (DNS names or IP addresses), signed by `ca`, valid
/// from a day before `now` for 90 days; returns (certificate DER, its new ECDSA P-256 key as
/// PKCS#8 DER). `now` is the real time: TLS clients check validity against their own clock,
/// not the scenario's.
pub fn issue_tls_server(
    ca: &CaSigner,
    names: &[String],
    now: OffsetDateTime,
) -> Result<(Vec<u8>, Vec<u8>), String> {
    let key = KeyPair::generate().map_err(|e| format!("server key: {e}"))?;
    let mut params =
        CertificateParams::new(names.to_vec()).map_err(|e| format!("server names: {e}"))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Signsim Test PKI");
    dn.push(
        DnType::CommonName,
        names.first().map(String::as_str).unwrap_or("localhost"),
    );
    params.distinguished_name = dn;
    params.not_before = now - time::Duration::days(1);
    params.not_after = (now + time::Duration::days(90)).min(ca.not_after);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.serial_number = Some(SerialNumber::from_slice(
        &now.unix_timestamp_nanos().to_be_bytes()[4..],
    ));
    let cert = params
        .signed_by(&key, ca.issuer()?)
        .map_err(|e| e.to_string())?;
    Ok((cert.der().to_vec(), key.serialize_der()))
}

/// One revoked certificate in a CRL.
pub struct Revoked {
    pub serial: u64,
    pub at: OffsetDateTime,
    /// RFC 5280 CRLReason code.
    pub reason: u8,
}

/// RFC 5280 CRLReason from its code; 7 is unassigned.
pub fn revocation_reason(code: i64) -> Option<&'static str> {
    Some(match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => return None,
    })
}

fn rcgen_reason(code: u8) -> RevocationReason {
    match code {
        1 => RevocationReason::KeyCompromise,
        2 => RevocationReason::CaCompromise,
        3 => RevocationReason::AffiliationChanged,
        4 => RevocationReason::Superseded,
        5 => RevocationReason::CessationOfOperation,
        6 => RevocationReason::CertificateHold,
        8 => RevocationReason::RemoveFromCrl,
        9 => RevocationReason::PrivilegeWithdrawn,
        10 => RevocationReason::AaCompromise,
        _ => RevocationReason::Unspecified,
    }
}

/// A DER CRL of `revoked`, numbered `number`, valid from `this_update` for a day.
pub fn make_crl(
    ca: &CaSigner,
    revoked: &[Revoked],
    number: u64,
    this_update: OffsetDateTime,
) -> Result<Vec<u8>, String> {
    let params = CertificateRevocationListParams {
        this_update,
        next_update: this_update + time::Duration::days(1),
        crl_number: SerialNumber::from_slice(&serial_bytes(number)),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|r| RevokedCertParams {
                serial_number: SerialNumber::from_slice(&serial_bytes(r.serial)),
                revocation_time: r.at,
                // RFC 5280 5.3.1: omit the extension rather than say "unspecified".
                reason_code: (r.reason != 0).then(|| rcgen_reason(r.reason)),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::PreSpecified(ca.ski.clone()),
    };
    let crl = params.signed_by(ca.issuer()?).map_err(|e| e.to_string())?;
    Ok(crl.der().to_vec())
}

/// The parts of an issued certificate the RA needs back from a client.
#[derive(Debug, Clone)]
pub struct CertInfo {
    pub serial: Option<u64>,
    pub serial_hex: String,
    pub issuer_der: Vec<u8>,
    pub subject: String,
    pub common_name: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

/// Whether `cert_der` is signed by the key of `issuer_der` and names it as issuer.
pub fn issued_by(cert_der: &[u8], issuer_der: &[u8]) -> bool {
    let (Ok((_, cert)), Ok((_, issuer))) = (
        X509Certificate::from_der(cert_der),
        X509Certificate::from_der(issuer_der),
    ) else {
        return false;
    };
    cert.issuer().as_raw() == issuer.subject().as_raw()
        && cert.verify_signature(Some(issuer.public_key())).is_ok()
}

/// Reads a DER certificate.
pub fn parse_certificate(der: &[u8]) -> Result<CertInfo, String> {
    let (rest, cert) =
        X509Certificate::from_der(der).map_err(|e| format!("not a DER X.509 certificate ({e})"))?;
    if !rest.is_empty() {
        return Err(format!("{} bytes follow the certificate", rest.len()));
    }
    let raw = cert.raw_serial();
    let trimmed: Vec<u8> = raw.iter().copied().skip_while(|b| *b == 0).collect();
    let serial =
        (trimmed.len() <= 8).then(|| trimmed.iter().fold(0u64, |acc, b| (acc << 8) | *b as u64));
    let ts = |t: i64| OffsetDateTime::from_unix_timestamp(t).map_err(|e| e.to_string());
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .unwrap_or_default()
        .to_string();
    Ok(CertInfo {
        serial,
        serial_hex: super::hex(raw),
        issuer_der: cert.issuer().as_raw().to_vec(),
        subject: display_parsed(cert.subject()),
        common_name,
        not_before: ts(cert.validity().not_before.timestamp())?,
        not_after: ts(cert.validity().not_after.timestamp())?,
    })
}

/// PBKDF2 and MAC iterations of the PKCS#12s signsim writes (see [`make_pkcs12`]).
pub const PKCS12_ITERATIONS: u64 = 2048;

/// A password-protected PKCS#12 with the key and its chain (leaf first), as OpenSSL 3 writes
/// by default (PBES2/AES-256-CBC, HMAC-SHA256, 2048 iterations — OpenSSL's
/// `PKCS12_DEFAULT_ITER`); `openssl pkcs12` opens it with and without `-legacy`.
///
/// Rationale for the count: the provider's is not documented; OpenSSL's default is what most
/// PKCS#12 files carry, and 10 000 (the library's default) made the key derivations most of
/// a P12 issue's time.
pub fn make_pkcs12(
    key_pkcs8: &[u8],
    chain_der: &[Vec<u8>],
    password: &str,
    alias: &str,
) -> Result<Vec<u8>, String> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKeyChain};
    use sha1::{Digest, Sha1};
    let chain = chain_der
        .iter()
        .map(|d| Certificate::from_der(d).map_err(|e| format!("certificate for the PKCS#12: {e}")))
        .collect::<Result<Vec<_>, String>>()?;
    let local_key_id =
        Sha1::digest(chain_der.first().map(Vec::as_slice).unwrap_or_default()).to_vec();
    let mut ks = KeyStore::new();
    ks.add_entry(
        alias,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(key_pkcs8, local_key_id, chain)),
    );
    ks.writer(password)
        .encryption_iterations(PKCS12_ITERATIONS)
        .mac_iterations(PKCS12_ITERATIONS)
        .write()
        .map_err(|e| format!("writing the PKCS#12: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_positive_der_integers() {
        assert_eq!(serial_bytes(1), vec![1]);
        assert_eq!(serial_bytes(0x80), vec![0, 0x80]);
        assert_eq!(serial_bytes(0), vec![0]);
        assert_eq!(serial_bytes(0x1234), vec![0x12, 0x34]);
    }

    #[test]
    fn two_ous_are_encodable_three_are_not() {
        use Attr::*;
        assert!(check_subject_encodable(&[
            Country,
            OrganizationalUnit,
            OrganizationalUnit,
            CommonName
        ])
        .is_ok());
        assert!(check_subject_encodable(&[
            OrganizationalUnit,
            OrganizationalUnit,
            OrganizationalUnit
        ])
        .is_err());
        assert!(check_subject_encodable(&[GivenName, GivenName]).is_err());
    }
}
