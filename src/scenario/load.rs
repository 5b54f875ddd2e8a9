//! Parse, validate and resolve a scenario, reporting every problem with file, line and field.
//!
//! Validation runs to the end instead of stopping at the first problem, so `signsim scenario
//! check` lists everything at once. Lines come from a second, span-keeping parse of the same
//! text (toml_edit): a problem names a dotted field path and the line is looked up from it.

use super::model::*;
use super::{CaMaterial, PkiMaterial, Problem, Scenario};
use crate::crypto::rsa::PublicKey;
use crate::crypto::x509::CaSigner;
use crate::ids;
use crate::pki::subject::Template;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Where a scenario's relative paths are read from.
#[derive(Clone, Debug)]
pub enum Files {
    /// A directory on disk.
    Dir(PathBuf),
    /// The fixture files compiled into the binary.
    Embedded,
}

impl Files {
    fn read(&self, rel: &str) -> Result<String, String> {
        match self {
            Files::Dir(dir) => {
                let path = dir.join(rel);
                std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
            }
            Files::Embedded => super::embedded::fixture(rel)
                .map(str::to_string)
                .ok_or_else(|| format!("'{rel}' is not among the fixture files embedded in the binary; load the scenario from a file to use other fixtures")),
        }
    }
}

/// The default scenario, embedded in the binary.
pub fn load_embedded() -> Result<Scenario, Vec<Problem>> {
    load_text(
        super::embedded::DEFAULT_SCENARIO,
        "embedded:default.toml",
        None,
    )
}

/// A scenario file; its relative paths resolve against its `fixtures` directory.
pub fn load_file(path: &Path) -> Result<Scenario, Vec<Problem>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Problem {
            file: path.display().to_string(),
            line: None,
            field: "(file)".into(),
            message: format!("cannot read: {e}"),
        }]
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    load_text(&text, &path.display().to_string(), Some(base))
}

/// A scenario from text. `base` is the directory of the file it came from; `None` means the
/// embedded fixtures (and no file system access at all).
pub fn load_text(
    text: &str,
    origin: &str,
    base: Option<PathBuf>,
) -> Result<Scenario, Vec<Problem>> {
    let mut v = Validator {
        origin: origin.to_string(),
        doc: toml_edit::ImDocument::parse(text.to_string()).ok(),
        text: text.to_string(),
        problems: Vec::new(),
    };
    let file: ScenarioFile = match toml::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let line = e.span().map(|s| v.line_of(s.start));
            return Err(vec![Problem {
                file: origin.to_string(),
                line,
                field: field_from_toml_error(e.message()),
                message: e.message().trim().to_string(),
            }]);
        }
    };
    let files = match base {
        Some(base) => Files::Dir(base.join(file.fixtures.as_deref().unwrap_or("../fixtures"))),
        None => Files::Embedded,
    };
    let scenario = v.check(file, &files);
    if v.problems.is_empty() {
        scenario.ok_or_else(Vec::new)
    } else {
        Err(v.problems)
    }
}

/// toml names the offending key in messages like "unknown field `x`, expected …".
fn field_from_toml_error(message: &str) -> String {
    message
        .split('`')
        .nth(1)
        .map(str::to_string)
        .unwrap_or_else(|| "(syntax)".into())
}

struct Validator {
    origin: String,
    text: String,
    doc: Option<toml_edit::ImDocument<String>>,
    problems: Vec<Problem>,
}

