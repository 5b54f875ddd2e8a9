//! The report methods (SPEC 1.5, issue 3): GetCredit, GetUserCertHistory (signed, replay
//! window), GetAllCert (active certificates across customers, configured latency),
//! GetAllMobileCert (filters), IssuingReport (PerCA, PerCA&Status, detail paging, both
//! calendars). Every report is checked against a world built over real HTTP; signatures are
//! made by openssl over UTF-16LE made by iconv.

use crate::helpers::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const MEHDI: &str = "0012345679";
const ZAHRA: &str = "0023456787";
const REZA: &str = "0061204501";
const FULL_A: i64 = 10_000_000;
const FULL_B: i64 = 1_000_000;
const BRONZE: i64 = 150_000;
const SILVER: i64 = 600_000;
const LOOKUP: i64 = 20_000;
const TODAY: &str = "2026/06/01";
/// 2026/06/01 in the Solar Hijri calendar (see `solar_hijri_day_is_the_gregorian_day`).
const TODAY_SH: &str = "1405/03/11";
const BRONZE_CA: &str = "TEST PKI Private Intermediate Bronze CA - G3";
const SILVER_CA: &str = "TEST PKI Private Intermediate Silver CA - G3";

/// A lifecycle the world made: tracking code and (if issued) base64 certificate.
#[derive(Clone, Debug)]
struct Life {
    tracking: String,
    cert: String,
}

/// Every report test's world, all on the frozen day 2026-06-01:
/// customer A — Mehdi: `revoked` (Bronze-Sign, issued then revoked), `issued` (Bronze-Sign,
/// registered again and issued), `pending` (Bronze-Sign-InPerson, awaiting approval),
/// `silver` (CA 08, approved and issued); Zahra: `zahra` (registered only); Reza: `reza`
/// (issued). Customer B — Mehdi by name lookup: `b_mehdi` (issued, price + lookup).
struct World {
    revoked: Life,
    issued: Life,
    pending: Life,
    silver: Life,
    zahra: Life,
    reza: Life,
    b_mehdi: Life,
}

fn issued_life(tracking: String, body: Value) -> Life {
    assert_eq!(body["PaymentStatus"], "Paid", "{body}");
    Life {
        tracking,
        cert: body["Certificate"].as_str().unwrap().to_string(),
    }
}

fn build_world(emu: &TestEmulator) -> World {
    let dir = tempfile::tempdir().unwrap();
    let (_k, csr) = openssl_csr(dir.path(), 2048);

    let t = emu.register_mehdi();
    let revoked = issued_life(
        t.clone(),
        emu.issue(&Customer::A, "01", "Bronze-Sign", &t, &csr),
    );
    let resp = emu.revoke_certificate(&Customer::A, &revoked.cert, 1);
    assert_ok(&resp);
    assert_eq!(emu.state_of(&revoked.tracking), "Revoked");

    let t = emu.register_mehdi();
    assert_ne!(t, revoked.tracking, "a revoked lifecycle starts a new one");
    let issued = issued_life(
        t.clone(),
        emu.issue(&Customer::A, "01", "Bronze-Sign", &t, &csr),
    );

    let pending = Life {
        tracking: emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi()),
        cert: String::new(),
    };
    assert_eq!(emu.state_of(&pending.tracking), "AwaitingApproval");

    let t = emu.register(&Customer::A, "08", "Silver-Sign", mehdi());
    emu.approve_in_person(&Customer::A, MEHDI, &t);
    let silver = issued_life(
        t.clone(),
        emu.issue(&Customer::A, "08", "Silver-Sign", &t, &csr),
    );

    let zahra = Life {
        tracking: emu.register(&Customer::A, "01", "Bronze-Sign", zahra()),
        cert: String::new(),
    };
    let t = emu.register(&Customer::A, "01", "Bronze-Sign", reza());
    let reza = issued_life(
        t.clone(),
        emu.issue(&Customer::A, "01", "Bronze-Sign", &t, &csr),
    );

    // Customer B looks the names up: only the national code is sent.
    let t = emu.register(
        &Customer::B,
        "01",
        "Bronze-Sign",
        json!({"NationalCode": MEHDI, "TokenType": "USERGENERATED"}),
    );
    let b_mehdi = issued_life(
        t.clone(),
        emu.issue(&Customer::B, "01", "Bronze-Sign", &t, &csr),
    );

    assert_eq!(emu.credit(&Customer::A), FULL_A - 3 * BRONZE - SILVER);
    assert_eq!(emu.credit(&Customer::B), FULL_B - BRONZE - LOOKUP);
    World {
        revoked,
        issued,
        pending,
        silver,
        zahra,
        reza,
        b_mehdi,
    }
}

