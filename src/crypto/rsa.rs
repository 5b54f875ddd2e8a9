//! RSA public keys in the forms integrators hold, and PKCS#1 v1.5 signatures.
//!
//! Customer keys arrive as PEM SPKI (`PUBLIC KEY`), PEM PKCS#1 (`RSA PUBLIC KEY`) or the .NET
//! `<RSAKeyValue>` XML that `RSA.ToXmlString(false)` writes. A key is identified in messages by
//! the SHA-256 of its SPKI DER (what `openssl pkey -pubin -outform DER | sha256sum` prints).

use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Hash algorithms a PKCS#1 v1.5 signature may have been made with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    Sha1,
    Sha256,
}

impl Hash {
    pub fn name(self) -> &'static str {
        match self {
            Hash::Sha1 => "RSA-SHA1",
            Hash::Sha256 => "RSA-SHA256",
        }
    }
}

/// A customer key, parsed once. Verification runs on aws-lc (about 6× faster than the pure
/// Rust `rsa` crate for RSA-1024, which matters because every PKI call verifies one); keys
/// below 1024 bits, which aws-lc refuses, fall back to `rsa`.
#[derive(Clone)]
pub struct PublicKey {
    key: RsaPublicKey,
    fingerprint: String,
    fast_sha1: Option<aws_lc_rs::signature::ParsedPublicKey>,
    fast_sha256: Option<aws_lc_rs::signature::ParsedPublicKey>,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PublicKey(RSA-{}, SPKI SHA-256 {})",
            self.bits(),
            self.fingerprint
        )
    }
}

impl PublicKey {
    /// Parses PEM SPKI, PEM PKCS#1 or .NET `<RSAKeyValue>` XML.
    pub fn parse(text: &str) -> Result<PublicKey, String> {
        let t = text.trim();
        let key = if t.starts_with("-----BEGIN PUBLIC KEY-----") {
            RsaPublicKey::from_public_key_pem(t).map_err(|e| format!("PEM SPKI public key: {e}"))?
        } else if t.starts_with("-----BEGIN RSA PUBLIC KEY-----") {
            RsaPublicKey::from_pkcs1_pem(t).map_err(|e| format!("PEM PKCS#1 public key: {e}"))?
        } else if t.starts_with("<RSAKeyValue") {
            from_dotnet_xml(t)?
        } else {
            return Err("not a public key: expected PEM 'PUBLIC KEY', PEM 'RSA PUBLIC KEY' or .NET <RSAKeyValue> XML".into());
        };
        Ok(PublicKey::from_rsa(key))
    }

    pub fn from_rsa(key: RsaPublicKey) -> PublicKey {
        let der = key
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default();
        use aws_lc_rs::signature::{
            ParsedPublicKey, RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
            RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
        };
        use rsa::pkcs1::EncodeRsaPublicKey;
        let pkcs1 = key
            .to_pkcs1_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default();
        PublicKey {
            fingerprint: super::sha256_hex(&der),
            fast_sha1: ParsedPublicKey::new(&RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY, &pkcs1)
                .ok(),
            fast_sha256: ParsedPublicKey::new(
                &RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                &pkcs1,
            )
            .ok(),
            key,
        }
    }

    /// SHA-256 of the SPKI DER, lowercase hex.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn bits(&self) -> usize {
        self.key.n().bits()
    }

    pub fn rsa(&self) -> &RsaPublicKey {
        &self.key
    }

    /// Whether `sig` is a PKCS#1 v1.5 signature over `data` with `hash`.
    pub fn verifies(&self, hash: Hash, data: &[u8], sig: &[u8]) -> bool {
        let fast = match hash {
            Hash::Sha1 => &self.fast_sha1,
            Hash::Sha256 => &self.fast_sha256,
        };
        if let Some(k) = fast {
            // The digest first, then the key's own check of it: `verify_sig` would set up a
            // digest context and a copy of the key's context for each call.
            use aws_lc_rs::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY, SHA256};
            let alg = match hash {
                Hash::Sha1 => &SHA1_FOR_LEGACY_USE_ONLY,
                Hash::Sha256 => &SHA256,
            };
            return k.verify_digest_sig(&digest(alg, data), sig).is_ok();
        }
        match hash {
            Hash::Sha1 => self
                .key
                .verify(Pkcs1v15Sign::new::<Sha1>(), &Sha1::digest(data), sig)
                .is_ok(),
            Hash::Sha256 => self
                .key
                .verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(data), sig)
                .is_ok(),
        }
    }
}

