//! Transaction signatures (docs/signatures.md): `Base64(RSA-SHA1-PKCS#1v1.5(customer key, bytes))`.
//!
//! Each signed field has a documented byte form. Where the document says "Unicode" the form is
//! UTF-16LE and nothing else is accepted. Where it does not (`Sign(csr)`, `Sign(certificate)`)
//! the form is ambiguous: the ASCII bytes of the field as sent is the documented reading; a
//! `lenient` scenario also accepts UTF-16LE of the field and the base64-decoded DER.
//!
//! Whatever the outcome, the check says what it did. Success returns a diagnostic line naming
//! the form that matched and the key. A refusal tries every plausible mistake — the wrong text
//! encoding, SHA-256 instead of SHA-1, another customer's key — and names the one that would
//! have verified, or lists everything tried and the fingerprint of the key on file, so an
//! integrator can fix the client from the message alone.

use super::error::{Kind, PkiError};
use super::world::Customer;
use crate::crypto::rsa::Hash;
use crate::crypto::{b64_decode, utf16le};
use crate::scenario::model::SignaturePolicy;

/// How the document says the signed text becomes bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Documented {
    /// "Unicode(...)": UTF-16LE, the only accepted form.
    Unicode,
    /// `Sign(field)`: the field as sent (ASCII); lenient also accepts other readings.
    AsSent,
}

/// Which field carries a method's transaction signature and what it covers: a property of
/// the method's line in the route table.
#[derive(Debug)]
pub struct Rule {
    /// The wire name of the signature field (`signature`, `sign`).
    pub field: &'static str,
    /// The document's formula, e.g. `Unicode(customercode + "-" + NationalCode)`.
    pub formula: &'static str,
    pub documented: Documented,
}

/// What a signature covers.
pub struct Signed<'a> {
    /// The wire name of the signature field (`signature`, `sign`).
    pub field: &'a str,
    /// The document's formula, e.g. `Unicode(customercode + "-" + NationalCode)`.
    pub formula: &'a str,
    pub text: &'a str,
    pub documented: Documented,
}

impl<'a> Signed<'a> {
    pub fn by(rule: &'a Rule, text: &'a str) -> Signed<'a> {
        Signed {
            field: rule.field,
            formula: rule.formula,
            text,
            documented: rule.documented,
        }
    }
}

struct Form {
    name: &'static str,
    bytes: Vec<u8>,
    accepted: bool,
}

/// The documented form's name and bytes: what a correct client signs.
fn documented_form<'t>(s: &Signed<'t>) -> (&'static str, std::borrow::Cow<'t, [u8]>) {
    match s.documented {
        Documented::Unicode => ("UTF-16LE (the documented form)", utf16le(s.text).into()),
        Documented::AsSent => (
            "the ASCII text of the field as sent (the documented form)",
            s.text.as_bytes().into(),
        ),
    }
}

/// Every form tried, the documented one first (the rest explain a failure or, when the
/// policy accepts them, verify with a warning).
fn forms(s: &Signed<'_>, policy: SignaturePolicy) -> Vec<Form> {
    let text = s.text;
    match s.documented {
        Documented::Unicode => {
            let mut bom = vec![0xFF, 0xFE];
            bom.extend(utf16le(text));
            let (name, bytes) = documented_form(s);
            vec![
                Form {
                    name,
                    bytes: bytes.into_owned(),
                    accepted: true,
                },
                Form {
                    name: "UTF-8",
                    bytes: text.as_bytes().to_vec(),
                    accepted: false,
                },
                Form {
                    name: "UTF-16BE",
                    bytes: text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect(),
                    accepted: false,
                },
                Form {
                    name: "UTF-16LE with a byte-order mark",
                    bytes: bom,
                    accepted: false,
                },
            ]
        }
        Documented::AsSent => {
            let lenient = policy == SignaturePolicy::Lenient;
            let (name, bytes) = documented_form(s);
            let mut v = vec![
                Form {
                    name,
                    bytes: bytes.into_owned(),
                    accepted: true,
                },
                Form {
                    name: "UTF-16LE of the field",
                    bytes: utf16le(text),
                    accepted: lenient,
                },
            ];
            if let Ok(der) = crate::crypto::der_from_b64_or_pem(text) {
                v.push(Form {
                    name: "the base64-decoded DER bytes of the field",
                    bytes: der,
                    accepted: lenient,
                });
            }
            v
        }
    }
}

