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

use crate::sync::Copies;
use std::sync::{Arc, RwLock};
use time::{Duration, OffsetDateTime};

#[derive(Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

struct Inner {
    mode: RwLock<Mode>,
    /// Each thread's copy of `mode`: a request reads the clock a few times, and a read lock
    /// both connection lanes take moved its cache line between the cores each time.
    seen: Copies<Mode>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Clock").field(&self.mode()).finish()
    }
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
            inner: Arc::new(Inner {
                mode: RwLock::new(mode),
                seen: Copies::default(),
            }),
        }
    }

    /// The mode now: this thread's copy while no change has been made since it was read.
    fn mode(&self) -> Mode {
        self.inner
            .seen
            .with(|| *crate::sync::read(&self.inner.mode), |m| *m)
    }

    /// Changes the mode to what `change` makes of it.
    fn change(&self, change: impl FnOnce(Mode) -> Mode) {
        {
            let mut mode = crate::sync::write(&self.inner.mode);
            *mode = change(*mode);
        }
        self.inner.seen.changed();
    }

    pub fn now(&self) -> OffsetDateTime {
        self.at_real(OffsetDateTime::now_utc)
    }

    /// The emulator's time when the system clock read `real` (read once by a caller that also
    /// keeps the real time, as the journal does): the offset added to the system time itself,
    /// without making a date of it.
    pub fn stamp(&self, real: std::time::SystemTime) -> std::time::SystemTime {
        match self.mode() {
            Mode::Running { offset } => {
                let by = offset.unsigned_abs();
                let moved = if offset.is_negative() {
                    real.checked_sub(by)
                } else {
                    real.checked_add(by)
                };
                moved.unwrap_or(real)
            }
            Mode::Frozen { at } => at.into(),
        }
    }

    fn at_real(&self, real: impl FnOnce() -> OffsetDateTime) -> OffsetDateTime {
        match self.mode() {
            Mode::Running { offset } => {
                let real = real();
                real.checked_add(offset).unwrap_or(real)
            }
            Mode::Frozen { at } => at,
        }
    }

    /// The instants the clock may be moved to: every date computed from "now" (a certificate's
    /// NotAfter, a CRL's nextUpdate, a schedule) then stays inside what dates can represent.
    fn check_range(at: OffsetDateTime) -> Result<OffsetDateTime, String> {
        let (lo, hi) = (
            time::macros::datetime!(1970-01-01 00:00 UTC),
            time::macros::datetime!(7999-12-31 23:59:59 UTC),
        );
        if at < lo || at > hi {
            return Err(format!(
                "{at} is outside the clock's range (1970-01-01 … 7999-12-31)"
            ));
        }
        Ok(at)
    }

    pub fn is_frozen(&self) -> bool {
        matches!(self.mode(), Mode::Frozen { .. })
    }

    /// Moves the clock to `at`, keeping its mode (a running clock keeps ticking from there).
    pub fn set(&self, at: OffsetDateTime) -> Result<(), String> {
        let at = Clock::check_range(at)?;
        self.change(|mode| match mode {
            Mode::Running { .. } => Mode::Running {
                offset: at - OffsetDateTime::now_utc(),
            },
            Mode::Frozen { .. } => Mode::Frozen { at },
        });
        Ok(())
    }

    /// Freezes the clock at its present instant, or sets a frozen one running from where it
    /// stands (`POST /__admin/clock {"frozen": bool}`); either way "now" does not jump.
    pub fn freeze(&self, frozen: bool) {
        self.change(|mode| {
            let now = match mode {
                Mode::Running { offset } => {
                    let real = OffsetDateTime::now_utc();
                    real.checked_add(offset).unwrap_or(real)
                }
                Mode::Frozen { at } => at,
            };
            if frozen {
                Mode::Frozen { at: now }
            } else {
                Mode::Running {
                    offset: now - OffsetDateTime::now_utc(),
                }
            }
        });
    }

    /// Moves the clock by `by` (may be negative).
    pub fn advance(&self, by: Duration) -> Result<(), String> {
        let target = self
            .now()
            .checked_add(by)
            .ok_or_else(|| "the clock would leave the representable dates".to_string())?;
        self.set(target)
    }

    /// Makes this clock behave like `other` (used when a scenario is reloaded or reset).
    pub fn assume(&self, other: &Clock) {
        let theirs = other.mode();
        self.change(|_| theirs);
    }
}

/// The real time as the system clock gives it, for a stamp made a date only when it is shown
/// (the journal's entries; [`Clock::stamp`] moves it to the emulator's time).
pub fn wall_stamp() -> std::time::SystemTime {
    std::time::SystemTime::now()
}

