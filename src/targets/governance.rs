//! Governance objects (`BUDGETS`, `CAPS`, `APPROVAL_CHAINS`, `EXCEPTIONS`,
//! spec §6) on a runtime target: none of the four runtimes' JSON has a
//! place for them (only the neutral bundle carries them), so each one
//! deployed to, or compiled for, such a runtime is a refusal rather than
//! left out of the output without a word.

use std::sync::Arc;

use super::{Input, Refusal};
use crate::ir::enums::Runtime;
use crate::source::{SourceFile, Spanned};

/// Every governance object of `input`'s policies (and, when `input` holds
/// every policy, of the files without one), refused for `target`.
pub fn refusals(input: &Input<'_>, target: Runtime) -> Vec<Refusal> {
    let program = input.program;
    let mut out = Vec::new();
    let mut refuse = |kind: &str,
                      section: &str,
                      file: &Arc<SourceFile>,
                      name: &Spanned<String>,
                      policy: &Option<String>| {
        let owner = policy
            .as_deref()
            .and_then(|n| program.policies.iter().find(|p| p.name.value == n));
        let deployed = crate::effective::runtime::of(program, owner);
        let included = match owner {
            Some(p) => input.policies.iter().any(|q| std::ptr::eq(*q, p)),
            None => input.only.is_none_or(|rt| rt == deployed),
        };
        if !included {
            return;
        }
        out.push(Refusal {
            file: file.clone(),
            span: name.span,
            subject: format!("{kind} `{}`", name.value),
            feature: format!("governance (`{section}`)"),
            why: format!(
                "runtime `{target}` has no budgets, caps, approval chains or exceptions: only the neutral bundle carries them; keep them with a policy written `runtime: guardctl` (or, with no `runtime` in `guardctl.toml`, in a file without a policy), and compile them without `--target`"
            ),
            deployed,
        });
    };
    for b in &program.budgets {
        refuse("budget", "BUDGETS", &b.file, &b.name, &b.policy);
    }
    for c in &program.caps {
        refuse("cap", "CAPS", &c.file, &c.name, &c.policy);
    }
    for c in &program.chains {
        refuse(
            "approval chain",
            "APPROVAL_CHAINS",
            &c.file,
            &c.name,
            &c.policy,
        );
    }
    for e in &program.exceptions {
        refuse("exception", "EXCEPTIONS", &e.file, &e.name, &e.policy);
    }
    out
}
