//! The PKI API's OpenAPI 3.1 document (`GET /__admin/openapi/pki.json`, docs/control-api.md),
//! generated from the route table: each line's name, HTTP method, envelope ([`Shape`]),
//! signature rule and summary come from `routes::ROUTES`; what the table does not carry — the
//! request fields and the types of the envelope's fields, with examples from the default world
//! — is in [`IO`], one entry per method. A unit test fails when a route has no entry (or an
//! entry no route), so a method cannot exist undescribed.
//!
//! Names are the documented casing (the service binds them in any case). Response schemas are
//! closed (`additionalProperties: false`): the integration tests validate served answers
//! against them.

use super::error::Shape;
use super::routes::{Route, Verb, ROUTES};
use super::signature::Documented;
use serde_json::{json, Map, Value};

/// A field of a request or of an answer.
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    /// Required in a request (answers list every field they carry).
    pub required: bool,
    /// An example from the default world.
    pub example: &'static str,
    pub doc: &'static str,
}

#[derive(Clone, Copy)]
pub enum Ty {
    Str,
    Int,
    Bool,
    /// A string that holds a JSON object of these fields (RegisterInfo's `Description`).
    JsonText,
    Obj(&'static [Field]),
    List(&'static [Field]),
}

/// What one method reads and answers beyond its envelope.
pub struct Io {
    pub request: &'static [Field],
    /// The types of the fields the envelope lists (`Shape::IsSuccess(fields)`).
    pub response: &'static [Field],
    /// A success that is a top-level JSON array of one of these item shapes (IssuingReport).
    pub array: &'static [&'static [Field]],
}

const fn f(
    name: &'static str,
    ty: Ty,
    required: bool,
    example: &'static str,
    doc: &'static str,
) -> Field {
    Field {
        name,
        ty,
        required,
        example,
        doc,
    }
}

const fn req(name: &'static str, example: &'static str, doc: &'static str) -> Field {
    f(name, Ty::Str, true, example, doc)
}

const fn opt(name: &'static str, example: &'static str, doc: &'static str) -> Field {
    f(name, Ty::Str, false, example, doc)
}

const fn out(name: &'static str, ty: Ty, example: &'static str) -> Field {
    f(name, ty, true, example, "")
}

const CODE: &str = "10320874334-1234";
const SIG: &str = "base64 RSA-SHA1 signature (see the signature rule)";

static PERSON: &[Field] = &[
    req("NationalCode", "0012345679", "10-digit national code (check digit validated), or the 11-digit legal ID for a legal person"),
    opt("Name", "مهدی", "first name (Persian); may be left out with the customer's name lookup, otherwise left out warns field-missing"),
    opt("LastName", "احمدی", "last name (Persian); as Name"),
    opt("EnName", "Mehdi", "first name in Latin letters; as Name"),
    opt("EnLastName", "Ahmadi", "last name in Latin letters; as Name"),
    opt("FatherName", "حسن", "father's name; as Name"),
    f("IsMan", Ty::Bool, true, "true", "sex; \"true\"/1 are accepted too (left out: stored absent, warned field-missing)"),
    req("Telephone", "09121234567", "mobile (Shahkar check)"),
    req("BirthDate", "1369/02/22", "yyyy/mm/dd, Gregorian or Solar Hijri"),
    req("BirthCertificateID", "1234", "birth certificate number"),
    req("TokenType", "USERGENERATED", "USERGENERATED (a CSR follows) or P12 (signsim makes the key), in capitals (another case warns token-type-case)"),
    opt("password", "s3cret", "the PKCS#12 password (TokenType P12)"),
    opt("City", "تهران", "city"),
    opt("ProvinceName", "تهران", "province"),
    opt("PostalCode", "1136913111", "10-digit postal code"),
    opt("Email", "mehdi@example.ir", "e-mail (E in the subject)"),
    req("AgencySN", "", "Shahab ID, medical or nursing council number; empty when there is none"),
    f("IsForeign", Ty::Bool, true, "false", "a foreign national (identifier: a national code, or 5 to 20 letters or digits, warned foreign-identifier)"),
];

static CA_ITEM: &[Field] = &[
    out("CAName", Ty::Str, "01"),
    out(
        "CATitle",
        Ty::Str,
        "TEST PKI Private Intermediate Bronze CA - G3",
    ),
    out("IsAvailable", Ty::Bool, "true"),
    out("Description", Ty::Str, "Test CA"),
];

static PROFILE_ITEM: &[Field] = &[
    out(
        "SubjectDNConfig",
        Ty::Str,
        "CN={EnName} {EnLastName} [Sign],SERIALNUMBER={NationalCode},…",
    ),
    out("ProfileName", Ty::Str, "Bronze-Sign"),
    out("Price", Ty::Int, "150000"),
    out("FaceAuth", Ty::Bool, "false"),
    out("InputType", Ty::Str, "manually"),
    out("Approval", Ty::Bool, "false"),
    out("ProductId", Ty::Int, "101"),
    out(
        "Description",
        Ty::Str,
        "Natural person signing certificate, one year",
    ),
];

static CERT_ITEM: &[Field] = &[
    out("Id", Ty::Int, "1000001"),
    out("TrackingCode", Ty::Str, "1000001"),
    out("Status", Ty::Str, "Issued"),
    out(
        "Issuer",
        Ty::Str,
        "TEST PKI Private Intermediate Bronze CA - G3",
    ),
    out("Certificate", Ty::Str, "MIIF…"),
    out("RegisterDate", Ty::Str, "2026-06-01T08:00:00Z"),
    out("IssueDate", Ty::Str, "2026-06-01T08:00:00Z"),
    out("RevokeDate", Ty::Str, ""),
];

static PER_CA_ROW: &[Field] = &[
    out("caName", Ty::Str, "01"),
    out("profileName", Ty::Str, "Bronze-Sign"),
    out("status", Ty::Str, ""),
    out("count", Ty::Int, "1"),
    out("RegisterCount", Ty::Int, "1"),
    out("IssueCount", Ty::Int, "1"),
    out("RevokeCount", Ty::Int, "0"),
];

/// Fields of the detail item that are `null` until the lifecycle gets there.
static DETAIL_ITEM: &[Field] = &[
    out("Id", Ty::Int, "1000001"),
    out("TrackingCode", Ty::Str, "1000001"),
    out("CAName", Ty::Str, "01"),
    out("ProfileName", Ty::Str, "Bronze-Sign"),
    out("NationalCode", Ty::Str, "0012345679"),
    out("FirstName", Ty::Str, "مهدی"),
    out("LastName", Ty::Str, "احمدی"),
    out("Status", Ty::Str, "Issued"),
    f(
        "SerialNumber",
        Ty::Str,
        false,
        "1001",
        "hex; null before issue",
    ),
    f(
        "Price",
        Ty::Int,
        false,
        "150000",
        "charged; null before issue",
    ),
    out("RegisterDate", Ty::Str, "2026-06-01T08:00:00Z"),
    f(
        "IssueDate",
        Ty::Str,
        false,
        "2026-06-01T08:00:00Z",
        "null before issue",
    ),
    f("RevokeDate", Ty::Str, false, "", "null unless revoked"),
];

static CERT_LIST: &[Field] = &[out("CertList", Ty::List(CERT_ITEM), "")];

static REGISTER_DESCRIPTION: &[Field] = &[
    out("FirstName", Ty::Str, "مهدی"),
    out("LastName", Ty::Str, "احمدی"),
];

/// Every method's request and answer fields, by the route table's name.
#[rustfmt::skip]
pub static IO: &[(&str, Io)] = &[
    ("GetVersion", Io { request: &[], response: &[out("Version", Ty::Str, "1.8")], array: &[] }),
    ("GetCAList", Io { request: &[req("Customercode", "10320874334", "the customer code (without the license)")], response: &[out("CAList", Ty::List(CA_ITEM), "")], array: &[] }),
    ("GetCAProfileInfo", Io { request: &[req("Customercode", "10320874334", "the customer code"), req("caName", "01", "the CA")], response: &[out("Profile", Ty::List(PROFILE_ITEM), "")], array: &[] }),
    ("IsAvailable", Io { request: &[req("caName", "01", "the CA")], response: &[], array: &[] }),
    ("RegisterInfo", Io { request: &[
        req("caName", "01", "the CA"),
        req("customercode", CODE, "CustomerCode-LisenceNumber"),
        req("profileName", "Bronze-Sign", "the profile of the CA"),
        req("signature", SIG, "the transaction signature"),
        f("personData", Ty::Obj(PERSON), true, "", "the applicant"),
    ], response: &[out("TrackingCode", Ty::Str, "1000001"), out("Description", Ty::JsonText, "")], array: &[] }),
    ("GetTrackingCodeInfo", Io { request: &[
        req("nationalCode", "0012345679", "the applicant's national code"),
        req("trackingCode", "1000001", "the tracking code"),
        req("customercode", CODE, "CustomerCode-LisenceNumber"),
        req("sign", SIG, "the transaction signature"),
    ], response: &[], array: &[] }),
    ("IssueCertificateByTrackingCode", Io { request: &[
        req("caName", "01", "the CA of the registration"),
        req("profileName", "Bronze-Sign", "the profile of the registration"),
        req("trackingCode", "1000001", "the tracking code"),
        req("csr", "MIIC…", "base64 DER PKCS#10 (a PEM is refused), or \"none\" for a P12 token"),
        req("paymentId", "p-1", "the integrator's payment reference"),
        req("signature", SIG, "the transaction signature"),
        req("customercode", CODE, "CustomerCode-LisenceNumber"),
        opt("password", "s3cret", "a P12 token's password, as at registration"),
    ], response: &[
        out("Certificate", Ty::Str, "MIIF…"), out("PaymentStatus", Ty::Str, "Paid"), out("Description", Ty::Str, ""),
        out("CN", Ty::Str, "Mehdi Ahmadi [Sign]"), out("IssuerName", Ty::Str, "TEST PKI Private Intermediate Bronze CA - G3"),
        out("ValidFrom", Ty::Str, "2026-06-01T08:00:00Z"), out("ValidTo", Ty::Str, "2027-06-01T08:00:00Z"),
    ], array: &[] }),
    ("RevokeCertificate", Io { request: &[
        req("certificate", "MIIF…", "base64 DER of the certificate (a PEM is refused)"),
        req("signature", SIG, "the transaction signature"),
        req("customercode", CODE, "CustomerCode-LisenceNumber"),
        f("revokeCertReason", Ty::Int, true, "1", "RFC 5280 CRLReason (7 and above 10 refused; left out: 0, warned field-missing)"),
    ], response: &[out("Description", Ty::Str, "certificate serial 1001 revoked")], array: &[] }),
    ("RequestApprove", Io { request: &[
        req("nationalCode", "0012345679", "the applicant's national code"),
        req("trackingCode", "1000002", "the tracking code awaiting approval"),
        req("customercode", CODE, "CustomerCode-LisenceNumber"),
        req("approver", "TEST Approver Ali Rezaei", "in person: the approver's name in the scenario"),
        req("sign", SIG, "the transaction signature"),
        req("approverSign", "MIIG…", "in person: base64 DER CMS, detached, by the approver over the same UTF-16LE text; empty (sent, not left out) for face authentication"),
        opt("orderId", "fa-1", "face authentication: the provider's session id"),
    ], response: &[], array: &[] }),
    ("GetAllCert", Io { request: &[req("SerialNumber", "0012345679", "the person's national code")], response: CERT_LIST, array: &[] }),
    ("GetAllMobileCert", Io { request: &[
        opt("NationalCode", "0012345679", "the person (or TrackingCode)"),
        opt("TrackingCode", "1000001", "wins over NationalCode"),
        opt("CAName", "01", "only this CA"),
        opt("CustomerCode", "10320874334", "only this customer"),
    ], response: CERT_LIST, array: &[] }),
    ("GetUserCertHistory", Io { request: &[
        req("SerialNumber", "0012345679", "the person's national code"),
        req("customercode", CODE, "CustomerCode-LisenceNumber"),
        req("rnd", "8d1f0c2e", "a random value (a repeat within pki.replay_window_seconds warns rnd-repeated)"),
        req("signature", SIG, "the transaction signature"),
    ], response: CERT_LIST, array: &[] }),
    ("IssuingReport", Io { request: &[
        req("reportkey", "report-key-A-0001", "the customer's report key"),
        req("customercode", "10320874334", "the customer code"),
        req("startdate", "2026/06/01", "yyyy/mm/dd, Gregorian or Solar Hijri, inclusive"),
        req("enddate", "2026/06/30", "yyyy/mm/dd, inclusive"),
        req("type", "PerCA", "PerCA, PerCA&Status or detail"),
        f("id", Ty::Int, true, "0", "detail: the last Id of the previous page; \"\" or 0 for the first page and for the PerCA types"),
    ], response: &[], array: &[PER_CA_ROW, DETAIL_ITEM] }),
    ("IsApproved", Io { request: &[req("trackingCode", "1000002", "the tracking code")], response: &[], array: &[] }),
    ("RecievedCertConfirmation", Io { request: &[
        req("certificate", "MIIF…", "base64 DER of the certificate (a PEM is accepted, warned certificate-pem-armor)"),
        req("signature", SIG, "the transaction signature"),
        req("customercode", CODE, "CustomerCode-LisenceNumber"),
        req("trackingCode", "1000001", "the tracking code"),
    ], response: &[out("Description", Ty::Str, "receipt of certificate serial 1001 confirmed")], array: &[] }),
    ("GetCredit", Io { request: &[
        req("reportkey", "report-key-A-0001", "the customer's report key"),
        req("customercode", "10320874334", "the bare customer code"),
    ], response: &[out("Credit", Ty::Str, "10000000"), out("Description", Ty::Str, "")], array: &[] }),
];

pub fn io(name: &str) -> Option<&'static Io> {
    IO.iter().find(|(n, _)| *n == name).map(|(_, io)| io)
}

