//! RegisterInfo: customers and licenses, identity checks against the scenario's
//! civil registry, Shahkar and postal codes, the government public CA's rules, binding, and the
//! read-backs GetTrackingCodeInfo and IsApproved. Every refusal is shown to change nothing:
//! the next good registration still gets the first tracking code, 1000001.

use crate::helpers::*;
use serde_json::{json, Value};

/// Mehdi with one personData field replaced (or removed, for `Value::Null`).
fn mehdi_with(field: &str, value: Value) -> Value {
    let mut p = mehdi();
    if value.is_null() {
        p.as_object_mut().unwrap().remove(field);
    } else {
        p[field] = value;
    }
    p
}

fn register(emu: &TestEmulator, ca: &str, profile: &str, person: Value) -> (u16, Value) {
    emu.register_info(&Customer::A, ca, profile, person)
}

fn assert_no_tracking_code_consumed(emu: &TestEmulator) {
    assert_eq!(emu.register_mehdi(), "1000001");
}

// ── refusals that change nothing ─────────────────────────────────────────────────────────

/// Customer A's RegisterInfo body.
fn a(ca: &str, profile: &str, person: Value) -> Value {
    Customer::A.register_body(ca, profile, person)
}

/// One refused registration: (case, the body sent, HTTP status, ErrorCode, what ErrorMessage
/// names).
type Refusal = (
    &'static str,
    fn() -> Value,
    u16,
    i64,
    &'static [&'static str],
);

const REFUSALS: &[Refusal] = &[
    // customer and license
    (
        "unknown customer",
        || {
            let stranger = Customer {
                code: "99999999999",
                ..Customer::A
            };
            stranger.register_body("01", "Bronze-Sign", mehdi())
        },
        200,
        201,
        &["customer code '99999999999'", "not known"],
    ),
    (
        "wrong license",
        // Signed correctly over what is sent, so only the license is wrong.
        || {
            let unlicensed = Customer {
                license: "9999",
                ..Customer::A
            };
            unlicensed.register_body("01", "Bronze-Sign", mehdi())
        },
        200,
        202,
        &[
            "'10320874334-9999'",
            "license number '9999'",
            "customer 10320874334",
        ],
    ),
    (
        "customercode without a dash",
        || {
            let mut body = a("01", "Bronze-Sign", mehdi());
            body["customercode"] = json!("103208743341234");
            body
        },
        200,
        103,
        &[
            "customercode",
            "'103208743341234'",
            "CustomerCode-LisenceNumber",
        ],
    ),
    // identity checks
    (
        "national code with a bad check digit says what the digit should be",
        || {
            a(
                "01",
                "Bronze-Sign",
                mehdi_with("NationalCode", json!("0012345678")),
            )
        },
        200,
        301,
        &[
            "personData.NationalCode",
            "'0012345678'",
            "the last digit should be 9",
        ],
    ),
    (
        "person missing from the registry",
        // 0499370899 is a valid code (the approver's), but not in the civil registry.
        || {
            a(
                "01",
                "Bronze-Sign",
                mehdi_with("NationalCode", json!("0499370899")),
            )
        },
        200,
        302,
        &["civil registry", "0499370899"],
    ),
    (
        "last name differing from the registry names the field and both values",
        || a("01", "Bronze-Sign", mehdi_with("LastName", json!("رضایی"))),
        200,
        303,
        &["personData.LastName", "'رضایی'", "'احمدی'", "0012345679"],
    ),
    (
        "wrong birth date names the registry date in both calendars",
        || {
            a(
                "01",
                "Bronze-Sign",
                mehdi_with("BirthDate", json!("1369/02/23")),
            )
        },
        200,
        303,
        &[
            "personData.BirthDate",
            "'1369/02/23'",
            "1990/05/12",
            "1369/02/22",
        ],
    ),
    (
        "mobile not registered to the national code fails Shahkar",
        || {
            a(
                "01",
                "Bronze-Sign",
                mehdi_with("Telephone", json!("09129999999")),
            )
        },
        200,
        304,
        &["Shahkar", "09129999999", "0012345679"],
    ),
    (
        "unknown postal code",
        || {
            a(
                "01",
                "Bronze-Sign",
                mehdi_with("PostalCode", json!("1234567890")),
            )
        },
        200,
        305,
        &["personData.PostalCode", "'1234567890'", "not a known"],
    ),
    (
        "postal code that is not 10 digits",
        || {
            a(
                "01",
                "Bronze-Sign",
                mehdi_with("PostalCode", json!("12345")),
            )
        },
        200,
        305,
        &["'12345'", "10-digit"],
    ),
    // CAs and profiles
    (
        "unknown CA, listing the CAs",
        || a("99", "Bronze-Sign", mehdi()),
        200,
        207,
        &["caName '99'", "01, 08, 03"],
    ),
    (
        "unknown profile, listing the profiles",
        || a("01", "Gold-Sign", mehdi()),
        200,
        208,
        &[
            "profileName 'Gold-Sign'",
            "CA '01'",
            "Bronze-Sign, Bronze-Sign-InPerson, Bronze-Sign-FaceAuth, Bronze-Stamp",
        ],
    ),
    // token type
    (
        "missing token type",
        || a("01", "Bronze-Sign", mehdi_with("TokenType", Value::Null)),
        200,
        307,
        &["personData.TokenType", "USERGENERATED", "P12"],
    ),
    (
        "invalid token type, naming it",
        || a("01", "Bronze-Sign", mehdi_with("TokenType", json!("SOFT"))),
        200,
        307,
        &["personData.TokenType is 'SOFT'", "USERGENERATED", "P12"],
    ),
];

