//! `guardctl diff OLD NEW` and `guardctl diff --base REV [--head REV]
//! [PATHS...]`: the semantic changes between two versions of a policy,
//! classified, with `--fail-on` for CI and `--traces` for the impact on
//! recorded traffic.

use crate::ir::Owner;
use std::io::Write;
use std::path::PathBuf;

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, color, input_errors, print};
use crate::cli::{DiffArgs, Global};
use crate::diagnostic::Severity;
use crate::diff::{self, Class, Side};
use crate::history::{self, Repo, Unparsable};
use crate::lint::LintOptions;
use crate::render::{self, Format, Summary};
use crate::simulate::{self, Config};
use crate::workspace::{self, Workspace};

/// Prints why a side cannot be compared and returns the exit code.
fn unparsable(global: &Global, label: &str, u: &Unparsable) -> u8 {
    let unreadable: Vec<_> = u
        .diagnostics
        .iter()
        .filter(|d| d.code.is_unreadable())
        .cloned()
        .collect();
    let files = u.files();
    let text = render::diagnostics(
        global.format,
        &unreadable,
        Summary::of(files.len(), &unreadable),
        color(global, true),
    );
    let _ = std::io::stderr().write_all(text.as_bytes());
    if files.iter().any(|f| *f != label) {
        crate::errln!(
            "error: cannot diff {label}: {} cannot be read as policy (see above)",
            files.join(", ")
        );
    } else {
        crate::errln!("error: cannot diff {label}: it cannot be read as policy (see above)");
    }
    EXIT_USAGE
}

/// Files on disk as one side.
fn from_disk(
    global: &Global,
    options: &LintOptions,
    paths: &[PathBuf],
    label: &str,
) -> Result<Workspace, u8> {
    let ws = workspace::load(paths, options).map_err(|e| input_errors(global, &e.0))?;
    // A side named as one file must be a guardctl file: read as an empty
    // policy, it would show every object as added or removed.
    if let Some(name) = ws.skipped.first() {
        crate::errln!(
            "error[GC007]: cannot diff {label}: `{name}` holds no guardctl section (POLICY, GUARDRAILS, ...)"
        );
        return Err(EXIT_USAGE);
    }
    if ws.diagnostics.iter().any(|d| d.code.is_unreadable()) {
        return Err(unparsable(
            global,
            label,
            &Unparsable {
                diagnostics: ws.diagnostics,
            },
        ));
    }
    Ok(ws)
}

/// A revision's policy files as one side of `diff --base`, and which of
/// `paths` the revision does not hold. For the base side, `follow` names
/// the other side (a revision, or `None` for the work tree): a path the
/// base lacks is looked for there as a git rename, and its old name read
/// instead, so a renamed file pairs its rules rather than showing every
/// one as added.
fn from_git(
    global: &Global,
    options: &LintOptions,
    repo: &Repo,
    rev: &str,
    paths: &[PathBuf],
    follow: Option<Option<&str>>,
) -> Result<(Workspace, Vec<PathBuf>), u8> {
    let usage = |msg: String| {
        crate::errln!("error: {msg}");
        EXIT_USAGE
    };
    let commit = repo.commit(rev).map_err(usage)?;
    let tree = commit.tree().map_err(|e| usage(e.message().to_string()))?;
    let mut prefixes = repo.prefixes(paths).map_err(usage)?;
    // (the user's path, its repository path) for each path the tree lacks
    let mut absent: Vec<(PathBuf, PathBuf)> = paths
        .iter()
        .zip(&prefixes)
        .filter(|(_, x)| !x.as_os_str().is_empty() && tree.get_path(x).is_err())
        .map(|(p, x)| (p.clone(), x.clone()))
        .collect();
    if let (Some(head), false) = (follow, absent.is_empty()) {
        let head_tree = match head {
            Some(h) => {
                let c = repo.commit(h).map_err(usage)?;
                Some(c.tree().map_err(|e| usage(e.message().to_string()))?)
            }
            None => None,
        };
        let lacking: Vec<PathBuf> = absent.iter().map(|(_, x)| x.clone()).collect();
        let renamed = repo
            .renamed_into(&tree, head_tree.as_ref(), &lacking)
            .map_err(usage)?;
        for (old, new) in &renamed {
            let show = |p: &PathBuf| repo.display(&p.to_string_lossy());
            crate::errln!(
                "note: `{}` was `{}` at `{rev}` (renamed): read under that name",
                show(new),
                show(old)
            );
            prefixes.push(old.clone());
        }
        // A path found under its old name is not missing.
        absent.retain(|(_, x)| !renamed.iter().any(|(_, new)| new.starts_with(x)));
    }
    let missing = absent.into_iter().map(|(p, _)| p).collect();
    let entries = repo.entries(&tree, &prefixes);
    let config = repo.config(&tree, &prefixes);
    let sources = repo.sources(rev, &entries).map_err(usage)?;
    history::workspace_of(sources, options, &config)
        .map(|ws| (ws, missing))
        .map_err(|u| unparsable(global, rev, &u))
}

