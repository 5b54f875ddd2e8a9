//! Portability warnings: every acceptance that relies on behaviour the upstream may not share
//! is said on the answer (`X-Signsim-Warning`), in the journal entry, in `/__admin/warnings`,
//! and becomes a refusal in the API's own shape under `portability = "refuse"`; the documented
//! form of the same request warns nothing. Also what signsim now accepts because the upstream
//! does (unpadded base64, `/API/`), and what it checks where it used to pass (the license in a
//! bare Customercode position).

use crate::helpers::*;
use serde_json::{json, Value};

/// One leniency: the request relying on it, and the same request in the documented form.
struct Leniency {
    kind: &'static str,
    /// Sends the lenient request (after any setup it needs) and returns its answer.
    lenient: fn(&TestEmulator) -> Answer,
    /// The documented twin.
    documented: fn(&TestEmulator) -> Answer,
    /// How the lenient request's success shows (PKI: IsSuccess/ResultCode; Podpishi: err="no").
    ok: fn(&Answer) -> bool,
}

fn pki_ok(a: &Answer) -> bool {
    let v = a.json();
    a.status == 200 && (v["IsSuccess"] == true || v["ResultCode"] == true)
}

fn pod_ok(a: &Answer) -> bool {
    a.status == 200 && a.text().contains("err=\"no\"") && !a.text().contains(">err</doc>")
}

fn issue_with_signature(emu: &TestEmulator, over_der: bool) -> Answer {
    let tracking = emu.register_mehdi();
    let dir = tempfile::tempdir().unwrap();
    let (_, der) = openssl_csr(dir.path(), 2048);
    let mut body = Customer::A.issue_body("01", "Bronze-Sign", &tracking, &der);
    if over_der {
        body["signature"] = json!(Customer::A.sign(&der));
    }
    emu.post_answer("IssueCertificateByTrackingCode", &body)
}

fn register_born(emu: &TestEmulator, date: &str) -> Answer {
    let mut p = mehdi();
    p["BirthDate"] = json!(date);
    emu.post_answer(
        "RegisterInfo",
        &Customer::A.register_body("01", "Bronze-Sign", p),
    )
}

fn register_twice(emu: &TestEmulator, second_profile: &str) -> Answer {
    let first = emu.register(&Customer::A, "01", "Bronze-Sign", mehdi());
    let a = emu.post_answer(
        "RegisterInfo",
        &Customer::A.register_body("01", second_profile, mehdi()),
    );
    if a.json()["IsSuccess"] == true {
        assert_eq!(
            a.json()["TrackingCode"],
            first,
            "one tracking code per Subject DN in a CA: {}",
            a.text()
        );
    }
    a
}

fn register_foreign(emu: &TestEmulator, id: &str) -> Answer {
    let mut p = mehdi();
    p["IsForeign"] = json!(true);
    p["NationalCode"] = json!(id);
    emu.post_answer(
        "RegisterInfo",
        &Customer::B.register_body("01", "Bronze-Sign", p),
    )
}

fn upload_signed(emu: &TestEmulator, armored: bool) -> Answer {
    let sig = b64(&openssl_cms_sign_kz("seitkali", &contract(), false, true));
    let text = if armored {
        format!("-----BEGIN CMS-----\n{sig}\n-----END CMS-----\n")
    } else {
        sig
    };
    let reference = if armored { "P1" } else { "P2" };
    emu.pod_upload_answer(Upload::alfa_to_beta(reference).set("signature_pem", &text))
}

/// addpackage2client with refnum 77, then with `second` (77 again: a repeat).
fn package_twice(emu: &TestEmulator, second: &str) -> Answer {
    let package = |refnum: &str| {
        format!("<data><oper>addpackage2client</oper><refnum>{refnum}</refnum><bin2client>160940007893</bin2client><packet>1</packet><time>20260601130000</time></data>")
    };
    let first = emu.pod_command_answer(PARTNER, &package("77"));
    assert!(pod_ok(&first), "{}", first.text());
    emu.pod_command_answer(PARTNER, &package(second))
}

