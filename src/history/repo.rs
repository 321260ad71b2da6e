//! Policy files read straight from git objects (git2): revisions resolved
//! to commits, trees walked for the policy files under the given paths,
//! blobs turned into sources for the same pipeline as files on disk.
//! Works in linked worktrees (discovery follows `.git` files) and says
//! clearly when a shallow clone lacks the revision asked for.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use git2::{
    Commit, Delta, DiffFindOptions, DiffOptions, ObjectType, Oid, Repository, Tree, TreeWalkMode,
    TreeWalkResult,
};

use crate::source::SourceFile;
use crate::syntax::FileKind;

/// A source ready for [`crate::workspace::build`].
pub type Source = (Arc<SourceFile>, FileKind, bool);

/// An opened repository and where the user stands in it.
pub struct Repo {
    pub repo: Repository,
    /// The current directory relative to the work tree (empty at the top
    /// or in a bare repository).
    cwd: PathBuf,
    /// The work tree and the current directory, both canonical (`None` in
    /// a bare repository).
    places: Option<(PathBuf, PathBuf)>,
}

/// A policy file in a tree: its repository path and blob.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub path: String,
    pub oid: Oid,
}

/// Removes `.` and resolves `..` without touching the file system, so a
/// path deleted from the work tree still names its place in old trees.
/// `None` when `..` climbs above the start of a relative path.
fn lexical(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(x) => out.push(x),
            Component::RootDir | Component::Prefix(_) => out.push(c.as_os_str()),
        }
    }
    Some(out)
}

fn skipped_dir(name: &str) -> bool {
    name.starts_with('.') || name == "target" || name == "node_modules"
}

impl Repo {
    /// Opens the repository containing the current directory.
    pub fn open() -> Result<Repo, String> {
        let repo = Repository::discover(".").map_err(|e| {
            format!(
                "not in a git repository ({}); `diff --base`, `log` and `audit` read history from git",
                e.message()
            )
        })?;
        let places = match (repo.workdir(), std::env::current_dir()) {
            (Some(w), Ok(c)) => Some((
                w.canonicalize().unwrap_or_else(|_| w.to_path_buf()),
                c.canonicalize().unwrap_or(c),
            )),
            _ => None,
        };
        let cwd = places.as_ref().map_or_else(PathBuf::new, |(w, c)| {
            c.strip_prefix(w).map(Path::to_path_buf).unwrap_or_default()
        });
        Ok(Repo { repo, cwd, places })
    }

    /// The settings of the `guardctl.toml` nearest at or above the first of
    /// `prefixes` (else the current directory) in `tree`: a revision is
    /// read with the settings it had.
    pub fn config(&self, tree: &Tree, prefixes: &[PathBuf]) -> crate::config::Config {
        let start = prefixes.first().unwrap_or(&self.cwd);
        let is_file = tree
            .get_path(start)
            .is_ok_and(|e| e.kind() == Some(ObjectType::Blob));
        let mut dir = if is_file {
            start.parent().map(Path::to_path_buf)
        } else {
            Some(start.clone())
        };
        while let Some(d) = dir {
            let candidate = d.join(crate::config::NAME);
            let blob = tree
                .get_path(&candidate)
                .ok()
                .and_then(|e| self.repo.find_blob(e.id()).ok());
            if let Some(b) = blob {
                let text = String::from_utf8_lossy(b.content()).into_owned();
                let file = SourceFile::new(candidate.to_string_lossy().into_owned(), text);
                return crate::config::parse(&file).0;
            }
            dir = d.parent().map(Path::to_path_buf);
        }
        crate::config::Config::default()
    }

