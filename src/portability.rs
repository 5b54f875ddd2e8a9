//! Portability warnings: every acceptance that relies on behaviour the upstream service may
//! not share is a named kind, so a client that passes here can not silently depend on it.
//!
//! A handler that accepts such a request records a [`Warning`] of one of the kinds of
//! [`CATALOGUE`]; the pipeline puts it on the answer (`X-Signsim-Warning: <kind> <reason>`, one
//! header per warning) and in the journal entry, and [`Tally`] counts it for
//! `GET /__admin/warnings` and the summary printed at shutdown. Under [`Policy::Refuse`] the
//! same acceptance is a refusal in the API's own error shape naming the kind, so a CI job can
//! prove its client uses documented forms only — and [`Tally`] counts those refusals by kind
//! beside the warnings; [`Policy::Allow`] accepts silently.
//!
//! Rationale: where the upstream is known to be strict signsim is strict, and where it is
//! known to accept more (PHP's lenient base64 decoder, ASP.NET's case-insensitive routes and
//! property names) signsim accepts silently; a warning is for the cases in between, where
//! nobody outside the provider knows.

use crate::journal::{Meta, Warning};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// What to do with an acceptance that relies on behaviour production may not share.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Accept, and say so on the answer, in the journal and in the summary.
    #[default]
    Warn,
    /// Refuse in the API's own error shape, naming the kind.
    Refuse,
    /// Accept silently.
    Allow,
}

impl Policy {
    pub fn parse(text: &str) -> Result<Policy, String> {
        match text {
            "warn" => Ok(Policy::Warn),
            "refuse" => Ok(Policy::Refuse),
            "allow" => Ok(Policy::Allow),
            other => Err(format!(
                "'{other}' is not a portability policy: use warn, refuse or allow"
            )),
        }
    }
}

/// A warning of `kind` under `policy`: `Ok(Some)` to record, `Ok(None)` to stay silent, `Err`
/// with the refusal's text under `refuse` (each API wraps it in its own error shape).
pub fn judge(
    policy: Policy,
    kind: &'static str,
    reason: String,
) -> Result<Option<Warning>, String> {
    match policy {
        Policy::Allow => Ok(None),
        Policy::Warn => Ok(Some(Warning { kind, reason })),
        Policy::Refuse => Err(format!(
            "{REFUSED}{kind}): {reason}{REFUSED_END}{}",
            risk(kind)
        )),
    }
}

/// How a refusal under `refuse` starts: `not portable (<kind>): <reason>` (docs/portability.md
/// promises it to clients, and [`Tally::observe`] reads the kind back from it).
const REFUSED: &str = "not portable (";
/// What follows the reason in a refusal, before the kind's risk.
const REFUSED_END: &str = ". portability = \"refuse\" refuses what production may not accept; ";

/// The catalogue kind and the reason of a refusal's text that [`judge`] wrote.
fn refused_kind(message: &str) -> Option<(&'static str, &str)> {
    let rest = &message[message.find(REFUSED)? + REFUSED.len()..];
    let (kind, rest) = rest.split_once("): ")?;
    let kind = CATALOGUE.iter().find(|(k, ..)| *k == kind)?.0;
    let reason = rest.split(REFUSED_END).next().unwrap_or(rest);
    Some((kind, reason))
}

