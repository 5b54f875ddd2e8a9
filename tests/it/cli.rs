//! The `signsim` binary as integrators and CI run it: port 0, ready file, scenario check,
//! a data directory that survives `kill -9`.

use crate::helpers::*;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_signsim");

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--clock", TEST_CLOCK])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().to_string();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "first stdout line is the URL, got {url:?}"
        );
        Server { child, url }
    }

    fn post(&self, method: &str, body: &serde_json::Value) -> serde_json::Value {
        reqwest::blocking::Client::new()
            .post(format!("{}/api/{method}", self.url))
            .json(body)
            .send()
            .unwrap()
            .json()
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_on_port_zero_prints_the_url_and_writes_the_ready_file() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let server = Server::start(&["--ready-file", ready.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&ready).unwrap().trim(), server.url);
    let resp = reqwest::blocking::get(format!("{}/api/GetVersion", server.url)).unwrap();
    assert_eq!(resp.headers()["x-signsim"], env!("CARGO_PKG_VERSION"));
    let body: serde_json::Value = resp.json().unwrap();
    assert_eq!(body["Version"], "1.8");
}

#[test]
fn sigterm_stops_gracefully() {
    let mut server = Server::start(&[]);
    run("kill", &["-TERM", &server.child.id().to_string()], b"");
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn acknowledged_state_survives_kill_9_with_a_data_dir() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let d = data.path().to_str().unwrap();
    let tracking;
    let cert;
    {
        let server = Server::start(&["--data-dir", d]);
        let reg = server.post(
            "RegisterInfo",
            &Customer::A.register_body("01", "Bronze-Sign", mehdi()),
        );
        tracking = reg["TrackingCode"].as_str().unwrap().to_string();
        let (_, csr) = openssl_csr(work.path(), 2048);
        let issued = server.post(
            "IssueCertificateByTrackingCode",
            &Customer::A.issue_body("01", "Bronze-Sign", &tracking, &csr),
        );
        assert_eq!(issued["IsSuccess"], true, "{issued}");
        cert = issued["Certificate"].as_str().unwrap().to_string();
        // Drop sends SIGKILL: no graceful shutdown, no final flush.
    }
    let server = Server::start(&["--data-dir", d]);
    let credit = server.post(
        "GetCredit",
        &json!({"reportkey": "report-key-A-0001", "customercode": Customer::A.code}),
    );
    assert_eq!(
        credit["Credit"],
        (10_000_000 - 150_000).to_string(),
        "{credit}"
    );
    let again = server.post(
        "RegisterInfo",
        &Customer::A.register_body("01", "Bronze-Sign", mehdi()),
    );
    assert_eq!(again["TrackingCode"], tracking.as_str());
    let desc: serde_json::Value =
        serde_json::from_str(again["Description"].as_str().unwrap()).unwrap();
    assert_eq!(desc["Certificate"], cert.as_str());
    // Counters continue after the restart.
    let mut sara = mehdi();
    sara["NationalCode"] = json!("0023456787");
    sara["Name"] = json!("زهرا");
    sara["LastName"] = json!("کریمی");
    sara["EnName"] = json!("Zahra");
    sara["EnLastName"] = json!("Karimi");
    sara["FatherName"] = json!("علی");
    sara["IsMan"] = json!(false);
    sara["BirthCertificateID"] = json!("5521");
    sara["BirthDate"] = json!("1368/02/15");
    sara["Telephone"] = json!("09131112233");
    let next = server.post(
        "RegisterInfo",
        &Customer::A.register_body("01", "Bronze-Sign", sara),
    );
    assert_eq!(
        next["TrackingCode"],
        (tracking.parse::<u64>().unwrap() + 1).to_string(),
        "{next}"
    );
}

