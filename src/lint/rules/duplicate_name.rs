//! GC104: two definitions with one name in the same namespace. References
//! to the name become ambiguous and one definition silently wins.

use std::collections::HashMap;
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::ir::{Home, Homed, Located, Owner, Program, Rule};
use crate::lint::registry::Code;
use crate::source::{SourceFile, Span};

fn find_duplicates<'a>(
    what: &str,
    items: impl Iterator<Item = (String, &'a Arc<SourceFile>, Span)>,
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: HashMap<String, (&Arc<SourceFile>, Span)> = HashMap::new();
    for (name, file, span) in items {
        match seen.get(&name) {
            Some((f0, s0)) => out.push(
                Diagnostic::new(Code::DuplicateName, file, span, format!("duplicate {what} `{name}`"))
                    .with_related(f0, *s0, "first defined here")
                    .with_help(format!("rename one of them; {what} names must be unique across the files linted together")),
            ),
            None => {
                seen.insert(name, (file, span));
            }
        }
    }
}

/// Governance names are scoped by their policy's home (spec §3): the same
/// name in two projects is two objects.
fn homed<T: Homed + Located>(what: &str, items: &[T], out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<(&Home, &str), &T> = HashMap::new();
    for it in items {
        match seen.get(&(it.home(), it.name())) {
            Some(first) => {
                let (f0, s0) = first.location();
                let (file, span) = it.location();
                let place = match it.home() {
                    Home::Tenant => String::new(),
                    h => format!(" in {}", h.describe()),
                };
                out.push(
                    Diagnostic::new(Code::DuplicateName, file, span, format!("duplicate {what} `{}`{place}", it.name()))
                        .with_related(f0, s0, "first defined here")
                        .with_help(format!("rename one of them; {what} names must be unique within a policy's project (or agent), and the tenant's across the tenant")),
                );
            }
            None => {
                seen.insert((it.home(), it.name()), it);
            }
        }
    }
}

pub fn check(p: &Program, out: &mut Vec<Diagnostic>) {
    find_duplicates(
        "policy",
        p.policies
            .iter()
            .map(|x| (x.name.value.clone(), &x.file, x.name.span)),
        out,
    );
    find_duplicates(
        "agent",
        p.agents
            .iter()
            .map(|x| (x.name.value.clone(), &x.file, x.name.span)),
        out,
    );
    // Rules are unique per owner (a policy or an agent); the same name in
    // another layer is an override, not a duplicate. A policy split over
    // several files can still repeat a rule name.
    let mut first: HashMap<(&Owner, &str), &Rule> = HashMap::new();
    for r in &p.rules {
        match first.get(&(&r.owner, r.name.value.as_str())) {
            Some(q) => out.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    &r.file,
                    r.name.span,
                    format!("duplicate rule `{}` in `{}`", r.name.value, r.owner.name()),
                )
                .with_related(&q.file, q.name.span, "first defined here")
                .with_help(
                    "rename one of them; rule names must be unique within a policy or agent",
                ),
            ),
            None => {
                first.insert((&r.owner, r.name.value.as_str()), r);
            }
        }
    }
    homed("provider", &p.providers, out);
    homed("budget", &p.budgets, out);
    homed("cap", &p.caps, out);
    homed("approval chain", &p.chains, out);
    homed("exception", &p.exceptions, out);
}
