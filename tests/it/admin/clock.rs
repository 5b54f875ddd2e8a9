//! `POST /__admin/clock`: set and advance the scenario clock, bad input that changes nothing, a
//! clock kept inside its range, and what follows the clock: certificate expiry everywhere it is
//! reported, and the dates the issuing report selects by.

use crate::helpers::*;
use serde_json::{json, Value};

const MEHDI: &str = "0012345679";

#[test]
fn clock_set_and_advance_and_bad_input_changes_nothing() {
    let emu = TestEmulator::spawn();
    assert_eq!(
        emu.admin_ok("clock"),
        json!({"now": TEST_CLOCK, "frozen": true})
    );
    let (status, body) = emu.admin_post("clock", &json!({"set": "2027-01-15T10:30:00Z"}));
    assert_eq!(
        (status, &body),
        (200, &json!({"now": "2027-01-15T10:30:00Z", "frozen": true}))
    );
    assert_eq!(emu.advance("30d"), "2027-02-14T10:30:00Z");
    assert_eq!(emu.advance("2h"), "2027-02-14T12:30:00Z");
    assert_eq!(emu.advance("-1d"), "2027-02-13T12:30:00Z");
    assert_eq!(emu.advance("15m"), "2027-02-13T12:45:00Z");
    assert_eq!(emu.advance("90s"), "2027-02-13T12:46:30Z");
    // A set with an offset is the same instant in UTC.
    let (status, body) = emu.admin_post("clock", &json!({"set": "2026-06-01T11:30:00+03:30"}));
    assert_eq!((status, &body["now"]), (200, &json!(TEST_CLOCK)), "{body}");

    let unchanged = |resp: (u16, Value), needles: &[&str]| {
        assert_admin_error(&resp, 400, needles);
        assert_eq!(
            emu.clock_now(),
            TEST_CLOCK,
            "a refused clock change moved the clock"
        );
    };
    unchanged(
        emu.admin_post("clock", &json!({"set": "tomorrow"})),
        &["set", "'tomorrow'", "RFC 3339"],
    );
    unchanged(
        emu.admin_post("clock", &json!({"set": "2026-06-01 08:00"})),
        &["set", "'2026-06-01 08:00'"],
    );
    unchanged(
        emu.admin_post("clock", &json!({"advance": "3 weeks"})),
        &["'3 weeks'"],
    );
    unchanged(
        emu.admin_post("clock", &json!({"advance": "3w"})),
        &["'3w'", "unit 'w'"],
    );
    unchanged(
        emu.admin_post("clock", &json!({"advance": "d"})),
        &["'d'", "not a duration"],
    );
    unchanged(
        emu.admin_post("clock", &json!({"travel": "1d"})),
        &["set", "advance"],
    );
    unchanged(
        emu.admin_post_text("clock", "application/json", "advance 1d"),
        &["not JSON"],
    );
}

#[test]
fn after_366_days_an_issued_certificate_is_expired_everywhere_it_is_reported() {
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
    let history = |rnd: &str| {
        let body = json!({
            "customercode": Customer::A.customercode(),
            "SerialNumber": MEHDI,
            "rnd": rnd,
            "signature": Customer::A.sign_unicode(&format!("{MEHDI}{rnd}")),
        });
        let resp = emu.post("GetUserCertHistory", &body);
        assert_ok(&resp);
        resp.1["CertList"].clone()
    };
    let active = || {
        let (status, body) = emu.get("GetAllCert", &[("SerialNumber", MEHDI)]);
        assert_eq!(status, 200, "{body}");
        body["CertList"].clone()
    };
    // Bronze-Sign certificates are valid for 365 days: still active a day before the end.
    emu.advance("364d");
    assert_eq!(history("day-364")[0]["Status"], "Issued");
    assert_eq!(active().as_array().unwrap().len(), 1, "{}", active());
    emu.advance("2d");
    let list = history("day-366");
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["Status"], "Expired", "{list}");
    assert_eq!(list[0]["TrackingCode"], t.as_str(), "{list}");
    assert_eq!(active(), json!([]));
    // Back in time, it is active again: validity is read from the clock, not stored.
    emu.advance("-2d");
    assert_eq!(history("back")[0]["Status"], "Issued");
}

#[test]
fn issuing_report_ranges_follow_the_clock() {
    let emu = TestEmulator::spawn();
    let first = emu.register_mehdi();
    let (status, _) = emu.admin_post("clock", &json!({"set": "2026-07-15T08:00:00Z"}));
    assert_eq!(status, 200);
    let second = emu.register(&Customer::A, "01", "Bronze-Sign", zahra());
    let rec = emu.admin_ok(&format!("pki/tracking/{second}"));
    assert_eq!(rec["registered_at"], "2026-07-15T08:00:00Z", "{rec}");
    let rec = emu.admin_ok(&format!("pki/tracking/{first}"));
    assert_eq!(rec["registered_at"], TEST_CLOCK, "{rec}");
    let per_ca = |start: &str, end: &str| {
        let (status, body) = emu.post(
            "IssuingReport",
            &json!({"reportkey": Customer::A.report_key, "customercode": Customer::A.code,
                    "startdate": start, "enddate": end, "type": "PerCA", "id": ""}),
        );
        assert_eq!(status, 200, "{body}");
        body
    };
    let registered = |n: u64| {
        json!([{"caName": "01", "profileName": "Bronze-Sign", "status": "", "count": 0,
                "RegisterCount": n, "IssueCount": 0, "RevokeCount": 0}])
    };
    assert_eq!(per_ca("2026/07/15", "2026/07/15"), registered(1));
    assert_eq!(per_ca("2026/06/01", "2026/06/01"), registered(1));
    assert_eq!(per_ca("2026/06/02", "2026/07/14"), json!([]));
    assert_eq!(per_ca("2026/06/01", "2026/07/15"), registered(2));
    let detail = {
        let (_, body) = emu.post(
            "IssuingReport",
            &json!({"reportkey": Customer::A.report_key, "customercode": Customer::A.code,
                    "startdate": "2026/07/15", "enddate": "2026/07/15", "type": "detail", "id": ""}),
        );
        body
    };
    assert_eq!(detail[0]["TrackingCode"], second.as_str(), "{detail}");
    assert_eq!(
        detail[0]["RegisterDate"], "2026-07-15T08:00:00Z",
        "{detail}"
    );
}

#[test]
fn the_clock_refuses_to_leave_its_range_and_the_server_keeps_answering() {
    let emu = TestEmulator::spawn();
    let (status, body) = emu.admin_post("clock", &json!({"set": "9999-12-31T23:59:58Z"}));
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("outside the clock's range"),
        "{body}"
    );
    for _ in 0..45 {
        let (status, _) = emu.admin_post("clock", &json!({"advance": "73000d"}));
        if status == 400 {
            break;
        }
    }
    let (status, body) = emu.admin_post("clock", &json!({"advance": "999999999999999d"}));
    assert_eq!(status, 400, "{body}");
    let (status, v) = emu.get("GetVersion", &[]);
    assert_eq!((status, &v["Version"]), (200, &json!("1.8")));
    assert_eq!(emu.get_bytes("/crl/01.crl").0, 200);
}
