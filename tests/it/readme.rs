//! The documentation runs as written. Every fenced code block of `README.md`,
//! `CONTRIBUTING.md` and `docs/**/*.md` is judged by its info string (CONTRIBUTING.md, "The
//! documentation is tested", states the rule for writers):
//!
//! - ```` ```sh ```` blocks are run. The `sh` blocks of one file are a walk: run in order by one
//!   `bash`, in a fresh temporary directory laid out like a checkout (`./target/release/signsim`
//!   and `signsim` on `PATH` are the binary under test; `fixtures/` and `scenarios/` are copies of
//!   the repository's). Every `# → expected` line is checked against what the commands before
//!   it printed (`…` stands for anything, newlines are ignored), and a command that exits
//!   non-zero fails the walk unless it is the last command before a `# →` line. Release-asset
//!   URLs are served from a local copy of the binary under test.
//! - ```` ```console ```` blocks, and client code (`python`, `java`, `csharp`, `php`, `dart`,
//!   `javascript`), are shown, not run, and must say why: they use docker, podman,
//!   Testcontainers or a github.com URL, or their info string reads `console (not run: <reason>)`.
//! - `toml`, `json`, `yaml` and `text` blocks are data: TOML and JSON must parse, YAML must be a
//!   CI job or a compose file, text must hold no shell command.
//! - Any other info string, or none, fails: a forgotten block is never skipped silently.
//!
//! Each walk is a test of its own, listed in [`WALKS`] or [`MORE_WALKS`] with the ports it
//! listens on; a file with `sh` blocks that no table lists fails
//! `every_file_with_sh_blocks_is_a_walk`, and walks never share a port, so they run in parallel.

