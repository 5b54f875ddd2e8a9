//! The journal for people: the control API's own calls left out unless asked for
//! (`include=admin`), a wall-clock stamp beside the scenario time, unknown filters refused,
//! field/value matching in lists and counts, and `since` for polling.

use crate::helpers::*;
use serde_json::{json, Value};

const MEHDI: &str = "0012345679";
const ZAHRA: &str = "0023456787";

fn ids(entries: &[Value]) -> Vec<u64> {
    entries.iter().map(|e| e["id"].as_u64().unwrap()).collect()
}

#[test]
fn control_api_calls_are_left_out_unless_asked_for() {
    let emu = TestEmulator::spawn();
    let version = emu.get_answer("GetVersion", &[]);
    for _ in 0..5 {
        emu.admin_ok("health");
    }
    let after = emu.get_answer("GetVersion", &[]);
    // Asked for, the health probes are there, between the two, each once.
    let all = emu.journal("include=admin");
    let admin: Vec<&Value> = all.iter().filter(|e| e["api"] == "admin").collect();
    assert_eq!(admin.len(), 5, "{all:?}");
    assert!(
        admin.iter().all(|e| e["operation"] == "health"),
        "{admin:?}"
    );
    assert!(ids(&all).windows(2).all(|w| w[0] < w[1]), "{all:?}");
    assert_eq!(all.first().unwrap()["id"], version.id);
    assert_eq!(all.last().unwrap()["id"], after.id);
    // By default only the API requests.
    assert_eq!(ids(&emu.journal("")), vec![version.id, after.id]);
    assert_eq!(emu.journal_count(&json!({})), 2);
    // `api=admin` asks for them too; so does a count.
    assert!(emu
        .journal("api=admin&operation=health")
        .iter()
        .all(|e| e["operation"] == "health"));
    assert_eq!(emu.journal("api=admin&operation=health").len(), 5);
    assert_eq!(
        emu.journal_count(&json!({"include": "admin", "operation": "health"})),
        5
    );
    assert_eq!(emu.journal_count(&json!({"operation": "health"})), 0);
}

#[test]
fn every_entry_carries_the_wall_clock_beside_the_scenario_time() {
    let emu = TestEmulator::spawn();
    let before = time::OffsetDateTime::now_utc();
    let a = emu.get_answer("GetVersion", &[]);
    let b = emu.get_answer("GetVersion", &[]);
    let after = time::OffsetDateTime::now_utc();
    let parse = |s: &Value| {
        time::OffsetDateTime::parse(
            s.as_str().unwrap_or_else(|| panic!("not a string: {s}")),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    let ea = emu.admin_ok(&format!("requests/{}", a.id));
    let eb = emu.admin_ok(&format!("requests/{}", b.id));
    // The frozen scenario clock stamps both alike …
    assert_eq!(ea["time"], TEST_CLOCK, "{ea}");
    assert_eq!(eb["time"], TEST_CLOCK, "{eb}");
    // … the wall clock tells them apart, to the millisecond, in order and now.
    let (wa, wb) = (parse(&ea["wall_time"]), parse(&eb["wall_time"]));
    let slack = time::Duration::milliseconds(1);
    assert!(
        wa >= before - slack && wb <= after + slack,
        "{wa} {wb} not in [{before}, {after}]"
    );
    assert!(wa <= wb, "{wa} > {wb}");
    let text = ea["wall_time"].as_str().unwrap();
    assert!(
        text.len() == "2026-06-01T08:00:00.000Z".len() && text.ends_with('Z'),
        "{text}"
    );
}

#[test]
fn unknown_filters_and_values_are_refused_with_the_known_ones() {
    let emu = TestEmulator::spawn();
    assert_admin_error(
        &emu.admin_get("requests?opertion=RegisterInfo"),
        400,
        &[
            "'opertion' is not a journal filter",
            "did you mean 'operation'",
            "since",
        ],
    );
    assert_admin_error(
        &emu.admin_get("requests?success=yes"),
        400,
        &["success 'yes'", "true or false"],
    );
    assert_admin_error(
        &emu.admin_get("requests?include=everything"),
        400,
        &["include 'everything'", "'admin'"],
    );
    assert_admin_error(
        &emu.admin_post("requests/count", &json!({"value": MEHDI})),
        400,
        &["value needs field"],
    );
    assert_admin_error(
        &emu.admin_post("requests/count", &json!({"include": "all"})),
        400,
        &["include 'all'"],
    );
}

#[test]
fn count_and_list_match_a_request_field_by_its_value() {
    let emu = TestEmulator::spawn();
    emu.register(&Customer::A, "01", "Bronze-Sign", mehdi());
    emu.register(&Customer::A, "01", "Bronze-Sign", zahra());
    let again = emu.post_answer(
        "RegisterInfo",
        &Customer::A.register_body("01", "Bronze-Sign", mehdi()),
    );
    assert_eq!(again.status, 200, "{}", again.text());
    let count = |field: &str, value: &str| {
        emu.journal_count(&json!({"operation": "RegisterInfo", "field": field, "value": value}))
    };
    assert_eq!(count("personData.NationalCode", MEHDI), 2);
    assert_eq!(count("personData.NationalCode", ZAHRA), 1);
    // Names in any case, as the API binds them.
    assert_eq!(count("PERSONDATA.nationalcode", ZAHRA), 1);
    assert_eq!(count("personData.NationalCode", "0061204501"), 0);
    assert_eq!(count("caName", "01"), 3);
    // A field alone: present at all.
    assert_eq!(
        emu.journal_count(&json!({"field": "personData.NationalCode"})),
        3
    );
    assert_eq!(emu.journal_count(&json!({"field": "personData.Nope"})), 0);
    // The same in the list's query.
    let listed = emu.journal(&format!(
        "operation=RegisterInfo&field=personData.NationalCode&value={MEHDI}"
    ));
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[1]["id"], again.id);
    // A Podpishi command's elements by their own name.
    emu.pod_command_answer(
        ALFA,
        "<data><oper>getavailabledocs</oper><time>20260601130000</time></data>",
    );
    assert_eq!(
        emu.journal_count(
            &json!({"api": "podpishi", "field": "oper", "value": "getavailabledocs"})
        ),
        1
    );
}

#[test]
fn since_polls_for_what_is_new() {
    let emu = TestEmulator::spawn();
    let first = emu.get_answer("GetVersion", &[]);
    let seen = ids(&emu.journal(""));
    assert_eq!(seen, vec![first.id]);
    let last = *seen.last().unwrap();
    assert_eq!(emu.journal(&format!("since={last}")), Vec::<Value>::new());
    let second = emu.get_answer("GetCAList", &[("Customercode", "10320874334")]);
    assert_eq!(ids(&emu.journal(&format!("since={last}"))), vec![second.id]);
}
