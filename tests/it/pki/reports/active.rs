//! GetAllCert and GetAllMobileCert: the active certificates of a person across CAs and customers
//! (not revoked, pending or expired ones), the filters, and the configured latency.

use super::*;
use std::time::{Duration, Instant};

#[test]
fn get_all_cert_lists_active_certificates_across_cas_and_customers() {
    let emu = TestEmulator::spawn();
    let w = build_world(&emu);
    let (status, body) = emu.get("GetAllCert", &[("SerialNumber", MEHDI)]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["IsSuccess"], true, "{body}");
    assert_eq!(body["ErrorCode"], 0, "{body}");
    let list = &body["CertList"];
    // A's two active ones (CA 01 and CA 08) and B's; not the revoked one, not the pending one.
    assert_eq!(
        codes(list),
        sorted(&[&w.issued, &w.silver, &w.b_mehdi]),
        "{list}"
    );
    for life in [&w.issued, &w.silver, &w.b_mehdi] {
        let i = item(list, life);
        assert_eq!(i["Status"], "Issued", "{i}");
        assert_eq!(i["Certificate"], life.cert.as_str(), "{i}");
        assert_eq!(i["RevokeDate"], "", "{i}");
    }
    let (_, body) = emu.get("GetAllCert", &[("SerialNumber", REZA)]);
    assert_eq!(codes(&body["CertList"]), sorted(&[&w.reza]));
    // Registered only: nothing active.
    let (_, body) = emu.get("GetAllCert", &[("SerialNumber", ZAHRA)]);
    assert_eq!(body["CertList"], json!([]), "{body}");
    // Once the last active one of a person is revoked it is gone.
    let resp = emu.revoke_certificate(&Customer::A, &w.reza.cert, 4);
    assert_ok(&resp);
    let (_, body) = emu.get("GetAllCert", &[("SerialNumber", REZA)]);
    assert_eq!(body["CertList"], json!([]), "{body}");
}

#[test]
fn get_all_cert_without_serial_number_is_refused() {
    let emu = TestEmulator::spawn();
    let resp = emu.get("GetAllCert", &[]);
    assert_refused(&resp, 200, 102, &["SerialNumber"]);
    assert_eq!(resp.1["CertList"], Value::Null);
}

#[test]
fn get_all_cert_honours_the_configured_latency() {
    let emu = TestEmulator::spawn_edited(|t| {
        let line = "get_all_cert_latency_ms = 0 ";
        assert!(t.contains(line), "the default scenario changed");
        t.replace(line, "get_all_cert_latency_ms = 800 ")
    });
    let dir = tempfile::tempdir().unwrap();
    let t = emu.register_mehdi();
    let issued = emu.issue(
        &Customer::A,
        "01",
        "Bronze-Sign",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    );
    let started = Instant::now();
    let (status, body) = emu.get("GetAllCert", &[("SerialNumber", MEHDI)]);
    let took = started.elapsed();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["CertList"][0]["Certificate"], issued["Certificate"],
        "{body}"
    );
    assert!(
        took >= Duration::from_millis(800),
        "GetAllCert answered in {took:?} despite get_all_cert_latency_ms = 800"
    );
}

fn mobile(emu: &TestEmulator, query: &[(&str, &str)]) -> Vec<String> {
    let (status, body) = emu.get("GetAllMobileCert", query);
    assert_eq!(status, 200, "{query:?}: {body}");
    assert_eq!(body["IsSuccess"], true, "{query:?}: {body}");
    codes(&body["CertList"])
}

#[test]
fn get_all_mobile_cert_requires_national_code_or_tracking_code() {
    let emu = TestEmulator::spawn();
    for query in [
        vec![],
        vec![("CAName", "01")],
        vec![("NationalCode", ""), ("TrackingCode", "")],
    ] {
        let resp = emu.get("GetAllMobileCert", &query);
        assert_refused(
            &resp,
            200,
            102,
            &["NationalCode or TrackingCode is required"],
        );
        assert_eq!(resp.1["CertList"], Value::Null);
    }
}

