//! `getcreateinvoice`: the service issues an invoice for tariff `<tarif>` as a document from
//! its own BIN (the `service_signer`'s certificate) to `owner_bin`, signed by the service with
//! a real detached CMS (sha256WithRSA), view-only for the client (signed_type 3). The answer
//! is the documented empty `resp`; the invoice shows up in getlistdocs as an incoming document
//! and getdoc returns it with the service's `.p7s`. The balance is not changed: paying the
//! invoice is outside the API (a partner's addpackage2client adds documents).

use crate::crypto::cms;
use crate::podpishi::error::{PodpishiError, XML_DECL};
use crate::podpishi::model;
use crate::podpishi::signing::{self, Verdict};
use crate::podpishi::wire::{Command, Element};
use crate::podpishi::{Ctx, Reply};
use crate::scenario::model::TariffSpec;
use bytes::Bytes;
use time::OffsetDateTime;

/// `getcreateinvoice`'s elements, each bound once.
struct Request<'c> {
    tarif: u64,
    /// Read after the tariff is known: an unknown tariff is refused first.
    owner_bin: Element<'c>,
}

impl<'c> Request<'c> {
    fn parse(cmd: &'c Command) -> Result<Request<'c>, PodpishiError> {
        Ok(Request {
            tarif: cmd.required_u64("tarif")?,
            owner_bin: cmd.element("owner_bin"),
        })
    }
}

/// parse → the tariff → authorize (`owner_bin`, the client, is a template of the account) →
/// the service signs the invoice → the invoice transition → render (the empty `resp`).
pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    let req = Request::parse(cmd)?;
    let tarif = ctx.world.tariff(req.tarif, "tarif")?.clone();
    let client_bin = ctx.owner_bin(req.owner_bin)?;
    let now = ctx.now;
    let (service_bin, bytes, verdict) = signed_invoice(ctx, &tarif, &client_bin, now)?;
    let num = model::documents::invoice(
        ctx.store,
        ctx.world.spec.first_document_number,
        now,
        &ctx.account.login,
        &service_bin,
        &client_bin,
        &tarif.name,
        &bytes,
        &verdict,
        ctx.changes,
    )?;
    ctx.diag.push(format!(
        "invoice document {num} for tariff {} to BIN {client_bin}",
        tarif.id
    ));
    Ok(Reply::Xml(format!(
        "{XML_DECL}<resp err=\"no\" command=\"getcreateinvoice\" ></resp>"
    )))
}

/// The invoice's text for `tarif` to `client_bin`, signed by the service (detached CMS) and
/// judged like any signature; with the service's BIN.
fn signed_invoice(
    ctx: &Ctx<'_>,
    tarif: &TariffSpec,
    client_bin: &str,
    now: OffsetDateTime,
) -> Result<(String, Bytes, Verdict), PodpishiError> {
    let service = ctx
        .world
        .signer(&ctx.world.spec.service_signer)
        .ok_or_else(|| {
            PodpishiError::internal("issuing an invoice", "the service signer is missing")
        })?;
    let service_bin = service.info.signed_for().to_string();
    let text = format!(
        "СЧЁТ НА ОПЛАТУ\nПоставщик: {} (БИН {})\nПокупатель: БИН {}\nТарифный план № {}: «{}», {} документов\nСумма к оплате: {} тенге\nДата: {}\n",
        service.info.organization, service_bin, client_bin, tarif.id, tarif.name, tarif.counts, tarif.price, ctx.time(now)
    );
    let bytes = Bytes::from(text.into_bytes());
    let der = cms::sign(
        &service.cert_der,
        service
            .key()
            .map_err(|e| PodpishiError::internal("reading the service key", e))?,
        &bytes,
        false,
        now,
    )
    .map_err(|e| PodpishiError::internal("signing the invoice", e))?;
    let verdict = signing::judge(
        ctx.world,
        now,
        "invoice signature",
        &der,
        &bytes,
        &service_bin,
    )?;
    Ok((service_bin, bytes, verdict))
}