#[test]
fn refused_registrations_name_the_mistake_and_consume_no_tracking_code() {
    each_case(
        REFUSALS,
        |c| c.0,
        |&(_, body, http, code, needles)| {
            let emu = TestEmulator::spawn();
            let resp = emu.post("RegisterInfo", &body());
            assert_refused(&resp, http, code, needles);
            assert_eq!(resp.1["TrackingCode"], Value::Null, "{}", resp.1);
            assert_no_tracking_code_consumed(&emu);
        },
    );
}

// ── identity checks ──────────────────────────────────────────────────────────────────────

#[test]
fn arabic_keyboard_yeh_and_kaf_still_match_the_registry() {
    let emu = TestEmulator::spawn();
    // ي (U+064A) and ك (U+0643) where the registry has ی (U+06CC) and ک (U+06A9).
    let mut p = mehdi();
    p["Name"] = json!("مهدي");
    p["LastName"] = json!("احمدي");
    let code = emu.register(&Customer::A, "01", "Bronze-Sign", p);
    assert_eq!(code, "1000001");
    let mut z = zahra();
    z["LastName"] = json!("كريمي");
    let code = emu.register(&Customer::A, "01", "Bronze-Sign", z);
    assert_eq!(code, "1000002");
}

#[test]
fn solar_hijri_birth_date_of_the_same_day_is_accepted() {
    let emu = TestEmulator::spawn();
    // 22 Ordibehesht 1369 = 12 May 1990, the registry's date.
    let code = emu.register(
        &Customer::A,
        "01",
        "Bronze-Sign",
        mehdi_with("BirthDate", json!("1369/02/22")),
    );
    assert_eq!(code, "1000001");
    // Zahra's registry date is Solar Hijri (1368/02/15); zahra() sends it in Gregorian.
    assert_eq!(
        emu.register(&Customer::A, "01", "Bronze-Sign", zahra()),
        "1000002"
    );
}

// ── CAs and profiles ─────────────────────────────────────────────────────────────────────

