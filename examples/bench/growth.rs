//! Growth: does a query's cost follow its answer or the size of the store? Two queries whose
//! answers stay the same size — getlistdocs of one day holding 50 documents, and the first
//! IssuingReport `detail` page of one day holding 50 registrations — measured on a server
//! holding 10 000 documents and 10 000 lifecycles and on one holding 100 000 of each; the ratio
//! of their server CPU per request is judged (target ≤ 1.3×). The two servers are measured in
//! alternating turns (`http::in_turns`), so a drift of the shared machine's load does not pass
//! for growth.
//!
//! The queried day is filled first; the other records go on other days, 5 000 a day on the
//! days around it (alternately before and after, with `/__admin/clock` set to each), so that
//! the index ranges before and after the queried day both grow. Seeding goes over HTTP as a
//! client would: 16 connections, uploads of a 64-byte file by alfa@test.kz, RegisterInfo of
//! distinct persons by customer B (no identity checks); its time is reported.

use crate::http::{in_turns, post_json, range, send_all, Judge};
use crate::pki::{self, People, CUSTOMER_B, REPORT_KEY_B};
use crate::podpishi::{self, command};
use crate::report::{mark, Report};
use crate::server::{Mode, Server};
use std::time::Instant;

/// The queried day: its date at 08:00 UTC (13:00 in Almaty, 11:30 in Tehran: the same day
/// in both services' zones), and its date as each query writes it.
const DAY: (&str, &str, &str) = ("2026-03-02", "20260302", "2026/03/02");
/// Documents and registrations on the queried day.
const DAY_RECORDS: usize = 50;
/// Stored records (of each kind) of the two servers.
pub const SIZES: [usize; 2] = [10_000, 100_000];
/// Records of each kind seeded per other day.
const PER_DAY: usize = 5_000;
/// Growth target: the cost at 100 000 at most this many times the cost at 10 000.
const TARGET_RATIO: f64 = 1.3;
/// The profile of the seeded registrations (no approval needed).
const PROFILE: &str = "Bronze-Sign";

/// How far a store has been filled.
#[derive(Default)]
struct Seeded {
    /// Documents and lifecycles stored (the same count of each).
    records: usize,
    /// Other days seeded so far.
    days: i64,
    upload_secs: f64,
    register_secs: f64,
}

/// Seeds one fresh server in `mode` per size of [`SIZES`], then measures both queries on the
/// two in turns, `secs` per server and query; adds the rows, the ratios and the seeding times.
pub fn run(report: &mut Report, mode: Mode, secs: f64, people: &People) {
    let servers = SIZES.map(|size| seeded_server(report, mode, size, people));
    let servers = [&servers[0], &servers[1]];
    for Query {
        name,
        records,
        request,
        ok,
    } in queries()
    {
        let turns = in_turns(servers, secs, &|_, _| Some(request.clone()), ok);
        let [small, big] = &turns.measured;
        let cpu = [small.cpu_us_per_req, big.cpu_us_per_req];
        let pairs = range(&turns.pair_ratios);
        for (m, size) in turns.measured.into_iter().zip(SIZES) {
            let what = format!(
                "{name} ({DAY_RECORDS} on it), {size} {records} stored, 4 turns [{}]",
                mode.tag()
            );
            report.row(&what, m, None);
        }
        compare(report, mode, name, cpu, pairs);
    }
}

/// A query whose answer is the same at every store size.
struct Query {
    name: &'static str,
    /// What the store holds that the query reads.
    records: &'static str,
    request: Vec<u8>,
    /// Checks the answer is the whole day: no more, no fewer.
    ok: Judge,
}

/// getlistdocs of the queried day (alfa's documents) and customer B's first IssuingReport
/// detail page of it.
fn queries() -> [Query; 2] {
    let list = command(&format!(
        "<data><oper>getlistdocs</oper><time1>{d}000000</time1><time2>{d}235959</time2><time>20260601130000</time></data>",
        d = DAY.1
    ));
    let detail = post_json(
        "/api/IssuingReport",
        &serde_json::json!({
            "reportkey": REPORT_KEY_B, "customercode": CUSTOMER_B.0,
            "startdate": DAY.2, "enddate": DAY.2, "type": "detail", "id": "",
        }),
    );
    [
        Query {
            name: "getlistdocs of the day",
            records: "documents",
            request: list,
            ok: ok_day_list,
        },
        Query {
            name: "IssuingReport detail, first page of the day",
            records: "lifecycles",
            request: detail,
            ok: ok_day_detail,
        },
    ]
}

