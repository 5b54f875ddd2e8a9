//! Reading a Kazakh (NCA RK layout) signer certificate: the subject attributes and the
//! extended-key-usage role OIDs that Podpishi.Online turns into `signed_*` fields.
//!
//! Layout (docs/podpishi.md): `CN=SURNAME NAME, SURNAME=…, SERIALNUMBER=IIN<12>, C=KZ, G=<patronymic>`,
//! legal entities adding `O=<firm>, OU=BIN<12>`. Roles come from EKU `1.2.398.3.3.4.1.2.N`
//! (1 first head, 2 signing right, 3 financial, 4 HR, 5 employee) or `1.2.398.3.3.4.1.1`
//! (an individual). Pure parsing: no policy decisions here.

use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The EKU OID of an individual's certificate.
pub const ROLE_INDIVIDUAL: &str = "1.2.398.3.3.4.1.1";
/// The prefix of the legal-entity role OIDs; the role number follows.
pub const ROLE_LEGAL_PREFIX: &str = "1.2.398.3.3.4.1.2.";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct KzSigner {
    pub common_name: String,
    pub surname: String,
    /// `G` (givenName), which NCA RK uses for the patronymic.
    pub patronymic: String,
    /// The 12 digits after `IIN` in SERIALNUMBER.
    pub iin: String,
    /// The 12 digits after `BIN` in OU (legal entities only).
    pub bin: String,
    pub organization: String,
    pub eku: Vec<String>,
    /// The role number N of `1.2.398.3.3.4.1.2.N`; 0 for an individual or no role.
    pub role: u8,
    pub subject: String,
    pub issuer_der: Vec<u8>,
    pub not_before: Option<OffsetDateTime>,
    pub not_after: Option<OffsetDateTime>,
}

impl KzSigner {
    /// `ФИО`: the common name (surname and name) and the patronymic.
    pub fn fio(&self) -> String {
        if self.patronymic.is_empty() {
            self.common_name.clone()
        } else {
            format!("{} {}", self.common_name, self.patronymic)
        }
    }

    /// The identifier the signature is made for: the BIN of a legal entity, else the IIN.
    pub fn signed_for(&self) -> &str {
        if self.bin.is_empty() {
            &self.iin
        } else {
            &self.bin
        }
    }
}

/// Parses a DER certificate in the NCA RK layout. Missing attributes stay empty (the caller
/// decides whether that is acceptable and says which one is missing).
pub fn parse(der: &[u8]) -> Result<KzSigner, String> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| format!("not a DER X.509 certificate ({e})"))?;
    let mut s = KzSigner {
        subject: cert.subject().to_string(),
        issuer_der: cert.issuer().as_raw().to_vec(),
        not_before: OffsetDateTime::from_unix_timestamp(cert.validity().not_before.timestamp())
            .ok(),
        not_after: OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp()).ok(),
        ..KzSigner::default()
    };
    for rdn in cert.subject().iter() {
        for attr in rdn.iter() {
            let value = attr.as_str().map(str::to_string).unwrap_or_default();
            match attr.attr_type().to_id_string().as_str() {
                "2.5.4.3" => s.common_name = value,
                "2.5.4.4" => s.surname = value,
                "2.5.4.42" => s.patronymic = value,
                "2.5.4.10" => s.organization = value,
                "2.5.4.5" => {
                    if let Some(d) = value.strip_prefix("IIN") {
                        s.iin = d.to_string();
                    }
                }
                "2.5.4.11" => {
                    if let Some(d) = value.strip_prefix("BIN") {
                        s.bin = d.to_string();
                    }
                }
                _ => {}
            }
        }
    }
    if let Ok(Some(eku)) = cert.extended_key_usage() {
        s.eku = eku.value.other.iter().map(|o| o.to_id_string()).collect();
        if eku.value.email_protection {
            s.eku.insert(0, "1.3.6.1.5.5.7.3.4".into());
        }
    }
    s.role = s
        .eku
        .iter()
        .find_map(|o| {
            o.strip_prefix(ROLE_LEGAL_PREFIX)
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0);
    Ok(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_nca_layout() {
        let der = crate::crypto::der_from_b64_or_pem(include_str!(
            "../../fixtures/kz/signers/nurlanov.pem"
        ))
        .unwrap();
        let s = super::parse(&der).unwrap();
        assert_eq!(s.iin, "920505300780");
        assert_eq!(s.bin, "160940004561");
        assert_eq!(s.role, 4);
        assert_eq!(s.fio(), "НУРЛАНОВ АРМАН БОЛАТОВИЧ");
        assert_eq!(s.organization, "АО «Бета Тест»");
    }
}
