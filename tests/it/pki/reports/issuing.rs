//! IssuingReport: PerCA and PerCA&Status counts, the detail list with prices (name lookup
//! included), Solar Hijri and Gregorian ranges alike, the refusals, and dates over several days
//! selected by day, inclusive, in both calendars.

use super::*;

/// Rows sorted by (caName, profileName, status): the order is not part of the contract.
fn rows_sorted(mut rows: Vec<Value>) -> Vec<Value> {
    rows.sort_by_key(|r| {
        (
            r["caName"].to_string(),
            r["profileName"].to_string(),
            r["status"].to_string(),
        )
    });
    rows
}

/// The PerCA reports count registrations, issues and revocations of the calling customer's
/// world: (case, the customer, the report type, its rows sorted).
#[test]
fn per_ca_reports_count_the_customers_registrations_issues_and_revocations() {
    let emu = TestEmulator::spawn();
    let _w = build_world(&emu);
    let cases: &[(&str, Customer, &str, Vec<Value>)] = &[
        (
            // 01/Bronze-Sign: Mehdi twice (one revoked), Zahra (registered), Reza.
            "PerCA counts per CA and profile",
            Customer::A,
            "PerCA",
            vec![
                row("01", "Bronze-Sign", "", [3, 4, 3, 1]),
                row("01", "Bronze-Sign-InPerson", "", [0, 1, 0, 0]),
                row("08", "Silver-Sign", "", [1, 1, 1, 0]),
            ],
        ),
        (
            "customer B's report holds B's activity only",
            Customer::B,
            "PerCA",
            vec![row("01", "Bronze-Sign", "", [1, 1, 1, 0])],
        ),
        (
            // Mehdi's revoked lifecycle restarted under the same tracking code: the code counts
            // once, under its live lifecycle's status (Issued), with every event of the range.
            "PerCA&Status splits by current status",
            Customer::A,
            "PerCA&Status",
            vec![
                row("01", "Bronze-Sign", "Issued", [2, 3, 3, 1]),
                row("01", "Bronze-Sign", "Registered", [1, 1, 0, 0]),
                row("01", "Bronze-Sign-InPerson", "Registered", [1, 1, 0, 0]),
                row("08", "Silver-Sign", "Issued", [1, 1, 1, 0]),
            ],
        ),
    ];
    each_case(
        cases,
        |c| c.0,
        |(_, customer, kind, expected)| {
            let rows = rows_sorted(report(&emu, customer, (TODAY, TODAY), kind, None));
            assert_eq!(&rows, expected);
        },
    );
}

#[test]
fn detail_lists_each_lifecycle_with_price_including_name_lookup() {
    let emu = TestEmulator::spawn();
    let w = build_world(&emu);
    let items = report(&emu, &Customer::A, (TODAY, TODAY), "detail", None);
    let got: Vec<String> = items
        .iter()
        .map(|i| i["TrackingCode"].as_str().unwrap().to_string())
        .collect();
    let mut want = sorted(&[
        &w.revoked, &w.issued, &w.pending, &w.silver, &w.zahra, &w.reza,
    ]);
    want.sort_by_key(|c| c.parse::<u64>().unwrap());
    assert_eq!(got, want, "ascending Id, A's lifecycles only");
    let find = |life: &Life| {
        items
            .iter()
            .find(|i| i["TrackingCode"] == life.tracking.as_str())
            .unwrap()
            .clone()
    };
    let revoked = find(&w.revoked);
    assert_eq!(revoked["Status"], "Revoked");
    assert_eq!(revoked["Price"], BRONZE);
    assert_eq!(revoked["RevokeDate"], "2026-06-01T08:00:00Z");
    assert_eq!(
        revoked["SerialNumber"]
            .as_str()
            .unwrap()
            .trim_start_matches('0')
            .to_uppercase(),
        openssl_serial(&unb64(&w.revoked.cert)).trim_start_matches('0'),
        "{revoked}"
    );
    assert_eq!(find(&w.silver)["Price"], SILVER);
    assert_eq!(find(&w.silver)["CAName"], "08");
    assert_eq!(find(&w.zahra)["Status"], "Registered");
    assert_eq!(find(&w.zahra)["Price"], Value::Null);
    assert_eq!(find(&w.zahra)["NationalCode"], ZAHRA);
    assert_eq!(find(&w.pending)["ProfileName"], "Bronze-Sign-InPerson");

    // B: the profile price plus the name-lookup price, and the looked-up names.
    let items = report(&emu, &Customer::B, (TODAY, TODAY), "detail", None);
    assert_eq!(items.len(), 1, "{items:?}");
    let b = &items[0];
    assert_eq!(b["TrackingCode"], w.b_mehdi.tracking.as_str());
    assert_eq!(b["Price"], BRONZE + LOOKUP, "{b}");
    assert_eq!(b["FirstName"], "مهدی", "{b}");
    assert_eq!(b["LastName"], "احمدی", "{b}");
    assert_eq!(b["Status"], "Issued", "{b}");
    assert_eq!(b["IssueDate"], "2026-06-01T08:00:00Z", "{b}");
    assert_eq!(
        get_credit(&emu, Customer::B.code, Some(Customer::B.report_key)).1["Credit"],
        json!((FULL_B - BRONZE - LOOKUP).to_string())
    );
}