/// A fresh server in `mode` holding `size` documents and `size` lifecycles, the queried
/// day's first; notes how long the seeding took.
fn seeded_server(report: &mut Report, mode: Mode, size: usize, people: &People) -> Server {
    eprintln!(
        "bench: seeding {size} documents and {size} lifecycles [{}]",
        mode.tag()
    );
    let t0 = Instant::now();
    let server = Server::signsim(&[], mode);
    let mut seeded = Seeded::default();
    server.set_clock(&format!("{}T08:00:00Z", DAY.0));
    seed(&server, people, &mut seeded, DAY_RECORDS);
    while seeded.records < size {
        seeded.days += 1;
        server.set_clock(&format!("{}T08:00:00Z", other_day(seeded.days)));
        let n = PER_DAY.min(size - seeded.records);
        seed(&server, people, &mut seeded, n);
    }
    let secs = t0.elapsed().as_secs_f64();
    report.note(format!(
        "growth [{}]: seeding {size} documents and {size} lifecycles (16 connections; the other records on {} other days) took {secs:.1} s: uploads {:.1} s ({:.0}/s), RegisterInfo {:.1} s ({:.0}/s); server RSS then {:.0} MiB",
        mode.tag(),
        seeded.days,
        seeded.upload_secs,
        size as f64 / seeded.upload_secs,
        seeded.register_secs,
        size as f64 / seeded.register_secs,
        server.status_kib("VmRSS") as f64 / 1024.0
    ));
    server
}

/// The date of the `k`-th other day (k from 1): the day before the queried one, the day
/// after, two days before, …
fn other_day(k: i64) -> String {
    let offset = if k % 2 == 1 { -(k + 1) / 2 } else { k / 2 };
    let day = time::Date::parse(DAY.0, &time::format_description::well_known::Iso8601::DATE)
        .expect("DAY is an ISO date")
        + time::Duration::days(offset);
    day.to_string()
}

/// Uploads `n` documents and registers `n` new persons at the server's current clock.
fn seed(server: &Server, people: &People, seeded: &mut Seeded, n: usize) {
    const FILE: &[u8] = b"signsim bench growth document, 64 bytes long ..................\n";
    let first = seeded.records;
    let uploads = send_all(
        &server.addr,
        n,
        &|i| podpishi::upload(&format!("growth-{}", first + i), FILE),
        &|s, b| {
            podpishi::ok_pod(s, b)
                .then_some(())
                .ok_or_else(|| String::from_utf8_lossy(b).into_owned())
        },
    );
    assert_eq!(
        uploads.failures, 0,
        "a seeding upload failed: {:?}",
        uploads.first_failure
    );
    assert!(
        first + n <= people.len(),
        "not enough persons signed for the growth case"
    );
    let registrations = send_all(
        &server.addr,
        n,
        &|i| people.register(first + i, PROFILE, false),
        &pki::tracking_code,
    );
    assert_eq!(
        registrations.failures, 0,
        "a seeding RegisterInfo failed: {:?}",
        registrations.first_failure
    );
    seeded.records += n;
    seeded.upload_secs += uploads.secs;
    seeded.register_secs += registrations.secs;
}

/// The day's list: both permissions of each of its 50 documents, no more, no fewer.
fn ok_day_list(s: u16, b: &[u8]) -> bool {
    podpishi::ok_pod(s, b) && count(b, b"<permission ") == 2 * DAY_RECORDS
}

/// The day's detail page: its 50 registrations.
fn ok_day_detail(s: u16, b: &[u8]) -> bool {
    s == 200 && b.starts_with(b"[") && count(b, b"\"TrackingCode\"") == DAY_RECORDS
}

/// Occurrences of `needle` in `hay`.
fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

/// A query's 100 000 / 10 000 ratio of server CPU µs/req (with its range over the pairs of
/// turns `pairs`), judged.
fn compare(report: &mut Report, mode: Mode, name: &str, cpu: [Option<f64>; 2], pairs: (f64, f64)) {
    let (value, ok) = match cpu {
        [Some(small), Some(big)] => (
            format!(
                "{:.2}× (pairs of turns {:.2} … {:.2}×)",
                big / small,
                pairs.0,
                pairs.1
            ),
            big / small <= TARGET_RATIO,
        ),
        _ => ("–".into(), false),
    };
    report.compare(
        &format!(
            "{name}: server CPU µs/req with {} / with {} records [{}]",
            SIZES[1],
            SIZES[0],
            mode.tag()
        ),
        value,
        format!("≤ {TARGET_RATIO}× {}", mark(ok)),
    );
}
