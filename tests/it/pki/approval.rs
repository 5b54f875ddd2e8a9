//! Identity approval: `IsApproved` and `RequestApprove`, in person
//! (a CMS detached `approverSign` by a scenario approver) and remote (face authentication,
//! `orderId`). Approver signatures are made by `openssl cms` (with and without signed
//! attributes) and by Python `cryptography`'s PKCS7 builder over UTF-16LE made by iconv;
//! issued certificates are checked with `openssl verify`.

use crate::helpers::*;
use serde_json::{json, Value};

const FULL_CREDIT: i64 = 10_000_000;
const IN_PERSON_PRICE: i64 = 250_000;
const FACE_AUTH_PRICE: i64 = 200_000;
const SILVER_PRICE: i64 = 600_000;
const MEHDI: &str = "0012345679";
const SARA: &str = "1273141598";
/// The scenario's second in-person approver.
const APPROVER_2: &str = "TEST Approver Maryam Karimi";

/// Registers Mehdi for customer A in CA 01 / Bronze-Sign-InPerson; returns the tracking code.
fn pending_in_person(emu: &TestEmulator) -> String {
    emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi())
}

/// Customer A's RequestApprove for Mehdi naming `approver`, with `approverSign` as given.
fn approve(
    emu: &TestEmulator,
    tracking: &str,
    approver: &str,
    approver_sign: Option<&str>,
) -> (u16, Value) {
    emu.post(
        "RequestApprove",
        &Customer::A.request_approve_body(MEHDI, tracking, approver, approver_sign, None),
    )
}

/// The UTF-16LE bytes of Mehdi's approval text naming approver-1 (iconv).
fn approval_bytes(tracking: &str) -> Vec<u8> {
    utf16le(&approval_text(MEHDI, tracking, APPROVER_1))
}

/// Whether `openssl cms -cmsout -print` shows signed attributes (the line after
/// `signedAttrs:` is `<ABSENT>` when there are none).
fn has_signed_attributes(printed: &str) -> bool {
    let mut lines = printed.lines().skip_while(|l| l.trim() != "signedAttrs:");
    assert!(lines.next().is_some(), "no signedAttrs in {printed}");
    lines.next().is_some_and(|l| l.trim() != "<ABSENT>")
}

fn assert_approved(resp: &(u16, Value)) {
    let (status, body) = resp;
    assert_eq!(*status, 200, "{body}");
    assert_eq!(body["ResultCode"], true, "{body}");
    assert_eq!(body["Message"], "Success", "{body}");
    assert_eq!(body["ErrorCode"], 0, "{body}");
}

/// A refused approval changed nothing: the tracking code still awaits approval (IsApproved
/// false/"Unsuccess"), nothing was charged, and issuing is still refused.
fn assert_still_awaiting(emu: &TestEmulator, tracking: &str, credit: i64) {
    assert_eq!(emu.state_of(tracking), "AwaitingApproval");
    assert_eq!(
        emu.is_approved(tracking),
        (json!(false), json!("Unsuccess"))
    );
    assert_eq!(emu.credit(&Customer::A), credit);
}

fn issue_in_person(emu: &TestEmulator, tracking: &str, csr: &[u8]) -> (u16, Value) {
    emu.issue_certificate(&Customer::A, "01", "Bronze-Sign-InPerson", tracking, csr)
}

/// Issues the approved in-person tracking code; asserts it is Paid, charged, and that the
/// certificate chains to CA 01 and the root.
fn issue_after_approval(emu: &TestEmulator, dir: &std::path::Path, tracking: &str) {
    let (_key, csr) = openssl_csr(dir, 2048);
    let resp = issue_in_person(emu, tracking, &csr);
    assert_ok(&resp);
    assert_eq!(resp.1["PaymentStatus"], "Paid", "{}", resp.1);
    let cert = unb64(resp.1["Certificate"].as_str().unwrap());
    let verified = openssl_verify(dir, &cert, "pki/ca-01.pem", None, TEST_CLOCK);
    assert!(verified.is_ok(), "{verified:?}");
    assert!(
        openssl_text(&cert).contains("serialNumber=0012345679"),
        "{}",
        openssl_text(&cert)
    );
    assert_eq!(emu.state_of(tracking), "Issued");
    assert_eq!(emu.credit(&Customer::A), FULL_CREDIT - IN_PERSON_PRICE);
}

// ── in person ────────────────────────────────────────────────────────────────────────────

