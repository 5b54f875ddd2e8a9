//! The control API under `/__admin/` over real HTTP (issue 5, SPEC 4): health, request ids,
//! the journal (entries, diagnostics, filters, count, eviction), the clock, reset and scenario
//! loading compared by state dumps, PKI and Podpishi inspection and officer/counterparty
//! actions, CA material checked by `openssl`, and the admin token of an exposed binary.

use crate::helpers::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const MEHDI: &str = "0012345679";
const ZAHRA: &str = "0023456787";
const FULL_A: i64 = 10_000_000;

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The ids of journal entries, in the order listed.
fn ids(entries: &[Value]) -> Vec<u64> {
    entries.iter().map(|e| e["id"].as_u64().unwrap()).collect()
}

/// The `error` text of an admin refusal.
fn error_of(body: &Value) -> &str {
    body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error text in {body}"))
}

/// Asserts an admin refusal: the status and that the error text contains every needle.
fn assert_admin_error(resp: &(u16, Value), status: u16, needles: &[&str]) {
    let (s, body) = resp;
    assert_eq!(*s, status, "{body}");
    let text = error_of(body);
    for n in needles {
        assert!(text.contains(n), "error lacks {n:?}: {text}");
    }
}

/// A RegisterInfo body for customer A whose signature is RSA-SHA1 over the UTF-8 text (the
/// common mistake: the documented form is UTF-16LE).
fn register_body_utf8(person: Value) -> Value {
    let mut body = Customer::A.register_body("01", "Bronze-Sign", person.clone());
    let text = format!(
        "{}-{}",
        Customer::A.customercode(),
        person["NationalCode"].as_str().unwrap()
    );
    body["signature"] = json!(Customer::A.sign(text.as_bytes()));
    body
}

fn pod_command_answer(emu: &TestEmulator, acc: (&str, &str), xml: &str) -> Answer {
    Answer::from(
        emu.client
            .post(format!("{}/apistatus.php", emu.url))
            .form(&[
                ("login", acc.0),
                ("apikey", acc.1),
                ("command", &b64(xml.as_bytes())),
            ])
            .send()
            .unwrap(),
    )
}

// ── health and request ids ───────────────────────────────────────────────────────────────

#[test]
fn health_reports_status_version_scenario_store_clock_and_journal() {
    let emu = TestEmulator::spawn();
    assert_eq!(emu.get("GetVersion", &[]).0, 200);
    let h = emu.admin_ok("health");
    assert_eq!(h["status"], "ok", "{h}");
    assert_eq!(h["version"], env!("CARGO_PKG_VERSION"), "{h}");
    assert_eq!(h["scenario"], "default", "{h}");
    assert_eq!(h["store"], "memory", "{h}");
    assert_eq!(h["clock"], TEST_CLOCK, "{h}");
    assert_eq!(h["clock_frozen"], true, "{h}");
    assert!(h["uptime_ms"].is_u64(), "{h}");
    assert_eq!(h["faults"], 0, "{h}");
    // One request so far (GetVersion); the health call itself is journaled after answering.
    assert_eq!(
        h["journal"],
        json!({"entries": 1, "capacity": 1000, "evicted": 0}),
        "{h}"
    );
    let h = emu.admin_ok("health");
    assert_eq!(h["journal"]["entries"], 2, "{h}");
    // The clock it reports is the scenario clock.
    emu.advance("2h");
    assert_eq!(emu.admin_ok("health")["clock"], "2026-06-01T10:00:00Z");

    // With a data directory the store is persistent and says where.
    let data = tempfile::tempdir().unwrap();
    let emu = TestEmulator::spawn_with(Options {
        data_dir: Some(data.path().to_path_buf()),
        ..Options::default()
    });
    let store = emu.admin_ok("health")["store"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        store,
        format!("persistent ({})", data.path().display()),
        "{store}"
    );
}

#[test]
fn every_response_carries_an_increasing_request_id_naming_its_journal_entry() {
    let emu = TestEmulator::spawn();
    let c = &emu.client;
    let u = &emu.url;
    let mut form = reqwest::blocking::multipart::Form::new();
    for (k, v) in Upload::alfa_to_beta("ID-1").fields {
        form = form.text(k, v);
    }
    form = form.part(
        "uf",
        reqwest::blocking::multipart::Part::bytes(contract()).file_name("contract.txt"),
    );
    let answers: Vec<(&str, &str, Answer)> = vec![
        ("GET", "/api/GetVersion", emu.get_answer("GetVersion", &[])),
        (
            "POST",
            "/api/RegisterInfo",
            emu.post_answer(
                "RegisterInfo",
                &Customer::A.register_body("01", "Bronze-Sign", mehdi()),
            ),
        ),
        (
            "POST",
            "/api/RegisterInfo",
            emu.post_answer("RegisterInfo", &register_body_utf8(zahra())),
        ),
        (
            "POST",
            "/api.php",
            Answer::from(
                c.post(format!("{u}/api.php"))
                    .multipart(form)
                    .send()
                    .unwrap(),
            ),
        ),
        (
            "POST",
            "/apistatus.php",
            pod_command_answer(
                &emu,
                ALFA,
                "<data><oper>getavailabledocs</oper><time></time></data>",
            ),
        ),
        (
            "GET",
            "/__admin/health",
            Answer::from(c.get(format!("{u}/__admin/health")).send().unwrap()),
        ),
        (
            "GET",
            "/__admin/podpishi/outbox",
            Answer::from(
                c.get(format!("{u}/__admin/podpishi/outbox"))
                    .send()
                    .unwrap(),
            ),
        ),
        (
            "GET",
            "/nowhere",
            Answer::from(c.get(format!("{u}/nowhere")).send().unwrap()),
        ),
        (
            "DELETE",
            "/__admin/health",
            Answer::from(c.delete(format!("{u}/__admin/health")).send().unwrap()),
        ),
        (
            "GET",
            "/__admin/no-such-route",
            Answer::from(c.get(format!("{u}/__admin/no-such-route")).send().unwrap()),
        ),
    ];
    let statuses: Vec<u16> = answers.iter().map(|(_, _, a)| a.status).collect();
    assert_eq!(
        statuses,
        vec![200, 200, 401, 200, 200, 200, 200, 404, 405, 404]
    );
    let seen: Vec<u64> = answers.iter().map(|(_, _, a)| a.id).collect();
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "ids do not increase: {seen:?}"
    );
    for (method, path, a) in &answers {
        let e = emu.admin_ok(&format!("requests/{}", a.id));
        assert_eq!(e["id"], a.id, "{e}");
        assert_eq!(e["method"], *method, "{e}");
        assert_eq!(e["path"], *path, "{e}");
        assert_eq!(e["status"], a.status, "{e}");
    }
    // Each API names itself in its entries.
    let api_of = |i: usize| {
        emu.admin_ok(&format!("requests/{}", answers[i].2.id))["api"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        (0..answers.len()).map(api_of).collect::<Vec<_>>(),
        vec![
            "pki", "pki", "pki", "podpishi", "podpishi", "admin", "admin", "other", "admin",
            "admin"
        ]
    );
}

