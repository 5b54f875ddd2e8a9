//! `getcreateinvoice`: the service issues an invoice for tariff `<tarif>` as a document from
//! its own BIN (the `service_signer`'s certificate) to `owner_bin`, signed by the service with
//! a real detached CMS (sha256WithRSA), view-only for the client (signed_type 3). The answer
//! is the documented empty `resp`; the invoice shows up in getlistdocs as an incoming document
//! and getdoc returns it with the service's `.p7s`. The balance is not changed: paying the
//! invoice is outside the API (a partner's addpackage2client adds documents).

use crate::crypto::cms;
use crate::podpishi::error::{PodpishiError, XML_DECL};
use crate::podpishi::signing;
use crate::podpishi::state::{Document, Permission, StoredFile};
use crate::podpishi::wire::Command;
use crate::podpishi::{put_document, Ctx, Reply};
use bytes::Bytes;
use sha2::{Digest, Sha256};

pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    let tarif = ctx
        .world
        .tariff(cmd.required_u64("tarif")?, "tarif")?
        .clone();
    let client_bin = ctx.owner_bin(cmd)?;
    let service = ctx
        .world
        .signer(&ctx.world.spec.service_signer)
        .ok_or_else(|| {
            PodpishiError::internal("issuing an invoice", "the service signer is missing")
        })?;
    let service_bin = service.info.signed_for().to_string();
    let now = ctx.now;
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
    let first = ctx.world.spec.first_document_number;
    let login = ctx.account.login.clone();
    let file = StoredFile {
        name: String::new(),
        sha256: crate::crypto::hex(&Sha256::digest(&bytes)),
        size: bytes.len() as u64,
    };
    let num = ctx.store.write::<_, PodpishiError>(|tx| {
        let num = tx.next_seq("pod.document", first)?;
        let mut owner = Permission::new(tx.next_seq("pod.permission", 1)?, 1, &service_bin);
        verdict.apply(&mut owner, now);
        let receiver = Permission::new(tx.next_seq("pod.permission", 1)?, 3, &client_bin);
        let doc = Document {
            num,
            owner_login: String::new(),
            owner_bin: service_bin.clone(),
            receiver_bin: client_bin.clone(),
            receiver_mail: login.clone(),
            reference: format!("invoice-{num}"),
            package: "2".into(),
            name: format!("Счёт на оплату № {num}: тариф «{}»", tarif.name),
            files: vec![StoredFile {
                name: format!("invoice-{num}.txt"),
                ..file.clone()
            }],
            created: now,
            permissions: vec![owner, receiver],
        };
        put_document(tx, &doc, &[(doc.files[0].clone(), bytes.clone())])?;
        Ok(num)
    })?;
    ctx.diag.push(format!(
        "invoice document {num} for tariff {} to BIN {client_bin}",
        tarif.id
    ));
    Ok(Reply::Xml(format!(
        "{XML_DECL}<resp err=\"no\" command=\"getcreateinvoice\" ></resp>"
    )))
}