#[test]
fn in_person_approval_with_an_openssl_detached_cms_then_issue() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let tracking = pending_in_person(&emu);
    assert_eq!(
        emu.is_approved(&tracking),
        (json!(false), json!("Unsuccess"))
    );
    assert_eq!(emu.state_of(&tracking), "AwaitingApproval");

    // Issuing before approval is refused, naming the missing step.
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let refused = issue_in_person(&emu, &tracking, &csr);
    assert_refused(
        &refused,
        200,
        402,
        &[&tracking, "AwaitingApproval", "RequestApprove"],
    );
    assert_eq!(refused.1["Certificate"], Value::Null);
    assert_still_awaiting(&emu, &tracking, FULL_CREDIT);

    // The approver's detached CMS with signed attributes, which openssl itself verifies
    // against the fixture hierarchy and the UTF-16LE text.
    let data = approval_bytes(&tracking);
    let cms = openssl_cms_sign("approver-1", &data, false, false);
    let printed = openssl_cms_print(&cms);
    assert!(printed.contains("eContent: <ABSENT>"), "{printed}");
    assert!(has_signed_attributes(&printed), "{printed}");
    let sig_file = write(dir.path(), "approval.cms", &cms);
    let data_file = write(dir.path(), "approval.txt", &data);
    run(
        "openssl",
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            sig_file.to_str().unwrap(),
            "-content",
            data_file.to_str().unwrap(),
            "-CAfile",
            fixture("pki/root-and-intermediates.pem").to_str().unwrap(),
            "-out",
            "/dev/null",
        ],
        b"",
    );

    assert_approved(&approve(&emu, &tracking, APPROVER_1, Some(&b64(&cms))));
    assert_eq!(emu.is_approved(&tracking), (json!(true), json!("Success")));
    assert_eq!(emu.state_of(&tracking), "Approved");
    assert_eq!(
        emu.credit(&Customer::A),
        FULL_CREDIT,
        "approval is not charged"
    );
    issue_after_approval(&emu, dir.path(), &tracking);
}

/// Other detached signatures by the approver are accepted too: (case, the signer, whether
/// openssl prints signed attributes in it, or `None` when that is not the point).
#[test]
fn other_detached_approver_signatures_are_accepted() {
    type Case = (&'static str, fn(&[u8]) -> Vec<u8>, Option<bool>);
    let cases: &[Case] = &[
        (
            "openssl cms without signed attributes",
            |data| openssl_cms_sign("approver-1", data, true, false),
            Some(false),
        ),
        (
            "Python cryptography's PKCS7 builder",
            |data| python_pkcs7_detached("approver-1", data),
            None,
        ),
    ];
    each_case(
        cases,
        |c| c.0,
        |&(_, sign, signed_attributes)| {
            let emu = TestEmulator::spawn();
            let dir = tempfile::tempdir().unwrap();
            let tracking = pending_in_person(&emu);
            let cms = sign(&approval_bytes(&tracking));
            let printed = openssl_cms_print(&cms);
            assert!(
                printed.contains("eContent: <ABSENT>"),
                "an attached signature: {printed}"
            );
            if let Some(attrs) = signed_attributes {
                assert_eq!(has_signed_attributes(&printed), attrs, "{printed}");
            }
            assert_approved(&approve(&emu, &tracking, APPROVER_1, Some(&b64(&cms))));
            assert_eq!(emu.is_approved(&tracking), (json!(true), json!("Success")));
            assert_eq!(emu.state_of(&tracking), "Approved");
            issue_after_approval(&emu, dir.path(), &tracking);
        },
    );
}

#[test]
fn the_second_approver_approves_under_her_own_name() {
    let emu = TestEmulator::spawn();
    let tracking = pending_in_person(&emu);
    let text = approval_text(MEHDI, &tracking, APPROVER_2);
    let cms = openssl_cms_sign("approver-2", &utf16le(&text), false, false);
    let resp = approve(&emu, &tracking, APPROVER_2, Some(&b64(&cms)));
    assert_approved(&resp);
    assert!(
        resp.1["Description"]
            .as_str()
            .unwrap_or_default()
            .contains(APPROVER_2),
        "{}",
        resp.1
    );
    assert_eq!(emu.state_of(&tracking), "Approved");
}

// ── in person: refusals ──────────────────────────────────────────────────────────────────

/// In a needle: the approval text of the case's tracking code naming approver-1.
const TEXT: &str = "{the approval text}";

/// One refused in-person approval of Mehdi's pending tracking code naming approver-1: (case,
/// the approverSign sent for the tracking code, HTTP status, ErrorCode, what ErrorMessage
/// names — [`TEXT`] standing for the approval text).
type Refusal = (
    &'static str,
    fn(&str) -> Option<String>,
    u16,
    i64,
    &'static [&'static str],
);

