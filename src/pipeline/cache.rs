//! Answers of routes that depend only on the world, kept until the world changes.
//!
//! Rationale: GetVersion, GetCAList, GetCAProfileInfo and IsAvailable read nothing stored; the
//! same query always gets the same bytes until the scenario changes something they show (a CA
//! switched off). The API bumps a generation when that happens; an entry of an older
//! generation is a miss. The cache is bounded: when full it is emptied, so random queries can
//! not grow it.
//!
//! An answer is kept with how its request was judged ([`Judged`]: the portability warnings, the
//! diagnostics, the refusal), and a hit hands them back: a repeated request that relies on
//! uncertain behaviour warns and is counted like the first, and its journal entry says why.

use super::Answer;
use crate::journal::{Meta, Refusal, Warning};
use crate::sync::{FastMap, PerSlot};
use std::sync::{Arc, RwLock};

/// Distinct (route, query) pairs remembered by each thread.
const ENTRIES: usize = 1024;

/// Kept per thread ([`PerSlot`]): each connection lane answers from, and fills, its own, so the
/// lanes never write the same lock or the same answer's reference count (a hit cost the lock's
/// and the counts' cache lines moving between the cores).
#[derive(Default)]
pub struct GetCache {
    /// By route, then by query: a lookup by `&str` allocates nothing.
    entries: PerSlot<RwLock<FastMap<&'static str, FastMap<String, Cached>>>>,
}

struct Cached {
    generation: u64,
    answer: Answer,
    judged: Arc<Judged>,
}

/// How a cached answer's request was judged: what its journal entry and the warning tally
/// get again on every hit.
#[derive(Debug, Default)]
pub struct Judged {
    pub ok: bool,
    pub warnings: Vec<Warning>,
    pub diagnostics: Vec<String>,
    pub refusal: Option<Refusal>,
    pub record: Option<String>,
}

impl Judged {
    /// What the handler decided, from the request's journal metadata.
    pub fn of(meta: &Meta) -> Judged {
        Judged {
            ok: meta.success == Some(true),
            warnings: meta.warnings.clone(),
            diagnostics: meta.diagnostics.clone(),
            refusal: meta.refusal.clone(),
            record: meta.record.clone(),
        }
    }

    /// Puts the judgement back on a request answered from the cache.
    pub fn restore(&self, meta: &mut Meta) {
        meta.success = Some(self.ok);
        meta.warnings.clone_from(&self.warnings);
        meta.diagnostics.clone_from(&self.diagnostics);
        meta.refusal.clone_from(&self.refusal);
        meta.record.clone_from(&self.record);
    }
}

impl GetCache {
    /// The answer for `route?query` of this generation, and how its request was judged.
    pub fn get(
        &self,
        route: &'static str,
        query: &str,
        generation: u64,
    ) -> Option<(Answer, Arc<Judged>)> {
        let entries = crate::sync::read(self.entries.mine());
        let c = entries.get(route)?.get(query)?;
        (c.generation == generation).then(|| (c.answer.clone(), c.judged.clone()))
    }

    pub fn put(
        &self,
        route: &'static str,
        query: String,
        generation: u64,
        answer: &Answer,
        judged: Judged,
    ) {
        let mut entries = crate::sync::write(self.entries.mine());
        if entries.values().map(FastMap::len).sum::<usize>() >= ENTRIES {
            entries.clear();
        }
        entries.entry(route).or_default().insert(
            query,
            Cached {
                generation,
                answer: answer.clone(),
                judged: Arc::new(judged),
            },
        );
    }
}
