//! A data directory: one sled database per generation and the `CURRENT` file naming the one
//! in force (the module doc of [`super`] explains why reset switches generations instead of
//! emptying a database in place). Everything here touches the filesystem; the memory backend
//! never reaches it.

use super::{files, flush, Span, StoreError, Stored, Table, TABLES};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One generation of a data directory, open in sled.
pub(super) struct Disk {
    pub(super) db: sled::Db,
    pub(super) trees: Vec<sled::Tree>,
    /// The data directory and this generation's name in it.
    pub(super) generation: (PathBuf, String),
    /// Group commit (see [`flush`]); joined before `retire` runs.
    pub(super) flusher: flush::Flusher,
    /// After every handle above: waits until sled has let go of the files.
    pub(super) _released: Released,
    /// Last, so the database is closed before a retired generation's files are removed.
    pub(super) retire: Retire,
}

impl Disk {
    pub(super) fn open(
        generation: (PathBuf, String),
        retire: Option<PathBuf>,
        cache_bytes: u64,
    ) -> Result<Disk, StoreError> {
        let (dir, name) = &generation;
        let db = sled::Config::new()
            .path(dir.join(name))
            .flush_every_ms(Some(500))
            .cache_capacity(cache_bytes)
            .open()?;
        let trees = TABLES
            .iter()
            .map(|(_, name)| db.open_tree(name))
            .collect::<Result<Vec<_>, _>>()?;
        let flusher = flush::Flusher::start(db.clone())?;
        let released = Released(dir.join(name).join("db"));
        Ok(Disk {
            db,
            trees,
            generation,
            flusher,
            _released: released,
            retire: Retire(Mutex::new(retire)),
        })
    }

    /// This generation's directory (the data directory itself in the layout before generations).
    pub(super) fn dir(&self) -> PathBuf {
        self.generation.0.join(&self.generation.1)
    }

    /// A value as sled holds it, or the file its marker names ([`files`]).
    pub(super) fn resolve(
        &self,
        t: Table,
        key: &[u8],
        v: sled::IVec,
    ) -> Result<Stored, StoreError> {
        if !files::is_marker(key, &v) {
            return Ok(Stored::Sled(v));
        }
        Ok(Stored::Sled(files::read(&self.dir(), t, key)?.into()))
    }

    pub(super) fn tree(&self, t: Table) -> &sled::Tree {
        &self.trees[t.index()]
    }

    pub(super) fn iter(&self, t: Table, span: Span<'_>) -> sled::Iter {
        match span {
            Span::Prefix(prefix) => self.tree(t).scan_prefix(prefix),
            Span::Range(start, end) => self.tree(t).range(start..end),
        }
    }
}

/// The current generation of the data directory `dir`, made when there is none; generations
/// that are not current (a crash mid-switch, a retired one still open when the process died)
/// are removed.
pub(super) fn current_generation(dir: &Path) -> Result<(PathBuf, String), StoreError> {
    let io = |e: std::io::Error| StoreError::Backend(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let name = match std::fs::read_to_string(dir.join(CURRENT)) {
        Ok(text) => text.trim().to_string(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if dir.join("conf").exists() || dir.join("db").exists() {
                // Sled files at the top: a data directory from before generations.
                ".".to_string()
            } else {
                let first = "gen-000001".to_string();
                std::fs::create_dir_all(dir.join(&first)).map_err(io)?;
                switch_current(dir, &first).map_err(io)?;
                first
            }
        }
        Err(e) => return Err(io(e)),
    };
    if name != "." && generation_number(&name).is_none() {
        return Err(StoreError::Corrupt(format!(
            "{} names '{name}', not a store generation",
            dir.join(CURRENT).display()
        )));
    }
    // Leftovers of a crash between opening a generation and switching to it, or of a
    // retired generation still open when the process died.
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let other = e.file_name().to_string_lossy().to_string();
            if generation_number(&other).is_some() && other != name {
                remove_generation(&e.path());
            }
        }
    }
    Ok((dir.to_path_buf(), name))
}

impl Disk {
    /// The next generation beside this one, created empty: its name and its directory (to
    /// remove should it never become current).
    pub(super) fn next_generation(&self) -> Result<((PathBuf, String), PathBuf), StoreError> {
        let (dir, current) = &self.generation;
        let io = |e: std::io::Error| StoreError::Backend(format!("{}: {e}", dir.display()));
        let mut highest = generation_number(current).unwrap_or(0);
        for e in std::fs::read_dir(dir).map_err(io)?.flatten() {
            if let Some(n) = generation_number(&e.file_name().to_string_lossy()) {
                highest = highest.max(n);
            }
        }
        let name = format!("gen-{:06}", highest + 1);
        let path = dir.join(&name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).map_err(io)?;
        Ok(((dir.clone(), name), path))
    }