const IN_PERSON_REFUSALS: &[Refusal] = &[
    (
        "approverSign missing",
        |_| None,
        200,
        309,
        &["approverSign is required", "detached", "UTF-16LE", TEXT],
    ),
    (
        // An empty string is no better than a missing field.
        "approverSign empty",
        |_| Some(String::new()),
        200,
        309,
        &["approverSign is required"],
    ),
    (
        "an attached CMS, asking for a detached one",
        |tracking| {
            let cms = openssl_cms_sign("approver-1", &approval_bytes(tracking), false, true);
            assert!(
                !openssl_cms_print(&cms).contains("eContent: <ABSENT>"),
                "-nodetach made a detached signature"
            );
            Some(b64(&cms))
        },
        200,
        309,
        &["attached", "detached", "-nodetach"],
    ),
    (
        // The approver signed another tracking code's approval.
        "a CMS over another text",
        |_| {
            let other = approval_text(MEHDI, "1000999", APPROVER_1);
            Some(b64(&openssl_cms_sign(
                "approver-1",
                &utf16le(&other),
                false,
                false,
            )))
        },
        200,
        309,
        &["does not cover UTF-16LE", TEXT, "other bytes"],
    ),
    (
        // Without signed attributes the signature itself covers the content digest.
        "a CMS over another text, without signed attributes",
        |_| {
            let other = approval_text(MEHDI, "1000999", APPROVER_1);
            Some(b64(&openssl_cms_sign(
                "approver-1",
                &utf16le(&other),
                true,
                false,
            )))
        },
        200,
        309,
        &["approverSign", TEXT],
    ),
    (
        "a CMS with an altered signature value",
        |tracking| {
            let mut cms = openssl_cms_sign("approver-1", &approval_bytes(tracking), false, false);
            // The SignerInfo's signature is the last field of the DER: flip its last byte.
            *cms.last_mut().unwrap() ^= 0x01;
            Some(b64(&cms))
        },
        200,
        309,
        &["approverSign", "does not verify"],
    ),
    (
        "a CMS over UTF-8 bytes, naming UTF-8",
        |tracking| {
            let text = approval_text(MEHDI, tracking, APPROVER_1);
            Some(b64(&openssl_cms_sign(
                "approver-1",
                text.as_bytes(),
                false,
                false,
            )))
        },
        200,
        309,
        &["UTF-8", "UTF-16LE", TEXT],
    ),
    (
        "a CMS by a rogue approver",
        |tracking| {
            let cms = openssl_cms_sign("approver-rogue", &approval_bytes(tracking), false, false);
            Some(b64(&cms))
        },
        200,
        310,
        &[
            "TEST Rogue Approver",
            "not an approver",
            APPROVER_1,
            APPROVER_2,
        ],
    ),
    (
        // Maryam signs the text that names Ali.
        "a CMS by another approver than the one named",
        |tracking| {
            let cms = openssl_cms_sign("approver-2", &approval_bytes(tracking), false, false);
            Some(b64(&cms))
        },
        200,
        310,
        &["approver is 'TEST Approver Ali Rezaei'", APPROVER_2],
    ),
    (
        "approverSign that is not base64",
        |_| Some("not base64 at all!".to_string()),
        200,
        309,
        &["approverSign", "base64"],
    ),
    (
        "base64 of something that is not CMS",
        |_| Some(b64(b"hello approver")),
        200,
        309,
        &["approverSign", "CMS"],
    ),
];

#[test]
fn refused_in_person_approvals_name_the_mistake_and_change_nothing() {
    each_case(
        IN_PERSON_REFUSALS,
        |c| c.0,
        |&(_, approver_sign, http, code, needles)| {
            let emu = TestEmulator::spawn();
            let tracking = pending_in_person(&emu);
            let text = approval_text(MEHDI, &tracking, APPROVER_1);
            let resp = approve(
                &emu,
                &tracking,
                APPROVER_1,
                approver_sign(&tracking).as_deref(),
            );
            let needles: Vec<&str> = needles
                .iter()
                .map(|n| if *n == TEXT { text.as_str() } else { n })
                .collect();
            assert_refused(&resp, http, code, &needles);
            // The document's Message is Success/Unsuccess; the reason is in Description.
            assert_eq!(resp.1["Message"], "Unsuccess", "{}", resp.1);
            assert_eq!(resp.1["Description"], resp.1["ErrorMessage"], "{}", resp.1);
            assert_still_awaiting(&emu, &tracking, FULL_CREDIT);
        },
    );
}

