//! The CI recipe of docs/ci.md ("Plain shell"), run exactly as printed, twice in a row on the
//! same ready-file directory with a stale ready file left before the first run: both runs pass,
//! each reads a fresh URL, and no signsim is left running afterwards.

use crate::helpers::*;
use std::io::Write;
use std::path::Path;
use std::process::Command;

/// The ```sh block of docs/ci.md's "Plain shell" section that starts signsim with its ready file.
fn recipe() -> String {
    let doc = std::fs::read_to_string(repo().join("docs/ci.md")).unwrap();
    let at = doc
        .find("\n## Plain shell\n")
        .expect("docs/ci.md has the plain-shell CI recipe");
    let section = &doc[at + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    let blocks: Vec<&str> = section
        .split("```sh\n")
        .skip(1)
        .map(|b| &b[..b.find("\n```").expect("the block ends")])
        .filter(|b| b.contains("--ready-file \"$RUN/url\""))
        .collect();
    assert_eq!(blocks.len(), 1, "one recipe block in {section}");
    blocks[0].to_string()
}

fn run_recipe(script: &Path, runner_temp: &Path) -> (i32, String, String) {
    let out = Command::new("bash")
        .arg(script)
        .env("SIGNSIM", env!("CARGO_BIN_EXE_signsim"))
        .env("RUNNER_TEMP", runner_temp)
        .current_dir(repo())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_ci_recipe_runs_twice_in_a_row_and_leaves_nothing_behind() {
    let text = recipe();
    for needle in [
        "rm -f \"$RUN/url\"",
        "trap ",
        "--ready-file \"$RUN/url\"",
        "kill -0 \"$SIGNSIM_PID\"",
    ] {
        assert!(
            text.contains(needle),
            "the recipe lacks {needle:?}:\n{text}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("recipe.sh");
    std::fs::write(&script, &text).unwrap();
    let temp = dir.path().join("runner-temp");
    std::fs::create_dir(&temp).unwrap();
    let run_dir = temp.join("signsim");
    std::fs::create_dir(&run_dir).unwrap();
    // Yesterday's URL, pointing at a port nothing listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    std::fs::write(run_dir.join("url"), format!("{dead}\n")).unwrap();

    let mut ports = Vec::new();
    for round in 1..=2 {
        let started = std::time::Instant::now();
        let (code, out, err) = run_recipe(&script, &temp);
        assert_eq!(code, 0, "round {round}: stdout {out}\nstderr {err}");
        // The client step's answer: the CA list of customer 10320874334.
        let v: serde_json::Value = serde_json::from_str(out.trim())
            .unwrap_or_else(|e| panic!("round {round}: not the GetCAList answer ({e}): {out}"));
        assert_eq!(v["IsSuccess"], true, "{v}");
        assert_eq!(v["CAList"].as_array().map(Vec::len), Some(3), "{v}");
        // signsim said where it listened; it was not the stale URL.
        let printed = std::fs::read_to_string(run_dir.join("out")).unwrap();
        let url = printed.lines().next().unwrap_or("").to_string();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "round {round}: {printed}"
        );
        assert_ne!(url, dead, "round {round} read the stale URL");
        ports.push(url.clone());
        // Stopped on exit: the ready file is gone, the port refuses, no process is left.
        assert!(
            !run_dir.join("url").exists(),
            "round {round}: the ready file outlived signsim"
        );
        let addr = url.trim_start_matches("http://");
        assert!(
            std::net::TcpStream::connect(addr).is_err(),
            "round {round}: {addr} still accepts connections"
        );
        let left = processes_mentioning(&[run_dir.to_str().unwrap(), "signsim", "serve"]);
        assert!(left.is_empty(), "round {round} left {left:?}");
        let _ = writeln!(
            std::io::stderr().lock(),
            "CI recipe round {round}: passed in {} ms at {url}; ready file removed, port closed, no process left",
            started.elapsed().as_millis()
        );
    }
    assert_ne!(ports[0], ports[1], "each run binds a fresh port");
}