fn example_value(field: &Field) -> Value {
    match field.ty {
        Ty::Str | Ty::JsonText => json!(field.example),
        Ty::Int => field
            .example
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or(json!(0)),
        Ty::Bool => json!(field.example == "true"),
        Ty::Obj(fields) => example_object(fields),
        Ty::List(fields) => json!([example_object(fields)]),
    }
}

fn example_object(fields: &[Field]) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|f| (f.name.to_string(), example_value(f)))
            .collect(),
    )
}

/// The schema of a field; `nullable` adds `null` (an envelope field on failure).
fn schema(field: &Field, nullable: bool) -> Value {
    let mut s = match field.ty {
        Ty::Str => json!({"type": "string"}),
        Ty::JsonText => {
            json!({"type": "string", "contentMediaType": "application/json", "description": "a JSON object, as text"})
        }
        Ty::Int => json!({"type": "integer"}),
        Ty::Bool => json!({"type": "boolean"}),
        Ty::Obj(fields) => object(fields, false),
        Ty::List(fields) => json!({"type": "array", "items": object(fields, true)}),
    };
    if nullable {
        let t = s["type"].clone();
        s["type"] = json!([t, "null"]);
    }
    if !field.doc.is_empty() && s.get("description").is_none() {
        s["description"] = json!(field.doc);
    }
    s
}