#[test]
fn wrong_customer_sign_is_refused_before_anything_else() {
    let emu = TestEmulator::spawn();
    let tracking = pending_in_person(&emu);
    let cms = openssl_cms_sign("approver-1", &approval_bytes(&tracking), false, false);
    let text = approval_text(MEHDI, &tracking, APPROVER_1);
    let mut body =
        Customer::A.request_approve_body(MEHDI, &tracking, APPROVER_1, Some(&b64(&cms)), None);
    // Signed by a key that is not customer A's.
    body["sign"] = json!(sign_unicode(&fixture("pki/customers/stranger.key"), &text));
    let resp = emu.post("RequestApprove", &body);
    assert_refused(&resp, 200, 203, &["sign", "does not verify", &text]);
    assert_still_awaiting(&emu, &tracking, FULL_CREDIT);
    // Signed over UTF-8 by the right key: the message says so.
    body["sign"] = json!(Customer::A.sign(text.as_bytes()));
    let resp = emu.post("RequestApprove", &body);
    assert_refused(&resp, 200, 203, &["UTF-8", "UTF-16LE"]);
    assert_still_awaiting(&emu, &tracking, FULL_CREDIT);
}

/// RequestApprove is refused, naming the tracking code and the next call, where nothing awaits
/// approval: (case, how the tracking code gets there, its state, what else ErrorMessage
/// names). The state, IsApproved and the credit stay as they were.
#[test]
fn approving_what_awaits_no_approval_is_refused() {
    type Case = (
        &'static str,
        fn(&TestEmulator) -> String,
        &'static str,
        &'static [&'static str],
    );
    let cases: &[Case] = &[
        (
            "approved already",
            |emu| {
                let tracking = pending_in_person(emu);
                emu.approve_in_person(&Customer::A, MEHDI, &tracking);
                tracking
            },
            "Approved",
            &["already Approved"],
        ),
        (
            "a profile without approval",
            |emu| {
                let tracking = emu.register_mehdi();
                // Nothing is pending for a Bronze-Sign registration.
                assert_eq!(emu.is_approved(&tracking), (json!(true), json!("Success")));
                tracking
            },
            "Registered",
            &["Registered", "Bronze-Sign", "needs no approval"],
        ),
    ];
    each_case(
        cases,
        |c| c.0,
        |&(_, setup, state, needles)| {
            let emu = TestEmulator::spawn();
            let tracking = setup(&emu);
            let cms = openssl_cms_sign("approver-1", &approval_bytes(&tracking), false, false);
            let resp = approve(&emu, &tracking, APPROVER_1, Some(&b64(&cms)));
            let mut all = vec![tracking.as_str(), "IssueCertificateByTrackingCode"];
            all.extend_from_slice(needles);
            assert_refused(&resp, 200, 402, &all);
            assert_eq!(emu.state_of(&tracking), state);
            assert_eq!(emu.is_approved(&tracking), (json!(true), json!("Success")));
            assert_eq!(emu.credit(&Customer::A), FULL_CREDIT);
        },
    );
}

#[test]
fn approval_for_another_national_code_is_refused() {
    let emu = TestEmulator::spawn();
    let tracking = pending_in_person(&emu);
    // Zahra's code with Mehdi's tracking code, consistently signed by customer and approver.
    let zahra = "0023456787";
    let text = approval_text(zahra, &tracking, APPROVER_1);
    let cms = openssl_cms_sign("approver-1", &utf16le(&text), false, false);
    let resp = emu.post(
        "RequestApprove",
        &Customer::A.request_approve_body(zahra, &tracking, APPROVER_1, Some(&b64(&cms)), None),
    );
    assert_refused(
        &resp,
        200,
        403,
        &[&tracking, "another national code", zahra],
    );
    assert_still_awaiting(&emu, &tracking, FULL_CREDIT);
}

#[test]
fn is_approved_of_an_unknown_tracking_code_is_refused() {
    let emu = TestEmulator::spawn();
    let resp = emu.post("IsApproved", &json!({"trackingCode": "1009999"}));
    assert_refused(&resp, 200, 401, &["1009999", "does not exist"]);
    assert_eq!(resp.1["ResultCode"], false);
}

// ── remote (face authentication) ─────────────────────────────────────────────────────────

fn pending_face_auth(emu: &TestEmulator) -> String {
    emu.register(&Customer::A, "01", "Bronze-Sign-FaceAuth", mehdi())
}

