//! Room to write: the free space under the store, measured before each write of a request, and
//! the watermark below which writes are refused (`--min-free`).
//!
//! Why: sled 0.34 does not recover from a failed write. When its flush met a full disk, the
//! flush thread waited forever holding sled's concurrency lock, every transaction and read
//! queued behind it, and the server stopped answering. So the store never lets sled reach a
//! full disk: a request's write is refused, in its API's own error shape, while the data
//! directory's filesystem has less free than the watermark plus twice what the write adds
//! (sled writes a value to its log, and again when it rewrites segments). Reads, the control
//! API and `/__admin/health` go on; writes resume by themselves once space is freed.
//!
//! Without a data directory the store lives in process memory, and the same rule holds for the
//! memory the process may still take (`MemAvailable`, and the cgroup's `memory.max` less its
//! `memory.current` when it sets one): the store refuses to grow into the last of it rather
//! than the kernel's OOM killer ending the server.
//!
//! Cost: one `statvfs` (or, in memory, one read of `/proc/meminfo`) at most every
//! [`FRESH_FOR`]; between measurements, what was written since is subtracted, so a burst of
//! writes cannot overshoot the watermark on a stale figure.

use super::StoreError;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a measurement stands before a write measures again.
const FRESH_FOR: Duration = Duration::from_millis(20);
const MIB: u64 = 1024 * 1024;

/// The watermark as configured: `--min-free`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MinFree {
    /// The larger of 64 MiB and 2 % of the filesystem (or of the memory) the store is on.
    Auto,
    Bytes(u64),
    /// A share of the filesystem's (or the memory's) size, in percent.
    Percent(f64),
}

impl MinFree {
    /// `auto`, a size (`64MiB`, `512KiB`, `1GiB`, `1048576`) or a share (`2%`).
    pub fn parse(text: &str) -> Result<MinFree, String> {
        let t = text.trim();
        let bad = || {
            format!("'{text}' is not a size such as 64MiB, 1GiB or 1048576, a share such as 2%, or auto")
        };
        if t.eq_ignore_ascii_case("auto") {
            return Ok(MinFree::Auto);
        }
        if let Some(p) = t.strip_suffix('%') {
            let p: f64 = p.trim().parse().map_err(|_| bad())?;
            return if (0.0..=100.0).contains(&p) {
                Ok(MinFree::Percent(p))
            } else {
                Err(format!("'{text}': a share is between 0% and 100%"))
            };
        }
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (digits, unit) = t.split_at(split);
        let n: u64 = digits.parse().map_err(|_| bad())?;
        let scale = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" | "kib" => 1024,
            "m" | "mb" | "mib" => MIB,
            "g" | "gb" | "gib" => 1024 * MIB,
            _ => return Err(bad()),
        };
        n.checked_mul(scale).map(MinFree::Bytes).ok_or_else(bad)
    }

    /// The watermark in bytes on a filesystem (or memory) of `total` bytes.
    fn bytes(self, total: u64) -> u64 {
        match self {
            MinFree::Auto => (64 * MIB).max(total / 50),
            MinFree::Bytes(b) => b,
            MinFree::Percent(p) => (total as f64 * p / 100.0) as u64,
        }
    }
}

impl std::fmt::Display for MinFree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MinFree::Auto => write!(f, "auto (the larger of 64 MiB and 2 %)"),
            MinFree::Bytes(b) => write!(f, "{}", size(*b)),
            MinFree::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// What the store is kept on.
#[derive(Debug)]
enum Probe {
    /// The filesystem of the data directory.
    Disk(PathBuf),
    Memory,
}

/// The room left under one store (shared by its generations: reset keeps measuring).
#[derive(Debug)]
pub struct Space {
    probe: Probe,
    min_free: MinFree,
    last: Mutex<Option<Measured>>,
    /// The free space the last refused write needed, until a write passes again: while the
    /// disk has less, health reports writes as refused.
    refused: Mutex<Option<u64>>,
}

#[derive(Clone, Copy, Debug)]
struct Measured {
    at: Instant,
    free: u64,
    total: u64,
    /// Bytes written since `at`, taken off `free` until the next measurement.
    written: u64,
}

