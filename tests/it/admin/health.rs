//! `GET /__admin/health`: status, version, scenario, store (memory or the data directory),
//! the scenario clock and the journal's size.

use crate::helpers::*;
use serde_json::json;

#[test]
fn health_reports_status_version_scenario_store_clock_and_journal() {
    let emu = TestEmulator::spawn();
    assert_eq!(emu.get("GetVersion", &[]).0, 200);
    let h = emu.admin_ok("health");
    assert_eq!(h["status"], "ok", "{h}");
    assert_eq!(h["version"], env!("CARGO_PKG_VERSION"), "{h}");
    assert_eq!(h["scenario"], "default", "{h}");
    assert_eq!(h["store"], "memory", "{h}");
    assert_eq!(h["clock"], TEST_CLOCK, "{h}");
    assert_eq!(h["clock_frozen"], true, "{h}");
    assert!(h["uptime_ms"].is_u64(), "{h}");
    assert_eq!(h["faults"], 0, "{h}");
    // One request so far (GetVersion); the health call itself is journaled after answering.
    assert_eq!(
        h["journal"],
        json!({"entries": 1, "capacity": 1000, "evicted": 0}),
        "{h}"
    );
    // The health call itself went to the control API's own ring, not among the API requests.
    let h = emu.admin_ok("health");
    assert_eq!(h["journal"]["entries"], 1, "{h}");
    assert_eq!(
        h["admin_journal"],
        json!({"entries": 1, "capacity": 200, "evicted": 0}),
        "{h}"
    );
    // The clock it reports is the scenario clock.
    emu.advance("2h");
    assert_eq!(emu.admin_ok("health")["clock"], "2026-06-01T10:00:00Z");

    // With a data directory the store is persistent and says where.
    let data = tempfile::tempdir().unwrap();
    let emu = TestEmulator::spawn_with(Options {
        data_dir: Some(data.path().to_path_buf()),
        ..Options::default()
    });
    let store = emu.admin_ok("health")["store"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        store,
        format!("persistent ({})", data.path().display()),
        "{store}"
    );
}