#[test]
fn remote_approval_with_an_order_id_then_issue() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let tracking = pending_face_auth(&emu);
    assert_eq!(emu.state_of(&tracking), "AwaitingApproval");
    assert_eq!(
        emu.is_approved(&tracking),
        (json!(false), json!("Unsuccess"))
    );
    // The provider's face-authentication service issues the order the approval carries.
    let order = face_auth_order(&emu, MEHDI, &tracking, "verified");
    let resp = emu.post(
        "RequestApprove",
        &Customer::A.request_approve_body(MEHDI, &tracking, "", Some(""), Some(&order)),
    );
    assert_approved(&resp);
    assert_eq!(emu.is_approved(&tracking), (json!(true), json!("Success")));
    assert_eq!(emu.state_of(&tracking), "Approved");

    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let issued = emu.issue(&Customer::A, "01", "Bronze-Sign-FaceAuth", &tracking, &csr);
    assert_eq!(issued["PaymentStatus"], "Paid");
    let cert = unb64(issued["Certificate"].as_str().unwrap());
    let verified = openssl_verify(dir.path(), &cert, "pki/ca-01.pem", None, TEST_CLOCK);
    assert!(verified.is_ok(), "{verified:?}");
    assert_eq!(emu.credit(&Customer::A), FULL_CREDIT - FACE_AUTH_PRICE);
}

/// In a needle: the case's tracking code.
const TRACKING: &str = "{the tracking code}";

/// One refused remote approval of Mehdi's pending face-auth tracking code: (case, the
/// RequestApprove body for the tracking code, HTTP status, ErrorCode, what ErrorMessage names
/// — [`TRACKING`] standing for the code).
type RemoteRefusal = (
    &'static str,
    fn(&str) -> Value,
    u16,
    i64,
    &'static [&'static str],
);

const REMOTE_REFUSALS: &[RemoteRefusal] = &[
    (
        "no orderId for a provider face-auth customer",
        |tracking| Customer::A.request_approve_body(MEHDI, tracking, "", None, None),
        200,
        102,
        &[
            "orderId is required",
            Customer::A.code,
            "face authentication",
        ],
    ),
    (
        "an empty orderId for a provider face-auth customer",
        |tracking| Customer::A.request_approve_body(MEHDI, tracking, "", None, Some("")),
        200,
        102,
        &[
            "orderId is required",
            Customer::A.code,
            "face authentication",
        ],
    ),
    (
        // A perfectly valid in-person approval is still wrong for a face-auth profile.
        "an approverSign",
        |tracking| {
            let cms = openssl_cms_sign("approver-1", &approval_bytes(tracking), false, false);
            Customer::A.request_approve_body(
                MEHDI,
                tracking,
                APPROVER_1,
                Some(&b64(&cms)),
                Some("FA-000001"),
            )
        },
        200,
        309,
        &[
            "approverSign must be empty",
            "Bronze-Sign-FaceAuth",
            "face authentication",
        ],
    ),
    (
        "another customer's tracking code",
        |tracking| Customer::B.request_approve_body(MEHDI, tracking, "", None, Some("FA-1")),
        200,
        209,
        &[TRACKING, "another customer"],
    ),
];

/// `POST /__admin/pki/face-auth`: the provider's face authentication of `national` for
/// `tracking` ended with `outcome`; returns the `orderId` it issued.
fn face_auth_order(emu: &TestEmulator, national: &str, tracking: &str, outcome: &str) -> String {
    let (status, body) = emu.admin_post(
        "pki/face-auth",
        &json!({"nationalCode": national, "trackingCode": tracking, "outcome": outcome}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["trackingCode"], tracking, "{body}");
    body["orderId"].as_str().unwrap().to_string()
}

/// RequestApprove with a face-auth order for customer A's pending face-auth registration.
fn approve_with_order(emu: &TestEmulator, tracking: &str, order: &str) -> (u16, Value) {
    emu.post(
        "RequestApprove",
        &Customer::A.request_approve_body(MEHDI, tracking, "", Some(""), Some(order)),
    )
}

/// Refused face-auth orders: (case, how the order is made for the tracking code, ErrorMessage
/// needles — `{order}` standing for the orderId).
type OrderRefusal = (
    &'static str,
    fn(&TestEmulator, &str) -> String,
    &'static [&'static str],
);

const ORDER: &str = "{order}";

