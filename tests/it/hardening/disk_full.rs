//! A full disk: the data directory on a small tmpfs, filled by four clients uploading at once.
//! Writes are refused in the API's own shape once the free space nears `--min-free`, while
//! health, reads and the control API keep answering; a reset on the full disk answers a server
//! error and leaves the old state whole; kill -9 while full loses nothing acknowledged; once
//! space is freed, writes resume without a restart, and every acknowledged upload comes back
//! byte for byte. Mounting a tmpfs needs root (CI runs as root); elsewhere the quick test says
//! why it skipped, and under `CI=true` it fails instead. The ignored test repeats the run
//! (tests/hardening.sh).

use super::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MIB: usize = 1024 * 1024;
/// Each upload's file: large enough to fill the disk in a few hundred uploads.
const FILE_BYTES: usize = 160 * 1024;

/// A tmpfs mounted on a temporary directory, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `None` when this process may not mount (not root): the caller skips, or fails under CI.
    fn mount(mib: usize) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

fn tmpfs_or_skip(mib: usize) -> Option<Tmpfs> {
    let fs = Tmpfs::mount(mib);
    if fs.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: the full-disk test needs to mount a tmpfs (run as root)"
        );
        eprintln!("skipped: mounting a tmpfs needs root");
    }
    fs
}

/// What one run saw.
#[derive(Default, Debug)]
struct Figures {
    acknowledged: usize,
    refused_full: usize,
    /// Answers that were neither an acknowledgement nor a full-disk refusal (must stay 0).
    other: usize,
    /// Health, read and control calls made while the clients filled the disk.
    probes: usize,
    /// Of those, the ones that did not answer in time (must stay 0).
    probes_failed: usize,
    /// Uploads acknowledged after space was freed.
    resumed: usize,
}