    /// Makes this generation current, all of it flushed first; `old` is removed once its last
    /// handle drops.
    pub(super) fn commit(&self, old: Option<&Disk>) -> Result<(), StoreError> {
        let (dir, name) = &self.generation;
        self.db.flush()?;
        // The generation's own directory entries first, so the switch never names files a
        // power cut could lose.
        std::fs::File::open(dir.join(name))
            .and_then(|d| d.sync_all())
            .map_err(|e| StoreError::Backend(format!("syncing {}: {e}", dir.display())))?;
        switch_current(dir, name)
            .map_err(|e| StoreError::Backend(format!("switching {}: {e}", dir.display())))?;
        *crate::sync::lock(&self.retire.0) = None;
        if let Some(old) = old {
            let (old_dir, old_name) = &old.generation;
            *crate::sync::lock(&old.retire.0) = Some(old_dir.join(old_name));
        }
        Ok(())
    }
}

/// What to delete when the last handle of a generation drops.
#[derive(Default)]
pub(super) struct Retire(Mutex<Option<PathBuf>>);

impl Drop for Retire {
    fn drop(&mut self) {
        if let Some(dir) = crate::sync::lock(&self.0).take() {
            remove_generation(&dir);
        }
    }
}

/// sled's database file of a generation, whose release its drop waits for.
///
/// sled holds an exclusive lock (`flock`) on its database file for as long as the file is
/// open, and the file closes with the last reference inside sled — which is not always the
/// last handle: a write sled began on one of its own I/O threads (`sled-io-*`, a process-wide
/// pool that outlives every database) holds the log until it finishes, after the handle's drop
/// has returned. Opening the generation again in that window failed with "could not acquire
/// lock" (a store reopened right after being dropped, about 2 reopens in 100 with six stores at
/// work in one process), and a retired generation's files were removed while still written. So
/// dropping the last handle waits, up to [`RELEASE_WAIT`], until the lock is free: once it
/// returns, no thread of this process holds the database.
pub(super) struct Released(PathBuf);

/// How long dropping a store waits for sled's threads to let go of its files (they take a
/// write's time: milliseconds); past it, a warning and the drop goes on.
const RELEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl Drop for Released {
    fn drop(&mut self) {
        if !wait_unlocked(&self.0, RELEASE_WAIT) {
            tracing::warn!(
                "sled still held {} {} s after the store was dropped",
                self.0.display(),
                RELEASE_WAIT.as_secs()
            );
        }
    }
}

/// Waits until nobody holds `file`'s `flock` (taking and releasing it at once), at most
/// `limit`; false if it was still held then. A file that is gone is free.
#[cfg(unix)]
fn wait_unlocked(file: &Path, limit: std::time::Duration) -> bool {
    use std::os::unix::io::AsRawFd;
    let Ok(f) = std::fs::File::open(file) else {
        return true;
    };
    let start = std::time::Instant::now();
    loop {
        // SAFETY: flock on a descriptor that `f` owns for the whole call.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            // SAFETY: as above; closing `f` would release it too.
            unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_UN) };
            return true;
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::EWOULDBLOCK) | Some(libc::EINTR) => {}
            // A filesystem without flock: sled could not have locked it either.
            _ => return true,
        }
        if start.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

#[cfg(not(unix))]
fn wait_unlocked(_file: &Path, _limit: std::time::Duration) -> bool {
    true
}

/// The name of the file naming the current generation.
const CURRENT: &str = "CURRENT";
/// Files sled keeps at the top of its directory (a data directory from before generations).
const SLED_FILES: [&str; 4] = ["conf", "db", "blobs", "files"];

fn remove_generation(dir: &Path) {
    if dir.join(CURRENT).exists() {
        // A data directory of the old layout: only sled's own files go.
        for name in SLED_FILES {
            let p = dir.join(name);
            let _ = std::fs::remove_dir_all(&p).or_else(|_| std::fs::remove_file(&p));
        }
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with("snap.") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    } else if let Err(e) = std::fs::remove_dir_all(dir) {
        tracing::warn!(
            "could not remove the retired store generation {}: {e}",
            dir.display()
        );
    }
}

fn generation_number(name: &str) -> Option<u64> {
    name.strip_prefix("gen-")?.parse().ok()
}

/// Writes `CURRENT` = `name` by an atomic rename, both synced to disk.
fn switch_current(dir: &Path, name: &str) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = dir.join(format!("{CURRENT}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(format!("{name}\n").as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, dir.join(CURRENT))?;
    std::fs::File::open(dir)?.sync_all()
}
