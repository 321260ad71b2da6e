//! Atomic file replacement: write a temporary file beside the target, then
//! rename it over, so a crash never leaves a half-written policy.

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

pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
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
