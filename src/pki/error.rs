//! The PKI API's one error type and its one mapping to the wire.
//!
//! Handlers return `Result<_, PkiError>`; [`PkiError::into_body`] alone decides the HTTP status
//! and the JSON the upstream would send. The upstream answers in four envelopes, so the route
//! says which one its method uses ([`Shape`]): `IsSuccess` (most methods), the
//! `ResultCode`/`Description`/`Message` triple exactly as documented (GetTrackingCodeInfo,
//! IsApproved: no other member, refusals included), the same triple with `ErrorCode` and
//! `ErrorMessage` (RequestApprove, the PKI document, lines 626–631) and `IsAvailable`.
//!
//! The HTTP status: the PKI document lists `401 Unauthorized` only for GetCAList,
//! GetCAProfileInfo and IsAvailable (lines 230, 259, 291); every other method lists only
//! `Status Code 200` (e.g. lines 363, 446, 516, 556), so there a refusal whose kind is 401 in
//! the catalogue answers 200 with the method's failure envelope. The refusal's code and message
//! always travel in the `X-Signsim-Diagnostic` header and the journal as well.
//!
//! The catalogue ([`Kind`]) is emulator-defined (docs/errors.md): stable numeric codes grouped by
//! cause, listed in docs/errors.md. A scenario may override code and message per kind
//! (`[pki.errors.<Kind>]`) to mirror what a team saw in production.

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Defines [`Kind`] and its catalogue from one list, so a kind, its name, its code and its
/// HTTP status can never disagree.
macro_rules! catalogue {
    ($($kind:ident = $code:literal, $status:literal, $meaning:literal;)*) => {
        /// The error catalogue.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Kind {
            $($kind),*
        }

        /// (kind, name, code, HTTP status, meaning) — docs/errors.md's table is checked against it.
        /// A 401 is answered only by the methods whose document lists it ([`PkiError::into_body`]).
        pub const CATALOGUE: &[(Kind, &str, i64, u16, &str)] = &[
            $((Kind::$kind, stringify!($kind), $code, $status, $meaning)),*
        ];

        /// Kind names, for validating scenario overrides.
        pub const KINDS: &[&str] = &[$(stringify!($kind)),*];

        impl Kind {
            pub fn name(self) -> &'static str {
                match self {
                    $(Kind::$kind => stringify!($kind)),*
                }
            }
            pub fn code(self) -> i64 {
                match self {
                    $(Kind::$kind => $code),*
                }
            }
            /// Whether some code path can still answer with this kind: false for a retired
            /// kind, kept only so that a scenario's override of it still loads; the coverage
            /// universe leaves it out.
            pub fn raised(self) -> bool {
                !matches!(self, Kind::ReplayedRequest)
            }
            pub fn status(self) -> u16 {
                match self {
                    $(Kind::$kind => $status),*
                }
            }
        }
    };
}

