//! Pre-generated RSA-2048 keys for P12 tokens.
//!
//! Generating a 2048-bit key takes ~100 ms (aws-lc, more on a busy machine); a P12 issue must
//! answer in a few milliseconds. The pool keeps up to `target` keys, filled by up to
//! [`FILLERS`] background threads (off the request path). Filling starts on demand — when a
//! P12 registration arrives (an issue will follow) or a key is taken — so emulators that never
//! see a P12 spend nothing. A key is removed from the pool when taken: it is handed out once.
//! When the pool is empty the caller generates its own — a miss, counted and shown by
//! `/__admin/health` and the request's journal diagnostics.
//!
//! Rationale for the sizes: with the default 16 keys and two fillers (~10 keys/s each on an
//! idle core) a burst of 8 P12 issues a second is served from the pool and refilled before the
//! next burst. The fillers run at the lowest CPU priority while the pool is more than half
//! full, so a full pool costs requests nothing; below half (bursts are draining it faster than
//! idle cores refill it) the first filler works at normal priority, because a miss costs the
//! issue that meets it a whole key generation (~70–100 ms), while a key generated beside a
//! request costs that request about a millisecond. A world none of whose profiles issues P12
//! tokens gets no pool (`pki::world`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// Background threads that fill the pool.
pub const FILLERS: usize = 2;

#[derive(Clone)]
pub struct KeyPool {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    wake: Condvar,
    target: usize,
    taken: AtomicU64,
    misses: AtomicU64,
}

struct State {
    keys: VecDeque<PoolKey>,
    fillers: usize,
    /// Whether the urgent filler (see [`fill`]) is among them.
    urgent: bool,
    wanted: bool,
}

/// Lowers the calling filler thread to the lowest CPU priority (nice 19): on a 2-core machine
/// two key generations at normal priority would take half of a core from the P12 issue that
/// is waiting for its answer, tripling its latency.
fn yield_to_requests() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority with this thread's own id changes only this thread's nice value;
    // a refusal (returned, not signalled) leaves it at normal priority.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 19);
    }
}

/// A P12 token's key: the private key, and the public key its certificate carries (taken
/// when the key is made, so the request path parses neither).
pub struct PoolKey {
    /// PKCS#8 DER.
    pub pkcs8: Vec<u8>,
    /// SubjectPublicKeyInfo DER.
    pub spki: Vec<u8>,
}

/// A fresh RSA-2048 key.
pub fn generate() -> Result<PoolKey, String> {
    use rcgen::PublicKeyData;
    let k = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .map_err(|e| format!("RSA key generation failed: {e}"))?;
    Ok(PoolKey {
        pkcs8: k.serialize_der(),
        spki: k.subject_public_key_info(),
    })
}

impl KeyPool {
    pub fn new(target: usize) -> KeyPool {
        KeyPool {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    keys: VecDeque::new(),
                    fillers: 0,
                    urgent: false,
                    wanted: false,
                }),
                wake: Condvar::new(),
                target,
                taken: AtomicU64::new(0),
                misses: AtomicU64::new(0),
            }),
        }
    }

    /// Asks the pool to fill up in the background.
    pub fn warm(&self) {
        if self.inner.target == 0 {
            return;
        }
        let mut st = crate::sync::lock(&self.inner.state);
        st.wanted = true;
        self.inner.wake.notify_all();
        while st.fillers < FILLERS.min(self.inner.target) {
            st.fillers += 1;
            let inner = self.inner.clone();
            // The first filler tops the pool up to half at normal priority, the others fill it
            // at the lowest.
            let urgent = !st.urgent;
            st.urgent = true;
            let spawned = std::thread::Builder::new()
                .name("signsim-keypool".into())
                .spawn(move || fill(inner, urgent));
            if spawned.is_err() {
                st.fillers -= 1;
                st.urgent &= !urgent;
                return;
            }
        }
    }

    /// A key nobody else gets: from the pool, or generated now when it is empty.
    pub fn take(&self) -> Result<(PoolKey, bool), String> {
        let pooled = crate::sync::lock(&self.inner.state).keys.pop_front();
        self.warm();
        self.inner.taken.fetch_add(1, Ordering::Relaxed);
        match pooled {
            Some(k) => Ok((k, true)),
            None => {
                self.inner.misses.fetch_add(1, Ordering::Relaxed);
                generate().map(|k| (k, false))
            }
        }
    }

    /// Keys taken, and how many of them the pool did not have (generated on the request path).
    pub fn stats(&self) -> (u64, u64) {
        (
            self.inner.taken.load(Ordering::Relaxed),
            self.inner.misses.load(Ordering::Relaxed),
        )
    }

    pub fn target(&self) -> usize {
        self.inner.target
    }

    pub fn len(&self) -> usize {
        crate::sync::lock(&self.inner.state).keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The keys an urgent filler keeps ready: half the pool, at least one.
fn low_water(target: usize) -> usize {
    target.div_ceil(2)
}

/// A filler's loop: generate while the pool is below its limit (the whole pool, or for the
/// `urgent` filler, at normal priority, [`low_water`]); sleep when it is not; end after a minute
/// without being wanted.
fn fill(inner: Arc<Inner>, urgent: bool) {
    let limit = if urgent {
        low_water(inner.target)
    } else {
        yield_to_requests();
        inner.target
    };
    loop {
        {
            let mut st = crate::sync::lock(&inner.state);
            while st.keys.len() >= limit || !st.wanted {
                // Wanted until full: the urgent filler resting at half leaves the rest to
                // the others.
                if st.keys.len() >= inner.target {
                    st.wanted = false;
                }
                let (guard, timeout) = inner
                    .wake
                    .wait_timeout(st, std::time::Duration::from_secs(60))
                    .unwrap_or_else(|p| p.into_inner());
                st = guard;
                if timeout.timed_out() && !st.wanted {
                    st.fillers -= 1;
                    st.urgent &= !urgent;
                    return;
                }
            }
        }
        match generate() {
            Ok(k) => {
                // Another filler may have topped the pool up meanwhile.
                let mut st = crate::sync::lock(&inner.state);
                if st.keys.len() < inner.target {
                    st.keys.push_back(k);
                }
            }
            Err(e) => {
                tracing::warn!("key pool: {e}");
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_never_handed_out_twice_and_the_pool_refills() {
        let pool = KeyPool::new(2);
        let (a, _) = pool.take().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while pool.len() < 2 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(pool.len(), 2);
        let (b, pooled) = pool.take().unwrap();
        let (c, _) = pool.take().unwrap();
        assert!(pooled);
        assert!(a.pkcs8 != b.pkcs8 && b.pkcs8 != c.pkcs8 && a.pkcs8 != c.pkcs8);
        assert!(a.spki != b.spki && !a.spki.is_empty());
    }
}
