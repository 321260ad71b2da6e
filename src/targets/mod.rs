//! Compile targets (spec §8): the one effective model written as the JSON
//! each runtime itself consumes. Every target is one file behind
//! [`Target`]; a sixth runtime is one more file and one more row of
//! [`TARGETS`].
//!
//! ```text
//! effective model (ERule, policies) ─┬─▶ refusals ─▶ lint (GC406) / compile (not written)
//!                                    └─▶ compile  ─▶ the runtime's JSON (schema: targets/<rt>.schema.json)
//! ```
//!
//! What a target cannot express is a [`Refusal`] naming the rule (or
//! policy), the feature and the runtime; `compile --target` writes nothing
//! while any remains, and lint reports the refusals of each policy's own
//! `runtime:`, so a deployment never silently loses a check.

pub mod governance;
pub mod import;
pub mod kaireon;
pub mod kairro;
pub mod kore;
pub mod lower;
pub mod orq;

use std::sync::Arc;

use serde_json::Value;

use crate::effective::ERule;
use crate::ir::enums::Runtime;
use crate::ir::{Policy, Program};
use crate::source::{SourceFile, Span};

/// Something a target cannot write, and where it is written.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub file: Arc<SourceFile>,
    pub span: Span,
    /// `rule `pii/cards`` or `policy `payments``.
    pub subject: String,
    /// The feature (`entities`, `combine: first_match`).
    pub feature: String,
    /// Why the runtime cannot have it, and what would do instead.
    pub why: String,
    /// The runtime the subject is deployed to (its policy's `runtime:`).
    pub deployed: Runtime,
}

/// What a target reads: the program's policies, agents and effective
/// rules (computed once), all of them or those deployed to one runtime.
pub struct Input<'p> {
    pub program: &'p Program,
    pub rules: Vec<ERule>,
    pub policies: Vec<&'p Policy>,
    pub agents: Vec<&'p crate::ir::Agent>,
    /// The runtime this input was narrowed to (`None`: everything).
    pub only: Option<Runtime>,
}

