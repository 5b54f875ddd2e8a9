//! `getlistdocs`: own and incoming documents created between `time1` and `time2`
//! (inclusive, service-local, `YYYYMMDDhhmmss`; a date only, `YYYYMMDD`, is read as the whole
//! day and warned `time-date-only`) for `owner_bin` (default: the
//! account's first template). One `<permission …/>` per permission of each document, oldest
//! first. The by-BIN index makes the cost proportional to the result.

use crate::podpishi::error::{Kind, PodpishiError};
use crate::podpishi::model::documents;
use crate::podpishi::wire::{format_time, Command, Element};
use crate::podpishi::{ok_resp, permission_xml, Ctx, Reply};
use time::OffsetDateTime;

/// `getlistdocs`'s elements, each bound once.
struct Request<'c> {
    /// From the start of `time1` to the end of `time2`, service-local.
    time1: OffsetDateTime,
    time2: OffsetDateTime,
    /// Read after the times: a bad range is refused before a foreign BIN.
    owner_bin: Element<'c>,
}

impl<'c> Request<'c> {
    fn parse(cmd: &'c Command, ctx: &mut Ctx<'_>) -> Result<Request<'c>, PodpishiError> {
        let zone = ctx.world.zone;
        let t1 = ctx.period_time("time1", cmd.required("time1")?, false)?;
        let t2 = ctx.period_time("time2", cmd.required("time2")?, true)?;
        if t2 < t1 {
            return Err(PodpishiError::new(
                Kind::InvalidField,
                format!(
                    "<time2> {} is before <time1> {}",
                    format_time(t2, zone),
                    format_time(t1, zone)
                ),
            ));
        }
        Ok(Request {
            time1: t1,
            time2: t2,
            owner_bin: cmd.element("owner_bin"),
        })
    }
}

/// parse → authorize (`owner_bin` is a template of the account) → the BIN's documents in the
/// range → render one `<permission>` per permission.
pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    let req = Request::parse(cmd, ctx)?;
    let (t1, t2) = (req.time1, req.time2);
    let bin = ctx.owner_bin(req.owner_bin)?;
    let mut out = String::new();
    for num in documents::nums_of_bin(ctx.store, &bin, t1, t2)? {
        let Some(doc) = documents::get(ctx.store, num)? else {
            continue;
        };
        for p in &doc.permissions {
            out.push_str(&permission_xml(ctx, &doc, p, true));
            out.push('\n');
        }
    }
    Ok(ok_resp("getlistdocs", &out))
}
