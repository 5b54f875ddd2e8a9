//! The request journal: every response's `X-Signsim-Request-Id` names its entry; an
//! entry shows request, response and diagnostics (the signature form that matched, names bound
//! case-insensitively); filters, `requests/count`, one entry, clearing, and the bounded ring
//! with its evictions.

use crate::helpers::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const MEHDI: &str = "0012345679";

/// The ids of journal entries, in the order listed.
fn ids(entries: &[Value]) -> Vec<u64> {
    entries.iter().map(|e| e["id"].as_u64().unwrap()).collect()
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
            emu.pod_command_answer(
                ALFA,
                "<data><oper>getavailabledocs</oper><time>20260601130000</time></data>",
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
        vec![200, 200, 200, 200, 200, 200, 200, 404, 405, 404]
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
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["ErrorCode"], 203);
    let e = emu.admin_ok(&format!("requests/{}", a.id));
    assert_eq!(e["success"], false, "{e}");
    assert_eq!(e["status"], 200, "{e}");
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
    let pod = emu.pod_command_answer(
        ALFA,
        "<data><oper>getavailabledocs</oper><time>20260601130000</time></data>",
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
        [200, 200, 200, 200, 200, 404]
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
    assert_eq!(
        ids(&emu.journal("status=200")),
        vec![version.id, registered.id, refused.id, polled.id, pod.id]
    );
    assert_eq!(ids(&emu.journal("status=404")), vec![nowhere.id]);
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
fn a_command_entry_shows_the_login_and_the_decoded_command_never_the_apikey() {
    let emu = TestEmulator::spawn();
    let (status, _) = emu.pod_command(
        ALFA,
        "<data><oper>getstatus</oper><docuniq>1001</docuniq><docuniq>1002</docuniq><time>20260601130000</time></data>",
    );
    assert_eq!(status, 200);
    let entry = &emu.journal("api=podpishi&operation=getstatus")[0];
    assert_eq!(
        entry["request"],
        json!({"login": ALFA.0, "command": {"oper": "getstatus", "docuniq": ["1001", "1002"], "time": "20260601130000"}}),
        "{entry}"
    );
    assert!(
        !entry.to_string().contains(ALFA.1),
        "the apikey is kept: {entry}"
    );
    // The decoded command is what filters and counts look into.
    assert_eq!(
        emu.journal_count(&json!({"api": "podpishi", "field": "docuniq"})),
        1
    );
    assert_eq!(
        emu.journal_count(&json!({"api": "podpishi", "field": "apikey"})),
        0
    );
    // Kept as sent, it is still capped like any summary: 64 keys per object.
    let many: String = (0..80).map(|i| format!("<e{i}>x</e{i}>")).collect();
    emu.pod_command(
        ALFA,
        &format!("<data><oper>getavailabledocs</oper>{many}<time>20260601130000</time></data>"),
    );
    let entry = &emu.journal("api=podpishi&operation=getavailabledocs")[0];
    let command = entry["request"]["command"].as_object().unwrap();
    assert_eq!(command.len(), 65, "{entry}");
    assert!(
        command["…"]
            .as_str()
            .unwrap()
            .contains("more keys not kept"),
        "{entry}"
    );
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
        200
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
        emu.journal_count(&json!({"operation": "RegisterInfo", "success": false, "status": 200})),
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
    // Only the DELETE itself (journaled after it answered) remains, and only with the control
    // API's calls included: by default the journal lists the APIs' requests.
    let left = emu.journal("include=admin");
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["method"], "DELETE");
    assert_eq!(left[0]["operation"], "requests.clear");
    assert_eq!(emu.journal(""), Vec::<Value>::new());
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
fn journal_size_zero_turns_the_journal_off() {
    let server = SignsimProcess::start(&["--addr", "127.0.0.1:0", "--journal-size", "0"]);
    let client = reqwest::blocking::Client::new();
    let ids_seen: Vec<u64> = (0..3)
        .map(|_| {
            let resp = client
                .get(format!("{}/api/GetVersion", server.url))
                .send()
                .unwrap();
            assert_eq!(resp.status(), 200);
            request_id(resp.headers())
        })
        .collect();
    // Requests still get their ids; nothing is kept.
    assert_eq!(ids_seen, vec![1, 2, 3]);
    let health: Value = client
        .get(format!("{}/__admin/health", server.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        health["journal"],
        json!({"entries": 0, "capacity": 0, "evicted": 0}),
        "{health}"
    );
    let list: Value = client
        .get(format!("{}/__admin/requests", server.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(list["requests"], json!([]), "{list}");
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
    // The health call (id 9) went to the control API's own ring: it pushed no API request out.
    let list: Value = client
        .get(format!("{}/__admin/requests", server.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        ids(list["requests"].as_array().unwrap()),
        vec![4, 5, 6, 7, 8]
    );
    assert_eq!(list["total"], 5, "{list}");
    assert_eq!(list["capacity"], 5, "{list}");
    assert_eq!(list["evicted"], 3, "{list}");
    // Asked for, the control API's calls are listed among them in id order: the health call
    // and the first list call (ids 9 and 10).
    let with_admin: Value = client
        .get(format!("{}/__admin/requests?include=admin", server.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        ids(with_admin["requests"].as_array().unwrap()),
        vec![4, 5, 6, 7, 8, 9, 10]
    );
    // Polling the control API a thousand times would still push nothing out: its ring is
    // separate and bounded.
    assert_eq!(with_admin["admin"]["capacity"], 200, "{with_admin}");
    let gone = client
        .get(format!("{}/__admin/requests/1", server.url))
        .send()
        .unwrap();
    assert_eq!(gone.status(), 404);
}

#[test]
fn copy_as_curl_names_only_a_well_formed_base_url() {
    let emu = TestEmulator::spawn();
    let resp = emu
        .client
        .get(format!("{}/api/GetVersion", emu.url))
        .send()
        .unwrap();
    let id = request_id(resp.headers());
    // Sent percent-encoded, as the dashboard's encodeURIComponent does.
    for (bad, why) in [
        ("http%3A%2F%2F%5B%5B%5B%3A%3A", "is not closed"),
        ("http%3A%2F%2Fevil.example%3A99999", "port 99999"),
        ("http%3A%2F%2Fuser%40evil.example", "user@evil.example"),
        ("http%3A%2F%2Fsignsim%3A8080%2Fa%20b", "path"),
        ("ftp%3A%2F%2Fsignsim", "http://"),
    ] {
        let (status, body) = emu.admin_get(&format!("requests/{id}/curl?url={bad}"));
        assert_eq!(status, 400, "{bad}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("url '") && error.contains(why),
            "{bad}: {body}"
        );
    }
    let (status, body) = emu.admin_get(&format!(
        "requests/{id}/curl?url=http%3A%2F%2F%5B%3A%3A1%5D%3A9%2Fbehind"
    ));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["command"], "curl -sS 'http://[::1]:9/behind/api/GetVersion'",
        "{body}"
    );
}