const ORDER_REFUSALS: &[OrderRefusal] = &[
    (
        "an orderId nobody issued",
        |_, _| "FA-ORDER-7781".to_string(),
        &[
            ORDER,
            "was not issued by the provider's face authentication",
            "POST /__admin/pki/face-auth",
        ],
    ),
    (
        "an order that failed",
        |emu, tracking| face_auth_order(emu, MEHDI, tracking, "failed"),
        &[ORDER, "ended 'failed', not verified"],
    ),
    (
        "an order of another tracking code",
        |emu, _| {
            let mut zahra_person = zahra();
            zahra_person["TokenType"] = json!("USERGENERATED");
            let other = emu.register(&Customer::A, "01", "Bronze-Sign-FaceAuth", zahra_person);
            face_auth_order(emu, "0023456787", &other, "verified")
        },
        &[
            ORDER,
            "is the face authentication of national code",
            "not of 0012345679",
        ],
    ),
    (
        "an order used already",
        |emu, tracking| {
            // Used once: the approval goes through; sending it again names the reuse.
            let order = face_auth_order(emu, MEHDI, tracking, "verified");
            let first = approve_with_order(emu, tracking, &order);
            assert_approved(&first);
            order
        },
        &[ORDER, "was already used by a RequestApprove"],
    ),
];

#[test]
fn face_auth_orders_must_be_issued_matching_verified_and_unused() {
    each_case(
        ORDER_REFUSALS,
        |c| c.0,
        |&(name, make, needles)| {
            let emu = TestEmulator::spawn();
            let tracking = pending_face_auth(&emu);
            let order = make(&emu, &tracking);
            let resp = approve_with_order(&emu, &tracking, &order);
            let needles: Vec<&str> = needles
                .iter()
                .map(|n| if *n == ORDER { order.as_str() } else { n })
                .collect();
            assert_refused(&resp, 200, 311, &needles);
            if name == "an order used already" {
                // The first use approved it: it stays Approved, the order stays used.
                assert_eq!(emu.state_of(&tracking), "Approved");
                return;
            }
            assert_still_awaiting(&emu, &tracking, FULL_CREDIT);
        },
    );
}