/// Shows a signed text in a message: whole when short, head…tail when long (written straight
/// into the message: a verified signature's diagnostic line is built on every signed call).
pub fn show(text: &str) -> Shown<'_> {
    Shown(text)
}

/// A signed text as [`show`] writes it.
pub struct Shown<'a>(&'a str);

/// Characters of a signed text [`Shown`] quotes whole; a longer one is shown as head…tail.
const SHOWN_WHOLE: usize = 72;

impl Shown<'_> {
    /// Appends the text as [`show`] writes it: quoted as it is when short (the common signed
    /// text, without the formatter), else head…tail.
    pub fn push_to(&self, out: &mut String) {
        if self.0.len() <= SHOWN_WHOLE {
            out.push('\'');
            out.push_str(self.0);
            out.push('\'');
        } else {
            use std::fmt::Write;
            let _ = write!(out, "{self}");
        }
    }
}

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.0;
        // At most this many bytes is at most as many characters: counted only when longer.
        let n = if text.len() <= SHOWN_WHOLE {
            0
        } else {
            text.chars().count()
        };
        if n <= SHOWN_WHOLE {
            write!(f, "'{text}'")
        } else {
            let at = |i: usize| text.char_indices().nth(i).map_or(text.len(), |(b, _)| b);
            let (head, tail) = (&text[..at(32)], &text[at(n - 16)..]);
            write!(f, "'{head}…{tail}' ({n} characters)")
        }
    }
}

/// A signature that verified.
pub struct Verified {
    /// The diagnostic line: the form that matched and the key.
    pub line: String,
    /// The form, when it is not the documented one (a portability warning).
    pub undocumented: Option<&'static str>,
}

/// Verifies `sig_b64` by `customer` over `s`.
pub fn verify(
    policy: SignaturePolicy,
    customer: &Customer,
    all: &[Customer],
    sig_b64: &str,
    s: &Signed<'_>,
) -> Result<Verified, PkiError> {
    let key = &customer.key;
    if sig_b64.trim().is_empty() {
        return Err(PkiError::new(
            Kind::SignatureMalformed,
            format!("{} is missing: it must be Base64(RSA-SHA1({})) made with customer {}'s private key", s.field, s.formula, customer.code),
        ));
    }
    let sig = b64_decode(sig_b64).map_err(|e| {
        PkiError::new(
            Kind::SignatureMalformed,
            format!("{} is not valid base64: {e}", s.field),
        )
    })?;
    // Built on every signed call: appended, not formatted.
    let verified = |name: &'static str, undocumented: bool| {
        let mut line = String::with_capacity(200 + s.text.len());
        for part in [s.field, ": RSA-SHA1 verified over ", name, " of "] {
            line.push_str(part);
        }
        show(s.text).push_to(&mut line);
        for part in [
            " with customer ",
            &customer.code,
            "'s key (SPKI SHA-256 ",
            key.fingerprint(),
            ")",
        ] {
            line.push_str(part);
        }
        Verified {
            line,
            undocumented: undocumented.then_some(name),
        }
    };
    // The common case first, without building the other forms.
    let (name, bytes) = documented_form(s);
    if key.verifies(Hash::Sha1, &bytes, &sig) {
        return Ok(verified(name, false));
    }
    let forms = forms(s, policy);
    // The first form of each list is the documented one, tried above.
    for f in forms.iter().skip(1).filter(|f| f.accepted) {
        if key.verifies(Hash::Sha1, &f.bytes, &sig) {
            return Ok(verified(f.name, true));
        }
    }
    Err(refusal(customer, all, &sig, s, &forms))
}