/// A client registered by the partner, then authuserbypartner with `userip`.
fn authorize_client(emu: &TestEmulator, userip: &str) -> Answer {
    let reg = emu.pod_command_answer(PARTNER, "<data><oper>reguserbypartner</oper><email>client@shop.kz</email><remoteid>42</remoteid><time>20260601130000</time></data>");
    assert!(pod_ok(&reg), "{}", reg.text());
    emu.pod_command_answer(PARTNER, &format!("<data><oper>authuserbypartner</oper><serviceid>5001</serviceid><remoteid>42</remoteid><userip>{userip}</userip><time>20260601130000</time></data>"))
}

fn register_token_type(emu: &TestEmulator, token_type: &str) -> Answer {
    let mut p = mehdi();
    p["TokenType"] = json!(token_type);
    emu.post_answer(
        "RegisterInfo",
        &Customer::A.register_body("01", "Bronze-Sign", p),
    )
}

/// GetUserCertHistory twice, the second time with `rnd` `second`.
fn history_twice(emu: &TestEmulator, second: &str) -> Answer {
    let history = |rnd: &str| {
        emu.post_answer(
            "GetUserCertHistory",
            &history_body(&Customer::A, "0012345679", rnd),
        )
    };
    let first = history("r-1");
    assert!(pki_ok(&first), "{}", first.text());
    history(second)
}

/// Mehdi issued, then RecievedCertConfirmation with the certificate PEM-armoured or not.
fn confirm_issued(emu: &TestEmulator, armoured: bool) -> Answer {
    let tracking = emu.register_mehdi();
    let dir = tempfile::tempdir().unwrap();
    let (_, der) = openssl_csr(dir.path(), 2048);
    let issued = emu.issue(&Customer::A, "01", "Bronze-Sign", &tracking, &der);
    let cert = issued["Certificate"].as_str().unwrap();
    let cert = if armoured {
        format!("-----BEGIN CERTIFICATE-----\n{cert}\n-----END CERTIFICATE-----\n")
    } else {
        cert.to_string()
    };
    emu.post_answer(
        "RecievedCertConfirmation",
        &json!({
            "certificate": cert,
            "signature": Customer::A.sign_unicode(&cert),
            "customercode": Customer::A.customercode(),
            "trackingCode": tracking,
        }),
    )
}

/// Mehdi issued, then revoked with or without `revokeCertReason`.
fn revoke_issued(emu: &TestEmulator, with_reason: bool) -> Answer {
    let tracking = emu.register_mehdi();
    let dir = tempfile::tempdir().unwrap();
    let (_, der) = openssl_csr(dir.path(), 2048);
    let issued = emu.issue(&Customer::A, "01", "Bronze-Sign", &tracking, &der);
    let mut body = Customer::A.revoke_body(issued["Certificate"].as_str().unwrap(), 0);
    if !with_reason {
        body.as_object_mut().unwrap().remove("revokeCertReason");
    }
    emu.post_answer("RevokeCertificate", &body)
}

const AVAILABLE: &str = "<data><oper>getavailabledocs</oper><time>20260601130000</time></data>";

