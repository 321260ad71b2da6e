//! GC301–GC303 and GC403: names that must resolve. A rule's provider, a
//! cap's approval chain, an exception's target; and a rule's category must
//! be one its provider scores.

use crate::diagnostic::Diagnostic;
use crate::ir::enums::CapAction;
use crate::ir::{Home, Homed, Program, TargetKind};
use crate::lint::registry::Code;
use crate::suggest::did_you_mean;

/// Why `name` does not resolve from `from`, and what might be meant:
/// defined only where `from` cannot see it, or a near spelling among the
/// names it can.
fn scoped_hint<T: Homed>(name: &str, items: &[T], from: &Home, what: &str) -> String {
    let visible = |x: &&T| from.lookup_order().any(|h| h == x.home());
    if let Some(elsewhere) = items.iter().find(|x| x.name() == name && !visible(x)) {
        return format!(
            "`{name}` is defined in {}, which {} cannot see: names resolve in the referring policy's project (or agent), then the tenant",
            elsewhere.home().describe(),
            from.describe()
        );
    }
    let mut names: Vec<&str> = items.iter().filter(visible).map(Homed::name).collect();
    names.sort_unstable();
    names.dedup();
    hint(name, names.into_iter(), what)
}

fn hint<'a>(name: &str, candidates: impl Iterator<Item = &'a str>, what: &str) -> String {
    let list: Vec<&str> = candidates.collect();
    match did_you_mean(name, list.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None if list.is_empty() => format!("no {what} is defined in the files linted together"),
        None => format!("defined {what}s: {}", list.join(", ")),
    }
}

/// Where providers come from, and the nearest name of either source.
fn provider_help(name: &str, p: &Program, home: &Home) -> String {
    let files = scoped_hint(name, &p.providers, home, "provider");
    if files.starts_with("did you mean") || files.contains("cannot see") {
        return files;
    }
    let registry = crate::ir::registry_providers::names();
    if let Some(s) = did_you_mean(name, registry) {
        return format!("did you mean `{s}` (a provider of Kore's tenant registry)?");
    }
    let names: Vec<String> = crate::ir::registry_providers::names()
        .map(|n| format!("`{n}`"))
        .collect();
    format!(
        "{files}; a provider is a `PROVIDERS:` entry of a policy file linted with it (in the rule's project or the tenant), or one of Kore's tenant registry: {}",
        names.join(", ")
    )
}

pub fn check(p: &Program, out: &mut Vec<Diagnostic>) {
    for r in &p.rules {
        let home = p.rule_home(r);
        for prov in r.provider.iter().flatten() {
            match p.provider(&prov.value, &home) {
                None => out.push(
                    Diagnostic::new(
                        Code::UnknownProvider,
                        &r.file,
                        prov.span,
                        format!("unknown provider `{}`", prov.value),
                    )
                    .with_help(provider_help(&prov.value, p, &home)),
                ),
                Some(provider) => {
                    let category = r.category.as_ref().or(provider.default_category.as_ref());
                    match (category, &provider.supported_categories) {
                    (None, _) => out.push(
                        Diagnostic::new(Code::MissingField, &r.file, prov.span, format!("rule `{}` names no `category` and provider `{}` has no `default_category`", r.name.value, prov.value))
                            .with_help("add `category:` to the rule"),
                    ),
                    (Some(c), Some(sup)) if r.category.is_some() && !sup.iter().any(|s| s.value == c.value) => {
                        let names: Vec<&str> = sup.iter().map(|s| s.value.as_str()).collect();
                        out.push(
                            Diagnostic::new(Code::UnknownCategory, &r.file, c.span, format!("provider `{}` does not list category `{}`", prov.value, c.value))
                                .with_help(match did_you_mean(&c.value, names.iter().copied()) {
                                    Some(s) => format!("did you mean `{s}`?"),
                                    None => format!("supported categories: {}", names.join(", ")),
                                }),
                        );
                    }
                    _ => {}
                }
                }
            }
        }
    }
    for c in &p.caps {
        match (&c.approval_chain, c.action.as_ref().map(|a| a.value)) {
            (Some(chain), _) if p.chain(&chain.value, &c.home).is_none() => {
                out.push(
                    Diagnostic::new(
                        Code::UnknownApprovalChain,
                        &c.file,
                        chain.span,
                        format!("unknown approval chain `{}`", chain.value),
                    )
                    .with_help(scoped_hint(
                        &chain.value,
                        &p.chains,
                        &c.home,
                        "approval chain",
                    )),
                );
            }
            (None, Some(CapAction::RequireApproval)) => {
                let span = c.action.as_ref().map_or(c.name.span, |a| a.span);
                out.push(
                    Diagnostic::new(
                        Code::UnknownApprovalChain,
                        &c.file,
                        span,
                        format!(
                            "cap `{}` requires approval but names no `approval_chain`",
                            c.name.value
                        ),
                    )
                    .with_help("add `approval_chain: NAME`"),
                );
            }
            _ => {}
        }
    }
    for e in &p.exceptions {
        let Some(t) = &e.target else { continue };
        let (kind, name) = &t.value;
        let exists = match kind {
            TargetKind::Cap => p.cap(name, &e.home).is_some(),
            TargetKind::Rule => p.rules.iter().any(|r| &r.name.value == name),
        };
        if !exists {
            let (what, help) = match kind {
                TargetKind::Cap => ("cap", scoped_hint(name, &p.caps, &e.home, "cap")),
                TargetKind::Rule => (
                    "rule",
                    hint(name, p.rules.iter().map(|r| r.name.value.as_str()), "rule"),
                ),
            };
            out.push(
                Diagnostic::new(
                    Code::UnknownExceptionTarget,
                    &e.file,
                    t.span,
                    format!(
                        "exception `{}` targets unknown {what} `{name}`",
                        e.name.value
                    ),
                )
                .with_help(help),
            );
        }
    }
}
