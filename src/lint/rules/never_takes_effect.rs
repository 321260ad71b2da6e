//! GC407 (warning): something written that, as written, can never take
//! effect: a `min_severity` above every severity the rule's `entities` are
//! found at (no entity finding triggers it; its other checks still may), a site that is both approved and an unapproved tool (the
//! unapproved entry short-circuits first, so the approval is never read),
//! or one provider named twice in a rule's `provider` list.

use std::collections::BTreeSet;

use crate::diagnostic::Diagnostic;
use crate::ir::Program;
use crate::ir::layers::resolve;
use crate::lint::registry::Code;

pub fn check(p: &Program, out: &mut Vec<Diagnostic>) {
    min_severity_above_entities(p, out);
    sites_both_approved_and_unapproved(p, out);
    providers_named_twice(p, out);
}

fn min_severity_above_entities(p: &Program, out: &mut Vec<Diagnostic>) {
    for (i, res) in resolve(p).into_iter().enumerate() {
        let r = &res.rule;
        // Reported where the rule writes `min_severity` itself.
        let Some(min) = p.rules.get(i).and_then(|o| o.min_severity.as_ref()) else {
            continue;
        };
        let Some(entities) = &r.entities else {
            continue;
        };
        let strongest = entities
            .iter()
            .map(|e| e.value.severity())
            .max_by_key(|s| s.rank());
        let Some(strongest) = strongest else { continue };
        if strongest.rank() >= min.value.rank() {
            continue;
        }
        out.push(
            Diagnostic::new(
                Code::NeverTakesEffect,
                &r.file,
                min.span,
                format!(
                    "no entity finding triggers rule `{}`: its entities are found at `{strongest}` at most, below `min_severity: {}`",
                    r.name.value, min.value
                ),
            )
            .with_help(format!(
                "lower `min_severity` to `{strongest}` or below, or detect an entity of that severity (the README lists each entity's severity)"
            )),
        );
    }
}

fn sites_both_approved_and_unapproved(p: &Program, out: &mut Vec<Diagnostic>) {
    for policy in &p.policies {
        let unapproved: BTreeSet<String> = policy
            .unapproved_tools
            .iter()
            .flatten()
            .map(|t| t.pattern.value.to_ascii_lowercase())
            .collect();
        for a in policy.approved_sites.iter().flatten() {
            if !unapproved.contains(&a.pattern.value.to_ascii_lowercase()) {
                continue;
            }
            out.push(
                Diagnostic::new(
                    Code::NeverTakesEffect,
                    &policy.file,
                    a.pattern.span,
                    format!(
                        "site `{}` is both approved and an unapproved tool in policy `{}`: the unapproved entry stops its events first, so this approval is never read",
                        a.pattern.value, policy.name.value
                    ),
                )
                .with_help("remove it from one of `approved_sites` and `unapproved_tools`"),
            );
        }
    }
}

fn providers_named_twice(p: &Program, out: &mut Vec<Diagnostic>) {
    for r in &p.rules {
        let mut seen = BTreeSet::new();
        for name in r.provider.iter().flatten() {
            if seen.insert(name.value.as_str()) {
                continue;
            }
            out.push(
                Diagnostic::new(
                    Code::NeverTakesEffect,
                    &r.file,
                    name.span,
                    format!(
                        "rule `{}` names provider `{}` twice: the second entry adds nothing",
                        r.name.value, name.value
                    ),
                )
                .with_help("remove the repeated provider"),
            );
        }
    }
}