#[rustfmt::skip]
catalogue! {
    // 1xx request shape
    MalformedBody = 101, 400, "the body is not a JSON object";
    MissingField = 102, 200, "a required field is missing or empty";
    InvalidField = 103, 200, "a field has the wrong type or an impossible value";
    BodyTooLarge = 104, 413, "the body is over policy.pki_max_body_bytes";
    UnknownMethod = 105, 404, "no such method under /api/";
    MethodNotAllowed = 106, 405, "GET method called with POST or the reverse";
    UnsupportedMediaType = 107, 415, "a POST body that is not application/json";
    NotPortable = 108, 200, "under portability = \"refuse\": the request relies on behaviour production may not share (the message names the warning kind)";
    // 2xx authentication, signatures, authorisation
    UnknownCustomer = 201, 401, "customer code not in the scenario";
    LicenseMismatch = 202, 401, "customercode's license part is not the customer's";
    SignatureInvalid = 203, 401, "the transaction signature does not verify";
    SignatureMalformed = 204, 401, "the signature is missing or not base64";
    ReportKeyInvalid = 205, 401, "reportkey is not the customer's";
    CaNotAllowed = 206, 200, "the customer may not use this CA";
    UnknownCa = 207, 200, "no CA of that caName";
    UnknownProfile = 208, 200, "no profile of that name in the CA";
    NotOwner = 209, 200, "the tracking code or certificate belongs to another customer";
    // 3xx identity checks
    NationalCodeInvalid = 301, 200, "national code / legal ID fails its check digit";
    RegistryNotFound = 302, 200, "the civil registry has no such person";
    RegistryMismatch = 303, 200, "a personData field differs from the civil registry";
    ShahkarMismatch = 304, 200, "Shahkar: the mobile does not belong to the national code";
    PostalCodeInvalid = 305, 200, "the postal code is malformed or unknown";
    RequiredInGovernmentCa = 306, 200, "postal code, city or province missing in the government public CA";
    TokenTypeInvalid = 307, 200, "TokenType is not USERGENERATED/P12 or not offered by the profile";
    PasswordRequired = 308, 200, "a P12 token needs a password";
    ApproverSignInvalid = 309, 200, "approverSign is missing, present when it must be empty, attached, or does not verify";
    ApproverUnknown = 310, 200, "approverSign is not by an approver of the scenario, or not by the one named in approver";
    FaceAuthInvalid = 311, 200, "orderId was not issued by the provider's face authentication, is for another person or tracking code, failed, or was used already";
    ReplayedRequest = 210, 401, "retired, never raised: a repeated GetUserCertHistory rnd warns rnd-repeated; kept so that [pki.errors.ReplayedRequest] still loads";
    // 4xx state machine and certificates
    TrackingCodeUnknown = 401, 200, "no such tracking code";
    WrongState = 402, 200, "the tracking code is not in a state that allows this call";
    TrackingCodeMismatch = 403, 200, "the request's caName, profileName or national code differ from the registration";
    CsrInvalid = 404, 200, "the CSR does not parse (or is a PEM of another kind), is not RSA, has a public exponent below 65537, or its self-signature fails";
    CsrKeyTooSmall = 405, 200, "the CSR's RSA key is below policy.min_csr_key_bits";
    CertificateInvalid = 406, 200, "the certificate field does not parse";
    CertificateUnknown = 407, 200, "the certificate was not issued here, not for this tracking code, or differs from the one issued";
    AlreadyRevoked = 408, 200, "the certificate is already revoked";
    RevokeReasonInvalid = 409, 200, "revokeCertReason is not an RFC 5280 CRLReason";
    // 5xx billing
    InsufficientCredit = 501, 200, "the customer's credit is below the price";
    // 6xx CA availability
    CaUnavailable = 601, 200, "the CA is switched off (IsAvailable false), or its own certificate is not valid at the clock's time";
    // 9xx the emulator itself
    InjectedFault = 990, 200, "a fault rule answered with an error (the rule's code replaces 990)";
    Internal = 901, 500, "signsim itself failed (a bug: please report)";
    StoreFull = 902, 507, "the disk (or memory) holding signsim's store is below --min-free: writes are refused, nothing was changed; they resume once space is freed, reads go on";
    StoreStalled = 903, 503, "the store did not answer within --store-timeout (a stalled disk); /__admin/health says why";
}

#[derive(Debug, Clone)]
pub struct PkiError {
    pub kind: Kind,
    pub message: String,
    /// An injected fault's own code (replaces the catalogue's).
    pub code: Option<i64>,
}

/// Which envelope a method answers in.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    /// `{IsSuccess, <fields…>, ErrorCode, ErrorMessage}`; the listed fields are `null` on failure
    /// (`Description` repeats the message, as the document's "Error Description" suggests).
    IsSuccess(&'static [&'static str]),
    /// Exactly `{ResultCode, Description, Message}` (GetTrackingCodeInfo, the PKI document,
    /// lines 449–488): Description is a JSON string on success; on failure `Message` is
    /// `"Unsuccess"` and Description empty.
    ResultCode,
    /// Exactly `{ResultCode, Description, Message}` with a free-text Description (IsApproved,
    /// lines 587–591): on failure `Message` is `"Unsuccess"`, Description the reason.
    Approval,
    /// `{ResultCode, Description, Message, ErrorCode, ErrorMessage}` (RequestApprove, lines
    /// 626–632): as [`Shape::Approval`], with the error fields the document gives it.
    ApprovalWithError,
    /// `{IsAvailable, Description, ErrorCode, ErrorMessage}`.
    IsAvailable,
}