impl<'p> Input<'p> {
    /// Everything in the program (`compile --target`).
    pub fn new(program: &'p Program) -> Input<'p> {
        Self::deployed_to(program, None)
    }

    /// What is deployed to `runtime` (all with `None`): policies by their
    /// `runtime:`, agents by the repository's.
    pub fn deployed_to(program: &'p Program, runtime: Option<Runtime>) -> Input<'p> {
        Self::of(program, crate::effective::rules(program), runtime)
    }

    /// What of `rules` (the program's effective rules) and the program's
    /// policies and agents is deployed to `runtime` (all with `None`).
    pub fn of(program: &'p Program, rules: Vec<ERule>, runtime: Option<Runtime>) -> Input<'p> {
        let keep = |rt: Runtime| runtime.is_none_or(|want| want == rt);
        let agents_rt = program.runtime.unwrap_or(Runtime::Guardctl);
        Input {
            program,
            rules: rules.into_iter().filter(|r| keep(r.runtime)).collect(),
            policies: program
                .policies
                .iter()
                .filter(|p| keep(crate::effective::runtime::of(program, Some(p))))
                .collect(),
            agents: program.agents.iter().filter(|_| keep(agents_rt)).collect(),
            only: runtime,
        }
    }

    /// The runtime a policy is deployed to.
    pub fn runtime_of(&self, p: &Policy) -> Runtime {
        crate::effective::runtime::of(self.program, Some(p))
    }

    /// A refusal about a rule.
    pub fn refuse_rule(&self, r: &ERule, feature: &str, why: impl Into<String>) -> Refusal {
        Refusal {
            file: r.file.clone(),
            span: r.span,
            subject: format!("rule `{}`", r.id),
            feature: feature.to_string(),
            why: why.into(),
            deployed: r.runtime,
        }
    }

    /// A refusal about a policy, at `span` (a key of it).
    pub fn refuse_policy(
        &self,
        p: &Policy,
        span: Span,
        feature: &str,
        why: impl Into<String>,
    ) -> Refusal {
        Refusal {
            file: p.file.clone(),
            span,
            subject: format!("policy `{}`", p.name.value),
            feature: feature.to_string(),
            why: why.into(),
            deployed: self.runtime_of(p),
        }
    }

    /// Each source rule once (the halves of `kind: both` are one rule for
    /// the runtimes that have no stage or take `both` as such).
    pub fn one_per_rule(&self) -> impl Iterator<Item = &ERule> {
        let mut seen = std::collections::BTreeSet::new();
        self.rules.iter().filter(move |r| seen.insert(r.source))
    }

    /// Whether the rule is written `kind: both`.
    pub fn is_both(&self, r: &ERule) -> bool {
        self.program
            .rules
            .get(r.source)
            .and_then(|s| s.kind.as_ref())
            .is_some_and(|k| k.value == crate::ir::enums::Kind::Both)
    }

    /// Whether the rule's source writes `key` (not inherited, not defaulted).
    pub fn given(&self, r: &ERule, key: &str) -> bool {
        self.program
            .rules
            .get(r.source)
            .is_some_and(|s| s.given.contains(key))
    }

    /// A refusal for each key of `table` the rule writes: (key, why).
    pub fn refuse_given(&self, r: &ERule, table: &[(&str, &str)], out: &mut Vec<Refusal>) {
        for (key, why) in table {
            if self.given(r, key) {
                out.push(self.refuse_rule(r, key, *why));
            }
        }
    }

    /// A refusal for each policy setting of `table` the policy writes:
    /// (setting, why), the settings as [`written_settings`] names them.
    pub fn refuse_settings(&self, p: &Policy, table: &[(&str, &str)], out: &mut Vec<Refusal>) {
        for (key, label, span) in written_settings(p) {
            if let Some((_, why)) = table.iter().find(|(k, _)| *k == key) {
                out.push(self.refuse_policy(p, span, &label, *why));
            }
        }
    }

    /// The rules a policy owns (an agent's overrides of them are the
    /// agent's).
    pub fn rules_of<'a>(&'a self, policy: &'a str) -> impl Iterator<Item = &'a ERule> {
        self.rules
            .iter()
            .filter(move |r| matches!(&r.owner, crate::ir::Owner::Policy(p) if p == policy))
    }
}

/// The policy settings a runtime may lack that the policy writes: (key,
/// how it is written, where). Keys: `fail_mode: closed`, `combine`,
/// Kairro's `priority`, `type`, `default` and sites, Kore's
/// `constitution`, and the runtime settings.
pub fn written_settings(p: &Policy) -> Vec<(&'static str, String, Span)> {
    use crate::ir::enums::{Combine, FailMode};
    let mut out = Vec::new();
    let mut add = |k: &'static str, label: Option<String>, span: Option<Span>| {
        if let Some(s) = span {
            out.push((k, label.unwrap_or_else(|| k.to_string()), s));
        }
    };
    add(
        "fail_mode: closed",
        None,
        p.fail_mode
            .as_ref()
            .filter(|f| f.value == FailMode::Closed)
            .map(|f| f.span),
    );
    let combine = p
        .combine
        .as_ref()
        .filter(|c| c.value != Combine::MostRestrictive);
    add(
        "combine",
        combine.map(|c| format!("combine: {}", c.value)),
        combine.map(|c| c.span),
    );
    add("priority", None, p.priority.as_ref().map(|x| x.span));
    add("type", None, p.policy_type.as_ref().map(|x| x.span));
    add("default", None, p.default.as_ref().map(|x| x.span));
    let first_pattern = |v: &Option<Vec<crate::ir::ApprovedSite>>| {
        v.as_ref().and_then(|v| v.first()).map(|x| x.pattern.span)
    };
    add("approved_sites", None, first_pattern(&p.approved_sites));
    add(
        "unapproved_tools",
        None,
        p.unapproved_tools
            .as_ref()
            .and_then(|v| v.first())
            .map(|x| x.pattern.span),
    );
    add(
        "constitution",
        None,
        p.constitution
            .as_ref()
            .and_then(|v| v.first())
            .map(|x| x.principle.span),
    );
    add(
        "timeouts",
        None,
        p.timeouts
            .as_ref()
            .and_then(|t| t.local.as_ref().or(t.model.as_ref()).or(t.llm.as_ref()))
            .map(|x| x.span),
    );
    add(
        "streaming",
        None,
        p.streaming
            .as_ref()
            .and_then(|s| s.enabled.as_ref())
            .map(|x| x.span),
    );
    add(
        "caching",
        None,
        p.caching.as_ref().and_then(|c| {
            c.enabled
                .as_ref()
                .map(|x| x.span)
                .or(c.ttl.as_ref().map(|x| x.span))
        }),
    );
    add(
        "budget",
        None,
        p.budget.as_ref().and_then(|b| {
            b.monthly_limit_usd
                .as_ref()
                .map(|x| x.span)
                .or(b.overspend_action.as_ref().map(|x| x.span))
        }),
    );
    out
}

/// One runtime's compiler.
pub trait Target: Sync {
    fn runtime(&self) -> Runtime;
    /// The JSON Schema (draft 2020-12) of what [`Target::compile`] writes.
    fn schema(&self) -> &'static str;
    /// Everything in the program this runtime cannot express.
    fn refusals(&self, input: &Input<'_>) -> Vec<Refusal>;
    /// The runtime's own JSON. Only called when there are no refusals.
    fn compile(&self, input: &Input<'_>) -> Value;
    /// The runtime's JSON (what its API returns) back into policy files.
    fn import(&self, doc: &Value, out: &mut import::Imported);
}

/// Every target, one per runtime.
pub const TARGETS: &[&dyn Target] = &[&kore::Kore, &kaireon::Kaireon, &orq::Orq, &kairro::Kairro];

/// The target for a runtime (`None` for `guardctl`: the neutral bundle).
pub fn target(runtime: Runtime) -> Option<&'static dyn Target> {
    TARGETS.iter().copied().find(|t| t.runtime() == runtime)
}

/// What `target` cannot express of `input`: its own refusals, and the
/// governance objects no runtime target carries.
pub fn refusals(target: &dyn Target, input: &Input<'_>) -> Vec<Refusal> {
    let mut out = Vec::new();
    if !input.rules.is_empty() || !input.policies.is_empty() {
        out.extend(target.refusals(input));
    }
    out.extend(governance::refusals(input, target.runtime()));
    out
}

/// The refusals of every policy and agent, each against the target of the
/// runtime it is deployed to (lint's GC406).
pub fn deployment_refusals(program: &Program) -> Vec<Refusal> {
    let mut out = Vec::new();
    let deployed = |rt: Runtime| {
        program.runtime == Some(rt)
            || program
                .policies
                .iter()
                .any(|p| p.runtime.as_ref().is_some_and(|r| r.value == rt))
    };
    if !TARGETS.iter().any(|t| deployed(t.runtime())) {
        return out;
    }
    let rules = crate::effective::rules(program);
    for t in TARGETS {
        if !deployed(t.runtime()) {
            continue;
        }
        let input = Input::of(program, rules.clone(), Some(t.runtime()));
        out.extend(refusals(*t, &input));
    }
    out
}

/// The text written: pretty JSON with a final newline.
pub fn to_text(v: &Value) -> String {
    crate::compile::to_text(v)
}
