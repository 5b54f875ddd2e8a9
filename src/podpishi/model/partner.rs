//! Partner packages (`addpackage2client`) and their transactions (`getlistpartnertrn`).
//! A `refnum` is unique per partner: the same refnum with the same client and packet is a
//! retry that adds nothing; with other parameters it is refused naming the earlier one.

use super::super::error::{Kind, PodpishiError};
use super::super::state::{keys, Account, PartnerTrn};
use super::accounts;
use crate::store::{refuse, Abort, Store, Table};
use time::OffsetDateTime;

/// A package to add to a client's document count.
pub struct Package<'a> {
    pub partner: &'a str,
    pub refnum: u64,
    pub bin2client: &'a str,
    pub packet: u64,
    /// Documents the tariff adds.
    pub counts: i64,
}

/// What `addpackage2client` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageAdded {
    /// The client's count grew by the tariff's documents.
    Added,
    /// A retry of the same refnum, client and packet: nothing added.
    Repeated,
}

/// `addpackage2client`: credits the first account holding `bin2client` (refused when none
/// does) and records the transaction.
pub fn add_package(
    store: &Store,
    now: OffsetDateTime,
    pkg: &Package<'_>,
) -> Result<PackageAdded, PodpishiError> {
    let Package {
        partner,
        refnum,
        bin2client: bin,
        packet,
        counts,
    } = *pkg;
    let client = accounts::with_bin(store, bin)?
        .into_iter()
        .next()
        .ok_or_else(|| {
            PodpishiError::new(
                Kind::ClientUnknown,
                format!("<bin2client> {bin}: no client account has this BIN as a template"),
            )
        })?;
    let client = client.as_str();
    Ok(store.write(|tx| {
        if let Some(t) = tx.get::<PartnerTrn, _>(Table::PodPartnerTrn, &keys::trn(partner, refnum))? {
            if t.bin2client == bin && t.packet == packet {
                return Ok(PackageAdded::Repeated);
            }
            return refuse(PodpishiError::new(
                Kind::RefnumReused,
                format!("<refnum> {refnum} was already used by partner {partner} (transaction {}: bin2client {}, packet {}); refnum is unique per partner", t.id, t.bin2client, t.packet),
            ));
        }
        let mut acc: Account = tx
            .get(Table::PodAccounts, &keys::account(client))?
            .ok_or_else(|| Abort::Refuse(PodpishiError::internal("crediting", "the client account vanished")))?;
        acc.balance += counts;
        tx.put(Table::PodAccounts, &keys::account(client), &acc)?;
        let id = tx.next_seq("pod.partner_trn", 1)?;
        let t = PartnerTrn { id, partner: partner.to_string(), bin2client: bin.to_string(), packet, count: counts, refnum, at: now };
        tx.put(Table::PodPartnerTrn, &keys::trn(partner, refnum), &t)?;
        tx.put(Table::PodPartnerTrn, &keys::trn_time(partner, now, id), &t)?;
        Ok(PackageAdded::Added)
    })?)
}

/// `partner`'s transactions made in `from..=to`, oldest first.
pub fn transactions_between(
    store: &Store,
    partner: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<PartnerTrn>, PodpishiError> {
    let (start, end) = keys::trn_time_range(partner, from, to);
    let mut out = Vec::new();
    for k in store.keys_in_range(Table::PodPartnerTrn, &start, &end, usize::MAX)? {
        if let Some(t) = store.get::<PartnerTrn>(Table::PodPartnerTrn, &k)? {
            out.push(t);
        }
    }
    Ok(out)
}
