//! The code keeps the shape docs/architecture.md describes: the `//!` map of `src/lib.rs` names
//! every module, bottom layer first, and no module's code names one listed after it; each API's
//! lifecycle tables are named only by its model and the store's declaration, so no handler can
//! change a state without the model's preconditions and its one transaction. The tests, for
//! their part, say the behaviour they pin rather than cite an issue or a section of the spec.

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

/// What a line of a test cites instead of saying the behaviour: an issue number (`issue`, then
/// blanks or `_`, an optional `#`, a digit, in any case), a section of the spec (the word in
/// capitals) or a section sign. "issued", `IssueCertificateByTrackingCode` and `…/issues/3` in a URL are
/// words, not citations.
fn citations(line: &str) -> Vec<&'static str> {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let lower = line.to_ascii_lowercase();
    let mut found = Vec::new();
    let starts_word = |text: &str, at: usize| !text[..at].chars().next_back().is_some_and(word);
    for (at, _) in lower.match_indices("issue") {
        let rest =
            lower[at + "issue".len()..].trim_start_matches(|c: char| c.is_whitespace() || c == '_');
        let rest = rest.strip_prefix('#').unwrap_or(rest);
        if starts_word(&lower, at) && rest.starts_with(|c: char| c.is_ascii_digit()) {
            found.push("an issue number");
            break;
        }
    }
    let spec = concat!("SP", "EC");
    for (at, _) in line.match_indices(spec) {
        if starts_word(line, at) && !line[at + spec.len()..].starts_with(word) {
            found.push("a section of the spec");
            break;
        }
    }
    if line.contains('\u{a7}') {
        found.push("a section sign");
    }
    found
}

/// The check below tells a citation from the words that look like one.
#[test]
fn the_citation_check_tells_citations_from_words() {
    let cases: &[(&str, String, bool)] = &[
        ("issue and a number", format!("// see {} 3", "issue"), true),
        ("capitalised, with #", format!("// {} #12", "Issue"), true),
        (
            "in a test name",
            format!("fn {}_3_is_fixed()", "issue"),
            true,
        ),
        (
            "a section of the spec",
            format!("//! Transport ({} 1.1)", concat!("SP", "EC")),
            true,
        ),
        ("a section sign", "// see \u{a7}4".to_string(), true),
        (
            "issued",
            "// the certificate issued 3 days ago".into(),
            false,
        ),
        (
            "a PKI method",
            "IssueCertificateByTrackingCode 2".into(),
            false,
        ),
        ("a URL", "// https://example.test/x/issues/3".into(), false),
        (
            "an identifier ending in the word",
            format!("const VALIDATE_{}: &str", concat!("SP", "EC")),
            false,
        ),
        (
            "a lower-case spec",
            "// the Compose specification, spec 2".into(),
            false,
        ),
    ];
    crate::helpers::each_case(
        cases,
        |c| c.0,
        |(_, line, cites)| {
            assert_eq!(
                !citations(line).is_empty(),
                *cites,
                "{line}: {:?}",
                citations(line)
            );
        },
    );
}

/// Tests say the behaviour they pin, so a reader needs no tracker and no spec section to know
/// what broke: no file under tests/it cites an issue number, a section of the spec or a section sign,
/// in a comment, a test name or a message.
#[test]
fn tests_name_behaviour_not_issue_numbers() {
    let root = repo().join("tests/it");
    let files = files_under(&root, "rs");
    assert!(
        files.len() > 50,
        "{} files under {}",
        files.len(),
        root.display()
    );
    let mut cited = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            for what in citations(line) {
                let file = f.strip_prefix(&root).unwrap().display();
                cited.push(format!(
                    "tests/it/{file}:{}: {what}: {}",
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        cited.is_empty(),
        "say the behaviour instead of citing:\n{}",
        cited.join("\n")
    );
}

/// The functions of rustfmt-formatted `text` longer than `max` lines, as `name (lines)`: a
/// function runs from its `fn` line to the first line after it that is its indentation and `}`
/// (a body on one line, or a declaration ending in `;`, is short).
fn long_functions(text: &str, max: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut long = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let code = line.trim_start();
        let indent = &line[..line.len() - code.len()];
        let after_qualifiers = [
            "pub(crate) ",
            "pub(super) ",
            "pub ",
            "async ",
            "const ",
            "unsafe ",
        ]
        .iter()
        .fold(code, |c, q| c.strip_prefix(q).unwrap_or(c));
        let Some(rest) = after_qualifiers.strip_prefix("fn ") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let close = format!("{indent}}}");
        let one_line = code.trim_end().ends_with('}').then_some(0);
        let Some(end) = one_line.or_else(|| {
            lines[i..].iter().position(|l| {
                *l == close
                    || l.trim_end().ends_with(';')
                        && l.starts_with(indent)
                        && !l[indent.len()..].starts_with(' ')
            })
        }) else {
            continue;
        };
        if end + 1 > max {
            long.push(format!("{name} ({} lines)", end + 1));
        }
    }
    long
}

#[test]
fn the_length_rule_finds_a_long_function_and_passes_short_ones() {
    let body = "    let x = 1;\n".repeat(101);
    let long = format!("pub fn long() {{\n{body}}}\n\nfn short() {{\n    1\n}}\n");
    assert_eq!(long_functions(&long, 100), ["long (103 lines)"]);
    let deeper = "        let x = 1;\n".repeat(101);
    let nested = format!("impl A {{\n    fn method(&self) {{\n{deeper}    }}\n}}\n");
    assert_eq!(long_functions(&nested, 100), ["method (103 lines)"]);
    let declaration = format!("trait T {{\n    fn f(&self);\n{body}}}\n");
    assert_eq!(long_functions(&declaration, 100), Vec::<String>::new());
    assert_eq!(
        long_functions("fn one() -> u8 { 1 }\n", 0),
        ["one (1 lines)"]
    );
}

/// No function in `src/` is over 100 lines and no `mod.rs` over 300: a function that long mixes
/// steps that want names, and a `mod.rs` that long hides what its folder's files are for.
#[test]
fn no_function_over_100_lines_and_no_mod_rs_over_300() {
    let src = repo().join("src");
    let mut wrong = Vec::new();
    for f in files_under(&src, "rs") {
        let text = std::fs::read_to_string(&f).unwrap();
        let rel = f.strip_prefix(&src).unwrap().display().to_string();
        for long in long_functions(&text, 100) {
            wrong.push(format!("{rel}: fn {long}"));
        }
        let lines = text.lines().count();
        if f.ends_with("mod.rs") && lines > 300 {
            wrong.push(format!("{rel}: {lines} lines"));
        }
    }
    assert!(wrong.is_empty(), "too long: {wrong:#?}");
}