    /// Resolves a revision to a commit, explaining a shallow clone.
    pub fn commit(&self, rev: &str) -> Result<Commit<'_>, String> {
        let found = self
            .repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit());
        found.map_err(|e| {
            if self.repo.is_empty().unwrap_or(false) {
                format!(
                    "unknown revision `{rev}`: this repository has no commits yet; \
                     commit the policies first"
                )
            } else if self.repo.is_shallow() {
                format!(
                    "revision `{rev}` is not in this shallow clone; fetch more history \
                     (`git fetch --unshallow`, or `fetch-depth: 0` in CI) and try again"
                )
            } else {
                format!("unknown revision `{rev}`: {}", e.message())
            }
        })
    }

    /// Repository paths the user's paths stand for (relative to the cwd,
    /// or absolute). A path outside the work tree is an error: it would
    /// otherwise match nothing and report no change.
    pub fn prefixes(&self, paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
        if paths.is_empty() {
            return Ok(vec![self.cwd.clone()]);
        }
        paths.iter().map(|p| self.repo_path(p)).collect()
    }

    fn repo_path(&self, p: &Path) -> Result<PathBuf, String> {
        let outside = |root: &Path| {
            format!(
                "`{}` is outside the repository at {}",
                p.display(),
                root.display()
            )
        };
        let Some((work, cwd)) = &self.places else {
            // A bare repository: paths are repository paths.
            return match lexical(p) {
                Some(r) if !p.has_root() => Ok(r),
                _ => Err(outside(self.repo.path())),
            };
        };
        let abs = lexical(&cwd.join(p)).ok_or_else(|| outside(work))?;
        if let Ok(rel) = abs.strip_prefix(work) {
            return Ok(rel.to_path_buf());
        }
        // The path may reach the work tree through a symbolic link.
        abs.canonicalize()
            .ok()
            .and_then(|c| c.strip_prefix(work).ok().map(Path::to_path_buf))
            .ok_or_else(|| outside(work))
    }

    /// How a repository path is shown: relative to the cwd when under it.
    pub fn display(&self, repo_path: &str) -> String {
        match Path::new(repo_path).strip_prefix(&self.cwd) {
            Ok(rel) => rel.to_string_lossy().to_string(),
            Err(_) => repo_path.to_string(),
        }
    }

    /// The policy files of a tree under `prefixes`, sorted by path.
    pub fn entries(&self, tree: &Tree, prefixes: &[PathBuf]) -> Vec<Entry> {
        let mut out = Vec::new();
        let _ = tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            let name = entry.name().unwrap_or_default();
            let path = format!("{dir}{name}");
            let p = Path::new(&path);
            let wanted = |p: &Path| {
                prefixes
                    .iter()
                    .any(|x| p.starts_with(x) || x.starts_with(p))
            };
            match entry.kind() {
                Some(ObjectType::Tree) => {
                    if skipped_dir(name) || !wanted(p) {
                        TreeWalkResult::Skip
                    } else {
                        TreeWalkResult::Ok
                    }
                }
                Some(ObjectType::Blob) => {
                    if prefixes.iter().any(|x| p.starts_with(x))
                        && FileKind::of_path(&path).is_some()
                    {
                        out.push(Entry {
                            path,
                            oid: entry.id(),
                        });
                    }
                    TreeWalkResult::Ok
                }
                _ => TreeWalkResult::Ok,
            }
        });
        out.sort();
        out
    }

    /// The files that git sees renamed from `base` to `head` (a tree, or
    /// the work tree and index when `None`, untracked files included)
    /// into one of `prefixes` (a file, or a directory they are under):
    /// each as (path in `base`, path now), sorted. A prefix that `base`
    /// lacks can then be read under its old name.
    pub fn renamed_into(
        &self,
        base: &Tree,
        head: Option<&Tree>,
        prefixes: &[PathBuf],
    ) -> Result<Vec<(PathBuf, PathBuf)>, String> {
        let mut opts = DiffOptions::new();
        opts.include_untracked(true).recurse_untracked_dirs(true);
        let diff = match head {
            Some(t) => self
                .repo
                .diff_tree_to_tree(Some(base), Some(t), Some(&mut opts)),
            None => self
                .repo
                .diff_tree_to_workdir_with_index(Some(base), Some(&mut opts)),
        };
        let mut diff = diff.map_err(|e| format!("cannot compare with git: {}", e.message()))?;
        let mut find = DiffFindOptions::new();
        find.renames(true).for_untracked(true);
        diff.find_similar(Some(&mut find))
            .map_err(|e| format!("cannot find renames with git: {}", e.message()))?;
        let mut out: Vec<(PathBuf, PathBuf)> = diff
            .deltas()
            .filter(|d| d.status() == Delta::Renamed)
            .filter_map(|d| {
                let old = d.old_file().path()?.to_path_buf();
                let new = d.new_file().path()?.to_path_buf();
                prefixes
                    .iter()
                    .any(|x| new.starts_with(x))
                    .then_some((old, new))
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Reads entries as sources. A blob that is not UTF-8 is an error
    /// naming the revision and path.
    pub fn sources(&self, label: &str, entries: &[Entry]) -> Result<Vec<Source>, String> {
        let mut out = Vec::new();
        for e in entries {
            let blob = self
                .repo
                .find_blob(e.oid)
                .map_err(|err| format!("cannot read `{}` at {label}: {}", e.path, err.message()))?;
            let text = std::str::from_utf8(blob.content())
                .map_err(|_| format!("`{}` at {label} is not valid UTF-8", e.path))?;
            let kind = FileKind::of_path(&e.path).unwrap_or(FileKind::Policy);
            out.push((
                SourceFile::new(self.display(&e.path), text.to_string()),
                kind,
                false,
            ));
        }
        Ok(out)
    }

    /// The commit's first-parent history back to (not including) `stop`,
    /// oldest first.
    pub fn first_parent_line(
        &self,
        head: &Commit<'_>,
        stop: Option<Oid>,
    ) -> Result<Vec<Oid>, String> {
        let mut out = Vec::new();
        let mut reached = stop.is_none();
        let mut cur = Some(head.clone());
        while let Some(c) = cur {
            if Some(c.id()) == stop {
                reached = true;
                break;
            }
            out.push(c.id());
            cur = match c.parent_count() {
                0 => None,
                _ => match c.parent(0) {
                    Ok(p) => Some(p),
                    Err(e) if self.repo.is_shallow() => {
                        return Err(format!(
                            "history ends at a shallow boundary before `{}` ({}); fetch more \
                             history (`git fetch --unshallow`)",
                            c.id(),
                            e.message()
                        ));
                    }
                    Err(e) => {
                        return Err(format!(
                            "cannot read the parent of `{}`: {}",
                            c.id(),
                            e.message()
                        ));
                    }
                },
            };
        }
        if !reached {
            let s = stop.map(|s| s.to_string()).unwrap_or_default();
            return Err(format!(
                "`{s}` is not on the first-parent history of `{}`",
                head.id()
            ));
        }
        out.reverse();
        Ok(out)
    }
}
