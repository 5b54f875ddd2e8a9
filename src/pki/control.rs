//! The PKI's verbs for the control plane (`/__admin`, scenario reactions): what an RA officer
//! or the provider's operations team does by hand upstream. Each is one store transaction,
//! journaled by the caller; none bypasses the state machine.

use super::error::{Kind, PkiError};
use super::state::{
    keys, Approval, CertRecord, CustomerState, FaceAuthOrder, HistoryEntry, Status, TrackingRecord,
};
use super::Pki;
use crate::store::{codec, refuse, Abort, Table, Tx};
use serde_json::{json, Value};

impl Pki {
    pub fn tracking_record(&self, code: &str) -> Result<Option<TrackingRecord>, PkiError> {
        Ok(self
            .store()
            .get(Table::PkiTracking, &keys::tracking(code))?)
    }

    /// Every lifecycle of a national code (or legal ID).
    pub fn tracking_of_person(&self, national_code: &str) -> Result<Vec<TrackingRecord>, PkiError> {
        let mut out = Vec::new();
        for key in self.store().keys_with_prefix(
            Table::PkiByPerson,
            &codec::key(&[national_code, ""]),
            usize::MAX,
        )? {
            if let Some(code) = codec::split(&key).get(1) {
                if let Some(r) = self.tracking_record(code)? {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    /// Approves as an RA officer would: `AwaitingApproval → Approved`.
    pub fn approve(&self, code: &str, approver: &str) -> Result<TrackingRecord, PkiError> {
        let now = self.now();
        self.transition(code, |rec| {
            if rec.status != Status::AwaitingApproval {
                return Err(PkiError::new(
                    Kind::WrongState,
                    format!(
                        "tracking code {code} is {}: only AwaitingApproval can be approved",
                        rec.status.name()
                    ),
                ));
            }
            rec.status = Status::Approved;
            rec.approval = Some(Approval {
                approver: approver.to_string(),
                order_id: String::new(),
                remote: false,
                at: now,
            });
            rec.history.push(HistoryEntry {
                at: now,
                event: format!("Approved through the control API by '{approver}'"),
            });
            Ok(())
        })
    }

    /// Refuses the identity: `Registered | AwaitingApproval | Approved → Rejected`.
    pub fn reject(&self, code: &str, reason: &str) -> Result<TrackingRecord, PkiError> {
        let now = self.now();
        self.transition(code, |rec| {
            if !matches!(rec.status, Status::Registered | Status::AwaitingApproval | Status::Approved) {
                return Err(PkiError::new(
                    Kind::WrongState,
                    format!("tracking code {code} is {}: only a lifecycle without a certificate can be rejected", rec.status.name()),
                ));
            }
            rec.status = Status::Rejected;
            rec.history.push(HistoryEntry { at: now, event: format!("Rejected through the control API: {reason}") });
            Ok(())
        })
    }

    fn transition(
        &self,
        code: &str,
        change: impl Fn(&mut TrackingRecord) -> Result<(), PkiError>,
    ) -> Result<TrackingRecord, PkiError> {
        Ok(self.store().write(|tx: &Tx<'_>| {
            let mut rec: TrackingRecord = tx
                .get(Table::PkiTracking, &keys::tracking(code))?
                .ok_or_else(|| Abort::Refuse(PkiError::tracking_unknown(code)))?;
            if let Err(e) = change(&mut rec) {
                return refuse(e);
            }
            tx.put(Table::PkiTracking, &keys::tracking(code), &rec)?;
            Ok(rec)
        })?)
    }

    pub fn certificate(&self, ca: &str, serial: u64) -> Result<Option<CertRecord>, PkiError> {
        Ok(self.store().get(Table::PkiCerts, &keys::cert(ca, serial))?)
    }

    pub fn credit(&self, customer: &str) -> Result<i64, PkiError> {
        self.world().customer(customer)?;
        Ok(self
            .store()
            .get::<CustomerState>(Table::PkiCustomers, &keys::customer(customer))?
            .map(|c| c.credit)
            .unwrap_or(0))
    }

    /// Sets (`add == false`) or changes a customer's credit; returns the new balance.
    pub fn change_credit(&self, customer: &str, amount: i64, add: bool) -> Result<i64, PkiError> {
        self.world().customer(customer)?;
        Ok(self.store().write(|tx: &Tx<'_>| {
            let key = keys::customer(customer);
            let mut c: CustomerState = tx
                .get(Table::PkiCustomers, &key)?
                .unwrap_or(CustomerState { credit: 0 });
            c.credit = if add {
                match c.credit.checked_add(amount) {
                    Some(n) => n,
                    None => {
                        return refuse(PkiError::new(
                            Kind::InvalidField,
                            format!("credit {} + {amount} overflows", c.credit),
                        ))
                    }
                }
            } else {
                amount
            };
            tx.put(Table::PkiCustomers, &key, &c)?;
            Ok::<_, Abort<PkiError>>(c.credit)
        })?)
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

    /// Everything stored, in key order: tracking records, certificates, balances. Two dumps of
    /// the same state are equal (used to check that a reset restores the initial state).
    pub fn state_dump(&self) -> Result<Value, PkiError> {
        let store = self.store();
        let all = |t: Table| -> Result<Vec<Value>, PkiError> {
            Ok(store
                .scan_prefix::<Value>(t, b"", usize::MAX)?
                .into_iter()
                .map(|(_, v)| v)
                .collect())
        };
        let customers: Vec<Value> = store
            .scan_prefix::<CustomerState>(Table::PkiCustomers, b"", usize::MAX)?
            .into_iter()
            .map(|(k, v)| json!({"customer": codec::split(&k).join("/"), "credit": v.credit}))
            .collect();
        let world = self.world();
        Ok(json!({
            "tracking": all(Table::PkiTracking)?,
            "certificates": all(Table::PkiCerts)?,
            "customers": customers,
            "cas": world.cas.iter().map(|c| json!({"name": c.spec.name, "available": c.available.load(std::sync::atomic::Ordering::Relaxed)})).collect::<Vec<_>>(),
        }))
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
        if !["verified", "failed"].contains(&outcome) {
            return Err(PkiError::new(
                Kind::InvalidField,
                format!("outcome '{outcome}' is not verified or failed"),
            ));
        }
        let rec = self
            .tracking_record(tracking_code)?
            .ok_or_else(|| PkiError::tracking_unknown(tracking_code))?;
        if rec.person.national_code != national_code {
            return Err(PkiError::new(
                Kind::TrackingCodeMismatch,
                format!(
                    "tracking code {tracking_code} was registered for another national code than '{national_code}'"
                ),
            ));
        }
        let now = self.now();
        Ok(self.store().write(|tx: &Tx<'_>| {
            let seq = tx.next_seq("pki.face_auth", 1)?;
            let order = FaceAuthOrder {
                order_id: format!("FA-{seq:06}"),
                national_code: national_code.to_string(),
                tracking_code: tracking_code.to_string(),
                outcome: outcome.to_string(),
                issued_at: now,
                used_at: None,
            };
            tx.put(
                Table::PkiFaceAuth,
                &keys::face_auth(&order.order_id),
                &order,
            )?;
            Ok::<_, Abort<PkiError>>(order)
        })?)
    }

    /// The face-authentication orders issued for a tracking code.
    pub fn face_auth_orders(&self, tracking_code: &str) -> Result<Vec<FaceAuthOrder>, PkiError> {
        Ok(self
            .store()
            .scan_prefix::<FaceAuthOrder>(Table::PkiFaceAuth, b"", usize::MAX)?
            .into_iter()
            .map(|(_, o)| o)
            .filter(|o| o.tracking_code == tracking_code)
            .collect())
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