fn leniencies() -> Vec<Leniency> {
    vec![
        Leniency {
            kind: "signature-form",
            lenient: |emu| issue_with_signature(emu, true),
            documented: |emu| issue_with_signature(emu, false),
            ok: pki_ok,
        },
        Leniency {
            kind: "bare-customercode",
            lenient: |emu| emu.get_answer("GetCAList", &[("Customercode", "10320874334-1234")]),
            documented: |emu| emu.get_answer("GetCAList", &[("Customercode", "10320874334")]),
            ok: pki_ok,
        },
        Leniency {
            kind: "date-format",
            lenient: |emu| register_born(emu, "1990-05-12"),
            documented: |emu| register_born(emu, "1990/05/12"),
            ok: pki_ok,
        },
        Leniency {
            kind: "profile-changed",
            lenient: |emu| register_twice(emu, "Bronze-Sign-InPerson"),
            documented: |emu| register_twice(emu, "Bronze-Sign"),
            ok: pki_ok,
        },
        Leniency {
            kind: "foreign-identifier",
            lenient: |emu| register_foreign(emu, "100200300400"),
            documented: |emu| register_foreign(emu, "0012345679"),
            ok: pki_ok,
        },
        Leniency {
            kind: "token-type-case",
            lenient: |emu| register_token_type(emu, "UserGenerated"),
            documented: |emu| register_token_type(emu, "USERGENERATED"),
            ok: pki_ok,
        },
        Leniency {
            kind: "rnd-repeated",
            lenient: |emu| history_twice(emu, "r-1"),
            documented: |emu| history_twice(emu, "r-2"),
            ok: pki_ok,
        },
        Leniency {
            kind: "certificate-pem-armor",
            lenient: |emu| confirm_issued(emu, true),
            documented: |emu| confirm_issued(emu, false),
            ok: pki_ok,
        },
        Leniency {
            kind: "field-missing",
            lenient: |emu| revoke_issued(emu, false),
            documented: |emu| revoke_issued(emu, true),
            ok: pki_ok,
        },
        Leniency {
            kind: "oper-case",
            lenient: |emu| {
                emu.pod_command_answer(
                    ALFA,
                    &AVAILABLE.replace("getavailabledocs", "GetAvailableDocs"),
                )
            },
            documented: |emu| emu.pod_command_answer(ALFA, AVAILABLE),
            ok: pod_ok,
        },
        Leniency {
            kind: "login-case",
            lenient: |emu| emu.pod_command_answer(("ALFA@test.kz", ALFA.1), AVAILABLE),
            documented: |emu| emu.pod_command_answer(ALFA, AVAILABLE),
            ok: pod_ok,
        },
        Leniency {
            kind: "signature-pem-armor",
            lenient: |emu| upload_signed(emu, true),
            documented: |emu| upload_signed(emu, false),
            ok: pod_ok,
        },
        Leniency {
            kind: "field-missing",
            lenient: |emu| {
                emu.pod_command_answer(ALFA, "<data><oper>getavailabledocs</oper></data>")
            },
            documented: |emu| emu.pod_command_answer(ALFA, AVAILABLE),
            ok: pod_ok,
        },
        Leniency {
            kind: "oper-spaces",
            lenient: |emu| {
                emu.pod_command_answer(
                    ALFA,
                    &AVAILABLE.replace("getavailabledocs", " getavailabledocs "),
                )
            },
            documented: |emu| emu.pod_command_answer(ALFA, AVAILABLE),
            ok: pod_ok,
        },
        Leniency {
            kind: "refnum-repeated",
            lenient: |emu| package_twice(emu, "77"),
            documented: |emu| package_twice(emu, "78"),
            ok: pod_ok,
        },
        Leniency {
            kind: "userip-not-ip",
            lenient: |emu| authorize_client(emu, "my-laptop"),
            documented: |emu| authorize_client(emu, "192.0.2.10"),
            ok: pod_ok,
        },
        Leniency {
            kind: "receiver-is-owner",
            lenient: |emu| {
                emu.pod_upload_answer(Upload::alfa_to_beta("O1").set("receiver_bin", ALFA_BIN))
            },
            documented: |emu| emu.pod_upload_answer(Upload::alfa_to_beta("O1")),
            ok: pod_ok,
        },
        Leniency {
            kind: "bin-check-digit",
            lenient: |emu| {
                emu.pod_upload_answer(
                    Upload::alfa_to_beta("C1").set("receiver_bin", "191919020202"),
                )
            },
            documented: |emu| emu.pod_upload_answer(Upload::alfa_to_beta("C1")),
            ok: pod_ok,
        },
        Leniency {
            kind: "mail-form",
            lenient: |emu| {
                emu.pod_upload_answer(Upload::alfa_to_beta("E1").set("receiver_mail", "nobody"))
            },
            documented: |emu| emu.pod_upload_answer(Upload::alfa_to_beta("E1")),
            ok: pod_ok,
        },
        Leniency {
            kind: "time-date-only",
            lenient: |emu| {
                emu.pod_command_answer(ALFA, &AVAILABLE.replace("20260601130000", "20260601"))
            },
            documented: |emu| emu.pod_command_answer(ALFA, AVAILABLE),
            ok: pod_ok,
        },
    ]
}

