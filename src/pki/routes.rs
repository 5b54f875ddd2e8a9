//! The PKI route table: one line per upstream method, carrying everything the pipeline and
//! the documentation need to know about it — HTTP method, failure envelope, handler, which
//! field is signed over what, whether the answer may be cached, whether the scenario's latency
//! applies, and a one-line summary.
//!
//! Method names match case-insensitively (`/api/getcalist`), as ASP.NET routes do.

use super::ctx::Ctx;
use super::endpoints::*;
use super::error::{PkiError, Shape};
use super::signature::{Documented, Rule};
use super::wire::Fields;
use crate::pipeline::RouteInfo;
use crate::server::router::Router;
use hyper::Method;
use serde_json::Value;

pub type Handler = fn(&mut Ctx<'_>, &Fields) -> Result<Value, PkiError>;
/// A handler that writes its JSON answer straight into bytes (a hot answer: no `Value` tree
/// built, serialised and freed per request).
pub type WrittenHandler = fn(&mut Ctx<'_>, &Fields) -> Result<Vec<u8>, PkiError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
}

impl Verb {
    pub fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
        }
    }
}

/// What a route does.
pub enum Op {
    /// An upstream method: a JSON answer in the route's [`Shape`].
    Json(Handler),
    /// The same, its answer already written as JSON bytes.
    Written(WrittenHandler),
    /// `GET /crl/{caName}.crl`: the CA's CRL, DER.
    Crl,
}

pub struct Route {
    pub name: &'static str,
    pub verb: Verb,
    /// The envelope of its answers and refusals.
    pub shape: Shape,
    pub op: Op,
    /// The transaction signature the method carries.
    pub signed: Option<&'static Rule>,
    /// The answer depends only on the world and the query (see `pipeline::GetCache`).
    pub cached: bool,
    /// The scenario's `pki.get_all_cert_latency_ms` applies (the upstream is slow here).
    pub slow: bool,
    /// Fault rules apply.
    pub faults: bool,
    /// The method's document lists `401 Unauthorized` beside `200` (GetCAList,
    /// GetCAProfileInfo, IsAvailable: the PKI document, lines 230, 259, 291); every other
    /// method lists only 200 and answers an authentication refusal with 200 and its envelope.
    pub answers_401: bool,
    pub summary: &'static str,
}

const fn get(name: &'static str, shape: Shape, handler: Handler, summary: &'static str) -> Route {
    route(name, Verb::Get, shape, Op::Json(handler), None, summary)
}

const fn post(
    name: &'static str,
    shape: Shape,
    handler: Handler,
    signed: Option<&'static Rule>,
    summary: &'static str,
) -> Route {
    route(name, Verb::Post, shape, Op::Json(handler), signed, summary)
}

/// [`post`] for a handler that writes its answer's bytes itself.
const fn post_written(
    name: &'static str,
    shape: Shape,
    handler: WrittenHandler,
    signed: Option<&'static Rule>,
    summary: &'static str,
) -> Route {
    route(
        name,
        Verb::Post,
        shape,
        Op::Written(handler),
        signed,
        summary,
    )
}

const fn route(
    name: &'static str,
    verb: Verb,
    shape: Shape,
    op: Op,
    signed: Option<&'static Rule>,
    summary: &'static str,
) -> Route {
    Route {
        name,
        verb,
        shape,
        op,
        signed,
        cached: false,
        slow: false,
        faults: true,
        answers_401: false,
        summary,
    }
}

impl Route {
    const fn cached(mut self) -> Route {
        self.cached = true;
        self
    }

    /// The document lists `401 Unauthorized` for this method.
    const fn answers_401(mut self) -> Route {
        self.answers_401 = true;
        self
    }

    const fn slow(mut self) -> Route {
        self.slow = true;
        self
    }
}

const fn unicode(field: &'static str, formula: &'static str) -> Rule {
    Rule {
        field,
        formula,
        documented: Documented::Unicode,
    }
}

const fn as_sent(field: &'static str, formula: &'static str) -> Rule {
    Rule {
        field,
        formula,
        documented: Documented::AsSent,
    }
}

static REGISTER: Rule = unicode("signature", "Unicode(customercode + \"-\" + NationalCode)");
static TRACKING_INFO: Rule = unicode("sign", "Unicode(nationalCode + trackingCode)");
static ISSUE: Rule = as_sent("signature", "Sign(csr)");
static REVOKE: Rule = as_sent("signature", "Sign(certificate)");
static APPROVE: Rule = unicode("sign", "Unicode(nationalCode + trackingCode + approver)");
static CONFIRM: Rule = unicode("signature", "Unicode(certificate)");
static HISTORY: Rule = unicode("signature", "Unicode(SerialNumber + rnd)");

use Shape::{Approval, ApprovalWithError, IsAvailable, IsSuccess, ResultCode};

