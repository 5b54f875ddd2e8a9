//! The contract coverage report: what a client session reached, per tenant, through
//! `GET /__admin/coverage`, `signsim coverage` (its formats and the `--require` gate) and
//! `serve --coverage-out`; counts survive a reset and go with a DELETE; the universe holds every
//! error, transition and warning kind the code has.

use crate::helpers::pki::{mehdi, Customer};
use crate::helpers::podpishi::{Upload, ALFA};
use crate::helpers::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::Command;

const A: &str = "10320874334";

/// A short PKI session of customer A: GetCAList twice (once with `CODE-LICENSE`, which warns
/// bare-customercode), a registration, one refused for its signature, and GetCredit hit by an
/// injected error.
fn session(emu: &TestEmulator) -> String {
    emu.relies_on_leniency();
    assert_eq!(emu.get("GetCAList", &[("Customercode", A)]).0, 200);
    assert_eq!(
        emu.get("GetCAList", &[("Customercode", "10320874334-1234")])
            .0,
        200
    );
    let tracking = emu.register_mehdi();
    let mut bad = Customer::A.register_body("01", "Bronze-Sign", mehdi());
    bad["signature"] = json!(Customer::B.sign_unicode("10320874334-1234-0012345679"));
    let (_, body) = emu.post("RegisterInfo", &bad);
    assert_eq!(body["ErrorCode"], 203, "{body}");
    emu.add_fault(&json!({"api": "pki", "operation": "GetCredit",
        "action": {"kind": "error", "code": 999, "message": "injected"}}));
    emu.post(
        "GetCredit",
        &json!({"reportkey": Customer::A.report_key, "customercode": A}),
    );
    tracking
}

fn coverage(emu: &TestEmulator, query: &str) -> Value {
    let (status, body) = emu.admin_get(&format!("coverage{query}"));
    assert_eq!(status, 200, "{body}");
    body
}