/// A side that reads as policy but has lint errors is still compared
/// (a revision in history may not lint clean), but a value lint rejects
/// (an unknown action, a malformed duration) is left out of the IR, and
/// would show as removed: say so on stderr rather than let that pass as
/// the change.
fn warn_lint_errors(ws: &Workspace, label: &str) {
    let errors = ws
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if errors > 0 {
        crate::errln!(
            "warning: {label} has {errors} lint error(s); values lint rejects are left out of \
             the comparison (see `guardctl lint`)"
        );
    }
}

fn parse_fail_on(list: &[String]) -> Result<Vec<Class>, String> {
    let mut out = Vec::new();
    for s in list {
        let s = s.trim();
        if s == "any" {
            out.extend(Class::ALL.into_iter().filter(|c| *c != Class::Neutral));
        } else {
            out.push(Class::from_name(s).ok_or_else(|| {
                format!(
                    "--fail-on `{s}`: expected looser, tighter, reorder, changed, neutral or any"
                )
            })?);
        }
    }
    Ok(out)
}

/// Two versions of one file without `POLICY:` (`diff old.yaml new.yaml`)
/// hold one implicit policy each, named after each file; they are the same
/// policy, so the new side takes the old side's name and its rules keep
/// their ids (otherwise every rule would read as renamed).
fn same_implicit_policy(old: &crate::ir::Program, new: &mut crate::ir::Program) {
    let implicit = |p: &crate::ir::Program| -> Option<String> {
        match p.policies.as_slice() {
            [only] if !only.explicit => Some(only.name.value.clone()),
            _ => None,
        }
    };
    let (Some(from), Some(to)) = (implicit(new), implicit(old)) else {
        return;
    };
    if from == to {
        return;
    }
    for p in &mut new.policies {
        p.name.value = to.clone();
    }
    for r in &mut new.rules {
        if r.owner == Owner::Policy(from.clone()) {
            r.owner = Owner::Policy(to.clone());
        }
    }
    new.reindex();
}