/// The tracking codes of a CertList, sorted.
fn codes(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list
        .as_array()
        .unwrap_or_else(|| panic!("CertList is not an array: {list}"))
        .iter()
        .map(|i| i["TrackingCode"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn sorted(lives: &[&Life]) -> Vec<String> {
    let mut v: Vec<String> = lives.iter().map(|l| l.tracking.clone()).collect();
    v.sort();
    v
}

fn item<'a>(list: &'a Value, life: &Life) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|i| i["TrackingCode"] == life.tracking.as_str())
        .unwrap_or_else(|| panic!("{} not in {list}", life.tracking))
}

// ── GetCredit ────────────────────────────────────────────────────────────────────────────

fn get_credit(emu: &TestEmulator, customer: &str, key: Option<&str>) -> (u16, Value) {
    let mut body = json!({"customercode": customer});
    if let Some(k) = key {
        body["reportkey"] = json!(k);
    }
    emu.post("GetCredit", &body)
}

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
        401,
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
        assert_refused(&resp, 401, 205, &["reportkey is missing"]);
        assert_eq!(resp.1["Credit"], Value::Null, "{}", resp.1);
    }
    assert_eq!(emu.credit(&Customer::A), FULL_A);
}

// ── GetUserCertHistory ───────────────────────────────────────────────────────────────────

fn history_body(c: &Customer, serial: &str, rnd: &str) -> Value {
    json!({
        "customercode": c.customercode(),
        "SerialNumber": serial,
        "rnd": rnd,
        "signature": c.sign_unicode(&format!("{serial}{rnd}")),
    })
}

fn history(emu: &TestEmulator, c: &Customer, serial: &str, rnd: &str) -> (u16, Value) {
    emu.post("GetUserCertHistory", &history_body(c, serial, rnd))
}

#[test]
fn history_lists_every_lifecycle_of_the_calling_customer_with_statuses_and_dates() {
    let emu = TestEmulator::spawn();
    let w = build_world(&emu);
    let resp = history(&emu, &Customer::A, MEHDI, "rnd-0001");
    assert_ok(&resp);
    let list = &resp.1["CertList"];
    // Mehdi's four lifecycles under A; not B's, not Zahra's or Reza's.
    assert_eq!(
        codes(list),
        sorted(&[&w.revoked, &w.issued, &w.pending, &w.silver]),
        "{list}"
    );

    let revoked = item(list, &w.revoked);
    assert_eq!(revoked["Status"], "Revoked", "{revoked}");
    assert_eq!(revoked["Certificate"], w.revoked.cert.as_str());
    assert_eq!(revoked["RegisterDate"], "2026-06-01T08:00:00Z");
    assert_eq!(revoked["IssueDate"], "2026-06-01T08:00:00Z");
    assert_eq!(revoked["RevokeDate"], "2026-06-01T08:00:00Z");
    assert!(
        revoked["Issuer"].as_str().unwrap().contains(BRONZE_CA),
        "{revoked}"
    );

    let issued = item(list, &w.issued);
    assert_eq!(issued["Status"], "Issued", "{issued}");
    assert_eq!(issued["Certificate"], w.issued.cert.as_str());
    assert_eq!(issued["RegisterDate"], "2026-06-01T08:00:00Z");
    assert_eq!(issued["IssueDate"], "2026-06-01T08:00:00Z");
    assert_eq!(issued["RevokeDate"], "", "{issued}");

    let pending = item(list, &w.pending);
    assert_eq!(pending["Status"], "Registered", "{pending}");
    assert_eq!(pending["Certificate"], "", "{pending}");
    assert_eq!(pending["RegisterDate"], "2026-06-01T08:00:00Z");
    assert_eq!(pending["IssueDate"], "", "{pending}");
    assert_eq!(pending["RevokeDate"], "", "{pending}");

    let silver = item(list, &w.silver);
    assert_eq!(silver["Status"], "Issued", "{silver}");
    assert!(
        silver["Issuer"].as_str().unwrap().contains(SILVER_CA),
        "{silver}"
    );
    assert_eq!(silver["Certificate"], w.silver.cert.as_str());

    // Ids identify the lifecycles: distinct.
    let ids: BTreeSet<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["Id"].to_string())
        .collect();
    assert_eq!(ids.len(), 4, "{list}");

    // Customer B sees only its own lifecycle of Mehdi.
    let resp = history(&emu, &Customer::B, MEHDI, "rnd-0001");
    assert_ok(&resp);
    assert_eq!(codes(&resp.1["CertList"]), sorted(&[&w.b_mehdi]));
    assert_eq!(item(&resp.1["CertList"], &w.b_mehdi)["Status"], "Issued");

    // Somebody with no lifecycle: an empty list.
    let resp = history(&emu, &Customer::B, ZAHRA, "rnd-0002");
    assert_ok(&resp);
    assert_eq!(resp.1["CertList"], json!([]));
}