/// `{id: (count, calls, operations)}` of the outcomes reached.
fn reached(report: &Value) -> BTreeMap<String, Value> {
    report["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["count"] != 0 || o["calls"].as_u64().unwrap_or(0) > 0)
        .map(|o| {
            (
                o["id"].as_str().unwrap().to_string(),
                json!([o["count"], o["calls"], o["operations"]]),
            )
        })
        .collect()
}

#[test]
fn a_client_session_is_reported_in_full_for_its_tenant() {
    let emu = TestEmulator::spawn();
    let tracking = session(&emu);
    let state = emu.state_of(&tracking);
    let r = coverage(&emu, &format!("?tenant={A}"));
    let entered = if state.contains("AwaitingApproval") {
        "AwaitingApproval"
    } else {
        "Registered"
    };
    let want: BTreeMap<String, Value> = [
        ("pki:GetCAList:ok", json!([2, 2, null])),
        ("pki:RegisterInfo:ok", json!([1, 2, null])),
        ("pki:GetCredit:ok", json!([0, 1, null])),
        (
            "pki:error:SignatureInvalid",
            json!([1, null, {"RegisterInfo": 1}]),
        ),
        (
            "pki:warning:bare-customercode",
            json!([1, null, {"GetCAList": 1}]),
        ),
        ("pki:fault:error", json!([1, null, {"GetCredit": 1}])),
        (&*format!("tracking:[*]->{entered}"), json!([1, null, null])),
        (&*format!("tracking:{entered}"), json!([1, null, null])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(reached(&r), want, "{:#}", r["outcomes"]);
    assert_eq!(r["tenant"], A);
    assert_eq!(r["tenants"], json!([A]));
    let outcomes = r["outcomes"].as_array().unwrap();
    assert_eq!(r["total"], outcomes.len());
    assert_eq!(r["reached"], 7, "GetCredit was called but never succeeded");
    // `never` is every outcome with count 0, in the outcomes' order.
    let never: Vec<&Value> = r["never"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["id"])
        .collect();
    let zero: Vec<&Value> = outcomes
        .iter()
        .filter(|o| o["count"] == 0)
        .map(|o| &o["id"])
        .collect();
    assert_eq!(never, zero);
    let text = |id: &str| {
        r["never"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .unwrap()["text"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        text("pki:RevokeCertificate:ok"),
        "your tests never called RevokeCertificate"
    );
    assert!(text("pki:GetCredit:ok").contains("never saw GetCredit succeed (1 calls"));
    assert_eq!(
        text("tracking:Issued->Revoked"),
        "your tests never saw a certificate revoked"
    );
    assert_eq!(
        text("permission:unsigned->deleted:refuse"),
        "your tests never saw a document refused by its counterparty"
    );
    assert!(text("pki:error:SignatureMalformed").contains("SignatureMalformed (code 204)"));
    // The Podpishi half: nothing of this tenant.
    let p = coverage(&emu, &format!("?tenant={A}&api=podpishi"));
    assert_eq!(p["reached"], 0);
    assert!(p["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["api"] == "podpishi"));
}

#[test]
fn reset_keeps_coverage_and_delete_empties_it() {
    let emu = TestEmulator::spawn();
    let (status, xml) = emu.pod_upload(Upload::alfa_to_beta("cov-1"));
    assert_eq!(status, 200, "{xml}");
    emu.advance("1h");
    assert_eq!(emu.admin_post("reset", &json!({})).0, 200);
    let r = coverage(&emu, "");
    assert_eq!(r["tenants"], json!([ALFA.0]));
    let got = reached(&r);
    assert_eq!(got["podpishi:upload:ok"], json!([1, 1, null]), "{got:?}");
    assert_eq!(got["clock:advance"], json!([1, null, null]), "{got:?}");
    assert!(
        got.contains_key("permission:[*]->unsigned:upload"),
        "{got:?}"
    );
    let alfa = coverage(&emu, "?tenant=alfa@test.kz");
    assert!(reached(&alfa).contains_key("podpishi:upload:ok"));
    assert!(
        !reached(&alfa).contains_key("clock:advance"),
        "the clock is no tenant's"
    );
    assert_eq!(emu.admin_delete("coverage").0, 200);
    let r = coverage(&emu, "");
    assert_eq!(r["reached"], 0);
    assert_eq!(r["tenants"], json!([]));
}

#[test]
fn bad_filters_name_the_field_and_what_was_expected() {
    let emu = TestEmulator::spawn();
    assert_admin_error(
        &emu.admin_get("coverage?api=soap"),
        400,
        &["api", "'soap'", "pki or podpishi"],
    );
    assert_admin_error(
        &emu.admin_get("coverage?tenat=x"),
        400,
        &["'tenat'", "did you mean 'tenant'"],
    );
    emu.get("GetCAList", &[("Customercode", A)]);
    assert_admin_error(
        &emu.admin_get("coverage?tenant=10320874335"),
        404,
        &["tenant", "'10320874335'", "did you mean '10320874334'"],
    );
}

fn signsim(args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signsim"));
    for (k, _) in std::env::vars() {
        if k.starts_with("SIGNSIM_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd.args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn require_passes_fails_and_refuses_misspelled_names() {
    let emu = TestEmulator::spawn();
    session(&emu);
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let met = file(
        "met.txt",
        "# what our suite must reach\nGetCAList:ok\nRegisterInfo:SignatureInvalid\nRegisterInfo:code=203\n\
         pki:GetCredit:called   # a comment after a line\nfault:error\nwarning:token-type-case=0\nevent:credit=0\n",
    );
    let (code, out, err) = signsim(&["coverage", "--url", &emu.url, "--require", &met]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("all 7 requirements"), "{out}");

    let unmet = file(
        "unmet.txt",
        "GetCAList:ok\nRevokeCertificate:ok\nupload:status=22\ntracking:Approved→Issued\nwarning:*=0\n",
    );
    let (code, out, err) = signsim(&["coverage", "--url", &emu.url, "--require", &unmet]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("4 of 5 requirements"), "{err}");
    for needle in [
        "line 2: RevokeCertificate:ok — your tests never called RevokeCertificate",
        "line 3: upload:status=22 — upload was never refused with UntrustedSigner (status 22)",
        "line 4: tracking:Approved→Issued — your tests never saw a certificate issued from Approved",
        "line 5: warning:*=0 — reached: pki:warning:bare-customercode (1 times)",
    ] {
        assert!(err.contains(needle), "{needle} in {err}");
    }
    assert!(!err.contains("line 1"), "{err}");

    let typos = file(
        "typos.txt",
        "RevokeCertifcate:ok\ntracking:Aproved->Issued\nwarning:field-mising=0\nGetCAList:okay\n",
    );
    let (code, _, err) = signsim(&["coverage", "--url", &emu.url, "--require", &typos]);
    assert_eq!(code, 2, "{err}");
    for needle in [
        "line 1: 'RevokeCertifcate:ok': 'RevokeCertifcate' is not an operation, a state machine or a group; did you mean 'RevokeCertificate'?",
        "line 2: 'tracking:Aproved->Issued': 'Aproved' is not a tracking state; did you mean 'Approved'?",
        "line 3: 'warning:field-mising=0': 'field-mising' is not a warning kind; did you mean 'field-missing'?",
        "line 4: 'GetCAList:okay': 'okay' is not an outcome of GetCAList; did you mean 'ok'?",
    ] {
        assert!(err.contains(needle), "{needle} in {err}");
    }
}

#[test]
fn the_formats_print_the_report_and_junit_parses_with_skipped_cases() {
    let emu = TestEmulator::spawn();
    session(&emu);
    let (code, xml, err) = signsim(&["coverage", "--url", &emu.url, "--format", "junit"]);
    assert_eq!(code, 0, "{err}");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut skipped, mut suites) = (0u64, 0usize, 0);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) | Ok(quick_xml::events::Event::Empty(e)) => {
                match e.name().0 {
                    "testcase" => cases += 1u64,
                    "skipped" => skipped += 1,
                    "testsuite" => suites += 1,
                    _ => {}
                }
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Err(e) => panic!("not XML: {e}\n{xml}"),
            _ => {}
        }
    }
    let report = coverage(&emu, "");
    assert_eq!(cases, report["total"].as_u64().unwrap());
    assert_eq!(skipped, report["never"].as_array().unwrap().len());
    assert!(suites > 5 && skipped > 0 && (skipped as u64) < cases);
    assert!(
        xml.contains("classname=\"pki.operation\" name=\"pki:GetCAList:ok\""),
        "{xml}"
    );

    let (code, md, _) = signsim(&[
        "coverage", "--url", &emu.url, "--format", "markdown", "--api", "pki",
    ]);
    assert_eq!(code, 0);
    assert!(md.starts_with("## signsim contract coverage"), "{md}");
    assert!(md.contains("| PKI: operations | 2 | 17 |"), "{md}");
    assert!(
        md.contains("- your tests never called RevokeCertificate (`pki:RevokeCertificate:ok`)"),
        "{md}"
    );
    let (code, text, _) = signsim(&["coverage", "--url", &emu.url, "--tenant", "alfa@test.kz"]);
    assert_eq!(code, 1, "alfa made no request: {text}");
    let (code, json, _) = signsim(&[
        "coverage", "--url", &emu.url, "--format", "json", "--tenant", A,
    ]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["reached"], 7);
}

#[test]
fn coverage_out_is_written_when_the_server_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("coverage.json");
    let mut p =
        SignsimProcess::start_with_env(&[], &[("SIGNSIM_COVERAGE_OUT", out.to_str().unwrap())]);
    let r = reqwest::blocking::get(format!("{}/api/GetCAList?Customercode={A}", p.url)).unwrap();
    assert_eq!(r.status(), 200);
    assert!(!out.exists());
    p.stop();
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["tenants"], json!([A]));
    let ok = v["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "pki:GetCAList:ok")
        .unwrap();
    assert_eq!(ok["count"], 1);
}

/// Nothing added by hand: the universe is read from the code's own tables.
#[test]
fn every_catalogue_error_transition_and_warning_kind_is_in_the_universe() {
    let u = signsim::app::coverage::universe();
    let has = |api: &str, group: &str, subject: &str| {
        u.outcomes
            .iter()
            .any(|o| o.api == api && o.group == group && o.subject == subject)
    };
    for (kind, name, ..) in signsim::pki::error::CATALOGUE {
        // A retired kind (never raised) is left out: nobody could reach it.
        assert_eq!(has("pki", "error", name), kind.raised(), "{name}");
    }
    for (_, name, ..) in signsim::podpishi::error::CATALOGUE {
        assert!(has("podpishi", "error", name), "{name}");
    }
    for (kind, api, _) in signsim::portability::CATALOGUE {
        for a in ["pki", "podpishi"] {
            if *api == a || *api == "both" {
                assert!(has(a, "warning", kind), "{a} {kind}");
            }
        }
    }
    for (kind, _) in signsim::faults::KINDS {
        assert!(
            has("pki", "fault", kind) && has("podpishi", "fault", kind),
            "{kind}"
        );
    }
    for (kind, on_record, _) in signsim::events::ACTION_KINDS {
        assert!(has("scenario", "reaction", kind), "{kind}");
        // A timed event has no record to act on: those kinds are reactions only.
        assert_eq!(has("scenario", "event", kind), !on_record, "{kind}");
    }
    for r in signsim::pki::routes::ROUTES {
        assert!(has("pki", "operation", r.name), "{}", r.name);
    }
    for (oper, ..) in signsim::podpishi::COMMANDS {
        assert!(has("podpishi", "operation", oper), "{oper}");
    }
    let transitions = |machine: &str| -> Vec<String> {
        u.outcomes
            .iter()
            .filter(|o| o.group == "transition" && o.subject == machine)
            .map(|o| o.text.clone())
            .collect()
    };
    let pki = transitions("tracking");
    assert_eq!(pki.len(), signsim::pki::model::TRANSITIONS.len());
    for e in signsim::pki::model::TRANSITIONS {
        let from = e.from.map_or("[*]", |s| s.name());
        let text = format!(
            "a tracking went {from} → {} ({})",
            e.to.name(),
            e.transition.name()
        );
        assert!(pki.contains(&text), "{text}");
    }
    let pod = transitions("permission");
    assert_eq!(pod.len(), signsim::podpishi::model::TRANSITIONS.len());
    for (from, t, to) in signsim::podpishi::model::TRANSITIONS {
        let name = |s: &signsim::podpishi::model::PermState| match s.name() {
            "absent" => "[*]",
            n => n,
        };
        let text = format!(
            "a permission went {} → {} ({})",
            name(from),
            name(to),
            t.name()
        );
        assert!(pod.contains(&text), "{text}");
    }
}