impl Validator {
    fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }

    fn problem(&mut self, field: &str, message: impl Into<String>) {
        let line = self.span_of(field).map(|s| self.line_of(s));
        self.problems.push(Problem {
            file: self.origin.clone(),
            line,
            field: field.to_string(),
            message: message.into(),
        });
    }

    /// The start offset of the deepest existing item on a dotted path like `a.b[2].c`.
    fn span_of(&self, field: &str) -> Option<usize> {
        use toml_edit::{Item, Value};
        let doc = self.doc.as_ref()?;
        let mut table: &dyn toml_edit::TableLike = doc.as_table();
        let mut best = None;
        for seg in field.split('.') {
            let (key, index) = match seg.split_once('[') {
                Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
                None => (seg, None),
            };
            let Some((k, item)) = table.get_key_value(key) else {
                break;
            };
            best = k.span().map(|s| s.start).or(best);
            match (item, index) {
                (Item::ArrayOfTables(a), Some(i)) => match a.get(i) {
                    Some(t) => {
                        best = t.span().map(|s| s.start).or(best);
                        table = t;
                    }
                    None => break,
                },
                (Item::Value(Value::Array(a)), Some(i)) => {
                    return a.get(i).and_then(|v| v.span()).map(|s| s.start).or(best);
                }
                (Item::Table(t), None) => table = t,
                (Item::Value(Value::InlineTable(t)), None) => table = t,
                _ => break,
            }
        }
        best
    }

    fn check(&mut self, file: ScenarioFile, files: &Files) -> Option<Scenario> {
        if file.scenario.name.trim().is_empty() {
            self.problem("scenario.name", "must not be empty");
        }
        let clock_start = match &file.clock.start {
            Some(s) => {
                match OffsetDateTime::parse(s, &Rfc3339) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        self.problem("clock.start", format!("'{s}' is not an RFC 3339 instant such as 2026-06-01T08:00:00Z ({e})"));
                        None
                    }
                }
            }
            None => None,
        };
        if file.clock.frozen && file.clock.start.is_none() {
            self.problem("clock.frozen", "a frozen clock needs clock.start");
        }
        if file.policy.min_csr_key_bits < 512 {
            self.problem("policy.min_csr_key_bits", "must be at least 512");
        }
        if file.policy.pki_max_body_bytes < 1024 {
            self.problem("policy.pki_max_body_bytes", "must be at least 1024");
        }
        for (i, rule) in file.faults.iter().enumerate() {
            for (field, message) in rule.problems() {
                self.problem(&format!("faults[{i}].{field}"), message);
            }
        }
        for (i, e) in file.events.iter().enumerate() {
            if crate::clock::parse_duration(e.at.trim_start_matches('+')).is_err() {
                self.problem(
                    &format!("events[{i}].at"),
                    format!("'{}' is not a time like +30s, +2h, +1d", e.at),
                );
            }
            for (field, message) in e.action.problems() {
                self.problem(&format!("events[{i}].action.{field}"), message);
            }
        }
        for (i, r) in file.reactions.iter().enumerate() {
            if !["pki", "podpishi"].contains(&r.on.api.as_str()) {
                self.problem(
                    &format!("reactions[{i}].on.api"),
                    format!("'{}' is not pki or podpishi", r.on.api),
                );
            }
            if let Some(a) = &r.after {
                if crate::clock::parse_duration(a).is_err() {
                    self.problem(
                        &format!("reactions[{i}].after"),
                        format!("'{a}' is not a duration like 5s, 2h"),
                    );
                }
            }
            if r.count == Some(0) {
                self.problem(&format!("reactions[{i}].count"), "count starts at 1");
            }
            for (field, message) in r.action.problems() {
                self.problem(&format!("reactions[{i}].do.{field}"), message);
            }
        }
        let pki = file.pki.as_ref().map(|p| self.check_pki(p, files));
        let podpishi = file
            .podpishi
            .as_ref()
            .map(|p| self.check_podpishi(p, files));
        Some(Scenario {
            origin: self.origin.clone(),
            text: self.text.clone(),
            clock_start,
            pki: pki.flatten(),
            podpishi: podpishi.flatten(),
            file,
        })
    }

    fn check_pki(&mut self, pki: &PkiSpec, files: &Files) -> Option<PkiMaterial> {
        let mut cas = Vec::new();
        let mut names = HashSet::new();
        for (i, ca) in pki.cas.iter().enumerate() {
            let at = format!("pki.cas[{i}]");
            if ca.name.trim().is_empty() || ca.name.contains(['/', '\\', '?', '#']) {
                self.problem(
                    &format!("{at}.name"),
                    format!(
                        "'{}' is not a usable CA name (non-empty, no / \\ ? #)",
                        ca.name
                    ),
                );
            }
            if !names.insert(ca.name.clone()) {
                self.problem(
                    &format!("{at}.name"),
                    format!("CA '{}' is defined twice", ca.name),
                );
            }
            let cert = files
                .read(&ca.cert)
                .map_err(|e| self.problem(&format!("{at}.cert"), e))
                .ok();
            let key = files
                .read(&ca.key)
                .map_err(|e| self.problem(&format!("{at}.key"), e))
                .ok();
            let signer = match (cert, key) {
                (Some(c), Some(k)) => CaSigner::load(&c, &k)
                    .map_err(|e| self.problem(&format!("{at}.cert"), format!("{}: {e}", ca.cert)))
                    .ok(),
                _ => None,
            };
            let mut chain_pem = Vec::new();
            for (j, c) in ca.chain.iter().enumerate() {
                match files.read(c) {
                    Ok(pem) => chain_pem.push(pem),
                    Err(e) => self.problem(&format!("{at}.chain[{j}]"), e),
                }
            }
            for (j, oid) in ca.policy_oids.iter().enumerate() {
                if oid.parse::<const_oid::ObjectIdentifier>().is_err() {
                    self.problem(
                        &format!("{at}.policy_oids[{j}]"),
                        format!("'{oid}' is not a dotted OID"),
                    );
                }
            }
            if ca.profiles.is_empty() {
                self.problem(&format!("{at}.profiles"), "a CA needs at least one profile");
            }
            let mut pnames = HashSet::new();
            for (j, p) in ca.profiles.iter().enumerate() {
                let pat = format!("{at}.profiles[{j}]");
                if !pnames.insert(p.name.to_lowercase()) {
                    self.problem(
                        &format!("{pat}.name"),
                        format!("profile '{}' is defined twice in CA '{}'", p.name, ca.name),
                    );
                }
                if let Err(e) = Template::parse(&p.subject_dn) {
                    self.problem(&format!("{pat}.subject_dn"), e);
                }
                if !["manually", "card", "mobile"].contains(&p.input_type.as_str()) {
                    self.problem(
                        &format!("{pat}.input_type"),
                        format!("'{}' is not manually, card or mobile", p.input_type),
                    );
                }
                if p.token_types.is_empty() {
                    self.problem(
                        &format!("{pat}.token_types"),
                        "list at least one of USERGENERATED, P12",
                    );
                }
                for (k, t) in p.token_types.iter().enumerate() {
                    if t != "USERGENERATED" && t != "P12" {
                        self.problem(
                            &format!("{pat}.token_types[{k}]"),
                            format!("'{t}' is not USERGENERATED or P12"),
                        );
                    }
                }
                if p.validity_days == 0 || p.validity_days > 3650 {
                    self.problem(
                        &format!("{pat}.validity_days"),
                        format!("{} is not between 1 and 3650", p.validity_days),
                    );
                }
                for (k, oid) in p.extra_ekus.iter().enumerate() {
                    if oid.parse::<const_oid::ObjectIdentifier>().is_err() {
                        self.problem(
                            &format!("{pat}.extra_ekus[{k}]"),
                            format!("'{oid}' is not a dotted OID"),
                        );
                    }
                }
            }
            if let Some(signer) = signer {
                cas.push(CaMaterial { signer, chain_pem });
            }
        }
        let mut keys = Vec::new();
        let mut codes = HashSet::new();
        for (i, c) in pki.customers.iter().enumerate() {
            let at = format!("pki.customers[{i}]");
            if let Some(p) = ids::legal_id_problem(&c.code) {
                self.problem(
                    &format!("{at}.code"),
                    format!("customer codes are 11-digit legal national IDs: {p}"),
                );
            }
            if !codes.insert(c.code.clone()) {
                self.problem(
                    &format!("{at}.code"),
                    format!("customer {} is defined twice", c.code),
                );
            }
            if c.license.trim().is_empty() || c.license.contains('-') {
                self.problem(
                    &format!("{at}.license"),
                    "must be non-empty and contain no '-' (customercode is CODE-LICENSE)",
                );
            }
            if c.report_key.trim().is_empty() {
                self.problem(&format!("{at}.report_key"), "must not be empty");
            }
            for (j, ca) in c.cas.iter().enumerate() {
                if !pki.cas.iter().any(|x| &x.name == ca) {
                    self.problem(
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
                Ok(k) => keys.push(k),
                Err(e) => self.problem(&format!("{at}.public_key"), e),
            }
        }
        let mut seen = HashSet::new();
        for (i, p) in pki.registry.persons.iter().enumerate() {
            let at = format!("pki.registry.persons[{i}]");
            if let Some(e) = ids::national_code_problem(&p.national_code) {
                self.problem(&format!("{at}.national_code"), e);
            }
            if !seen.insert(p.national_code.clone()) {
                self.problem(
                    &format!("{at}.national_code"),
                    format!("{} is listed twice", p.national_code),
                );
            }
            if let Err(e) = ids::parse_either_calendar(&p.birth_date) {
                self.problem(&format!("{at}.birth_date"), e);
            }
            for (j, m) in p.mobiles.iter().enumerate() {
                if crate::pki::identity::normalize_mobile(m).is_none() {
                    self.problem(
                        &format!("{at}.mobiles[{j}]"),
                        format!("'{m}' is not an Iranian mobile number (09xxxxxxxxx)"),
                    );
                }
            }
        }
        for (i, p) in pki.registry.postal_codes.iter().enumerate() {
            if p.code.len() != 10 || !p.code.bytes().all(|b| b.is_ascii_digit()) {
                self.problem(
                    &format!("pki.registry.postal_codes[{i}].code"),
                    format!("'{}' is not 10 digits", p.code),
                );
            }
        }
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
                self.problem(&format!("{at}.name"), "must not be empty");
            }
            match files
                .read(&a.cert)
                .and_then(|pem| crate::crypto::der_from_b64_or_pem(&pem))
            {
                Ok(der) => {
                    if crate::crypto::x509::parse_certificate(&der).is_err() {
                        self.problem(
                            &format!("{at}.cert"),
                            format!("{} is not a certificate", a.cert),
                        );
                    } else if cas_loaded
                        && !issuers
                            .iter()
                            .any(|iss| crate::crypto::x509::issued_by(&der, iss))
                    {
                        self.problem(
                            &format!("{at}.cert"),
                            format!(
                                "{} is not issued by any CA of the scenario (or their chain)",
                                a.cert
                            ),
                        );
                    }
                    approver_certs.push(der);
                }
                Err(e) => self.problem(&format!("{at}.cert"), e),
            }
        }
        for kind in pki.errors.keys() {
            if !crate::pki::error::KINDS.contains(&kind.as_str()) {
                self.problem(
                    &format!("pki.errors.{kind}"),
                    format!("'{kind}' is not an error kind; see the README's error table"),
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
}

impl Validator {
    fn check_podpishi(&mut self, pod: &PodpishiSpec, files: &Files) -> Option<super::PodMaterial> {
        let zone = crate::clock::Zone::parse(&pod.zone)
            .map_err(|e| self.problem("podpishi.zone", e))
            .ok();
        if pod.max_upload_bytes < 1024 {
            self.problem("podpishi.max_upload_bytes", "must be at least 1024");
        }
        if pod.max_command_bytes < 1024 {
            self.problem("podpishi.max_command_bytes", "must be at least 1024");
        }
        if pod.session_seconds == 0 {
            self.problem("podpishi.session_seconds", "must be at least 1");
        }
        let mut logins = HashSet::new();
        let mut service_ids = HashSet::new();
        for (i, a) in pod.accounts.iter().enumerate() {
            let at = format!("podpishi.accounts[{i}]");
            if a.login.is_empty() || a.login.chars().count() > 30 || !a.login.contains('@') {
                self.problem(
                    &format!("{at}.login"),
                    format!("'{}' is not an email of at most 30 characters", a.login),
                );
            }
            if !logins.insert(a.login.to_lowercase()) {
                self.problem(
                    &format!("{at}.login"),
                    format!("login '{}' is defined twice", a.login),
                );
            }
            if a.apikey.chars().count() != 32 {
                self.problem(
                    &format!("{at}.apikey"),
                    format!(
                        "'{}' has {} characters; an apikey has exactly 32",
                        a.apikey,
                        a.apikey.chars().count()
                    ),
                );
            }
            if a.bins.is_empty() {
                self.problem(
                    &format!("{at}.bins"),
                    "an account needs at least one BIN/IIN template",
                );
            }
            for (j, b) in a.bins.iter().enumerate() {
                if let Some(p) = ids::iin_bin_problem(b) {
                    if pod.check_digits || b.len() != 12 || !b.bytes().all(|c| c.is_ascii_digit()) {
                        self.problem(&format!("{at}.bins[{j}]"), p);
                    }
                }
            }
            if let Some(id) = a.service_id {
                if !service_ids.insert(id) {
                    self.problem(
                        &format!("{at}.service_id"),
                        format!("service_id {id} is used twice"),
                    );
                }
            }
        }
        let mut tariffs = HashSet::new();
        for (i, t) in pod.tariffs.iter().enumerate() {
            if !tariffs.insert(t.id) {
                self.problem(
                    &format!("podpishi.tariffs[{i}].id"),
                    format!("tariff {} is defined twice", t.id),
                );
            }
            if t.counts <= 0 {
                self.problem(
                    &format!("podpishi.tariffs[{i}].counts"),
                    "must be at least 1",
                );
            }
        }
        let mut signers = Vec::new();
        let mut names = HashSet::new();
        for (i, s) in pod.signers.iter().enumerate() {
            let at = format!("podpishi.signers[{i}]");
            if !names.insert(s.name.clone()) {
                self.problem(
                    &format!("{at}.name"),
                    format!("signer '{}' is defined twice", s.name),
                );
            }
            let cert = files
                .read(&s.cert)
                .and_then(|p| crate::crypto::der_from_b64_or_pem(&p))
                .map_err(|e| self.problem(&format!("{at}.cert"), e))
                .ok();
            let info = cert.as_ref().and_then(|der| {
                crate::crypto::kz::parse(der)
                    .map_err(|e| self.problem(&format!("{at}.cert"), format!("{}: {e}", s.cert)))
                    .ok()
            });
            // The structure is checked now (PEM, DER, an RSA key); the key itself is built on
            // first use (see `SignerMaterial::key`).
            let key = files
                .read(&s.key)
                .and_then(|p| crate::crypto::rsa::check_private_key_pem(&p).map(|_| p))
                .map_err(|e| self.problem(&format!("{at}.key"), e))
                .ok();
            if let (Some(cert_der), Some(key), Some(info)) = (cert, key, info) {
                if info.iin.is_empty() {
                    self.problem(
                        &format!("{at}.cert"),
                        format!("{} has no SERIALNUMBER=IIN… (NCA RK layout)", s.cert),
                    );
                }
                signers.push(super::SignerMaterial {
                    name: s.name.clone(),
                    cert_der,
                    key_pem: key,
                    key: std::sync::OnceLock::new(),
                    info,
                });
            }
        }
        if !pod.signers.iter().any(|s| s.name == pod.service_signer) {
            self.problem(
                "podpishi.service_signer",
                format!(
                    "no signer named '{}' in podpishi.signers",
                    pod.service_signer
                ),
            );
        }
        let mut roots = Vec::new();
        for (i, r) in pod.trusted_roots.iter().enumerate() {
            match files
                .read(r)
                .and_then(|p| crate::crypto::der_from_b64_or_pem(&p))
            {
                Ok(der) => roots.push(der),
                Err(e) => self.problem(&format!("podpishi.trusted_roots[{i}]"), e),
            }
        }
        for (i, s) in signers.iter().enumerate() {
            if !roots.is_empty()
                && !roots
                    .iter()
                    .any(|r| crate::crypto::x509::issued_by(&s.cert_der, r))
            {
                self.problem(
                    &format!("podpishi.signers[{i}].cert"),
                    format!(
                        "signer '{}' is not issued by any of podpishi.trusted_roots",
                        s.name
                    ),
                );
            }
        }
        let zone = zone?;
        (signers.len() == pod.signers.len() && roots.len() == pod.trusted_roots.len()).then_some(
            super::PodMaterial {
                signers,
                roots,
                zone,
            },
        )
    }
}
