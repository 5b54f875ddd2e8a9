//! PKI RA API over real HTTP, one file per behaviour: RegisterInfo,
//! IssueCertificateByTrackingCode, approval, P12 tokens, revocation and CRLs, transaction
//! signatures, transport, concurrency, the whole lifecycle, renewal (the same tracking code
//! restarted), every method's documented refusal shape, the report methods (`reports/`), and
//! what the document leaves open or settles (`leniency`).

mod approval;
mod concurrency;
mod issue;
mod leniency;
mod lifecycle;
mod p12;
mod register;
mod renewal;
mod reports;
mod revoke;
mod shapes;
mod signatures;
mod transport;
