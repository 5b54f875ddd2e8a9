//! The Podpishi model is the only code that touches the lifecycle tables: no file of `src/`
//! outside `src/podpishi/model/` and the store's own declaration names a `pod.*` table, so a
//! state change can not bypass the model's preconditions and its one transaction.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn only_the_model_and_the_store_name_the_podpishi_tables() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let allowed = [src.join("podpishi/model"), src.join("store")];
    let mut model_files = 0;
    let mut outside = Vec::new();
    for f in &files {
        if !std::fs::read_to_string(f).unwrap().contains("Table::Pod") {
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
        "Table::Pod* outside the model: {outside:?}"
    );
    assert!(
        model_files > 0,
        "the model names no table: is the path right?"
    );
}
