//! Answers of routes that depend only on the world, kept until the world changes.
//!
//! Rationale: GetVersion, GetCAList, GetCAProfileInfo and IsAvailable read nothing stored; the
//! same query always gets the same bytes until the scenario changes something they show (a CA
//! switched off). The API bumps a generation when that happens; an entry of an older
//! generation is a miss. The cache is bounded: when full it is emptied, so random queries can
//! not grow it.

use super::Answer;
use std::collections::HashMap;
use std::sync::RwLock;

/// Distinct (route, query) pairs remembered.
const ENTRIES: usize = 1024;

#[derive(Default)]
pub struct GetCache {
    entries: RwLock<HashMap<(&'static str, String), Cached>>,
}

struct Cached {
    generation: u64,
    answer: Answer,
    ok: bool,
}

impl GetCache {
    /// The answer for `route?query` of this generation, and whether it was a success.
    pub fn get(&self, route: &'static str, query: &str, generation: u64) -> Option<(Answer, bool)> {
        let entries = crate::sync::read(&self.entries);
        let c = entries.get(&(route, query.to_string()))?;
        (c.generation == generation).then(|| (c.answer.clone(), c.ok))
    }

    pub fn put(
        &self,
        route: &'static str,
        query: String,
        generation: u64,
        answer: &Answer,
        ok: bool,
    ) {
        let mut entries = crate::sync::write(&self.entries);
        if entries.len() >= ENTRIES {
            entries.clear();
        }
        entries.insert(
            (route, query),
            Cached {
                generation,
                answer: answer.clone(),
                ok,
            },
        );
    }
}
