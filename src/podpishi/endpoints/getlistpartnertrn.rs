//! `getlistpartnertrn` (partner): this partner's addpackage2client transactions between
//! `time1` and `time2`, oldest first, one `<id><bin2client><date><count><refnum>` group per line.

use crate::podpishi::error::PodpishiError;
use crate::podpishi::state::{keys, PartnerTrn};
use crate::podpishi::wire::{parse_time, Command};
use crate::podpishi::{ok_resp, Ctx, Reply};
use crate::store::Table;

pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    ctx.require_partner("getlistpartnertrn")?;
    ctx.owner_bin(cmd)?;
    let zone = ctx.world.zone;
    let t1 = parse_time("time1", cmd.required("time1")?, zone, false)?;
    let t2 = parse_time("time2", cmd.required("time2")?, zone, true)?;
    let (start, end) = keys::trn_time_range(&ctx.account.login, t1, t2);
    let mut out = String::new();
    for k in ctx
        .store
        .keys_in_range(Table::PodPartnerTrn, &start, &end, usize::MAX)?
    {
        if let Some(t) = ctx.store.get::<PartnerTrn>(Table::PodPartnerTrn, &k)? {
            out.push_str(&format!(
                "<id>{}</id><bin2client>{}</bin2client><date>{}</date><count>{}</count><refnum>{}</refnum>\n",
                t.id, t.bin2client, ctx.time(t.at), t.count, t.refnum
            ));
        }
    }
    Ok(ok_resp("getlistpartnertrn", &out))
}
