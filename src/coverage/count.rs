//! The counts: one [`Tally`] per tenant, fed by the pipeline's observer. Each thread counts
//! into its own map ([`PerSlot`]: the connection lanes never take the same lock per request);
//! a reader adds them up.

use super::{ApiIndex, Universe};
use crate::journal::Meta;
use crate::sync::{FastMap, PerSlot};
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use time::OffsetDateTime;

/// What the running server has reached, per tenant, since start or the last clear.
pub struct Coverage {
    universe: OnceLock<Universe>,
    /// When counting started (start, or the last clear), wall time.
    since: Mutex<OffsetDateTime>,
    /// By tenant, per thread.
    tallies: PerSlot<Mutex<FastMap<String, Tally>>>,
}

/// The counts as a reader sees them: every thread's added up.
pub(super) struct State {
    /// When counting started (start, or the last clear), wall time.
    pub since: OffsetDateTime,
    /// By tenant; `""` holds what no tenant can be told for (a request refused before its
    /// customer or login was known, the control API's clock).
    pub tenants: FastMap<String, Tally>,
}

/// The counts of one tenant, indexed like [`Universe::outcomes`].
#[derive(Clone, Debug)]
pub(super) struct Tally {
    pub counts: Vec<u64>,
    /// Calls per operation, at the index of the operation's `ok` outcome.
    pub calls: Vec<u64>,
    /// (outcome, operation's `ok` outcome) → count: which operations an error, a warning or a
    /// fault came from.
    pub by_op: BTreeMap<(u32, u32), u64>,
}

impl Tally {
    pub fn new(n: usize) -> Tally {
        Tally {
            counts: vec![0; n],
            calls: vec![0; n],
            by_op: BTreeMap::new(),
        }
    }

    fn hit(&mut self, i: usize, op: Option<usize>) {
        if let Some(c) = self.counts.get_mut(i) {
            *c += 1;
        }
        if let Some(op) = op {
            *self.by_op.entry((i as u32, op as u32)).or_insert(0) += 1;
        }
    }

    pub fn add(&mut self, other: &Tally) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.calls.iter_mut().zip(&other.calls) {
            *a += b;
        }
        for (k, v) in &other.by_op {
            *self.by_op.entry(*k).or_insert(0) += v;
        }
    }

    /// One request of an upstream API.
    fn request(&mut self, u: &Universe, api: &ApiIndex, meta: &Meta) {
        let op = u.operation_index(api, &meta.operation);
        if let Some(op) = op {
            if let Some(c) = self.calls.get_mut(op) {
                *c += 1;
            }
            // A success the client saw: a delay leaves the answer whole, other faults do not.
            let seen = matches!(meta.fault_kind, None | Some("delay"));
            if meta.success == Some(true) && meta.refusal.is_none() && seen {
                self.hit(op, None);
            }
        }
        if let Some(i) = meta.refusal.as_ref().and_then(|r| api.errors.get(r.kind)) {
            self.hit(*i, op);
        }
        for w in &meta.warnings {
            if let Some(i) = api.warnings.get(w.kind) {
                self.hit(*i, op);
            }
        }
        if let Some(i) = meta.fault_kind.and_then(|k| api.faults.get(k)) {
            self.hit(*i, op);
        }
    }
}

impl Default for Coverage {
    fn default() -> Coverage {
        Coverage {
            universe: OnceLock::new(),
            since: Mutex::new(crate::clock::wall_now()),
            tallies: PerSlot::default(),
        }
    }
}

impl Coverage {
    /// Sets the universe once (the app builds it from both APIs); later calls are ignored.
    pub fn install(&self, universe: Universe) {
        let _ = self.universe.set(universe);
    }

    pub fn universe(&self) -> Option<&Universe> {
        self.universe.get()
    }

    /// Counts what one finished request (or control call, or scenario event or reaction) did.
    pub fn count(&self, meta: &Meta) {
        let Some(u) = self.universe.get() else {
            return;
        };
        let mut mine = crate::sync::lock(self.tallies.mine());
        let tenants = &mut *mine;
        let tenant = meta.tenant.as_deref().unwrap_or("");
        match meta.api {
            "pki" | "podpishi" => {
                if let Some(api) = u.apis.get(meta.api) {
                    with(tenants, tenant, u.len(), |t| t.request(u, api, meta));
                }
            }
            "admin" if meta.operation == "clock" && meta.success == Some(true) => {
                if let Some(i) = meta.action.and_then(|k| u.scenario.get(&("clock", k))) {
                    with(tenants, tenant, u.len(), |t| t.hit(*i, None));
                }
            }
            "scenario" => {
                let group = match meta.operation.as_ref() {
                    "event" => "event",
                    _ => "reaction",
                };
                if let Some(i) = meta.action.and_then(|k| u.scenario.get(&(group, k))) {
                    with(tenants, tenant, u.len(), |t| t.hit(*i, None));
                }
            }
            _ => {}
        }
        for c in &meta.changes {
            let edge = u.transitions.get(&(c.machine, c.transition, c.from, c.to));
            let state = u.states.get(&(c.machine, c.to));
            with(tenants, &c.tenant, u.len(), |t| {
                for i in edge.into_iter().chain(state) {
                    t.hit(*i, None);
                }
            });
        }
    }

    /// Forgets every count; counting starts again now.
    pub fn clear(&self) {
        let mut since = crate::sync::lock(&self.since);
        for tallies in self.tallies.all() {
            crate::sync::lock(tallies).clear();
        }
        *since = crate::clock::wall_now();
    }

    /// Runs `f` on the counts as they are (every thread's added up).
    pub(super) fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        let since = crate::sync::lock(&self.since);
        let mut tenants: FastMap<String, Tally> = FastMap::default();
        for tallies in self.tallies.all() {
            for (tenant, t) in crate::sync::lock(tallies).iter() {
                match tenants.get_mut(tenant) {
                    Some(sum) => sum.add(t),
                    None => {
                        tenants.insert(tenant.clone(), t.clone());
                    }
                }
            }
        }
        f(&State {
            since: *since,
            tenants,
        })
    }
}

/// Runs `f` on `tenant`'s tally, made on its first count (the only allocation).
fn with(tenants: &mut FastMap<String, Tally>, tenant: &str, n: usize, f: impl FnOnce(&mut Tally)) {
    if let Some(t) = tenants.get_mut(tenant) {
        f(t);
        return;
    }
    let mut t = Tally::new(n);
    f(&mut t);
    tenants.insert(tenant.to_string(), t);
}
