//! `getlistpartnertrn` (partner): this partner's addpackage2client transactions between
//! `time1` and `time2`, oldest first, one `<id><bin2client><date><count><refnum>` group per line.

use crate::podpishi::error::PodpishiError;
use crate::podpishi::model::partner;
use crate::podpishi::wire::{parse_time, Command};
use crate::podpishi::{ok_resp, Ctx, Reply};

pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    ctx.require_partner("getlistpartnertrn")?;
    ctx.owner_bin(cmd)?;
    let zone = ctx.world.zone;
    let t1 = parse_time("time1", cmd.required("time1")?, zone, false)?;
    let t2 = parse_time("time2", cmd.required("time2")?, zone, true)?;
    let mut out = String::new();
    for t in partner::transactions_between(ctx.store, &ctx.account.login, t1, t2)? {
        out.push_str(&format!(
            "<id>{}</id><bin2client>{}</bin2client><date>{}</date><count>{}</count><refnum>{}</refnum>\n",
            t.id, t.bin2client, ctx.time(t.at), t.count, t.refnum
        ));
    }
    Ok(ok_resp("getlistpartnertrn", &out))
}
