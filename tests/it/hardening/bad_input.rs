//! The bad-input catalogue: over 300 malformed requests to the PKI API, Podpishi and the
//! control API, generated as one table. Each answer must be the API's own error shape — PKI
//! `ErrorCode`/`ErrorMessage` with a false envelope flag and a 4xx or 200 status, Podpishi a
//! `<resp err="yes">` (request or command level) or the upload's `<doc … errtxt='…'>err</doc>`
//! in HTTP 200 XML, the control API `{"error": …}` with a 4xx — never a 5xx, never a panic.
//! Afterwards the server is healthy and both state dumps, the clock and the faults are as
//! before.

use super::*;
use serde_json::json;

enum Send {
    Pki {
        method: &'static str,
        content_type: &'static str,
        body: Vec<u8>,
    },
    PkiGet {
        path: String,
    },
    PodForm {
        fields: Vec<(String, String)>,
    },
    PodRaw {
        path: &'static str,
        content_type: &'static str,
        body: Vec<u8>,
    },
    Upload(Upload),
    Admin {
        method: &'static str,
        path: String,
        content_type: &'static str,
        body: Vec<u8>,
    },
}

struct Case {
    name: String,
    send: Send,
}

const PKI_POST: [&str; 11] = [
    "RegisterInfo",
    "GetTrackingCodeInfo",
    "IssueCertificateByTrackingCode",
    "RevokeCertificate",
    "RequestApprove",
    "GetUserCertHistory",
    "IssuingReport",
    "IsApproved",
    "RecievedCertConfirmation",
    "GetCredit",
    "registerinfo",
];