/// A closed object: answers (`answer`) list every field, `null` where the field says so;
/// requests require what is required.
fn object(fields: &[Field], answer: bool) -> Value {
    let props: Map<String, Value> = fields
        .iter()
        .map(|f| (f.name.to_string(), schema(f, answer && !f.required)))
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| answer || f.required)
        .map(|f| f.name)
        .collect();
    let mut o = json!({"type": "object", "properties": props, "required": required});
    if answer {
        o["additionalProperties"] = json!(false);
    }
    o
}

fn envelope(route: &Route, io: &Io) -> Value {
    let mut props = Map::new();
    let mut required: Vec<String> = Vec::new();
    let mut add = |name: &str, s: Value, req: bool| {
        props.insert(name.to_string(), s);
        if req {
            required.push(name.to_string());
        }
    };
    match route.shape {
        Shape::IsSuccess(fields) => {
            add("IsSuccess", json!({"type": "boolean"}), true);
            for name in fields.iter() {
                let s = io
                    .response
                    .iter()
                    .find(|f| f.name == *name)
                    .map(|f| schema(f, true))
                    .unwrap_or_else(|| json!({"type": ["string", "null"]}));
                add(name, s, true);
            }
            add(
                "ErrorCode",
                json!({"type": "integer", "description": "0 on success; docs/errors.md lists the codes"}),
                true,
            );
            add("ErrorMessage", json!({"type": "string"}), true);
        }
        Shape::ResultCode | Shape::Approval | Shape::ApprovalWithError => {
            add("ResultCode", json!({"type": "boolean"}), true);
            add(
                "Description",
                json!({"type": "string", "description": if matches!(route.shape, Shape::ResultCode) { "on success the registered identity as a JSON object, as text; empty on failure" } else { "what happened, or why not" }}),
                true,
            );
            add(
                "Message",
                json!({"type": "string", "description": "Success, Unsuccess, or why not"}),
                true,
            );
            // Only RequestApprove documents the error fields; GetTrackingCodeInfo and
            // IsApproved answer the three members alone (the code is in X-Signsim-Diagnostic).
            if route.shape.has_error_fields() {
                add("ErrorCode", json!({"type": "integer"}), false);
                add("ErrorMessage", json!({"type": "string"}), false);
            }
        }
        Shape::IsAvailable => {
            add("IsAvailable", json!({"type": "boolean"}), true);
            add("Description", json!({"type": "string"}), true);
            add("ErrorCode", json!({"type": "integer"}), true);
            add("ErrorMessage", json!({"type": "string"}), true);
        }
    }
    let env = json!({"type": "object", "properties": props, "required": required, "additionalProperties": false});
    if io.array.is_empty() {
        env
    } else {
        let items: Vec<Value> = io.array.iter().map(|f| object(f, true)).collect();
        json!({"oneOf": [{"type": "array", "items": {"oneOf": items}}, env]})
    }
}

