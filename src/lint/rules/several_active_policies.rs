//! GC305: at most one active policy per project. Runtimes keep only one,
//! and which one is not defined.

use std::collections::BTreeMap;

use crate::diagnostic::Diagnostic;
use crate::ir::Program;
use crate::ir::enums::{PolicyStatus, Scope};
use crate::lint::registry::Code;

pub fn check(p: &Program, out: &mut Vec<Diagnostic>) {
    let mut by_target: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, pol) in p.policies.iter().enumerate() {
        if pol.effective_status() != PolicyStatus::Active {
            continue;
        }
        let target = match pol.scope.value {
            Scope::Project => pol.project.as_ref().map(|x| ("project", x.value.clone())),
            Scope::Agent => pol.agent.as_ref().map(|x| ("agent", x.value.clone())),
            _ => None,
        };
        if let Some((k, v)) = target {
            by_target.entry((k.to_string(), v)).or_default().push(i);
        }
    }
    for ((kind, name), idx) in by_target {
        let Some((&first, rest)) = idx.split_first() else {
            continue;
        };
        let Some(first) = p.policies.get(first) else {
            continue;
        };
        for &i in rest {
            let Some(pol) = p.policies.get(i) else {
                continue;
            };
            let span = pol.status.as_ref().map_or(pol.name.span, |s| s.span);
            out.push(
                Diagnostic::new(Code::SeveralActivePolicies, &pol.file, span, format!("second active policy for {kind} `{name}`: `{}`", pol.name.value))
                    .with_related(&first.file, first.name.span, format!("`{}` is already active for {kind} `{name}`", first.name.value))
                    .with_help("keep one policy `active` per project; set the others to `draft` or `archived`, or merge them"),
            );
        }
    }
}