/// The real time of day, whatever the scenario clock says: the journal shows it beside the
/// scenario time so a person can tell entries of a frozen clock apart.
pub fn wall_now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// RFC 3339 UTC with milliseconds (`2026-06-01T08:00:00.123Z`), for wall-clock stamps.
pub fn wall_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{}.{:03}Z",
        wire_time(t).trim_end_matches('Z'),
        t.millisecond()
    )
}

/// The time format of `ValidFrom`/`ValidTo` and report dates: ISO 8601 UTC, as Json.NET writes
/// a `DateTime` of kind Utc (emulator-defined).
pub fn wire_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `30d`, `2h`, `15m`, `90s`, `250ms`, optionally negative.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    // Bounded before it is multiplied: Duration::days(i64::MAX) would overflow.
    let n: i64 = num
        .parse()
        .ok()
        .filter(|n: &i64| *n <= 1_000_000_000_000)
        .ok_or_else(|| {
            format!("'{text}' is not a duration like 30d, 2h, 15m, 90s, 250ms (at most 200 years)")
        })?;
    let d = match unit {
        "d" => Duration::days(n),
        "h" => Duration::hours(n),
        "m" => Duration::minutes(n),
        "s" | "" => Duration::seconds(n),
        "ms" => Duration::milliseconds(n),
        _ => return Err(format!("'{text}': unit '{unit}' is not d, h, m, s or ms")),
    };
    // Two centuries either way: far enough for any test, and no date arithmetic can overflow.
    if d > Duration::days(73_000) {
        return Err(format!("'{text}' is more than 200 years"));
    }
    Ok(if neg { -d } else { d })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_change_on_one_thread_is_read_at_once_on_another_that_kept_the_old_mode() {
        let c = Clock::frozen(datetime!(2026-06-01 08:00 UTC));
        let (to_reader, at_reader) = std::sync::mpsc::channel::<()>();
        let (to_main, at_main) = std::sync::mpsc::channel::<OffsetDateTime>();
        let reader = {
            let c = c.clone();
            std::thread::spawn(move || {
                // Keeps the frozen mode in its slot, then reads again after each change.
                to_main.send(c.now()).unwrap();
                while at_reader.recv().is_ok() {
                    to_main.send(c.now()).unwrap();
                }
            })
        };
        assert_eq!(at_main.recv().unwrap(), datetime!(2026-06-01 08:00 UTC));
        c.set(datetime!(2027-01-01 00:00 UTC)).unwrap();
        to_reader.send(()).unwrap();
        assert_eq!(at_main.recv().unwrap(), datetime!(2027-01-01 00:00 UTC));
        c.advance(Duration::hours(1)).unwrap();
        to_reader.send(()).unwrap();
        assert_eq!(at_main.recv().unwrap(), datetime!(2027-01-01 01:00 UTC));
        let other = Clock::frozen(datetime!(2030-05-05 05:05 UTC));
        c.assume(&other);
        to_reader.send(()).unwrap();
        assert_eq!(at_main.recv().unwrap(), datetime!(2030-05-05 05:05 UTC));
        drop(to_reader);
        reader.join().unwrap();
    }

    #[test]
    fn freezing_and_unfreezing_keep_the_instant() {
        let c = Clock::frozen(datetime!(2026-06-01 08:00 UTC));
        c.freeze(false);
        assert!(!c.is_frozen());
        let now = c.now();
        assert!(now >= datetime!(2026-06-01 08:00 UTC) && now < datetime!(2026-06-01 08:01 UTC));
        c.freeze(true);
        assert!(c.is_frozen());
        let at = c.now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(c.now(), at);
    }

    #[test]
    fn frozen_clock_moves_only_when_told() {
        let c = Clock::frozen(datetime!(2026-06-01 08:00 UTC));
        assert_eq!(c.now(), datetime!(2026-06-01 08:00 UTC));
        c.advance(Duration::days(30)).unwrap();
        assert_eq!(c.now(), datetime!(2026-07-01 08:00 UTC));
        c.set(datetime!(2030-01-01 00:00 UTC)).unwrap();
        assert_eq!(c.clone().now(), datetime!(2030-01-01 00:00 UTC));
    }

    #[test]
    fn a_stamp_is_the_real_time_moved_as_the_clock_is() {
        let at = |t: std::time::SystemTime| OffsetDateTime::from(t);
        let behind = Clock::starting_at(datetime!(2001-01-01 00:00 UTC));
        let ahead = Clock::starting_at(datetime!(2999-01-01 00:00 UTC));
        let frozen = Clock::frozen(datetime!(2026-06-01 08:00 UTC));
        // Read after the clocks started, as a request's is.
        let real = std::time::SystemTime::now();
        let stamped = at(behind.stamp(real));
        assert!(stamped >= datetime!(2001-01-01 00:00 UTC), "{stamped}");
        assert!(stamped < datetime!(2001-01-02 00:00 UTC), "{stamped}");
        let stamped = at(ahead.stamp(real));
        assert!(stamped >= datetime!(2999-01-01 00:00 UTC), "{stamped}");
        assert!(stamped < datetime!(2999-01-02 00:00 UTC), "{stamped}");
        assert_eq!(at(frozen.stamp(real)), datetime!(2026-06-01 08:00 UTC));
        assert_eq!(
            at(Clock::system().stamp(real)),
            at(real),
            "real time is the system's"
        );
    }

    #[test]
    fn running_clock_keeps_offset() {
        let c = Clock::starting_at(datetime!(2001-01-01 00:00 UTC));
        let t = c.now();
        assert!(t >= datetime!(2001-01-01 00:00 UTC) && t < datetime!(2001-01-02 00:00 UTC));
    }
}

