//! The scenario's Podpishi world as handlers need it: the spec (tariffs, limits, policies),
//! the service zone, test signers and trusted roots. Accounts live in the store (seeded from
//! the scenario) because partners register new ones and balances change.

use super::error::{Kind, PodpishiError};
use super::scenario::{PodMaterial, SignerMaterial};
use crate::clock::Zone;
use crate::scenario::model::{PodpishiSpec, TariffSpec, UnverifiablePolicy};

/// The scenario's Podpishi world.
pub struct World {
    pub spec: PodpishiSpec,
    pub zone: Zone,
    pub signers: Vec<SignerMaterial>,
    pub roots: Vec<Vec<u8>>,
    /// The effective `policy.portability` (scenario, or `--portability`).
    pub portability: crate::portability::Policy,
}

impl World {
    pub fn build(
        spec: &PodpishiSpec,
        material: PodMaterial,
        portability: crate::portability::Policy,
    ) -> World {
        World {
            spec: spec.clone(),
            zone: material.zone,
            signers: material.signers,
            roots: material.roots,
            portability,
        }
    }

    pub fn tariff(&self, id: u64, field: &str) -> Result<&TariffSpec, PodpishiError> {
        self.spec
            .tariffs
            .iter()
            .find(|t| t.id == id)
            .ok_or_else(|| {
                PodpishiError::new(
                    Kind::UnknownTariff,
                    format!(
                        "<{field}> {id} is not a tariff plan; the plans (gettarifplan) are: {}",
                        self.spec
                            .tariffs
                            .iter()
                            .map(|t| format!("{} {}", t.id, t.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }

    pub fn signer(&self, name: &str) -> Option<&SignerMaterial> {
        self.signers.iter().find(|s| s.name == name)
    }

    pub fn unverifiable(&self) -> UnverifiablePolicy {
        self.spec.unverifiable_algorithm
    }
}