fn success_example(route: &Route, io: &Io) -> Value {
    if let Some(first) = io.array.first() {
        return json!([example_object(first)]);
    }
    let mut m = Map::new();
    match route.shape {
        Shape::IsSuccess(fields) => {
            m.insert("IsSuccess".into(), json!(true));
            for name in fields.iter() {
                let v = io
                    .response
                    .iter()
                    .find(|f| f.name == *name)
                    .map(|f| match f.ty {
                        Ty::JsonText => json!(example_object(REGISTER_DESCRIPTION).to_string()),
                        _ => example_value(f),
                    })
                    .unwrap_or(json!(""));
                m.insert(name.to_string(), v);
            }
            m.insert("ErrorCode".into(), json!(0));
            m.insert("ErrorMessage".into(), json!(""));
        }
        Shape::ResultCode | Shape::Approval | Shape::ApprovalWithError => {
            m.insert("ResultCode".into(), json!(true));
            m.insert("Description".into(), json!(""));
            m.insert("Message".into(), json!("Success"));
            if route.shape.has_error_fields() {
                m.insert("ErrorCode".into(), json!(0));
                m.insert("ErrorMessage".into(), json!(""));
            }
        }
        Shape::IsAvailable => {
            m.insert("IsAvailable".into(), json!(true));
            m.insert("Description".into(), json!("CA 01 is available"));
            m.insert("ErrorCode".into(), json!(0));
            m.insert("ErrorMessage".into(), json!(""));
        }
    }
    Value::Object(m)
}