fn pki_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let cc = "\"customercode\":\"10320874334-1234\"";
    vec![
        ("empty", b"".to_vec()),
        ("open brace", b"{".to_vec()),
        ("array", b"[]".to_vec()),
        ("null", b"null".to_vec()),
        ("number", b"42".to_vec()),
        ("string", b"\"x\"".to_vec()),
        ("truncated", b"{\"customercode\":".to_vec()),
        ("invalid UTF-8", b"{\"customercode\":\"\xff\xfe\"}".to_vec()),
        ("deep nesting", deep.into_bytes()),
        (
            "huge number",
            format!("{{{cc},\"revokeCertReason\":1e999999}}").into_bytes(),
        ),
        ("customercode a number", b"{\"customercode\":5}".to_vec()),
        ("customercode an object", b"{\"customercode\":{}}".to_vec()),
        ("customercode null", b"{\"customercode\":null}".to_vec()),
        (
            "unknown customer",
            b"{\"customercode\":\"99999999999-1\",\"signature\":\"AAAA\"}".to_vec(),
        ),
        (
            "wrong license",
            b"{\"customercode\":\"10320874334-9999\",\"signature\":\"AAAA\"}".to_vec(),
        ),
        (
            "signature not base64",
            format!("{{{cc},\"signature\":\"!!!\",\"sign\":\"!!!\",\"reportkey\":\"x\"}}")
                .into_bytes(),
        ),
        (
            "control characters",
            format!("{{{cc},\"trackingCode\":\"\\u0000\\u0007\",\"reportkey\":\"\\u0000\"}}")
                .into_bytes(),
        ),
        ("BOM then garbage", b"\xef\xbb\xbf}{".to_vec()),
        (
            "duplicate keys of two types",
            b"{\"customercode\":\"x\",\"CUSTOMERCODE\":[1]}".to_vec(),
        ),
    ]
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut add = |name: String, send: Send| out.push(Case { name, send });
    // PKI: every POST method × every malformed body.
    for m in PKI_POST {
        for (what, body) in pki_bodies() {
            add(
                format!("pki {m}: {what}"),
                Send::Pki {
                    method: m,
                    content_type: "application/json",
                    body,
                },
            );
        }
        for ct in [
            "text/plain",
            "",
            "application/x-www-form-urlencoded",
            "TEXT/JSONX",
        ] {
            add(
                format!("pki {m}: content type {ct:?}"),
                Send::Pki {
                    method: m,
                    content_type: ct,
                    body: b"{}".to_vec(),
                },
            );
        }
    }
    for q in [
        "GetCAList",
        "GetCAList?Customercode=",
        "GetCAList?Customercode=abc",
        "GetCAList?Customercode=99999999999",
        "GetCAProfileInfo?Customercode=10320874334",
        "GetCAProfileInfo?Customercode=10320874334&caName=zz",
        "GetCAProfileInfo?caName=01",
        "IsAvailable?caName=%00",
        "GetAllCert",
        "GetAllCert?SerialNumber=",
        "GetAllMobileCert",
        "IsAvailable",
        "GetCAProfileInfo?Customercode=abc&caName=01",
        "NoSuchMethod",
        "GetCAList/extra",
        "RegisterInfo",
        "%ff%fe",
        "GetCAProfileInfo?Customercode=10320874334&caName=%00",
    ] {
        add(
            format!("pki GET {q}"),
            Send::PkiGet {
                path: format!("/api/{q}"),
            },
        );
    }
    for q in [
        "/crl/zz.crl",
        "/crl/01",
        "/crl/..%2f01.crl",
        "/crl/01.crl.bak",
    ] {
        add(format!("pki GET {q}"), Send::PkiGet { path: q.into() });
    }
    // Podpishi commands: authentication, the command's encoding, then each oper's elements.
    let f = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let cmd = |xml: &str| b64(xml.as_bytes());
    for (what, fields) in [
        ("nothing", f(&[])),
        (
            "no apikey",
            f(&[
                ("login", ALFA.0),
                ("command", &cmd("<data><oper>gettarifplan</oper></data>")),
            ]),
        ),
        (
            "short apikey",
            f(&[
                ("login", ALFA.0),
                ("apikey", "abc"),
                ("command", &cmd("<data><oper>gettarifplan</oper></data>")),
            ]),
        ),
        (
            "wrong apikey",
            f(&[
                ("login", ALFA.0),
                ("apikey", "00000000000000000000000000000000"),
                ("command", "x"),
            ]),
        ),
        (
            "unknown login",
            f(&[
                ("login", "nobody@x.kz"),
                ("apikey", ALFA.1),
                ("command", "x"),
            ]),
        ),
        (
            "login of 300 chars",
            f(&[("login", &"a".repeat(300)), ("apikey", ALFA.1)]),
        ),
    ] {
        add(format!("podpishi auth: {what}"), Send::PodForm { fields });
    }
    let with = |command: String| f(&[("login", ALFA.0), ("apikey", ALFA.1), ("command", &command)]);
    let xxe = "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><data><oper>getstatus</oper><docuniq>&x;</docuniq></data>";
    let laughs = format!("<!DOCTYPE d [<!ENTITY a \"{}\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><data><oper>getdoc</oper><docnum>&b;</docnum></data>", "x".repeat(64));
    for (what, command) in [
        ("not base64", "%%%".to_string()),
        ("base64 of binary", b64(&[0xff, 0x00, 0xfe])),
        ("empty", String::new()),
        ("not XML", cmd("hello")),
        ("unclosed", cmd("<data><oper>getstatus")),
        ("no data root", cmd("<x><oper>getstatus</oper></x>")),
        ("XXE", cmd(xxe)),
        ("billion laughs", cmd(&laughs)),
        (
            "unknown oper",
            cmd("<data><oper>dropdb</oper><time>20260601130000</time></data>"),
        ),
        ("no oper", cmd("<data><time>20260601130000</time></data>")),
        (
            "bad time",
            cmd("<data><oper>gettarifplan</oper><time>yesterday</time></data>"),
        ),
        (
            "deep nesting",
            cmd(&format!(
                "<data>{}{}</data>",
                "<a>".repeat(3000),
                "</a>".repeat(3000)
            )),
        ),
    ] {
        add(
            format!("podpishi command: {what}"),
            Send::PodForm {
                fields: with(command),
            },
        );
    }
    let opers: [(&str, &[&str]); 9] = [
        (
            "getstatus",
            &[
                "",
                "<docuniq></docuniq>",
                "<docuniq>x</docuniq>",
                "<docuniq>99999</docuniq>",
                "<docuniq>+1</docuniq>",
                "<docuniq>18446744073709551616</docuniq>",
            ],
        ),
        (
            "getlistdocs",
            &[
                "",
                "<time1>x</time1><time2>20260601</time2>",
                "<time1>20260601</time1>",
                "<time1>20261301</time1><time2>20260601</time2>",
                "<time1>2026060108</time1><time2>20260601</time2>",
            ],
        ),
        (
            "getcreateinvoice",
            &[
                "",
                "<tariff>x</tariff>",
                "<tariff>999</tariff>",
                "<tariff>-1</tariff>",
            ],
        ),
        (
            "getdoc",
            &[
                "",
                "<docnum>x</docnum>",
                "<docnum>99999</docnum>",
                "<docnum>0</docnum>",
                "<docnum> </docnum>",
            ],
        ),
        (
            "addsignature",
            &[
                "",
                "<docnum>99999</docnum><indexnum>2</indexnum><signature_pem>AAAA</signature_pem>",
                "<docnum>x</docnum>",
                "<docnum>1</docnum><indexnum>y</indexnum>",
            ],
        ),
        (
            "delpermission",
            &[
                "",
                "<docnum>99999</docnum><indexnum>2</indexnum>",
                "<docnum>1</docnum>",
                "<docnum>1</docnum><indexnum>-2</indexnum>",
            ],
        ),
        (
            "addpackage2client",
            &[
                "",
                "<refnum>1</refnum>",
                "<refnum>1</refnum><bin2client>x</bin2client><packet>1</packet>",
            ],
        ),
        (
            "setblockuser",
            &[
                "",
                "<bin2client>160940007893</bin2client>",
                "<bin2client>x</bin2client><block>2</block>",
            ],
        ),
        (
            "reguserbypartner",
            &["", "<email>x</email>", "<email>a@b.kz</email>"],
        ),
    ];
    for (oper, bodies) in opers {
        for body in bodies {
            let xml = format!("<data><oper>{oper}</oper>{body}<time>20260601130000</time></data>");
            add(
                format!("podpishi {oper}: {body:?}"),
                Send::PodForm {
                    fields: with(cmd(&xml)),
                },
            );
        }
    }
    for (what, path, ct, body) in [
        (
            "upload as JSON",
            "/api.php",
            "application/json",
            b"{}".to_vec(),
        ),
        (
            "upload without a body",
            "/api.php",
            "multipart/form-data; boundary=b",
            b"".to_vec(),
        ),
        (
            "upload with a broken boundary",
            "/api.php",
            "multipart/form-data; boundary=b",
            b"--b\r\nContent-Disposition: form-data; name=\"login\"\r\n\r\nalfa".to_vec(),
        ),
        (
            "upload with no boundary",
            "/api.php",
            "multipart/form-data",
            b"--x--".to_vec(),
        ),
        (
            "command as text",
            "/apistatus.php",
            "text/plain",
            b"login=x".to_vec(),
        ),
        (
            "command as multipart garbage",
            "/apistatus.php",
            "multipart/form-data; boundary=zz",
            b"garbage".to_vec(),
        ),
        (
            "command with a bad percent escape",
            "/apistatus.php",
            "application/x-www-form-urlencoded",
            b"login=%zz&apikey=%".to_vec(),
        ),
    ] {
        add(
            format!("podpishi raw: {what}"),
            Send::PodRaw {
                path,
                content_type: ct,
                body,
            },
        );
    }
    let base = || Upload::alfa_to_beta("rk-bad");
    for field in [
        "login",
        "apikey",
        "owner_bin",
        "receiver_bin",
        "type_delegate",
        "receiver_mail",
        "uf",
    ] {
        add(
            format!("podpishi upload without {field}"),
            Send::Upload(base().without(field)),
        );
    }
    for (field, value) in [
        ("owner_bin", "123"),
        ("owner_bin", "169999070809"),
        ("receiver_bin", "abcdefghijkl"),
        ("type_delegate", "7"),
        ("type_delegate", "x"),
        ("receiver_mail", "not-an-email-of-thirty-one-chars"),
        ("pack_reference", "12a"),
        ("signature_pem", "AAAA"),
        ("signature_pem", "%%%"),
        ("login", "beta@test.kz"),
        ("uniq_reference", &"r".repeat(300)),
        ("nametxt", &"n".repeat(5000)),
    ] {
        add(
            format!("podpishi upload {field}={}", &value[..value.len().min(20)]),
            Send::Upload(base().set(field, value)),
        );
    }
    add(
        "podpishi upload uf='@/etc/passwd'".into(),
        Send::Upload(base().without("uf").set("uf", "@/etc/passwd")),
    );
    // The control API: bad bodies on every state-changing route, unknown records, unknown routes.
    let post_routes = [
        "clock",
        "faults",
        "requests/count",
        "pki/customers/10320874334/credit",
        "pki/cas/01/availability",
        "pki/tracking/1000001/approve",
        "pki/tracking/1000001/reject",
        "podpishi/documents/1001/sign",
    ];
    for r in post_routes {
        for (what, body) in [
            ("not JSON", "{".to_string()),
            ("an array", "[1,2]".to_string()),
            (
                "wrong types",
                "{\"set\":\"x\",\"advance\":5,\"available\":\"yes\",\"signer\":7,\"api\":1}"
                    .to_string(),
            ),
            (
                "unknown fields",
                "{\"colour\":\"red\",\"set\":{}}".to_string(),
            ),
            ("a string", "\"x\"".to_string()),
        ] {
            add(
                format!("admin POST {r}: {what}"),
                Send::Admin {
                    method: "POST",
                    path: format!("/__admin/{r}"),
                    content_type: "application/json",
                    body: body.into_bytes(),
                },
            );
        }
    }
    for (method, path) in [
        ("GET", "/__admin/nothing"),
        ("GET", "/__admin/requests/abc"),
        ("GET", "/__admin/requests/99999"),
        ("GET", "/__admin/requests?limit=x"),
        ("GET", "/__admin/requests?status=abc"),
        ("GET", "/__admin/requests/-1"),
        ("GET", "/__admin/pki/tracking/999"),
        ("GET", "/__admin/pki/tracking"),
        ("GET", "/__admin/pki/certificates/01/xyz"),
        ("GET", "/__admin/pki/certificates/zz/1001"),
        ("GET", "/__admin/pki/customers/99999999999"),
        ("GET", "/__admin/pki/cas/zz/certificate"),
        ("GET", "/__admin/pki/cas/zz/chain"),
        ("GET", "/__admin/pki/cas/zz/crl"),
        ("GET", "/__admin/podpishi/documents/abc"),
        ("GET", "/__admin/podpishi/documents/99999"),
        ("GET", "/__admin/podpishi/accounts/nobody"),
        ("DELETE", "/__admin/faults/nope"),
        ("PUT", "/__admin/reset"),
        ("DELETE", "/__admin/health"),
        ("GET", "/__admin/pki/tracking/999/p12"),
        ("POST", "/__admin/pki/tracking/999/approve"),
        ("POST", "/__admin/pki/tracking/999/reject"),
        ("POST", "/__admin/pki/cas/zz/availability"),
        ("POST", "/__admin/podpishi/documents/99999/sign"),
    ] {
        let body = if method == "POST" {
            b"{\"available\":true}".to_vec()
        } else {
            Vec::new()
        };
        add(
            format!("admin {method} {path}"),
            Send::Admin {
                method,
                path: path.into(),
                content_type: "application/json",
                body,
            },
        );
    }
    for (what, toml) in [
        ("not TOML", "[[[".to_string()),
        ("no name", "[scenario]\nname = \"\"".to_string()),
        (
            "unknown key",
            "[scenario]\nname = \"x\"\ncolour = 1".to_string(),
        ),
        (
            "bad clock",
            "[scenario]\nname = \"x\"\n[clock]\nstart = \"yesterday\"".to_string(),
        ),
    ] {
        add(
            format!("admin scenario: {what}"),
            Send::Admin {
                method: "POST",
                path: "/__admin/scenario".into(),
                content_type: "application/toml",
                body: toml.into_bytes(),
            },
        );
    }
    add(
        "admin scenario: not UTF-8".into(),
        Send::Admin {
            method: "POST",
            path: "/__admin/scenario".into(),
            content_type: "application/toml",
            body: b"[scenario]\nname = \"\xff\"".to_vec(),
        },
    );
    add(
        "pki RegisterInfo: 300 properties".into(),
        Send::Pki {
            method: "RegisterInfo",
            content_type: "application/json",
            body: format!(
                "{{{}}}",
                (0..300)
                    .map(|i| format!("\"k{i}\":1"))
                    .collect::<Vec<_>>()
                    .join(",")
            )
            .into_bytes(),
        },
    );
    add(
        "pki RegisterInfo: 40 levels".into(),
        Send::Pki {
            method: "RegisterInfo",
            content_type: "application/json",
            body: format!("{}1{}", "{\"a\":".repeat(40), "}".repeat(40)).into_bytes(),
        },
    );
    out
}

