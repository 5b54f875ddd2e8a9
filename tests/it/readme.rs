//! The README's walk-throughs run as written: their shell blocks are taken out of README.md in
//! order, run by bash in a directory laid out like a checkout (`./target/release/signsim` is
//! the binary under test, `fixtures/` the repository's), and every `# → expected` line is
//! checked against what the command before it printed (`…` stands for anything).

use crate::helpers::repo;
use std::process::Command;

/// The walk-throughs, each with the port it serves on and the sections whose shell blocks
/// run in one shell, in order.
pub(crate) const WALKS: &[(&str, &str, &[&str])] = &[
    (
        "PKI",
        "18081",
        &[
            "## Walk-through: register → issue → confirm → revoke with curl",
            "## Identity approval (RequestApprove)",
            "## P12 tokens",
        ],
    ),
    (
        "Podpishi",
        "18082",
        &["### Walk-through: upload → getstatus → counterparty signs → getdoc → openssl verify"],
    ),
];

/// The ```sh blocks of the section that starts with `heading` (up to the next heading of the
/// same or a higher level).
fn blocks(readme: &str, heading: &str) -> Vec<String> {
    let level = heading.split(' ').next().unwrap_or("##").len();
    let start = readme
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README has no section {heading:?}"));
    let rest = &readme[start + heading.len() + 2..];
    // The section ends at the next heading of its level or above (outside code blocks).
    let mut end = rest.len();
    let mut at = 0;
    let mut fenced = false;
    for l in rest.lines() {
        if l.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        let hashes = l.chars().take_while(|c| *c == '#').count();
        if !fenced && hashes > 0 && hashes <= level && l.chars().nth(hashes) == Some(' ') {
            end = at;
            break;
        }
        at += l.len() + 1;
    }
    let section = &rest[..end];
    let mut out = Vec::new();
    let mut lines = section.lines();
    while let Some(l) = lines.next() {
        if l.trim() == "```sh" {
            let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            out.push(body.join("\n"));
        }
    }
    assert!(!out.is_empty(), "section {heading:?} has no sh block");
    out
}

/// Whether `output` shows `expected`: its `…`-separated pieces in order (newlines ignored).
fn shows(output: &str, expected: &str) -> bool {
    let flat = output.replace('\n', "");
    let mut at = 0;
    for piece in expected.split('…').filter(|p| !p.is_empty()) {
        match flat[at..].find(piece) {
            Some(i) => at += i + piece.len(),
            None => return false,
        }
    }
    true
}

fn run_walk(name: &str, port: &str, sections: &[&str]) {
    run_walk_with(name, port, sections, &repo().join("fixtures"));
}

/// Walks share their ports (the README names them): one at a time.
static WALKING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A walk-through with `fixtures` as the directory's `fixtures/` (the repository's, or what
/// `signsim fixtures export` wrote: see fixtures.rs).
pub(crate) fn run_walk_with(name: &str, port: &str, sections: &[&str], fixtures: &std::path::Path) {
    let _one = WALKING.lock().unwrap_or_else(|p| p.into_inner());
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let script: String = sections
        .iter()
        .flat_map(|h| blocks(&readme, h))
        .collect::<Vec<_>>()
        .join("\n");
    // Each `# → …` line becomes a marker in the output; the text between markers is what the
    // command before printed.
    let mut expected = Vec::new();
    let mut runnable = String::from("exec 2>&1\n");
    for line in script.lines() {
        match line.trim_start().strip_prefix("# → ") {
            Some(e) => {
                expected.push(e.to_string());
                runnable.push_str("printf '\\n@@EXPECT@@\\n'\n");
            }
            None => {
                runnable.push_str(line);
                runnable.push('\n');
            }
        }
    }
    assert!(!expected.is_empty(), "{name}: no # → lines to check");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("target/release")).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_signsim"),
        dir.path().join("target/release/signsim"),
    )
    .unwrap();
    std::os::unix::fs::symlink(fixtures, dir.path().join("fixtures")).unwrap();
    let out = Command::new("timeout")
        .args(["120", "bash", "-c", &runnable])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let segments: Vec<&str> = text.split("\n@@EXPECT@@\n").collect();
    assert_eq!(
        segments.len(),
        expected.len() + 1,
        "{name}: the walk-through stopped early (status {:?}):\n{text}",
        out.status
    );
    for (i, e) in expected.iter().enumerate() {
        assert!(
            shows(segments[i], e),
            "{name}: expected «{e}» after the command, got:\n{}\n--- whole output:\n{text}",
            segments[i]
        );
    }
    // The walk-through's server stops with its shell (trap … EXIT): nothing is left listening.
    assert!(
        script.contains(&format!("--addr 127.0.0.1:{port}")),
        "{name}: the walk-through starts its own server on {port}"
    );
    // Followed as written, it relies on nothing production may not share (the shutdown
    // summary would say so).
    assert!(
        !text.contains("relied on behaviour production may not share"),
        "{name}:\n{text}"
    );
    assert!(!text.contains("x-signsim-warning"), "{name}:\n{text}");
    let probe = std::net::TcpStream::connect(format!("127.0.0.1:{port}"));
    assert!(probe.is_err(), "{name}: something still listens on {port}");
}

#[test]
fn the_pki_walk_through_approval_and_p12_run_as_written() {
    let (name, port, sections) = WALKS[0];
    run_walk(name, port, sections);
}

#[test]
fn the_podpishi_walk_through_runs_as_written() {
    let (name, port, sections) = WALKS[1];
    run_walk(name, port, sections);
}

#[test]
fn the_matcher_takes_ellipses_as_anything_and_ignores_newlines() {
    assert!(shows("{\"a\":1,\n\"b\":2}", "{\"a\":1,…}"));
    assert!(shows("x\ny z", "xy…z"));
    assert!(!shows("{\"a\":2}", "{\"a\":1…"));
}
