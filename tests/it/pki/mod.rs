//! PKI RA API over real HTTP.

mod approval;
mod concurrency;
mod issue;
mod lifecycle;
mod p12;
mod register;
mod reports;
mod revoke;
mod signatures;
mod transport;
