//! GC109 / GC110 on resolved rules: a rule must have a `kind` and something
//! to check, and a `category` needs a provider (a `threshold` a provider or
//! an `llm_check`), either its own
//! or inherited from the wider rule it overrides; `streaming_interval`
//! needs `streaming: true`, likewise; `min_severity` needs `entities`; a
//! `fix` needs a `fix_strategy`.

use crate::diagnostic::Diagnostic;
use crate::ir::Program;
use crate::ir::layers::resolve;
use crate::lint::registry::Code;

pub fn check(p: &Program, out: &mut Vec<Diagnostic>) {
    for (i, res) in resolve(p).into_iter().enumerate() {
        let r = &res.rule;
        let own = p.rules.get(i);
        let inherited = if res.overrides.is_some() {
            " (nor does the rule it overrides)"
        } else {
            ""
        };
        if !r.given.contains("kind") {
            out.push(
                Diagnostic::new(
                    Code::MissingField,
                    &r.file,
                    r.name.span,
                    format!("rule `{}` has no `kind`{inherited}", r.name.value),
                )
                .with_help(
                    "add `kind:` with one of input, output, both, tool_input, tool_output, handoff",
                ),
            );
        }
        // `fix` repairs by a strategy; without one nothing can be repaired
        // (severity bands may pick `fix` too).
        let fixes = r
            .action
            .as_ref()
            .is_some_and(|a| a.value == crate::ir::enums::Action::Fix)
            || r.severity_actions
                .iter()
                .flatten()
                .any(|(_, a)| a.value == crate::ir::enums::Action::Fix);
        if fixes && r.fix_strategy.is_none() && !r.given.contains("fix_strategy") {
            let span = r.action.as_ref().map_or(r.name.span, |a| a.span);
            out.push(
                Diagnostic::new(
                    Code::MissingField,
                    &r.file,
                    span,
                    format!("rule `{}` fixes but names no `fix_strategy`{inherited}", r.name.value),
                )
                .with_help("add `fix_strategy:` with one of truncate, strip_html, redact_pii, normalize, custom (with `fix_expression`)"),
            );
        }
        // A threshold also bounds an LLM judge's verdict (0..1, as Kore's
        // tier-3 rules take it); a category is a provider's alone.
        let stray_threshold = r.threshold.is_some() && r.llm_check.is_none();
        if (r.category.is_some() || stray_threshold) && r.provider.is_none() {
            let span = r
                .category
                .as_ref()
                .map(|c| c.span)
                .or(r.threshold.as_ref().map(|t| t.span))
                .unwrap_or(r.name.span);
            out.push(
                Diagnostic::new(
                    Code::MissingField,
                    &r.file,
                    span,
                    "`category` and `threshold` need a `provider` (a `threshold` may bound an `llm_check` instead)",
                )
                .with_help("name the provider that scores this category"),
            );
        }
        // Judged on the resolved rule: an override may set the interval of
        // a streaming rule it inherits.
        // (Reported where it is written: an inherited one is the wider
        // rule's to report.)
        // `min_severity` filters entity findings: without entities it
        // would be read and change nothing.
        let own_min = own.and_then(|o| o.min_severity.as_ref());
        if let (Some(m), true) = (own_min, r.entities.as_ref().is_none_or(Vec::is_empty)) {
            out.push(
                Diagnostic::new(
                    Code::MissingField,
                    &r.file,
                    m.span,
                    format!("`min_severity` without `entities` has no effect{inherited}"),
                )
                .with_help("add `entities:` (the findings it filters) or remove `min_severity`"),
            );
        }
        let own_interval = own.and_then(|o| o.streaming_interval.as_ref());
        if let (Some(si), false) = (own_interval, r.streaming.as_ref().is_some_and(|s| s.value)) {
            out.push(
                Diagnostic::new(
                    Code::MissingField,
                    &r.file,
                    si.span,
                    format!(
                        "`streaming_interval` without `streaming: true` has no effect{inherited}"
                    ),
                )
                .with_help("add `streaming: true`"),
            );
        }
        if !r.has_check() {
            out.push(
                Diagnostic::new(Code::NothingToCheck, &r.file, r.name.span, format!("rule `{}` has nothing to check{inherited}", r.name.value))
                    .with_help("give it one of check, match, patterns, entities, provider, llm_check, tools, deny_tools, domains, max_tokens, or name it for a built-in template (`guardctl rule --templates`)"),
            );
        }
    }
}
