//! Customers' credit (`PkiCustomers`): the balance, changes by the control plane, and the
//! scenario's starting balances. Issue debits it inside its own transaction
//! ([`super::certificates`]).

use super::Model;
use crate::pki::error::{Kind, PkiError};
use crate::pki::state::{keys, CustomerState};
use crate::store::{refuse, Abort, Table, Tx};

/// How the control plane changes a balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditChange {
    Set(i64),
    Add(i64),
}

impl Model<'_> {
    /// The customer's balance (0 when none is stored), for a customer of the scenario or not.
    pub fn balance(&self, customer: &str) -> Result<i64, PkiError> {
        Ok(self
            .store
            .get::<CustomerState>(Table::PkiCustomers, &keys::customer(customer))?
            .map(|c| c.credit)
            .unwrap_or(0))
    }

    /// A scenario customer's balance.
    pub fn credit(&self, customer: &str) -> Result<i64, PkiError> {
        self.world.customer(customer)?;
        self.balance(customer)
    }

    /// Sets or changes a scenario customer's credit; returns the new balance.
    pub fn change_credit(&self, customer: &str, change: CreditChange) -> Result<i64, PkiError> {
        self.world.customer(customer)?;
        Ok(self.store.write(|tx: &Tx<'_>| {
            let key = keys::customer(customer);
            let mut c: CustomerState = tx
                .get(Table::PkiCustomers, &key)?
                .unwrap_or(CustomerState { credit: 0 });
            c.credit = match change {
                CreditChange::Set(amount) => amount,
                CreditChange::Add(amount) => match c.credit.checked_add(amount) {
                    Some(n) => n,
                    None => {
                        return refuse(PkiError::new(
                            Kind::InvalidField,
                            format!("credit {} + {amount} overflows", c.credit),
                        ))
                    }
                },
            };
            tx.put(Table::PkiCustomers, &key, &c)?;
            Ok::<_, Abort<PkiError>>(c.credit)
        })?)
    }

    /// Puts the scenario's starting balances in the store for customers that have none yet
    /// (a data directory keeps balances across restarts).
    pub fn seed_credit(&self) -> Result<(), PkiError> {
        self.store.write::<_, PkiError>(|tx| {
            for c in &self.world.customers {
                let key = keys::customer(&c.code);
                if tx
                    .get::<CustomerState, _>(Table::PkiCustomers, &key)?
                    .is_none()
                {
                    tx.put(
                        Table::PkiCustomers,
                        &key,
                        &CustomerState {
                            credit: c.spec.credit,
                        },
                    )?;
                }
            }
            Ok(())
        })?;
        Ok(())
    }
}
