//! Large raw values of a data directory live in files of their own beside sled (`gen-NNNNNN/files/`),
//! and sled keeps a small marker in their place.
//!
//! Why: sled 0.34 keeps up to 16 values in a leaf and rewrites the leaf when one changes, so
//! uploaded documents of tens of kilobytes made leaves of half a megabyte: a data directory of
//! 15 500 documents of 40 KB took 1.2 GB and the server grew past 300 MiB while uploading,
//! whatever sled's cache capacity said. A file per value is written once, read when asked for,
//! and never held in memory.
//!
//! Durability: the file is written to a temporary name and renamed into place before the
//! transaction that stores the marker commits; the flush that makes the marker durable syncs the
//! file and its directory first (one sync per file and per directory for a whole batch of
//! transactions, see [`super::flush`]), so a marker on disk always names a whole file. A file
//! whose marker never committed (a crash, a refusal after the write) is removed: at once when the
//! transaction did not commit, else by a sweep after the next open, which runs beside the
//! requests (a data directory of 15 500 documents starts in about 100 ms instead of 300 with the
//! sweep in its way).
//!
//! The marker is a magic prefix followed by the value's own key: a stored value is read as a
//! marker only when it names the key it is stored under, so no uploaded bytes can pass for one.

use super::{StoreError, Table};
use std::path::{Path, PathBuf};

/// Raw values longer than this go to a file.
pub const INLINE_MAX: usize = 16 * 1024;
const MAGIC: &[u8] = b"\0signsim-file\0";
const DIR: &str = "files";

/// The marker stored in sled in place of `key`'s value.
pub fn marker(key: &[u8]) -> Vec<u8> {
    [MAGIC, key].concat()
}

/// Whether `value`, stored under `key`, is the marker of a file.
pub fn is_marker(key: &[u8], value: &[u8]) -> bool {
    value.len() == MAGIC.len() + key.len()
        && value.starts_with(MAGIC)
        && &value[MAGIC.len()..] == key
}

/// The file holding `key`'s value of table `t` in the generation directory `generation`.
pub fn path(generation: &Path, t: Table, key: &[u8]) -> PathBuf {
    generation
        .join(DIR)
        .join(format!("{}-{}", t.index(), crate::crypto::hex(key)))
}

/// Writes `value` to its file (a temporary file renamed into place; the flush that makes its
/// marker durable syncs the file and its directory first, see [`sync`]); its path, and whether
/// it existed already (then a failed transaction must leave it).
pub fn write(
    generation: &Path,
    t: Table,
    key: &[u8],
    value: &[u8],
) -> Result<(PathBuf, bool), StoreError> {
    use std::io::Write;
    let target = path(generation, t, key);
    let dir = generation.join(DIR);
    let io = |what: &str, e: std::io::Error| {
        StoreError::Backend(format!("{what} {}: {e}", target.display()))
    };
    std::fs::create_dir_all(&dir).map_err(|e| io("creating the directory of", e))?;
    let existed = target.exists();
    let tmp = dir.join(format!(
        ".{}.tmp",
        target.file_name().unwrap_or_default().to_string_lossy()
    ));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(value)?;
        std::fs::rename(&tmp, &target)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io("writing", e));
    }
    Ok((target, existed))
}

/// Syncs `written` files and each directory holding them: called by the flush thread before
/// sled's flush, so all the files of a batch of transactions share the wait. A file gone since
/// (its transaction did not commit and removed it) is skipped.
pub fn sync(written: &[PathBuf]) -> std::io::Result<()> {
    let mut dirs = std::collections::BTreeSet::new();
    for file in written {
        match std::fs::File::open(file) {
            Ok(f) => f.sync_all()?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        }
        if let Some(dir) = file.parent() {
            dirs.insert(dir.to_path_buf());
        }
    }
    for dir in dirs {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// The value of a marker's file.
pub fn read(generation: &Path, t: Table, key: &[u8]) -> Result<Vec<u8>, StoreError> {
    let p = path(generation, t, key);
    std::fs::read(&p).map_err(|e| StoreError::Backend(format!("reading {}: {e}", p.display())))
}

/// The files of a generation directory, to be checked by [`sweep_one`] (a crash between a file
/// and its transaction's commit leaves one no marker names).
pub fn listed(generation: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(generation.join(DIR))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// Removes `file` unless a committed marker names it (temporary files always go). The caller
/// holds the store's write lock, so no transaction is between writing a file and committing its
/// marker meanwhile.
pub fn sweep_one(file: &Path, trees: &[sled::Tree]) {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let named = name.split_once('-').and_then(|(t, hex)| {
        let index: usize = t.parse().ok()?;
        Some((trees.get(index)?, unhex(hex)?))
    });
    let committed = named.is_some_and(|(tree, key)| {
        tree.get(&key)
            .ok()
            .flatten()
            .is_some_and(|v| is_marker(&key, &v))
    });
    if !committed {
        let _ = std::fs::remove_file(file);
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_is_read_as_one_only_under_its_own_key() {
        let m = marker(b"abc");
        assert!(is_marker(b"abc", &m));
        assert!(!is_marker(b"abd", &m));
        assert!(!is_marker(b"abc", b"plain bytes"));
        // Bytes that look like another key's marker are a value, not a marker.
        assert!(!is_marker(b"x", &marker(b"abc")));
    }

    #[test]
    fn names_round_trip() {
        let key = b"\x00\xffkey";
        let p = path(Path::new("/g"), Table::PodFiles, key);
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let (_, hex) = name.split_once('-').unwrap();
        assert_eq!(unhex(hex).unwrap(), key);
    }
}
