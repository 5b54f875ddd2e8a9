//! Scenarios: the whole world a test needs, as a TOML file a person can read.
//!
//! [`model`] is the file format; [`load`] parses it, validates every rule, and resolves the
//! files it names (keys, certificates) into material the APIs use, reporting *every* problem
//! with file, line and field. The default scenario and the fixture files it names are embedded
//! in the binary ([`embedded`]) so `signsim` alone starts a complete world from any directory.
//!
//! This module does not serve HTTP and keeps no state: applying a scenario (seeding the store,
//! setting the clock) is done by each API from the [`Scenario`] it is handed.

pub mod embedded;
pub mod load;
pub mod model;

use crate::clock::Clock;
use crate::crypto::rsa::PublicKey;
use crate::crypto::x509::CaSigner;
use std::fmt;
use time::OffsetDateTime;

pub use load::{load_embedded, load_file, load_text, Files};

/// One thing wrong with a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub file: String,
    pub line: Option<usize>,
    /// Dotted path of the field, e.g. `pki.customers[1].public_key`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "{}:{}: {}: {}",
                self.file, line, self.field, self.message
            ),
            None => write!(f, "{}: {}: {}", self.file, self.field, self.message),
        }
    }
}

/// A validated scenario with its files resolved.
pub struct Scenario {
    /// Where it came from: a path, or `embedded:default.toml`.
    pub origin: String,
    pub text: String,
    pub file: model::ScenarioFile,
    pub clock_start: Option<OffsetDateTime>,
    pub pki: Option<PkiMaterial>,
    pub podpishi: Option<PodMaterial>,
}

/// Keys and certificates the PKI part of a scenario names, index-aligned with its spec.
pub struct PkiMaterial {
    pub cas: Vec<CaMaterial>,
    pub customer_keys: Vec<PublicKey>,
    /// DER certificates of `pki.approvers`, index-aligned.
    pub approver_certs: Vec<Vec<u8>>,
}

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

pub struct CaMaterial {
    pub signer: CaSigner,
    /// The issuers above the CA, nearest first, PEM.
    pub chain_pem: Vec<String>,
}

impl Scenario {
    pub fn name(&self) -> &str {
        &self.file.scenario.name
    }

    /// The clock this scenario starts with.
    pub fn initial_clock(&self) -> Clock {
        match (self.clock_start, self.file.clock.frozen) {
            (Some(at), true) => Clock::frozen(at),
            (Some(at), false) => Clock::starting_at(at),
            (None, _) => Clock::system(),
        }
    }
}
