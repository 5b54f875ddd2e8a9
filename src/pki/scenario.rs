//! The `[pki]` section of a scenario: every rule checked (CA names and files, profiles and
//! their subject templates, customers' codes and keys, the registry, approvers issued by a CA
//! of the scenario, error overrides naming real kinds), and the files it names resolved into
//! [`PkiMaterial`].

use super::error::KINDS;
use super::subject::Template;
use crate::crypto::rsa::PublicKey;
use crate::crypto::x509::CaSigner;
use crate::ids;
use crate::scenario::model::{CaSpec, CustomerSpec, PkiSpec, ProfileSpec};
use crate::scenario::{Checker, Files};
use std::collections::HashSet;

/// Keys and certificates the PKI part of a scenario names, index-aligned with its spec.
pub struct PkiMaterial {
    pub cas: Vec<CaMaterial>,
    pub customer_keys: Vec<PublicKey>,
    /// DER certificates of `pki.approvers`, index-aligned.
    pub approver_certs: Vec<Vec<u8>>,
}

pub struct CaMaterial {
    pub signer: CaSigner,
    /// The issuers above the CA, nearest first, PEM.
    pub chain_pem: Vec<String>,
}

/// Checks `[pki]`; the material when every file it names loaded. Problems are reported in
/// the order of the file: CAs (with their profiles), customers, the registry, approvers,
/// error overrides.
pub fn check(pki: &PkiSpec, ck: &mut Checker, files: &Files) -> Option<PkiMaterial> {
    let mut cas = Vec::new();
    let mut names = HashSet::new();
    for (i, ca) in pki.cas.iter().enumerate() {
        if let Some(m) = check_ca(ca, &format!("pki.cas[{i}]"), &mut names, ck, files) {
            cas.push(m);
        }
    }
    let mut keys = Vec::new();
    let mut codes = HashSet::new();
    for (i, c) in pki.customers.iter().enumerate() {
        let at = format!("pki.customers[{i}]");
        if let Some(k) = check_customer(pki, c, &at, &mut codes, ck, files) {
            keys.push(k);
        }
    }
    check_registry(pki, ck);
    let approver_certs = check_approvers(pki, &cas, ck, files);
    for kind in pki.errors.keys() {
        if !KINDS.contains(&kind.as_str()) {
            ck.problem(
                &format!("pki.errors.{kind}"),
                format!("'{kind}' is not an error kind; see docs/errors.md"),
            );
        }
    }
    (cas.len() == pki.cas.len()
        && keys.len() == pki.customers.len()
        && approver_certs.len() == pki.approvers.len())
    .then_some(PkiMaterial {
        cas,
        customer_keys: keys,
        approver_certs,
    })
}

/// One CA at `at`: its name (unique in `names`), files, chain, policy OIDs and profiles; its
/// material when its certificate and key loaded.
fn check_ca(
    ca: &CaSpec,
    at: &str,
    names: &mut HashSet<String>,
    ck: &mut Checker,
    files: &Files,
) -> Option<CaMaterial> {
    if ca.name.trim().is_empty() || ca.name.contains(['/', '\\', '?', '#']) {
        ck.problem(
            &format!("{at}.name"),
            format!(
                "'{}' is not a usable CA name (non-empty, no / \\ ? #)",
                ca.name
            ),
        );
    }
    if !names.insert(ca.name.clone()) {
        ck.problem(
            &format!("{at}.name"),
            format!("CA '{}' is defined twice", ca.name),
        );
    }
    let cert = files
        .read(&ca.cert)
        .map_err(|e| ck.problem(&format!("{at}.cert"), e))
        .ok();
    let key = files
        .read(&ca.key)
        .map_err(|e| ck.problem(&format!("{at}.key"), e))
        .ok();
    let signer = match (cert, key) {
        (Some(c), Some(k)) => CaSigner::load(&c, &k)
            .map_err(|e| ck.problem(&format!("{at}.cert"), format!("{}: {e}", ca.cert)))
            .ok(),
        _ => None,
    };
    let mut chain_pem = Vec::new();
    for (j, c) in ca.chain.iter().enumerate() {
        match files.read(c) {
            Ok(pem) => chain_pem.push(pem),
            Err(e) => ck.problem(&format!("{at}.chain[{j}]"), e),
        }
    }
    for (j, oid) in ca.policy_oids.iter().enumerate() {
        if oid.parse::<const_oid::ObjectIdentifier>().is_err() {
            ck.problem(
                &format!("{at}.policy_oids[{j}]"),
                format!("'{oid}' is not a dotted OID"),
            );
        }
    }
    if ca.profiles.is_empty() {
        ck.problem(&format!("{at}.profiles"), "a CA needs at least one profile");
    }
    let mut pnames = HashSet::new();
    for (j, p) in ca.profiles.iter().enumerate() {
        check_profile(ca, p, &format!("{at}.profiles[{j}]"), &mut pnames, ck);
    }
    signer.map(|signer| CaMaterial { signer, chain_pem })
}

