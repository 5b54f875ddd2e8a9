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
use std::path::{Path, PathBuf};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Where a scenario's relative paths are read from.
#[derive(Clone, Debug)]
pub enum Files {
    /// A directory on disk: the scenario's `fixtures`, paths relative to it. Files are read
    /// only from under it or the scenario's own directory (docs/scenarios.md).
    Dir {
        fixtures: PathBuf,
        scenario: PathBuf,
    },
    /// The fixture files compiled into the binary.
    Embedded,
}

/// The largest file a scenario may name (keys, certificates, documents).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

impl Files {
    /// Files under `fixtures` (relative to `scenario`, the scenario's directory).
    pub fn dir(scenario: PathBuf, fixtures: &str) -> Files {
        Files::Dir {
            fixtures: scenario.join(fixtures),
            scenario,
        }
    }

    /// The text of a file the scenario names (relative to its fixtures).
    pub fn read(&self, rel: &str) -> Result<String, String> {
        match self {
            Files::Dir { fixtures, scenario } => read_confined(rel, &fixtures.join(rel), &[fixtures, scenario]),
            Files::Embedded => super::embedded::fixture(rel)
                .map(str::to_string)
                .ok_or_else(|| format!("'{rel}' is not among the fixture files embedded in the binary; load the scenario from a file to use other fixtures")),
        }
    }
}

