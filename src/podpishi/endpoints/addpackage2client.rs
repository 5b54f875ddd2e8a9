//! `addpackage2client` (partner): add tariff `<packet>`'s documents to the client holding
//! BIN `<bin2client>`. `<refnum>` is unique per partner: the same refnum with the same
//! bin2client and packet answers success again without adding twice (a retry); with other
//! parameters it is refused naming the earlier transaction.

use crate::ids;
use crate::podpishi::error::{Kind, PodpishiError};
use crate::podpishi::model::partner;
use crate::podpishi::wire::Command;
use crate::podpishi::{ok_resp, Ctx, Reply};

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

/// authorize (a partner, its template) → parse → one model call → render.
pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    ctx.require_partner("addpackage2client")?;
    ctx.owner_bin(cmd)?;
    let refnum = cmd.required_u64("refnum")?;
    let bin = bin2client(ctx, cmd)?;
    let packet = cmd.required_u64("packet")?;
    let tariff = ctx.world.tariff(packet, "packet")?.clone();
    let added = partner::add_package(
        ctx.store,
        ctx.now,
        &partner::Package {
            partner: &ctx.account.login,
            refnum,
            bin2client: &bin,
            packet,
            counts: tariff.counts,
        },
    )?;
    ctx.diag.push(if added == partner::PackageAdded::Added {
        format!("refnum {refnum}: {} documents to {bin}", tariff.counts)
    } else {
        format!("refnum {refnum}: repeated, nothing added")
    });
    Ok(ok_resp("addpackage2client", ""))
}
