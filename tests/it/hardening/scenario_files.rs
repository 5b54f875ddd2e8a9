//! Scenario files are confined and bounded: a posted scenario may name only
//! regular files of at most 4 MiB under its own directory or its fixtures. `/dev/zero`,
//! `/etc/passwd`, `/proc/self/environ`, `..` escapes, a symbolic link out, a FIFO and a large
//! file are refused at once with the field's line, the message tells nothing about whether a
//! file outside exists, and the world is unchanged.

use super::*;
use serde_json::json;
use std::time::{Duration, Instant};

fn posted(emu: &TestEmulator, base: &std::path::Path, public_key: &str) -> (u16, Value) {
    let text = default_scenario_text()
        .replace(
            "fixtures = \"../fixtures\"",
            &format!("fixtures = {:?}", fixture("").display().to_string()),
        )
        .replace(
            "\"pki/customers/10320874334.pub.pem\"",
            &format!("{public_key:?}"),
        );
    emu.admin_post_text(
        &format!("scenario?base={}", base.display()),
        "application/toml",
        &text,
    )
}

#[test]
fn a_posted_scenario_reads_only_small_regular_files_under_its_directory_or_fixtures() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    std::os::unix::fs::symlink("/etc/passwd", base.join("link.pem")).unwrap();
    std::fs::write(base.join("big.pem"), vec![b'A'; 5 * 1024 * 1024]).unwrap();
    run("mkfifo", &[base.join("fifo.pem").to_str().unwrap()], b"");
    let good = fixture("pki/customers/10320874334.pub.pem");
    std::fs::copy(&good, base.join("mine.pem")).unwrap();
    let before = dumps(&emu);
    let outside = "is outside the scenario's directory and its fixtures";
    let cases: Vec<(String, &str)> = vec![
        ("/dev/zero".into(), outside),
        ("/etc/passwd".into(), outside),
        ("/etc/no-such-file".into(), outside),
        ("/proc/self/environ".into(), outside),
        ("../../../../../../etc/passwd".into(), outside),
        (format!("{}/../../etc/passwd", base.display()), outside),
        (format!("{}/link.pem", base.display()), outside),
        (
            format!("{}/fifo.pem", base.display()),
            "is not a regular file",
        ),
        (format!("{}/big.pem", base.display()), "is over 4 MiB"),
    ];
    each_case(
        &cases,
        |c| c.0.as_str(),
        |(path, needle)| {
            let started = Instant::now();
            let (status, body) = posted(&emu, base, path);
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "took {:?}",
                started.elapsed()
            );
            assert_eq!(status, 400, "{body}");
            let problems = scenario_problems(&body);
            let p = problems
                .iter()
                .find(|p| p["field"] == "pki.customers[0].public_key")
                .unwrap_or_else(|| panic!("no public_key problem in {body}"));
            let m = p["message"].as_str().unwrap();
            assert!(m.contains(needle), "{m}");
            assert!(p["line"].as_u64().is_some(), "{p}");
            assert!(!m.contains("root:"), "file content leaked: {m}");
        },
    );
    // Existing or not, outside is outside: the same message.
    let msg = |path: &str| {
        scenario_problems(&posted(&emu, base, path).1)
            .iter()
            .find(|p| p["field"] == "pki.customers[0].public_key")
            .map(|p| p["message"].as_str().unwrap().replace(path, "PATH"))
            .unwrap()
    };
    assert_eq!(msg("/etc/passwd"), msg("/etc/no-such-file"));
    assert_eq!(dumps(&emu), before);
    assert_eq!(emu.admin_ok("health")["scenario"], "default");
    // A file in the scenario's own directory, absolute or relative to the fixtures, loads.
    for ok in [
        format!("{}/mine.pem", base.display()),
        "pki/customers/10320874334.pub.pem".into(),
    ] {
        let (status, body) = posted(&emu, base, &ok);
        assert_eq!(status, 200, "{ok}: {body}");
    }
    assert_eq!(emu.admin_post("reset", &json!({})).0, 200);
}
