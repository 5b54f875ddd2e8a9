//! kill -9 on a data directory: during concurrent writes and during
//! `POST /__admin/reset`. After each kill the binary restarts on the same directory and every
//! acknowledged write is there, the state is the old one whole or the new one whole (never
//! documents without their reference index, never counters behind surviving records), the next
//! numbers are fresh, and one store generation is left. The quick test runs 3 + 3 cycles; the
//! ignored one the 20 + 10 (tests/hardening.sh).

use super::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A RegisterInfo body for customer B (no identity checks) and a new person each.
fn person_body(i: u32) -> Value {
    let mut p = reza();
    p["NationalCode"] = serde_json::json!(valid_national_code(400_000_000 + i));
    p["EnName"] = serde_json::json!(format!("Crash{i}"));
    Customer::B.register_body("01", "Bronze-Sign", p)
}

struct World {
    /// num → uniq_reference of every acknowledged upload still expected.
    docs: BTreeMap<u64, String>,
    /// Acknowledged tracking codes.
    tracking: BTreeSet<u64>,
}

fn upload(c: &reqwest::blocking::Client, url: &str, reference: &str) -> Option<u64> {
    let text = c
        .post(format!("{url}/api.php"))
        .multipart(upload_form(Upload::alfa_to_beta(reference)))
        .send()
        .ok()?
        .text()
        .ok()?;
    text.contains(">ok</doc>")
        .then(|| doc_num(&text).parse().unwrap())
}

fn register(c: &reqwest::blocking::Client, url: &str, body: &Value) -> Option<u64> {
    let v: Value = c
        .post(format!("{url}/api/RegisterInfo"))
        .json(body)
        .send()
        .ok()?
        .json()
        .ok()?;
    v["TrackingCode"].as_str()?.parse().ok()
}

