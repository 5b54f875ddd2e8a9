//! A CSR is DER (RFC 2986), and its self-signature covers only the `CertificationRequestInfo`:
//! the envelope around it — the outer SEQUENCE, the signatureAlgorithm, the signature BIT
//! STRING — can be altered without breaking the signature, so each alteration must be refused
//! by the parser itself. Each row changes one thing in the envelope of a real openssl CSR;
//! OpenSSL or Python `cryptography` (strict DER) refuse each of them too. Absent parameters,
//! which RFC 4055 (section 5) tells a reader to accept, are accepted.

use super::*;

/// `(header length, content length)` of the DER element at `at` (definite lengths only).
fn tlv(d: &[u8], at: usize) -> (usize, usize) {
    let first = d[at + 1];
    if first < 0x80 {
        return (2, usize::from(first));
    }
    let n = usize::from(first & 0x7f);
    let len = d[at + 2..at + 2 + n]
        .iter()
        .fold(0usize, |a, b| (a << 8) | usize::from(*b));
    (2 + n, len)
}

/// DER length octets of `n`.
fn len_octets(n: usize) -> Vec<u8> {
    if n < 0x80 {
        return vec![n as u8];
    }
    let bytes: Vec<u8> = n
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    let mut out = vec![0x80 | bytes.len() as u8];
    out.extend(bytes);
    out
}

fn element(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(len_octets(content.len()));
    out.extend_from_slice(content);
    out
}

/// A CSR's three parts: the signed info (whole element), the signatureAlgorithm's content
/// (OID element, then parameters) and the signature BIT STRING's content (unused-bits octet,
/// then the signature).
struct Parts {
    info: Vec<u8>,
    alg: Vec<u8>,
    sig: Vec<u8>,
}

impl Parts {
    fn of(csr: &[u8]) -> Parts {
        let (outer_head, _) = tlv(csr, 0);
        let (h, l) = tlv(csr, outer_head);
        let info_end = outer_head + h + l;
        let (ah, al) = tlv(csr, info_end);
        let alg_end = info_end + ah + al;
        let (sh, sl) = tlv(csr, alg_end);
        Parts {
            info: csr[outer_head..info_end].to_vec(),
            alg: csr[info_end + ah..alg_end].to_vec(),
            sig: csr[alg_end + sh..alg_end + sh + sl].to_vec(),
        }
    }

    /// The request again, with each part's tag given.
    fn build(&self, outer: u8, alg_tag: u8, alg: &[u8], sig_tag: u8, sig: &[u8]) -> Vec<u8> {
        let mut body = self.info.clone();
        body.extend(element(alg_tag, alg));
        body.extend(element(sig_tag, sig));
        element(outer, &body)
    }

    /// The signatureAlgorithm's OBJECT IDENTIFIER element.
    fn oid(&self) -> &[u8] {
        &self.alg[..2 + usize::from(self.alg[1])]
    }

    fn with_alg(&self, alg: &[u8]) -> Vec<u8> {
        self.build(0x30, 0x30, alg, 0x03, &self.sig)
    }

    fn with_sig(&self, sig: &[u8]) -> Vec<u8> {
        self.build(0x30, 0x30, &self.alg, 0x03, sig)
    }
}

/// An openssl CSR whose signature ends in an even octet, so that declaring one unused bit
/// leaves the padding bit zero (valid DER BIT STRING, only the count is wrong).
fn csr_with_even_last_octet(dir: &std::path::Path) -> Vec<u8> {
    for _ in 0..40 {
        let (_, csr) = openssl_csr(dir, 2048);
        if csr.last().is_some_and(|b| b % 2 == 0) {
            return csr;
        }
    }
    panic!("40 openssl CSRs in a row had a signature ending in an odd octet");
}

/// One altered request: what was changed, its bytes, a word the refusal must contain.
type Row = (&'static str, Vec<u8>, &'static str);

