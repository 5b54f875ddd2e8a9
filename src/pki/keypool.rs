//! Pre-generated RSA-2048 keys for P12 tokens.
//!
//! Generating a 2048-bit key takes ~100 ms (aws-lc, more on a busy machine); a P12 issue must
//! answer in a few milliseconds. The pool keeps up to `target` keys, filled by one background
//! thread. Filling starts on demand — when a P12 registration arrives (an issue will follow) or
//! a key is taken — so emulators that never see a P12 spend nothing. A key is removed from the
//! pool when taken: it is handed out once. When the pool is empty the caller generates its own.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};

#[derive(Clone)]
pub struct KeyPool {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    wake: Condvar,
    target: usize,
}

struct State {
    keys: VecDeque<Vec<u8>>,
    filler_running: bool,
    wanted: bool,
}

/// A fresh RSA-2048 key, PKCS#8 DER.
pub fn generate() -> Result<Vec<u8>, String> {
    rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .map(|k| k.serialize_der())
        .map_err(|e| format!("RSA key generation failed: {e}"))
}

impl KeyPool {
    pub fn new(target: usize) -> KeyPool {
        KeyPool {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    keys: VecDeque::new(),
                    filler_running: false,
                    wanted: false,
                }),
                wake: Condvar::new(),
                target,
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
        if st.filler_running {
            self.inner.wake.notify_one();
            return;
        }
        st.filler_running = true;
        let inner = self.inner.clone();
        let spawned = std::thread::Builder::new()
            .name("signsim-keypool".into())
            .spawn(move || fill(inner));
        if spawned.is_err() {
            st.filler_running = false;
        }
    }

    /// A key nobody else gets: from the pool, or generated now when it is empty.
    pub fn take(&self) -> Result<(Vec<u8>, bool), String> {
        let pooled = crate::sync::lock(&self.inner.state).keys.pop_front();
        self.warm();
        match pooled {
            Some(k) => Ok((k, true)),
            None => generate().map(|k| (k, false)),
        }
    }

    pub fn len(&self) -> usize {
        crate::sync::lock(&self.inner.state).keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn fill(inner: Arc<Inner>) {
    loop {
        {
            let mut st = crate::sync::lock(&inner.state);
            while st.keys.len() >= inner.target || !st.wanted {
                st.wanted = false;
                let (guard, timeout) = inner
                    .wake
                    .wait_timeout(st, std::time::Duration::from_secs(60))
                    .unwrap_or_else(|p| p.into_inner());
                st = guard;
                if timeout.timed_out() && !st.wanted {
                    st.filler_running = false;
                    return;
                }
            }
        }
        match generate() {
            Ok(k) => crate::sync::lock(&inner.state).keys.push_back(k),
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
        assert!(a != b && b != c && a != c);
    }
}