impl Shape {
    /// Whether the method's documented answer has `ErrorCode` and `ErrorMessage`.
    pub fn has_error_fields(self) -> bool {
        !matches!(self, Shape::ResultCode | Shape::Approval)
    }
}

/// A refusal as it goes on the wire: the HTTP status, the body in the method's envelope, and
/// the code and message (after scenario overrides) for the diagnostic header and the journal.
#[derive(Debug, Clone)]
pub struct Wire {
    pub status: u16,
    pub body: Value,
    pub code: i64,
    pub message: String,
}

/// Scenario overrides: kind name → (code, message).
pub type Overrides = BTreeMap<String, (Option<i64>, Option<String>)>;

impl PkiError {
    pub fn new(kind: Kind, message: impl Into<String>) -> PkiError {
        PkiError {
            kind,
            message: message.into(),
            code: None,
        }
    }

    /// The error a fault rule injects: the rule's code and message in the method's envelope.
    pub fn injected(code: i64, message: &str) -> PkiError {
        PkiError {
            kind: Kind::InjectedFault,
            message: message.to_string(),
            code: Some(code),
        }
    }

    /// signsim itself failed: the cause goes to the log, the client learns only what failed.
    pub fn internal(context: &str, e: impl std::fmt::Display) -> PkiError {
        tracing::error!("pki: {context}: {e}");
        PkiError::new(
            Kind::Internal,
            format!(
                "signsim failed while {context}; nothing was changed (signsim's log has the cause)"
            ),
        )
    }

    pub fn tracking_unknown(code: &str) -> PkiError {
        PkiError::new(
            Kind::TrackingCodeUnknown,
            format!("tracking code '{code}' does not exist"),
        )
    }

    /// The HTTP status and JSON body the upstream shape gives this error. `answers_401`: the
    /// method's document lists `401 Unauthorized` (GetCAList, GetCAProfileInfo, IsAvailable);
    /// elsewhere an authentication refusal answers 200, the only status those methods document.
    pub fn into_body(self, shape: Shape, answers_401: bool, overrides: &Overrides) -> Wire {
        let (code, message) = match overrides.get(self.kind.name()) {
            Some((code, msg)) => (
                code.unwrap_or(self.kind.code()),
                msg.clone().unwrap_or(self.message),
            ),
            None => (self.code.unwrap_or(self.kind.code()), self.message),
        };
        let mut body = Map::new();
        match shape {
            Shape::IsSuccess(fields) => {
                body.insert("IsSuccess".into(), json!(false));
                for f in fields.iter() {
                    body.insert((*f).into(), Value::Null);
                }
                if fields.contains(&"Description") {
                    body.insert("Description".into(), json!(message));
                }
            }
            // The document's Message is "Success" or "Unsuccess" and nothing else; the reason
            // is in Description where that is free text, and in X-Signsim-Diagnostic.
            Shape::ResultCode => {
                body.insert("ResultCode".into(), json!(false));
                body.insert("Description".into(), json!(""));
                body.insert("Message".into(), json!("Unsuccess"));
            }
            Shape::Approval | Shape::ApprovalWithError => {
                body.insert("ResultCode".into(), json!(false));
                body.insert("Description".into(), json!(message));
                body.insert("Message".into(), json!("Unsuccess"));
            }
            Shape::IsAvailable => {
                body.insert("IsAvailable".into(), json!(false));
                body.insert("Description".into(), json!(message));
            }
        }
        if shape.has_error_fields() {
            body.insert("ErrorCode".into(), json!(code));
            body.insert("ErrorMessage".into(), json!(message));
        }
        let status = match self.kind.status() {
            401 if !answers_401 => 200,
            s => s,
        };
        Wire {
            status,
            body: Value::Object(body),
            code,
            message,
        }
    }
}

