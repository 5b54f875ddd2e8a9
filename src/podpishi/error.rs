//! Podpishi.Online's one error type and its one mapping to the wire.
//!
//! The upstream answers failures in three XML shapes, and [`PodpishiError::to_xml`]
//! alone writes them:
//!
//! - **request-level** `<resp err="yes"><status>N</status><errdesc>…</errdesc></resp>`: the
//!   request itself is unusable (authorization — status 0, `Authorization error (code=0)` —,
//!   body, fields of the upload);
//! - **document-level** on upload, `<resp err="no"><doc num='' … errtxt='…'>err</doc></resp>`:
//!   the request was fine but this document was not stored (a reused `uniq_reference`, a
//!   blocked client, a signature that does not verify);
//! - **command-level** on `/apistatus.php`: `<resp err="yes" command="oper"><status>N</status>
//!   <errdesc>…</errdesc></resp>` (emulator-defined wording; `command=""` when no `oper` could
//!   be read).
//!
//! Every answer is HTTP 200, as the PHP upstream sends. The status numbers ([`CATALOGUE`]) are
//! emulator-defined and listed in docs/errors.md; `errdesc` names the field, the value and what
//! was expected.

use quick_xml::escape::escape;

/// Defines [`Kind`] and its catalogue from one list, so a kind, its name and its status can
/// never disagree.
macro_rules! catalogue {
    ($($kind:ident = $status:literal, $meaning:literal;)*) => {
        /// The error catalogue.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Kind {
            $($kind),*
        }

        /// (kind, name, status, meaning) — docs/errors.md's table is checked against it.
        pub const CATALOGUE: &[(Kind, &str, u32, &str)] = &[
            $((Kind::$kind, stringify!($kind), $status, $meaning)),*
        ];

        impl Kind {
            pub fn name(self) -> &'static str {
                match self {
                    $(Kind::$kind => stringify!($kind)),*
                }
            }
            /// The `<status>` number of the error answer.
            pub fn status(self) -> u32 {
                match self {
                    $(Kind::$kind => $status),*
                }
            }
        }
    };
}

#[rustfmt::skip]
catalogue! {
    Authorization = 0, "login/apikey missing or wrong (the upstream's `Authorization error (code=0)`)";
    MalformedRequest = 1, "not multipart/form-data or urlencoded, malformed multipart, not POST";
    BodyTooLarge = 2, "body over podpishi.max_upload_bytes / max_command_bytes";
    MissingField = 3, "a required field or XML element is missing or empty";
    InvalidField = 4, "a field has the wrong length, format or value";
    LegacyAtUpload = 5, "`uf` sent as the text '@/path' (PHP's removed upload syntax)";
    BadCommand = 6, "`command` is not base64 of well-formed UTF-8 XML `<data>` (DOCTYPE/entities refused)";
    UnknownOper = 7, "no such `oper`";
    StaleTime = 8, "`<time>` further from now than podpishi.stale_time_seconds";
    NotPortable = 9, "under portability = \"refuse\": the request relies on behaviour production may not share (the message names the warning kind)";
    DocumentUnknown = 10, "no document with that number";
    NotYourDocument = 11, "the document is neither owned by nor sent to this account";
    PermissionUnknown = 12, "the document has no permission with that index";
    WrongState = 13, "already signed, deleted, view-only, or not this account's permission";
    SignatureInvalid = 20, "signature_pem is not a CMS that verifies over the document";
    SignerMismatch = 21, "the signer's IIN/BIN is not the one the permission or owner_bin needs";
    UntrustedSigner = 22, "the signer certificate is not issued by a trusted root or not valid now";
    UnverifiableAlgorithm = 23, "GOST signature refused by podpishi.unverifiable_algorithm = \"refuse\"";
    DuplicateReference = 30, "uniq_reference already used by this account (`Document already exist at DB`)";
    ClientBlocked = 31, "the account is blocked (setblockuser) and cannot upload";
    NoDocumentsLeft = 32, "the account's document count (getavailabledocs) is used up: getcreateinvoice or a partner's addpackage2client adds more";
    NotPartner = 40, "a partner command from an account that is not a partner";
    RefnumReused = 41, "refnum already used by this partner with other parameters";
    UnknownTariff = 42, "no tariff plan with that number";
    ClientUnknown = 43, "no client account with that BIN / serviceid (for this partner)";
    RegistrationConflict = 44, "email already registered by this partner with another remoteid";
    StoreStalled = 97, "the store did not answer within --store-timeout (a stalled disk); /__admin/health says why";
    StoreFull = 98, "the disk (or memory) holding signsim's store is below --min-free: writes are refused, nothing was changed; they resume once space is freed, reads go on";
    Internal = 99, "the emulator failed (store error); nothing was changed";
}

