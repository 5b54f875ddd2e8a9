//! `signsim fixtures export DIR`: the embedded fixtures, the default scenario and a README
//! written into DIR, and nowhere else.
//!
//! DIR must be new or empty unless `--force` is given (then the files it writes are replaced and
//! every other file is left alone). Nothing is written through a symbolic link: DIR itself, a
//! directory on the way to a file, or a file it would replace being a link is refused, naming
//! the path, before anything is written. Each file is written to a temporary file created new
//! beside it (`O_EXCL`, `O_NOFOLLOW`), synced, then renamed over its name, so an interrupted
//! export leaves whole files and a concurrent reader never sees half of one.

use super::embedded::{DEFAULT_SCENARIO, EXPORT_README, FILES};
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// Every file an export writes, by its path relative to DIR, with its bytes.
pub fn files() -> Vec<(String, &'static [u8])> {
    let mut all: Vec<(String, &'static [u8])> = FILES
        .iter()
        .map(|(rel, bytes)| (format!("fixtures/{rel}"), *bytes))
        .collect();
    all.push(("scenarios/default.toml".into(), DEFAULT_SCENARIO.as_bytes()));
    all.push(("README.md".into(), EXPORT_README.as_bytes()));
    all
}

/// Writes [`files`] under `dir` (created when missing); returns the paths written. A non-empty
/// `dir` is refused unless `force`; a symbolic link anywhere under it is refused always.
pub fn export(dir: &Path, force: bool) -> Result<Vec<PathBuf>, String> {
    let files = files();
    prepare_dir(dir, force)?;
    let problems: Vec<String> = files
        .iter()
        .filter_map(|(rel, _)| check_path(dir, rel).err())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !problems.is_empty() {
        return Err(format!(
            "nothing written: {}; signsim writes only real files in real directories under {} and never through a symbolic link",
            problems.join("; "),
            dir.display()
        ));
    }
    let mut written = Vec::with_capacity(files.len());
    for (rel, bytes) in &files {
        written.push(write_file(dir, rel, bytes)?);
    }
    Ok(written)
}

/// DIR itself: created when missing; refused when a link, not a directory, or (without
/// `force`) not empty.
fn prepare_dir(dir: &Path, force: bool) -> Result<(), String> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == ErrorKind::NotFound => fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display())),
        Err(e) => Err(format!("cannot read {}: {e}", dir.display())),
        Ok(m) if m.file_type().is_symlink() => Err(format!(
            "{} is a symbolic link{}: nothing written; give the directory itself (signsim never writes through a link)",
            dir.display(),
            fs::read_link(dir)
                .map(|t| format!(" (to {})", t.display()))
                .unwrap_or_default()
        )),
        Ok(m) if !m.is_dir() => Err(format!(
            "{} exists and is not a directory: nothing written; give a new or empty directory",
            dir.display()
        )),
        Ok(_) => {
            let mut entries = fs::read_dir(dir)
                .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
            match entries.next() {
                Some(first) if !force => Err(format!(
                    "{} is not empty (it holds {}{}): nothing written; give a new or empty directory, or pass --force to replace the files an export writes there (fixtures/, scenarios/default.toml, README.md; other files are left alone)",
                    dir.display(),
                    first
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .unwrap_or_else(|_| "an entry".into()),
                    match entries.count() {
                        0 => String::new(),
                        n => format!(" and {n} more"),
                    }
                )),
                _ => Ok(()),
            }
        }
    }
}

/// `dir/rel` may be written: every directory on the way is a real directory or missing, and
/// the file is a regular file or missing. Else the path at fault, and why.
fn check_path(dir: &Path, rel: &str) -> Result<(), String> {
    let parts: Vec<&str> = rel.split('/').collect();
    let mut path = dir.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        let last = i + 1 == parts.len();
        let m = match fs::symlink_metadata(&path) {
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
            Ok(m) => m,
        };
        if m.file_type().is_symlink() {
            return Err(format!("{} is a symbolic link", path.display()));
        }
        match (last, m.is_dir(), m.is_file()) {
            (false, true, _) | (true, _, true) => {}
            (false, false, _) => return Err(format!("{} is not a directory", path.display())),
            (true, _, false) => return Err(format!("{} is not a regular file", path.display())),
        }
    }
    Ok(())
}

/// Creates each missing directory of `rel` one by one (never following a link that appeared
/// since the check), then writes the file atomically.
fn write_file(dir: &Path, rel: &str, bytes: &[u8]) -> Result<PathBuf, String> {
    let (parents, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    let mut parent = dir.to_path_buf();
    for part in parents.split('/').filter(|p| !p.is_empty()) {
        parent.push(part);
        match fs::create_dir(&parent) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                let m = fs::symlink_metadata(&parent)
                    .map_err(|e| format!("cannot read {}: {e}", parent.display()))?;
                if !m.is_dir() {
                    return Err(format!(
                        "{} is not a directory (a symbolic link or a file appeared during the export): stopped",
                        parent.display()
                    ));
                }
            }
            Err(e) => return Err(format!("cannot create {}: {e}", parent.display())),
        }
    }
    let target = parent.join(name);
    let tmp = write_temporary(&parent, name, bytes)?;
    let result = {
        if fs::symlink_metadata(&target).is_ok_and(|m| !m.is_file()) {
            Err(format!(
                "{} is not a regular file (a symbolic link appeared during the export): stopped",
                target.display()
            ))
        } else {
            // rename replaces the directory entry itself: it never writes through a link.
            fs::rename(&tmp, &target).map_err(|e| format!("cannot write {}: {e}", target.display()))
        }
    };
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map(|()| target)
}

/// `parent/.NAME.signsim-PID-N.tmp`, a name that did not exist, holding `bytes`, synced.
fn write_temporary(parent: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, String> {
    let pid = std::process::id();
    let mut n = 0;
    loop {
        let tmp = parent.join(format!(".{name}.signsim-{pid}-{n}.tmp"));
        match write_new(&tmp, bytes) {
            Err((kind, _)) if kind == ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err((_, message)) => return Err(message),
            Ok(()) => return Ok(tmp),
        }
    }
}

/// A file that did not exist, created (never through a link), written and synced.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), (ErrorKind, String)> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let mut file = options
        .open(path)
        .map_err(|e| (e.kind(), format!("cannot create {}: {e}", path.display())))?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    written.map_err(|e| {
        let _ = fs::remove_file(path);
        (e.kind(), format!("cannot write {}: {e}", path.display()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_export_path_is_relative_and_plain() {
        for (rel, _) in files() {
            assert!(
                !rel.starts_with('/')
                    && rel
                        .split('/')
                        .all(|p| !p.is_empty() && p != "." && p != ".."),
                "{rel}"
            );
        }
    }

    #[test]
    fn a_temporary_file_left_behind_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        fs::write(&victim, "mine").unwrap();
        let tmp = dir.path().join("x.tmp");
        std::os::unix::fs::symlink(&victim, &tmp).unwrap();
        assert!(write_new(&tmp, b"theirs").is_err());
        assert_eq!(fs::read_to_string(&victim).unwrap(), "mine");
    }
}
