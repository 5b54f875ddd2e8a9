//! Reads for the report methods and the control API: the customer event index
//! (`PkiByCustomerTime`) and a dump of every stored record.
//!
//! Report cost follows the result: a customer's activity comes from the event index
//! (customer, time, tracking code, event); nothing scans all records.

use super::Model;
use crate::pki::error::PkiError;
use crate::pki::state::{keys, CustomerState};
use crate::store::{codec, Table};
use serde_json::{json, Value};
use std::collections::BTreeMap;

impl Model<'_> {
    /// The events (`Registered`, `Issued`, `Revoked`) of `customer` in `[from, to]` (unix
    /// seconds, inclusive), by tracking code in numeric order, each code's in time order.
    pub fn events(
        &self,
        customer: &str,
        from: i64,
        to: i64,
    ) -> Result<BTreeMap<u64, Vec<String>>, PkiError> {
        let (lo, hi) = keys::event_range(customer, from, to);
        let mut events: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        for key in self
            .store
            .keys_in_range(Table::PkiByCustomerTime, &lo, &hi, usize::MAX)?
        {
            let parts = codec::split(&key);
            if let (Some(code), Some(event)) = (parts.get(2), parts.get(3)) {
                events
                    .entry(code.parse().unwrap_or(u64::MAX))
                    .or_default()
                    .push(event.clone());
            }
        }
        Ok(events)
    }

    /// Every stored tracking record, certificate and balance, in key order: two dumps of the
    /// same state are equal (used to check that a reset restores the initial state).
    pub fn dump(&self) -> Result<Value, PkiError> {
        let all = |t: Table| -> Result<Vec<Value>, PkiError> {
            Ok(self
                .store
                .scan_prefix::<Value>(t, b"", usize::MAX)?
                .into_iter()
                .map(|(_, v)| v)
                .collect())
        };
        let customers: Vec<Value> = self
            .store
            .scan_prefix::<CustomerState>(Table::PkiCustomers, b"", usize::MAX)?
            .into_iter()
            .map(|(k, v)| json!({"customer": codec::split(&k).join("/"), "credit": v.credit}))
            .collect();
        Ok(json!({
            "tracking": all(Table::PkiTracking)?,
            "certificates": all(Table::PkiCerts)?,
            "customers": customers,
        }))
    }
}