/// What a restarted binary holds: documents (num → reference) and tracking codes.
fn held(url: &str) -> (BTreeMap<u64, String>, BTreeSet<u64>) {
    let c = one_shot();
    let pod: Value = c
        .get(format!("{url}/__admin/podpishi/state"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let pki: Value = c
        .get(format!("{url}/__admin/pki/state"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let docs = pod["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["value"]["num"].as_u64().unwrap(),
                d["value"]["reference"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let tracking = pki["tracking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap().parse().unwrap())
        .collect();
    (docs, tracking)
}

fn generations(data: &std::path::Path) -> usize {
    std::fs::read_dir(data)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("gen-"))
        .count()
}

#[derive(Default, Debug)]
struct Tally {
    acknowledged: usize,
    lost: usize,
    reused: usize,
    old_whole: usize,
    new_whole: usize,
}

/// After a restart: nothing acknowledged is lost, and the next numbers are new.
fn verify(url: &str, world: &World, body: &Value, tally: &mut Tally, tag: &str) {
    let (docs, tracking) = held(url);
    for (num, reference) in &world.docs {
        if docs.get(num) != Some(reference) {
            tally.lost += 1;
            eprintln!(
                "{tag}: acknowledged document {num} ({reference}) is {:?}",
                docs.get(num)
            );
        }
    }
    for code in &world.tracking {
        if !tracking.contains(code) {
            tally.lost += 1;
            eprintln!("{tag}: acknowledged tracking code {code} is gone");
        }
    }
    let c = one_shot();
    let next = upload(&c, url, &format!("{tag}-next")).expect("an upload after the restart");
    if docs.contains_key(&next) || docs.keys().next_back().is_some_and(|m| next <= *m) {
        tally.reused += 1;
        eprintln!("{tag}: the next upload got num {next}, already held or below the highest");
    }
    let code = register(&c, url, body).expect("a registration after the restart");
    if tracking.contains(&code) || tracking.iter().next_back().is_some_and(|m| code <= *m) {
        tally.reused += 1;
        eprintln!("{tag}: the next registration got tracking code {code}, already held");
    }
}

/// The default world with alfa seeded with documents enough for every upload of the cycles.
fn start(data: &std::path::Path, logs: &std::path::Path) -> Child {
    start_with_documents(data, logs, &[])
}

fn kill_during_writes(cycles: usize) -> Tally {
    let data = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    // Each registration takes the next person; a fast machine registers many.
    let next_body = AtomicUsize::new(0);
    let next_person = || person_body(next_body.fetch_add(1, Ordering::Relaxed) as u32);
    let mut world = World {
        docs: BTreeMap::new(),
        tracking: BTreeSet::new(),
    };
    let mut tally = Tally::default();
    let mut rng = 0x9e3779b97f4a7c15u64;
    for cycle in 0..cycles {
        let mut server = start(data.path(), logs.path());
        if cycle > 0 {
            verify(
                &server.url,
                &world,
                &next_person(),
                &mut tally,
                &format!("w{cycle}"),
            );
            // What verify wrote is acknowledged too.
            let (docs, tracking) = held(&server.url);
            world.docs = docs;
            world.tracking = tracking;
        }
        let stop = AtomicBool::new(false);
        let acked = Mutex::new(World {
            docs: BTreeMap::new(),
            tracking: BTreeSet::new(),
        });
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let run_for = Duration::from_millis(300 + rng % 700);
        std::thread::scope(|s| {
            for t in 0..4 {
                let (url, stop, acked, next_person) = (&server.url, &stop, &acked, &next_person);
                s.spawn(move || {
                    let c = one_shot();
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        i += 1;
                        if t == 0 && i % 8 == 0 {
                            if let Some(code) = register(&c, url, &next_person()) {
                                acked
                                    .lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .tracking
                                    .insert(code);
                            }
                            continue;
                        }
                        let r = format!("c{cycle}-t{t}-{i}");
                        if let Some(num) = upload(&c, url, &r) {
                            acked
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .docs
                                .insert(num, r);
                        }
                    }
                });
            }
            std::thread::sleep(run_for);
            // SIGKILL while the writers are mid-request.
            server.child.kill().unwrap();
            stop.store(true, Ordering::Relaxed);
        });
        let _ = server.child.wait();
        let acked = acked.into_inner().unwrap();
        tally.acknowledged += acked.docs.len() + acked.tracking.len();
        world.docs.extend(acked.docs);
        world.tracking.extend(acked.tracking);
    }
    let server = start(data.path(), logs.path());
    verify(&server.url, &world, &next_person(), &mut tally, "final");
    assert_eq!(generations(data.path()), 1);
    tally
}

fn kill_during_reset(cycles: usize) -> Tally {
    let data = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let bodies: Vec<Value> = (0..(cycles as u32 * 22 + 2)).map(person_body).collect();
    let mut next = 0usize;
    let mut tally = Tally::default();
    // How long a reset takes on this machine, to kill inside it.
    let took = {
        let server = start(data.path(), logs.path());
        let v: Value = one_shot()
            .post(format!("{}/__admin/reset", server.url))
            .send()
            .unwrap()
            .json()
            .unwrap();
        Duration::from_secs_f64(v["took_ms"].as_f64().unwrap() / 1000.0)
    };
    for cycle in 0..cycles {
        let mut server = start(data.path(), logs.path());
        let c = one_shot();
        let (held_docs, held_tracking) = held(&server.url);
        let mut world = World {
            docs: held_docs,
            tracking: held_tracking,
        };
        for i in 0..200 {
            let r = format!("rk-{i}");
            if let Some(num) = upload(&c, &server.url, &r) {
                world.docs.insert(num, r);
            }
        }
        for _ in 0..20 {
            if let Some(code) = register(&c, &server.url, &bodies[next]) {
                world.tracking.insert(code);
            }
            next += 1;
        }
        tally.acknowledged += world.docs.len() + world.tracking.len();
        // Kill somewhere inside the reset: the switch comes early in it (removing the old
        // generation is its tail), so most kills land before or around it.
        let delay = took.mul_f64(((cycle * 37) % 100) as f64 / 100.0);
        let url = server.url.clone();
        let reset = std::thread::spawn(move || {
            one_shot()
                .post(format!("{url}/__admin/reset"))
                .send()
                .ok()
                .map(|r| r.status().as_u16())
        });
        std::thread::sleep(delay);
        server.child.kill().unwrap();
        let _ = server.child.wait();
        let answered = reset.join().unwrap();
        let server = start(data.path(), logs.path());
        let (docs, tracking) = held(&server.url);
        if docs.is_empty() && tracking.is_empty() {
            tally.new_whole += 1;
            // The reference index went with the documents: an old reference uploads again.
            let num = upload(&c, &server.url, "rk-5").expect("rk-5 after a completed reset");
            if num != 1001 {
                tally.reused += 1;
                eprintln!("r{cycle}: the first upload after the reset got num {num}, not 1001");
            }
        } else {
            assert_ne!(
                answered,
                Some(200),
                "the reset answered 200 but the old state is back"
            );
            tally.old_whole += 1;
            let missing = world
                .docs
                .iter()
                .filter(|(n, r)| docs.get(n) != Some(r))
                .count()
                + world
                    .tracking
                    .iter()
                    .filter(|t| !tracking.contains(t))
                    .count();
            tally.lost += missing;
            assert_eq!(
                docs.len(),
                world.docs.len(),
                "documents beyond the acknowledged ones"
            );
            // rk-5 is still indexed, so it is refused as a duplicate of a document that exists.
            let dup = upload(&c, &server.url, "rk-5");
            assert_eq!(dup, None, "rk-5 uploaded twice");
            verify(
                &server.url,
                &World {
                    docs: world.docs.clone(),
                    tracking: world.tracking.clone(),
                },
                &bodies[next],
                &mut tally,
                &format!("r{cycle}"),
            );
            next += 1;
        }
        drop(server);
        assert_eq!(
            generations(data.path()),
            1,
            "generations left after cycle {cycle}"
        );
    }
    tally
}

#[test]
fn kill_9_during_writes_and_during_reset_loses_nothing_acknowledged() {
    let started = Instant::now();
    let w = kill_during_writes(3);
    let r = kill_during_reset(3);
    eprintln!(
        "kill -9: writes {w:?}; reset {r:?}; {:?}",
        started.elapsed()
    );
    assert!(w.acknowledged > 0 && r.acknowledged > 0);
    assert_eq!(
        (w.lost, w.reused, r.lost, r.reused),
        (0, 0, 0, 0),
        "writes {w:?}, reset {r:?}"
    );
}

#[test]
#[ignore = "20 kills during writes and 10 during reset: run by tests/hardening.sh"]
fn twenty_kills_during_writes_and_ten_during_reset() {
    let started = Instant::now();
    let w = kill_during_writes(20);
    let r = kill_during_reset(10);
    eprintln!(
        "kill -9 x20 during writes: {w:?}; x10 during reset: {r:?}; {:?}",
        started.elapsed()
    );
    assert_eq!(
        (w.lost, w.reused, r.lost, r.reused),
        (0, 0, 0, 0),
        "writes {w:?}, reset {r:?}"
    );
}
