//! The Podpishi.Online OpenAPI 3.1 document (`GET /__admin/openapi/podpishi.json`;
//! docs/control-api.md): the upload as `multipart/form-data`, the command endpoint's form with every
//! command of `routes::COMMANDS` described and exemplified (the XML and the `command` field it
//! becomes, base64), and the cabinet page. Each command's elements and example are in
//! [`COMMAND_DOCS`]; a unit test fails when a command has none, so a command cannot exist
//! undescribed. Answers are XML (HTTP 200, refusals included), `getdoc` a ZIP.

use super::routes::COMMANDS;
use serde_json::{json, Map, Value};

/// A command's elements (besides `<oper>` and `<time>`) and an example from the default world,
/// as the inner XML of `<data>`.
pub static COMMAND_DOCS: &[(&str, &str, &str)] = &[
    (
        "getstatus",
        "docuniq: the document's number in the service, the num an upload answers — not uniq_reference (repeat for several documents)",
        "<docuniq>1001</docuniq>",
    ),
    (
        "getlistdocs",
        "time1, time2 (YYYYMMDDhhmmss, inclusive; a date only, YYYYMMDD, is warned time-date-only), owner_bin?",
        "<time1>20260601000000</time1><time2>20260630235959</time2>",
    ),
    ("getavailabledocs", "owner_bin?", ""),
    (
        "getcreateinvoice",
        "tarif (a tariff number), owner_bin?",
        "<tarif>1</tarif>",
    ),
    ("gettarifplan", "–", ""),
    ("getdoc", "docnum", "<docnum>1001</docnum>"),
    (
        "addsignature",
        "docnum, indexnum (the permission i), signature_pem (base64 DER CMS, detached or attached)",
        "<docnum>1001</docnum><indexnum>2</indexnum><signature_pem>MIIG…</signature_pem>",
    ),
    (
        "delpermission",
        "docnum, indexnum",
        "<docnum>1001</docnum><indexnum>2</indexnum>",
    ),
    (
        "addpackage2client",
        "refnum (the partner's reference), bin2client, packet (tariff number)",
        "<refnum>77</refnum><bin2client>160940007893</bin2client><packet>1</packet>",
    ),
    (
        "getlistpartnertrn",
        "time1, time2 (YYYYMMDDhhmmss), owner_bin?",
        "<time1>20260601000000</time1><time2>20260630235959</time2>",
    ),
    (
        "setblockuser",
        "bin2client",
        "<bin2client>160940007893</bin2client>",
    ),
    (
        "reguserbypartner",
        "email, remoteid, client_bin? (emulator extension)",
        "<email>client@shop.kz</email><remoteid>42</remoteid>",
    ),
    (
        "authuserbypartner",
        "serviceid, remoteid, userip (the client's IP address; absent is warned field-missing), owner_bin?",
        "<serviceid>5001</serviceid><remoteid>42</remoteid><userip>192.0.2.10</userip>",
    ),
];

const ALFA: (&str, &str) = ("alfa@test.kz", "7588ca38acc4ef76149caa0b0c115d94");
const PARTNER: (&str, &str) = ("partner@test.kz", "9f8e7d6c5b4a39281706f5e4d3c2b1a0");

fn xml_of(oper: &str, inner: &str) -> String {
    format!("<data><oper>{oper}</oper>{inner}<time>20260601130000</time></data>")
}

fn html_answer(description: &str) -> Value {
    json!({"description": description, "content": {"text/html": {"schema": {"type": "string"}}}})
}

pub fn document(version: &str) -> Value {
    let (examples, list) = command_examples();
    let form = command_form();
    let upload = upload_form();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Podpishi.Online (signsim emulation)",
            "version": version,
            "description": "Podpishi.Online as signsim serves it. Every answer is XML with HTTP 200, refusals included (`<resp err=\"yes\"><status>N</status><errdesc>…</errdesc></resp>`; the docs/errors.md); getdoc answers application/zip. Examples are the default world's accounts.",
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api.php": {"post": {
                "operationId": "upload",
                "summary": "upload documents for a counterparty to sign or view",
                "tags": ["Podpishi"],
                "requestBody": {"required": true, "content": {"multipart/form-data": {
                    "schema": upload,
                    "encoding": {"uf": {"contentType": "application/octet-stream"}},
                }}},
                "responses": {"200": {
                    "description": "`<resp err=\"no\"><doc num='1001' reference='…' package='1' nametxt='…' filetxt='contract.txt'>ok</doc></resp>`, or a refusal",
                    "content": {"text/xml": {"schema": {"type": "string"}, "example": "<resp err=\"no\"><doc num='1001' reference='1C-5D43844' package='1' nametxt='Договор № 15' filetxt='contract.txt'>ok</doc></resp>"}},
                }},
            }},
            "/apistatus.php": {"post": {
                "operationId": "command",
                "summary": "one command: status, lists, downloads, signatures, tariffs, partner operations",
                "description": format!("The command is chosen by `<oper>` inside the base64 XML `command`. The commands:{list}"),
                "tags": ["Podpishi"],
                "requestBody": {"required": true, "content": {
                    "application/x-www-form-urlencoded": {"schema": form.clone(), "examples": examples.clone()},
                    "multipart/form-data": {"schema": form},
                }},
                "responses": {"200": {
                    "description": "XML `<resp err=\"no\" command=\"oper\">…</resp>` (getdoc: the ZIP), or a refusal",
                    "content": {
                        "text/xml": {"schema": {"type": "string"}},
                        "application/zip": {"schema": {"type": "string", "contentMediaType": "application/zip"}},
                    },
                }},
            }},
            "/cabinet": {"get": {
                "operationId": "cabinet",
                "summary": "the web cabinet of an authuserbypartner session",
                "tags": ["Podpishi"],
                "parameters": [
                    {"name": "sessid", "in": "query", "required": true, "schema": {"type": "string"}},
                    {"name": "sesspass", "in": "query", "required": true, "schema": {"type": "string"}},
                ],
                "responses": {"200": html_answer("the cabinet page (or a refusal)")},
            }},
        },
    })
}

