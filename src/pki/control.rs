//! The PKI's verbs for the control plane (`/__admin`, scenario reactions, the dashboard):
//! what an RA officer or the provider's operations team does by hand upstream. Each is one
//! call into the [`model`](super::model) — the same transitions the upstream methods apply —
//! journaled by the caller; none bypasses the state machine.

use super::error::PkiError;
use super::model::approval::Approver;
use super::model::credit::CreditChange;
use super::model::Model;
use super::state::{CertRecord, FaceAuthOrder, TrackingRecord};
use super::Pki;
use crate::changes::Changes;
use serde_json::{json, Value};

impl Pki {
    /// The model over this API's store and world, for reads.
    pub fn model(&self) -> Model<'_> {
        self.model_for(&crate::changes::READS)
    }

    /// The model for a control call that applies transitions, recording them into `changes`.
    pub fn model_for<'a>(&'a self, changes: &'a Changes) -> Model<'a> {
        Model {
            store: &self.inner.store,
            world: &self.inner.world,
            hot: &self.inner.hot,
            changes,
        }
    }

    pub fn tracking_record(&self, code: &str) -> Result<Option<TrackingRecord>, PkiError> {
        self.model().tracking(code)
    }

    /// Every lifecycle of a national code (or legal ID).
    pub fn tracking_of_person(&self, national_code: &str) -> Result<Vec<TrackingRecord>, PkiError> {
        self.model().lifecycles_of(national_code)
    }

    /// Approves as an RA officer would: `AwaitingApproval → Approved`, the transition
    /// RequestApprove applies.
    pub fn approve(
        &self,
        code: &str,
        approver: &str,
        changes: &Changes,
    ) -> Result<TrackingRecord, PkiError> {
        let by = Approver::Officer { name: approver };
        Ok(self
            .model_for(changes)
            .approve(code, &by, self.now())?
            .record)
    }

    /// Refuses the identity: `Registered | AwaitingApproval | Approved → Rejected`.
    pub fn reject(
        &self,
        code: &str,
        reason: &str,
        changes: &Changes,
    ) -> Result<TrackingRecord, PkiError> {
        Ok(self
            .model_for(changes)
            .reject(code, reason, self.now())?
            .record)
    }

    pub fn certificate(&self, ca: &str, serial: u64) -> Result<Option<CertRecord>, PkiError> {
        self.model().certificate(ca, serial)
    }

    pub fn credit(&self, customer: &str) -> Result<i64, PkiError> {
        self.model().credit(customer)
    }

    /// Sets (`add == false`) or changes a customer's credit; returns the new balance.
    pub fn change_credit(&self, customer: &str, amount: i64, add: bool) -> Result<i64, PkiError> {
        let change = if add {
            CreditChange::Add(amount)
        } else {
            CreditChange::Set(amount)
        };
        self.model().change_credit(customer, change)
    }

    pub fn set_available(&self, ca: &str, up: bool) -> Result<(), PkiError> {
        self.world().set_available(ca, up)
    }

    /// CA material: `(certificate PEM, chain PEM above it)`.
    pub fn ca_material(&self, ca: &str) -> Result<(String, Vec<String>), PkiError> {
        let world = self.world();
        let ca = world.ca(ca)?;
        Ok((ca.signer.cert_pem.clone(), ca.chain_pem.clone()))
    }

    /// Everything stored, in key order: tracking records, certificates, balances, and the
    /// CAs' availability. Two dumps of the same state are equal (used to check that a reset
    /// restores the initial state).
    pub fn state_dump(&self) -> Result<Value, PkiError> {
        let mut dump = self.model().dump()?;
        let world = self.world();
        if let Some(map) = dump.as_object_mut() {
            map.insert(
                "cas".into(),
                world
                    .cas
                    .iter()
                    .map(|c| json!({"name": c.spec.name, "available": c.available.load(std::sync::atomic::Ordering::Relaxed)}))
                    .collect(),
            );
        }
        Ok(dump)
    }

    /// The provider's face-authentication service: a session for `tracking_code` of
    /// `national_code` ended with `outcome` (`verified` or `failed`); returns its order, whose
    /// `orderId` the client passes to RequestApprove.
    pub fn face_auth(
        &self,
        national_code: &str,
        tracking_code: &str,
        outcome: &str,
    ) -> Result<FaceAuthOrder, PkiError> {
        self.model()
            .face_auth_order(national_code, tracking_code, outcome, self.now())
    }

    /// The face-authentication orders issued for a tracking code.
    pub fn face_auth_orders(&self, tracking_code: &str) -> Result<Vec<FaceAuthOrder>, PkiError> {
        self.model().face_auth_orders(tracking_code)
    }

    /// The P12 key pool: `{pool, ready, taken, misses}`.
    pub fn key_pool(&self) -> Value {
        let (taken, misses) = self.inner.keys.stats();
        json!({
            "pool": self.inner.keys.target(),
            "ready": self.inner.keys.len(),
            "taken": taken,
            "misses": misses,
        })
    }
}
