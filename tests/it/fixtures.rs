//! Reusable fixtures: a scenario copied anywhere with `fixtures = "embedded"` loads
//! (from a file, and posted to the control API); `extends = "default"` starts from the default
//! world; `signsim fixtures export DIR` writes the embedded fixtures — private keys included —
//! byte for byte, and with only the binary and that directory the README's walk-throughs run as
//! printed, and so does a walk-through of this file's own (sign with the exported customer key,
//! issue, verify the chain, confirm, revoke, check the CRL; a Podpishi upload signed by a test
//! signer, verified against the exported root).

use crate::helpers::*;
use serde_json::{json, Value};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_signsim");

fn embedded_copy() -> String {
    let text = default_scenario_text();
    assert!(text.contains("fixtures = \"../fixtures\""));
    text.replace("fixtures = \"../fixtures\"", "fixtures = \"embedded\"")
}

#[test]
fn a_scenario_copied_anywhere_with_embedded_fixtures_loads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("my-world.toml");
    std::fs::write(&file, embedded_copy()).unwrap();
    // The same copy with the repository's relative path fails on every fixture path.
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, default_scenario_text()).unwrap();
    let out = Command::new(BIN)
        .args(["scenario", "check"])
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("cannot read"));

    let out = Command::new(BIN)
        .args(["scenario", "check"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let server = SignsimProcess::start(&[
        "--addr",
        "127.0.0.1:0",
        "--scenario",
        file.to_str().unwrap(),
    ]);
    let client = reqwest::blocking::Client::new();
    let body: Value = client
        .post(format!("{}/api/RegisterInfo", server.url))
        .json(&Customer::A.register_body("01", "Bronze-Sign", mehdi()))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body["IsSuccess"], true, "{body}");

    // Posted to the control API with a base where no fixture is: it loads all the same.
    let emu = TestEmulator::spawn();
    let (status, body) = emu.admin_post_text(
        &format!("scenario?base={}", dir.path().join("nowhere").display()),
        "application/toml",
        &embedded_copy().replace("name = \"default\"", "name = \"posted\""),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["loaded"], "posted");
    let (_, list) = emu.get("GetCAList", &[("Customercode", "10320874334")]);
    assert_eq!(list["CAList"].as_array().map(Vec::len), Some(3), "{list}");
    // A path that is not among the embedded files is named as such.
    let (status, body) = emu.admin_post_text(
        "scenario",
        "application/toml",
        &embedded_copy().replace("pki/ca-01.pem", "pki/ca-99.pem"),
    );
    assert_eq!(status, 400, "{body}");
    let problems = scenario_problems(&body);
    assert!(
        problems.iter().any(|p| p["message"]
            .as_str()
            .unwrap()
            .contains("'pki/ca-99.pem' is not among the fixture files embedded")),
        "{problems:?}"
    );
}

#[test]
fn extends_default_starts_from_the_default_world() {
    let text = r#"
extends = "default"

[scenario]
name = "stricter"

[pki]
version = "2.0"

[policy]
signature = "strict"
"#;
    let emu = TestEmulator::spawn_with(Options {
        scenario_text: Some(text.into()),
        ..Options::default()
    });
    assert_eq!(emu.admin_ok("health")["scenario"], "stricter");
    let (_, v) = emu.get("GetVersion", &[]);
    assert_eq!(v["Version"], "2.0", "{v}");
    // Everything not overridden is the default world: CAs, customers, registry, Podpishi.
    let (_, list) = emu.get("GetCAList", &[("Customercode", "10320874334")]);
    assert_eq!(list["CAList"].as_array().map(Vec::len), Some(3), "{list}");
    assert_eq!(emu.credit(&Customer::A), 10_000_000);
    assert_eq!(emu.register_mehdi(), "1000001");
    assert_eq!(emu.pod_balance(ALFA), 10);
    // And the override is in force: strict refuses Sign(csr) over UTF-16LE, which lenient takes.
    let dir = tempfile::tempdir().unwrap();
    let (_, csr) = openssl_csr(dir.path(), 2048);
    let mut body = Customer::A.issue_body("01", "Bronze-Sign", "1000001", &csr);
    body["signature"] = json!(Customer::A.sign_unicode(body["csr"].as_str().unwrap()));
    let (status, refused) = emu.post("IssueCertificateByTrackingCode", &body);
    assert_eq!(
        (status, &refused["ErrorCode"]),
        (200, &json!(203)),
        "{refused}"
    );

    // Mistakes are named with their line.
    let (status, body) = emu.admin_post_text(
        "scenario",
        "application/toml",
        "extends = \"lenient-world\"\n[scenario]\nname = \"x\"\n",
    );
    assert_eq!(status, 400, "{body}");
    let p = &scenario_problems(&body)[0];
    assert_eq!(
        (p["line"].as_u64(), p["field"].as_str()),
        (Some(1), Some("extends")),
        "{p}"
    );
    let (status, body) = emu.admin_post_text(
        "scenario",
        "application/toml",
        "extends = \"default\"\n[scenario]\nname = \"x\"\n[pki]\nversio = \"2\"\n",
    );
    assert_eq!(status, 400, "{body}");
    let p = &scenario_problems(&body)[0];
    assert_eq!(
        (p["line"].as_u64(), p["field"].as_str()),
        (Some(5), Some("pki.versio")),
        "{p}"
    );
}