// ── journal entries and diagnostics ──────────────────────────────────────────────────────

#[test]
fn a_registration_entry_shows_request_response_and_the_signature_form_that_matched() {
    let emu = TestEmulator::spawn();
    let body = Customer::A.register_body("01", "Bronze-Sign", mehdi());
    let sig = body["signature"].as_str().unwrap().to_string();
    let a = emu.post_answer("RegisterInfo", &body);
    assert_eq!(a.status, 200, "{}", a.text());
    let e = emu.admin_ok(&format!("requests/{}", a.id));
    assert_eq!(e["time"], TEST_CLOCK, "{e}");
    assert_eq!(e["method"], "POST");
    assert_eq!(e["path"], "/api/RegisterInfo");
    assert_eq!(e["content_type"], "application/json");
    assert_eq!(e["api"], "pki");
    assert_eq!(e["operation"], "RegisterInfo");
    assert_eq!(e["status"], 200);
    assert_eq!(e["success"], true);
    assert_eq!(e["record"], "1000001", "{e}");
    assert_eq!(e["fault"], Value::Null, "{e}");
    assert!(e["duration_us"].is_u64(), "{e}");

    // The request: every field under the name it was sent as; the long signature shortened
    // to its head, length and digest.
    let req = &e["request"];
    let names: BTreeSet<&str> = req
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "caName",
            "customercode",
            "profileName",
            "signature",
            "personData"
        ]),
        "{req}"
    );
    assert_eq!(req["caName"], "01");
    assert_eq!(req["customercode"], Customer::A.customercode());
    assert_eq!(req["profileName"], "Bronze-Sign");
    assert_eq!(req["personData"], mehdi(), "{req}");
    let head: String = sig.chars().take(48).collect();
    assert_eq!(
        req["signature"],
        format!(
            "{head}… ({} chars, sha256 {})",
            sig.len(),
            &sha256_hex(sig.as_bytes())[..16]
        ),
        "{req}"
    );

    // The response summary is the answer.
    let answer = a.json();
    assert_eq!(e["response"]["IsSuccess"], true, "{e}");
    assert_eq!(e["response"]["TrackingCode"], answer["TrackingCode"], "{e}");
    assert_eq!(e["response"]["ErrorCode"], 0, "{e}");

    // The diagnostics name the signature form that matched and the key's fingerprint.
    let fingerprint = spki_sha256(&fixture("pki/customers/10320874334.pub.pem"));
    let diags: Vec<&str> = e["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(
        diags.iter().any(|d| d.contains("UTF-16LE")
            && d.contains("verified")
            && d.contains(&fingerprint)
            && d.contains(&format!("'{}-{MEHDI}'", Customer::A.customercode()))),
        "no diagnostic names the UTF-16LE form and key {fingerprint}: {diags:?}"
    );
}

#[test]
fn a_refused_utf8_signature_and_an_uppercase_field_name_are_explained() {
    let emu = TestEmulator::spawn();
    let a = emu.post_answer("RegisterInfo", &register_body_utf8(mehdi()));
    assert_eq!(a.status, 401, "{}", a.text());
    assert_eq!(a.json()["ErrorCode"], 203);
    let e = emu.admin_ok(&format!("requests/{}", a.id));
    assert_eq!(e["success"], false, "{e}");
    assert_eq!(e["status"], 401, "{e}");
    assert_eq!(e["record"], Value::Null, "{e}");
    assert_eq!(e["response"]["ErrorCode"], 203, "{e}");
    let diags = e["diagnostics"].to_string();
    assert!(diags.contains("refused: SignatureInvalid"), "{diags}");

    // `CUSTOMERCODE` binds case-insensitively, and the entry says so.
    let mut body = Customer::A.register_body("01", "Bronze-Sign", mehdi());
    let cc = body
        .as_object_mut()
        .unwrap()
        .remove("customercode")
        .unwrap();
    body["CUSTOMERCODE"] = cc;
    let a = emu.post_answer("RegisterInfo", &body);
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["IsSuccess"], true, "{}", a.text());
    let e = emu.admin_ok(&format!("requests/{}", a.id));
    assert_eq!(
        e["request"]["CUSTOMERCODE"],
        Customer::A.customercode(),
        "the request is journaled under the name sent: {e}"
    );
    let lines: Vec<&str> = e["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("CUSTOMERCODE") && l.contains("case-insensitive")),
        "{lines:?}"
    );
}

#[test]
fn journal_filters_select_exactly_the_matching_entries() {
    let emu = TestEmulator::spawn();
    let version = emu.get_answer("GetVersion", &[]);
    let registered = emu.post_answer(
        "RegisterInfo",
        &Customer::A.register_body("01", "Bronze-Sign", mehdi()),
    );
    let refused = emu.post_answer("RegisterInfo", &register_body_utf8(zahra()));
    let polled = emu.post_answer("IsApproved", &json!({"trackingCode": "1000001"}));
    let pod = pod_command_answer(
        &emu,
        ALFA,
        "<data><oper>getavailabledocs</oper><time></time></data>",
    );
    let nowhere = Answer::from(
        emu.client
            .get(format!("{}/nowhere", emu.url))
            .send()
            .unwrap(),
    );
    assert_eq!(
        [
            version.status,
            registered.status,
            refused.status,
            polled.status,
            pod.status,
            nowhere.status
        ],
        [200, 200, 401, 200, 200, 404]
    );

    // `since` first: nothing else has been journaled yet.
    assert_eq!(
        ids(&emu.journal(&format!("since={}", refused.id))),
        vec![polled.id, pod.id, nowhere.id]
    );
    assert_eq!(
        ids(&emu.journal("api=pki")),
        vec![version.id, registered.id, refused.id, polled.id]
    );
    assert_eq!(ids(&emu.journal("api=podpishi")), vec![pod.id]);
    assert_eq!(ids(&emu.journal("api=other")), vec![nowhere.id]);
    assert_eq!(
        ids(&emu.journal("operation=registerinfo")),
        vec![registered.id, refused.id],
        "operation matches in any case"
    );
    assert_eq!(ids(&emu.journal("status=401")), vec![refused.id]);
    assert_eq!(ids(&emu.journal("success=false")), vec![refused.id]);
    assert_eq!(
        ids(&emu.journal("api=pki&success=true")),
        vec![version.id, registered.id, polled.id]
    );
    assert_eq!(
        ids(&emu.journal("record=1000001")),
        vec![registered.id, polled.id]
    );
    assert_eq!(
        ids(&emu.journal("api=pki&limit=2")),
        vec![refused.id, polled.id],
        "limit keeps the newest, oldest first"
    );
    assert_eq!(
        ids(&emu.journal("api=pki&operation=RegisterInfo&success=true")),
        vec![registered.id]
    );
    assert_eq!(ids(&emu.journal("api=pki&method=GET")), vec![version.id]);
    assert_eq!(ids(&emu.journal("path=/api/IsApp")), vec![polled.id]);
    assert_eq!(
        emu.journal("api=pki&operation=RevokeCertificate"),
        Vec::<Value>::new()
    );
    let pod_entry = &emu.journal("api=podpishi")[0];
    assert_eq!(pod_entry["operation"], "getavailabledocs", "{pod_entry}");
    assert_eq!(pod_entry["request"]["login"], ALFA.0, "{pod_entry}");

    // The envelope.
    let all = emu.admin_ok("requests?api=pki");
    assert_eq!(all["capacity"], 1000, "{all}");
    assert_eq!(all["evicted"], 0, "{all}");
    assert!(all["total"].as_u64().unwrap() >= 6, "{all}");

    // A bad number is refused, naming the parameter.
    assert_admin_error(
        &emu.admin_get("requests?status=abc"),
        400,
        &["status", "'abc'", "not a number"],
    );
    assert_admin_error(&emu.admin_get("requests?limit=-1"), 400, &["limit", "'-1'"]);
}

