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

    /// The rules a policy owns (an agent's overrides of them are the
    /// agent's).
    pub fn rules_of<'a>(&'a self, policy: &'a str) -> impl Iterator<Item = &'a ERule> {
        self.rules
            .iter()
            .filter(move |r| matches!(&r.owner, crate::ir::Owner::Policy(p) if p == policy))
    }
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
        if !input.rules.is_empty() || !input.policies.is_empty() {
            out.extend(t.refusals(&input));
        }
    }
    out
}

/// The text written: pretty JSON with a final newline.
pub fn to_text(v: &Value) -> String {
    crate::compile::to_text(v)
}
