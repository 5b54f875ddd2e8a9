//! What a command handler may use for one request ([`Ctx`]): the world, the store, the
//! authenticated account and the clock, with the checks many commands share.

use super::error::{Kind, PodpishiError};
use super::state::{self, Account};
use super::wire::{self, Element};
use super::world::World;
use std::sync::Arc;
use time::OffsetDateTime;

/// Everything a command handler may use for one request.
pub struct Ctx<'a> {
    pub world: &'a World,
    pub store: &'a crate::store::Store,
    pub now: OffsetDateTime,
    pub account: Arc<Account>,
    /// How the request was judged, for the log.
    pub diag: Vec<String>,
    /// Acceptances that rely on behaviour production may not share.
    pub warnings: Vec<crate::journal::Warning>,
    /// The transitions the command applied (the model records them).
    pub changes: &'a crate::changes::Changes,
}

impl Ctx<'_> {
    /// An acceptance of `kind` (docs/portability.md): recorded under `warn`, a
    /// `NotPortable` refusal under `refuse`, silent under `allow`.
    pub fn portable(&mut self, kind: &'static str, reason: String) -> Result<(), PodpishiError> {
        portable(self.world, &mut self.warnings, kind, reason)
    }

    /// A document this account owns or receives.
    pub fn document(&self, num: u64, field: &str) -> Result<state::Document, PodpishiError> {
        let doc = super::model::documents::get(self.store, num)?.ok_or_else(|| {
            PodpishiError::new(
                Kind::DocumentUnknown,
                format!("<{field}> {num}: there is no document {num}"),
            )
        })?;
        if !doc.visible_to(&self.account) {
            return Err(PodpishiError::new(
                Kind::NotYourDocument,
                format!(
                    "<{field}> {num}: document {num} is between BINs {} and {}; account {} (BINs {}) is neither",
                    doc.owner_bin,
                    doc.receiver_bin,
                    self.account.login,
                    self.account.bins.join(", ")
                ),
            ));
        }
        Ok(doc)
    }

    /// The command's `owner_bin` element if given (it must be one of the account's templates),
    /// else the account's first template.
    pub fn owner_bin(&self, owner_bin: Element) -> Result<String, PodpishiError> {
        match owner_bin.optional()? {
            Some(b) => {
                if self.account.bins.iter().any(|x| x == b) {
                    Ok(b.to_string())
                } else {
                    Err(PodpishiError::new(
                        Kind::InvalidField,
                        format!(
                            "<owner_bin> {b} is not a template of account {}; its BINs are: {}",
                            self.account.login,
                            self.account.bins.join(", ")
                        ),
                    ))
                }
            }
            None => self.account.bins.first().cloned().ok_or_else(|| {
                PodpishiError::new(
                    Kind::MissingField,
                    format!(
                        "account {} has no BIN template; send <owner_bin>",
                        self.account.login
                    ),
                )
            }),
        }
    }

    /// Refuses a partner command from a non-partner.
    pub fn require_partner(&self, oper: &str) -> Result<(), PodpishiError> {
        if self.account.partner {
            Ok(())
        } else {
            Err(PodpishiError::new(
                Kind::NotPartner,
                format!(
                    "{oper} is a partner command; account {} is not a partner",
                    self.account.login
                ),
            ))
        }
    }

    pub fn time(&self, at: OffsetDateTime) -> String {
        wire::format_time(at, self.world.zone)
    }
}

/// [`Ctx::portable`] for the steps before a command has a context (binding, authentication).
pub fn portable(
    world: &World,
    warnings: &mut Vec<crate::journal::Warning>,
    kind: &'static str,
    reason: String,
) -> Result<(), PodpishiError> {
    match crate::portability::judge(world.portability, kind, reason) {
        Ok(w) => {
            warnings.extend(w);
            Ok(())
        }
        Err(m) => Err(PodpishiError::new(Kind::NotPortable, m)),
    }
}
