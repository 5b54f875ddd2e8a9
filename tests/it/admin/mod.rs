//! The control API under `/__admin/` over real HTTP, one file per concern:
//! health, the security headers, the journal (and the journal for people), the clock, reset and scenario loading, fault rules, PKI tracking codes
//! and officer actions, PKI state (certificates, credit, CAs), CA material checked by `openssl`,
//! Podpishi state and the counterparty, and the admin token of an exposed binary.

mod auth;
mod ca_material;
mod clock;
mod faults;
mod headers;
mod health;
mod journal;
mod journal_people;
mod officer;
mod pki_state;
mod podpishi;
mod reset_and_scenario;