fn check(emu: &TestEmulator, c: &Case) {
    let cl = &emu.client;
    let u = &emu.url;
    match &c.send {
        Send::Pki {
            method,
            content_type,
            body,
        } => {
            let mut r = cl.post(format!("{u}/api/{method}")).body(body.clone());
            if !content_type.is_empty() {
                r = r.header("Content-Type", *content_type);
            }
            pki_shape(Answer::from(r.send().unwrap()));
        }
        Send::PkiGet { path } => {
            pki_shape(Answer::from(cl.get(format!("{u}{path}")).send().unwrap()))
        }
        Send::PodForm { fields } => pod_shape(
            &emu.pod_form_answer(
                &fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<Vec<_>>(),
            ),
        ),
        Send::PodRaw {
            path,
            content_type,
            body,
        } => pod_shape(&Answer::from(
            cl.post(format!("{u}{path}"))
                .header("Content-Type", *content_type)
                .body(body.clone())
                .send()
                .unwrap(),
        )),
        Send::Upload(up) => pod_shape(&emu.pod_upload_answer(Upload {
            fields: up.fields.clone(),
            files: up.files.clone(),
        })),
        Send::Admin {
            method,
            path,
            content_type,
            body,
        } => {
            let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let mut r = cl.request(m, format!("{u}{path}"));
            if !body.is_empty() {
                r = r.header("Content-Type", *content_type).body(body.clone());
            }
            let a = Answer::from(r.send().unwrap());
            assert!(
                (400..500).contains(&a.status),
                "admin status {}: {}",
                a.status,
                a.text()
            );
            let v = a.json();
            assert!(!error_of(&v).is_empty(), "{v}");
        }
    }
}