fn operation(route: &Route, io: &Io) -> Value {
    let mut op = json!({
        "operationId": route.name,
        "summary": route.summary,
        "tags": ["PKI RA"],
    });
    let mut description = format!("`{}` {}.", route.name, route.summary);
    if let Some(rule) = route.signed {
        let bytes = match rule.documented {
            Documented::Unicode => "the UTF-16LE bytes (.NET Encoding.Unicode, no BOM) of the text",
            Documented::AsSent => "the field's text as sent (ASCII); the lenient policy also accepts its UTF-16LE bytes or the decoded DER",
        };
        description.push_str(&format!(
            " Signed: `{}` = Base64(RSA-SHA1 PKCS#1 v1.5 with the customer's key over {bytes}), `{}`.",
            rule.field, rule.formula
        ));
        op["x-signsim-signature"] = json!({
            "field": rule.field,
            "formula": rule.formula,
            "bytes": match rule.documented { Documented::Unicode => "utf-16le", Documented::AsSent => "as-sent" },
            "algorithm": "RSA-SHA1 PKCS#1 v1.5, base64",
        });
    }
    op["description"] = json!(description);
    match route.verb {
        Verb::Get => {
            let params: Vec<Value> = io
                .request
                .iter()
                .map(|f| {
                    json!({"name": f.name, "in": "query", "required": f.required,
                           "description": format!("{} (any case)", f.doc),
                           "schema": schema(f, false), "example": example_value(f)})
                })
                .collect();
            op["parameters"] = json!(params);
        }
        Verb::Post => {
            let mut body = object(io.request, false);
            if let (Some(rule), Some(props)) = (route.signed, body["properties"].as_object_mut()) {
                if let Some(p) = props.get_mut(rule.field) {
                    p["description"] =
                        json!(format!("Base64(RSA-SHA1(customer key, {}))", rule.formula));
                }
            }
            op["requestBody"] = json!({
                "required": true,
                "description": "JSON; property names bind in any case, unknown properties are ignored",
                "content": {"application/json": {"schema": body, "example": example_object(io.request)}},
            });
        }
    }
    let schema_ref = json!({"$ref": format!("#/components/schemas/{}Response", route.name)});
    op["responses"] = json!({
        "200": {
            "description": if route.answers_401 { "the answer: a success, or a processed refusal (IsSuccess/IsAvailable false with ErrorCode and ErrorMessage)" } else { "the answer: a success, or a refusal, authentication included (IsSuccess/ResultCode false, with ErrorCode and ErrorMessage where the method documents them; X-Signsim-Diagnostic carries `<ErrorCode> <kind>: <message>`)" },
            "content": {"application/json": {"schema": schema_ref, "example": success_example(route, io)}},
        },
        "default": {
            "description": if route.answers_401 { "401 (customer, license), 400/404/405/413/415 (transport), 500: the same envelope" } else { "400/404/405/413/415 (transport), 500: the same envelope" },
            "content": {"application/json": {"schema": schema_ref}},
        },
    });
    op
}

