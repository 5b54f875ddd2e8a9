//! The emulator's one source of "now".
//!
//! Every time signsim reads — certificate validity, registration and report dates, CRL
//! update times — comes from a [`Clock`]. No other module calls `SystemTime::now()`.
//!
//! A clock is either *running* (real time plus an offset, so it can be moved forward or back
//! while still ticking) or *frozen* at an instant (tests and scenarios with a fixed start).
//! The handle is cheap to clone; all clones see the same time.
//!
//! Rationale: `tokio::time::pause` does not move `SystemTime`, and certificate validity is
//! wall-clock time, so the clock has to be ours.

use std::sync::{Arc, RwLock};
use time::{Duration, OffsetDateTime};

#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<RwLock<Mode>>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// Real time shifted by `offset`.
    Running { offset: Duration },
    /// Always answers this instant.
    Frozen { at: OffsetDateTime },
}

impl Clock {
    /// Real time.
    pub fn system() -> Clock {
        Clock::from_mode(Mode::Running {
            offset: Duration::ZERO,
        })
    }

    /// Always `at`, until moved.
    pub fn frozen(at: OffsetDateTime) -> Clock {
        Clock::from_mode(Mode::Frozen { at })
    }

    /// Starts at `at` and ticks with real time from there.
    pub fn starting_at(at: OffsetDateTime) -> Clock {
        let offset = at - OffsetDateTime::now_utc();
        Clock::from_mode(Mode::Running { offset })
    }

    fn from_mode(mode: Mode) -> Clock {
        Clock {
            inner: Arc::new(RwLock::new(mode)),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        match *self.inner.read().unwrap_or_else(|p| p.into_inner()) {
            Mode::Running { offset } => OffsetDateTime::now_utc() + offset,
            Mode::Frozen { at } => at,
        }
    }

    pub fn is_frozen(&self) -> bool {
        matches!(
            *self.inner.read().unwrap_or_else(|p| p.into_inner()),
            Mode::Frozen { .. }
        )
    }

    /// Moves the clock to `at`, keeping its mode (a running clock keeps ticking from there).
    pub fn set(&self, at: OffsetDateTime) {
        let mut mode = self.inner.write().unwrap_or_else(|p| p.into_inner());
        *mode = match *mode {
            Mode::Running { .. } => Mode::Running {
                offset: at - OffsetDateTime::now_utc(),
            },
            Mode::Frozen { .. } => Mode::Frozen { at },
        };
    }

    /// Moves the clock by `by` (may be negative).
    pub fn advance(&self, by: Duration) {
        let mut mode = self.inner.write().unwrap_or_else(|p| p.into_inner());
        *mode = match *mode {
            Mode::Running { offset } => Mode::Running {
                offset: offset + by,
            },
            Mode::Frozen { at } => Mode::Frozen { at: at + by },
        };
    }

    /// Makes this clock behave like `other` (used when a scenario is reloaded or reset).
    pub fn assume(&self, other: &Clock) {
        let theirs = *other.inner.read().unwrap_or_else(|p| p.into_inner());
        *self.inner.write().unwrap_or_else(|p| p.into_inner()) = theirs;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn frozen_clock_moves_only_when_told() {
        let c = Clock::frozen(datetime!(2026-06-01 08:00 UTC));
        assert_eq!(c.now(), datetime!(2026-06-01 08:00 UTC));
        c.advance(Duration::days(30));
        assert_eq!(c.now(), datetime!(2026-07-01 08:00 UTC));
        c.set(datetime!(2030-01-01 00:00 UTC));
        assert_eq!(c.clone().now(), datetime!(2030-01-01 00:00 UTC));
    }

    #[test]
    fn running_clock_keeps_offset() {
        let c = Clock::starting_at(datetime!(2001-01-01 00:00 UTC));
        let t = c.now();
        assert!(t >= datetime!(2001-01-01 00:00 UTC) && t < datetime!(2001-01-02 00:00 UTC));
    }
}