fn from_dotnet_xml(xml: &str) -> Result<RsaPublicKey, String> {
    let field = |name: &str| -> Result<BigUint, String> {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let start = xml
            .find(&open)
            .ok_or_else(|| format!("<RSAKeyValue> has no <{name}>"))?
            + open.len();
        let end = xml[start..]
            .find(&close)
            .ok_or_else(|| format!("<RSAKeyValue> has no </{name}>"))?
            + start;
        let bytes = super::b64_decode(&xml[start..end])
            .map_err(|e| format!("<{name}> is not base64: {e}"))?;
        Ok(BigUint::from_bytes_be(&bytes))
    };
    RsaPublicKey::new(field("Modulus")?, field("Exponent")?)
        .map_err(|e| format!(".NET <RSAKeyValue>: {e}"))
}

/// A private key for the CLI helpers and tests: PEM PKCS#8 or PEM PKCS#1.
pub fn parse_private_key(text: &str) -> Result<RsaPrivateKey, String> {
    let t = text.trim();
    if t.starts_with("-----BEGIN PRIVATE KEY-----") {
        RsaPrivateKey::from_pkcs8_pem(t).map_err(|e| format!("PEM PKCS#8 private key: {e}"))
    } else if t.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
        RsaPrivateKey::from_pkcs1_pem(t).map_err(|e| format!("PEM PKCS#1 private key: {e}"))
    } else {
        Err("not a private key: expected PEM 'PRIVATE KEY' or 'RSA PRIVATE KEY'".into())
    }
}

/// The modulus (big-endian, no leading zeros) of a PEM RSA private key, read from its ASN.1
/// structure without building the key.
pub fn private_key_modulus(text: &str) -> Result<Vec<u8>, String> {
    let t = text.trim();
    let der = super::der_from_b64_or_pem(t)?;
    let pkcs1_der: Vec<u8> = if t.starts_with("-----BEGIN PRIVATE KEY-----") {
        let info = rsa::pkcs8::PrivateKeyInfo::try_from(der.as_slice())
            .map_err(|e| format!("PEM PKCS#8 private key: {e}"))?;
        if info.algorithm.oid != rsa::pkcs1::ALGORITHM_OID {
            return Err(format!(
                "PEM PKCS#8 private key of algorithm {}, RSA expected",
                info.algorithm.oid
            ));
        }
        info.private_key.to_vec()
    } else if t.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
        der
    } else {
        return Err("not a private key: expected PEM 'PRIVATE KEY' or 'RSA PRIVATE KEY'".into());
    };
    let key = rsa::pkcs1::RsaPrivateKey::try_from(pkcs1_der.as_slice())
        .map_err(|e| format!("RSA private key: {e}"))?;
    Ok(key
        .modulus
        .as_bytes()
        .iter()
        .copied()
        .skip_while(|b| *b == 0)
        .collect())
}

/// Checks that text is a PEM RSA private key (PKCS#8 or PKCS#1) by its ASN.1 structure only,
/// without building the key (cheap enough for start-up).
pub fn check_private_key_pem(text: &str) -> Result<(), String> {
    private_key_modulus(text).map(|_| ())
}

/// RSA-SHA1 PKCS#1 v1.5, as the PKI RA gateway wants every transaction signed.
pub fn sign_sha1(key: &RsaPrivateKey, data: &[u8]) -> Result<Vec<u8>, String> {
    key.sign(Pkcs1v15Sign::new::<Sha1>(), &Sha1::digest(data))
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1::EncodeRsaPublicKey;
    use rsa::pkcs8::LineEnding;

    #[test]
    fn three_key_forms_give_one_key_and_signatures_verify() {
        let mut rng = ::rsa::rand_core::OsRng;
        let sk = RsaPrivateKey::new(&mut rng, 1024).unwrap();
        let pk = RsaPublicKey::from(&sk);
        let spki = pk.to_public_key_pem(LineEnding::LF).unwrap();
        let pkcs1 = pk.to_pkcs1_pem(LineEnding::LF).unwrap();
        let b = |n: &BigUint| super::super::b64(&n.to_bytes_be());
        let xml = format!(
            "<RSAKeyValue><Modulus>{}</Modulus><Exponent>{}</Exponent></RSAKeyValue>",
            b(pk.n()),
            b(pk.e())
        );
        let a = PublicKey::parse(&spki).unwrap();
        assert_eq!(
            a.fingerprint(),
            PublicKey::parse(&pkcs1).unwrap().fingerprint()
        );
        assert_eq!(
            a.fingerprint(),
            PublicKey::parse(&xml).unwrap().fingerprint()
        );
        assert_eq!(a.bits(), 1024);
        let data = super::super::utf16le("10320874334-1234-0499370899");
        let sig = sign_sha1(&sk, &data).unwrap();
        assert!(a.verifies(Hash::Sha1, &data, &sig));
        assert!(!a.verifies(Hash::Sha256, &data, &sig));
        assert!(!a.verifies(Hash::Sha1, b"other", &sig));
        assert!(PublicKey::parse("garbage").is_err());
    }
}