#[test]
fn count_verifies_how_many_calls_were_made() {
    let emu = TestEmulator::spawn();
    let t = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi());
    for _ in 0..3 {
        emu.is_approved(&t);
    }
    assert_eq!(
        emu.post("RegisterInfo", &register_body_utf8(zahra())).0,
        401
    );
    assert_eq!(
        emu.journal_count(&json!({"api": "pki", "operation": "IsApproved"})),
        3
    );
    assert_eq!(
        emu.journal_count(&json!({"api": "pki", "operation": "IsApproved", "record": t})),
        3
    );
    assert_eq!(
        emu.journal_count(&json!({"api": "pki", "operation": "RegisterInfo"})),
        2
    );
    assert_eq!(
        emu.journal_count(&json!({"operation": "RegisterInfo", "success": false, "status": 401})),
        1
    );
    assert_eq!(
        emu.journal_count(&json!({"api": "podpishi"})),
        0,
        "no Podpishi call was made"
    );
    // An unknown filter key or a body that is not JSON is refused, not ignored.
    assert_admin_error(
        &emu.admin_post("requests/count", &json!({"opertion": "IsApproved"})),
        400,
        &["filter", "unknown field `opertion`"],
    );
    assert_admin_error(
        &emu.admin_post_text("requests/count", "application/json", "{not json"),
        400,
        &["filter"],
    );
}

#[test]
fn get_one_entry_and_clear_the_journal() {
    let emu = TestEmulator::spawn();
    let a = emu.get_answer("GetVersion", &[]);
    let e = emu.admin_ok(&format!("requests/{}", a.id));
    assert_eq!(e["operation"], "GetVersion", "{e}");
    assert_eq!(e["response"]["Version"], "1.8", "{e}");
    assert_admin_error(
        &emu.admin_get("requests/999999"),
        404,
        &["request 999999 is not (or no longer) in the journal"],
    );
    assert_admin_error(
        &emu.admin_get("requests/abc"),
        400,
        &["'abc' is not a request id"],
    );

    let (status, body) = emu.admin_delete("requests");
    assert_eq!((status, &body), (200, &json!({"cleared": true})));
    // Only the DELETE itself (journaled after it answered) remains.
    let left = emu.journal("");
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["method"], "DELETE");
    assert_eq!(left[0]["operation"], "requests.clear");
    assert_admin_error(
        &emu.admin_get(&format!("requests/{}", a.id)),
        404,
        &["not (or no longer) in the journal"],
    );
    // Ids keep increasing after a clear.
    let b = emu.get_answer("GetVersion", &[]);
    assert!(b.id > left[0]["id"].as_u64().unwrap());
}

#[test]
fn the_journal_is_a_bounded_ring_with_evictions_counted() {
    let server = SignsimProcess::start(&["--addr", "127.0.0.1:0", "--journal-size", "5"]);
    let client = reqwest::blocking::Client::new();
    let mut seen = Vec::new();
    for _ in 0..8 {
        let resp = client
            .get(format!("{}/api/GetVersion", server.url))
            .send()
            .unwrap();
        assert_eq!(resp.status(), 200);
        seen.push(request_id(resp.headers()));
    }
    assert_eq!(seen, (1..=8).collect::<Vec<u64>>());
    let health: Value = client
        .get(format!("{}/__admin/health", server.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        health["journal"],
        json!({"entries": 5, "capacity": 5, "evicted": 3}),
        "{health}"
    );
    // The health call (id 9) pushed out id 4.
    let list: Value = client
        .get(format!("{}/__admin/requests", server.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        ids(list["requests"].as_array().unwrap()),
        vec![5, 6, 7, 8, 9]
    );
    assert_eq!(list["total"], 5, "{list}");
    assert_eq!(list["capacity"], 5, "{list}");
    assert_eq!(list["evicted"], 4, "{list}");
    let gone = client
        .get(format!("{}/__admin/requests/1", server.url))
        .send()
        .unwrap();
    assert_eq!(gone.status(), 404);
}

// ── the clock ────────────────────────────────────────────────────────────────────────────

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
                    "startdate": start, "enddate": end, "type": "PerCA"}),
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
                    "startdate": "2026/07/15", "enddate": "2026/07/15", "type": "detail"}),
        );
        body
    };
    assert_eq!(detail[0]["TrackingCode"], second.as_str(), "{detail}");
    assert_eq!(
        detail[0]["RegisterDate"], "2026-07-15T08:00:00Z",
        "{detail}"
    );
}

// ── reset and scenario loading ───────────────────────────────────────────────────────────

#[test]
fn reset_restores_the_initial_state_exactly() {
    let emu = TestEmulator::spawn();
    let pki0 = emu.admin_ok("pki/state");
    let pod0 = emu.admin_ok("podpishi/state");
    assert_eq!(pki0["tracking"], json!([]), "{pki0}");

    // Make state everywhere.
    let dir = tempfile::tempdir().unwrap();
    let t = emu.register_mehdi();
    assert_eq!(t, "1000001");
    let cert = emu.issue(
        &Customer::A,
        "01",
        "Bronze-Sign",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    )["Certificate"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ok(&emu.revoke_certificate(&Customer::A, &cert, 1));
    let pending = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", zahra());
    assert_eq!(
        emu.admin_post(&format!("pki/tracking/{pending}/approve"), &json!({}))
            .0,
        200
    );
    assert_eq!(
        emu.admin_post("pki/customers/14105318760/credit", &json!({"set": 1}))
            .0,
        200
    );
    assert_eq!(
        emu.admin_post("pki/cas/08/availability", &json!({"available": false}))
            .0,
        200
    );
    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("RESET-1")).1);
    assert_eq!(num, "1001");
    assert_eq!(
        emu.pod_admin_sign(&num, &json!({"signer": "petrova"})).0,
        200
    );
    emu.add_fault(&json!({"api": "pki", "operation": "GetCAList", "action": {"kind": "status", "status": 503}}));
    emu.advance("3d");
    let pki1 = emu.admin_ok("pki/state");
    let pod1 = emu.admin_ok("podpishi/state");
    assert_ne!(pki1, pki0);
    assert_ne!(pod1, pod0);

    let (status, body) = emu.admin_post("reset", &json!({}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reset"], true, "{body}");
    assert_eq!(body["scenario"], "default", "{body}");
    // The journal was cleared: only the reset itself is in it.
    let left = emu.journal("");
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["operation"], "reset");
    // Both APIs' stored state equals the dumps taken before anything happened.
    assert_eq!(emu.admin_ok("pki/state"), pki0);
    assert_eq!(emu.admin_ok("podpishi/state"), pod0);
    assert_eq!(emu.clock_now(), TEST_CLOCK);
    assert_eq!(emu.admin_ok("faults"), json!({"faults": []}));
    let (_, avail) = emu.get("IsAvailable", &[("caName", "08")]);
    assert_eq!(avail["IsAvailable"], true, "{avail}");
    assert_eq!(emu.credit(&Customer::B), 1_000_000);
    assert_eq!(emu.credit(&Customer::A), FULL_A);
    // Counters start over.
    assert_eq!(emu.register_mehdi(), "1000001");
    assert_eq!(
        doc_num(&emu.pod_upload(Upload::alfa_to_beta("RESET-1")).1),
        "1001"
    );
}

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1
}

