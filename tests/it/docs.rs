//! The README stays true: its error table lists every error kind with its code and status.

use crate::helpers::repo;

#[test]
fn readme_error_table_matches_the_catalogue() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for (_, name, code, status, _) in signsim::pki::error::CATALOGUE {
        let row = format!("| {code} | `{name}` | {status} |");
        assert!(readme.contains(&row), "README's error table lacks {row}");
    }
}
