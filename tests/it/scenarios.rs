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
        if let Err(problems) = signsim::app::load_file(&path) {
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
    assert!(signsim::app::load_embedded().is_ok());
}

#[test]
fn a_ca_key_that_does_not_match_its_certificate_is_a_problem_at_load() {
    let text =
        default_scenario_text().replacen("key = \"pki/ca-01.key\"", "key = \"pki/ca-08.key\"", 1);
    let problems =
        match signsim::app::load_text(&text, "swapped.toml", Some(repo().join("scenarios"))) {
            Err(p) => p,
            Ok(_) => panic!("a CA with another CA's key loaded"),
        };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].field, "pki.cas[0].cert");
    assert!(
        problems[0]
            .message
            .contains("does not belong to the certificate"),
        "{problems:?}"
    );
}
