//! Every state-machine transition is reported once, by whatever applied it — an upstream
//! request, the control API or a scenario reaction — with its machine, its states before and
//! after, the tenant and the record: the journal entry of the request that applied it carries
//! it, a request that changed nothing carries none, and reactions can follow a transition
//! however it was applied.

use crate::helpers::*;
use serde_json::{json, Value};

/// The `changes` of the newest journal entry matching `query` (`[]` when it has none).
fn changes_of(emu: &TestEmulator, query: &str) -> Value {
    let entries = emu.journal(query);
    let last = entries
        .last()
        .unwrap_or_else(|| panic!("no journal entry for {query}"));
    last.get("changes").cloned().unwrap_or_else(|| json!([]))
}

fn tracking(transition: &str, from: &str, to: &str, code: &str) -> Value {
    json!({"machine": "tracking", "transition": transition, "from": from, "to": to,
           "tenant": Customer::A.code, "record": code})
}

fn certificate(transition: &str, from: &str, to: &str, record: &str) -> Value {
    json!({"machine": "certificate", "transition": transition, "from": from, "to": to,
           "tenant": Customer::A.code, "record": record})
}

fn permission(transition: &str, from: &str, to: &str, tenant: &str, num: &str, i: u64) -> Value {
    json!({"machine": "permission", "transition": transition, "from": from, "to": to,
           "tenant": tenant, "record": num, "permission": i})
}

#[test]
fn a_tracking_codes_transitions_are_in_the_journal_entries_that_applied_them() {
    let emu = TestEmulator::spawn();
    let t = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi());
    assert_eq!(
        changes_of(&emu, "operation=RegisterInfo"),
        json!([tracking("register", "[*]", "AwaitingApproval", &t)])
    );

    // The same RegisterInfo again answers the same tracking code and changes nothing.
    assert_eq!(
        emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi()),
        t
    );
    assert_eq!(changes_of(&emu, "operation=RegisterInfo"), json!([]));

    // The RA officer approves through the control API: the same transition RequestApprove
    // applies, in the control call's entry.
    let (status, body) = emu.admin_post(&format!("pki/tracking/{t}/approve"), &json!({}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        changes_of(&emu, "api=admin&operation=pki.approve"),
        json!([tracking("approve", "AwaitingApproval", "Approved", &t)])
    );
    // Approving again is refused, and a refusal applies nothing.
    let (status, body) = emu.admin_post(&format!("pki/tracking/{t}/approve"), &json!({}));
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        changes_of(&emu, "api=admin&operation=pki.approve"),
        json!([])
    );

    let dir = tempfile::tempdir().unwrap();
    let csr = openssl_csr(dir.path(), 2048).1;
    let issued = emu.issue(&Customer::A, "01", "Bronze-Sign-InPerson", &t, &csr);
    assert_eq!(issued["PaymentStatus"], "Paid", "{issued}");
    assert_eq!(
        changes_of(&emu, "operation=IssueCertificateByTrackingCode"),
        json!([
            tracking("issue", "Approved", "Issued", &t),
            certificate("issue", "[*]", "Active", "01/1001"),
        ])
    );
    // The same request again is answered from the record, uncharged: no transition.
    emu.issue(&Customer::A, "01", "Bronze-Sign-InPerson", &t, &csr);
    assert_eq!(
        changes_of(&emu, "operation=IssueCertificateByTrackingCode"),
        json!([])
    );
    // Reads apply nothing.
    emu.is_approved(&t);
    assert_eq!(changes_of(&emu, "operation=IsApproved"), json!([]));

    // Revoking moves the tracking code and its certificate, in the one request's entry;
    // revoking again is refused and applies nothing.
    let cert = issued["Certificate"].as_str().unwrap().to_string();
    assert_ok(&emu.revoke_certificate(&Customer::A, &cert, 4));
    assert_eq!(
        changes_of(&emu, "operation=RevokeCertificate"),
        json!([
            tracking("revoke", "Issued", "Revoked", &t),
            certificate("revoke", "Active", "Revoked", "01/1001"),
        ])
    );
    emu.revoke_certificate(&Customer::A, &cert, 4);
    assert_eq!(changes_of(&emu, "operation=RevokeCertificate"), json!([]));
}