/// A face-authentication `outcome` that is not one of the documented strings: (case, the
/// value sent, what the 400's error names besides the field, the value and the accepted ones).
const BAD_OUTCOMES: &[(&str, &str, &[&str])] = &[
    ("false", "false", &[]),
    ("zero", "0", &[]),
    ("null", "null", &[]),
    ("a list holding a good value", r#"["failed"]"#, &[]),
    ("an empty object", "{}", &[]),
    ("a true", "true", &[]),
    ("an empty string", r#""""#, &[]),
    (
        "a misspelled verified",
        r#""verifed""#,
        &[r#"did you mean "verified"?"#],
    ),
    (
        "another case",
        r#""Failed""#,
        &[r#"did you mean "failed"?"#],
    ),
];

#[test]
fn a_face_auth_outcome_that_is_not_a_documented_string_is_refused_naming_it() {
    let emu = TestEmulator::spawn();
    let tracking = pending_face_auth(&emu);
    each_case(
        BAD_OUTCOMES,
        |c| c.0,
        |&(_, sent, needles)| {
            let body = format!(
                r#"{{"nationalCode": "{MEHDI}", "trackingCode": "{tracking}", "outcome": {sent}}}"#
            );
            let resp = emu.admin_post_text("pki/face-auth", "application/json", &body);
            let mut all = vec!["outcome", sent, r#""verified""#, r#""failed""#];
            all.extend_from_slice(needles);
            assert_admin_error(&resp, 400, &all);
            assert_eq!(resp.1["field"], "outcome", "{}", resp.1);
            assert_eq!(
                resp.1["expected"],
                json!(["verified", "failed"]),
                "{}",
                resp.1
            );
        },
    );
    // Nothing was issued for any of them.
    let orders = emu.admin_ok(&format!("pki/face-auth?trackingCode={tracking}"));
    assert_eq!(orders["orders"], json!([]), "{orders}");
    // The documented forms still work: left out is verified.
    let cases: &[(&str, Option<&str>, &str)] = &[
        ("left out", None, "verified"),
        ("verified", Some("verified"), "verified"),
        ("failed", Some("failed"), "failed"),
    ];
    each_case(
        cases,
        |c| c.0,
        |&(_, sent, expected)| {
            let mut body = json!({"nationalCode": MEHDI, "trackingCode": tracking});
            if let Some(o) = sent {
                body["outcome"] = json!(o);
            }
            let (status, order) = emu.admin_post("pki/face-auth", &body);
            assert_eq!(status, 200, "{order}");
            assert_eq!(order["outcome"], expected, "{order}");
        },
    );
    // A failed order still does not approve; a verified one does.
    let failed = face_auth_order(&emu, MEHDI, &tracking, "failed");
    assert_refused(
        &approve_with_order(&emu, &tracking, &failed),
        200,
        311,
        &["ended 'failed'"],
    );
    let verified = face_auth_order(&emu, MEHDI, &tracking, "verified");
    assert_approved(&approve_with_order(&emu, &tracking, &verified));
}

#[test]
fn a_face_auth_reaction_issues_an_order_the_client_can_read() {
    let emu = TestEmulator::spawn_edited(|s| {
        s + "\n[[reactions]]\non = { api = \"pki\", operation = \"RegisterInfo\", field = \"profileName\", value = \"Bronze-Sign-FaceAuth\" }\nafter = \"3s\"\ndo = { kind = \"face_auth\" }\n"
    });
    let tracking = pending_face_auth(&emu);
    let orders = emu.admin_ok(&format!("pki/face-auth?trackingCode={tracking}"));
    assert_eq!(orders["orders"], json!([]), "not before its time: {orders}");
    emu.advance("3s");
    let orders = emu.admin_ok(&format!("pki/face-auth?trackingCode={tracking}"));
    let order = orders["orders"][0]["order_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{orders}"));
    assert_eq!(orders["orders"][0]["outcome"], "verified", "{orders}");
    assert_approved(&approve_with_order(&emu, &tracking, order));
    let used = emu.admin_ok(&format!("pki/face-auth?trackingCode={tracking}"));
    assert_eq!(used["orders"][0]["used_at"], TEST_CLOCK_PLUS_3S, "{used}");
}

const TEST_CLOCK_PLUS_3S: &str = "2026-06-01T08:00:03Z";

#[test]
fn refused_remote_approvals_name_the_mistake_and_change_nothing() {
    each_case(
        REMOTE_REFUSALS,
        |c| c.0,
        |&(_, body, http, code, needles)| {
            let emu = TestEmulator::spawn();
            let tracking = pending_face_auth(&emu);
            let resp = emu.post("RequestApprove", &body(&tracking));
            let needles: Vec<&str> = needles
                .iter()
                .map(|n| if *n == TRACKING { tracking.as_str() } else { n })
                .collect();
            assert_refused(&resp, http, code, &needles);
            assert_still_awaiting(&emu, &tracking, FULL_CREDIT);
        },
    );
}

#[test]
fn remote_approval_without_order_id_is_fine_without_provider_face_auth() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    // Customer B has no provider face auth and looks names up: Sara registers by code alone.
    let tracking = emu.register(
        &Customer::B,
        "01",
        "Bronze-Sign-FaceAuth",
        documented(json!({"NationalCode": SARA, "IsMan": false, "TokenType": "USERGENERATED"})),
    );
    assert_eq!(emu.state_of(&tracking), "AwaitingApproval");
    let refused = emu.issue_certificate(
        &Customer::B,
        "01",
        "Bronze-Sign-FaceAuth",
        &tracking,
        &openssl_csr(dir.path(), 2048).1,
    );
    assert_refused(&refused, 200, 402, &["AwaitingApproval", "RequestApprove"]);
    assert_eq!(emu.credit(&Customer::B), 1_000_000);

    let resp = emu.post(
        "RequestApprove",
        &Customer::B.request_approve_body(SARA, &tracking, "", None, Some("")),
    );
    assert_approved(&resp);
    assert_eq!(emu.is_approved(&tracking), (json!(true), json!("Success")));

    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let issued = emu.issue(&Customer::B, "01", "Bronze-Sign-FaceAuth", &tracking, &csr);
    assert_eq!(issued["PaymentStatus"], "Paid");
    let cert = unb64(issued["Certificate"].as_str().unwrap());
    assert!(
        openssl_text(&cert).contains("CN=Sara Hosseini [Sign]"),
        "{}",
        openssl_text(&cert)
    );
    // The profile's price plus the name lookup.
    assert_eq!(
        emu.credit(&Customer::B),
        1_000_000 - FACE_AUTH_PRICE - 20_000
    );
}

// ── CA 08 ────────────────────────────────────────────────────────────────────────────────

#[test]
fn silver_approval_in_ca_08_then_issue_chains_to_ca_08() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register(&Customer::A, "08", "Silver-Sign", mehdi());
    assert_eq!(emu.state_of(&tracking), "AwaitingApproval");
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let refused = emu.issue_certificate(&Customer::A, "08", "Silver-Sign", &tracking, &csr);
    assert_refused(&refused, 200, 402, &["AwaitingApproval", "RequestApprove"]);
    assert_still_awaiting(&emu, &tracking, FULL_CREDIT);

    emu.approve_in_person(&Customer::A, MEHDI, &tracking);
    let issued = emu.issue(&Customer::A, "08", "Silver-Sign", &tracking, &csr);
    assert_eq!(issued["PaymentStatus"], "Paid");
    let cert = unb64(issued["Certificate"].as_str().unwrap());
    let verified = openssl_verify(dir.path(), &cert, "pki/ca-08.pem", None, TEST_CLOCK);
    assert!(verified.is_ok(), "{verified:?}");
    // And not to CA 01: the chain check can tell the CAs apart.
    let wrong = openssl_verify(dir.path(), &cert, "pki/ca-01.pem", None, TEST_CLOCK);
    assert!(wrong.is_err(), "{wrong:?}");
    assert!(openssl_text(&cert).contains("Silver CA"));
    assert_eq!(emu.credit(&Customer::A), FULL_CREDIT - SILVER_PRICE);
}

/// Approval is one transition: RequestApprove and the control API (which scenario reactions
/// and the dashboard use) refuse the same wrong states with the same kind and the same text,
/// and change nothing.
#[test]
fn request_approve_and_the_control_api_refuse_the_same_states_alike() {
    let emu = TestEmulator::spawn();
    // Registered under a profile without approval; Approved; Rejected.
    let registered = (
        zahra(),
        emu.register(&Customer::A, "01", "Bronze-Sign", zahra()),
    );
    let approved = (mehdi(), pending_in_person(&emu));
    emu.approve_in_person(&Customer::A, MEHDI, &approved.1);
    let rejected = (
        reza(),
        emu.register(&Customer::A, "01", "Bronze-Sign-FaceAuth", reza()),
    );
    let (status, body) = emu.admin_post(&format!("pki/tracking/{}/reject", rejected.1), &json!({}));
    assert_eq!(status, 200, "{body}");
    for ((person, tracking), state) in [
        (registered, "Registered"),
        (approved, "Approved"),
        (rejected, "Rejected"),
    ] {
        let national = person["NationalCode"].as_str().unwrap_or_default();
        let text = approval_text(national, &tracking, APPROVER_1);
        let cms = openssl_cms_sign("approver-1", &utf16le(&text), false, false);
        let upstream = emu.post(
            "RequestApprove",
            &Customer::A.request_approve_body(
                national,
                &tracking,
                APPROVER_1,
                Some(&b64(&cms)),
                None,
            ),
        );
        // WrongState: ErrorCode 402 upstream, 409 on the control API.
        assert_refused(&upstream, 200, 402, &[&tracking, state]);
        let control = emu.admin_post(&format!("pki/tracking/{tracking}/approve"), &json!({}));
        assert_admin_error(&control, 409, &[&tracking, state]);
        assert_eq!(
            error_of(&control.1),
            upstream.1["ErrorMessage"].as_str().unwrap_or_default(),
            "the two paths' refusals of a {state} tracking code"
        );
        assert_eq!(emu.state_of(&tracking), state);
    }
    assert_eq!(emu.credit(&Customer::A), FULL_CREDIT);
}

/// `openssl cms -cmsout -print` of a DER CMS: the structure as openssl sees it.
fn openssl_cms_print(der: &[u8]) -> String {
    String::from_utf8_lossy(&run(
        "openssl",
        &["cms", "-cmsout", "-print", "-inform", "DER"],
        der,
    ))
    .into_owned()
}

/// Python `cryptography`'s `PKCS7SignatureBuilder` (SHA-256, DetachedSignature + Binary) by the
/// fixture approver `signer` over `data`; DER.
fn python_pkcs7_detached(signer: &str, data: &[u8]) -> Vec<u8> {
    let (cert, key) = approver_files(signer);
    let out = python(
        "import sys, base64\n\
         from cryptography import x509\n\
         from cryptography.hazmat.primitives import hashes, serialization\n\
         from cryptography.hazmat.primitives.serialization import pkcs7\n\
         cert = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())\n\
         key = serialization.load_pem_private_key(open(sys.argv[2], 'rb').read(), None)\n\
         sig = pkcs7.PKCS7SignatureBuilder().set_data(base64.b64decode(sys.argv[3]))\
         .add_signer(cert, key, hashes.SHA256())\
         .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])\n\
         print(base64.b64encode(sig).decode())",
        &[cert.to_str().unwrap(), key.to_str().unwrap(), &b64(data)],
    );
    unb64(out.trim())
}