#[test]
fn scenario_check_lists_every_problem_with_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let bad = default_scenario_text().replace("signature = \"lenient\"", "signature = \"sloppy\"");
    let file = write(dir.path(), "bad1.toml", bad.as_bytes());
    let out = Command::new(BIN)
        .args(["scenario", "check", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("bad1.toml:") && text.contains("sloppy"),
        "{text}"
    );

    // Semantic problems are all reported, each with its line.
    let bad = default_scenario_text()
        .replace("code = \"14105318760\"", "code = \"14105318761\"")
        .replace("cas = [\"01\"]", "cas = [\"01\", \"99\"]")
        .replace(
            "national_code = \"0061204501\"",
            "national_code = \"0061204502\"",
        )
        .replace(
            "subject_dn = \"legal-person\"",
            "subject_dn = \"CN={Nope}\"",
        );
    let file = write(dir.path(), "bad2.toml", bad.as_bytes());
    // Paths resolve against the file's directory: point fixtures at the repository's.
    let bad = bad.replace(
        "fixtures = \"../fixtures\"",
        &format!("fixtures = \"{}\"", fixture("").display()),
    );
    std::fs::write(&file, bad.as_bytes()).unwrap();
    let out = Command::new(BIN)
        .args(["scenario", "check", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    let line_of = |needle: &str| bad.lines().position(|l| l.contains(needle)).unwrap() + 1;
    assert!(
        text.contains(&format!(
            "bad2.toml:{}: pki.customers[1].code",
            line_of("code = \"14105318761\"")
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "bad2.toml:{}: pki.customers[1].cas[1]",
            line_of("cas = [\"01\", \"99\"]")
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "bad2.toml:{}: pki.registry.persons[2].national_code",
            line_of("0061204502")
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "bad2.toml:{}: pki.cas[0].profiles[3].subject_dn",
            line_of("CN={Nope}")
        )),
        "{text}"
    );

    let good = Command::new(BIN)
        .args([
            "scenario",
            "check",
            repo().join("scenarios/default.toml").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stdout)
    );
}

#[test]
fn pki_sign_matches_openssl_byte_for_byte() {
    // PKCS#1 v1.5 signatures are deterministic: the helper must equal openssl over the same bytes.
    let key = Customer::A.key();
    let text = "10320874334-1234-0012345679";
    let sign = |extra: &[&str]| {
        Command::new(BIN)
            .args([
                "pki",
                "sign",
                "--key",
                key.to_str().unwrap(),
                "--text",
                text,
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = sign(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        sign_unicode(&key, text)
    );
    let out = sign(&["--encoding", "utf8"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        openssl_sign(&key, text.as_bytes())
    );
    let bad = sign(&["--encoding", "latin1"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("latin1"));
}

#[test]
fn pki_body_builds_requests_the_server_accepts() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let key = Customer::A.key();
    let body = |args: &[&str]| -> serde_json::Value {
        let out = Command::new(BIN)
            .args(["pki", "body"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let k = key.to_str().unwrap();
    let reg = body(&[
        "RegisterInfo",
        "--key",
        k,
        "--customercode",
        "10320874334-1234",
        "--set",
        "caName=01",
        "--set",
        "profileName=Bronze-Sign-InPerson",
        "--set",
        "personData.NationalCode=0012345679",
        "--set",
        "personData.Name=مهدی",
        "--set",
        "personData.LastName=احمدی",
        "--set",
        "personData.EnName=Mehdi",
        "--set",
        "personData.EnLastName=Ahmadi",
        "--set",
        "personData.FatherName=حسن",
        "--set",
        "personData.Telephone=09121234567",
        "--set",
        "personData.BirthDate=1990/05/12",
        "--set",
        "personData.IsMan=true",
        "--set",
        "personData.IsForeign=false",
        "--set",
        "personData.BirthCertificateID=1234",
        "--set",
        "personData.AgencySN=",
        "--set",
        "personData.TokenType=USERGENERATED",
    ]);
    let (status, r) = emu.post("RegisterInfo", &reg);
    assert_eq!((status, &r["IsSuccess"]), (200, &json!(true)), "{r}");
    let tc = r["TrackingCode"].as_str().unwrap().to_string();
    let approve = body(&[
        "RequestApprove",
        "--key",
        k,
        "--customercode",
        "10320874334-1234",
        "--set",
        "nationalCode=0012345679",
        "--set",
        &format!("trackingCode={tc}"),
        "--set",
        "approver=TEST Approver Ali Rezaei",
        "--approver-cert",
        fixture("pki/approvers/approver-1.pem").to_str().unwrap(),
        "--approver-key",
        fixture("pki/approvers/approver-1.key").to_str().unwrap(),
    ]);
    let (status, r) = emu.post("RequestApprove", &approve);
    assert_eq!((status, &r["ResultCode"]), (200, &json!(true)), "{r}");
    let (_, csr) = openssl_csr(dir.path(), 2048);
    let csr_file = write(dir.path(), "req.der", &csr);
    let issue = body(&[
        "IssueCertificateByTrackingCode",
        "--key",
        k,
        "--customercode",
        "10320874334-1234",
        "--set",
        "caName=01",
        "--set",
        "profileName=Bronze-Sign-InPerson",
        "--set",
        &format!("trackingCode={tc}"),
        "--set",
        "paymentId=pay-1",
        "--csr",
        csr_file.to_str().unwrap(),
    ]);
    let (status, r) = emu.post("IssueCertificateByTrackingCode", &issue);
    assert_eq!((status, &r["IsSuccess"]), (200, &json!(true)), "{r}");
    let cert = write(
        dir.path(),
        "leaf.der",
        &unb64(r["Certificate"].as_str().unwrap()),
    );
    let revoke = body(&[
        "RevokeCertificate",
        "--key",
        k,
        "--customercode",
        "10320874334-1234",
        "--certificate",
        cert.to_str().unwrap(),
        "--set",
        "revokeCertReason=4",
    ]);
    let (status, r) = emu.post("RevokeCertificate", &revoke);
    assert_eq!((status, &r["IsSuccess"]), (200, &json!(true)), "{r}");
}
