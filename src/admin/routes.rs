//! Every route of the control API, one row each: method, path, the name the journal gives
//! the call, its handler, how it takes the world gate, and its documentation (the summary and
//! example body the OpenAPI document `GET /__admin/openapi/admin.json` is built from). One
//! table, so a route can not exist undescribed; docs/control-api.md lists the same rows.

use super::route::{exclusive, on_record, open, AdminRoute};
use super::{coverage, faults, journal, openapi, pki, podpishi, ui, world, AdminError, Reply, Req};
use crate::server::router::Router;
use hyper::Method;

/// `GET /__admin/openapi/{api}.json`: the admin document is built from this table.
fn openapi_json(c: &Req<'_>) -> Result<Reply, AdminError> {
    openapi::serve(c, ROUTES)
}

use Method as M;

#[rustfmt::skip]
pub static ROUTES: &[(Method, &str, AdminRoute)] = &[
    (M::GET, "/__admin/health", open("health", world::health)
        .doc("status (ok, or degraded with problems: writes refused below --min-free, calls stuck on a stalled store), space, store stalls, version, scenario, store, clock and journal sizes: the readiness probe, which never waits on the store", "")),
    (M::POST, "/__admin/reset", exclusive("reset", world::reset)
        .doc("back to the loaded scenario's initial state (store, clock, faults, events, journal)", "")),
    (M::POST, "/__admin/scenario", exclusive("scenario", world::load_scenario)
        .doc("load another scenario (TOML body; ?base=DIR for relative paths); on problems 400 with {problems} and nothing changes", "")),
    (M::GET, "/__admin/clock", open("clock", world::clock_get)
        .doc("the scenario clock", "")),
    (M::POST, "/__admin/clock", open("clock", world::clock_set)
        .doc("move the clock: {\"set\": RFC 3339} or {\"advance\": \"30d\"}, and/or freeze it or let it run ({\"frozen\": bool}); due events and reactions run at once", r#"{"advance": "1d"}"#)),
    (M::GET, "/__admin/schedule", open("schedule", world::schedule)
        .doc("pending and done events and reactions", "")),
    (M::GET, "/__admin/requests", open("requests", journal::requests)
        .doc("the journal, oldest first, filtered (the filters: docs/control-api.md)", "")),
    (M::DELETE, "/__admin/requests", open("requests.clear", journal::clear)
        .doc("clear the journal", "")),
    (M::POST, "/__admin/requests/count", open("requests.count", journal::count)
        .doc("how many journaled requests match a filter", r#"{"operation": "RegisterInfo", "field": "personData.NationalCode", "value": "0012345679"}"#)),
    (M::GET, "/__admin/requests/{id}", open("requests.get", journal::get)
        .doc("one journal entry", "")),
    (M::GET, "/__admin/warnings", open("warnings", journal::warnings)
        .doc("portability warnings since start, per kind (kinds), and the requests refused under portability = refuse, per kind (refused), with the policy in force", "")),
    (M::GET, "/__admin/coverage", open("coverage", coverage::get)
        .doc("the contract coverage report: every outcome of both APIs with its count, and the never-reached ones (?tenant=, ?api=pki|podpishi); kept through reset", "")),
    (M::DELETE, "/__admin/coverage", open("coverage.clear", coverage::clear)
        .doc("clear the coverage counts: counting starts again now", "")),
    (M::GET, "/__admin/faults", open("faults", faults::list)
        .doc("fault rules with their matched-call counts", "")),
    (M::POST, "/__admin/faults", open("faults.add", faults::add)
        .doc("add a fault rule", r#"{"api": "pki", "operation": "GetCAList", "action": {"kind": "delay", "ms": 200}, "trigger": {"when": "first", "n": 5}}"#)),
    (M::DELETE, "/__admin/faults", open("faults.clear", faults::clear)
        .doc("remove every fault rule", "")),
    (M::DELETE, "/__admin/faults/{name}", open("faults.remove", faults::remove)
        .doc("remove one fault rule", "")),
    (M::GET, "/__admin/pki/state", open("pki.state", pki::state)
        .doc("every tracking record, certificate, balance and CA availability", "")),
    (M::GET, "/__admin/pki/tracking", open("pki.tracking.find", pki::tracking_find)
        .doc("a person's lifecycle records (?nationalCode=)", "")),
    (M::GET, "/__admin/pki/tracking/{code}", open("pki.tracking", pki::tracking)
        .doc("one tracking record with its history", "")),
    (M::GET, "/__admin/pki/tracking/{code}/p12", open("pki.tracking.p12", pki::p12)
        .doc("the PKCS#12 issued for a P12 token, as DER (the only place its private key is shown)", "")),
    (M::POST, "/__admin/pki/tracking/{code}/approve", open("pki.approve", pki::approve)
        .doc("the RA officer approves: AwaitingApproval → Approved", r#"{"approver": "TEST Approver Ali Rezaei"}"#)),
    (M::POST, "/__admin/pki/tracking/{code}/reject", open("pki.reject", pki::reject)
        .doc("the RA officer rejects", r#"{"reason": "documents unreadable"}"#)),
    (M::POST, "/__admin/pki/face-auth", open("pki.face-auth", pki::face_auth)
        .doc("issue a face-authentication orderId for a tracking code (the provider's session); outcome is the string \"verified\" (the default when left out) or \"failed\", any other value is a 400 naming it", r#"{"nationalCode": "0012345679", "trackingCode": "1000003", "outcome": "verified"}"#)),
    (M::GET, "/__admin/pki/face-auth", open("pki.face-auth.list", pki::face_auth_orders)
        .doc("the face-authentication orders (?trackingCode=)", "")),
    (M::GET, "/__admin/pki/certificates/{ca}/{serial}", open("pki.certificate", pki::certificate)
        .doc("a certificate record with its PEM (serial in hex)", "")),
    (M::GET, "/__admin/pki/customers/{code}", open("pki.customer", pki::customer)
        .doc("a customer's credit", "")),
    (M::POST, "/__admin/pki/customers/{code}/credit", open("pki.credit", pki::credit)
        .doc("set or add credit: {\"set\": n} or {\"add\": n}", r#"{"add": 500000}"#)),
    (M::GET, "/__admin/pki/root", open("pki.root", pki::root)
        .doc("the root above the scenario's CAs (PEM)", "")),
    (M::GET, "/__admin/tls/root", open("tls.root", world::tls_root)
        .doc("under --tls, the root that issued the server certificate (PEM)", "")),
    (M::GET, "/__admin/pki/cas", open("pki.cas", pki::cas)
        .doc("the CAs with availability and profiles", "")),
    (M::POST, "/__admin/pki/cas/{ca}/availability", open("pki.availability", pki::availability)
        .doc("switch a CA off or on", r#"{"available": false}"#)),
    (M::GET, "/__admin/pki/cas/{ca}/certificate", open("pki.ca.certificate", pki::ca_certificate)
        .doc("a CA's certificate (PEM)", "")),
    (M::GET, "/__admin/pki/cas/{ca}/chain", open("pki.ca.chain", pki::ca_chain)
        .doc("a CA's chain up to the root (PEM)", "")),
    (M::GET, "/__admin/pki/cas/{ca}/crl", open("pki.ca.crl", pki::ca_crl)
        .doc("a CA's CRL (DER)", "")),
    (M::GET, "/__admin/podpishi/state", open("podpishi.state", podpishi::state)
        .doc("documents with permissions and signatures, balances, partner transactions", "")),
    (M::GET, "/__admin/podpishi/outbox", open("podpishi.outbox", podpishi::outbox)
        .doc("the e-mails the service would have sent", "")),
    (M::GET, "/__admin/podpishi/documents/{num}", on_record("podpishi.documents", podpishi::document)
        .doc("one document with its permissions", "")),
    (M::POST, "/__admin/podpishi/documents/{num}/sign", on_record("podpishi.documents.sign", podpishi::sign)
        .doc("the counterparty's cabinet step: sign or refuse with a test signer's real CMS", r#"{"signer": "petrova", "action": "sign"}"#)),
    (M::GET, "/__admin/podpishi/documents/{num}/zip", on_record("podpishi.documents.zip", podpishi::zip)
        .doc("the document's ZIP, as getdoc answers its owner", "")),
    (M::GET, "/__admin/podpishi/signers", open("podpishi.signers", podpishi::signers)
        .doc("the test signers: name, BIN (or IIN), display name, firm", "")),
    (M::GET, "/__admin/podpishi/accounts/{login}", open("podpishi.accounts", podpishi::account)
        .doc("one account", "")),
    (M::GET, "/__admin/podpishi/partner-transactions", open("podpishi.partner-transactions", podpishi::partner_transactions)
        .doc("partner transactions", "")),
    (M::GET, "/__admin/openapi/{api}.json", open("openapi", openapi_json)
        .doc("the OpenAPI 3.1 document of pki, podpishi or admin", "")),
    (M::GET, "/__admin/ui", open("ui", ui::page)
        .doc("the dashboard (HTML)", "")),
    (M::GET, "/__admin/ui/{file}", open("ui.asset", ui::asset)
        .doc("the dashboard's script and style", "")),
    (M::GET, "/__admin/requests/{id}/curl", open("requests.curl", journal::curl)
        .doc("a curl command that sends a journaled request again exactly (?url=BASE; secrets included)", "")),
];

/// The control API's part of the one routing table: its routes, and whatever else is under
/// `/__admin` is its to refuse. `to` makes a route the table's entry and `owner` names the
/// control API as the owner of its mount points.
pub fn paths<H, M: Copy>(
    table: Router<H, M>,
    to: fn(&'static AdminRoute) -> H,
    owner: M,
) -> Router<H, M> {
    ROUTES
        .iter()
        .fold(table, |t, (method, path, route)| {
            t.route(method.clone(), path, to(route))
        })
        .mount("/__admin", owner)
        .mount("/__admin/{*route}", owner)
}
