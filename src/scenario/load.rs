//! Parse a scenario and check what is not any API's business (clock, policies, faults,
//! events, reactions), reporting every problem with file, line and field.
//!
//! Validation runs to the end instead of stopping at the first problem, so `signsim scenario
//! check` lists everything at once. Lines come from a second, span-keeping parse of the same
//! text (toml_edit): a problem names a dotted field path and the line is looked up from it.
//! Each API checks its own section with the same [`Checker`] (`pki::scenario`,
//! `podpishi::scenario`); the app puts the pieces together.

use super::model::*;
use super::Problem;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Where a scenario's relative paths are read from.
#[derive(Clone, Debug)]
pub enum Files {
    /// A directory on disk.
    Dir(PathBuf),
    /// The fixture files compiled into the binary.
    Embedded,
}

impl Files {
    /// The text of a file the scenario names (relative to its fixtures).
    pub fn read(&self, rel: &str) -> Result<String, String> {
        match self {
            Files::Dir(dir) => {
                let path = dir.join(rel);
                std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
            }
            Files::Embedded => super::embedded::fixture(rel)
                .map(str::to_string)
                .ok_or_else(|| format!("'{rel}' is not among the fixture files embedded in the binary; load the scenario from a file to use other fixtures")),
        }
    }
}

/// A parsed scenario file whose general checks have run; the APIs check their sections
/// with [`Parsed::checker`] before [`Parsed::finish`] says whether anything was wrong.
pub struct Parsed {
    /// Where it came from: a path, or `embedded:default.toml`.
    pub origin: String,
    pub file: ScenarioFile,
    pub clock_start: Option<OffsetDateTime>,
    pub files: Files,
    pub checker: Checker,
}

impl Parsed {
    /// The file if nobody found a problem, else every problem found.
    pub fn finish(self) -> Result<(ScenarioFile, Option<OffsetDateTime>), Vec<Problem>> {
        if self.checker.problems.is_empty() {
            Ok((self.file, self.clock_start))
        } else {
            Err(self.checker.problems)
        }
    }
}

/// The default scenario, embedded in the binary.
pub fn parse_embedded() -> Result<Parsed, Vec<Problem>> {
    parse_text(
        super::embedded::DEFAULT_SCENARIO,
        "embedded:default.toml",
        None,
    )
}

/// A scenario file; its relative paths resolve against its `fixtures` directory.
pub fn parse_file(path: &Path) -> Result<Parsed, Vec<Problem>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Problem {
            file: path.display().to_string(),
            line: None,
            field: "(file)".into(),
            message: format!("cannot read: {e}"),
        }]
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse_text(&text, &path.display().to_string(), Some(base))
}

/// A scenario from text. `base` is the directory of the file it came from; `None` means the
/// embedded fixtures (and no file system access at all).
pub fn parse_text(text: &str, origin: &str, base: Option<PathBuf>) -> Result<Parsed, Vec<Problem>> {
    let mut v = Checker {
        origin: origin.to_string(),
        doc: toml_edit::ImDocument::parse(text.to_string()).ok(),
        text: text.to_string(),
        problems: Vec::new(),
    };
    let file: ScenarioFile = match extended(text) {
        Some(merged) => {
            let merged = merged.map_err(|(field, message)| {
                let mut problem = Problem {
                    file: origin.to_string(),
                    line: None,
                    field: field.clone(),
                    message,
                };
                problem.line = v.span_of(&field).map(|s| v.line_of(s));
                vec![problem]
            })?;
            match ScenarioFile::deserialize(toml::Value::Table(merged)) {
                Ok(f) => f,
                Err(e) => {
                    let field = field_from_toml_error(e.message());
                    // The merged table has no spans: the line of the key in this file, if it is here.
                    let line = v.span_of(&field).map(|s| v.line_of(s)).or_else(|| {
                        text.lines()
                            .position(|l| {
                                let l = l.trim_start();
                                l.strip_prefix(field.as_str())
                                    .is_some_and(|r| r.trim_start().starts_with('='))
                            })
                            .map(|i| i + 1)
                    });
                    return Err(vec![Problem {
                        file: origin.to_string(),
                        line,
                        field,
                        message: format!(
                            "{} (in this file or the default world it extends)",
                            e.message().trim()
                        ),
                    }]);
                }
            }
        }
        None => match toml::from_str(text) {
            Ok(f) => f,
            Err(e) => {
                let line = e.span().map(|s| v.line_of(s.start));
                return Err(vec![Problem {
                    file: origin.to_string(),
                    line,
                    field: field_from_toml_error(e.message()),
                    message: e.message().trim().to_string(),
                }]);
            }
        },
    };
    // An extending file that names no fixtures resolves the default world's paths where they
    // are: among the embedded files.
    let fixtures = match (&file.fixtures, &file.extends) {
        (Some(f), _) => Some(f.as_str()),
        (None, Some(_)) => Some(EMBEDDED),
        (None, None) => None,
    };
    let files = match (fixtures, base) {
        (Some(EMBEDDED), _) | (_, None) => Files::Embedded,
        (f, Some(base)) => Files::Dir(base.join(f.unwrap_or("../fixtures"))),
    };
    let clock_start = v.check(&file);
    Ok(Parsed {
        origin: origin.to_string(),
        file,
        clock_start,
        files,
        checker: v,
    })
}

/// The `fixtures` value that means the files built into the binary.
pub const EMBEDDED: &str = "embedded";