impl Kind {
    /// Errors about the uploaded document (document-level shape on upload) rather than about
    /// the request.
    fn is_document_level(self) -> bool {
        matches!(
            self,
            Kind::DuplicateReference
                | Kind::ClientBlocked
                | Kind::NoDocumentsLeft
                | Kind::SignatureInvalid
                | Kind::SignerMismatch
                | Kind::UntrustedSigner
                | Kind::UnverifiableAlgorithm
        )
    }
}

#[derive(Debug, Clone)]
pub struct PodpishiError {
    pub kind: Kind,
    pub message: String,
    /// An injected fault's own `<status>` (replaces the kind's).
    pub status: Option<u32>,
}

/// What the upload knew about the document when it failed (the document-level attributes).
#[derive(Debug, Clone, Default)]
pub struct DocContext {
    pub reference: String,
    pub package: String,
    pub nametxt: String,
    pub filetxt: String,
    /// How the upload was judged (signature verdict, policy decisions), for the journal.
    pub diagnostics: Vec<String>,
    /// Acceptances that rely on behaviour production may not share.
    pub warnings: Vec<crate::journal::Warning>,
}

/// A refusal as the pipeline answers it: the error and what says where it is answered.
#[derive(Debug)]
pub struct Refused {
    pub error: PodpishiError,
    /// The upload's document, for the document-level shape (boxed: refusals travel in
    /// `Result`s on every path, the context only on uploads).
    pub doc: Option<Box<DocContext>>,
    /// The `oper` of a decoded command.
    pub oper: Option<String>,
}

impl From<PodpishiError> for Refused {
    fn from(error: PodpishiError) -> Refused {
        Refused {
            error,
            doc: None,
            oper: None,
        }
    }
}

