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

    /// `time1`/`time2` of a period (the Podpishi document, lines 189–190 and 417–418:
    /// `YYYYMMDDhhmmss`). A date only (`YYYYMMDD`) is read as the whole day — its start for
    /// `time1`, its last second for `time2` (`end_of_day`), an emulator-defined meaning — and
    /// warned as `time-date-only`.
    pub fn period_time(
        &mut self,
        field: &str,
        text: &str,
        end_of_day: bool,
    ) -> Result<OffsetDateTime, PodpishiError> {
        let at = wire::parse_time(field, text, self.world.zone, end_of_day)?;
        if text.len() == 8 {
            let (example, line, meaning) = if end_of_day {
                ("20170830235959", 190, "its last second, 235959")
            } else {
                ("20170825162514", 189, "its start, 000000")
            };
            self.portable(
                "time-date-only",
                format!("<{field}> is '{text}'; expected YYYYMMDDhhmmss, e.g. {example} (the Podpishi document, line {line}); signsim reads the date as {meaning}, which the document does not say"),
            )?;
        }
        Ok(at)
    }

    pub fn time(&self, at: OffsetDateTime) -> String {
        wire::format_time(at, self.world.zone)
    }
}

/// The check digit of a 12-digit BIN/IIN element (`owner_bin`, `receiver_bin`, `bin2client`,
/// `client_bin`): the Podpishi document states no check-digit rule (its own examples
/// 169999070809 and 191919020202, lines 94–95, fail it), so a wrong one is the warning
/// `bin-check-digit` (refused under `portability = "refuse"`). `podpishi.check_digits = false`
/// skips the check, warning nothing.
pub fn bin_check_digit(
    world: &World,
    warnings: &mut Vec<crate::journal::Warning>,
    field: &str,
    bin: &str,
) -> Result<(), PodpishiError> {
    if !world.spec.check_digits {
        return Ok(());
    }
    match crate::ids::iin_bin_problem(bin) {
        Some(p) => portable(
            world,
            warnings,
            "bin-check-digit",
            format!("<{field}> {p} (the Kazakh IIN/BIN mod-11 rule); the Podpishi document, line 34, asks for 12 digits only and states no check-digit rule, so production may accept it or refuse it"),
        ),
        None => Ok(()),
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