#[test]
fn loading_a_valid_scenario_replaces_the_world() {
    let emu = TestEmulator::spawn();
    let old = emu.register_mehdi();
    let text = default_scenario_text()
        .replace("name = \"default\"", "name = \"credit-777\"")
        .replace("credit = 10000000", "credit = 777");
    assert!(text.contains("credit-777") && text.contains("credit = 777"));
    let (status, body) = emu.admin_post_text("scenario", "application/toml", &text);
    assert_eq!((status, &body), (200, &json!({"loaded": "credit-777"})));
    assert_eq!(emu.admin_ok("health")["scenario"], "credit-777");
    assert_eq!(emu.credit(&Customer::A), 777);
    // The state started over.
    assert_admin_error(
        &emu.admin_get(&format!("pki/tracking/{old}")),
        404,
        &[&format!("tracking code '{old}' does not exist")],
    );
    assert_eq!(emu.admin_ok("pki/state")["tracking"], json!([]));
    // A reset now returns to the loaded scenario, not the first one.
    emu.admin_post("pki/customers/10320874334/credit", &json!({"set": 5}));
    assert_eq!(emu.admin_post("reset", &json!({})).0, 200);
    assert_eq!(emu.credit(&Customer::A), 777);
    assert_eq!(emu.admin_ok("health")["scenario"], "credit-777");
}

#[test]
fn loading_an_invalid_scenario_lists_every_problem_and_changes_nothing() {
    let emu = TestEmulator::spawn();
    let t = emu.register_mehdi();
    emu.advance("1h");
    let before = emu.admin_ok("pki/state");
    let pod_before = emu.admin_ok("podpishi/state");

    let assert_nothing_changed = || {
        assert_eq!(emu.admin_ok("pki/state"), before);
        assert_eq!(emu.admin_ok("podpishi/state"), pod_before);
        assert_eq!(emu.admin_ok("health")["scenario"], "default");
        assert_eq!(emu.clock_now(), "2026-06-01T09:00:00Z");
        assert_eq!(emu.credit(&Customer::A), FULL_A);
        assert_eq!(
            emu.admin_ok(&format!("pki/tracking/{t}"))["status"],
            "Registered"
        );
    };

    // Each refusal: 400, and nothing changed.
    let unknown = default_scenario_text()
        .replace("credit = 10000000", "credit = 1\ncolour = \"blue\"")
        .replace("name = \"default\"", "name = \"broken\"");
    let semantic = default_scenario_text()
        .replace("credit = 10000000", "credit = 1")
        .replace(
            "national_code = \"0061204501\"",
            "national_code = \"0061204502\"",
        )
        .replace("code = \"14105318760\"", "code = \"14105318761\"");
    let not_toml = "[scenario\nname=".to_string();
    let mut refusals = Vec::new();
    for text in [&unknown, &semantic, &not_toml] {
        let (status, body) = emu.admin_post_text("scenario", "application/toml", text);
        assert_eq!(status, 400, "{body}");
        assert_nothing_changed();
        refusals.push(body);
    }

    // The problems, as the README documents them: `{"problems": [{line, field, message}]}`.
    // An unknown key: its line and name.
    let ps = scenario_problems(&refusals[0]);
    assert_eq!(ps.len(), 1, "{ps:?}");
    assert_eq!(ps[0]["field"], "colour", "{ps:?}");
    assert_eq!(
        ps[0]["line"],
        line_of(&unknown, "colour = \"blue\""),
        "{ps:?}"
    );
    assert!(
        ps[0]["message"].as_str().unwrap().contains("unknown field"),
        "{ps:?}"
    );
    // Semantic problems: every one, each with its line and dotted field.
    let ps = scenario_problems(&refusals[1]);
    let got: BTreeSet<(String, u64)> = ps
        .iter()
        .map(|p| {
            (
                p["field"].as_str().unwrap().to_string(),
                p["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        BTreeSet::from([
            (
                "pki.registry.persons[2].national_code".to_string(),
                line_of(&semantic, "0061204502")
            ),
            (
                "pki.customers[1].code".to_string(),
                line_of(&semantic, "code = \"14105318761\"")
            ),
        ]),
        "{ps:?}"
    );
    // Not TOML at all: a syntax problem with its line.
    let ps = scenario_problems(&refusals[2]);
    assert_eq!(ps.len(), 1, "{ps:?}");
    assert!(ps[0]["line"].is_u64(), "{ps:?}");
}

// ── PKI: tracking codes, officer actions ─────────────────────────────────────────────────

#[test]
fn tracking_codes_by_code_and_by_national_code() {
    let emu = TestEmulator::spawn();
    let t = emu.register_mehdi();
    let rec = emu.admin_ok(&format!("pki/tracking/{t}"));
    assert_eq!(rec["code"], t.as_str(), "{rec}");
    assert_eq!(rec["status"], "Registered", "{rec}");
    assert_eq!(rec["customer"], Customer::A.code, "{rec}");
    assert_eq!(rec["ca"], "01", "{rec}");
    assert_eq!(rec["profile"], "Bronze-Sign", "{rec}");
    assert_eq!(rec["person"]["national_code"], MEHDI, "{rec}");
    assert_eq!(rec["registered_at"], TEST_CLOCK, "{rec}");
    assert!(!rec["history"].as_array().unwrap().is_empty(), "{rec}");

    let in_person = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi());
    let found = emu.admin_ok(&format!("pki/tracking?nationalCode={MEHDI}"));
    let codes: BTreeSet<&str> = found["tracking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        BTreeSet::from([t.as_str(), in_person.as_str()]),
        "{found}"
    );
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking?nationalCode={ZAHRA}")),
        json!({"tracking": []})
    );
    assert_admin_error(&emu.admin_get("pki/tracking"), 400, &["nationalCode"]);
    assert_admin_error(
        &emu.admin_get("pki/tracking/999"),
        404,
        &["tracking code '999' does not exist"],
    );
}