/// Tags, the OID and the parameters of the envelope changed, lengths kept minimal.
fn changed_tags_and_parameters(p: &Parts) -> Vec<Row> {
    let oid = p.oid();
    let with_params = |params: &[u8]| p.with_alg(&[oid, params].concat());
    let mut oid_tag = oid.to_vec();
    oid_tag[0] = 0x04;
    let mut unterminated = oid.to_vec();
    *unterminated.last_mut().unwrap() |= 0x80;
    let mut one_unused_bit = p.sig.clone();
    one_unused_bit[0] = 1;
    vec![
        (
            "outer SEQUENCE tag primitive (0x10)",
            p.build(0x10, 0x30, &p.alg, 0x03, &p.sig),
            "tag",
        ),
        (
            "outer SEQUENCE tag context-specific (0xb0)",
            p.build(0xb0, 0x30, &p.alg, 0x03, &p.sig),
            "expected SEQUENCE",
        ),
        (
            "signatureAlgorithm tag application (0x70)",
            p.build(0x30, 0x70, &p.alg, 0x03, &p.sig),
            "expected SEQUENCE",
        ),
        (
            "signatureAlgorithm OID tagged OCTET STRING",
            with_params_of(p, &oid_tag),
            "expected OBJECT IDENTIFIER",
        ),
        (
            "signatureAlgorithm OID's last arc unterminated",
            with_params_of(p, &unterminated),
            "OID",
        ),
        (
            "parameters an empty OCTET STRING, not NULL",
            with_params(&[0x04, 0x00]),
            "parameters are OCTET STRING",
        ),
        (
            "parameters an empty UTF8String, not NULL",
            with_params(&[0x0c, 0x00]),
            "parameters are UTF8String",
        ),
        (
            "parameters [8] constructed, not NULL",
            with_params(&[0xa8, 0x00]),
            "parameters are CONTEXT-SPECIFIC [8]",
        ),
        (
            "parameters NULL with content",
            with_params(&[0x05, 0x01, 0x00]),
            "parameters are NULL of length 1",
        ),
        (
            "bytes after the parameters",
            with_params(&[0x05, 0x00, 0x05, 0x00]),
            "trailing data",
        ),
        (
            "signature BIT STRING tag context-specific (0x83)",
            p.build(0x30, 0x30, &p.alg, 0x83, &p.sig),
            "expected BIT STRING",
        ),
        (
            "signature BIT STRING with 1 unused bit",
            p.with_sig(&one_unused_bit),
            "unused-bits octet is 1",
        ),
    ]
}

/// `oid` (the whole element) with NULL parameters, as the signatureAlgorithm.
fn with_params_of(p: &Parts, oid: &[u8]) -> Vec<u8> {
    p.with_alg(&[oid, &[0x05, 0x00]].concat())
}

/// Lengths that are not DER's, and bytes where the request has ended.
fn changed_lengths_and_ends(csr: &[u8], p: &Parts) -> Vec<Row> {
    let mut outer_long = vec![0x30, 0x84];
    outer_long.extend(((csr.len() - 4) as u32).to_be_bytes());
    outer_long.extend_from_slice(&csr[4..]);
    let sig_len = (p.sig.len() as u16).to_be_bytes();
    let long_sig = [&[0x03, 0x83, 0x00][..], &sig_len[..], &p.sig].concat();
    let alg = element(0x30, &p.alg);
    let sig_long = element(0x30, &[&p.info[..], &alg, &long_sig].concat());
    let mut indefinite = vec![0x30, 0x80];
    indefinite.extend_from_slice(&csr[4..]);
    indefinite.extend([0, 0]);
    let sig = element(0x03, &p.sig);
    let trailing_inside = element(0x30, &[&p.info[..], &alg, &sig, &[0x05, 0x00]].concat());
    vec![
        (
            "outer SEQUENCE length in 4 octets",
            outer_long,
            "incorrect length",
        ),
        (
            "signature BIT STRING length in 3 octets",
            sig_long,
            "incorrect length",
        ),
        ("outer SEQUENCE of indefinite length", indefinite, "DER"),
        (
            "bytes after the signature inside the request",
            trailing_inside,
            "trailing data",
        ),
        (
            "bytes after the request",
            [csr, &[0]].concat(),
            "follow the request",
        ),
    ]
}

#[test]
fn a_csr_whose_envelope_is_not_der_is_refused_in_the_pki_shape() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register_mehdi();
    let csr = csr_with_even_last_octet(dir.path());
    let p = Parts::of(&csr);
    assert_eq!(p.with_sig(&p.sig), csr, "the parts rebuild the request");
    assert_eq!(
        &p.alg[p.oid().len()..],
        [0x05, 0x00],
        "openssl writes NULL parameters"
    );
    let mut rows = changed_tags_and_parameters(&p);
    rows.extend(changed_lengths_and_ends(&csr, &p));
    for (what, bad, needle) in &rows {
        assert_ne!(bad, &csr, "{what}: the row changes the request");
        let r = emu.issue_certificate(&Customer::A, "01", "Bronze-Sign", &tracking, bad);
        eprintln!("{what}: {}", r.1["ErrorMessage"]);
        assert_refused(&r, 200, 404, &["csr: ", needle]);
    }
    assert_eq!(emu.state_of(&tracking), "Registered");
    // RFC 4055, section 5: a reader accepts the parameters absent as well as NULL.
    let absent = p.with_alg(p.oid());
    assert_ok(&emu.issue_certificate(&Customer::A, "01", "Bronze-Sign", &tracking, &absent));
    assert_eq!(emu.state_of(&tracking), "Issued");
}