/// Every method of the API, in the document's order of groups.
#[rustfmt::skip]
pub static ROUTES: &[Route] = &[
    get("GetVersion", IsSuccess(&["Version"]), get_version::handle, "the API version").cached(),
    get("GetCAList", IsSuccess(&["CAList"]), get_ca_list::handle, "the CAs this customer may use").cached().answers_401(),
    get("GetCAProfileInfo", IsSuccess(&["Profile"]), get_ca_profile_info::handle, "the profiles of a CA").cached().answers_401(),
    get("IsAvailable", IsAvailable, is_available::handle, "whether a CA is up").cached().answers_401(),
    post_written("RegisterInfo", IsSuccess(&["TrackingCode", "Description"]), register_info::handle, Some(&REGISTER), "register an applicant's identity; returns the tracking code"),
    post("GetTrackingCodeInfo", ResultCode, get_tracking_code_info::handle, Some(&TRACKING_INFO), "the identity registered under a tracking code"),
    post("IssueCertificateByTrackingCode", IsSuccess(&["Certificate", "PaymentStatus", "Description", "CN", "IssuerName", "ValidFrom", "ValidTo"]), issue_certificate_by_tracking_code::handle, Some(&ISSUE), "issue the certificate from a CSR, or a P12"),
    post("RevokeCertificate", IsSuccess(&["Description"]), revoke_certificate::handle, Some(&REVOKE), "revoke a certificate"),
    post("RequestApprove", ApprovalWithError, request_approve::handle, Some(&APPROVE), "approve an identity (in person or by face authentication)"),
    get("GetAllCert", IsSuccess(&["CertList"]), get_all_cert::handle, "a person's active certificates across all CAs").slow(),
    get("GetAllMobileCert", IsSuccess(&["CertList"]), get_all_mobile_cert::handle, "certificates by national code or tracking code"),
    post("GetUserCertHistory", IsSuccess(&["CertList"]), get_user_cert_history::handle, Some(&HISTORY), "every lifecycle of a person"),
    post("IssuingReport", IsSuccess(&[]), issuing_report::handle, None, "counts per CA and status, or the detail of a date range"),
    post("IsApproved", Approval, is_approved::handle, None, "whether a tracking code's identity is approved"),
    post("RecievedCertConfirmation", IsSuccess(&["Description"]), recieved_cert_confirmation::handle, Some(&CONFIRM), "confirm the certificate was received (sic)"),
    post("GetCredit", IsSuccess(&["Credit", "Description"]), get_credit::handle, None, "the customer's credit"),
];

/// `GET /crl/{caName}.crl`: a file, not a method — no faults, no JSON.
pub static CRL: Route = Route {
    faults: false,
    ..route(
        "crl",
        Verb::Get,
        IsSuccess(&[]),
        Op::Crl,
        None,
        "a CA's certificate revocation list (DER)",
    )
};

/// PKI's part of the one routing table: each method at `/api/{name}` in any case (ASP.NET's
/// routes are case-insensitive, `/API/GetCAList` included) and the CRLs; a request no route
/// serves under `/api/` or `/crl/` is PKI's to refuse. `to` makes a route the table's entry and
/// `owner` names PKI as the owner of its mount points.
pub fn paths<H, M: Copy>(
    table: Router<H, M>,
    to: fn(&'static Route) -> H,
    owner: M,
) -> Router<H, M> {
    ROUTES
        .iter()
        .fold(table, |t, route| {
            t.route_any_case(
                route.verb.method(),
                &format!("/api/{}", route.name),
                to(route),
            )
        })
        .route(Method::GET, "/crl/{ca}.crl", to(&CRL))
        .mount_any_case("/api/{*method}", owner)
        .mount("/crl/{*file}", owner)
}

impl RouteInfo for &'static Route {
    fn name(&self) -> &'static str {
        self.name
    }
    fn faults(&self) -> bool {
        self.faults
    }
    fn cacheable(&self) -> bool {
        self.cached
    }
}

/// A method by its name in any case.
pub fn by_name(name: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.name.eq_ignore_ascii_case(name))
}

/// The refusal text for `/api/{name}` when no method has that name.
pub fn unknown_method_message(name: &str) -> String {
    if name.eq_ignore_ascii_case("ReceivedCertConfirmation") {
        return "there is no method ReceivedCertConfirmation: the upstream spells it RecievedCertConfirmation (sic), call /api/RecievedCertConfirmation".into();
    }
    let names: Vec<&str> = ROUTES.iter().map(|r| r.name).collect();
    match crate::suggest::closest(name, names.iter().copied()) {
        Some(c) => format!(
            "there is no method '{name}' under /api/; did you mean {c}? The methods are: {}",
            names.join(", ")
        ),
        None => format!(
            "there is no method '{name}' under /api/; the methods are: {}",
            names.join(", ")
        ),
    }
}