#[test]
fn approve_moves_awaiting_approval_to_approved_and_issue_then_succeeds() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let t = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi());
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking/{t}"))["status"],
        "AwaitingApproval"
    );
    assert_eq!(emu.is_approved(&t), (json!(false), json!("Unsuccess")));

    let (status, body) = emu.admin_post(
        &format!("pki/tracking/{t}/approve"),
        &json!({"approver": "Officer Test"}),
    );
    assert_eq!(
        (status, &body),
        (200, &json!({"tracking_code": t, "status": "Approved"}))
    );
    let rec = emu.admin_ok(&format!("pki/tracking/{t}"));
    assert_eq!(rec["status"], "Approved", "{rec}");
    assert_eq!(rec["approval"]["approver"], "Officer Test", "{rec}");
    assert_eq!(emu.is_approved(&t), (json!(true), json!("Success")));
    let issued = emu.issue(
        &Customer::A,
        "01",
        "Bronze-Sign-InPerson",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    );
    assert_eq!(issued["PaymentStatus"], "Paid", "{issued}");
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking/{t}"))["status"],
        "Issued"
    );

    // Wrong state: 409 and nothing changes.
    assert_admin_error(
        &emu.admin_post(&format!("pki/tracking/{t}/approve"), &json!({})),
        409,
        &["is Issued", "only AwaitingApproval can be approved"],
    );
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking/{t}"))["status"],
        "Issued"
    );
    let plain = emu.register(&Customer::A, "01", "Bronze-Sign", zahra());
    assert_admin_error(
        &emu.admin_post(&format!("pki/tracking/{plain}/approve"), &json!({})),
        409,
        &["is Registered"],
    );
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking/{plain}"))["status"],
        "Registered"
    );
    assert_admin_error(
        &emu.admin_post("pki/tracking/4242/approve", &json!({})),
        404,
        &["'4242' does not exist"],
    );
}

#[test]
fn reject_ends_the_lifecycle_and_registering_again_starts_a_new_one() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let t = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", zahra());
    let credit = emu.credit(&Customer::A);
    let (status, body) = emu.admin_post(
        &format!("pki/tracking/{t}/reject"),
        &json!({"reason": "the documents do not match"}),
    );
    assert_eq!(
        (status, &body),
        (200, &json!({"tracking_code": t, "status": "Rejected"}))
    );
    let rec = emu.admin_ok(&format!("pki/tracking/{t}"));
    assert_eq!(rec["status"], "Rejected", "{rec}");
    assert!(
        rec["history"]
            .to_string()
            .contains("the documents do not match"),
        "{rec}"
    );
    // The lifecycle cannot issue (IsApproved: see the next test).
    let resp = emu.issue_certificate(
        &Customer::A,
        "01",
        "Bronze-Sign-InPerson",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    );
    assert_refused(&resp, 200, 402, &["is Rejected", "RegisterInfo"]);
    assert_eq!(emu.credit(&Customer::A), credit);
    // Registering again starts a new lifecycle.
    let again = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", zahra());
    assert_ne!(again, t);
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking/{again}"))["status"],
        "AwaitingApproval"
    );
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking/{t}"))["status"],
        "Rejected"
    );

    // Rejecting twice, or rejecting an issued certificate's lifecycle: 409.
    assert_admin_error(
        &emu.admin_post(&format!("pki/tracking/{t}/reject"), &json!({})),
        409,
        &["is Rejected"],
    );
    let m = emu.register_mehdi();
    emu.issue(
        &Customer::A,
        "01",
        "Bronze-Sign",
        &m,
        &openssl_csr(dir.path(), 2048).1,
    );
    assert_admin_error(
        &emu.admin_post(&format!("pki/tracking/{m}/reject"), &json!({})),
        409,
        &["is Issued", "without a certificate"],
    );
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking/{m}"))["status"],
        "Issued"
    );
    assert_admin_error(
        &emu.admin_post("pki/tracking/4242/reject", &json!({})),
        404,
        &["'4242' does not exist"],
    );
}

#[test]
fn is_approved_does_not_report_a_rejected_identity_as_approved() {
    let emu = TestEmulator::spawn();
    let t = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", zahra());
    let (status, _) = emu.admin_post(&format!("pki/tracking/{t}/reject"), &json!({}));
    assert_eq!(status, 200);
    let (status, polled) = emu.post("IsApproved", &json!({"trackingCode": t}));
    assert_eq!(status, 200, "{polled}");
    assert_eq!(
        polled["Description"],
        format!("tracking code {t} is Rejected"),
        "{polled}"
    );
    // A client polling IsApproved would go on to issue: the RA refused the identity, so the
    // answer must not be "approved".
    assert_eq!(
        polled["ResultCode"], false,
        "a rejected identity reported as approved: {polled}"
    );
    assert_ne!(polled["Message"], "Success", "{polled}");
}

// ── PKI: certificates, customers, CAs and their material ────────────────────────────────

#[test]
fn certificates_by_ca_and_serial_with_a_pem_openssl_reads() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let t = emu.register_mehdi();
    let issued = emu.issue(
        &Customer::A,
        "01",
        "Bronze-Sign",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    );
    let cert_b64 = issued["Certificate"].as_str().unwrap().to_string();
    let der = unb64(&cert_b64);
    let serial_hex = openssl_serial(&der);
    let rec = emu.admin_ok(&format!("pki/certificates/01/{serial_hex}"));
    assert_eq!(rec["ca"], "01", "{rec}");
    assert_eq!(
        rec["serial"],
        u64::from_str_radix(&serial_hex, 16).unwrap(),
        "{rec}"
    );
    assert_eq!(rec["tracking_code"], t.as_str(), "{rec}");
    assert_eq!(rec["customer"], Customer::A.code, "{rec}");
    assert_eq!(rec["national_code"], MEHDI, "{rec}");
    assert_eq!(rec["status"], "Active", "{rec}");
    assert_eq!(rec["certificate"], cert_b64.as_str(), "{rec}");
    let pem = rec["pem"].as_str().unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    // openssl reads the PEM: the same certificate (serial and DER).
    let from_pem = run("openssl", &["x509", "-outform", "DER"], pem.as_bytes());
    assert_eq!(from_pem, der);
    // Lowercase hex names the same certificate.
    assert_eq!(
        emu.admin_ok(&format!(
            "pki/certificates/01/{}",
            serial_hex.to_lowercase()
        ))["serial"],
        rec["serial"]
    );

    assert_ok(&emu.revoke_certificate(&Customer::A, &cert_b64, 4));
    let rec = emu.admin_ok(&format!("pki/certificates/01/{serial_hex}"));
    assert_eq!(rec["status"], "Revoked", "{rec}");
    assert_eq!(rec["revoke_reason"], 4, "{rec}");
    assert_eq!(rec["revoked_at"], TEST_CLOCK, "{rec}");

    assert_admin_error(
        &emu.admin_get(&format!("pki/certificates/08/{serial_hex}")),
        404,
        &["CA '08' has no certificate with serial"],
    );
    assert_admin_error(
        &emu.admin_get("pki/certificates/01/xyz"),
        400,
        &["serial 'xyz' is not hexadecimal"],
    );
    assert_admin_error(
        &emu.admin_get(&format!("pki/certificates/99/{serial_hex}")),
        404,
        &[],
    );
}

