//! The log a person or a CI log collector reads: one access line per request at info (request
//! id, API, operation, status, outcome, duration), the request's diagnostics at debug,
//! `RUST_LOG` filters, `--log-format json`, and a usage error for an unknown level.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_signsim");

/// Starts the binary, sends a refused RegisterInfo and a GetVersion, stops it (SIGTERM), and
/// returns what it logged to stderr.
fn log_of(args: &[&str], env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let err_path = dir.path().join("stderr");
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("SIGNSIM_LOG")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&err_path).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim();
    let c = reqwest::blocking::Client::new();
    let refused = c
        .post(format!("{url}/api/RegisterInfo"))
        .json(&serde_json::json!({
            "customercode": "10320874334-1234", "signature": "AAAA", "caName": "01",
            "profileName": "Bronze-Sign", "personData": {"NationalCode": "0012345679"}
        }))
        .send()
        .unwrap();
    assert_eq!(refused.status(), 200);
    assert_eq!(
        c.get(format!("{url}/api/GetVersion"))
            .send()
            .unwrap()
            .status(),
        200
    );
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    std::fs::read_to_string(err_path).unwrap()
}

#[test]
fn info_logs_one_access_line_per_request_without_diagnostics() {
    let log = log_of(&[], &[]);
    let access: Vec<&str> = log.lines().filter(|l| l.contains("request_id=")).collect();
    assert_eq!(access.len(), 2, "{log}");
    assert!(access[0].contains("POST /api/RegisterInfo"), "{log}");
    assert!(access[0].contains("request_id=1"), "{log}");
    assert!(access[0].contains("status=200"), "{log}");
    assert!(
        access[0].contains("outcome=refused SignatureInvalid (203)"),
        "{log}"
    );
    assert!(
        access[1].contains("operation=GetVersion") && access[1].contains("outcome=ok"),
        "{log}"
    );
    assert!(!log.contains("DEBUG"), "{log}");
}

#[test]
fn rust_log_debug_shows_a_pki_refusals_diagnostics() {
    let log = log_of(&[], &[("RUST_LOG", "signsim=debug")]);
    let debug: Vec<&str> = log.lines().filter(|l| l.contains("DEBUG")).collect();
    assert!(
        debug
            .iter()
            .any(|l| l.contains("refused: SignatureInvalid (203)")
                && l.contains("SPKI SHA-256")
                && l.contains("request_id=1")),
        "{log}"
    );
}

#[test]
fn json_format_prints_one_object_per_request_with_its_id() {
    let log = log_of(&["--log-format", "json"], &[]);
    let objects: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let access: Vec<&serde_json::Value> = objects
        .iter()
        .filter(|o| o.get("request_id").is_some())
        .collect();
    assert_eq!(access.len(), 2, "{log}");
    assert_eq!(access[0]["request_id"], 1);
    assert_eq!(access[0]["api"], "pki");
    assert_eq!(access[0]["operation"], "RegisterInfo");
    assert_eq!(access[0]["status"], 200);
    assert_eq!(access[1]["request_id"], 2);
    assert!(access[1]["duration_us"].as_u64().is_some(), "{log}");
}

#[test]
fn an_unknown_level_is_a_usage_error() {
    let out = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0", "--log", "loud"])
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--log 'loud' is not a level"), "{err}");
    assert!(
        out.stdout.is_empty(),
        "printed a URL although it refused: {out:?}"
    );
}

#[test]
fn fault_rules_are_logged_at_start_in_scenario_syntax() {
    let dir = tempfile::tempdir().unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(repo.join("scenarios/default.toml"))
        .unwrap()
        .replace(
            "fixtures = \"../fixtures\"",
            &format!("fixtures = \"{}\"", repo.join("fixtures").display()),
        )
        + "\n[[faults]]\nname = \"slow\"\napi = \"pki\"\noperation = \"GetCAList\"\naction = { kind = \"delay\", ms = 400 }\n";
    let file = dir.path().join("with-fault.toml");
    std::fs::write(&file, text).unwrap();
    let log = log_of(&["--scenario", file.to_str().unwrap()], &[]);
    let line = log
        .lines()
        .find(|l| l.contains("fault rule active"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(line.contains("[[faults]] {"), "{line}");
    assert!(line.contains("name = \"slow\""), "{line}");
    assert!(line.contains("kind = \"delay\""), "{line}");
    assert!(
        !line.contains("Delay {"),
        "Rust debug output in the log: {line}"
    );
}