pub fn run(global: &Global, options: &LintOptions, args: &DiffArgs) -> u8 {
    let fail_on = match parse_fail_on(&args.fail_on) {
        Ok(f) => f,
        Err(e) => {
            return super::usage_error(global, &e.to_string());
        }
    };
    let sides = match &args.base {
        None => {
            let [old, new] = args.paths.as_slice() else {
                crate::errln!(
                    "error: give OLD and NEW (two files or two directories), or --base REV to compare with git"
                );
                return EXIT_USAGE;
            };
            let o = old.display().to_string();
            let n = new.display().to_string();
            from_disk(global, options, std::slice::from_ref(old), &o).and_then(|a| {
                from_disk(global, options, std::slice::from_ref(new), &n).map(|b| (a, b, o, n))
            })
        }
        Some(base) => {
            let repo = match Repo::open() {
                Ok(r) => r,
                Err(e) => {
                    return super::usage_error(global, &e.to_string());
                }
            };
            let paths = if args.paths.is_empty() {
                vec![PathBuf::from(".")]
            } else {
                args.paths.clone()
            };
            let old = from_git(
                global,
                options,
                &repo,
                base,
                &paths,
                Some(args.head.as_deref()),
            );
            old.and_then(|(a, missing_a)| match &args.head {
                Some(h) => {
                    from_git(global, options, &repo, h, &paths, None).and_then(|(b, missing_b)| {
                        // A path neither revision holds is a typo, not "no change".
                        match missing_a.iter().find(|p| missing_b.contains(p)) {
                            Some(p) => {
                                crate::errln!(
                                    "error: `{}` is in neither `{base}` nor `{h}`",
                                    p.display()
                                );
                                Err(EXIT_USAGE)
                            }
                            None => Ok((a, b, base.clone(), h.clone())),
                        }
                    })
                }
                // A path missing on disk is reported by the disk side.
                None => from_disk(global, options, &paths, "the work tree")
                    .map(|b| (a, b, base.clone(), "work tree".to_string())),
            })
        }
    };
    let (old, mut new, base_label, head_label) = match sides {
        Ok(s) => s,
        Err(code) => return code,
    };
    if args.base.is_none() {
        same_implicit_policy(&old.program, &mut new.program);
    }
    warn_lint_errors(&old, &base_label);
    warn_lint_errors(&new, &head_label);
    let changes = diff::diff(&Side::of(&old.program), &Side::of(&new.program));

    let impact = if args.traces.is_empty() {
        None
    } else {
        let cfg = Config {
            traces: args.traces.clone(),
            strict: false,
            show_matches: args.show_matches,
            sweep: None,
            threads: None,
            progress: None,
        };
        match simulate::run(&new.program, Some(&old.program), &cfg, None) {
            Ok(s) => Some(s),
            Err(simulate::Fatal(msg)) => {
                return super::usage_error(global, &msg);
            }
        }
    };

    let out = match global.format {
        Format::Json => {
            let impact_json = impact.as_ref().map(|s| {
                let mut v = render::simulate::flips_json(s).unwrap_or_default();
                if let serde_json::Value::Object(m) = &mut v {
                    m.insert("events".into(), serde_json::json!(s.events));
                    m.insert("malformed".into(), serde_json::json!(s.malformed_count));
                }
                v
            });
            format!(
                "{}\n",
                serde_json::to_string_pretty(&render::diff::json(
                    &changes,
                    &base_label,
                    &head_label,
                    impact_json
                ))
                .unwrap_or_default()
            )
        }
        Format::Markdown => {
            let mut o = render::diff::markdown(
                &changes,
                &format!("guardctl diff `{base_label}` → `{head_label}`"),
            );
            if let Some(s) = &impact {
                o.push_str(&format!(
                    "\n<details><summary>Impact on {} recorded events: {} changed decision(s)</summary>\n\n```text",
                    s.events, s.changed_count
                ));
                o.push_str(&render::simulate::flips_human(s, "base → head"));
                o.push_str("```\n\n</details>\n");
            }
            o
        }
        Format::Human | Format::Plain => {
            let paint = global.format == Format::Human && color(global, false);
            let mut o = format!("{base_label} → {head_label}\n\n");
            o.push_str(&render::diff::human(&changes, paint));
            if let Some(s) = &impact {
                o.push_str(&format!("\nimpact on {} recorded events\n", s.events));
                o.push_str(&render::simulate::flips_human(s, "base → head"));
                if s.malformed_count > 0 {
                    o.push_str(&format!(
                        "{} malformed trace line(s) skipped\n",
                        s.malformed_count
                    ));
                }
            }
            o
        }
    };
    print(&out);
    let failing: Vec<&str> = fail_on
        .iter()
        .filter(|c| changes.iter().any(|ch| ch.class == **c))
        .map(|c| c.as_str())
        .collect();
    if failing.is_empty() {
        EXIT_OK
    } else {
        crate::errln!("diff: found {} change(s) (--fail-on)", failing.join(", "));
        EXIT_FINDINGS
    }
}