/// (kind, API — `pki`, `podpishi` or `both` —, the production risk) — docs/portability.md's
/// catalogue is checked against this list.
pub const CATALOGUE: &[(&str, &str, &str)] = &[
    ("signature-form", "pki", "Sign(csr) / Sign(certificate) verified only over an undocumented byte form (UTF-16LE of the text, or the decoded DER); the provider may verify the ASCII text only and answer 401 (the PKI document, line 508)"),
    ("bare-customercode", "pki", "a bare Customercode position (GetCAList, GetCAProfileInfo, GetCredit, IssuingReport, GetAllMobileCert) got CODE-LICENSE; the provider may look the whole string up and not find the customer (the PKI document, lines 225 and 253)"),
    ("date-format", "pki", "a date not written yyyy/mm/dd with two-digit month and day (1990-05-12, 1369/2/22); v1.8 of the document insists on the format and the provider may refuse or misread others (the PKI document, lines 347 and 801–802)"),
    ("profile-changed", "pki", "RegisterInfo for a Subject DN that already has a tracking code in this CA, under another profile: the document promises one tracking code per Subject DN, but not what happens to the profile (the PKI document, lines 403–405)"),
    ("foreign-identifier", "pki", "IsForeign applicant whose identifier is not an Iranian national code (digits or a passport-style number); the document does not say which identifiers the provider accepts for foreigners (the PKI document, line 343)"),
    ("token-type-case", "pki", "personData.TokenType in another case than the document's USERGENERATED / P12 (usergenerated, p12); the provider may compare the string exactly (the PKI document, line 352)"),
    ("rnd-repeated", "pki", "GetUserCertHistory rnd repeated by the same customer within pki.replay_window_seconds; the document asks for a random string and names no uniqueness rule, so the provider may refuse a repeat as a replay (the PKI document, line 758)"),
    ("certificate-pem-armor", "pki", "RecievedCertConfirmation certificate sent PEM-armoured (-----BEGIN CERTIFICATE-----); the document shows no form for it and the service hands certificates out as plain base64, which a .NET Convert.FromBase64String reads and '-----BEGIN' it does not (the PKI document, lines 522 and 659)"),
    ("field-missing", "both", "a request field the document's request body shows, not marked optional (اختیاری / необязательное), was left out; the provider may bind it as null or false and refuse or misread the request (the PKI document, lines 327–357 and each method's body; the Podpishi document, lines 131 and 513–518, and its field tables)"),
    ("oper-case", "podpishi", "<oper> in another case than the document's (GETSTATUS); a PHP switch on the string is case-sensitive (the Podpishi document, line 127)"),
    ("login-case", "podpishi", "login matched an account only case-insensitively; whether the provider compares logins case-insensitively is not documented (the Podpishi document, line 22)"),
    ("signature-pem-armor", "podpishi", "signature_pem sent PEM-armoured (-----BEGIN …); the document sends plain base64 of the CMS (the Podpishi document, line 45)"),
    ("time-date-only", "podpishi", "<time>, or time1/time2 of getlistdocs and getlistpartnertrn, given as YYYYMMDD; the document's format is YYYYMMDDhhmmss, and signsim's whole-day reading of a date is its own (the Podpishi document, lines 131 and 189–190)"),
    ("oper-spaces", "podpishi", "<oper> with whitespace around the name (<oper> getstatus </oper>); a PHP switch on the untrimmed string matches no command (the Podpishi document, line 127)"),
    ("refnum-repeated", "podpishi", "addpackage2client with a refnum already used for the same client and packet, answered as success without adding again; the document calls refnum unique and does not say what production answers to a repeat (the Podpishi document, line 388)"),
    ("userip-not-ip", "podpishi", "authuserbypartner with a <userip> that is not an IPv4/IPv6 address; production may refuse it or bind the session to it (the Podpishi document, line 516)"),
    ("receiver-is-owner", "podpishi", "an upload whose receiver_bin is its own owner_bin; the document has the receiver be the organisation that must sign, and does not say production takes the owner itself (the Podpishi document, line 34)"),
    ("bin-check-digit", "podpishi", "a BIN/IIN element (owner_bin, receiver_bin, bin2client, client_bin) that fails the Kazakh mod-11 check digit; the document asks for 12 digits only, and its own examples 169999070809 and 191919020202 fail the check, so whether production checks is unknown (the Podpishi document, line 34)"),
    ("mail-form", "podpishi", "receiver_mail without exactly one '@' or with spaces inside; the document asks only for the receiver's email of at most 30 characters, and production may refuse it or fail to notify (the Podpishi document, line 41)"),
];

/// The production risk of a kind.
pub fn risk(kind: &str) -> &'static str {
    CATALOGUE
        .iter()
        .find(|(k, ..)| *k == kind)
        .map(|(_, _, r)| *r)
        .unwrap_or("")
}

/// How often each kind was seen, and by which requests first and last: accepted with a
/// warning, or refused under `refuse`.
#[derive(Default)]
pub struct Tally {
    kinds: Mutex<BTreeMap<&'static str, Seen>>,
    /// Requests with at least one warning.
    requests: std::sync::atomic::AtomicU64,
    /// Refusals under `refuse`, per kind (a refused request names one kind).
    refused: Mutex<BTreeMap<&'static str, Seen>>,
}

/// Counts one more sighting of `kind` by `request`.
fn seen(kinds: &mut BTreeMap<&'static str, Seen>, kind: &'static str, request: u64, reason: &str) {
    let seen = kinds.entry(kind).or_insert(Seen {
        count: 0,
        first_request: request,
        last_request: request,
        last_reason: String::new(),
    });
    seen.count += 1;
    seen.last_request = request;
    reason.clone_into(&mut seen.last_reason);
}

#[derive(Clone, Debug, Serialize)]
pub struct Seen {
    pub count: u64,
    pub first_request: u64,
    pub last_request: u64,
    /// The reason given the last time.
    pub last_reason: String,
}

impl Tally {
    /// What one finished request adds: its warnings, or the kind it was refused for under
    /// `refuse` (an API's `NotPortable` refusal, whose text [`judge`] wrote).
    pub fn observe(&self, request: u64, meta: &Meta) {
        self.record(request, &meta.warnings);
        if meta
            .refusal
            .as_ref()
            .is_some_and(|r| r.kind == "NotPortable")
        {
            if let Some((kind, reason)) =
                meta.diagnostics.iter().rev().find_map(|d| refused_kind(d))
            {
                seen(&mut crate::sync::lock(&self.refused), kind, request, reason);
            }
        }
    }