/// One profile of `ca` at `pat`: a name unique in the CA (`pnames`), a subject template, an
/// input type, token types, validity, extra EKU OIDs.
fn check_profile(
    ca: &CaSpec,
    p: &ProfileSpec,
    pat: &str,
    pnames: &mut HashSet<String>,
    ck: &mut Checker,
) {
    if !pnames.insert(p.name.to_lowercase()) {
        ck.problem(
            &format!("{pat}.name"),
            format!("profile '{}' is defined twice in CA '{}'", p.name, ca.name),
        );
    }
    if let Err(e) = Template::parse(&p.subject_dn) {
        ck.problem(&format!("{pat}.subject_dn"), e);
    }
    if !["manually", "card", "mobile"].contains(&p.input_type.as_str()) {
        ck.problem(
            &format!("{pat}.input_type"),
            format!("'{}' is not manually, card or mobile", p.input_type),
        );
    }
    if p.token_types.is_empty() {
        ck.problem(
            &format!("{pat}.token_types"),
            "list at least one of USERGENERATED, P12",
        );
    }
    for (k, t) in p.token_types.iter().enumerate() {
        if t != "USERGENERATED" && t != "P12" {
            ck.problem(
                &format!("{pat}.token_types[{k}]"),
                format!("'{t}' is not USERGENERATED or P12"),
            );
        }
    }
    if p.validity_days == 0 || p.validity_days > 3650 {
        ck.problem(
            &format!("{pat}.validity_days"),
            format!("{} is not between 1 and 3650", p.validity_days),
        );
    }
    for (k, oid) in p.extra_ekus.iter().enumerate() {
        if oid.parse::<const_oid::ObjectIdentifier>().is_err() {
            ck.problem(
                &format!("{pat}.extra_ekus[{k}]"),
                format!("'{oid}' is not a dotted OID"),
            );
        }
    }
}

/// One customer at `at`: a legal-ID code unique in `codes`, license, report key, CAs of the
/// scenario; its public key when it parses.
fn check_customer(
    pki: &PkiSpec,
    c: &CustomerSpec,
    at: &str,
    codes: &mut HashSet<String>,
    ck: &mut Checker,
    files: &Files,
) -> Option<PublicKey> {
    if let Some(p) = ids::legal_id_problem(&c.code) {
        ck.problem(
            &format!("{at}.code"),
            format!("customer codes are 11-digit legal national IDs: {p}"),
        );
    }
    if !codes.insert(c.code.clone()) {
        ck.problem(
            &format!("{at}.code"),
            format!("customer {} is defined twice", c.code),
        );
    }
    if c.license.trim().is_empty() || c.license.contains('-') {
        ck.problem(
            &format!("{at}.license"),
            "must be non-empty and contain no '-' (customercode is CODE-LICENSE)",
        );
    }
    if c.report_key.trim().is_empty() {
        ck.problem(&format!("{at}.report_key"), "must not be empty");
    }
    for (j, ca) in c.cas.iter().enumerate() {
        if !pki.cas.iter().any(|x| &x.name == ca) {
            ck.problem(
                &format!("{at}.cas[{j}]"),
                format!("no CA named '{ca}' in pki.cas"),
            );
        }
    }
    let text = if c.public_key.trim_start().starts_with("-----BEGIN")
        || c.public_key.trim_start().starts_with("<RSAKeyValue")
    {
        Ok(c.public_key.clone())
    } else {
        files.read(&c.public_key)
    };
    match text.and_then(|t| PublicKey::parse(&t)) {
        Ok(k) => Some(k),
        Err(e) => {
            ck.problem(&format!("{at}.public_key"), e);
            None
        }
    }
}

