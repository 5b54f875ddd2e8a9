//! `getlistpartnertrn` (partner): this partner's addpackage2client transactions between
//! `time1` and `time2`, oldest first, one `<id><bin2client><date><count><refnum>` group per line.

use crate::podpishi::error::PodpishiError;
use crate::podpishi::model::partner;
use crate::podpishi::wire::{Command, Element};
use crate::podpishi::{ok_resp, Ctx, Reply};

/// `getlistpartnertrn`'s elements, each bound once; read after the partner check, in this
/// order.
struct Request<'c> {
    owner_bin: Element<'c>,
    time1: Element<'c>,
    time2: Element<'c>,
}

impl<'c> Request<'c> {
    fn parse(cmd: &'c Command) -> Request<'c> {
        Request {
            owner_bin: cmd.element("owner_bin"),
            time1: cmd.element("time1"),
            time2: cmd.element("time2"),
        }
    }
}

/// parse → authorize (a partner, its template) → the range read → the partner's transactions
/// → render one group per line.
pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    let req = Request::parse(cmd);
    ctx.require_partner("getlistpartnertrn")?;
    ctx.owner_bin(req.owner_bin)?;
    let t1 = ctx.period_time("time1", req.time1.required()?, false)?;
    let t2 = ctx.period_time("time2", req.time2.required()?, true)?;
    let mut out = String::new();
    for t in partner::transactions_between(ctx.store, &ctx.account.login, t1, t2)? {
        out.push_str(&format!(
            "<id>{}</id><bin2client>{}</bin2client><date>{}</date><count>{}</count><refnum>{}</refnum>\n",
            t.id, t.bin2client, ctx.time(t.at), t.count, t.refnum
        ));
    }
    Ok(ok_resp("getlistpartnertrn", &out))
}
