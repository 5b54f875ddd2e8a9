//! IssuingReport detail paging over 250+ certificates: pages of 100, 100 and 50 in ascending Id,
//! stable while more certificates are issued concurrently, with no gap and no duplicate.

use super::*;
use std::time::Duration;

/// Registers (names given, no lookup) and issues `count` applicants for `c` (a customer
/// without identity checks: B) from
/// `threads` threads, national codes from `first`; returns the tracking codes.
fn issue_many(
    emu: &TestEmulator,
    c: &Customer,
    csr: &[u8],
    first: u32,
    count: u32,
    threads: u32,
) -> Vec<u64> {
    let csr_b64 = b64(csr);
    // One CSR for every tracking code: its Sign(csr) is the same for all.
    let csr_sig = c.sign(csr_b64.as_bytes());
    let per = count.div_ceil(threads);
    let mut all: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (csr_b64, csr_sig) = (&csr_b64, &csr_sig);
                s.spawn(move || {
                    let mut mine = Vec::new();
                    for i in (t * per)..((t + 1) * per).min(count) {
                        let n = first + i;
                        let person = documented(json!({
                            "NationalCode": valid_national_code(400_000_000 + n * 7),
                            "Name": "آزمون",
                            "LastName": format!("گزارش {n}"),
                            "EnName": "Report",
                            "EnLastName": format!("Applicant{n}"),
                            "FatherName": "پدر",
                            "TokenType": "USERGENERATED"
                        }));
                        let tracking = emu.register(c, "01", "Bronze-Sign", person);
                        let resp = emu.post(
                            "IssueCertificateByTrackingCode",
                            &json!({
                                "caName": "01",
                                "profileName": "Bronze-Sign",
                                "trackingCode": tracking,
                                "csr": csr_b64,
                                "paymentId": format!("pay-{n}"),
                                "signature": csr_sig,
                                "customercode": c.customercode(),
                            }),
                        );
                        assert_ok(&resp);
                        assert_eq!(resp.1["PaymentStatus"], "Paid", "{}", resp.1);
                        mine.push(tracking.parse::<u64>().unwrap());
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    all.sort();
    all
}

/// One detail page for customer B after `id`; returns (Ids, items).
fn detail_page(emu: &TestEmulator, id: Option<u64>) -> Vec<Value> {
    report(emu, &Customer::B, (TODAY, TODAY), "detail", id)
}

fn ids_of(page: &[Value]) -> Vec<u64> {
    page.iter()
        .map(|i| {
            i["Id"]
                .as_u64()
                .unwrap_or_else(|| panic!("Id is not an integer: {i}"))
        })
        .collect()
}

/// Pages through B's detail report until an empty page; checks each page is ascending and
/// that every page continues after the cursor. Returns every page's Ids. `between` runs after
/// each page.
fn page_through(emu: &TestEmulator, mut between: impl FnMut(usize)) -> Vec<Vec<u64>> {
    let mut pages = Vec::new();
    let mut cursor: Option<u64> = None;
    loop {
        let page = detail_page(emu, cursor);
        let ids = ids_of(&page);
        assert!(ids.len() <= 100, "a page holds at most 100: {}", ids.len());
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "not ascending: {ids:?}"
        );
        if let (Some(c), Some(first)) = (cursor, ids.first()) {
            assert!(*first > c, "page after id {c} starts at {first}");
        }
        for i in &page {
            assert_eq!(
                i["Id"].to_string(),
                i["TrackingCode"].as_str().unwrap(),
                "{i}"
            );
        }
        if ids.is_empty() {
            return pages;
        }
        cursor = ids.last().copied();
        pages.push(ids);
        between(pages.len());
        assert!(pages.len() < 20, "paging does not end");
    }
}

#[test]
fn detail_pages_250_certificates_100_100_50_stable_under_concurrent_issuance() {
    let emu = TestEmulator::spawn_edited(|t| {
        assert!(
            t.contains("credit = 1000000\n"),
            "the default scenario changed"
        );
        t.replace("credit = 1000000\n", "credit = 100000000\n")
    });
    let dir = tempfile::tempdir().unwrap();
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let issued = issue_many(&emu, &Customer::B, &csr, 0, 250, 4);
    assert_eq!(issued.len(), 250);
    assert_eq!(emu.credit(&Customer::B), 100_000_000 - 250 * BRONZE);

    let pages = page_through(&emu, |_| {});
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![100, 100, 50]);
    let all: Vec<u64> = pages.concat();
    assert!(
        all.windows(2).all(|w| w[0] < w[1]),
        "duplicates or disorder"
    );
    assert_eq!(all, issued, "no gaps: every issued tracking code, once");
    // Every item is a Bronze issue of customer B at its price.
    let page = detail_page(&emu, Some(all[199]));
    assert_eq!(page.len(), 50);
    for i in &page {
        assert_eq!(i["Status"], "Issued", "{i}");
        assert_eq!(i["Price"], BRONZE, "{i}");
        assert_eq!(i["CAName"], "01", "{i}");
    }
    let per_ca = report(&emu, &Customer::B, (TODAY, TODAY), "PerCA", None);
    assert_eq!(
        per_ca,
        vec![row("01", "Bronze-Sign", "", [250, 250, 250, 0])]
    );

    // Page again while 20 more are issued in the background: the first two pages are the
    // same as before, Ids keep ascending with no duplicates, the new ones come after.
    let (tx, rx) = std::sync::mpsc::channel::<u64>();
    let (pages2, extra) = std::thread::scope(|s| {
        let emu = &emu;
        let csr = &csr;
        let issuer = s.spawn(move || {
            let mut extra = Vec::new();
            for k in 0..20 {
                let mut one = issue_many(emu, &Customer::B, csr, 1000 + k, 1, 1);
                tx.send(one[0]).unwrap();
                extra.append(&mut one);
            }
            extra
        });
        let pages = page_through(emu, |n| {
            if n == 1 {
                // Some issues land between the first page and the next ones.
                for _ in 0..5 {
                    rx.recv_timeout(Duration::from_secs(60))
                        .expect("background issuance stalled");
                }
            }
        });
        (pages, issuer.join().unwrap())
    });
    assert_eq!(pages2[0], pages[0], "page 1 changed");
    assert_eq!(pages2[1], pages[1], "page 2 changed");
    let seen: Vec<u64> = pages2.concat();
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "duplicates or disorder: {seen:?}"
    );
    assert!(
        seen.len() >= 255,
        "issues between pages are not seen: {}",
        seen.len()
    );
    assert_eq!(&seen[..250], &issued[..], "the original 250 stay in place");
    assert!(
        seen[250..].iter().all(|id| extra.contains(id)),
        "unknown ids: {:?}",
        &seen[250..]
    );
    assert!(extra.iter().all(|id| *id > issued[249]));

    // Once issuance is over, all 270, once each.
    let final_ids: Vec<u64> = page_through(&emu, |_| {}).concat();
    let mut want = issued.clone();
    want.extend(&extra);
    want.sort();
    assert_eq!(final_ids, want);
    assert_eq!(emu.credit(&Customer::B), 100_000_000 - 270 * BRONZE);
}