fn refusing() -> TestEmulator {
    TestEmulator::spawn_edited(|s| {
        s.replacen("portability = \"warn\"", "portability = \"refuse\"", 1)
    })
}

#[test]
fn every_kind_of_the_catalogue_has_a_leniency_here() {
    let kinds: Vec<&str> = leniencies().iter().map(|l| l.kind).collect();
    for (kind, ..) in signsim::portability::CATALOGUE {
        assert!(kinds.contains(kind), "no test shows warning kind {kind}");
    }
}

#[test]
fn each_leniency_warns_on_the_answer_in_the_journal_and_in_the_tally() {
    each_case(
        &leniencies(),
        |l| l.kind,
        |l| {
            let emu = TestEmulator::spawn();
            emu.relies_on_leniency();
            let a = (l.lenient)(&emu);
            assert!(
                (l.ok)(&a),
                "{}: the lenient request is accepted under warn: {}",
                l.kind,
                a.text()
            );
            assert_eq!(a.warnings.len(), 1, "{}: {:?}", l.kind, a.warnings);
            assert!(
                a.warnings[0].starts_with(&format!("{} ", l.kind)),
                "X-Signsim-Warning: {:?}",
                a.warnings
            );
            let entry = emu.admin_ok(&format!("requests/{}", a.id));
            assert_eq!(entry["warnings"][0]["kind"], l.kind, "{entry}");
            assert!(
                !entry["warnings"][0]["reason"]
                    .as_str()
                    .unwrap_or("")
                    .is_empty(),
                "{entry}"
            );
            let tally = emu.admin_ok("warnings");
            assert_eq!(tally["kinds"][l.kind]["count"], 1, "{tally}");
            assert_eq!(tally["kinds"][l.kind]["first_request"], a.id, "{tally}");
            assert_eq!(tally["kinds"][l.kind]["last_request"], a.id, "{tally}");
            assert_eq!(tally["requests"], 1, "{tally}");
            assert!(
                !tally["kinds"][l.kind]["risk"]
                    .as_str()
                    .unwrap_or("")
                    .is_empty(),
                "{tally}"
            );
        },
    );
}

#[test]
fn the_documented_form_of_each_request_warns_nothing() {
    each_case(
        &leniencies(),
        |l| l.kind,
        |l| {
            let emu = TestEmulator::spawn();
            let a = (l.documented)(&emu);
            assert!((l.ok)(&a), "{}: {}", l.kind, a.text());
            assert!(a.warnings.is_empty(), "{}: {:?}", l.kind, a.warnings);
            let tally = emu.admin_ok("warnings");
            assert_eq!(tally["requests"], 0, "{tally}");
            assert_eq!(tally["kinds"], json!({}), "{tally}");
        },
    );
}

#[test]
fn under_refuse_each_leniency_is_refused_in_the_apis_own_shape_naming_the_kind() {
    each_case(
        &leniencies(),
        |l| l.kind,
        |l| {
            let emu = refusing();
            let a = (l.lenient)(&emu);
            assert_eq!(a.status, 200, "{}: {}", l.kind, a.text());
            assert!(
                a.warnings.is_empty(),
                "a refusal is not a warning: {:?}",
                a.warnings
            );
            let needle = format!("not portable ({})", l.kind);
            if a.content_type.contains("json") {
                let v = a.json();
                assert_eq!(v["ErrorCode"], 108, "{}: {v}", l.kind);
                assert!(
                    v["ErrorMessage"].as_str().unwrap_or("").contains(&needle),
                    "{v}"
                );
            } else {
                let x = a.text();
                assert!(x.contains("<status>9</status>"), "{}: {x}", l.kind);
                assert!(x.contains(&needle), "{x}");
            }
            // Counted by its kind beside the warnings (of which there are none).
            let tally = emu.admin_ok("warnings");
            assert_eq!(tally["policy"], "refuse", "{tally}");
            assert_eq!(tally["refused"][l.kind]["count"], 1, "{tally}");
            assert_eq!(tally["refused"][l.kind]["last_request"], a.id, "{tally}");
            assert_eq!(tally["refused_requests"], 1, "{tally}");
            assert_eq!(tally["kinds"], json!({}), "{tally}");
            // The documented form still passes under refuse.
            let emu = refusing();
            let d = (l.documented)(&emu);
            assert!(
                (l.ok)(&d),
                "{}: the documented form under refuse: {}",
                l.kind,
                d.text()
            );
        },
    );
}

