//! RSA-1024 PKCS#1 v1.5 SHA-1 verifications per second on one core, through the same
//! `PublicKey::verifies` the PKI API uses: the floor of what a signed PKI call costs. `cargo run --release --example rsa_verify_speed`

use signsim::crypto::rsa::{parse_private_key, sign_sha1, Hash, PublicKey};

fn main() {
    let key = std::fs::read_to_string("fixtures/pki/customers/10320874334.key")
        .expect("run from the repository root");
    let sk = parse_private_key(&key).expect("key");
    let pk = PublicKey::from_rsa(rsa::RsaPublicKey::from(&sk));
    let data = signsim::crypto::utf16le("10320874334-1234-0012345679");
    let sig = sign_sha1(&sk, &data).expect("sign");
    let n = 20_000;
    let t = std::time::Instant::now();
    for _ in 0..n {
        assert!(pk.verifies(Hash::Sha1, &data, &sig));
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{:.0} verifies/s ({:.1} µs each)",
        n as f64 / secs,
        secs * 1e6 / n as f64
    );
}