/// The civil registry: persons (national code, birth date, mobiles) and postal codes.
fn check_registry(pki: &PkiSpec, ck: &mut Checker) {
    let mut seen = HashSet::new();
    for (i, p) in pki.registry.persons.iter().enumerate() {
        let at = format!("pki.registry.persons[{i}]");
        if let Some(e) = ids::national_code_problem(&p.national_code) {
            ck.problem(&format!("{at}.national_code"), e);
        }
        if !seen.insert(p.national_code.clone()) {
            ck.problem(
                &format!("{at}.national_code"),
                format!("{} is listed twice", p.national_code),
            );
        }
        if let Err(e) = ids::parse_either_calendar(&p.birth_date) {
            ck.problem(&format!("{at}.birth_date"), e);
        }
        for (j, m) in p.mobiles.iter().enumerate() {
            if super::identity::normalize_mobile(m).is_none() {
                ck.problem(
                    &format!("{at}.mobiles[{j}]"),
                    format!("'{m}' is not an Iranian mobile number (09xxxxxxxxx)"),
                );
            }
        }
    }
    for (i, p) in pki.registry.postal_codes.iter().enumerate() {
        if p.code.len() != 10 || !p.code.bytes().all(|b| b.is_ascii_digit()) {
            ck.problem(
                &format!("pki.registry.postal_codes[{i}].code"),
                format!("'{}' is not 10 digits", p.code),
            );
        }
    }
}

/// The approvers: a name, and a certificate issued by a CA of the scenario (or its chain);
/// their DER certificates, index-aligned when every one loaded.
fn check_approvers(
    pki: &PkiSpec,
    cas: &[CaMaterial],
    ck: &mut Checker,
    files: &Files,
) -> Vec<Vec<u8>> {
    let mut approver_certs = Vec::new();
    // A CA that failed to load is reported once; its approvers are not reported again.
    let cas_loaded = cas.len() == pki.cas.len();
    let issuers: Vec<Vec<u8>> = cas
        .iter()
        .flat_map(|c| {
            let mut v = vec![c.signer.cert_der.clone()];
            v.extend(
                c.chain_pem
                    .iter()
                    .filter_map(|p| crate::crypto::der_from_b64_or_pem(p).ok()),
            );
            v
        })
        .collect();
    for (i, a) in pki.approvers.iter().enumerate() {
        let at = format!("pki.approvers[{i}]");
        if a.name.trim().is_empty() {
            ck.problem(&format!("{at}.name"), "must not be empty");
        }
        match files
            .read(&a.cert)
            .and_then(|pem| crate::crypto::der_from_b64_or_pem(&pem))
        {
            Ok(der) => {
                if crate::crypto::x509::parse_certificate(&der).is_err() {
                    ck.problem(
                        &format!("{at}.cert"),
                        format!("{} is not a certificate", a.cert),
                    );
                } else if cas_loaded
                    && !issuers
                        .iter()
                        .any(|iss| crate::crypto::x509::issued_by(&der, iss))
                {
                    ck.problem(
                        &format!("{at}.cert"),
                        format!(
                            "{} is not issued by any CA of the scenario (or their chain)",
                            a.cert
                        ),
                    );
                }
                approver_certs.push(der);
            }
            Err(e) => ck.problem(&format!("{at}.cert"), e),
        }
    }
    approver_certs
}