/// `p` made absolute, `.` and `..` resolved without touching the file system.
fn lexical(p: &Path) -> PathBuf {
    use std::path::Component;
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Reads `path` if it is a regular file of at most [`MAX_FILE_BYTES`] under one of `roots`
/// (symbolic links resolved). Whether a file outside exists is never told: the lexical check
/// comes before any file system access.
fn read_confined(rel: &str, path: &Path, roots: &[&PathBuf]) -> Result<String, String> {
    let roots: Vec<(PathBuf, Option<PathBuf>)> = roots
        .iter()
        .map(|r| (lexical(r), std::fs::canonicalize(r).ok()))
        .collect();
    let outside = || {
        format!(
            "'{rel}' is outside the scenario's directory and its fixtures ({}): a scenario reads files from there only",
            roots.iter().map(|(l, _)| l.display().to_string()).collect::<Vec<_>>().join(", ")
        )
    };
    let wanted = lexical(path);
    if !roots
        .iter()
        .any(|(l, c)| wanted.starts_with(l) || c.as_ref().is_some_and(|c| wanted.starts_with(c)))
    {
        return Err(outside());
    }
    let real = std::fs::canonicalize(&wanted)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let special = ["/proc", "/sys", "/dev"]
        .iter()
        .any(|p| real.starts_with(p));
    if special
        || !roots
            .iter()
            .any(|(l, c)| real.starts_with(c.as_ref().unwrap_or(l)))
    {
        return Err(outside());
    }
    let meta =
        std::fs::metadata(&real).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a regular file", path.display()));
    }
    let too_large = || {
        format!(
            "{} is over {} MiB; scenario files are keys, certificates and small documents",
            path.display(),
            MAX_FILE_BYTES / (1024 * 1024)
        )
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(&real)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", path.display()))
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
    // `extends = "default"`: the default world with this file on top, read as one file; a
    // problem's line is still looked up in this file (`Checker::problem`), where its key is.
    let merged;
    let source = match extended(text) {
        None => text,
        Some(Ok(table)) => match toml::to_string(&table) {
            Ok(t) => {
                merged = t;
                merged.as_str()
            }
            Err(e) => {
                v.problem("extends", format!("the merged scenario: {e}"));
                return Err(v.problems);
            }
        },
        Some(Err((field, message))) => {
            v.problem(&field, message);
            return Err(v.problems);
        }
    };
    let Some(file) = deserialize(source, &mut v) else {
        return Err(v.problems);
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
        (f, Some(base)) => Files::dir(base, f.unwrap_or("../fixtures")),
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

/// Deserializes the file. A type error or an unknown field is recorded with the field's dotted
/// path, the offending key is taken out, and the file is read again — so every such problem is
/// reported at once, not only the first (bounded: 64 rounds).
fn deserialize(text: &str, ck: &mut Checker) -> Option<ScenarioFile> {
    let mut current = text.to_string();
    for _ in 0..64 {
        let e = match toml::from_str::<ScenarioFile>(&current) {
            Ok(f) => return ck.problems.is_empty().then_some(f),
            Err(e) => e,
        };
        let message = e.message().trim().to_string();
        let doc = toml_edit::ImDocument::parse(current.clone()).ok();
        let path = e.span().and_then(|s| {
            doc.as_ref()
                .and_then(|d| path_at(d.as_table(), s.start, ""))
        });
        let Some(path) = path.filter(|_| !message.starts_with("missing field")) else {
            // A syntax error or a missing field: nothing to take out; report and stop.
            let line = match (&doc, e.span()) {
                (Some(_), _) if current != text => None,
                (_, Some(s)) => Some(ck.line_of(s.start)),
                _ => None,
            };
            ck.problems.push(Problem {
                file: ck.origin.clone(),
                line,
                field: field_from_toml_error(&message),
                message,
            });
            return None;
        };
        ck.problem(&path, message);
        let Ok(mut doc) = current.parse::<toml_edit::DocumentMut>() else {
            return None;
        };
        if !remove_path(doc.as_table_mut(), &path) {
            return None;
        }
        current = doc.to_string();
    }
    None
}

/// The dotted path (`policy.min_csr_key_bits`, `faults[1].action`) of the deepest key or value
/// whose text contains `offset`.
fn path_at(table: &dyn toml_edit::TableLike, offset: usize, prefix: &str) -> Option<String> {
    use toml_edit::{Item, Value};
    let inside = |span: Option<std::ops::Range<usize>>| {
        span.is_some_and(|s| s.start <= offset && offset < s.end.max(s.start + 1))
    };
    for (key, item) in table.iter() {
        let here = if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        };
        let key_span = table.key(key).and_then(|k| k.span());
        match item {
            Item::Table(t) => {
                if let Some(p) = path_at(t, offset, &here) {
                    return Some(p);
                }
                if inside(key_span) {
                    return Some(here);
                }
            }
            Item::ArrayOfTables(a) => {
                for (i, t) in a.iter().enumerate() {
                    if let Some(p) = path_at(t, offset, &format!("{here}[{i}]")) {
                        return Some(p);
                    }
                }
            }
            Item::Value(Value::InlineTable(t)) => {
                if let Some(p) = path_at(t, offset, &here) {
                    return Some(p);
                }
                if inside(key_span) || inside(t.span()) {
                    return Some(here);
                }
            }
            Item::Value(v) => {
                if inside(key_span) || inside(v.span()) {
                    return Some(here);
                }
            }
            Item::None => {}
        }
    }
    None
}

/// Takes the item at a dotted path out of a document; whether it was there.
fn remove_path(table: &mut dyn toml_edit::TableLike, path: &str) -> bool {
    use toml_edit::{Item, Value};
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let (key, index) = match head.split_once('[') {
        Some((k, i)) => (k, i.trim_end_matches(']').parse::<usize>().ok()),
        None => (head, None),
    };
    let Some(rest) = rest else {
        return index.is_none() && table.remove(key).is_some();
    };
    match (table.get_mut(key), index) {
        (Some(Item::Table(t)), None) => remove_path(t, rest),
        (Some(Item::Value(Value::InlineTable(t))), None) => remove_path(t, rest),
        (Some(Item::ArrayOfTables(a)), Some(i)) => match a.get_mut(i) {
            Some(t) => remove_path(t, rest),
            None => false,
        },
        _ => false,
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
            if e.action.needs_record() {
                self.problem(
                    &format!("events[{i}].action.kind"),
                    format!(
                        "'{}' needs a record (the triggering request's), which a timed event \
                         has none of: use it in a reaction",
                        e.action.kind()
                    ),
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
            if r.on.operation.is_some() == r.on.transition.is_some() {
                self.problem(
                    &format!("reactions[{i}].on"),
                    "give exactly one of operation (a request) and transition (a state change)",
                );
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
