//! The `[podpishi]` section of a scenario: zone, limits, accounts (logins, apikeys, BIN/IIN
//! templates), tariffs, test signers (certificates in the national CA's layout, issued by a
//! trusted root) — checked, and the files it names resolved into [`PodMaterial`].

use crate::scenario::model::PodpishiSpec;
use crate::scenario::{Checker, Files};
use std::collections::HashSet;

/// Keys and certificates the Podpishi part names, index-aligned with `podpishi.signers`.
pub struct PodMaterial {
    pub signers: Vec<SignerMaterial>,
    /// DER certificates of `podpishi.trusted_roots`.
    pub roots: Vec<Vec<u8>>,
    pub zone: crate::clock::Zone,
}

#[derive(Clone)]
pub struct SignerMaterial {
    pub name: String,
    pub cert_der: Vec<u8>,
    /// The private key's PEM; parsed into an RSA key on first use.
    pub key_pem: String,
    pub key: std::sync::OnceLock<rsa::RsaPrivateKey>,
    pub info: crate::crypto::kz::KzSigner,
}

impl SignerMaterial {
    /// The signer's private key. Rationale for the laziness: building an RSA private key
    /// (CRT precomputation, validation) costs about half a millisecond each, and the default
    /// world has six signers that most runs never use — startup must stay within 15 ms.
    pub fn key(&self) -> Result<&rsa::RsaPrivateKey, String> {
        if let Some(k) = self.key.get() {
            return Ok(k);
        }
        let k = crate::crypto::rsa::parse_private_key(&self.key_pem)?;
        Ok(self.key.get_or_init(|| k))
    }
}

/// Checks `[podpishi]`; the material when every file it names loaded.
pub fn check(pod: &PodpishiSpec, ck: &mut Checker, files: &Files) -> Option<PodMaterial> {
    let zone = crate::clock::Zone::parse(&pod.zone)
        .map_err(|e| ck.problem("podpishi.zone", e))
        .ok();
    check_limits(pod, ck);
    check_accounts(pod, ck);
    check_tariffs(pod, ck);
    let signers = check_signers(pod, ck, files);
    if !pod.signers.iter().any(|s| s.name == pod.service_signer) {
        ck.problem(
            "podpishi.service_signer",
            format!(
                "no signer named '{}' in podpishi.signers",
                pod.service_signer
            ),
        );
    }
    let roots = check_roots(pod, ck, files, &signers);
    let zone = zone?;
    (signers.len() == pod.signers.len() && roots.len() == pod.trusted_roots.len()).then_some(
        PodMaterial {
            signers,
            roots,
            zone,
        },
    )
}

/// The size and time limits.
fn check_limits(pod: &PodpishiSpec, ck: &mut Checker) {
    if pod.max_upload_bytes < 1024 {
        ck.problem("podpishi.max_upload_bytes", "must be at least 1024");
    }
    if pod.max_command_bytes < 1024 {
        ck.problem("podpishi.max_command_bytes", "must be at least 1024");
    }
    if pod.session_seconds == 0 {
        ck.problem("podpishi.session_seconds", "must be at least 1");
    }
}

/// Each account: its login, apikey, BIN templates; logins and service ids unique.
fn check_accounts(pod: &PodpishiSpec, ck: &mut Checker) {
    let mut logins = HashSet::new();
    let mut service_ids = HashSet::new();
    for (i, a) in pod.accounts.iter().enumerate() {
        let at = format!("podpishi.accounts[{i}]");
        if a.login.is_empty() || a.login.chars().count() > 30 || !a.login.contains('@') {
            ck.problem(
                &format!("{at}.login"),
                format!("'{}' is not an email of at most 30 characters", a.login),
            );
        }
        if !logins.insert(a.login.to_lowercase()) {
            ck.problem(
                &format!("{at}.login"),
                format!("login '{}' is defined twice", a.login),
            );
        }
        if a.apikey.chars().count() != 32 {
            ck.problem(
                &format!("{at}.apikey"),
                format!(
                    "'{}' has {} characters; an apikey has exactly 32",
                    a.apikey,
                    a.apikey.chars().count()
                ),
            );
        }
        if a.bins.is_empty() {
            ck.problem(
                &format!("{at}.bins"),
                "an account needs at least one BIN/IIN template",
            );
        }
        // 12 digits; the check digit is not a scenario problem: the Podpishi document's own
        // examples (169999070809, 191919020202) fail it, and the API accepts such a BIN with
        // the warning bin-check-digit, so a scenario may seed them.
        for (j, b) in a.bins.iter().enumerate() {
            if b.len() != 12 || !b.bytes().all(|c| c.is_ascii_digit()) {
                ck.problem(
                    &format!("{at}.bins[{j}]"),
                    format!("'{b}' is not 12 digits"),
                );
            }
        }
        if let Some(id) = a.service_id {
            if !service_ids.insert(id) {
                ck.problem(
                    &format!("{at}.service_id"),
                    format!("service_id {id} is used twice"),
                );
            }
        }
    }
}

