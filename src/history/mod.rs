//! git history → semantic changes per commit, for `diff --base`, `log`
//! and `audit`. History is the first-parent line of the head: the sequence
//! of states the main branch went through, each commit compared with its
//! first parent, so a merge commit carries what it merged and the changes
//! add up to the head's policy. Commits whose policy files do not parse
//! are reported, and their changes arrive with the next commit that does.

pub mod repo;

use std::path::PathBuf;

use crate::diagnostic::Diagnostic;
use crate::diff::{self, Change, Side};
use crate::lint::LintOptions;
use crate::workspace::{self, Workspace};
pub use repo::{Entry, Repo, Source};

/// Sources that could not be read as a policy (syntax errors).
#[derive(Debug)]
pub struct Unparsable {
    pub diagnostics: Vec<Diagnostic>,
}

impl Unparsable {
    /// The files that cannot be read, sorted and unique.
    pub fn files(&self) -> Vec<String> {
        let mut f: Vec<String> = self
            .diagnostics
            .iter()
            .filter(|d| d.code.is_unreadable())
            .filter_map(|d| d.file.as_ref().map(|f| f.name.clone()))
            .collect();
        f.sort();
        f.dedup();
        f
    }
}

/// Parses, lowers and lints sources; syntax errors make it unusable for a
/// diff (objects of a file that does not parse would look removed).
pub fn workspace_of(
    sources: Vec<Source>,
    options: &LintOptions,
    config: &crate::config::Config,
) -> Result<Workspace, Unparsable> {
    let ws = workspace::build_with(sources, Vec::new(), 0, options, config);
    if ws.diagnostics.iter().any(|d| d.code.is_syntax()) {
        return Err(Unparsable {
            diagnostics: ws.diagnostics,
        });
    }
    Ok(ws)
}

/// Each policy file of the last commit read, parsed, by (blob, path): a
/// commit parses only the files it changed, and history needs no lint (a
/// diff compares meanings; only syntax errors make a side unusable).
#[derive(Default)]
struct Parses(std::collections::HashMap<(git2::Oid, String), workspace::Parsed>);

impl Parses {
    /// The side (effective model) of the files `entries`, or the files that
    /// do not parse. Keeps exactly these entries' parses afterwards.
    fn side(
        &mut self,
        repo: &Repo,
        label: &str,
        entries: &[Entry],
        config: &crate::config::Config,
    ) -> Result<Result<Side, Unparsable>, String> {
        use rayon::prelude::*;
        let missing: Vec<Entry> = entries
            .iter()
            .filter(|e| !self.0.contains_key(&(e.oid, e.path.clone())))
            .cloned()
            .collect();
        let fresh: Vec<((git2::Oid, String), workspace::Parsed)> = repo
            .sources(label, &missing)?
            .into_par_iter()
            .zip(missing.par_iter())
            .map(|((src, kind, explicit), e)| {
                (
                    (e.oid, e.path.clone()),
                    workspace::parse_one(src, kind, explicit),
                )
            })
            .collect();
        self.0.extend(fresh);
        let keep: std::collections::HashSet<(git2::Oid, &str)> =
            entries.iter().map(|e| (e.oid, e.path.as_str())).collect();
        self.0
            .retain(|(oid, path), _| keep.contains(&(*oid, path.as_str())));
        let parsed: Vec<workspace::Parsed> = entries
            .iter()
            .filter_map(|e| self.0.get(&(e.oid, e.path.clone())).cloned())
            .collect();
        let (_, mut program, diagnostics, _, _) = workspace::assemble(parsed, Vec::new());
        program.check_polarity = config.check_polarity;
        program.runtime = config.runtime;
        if diagnostics.iter().any(|d| d.code.is_syntax()) {
            return Ok(Err(Unparsable { diagnostics }));
        }
        Ok(Ok(Side::of(&program)))
    }
}

/// A commit on the first-parent line with what it changed.
#[derive(Debug, Clone)]
pub struct CommitChanges {
    pub id: String,
    pub author: String,
    pub email: String,
    /// Author time, seconds since the epoch (UTC).
    pub time: i64,
    pub summary: String,
    pub changes: Vec<Change>,
    /// Policy files that did not parse at this commit.
    pub unparsable: Vec<String>,
}

