//! The README stays true: its PKI error table lists every error kind with its code and status,
//! and its Podpishi error table every status.

use crate::helpers::repo;

#[test]
fn readme_error_table_matches_the_catalogue() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for (_, name, code, status, _) in signsim::pki::error::CATALOGUE {
        let row = format!("| {code} | `{name}` | {status} |");
        assert!(readme.contains(&row), "README's error table lacks {row}");
    }
}

#[test]
fn readme_lists_every_podpishi_error_status() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for (_, name, status, _) in signsim::podpishi::error::CATALOGUE {
        let row = format!("| {status} | `{name}` |");
        assert!(
            readme.contains(&row),
            "README's Podpishi error table lacks {row}"
        );
    }
}

#[test]
fn readme_lists_every_portability_warning_kind_with_its_api() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for (kind, api, _) in signsim::portability::CATALOGUE {
        let api = if *api == "pki" { "PKI" } else { "Podpishi" };
        let row = format!("| `{kind}` | {api} |");
        assert!(
            readme.contains(&row),
            "README's portability table lacks {row}"
        );
    }
}

#[test]
fn readme_method_table_lists_every_pki_method_with_its_http_method() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for r in signsim::pki::routes::ROUTES {
        let row = format!("| `{}` | {} |", r.name, r.verb.method());
        assert!(readme.contains(&row), "README's method table lacks {row}");
    }
}