#[test]
fn solar_hijri_day_is_the_gregorian_day() {
    // Independent of src/ids.rs: Nowruz 1405 is 2026-03-21 (the March equinox falls on
    // 2026-03-20 at 14:46 UTC, after noon in Tehran), months 1–6 have 31 days, so
    // 1405/03/11 is 31 + 31 + 10 days later.
    let nowruz = time::Date::from_calendar_date(2026, time::Month::March, 21).unwrap();
    assert_eq!(
        nowruz + time::Duration::days(31 + 31 + 10),
        time::Date::from_calendar_date(2026, time::Month::June, 1).unwrap()
    );
}

#[test]
fn solar_hijri_range_equals_the_gregorian_range() {
    let emu = TestEmulator::spawn();
    let _w = build_world(&emu);
    for kind in ["PerCA", "PerCA&Status", "detail"] {
        let gregorian = report(&emu, &Customer::A, (TODAY, TODAY), kind, None);
        assert!(!gregorian.is_empty(), "{kind}");
        assert_eq!(
            report(&emu, &Customer::A, (TODAY_SH, TODAY_SH), kind, None),
            gregorian,
            "{kind}"
        );
        // Wider ranges: Khordad 1405 is 2026/05/22 … 2026/06/21; mixed calendars too.
        assert_eq!(
            report(&emu, &Customer::A, ("1405/03/01", "1405/03/31"), kind, None),
            gregorian,
            "{kind}"
        );
        assert_eq!(
            report(&emu, &Customer::A, ("2026/05/22", "1405/03/11"), kind, None),
            gregorian,
            "{kind}"
        );
        // Ranges that exclude the day, on either side.
        for range in [
            ("2026/06/02", "2026/06/30"),
            ("1405/03/12", "1405/03/31"),
            ("2026/05/01", "2026/05/31"),
            ("1405/03/01", "1405/03/10"),
        ] {
            assert_eq!(
                report(&emu, &Customer::A, range, kind, None),
                Vec::<Value>::new(),
                "{kind} {range:?}"
            );
        }
    }
}

/// One refused IssuingReport request.
struct ReportRefusal {
    case: &'static str,
    customer: &'static str,
    key: &'static str,
    range: (&'static str, &'static str),
    kind: &'static str,
    http: u16,
    code: i64,
    needles: &'static [&'static str],
}

/// Customer A's PerCA report of today with one thing wrong.
const PER_CA: ReportRefusal = ReportRefusal {
    case: "",
    customer: Customer::A.code,
    key: Customer::A.report_key,
    range: (TODAY, TODAY),
    kind: "PerCA",
    http: 200,
    code: 103,
    needles: &[],
};

const REPORT_REFUSALS: &[ReportRefusal] = &[
    ReportRefusal {
        case: "another customer's report key",
        key: Customer::B.report_key,
        http: 200,
        code: 205,
        needles: &["reportkey", "not customer 10320874334's"],
        ..PER_CA
    },
    ReportRefusal {
        case: "no report key",
        key: "",
        http: 200,
        code: 205,
        needles: &["reportkey is missing"],
        ..PER_CA
    },
    ReportRefusal {
        case: "enddate before startdate",
        range: ("2026/06/02", "2026/06/01"),
        needles: &["enddate", "before startdate"],
        ..PER_CA
    },
    ReportRefusal {
        case: "enddate before a Solar Hijri startdate",
        range: ("1405/03/12", TODAY),
        kind: "detail",
        needles: &["enddate", "before startdate"],
        ..PER_CA
    },
    ReportRefusal {
        case: "an unknown type",
        kind: "PerDay",
        needles: &["type", "PerCA, PerCA&Status or detail"],
        ..PER_CA
    },
    ReportRefusal {
        case: "startdate that is no date",
        range: ("yesterday", TODAY),
        needles: &["startdate", "yesterday", "yyyy/mm/dd"],
        ..PER_CA
    },
    ReportRefusal {
        case: "startdate in month 13",
        range: ("2026/13/01", TODAY),
        needles: &["startdate", "2026/13/01", "yyyy/mm/dd"],
        ..PER_CA
    },
    ReportRefusal {
        case: "startdate on day 32 of a Solar Hijri month",
        range: ("1405/02/32", TODAY),
        needles: &["startdate", "1405/02/32", "yyyy/mm/dd"],
        ..PER_CA
    },
];

#[test]
fn issuing_report_refusals() {
    let emu = TestEmulator::spawn();
    let post = |body: Value| emu.post("IssuingReport", &body);
    each_case(
        REPORT_REFUSALS,
        |c| c.case,
        |c| {
            let body = report_body(c.customer, c.key, c.range.0, c.range.1, c.kind, None);
            assert_refused(&post(body), c.http, c.code, c.needles);
        },
    );
    let resp = post(report_body(
        "99999999999",
        Customer::A.report_key,
        TODAY,
        TODAY,
        "PerCA",
        None,
    ));
    assert_eq!(resp.0, 200, "{}", resp.1);
    assert_eq!(resp.1["IsSuccess"], false, "{}", resp.1);
    assert_eq!(emu.credit(&Customer::A), FULL_A);
}