/// Where an error is answered.
pub enum Shape<'a> {
    /// `/api.php`.
    Upload(&'a DocContext),
    /// `/apistatus.php`, with the `oper` if one was read.
    Command(Option<&'a str>),
}

pub const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

impl PodpishiError {
    pub fn new(kind: Kind, message: impl Into<String>) -> PodpishiError {
        PodpishiError {
            kind,
            message: message.into(),
            status: None,
        }
    }

    /// The command-level error a fault rule injects, with the rule's status and message.
    pub fn injected(status: i64, message: &str) -> PodpishiError {
        PodpishiError {
            kind: Kind::MalformedRequest,
            message: message.to_string(),
            status: Some(status.clamp(0, u32::MAX as i64) as u32),
        }
    }

    pub fn document_unknown(num: u64) -> PodpishiError {
        PodpishiError::new(Kind::DocumentUnknown, format!("there is no document {num}"))
    }

    /// The store failed: logged with its cause, reported without internals.
    pub fn internal(what: &str, cause: impl std::fmt::Display) -> PodpishiError {
        tracing::error!("podpishi: {what}: {cause}");
        PodpishiError::new(
            Kind::Internal,
            format!("signsim failed while {what}; nothing was changed"),
        )
    }

    /// Exactly the document's text for authorization errors (clients compare it); the detail
    /// travels in the `X-Signsim-Diagnostic` header and the journal.
    fn errdesc(&self) -> String {
        if self.kind == Kind::Authorization {
            "Authorization error (code=0)".to_string()
        } else {
            self.message.clone()
        }
    }

    /// The one mapping of an error to the upstream's XML.
    pub fn to_xml(&self, shape: Shape<'_>) -> String {
        match shape {
            Shape::Upload(doc) if self.kind.is_document_level() => {
                let errtxt = if self.kind == Kind::DuplicateReference {
                    // Exactly the documented text: clients compare it. The detail (which
                    // document holds the reference) is in the journal's diagnostics.
                    "Document already exist at DB".to_string()
                } else {
                    self.message.clone()
                };
                format!(
                    "{XML_DECL}<resp err=\"no\">\n<doc num='' reference='{}' package='{}' nametxt='{}' filetxt='{}' errtxt='{}'>err</doc>\n</resp>",
                    escape(&doc.reference),
                    escape(&doc.package),
                    escape(&doc.nametxt),
                    escape(&doc.filetxt),
                    escape(&errtxt)
                )
            }
            Shape::Command(oper) if self.kind != Kind::Authorization => format!(
                "{XML_DECL}<resp err=\"yes\" command=\"{}\">\n<status>{}</status>\n<errdesc>{}</errdesc>\n</resp>",
                escape(oper.unwrap_or("")),
                self.status.unwrap_or(self.kind.status()),
                escape(self.errdesc())
            ),
            _ => format!(
                "{XML_DECL}<resp err=\"yes\">\n<status>{}</status>\n<errdesc>{}</errdesc>\n</resp>",
                self.status.unwrap_or(self.kind.status()),
                escape(self.errdesc())
            ),
        }
    }
}

impl From<crate::store::StoreError> for Refused {
    fn from(e: crate::store::StoreError) -> Refused {
        PodpishiError::from(e).into()
    }
}

impl PodpishiError {
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

impl From<crate::store::StoreError> for PodpishiError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match e {
            StoreError::Full(m) => PodpishiError::new(Kind::StoreFull, m),
            StoreError::Stalled(m) => PodpishiError::new(Kind::StoreStalled, m),
            e => PodpishiError::internal("using the store", e),
        }
    }
}

impl<E: Into<PodpishiError>> From<crate::store::WriteError<E>> for PodpishiError {
    fn from(e: crate::store::WriteError<E>) -> Self {
        match e {
            crate::store::WriteError::Refused(e) => e.into(),
            crate::store::WriteError::Store(e) => e.into(),
        }
    }
}

impl<E> From<PodpishiError> for crate::store::Abort<E>
where
    E: From<PodpishiError>,
{
    fn from(e: PodpishiError) -> Self {
        crate::store::Abort::Refuse(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_shapes() {
        let auth = PodpishiError::new(Kind::Authorization, "login 'x' is not known");
        assert!(auth.to_xml(Shape::Command(Some("getstatus"))).contains(
            "<resp err=\"yes\">\n<status>0</status>\n<errdesc>Authorization error (code=0)</errdesc>"
        ));
        let dup = PodpishiError::new(Kind::DuplicateReference, "uniq_reference 'a' is document 7");
        let doc = DocContext {
            reference: "a'b".into(),
            ..DocContext::default()
        };
        let x = dup.to_xml(Shape::Upload(&doc));
        assert!(
            x.contains("<resp err=\"no\">\n<doc num='' reference='a&apos;b'"),
            "{x}"
        );
        assert!(
            x.contains("errtxt='Document already exist at DB'>err</doc>"),
            "{x}"
        );
        let c = PodpishiError::new(Kind::UnknownOper, "no").to_xml(Shape::Command(Some("x")));
        assert!(c.contains("<resp err=\"yes\" command=\"x\">\n<status>7</status>"));
    }
}
