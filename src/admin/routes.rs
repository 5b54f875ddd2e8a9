//! Every route of the control API, one line each: method, path, the name the journal gives
//! the call, its handler, and how it takes the world gate. The table in docs/control-api.md
//! lists the same rows.

use super::{faults, journal, openapi, pki, podpishi, ui, world, AdminError, Reply, Req};
use crate::pipeline::Gate;
use crate::server::router::Router;
use hyper::Method;
use std::sync::LazyLock;

pub type Handler = fn(&Req<'_>) -> Result<Reply, AdminError>;

pub struct AdminRoute {
    pub name: &'static str,
    pub handler: Handler,
    pub gate: Gate,
    /// The first path parameter is the record the call touches (a document number).
    pub record: bool,
}

const fn open(name: &'static str, handler: Handler) -> AdminRoute {
    AdminRoute {
        name,
        handler,
        gate: Gate::Open,
        record: false,
    }
}

/// Replaces the world: waits for in-flight API requests and holds new ones back.
const fn exclusive(name: &'static str, handler: Handler) -> AdminRoute {
    AdminRoute {
        gate: Gate::Exclusive,
        ..open(name, handler)
    }
}

const fn on_record(name: &'static str, handler: Handler) -> AdminRoute {
    AdminRoute {
        record: true,
        ..open(name, handler)
    }
}

use Method as M;

#[rustfmt::skip]
pub static ROUTES: &[(Method, &str, AdminRoute)] = &[
    (M::GET, "/__admin/health", open("health", world::health)),
    (M::POST, "/__admin/reset", exclusive("reset", world::reset)),
    (M::POST, "/__admin/scenario", exclusive("scenario", world::load_scenario)),
    (M::GET, "/__admin/clock", open("clock", world::clock_get)),
    (M::POST, "/__admin/clock", open("clock", world::clock_set)),
    (M::GET, "/__admin/schedule", open("schedule", world::schedule)),
    (M::GET, "/__admin/requests", open("requests", journal::requests)),
    (M::DELETE, "/__admin/requests", open("requests.clear", journal::clear)),
    (M::POST, "/__admin/requests/count", open("requests.count", journal::count)),
    (M::GET, "/__admin/requests/{id}", open("requests.get", journal::get)),
    (M::GET, "/__admin/warnings", open("warnings", journal::warnings)),
    (M::GET, "/__admin/faults", open("faults", faults::list)),
    (M::POST, "/__admin/faults", open("faults.add", faults::add)),
    (M::DELETE, "/__admin/faults", open("faults.clear", faults::clear)),
    (M::DELETE, "/__admin/faults/{name}", open("faults.remove", faults::remove)),
    (M::GET, "/__admin/pki/state", open("pki.state", pki::state)),
    (M::GET, "/__admin/pki/tracking", open("pki.tracking.find", pki::tracking_find)),
    (M::GET, "/__admin/pki/tracking/{code}", open("pki.tracking", pki::tracking)),
    (M::GET, "/__admin/pki/tracking/{code}/p12", open("pki.tracking.p12", pki::p12)),
    (M::POST, "/__admin/pki/tracking/{code}/approve", open("pki.approve", pki::approve)),
    (M::POST, "/__admin/pki/tracking/{code}/reject", open("pki.reject", pki::reject)),
    (M::POST, "/__admin/pki/face-auth", open("pki.face-auth", pki::face_auth)),
    (M::GET, "/__admin/pki/face-auth", open("pki.face-auth.list", pki::face_auth_orders)),
    (M::GET, "/__admin/pki/certificates/{ca}/{serial}", open("pki.certificate", pki::certificate)),
    (M::GET, "/__admin/pki/customers/{code}", open("pki.customer", pki::customer)),
    (M::POST, "/__admin/pki/customers/{code}/credit", open("pki.credit", pki::credit)),
    (M::GET, "/__admin/pki/root", open("pki.root", pki::root)),
    (M::GET, "/__admin/tls/root", open("tls.root", world::tls_root)),
    (M::GET, "/__admin/pki/cas", open("pki.cas", pki::cas)),
    (M::POST, "/__admin/pki/cas/{ca}/availability", open("pki.availability", pki::availability)),
    (M::GET, "/__admin/pki/cas/{ca}/certificate", open("pki.ca.certificate", pki::ca_certificate)),
    (M::GET, "/__admin/pki/cas/{ca}/chain", open("pki.ca.chain", pki::ca_chain)),
    (M::GET, "/__admin/pki/cas/{ca}/crl", open("pki.ca.crl", pki::ca_crl)),
    (M::GET, "/__admin/podpishi/state", open("podpishi.state", podpishi::state)),
    (M::GET, "/__admin/podpishi/outbox", open("podpishi.outbox", podpishi::outbox)),
    (M::GET, "/__admin/podpishi/documents/{num}", on_record("podpishi.documents", podpishi::document)),
    (M::POST, "/__admin/podpishi/documents/{num}/sign", on_record("podpishi.documents.sign", podpishi::sign)),
    (M::GET, "/__admin/podpishi/documents/{num}/zip", on_record("podpishi.documents.zip", podpishi::zip)),
    (M::GET, "/__admin/podpishi/signers", open("podpishi.signers", podpishi::signers)),
    (M::GET, "/__admin/podpishi/accounts/{login}", open("podpishi.accounts", podpishi::account)),
    (M::GET, "/__admin/podpishi/partner-transactions", open("podpishi.partner-transactions", podpishi::partner_transactions)),
    (M::GET, "/__admin/openapi/{api}.json", open("openapi", openapi::serve)),
    (M::GET, "/__admin/ui", open("ui", ui::page)),
    (M::GET, "/__admin/ui/{file}", open("ui.asset", ui::asset)),
];

pub static ROUTER: LazyLock<Router<&'static AdminRoute>> = LazyLock::new(|| {
    ROUTES
        .iter()
        .fold(Router::new(false), |r, (method, path, route)| {
            r.route(method.clone(), path, route)
        })
});