#[test]
fn history_refuses_a_reused_rnd_but_accepts_a_new_one() {
    let emu = TestEmulator::spawn();
    let t = emu.register_mehdi();
    assert_ok(&history(&emu, &Customer::A, MEHDI, "once-only-42"));
    let resp = history(&emu, &Customer::A, MEHDI, "once-only-42");
    assert_refused(
        &resp,
        401,
        210,
        &[
            "rnd 'once-only-42'",
            "already used",
            Customer::A.code,
            "replay_window_seconds",
        ],
    );
    assert_eq!(resp.1["CertList"], Value::Null, "{}", resp.1);
    let resp = history(&emu, &Customer::A, MEHDI, "once-only-43");
    assert_ok(&resp);
    assert_eq!(codes(&resp.1["CertList"]), vec![t]);
    // The window is per customer: B may use the same random string.
    assert_ok(&history(&emu, &Customer::B, MEHDI, "once-only-42"));
}

#[test]
fn history_with_a_bad_signature_is_refused_and_does_not_burn_the_rnd() {
    let emu = TestEmulator::spawn();
    emu.register_mehdi();
    let text = format!("{MEHDI}fresh-rnd");
    let mut body = history_body(&Customer::A, MEHDI, "fresh-rnd");
    body["signature"] = json!(Customer::A.sign(text.as_bytes()));
    let resp = emu.post("GetUserCertHistory", &body);
    assert_refused(&resp, 401, 203, &["UTF-8", "UTF-16LE", &text]);
    body["signature"] = json!(sign_unicode(&fixture("pki/customers/stranger.key"), &text));
    let resp = emu.post("GetUserCertHistory", &body);
    assert_refused(
        &resp,
        401,
        203,
        &["does not verify", &text, Customer::A.code],
    );
    // Signed over another rnd than the one sent.
    body["signature"] = json!(Customer::A.sign_unicode(&format!("{MEHDI}other-rnd")));
    let resp = emu.post("GetUserCertHistory", &body);
    assert_refused(&resp, 401, 203, &["does not verify", &text]);
    // The refused calls did not record the rnd.
    let resp = history(&emu, &Customer::A, MEHDI, "fresh-rnd");
    assert_ok(&resp);
    assert_eq!(resp.1["CertList"].as_array().unwrap().len(), 1);
}

#[test]
fn history_without_rnd_is_refused() {
    let emu = TestEmulator::spawn();
    let resp = history(&emu, &Customer::A, MEHDI, "");
    assert_refused(&resp, 200, 102, &["rnd is missing"]);
}

// ── GetAllCert ───────────────────────────────────────────────────────────────────────────

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

// ── GetAllMobileCert ─────────────────────────────────────────────────────────────────────

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
    // Only active certificates: the revoked and the pending tracking codes give nothing.
    assert!(mobile(&emu, &[("TrackingCode", &w.revoked.tracking)]).is_empty());
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

// ── IssuingReport ────────────────────────────────────────────────────────────────────────

fn report_body(
    customer: &str,
    key: &str,
    start: &str,
    end: &str,
    kind: &str,
    id: Option<u64>,
) -> Value {
    let mut body = json!({
        "reportkey": key,
        "customercode": customer,
        "startdate": start,
        "enddate": end,
        "type": kind,
    });
    if let Some(id) = id {
        body["id"] = json!(id);
    }
    body
}

/// A successful IssuingReport's top-level array.
fn report(
    emu: &TestEmulator,
    customer: &str,
    key: &str,
    range: (&str, &str),
    kind: &str,
    id: Option<u64>,
) -> Vec<Value> {
    let (status, body) = emu.post(
        "IssuingReport",
        &report_body(customer, key, range.0, range.1, kind, id),
    );
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap_or_else(|| panic!("{kind}: not a top-level JSON array: {body}"))
        .clone()
}

fn report_a(emu: &TestEmulator, range: (&str, &str), kind: &str) -> Vec<Value> {
    report(
        emu,
        Customer::A.code,
        Customer::A.report_key,
        range,
        kind,
        None,
    )
}

