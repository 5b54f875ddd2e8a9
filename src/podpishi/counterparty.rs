//! The counterparty's side, which happens in the web cabinet upstream and through the control
//! API (`POST /__admin/podpishi/documents/{num}/sign`) and scenario reactions here:
//!
//! - `sign` makes a real CMS (sha256WithRSA, signed attributes, signingTime = the clock;
//!   detached unless `attached`) by the named test signer over the document's first file and
//!   records it exactly as `addsignature` would (same checks: the signer's BIN must be the
//!   permission's);
//! - `refuse` marks the permission `sign_deleted` (the counterparty declined).
//!
//! `index` defaults to the receiver's permission. Also here: the inspection verbs the control
//! API shows (documents, accounts, partner transactions, outbox, a dump of everything).

use super::error::{Kind, PodpishiError};
use super::model::{self, permissions};
use super::state::Email;
use super::Podpishi;
use crate::changes::Changes;
use serde::Deserialize;
use serde_json::{json, Value};

impl Podpishi {
    /// The emails the service would have sent.
    pub fn outbox(&self) -> Result<Vec<Email>, PodpishiError> {
        model::outbox::all(self.store())
    }

    /// A document with its permissions and signatures, as stored.
    pub fn document_json(&self, num: u64) -> Result<Value, PodpishiError> {
        model::inspect::document(self.store(), num)?
            .ok_or_else(|| PodpishiError::document_unknown(num))
    }

    /// An account (balance, BINs, blocked), as stored.
    pub fn account_json(&self, login: &str) -> Result<Option<Value>, PodpishiError> {
        model::inspect::account(self.store(), login)
    }

    pub fn partner_transactions(&self) -> Result<Vec<Value>, PodpishiError> {
        model::inspect::partner_transactions(self.store())
    }

    /// Everything stored (accounts, documents, transactions, outbox) in key order.
    pub fn state_dump(&self) -> Result<Value, PodpishiError> {
        model::inspect::everything(self.store())
    }
}

/// What the counterparty does with a document in its cabinet.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Step {
    /// `sign` (the default) or `refuse`.
    #[serde(default)]
    pub action: Option<String>,
    /// The test signer (`podpishi.signers`) who signs.
    #[serde(default)]
    pub signer: Option<String>,
    /// The permission; default the receiver's.
    #[serde(default)]
    pub index: Option<u64>,
    /// Put the content inside the CMS.
    #[serde(default)]
    pub attached: bool,
    /// Why the counterparty refused (shown in the journal).
    #[serde(default)]
    pub reason: Option<String>,
}

impl Podpishi {
    /// The document's ZIP exactly as `getdoc` answers its owner: (file name, bytes), for the
    /// dashboard's download.
    pub fn document_zip(&self, num: u64) -> Result<(String, Vec<u8>), PodpishiError> {
        let doc = model::documents::get(self.store(), num)?
            .ok_or_else(|| PodpishiError::document_unknown(num))?;
        let account = model::accounts::get(self.store(), &doc.owner_login)?.ok_or_else(|| {
            PodpishiError::internal(
                "reading the owner's account",
                format!("document {num}'s owner {} has no account", doc.owner_login),
            )
        })?;
        let cmd = super::wire::Command::parse(&format!(
            "<data><oper>getdoc</oper><docnum>{num}</docnum></data>"
        ))?;
        let mut ctx = super::Ctx {
            world: self.world(),
            store: self.store(),
            now: self.now(),
            account: std::sync::Arc::new(account),
            diag: Vec::new(),
            warnings: Vec::new(),
            changes: &crate::changes::READS,
        };
        match super::endpoints::getdoc::handle(&mut ctx, &cmd)? {
            super::routes::Reply::Zip { name, bytes } => Ok((name, bytes)),
            super::routes::Reply::Xml(_) => Err(PodpishiError::internal(
                "making the ZIP",
                "getdoc answered XML",
            )),
        }
    }

    /// The test signers: name, whose (BIN, or IIN for an individual) and display name, for the
    /// dashboard's choice.
    pub fn signers(&self) -> Vec<Value> {
        self.world()
            .signers
            .iter()
            .map(|s| {
                let whose = if s.info.bin.is_empty() { &s.info.iin } else { &s.info.bin };
                json!({"name": s.name, "bin": whose, "fio": format!("{} {}", s.info.common_name, s.info.patronymic).trim(), "firm": s.info.organization})
            })
            .collect()
    }

    /// The counterparty's cabinet step on document `num`: sign as a test signer or refuse.
    /// The transitions applied are recorded into `changes`.
    pub fn counterparty(
        &self,
        num: u64,
        step: &Step,
        changes: &Changes,
    ) -> Result<Value, PodpishiError> {
        counterparty(self, num, step, changes)
    }
}

/// The counterparty's step through the model's one sign transition, or its refuse.
fn counterparty(
    pod: &Podpishi,
    num: u64,
    step: &Step,
    changes: &Changes,
) -> Result<Value, PodpishiError> {
    let action = step.action.as_deref().unwrap_or("sign");
    // One reading of the clock: the CMS's signingTime and signed_date agree.
    let now = pod.now();
    let doc = model::documents::get(pod.store(), num)?
        .ok_or_else(|| PodpishiError::document_unknown(num))?;
    match action {
        "sign" => {
            let signer_name = step.signer.as_deref().unwrap_or("");
            let der = sign_as(pod, &doc, signer_name, step.attached, now)?;
            let p = permissions::sign(
                pod.store(),
                pod.world(),
                now,
                &doc,
                step.index,
                &der,
                None,
                &format!("signature by {signer_name}"),
                changes,
            )?
            .permission;
            Ok(
                json!({"num": num, "i": p.i, "signed": 1, "signed_bin": p.signed_bin, "signed_fio": p.signed_fio, "signed_firm": p.signed_firm, "signed_policy": p.signed_policy, "signature_pem": p.cms}),
            )
        }
        "refuse" => {
            let changed = permissions::refuse(pod.store(), num, step.index, changes)?;
            Ok(json!({"num": num, "i": changed.i, "sign_deleted": 1}))
        }
        other => Err(PodpishiError::new(
            Kind::InvalidField,
            format!("action '{other}' is not sign or refuse"),
        )),
    }
}

/// A real CMS by test signer `signer_name` over the document's first file, made at the clock.
fn sign_as(
    pod: &Podpishi,
    doc: &super::state::Document,
    signer_name: &str,
    attached: bool,
    now: time::OffsetDateTime,
) -> Result<Vec<u8>, PodpishiError> {
    let world = pod.world();
    let signer = world.signer(signer_name).ok_or_else(|| {
        PodpishiError::new(
            Kind::InvalidField,
            format!(
                "signer '{signer_name}' is not a test signer; the signers are: {}",
                world
                    .signers
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    let content = model::documents::first_file(pod.store(), doc)?;
    crate::crypto::cms::sign(
        &signer.cert_der,
        signer
            .key()
            .map_err(|e| PodpishiError::internal("reading the signer key", e))?,
        &content,
        attached,
        now,
    )
    .map_err(|e| PodpishiError::internal("signing", e))
}
