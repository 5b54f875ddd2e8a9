//! The ready file CI waits for (docs/ci.md): removed before signsim binds,
//! so a script can never read yesterday's URL; written atomically once signsim accepts
//! connections (a temporary file in the same directory, then a rename, so a reader sees the
//! whole URL or nothing); removed again when signsim stops.

use super::StartError;
use std::path::Path;

fn error(path: &Path, error: impl Into<String>) -> StartError {
    StartError::ReadyFile {
        path: path.to_path_buf(),
        error: error.into(),
    }
}

/// Before binding: the directory must exist, and a stale file goes.
pub fn prepare(path: &Path) -> Result<(), StartError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(error(
            path,
            format!("the directory {} does not exist", dir.display()),
        ));
    }
    if path.is_dir() {
        return Err(error(path, "is a directory, not a file"));
    }
    match std::fs::remove_file(path) {
        Ok(()) => {
            tracing::info!("removed the stale ready file {}", path.display());
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(error(path, format!("cannot remove the stale file: {e}"))),
    }
}

/// Once accepting: `url` and a newline, all at once.
pub fn write(path: &Path, url: &str) -> Result<(), StartError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "ready".into());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, format!("{url}\n"))
        .map_err(|e| error(path, format!("cannot write {}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        error(path, format!("cannot rename {} to it: {e}", tmp.display()))
    })
}

/// On stop: the URL no longer answers, so the file goes.
pub fn remove(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!("cannot remove the ready file {}: {e}", path.display());
        }
    }
}
