//! `setblockuser` (partner): block the client with BIN `<bin2client>` that this partner
//! registered; a blocked client's uploads are refused. Blocking twice is not an error.

use crate::podpishi::endpoints::addpackage2client::{accounts_with_bin, bin2client};
use crate::podpishi::error::{Kind, PodpishiError};
use crate::podpishi::state::{keys, Account};
use crate::podpishi::wire::Command;
use crate::podpishi::{ok_resp, Ctx, Reply};
use crate::store::{refuse, Table};

pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    ctx.require_partner("setblockuser")?;
    ctx.owner_bin(cmd)?;
    let bin = bin2client(ctx, cmd)?;
    let logins = accounts_with_bin(ctx, &bin)?;
    if logins.is_empty() {
        return Err(PodpishiError::new(
            Kind::ClientUnknown,
            format!("<bin2client> {bin}: no client account has this BIN"),
        ));
    }
    let partner = ctx.account.login.clone();
    let n = ctx.store.write(|tx| {
        let mut n = 0;
        for l in &logins {
            if let Some(mut a) = tx.get::<Account, _>(Table::PodAccounts, &keys::account(l))? {
                if a.registered_by.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(&partner)) {
                    a.blocked = true;
                    tx.put(Table::PodAccounts, &keys::account(l), &a)?;
                    n += 1;
                }
            }
        }
        if n == 0 {
            return refuse(PodpishiError::new(Kind::ClientUnknown, format!("<bin2client> {bin}: the client was not registered by partner {partner} (reguserbypartner), so it can not block it")));
        }
        Ok(n)
    })?;
    ctx.diag
        .push(format!("{n} account(s) with BIN {bin} blocked"));
    Ok(ok_resp("setblockuser", ""))
}