/// One client's run: a bare Customercode twice (the second answered from the response cache)
/// and a Podpishi `<oper>` in capitals once.
fn two_kinds_three_times(emu: &TestEmulator) -> Vec<Answer> {
    let bare = || emu.get_answer("GetCAList", &[("Customercode", "10320874334-1234")]);
    let oper = emu.pod_command_answer(
        ALFA,
        &AVAILABLE.replace("getavailabledocs", "GETAVAILABLEDOCS"),
    );
    vec![bare(), oper, bare()]
}

#[test]
fn under_refuse_the_warnings_tally_counts_each_refused_kind_and_under_warn_the_warnings() {
    let emu = refusing();
    let sent = two_kinds_three_times(&emu);
    let tally = emu.admin_ok("warnings");
    assert_eq!(tally["policy"], "refuse", "{tally}");
    assert_eq!(tally["refused_requests"], 3, "{tally}");
    let refused = &tally["refused"];
    assert_eq!(
        refused
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec![
            "bare-customercode".to_string(),
            "oper-case".to_string()
        ]),
        "{tally}"
    );
    assert_eq!(refused["bare-customercode"]["count"], 2, "{tally}");
    assert_eq!(
        refused["bare-customercode"]["first_request"], sent[0].id,
        "{tally}"
    );
    assert_eq!(
        refused["bare-customercode"]["last_request"], sent[2].id,
        "{tally}"
    );
    assert_eq!(refused["oper-case"]["count"], 1, "{tally}");
    assert_eq!(refused["oper-case"]["first_request"], sent[1].id, "{tally}");
    for kind in ["bare-customercode", "oper-case"] {
        assert!(
            !refused[kind]["risk"].as_str().unwrap_or("").is_empty(),
            "{tally}"
        );
        assert!(
            !refused[kind]["last_reason"]
                .as_str()
                .unwrap_or("")
                .is_empty(),
            "{tally}"
        );
    }
    // Nothing was accepted, so nothing warned.
    assert_eq!(tally["requests"], 0, "{tally}");
    assert_eq!(tally["kinds"], json!({}), "{tally}");

    // The same client under warn: accepted, warned, and nothing refused.
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    two_kinds_three_times(&emu);
    let tally = emu.admin_ok("warnings");
    assert_eq!(tally["policy"], "warn", "{tally}");
    assert_eq!(tally["refused"], json!({}), "{tally}");
    assert_eq!(tally["refused_requests"], 0, "{tally}");
    assert_eq!(tally["kinds"]["bare-customercode"]["count"], 2, "{tally}");
    assert_eq!(tally["kinds"]["oper-case"]["count"], 1, "{tally}");
    assert_eq!(tally["requests"], 3, "{tally}");
}

#[test]
fn under_allow_a_leniency_passes_silently() {
    let emu = TestEmulator::spawn_edited(|s| {
        s.replacen("portability = \"warn\"", "portability = \"allow\"", 1)
    });
    let a = emu.get_answer("GetCAList", &[("Customercode", "10320874334-1234")]);
    assert!(pki_ok(&a), "{}", a.text());
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_eq!(emu.admin_ok("warnings")["requests"], 0);
    assert_eq!(emu.admin_ok("warnings")["policy"], "allow");
}

#[test]
fn a_license_in_a_bare_position_is_checked() {
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    let (status, body) = emu.get("GetCAList", &[("Customercode", "10320874334-9999")]);
    assert_refused(
        &(status, body),
        401,
        202,
        &["'10320874334-9999'", "license number '9999'"],
    );
    let (status, body) = emu.post(
        "GetCredit",
        &json!({"customercode": "10320874334-9999", "reportkey": "report-key-A-0001"}),
    );
    assert_refused(&(status, body), 200, 202, &["license number '9999'"]);
}

