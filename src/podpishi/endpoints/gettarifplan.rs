//! `gettarifplan`: the scenario's tariff plans, in the document's exact shape (single-quoted
//! `resp` attributes, no XML declaration, one `<tarif><name><counts><price>` group per line).

use crate::podpishi::error::PodpishiError;
use crate::podpishi::wire::Command;
use crate::podpishi::{Ctx, Reply};
use quick_xml::escape::escape;

/// No elements to parse, no one to authorize beyond the account, nothing to apply: the
/// scenario's tariffs, rendered.
pub fn handle(ctx: &mut Ctx<'_>, _cmd: &Command) -> Result<Reply, PodpishiError> {
    let mut out = String::from("<resp err='no' command='gettarifplan'>\n");
    for t in &ctx.world.spec.tariffs {
        out.push_str(&format!(
            "<tarif>{}</tarif><name>{}</name><counts>{}</counts><price>{}</price>\n",
            t.id,
            escape(&t.name),
            t.counts,
            t.price
        ));
    }
    out.push_str("</resp>");
    Ok(Reply::Xml(out))
}
