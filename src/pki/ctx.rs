//! What a handler may use for one request ([`Ctx`]), and the steps many handlers share: the
//! signed customer of a POST body, a CA the customer may use, a tracking code it owns.

use super::error::{Kind, PkiError};
use super::model::{Hot, Model};
use super::signature::{self, Rule, Signed};
use super::wire::{self, Fields};
use super::world::{Ca, Customer, World};
use super::{keypool, state};
use crate::changes::Changes;
use crate::journal::Warning;
use crate::store::Store;
use std::collections::HashMap;
use std::sync::Mutex;
use time::OffsetDateTime;

/// Everything a handler may use for one request.
pub struct Ctx<'a> {
    pub world: &'a World,
    pub store: &'a Store,
    pub now: OffsetDateTime,
    pub base_url: &'a str,
    pub keys: &'a keypool::KeyPool,
    /// Decoded records reused while their stored bytes are unchanged.
    pub hot: &'a Hot,
    pub replays: &'a Mutex<HashMap<(String, String), OffsetDateTime>>,
    /// How the request was judged, for the journal and the log.
    pub diag: Vec<String>,
    /// The tracking code the request touched, when the request itself does not name it.
    pub record: Option<String>,
    /// What the route's transaction signature covers (the route table says).
    pub signing: Option<&'static Rule>,
    /// Acceptances that rely on behaviour production may not share.
    pub warnings: Vec<Warning>,
    /// The transitions the request applied (the model records them).
    pub changes: &'a Changes,
    /// The customer the request named, once found: its tenant in the coverage report.
    pub tenant: std::cell::Cell<Option<&'a str>>,
}

impl<'a> Ctx<'a> {
    /// An acceptance of `kind` (docs/portability.md): recorded under `warn`, a
    /// `NotPortable` refusal under `refuse`, silent under `allow`.
    pub fn portable(&mut self, kind: &'static str, reason: String) -> Result<(), PkiError> {
        match crate::portability::judge(self.world.policy.portability, kind, reason) {
            Ok(w) => {
                self.warnings.extend(w);
                Ok(())
            }
            Err(m) => Err(PkiError::new(Kind::NotPortable, m)),
        }
    }

    /// Notes `c` as the request's tenant.
    fn known(&self, c: &'a Customer) -> &'a Customer {
        self.tenant.set(Some(&c.code));
        c
    }

    /// The customer of a POST body (`customercode` = `Code-License`), license checked.
    pub fn customer_post(&self, f: &Fields) -> Result<&'a Customer, PkiError> {
        let (code, license) = wire::split_customercode(f, "customercode")?;
        let c = self.known(self.world.customer(&code)?);
        if c.spec.license != license {
            return Err(PkiError::new(
                Kind::LicenseMismatch,
                format!("customercode '{code}-{license}': license number '{license}' is not customer {code}'s"),
            ));
        }
        Ok(c)
    }

    /// A date the document writes `yyyy/mm/dd`: any other form that still parses (`1990-05-12`,
    /// `1369/2/22`) is accepted with a `date-format` warning.
    pub fn date_form(&mut self, field: &str, text: &str) -> Result<(), PkiError> {
        let text = text.trim();
        if text.is_empty()
            || crate::ids::is_documented_date(text)
            || crate::ids::parse_either_calendar(text).is_err()
        {
            return Ok(());
        }
        self.portable(
            "date-format",
            format!("{field} is '{text}'; the document writes dates yyyy/mm/dd with a two-digit month and day"),
        )
    }