fn row(ca: &str, profile: &str, status: &str, c: [u64; 4]) -> Value {
    json!({"caName": ca, "profileName": profile, "status": status, "count": c[0],
           "RegisterCount": c[1], "IssueCount": c[2], "RevokeCount": c[3]})
}

/// Rows sorted by (caName, profileName, status): the order is not part of the contract.
fn rows_sorted(mut rows: Vec<Value>) -> Vec<Value> {
    rows.sort_by_key(|r| {
        (
            r["caName"].to_string(),
            r["profileName"].to_string(),
            r["status"].to_string(),
        )
    });
    rows
}

#[test]
fn per_ca_counts_registrations_issues_and_revocations() {
    let emu = TestEmulator::spawn();
    let _w = build_world(&emu);
    let rows = rows_sorted(report_a(&emu, (TODAY, TODAY), "PerCA"));
    // 01/Bronze-Sign: Mehdi twice (one revoked), Zahra (registered), Reza.
    assert_eq!(
        rows,
        vec![
            row("01", "Bronze-Sign", "", [3, 4, 3, 1]),
            row("01", "Bronze-Sign-InPerson", "", [0, 1, 0, 0]),
            row("08", "Silver-Sign", "", [1, 1, 1, 0]),
        ]
    );
    // Customer B's report holds B's activity only.
    let rows = report(
        &emu,
        Customer::B.code,
        Customer::B.report_key,
        (TODAY, TODAY),
        "PerCA",
        None,
    );
    assert_eq!(rows, vec![row("01", "Bronze-Sign", "", [1, 1, 1, 0])]);
}

#[test]
fn per_ca_and_status_splits_by_current_status() {
    let emu = TestEmulator::spawn();
    let _w = build_world(&emu);
    let rows = rows_sorted(report_a(&emu, (TODAY, TODAY), "PerCA&Status"));
    assert_eq!(
        rows,
        vec![
            row("01", "Bronze-Sign", "Issued", [2, 2, 2, 0]),
            row("01", "Bronze-Sign", "Registered", [1, 1, 0, 0]),
            row("01", "Bronze-Sign", "Revoked", [1, 1, 1, 1]),
            row("01", "Bronze-Sign-InPerson", "Registered", [1, 1, 0, 0]),
            row("08", "Silver-Sign", "Issued", [1, 1, 1, 0]),
        ]
    );
}

#[test]
fn detail_lists_each_lifecycle_with_price_including_name_lookup() {
    let emu = TestEmulator::spawn();
    let w = build_world(&emu);
    let items = report_a(&emu, (TODAY, TODAY), "detail");
    let got: Vec<String> = items
        .iter()
        .map(|i| i["TrackingCode"].as_str().unwrap().to_string())
        .collect();
    let mut want = sorted(&[
        &w.revoked, &w.issued, &w.pending, &w.silver, &w.zahra, &w.reza,
    ]);
    want.sort_by_key(|c| c.parse::<u64>().unwrap());
    assert_eq!(got, want, "ascending Id, A's lifecycles only");
    let find = |life: &Life| {
        items
            .iter()
            .find(|i| i["TrackingCode"] == life.tracking.as_str())
            .unwrap()
            .clone()
    };
    let revoked = find(&w.revoked);
    assert_eq!(revoked["Status"], "Revoked");
    assert_eq!(revoked["Price"], BRONZE);
    assert_eq!(revoked["RevokeDate"], "2026-06-01T08:00:00Z");
    assert_eq!(
        revoked["SerialNumber"]
            .as_str()
            .unwrap()
            .trim_start_matches('0')
            .to_uppercase(),
        openssl_serial(&unb64(&w.revoked.cert)).trim_start_matches('0'),
        "{revoked}"
    );
    assert_eq!(find(&w.silver)["Price"], SILVER);
    assert_eq!(find(&w.silver)["CAName"], "08");
    assert_eq!(find(&w.zahra)["Status"], "Registered");
    assert_eq!(find(&w.zahra)["Price"], Value::Null);
    assert_eq!(find(&w.zahra)["NationalCode"], ZAHRA);
    assert_eq!(find(&w.pending)["ProfileName"], "Bronze-Sign-InPerson");

    // B: the profile price plus the name-lookup price, and the looked-up names.
    let items = report(
        &emu,
        Customer::B.code,
        Customer::B.report_key,
        (TODAY, TODAY),
        "detail",
        None,
    );
    assert_eq!(items.len(), 1, "{items:?}");
    let b = &items[0];
    assert_eq!(b["TrackingCode"], w.b_mehdi.tracking.as_str());
    assert_eq!(b["Price"], BRONZE + LOOKUP, "{b}");
    assert_eq!(b["FirstName"], "مهدی", "{b}");
    assert_eq!(b["LastName"], "احمدی", "{b}");
    assert_eq!(b["Status"], "Issued", "{b}");
    assert_eq!(b["IssueDate"], "2026-06-01T08:00:00Z", "{b}");
    assert_eq!(
        get_credit(&emu, Customer::B.code, Some(Customer::B.report_key)).1["Credit"],
        json!((FULL_B - BRONZE - LOOKUP).to_string())
    );
}