use crate::helpers::{doc_pages, repo};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Declares walk tables: for each file, a test that runs its `sh` blocks. Each row is
/// (file, the ports its blocks listen on, comma-separated, the files of the walk).
macro_rules! walks {
    ($(#[$doc:meta])* $table:ident { $($test:ident: $file:literal, $ports:literal;)* }) => {
        $(#[$doc])*
        pub(crate) const $table: &[(&str, &str, &[&str])] = &[$(($file, $ports, &[$file])),*];
        $(
            #[test]
            fn $test() {
                run_walk($file, $ports, &[$file]);
            }
        )*
    };
}

walks! {
    /// The API walk-throughs: fixtures.rs runs them again with the fixtures that
    /// `signsim fixtures export` writes.
    WALKS {
        the_readme_runs_as_written: "README.md", "18080";
        the_pki_walk_through_approval_p12_and_reports_run_as_written: "docs/pki.md", "18081";
        the_podpishi_walk_through_runs_as_written: "docs/podpishi.md", "18082";
        the_persian_quick_start_runs_as_written: "docs/fa/README.md", "18090";
        the_russian_quick_start_runs_as_written: "docs/ru/README.md", "18091";
    }
}

walks! {
    /// The other pages with `sh` blocks.
    MORE_WALKS {
        the_install_page_runs_as_written: "docs/install.md", "18083,18084";
        the_signatures_page_runs_as_written: "docs/signatures.md", "18085";
        the_scenarios_page_runs_as_written: "docs/scenarios.md", "18086";
        the_control_api_page_runs_as_written: "docs/control-api.md", "18087";
        the_faults_and_clock_page_runs_as_written: "docs/faults-and-clock.md", "18088";
        the_portability_page_runs_as_written: "docs/portability.md", "18089";
        the_https_page_runs_as_written: "docs/https.md", "18092";
        the_ci_page_runs_as_written: "docs/ci.md", "";
        the_coverage_page_runs_as_written: "docs/coverage.md", "18093";
        the_dashboard_page_runs_as_written: "docs/dashboard.md", "18094";
    }
}

/// Walks that show portability warnings on purpose.
const SHOWS_WARNINGS: &[&str] = &["docs/portability.md"];

/// Where the release assets of the docs' download blocks are; the walk serves them from a
/// directory holding the binary under test.
const RELEASE_URLS: &[&str] = &[
    "https://github.com/signsim/signsim/releases/download/v0.2.0/",
    "https://github.com/signsim/signsim/releases/latest/download/",
];
const RELEASE_ASSET: &str = "signsim-x86_64-linux";

/// How long one walk may take (a PKI walk generates RSA keys on a busy 2-core machine).
const WALK_TIMEOUT: Duration = Duration::from_secs(300);

/// A fenced code block.
#[derive(Debug)]
struct Block {
    file: String,
    /// The line of the opening fence (1-based).
    line: usize,
    info: String,
    body: String,
}

impl Block {
    fn lang(&self) -> &str {
        self.info.split_whitespace().next().unwrap_or("")
    }
    fn at(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// The fenced blocks of a Markdown text (CommonMark: ``` or ~~~, three or more, indented up to
/// three spaces; a backtick fence's info string has no backtick).
fn blocks_of(file: &str, text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        let Some(ch) = trimmed.chars().next().filter(|c| *c == '`' || *c == '~') else {
            continue;
        };
        let run = trimmed.chars().take_while(|c| *c == ch).count();
        let info = trimmed[run..].trim();
        if indent > 3 || run < 3 || (ch == '`' && info.contains('`')) {
            continue;
        }
        let mut body = Vec::new();
        for (_, l) in lines.by_ref() {
            let t = l.trim_start_matches(' ');
            if t.chars().take_while(|c| *c == ch).count() >= run
                && t.trim_start_matches(ch).trim().is_empty()
            {
                break;
            }
            // Lines lose as much indentation as the fence had.
            let strip = (l.len() - t.len()).min(indent);
            body.push(&l[strip..]);
        }
        out.push(Block {
            file: file.to_string(),
            line: n + 1,
            info: info.to_string(),
            body: body.join("\n"),
        });
    }
    out
}

fn file_blocks(file: &str) -> Vec<Block> {
    let text = std::fs::read_to_string(repo().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    blocks_of(file, &text)
}

/// The block with release-asset URLs taken out: what is left may not reach github.com.
fn without_release_urls(body: &str) -> String {
    let mut text = body.to_string();
    for url in RELEASE_URLS {
        text = text.replace(&format!("{url}{RELEASE_ASSET}"), "");
    }
    text
}

/// Words a shell command line starts with (for blocks that must hold none).
const COMMANDS: &[&str] = &[
    "signsim",
    "./target/release/signsim",
    "./signsim-x86_64-linux",
    "curl",
    "openssl",
    "cargo",
    "docker",
    "podman",
    "sha256sum",
    "chmod",
    "bash",
    "python3",
    "iconv",
    "export",
    "cd",
    "kill",
    "for",
    "until",
    "while",
    "cat",
    "sed",
    "base64",
    "$",
];

fn looks_like_a_command(line: &str) -> bool {
    let first = line.split_whitespace().next().unwrap_or("");
    COMMANDS.contains(&first)
}

/// Why a block breaks the rule, if it does.
fn judge(b: &Block) -> Option<String> {
    let body = &b.body;
    match b.lang() {
        "sh" => {
            if without_release_urls(body).contains("github.com") {
                return Some("a sh block reaches github.com beyond the release assets: it can not run here (use console)".into());
            }
            if body.lines().any(|l| {
                let w = l.split_whitespace().next().unwrap_or("");
                w == "docker" || w == "podman"
            }) {
                return Some(
                    "a sh block runs docker or podman: it can not run here (use console)".into(),
                );
            }
            None
        }
        "console" | "python" | "java" | "csharp" | "php" | "dart" | "javascript" => {
            let reason = b.info[b.lang().len()..].trim();
            if let Some(r) = reason.strip_prefix("(not run:") {
                let r = r.trim_end_matches(')').trim();
                return (r.len() < 10).then(|| "console (not run: …) needs a reason".into());
            }
            if !reason.is_empty() {
                return Some(format!(
                    "console's info string says {reason:?}: write (not run: <reason>)"
                ));
            }
            let cannot_run = body.contains("docker ")
                || body.contains("podman ")
                || body.to_lowercase().contains("testcontainers")
                || without_release_urls(body).contains("github.com/");
            if cannot_run {
                None
            } else if body.contains("github.com/") {
                Some("a console block whose only web access is a release asset can run: make it sh (the test serves the assets)".into())
            } else {
                Some("a console block that could run here: make it sh, or say why not with ```console (not run: <reason>)".into())
            }
        }
        "toml" => body
            .parse::<toml::Table>()
            .err()
            .map(|e| format!("not TOML: {e}")),
        "json" => serde_json::from_str::<serde_json::Value>(body)
            .err()
            .map(|e| format!("not JSON: {e}")),
        "yaml" => {
            let ci_or_compose = body.lines().any(|l| {
                let t = l.trim_start();
                t.starts_with("jobs:") || t.starts_with("steps:") || t.starts_with("services:")
            });
            (!ci_or_compose).then(|| {
                "a yaml block must be a CI job or a compose file (jobs:, steps: or services:)"
                    .into()
            })
        }
        "text" => body
            .lines()
            .find(|l| looks_like_a_command(l))
            .map(|l| format!("a text block holds a shell command ({l:?}): make it sh or console")),
        // A diagram: docs/architecture.md's state diagrams are checked against the models'
        // transition tables by tests/it/docs.rs; any diagram must at least say its kind.
        "mermaid" => {
            let kind = body.split_whitespace().next().unwrap_or("");
            (!["stateDiagram-v2", "flowchart", "sequenceDiagram"].contains(&kind))
                .then(|| format!("a mermaid block starts with {kind:?}: use stateDiagram-v2, flowchart or sequenceDiagram"))
        }
        "" => Some(
            "a block without an info string: say sh (run), console (shown), or its data language"
                .into(),
        ),
        other => Some(format!(
            "info string {other:?} is none of sh, console, toml, json, yaml, text, mermaid, or a client language (python, java, csharp, php, dart, javascript)"
        )),
    }
}

#[test]
fn every_code_block_is_run_or_says_why_not() {
    let mut problems = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for file in doc_pages() {
        for b in file_blocks(&file) {
            *counts.entry(b.lang().to_string()).or_default() += 1;
            if let Some(why) = judge(&b) {
                problems.push(format!("{}: {why}", b.at()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!("code blocks in the docs, by info string: {counts:?}");
}

#[test]
fn the_block_rules_catch_a_forgotten_block() {
    let text = "```\ncurl x\n```\n\n```bash\nls\n```\n\n```console\nsignsim serve\n```\n\n\
                ```console (not run: it builds from source)\ncargo run\n```\n\n```console\ndocker run x\n```\n\n\
                ```console\ncurl -fsSLO https://github.com/signsim/signsim/releases/download/v0.2.0/signsim-x86_64-linux\n```\n\n\
                ```text\nsrc/main.rs  flags\n```\n\n```text\ncurl -s x\n```\n\n```toml\na = \n```\n\n\
                ```sh\ncurl https://github.com/x/y\n```\n\n- ```` ```sh ```` is inline\n\n   ```yaml\n   a: b\n   ```\n\n\
                ```python\nimport requests\n```\n\n```python\nfrom testcontainers.core import x\n```\n";
    let verdicts: Vec<bool> = blocks_of("x.md", text)
        .iter()
        .map(|b| judge(b).is_none())
        .collect();
    assert_eq!(
        verdicts,
        [false, false, false, true, true, false, true, false, false, false, false, false, true]
    );
}

#[test]
fn every_file_with_sh_blocks_is_a_walk_and_every_walk_has_some() {
    let listed: BTreeSet<&str> = WALKS.iter().chain(MORE_WALKS).map(|w| w.0).collect();
    let with_sh: BTreeSet<String> = doc_pages()
        .into_iter()
        .filter(|f| file_blocks(f).iter().any(|b| b.lang() == "sh"))
        .collect();
    let with_sh: BTreeSet<&str> = with_sh.iter().map(String::as_str).collect();
    let missing: Vec<_> = with_sh.difference(&listed).collect();
    let empty: Vec<_> = listed.difference(&with_sh).collect();
    assert!(
        missing.is_empty(),
        "files with sh blocks that no walk runs (add them to WALKS or MORE_WALKS in tests/it/readme.rs): {missing:?}"
    );
    assert!(
        empty.is_empty(),
        "walks of files without sh blocks: {empty:?}"
    );
}

/// The local ports a script mentions (`127.0.0.1:N`, `localhost:N`, `0.0.0.0:N`, `[::1]:N`),
/// port 0 aside.
fn ports_in(script: &str) -> BTreeSet<u16> {
    let mut ports = BTreeSet::new();
    for host in ["127.0.0.1:", "localhost:", "0.0.0.0:", "[::1]:"] {
        for (i, _) in script.match_indices(host) {
            let digits: String = script[i + host.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(p) = digits.parse::<u16>() {
                if p != 0 {
                    ports.insert(p);
                }
            }
        }
    }
    ports
}

fn declared(ports: &str) -> BTreeSet<u16> {
    ports
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| p.trim().parse().unwrap())
        .collect()
}

fn sh_script(files: &[&str]) -> Vec<(String, usize, String)> {
    let mut lines = Vec::new();
    for file in files {
        for b in file_blocks(file).into_iter().filter(|b| b.lang() == "sh") {
            for (i, l) in b.body.lines().enumerate() {
                lines.push((file.to_string(), b.line + 1 + i, l.to_string()));
            }
        }
    }
    lines
}

#[test]
fn walks_listen_on_ports_of_their_own() {
    let mut owner: BTreeMap<u16, &str> = BTreeMap::new();
    for (name, ports, files) in WALKS.iter().chain(MORE_WALKS) {
        let text: String = sh_script(files).into_iter().map(|l| l.2 + "\n").collect();
        let found = ports_in(&text);
        assert_eq!(
            found,
            declared(ports),
            "{name}: its sh blocks use ports {found:?}; declare them in its walk table row"
        );
        for p in found {
            if let Some(other) = owner.insert(p, name) {
                panic!("{name} and {other} both use port {p}: walks run in parallel");
            }
        }
    }
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

#[test]
fn the_matcher_takes_ellipses_as_anything_and_ignores_newlines() {
    assert!(shows("{\"a\":1,\n\"b\":2}", "{\"a\":1,…}"));
    assert!(shows("x\ny z", "xy…z"));
    assert!(!shows("{\"a\":2}", "{\"a\":1…"));
}

/// Whether script line `l` starts a command (rather than continuing the one before it).
fn starts_a_command(lines: &[(String, usize, String)], l: usize) -> bool {
    let text = &lines[l].2;
    if text.trim().is_empty()
        || text.starts_with(char::is_whitespace)
        || text.trim_start().starts_with('#')
    {
        return false;
    }
    if matches!(text.trim(), "done" | "fi" | "}" | "esac" | "JSON" | "TOML") {
        return false;
    }
    let before = lines[..l]
        .iter()
        .rev()
        .map(|x| x.2.trim_end())
        .find(|x| !x.is_empty() && !x.trim_start().starts_with('#'));
    !before.is_some_and(|b| {
        b.ends_with('\\') || b.ends_with('|') || b.ends_with("&&") || b.ends_with("||")
    })
}

/// Runs the walk of `files` with the repository's fixtures.
fn run_walk(name: &str, ports: &str, files: &[&str]) {
    run_walk_with(name, ports, files, &repo().join("fixtures"));
}

/// One walk at a time per walk: fixtures.rs runs the same walks, on the same ports.
fn walk_lock(name: &str) -> std::sync::Arc<std::sync::Mutex<()>> {
    use std::sync::{Arc, Mutex, OnceLock};
    static LOCKS: OnceLock<Mutex<BTreeMap<String, Arc<Mutex<()>>>>> = OnceLock::new();
    let mut locks = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    locks.entry(name.to_string()).or_default().clone()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn group_alive(pgid: u32) -> bool {
    Command::new("kill")
        .args(["-0", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The walk of `files` (their `sh` blocks, in order, in one shell) with `fixtures` as the
/// directory's `fixtures/` (the repository's, or what `signsim fixtures export` wrote: see
/// fixtures.rs); `ports` are the ports it listens on, free again once it has finished.
pub(crate) fn run_walk_with(name: &str, ports: &str, files: &[&str], fixtures: &Path) {
    let lock = walk_lock(name);
    let _one = lock.lock().unwrap_or_else(|p| p.into_inner());
    let lines = sh_script(files);
    assert!(!lines.is_empty(), "{name}: no sh blocks");

    // The checkout-like directory.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bin = env!("CARGO_BIN_EXE_signsim");
    for sub in ["target/release", "bin", "tmp", "runner-temp", "release"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    std::os::unix::fs::symlink(bin, d.join("target/release/signsim")).unwrap();
    std::os::unix::fs::symlink(bin, d.join("bin/signsim")).unwrap();
    copy_dir(fixtures, &d.join("fixtures"));
    copy_dir(&repo().join("scenarios"), &d.join("scenarios"));
    // The release assets: the binary under test and its checksum, as dist/build.sh writes them.
    std::os::unix::fs::symlink(bin, d.join("release").join(RELEASE_ASSET)).unwrap();
    let sum = Command::new("sha256sum")
        .arg(RELEASE_ASSET)
        .current_dir(d.join("release"))
        .output()
        .unwrap();
    assert!(sum.status.success());
    std::fs::write(
        d.join(format!("release/{RELEASE_ASSET}.sha256")),
        &sum.stdout,
    )
    .unwrap();
    let release_url = format!("file://{}/release/", d.display());

    // The script: `# → …` lines become markers; a failing command reports itself with its
    // line; the end of the script is marked, so the EXIT traps' noise after it is told apart.
    let mut expected = Vec::new();
    // Per expectation: the script line where the last command before it starts.
    let mut checked_from = Vec::new();
    let mut runnable =
        String::from("exec 2>&1\ntrap 'printf \"\\n@@ERR@@ %s %s\\n\" \"$?\" \"$LINENO\"' ERR\n");
    // The prelude is two lines: bash's $LINENO of script line `i` is `i + 3`.
    let lineno = |i: usize| i + 3;
    for (i, (_, _, line)) in lines.iter().enumerate() {
        match line.trim_start().strip_prefix("# → ") {
            Some(e) => {
                expected.push(e.to_string());
                let start = (0..i)
                    .rev()
                    .find(|&j| starts_a_command(&lines, j))
                    .unwrap_or(0);
                checked_from.push(start);
                runnable.push_str("printf '\\n@@EXPECT@@\\n'\n");
            }
            None => {
                let mut l = line.clone();
                for url in RELEASE_URLS {
                    l = l.replace(url, &release_url);
                }
                runnable.push_str(&l);
                runnable.push('\n');
            }
        }
    }
    runnable.push_str("printf '\\n@@END@@\\n'\n");

    let log_path = d.join("walk.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let path = format!(
        "{}:{}",
        d.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.args(["-c", &runnable])
        .current_dir(d)
        .env("PATH", path)
        .env("TMPDIR", d.join("tmp"))
        .env("RUNNER_TEMP", d.join("runner-temp"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .process_group(0);
    for (k, _) in std::env::vars() {
        if k.starts_with("SIGNSIM_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let pgid = child.id();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if started.elapsed() > WALK_TIMEOUT {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // What the walk started stops with it (its traps): wait a little, then make sure.
    let stopping = Instant::now();
    while group_alive(pgid) && stopping.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left_running = group_alive(pgid);
    if left_running {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pgid}")])
            .status();
    }
    let text = String::from_utf8_lossy(&std::fs::read(&log_path).unwrap()).into_owned();
    let Some(status) = status else {
        panic!("{name}: still running after {WALK_TIMEOUT:?}:\n{text}");
    };
    assert!(
        !left_running,
        "{name}: processes outlived the walk (status {status:?}):\n{text}"
    );

    let at = |script_line: usize| -> String {
        match lines.get(script_line.wrapping_sub(lineno(0))) {
            Some((f, n, l)) => format!("{f}:{n}: {}", l.trim()),
            None => format!("script line {script_line}"),
        }
    };
    let (main, _exit_traps) = text
        .split_once("\n@@END@@\n")
        .unwrap_or_else(|| panic!("{name}: the walk stopped early (status {status:?}):\n{text}"));
    let segments: Vec<&str> = main.split("\n@@EXPECT@@\n").collect();
    assert_eq!(
        segments.len(),
        expected.len() + 1,
        "{name}: the walk stopped early (status {status:?}):\n{text}"
    );
    let mut failures = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        let mut shown = String::new();
        for l in seg.lines() {
            match l.strip_prefix("@@ERR@@ ") {
                Some(err) => {
                    let (code, line) = err.split_once(' ').unwrap_or((err, "0"));
                    let line: usize = line.trim().parse().unwrap_or(0);
                    // Tolerated: the last command before a `# →` line, whose output is checked.
                    let checked = i < expected.len() && line >= lineno(checked_from[i]);
                    if !checked {
                        failures.push(format!("exit status {code}: {}", at(line)));
                    }
                }
                None => {
                    shown.push_str(l);
                    shown.push('\n');
                }
            }
        }
        if let Some(e) = expected.get(i) {
            if !shows(&shown, e) {
                failures.push(format!(
                    "expected «{e}» after {}, got:\n{shown}",
                    at(lineno(checked_from[i]))
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{name}:\n{}\n--- whole output:\n{text}",
        failures.join("\n")
    );

    // Followed as written, the API walks rely on nothing production may not share (the
    // shutdown summary and the answers' headers would say so).
    if !SHOWS_WARNINGS.contains(&name) {
        let lower = text.to_lowercase();
        assert!(
            !lower.contains("relied on behaviour production may not share"),
            "{name}:\n{text}"
        );
        assert!(!lower.contains("x-signsim-warning"), "{name}:\n{text}");
    }
    for p in declared(ports) {
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", p)).is_err(),
            "{name}: something still listens on {p}"
        );
    }
    eprintln!(
        "{name}: {} sh lines, {} checks passed in {} ms",
        lines.len(),
        expected.len(),
        started.elapsed().as_millis()
    );
}
