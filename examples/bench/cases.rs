//! The one-request cases: each a request the workers send again and again (a read, a signed
//! idempotent repeat, an upload of new documents), measured for the case's seconds.

use crate::http::{drive, get, in_turns_of, ok_any_200, range, Judge};
use crate::pki;
use crate::podpishi::{command, ok_pod, ok_zip, upload};
use crate::report::{Report, Target};
use crate::server::{release_bin, Mode, Server};

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
///
/// A case with a ratio target (in memory) is measured in turns with a bare hyper server of
/// its own ([`in_turns_of`]: A B B A B A A B, `secs` / 4 a turn, so `secs` for each), and its
/// ratio divides by that bare figure: on a shared machine a drift of the load between the
/// run's one baseline and the case weighs on both alike.
pub fn run(report: &mut Report, server: &Server, mode: Mode, secs: f64) {
    let only = std::env::var("BENCH_CASE").unwrap_or_default();
    let mut bare: Option<Server> = None;
    for case in cases(mode).into_iter().filter(|c| c.what.contains(&only)) {
        let what = format!("{} [{}]", case.what, mode.tag());
        let target = if mode == Mode::Memory {
            case.target
        } else {
            None
        };
        if !matches!(target, Some(Target::CpuRatio(_))) {
            report.row(&what, drive(server, secs, &case.make, case.ok), target);
            continue;
        }
        let bare = bare.get_or_insert_with(|| {
            Server::start(&release_bin("examples/bare_hyper"), &["0"], false)
        });
        let turns = in_turns_of(
            [bare, server],
            secs,
            [(&|_, _| Some(get("/")), ok_any_200), (&case.make, case.ok)],
        );
        let [b, m] = turns.measured;
        let base = b.cpu_us_per_req.unwrap_or(0.0);
        let (lo, hi) = range(&turns.pair_ratios);
        report.note(format!(
            "{what}: in turns with a bare hyper server of its own, {base:.1} µs/req over its turns; the ratio divides by that, and ranged {lo:.2} … {hi:.2}× over the four pairs of turns"
        ));
        report.row_against(&what, m, target, base);
    }
}
