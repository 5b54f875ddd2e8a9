//! `addpackage2client` (partner): add tariff `<packet>`'s documents to the client holding
//! BIN `<bin2client>`. `<refnum>` is unique per partner: the same refnum with the same
//! bin2client and packet answers success again without adding twice (a retry), warned
//! `refnum-repeated` (the document does not say what production answers); with other
//! parameters it is refused naming the earlier transaction.

use crate::podpishi::ctx::bin_check_digit;
use crate::podpishi::error::{Kind, PodpishiError};
use crate::podpishi::model::partner;
use crate::podpishi::wire::{Command, Element};
use crate::podpishi::{ok_resp, Ctx, Reply};

/// `addpackage2client`'s elements, each bound once. They are read after the partner check, in
/// this order: a non-partner is refused before a malformed element.
struct Request<'c> {
    owner_bin: Element<'c>,
    refnum: Element<'c>,
    bin2client: Element<'c>,
    packet: Element<'c>,
}

impl<'c> Request<'c> {
    fn parse(cmd: &'c Command) -> Request<'c> {
        Request {
            owner_bin: cmd.element("owner_bin"),
            refnum: cmd.element("refnum"),
            bin2client: cmd.element("bin2client"),
            packet: cmd.element("packet"),
        }
    }
}

/// `<bin2client>`: a client's BIN, 12 digits (a wrong check digit warns `bin-check-digit`
/// unless `podpishi.check_digits` is off).
pub fn bin2client(ctx: &mut Ctx<'_>, bin2client: Element) -> Result<String, PodpishiError> {
    let b = bin2client.required()?;
    if b.len() != 12 || !b.bytes().all(|c| c.is_ascii_digit()) {
        return Err(PodpishiError::new(
            Kind::InvalidField,
            format!("<bin2client> is '{b}'; expected exactly 12 digits"),
        ));
    }
    bin_check_digit(ctx.world, &mut ctx.warnings, "bin2client", b)?;
    Ok(b.to_string())
}

/// parse → authorize (a partner, its template) → the elements read → one model call → render.
pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    let req = Request::parse(cmd);
    ctx.require_partner("addpackage2client")?;
    ctx.owner_bin(req.owner_bin)?;
    let refnum = req.refnum.required_u64()?;
    let bin = bin2client(ctx, req.bin2client)?;
    let packet = req.packet.required_u64()?;
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
    if added == partner::PackageAdded::Added {
        ctx.diag.push(format!(
            "refnum {refnum}: {} documents to {bin}",
            tariff.counts
        ));
    } else {
        ctx.diag
            .push(format!("refnum {refnum}: repeated, nothing added"));
        ctx.portable(
            "refnum-repeated",
            format!("<refnum> {refnum} was already used by this partner for bin2client {bin} and packet {packet}; signsim answers success again without adding documents, but the Podpishi document, line 388, calls refnum the partner's unique order number and does not say what production answers to a repeat"),
        )?;
    }
    Ok(ok_resp("addpackage2client", ""))
}
