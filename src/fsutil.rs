//! Atomic file replacement: write a temporary file beside the target, then
//! rename it over, so a crash never leaves a half-written policy. Devices
//! and pipes are written in place.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Most symbolic links followed to the file they lead to (as the kernel's
/// own bound, so a loop ends).
const MAX_LINKS: usize = 40;

/// The file a write to `path` should replace: `path` itself, or, through
/// symbolic links, the file they lead to. Renaming over the link itself
/// would turn it into a copy and leave the file it shared untouched. A
/// link that leads nowhere is written where it leads.
fn target(path: &Path) -> PathBuf {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        // Fails for anything but a link.
        let Ok(next) = std::fs::read_link(&p) else {
            break;
        };
        p = match p.parent() {
            Some(dir) if next.is_relative() => dir.join(next),
            _ => next,
        };
    }
    p
}

/// Writes `bytes` to `path` so that a crash never leaves it half written.
/// A path that is not a regular file (`/dev/null`, `/dev/stdout`, a named
/// pipe) is written in place: renaming a file over it would replace the
/// device itself.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // Checked through the links as the kernel follows them (`/dev/stdout`
    // leads to `/proc/self/fd/1`, whose link text names no file).
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() {
            return std::fs::OpenOptions::new()
                .write(true)
                .open(path)?
                .write_all(bytes);
        }
    }
    let path = &target(path);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().to_string());
    let tmp = dir.join(format!(".{name}.guardctl-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        // Keep the original file's permissions.
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A named pipe (like `/dev/null` or `/dev/stdout`, no regular file)
    /// is written through, and stays a pipe.
    #[test]
    fn writes_into_a_pipe_in_place() {
        use std::io::Read;
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("out.json");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            return; // no mkfifo here
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut s = String::new();
                std::fs::File::open(fifo)
                    .unwrap()
                    .read_to_string(&mut s)
                    .unwrap();
                s
            })
        };
        write_atomic(&fifo, b"bundle").unwrap();
        assert_eq!(reader.join().unwrap(), "bundle");
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo());
        // Nothing was left beside it.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// Through a chain of links (relative and absolute), the file at the
    /// end is replaced and the links stay links; a link into a missing
    /// file creates it.
    #[test]
    fn writes_through_symbolic_links() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/real.yaml"), "old").unwrap();
        std::os::unix::fs::symlink("sub/real.yaml", d.join("a.yaml")).unwrap();
        std::os::unix::fs::symlink(d.join("a.yaml"), d.join("b.yaml")).unwrap();
        write_atomic(&d.join("b.yaml"), b"new").unwrap();
        assert_eq!(
            std::fs::read_to_string(d.join("sub/real.yaml")).unwrap(),
            "new"
        );
        for link in ["a.yaml", "b.yaml"] {
            let m = std::fs::symlink_metadata(d.join(link)).unwrap();
            assert!(m.file_type().is_symlink(), "{link}");
        }
        std::os::unix::fs::symlink("missing.json", d.join("out.json")).unwrap();
        write_atomic(&d.join("out.json"), b"{}").unwrap();
        assert_eq!(
            std::fs::read_to_string(d.join("missing.json")).unwrap(),
            "{}"
        );
        // A loop of links ends; the write replaces the last one reached.
        std::os::unix::fs::symlink("loop2", d.join("loop1")).unwrap();
        std::os::unix::fs::symlink("loop1", d.join("loop2")).unwrap();
        write_atomic(&d.join("loop1"), b"x").unwrap();
    }
}
