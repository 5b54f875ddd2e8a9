//! The report methods, one file per method family: GetCredit,
//! GetUserCertHistory (signed, replay window), GetAllCert and GetAllMobileCert (active
//! certificates, filters, latency), IssuingReport (PerCA, PerCA&Status, detail, both calendars,
//! dates over several days) and its detail paging. Every report is checked against a world
//! built over real HTTP ([`build_world`]); signatures are made by openssl over UTF-16LE made by
//! iconv.

mod active;
mod credit;
mod history;
mod issuing;
mod paging;

use crate::helpers::*;
use serde_json::{json, Value};

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
    // One tracking code per subject DN (the PKI document, lines 403–405): the revoked
    // lifecycle restarts under the same code, and the reports keep both.
    assert_eq!(
        t, revoked.tracking,
        "a revoked lifecycle restarts under its tracking code"
    );
    let issued = issued_life(
        t.clone(),
        emu.issue(&Customer::A, "01", "Bronze-Sign", &t, &csr),
    );

    // A third lifecycle in CA 01 needs another Subject DN (one tracking code per Subject DN in
    // a CA): the same person with an email (E=) in the subject.
    let mut with_email = mehdi();
    with_email["Email"] = json!("mehdi@example.ir");
    let pending = Life {
        tracking: emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", with_email),
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
        documented(json!({"NationalCode": MEHDI, "TokenType": "USERGENERATED"})),
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

/// The item of `life`: its tracking code and, for an issued lifecycle, its certificate (a
/// restarted tracking code has an item per lifecycle).
fn item<'a>(list: &'a Value, life: &Life) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["TrackingCode"] == life.tracking.as_str()
                && (life.cert.is_empty() || i["Certificate"] == life.cert.as_str())
        })
        .unwrap_or_else(|| panic!("{} not in {list}", life.tracking))
}

fn get_credit(emu: &TestEmulator, customer: &str, key: Option<&str>) -> (u16, Value) {
    let mut body = json!({"customercode": customer});
    if let Some(k) = key {
        body["reportkey"] = json!(k);
    }
    emu.post("GetCredit", &body)
}

fn history(emu: &TestEmulator, c: &Customer, serial: &str, rnd: &str) -> (u16, Value) {
    emu.post("GetUserCertHistory", &history_body(c, serial, rnd))
}

fn report_body(
    customer: &str,
    key: &str,
    start: &str,
    end: &str,
    kind: &str,
    id: Option<u64>,
) -> Value {
    // `id` is in the document's body for every type: "" for the first page (and PerCA).
    json!({
        "reportkey": key,
        "customercode": customer,
        "startdate": start,
        "enddate": end,
        "type": kind,
        "id": id.map(|i| i.to_string()).unwrap_or_default(),
    })
}

/// A successful IssuingReport's top-level array, asked by `c` with its report key.
fn report(
    emu: &TestEmulator,
    c: &Customer,
    range: (&str, &str),
    kind: &str,
    id: Option<u64>,
) -> Vec<Value> {
    let (status, body) = emu.post(
        "IssuingReport",
        &report_body(c.code, c.report_key, range.0, range.1, kind, id),
    );
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap_or_else(|| panic!("{kind}: not a top-level JSON array: {body}"))
        .clone()
}

fn row(ca: &str, profile: &str, status: &str, c: [u64; 4]) -> Value {
    json!({"caName": ca, "profileName": profile, "status": status, "count": c[0],
           "RegisterCount": c[1], "IssueCount": c[2], "RevokeCount": c[3]})
}
