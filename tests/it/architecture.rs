//! The code keeps the shape docs/architecture.md describes: the `//!` map of `src/lib.rs` names
//! every module, bottom layer first, and no module's code names one listed after it; each API's
//! lifecycle tables are named only by its model and the store's declaration, so no handler can
//! change a state without the model's preconditions and its one transaction.

use crate::helpers::{files_under, repo};

fn lib_rs() -> String {
    std::fs::read_to_string(repo().join("src/lib.rs")).unwrap()
}

/// The modules the `//!` map of lib.rs names, in its order.
fn map_order() -> Vec<String> {
    let map: String = lib_rs()
        .lines()
        .take_while(|l| l.starts_with("//!") && !l.contains("[`start`]"))
        .collect();
    map.split("[`")
        .skip(1)
        .filter_map(|r| r.split_once("`]").map(|(m, _)| m.to_string()))
        .collect()
}

/// The `//!` map names every module lib.rs declares, so a newcomer reading it misses none.
#[test]
fn the_module_map_names_every_module() {
    let order = map_order();
    let lib = lib_rs();
    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod ")?.strip_suffix(';'))
        .collect();
    assert!(modules.len() >= 19, "{modules:?}");
    for m in modules {
        assert!(
            order.iter().any(|o| o == m),
            "lib.rs's map does not name `{m}`"
        );
    }
}

/// "Bottom layer first" holds: no module's code names a module listed after it.
#[test]
fn each_module_uses_only_those_listed_before_it() {
    let order = map_order();
    let src = repo().join("src");
    let mut wrong = Vec::new();
    for (i, m) in order.iter().enumerate() {
        let mut files = Vec::new();
        let file = src.join(format!("{m}.rs"));
        if file.exists() {
            files.push(file);
        } else {
            files.extend(files_under(&src.join(m), "rs"));
        }
        assert!(!files.is_empty(), "no source for `{m}`");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for later in &order[i + 1..] {
                if text.contains(&format!("crate::{later}::"))
                    || text.contains(&format!("crate::{later}}}"))
                    || text.contains(&format!("crate::{later};"))
                {
                    wrong.push(format!("{} uses `{later}`", f.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "against the map's order: {wrong:?}");
}

/// Each API's tables (`Table::Pki…`, `Table::Pod…`) are named only under its `model/` and in
/// the store's declaration.
#[test]
fn only_each_model_and_the_store_name_its_lifecycle_tables() {
    let src = repo().join("src");
    let files = files_under(&src, "rs");
    assert!(
        files.len() > 50,
        "{} files under {}",
        files.len(),
        src.display()
    );
    for (tables, model) in [
        ("Table::Pki", "pki/model"),
        ("Table::Pod", "podpishi/model"),
    ] {
        let allowed = [src.join(model), src.join("store")];
        let mut model_files = 0;
        let mut outside = Vec::new();
        for f in &files {
            if !std::fs::read_to_string(f).unwrap().contains(tables) {
                continue;
            }
            if allowed.iter().any(|a| f.starts_with(a)) {
                model_files += usize::from(f.starts_with(&allowed[0]));
            } else {
                outside.push(f.strip_prefix(&src).unwrap().display().to_string());
            }
        }
        assert!(
            outside.is_empty(),
            "{tables}* named outside {model}: {outside:?}"
        );
        assert!(
            model_files > 0,
            "{model} names no {tables}*: is the path right?"
        );
    }
}