    /// The customer of a POST body whose transaction signature, over `text` as the route's
    /// rule says, verifies with that customer's key: the opening of every signed method.
    pub fn signed_customer(&mut self, f: &Fields, text: &str) -> Result<&'a Customer, PkiError> {
        let customer = self.customer_post(f)?;
        let rule = self.signing.ok_or_else(|| {
            PkiError::internal("verifying a signature", "the route names no signed field")
        })?;
        let sig = f.str_or_empty(rule.field)?;
        self.verify(customer, &sig, Signed::by(rule, text))?;
        Ok(customer)
    }

    /// The customer named by a bare code (query strings, reports): `sent` is the field `name`
    /// as parsed (present, trimmed). `CODE-LICENSE` in such a position is accepted with the
    /// license checked, and a `bare-customercode` warning: the document puts the bare code there.
    pub fn customer_bare(&mut self, name: &str, sent: &str) -> Result<&'a Customer, PkiError> {
        let Some((code, license)) = sent.split_once('-') else {
            return Ok(self.known(self.world.customer(sent.trim())?));
        };
        let c = self.known(self.world.customer(code.trim())?);
        if c.spec.license != license.trim() {
            return Err(PkiError::new(
                Kind::LicenseMismatch,
                format!("{name} '{sent}': license number '{license}' is not customer {code}'s (this position takes the bare customer code)"),
            ));
        }
        self.portable(
            "bare-customercode",
            format!("{name} is '{sent}'; the document sends the bare customer code '{code}' here"),
        )?;
        Ok(c)
    }

    /// A CA the customer may use.
    pub fn ca_for(&self, customer: &Customer, name: &str) -> Result<&'a Ca, PkiError> {
        let ca = self.world.ca(name)?;
        if !customer.spec.cas.iter().any(|c| c == name) {
            return Err(PkiError::new(
                Kind::CaNotAllowed,
                format!(
                    "customer {} may not use CA '{name}'; its CAs are: {}",
                    customer.code,
                    customer.spec.cas.join(", ")
                ),
            ));
        }
        Ok(ca)
    }

    pub fn verify(
        &mut self,
        customer: &Customer,
        sig: &str,
        signed: signature::Signed<'_>,
    ) -> Result<(), PkiError> {
        let v = signature::verify(
            self.world.policy.signature,
            customer,
            &self.world.customers,
            sig,
            &signed,
        )?;
        self.diag.push(v.line);
        if let Some(form) = v.undocumented {
            self.portable(
                "signature-form",
                format!(
                    "{} verified over {form}, not over the ASCII text of the field as sent ({})",
                    signed.field, signed.formula
                ),
            )?;
        }
        Ok(())
    }

    /// The model (the lifecycle tables) over this request's store and world.
    pub fn model(&self) -> Model<'a> {
        Model {
            store: self.store,
            world: self.world,
            hot: self.hot,
            changes: self.changes,
        }
    }

    /// A tracking record that belongs to `customer`.
    pub fn tracking(&self, code: &str, customer: &str) -> Result<state::TrackingRecord, PkiError> {
        let rec = self.model().tracking_known(code)?;
        if rec.customer != customer {
            return Err(PkiError::new(
                Kind::NotOwner,
                format!("tracking code {code} was registered by another customer; customer {customer} can not use it"),
            ));
        }
        Ok(rec)
    }

    /// Records a report nonce. One seen from the same customer within the window is accepted
    /// with an `rnd-repeated` warning: the document asks for "a random string" (the PKI
    /// document, line 758) and names no uniqueness rule, so whether the provider refuses a
    /// repeat is unknown.
    pub fn remember_rnd(&mut self, customer: &str, rnd: &str) -> Result<(), PkiError> {
        let window = time::Duration::seconds(self.world.replay_window_seconds as i64);
        let now = self.now;
        let earlier = {
            let mut seen = crate::sync::lock(self.replays);
            let earlier = seen
                .get(&(customer.to_string(), rnd.to_string()))
                .copied()
                .filter(|at| now - *at < window);
            if seen.len() > 100_000 {
                seen.retain(|_, at| now - *at < window);
            }
            // The first use is kept: a repeat within the window stays a repeat.
            if earlier.is_none() {
                seen.insert((customer.to_string(), rnd.to_string()), now);
            }
            earlier
        };
        let Some(at) = earlier else {
            return Ok(());
        };
        self.portable(
            "rnd-repeated",
            format!(
                "rnd '{rnd}' was already sent by customer {customer} at {} (within pki.replay_window_seconds = {}); the document asks for a random string (the PKI document, line 758): send a new one with every call",
                crate::clock::wire_time(at),
                window.whole_seconds()
            ),
        )
    }

    /// Documented request fields the request left out (absent or `null`) although the
    /// document's request body has them and does not mark them optional (`اختیاری`): one
    /// `field-missing` warning naming them all, and where the document shows them (`rests_on`,
    /// "the PKI document, line N").
    pub fn documented_fields(
        &mut self,
        fields: &[wire::Field<'_>],
        rests_on: &str,
    ) -> Result<(), PkiError> {
        let missing: Vec<String> = fields
            .iter()
            .filter(|f| !f.is_sent())
            .map(wire::Field::path)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let (names, verb, it) = match missing.as_slice() {
            [one] => (one.clone(), "is", "it"),
            _ => (missing.join(", "), "are", "them"),
        };
        self.portable(
            "field-missing",
            format!(
                "{names} {verb} not sent; expected as the document's request body shows {it}, which does not mark {it} optional ({rests_on}): send {it} (an empty value rather than none)"
            ),
        )
    }

    /// A tracking record of `customer` that must also belong to `national_code`.
    pub fn tracking_of(
        &self,
        code: &str,
        customer: &str,
        national_code: &str,
    ) -> Result<state::TrackingRecord, PkiError> {
        let rec = self.tracking(code.trim(), customer)?;
        if rec.person.national_code != national_code.trim() {
            return Err(PkiError::new(
                Kind::TrackingCodeMismatch,
                format!(
                    "tracking code {} was registered for another national code than '{}'",
                    rec.code,
                    national_code.trim()
                ),
            ));
        }
        Ok(rec)
    }

    pub fn crl_url(&self, ca: &str) -> String {
        format!("{}/crl/{}.crl", self.base_url, ca)
    }
}
