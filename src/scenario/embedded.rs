//! The default scenario and the fixture files it names, compiled into the binary.
//!
//! Rationale: `signsim` must start a complete world on a machine that has only the binary.
//! Only public material and the CA keys (needed to issue) are embedded; the customers'
//! private keys stay in `fixtures/` for integrators to sign with.

pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.toml");

macro_rules! fixtures {
    ($($path:literal),* $(,)?) => {
        /// The embedded copy of a fixture file, by its path relative to `fixtures/`.
        pub fn fixture(path: &str) -> Option<&'static str> {
            match path {
                $($path => Some(include_str!(concat!("../../fixtures/", $path))),)*
                _ => None,
            }
        }
    };
}

fixtures!(
    "pki/root-ca.pem",
    "pki/root-ca.key",
    "pki/ca-01.pem",
    "pki/ca-01.key",
    "pki/ca-08.pem",
    "pki/ca-08.key",
    "pki/ca-gov.pem",
    "pki/ca-gov.key",
    "pki/customers/10320874334.pub.pem",
    "pki/customers/10320874334.rsapub.pem",
    "pki/customers/10320874334.pub.xml",
    "pki/customers/14105318760.pub.pem",
    "pki/customers/14105318760.rsapub.pem",
    "pki/customers/14105318760.pub.xml",
    "pki/approvers/approver-1.pem",
    "pki/approvers/approver-2.pem",
    "kz/root-ca.pem",
    "kz/signers/ivanov.pem",
    "kz/signers/ivanov.key",
    "kz/signers/seitkali.pem",
    "kz/signers/seitkali.key",
    "kz/signers/petrova.pem",
    "kz/signers/petrova.key",
    "kz/signers/nurlanov.pem",
    "kz/signers/nurlanov.key",
    "kz/signers/omarov.pem",
    "kz/signers/omarov.key",
    "kz/signers/service.pem",
    "kz/signers/service.key",
);
