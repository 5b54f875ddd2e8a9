//! PKI RA API over real HTTP.

mod concurrency;
mod issue;
mod lifecycle;
mod register;
mod revoke;
mod signatures;
mod transport;