/// The room as `/__admin/health` shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Room {
    /// `disk` (the data directory's filesystem) or `memory`.
    pub on: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    pub free_bytes: u64,
    pub total_bytes: u64,
    /// Writes are refused below this.
    pub min_free_bytes: u64,
    pub min_free: String,
    /// Whether writes are being refused now: less free than the watermark, or than the last
    /// refused write needed (the watermark and twice its size).
    pub full: bool,
}

impl Space {
    pub fn disk(dir: &Path, min_free: MinFree) -> Space {
        Space::new(Probe::Disk(dir.to_path_buf()), min_free)
    }

    pub fn memory(min_free: MinFree) -> Space {
        Space::new(Probe::Memory, min_free)
    }

    fn new(probe: Probe, min_free: MinFree) -> Space {
        Space {
            probe,
            min_free,
            last: Mutex::new(None),
            refused: Mutex::new(None),
        }
    }

    /// The room now (a fresh measurement), as health shows it.
    pub fn room(&self) -> Room {
        let m = self.measured(true);
        let min = self.min_free.bytes(m.total);
        let refused = crate::sync::lock(&self.refused).is_some_and(|need| m.free < need);
        Room {
            on: self.on(),
            path: match &self.probe {
                Probe::Disk(p) => Some(p.clone()),
                Probe::Memory => None,
            },
            free_bytes: m.free,
            total_bytes: m.total,
            min_free_bytes: min,
            min_free: self.min_free.to_string(),
            full: m.free < min || refused,
        }
    }

    /// Whether a write adding about `bytes` fits above the watermark; the refusal says what
    /// is full, how full, and that writes resume once space is freed.
    pub fn check(&self, bytes: u64) -> Result<(), StoreError> {
        let m = self.measured(false);
        let min = self.min_free.bytes(m.total);
        let need = min.saturating_add(bytes.saturating_mul(2));
        let free = m.free.saturating_sub(m.written);
        if free >= need {
            if bytes > 0 {
                *crate::sync::lock(&self.refused) = None;
            }
            return Ok(());
        }
        *crate::sync::lock(&self.refused) = Some(need);
        Err(StoreError::Full(self.describe(free, min, bytes)))
    }

    /// Counts `bytes` just written against the last measurement.
    pub fn wrote(&self, bytes: u64) {
        if let Some(m) = crate::sync::lock(&self.last).as_mut() {
            m.written = m.written.saturating_add(bytes);
        }
    }

    fn on(&self) -> &'static str {
        match self.probe {
            Probe::Disk(_) => "disk",
            Probe::Memory => "memory",
        }
    }

    fn describe(&self, free: u64, min: u64, bytes: u64) -> String {
        let what = match &self.probe {
            Probe::Disk(p) => format!(
                "the disk holding the data directory {} is full: {} free",
                p.display(),
                size(free)
            ),
            Probe::Memory => format!(
                "the memory holding signsim's in-memory store is nearly used up: {} available",
                size(free)
            ),
        };
        let write = if bytes >= MIB {
            format!(" (this write adds {})", size(bytes))
        } else {
            String::new()
        };
        format!(
            "{what}{write}, and signsim keeps {} free (--min-free {}) so that its store never meets a full {}; nothing was written — writes resume by themselves once space is freed, reads go on",
            size(min),
            self.min_free,
            self.on()
        )
    }

    /// The last measurement, or a new one when it is older than [`FRESH_FOR`] (or `now`).
    fn measured(&self, now: bool) -> Measured {
        let mut last = crate::sync::lock(&self.last);
        match *last {
            Some(m) if !now && m.at.elapsed() < FRESH_FOR => m,
            _ => {
                let (free, total) = match &self.probe {
                    Probe::Disk(dir) => disk_free(dir),
                    Probe::Memory => memory_free(),
                };
                let m = Measured {
                    at: Instant::now(),
                    free,
                    total,
                    written: 0,
                };
                *last = Some(m);
                m
            }
        }
    }
}

/// Free bytes for an unprivileged writer and the size of the filesystem holding `dir`. When it
/// cannot be measured (a filesystem without statvfs), as much room as could be wished: the
/// watermark is then not in the way.
fn disk_free(dir: &Path) -> (u64, u64) {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return (u64::MAX, u64::MAX);
    };
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is a valid C string and `s` a valid out-pointer for the call.
    if unsafe { libc::statvfs(path.as_ptr(), &mut s) } != 0 {
        return (u64::MAX, u64::MAX);
    }
    let unit = s.f_frsize as u64;
    (
        (s.f_bavail as u64).saturating_mul(unit),
        (s.f_blocks as u64).saturating_mul(unit),
    )
}

