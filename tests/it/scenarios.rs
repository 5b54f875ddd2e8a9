//! Every file in `scenarios/` loads, and `scenario check` reports problems with line and field.

use crate::helpers::*;

#[test]
fn every_shipped_scenario_loads() {
    let dir = repo().join("scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        n += 1;
        if let Err(problems) = signsim::scenario::load_file(&path) {
            panic!(
                "{} does not load:\n{}",
                path.display(),
                problems
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
    assert!(n >= 1);
    assert!(signsim::scenario::load_embedded().is_ok());
}
