//! `guardctl audit export|verify|seal`: the policy audit trail as
//! hash-chained JSON lines, checked and anchored.

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, print};
use crate::audit;
use crate::cli::{AuditArgs, AuditCommand};
use crate::history::{self, Repo};

fn read(path: &std::path::Path) -> Result<String, u8> {
    std::fs::read(path)
        .map_err(|e| {
            crate::errln!("error: cannot read `{}`: {e}", path.display());
            EXIT_USAGE
        })
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

pub fn run(global: &crate::cli::Global, args: &AuditArgs) -> u8 {
    match &args.command {
        AuditCommand::Export {
            since,
            output,
            paths,
            rev,
        } => {
            if let Some(p) = output {
                if let Err(msg) = crate::fsutil::refuse_input(p, paths) {
                    return super::usage_error(global, &msg);
                }
            }
            // `--since` continues the whole trail: entries are numbered and
            // chained from the first commit, and those of commits up to
            // `since` are left out, so this export appended to the earlier
            // one is the trail exported at once.
            let result = Repo::open().and_then(|repo| {
                let all = history::history(&repo, rev, None, paths)?;
                let after = match since {
                    Some(s) => Some(history::history(&repo, rev, Some(s), paths)?),
                    None => None,
                };
                Ok((all, after))
            });
            let (all, after) = match result {
                Ok(h) => h,
                Err(e) => {
                    return super::usage_error(global, &e.to_string());
                }
            };
            let mut entries = audit::entries(&all);
            let commits = match &after {
                Some(after) => {
                    let keep: std::collections::HashSet<&str> =
                        after.iter().map(|c| c.id.as_str()).collect();
                    entries.retain(|e| e["commit"].as_str().is_some_and(|c| keep.contains(c)));
                    after.len()
                }
                None => all.len(),
            };
            let mut text = String::new();
            for e in &entries {
                text.push_str(&e.to_string());
                text.push('\n');
            }
            match output {
                Some(p) => {
                    if let Err(e) = crate::fsutil::write_atomic(p, text.as_bytes()) {
                        return super::usage_error(
                            global,
                            &format!("cannot write `{}`: {e}", p.display()),
                        );
                    }
                    crate::errln!(
                        "wrote {} entries from {} commits to {}",
                        entries.len(),
                        commits,
                        p.display()
                    );
                }
                None => print(&text),
            }
            EXIT_OK
        }
        AuditCommand::Verify { file, anchor } => {
            let text = match read(file) {
                Ok(t) => t,
                Err(code) => return code,
            };
            match audit::verify(&text, anchor.as_deref()) {
                Ok(v) => {
                    let through = match v.anchor_at {
                        Some(0) => ", continues the chain from the anchor".to_string(),
                        Some(i) if i == v.entries => ", ends in the anchor".to_string(),
                        Some(i) => format!(
                            ", passes through the anchor at entry {i} ({} entries after it)",
                            v.entries - i
                        ),
                        None => String::new(),
                    };
                    print(&format!(
                        "ok: {} entries, chain intact{through}\n",
                        v.entries
                    ));
                    EXIT_OK
                }
                Err(b) => {
                    let at = if b.line > 0 {
                        format!("{}:{}: ", file.display(), b.line)
                    } else {
                        format!("{}: ", file.display())
                    };
                    crate::errln!("error: {at}{}", b.message);
                    EXIT_FINDINGS
                }
            }
        }
        AuditCommand::Seal { file } => {
            let text = match read(file) {
                Ok(t) => t,
                Err(code) => return code,
            };
            match audit::verify(&text, None) {
                Ok(v) => {
                    crate::errln!(
                        "sealed {} entries; store this anchor elsewhere and pass it to `audit verify --anchor`",
                        v.entries
                    );
                    print(&format!("sha256:{}\n", v.last));
                    EXIT_OK
                }
                Err(b) => {
                    crate::errln!("error: {}:{}: {}", file.display(), b.line, b.message);
                    EXIT_FINDINGS
                }
            }
        }
    }
}
