//! PKI RA API over real HTTP.

mod lifecycle;