#[test]
fn government_ca_requires_postal_code_city_and_province() {
    let emu = TestEmulator::spawn();
    let mut p = mehdi();
    for f in ["PostalCode", "City", "ProvinceName"] {
        p.as_object_mut().unwrap().remove(f);
    }
    let resp = register(&emu, "03", "Gov-Sign", p.clone());
    assert_refused(
        &resp,
        200,
        306,
        &[
            "personData.PostalCode",
            "personData.City",
            "personData.ProvinceName",
            "government public CA '03'",
        ],
    );
    // The same data is fine in CA 01, where they are optional; nothing was consumed before.
    assert_eq!(
        emu.register(&Customer::A, "01", "Bronze-Sign", p),
        "1000001"
    );
}

#[test]
fn government_ca_issues_a_new_tracking_code_every_time_while_ca_01_repeats_its_own() {
    let emu = TestEmulator::spawn();
    assert_eq!(
        emu.register(&Customer::A, "03", "Gov-Sign", mehdi()),
        "1000001"
    );
    assert_eq!(
        emu.register(&Customer::A, "03", "Gov-Sign", mehdi()),
        "1000002"
    );
    assert_eq!(
        emu.register(&Customer::A, "03", "Gov-Sign", mehdi()),
        "1000003"
    );
    assert_eq!(
        emu.register(&Customer::A, "01", "Bronze-Sign", mehdi()),
        "1000004"
    );
    assert_eq!(
        emu.register(&Customer::A, "01", "Bronze-Sign", mehdi()),
        "1000004"
    );
}

#[test]
fn ca_not_allowed_for_customer_b_is_refused() {
    let emu = TestEmulator::spawn();
    let resp = emu.register_info(&Customer::B, "08", "Silver-Sign", mehdi());
    assert_refused(
        &resp,
        200,
        206,
        &["customer 14105318760", "CA '08'", "its CAs are: 01"],
    );
    // B's registration in its own CA gets the first tracking code.
    let resp = emu.register_info(&Customer::B, "01", "Bronze-Sign", mehdi());
    assert_ok(&resp);
    assert_eq!(resp.1["TrackingCode"], "1000001");
}

// ── token type ───────────────────────────────────────────────────────────────────────────

#[test]
fn p12_without_password_is_refused_and_with_one_accepted() {
    let emu = TestEmulator::spawn();
    let resp = register(
        &emu,
        "01",
        "Bronze-Sign",
        mehdi_with("TokenType", json!("P12")),
    );
    assert_refused(&resp, 200, 308, &["personData.password", "P12"]);
    let mut p = mehdi_with("TokenType", json!("P12"));
    p["password"] = json!("s3cret");
    assert_eq!(
        emu.register(&Customer::A, "01", "Bronze-Sign", p),
        "1000001"
    );
}

// ── binding ──────────────────────────────────────────────────────────────────────────────

#[test]
fn property_names_bind_case_insensitively() {
    let emu = TestEmulator::spawn();
    let canonical = Customer::A.register_body("01", "Bronze-Sign", mehdi());
    let p = &canonical["personData"];
    let body = json!({
        "CANAME": "01",
        "CUSTOMERCODE": canonical["customercode"],
        "ProfileName": "Bronze-Sign",
        "Signature": canonical["signature"],
        "PersonData": {
            "nationalcode": p["NationalCode"],
            "NAME": p["Name"],
            "lastname": p["LastName"],
            "enname": p["EnName"],
            "ENLASTNAME": p["EnLastName"],
            "fathername": p["FatherName"],
            "isman": p["IsMan"],
            "postalcode": p["PostalCode"],
            "TELEPHONE": p["Telephone"],
            "birthcertificateid": p["BirthCertificateID"],
            "birthdate": p["BirthDate"],
            "city": p["City"],
            "PROVINCENAME": p["ProvinceName"],
            "tokentype": p["TokenType"],
            "ISFOREIGN": p["IsForeign"],
            "agencysn": p["AgencySN"],
            "email": p["Email"],
        }
    });
    let resp = emu.post("RegisterInfo", &body);
    assert_ok(&resp);
    assert_eq!(resp.1["TrackingCode"], "1000001");
    // The canonical spelling yields the same subject DN, hence the same tracking code: every
    // field that goes into the subject was bound from its odd-cased name.
    assert_eq!(emu.register_mehdi(), "1000001");
    let desc: Value = serde_json::from_str(resp.1["Description"].as_str().unwrap()).unwrap();
    assert_eq!(desc["FirstName"], "مهدی", "{desc}");
    assert_eq!(desc["City"], "تهران", "{desc}");
}