#[test]
fn customer_credit_can_be_read_set_and_changed() {
    let emu = TestEmulator::spawn();
    assert_eq!(
        emu.admin_ok(&format!("pki/customers/{}", Customer::A.code)),
        json!({"customer": Customer::A.code, "credit": FULL_A})
    );
    let path = format!("pki/customers/{}/credit", Customer::A.code);
    assert_eq!(
        emu.admin_post(&path, &json!({"set": 5000})),
        (200, json!({"customer": Customer::A.code, "credit": 5000}))
    );
    assert_eq!(emu.credit(&Customer::A), 5000);
    assert_eq!(
        emu.admin_post(&path, &json!({"add": -1200})),
        (200, json!({"customer": Customer::A.code, "credit": 3800}))
    );
    assert_eq!(emu.credit(&Customer::A), 3800);
    assert_eq!(
        emu.admin_post(&path, &json!({"add": 200})).1["credit"],
        4000
    );
    // Too little credit now shows in the API: issuing Bronze-Sign (150000) is refused.
    let dir = tempfile::tempdir().unwrap();
    let t = emu.register_mehdi();
    let resp = emu.issue_certificate(
        &Customer::A,
        "01",
        "Bronze-Sign",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    );
    assert_eq!(resp.1["IsSuccess"], false, "{}", resp.1);
    assert_eq!(emu.credit(&Customer::A), 4000);

    for bad in [json!({}), json!({"set": 1, "add": 1}), json!({"set": "10"})] {
        assert_admin_error(&emu.admin_post(&path, &bad), 400, &["{\"set\": n}"]);
        assert_eq!(emu.credit(&Customer::A), 4000, "{bad} changed the credit");
    }
    assert_admin_error(&emu.admin_get("pki/customers/99999999999"), 404, &[]);
    assert_admin_error(
        &emu.admin_post("pki/customers/99999999999/credit", &json!({"set": 1})),
        404,
        &[],
    );
}

#[test]
fn cas_are_listed_and_availability_switches_the_api() {
    let emu = TestEmulator::spawn();
    let cas = emu.admin_ok("pki/cas");
    let list = cas["cas"].as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["01", "08", "03"], "{cas}");
    assert_eq!(
        list[0]["title"],
        "TEST PKI Private Intermediate Bronze CA - G3"
    );
    assert_eq!(
        list[0]["profiles"],
        json!([
            "Bronze-Sign",
            "Bronze-Sign-InPerson",
            "Bronze-Sign-FaceAuth",
            "Bronze-Stamp"
        ])
    );
    assert!(list.iter().all(|c| c["available"] == true), "{cas}");

    let off = emu.admin_post("pki/cas/01/availability", &json!({"available": false}));
    assert_eq!(off, (200, json!({"ca": "01", "available": false})));
    let (_, body) = emu.get("IsAvailable", &[("caName", "01")]);
    assert_eq!(body["IsAvailable"], false, "{body}");
    let (_, body) = emu.get("IsAvailable", &[("caName", "08")]);
    assert_eq!(body["IsAvailable"], true, "{body}");
    assert_refused(
        &emu.register_info(&Customer::A, "01", "Bronze-Sign", mehdi()),
        200,
        601,
        &["CA '01' is not available"],
    );
    assert_eq!(emu.admin_ok("pki/state")["tracking"], json!([]));
    assert_eq!(emu.admin_ok("pki/cas")["cas"][0]["available"], false);

    let on = emu.admin_post("pki/cas/01/availability", &json!({"available": true}));
    assert_eq!(on, (200, json!({"ca": "01", "available": true})));
    let (_, body) = emu.get("IsAvailable", &[("caName", "01")]);
    assert_eq!(body["IsAvailable"], true, "{body}");
    assert_eq!(emu.register_mehdi(), "1000001");

    assert_admin_error(
        &emu.admin_post("pki/cas/01/availability", &json!({"available": "no"})),
        400,
        &["{\"available\": true|false}"],
    );
    assert_eq!(emu.admin_ok("pki/cas")["cas"][0]["available"], true);
    assert_admin_error(
        &emu.admin_post("pki/cas/99/availability", &json!({"available": false})),
        404,
        &["'99'"],
    );
}