/// Tariff ids unique, each adding at least one document.
fn check_tariffs(pod: &PodpishiSpec, ck: &mut Checker) {
    let mut tariffs = HashSet::new();
    for (i, t) in pod.tariffs.iter().enumerate() {
        if !tariffs.insert(t.id) {
            ck.problem(
                &format!("podpishi.tariffs[{i}].id"),
                format!("tariff {} is defined twice", t.id),
            );
        }
        if t.counts <= 0 {
            ck.problem(
                &format!("podpishi.tariffs[{i}].counts"),
                "must be at least 1",
            );
        }
    }
}

/// The test signers whose certificate and key are readable (names unique).
fn check_signers(pod: &PodpishiSpec, ck: &mut Checker, files: &Files) -> Vec<SignerMaterial> {
    let mut signers = Vec::new();
    let mut names = HashSet::new();
    for (i, s) in pod.signers.iter().enumerate() {
        let at = format!("podpishi.signers[{i}]");
        if !names.insert(s.name.clone()) {
            ck.problem(
                &format!("{at}.name"),
                format!("signer '{}' is defined twice", s.name),
            );
        }
        let cert = files
            .read(&s.cert)
            .and_then(|p| crate::crypto::der_from_b64_or_pem(&p))
            .map_err(|e| ck.problem(&format!("{at}.cert"), e))
            .ok();
        let info = cert.as_ref().and_then(|der| {
            crate::crypto::kz::parse(der)
                .map_err(|e| ck.problem(&format!("{at}.cert"), format!("{}: {e}", s.cert)))
                .ok()
        });
        // The structure is checked now (PEM, DER, an RSA key); the key itself is built on
        // first use (see `SignerMaterial::key`).
        let key = files
            .read(&s.key)
            .and_then(|p| crate::crypto::rsa::check_private_key_pem(&p).map(|_| p))
            .map_err(|e| ck.problem(&format!("{at}.key"), e))
            .ok();
        if let (Some(cert_der), Some(key), Some(info)) = (cert, key, info) {
            if info.iin.is_empty() {
                ck.problem(
                    &format!("{at}.cert"),
                    format!("{} has no SERIALNUMBER=IIN… (NCA RK layout)", s.cert),
                );
            }
            signers.push(SignerMaterial {
                name: s.name.clone(),
                cert_der,
                key_pem: key,
                key: std::sync::OnceLock::new(),
                info,
            });
        }
    }
    signers
}

/// The trusted roots that are readable; every signer must be issued by one of them.
fn check_roots(
    pod: &PodpishiSpec,
    ck: &mut Checker,
    files: &Files,
    signers: &[SignerMaterial],
) -> Vec<Vec<u8>> {
    let mut roots = Vec::new();
    for (i, r) in pod.trusted_roots.iter().enumerate() {
        match files
            .read(r)
            .and_then(|p| crate::crypto::der_from_b64_or_pem(&p))
        {
            Ok(der) => roots.push(der),
            Err(e) => ck.problem(&format!("podpishi.trusted_roots[{i}]"), e),
        }
    }
    for (i, s) in signers.iter().enumerate() {
        if !roots.is_empty()
            && !roots
                .iter()
                .any(|r| crate::crypto::x509::issued_by(&s.cert_der, r))
        {
            ck.problem(
                &format!("podpishi.signers[{i}].cert"),
                format!(
                    "signer '{}' is not issued by any of podpishi.trusted_roots",
                    s.name
                ),
            );
        }
    }
    roots
}