/// The walk-through run by `bash` in the exported directory, with only the binary (as
/// `signsim` on PATH), openssl, iconv, curl and python3.
const WALK: &str = r#"
set -euo pipefail
KEY=fixtures/pki/customers/10320874334.key
unicode_sig() { printf '%s' "$1" | iconv -f UTF-8 -t UTF-16LE | openssl dgst -sha1 -sign "$KEY" | base64 -w0; }
ascii_sig()   { printf '%s' "$1" | openssl dgst -sha1 -sign "$KEY" | base64 -w0; }
SIG=$(unicode_sig "10320874334-1234-0012345679")
cat > reg.json <<JSON
{"caName":"01","customercode":"10320874334-1234","profileName":"Bronze-Sign","signature":"$SIG",
 "personData":{"NationalCode":"0012345679","Name":"مهدی","LastName":"احمدی","EnName":"Mehdi",
   "EnLastName":"Ahmadi","FatherName":"حسن","IsMan":true,"Telephone":"09121234567",
   "BirthDate":"1369/02/22","TokenType":"USERGENERATED","City":"تهران","ProvinceName":"تهران",
   "PostalCode":"1136913111","IsForeign":false,"BirthCertificateID":"1234","AgencySN":""}}
JSON
TC=$(curl -fsS -H 'Content-Type: application/json' --data-binary @reg.json "$URL/api/RegisterInfo" \
  | python3 -c 'import json,sys;print(json.load(sys.stdin)["TrackingCode"])')
openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -subj "/CN=ignored" -outform DER -out leaf.csr 2>/dev/null
CSR=$(base64 -w0 leaf.csr)
curl -fsS -H 'Content-Type: application/json' -d "{\"caName\":\"01\",\"profileName\":\"Bronze-Sign\",
  \"trackingCode\":\"$TC\",\"csr\":\"$CSR\",\"paymentId\":\"p-1\",\"signature\":\"$(ascii_sig "$CSR")\",
  \"customercode\":\"10320874334-1234\"}" "$URL/api/IssueCertificateByTrackingCode" > issued.json
python3 -c 'import json;print(json.load(open("issued.json"))["Certificate"])' | base64 -d > leaf.der
CERT=$(base64 -w0 leaf.der)
cat fixtures/pki/root-ca.pem fixtures/pki/ca-01.pem > chain.pem
openssl x509 -inform DER -in leaf.der -out leaf.pem && openssl verify -CAfile chain.pem leaf.pem
curl -fsS -H 'Content-Type: application/json' -d "{\"certificate\":\"$CERT\",\"signature\":\"$(unicode_sig "$CERT")\",
  \"customercode\":\"10320874334-1234\",\"trackingCode\":\"$TC\"}" "$URL/api/RecievedCertConfirmation" | grep -q '"IsSuccess":true'
curl -fsS -H 'Content-Type: application/json' -d "{\"certificate\":\"$CERT\",\"signature\":\"$(ascii_sig "$CERT")\",
  \"customercode\":\"10320874334-1234\",\"revokeCertReason\":1}" "$URL/api/RevokeCertificate" | grep -q '"IsSuccess":true'