#[test]
fn ca_certificate_chain_and_crl_verify_with_openssl() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let t = emu.register_mehdi();
    let leaf_b64 = emu.issue(
        &Customer::A,
        "01",
        "Bronze-Sign",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    )["Certificate"]
        .as_str()
        .unwrap()
        .to_string();
    let leaf_pem = run("openssl", &["x509", "-inform", "DER"], &unb64(&leaf_b64));
    let leaf = write(dir.path(), "leaf.pem", &leaf_pem);

    let cert = emu.admin_raw("pki/cas/01/certificate");
    assert_eq!(cert.status, 200, "{}", cert.text());
    assert_eq!(cert.content_type, "application/x-pem-file");
    let chain = emu.admin_raw("pki/cas/01/chain");
    assert_eq!(chain.status, 200, "{}", chain.text());
    assert!(
        chain.text().starts_with(&cert.text()),
        "the chain starts with the CA"
    );
    assert_eq!(chain.text().matches("BEGIN CERTIFICATE").count(), 2);
    let fingerprint = |pem: &[u8]| {
        String::from_utf8(run(
            "openssl",
            &["x509", "-noout", "-fingerprint", "-sha256"],
            pem,
        ))
        .unwrap()
    };
    assert_eq!(
        fingerprint(&cert.body),
        fingerprint(&std::fs::read(fixture("pki/ca-01.pem")).unwrap())
    );

    let attime = "1780300800"; // 2026-06-01T08:00:00Z
    let chain_file = write(dir.path(), "chain.pem", &chain.body);
    let out = run(
        "openssl",
        &[
            "verify",
            "-attime",
            attime,
            "-CAfile",
            chain_file.to_str().unwrap(),
            leaf.to_str().unwrap(),
        ],
        b"",
    );
    assert!(
        String::from_utf8_lossy(&out).contains(": OK"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    // The CA certificate alone is the leaf's issuer.
    let ca_file = write(dir.path(), "ca.pem", &cert.body);
    run(
        "openssl",
        &[
            "verify",
            "-attime",
            attime,
            "-partial_chain",
            "-CAfile",
            ca_file.to_str().unwrap(),
            leaf.to_str().unwrap(),
        ],
        b"",
    );
    // The root: the fixture root, the chain's last certificate; with the CA certificate as
    // the intermediate it verifies the leaf.
    let root = emu.admin_raw("pki/root");
    assert_eq!(root.status, 200, "{}", root.text());
    assert_eq!(root.content_type, "application/x-pem-file");
    assert_eq!(root.text().matches("BEGIN CERTIFICATE").count(), 1);
    assert_eq!(
        fingerprint(&root.body),
        fingerprint(&std::fs::read(fixture("pki/root-ca.pem")).unwrap())
    );
    assert!(
        chain.text().ends_with(&root.text()),
        "the chain ends with the root"
    );
    let root_file = write(dir.path(), "root.pem", &root.body);
    run(
        "openssl",
        &[
            "verify",
            "-attime",
            attime,
            "-CAfile",
            root_file.to_str().unwrap(),
            "-untrusted",
            ca_file.to_str().unwrap(),
            leaf.to_str().unwrap(),
        ],
        b"",
    );
    assert!(
        try_run(
            "openssl",
            &[
                "verify",
                "-attime",
                attime,
                "-CAfile",
                root_file.to_str().unwrap(),
                leaf.to_str().unwrap(),
            ],
            b"",
        )
        .is_err(),
        "the root alone verified a leaf issued by an intermediate"
    );
    // Another CA's material does not verify it.
    let other = emu.admin_raw("pki/cas/08/chain");
    let other_file = write(dir.path(), "other.pem", &other.body);
    assert!(try_run(
        "openssl",
        &[
            "verify",
            "-attime",
            attime,
            "-partial_chain",
            "-CAfile",
            other_file.to_str().unwrap(),
            leaf.to_str().unwrap()
        ],
        b"",
    )
    .is_err());

    // The CRL: DER, signed by the CA (openssl crl -CAfile says "verify OK"), listing a
    // revoked serial.
    assert_ok(&emu.revoke_certificate(&Customer::A, &leaf_b64, 1));
    let crl = emu.admin_raw("pki/cas/01/crl");
    assert_eq!(crl.status, 200);
    assert_eq!(crl.content_type, "application/pkix-crl");
    let crl_file = write(dir.path(), "ca.crl", &crl.body);
    let out = std::process::Command::new("openssl")
        .args([
            "crl",
            "-inform",
            "DER",
            "-in",
            crl_file.to_str().unwrap(),
            "-CAfile",
            chain_file.to_str().unwrap(),
            "-noout",
        ])
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && said.contains("verify OK"), "{said}");
    let serial = openssl_serial(&unb64(&leaf_b64));
    assert!(
        openssl_crl_text(&crl.body).contains(&format!("Serial Number: {serial}")),
        "{}",
        openssl_crl_text(&crl.body)
    );
    // Signed by CA 01, not 08.
    let out = std::process::Command::new("openssl")
        .args([
            "crl",
            "-inform",
            "DER",
            "-in",
            crl_file.to_str().unwrap(),
            "-CAfile",
            other_file.to_str().unwrap(),
            "-noout",
        ])
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!said.contains("verify OK"), "{said}");

    for path in [
        "pki/cas/99/certificate",
        "pki/cas/99/chain",
        "pki/cas/99/crl",
    ] {
        let a = emu.admin_raw(path);
        assert_eq!(a.status, 404, "{path}: {}", a.text());
        assert!(a.text().contains("'99'"), "{path}: {}", a.text());
    }
}

// ── Podpishi ─────────────────────────────────────────────────────────────────────────────

#[test]
fn podpishi_documents_accounts_outbox_and_partner_transactions() {
    let emu = TestEmulator::spawn();
    let alfa = emu.admin_ok("podpishi/accounts/alfa@test.kz");
    assert_eq!(alfa["login"], ALFA.0, "{alfa}");
    assert_eq!(alfa["balance"], 10, "{alfa}");
    assert_eq!(alfa["bins"], json!([ALFA_BIN]), "{alfa}");
    assert_eq!(alfa["blocked"], false, "{alfa}");
    assert_eq!(emu.admin_ok("podpishi/outbox"), json!([]));
    assert_eq!(emu.admin_ok("podpishi/partner-transactions"), json!([]));

    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("ADM-1")).1);
    assert_eq!(emu.admin_ok("podpishi/accounts/alfa@test.kz")["balance"], 9);
    assert_eq!(emu.admin_ok("podpishi/accounts/beta@test.kz")["balance"], 5);

    let doc = emu.admin_ok(&format!("podpishi/documents/{num}"));
    assert_eq!(doc["num"], 1001, "{doc}");
    assert_eq!(doc["owner_login"], ALFA.0, "{doc}");
    assert_eq!(doc["owner_bin"], ALFA_BIN, "{doc}");
    assert_eq!(doc["receiver_bin"], BETA_BIN, "{doc}");
    assert_eq!(doc["reference"], "ADM-1", "{doc}");
    assert_eq!(doc["created"], TEST_CLOCK, "{doc}");
    assert_eq!(
        doc["files"],
        json!([{"name": "contract.txt", "sha256": sha256_hex(&contract()), "size": contract().len()}]),
        "{doc}"
    );
    let perms = doc["permissions"].as_array().unwrap();
    assert_eq!(perms.len(), 2, "{doc}");
    assert_eq!(perms[1]["must_signed_by_bin"], BETA_BIN, "{doc}");
    assert_eq!(perms[1]["signed"], false, "{doc}");

    let outbox = emu.admin_ok("podpishi/outbox");
    assert_eq!(outbox.as_array().unwrap().len(), 1, "{outbox}");
    assert_eq!(outbox[0]["to"], "beta@test.kz", "{outbox}");
    assert_eq!(outbox[0]["document"], 1001, "{outbox}");

    let x = emu.pod_command(PARTNER, "<data><oper>addpackage2client</oper><refnum>77</refnum><bin2client>160940007893</bin2client><packet>1</packet><time></time></data>").1;
    assert!(x.contains("err=\"no\""), "{x}");
    let trn = emu.admin_ok("podpishi/partner-transactions");
    let values: Vec<&Value> = trn
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["value"])
        .filter(|v| v.get("refnum").is_some())
        .collect();
    assert!(!values.is_empty(), "{trn}");
    for v in &values {
        assert_eq!(v["partner"], PARTNER.0, "{trn}");
        assert_eq!(v["bin2client"], GAMMA_BIN, "{trn}");
        assert_eq!(v["packet"], 1, "{trn}");
        assert_eq!(v["count"], 10, "{trn}");
        assert_eq!(v["refnum"], 77, "{trn}");
    }
    assert_eq!(
        emu.admin_ok("podpishi/accounts/gamma@test.kz")["balance"],
        10
    );

    let (status, body) = emu.admin_get("podpishi/documents/4711");
    assert_eq!(status, 404, "{body}");
    assert!(
        error_of(&body).contains("there is no document 4711"),
        "{body}"
    );
    let (status, body) = emu.admin_get("podpishi/nothing-here");
    assert_eq!(status, 404, "{body}");
}

