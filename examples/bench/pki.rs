//! PKI RA requests of the default scenario's customers and how their answers are judged.

use crate::http::{b64, post};

/// A PKI success: HTTP 200 and `"IsSuccess":true`.
pub fn ok_pki(s: u16, b: &[u8]) -> bool {
    s == 200
        && (b.windows(16).any(|w| w == b"\"IsSuccess\":true") || b.starts_with(b"{\"IsSuccess"))
}

/// RegisterInfo of registry person Mehdi Ahmadi by customer 10320874334 (every identity
/// check), signed: after the first, each one is an idempotent repeat.
pub fn register_body() -> Vec<u8> {
    let key = std::fs::read_to_string("fixtures/pki/customers/10320874334.key")
        .expect("run from the repository root");
    let sk = signsim::crypto::rsa::parse_private_key(&key).expect("key");
    let sig = signsim::crypto::rsa::sign_sha1(
        &sk,
        &signsim::crypto::utf16le("10320874334-1234-0012345679"),
    )
    .expect("sign");
    let body = serde_json::json!({
        "caName": "01", "customercode": "10320874334-1234", "profileName": "Bronze-Sign",
        "signature": b64(&sig),
        "personData": {"NationalCode": "0012345679", "Name": "مهدی", "LastName": "احمدی",
            "EnName": "Mehdi", "EnLastName": "Ahmadi", "FatherName": "حسن", "IsMan": true,
            "Telephone": "09121234567", "BirthDate": "1990/05/12", "TokenType": "USERGENERATED",
            "City": "تهران", "ProvinceName": "تهران", "PostalCode": "1136913111",
            "Email": "mehdi@example.test"}
    });
    post(
        "/api/RegisterInfo",
        "application/json",
        body.to_string().as_bytes(),
    )
}