/// A service-local time zone, as a fixed rule (no tz database).
///
/// `AsiaAlmaty` is UTC+6 until 2024-03-01T00:00 local time (2024-02-29T18:00Z) and UTC+5
/// from then on, when Kazakhstan moved to a single zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    AsiaAlmaty,
    Fixed(time::UtcOffset),
}

impl Zone {
    /// `Asia/Almaty`, `UTC`, or a fixed offset such as `UTC+05:00` / `+05:00`.
    pub fn parse(name: &str) -> Result<Zone, String> {
        if name == "Asia/Almaty" {
            return Ok(Zone::AsiaAlmaty);
        }
        if name == "UTC" {
            return Ok(Zone::Fixed(time::UtcOffset::UTC));
        }
        let t = name.strip_prefix("UTC").unwrap_or(name);
        let fmt = time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]");
        time::UtcOffset::parse(t, &fmt)
            .map(Zone::Fixed)
            .map_err(|_| format!("'{name}' is not a zone signsim knows: use Asia/Almaty, UTC, or a fixed offset like UTC+05:00"))
    }

    /// The offset in force at the instant `at`.
    pub fn offset_at(self, at: OffsetDateTime) -> time::UtcOffset {
        match self {
            Zone::Fixed(o) => o,
            Zone::AsiaAlmaty => {
                let switch = time::macros::datetime!(2024-02-29 18:00 UTC);
                let hours = if at < switch { 6 } else { 5 };
                time::UtcOffset::from_hms(hours, 0, 0).unwrap_or(time::UtcOffset::UTC)
            }
        }
    }

    /// `at` as local time in this zone.
    pub fn local(self, at: OffsetDateTime) -> OffsetDateTime {
        at.to_offset(self.offset_at(at))
    }

    /// The instant a local wall-clock time names.
    pub fn from_local(self, local: time::PrimitiveDateTime) -> OffsetDateTime {
        match self {
            Zone::Fixed(o) => local.assume_offset(o),
            Zone::AsiaAlmaty => {
                // Try the later rule first; a wall time before the switch uses UTC+6.
                let five = local
                    .assume_offset(self.offset_at(time::macros::datetime!(2025-01-01 0:00 UTC)));
                if self.offset_at(five).whole_hours() == 5 {
                    five
                } else {
                    local.assume_offset(
                        time::UtcOffset::from_hms(6, 0, 0).unwrap_or(time::UtcOffset::UTC),
                    )
                }
            }
        }
    }
}

#[cfg(test)]
mod zone_tests {
    use super::Zone;
    use time::macros::datetime;

    #[test]
    fn almaty_moved_from_utc6_to_utc5() {
        let z = Zone::parse("Asia/Almaty").unwrap();
        assert_eq!(z.offset_at(datetime!(2024-01-01 0:00 UTC)).whole_hours(), 6);
        assert_eq!(z.offset_at(datetime!(2026-06-01 8:00 UTC)).whole_hours(), 5);
        assert_eq!(
            z.from_local(datetime!(2026-06-01 13:00)),
            datetime!(2026-06-01 8:00 UTC)
        );
        assert_eq!(
            z.from_local(datetime!(2023-06-01 14:00)),
            datetime!(2023-06-01 8:00 UTC)
        );
        assert!(Zone::parse("Europe/Moscow").is_err());
        assert_eq!(
            Zone::parse("UTC+03:00")
                .unwrap()
                .offset_at(datetime!(2026-01-01 0:00 UTC))
                .whole_hours(),
            3
        );
    }
}