fn pki_shape(a: Answer) {
    assert!(
        [200, 400, 401, 404, 405, 413, 415].contains(&a.status),
        "PKI status {}: {}",
        a.status,
        a.text()
    );
    let v = a.json();
    // In the body, or in X-Signsim-Diagnostic where the method documents no error fields.
    let (code, message) = refusal_of(&a).unwrap_or_else(|| panic!("no ErrorCode: {v}"));
    assert!(code != 0 && code != 901, "ErrorCode {code}: {v}");
    assert!(!message.is_empty(), "{v}");
    for flag in ["IsSuccess", "ResultCode"] {
        if let Some(f) = v.get(flag) {
            assert_eq!(*f, false, "{v}");
        }
    }
}

fn pod_shape(a: &Answer) {
    let x = answer_xml(a);
    let request_or_command =
        x.contains("<resp err=\"yes\"") && x.contains("<status>") && x.contains("<errdesc>");
    let doc = x.contains("<doc num=''") && x.contains("errtxt='") && x.contains(">err</doc>");
    assert!(request_or_command || doc, "not a Podpishi error: {x}");
}

#[test]
fn three_hundred_malformed_requests_get_each_apis_error_shape_and_change_nothing() {
    let emu = TestEmulator::spawn();
    // Hostile input includes CODE-LICENSE in bare positions: warnings are expected here.
    emu.relies_on_leniency();
    let cases = cases();
    assert!(cases.len() >= 300, "{} cases", cases.len());
    let before = dumps(&emu);
    let clock = emu.clock_now();
    each_case(&cases, |c| c.name.as_str(), |c| check(&emu, c));
    assert_eq!(emu.admin_ok("health")["status"], "ok");
    assert_eq!(emu.get("GetVersion", &[]).0, 200);
    assert_eq!(dumps(&emu), before);
    assert_eq!(emu.clock_now(), clock);
    assert_eq!(emu.admin_ok("faults")["faults"], json!([]));
    let failed_5xx = emu
        .journal("")
        .iter()
        .filter(|e| e["status"].as_u64().unwrap_or(0) >= 500)
        .count();
    assert_eq!(failed_5xx, 0);
}
