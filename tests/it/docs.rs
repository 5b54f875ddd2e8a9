//! The docs' tables stay true to the code: the error tables of docs/errors.md are the PKI and
//! Podpishi catalogues row for row (and no other page repeats a row of them), docs/pki.md lists
//! every PKI method with its HTTP method, docs/podpishi.md every command, docs/portability.md
//! every warning kind with its API, and docs/install.md every `serve` flag with its variable
//! and default; every version the pages name (image tags, release URLs, `signsim X.Y.Z`) is
//! Cargo.toml's.

use crate::helpers::{doc_pages, repo};

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The table rows (lines starting with `| `) of the section under `heading`.
fn rows_under(text: &str, heading: &str) -> Vec<String> {
    let start = text
        .lines()
        .position(|l| l == heading)
        .unwrap_or_else(|| panic!("no section {heading:?}"));
    let level = heading.chars().take_while(|c| *c == '#').count();
    text.lines()
        .skip(start + 1)
        .take_while(|l| {
            let hashes = l.chars().take_while(|c| *c == '#').count();
            !(hashes > 0 && hashes <= level && l.chars().nth(hashes) == Some(' '))
        })
        .filter(|l| l.starts_with("| ") && !l.starts_with("|---"))
        .skip(1) // the header
        .map(str::to_string)
        .collect()
}