#[test]
fn solar_hijri_day_is_the_gregorian_day() {
    // Independent of src/ids.rs: Nowruz 1405 is 2026-03-21 (the March equinox falls on
    // 2026-03-20 at 14:46 UTC, after noon in Tehran), months 1–6 have 31 days, so
    // 1405/03/11 is 31 + 31 + 10 days later.
    let nowruz = time::Date::from_calendar_date(2026, time::Month::March, 21).unwrap();
    assert_eq!(
        nowruz + time::Duration::days(31 + 31 + 10),
        time::Date::from_calendar_date(2026, time::Month::June, 1).unwrap()
    );
}

#[test]
fn solar_hijri_range_equals_the_gregorian_range() {
    let emu = TestEmulator::spawn();
    let _w = build_world(&emu);
    for kind in ["PerCA", "PerCA&Status", "detail"] {
        let gregorian = report_a(&emu, (TODAY, TODAY), kind);
        assert!(!gregorian.is_empty(), "{kind}");
        assert_eq!(
            report_a(&emu, (TODAY_SH, TODAY_SH), kind),
            gregorian,
            "{kind}"
        );
        // Wider ranges: Khordad 1405 is 2026/05/22 … 2026/06/21; mixed calendars too.
        assert_eq!(
            report_a(&emu, ("1405/03/01", "1405/03/31"), kind),
            gregorian,
            "{kind}"
        );
        assert_eq!(
            report_a(&emu, ("2026/05/22", "1405/03/11"), kind),
            gregorian,
            "{kind}"
        );
        // Ranges that exclude the day, on either side.
        for range in [
            ("2026/06/02", "2026/06/30"),
            ("1405/03/12", "1405/03/31"),
            ("2026/05/01", "2026/05/31"),
            ("1405/03/01", "1405/03/10"),
        ] {
            assert_eq!(
                report_a(&emu, range, kind),
                Vec::<Value>::new(),
                "{kind} {range:?}"
            );
        }
    }
}

#[test]
fn issuing_report_refusals() {
    let emu = TestEmulator::spawn();
    let post = |body: Value| emu.post("IssuingReport", &body);
    let resp = post(report_body(
        Customer::A.code,
        Customer::B.report_key,
        TODAY,
        TODAY,
        "PerCA",
        None,
    ));
    assert_refused(
        &resp,
        401,
        205,
        &["reportkey", "not customer 10320874334's"],
    );
    let resp = post(report_body(
        Customer::A.code,
        "",
        TODAY,
        TODAY,
        "PerCA",
        None,
    ));
    assert_refused(&resp, 401, 205, &["reportkey is missing"]);
    let resp = post(report_body(
        Customer::A.code,
        Customer::A.report_key,
        "2026/06/02",
        "2026/06/01",
        "PerCA",
        None,
    ));
    assert_refused(&resp, 200, 103, &["enddate", "before startdate"]);
    let resp = post(report_body(
        Customer::A.code,
        Customer::A.report_key,
        "1405/03/12",
        TODAY,
        "detail",
        None,
    ));
    assert_refused(&resp, 200, 103, &["enddate", "before startdate"]);
    let resp = post(report_body(
        Customer::A.code,
        Customer::A.report_key,
        TODAY,
        TODAY,
        "PerDay",
        None,
    ));
    assert_refused(&resp, 200, 103, &["type", "PerCA, PerCA&Status or detail"]);
    for bad in ["yesterday", "2026/13/01", "1405/02/32"] {
        let resp = post(report_body(
            Customer::A.code,
            Customer::A.report_key,
            bad,
            TODAY,
            "PerCA",
            None,
        ));
        assert_refused(&resp, 200, 103, &["startdate", bad, "yyyy/mm/dd"]);
    }
    let resp = post(report_body(
        "99999999999",
        Customer::A.report_key,
        TODAY,
        TODAY,
        "PerCA",
        None,
    ));
    assert_eq!(resp.0, 401, "{}", resp.1);
    assert_eq!(resp.1["IsSuccess"], false, "{}", resp.1);
    assert_eq!(emu.credit(&Customer::A), FULL_A);
}