#[test]
fn a_documents_permission_transitions_name_the_login_that_acted() {
    let emu = TestEmulator::spawn();
    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("R-CHANGES")).1);
    let doc = emu.admin_ok(&format!("podpishi/documents/{num}"));
    let ids: Vec<u64> = doc["permissions"]
        .as_array()
        .unwrap_or_else(|| panic!("{doc}"))
        .iter()
        .map(|p| p["i"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{doc}");
    assert_eq!(
        changes_of(&emu, "operation=upload"),
        json!([
            permission("upload", "[*]", "unsigned", ALFA.0, &num, ids[0]),
            permission("upload", "[*]", "unsigned", ALFA.0, &num, ids[1]),
        ])
    );

    // The counterparty signs in its cabinet (the control API acting for it): the document
    // owner's world changed.
    let (status, body) = emu.admin_post(
        &format!("podpishi/documents/{num}/sign"),
        &json!({"signer": "petrova"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        changes_of(&emu, "api=admin&operation=podpishi.documents.sign"),
        json!([permission(
            "sign", "unsigned", "signed", ALFA.0, &num, ids[1]
        )])
    );

    // A command that only reads applies nothing.
    emu.pod_status(ALFA, &num);
    assert_eq!(changes_of(&emu, "operation=getstatus"), json!([]));
}

const FOLLOW_TRANSITIONS: &str = r#"
[[reactions]]
on = { api = "pki", transition = "register" }
after = "5s"
do = { kind = "approve", approver = "scenario officer" }

[[reactions]]
on = { api = "pki", transition = "approve" }
after = "1h"
do = { kind = "reject", reason = "the approval was revoked" }
"#;

#[test]
fn a_reaction_follows_a_transition_however_it_was_applied() {
    let emu = TestEmulator::spawn_edited(|t| t + FOLLOW_TRANSITIONS);
    let t = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi());
    let pending = |emu: &TestEmulator| emu.admin_ok("schedule")["pending"].clone();
    let p = pending(&emu);
    assert_eq!(p.as_array().map(Vec::len), Some(1), "{p}");
    assert_eq!(p[0]["origin"], format!("reactions[0] to register of {t}"));
    assert_eq!(p[0]["record"], t.as_str());

    // A repeated RegisterInfo applies no transition, so it is not followed again.
    emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi());
    assert_eq!(pending(&emu).as_array().map(Vec::len), Some(1));

    // The approval the first reaction applies is a transition the second one follows.
    emu.advance("5s");
    assert_eq!(emu.state_of(&t), "Approved");
    let p = pending(&emu);
    assert_eq!(p.as_array().map(Vec::len), Some(1), "{p}");
    assert_eq!(p[0]["origin"], format!("reactions[1] to approve of {t}"));
    let journaled = emu.journal("api=scenario");
    assert_eq!(
        journaled[0]["changes"],
        json!([tracking("approve", "AwaitingApproval", "Approved", &t)]),
        "{journaled:?}"
    );

    emu.advance("1h");
    assert_eq!(emu.state_of(&t), "Rejected");
    assert_eq!(pending(&emu), json!([]));
}

#[test]
fn a_reaction_names_an_operation_or_a_known_transition() {
    let emu = TestEmulator::spawn();
    let bad = [
        (
            "on = { api = \"pki\", transition = \"aprove\" }",
            "reactions[0].on.transition",
            "'aprove' is not a transition of a tracking code; did you mean 'approve'?",
        ),
        (
            "on = { api = \"podpishi\", transition = \"signn\" }",
            "reactions[0].on.transition",
            "did you mean 'sign'?",
        ),
        (
            "on = { api = \"pki\", operation = \"IsApproved\", transition = \"approve\" }",
            "reactions[0].on",
            "give exactly one of operation (a request) and transition (a state change)",
        ),
        (
            "on = { api = \"pki\" }",
            "reactions[0].on",
            "give exactly one of operation",
        ),
    ];
    each_case(
        &bad,
        |c| c.0,
        |(on, field, message)| {
            let text = default_scenario_text()
                + &format!("\n[[reactions]]\n{on}\ndo = {{ kind = \"approve\" }}\n");
            let (status, body) = emu.admin_post_text("scenario", "application/toml", &text);
            assert_eq!(status, 400, "{body}");
            let problems = scenario_problems(&body);
            assert!(
                problems.iter().any(|p| p["field"] == *field
                    && p["message"].as_str().unwrap_or("").contains(message)),
                "{body}"
            );
        },
    );
}