#[test]
fn get_all_mobile_cert_filters() {
    let emu = TestEmulator::spawn();
    let w = build_world(&emu);
    let all_mehdi = sorted(&[&w.issued, &w.silver, &w.b_mehdi]);
    assert_eq!(mobile(&emu, &[("NationalCode", MEHDI)]), all_mehdi);
    // TrackingCode wins over a NationalCode that does not match it.
    assert_eq!(
        mobile(
            &emu,
            &[("NationalCode", MEHDI), ("TrackingCode", &w.reza.tracking)]
        ),
        sorted(&[&w.reza])
    );
    assert_eq!(
        mobile(&emu, &[("TrackingCode", &w.issued.tracking)]),
        sorted(&[&w.issued])
    );
    // Only active certificates: the revoked lifecycle's tracking code, restarted (one tracking
    // code per subject DN), gives only the renewed certificate; the pending code gives nothing.
    assert_eq!(w.revoked.tracking, w.issued.tracking);
    assert_eq!(
        mobile(&emu, &[("TrackingCode", &w.revoked.tracking)]),
        sorted(&[&w.issued])
    );
    assert!(mobile(&emu, &[("TrackingCode", &w.pending.tracking)]).is_empty());
    // CAName.
    assert_eq!(
        mobile(&emu, &[("NationalCode", MEHDI), ("CAName", "08")]),
        sorted(&[&w.silver])
    );
    assert_eq!(
        mobile(&emu, &[("NationalCode", MEHDI), ("CAName", "01")]),
        sorted(&[&w.issued, &w.b_mehdi])
    );
    assert!(mobile(
        &emu,
        &[("TrackingCode", &w.reza.tracking), ("CAName", "08")]
    )
    .is_empty());
    // CustomerCode.
    assert_eq!(
        mobile(
            &emu,
            &[("NationalCode", MEHDI), ("CustomerCode", Customer::B.code)]
        ),
        sorted(&[&w.b_mehdi])
    );
    assert_eq!(
        mobile(
            &emu,
            &[("NationalCode", MEHDI), ("CustomerCode", Customer::A.code)]
        ),
        sorted(&[&w.issued, &w.silver])
    );
    // Both filters.
    assert_eq!(
        mobile(
            &emu,
            &[
                ("NationalCode", MEHDI),
                ("CustomerCode", Customer::A.code),
                ("CAName", "01")
            ]
        ),
        sorted(&[&w.issued])
    );
    let (_, body) = emu.get(
        "GetAllMobileCert",
        &[("NationalCode", MEHDI), ("CAName", "08")],
    );
    let i = &body["CertList"][0];
    assert_eq!(i["Certificate"], w.silver.cert.as_str(), "{body}");
    assert!(i["Issuer"].as_str().unwrap().contains(SILVER_CA), "{body}");
}

#[test]
fn expired_certificates_are_not_active() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let t = emu.register_mehdi();
    emu.issue(
        &Customer::A,
        "01",
        "Bronze-Sign",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    );
    let (_, body) = emu.get("GetAllCert", &[("SerialNumber", MEHDI)]);
    assert_eq!(codes(&body["CertList"]), vec![t.clone()]);
    // Bronze-Sign is valid for 365 days.
    emu.advance("366d");
    let (_, body) = emu.get("GetAllCert", &[("SerialNumber", MEHDI)]);
    assert_eq!(body["CertList"], json!([]), "{body}");
    assert!(mobile(&emu, &[("NationalCode", MEHDI)]).is_empty());
    let resp = history(&emu, &Customer::A, MEHDI, "after-expiry");
    assert_ok(&resp);
    assert_eq!(resp.1["CertList"][0]["Status"], "Expired", "{}", resp.1);
}