/// The document; `None` names a route without an [`IO`] entry (a unit test keeps that empty).
pub fn document(version: &str) -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for route in ROUTES {
        let Some(io) = io(route.name) else { continue };
        let verb = match route.verb {
            Verb::Get => "get",
            Verb::Post => "post",
        };
        paths.insert(
            format!("/api/{}", route.name),
            json!({ verb: operation(route, io) }),
        );
        schemas.insert(format!("{}Response", route.name), envelope(route, io));
    }
    paths.insert(
        "/crl/{caName}.crl".into(),
        json!({"get": {
            "operationId": "crl",
            "summary": super::routes::CRL.summary,
            "tags": ["PKI RA"],
            "parameters": [{"name": "caName", "in": "path", "required": true, "schema": {"type": "string"}, "example": "01"}],
            "responses": {
                "200": {"description": "the CRL, DER", "content": {"application/pkix-crl": {"schema": {"type": "string", "contentEncoding": "binary"}}}},
                "404": {"description": "no such CA: the UnknownCa error", "content": {"application/json": {"schema": {"type": "object"}}}},
            },
        }}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "PKI RA gateway (signsim emulation)",
            "version": version,
            "description": "The Iranian PKI RA gateway as signsim serves it: every method of the route table, its request (documented casing; the service binds names in any case), its answer envelope, and the signature rule of each signed method. Examples are from signsim's default world (customer 10320874334, license 1234). Refusals and HTTP statuses: the docs/errors.md.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_described_and_every_description_has_a_route() {
        for r in ROUTES {
            let io = io(r.name).unwrap_or_else(|| panic!("{} has no IO entry", r.name));
            if let Shape::IsSuccess(fields) = r.shape {
                for name in fields {
                    assert!(
                        io.response.iter().any(|f| f.name == *name),
                        "{}: the envelope's {name} has no type",
                        r.name
                    );
                }
            }
            if let Some(rule) = r.signed {
                assert!(
                    io.request.iter().any(|f| f.name == rule.field),
                    "{}: the signed field {} is not in the request",
                    r.name,
                    rule.field
                );
            }
        }
        for (name, _) in IO {
            assert!(
                ROUTES.iter().any(|r| r.name == *name),
                "{name} describes no route"
            );
        }
        let doc = document("1.8");
        assert_eq!(doc["paths"].as_object().unwrap().len(), ROUTES.len() + 1);
    }
}