// ── IssuingReport detail paging over 250+ certificates ───────────────────────────────────

/// Registers (names given, no lookup) and issues `count` applicants for customer B from
/// `threads` threads, national codes from `first`; returns the tracking codes.
fn issue_many_b(emu: &TestEmulator, csr: &[u8], first: u32, count: u32, threads: u32) -> Vec<u64> {
    let csr_b64 = b64(csr);
    // One CSR for every tracking code: its Sign(csr) is the same for all.
    let csr_sig = Customer::B.sign(csr_b64.as_bytes());
    let per = count.div_ceil(threads);
    let mut all: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (csr_b64, csr_sig) = (&csr_b64, &csr_sig);
                s.spawn(move || {
                    let mut mine = Vec::new();
                    for i in (t * per)..((t + 1) * per).min(count) {
                        let n = first + i;
                        let person = json!({
                            "NationalCode": valid_national_code(400_000_000 + n * 7),
                            "Name": "آزمون",
                            "LastName": format!("گزارش {n}"),
                            "EnName": "Report",
                            "EnLastName": format!("Applicant{n}"),
                            "FatherName": "پدر",
                            "TokenType": "USERGENERATED"
                        });
                        let tracking = emu.register(&Customer::B, "01", "Bronze-Sign", person);
                        let resp = emu.post(
                            "IssueCertificateByTrackingCode",
                            &json!({
                                "caName": "01",
                                "profileName": "Bronze-Sign",
                                "trackingCode": tracking,
                                "csr": csr_b64,
                                "paymentId": format!("pay-{n}"),
                                "signature": csr_sig,
                                "customercode": Customer::B.customercode(),
                            }),
                        );
                        assert_ok(&resp);
                        assert_eq!(resp.1["PaymentStatus"], "Paid", "{}", resp.1);
                        mine.push(tracking.parse::<u64>().unwrap());
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    all.sort();
    all
}

/// One detail page for customer B after `id`; returns (Ids, items).
fn detail_page(emu: &TestEmulator, id: Option<u64>) -> Vec<Value> {
    report(
        emu,
        Customer::B.code,
        Customer::B.report_key,
        (TODAY, TODAY),
        "detail",
        id,
    )
}

fn ids_of(page: &[Value]) -> Vec<u64> {
    page.iter()
        .map(|i| {
            i["Id"]
                .as_u64()
                .unwrap_or_else(|| panic!("Id is not an integer: {i}"))
        })
        .collect()
}

/// Pages through B's detail report until an empty page; checks each page is ascending and
/// that every page continues after the cursor. Returns every page's Ids. `between` runs after
/// each page.
fn page_through(emu: &TestEmulator, mut between: impl FnMut(usize)) -> Vec<Vec<u64>> {
    let mut pages = Vec::new();
    let mut cursor: Option<u64> = None;
    loop {
        let page = detail_page(emu, cursor);
        let ids = ids_of(&page);
        assert!(ids.len() <= 100, "a page holds at most 100: {}", ids.len());
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "not ascending: {ids:?}"
        );
        if let (Some(c), Some(first)) = (cursor, ids.first()) {
            assert!(*first > c, "page after id {c} starts at {first}");
        }
        for i in &page {
            assert_eq!(
                i["Id"].to_string(),
                i["TrackingCode"].as_str().unwrap(),
                "{i}"
            );
        }
        if ids.is_empty() {
            return pages;
        }
        cursor = ids.last().copied();
        pages.push(ids);
        between(pages.len());
        assert!(pages.len() < 20, "paging does not end");
    }
}

#[test]
fn detail_pages_250_certificates_100_100_50_stable_under_concurrent_issuance() {
    let emu = TestEmulator::spawn_edited(|t| {
        assert!(
            t.contains("credit = 1000000\n"),
            "the default scenario changed"
        );
        t.replace("credit = 1000000\n", "credit = 100000000\n")
    });
    let dir = tempfile::tempdir().unwrap();
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let issued = issue_many_b(&emu, &csr, 0, 250, 4);
    assert_eq!(issued.len(), 250);
    assert_eq!(emu.credit(&Customer::B), 100_000_000 - 250 * BRONZE);

    let pages = page_through(&emu, |_| {});
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![100, 100, 50]);
    let all: Vec<u64> = pages.concat();
    assert!(
        all.windows(2).all(|w| w[0] < w[1]),
        "duplicates or disorder"
    );
    assert_eq!(all, issued, "no gaps: every issued tracking code, once");
    // Every item is a Bronze issue of customer B at its price.
    let page = detail_page(&emu, Some(all[199]));
    assert_eq!(page.len(), 50);
    for i in &page {
        assert_eq!(i["Status"], "Issued", "{i}");
        assert_eq!(i["Price"], BRONZE, "{i}");
        assert_eq!(i["CAName"], "01", "{i}");
    }
    let per_ca = report(
        &emu,
        Customer::B.code,
        Customer::B.report_key,
        (TODAY, TODAY),
        "PerCA",
        None,
    );
    assert_eq!(
        per_ca,
        vec![row("01", "Bronze-Sign", "", [250, 250, 250, 0])]
    );

    // Page again while 20 more are issued in the background: the first two pages are the
    // same as before, Ids keep ascending with no duplicates, the new ones come after.
    let (tx, rx) = std::sync::mpsc::channel::<u64>();
    let (pages2, extra) = std::thread::scope(|s| {
        let emu = &emu;
        let csr = &csr;
        let issuer = s.spawn(move || {
            let mut extra = Vec::new();
            for k in 0..20 {
                let mut one = issue_many_b(emu, csr, 1000 + k, 1, 1);
                tx.send(one[0]).unwrap();
                extra.append(&mut one);
            }
            extra
        });
        let pages = page_through(emu, |n| {
            if n == 1 {
                // Some issues land between the first page and the next ones.
                for _ in 0..5 {
                    rx.recv_timeout(Duration::from_secs(60))
                        .expect("background issuance stalled");
                }
            }
        });
        (pages, issuer.join().unwrap())
    });
    assert_eq!(pages2[0], pages[0], "page 1 changed");
    assert_eq!(pages2[1], pages[1], "page 2 changed");
    let seen: Vec<u64> = pages2.concat();
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "duplicates or disorder: {seen:?}"
    );
    assert!(
        seen.len() >= 255,
        "issues between pages are not seen: {}",
        seen.len()
    );
    assert_eq!(&seen[..250], &issued[..], "the original 250 stay in place");
    assert!(
        seen[250..].iter().all(|id| extra.contains(id)),
        "unknown ids: {:?}",
        &seen[250..]
    );
    assert!(extra.iter().all(|id| *id > issued[249]));

    // Once issuance is over, all 270, once each.
    let final_ids: Vec<u64> = page_through(&emu, |_| {}).concat();
    let mut want = issued.clone();
    want.extend(&extra);
    want.sort();
    assert_eq!(final_ids, want);
    assert_eq!(emu.credit(&Customer::B), 100_000_000 - 270 * BRONZE);
}

