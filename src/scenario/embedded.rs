//! The default scenario and the fixture files, compiled into the binary.
//!
//! Rationale: `signsim` must start a complete world on a machine that has only the binary, a
//! scenario copied anywhere must be able to use the same files (`fixtures = "embedded"`, or
//! `extends = "default"`), and an integrator with only the binary needs the customers' and
//! signers' private keys to sign with: `signsim fixtures export DIR` writes every file listed
//! here ([`super::export`]; docs/scenarios.md, reusable fixtures). Every key here is a public
//! TEST key (fixtures/README.md).

pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.toml");

/// What `signsim fixtures export` writes beside the fixtures: how to use them.
pub const EXPORT_README: &str = include_str!("export-readme.md");

macro_rules! fixtures {
    ($($path:literal),* $(,)?) => {
        /// Every fixture file, by its path relative to `fixtures/`, with its bytes.
        pub const FILES: &[(&str, &[u8])] = &[
            $(($path, include_bytes!(concat!("../../fixtures/", $path)))),*
        ];
    };
}

/// The embedded copy of a text fixture file, by its path relative to `fixtures/`.
pub fn fixture(path: &str) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(p, _)| *p == path)
        .and_then(|(_, bytes)| std::str::from_utf8(bytes).ok())
}

fixtures!(
    "README.md",
    "pki/root-ca.pem",
    "pki/root-ca.key",
    "pki/root-and-intermediates.pem",
    "pki/ca-01.pem",
    "pki/ca-01.key",
    "pki/ca-08.pem",
    "pki/ca-08.key",
    "pki/ca-gov.pem",
    "pki/ca-gov.key",
    "pki/customers/10320874334.key",
    "pki/customers/10320874334.pkcs1.key",
    "pki/customers/10320874334.private.xml",
    "pki/customers/10320874334.pub.pem",
    "pki/customers/10320874334.rsapub.pem",
    "pki/customers/10320874334.pub.xml",
    "pki/customers/14105318760.key",
    "pki/customers/14105318760.pkcs1.key",
    "pki/customers/14105318760.private.xml",
    "pki/customers/14105318760.pub.pem",
    "pki/customers/14105318760.rsapub.pem",
    "pki/customers/14105318760.pub.xml",
    "pki/customers/stranger.key",
    "pki/customers/stranger.pub.pem",
    "pki/approvers/approver-1.pem",
    "pki/approvers/approver-1.key",
    "pki/approvers/approver-2.pem",
    "pki/approvers/approver-2.key",
    "pki/approvers/approver-rogue.pem",
    "pki/approvers/approver-rogue.key",
    "pki/approvers/rogue-ca.pem",
    "pki/approvers/rogue-ca.key",
    "kz/root-ca.pem",
    "kz/root-ca.key",
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
    "docs/contract.txt",
    "docs/invoice.pdf",
    "docs/blob.bin",
);

#[cfg(test)]
mod tests {
    #[test]
    fn every_fixture_file_of_the_repository_is_embedded_except_the_generator() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut on_disk = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p
                        .strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    if rel != "generate.sh" {
                        on_disk.push(rel);
                    }
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = super::FILES.iter().map(|(p, _)| p.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
    }
}
