//! A whole scenario: the file parsed and its general rules checked (`crate::scenario`), then
//! each API's section checked by the API itself (`pki::scenario`, `podpishi::scenario`) with
//! the same checker, so every problem of the file is reported at once.

use crate::clock::Clock;
use crate::config::ScenarioSource;
use crate::pki::scenario::PkiMaterial;
use crate::podpishi::scenario::PodMaterial;
use crate::scenario::model::ScenarioFile;
use crate::scenario::{self, Parsed, Problem};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// A validated scenario with its files resolved.
pub struct Scenario {
    /// Where it came from: a path, or `embedded:default.toml`.
    pub origin: String,
    pub file: ScenarioFile,
    pub clock_start: Option<OffsetDateTime>,
    pub pki: Option<PkiMaterial>,
    pub podpishi: Option<PodMaterial>,
}

impl Scenario {
    pub fn name(&self) -> &str {
        &self.file.scenario.name
    }

    /// The clock this scenario starts with.
    pub fn initial_clock(&self) -> Clock {
        match (self.clock_start, self.file.clock.frozen) {
            (Some(at), true) => Clock::frozen(at),
            (Some(at), false) => Clock::starting_at(at),
            (None, _) => Clock::system(),
        }
    }
}

fn complete(parsed: Result<Parsed, Vec<Problem>>) -> Result<Scenario, Vec<Problem>> {
    let mut p = parsed?;
    let pki = p
        .file
        .pki
        .as_ref()
        .and_then(|spec| crate::pki::scenario::check(spec, &mut p.checker, &p.files));
    let podpishi = p
        .file
        .podpishi
        .as_ref()
        .and_then(|spec| crate::podpishi::scenario::check(spec, &mut p.checker, &p.files));
    super::names::Names::of(&p.file).check(&p.file, &mut p.checker);
    let origin = p.origin.clone();
    let (file, clock_start) = p.finish()?;
    Ok(Scenario {
        origin,
        file,
        clock_start,
        pki,
        podpishi,
    })
}

/// The default scenario, embedded in the binary.
pub fn load_embedded() -> Result<Scenario, Vec<Problem>> {
    complete(scenario::parse_embedded())
}

/// A scenario file; its relative paths resolve against its `fixtures` directory.
pub fn load_file(path: &Path) -> Result<Scenario, Vec<Problem>> {
    complete(scenario::parse_file(path))
}

/// A scenario from text. `base` is the directory of the file it came from; `None` means the
/// embedded fixtures (and no file system access at all).
pub fn load_text(
    text: &str,
    origin: &str,
    base: Option<PathBuf>,
) -> Result<Scenario, Vec<Problem>> {
    complete(scenario::parse_text(text, origin, base))
}

pub fn load(source: &ScenarioSource) -> Result<Scenario, Vec<Problem>> {
    match source {
        ScenarioSource::Embedded => load_embedded(),
        ScenarioSource::File(path) => load_file(path),
        ScenarioSource::Text { text, base } => load_text(text, "(text)", Some(base.clone())),
    }
}
