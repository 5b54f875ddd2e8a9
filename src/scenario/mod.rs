//! Scenarios: the whole world a test needs, as a TOML file a person can read.
//!
//! [`model`] is the file format; [`load`] parses it and checks the general rules, reporting
//! *every* problem with file, line and field, and hands each API a [`load::Checker`] to check
//! its own section and resolve the files it names (keys, certificates) into material. The
//! default scenario and the fixture files it names are embedded in the binary ([`embedded`])
//! so `signsim` alone starts a complete world from any directory; [`export`] writes them out
//! (`signsim fixtures export`) without leaving the directory it is given.
//!
//! This module knows no API, does not serve HTTP and keeps no state: applying a scenario
//! (seeding the store, setting the clock) is done by the app and each API.

pub mod embedded;
pub mod export;
pub mod load;
pub mod model;

use std::fmt;

pub use load::{parse_embedded, parse_file, parse_text, Checker, Files, Parsed};

/// One thing wrong with a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub file: String,
    pub line: Option<usize>,
    /// Dotted path of the field, e.g. `pki.customers[1].public_key`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "{}:{}: {}: {}",
                self.file, line, self.field, self.message
            ),
            None => write!(f, "{}: {}: {}", self.file, self.field, self.message),
        }
    }
}