impl PkiError {
    /// The store's refusal this error carries (full or stalled), for a caller outside a
    /// request (reset seeding a fresh store) that must report it as the server's failure.
    pub fn store_error(&self) -> Option<crate::store::StoreError> {
        use crate::store::StoreError;
        match self.kind {
            Kind::StoreFull => Some(StoreError::Full(self.message.clone())),
            Kind::StoreStalled => Some(StoreError::Stalled(self.message.clone())),
            _ => None,
        }
    }
}

impl From<crate::store::StoreError> for PkiError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match e {
            StoreError::Full(m) => PkiError::new(Kind::StoreFull, m),
            StoreError::Stalled(m) => PkiError::new(Kind::StoreStalled, m),
            e => PkiError::internal("using the store", e),
        }
    }
}

impl From<crate::store::WriteError<PkiError>> for PkiError {
    fn from(e: crate::store::WriteError<PkiError>) -> Self {
        match e {
            crate::store::WriteError::Refused(e) => e,
            crate::store::WriteError::Store(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_complete_and_codes_unique() {
        let mut codes: Vec<i64> = CATALOGUE.iter().map(|e| e.2).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), CATALOGUE.len());
        assert_eq!(KINDS.len(), CATALOGUE.len());
        for (e, name) in CATALOGUE.iter().zip(KINDS) {
            assert_eq!(e.1, *name);
            assert_eq!(e.0.name(), *name);
        }
    }

    #[test]
    fn shapes() {
        let e = || PkiError::new(Kind::WrongState, "tracking code 7 is Registered");
        let w = e().into_body(
            Shape::IsSuccess(&["Certificate", "Description"]),
            false,
            &Overrides::new(),
        );
        assert_eq!(w.status, 200);
        let body = w.body;
        assert_eq!(body["IsSuccess"], false);
        assert_eq!(body["Certificate"], Value::Null);
        assert_eq!(body["Description"], "tracking code 7 is Registered");
        assert_eq!(body["ErrorCode"], 402);
        let mut o = Overrides::new();
        o.insert("WrongState".into(), (Some(-5), None));
        let w = e().into_body(Shape::ApprovalWithError, false, &o);
        assert_eq!(w.body["ResultCode"], false);
        assert_eq!(w.body["Message"], "Unsuccess");
        assert_eq!(w.body["Description"], "tracking code 7 is Registered");
        assert_eq!(w.body["ErrorCode"], -5);
        assert_eq!(
            (w.code, w.message.as_str()),
            (-5, "tracking code 7 is Registered")
        );
    }

    /// GetTrackingCodeInfo and IsApproved answer exactly the documented members; the code
    /// stays in the diagnostic.
    #[test]
    fn documented_members_only() {
        for shape in [Shape::ResultCode, Shape::Approval] {
            let w = PkiError::new(Kind::TrackingCodeUnknown, "no").into_body(
                shape,
                false,
                &Overrides::new(),
            );
            let mut keys: Vec<&String> = w
                .body
                .as_object()
                .map(|m| m.keys().collect())
                .unwrap_or_default();
            keys.sort();
            assert_eq!(keys, ["Description", "Message", "ResultCode"], "{shape:?}");
            assert_eq!(w.code, 401);
        }
    }

    /// 401 only where the document lists it.
    #[test]
    fn unauthorized_only_where_documented() {
        let e = || PkiError::new(Kind::SignatureInvalid, "bad");
        let shape = Shape::IsSuccess(&["Description"]);
        assert_eq!(e().into_body(shape, true, &Overrides::new()).status, 401);
        assert_eq!(e().into_body(shape, false, &Overrides::new()).status, 200);
        let transport = PkiError::new(Kind::UnsupportedMediaType, "json");
        assert_eq!(
            transport.into_body(shape, false, &Overrides::new()).status,
            415
        );
    }
}
