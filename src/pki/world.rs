//! The scenario's PKI world as the handlers use it: CAs with their signers and profiles,
//! customers with their keys, approvers, the civil registry and the policies. Built once per
//! scenario load; only CA availability changes while it runs (and bumps [`World::generation`],
//! which invalidates cached GET answers).

use super::error::{Kind, Overrides, PkiError};
use super::scenario::PkiMaterial;
use super::subject::Template;
use crate::crypto::rsa::PublicKey;
use crate::crypto::x509::CaSigner;
use crate::scenario::model::{
    CaKind, CaSpec, CustomerSpec, PersonSpec, PkiSpec, PolicySpec, PostalSpec, ProfileSpec,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A CA as the handlers use it.
pub struct Ca {
    pub spec: CaSpec,
    pub signer: CaSigner,
    pub chain_pem: Vec<String>,
    pub available: AtomicBool,
    pub profiles: Vec<Profile>,
}

pub struct Profile {
    pub spec: ProfileSpec,
    pub template: Template,
}

/// Whether any profile of any CA issues P12 tokens (`token_types` has `P12`).
fn offers_p12(cas: &[Ca]) -> bool {
    cas.iter()
        .flat_map(|ca| &ca.profiles)
        .any(|p| p.spec.token_types.iter().any(|t| t == "P12"))
}

impl Ca {
    pub fn is_government_public(&self) -> bool {
        self.spec.kind == CaKind::GovernmentPublic
    }

    pub fn profile(&self, name: &str) -> Result<&Profile, PkiError> {
        self.profiles
            .iter()
            .find(|p| p.spec.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                PkiError::new(
                    Kind::UnknownProfile,
                    format!(
                        "profileName '{name}' is not a profile of CA '{}'; its profiles are: {}",
                        self.spec.name,
                        self.profiles
                            .iter()
                            .map(|p| p.spec.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }

    pub fn require_available(&self) -> Result<(), PkiError> {
        if self.available.load(Ordering::Relaxed) {
            Ok(())
        } else {
            Err(PkiError::new(
                Kind::CaUnavailable,
                format!("CA '{}' is not available right now (IsAvailable is false); nothing was changed — retry later", self.spec.name),
            ))
        }
    }
}

/// An RA officer whose CMS signature approves identities in person.
pub struct Approver {
    pub name: String,
    pub cert_der: Vec<u8>,
}

pub struct Customer {
    pub code: String,
    pub spec: CustomerSpec,
    pub key: PublicKey,
}

/// The scenario's PKI world.
pub struct World {
    pub version: String,
    pub policy: PolicySpec,
    pub first_tracking_code: u64,
    pub cas: Vec<Ca>,
    pub customers: Vec<Customer>,
    pub persons: HashMap<String, PersonSpec>,
    pub postal_codes: Vec<PostalSpec>,
    pub overrides: Overrides,
    pub approvers: Vec<Approver>,
    pub get_all_cert_latency_ms: u64,
    pub replay_window_seconds: u64,
    pub p12_key_pool: usize,
    /// Bumped whenever something GET answers depend on changes (CA availability).
    pub generation: AtomicU64,
}

impl World {
    pub fn build(
        spec: &PkiSpec,
        material: PkiMaterial,
        policy: &PolicySpec,
    ) -> Result<World, String> {
        let mut cas = Vec::new();
        for (ca, m) in spec.cas.iter().zip(material.cas) {
            let profiles = ca
                .profiles
                .iter()
                .map(|p| {
                    Ok(Profile {
                        spec: p.clone(),
                        template: Template::parse(&p.subject_dn)?,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            cas.push(Ca {
                spec: ca.clone(),
                available: AtomicBool::new(ca.available),
                signer: m.signer,
                chain_pem: m.chain_pem,
                profiles,
            });
        }
        // No key is made ahead for a world none of whose profiles issues P12 tokens.
        let p12_key_pool = if offers_p12(&cas) {
            spec.p12_key_pool
        } else {
            0
        };
        Ok(World {
            version: spec.version.clone(),
            policy: policy.clone(),
            first_tracking_code: spec.first_tracking_code,
            cas,
            customers: spec
                .customers
                .iter()
                .zip(material.customer_keys)
                .map(|(c, key)| Customer {
                    code: c.code.clone(),
                    spec: c.clone(),
                    key,
                })
                .collect(),
            approvers: spec
                .approvers
                .iter()
                .zip(material.approver_certs)
                .map(|(a, der)| Approver {
                    name: a.name.clone(),
                    cert_der: der,
                })
                .collect(),
            get_all_cert_latency_ms: spec.get_all_cert_latency_ms,
            replay_window_seconds: spec.replay_window_seconds,
            p12_key_pool,
            persons: spec
                .registry
                .persons
                .iter()
                .map(|p| (p.national_code.clone(), p.clone()))
                .collect(),
            postal_codes: spec.registry.postal_codes.clone(),
            overrides: spec
                .errors
                .iter()
                .map(|(k, v)| (k.clone(), (v.code, v.message.clone())))
                .collect(),
            generation: AtomicU64::new(0),
        })
    }

    /// Switches a CA on or off (admin, scenario events); GET answers reflect it at once.
    pub fn set_available(&self, ca: &str, up: bool) -> Result<(), PkiError> {
        self.ca(ca)?.available.store(up, Ordering::Release);
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    pub fn ca(&self, name: &str) -> Result<&Ca, PkiError> {
        self.cas
            .iter()
            .find(|c| c.spec.name == name)
            .ok_or_else(|| {
                PkiError::new(
                    Kind::UnknownCa,
                    format!(
                        "caName '{name}' is not a CA of this service; the CAs are: {}",
                        self.cas
                            .iter()
                            .map(|c| c.spec.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }

    /// The CA names, comma-separated, for messages.
    pub fn ca_names(&self) -> String {
        self.cas
            .iter()
            .map(|c| c.spec.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn customer(&self, code: &str) -> Result<&Customer, PkiError> {
        self.customers.iter().find(|c| c.code == code).ok_or_else(|| {
            PkiError::new(
                Kind::UnknownCustomer,
                format!("customer code '{code}' is not known to this service (the scenario defines {} customers)", self.customers.len()),
            )
        })
    }
}