/// Semantic changes commit by commit, oldest first. `since` excludes that
/// revision and everything before it (it is the starting state).
pub fn history(
    repo: &Repo,
    head: &str,
    since: Option<&str>,
    paths: &[PathBuf],
) -> Result<Vec<CommitChanges>, String> {
    let head = repo.commit(head)?;
    let prefixes = repo.prefixes(paths)?;
    let start = since.map(|rev| repo.commit(rev)).transpose()?;
    let line = repo.first_parent_line(&head, start.as_ref().map(git2::Commit::id))?;
    let (followed, before) = follow_renames(repo, &line, &prefixes)?;
    let mut parses = Parses::default();
    let (mut prev_entries, mut prev_side) = match &start {
        Some(c) => {
            let tree = c.tree().map_err(|e| e.message().to_string())?;
            let entries = repo.entries(&tree, &before);
            let config = repo.config(&tree, &before);
            let label = short(&c.id().to_string());
            let side = parses
                .side(repo, &label, &entries, &config)?
                .unwrap_or_default();
            (Some((entries, config)), side)
        }
        None => (None, Side::default()),
    };
    let mut out = Vec::new();
    for (oid, prefixes) in line.into_iter().zip(followed) {
        let commit = repo
            .repo
            .find_commit(oid)
            .map_err(|e| e.message().to_string())?;
        let tree = commit.tree().map_err(|e| e.message().to_string())?;
        let entries = repo.entries(&tree, &prefixes);
        let config = repo.config(&tree, &prefixes);
        let author = commit.author();
        let mut record = CommitChanges {
            id: oid.to_string(),
            author: author.name().unwrap_or_default().to_string(),
            email: author.email().unwrap_or_default().to_string(),
            time: author.when().seconds(),
            summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default())
                .to_string(),
            changes: Vec::new(),
            unparsable: Vec::new(),
        };
        // No policy file (nor the polarity) changed: nothing to parse.
        let state = (entries, config.clone());
        if prev_entries.as_ref() == Some(&state) {
            out.push(record);
            continue;
        }
        match parses.side(repo, &short(&record.id), &state.0, &config)? {
            Ok(side) => {
                record.changes = diff::diff(&prev_side, &side);
                prev_side = side;
                prev_entries = Some(state);
            }
            Err(u) => record.unparsable = u.files(),
        }
        out.push(record);
    }
    Ok(out)
}

/// Paths per commit of a line, and before its oldest commit.
type Followed = (Vec<Vec<PathBuf>>, Vec<PathBuf>);

/// The paths to read at each commit of `line` (oldest first): the user's
/// paths, and going back in time, the old names of those git sees renamed
/// into them at a commit whose parent lacks them (like `git log
/// --follow`), so a renamed file's rules are not all "added" at the
/// rename. Also the paths to read at the parent of the oldest commit.
fn follow_renames(
    repo: &Repo,
    line: &[git2::Oid],
    prefixes: &[PathBuf],
) -> Result<Followed, String> {
    let git = |e: git2::Error| e.message().to_string();
    let mut current = prefixes.to_vec();
    let mut out = vec![Vec::new(); line.len()];
    for (slot, &oid) in out.iter_mut().zip(line).rev() {
        *slot = current.clone();
        let commit = repo.repo.find_commit(oid).map_err(git)?;
        let Ok(parent) = commit.parent(0) else {
            continue;
        };
        let (tree, parent_tree) = (commit.tree().map_err(git)?, parent.tree().map_err(git)?);
        let lacking: Vec<PathBuf> = current
            .iter()
            .filter(|x| !x.as_os_str().is_empty())
            .filter(|x| tree.get_path(x).is_ok() && parent_tree.get_path(x).is_err())
            .cloned()
            .collect();
        if lacking.is_empty() {
            continue;
        }
        for (old, _) in repo.renamed_into(&parent_tree, Some(&tree), &lacking)? {
            if !current.contains(&old) {
                current.push(old);
            }
        }
    }
    Ok((out, current))
}

/// The first 7 hex digits of a commit id.
pub fn short(id: &str) -> String {
    id.chars().take(7).collect()
}

/// Keeps only the changes to one object (a name or full id, following
/// renames back in time) and drops commits left without any.
pub fn only(history: Vec<CommitChanges>, name: &str) -> Vec<CommitChanges> {
    let mut names = vec![name.to_string()];
    let mut out = Vec::new();
    // Newest first, so a rename adds the old name for older commits.
    for mut c in history.into_iter().rev() {
        let matches = |ch: &Change, names: &[String]| {
            names.iter().any(|n| {
                ch.object == *n
                    || ch.object.rsplit('/').next() == Some(n.as_str())
                    || ch
                        .object
                        .rsplit('/')
                        .next()
                        .and_then(|x| x.rsplit_once('.'))
                        .is_some_and(|(base, kind)| {
                            base == n && (kind == "input" || kind == "output")
                        })
            })
        };
        let mut renamed_from = Vec::new();
        c.changes.retain(|ch| {
            let keep = matches(ch, &names);
            if keep {
                if let Some(f) = &ch.renamed_from {
                    renamed_from.push(f.clone());
                }
            }
            keep
        });
        names.extend(renamed_from);
        if !c.changes.is_empty() || !c.unparsable.is_empty() {
            out.push(c);
        }
    }
    out.reverse();
    out
}
