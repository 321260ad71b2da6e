//! GC404 (warning): a rule with both `provider` and `llm_check` is a
//! model-tier rule; its `llm_check` is never evaluated (spec §2: the
//! provider wins, as in Kore's compiler, which drops the LLM check).

use crate::diagnostic::Diagnostic;
use crate::ir::Program;
use crate::ir::layers::resolve;
use crate::lint::registry::Code;

pub fn check(p: &Program, out: &mut Vec<Diagnostic>) {
    for (i, res) in resolve(p).into_iter().enumerate() {
        let r = &res.rule;
        if r.provider.is_none() || r.llm_check.is_none() {
            continue;
        }
        // Reported once, where the rule writes `llm_check` itself (an
        // inherited one is the wider rule's to report).
        let own = p.rules.get(i).and_then(|o| o.llm_check.as_ref());
        let Some(span) = own.map(|o| o.span) else {
            continue;
        };
        out.push(
            Diagnostic::new(
                Code::DeadLlmCheck,
                &r.file,
                span,
                format!(
                    "rule `{}` has a `provider`, so its `llm_check` is never evaluated",
                    r.name.value
                ),
            )
            .with_help("a rule's tier is `model` when it names a provider; move the LLM check into a rule of its own, or remove it"),
        );
    }
}