#[test]
fn an_unknown_podpishi_account_is_not_found_like_an_unknown_document() {
    let emu = TestEmulator::spawn();
    let (status, body) = emu.admin_get("podpishi/accounts/nobody@test.kz");
    assert!(
        error_of(&body).contains("there is no account 'nobody@test.kz'"),
        "{body}"
    );
    assert_eq!(
        status, 404,
        "an unknown account should be 404 like documents/{{num}} and the PKI's unknown records: {body}"
    );
}

#[test]
fn podpishi_counterparty_signs_with_real_cms_or_refuses() {
    let emu = TestEmulator::spawn();
    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("SIGN-1")).1);
    let (status, body) = emu.pod_admin_sign(&num, &json!({"signer": "petrova", "action": "sign"}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["i"], 2, "{body}");
    assert_eq!(body["signed"], 1, "{body}");
    assert_eq!(body["signed_bin"], BETA_BIN, "{body}");
    assert_eq!(body["signed_fio"], "ПЕТРОВА ЕЛЕНА СЕРГЕЕВНА", "{body}");
    assert_eq!(body["signed_firm"], "АО «Бета Тест»", "{body}");
    let doc = emu.admin_ok(&format!("podpishi/documents/{num}"));
    assert_eq!(doc["permissions"][1]["signed"], true, "{doc}");
    assert_eq!(doc["permissions"][1]["signed_date"], TEST_CLOCK, "{doc}");
    let s = emu.pod_status(ALFA, &num);
    assert!(
        s.contains("i='2' is_own_doc='1' created='20260601130000' signed_type='2' must_signed_by_bin='160940004561' signed='1' signed_bin='160940004561' signed_fio='ПЕТРОВА ЕЛЕНА СЕРГЕЕВНА'"),
        "{s}"
    );
    // getdoc's ZIP carries the signature; openssl verifies it over the document.
    let (_, zip) = emu.pod_command_bytes(
        ALFA,
        &format!("<data><oper>getdoc</oper><docnum>{num}</docnum><time></time></data>"),
    );
    let files = unzip(&zip);
    let p7s = files
        .iter()
        .find(|(n, _)| n == "signature-2-160940004561.p7s")
        .unwrap_or_else(|| panic!("{:?}", files.iter().map(|f| &f.0).collect::<Vec<_>>()));
    assert_eq!(p7s.1, unb64(body["signature_pem"].as_str().unwrap()));
    openssl_cms_verify(&p7s.1, Some(&contract())).unwrap();
    assert!(openssl_cms_verify(&p7s.1, Some(b"other content")).is_err());

    // Refuse on another document.
    let num2 = doc_num(&emu.pod_upload(Upload::alfa_to_beta("SIGN-2")).1);
    let (status, body) = emu.pod_admin_sign(&num2, &json!({"action": "refuse"}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sign_deleted"], 1, "{body}");
    assert!(emu.pod_status(BETA, &num2).contains("must_signed_by_bin='160940004561' signed='0' signed_bin='' signed_fio='' signed_firm='' signed_policy='0' signed_date='' sign_deleted='1'"));

    // Refusals change nothing.
    let before = emu.admin_ok("podpishi/state");
    let (status, body) = emu.pod_admin_sign(&num2, &json!({"signer": "nobody"}));
    assert_eq!(status, 400, "{body}");
    assert!(
        error_of(&body).contains("signer 'nobody' is not a test signer"),
        "{body}"
    );
    let (status, body) = emu.pod_admin_sign(&num, &json!({"signer": "petrova", "action": "stamp"}));
    assert_eq!(status, 400, "{body}");
    assert!(
        error_of(&body).contains("action 'stamp' is not sign or refuse"),
        "{body}"
    );
    let (status, body) = emu.pod_admin_sign("4711", &json!({"signer": "petrova"}));
    assert_eq!(status, 404, "{body}");
    assert_eq!(emu.admin_ok("podpishi/state"), before);
}

// ── access: the admin token ──────────────────────────────────────────────────────────────

#[test]
fn exposed_without_an_admin_token_signsim_refuses_to_start() {
    let (code, out, err) = signsim_exit(&["--addr", "0.0.0.0:0"]);
    assert!(code.is_some() && code != Some(0), "exit {code:?}: {err}");
    assert!(err.contains("--admin-token"), "{err}");
    assert!(
        out.trim().is_empty(),
        "printed a URL although it refused: {out}"
    );
}

fn check_token_required(server: &SignsimProcess) {
    let client = reqwest::blocking::Client::new();
    let health = format!("{}/__admin/health", server.url);
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("s3cret"),
        Some("Basic s3cret"),
    ] {
        let mut req = client.get(&health);
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let resp = req.send().unwrap();
        assert_eq!(resp.status(), 401, "{auth:?}");
        let body: Value = resp.json().unwrap();
        assert!(error_of(&body).contains("Authorization: Bearer"), "{body}");
    }
    let ok = client
        .get(&health)
        .header("Authorization", "Bearer s3cret")
        .send()
        .unwrap();
    assert_eq!(ok.status(), 200);
    // A refused admin call changes nothing.
    let refused = client
        .post(format!("{}/__admin/clock", server.url))
        .json(&json!({"advance": "1d"}))
        .send()
        .unwrap();
    assert_eq!(refused.status(), 401);
    let refused = client
        .get(format!("{}/__admin/podpishi/outbox", server.url))
        .send()
        .unwrap();
    assert_eq!(refused.status(), 401);
    let clock: Value = client
        .get(format!("{}/__admin/clock", server.url))
        .header("Authorization", "Bearer s3cret")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(clock["now"], TEST_CLOCK, "{clock}");
    // The APIs need no token.
    let resp = client
        .get(format!("{}/api/GetVersion", server.url))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = client
        .post(format!("{}/api/RegisterInfo", server.url))
        .json(&Customer::A.register_body("01", "Bronze-Sign", mehdi()))
        .send()
        .unwrap();
    let body: Value = resp.json().unwrap();
    assert_eq!(body["IsSuccess"], true, "{body}");
    // Refused admin calls are journaled as such.
    let count: Value = client
        .post(format!("{}/__admin/requests/count", server.url))
        .header("Authorization", "Bearer s3cret")
        .json(&json!({"api": "admin", "operation": "auth", "status": 401}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(count["count"], 6, "{count}");
}

#[test]
fn with_an_admin_token_the_control_api_needs_the_bearer_and_the_apis_do_not() {
    let server = SignsimProcess::start(&["--addr", "127.0.0.1:0", "--admin-token", "s3cret"]);
    check_token_required(&server);
}

#[test]
fn exposed_with_an_admin_token_signsim_starts_and_requires_it() {
    let server = SignsimProcess::start(&["--addr", "0.0.0.0:0", "--admin-token", "s3cret"]);
    assert!(
        server.printed_url.starts_with("http://0.0.0.0:"),
        "{}",
        server.printed_url
    );
    check_token_required(&server);
}