fn spawn_at(dir: &std::path::Path, clock: &str) -> TestEmulator {
    TestEmulator::spawn_with(Options {
        data_dir: Some(dir.to_path_buf()),
        clock: Some(clock.into()),
        ..Options::default()
    })
}

#[test]
fn report_dates_select_events_by_day_inclusive_in_both_calendars() {
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    // 2026/05/31 (1405/03/10): Mehdi and Zahra register.
    let (mehdi_t, zahra_t) = {
        let emu = spawn_at(data.path(), "2026-05-31T08:00:00Z");
        (
            emu.register_mehdi(),
            emu.register(&Customer::A, "01", "Bronze-Sign", zahra()),
        )
    };
    // 2026/06/01 (1405/03/11): Mehdi is issued; Reza registers and is issued.
    let (cert, reza_t) = {
        let emu = spawn_at(data.path(), "2026-06-01T08:00:00Z");
        let cert = emu.issue(&Customer::A, "01", "Bronze-Sign", &mehdi_t, &csr)["Certificate"]
            .as_str()
            .unwrap()
            .to_string();
        let reza_t = emu.register(&Customer::A, "01", "Bronze-Sign", reza());
        emu.issue(&Customer::A, "01", "Bronze-Sign", &reza_t, &csr);
        (cert, reza_t)
    };
    // 2026-06-01T21:00:00Z is 2026/06/02 00:30 in Tehran (UTC+03:30): Mehdi is revoked.
    let emu = spawn_at(data.path(), "2026-06-01T21:00:00Z");
    assert_ok(&emu.revoke_certificate(&Customer::A, &cert, 1));

    let per_ca = |range: (&str, &str)| report(&emu, &Customer::A, range, "PerCA", None);
    let bronze = |c: [u64; 4]| vec![row("01", "Bronze-Sign", "", c)];
    assert_eq!(per_ca(("2026/05/31", "2026/05/31")), bronze([0, 2, 0, 0]));
    assert_eq!(per_ca(("2026/06/01", "2026/06/01")), bronze([2, 1, 2, 0]));
    assert_eq!(per_ca(("2026/06/02", "2026/06/02")), bronze([0, 0, 0, 1]));
    assert_eq!(per_ca(("2026/05/31", "2026/06/01")), bronze([2, 3, 2, 0]));
    assert_eq!(per_ca(("2026/05/31", "2026/06/02")), bronze([2, 3, 2, 1]));
    assert_eq!(per_ca(("2026/05/30", "2026/05/30")), Vec::<Value>::new());
    assert_eq!(per_ca(("2026/06/03", "2026/06/30")), Vec::<Value>::new());
    // The same days in the Solar Hijri calendar.
    assert_eq!(per_ca(("1405/03/10", "1405/03/10")), bronze([0, 2, 0, 0]));
    assert_eq!(per_ca(("1405/03/11", "1405/03/11")), bronze([2, 1, 2, 0]));
    assert_eq!(per_ca(("1405/03/12", "1405/03/12")), bronze([0, 0, 0, 1]));
    assert_eq!(per_ca(("1405/03/10", "1405/03/12")), bronze([2, 3, 2, 1]));

    // detail: a lifecycle is in the range when any of its events is.
    let detail = |range: (&str, &str)| -> Vec<String> {
        report(&emu, &Customer::A, range, "detail", None)
            .iter()
            .map(|i| i["TrackingCode"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        detail(("2026/05/31", "2026/05/31")),
        vec![mehdi_t.clone(), zahra_t.clone()]
    );
    assert_eq!(
        detail(("2026/06/01", "2026/06/01")),
        vec![mehdi_t.clone(), reza_t.clone()]
    );
    assert_eq!(detail(("1405/03/12", "1405/03/12")), vec![mehdi_t.clone()]);
    let items = report(
        &emu,
        &Customer::A,
        ("2026/06/02", "2026/06/02"),
        "detail",
        None,
    );
    assert_eq!(items[0]["Status"], "Revoked", "{items:?}");
    assert_eq!(items[0]["RegisterDate"], "2026-05-31T08:00:00Z");
    assert_eq!(items[0]["IssueDate"], "2026-06-01T08:00:00Z");
    assert_eq!(items[0]["RevokeDate"], "2026-06-01T21:00:00Z");

    // GetUserCertHistory shows each date as it happened.
    let resp = history(&emu, &Customer::A, MEHDI, "multi-day");
    assert_ok(&resp);
    let list = resp.1["CertList"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", resp.1);
    assert_eq!(list[0]["Status"], "Revoked");
    assert_eq!(list[0]["RegisterDate"], "2026-05-31T08:00:00Z");
    assert_eq!(list[0]["IssueDate"], "2026-06-01T08:00:00Z");
    assert_eq!(list[0]["RevokeDate"], "2026-06-01T21:00:00Z");
}