fn pki_rows() -> Vec<(i64, String)> {
    let mut rows: Vec<(i64, String)> = signsim::pki::error::CATALOGUE
        .iter()
        .map(|(_, name, code, status, meaning)| {
            (
                *code,
                format!("| {code} | `{name}` | {status} | {meaning} |"),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn podpishi_rows() -> Vec<(u32, String)> {
    let mut rows: Vec<(u32, String)> = signsim::podpishi::error::CATALOGUE
        .iter()
        .map(|(_, name, status, meaning)| (*status, format!("| {status} | `{name}` | {meaning} |")))
        .collect();
    rows.sort();
    rows
}

#[test]
fn the_pki_error_table_is_the_catalogue_row_for_row() {
    let want: Vec<String> = pki_rows().into_iter().map(|r| r.1).collect();
    let got = rows_under(&read("docs/errors.md"), "## PKI RA gateway");
    assert_eq!(
        got, want,
        "docs/errors.md's PKI table (sorted by code) differs from src/pki/error.rs"
    );
}

#[test]
fn the_podpishi_error_table_is_the_catalogue_row_for_row() {
    let want: Vec<String> = podpishi_rows().into_iter().map(|r| r.1).collect();
    let got = rows_under(&read("docs/errors.md"), "## Podpishi.Online");
    assert_eq!(
        got, want,
        "docs/errors.md's Podpishi table (sorted by status) differs from src/podpishi/error.rs"
    );
}

#[test]
fn no_other_page_repeats_the_error_tables() {
    let pages = doc_pages();
    let mut prefixes: Vec<String> = signsim::pki::error::CATALOGUE
        .iter()
        .map(|(_, name, code, ..)| format!("| {code} | `{name}` |"))
        .collect();
    prefixes.extend(
        signsim::podpishi::error::CATALOGUE
            .iter()
            .map(|(_, name, status, _)| format!("| {status} | `{name}` |")),
    );
    for page in pages.iter().filter(|p| *p != "docs/errors.md") {
        let text = read(page);
        for p in &prefixes {
            assert!(
                !text.lines().any(|l| l.starts_with(p.as_str())),
                "{page} repeats the error table row {p}: link to docs/errors.md instead"
            );
        }
    }
}

#[test]
fn the_method_table_lists_every_pki_method_with_its_http_method() {
    let pki = read("docs/pki.md");
    for r in signsim::pki::routes::ROUTES {
        let row = format!("| `{}` | {} |", r.name, r.verb.method());
        assert!(pki.contains(&row), "docs/pki.md's method table lacks {row}");
    }
}

#[test]
fn the_command_table_lists_every_podpishi_command() {
    let podpishi = read("docs/podpishi.md");
    for (oper, _, summary) in signsim::podpishi::routes::COMMANDS {
        let row = format!("| `{oper}` | {summary} |");
        assert!(
            podpishi.contains(&row),
            "docs/podpishi.md's command table lacks {row}"
        );
    }
}

#[test]
fn the_portability_table_lists_every_warning_kind_with_its_api_and_the_document_line_it_rests_on() {
    let page = read("docs/portability.md");
    for (kind, api, _) in signsim::portability::CATALOGUE {
        let api = match *api {
            "pki" => "PKI",
            "both" => "PKI, Podpishi",
            _ => "Podpishi",
        };
        let risk = signsim::portability::risk(kind);
        let rests_on = risk
            .rfind("(the ")
            .map(|at| risk[at + 1..].trim_end_matches(')'))
            .filter(|r| r.contains(" document, line"))
            .unwrap_or_else(|| panic!("{kind}'s risk names no document line it rests on: {risk}"));
        let row = format!("| `{kind}` | {api} | {rests_on} |");
        assert!(
            page.contains(&row),
            "docs/portability.md's table lacks {row}"
        );
    }
}

/// `signsim serve --help`'s flags, each with its variable and default (clap's `[env: …]` and
/// `[default: …]`).
fn serve_flags() -> Vec<(String, Option<String>, Option<String>)> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_signsim"))
        .args(["serve", "--help"])
        .env_clear()
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    let mut flags: Vec<(String, Option<String>, Option<String>)> = Vec::new();
    for line in help.lines() {
        let t = line.trim();
        let flag = t
            .split(|c: char| c.is_whitespace() || c == ',' || c == '=')
            .find(|w| w.starts_with("--"));
        if t.starts_with('-') {
            if let Some(f) = flag {
                flags.push((f.to_string(), None, None));
                continue;
            }
        }
        let Some(last) = flags.last_mut() else {
            continue;
        };
        if let Some(rest) = t.split("[env: ").nth(1) {
            last.1 = rest.split(['=', ']']).next().map(str::to_string);
        }
        if let Some(rest) = t.split("[default: ").nth(1) {
            last.2 = rest.split(']').next().map(str::to_string);
        }
    }
    flags.retain(|f| f.0 != "--help" && f.0 != "--version");
    flags
}

#[test]
fn the_install_page_lists_every_serve_flag_with_its_variable_and_default() {
    let page = read("docs/install.md");
    let flags = serve_flags();
    assert!(flags.len() >= 20, "{flags:?}");
    for (flag, var, default) in flags {
        let row = page
            .lines()
            .find(|l| {
                l.starts_with(&format!("| `{flag}`")) || l.starts_with(&format!("| `{flag} "))
            })
            .unwrap_or_else(|| panic!("docs/install.md has no row for {flag}"));
        let var = var.unwrap_or_else(|| panic!("{flag} has no SIGNSIM_* variable"));
        assert!(
            row.contains(&format!("`{var}`")),
            "docs/install.md's row for {flag} lacks `{var}`: {row}"
        );
        if let Some(d) = default {
            assert!(
                row.contains(&format!("`{d}`")),
                "docs/install.md's row for {flag} lacks its default `{d}`: {row}"
            );
        }
    }
}

#[test]
fn every_version_the_docs_name_is_this_one() {
    let version = env!("CARGO_PKG_VERSION");
    let mut seen = 0;
    for page in doc_pages() {
        let text = read(&page);
        for marker in [
            "ghcr.io/signsim/signsim:",
            "releases/download/v",
            "signsim 0.",
            "signsim ",
        ] {
            for (at, _) in text.match_indices(marker) {
                let rest = &text[at + marker.len()..];
                let named: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
                    .collect();
                let named = named.trim_end_matches('.');
                let named = if marker == "signsim 0." {
                    format!("0.{named}")
                } else {
                    named.to_string()
                };
                // `signsim serve`, `:latest`: not a version.
                if !named.starts_with(|c: char| c.is_ascii_digit())
                    || marker == "signsim " && named.starts_with("0.")
                {
                    continue;
                }
                assert_eq!(
                    named, version,
                    "{page}: {marker}{named} (Cargo.toml says {version})"
                );
                seen += 1;
            }
        }
    }
    assert!(seen >= 20, "only {seen} versioned references found");
}

/// The ```mermaid block under `heading` in docs/architecture.md.
fn diagram_under(heading: &str) -> String {
    let text = read("docs/architecture.md");
    let at = text
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("docs/architecture.md has no section {heading:?}"));
    let rest = &text[at..];
    let start = rest
        .find("```mermaid\n")
        .unwrap_or_else(|| panic!("{heading}: no mermaid block"))
        + "```mermaid\n".len();
    let end = rest[start..].find("```").expect("the block ends") + start;
    rest[start..end].to_string()
}

/// The state diagrams of docs/architecture.md are drawn from the transition tables the models
/// dispatch on, so the picture can not drift from the code.
#[test]
fn the_state_diagrams_are_the_models_transition_tables() {
    for (heading, table, source) in [
        (
            "### PKI: a tracking code",
            signsim::pki::model::mermaid(),
            "pki::model::TRANSITIONS",
        ),
        (
            "### PKI: a certificate",
            signsim::pki::model::certificate_mermaid(),
            "pki::model::CERTIFICATE_TRANSITIONS",
        ),
        (
            "### Podpishi: a permission",
            signsim::podpishi::model::mermaid(),
            "podpishi::model::TRANSITIONS",
        ),
    ] {
        let drawn = diagram_under(heading);
        assert_eq!(
            drawn, table,
            "docs/architecture.md's diagram under {heading:?} differs from {source}; it should read:\n{table}"
        );
    }
}