/// Why a signature that verified over no accepted form is refused, as precisely as can be
/// told: the wrong length, a plausible mistake (another encoding, SHA-256), another
/// customer's key — or the forms tried.
fn refusal(
    customer: &Customer,
    all: &[Customer],
    sig: &[u8],
    s: &Signed<'_>,
    forms: &[Form],
) -> PkiError {
    let key = &customer.key;
    let expected_len = key.bits().div_ceil(8);
    let key_note = format!(
        "the key on file for customer {} is RSA-{} with SPKI SHA-256 {}",
        customer.code,
        key.bits(),
        key.fingerprint()
    );
    if sig.len() != expected_len {
        return PkiError::new(
            Kind::SignatureInvalid,
            format!(
                "{} decodes to {} bytes, but a signature by customer {}'s {}-bit key is {expected_len} bytes: it is truncated or made with another key; {key_note}",
                s.field,
                sig.len(),
                customer.code,
                key.bits()
            ),
        );
    }
    if let Some(e) = mistake(key, sig, s, forms) {
        return e;
    }
    for other in all.iter().filter(|o| o.code != customer.code) {
        if forms
            .iter()
            .any(|f| other.key.verifies(Hash::Sha1, &f.bytes, sig))
        {
            return PkiError::new(
                Kind::SignatureInvalid,
                format!(
                    "{} was made with customer {}'s key, but the request is for customer {}; {key_note}",
                    s.field, other.code, customer.code
                ),
            );
        }
    }
    let tried: Vec<&str> = forms.iter().map(|f| f.name).collect();
    PkiError::new(
        Kind::SignatureInvalid,
        format!(
            "{} does not verify over {} ({}): tried RSA-SHA1 and RSA-SHA256 over {}; {key_note} — sign exactly this text with the matching private key",
            s.field,
            show(s.text),
            s.formula,
            tried.join(", ")
        ),
    )
}

/// A plausible mistake the signature verifies with: a form the policy does not accept, or
/// RSA-SHA256 instead of RSA-SHA1.
fn mistake(
    key: &crate::crypto::rsa::PublicKey,
    sig: &[u8],
    s: &Signed<'_>,
    forms: &[Form],
) -> Option<PkiError> {
    // Explain: which plausible mistake would have verified?
    for f in forms {
        if !f.accepted && key.verifies(Hash::Sha1, &f.bytes, sig) {
            let why = match s.documented {
                Documented::Unicode => "the service signs UTF-16LE (.NET Encoding.Unicode, no byte-order mark) of that text: sign Encoding.Unicode.GetBytes(text), or `iconv -t UTF-16LE`",
                Documented::AsSent => "the scenario's signature policy is strict, which accepts only the ASCII text of the field exactly as sent",
            };
            return Some(PkiError::new(
                Kind::SignatureInvalid,
                format!(
                    "{} verifies over {} of {} ({}), but {why}",
                    s.field,
                    f.name,
                    show(s.text),
                    s.formula
                ),
            ));
        }
        if key.verifies(Hash::Sha256, &f.bytes, sig) {
            return Some(PkiError::new(
                Kind::SignatureInvalid,
                format!(
                    "{} is RSA-SHA256 over {} of {}; the service verifies RSA-SHA1 (PKCS#1 v1.5): sign with SHA-1",
                    s.field,
                    f.name,
                    show(s.text)
                ),
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::show;

    #[test]
    fn signed_texts_show_whole_when_short_and_cut_when_long() {
        assert_eq!(show("").to_string(), "''");
        let code = "10320874334-1234-0012345679";
        assert_eq!(show(code).to_string(), format!("'{code}'"));
        let persian = "ک".repeat(72);
        assert_eq!(show(&persian).to_string(), format!("'{persian}'"));
        let long: String = ('a'..='z').cycle().take(73).collect();
        assert_eq!(
            show(&long).to_string(),
            format!("'{}…{}' (73 characters)", &long[..32], &long[57..])
        );
        let mixed = format!("{}{}", "ک".repeat(40), "x".repeat(40));
        assert_eq!(
            show(&mixed).to_string(),
            format!("'{}…{}' (80 characters)", "ک".repeat(32), "x".repeat(16))
        );
    }
}
