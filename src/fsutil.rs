//! Atomic file replacement: write an exclusively created temporary file
//! beside the target, then rename it over, so a crash never leaves a
//! half-written policy. Devices and pipes are written in place, and so
//! are hard-linked files (once complete), so their links hold. Outputs
//! that are an input of the same run are refused.

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

/// Writes `bytes` to `path` so that a crash never leaves it half written
/// ([`Replacement`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut r = Replacement::create(path)?;
    r.write_all(bytes)?;
    r.commit()
}

/// A file being written that replaces `path` only when it is complete.
///
/// A path that is not a regular file (`/dev/null`, `/dev/stdout`, a named
/// pipe) is written in place: renaming a file over it would replace the
/// device itself. So is a file with other hard links: a rename would
/// split it from them, so its content is replaced in place once the new
/// text is complete. A missing parent directory is created.
///
/// The temporary file is created exclusively (`O_EXCL`) under an
/// unpredictable name in the target's directory, so a file or link planted
/// beside the target can neither be followed nor overwritten; it takes the
/// replaced file's permissions (and, where allowed, its owner) before it is
/// renamed over it. Every write error, a full disk's included, is returned.
pub struct Replacement {
    how: How,
}

enum How {
    InPlace(std::io::BufWriter<std::fs::File>),
    /// A hard-linked file: the text is kept and written over it at the end.
    Linked(PathBuf, Vec<u8>),
    Renamed(PathBuf, std::io::BufWriter<tempfile::NamedTempFile>),
}

impl Replacement {
    pub fn create(path: &Path) -> std::io::Result<Replacement> {
        // Checked through the links as the kernel follows them (`/dev/stdout`
        // leads to `/proc/self/fd/1`, whose link text names no file).
        if let Ok(meta) = std::fs::metadata(path) {
            if !meta.is_file() {
                let f = std::fs::OpenOptions::new().write(true).open(path)?;
                return Ok(Replacement {
                    how: How::InPlace(std::io::BufWriter::new(f)),
                });
            }
            if links(&meta) > 1 {
                return Ok(Replacement {
                    how: How::Linked(path.to_path_buf(), Vec::new()),
                });
            }
        }
        let path = target(path);
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.exists() {
            std::fs::create_dir_all(&dir)?;
        }
        let name = path
            .file_name()
            .map_or_else(|| "out".into(), |n| n.to_string_lossy().to_string());
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // A new file gets the mode any other write would give it (0666 less
        // the umask), not the temporary file's private 0600.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let tmp = builder.tempfile_in(&dir)?;
        Ok(Replacement {
            how: How::Renamed(path, std::io::BufWriter::new(tmp)),
        })
    }

    /// Finishes the file: flushed, synced and put in place. Dropped
    /// without this, the target is left as it was.
    pub fn commit(self) -> std::io::Result<()> {
        match self.how {
            How::InPlace(mut w) => w.flush(),
            How::Linked(path, bytes) => {
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(&path)?;
                f.write_all(&bytes)?;
                f.sync_all()
            }
            How::Renamed(path, w) => {
                let tmp = w.into_inner().map_err(|e| e.into_error())?;
                tmp.as_file().sync_all()?;
                if let Ok(meta) = std::fs::metadata(&path) {
                    tmp.as_file().set_permissions(meta.permissions())?;
                    keep_owner(tmp.as_file(), &meta);
                }
                // On failure the temporary file is removed when `tmp` drops.
                tmp.persist(&path).map_err(|e| e.error)?;
                Ok(())
            }
        }
    }
}

impl Write for Replacement {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.how {
            How::InPlace(w) => w.write(buf),
            How::Linked(_, v) => v.write(buf),
            How::Renamed(_, w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.how {
            How::InPlace(w) => w.flush(),
            How::Linked(..) => Ok(()),
            How::Renamed(_, w) => w.flush(),
        }
    }
}

#[cfg(unix)]
fn links(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::nlink(meta)
}

#[cfg(not(unix))]
fn links(_: &std::fs::Metadata) -> u64 {
    1
}

/// The file's identity (device and inode), through links.
#[cfg(unix)]
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// Refuses an output that is one of the run's inputs (a file named, or a
/// file a named directory holds), however it is spelt: writing it would
/// destroy what the run reads (`--events` onto the trace, `compile X -o
/// X`).
pub fn refuse_input(out: &Path, inputs: &[PathBuf]) -> Result<(), String> {
    let Some(id) = identity(out) else {
        return Ok(());
    };
    let clash = |p: &Path| identity(p).is_some_and(|x| x == id);
    for i in inputs {
        let hit = if i.is_dir() {
            crate::workspace::walk(i)
                .flatten()
                .any(|e| crate::workspace::is_file(&e) && clash(e.path()))
        } else {
            clash(i)
        };
        if hit {
            return Err(format!(
                "refusing to write `{}`: it is an input of this run (`{}`); write the output elsewhere",
                out.display(),
                i.display()
            ));
        }
    }
    Ok(())
}

/// Gives the new file the replaced file's owner and group. Only root may
/// give a file away, so for anyone else this changes nothing, and the
/// file stays the writer's own, as any editor's save leaves it.
#[cfg(unix)]
fn keep_owner(file: &std::fs::File, meta: &std::fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
}

#[cfg(not(unix))]
fn keep_owner(_: &std::fs::File, _: &std::fs::Metadata) {}

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

    /// The process's umask (`/proc/self/status` says it on Linux).
    fn umask() -> u32 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("Umask:"))
            .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
            .unwrap_or(0o022)
    }

    /// A missing directory is created; a link planted where an old
    /// guessable temporary name would be is left alone; the mode is kept.
    #[test]
    fn creates_directories_and_ignores_planted_links() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_atomic(&d.join("new/deeper/bundle.json"), b"{}").unwrap();
        assert_eq!(
            std::fs::read_to_string(d.join("new/deeper/bundle.json")).unwrap(),
            "{}"
        );
        // A new file is as readable as any other new file (the umask
        // decides), not private like the temporary file it was.
        let fresh = std::fs::metadata(d.join("new/deeper/bundle.json")).unwrap();
        assert_ne!(fresh.permissions().mode() & 0o777, 0o600);
        assert_eq!(fresh.permissions().mode() & 0o044, 0o044 & !umask());
        std::fs::write(d.join("victim"), "keep").unwrap();
        std::fs::write(d.join("p.yaml"), "old").unwrap();
        std::fs::set_permissions(d.join("p.yaml"), std::fs::Permissions::from_mode(0o640)).unwrap();
        let planted = format!(".p.yaml.guardctl-{}.tmp", std::process::id());
        std::os::unix::fs::symlink(d.join("victim"), d.join(planted)).unwrap();
        write_atomic(&d.join("p.yaml"), b"new").unwrap();
        assert_eq!(std::fs::read_to_string(d.join("victim")).unwrap(), "keep");
        assert_eq!(std::fs::read_to_string(d.join("p.yaml")).unwrap(), "new");
        let mode = std::fs::metadata(d.join("p.yaml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640);
    }
}