/// The memory the process may still take and the memory it could have at most: the machine's
/// `MemAvailable`/`MemTotal`, narrowed by the cgroup (v2) limit when one is set.
fn memory_free() -> (u64, u64) {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let field = |name: &str| -> Option<u64> {
        let line = meminfo.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib * 1024)
    };
    let mut free = field("MemAvailable:").unwrap_or(u64::MAX);
    let mut total = field("MemTotal:").unwrap_or(u64::MAX);
    let cgroup = |file: &str| -> Option<u64> {
        std::fs::read_to_string(Path::new("/sys/fs/cgroup").join(file))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    if let (Some(max), Some(current)) = (cgroup("memory.max"), cgroup("memory.current")) {
        free = free.min(max.saturating_sub(current));
        total = total.min(max);
    }
    (free, total)
}

/// A byte count for people: `3.1 MiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_free_reads_sizes_shares_and_auto() {
        assert_eq!(MinFree::parse("auto"), Ok(MinFree::Auto));
        assert_eq!(MinFree::parse("64MiB"), Ok(MinFree::Bytes(64 * MIB)));
        assert_eq!(MinFree::parse("512 KiB"), Ok(MinFree::Bytes(512 * 1024)));
        assert_eq!(MinFree::parse("1GiB"), Ok(MinFree::Bytes(1024 * MIB)));
        assert_eq!(MinFree::parse("1048576"), Ok(MinFree::Bytes(MIB)));
        assert_eq!(MinFree::parse("2%"), Ok(MinFree::Percent(2.0)));
        for bad in ["", "lots", "-1", "5XB", "120%", "1.5MiB"] {
            let e = MinFree::parse(bad).unwrap_err();
            assert!(e.contains(&format!("'{bad}'")), "{bad}: {e}");
        }
    }

    #[test]
    fn auto_is_the_larger_of_64_mib_and_2_percent() {
        assert_eq!(MinFree::Auto.bytes(100 * MIB), 64 * MIB);
        assert_eq!(MinFree::Auto.bytes(10_000 * MIB), 200 * MIB);
        assert_eq!(MinFree::Percent(10.0).bytes(1000), 100);
    }

    #[test]
    fn a_write_is_refused_below_the_watermark_plus_twice_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let space = Space::disk(dir.path(), MinFree::Bytes(50 * MIB));
        // A measurement that stays fresh for the whole test: 100 MiB free.
        *crate::sync::lock(&space.last) = Some(Measured {
            at: Instant::now() + Duration::from_secs(3600),
            free: 100 * MIB,
            total: 1000 * MIB,
            written: 0,
        });
        space.check(MIB).unwrap();
        let e = space.check(30 * MIB).unwrap_err().to_string();
        assert!(e.contains("is full: 100.0 MiB free"), "{e}");
        assert!(e.contains("this write adds 30.0 MiB"), "{e}");
        assert!(
            e.contains("keeps 50.0 MiB free (--min-free 50.0 MiB)"),
            "{e}"
        );
        assert!(
            e.contains("writes resume by themselves once space is freed"),
            "{e}"
        );
        // What was written since the last measurement counts until the next one.
        space.wrote(49 * MIB);
        let e = space.check(MIB).unwrap_err().to_string();
        assert!(e.contains("is full: 51.0 MiB free"), "{e}");
        space.check(0).unwrap();
    }

    #[test]
    fn a_real_directory_is_measured() {
        let dir = tempfile::tempdir().unwrap();
        let room = Space::disk(dir.path(), MinFree::Bytes(1)).room();
        assert!(
            room.free_bytes > 0 && room.free_bytes <= room.total_bytes,
            "{room:?}"
        );
        assert!(!room.full);
        let room = Space::disk(dir.path(), MinFree::Percent(100.0)).room();
        assert!(room.full, "{room:?}");
    }

    #[test]
    fn memory_is_measured() {
        let room = Space::memory(MinFree::Auto).room();
        assert!(
            room.free_bytes > 0 && room.free_bytes <= room.total_bytes,
            "{room:?}"
        );
        assert_eq!(room.on, "memory");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(12), "12 bytes");
        assert_eq!(size(3 * MIB + MIB / 10), "3.1 MiB");
    }
}