    pub fn record(&self, request: u64, warnings: &[Warning]) {
        if warnings.is_empty() {
            return;
        }
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut kinds = crate::sync::lock(&self.kinds);
        for w in warnings {
            seen(&mut kinds, w.kind, request, &w.reason);
        }
    }

    pub fn snapshot(&self) -> BTreeMap<&'static str, Seen> {
        crate::sync::lock(&self.kinds).clone()
    }

    /// The refusals under `refuse`, per kind.
    pub fn refused(&self) -> BTreeMap<&'static str, Seen> {
        crate::sync::lock(&self.refused).clone()
    }

    /// Requests that carried at least one warning.
    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The shutdown summary, or `None` when nothing relied on uncertain behaviour.
    pub fn summary(&self) -> Option<String> {
        let kinds = self.snapshot();
        let refused = self.refused();
        match (kinds.is_empty(), refused.is_empty()) {
            (true, true) => None,
            (true, false) => Some(refused_summary(&refused)),
            (false, true) => Some(self.warned_summary(&kinds)),
            (false, false) => Some(format!(
                "{}\n{}",
                self.warned_summary(&kinds),
                refused_summary(&refused)
            )),
        }
    }

    fn warned_summary(&self, kinds: &BTreeMap<&'static str, Seen>) -> String {
        let requests = self.requests();
        let mut out =
            format!("signsim: {requests} request(s) relied on behaviour production may not share:");
        for (kind, s) in kinds {
            out.push_str(&format!(
                "\n  {kind}: {} (requests {}…{}): {}",
                s.count,
                s.first_request,
                s.last_request,
                risk(kind)
            ));
        }
        out.push_str(
            "\n  (run with --portability refuse to make these failures; see docs/portability.md)",
        );
        out
    }
}

/// The shutdown lines of the refusals under `refuse`.
fn refused_summary(refused: &BTreeMap<&'static str, Seen>) -> String {
    let total: u64 = refused.values().map(|s| s.count).sum();
    let mut out = format!(
        "signsim: {total} request(s) were refused as not portable (portability = \"refuse\"):"
    );
    for (kind, s) in refused {
        out.push_str(&format!(
            "\n  {kind}: {} (requests {}…{})",
            s.count, s.first_request, s.last_request
        ));
    }
    out.push_str("\n  (the documented forms: docs/portability.md)");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_unique_and_named_in_kebab_case() {
        let mut names: Vec<&str> = CATALOGUE.iter().map(|(k, ..)| *k).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), CATALOGUE.len());
        assert!(names
            .iter()
            .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '-')));
    }

    #[test]
    fn tally_counts_first_and_last() {
        let t = Tally::default();
        let w = |k| Warning {
            kind: k,
            reason: "r".into(),
        };
        t.record(3, &[w("date-format")]);
        t.record(9, &[w("date-format"), w("oper-case")]);
        let s = t.snapshot();
        assert_eq!(s["date-format"].count, 2);
        assert_eq!(s["date-format"].first_request, 3);
        assert_eq!(s["date-format"].last_request, 9);
        assert!(t.summary().unwrap().contains("2 request(s)"));
    }

    #[test]
    fn a_refusal_under_refuse_is_counted_by_the_kind_its_text_names() {
        let t = Tally::default();
        let refused = |id, kind| {
            let text = judge(Policy::Refuse, kind, format!("reason {id}")).unwrap_err();
            let mut meta = Meta::new("pki", "GetCAList");
            meta.diagnostics
                .push(format!("refused: NotPortable (108): {text}"));
            meta.refusal = Some(crate::journal::Refusal {
                kind: "NotPortable",
                code: 108,
            });
            t.observe(id, &meta);
        };
        refused(4, "bare-customercode");
        refused(7, "bare-customercode");
        refused(8, "oper-case");
        // Another refusal, or a diagnostic that only quotes the words, counts nothing.
        let mut other = Meta::new("pki", "GetCAList");
        other
            .diagnostics
            .push("refused: WrongState (402): not portable (oper-case): x".into());
        other.refusal = Some(crate::journal::Refusal {
            kind: "WrongState",
            code: 402,
        });
        t.observe(9, &other);
        let r = t.refused();
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(r["bare-customercode"].count, 2);
        assert_eq!(r["bare-customercode"].first_request, 4);
        assert_eq!(r["bare-customercode"].last_request, 7);
        assert_eq!(r["bare-customercode"].last_reason, "reason 7");
        assert_eq!(r["oper-case"].count, 1);
        assert!(t.snapshot().is_empty(), "a refusal is not a warning");
        let summary = t.summary().unwrap();
        assert!(
            summary.contains("3 request(s) were refused as not portable"),
            "{summary}"
        );
        assert!(!summary.contains("relied on behaviour"), "{summary}");
    }
}