#[test]
fn unpadded_base64_commands_are_accepted_as_phps_decoder_does() {
    let emu = TestEmulator::spawn();
    // Pad the XML with a newline so that its base64 needs `=` padding, then drop the padding.
    let xml = format!("{AVAILABLE}\n");
    let unpadded = b64(xml.as_bytes()).trim_end_matches('=').to_string();
    assert_ne!(unpadded.len() % 4, 0, "the sample must need padding");
    let a = emu.pod_form_answer(&[
        ("login", ALFA.0),
        ("apikey", ALFA.1),
        ("command", &unpadded),
    ]);
    assert!(pod_ok(&a), "{}", a.text());
    assert!(
        a.text().contains("command=\"getavailabledocs\""),
        "{}",
        a.text()
    );
    assert!(
        a.warnings.is_empty(),
        "PHP accepts it: no warning: {:?}",
        a.warnings
    );
}

#[test]
fn the_api_prefix_matches_in_any_case_as_aspnet_routes_do() {
    let emu = TestEmulator::spawn();
    for path in ["/API/GetVersion", "/Api/getversion"] {
        let (status, bytes) = emu.get_bytes(path);
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(status, 200, "{path}: {v}");
        assert_eq!(v["Version"], "1.8", "{path}: {v}");
    }
    // An unknown method under /API/ is PKI's own 404, not the emulator's generic one.
    let (status, bytes) = emu.get_bytes("/API/GetVersionn");
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(status, 404);
    assert_eq!(v["ErrorCode"], 105, "{v}");
    assert!(
        v["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("did you mean GetVersion"),
        "{v}"
    );
}

#[test]
fn is_approved_says_unsuccess_with_the_reason_in_description() {
    let emu = TestEmulator::spawn();
    let (status, body) = emu.post("IsApproved", &json!({"trackingCode": "4711"}));
    assert_refused(
        &(status, body.clone()),
        200,
        401,
        &["tracking code '4711' does not exist"],
    );
    assert_eq!(body["Message"], "Unsuccess", "{body}");
    // The reason: in Description and in X-Signsim-Diagnostic (IsApproved documents no
    // ErrorMessage, the PKI document, lines 587–591).
    let diagnostic = last_diagnostic().unwrap_or_default();
    assert_eq!(
        diagnostic,
        format!(
            "401 TrackingCodeUnknown: {}",
            body["Description"].as_str().unwrap_or("")
        ),
        "{body}"
    );
}

#[test]
fn the_shutdown_summary_names_what_production_may_not_share() {
    let mut p = SignsimProcess::start(&["--addr", "127.0.0.1:0"]);
    let c = reqwest::blocking::Client::new();
    let r = c
        .get(format!(
            "{}/api/GetCAList?Customercode=10320874334-1234",
            p.url
        ))
        .send()
        .unwrap();
    assert!(r.headers().get("x-signsim-warning").is_some());
    let stderr = p.stop();
    assert!(
        stderr.contains("1 request(s) relied on behaviour production may not share"),
        "{stderr}"
    );
    assert!(stderr.contains("bare-customercode: 1"), "{stderr}");
}

#[test]
fn the_portability_flag_overrides_the_scenario() {
    let mut p = SignsimProcess::start(&["--addr", "127.0.0.1:0", "--portability", "refuse"]);
    let v: Value = reqwest::blocking::get(format!(
        "{}/api/GetCAList?Customercode=10320874334-1234",
        p.url
    ))
    .unwrap()
    .json()
    .unwrap();
    assert_eq!(v["ErrorCode"], 108, "{v}");
    let stderr = p.stop();
    assert!(!stderr.contains("relied on behaviour"), "{stderr}");
    // The shutdown summary tallies the refusal instead.
    assert!(
        stderr.contains("1 request(s) were refused as not portable"),
        "{stderr}"
    );
    assert!(stderr.contains("bare-customercode: 1"), "{stderr}");
}