curl -fsS -o ca01.crl "$URL/crl/01.crl" && openssl crl -inform DER -in ca01.crl -out ca01.crl.pem
if openssl verify -crl_check -CAfile chain.pem -CRLfile ca01.crl.pem leaf.pem; then echo "not revoked?"; exit 1; fi
# Podpishi: upload signed by the exported test signer, then verify the CMS against the exported root.
signsim cms sign --signer seitkali --in fixtures/docs/contract.txt | base64 -d > sig.p7s
openssl cms -verify -binary -inform DER -in sig.p7s -content fixtures/docs/contract.txt -CAfile fixtures/kz/root-ca.pem -out /dev/null
openssl cms -sign -binary -outform DER -in fixtures/docs/contract.txt -signer fixtures/kz/signers/petrova.pem \
  -inkey fixtures/kz/signers/petrova.key -out petrova.p7s
curl -fsS "$URL/api.php" -F login=alfa@test.kz -F apikey=7588ca38acc4ef76149caa0b0c115d94 \
  -F nametxt=contract -F uniq_reference=EXP-1 -F pack_reference=1 -F owner_bin=160940001237 \
  -F receiver_bin=160940004561 -F type_delegate=1 -F receiver_mail=beta@test.kz \
  -F uf=@fixtures/docs/contract.txt -F signature_pem="$(base64 -w0 sig.p7s)" | grep -q "err=\"no\""
echo WALKED
"#;

#[test]
fn fixtures_export_writes_everything_needed_to_walk_through_with_only_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["fixtures", "export"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("files written"));
    // Byte for byte the repository's fixtures, private keys included.
    for rel in [
        "pki/customers/10320874334.key",
        "pki/customers/14105318760.private.xml",
        "pki/approvers/approver-1.key",
        "kz/signers/petrova.key",
        "pki/root-ca.pem",
        "docs/invoice.pdf",
        "docs/blob.bin",
        "README.md",
    ] {
        assert_eq!(
            std::fs::read(dir.path().join("fixtures").join(rel)).unwrap(),
            std::fs::read(fixture(rel)).unwrap(),
            "{rel}"
        );
    }
    let readme = std::fs::read_to_string(dir.path().join("README.md")).unwrap();
    assert!(
        readme.contains("TEST ONLY") && readme.contains("extends = \"default\""),
        "{readme}"
    );
    // The exported scenario loads from the exported files.
    let out = Command::new(BIN)
        .args(["scenario", "check", "scenarios/default.toml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Only the binary: a PATH of its own directory and the system's tools, cwd the export.
    let bin_dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(BIN, bin_dir.path().join("signsim")).unwrap();
    let server = SignsimProcess::start(&[
        "--addr",
        "127.0.0.1:0",
        "--scenario",
        dir.path().join("scenarios/default.toml").to_str().unwrap(),
    ]);
    let work = dir.path();
    let out = Command::new("bash")
        .args(["-c", WALK])
        .current_dir(work)
        .env("URL", &server.url)
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", bin_dir.path().display()),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("WALKED"),
        "stdout {stdout}\nstderr {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("leaf.pem: OK"), "{stdout}");

    // And the README's own walk-throughs, as printed, with the exported fixtures in place of
    // the repository's (readme.rs runs them against the repository's).
    for (name, port, sections) in crate::readme::WALKS {
        crate::readme::run_walk_with(name, port, sections, &dir.path().join("fixtures"));
    }
}

/// `signsim fixtures export DIR [--force]`: exit code, stdout, stderr.
fn export(dir: &std::path::Path, force: bool) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(["fixtures", "export"]).arg(dir);
    if force {
        cmd.arg("--force");
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every entry under `dir` (links not followed): its path and its bytes, or where it links.
fn tree(dir: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.file_type().is_symlink() {
                out.insert(
                    rel,
                    format!("-> {}", std::fs::read_link(&p).unwrap().display()),
                );
            } else if m.is_dir() {
                out.insert(rel, "dir".into());
                stack.push(p);
            } else {
                out.insert(
                    rel,
                    String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into(),
                );
            }
        }
    }
    out
}

/// The export of a refused run: a failure that names `path` and writes nothing anywhere.
fn assert_refused(dir: &std::path::Path, force: bool, path: &std::path::Path, why: &str) {
    let (code, stdout, stderr) = export(dir, force);
    assert_eq!(code, Some(1), "stdout {stdout}\nstderr {stderr}");
    assert!(
        stderr.contains(&path.display().to_string()) && stderr.contains(why),
        "{stderr}"
    );
    assert!(stderr.contains("nothing written"), "{stderr}");
}

