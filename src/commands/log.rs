//! `guardctl log [NAME]`: the semantic history of one object (following
//! renames), or one line per commit that changed any policy.

use super::{EXIT_OK, color, print};
use crate::cli::{Global, LogArgs};
use crate::history::{self, Repo};
use crate::render::{self, Format};

pub fn run(global: &Global, args: &LogArgs) -> u8 {
    let result =
        Repo::open().and_then(|repo| history::history(&repo, &args.rev, None, &args.paths));
    let commits = match result {
        Ok(h) => h,
        Err(e) => {
            return super::usage_error(global, &e.to_string());
        }
    };
    let commits = match &args.name {
        Some(n) => {
            let known: std::collections::BTreeSet<String> = commits
                .iter()
                .flat_map(|c| c.changes.iter())
                .flat_map(|ch| [Some(ch.object.clone()), ch.renamed_from.clone()])
                .flatten()
                .collect();
            let only = history::only(commits, n);
            if only.iter().all(|c| c.changes.is_empty()) {
                // A misspelt name is not "no history".
                let names = known
                    .iter()
                    .map(String::as_str)
                    .chain(known.iter().filter_map(|k| k.rsplit('/').next()));
                let hint = crate::suggest::did_you_mean(n, names)
                    .map_or(String::new(), |s| format!("; did you mean `{s}`?"));
                return super::usage_error(
                    global,
                    &format!("no object named `{n}` in the policy history{hint}"),
                );
            }
            only
        }
        None => commits,
    };
    let paint = global.format == Format::Human && color(global, false);
    let out = match (global.format, &args.name) {
        (Format::Json, _) => format!(
            "{}\n",
            serde_json::to_string_pretty(&render::diff::log_json(&commits)).unwrap_or_default()
        ),
        (_, Some(n)) => render::diff::log_detail(&commits, n, paint),
        (_, None) => render::diff::log_lines(&commits, paint),
    };
    print(&out);
    let quiet = commits
        .iter()
        .all(|c| c.changes.is_empty() && c.unparsable.is_empty());
    if quiet && !args.paths.is_empty() {
        // A mistyped --path reads as "nothing happened": say what was read.
        let paths: Vec<String> = args
            .paths
            .iter()
            .map(|p| format!("`{}`", p.display()))
            .collect();
        crate::errln!(
            "note: only policy files under {} were read",
            paths.join(", ")
        );
    }
    EXIT_OK
}
