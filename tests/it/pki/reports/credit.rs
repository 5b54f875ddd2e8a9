//! GetCredit: the credit as a string, opened only by the customer's own report key.

use super::*;

#[test]
fn get_credit_answers_the_credit_as_a_string() {
    let emu = TestEmulator::spawn();
    let resp = get_credit(&emu, Customer::A.code, Some(Customer::A.report_key));
    assert_ok(&resp);
    assert_eq!(resp.1["Credit"], json!("10000000"), "{}", resp.1);
    let resp = get_credit(&emu, Customer::B.code, Some(Customer::B.report_key));
    assert_ok(&resp);
    assert_eq!(resp.1["Credit"], json!("1000000"), "{}", resp.1);
    // Issuing is reflected.
    let dir = tempfile::tempdir().unwrap();
    let t = emu.register_mehdi();
    emu.issue(
        &Customer::A,
        "01",
        "Bronze-Sign",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    );
    let resp = get_credit(&emu, Customer::A.code, Some(Customer::A.report_key));
    assert_eq!(resp.1["Credit"], json!("9850000"), "{}", resp.1);
}

#[test]
fn get_credit_with_a_wrong_or_missing_reportkey_is_refused() {
    let emu = TestEmulator::spawn();
    // B's key does not open A's credit.
    let resp = get_credit(&emu, Customer::A.code, Some(Customer::B.report_key));
    assert_refused(
        &resp,
        200,
        205,
        &[
            "reportkey",
            Customer::B.report_key,
            "not customer 10320874334's report key",
        ],
    );
    assert_eq!(resp.1["Credit"], Value::Null, "{}", resp.1);
    for key in [None, Some("")] {
        let resp = get_credit(&emu, Customer::A.code, key);
        assert_refused(&resp, 200, 205, &["reportkey is missing"]);
        assert_eq!(resp.1["Credit"], Value::Null, "{}", resp.1);
    }
    assert_eq!(emu.credit(&Customer::A), FULL_A);
}