#[test]
fn is_man_as_a_string_binds_like_json_net() {
    let emu = TestEmulator::spawn();
    assert_eq!(
        emu.register(
            &Customer::A,
            "01",
            "Bronze-Sign",
            mehdi_with("IsMan", json!("true"))
        ),
        "1000001"
    );
    // The string is read, not ignored: "false" contradicts the registry.
    let resp = register(
        &emu,
        "01",
        "Bronze-Sign",
        mehdi_with("IsMan", json!("false")),
    );
    assert_refused(&resp, 200, 303, &["personData.IsMan", "a man"]);
    let resp = register(&emu, "01", "Bronze-Sign", mehdi_with("IsMan", json!("yes")));
    assert_refused(
        &resp,
        200,
        103,
        &["personData.IsMan", "\"yes\"", "true or false"],
    );
    // The refusals took no tracking code.
    assert_eq!(
        emu.register(&Customer::A, "01", "Bronze-Sign", zahra()),
        "1000002"
    );
}

// ── read-backs ───────────────────────────────────────────────────────────────────────────

/// The document's field list of GetTrackingCodeInfo's Description.
const TRACKING_INFO_FIELDS: [&str; 36] = [
    "Name",
    "LastName",
    "EnName",
    "EnLastName",
    "NationalCode",
    "BirthCertificateID",
    "FatherName",
    "EnFatherName",
    "IssueCardDate",
    "Organization",
    "EnOrganization",
    "OrganizationUnit",
    "EnOrganizationUnit",
    "AgencySN",
    "Affliation",
    "EnAffliation",
    "IssuerIdentification",
    "ValidityDuration",
    "BirthDate",
    "IsMan",
    "City",
    "EnCity",
    "Customize1",
    "Customize2",
    "Customize3",
    "Customize4",
    "GUID",
    "EndEntityProfile",
    "ExpirationEnglishDate",
    "IsForeign",
    "Country",
    "Address",
    "PostalCode",
    "Telephone",
    "ProvinceName",
    "ProvinceId",
];

fn tracking_info_body(national: &str, tracking: &str) -> Value {
    json!({
        "nationalCode": national,
        "trackingCode": tracking,
        "customercode": Customer::A.customercode(),
        "sign": Customer::A.sign_unicode(&format!("{national}{tracking}")),
    })
}