/// A client with a bound on every call: a call that takes longer is a frozen server.
fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// A file of its own for upload `t`/`i` (no two alike, so no content is shared).
fn file_for(t: usize, i: usize) -> Vec<u8> {
    let mut x = (t as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ (i as u64 + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    (0..FILE_BYTES)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

enum Sent {
    Acknowledged(u64),
    Full,
    Other(String),
}

fn upload(c: &reqwest::blocking::Client, url: &str, reference: &str, file: Vec<u8>) -> Sent {
    let form = upload_form(Upload {
        files: vec![("doc.bin".into(), file)],
        ..Upload::alfa_to_beta(reference)
    });
    let text = match c.post(format!("{url}/api.php")).multipart(form).send() {
        Ok(r) => r.text().unwrap_or_default(),
        Err(e) => return Sent::Other(format!("no answer: {e}")),
    };
    if text.contains(">ok</doc>") {
        Sent::Acknowledged(doc_num(&text).parse().unwrap())
    } else if text.contains("<status>98</status>") && text.contains("is full") {
        Sent::Full
    } else {
        Sent::Other(text)
    }
}

fn start(data: &Path, logs: &Path) -> Child {
    start_with_documents(data, logs, &["--min-free", "8MiB"])
}

/// Four clients upload until each has been refused for a full disk five times in a row, while
/// a fifth asks health, a read command and the control API's state.
fn fill(url: &str, round: usize, files: &Mutex<BTreeMap<u64, Vec<u8>>>, figures: &mut Figures) {
    let done = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let counts = Mutex::new((0, 0, Vec::<String>::new()));
    let probes = Mutex::new((0, Vec::<String>::new()));
    std::thread::scope(|s| {
        for t in 0..4 {
            let (done, counts) = (&done, &counts);
            s.spawn(move || {
                // Counted even when the thread panics, so the prober stops.
                let _done = Done(done);
                let c = client();
                let mut refused_in_a_row = 0;
                for i in 0.. {
                    let file = file_for(10 * round + t, i);
                    match upload(&c, url, &format!("full-{round}-{t}-{i}"), file.clone()) {
                        Sent::Acknowledged(num) => {
                            refused_in_a_row = 0;
                            files.lock().unwrap().insert(num, file);
                            counts.lock().unwrap().0 += 1;
                        }
                        Sent::Full => {
                            refused_in_a_row += 1;
                            counts.lock().unwrap().1 += 1;
                        }
                        Sent::Other(text) => counts.lock().unwrap().2.push(text),
                    }
                    if refused_in_a_row == 5 || i > 2000 {
                        break;
                    }
                }
            });
        }
        s.spawn(|| {
            let c = client();
            while done.load(Ordering::SeqCst) < 4 && !stop.load(Ordering::SeqCst) {
                for path in [
                    "/__admin/health",
                    "/__admin/podpishi/accounts/alfa@test.kz",
                    "/__admin/requests?limit=5",
                ] {
                    let answered = c
                        .get(format!("{url}{path}"))
                        .send()
                        .map(|r| r.status().as_u16());
                    let mut p = probes.lock().unwrap();
                    p.0 += 1;
                    if answered.as_ref().map_or(true, |s| *s != 200) {
                        p.1.push(format!("{path}: {answered:?}"));
                    }
                }
                // A read command of the API itself.
                let available = c
                    .post(format!("{url}/apistatus.php"))
                    .form(&[
                        ("login", ALFA.0),
                        ("apikey", ALFA.1),
                        ("command", &b64(READ_COMMAND.as_bytes())),
                    ])
                    .send()
                    .and_then(|r| r.text());
                let mut p = probes.lock().unwrap();
                p.0 += 1;
                if !available.as_ref().is_ok_and(|t| t.contains("err=\"no\"")) {
                    p.1.push(format!("getavailabledocs: {available:?}"));
                }
                drop(p);
                std::thread::sleep(Duration::from_millis(50));
            }
        });
    });
    stop.store(true, Ordering::SeqCst);
    let (acknowledged, refused, other) = counts.into_inner().unwrap();
    let (probed, failed) = probes.into_inner().unwrap();
    figures.acknowledged += acknowledged;
    figures.refused_full += refused;
    figures.other += other.len();
    figures.probes += probed;
    figures.probes_failed += failed.len();
    assert!(other.is_empty(), "answers other than ok or full: {other:?}");
    assert!(
        failed.is_empty(),
        "probes that failed while full: {failed:?}"
    );
}

/// Adds one to its counter when dropped.
struct Done<'a>(&'a AtomicUsize);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

const READ_COMMAND: &str = "<data><oper>getavailabledocs</oper><time>20260601130000</time></data>";

fn health(url: &str) -> Value {
    client()
        .get(format!("{url}/__admin/health"))
        .send()
        .unwrap()
        .json()
        .unwrap()
}

/// Every acknowledged upload is held, byte for byte (its ZIP from the control API).
fn verify_bytes(url: &str, files: &BTreeMap<u64, Vec<u8>>) {
    let c = client();
    for (num, file) in files {
        let zip = c
            .get(format!("{url}/__admin/podpishi/documents/{num}/zip"))
            .send()
            .unwrap();
        assert_eq!(zip.status().as_u16(), 200, "document {num}");
        let entries = unzip(&zip.bytes().unwrap());
        assert!(
            entries.iter().any(|(_, bytes)| bytes == file),
            "document {num}: its file is not byte for byte what was acknowledged ({:?})",
            entries
                .iter()
                .map(|(n, b)| (n, b.len()))
                .collect::<Vec<_>>()
        );
    }
}

/// Every acknowledged upload is held (its number, from the control API's state; the bytes are
/// compared once at the end, by [`verify_bytes`]).
fn verify_held(url: &str, files: &BTreeMap<u64, Vec<u8>>) {
    let state: Value = client()
        .get(format!("{url}/__admin/podpishi/state"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let held: std::collections::BTreeSet<u64> = state["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["value"]["num"].as_u64().unwrap())
        .collect();
    let lost: Vec<_> = files.keys().filter(|n| !held.contains(n)).collect();
    assert!(lost.is_empty(), "acknowledged documents not held: {lost:?}");
}

/// Frees the ballast and uploads until one is acknowledged (writes resume by themselves).
fn free_and_resume(url: &str, ballast: &Path, files: &Mutex<BTreeMap<u64, Vec<u8>>>) -> usize {
    std::fs::remove_file(ballast).unwrap();
    let c = client();
    let started = Instant::now();
    let mut resumed = 0;
    for i in 0..20 {
        let file = file_for(99, i);
        if let Sent::Acknowledged(num) = upload(&c, url, &format!("resumed-{i}"), file.clone()) {
            files.lock().unwrap().insert(num, file);
            resumed += 1;
            if resumed == 3 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        resumed == 3,
        "writes did not resume within {:?} of freeing space",
        started.elapsed()
    );
    resumed
}

/// One run: fill, check health and reset while full, optionally kill -9 and restart while full,
/// free space, resume, and verify every acknowledged document (with `bytes`, byte for byte).
fn run_once(fs: &Tmpfs, kill_while_full: bool, bytes: bool) -> Figures {
    let logs = tempfile::tempdir().unwrap();
    let data: PathBuf = fs.path().join("data");
    let ballast = fs.path().join("ballast");
    std::fs::write(&ballast, vec![0u8; 16 * MIB]).unwrap();
    let mut figures = Figures::default();
    let files = Mutex::new(BTreeMap::new());
    let t0 = Instant::now();
    let mut server = start(&data, logs.path());
    fill(&server.url, 0, &files, &mut figures);
    eprintln!("filled in {:?}", t0.elapsed());
    assert!(figures.acknowledged > 0, "{figures:?}");
    assert!(figures.refused_full >= 20, "{figures:?}");

    let h = health(&server.url);
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["space"]["full"], true, "{h}");
    assert!(
        h["problems"][0]
            .as_str()
            .unwrap()
            .contains("writes are refused"),
        "{h}"
    );
    // A reset on the full disk is the server's failure, and the old state stays whole.
    let reset = client()
        .post(format!("{}/__admin/reset", server.url))
        .send()
        .unwrap();
    assert_eq!(reset.status().as_u16(), 507, "reset on a full disk");
    let why: Value = reset.json().unwrap();
    assert!(why["error"].as_str().unwrap().contains("is full"), "{why}");
    verify_held(&server.url, &files.lock().unwrap());

    if kill_while_full {
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        server = start(&data, logs.path());
        eprintln!("restarted at {:?}", t0.elapsed());
        verify_held(&server.url, &files.lock().unwrap());
        // The restart may have given back what the killed process held; fill what is left.
        fill(&server.url, 1, &files, &mut figures);
        let h = health(&server.url);
        assert_eq!(h["space"]["full"], true, "restarted on a full disk: {h}");
    }
    figures.resumed = free_and_resume(&server.url, &ballast, &files);
    eprintln!("resumed at {:?}", t0.elapsed());
    let h = health(&server.url);
    assert_eq!(h["status"], "ok", "{h}");
    if bytes {
        verify_bytes(&server.url, &files.lock().unwrap());
    } else {
        verify_held(&server.url, &files.lock().unwrap());
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(
        !log.contains("on an async worker"),
        "a request wrote on an async worker: {log}"
    );
    std::fs::remove_dir_all(&data).unwrap();
    figures
}

#[test]
fn a_full_disk_refuses_writes_keeps_answering_and_resumes_once_space_is_freed() {
    let Some(fs) = tmpfs_or_skip(64) else {
        return;
    };
    let figures = run_once(&fs, true, true);
    eprintln!("full disk, kill -9 while full: {figures:?}");
}

#[test]
#[ignore = "long: tests/hardening.sh runs it"]
fn many_runs_with_four_uploaders_never_freeze() {
    let Some(fs) = tmpfs_or_skip(64) else {
        return;
    };
    let mut total = Figures::default();
    let runs = 10;
    for run in 0..runs {
        let f = run_once(&fs, run % 3 == 0, run == runs - 1);
        eprintln!("run {run}: {f:?}");
        total.acknowledged += f.acknowledged;
        total.refused_full += f.refused_full;
        total.other += f.other;
        total.probes += f.probes;
        total.probes_failed += f.probes_failed;
        total.resumed += f.resumed;
    }
    eprintln!("{runs} runs, four uploaders each, none frozen: {total:?}");
}

/// Without a data directory the watermark guards the memory: with `--min-free 100%` no request
/// may write, in each API's own shape, while reads and the control API answer.
#[test]
fn in_memory_a_store_below_the_watermark_refuses_writes_in_each_apis_shape() {
    let logs = tempfile::tempdir().unwrap();
    let server = Child::start(&["--min-free", "100%"], &[], logs.path());
    let c = client();
    let url = &server.url;
    let h = health(url);
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["space"]["on"], "memory", "{h}");
    assert_eq!(h["space"]["full"], true, "{h}");

    let mut person = reza();
    person["NationalCode"] = serde_json::json!(valid_national_code(410_000_001));
    let answer = c
        .post(format!("{url}/api/RegisterInfo"))
        .json(&Customer::B.register_body("01", "Bronze-Sign", person))
        .send()
        .unwrap();
    assert_eq!(answer.status().as_u16(), 507);
    let diagnostic = answer.headers()["x-signsim-diagnostic"]
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = answer.json().unwrap();
    assert_eq!(body["IsSuccess"], false, "{body}");
    assert_eq!(body["ErrorCode"], 902, "{body}");
    let message = body["ErrorMessage"].as_str().unwrap();
    assert!(
        message.contains("in-memory store is nearly used up")
            && message.contains("--min-free 100%"),
        "{message}"
    );
    assert!(diagnostic.starts_with("902 StoreFull"), "{diagnostic}");

    match upload(&c, url, "memory-full", file_for(0, 0)) {
        Sent::Other(text) => assert!(
            text.contains("<status>98</status>") && text.contains("nearly used up"),
            "{text}"
        ),
        _ => panic!("an upload with the memory below the watermark was not refused as full"),
    }
    // Reads answer: the CA list, the account's state, the journal.
    let cas = c.get(format!("{url}/api/GetCAList")).send().unwrap();
    assert_eq!(cas.status().as_u16(), 200);
    for path in [
        "/__admin/pki/cas",
        "/__admin/podpishi/accounts/alfa@test.kz",
        "/__admin/requests",
    ] {
        let r = c.get(format!("{url}{path}")).send().unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
    }
    let reset = c.post(format!("{url}/__admin/reset")).send().unwrap();
    assert_eq!(reset.status().as_u16(), 507, "reset below the watermark");
}