// ── dates over several days (a data directory carries the state across clock settings) ──

fn spawn_at(dir: &std::path::Path, clock: &str) -> TestEmulator {
    TestEmulator::spawn_with(Options {
        data_dir: Some(dir.to_path_buf()),
        clock: Some(clock.into()),
        ..Options::default()
    })
}

#[test]
fn report_dates_select_events_by_day_inclusive_in_both_calendars() {
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    // 2026/05/31 (1405/03/10): Mehdi and Zahra register.
    let (mehdi_t, zahra_t) = {
        let emu = spawn_at(data.path(), "2026-05-31T08:00:00Z");
        (
            emu.register_mehdi(),
            emu.register(&Customer::A, "01", "Bronze-Sign", zahra()),
        )
    };
    // 2026/06/01 (1405/03/11): Mehdi is issued; Reza registers and is issued.
    let (cert, reza_t) = {
        let emu = spawn_at(data.path(), "2026-06-01T08:00:00Z");
        let cert = emu.issue(&Customer::A, "01", "Bronze-Sign", &mehdi_t, &csr)["Certificate"]
            .as_str()
            .unwrap()
            .to_string();
        let reza_t = emu.register(&Customer::A, "01", "Bronze-Sign", reza());
        emu.issue(&Customer::A, "01", "Bronze-Sign", &reza_t, &csr);
        (cert, reza_t)
    };
    // 2026-06-01T21:00:00Z is 2026/06/02 00:30 in Tehran (UTC+03:30): Mehdi is revoked.
    let emu = spawn_at(data.path(), "2026-06-01T21:00:00Z");
    assert_ok(&emu.revoke_certificate(&Customer::A, &cert, 1));

    let per_ca = |range: (&str, &str)| report_a(&emu, range, "PerCA");
    let bronze = |c: [u64; 4]| vec![row("01", "Bronze-Sign", "", c)];
    assert_eq!(per_ca(("2026/05/31", "2026/05/31")), bronze([0, 2, 0, 0]));
    assert_eq!(per_ca(("2026/06/01", "2026/06/01")), bronze([2, 1, 2, 0]));
    assert_eq!(per_ca(("2026/06/02", "2026/06/02")), bronze([0, 0, 0, 1]));
    assert_eq!(per_ca(("2026/05/31", "2026/06/01")), bronze([2, 3, 2, 0]));
    assert_eq!(per_ca(("2026/05/31", "2026/06/02")), bronze([2, 3, 2, 1]));
    assert_eq!(per_ca(("2026/05/30", "2026/05/30")), Vec::<Value>::new());
    assert_eq!(per_ca(("2026/06/03", "2026/06/30")), Vec::<Value>::new());
    // The same days in the Solar Hijri calendar.
    assert_eq!(per_ca(("1405/03/10", "1405/03/10")), bronze([0, 2, 0, 0]));
    assert_eq!(per_ca(("1405/03/11", "1405/03/11")), bronze([2, 1, 2, 0]));
    assert_eq!(per_ca(("1405/03/12", "1405/03/12")), bronze([0, 0, 0, 1]));
    assert_eq!(per_ca(("1405/03/10", "1405/03/12")), bronze([2, 3, 2, 1]));

    // detail: a lifecycle is in the range when any of its events is.
    let detail = |range: (&str, &str)| -> Vec<String> {
        report_a(&emu, range, "detail")
            .iter()
            .map(|i| i["TrackingCode"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        detail(("2026/05/31", "2026/05/31")),
        vec![mehdi_t.clone(), zahra_t.clone()]
    );
    assert_eq!(
        detail(("2026/06/01", "2026/06/01")),
        vec![mehdi_t.clone(), reza_t.clone()]
    );
    assert_eq!(detail(("1405/03/12", "1405/03/12")), vec![mehdi_t.clone()]);
    let items = report_a(&emu, ("2026/06/02", "2026/06/02"), "detail");
    assert_eq!(items[0]["Status"], "Revoked", "{items:?}");
    assert_eq!(items[0]["RegisterDate"], "2026-05-31T08:00:00Z");
    assert_eq!(items[0]["IssueDate"], "2026-06-01T08:00:00Z");
    assert_eq!(items[0]["RevokeDate"], "2026-06-01T21:00:00Z");

    // GetUserCertHistory shows each date as it happened.
    let resp = history(&emu, &Customer::A, MEHDI, "multi-day");
    assert_ok(&resp);
    let list = resp.1["CertList"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", resp.1);
    assert_eq!(list[0]["Status"], "Revoked");
    assert_eq!(list[0]["RegisterDate"], "2026-05-31T08:00:00Z");
    assert_eq!(list[0]["IssueDate"], "2026-06-01T08:00:00Z");
    assert_eq!(list[0]["RevokeDate"], "2026-06-01T21:00:00Z");
}

// ── the clock moves (control API `POST /__admin/clock`) ──────────────────────────────────

fn advance_clock(emu: &TestEmulator, by: &str) {
    let resp = emu
        .client
        .post(format!("{}/__admin/clock", emu.url))
        .header("Content-Type", "application/json")
        .body(json!({ "advance": by }).to_string())
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    assert_eq!(status, 200, "{}", resp.text().unwrap_or_default());
}

#[test]
fn a_used_rnd_is_refused_within_the_replay_window_and_accepted_after_it() {
    let emu = TestEmulator::spawn();
    emu.register_mehdi();
    assert_ok(&history(&emu, &Customer::A, MEHDI, "windowed"));
    advance_clock(&emu, "599s");
    let resp = history(&emu, &Customer::A, MEHDI, "windowed");
    assert_refused(&resp, 401, 210, &["rnd 'windowed'", "already used", "600"]);
    advance_clock(&emu, "2s");
    let resp = history(&emu, &Customer::A, MEHDI, "windowed");
    assert_ok(&resp);
    assert_eq!(resp.1["CertList"].as_array().unwrap().len(), 1);
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
    advance_clock(&emu, "366d");
    let (_, body) = emu.get("GetAllCert", &[("SerialNumber", MEHDI)]);
    assert_eq!(body["CertList"], json!([]), "{body}");
    assert!(mobile(&emu, &[("NationalCode", MEHDI)]).is_empty());
    let resp = history(&emu, &Customer::A, MEHDI, "after-expiry");
    assert_ok(&resp);
    assert_eq!(resp.1["CertList"][0]["Status"], "Expired", "{}", resp.1);
}