#[test]
fn get_tracking_code_info_returns_the_identity_as_a_json_string_with_the_documents_fields() {
    let emu = TestEmulator::spawn();
    let tracking = emu.register_mehdi();
    let (status, body) = emu.post(
        "GetTrackingCodeInfo",
        &tracking_info_body("0012345679", &tracking),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ResultCode"], true, "{body}");
    assert_eq!(body["Message"], "Success", "{body}");
    let text = body["Description"]
        .as_str()
        .unwrap_or_else(|| panic!("Description is not a string: {body}"));
    let d: Value = serde_json::from_str(text).unwrap();
    let mut keys: Vec<&str> = d.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    keys.sort();
    let mut want = TRACKING_INFO_FIELDS.to_vec();
    want.sort();
    assert_eq!(keys, want);
    assert_eq!(d["Name"], "مهدی");
    assert_eq!(d["LastName"], "احمدی");
    assert_eq!(d["EnName"], "Mehdi");
    assert_eq!(d["EnLastName"], "Ahmadi");
    assert_eq!(d["NationalCode"], "0012345679");
    assert_eq!(d["BirthCertificateID"], "1234");
    assert_eq!(d["FatherName"], "حسن");
    assert_eq!(d["BirthDate"], "1990/05/12");
    assert_eq!(d["IsMan"], "True");
    assert_eq!(d["City"], "تهران");
    assert_eq!(d["PostalCode"], "1136913111");
    assert_eq!(d["Telephone"], "09121234567");
    assert_eq!(d["ProvinceName"], "تهران");
    assert_eq!(d["IsForeign"], false);
    assert_eq!(d["EndEntityProfile"], "Bronze-Sign");
    assert_eq!(d["ExpirationEnglishDate"], Value::Null, "not issued yet");
}

#[test]
fn get_tracking_code_info_with_another_national_code_is_a_mismatch() {
    let emu = TestEmulator::spawn();
    let tracking = emu.register_mehdi();
    // Correctly signed, but the tracking code belongs to 0012345679.
    let resp = emu.post(
        "GetTrackingCodeInfo",
        &tracking_info_body("0023456787", &tracking),
    );
    assert_refused(&resp, 200, 403, &["tracking code 1000001", "'0023456787'"]);
    assert_eq!(resp.1["Description"], "", "{}", resp.1);
}

#[test]
fn get_tracking_code_info_signed_over_utf8_is_refused() {
    let emu = TestEmulator::spawn();
    let tracking = emu.register_mehdi();
    let mut body = tracking_info_body("0012345679", &tracking);
    body["sign"] = json!(Customer::A.sign(format!("0012345679{tracking}").as_bytes()));
    let resp = emu.post("GetTrackingCodeInfo", &body);
    assert_refused(
        &resp,
        200,
        203,
        &["sign verifies over UTF-8", "'00123456791000001'"],
    );
}

#[test]
fn in_person_profile_is_not_approved_and_issuing_it_is_refused() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi());
    let (status, body) = emu.post("IsApproved", &json!({"trackingCode": tracking}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ResultCode"], false, "{body}");
    assert_eq!(body["Message"], "Unsuccess", "{body}");

    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let resp = emu.issue_certificate(&Customer::A, "01", "Bronze-Sign-InPerson", &tracking, &csr);
    assert_refused(
        &resp,
        200,
        402,
        &[
            &format!("tracking code {tracking}"),
            "AwaitingApproval",
            "RequestApprove",
        ],
    );
    assert_eq!(resp.1["Certificate"], Value::Null);
    assert_eq!(emu.credit(&Customer::A), 10_000_000);
    assert_eq!(emu.state_of(&tracking), "AwaitingApproval");
}

#[test]
fn profile_without_approval_is_approved_at_once() {
    let emu = TestEmulator::spawn();
    let tracking = emu.register_mehdi();
    let (status, body) = emu.post("IsApproved", &json!({"trackingCode": tracking}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ResultCode"], true, "{body}");
    assert_eq!(body["Message"], "Success", "{body}");
}

// ── name lookup ──────────────────────────────────────────────────────────────────────────

#[test]
fn name_lookup_adds_its_price_to_the_issue_charge() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let sara = documented(json!({
        "NationalCode": "1273141598",
        "IsMan": false,
        "TokenType": "USERGENERATED"
    }));
    let resp = emu.register_info(&Customer::B, "01", "Bronze-Sign", sara);
    assert_ok(&resp);
    let tracking = resp.1["TrackingCode"].as_str().unwrap().to_string();
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let resp = emu.issue_certificate(&Customer::B, "01", "Bronze-Sign", &tracking, &csr);
    assert_ok(&resp);
    assert_eq!(resp.1["CN"], "Sara Hosseini [Sign]");
    assert_eq!(emu.credit(&Customer::B), 1_000_000 - 150_000 - 20_000);

    // Names sent in full: no lookup, the profile price alone.
    let resp = emu.register_info(&Customer::B, "01", "Bronze-Sign", reza());
    assert_ok(&resp);
    let tracking = resp.1["TrackingCode"].as_str().unwrap().to_string();
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let resp = emu.issue_certificate(&Customer::B, "01", "Bronze-Sign", &tracking, &csr);
    assert_ok(&resp);
    assert_eq!(emu.credit(&Customer::B), 1_000_000 - 2 * 150_000 - 20_000);
}