/// One example per command (the default world's accounts) and the Markdown list of commands.
fn command_examples() -> (Map<String, Value>, String) {
    let mut examples = Map::new();
    let mut list = String::new();
    for (oper, _, summary) in COMMANDS {
        let (elements, inner) = COMMAND_DOCS
            .iter()
            .find(|(o, ..)| o == oper)
            .map(|(_, e, x)| (*e, *x))
            .unwrap_or(("", ""));
        let xml = xml_of(oper, inner);
        let account = if summary.starts_with("partner:") {
            PARTNER
        } else {
            ALFA
        };
        list.push_str(&format!(
            "\n- `{oper}`: {summary}. Elements: {elements}. Example: `{}`",
            xml.replace('`', "'")
        ));
        examples.insert(
            (*oper).to_string(),
            json!({
                "summary": summary,
                "description": format!("command = base64 of {xml}"),
                "value": {"login": account.0, "apikey": account.1, "command": crate::crypto::b64(xml.as_bytes())},
            }),
        );
    }
    (examples, list)
}

/// The form of `/apistatus.php`.
fn command_form() -> Value {
    json!({
        "type": "object",
        "required": ["login", "apikey", "command"],
        "properties": {
            "login": {"type": "string", "description": "the account's e-mail"},
            "apikey": {"type": "string", "description": "the account's 32-character API key"},
            "command": {"type": "string", "contentEncoding": "base64", "description": "base64 of UTF-8 XML `<data><oper>…</oper>…<time>YYYYMMDDhhmmss</time></data>` (an absent or empty <time> is warned field-missing)"},
        },
    })
}

/// The multipart form of `/api.php` (upload).
fn upload_form() -> Value {
    json!({
        "type": "object",
        "required": ["login", "apikey", "owner_bin", "uf"],
        "properties": {
            "login": {"type": "string", "example": ALFA.0},
            "apikey": {"type": "string", "example": ALFA.1},
            "nametxt": {"type": "string", "description": "the document's title (default: the first file name)", "example": "Договор № 15"},
            "uniq_reference": {"type": "string", "description": "the account's unique reference (a repeat is refused)", "example": "1C-5D43844"},
            "pack_reference": {"type": "string", "example": "1"},
            "owner_bin": {"type": "string", "description": "the owner's BIN/IIN (12 digits, check digit)", "example": "160940001237"},
            "receiver_bin": {"type": "string", "description": "the counterparty's BIN/IIN", "example": "160940004561"},
            "type_delegate": {"type": "string", "enum": ["1", "2"], "description": "1: the receiver signs; 2: the receiver views"},
            "receiver_mail": {"type": "string", "description": "trimmed", "example": "beta@test.kz"},
            "uf": {"type": "array", "items": {"type": "string", "contentMediaType": "application/octet-stream"}, "description": "the files (uf, uf[] or uf[N]), as file parts — not '@/path' text"},
            "signature_pem": {"type": "string", "description": "base64 DER CMS by the owner over the first file (signsim cms sign --signer seitkali --in FILE)"},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_described_and_every_description_has_a_command() {
        for (oper, ..) in COMMANDS {
            assert!(
                COMMAND_DOCS.iter().any(|(o, ..)| o == oper),
                "{oper} is not described"
            );
        }
        for (oper, ..) in COMMAND_DOCS {
            assert!(
                COMMANDS.iter().any(|(o, ..)| o == oper),
                "{oper} is no command"
            );
        }
        let doc = document("x");
        let ex = &doc["paths"]["/apistatus.php"]["post"]["requestBody"]["content"]
            ["application/x-www-form-urlencoded"]["examples"];
        assert_eq!(ex.as_object().unwrap().len(), COMMANDS.len());
    }
}
