//! `getlistdocs`: own and incoming documents created between `time1` and `time2`
//! (inclusive, service-local; `YYYYMMDD` means the whole day) for `owner_bin` (default: the
//! account's first template). One `<permission …/>` per permission of each document, oldest
//! first. The by-BIN index makes the cost proportional to the result.

use crate::podpishi::error::{Kind, PodpishiError};
use crate::podpishi::model::documents;
use crate::podpishi::wire::{parse_time, Command};
use crate::podpishi::{ok_resp, permission_xml, Ctx, Reply};

pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    let zone = ctx.world.zone;
    let t1 = parse_time("time1", cmd.required("time1")?, zone, false)?;
    let t2 = parse_time("time2", cmd.required("time2")?, zone, true)?;
    if t2 < t1 {
        return Err(PodpishiError::new(
            Kind::InvalidField,
            format!(
                "<time2> {} is before <time1> {}",
                ctx.time(t2),
                ctx.time(t1)
            ),
        ));
    }
    let bin = ctx.owner_bin(cmd)?;
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