/// The merged table of a file that says `extends = "default"`: the default world with the
/// file's keys on top — a table merges key by key, any other value (arrays of tables
/// included: `[[pki.customers]]` lists them all) replaces the default's. `None` when the
/// file extends nothing (or is not TOML: the plain parse reports that). Err: (field, message).
fn extended(text: &str) -> Option<Result<toml::Table, (String, String)>> {
    let mut table: toml::Table = toml::from_str(text).ok()?;
    let extends = table.remove("extends")?;
    if extends.as_str() != Some("default") {
        return Some(Err((
            "extends".into(),
            format!("{extends} is not a world to extend: the only one is \"default\" (the embedded default scenario)"),
        )));
    }
    let mut base: toml::Table = match toml::from_str(super::embedded::DEFAULT_SCENARIO) {
        Ok(t) => t,
        Err(e) => {
            return Some(Err((
                "extends".into(),
                format!("the default scenario: {e}"),
            )))
        }
    };
    // The default's own `fixtures` names the repository layout, not this file's.
    base.remove("fixtures");
    merge(&mut base, table);
    base.insert("extends".into(), toml::Value::String("default".into()));
    Some(Ok(base))
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// toml names the offending key in messages like "unknown field `x`, expected …".
fn field_from_toml_error(message: &str) -> String {
    message
        .split('`')
        .nth(1)
        .map(str::to_string)
        .unwrap_or_else(|| "(syntax)".into())
}

/// Collects problems, each with the line of the field it names.
pub struct Checker {
    origin: String,
    text: String,
    doc: Option<toml_edit::ImDocument<String>>,
    problems: Vec<Problem>,
}

impl Checker {
    fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }

    /// Records a problem with `field` (a dotted path like `pki.cas[0].cert`).
    pub fn problem(&mut self, field: &str, message: impl Into<String>) {
        let line = self.span_of(field).map(|s| self.line_of(s));
        self.problems.push(Problem {
            file: self.origin.clone(),
            line,
            field: field.to_string(),
            message: message.into(),
        });
    }

    /// The start offset of the deepest existing item on a dotted path like `a.b[2].c`.
    fn span_of(&self, field: &str) -> Option<usize> {
        use toml_edit::{Item, Value};
        let doc = self.doc.as_ref()?;
        let mut table: &dyn toml_edit::TableLike = doc.as_table();
        let mut best = None;
        for seg in field.split('.') {
            let (key, index) = match seg.split_once('[') {
                Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
                None => (seg, None),
            };
            let Some((k, item)) = table.get_key_value(key) else {
                break;
            };
            best = k.span().map(|s| s.start).or(best);
            match (item, index) {
                (Item::ArrayOfTables(a), Some(i)) => match a.get(i) {
                    Some(t) => {
                        best = t.span().map(|s| s.start).or(best);
                        table = t;
                    }
                    None => break,
                },
                (Item::Value(Value::Array(a)), Some(i)) => {
                    return a.get(i).and_then(|v| v.span()).map(|s| s.start).or(best);
                }
                (Item::Table(t), None) => table = t,
                (Item::Value(Value::InlineTable(t)), None) => table = t,
                _ => break,
            }
        }
        best
    }

    /// The general checks; returns the clock's start.
    fn check(&mut self, file: &ScenarioFile) -> Option<OffsetDateTime> {
        if file.scenario.name.trim().is_empty() {
            self.problem("scenario.name", "must not be empty");
        }
        let clock_start = match &file.clock.start {
            Some(s) => {
                match OffsetDateTime::parse(s, &Rfc3339) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        self.problem("clock.start", format!("'{s}' is not an RFC 3339 instant such as 2026-06-01T08:00:00Z ({e})"));
                        None
                    }
                }
            }
            None => None,
        };
        if file.clock.frozen && file.clock.start.is_none() {
            self.problem("clock.frozen", "a frozen clock needs clock.start");
        }
        if file.policy.min_csr_key_bits < 512 {
            self.problem("policy.min_csr_key_bits", "must be at least 512");
        }
        if file.policy.pki_max_body_bytes < 1024 {
            self.problem("policy.pki_max_body_bytes", "must be at least 1024");
        }
        for (i, rule) in file.faults.iter().enumerate() {
            for (field, message) in rule.problems() {
                self.problem(&format!("faults[{i}].{field}"), message);
            }
        }
        for (i, e) in file.events.iter().enumerate() {
            if crate::clock::parse_duration(e.at.trim_start_matches('+')).is_err() {
                self.problem(
                    &format!("events[{i}].at"),
                    format!("'{}' is not a time like +30s, +2h, +1d", e.at),
                );
            }
            for (field, message) in e.action.problems() {
                self.problem(&format!("events[{i}].action.{field}"), message);
            }
        }
        for (i, r) in file.reactions.iter().enumerate() {
            if !["pki", "podpishi"].contains(&r.on.api.as_str()) {
                self.problem(
                    &format!("reactions[{i}].on.api"),
                    format!("'{}' is not pki or podpishi", r.on.api),
                );
            }
            if let Some(a) = &r.after {
                if crate::clock::parse_duration(a).is_err() {
                    self.problem(
                        &format!("reactions[{i}].after"),
                        format!("'{a}' is not a duration like 5s, 2h"),
                    );
                }
            }
            if r.count == Some(0) {
                self.problem(&format!("reactions[{i}].count"), "count starts at 1");
            }
            for (field, message) in r.action.problems() {
                self.problem(&format!("reactions[{i}].do.{field}"), message);
            }
        }
        clock_start
    }
}
