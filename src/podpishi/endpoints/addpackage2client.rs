//! `addpackage2client` (partner): add tariff `<packet>`'s documents to the client holding
//! BIN `<bin2client>`. `<refnum>` is unique per partner: the same refnum with the same
//! bin2client and packet answers success again without adding twice (a retry); with other
//! parameters it is refused naming the earlier transaction.

use crate::ids;
use crate::podpishi::error::{Kind, PodpishiError};
use crate::podpishi::state::{keys, Account, PartnerTrn};
use crate::podpishi::wire::Command;
use crate::podpishi::{ok_resp, Ctx, Reply};
use crate::store::{codec, refuse, Abort, Table};

pub fn bin2client(ctx: &Ctx<'_>, cmd: &Command) -> Result<String, PodpishiError> {
    let b = cmd.required("bin2client")?;
    if b.len() != 12 || !b.bytes().all(|c| c.is_ascii_digit()) {
        return Err(PodpishiError::new(
            Kind::InvalidField,
            format!("<bin2client> is '{b}'; expected exactly 12 digits"),
        ));
    }
    if ctx.world.spec.check_digits {
        if let Some(p) = ids::iin_bin_problem(b) {
            return Err(PodpishiError::new(
                Kind::InvalidField,
                format!("<bin2client>: {p}"),
            ));
        }
    }
    Ok(b.to_string())
}

/// The logins of accounts holding `bin`.
pub fn accounts_with_bin(ctx: &Ctx<'_>, bin: &str) -> Result<Vec<String>, PodpishiError> {
    Ok(ctx
        .store
        .keys_with_prefix(Table::PodAccounts, &keys::bin_prefix(bin), 100)?
        .iter()
        .filter_map(|k| codec::split(k).get(2).cloned())
        .collect())
}

pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    ctx.require_partner("addpackage2client")?;
    ctx.owner_bin(cmd)?;
    let refnum = cmd.required_u64("refnum")?;
    let bin = bin2client(ctx, cmd)?;
    let packet = cmd.required_u64("packet")?;
    let tariff = ctx.world.tariff(packet, "packet")?.clone();
    let client = accounts_with_bin(ctx, &bin)?
        .into_iter()
        .next()
        .ok_or_else(|| {
            PodpishiError::new(
                Kind::ClientUnknown,
                format!("<bin2client> {bin}: no client account has this BIN as a template"),
            )
        })?;
    let partner = ctx.account.login.clone();
    let now = ctx.now;
    let added = ctx.store.write(|tx| {
        if let Some(t) = tx.get::<PartnerTrn, _>(Table::PodPartnerTrn, &keys::trn(&partner, refnum))? {
            if t.bin2client == bin && t.packet == packet {
                return Ok(false);
            }
            return refuse(PodpishiError::new(
                Kind::RefnumReused,
                format!("<refnum> {refnum} was already used by partner {partner} (transaction {}: bin2client {}, packet {}); refnum is unique per partner", t.id, t.bin2client, t.packet),
            ));
        }
        let mut acc: Account = tx
            .get(Table::PodAccounts, &keys::account(&client))?
            .ok_or_else(|| Abort::Refuse(PodpishiError::internal("crediting", "the client account vanished")))?;
        acc.balance += tariff.counts;
        tx.put(Table::PodAccounts, &keys::account(&client), &acc)?;
        let id = tx.next_seq("pod.partner_trn", 1)?;
        let t = PartnerTrn { id, partner: partner.clone(), bin2client: bin.clone(), packet, count: tariff.counts, refnum, at: now };
        tx.put(Table::PodPartnerTrn, &keys::trn(&partner, refnum), &t)?;
        tx.put(Table::PodPartnerTrn, &keys::trn_time(&partner, now, id), &t)?;
        Ok(true)
    })?;
    ctx.diag.push(if added {
        format!("refnum {refnum}: {} documents to {bin}", tariff.counts)
    } else {
        format!("refnum {refnum}: repeated, nothing added")
    });
    Ok(ok_resp("addpackage2client", ""))
}