#[test]
fn fixtures_export_refuses_a_directory_that_is_not_empty_and_leaves_it_untouched() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "my own notes").unwrap();
    std::fs::create_dir(dir.path().join("scenarios")).unwrap();
    std::fs::write(dir.path().join("scenarios/default.toml"), "# mine").unwrap();
    let before = tree(dir.path());
    let (code, stdout, stderr) = export(dir.path(), false);
    assert_eq!(code, Some(1), "stdout {stdout}\nstderr {stderr}");
    assert!(
        stderr.contains(&format!("{} is not empty", dir.path().display()))
            && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn fixtures_export_with_force_replaces_a_previous_export_and_leaves_other_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = export(dir.path(), false);
    assert_eq!(code, Some(0), "{stderr}");
    let exported = tree(dir.path());
    // The user edits an exported file and adds one of their own.
    let key = dir.path().join("fixtures/pki/customers/10320874334.key");
    std::fs::write(&key, "edited").unwrap();
    std::fs::write(dir.path().join("fixtures/notes.txt"), "mine").unwrap();
    let (code, stdout, stderr) = export(dir.path(), true);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("files written"), "{stdout}");
    assert_eq!(
        std::fs::read(&key).unwrap(),
        std::fs::read(fixture("pki/customers/10320874334.key")).unwrap()
    );
    let mut expected = exported;
    expected.insert("fixtures/notes.txt".into(), "mine".into());
    // Byte for byte the first export again, the user's file kept, no temporary file left.
    assert_eq!(tree(dir.path()), expected);
}

#[test]
fn fixtures_export_refuses_a_symlinked_readme_and_leaves_its_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("precious.md");
    std::fs::write(&target, "precious").unwrap();
    let link = dir.path().join("README.md");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let before = tree(dir.path());
    assert_refused(dir.path(), true, &link, "is a symbolic link");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
    assert_eq!(tree(outside.path()).len(), 1);
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn fixtures_export_refuses_a_symlinked_fixtures_directory_and_writes_nothing_outside() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let link = dir.path().join("fixtures");
    std::os::unix::fs::symlink(outside.path(), &link).unwrap();
    // A link one level deeper is refused the same way.
    let deeper = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(deeper.path().join("fixtures/pki")).unwrap();
    let deep_link = deeper.path().join("fixtures/pki/customers");
    std::os::unix::fs::symlink(outside.path(), &deep_link).unwrap();
    for (dir, link) in [(dir.path(), &link), (deeper.path(), &deep_link)] {
        let before = tree(dir);
        assert_refused(dir, true, link, "is a symbolic link");
        assert!(
            tree(outside.path()).is_empty(),
            "{:?}",
            tree(outside.path())
        );
        assert_eq!(tree(dir), before);
    }
}

#[test]
fn fixtures_export_through_a_dangling_symlink_creates_nothing_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let nowhere = outside.path().join("created-by-signsim.md");
    let link = dir.path().join("README.md");
    std::os::unix::fs::symlink(&nowhere, &link).unwrap();
    assert_refused(dir.path(), true, &link, "is a symbolic link");
    assert!(!nowhere.exists());
    assert!(tree(outside.path()).is_empty());
    // DIR itself a link (dangling or not) is refused too.
    let linked_dir = outside.path().join("linked");
    std::os::unix::fs::symlink(outside.path().join("missing"), &linked_dir).unwrap();
    assert_refused(&linked_dir, false, &linked_dir, "is a symbolic link");
    assert!(!outside.path().join("missing").exists());
}

#[test]
fn fixtures_export_into_an_empty_or_missing_directory_writes_every_file() {
    let parent = tempfile::tempdir().unwrap();
    let empty = parent.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let missing = parent.path().join("not/yet/there");
    for dir in [&empty, &missing] {
        let (code, stdout, stderr) = export(dir, false);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(stdout.contains("files written"), "{stdout}");
        let files = tree(dir);
        assert_eq!(
            files.get("README.md").map(|t| t.contains("TEST ONLY")),
            Some(true)
        );
        assert_eq!(
            std::fs::read(dir.join("fixtures/kz/signers/petrova.key")).unwrap(),
            std::fs::read(fixture("kz/signers/petrova.key")).unwrap()
        );
        assert!(files.contains_key("scenarios/default.toml"));
        assert!(!files.keys().any(|k| k.contains(".tmp")), "{files:?}");
    }
}
