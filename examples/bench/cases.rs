//! The one-request cases: each a request the workers send again and again (a read, a signed
//! idempotent repeat, an upload of new documents), measured for the case's seconds.

use crate::http::{drive, get, Judge};
use crate::pki;
use crate::podpishi::{command, ok_pod, ok_zip, upload};
use crate::report::{Report, Target};
use crate::server::{Mode, Server};

/// A case: its name, its request `make(worker, i)`, its judge, its target in memory.
struct Case {
    what: &'static str,
    make: Box<dyn Fn(usize, u64) -> Option<Vec<u8>> + Sync>,
    ok: Judge,
    target: Option<Target>,
}

/// The cases in the order they run: the uploads come before getstatus and getdoc, which
/// read the documents they made (numbers from 1001 on).
fn cases(mode: Mode) -> Vec<Case> {
    let tag = mode.tag();
    let run = std::process::id();
    let reg = pki::register_body();
    let small = vec![b'x'; 2048];
    let big = vec![b'y'; 1024 * 1024];
    vec![
        Case {
            what: "GET GetCAList",
            make: Box::new(|_, _| Some(get("/api/GetCAList?Customercode=10320874334"))),
            ok: pki::ok_pki,
            target: Some(Target::CpuRatio(1.3)),
        },
        Case {
            what: "POST RegisterInfo (signed, idempotent repeat)",
            make: Box::new(move |_, _| Some(reg.clone())),
            ok: pki::ok_pki,
            target: Some(Target::CpuRatio(3.0)),
        },
        Case {
            what: "getavailabledocs",
            make: Box::new(|_, _| {
                Some(command(
                    "<data><oper>getavailabledocs</oper><time>20260601130000</time></data>",
                ))
            }),
            ok: ok_pod,
            target: Some(Target::CpuRatio(1.8)),
        },
        Case {
            what: "upload 2 KiB",
            make: Box::new(move |w, i| Some(upload(&format!("b{run}-{tag}-s-{w}-{i}"), &small))),
            ok: ok_pod,
            target: None,
        },
        Case {
            what: "upload 1 MiB",
            make: Box::new(move |w, i| Some(upload(&format!("b{run}-{tag}-b-{w}-{i}"), &big))),
            ok: ok_pod,
            target: None,
        },
        Case {
            what: "getstatus (one 2 KiB document each)",
            make: Box::new(|w, _| {
                Some(command(&format!(
                    "<data><oper>getstatus</oper><docuniq>{}</docuniq><time>20260601130000</time></data>",
                    1001 + w
                )))
            }),
            ok: ok_pod,
            target: None,
        },
        Case {
            what: "getdoc (document 1001, 2 KiB, ZIP)",
            make: Box::new(|_, _| {
                Some(command(
                    "<data><oper>getdoc</oper><docnum>1001</docnum><time>20260601130000</time></data>",
                ))
            }),
            ok: ok_zip,
            target: None,
        },
    ]
}

/// Runs every case for `secs` against `server` (in `mode`); the ratio targets apply in
/// memory.
/// `BENCH_CASE=text` runs only the cases whose name contains `text` (to profile one).
pub fn run(report: &mut Report, server: &Server, mode: Mode, secs: f64) {
    let only = std::env::var("BENCH_CASE").unwrap_or_default();
    for case in cases(mode).into_iter().filter(|c| c.what.contains(&only)) {
        let m = drive(server, secs, &case.make, case.ok);
        let target = if mode == Mode::Memory {
            case.target
        } else {
            None
        };
        report.row(&format!("{} [{}]", case.what, mode.tag()), m, target);
    }
}
