//! Kairro (spec §8): `{"policies": [...], "extensionConfig": {...}}`, the
//! policies Kairro's engine evaluates and the config its browser extension
//! reads. Enums are Kairro's upper-case ones. Each check of a rule becomes
//! one Kairro rule of its kind with the rule's action and severity (they
//! fire independently, as the checks of one guardctl rule do):
//!
//! | guardctl | Kairro rule |
//! |---|---|
//! | `entities`, `patterns`, `min_severity` | `DLP`: `criteria.regex {pattern, target}` (patterns joined as one alternation), `criteria.minSeverity`, `criteria.custom.entities` |
//! | `tools` / `deny_tools` | `ALLOW_TOOLS` / `DENY_TOOLS`: `criteria.tools` |
//! | `domains` | `DOMAIN_RESTRICTION`: `criteria.domains {allow, deny}` |
//! | `max_tokens` | `TOKEN_LIMIT`: `criteria.tokenThreshold` |
//! | `check`, `match` | `OTHER`: `criteria.custom.cel`, the violation predicate |
//!
//! Kairro's public material names its concepts but not these JSON keys:
//! `criteria.custom.entities`, `criteria.custom.cel`, `criteria.domains`'s
//! `allow`/`deny` and the extension config's `version` (the first 16 hex
//! digits of the SHA-256 of its sites, so it changes when they do) are
//! guardctl's choice.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::lower::{Style, violation};
use super::{Input, Refusal, Target};
use crate::effective::ERule;
use crate::ir::enums::{
    Action, Combine, FailMode, Kind, PolicyStatus, PolicyType, RuleStatus, Runtime, Scope, Severity,
};
use crate::ir::{Owner, Policy};

pub struct Kairro;

const STYLE: Style = Style {
    abl_prefix: false,
    text_var: "text",
    pii_entities: true,
    score: false,
    runtime: "Kairro",
};

impl Target for Kairro {
    fn runtime(&self) -> Runtime {
        Runtime::Kairro
    }

    fn schema(&self) -> &'static str {
        include_str!("kairro.schema.json")
    }

    fn refusals(&self, input: &Input<'_>) -> Vec<Refusal> {
        let mut out = Vec::new();
        for p in input.policies.iter().copied() {
            policy_refusals(input, p, &mut out);
        }
        for r in input.one_per_rule() {
            rule_refusals(input, r, &mut out);
        }
        out
    }

    fn import(&self, doc: &Value, out: &mut super::import::Imported) {
        super::import::kairro::import(doc, out);
    }

    fn compile(&self, input: &Input<'_>) -> Value {
        let mut policies: Vec<Value> = input
            .policies
            .iter()
            .copied()
            .map(|p| policy(input, p))
            .collect();
        policies.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        let mut sites = Vec::new();
        let mut tools = Vec::new();
        for p in input.policies.iter().copied() {
            let rt = input.runtime_of(p);
            for a in p.approved_sites.iter().flatten() {
                sites.push(
                    json!({"pattern": a.pattern.value, "applyPolicies": a.applies_policies()}),
                );
            }
            for t in p.unapproved_tools.iter().flatten() {
                let (action, severity) = crate::effective::runtime::unapproved_tool(rt, t);
                tools.push(json!({"pattern": t.pattern.value, "action": upper(action.as_str()), "severity": upper(severity.as_str())}));
            }
        }
        let key = |v: &Value| v["pattern"].as_str().unwrap_or_default().to_string();
        sites.sort_by_key(key);
        tools.sort_by_key(key);
        let content = serde_json::to_string(&json!([sites, tools])).unwrap_or_default();
        let hash = Sha256::digest(content.as_bytes());
        let version: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
        json!({
            "policies": policies,
            "extensionConfig": {"version": version, "approvedSites": sites, "unapprovedTools": tools},
        })
    }
}

fn kairro_action(a: Action) -> bool {
    matches!(
        a,
        Action::Allow | Action::Block | Action::Warn | Action::Mask | Action::Alert
    )
}

fn kairro_severity(s: Severity) -> bool {
    matches!(
        s,
        Severity::Low | Severity::Medium | Severity::High | Severity::Critical
    )
}

fn upper(s: &str) -> String {
    s.to_ascii_uppercase()
}

const NOT_HERE: &[(&str, &str)] = &[
    ("timeouts", "Kairro's policies have no such setting"),
    ("streaming", "Kairro's policies have no such setting"),
    ("caching", "Kairro's policies have no such setting"),
    ("budget", "Kairro's policies have no such setting"),
    ("constitution", "Kairro's policies have no such setting"),
];

const RULE_NOT_HERE: &[(&str, &str)] = &[
    ("sample_rate", "Kairro evaluates every event"),
    ("timeout", "Kairro's rules have no timeout"),
    ("message", "Kairro reports its own reasons"),
    (
        "priority",
        "Kairro orders policies, not rules: give the policy a `priority`",
    ),
    ("severity_actions", "Kairro's rules read no provider score"),
    ("fix_strategy", "Kairro does not repair content"),
    ("fix_expression", "Kairro does not repair content"),
    ("max_reasks", "Kairro does not ask the model again"),
    ("filter_min_length", "Kairro does not filter content"),
    ("streaming", "Kairro reads whole prompts and completions"),
    (
        "display_name",
        "Kairro's rules have no name of their own (the policy has one)",
    ),
    (
        "description",
        "Kairro's rules have no description (the policy has one)",
    ),
];

fn policy_refusals(input: &Input<'_>, p: &Policy, out: &mut Vec<Refusal>) {
    let mut refuse = |span, feature: &str, why: &str| {
        out.push(input.refuse_policy(p, span, feature, why));
    };
    if matches!(p.scope.value, Scope::Project | Scope::Agent) {
        refuse(
            p.scope.span,
            &format!("scope: {}", p.scope.value),
            "Kairro's policies are scoped to the organisation, a team or an identity",
        );
    }
    if let Some(s) = p
        .status
        .as_ref()
        .filter(|s| s.value == PolicyStatus::Archived)
    {
        refuse(
            s.span,
            "status: archived",
            "Kairro's policy status is DRAFT, ACTIVE or DISABLED",
        );
    }
    if let Some(t) = p
        .policy_type
        .as_ref()
        .filter(|t| t.value == PolicyType::Safety)
    {
        refuse(
            t.span,
            "type: safety",
            "Kairro's policy types are DLP, SHADOW_AI, ACCESS_CONTROL and OTHER",
        );
    }
    let rt = input.runtime_of(p);
    if crate::effective::runtime::combine(rt, Some(p)) != Combine::StrongestSeverity {
        refuse(
            p.combine.as_ref().map_or(p.name.span, |c| c.span),
            &format!(
                "combine: {}",
                crate::effective::runtime::combine(rt, Some(p))
            ),
            "Kairro decides by the strongest severity: write `combine: strongest_severity` (or deploy with `runtime: kairro`)",
        );
    }
    if crate::effective::runtime::policy_fail_mode(input.program, p) == FailMode::Open {
        refuse(
            p.fail_mode.as_ref().map_or(p.name.span, |f| f.span),
            "fail_mode: open",
            "Kairro fails closed: what it cannot evaluate is blocked",
        );
    }
    for t in p.unapproved_tools.iter().flatten() {
        let (action, severity) = crate::effective::runtime::unapproved_tool(rt, t);
        if !kairro_action(action) {
            refuse(
                t.action.as_ref().map_or(t.pattern.span, |a| a.span),
                &format!("unapproved tool action: {action}"),
                "Kairro's actions are ALLOW, BLOCK, WARN, MASK and ALERT",
            );
        }
        if !kairro_severity(severity) {
            refuse(
                t.severity.as_ref().map_or(t.pattern.span, |s| s.span),
                &format!("unapproved tool severity: {severity}"),
                "Kairro's severities are LOW, MEDIUM, HIGH and CRITICAL",
            );
        }
    }
    // The extension config is one per organisation and always in force.
    let sites = p
        .approved_sites
        .iter()
        .flatten()
        .map(|x| x.pattern.span)
        .chain(p.unapproved_tools.iter().flatten().map(|x| x.pattern.span))
        .next();
    if let Some(span) = sites {
        let org_wide = matches!(p.scope.value, Scope::Tenant | Scope::Org);
        if !org_wide || p.effective_status() != PolicyStatus::Active {
            refuse(
                span,
                "approved_sites / unapproved_tools",
                "Kairro's extension config (approved sites, unapproved tools) is one per organisation and always in force: move the sites to an active organisation policy",
            );
        }
    }
    input.refuse_settings(p, NOT_HERE, out);
}

fn rule_refusals(input: &Input<'_>, r: &ERule, out: &mut Vec<Refusal>) {
    let mut refuse = |feature: &str, why: String| out.push(input.refuse_rule(r, feature, why));
    if matches!(r.owner, Owner::Agent(_)) {
        refuse(
            "agent rule",
            "Kairro has no agents: write the rule in a team or organisation policy".into(),
        );
    }
    if r.provider.is_some() || r.llm_check.is_some() {
        refuse(
            if r.provider.is_some() {
                "provider"
            } else {
                "llm_check"
            },
            "Kairro's engine runs its own detectors, no model evaluators".into(),
        );
    }
    if !kairro_action(r.action) {
        refuse(
            &format!("action: {}", r.action),
            "Kairro's actions are ALLOW, BLOCK, WARN, MASK and ALERT".into(),
        );
    }
    if !kairro_severity(r.severity) {
        refuse(
            &format!("severity: {}", r.severity),
            "Kairro's severities are LOW, MEDIUM, HIGH and CRITICAL".into(),
        );
    }
    if r.when.is_some() {
        refuse(
            "when",
            "a Kairro rule applies to every event of its policy's scope".into(),
        );
    }
    if r.status != RuleStatus::Active {
        refuse(
            &format!("status: {}", r.status),
            "Kairro's rules have no status of their own (the policy has one): move the rule to a draft or disabled policy, or remove it".into(),
        );
    }
    if matches!(r.kind, Kind::Handoff) {
        refuse(
            "kind: handoff",
            "Kairro sees prompts, completions and tool calls".into(),
        );
    }
    let content = r.check.is_some()
        || r.matcher.is_some()
        || !r.patterns.is_empty()
        || !r.entities.is_empty()
        || r.max_tokens.is_some();
    if matches!(r.kind, Kind::ToolInput | Kind::ToolOutput) && content {
        refuse(
            &format!("kind: {} with a content check", r.kind),
            "Kairro's DLP reads prompts and completions, and its tool rules allow or deny tools by name: write `tools` / `deny_tools`, or make the rule `kind: input` or `output`".into(),
        );
    }
    if r.check.is_some() || r.matcher.is_some() {
        if let Err(bad) = violation(
            &ERule {
                when: None,
                ..r.clone()
            },
            &STYLE,
            false,
        ) {
            for (feature, why) in bad {
                refuse(feature, why);
            }
        }
    }
    input.refuse_given(r, RULE_NOT_HERE, out);
}

/// PROMPT, COMPLETION or BOTH.
fn target(input: &Input<'_>, r: &ERule) -> &'static str {
    if input.is_both(r) {
        "BOTH"
    } else if matches!(r.kind, Kind::Output | Kind::ToolOutput) {
        "COMPLETION"
    } else {
        "PROMPT"
    }
}

/// One Kairro rule per check of `r`.
fn rules(input: &Input<'_>, r: &ERule) -> Vec<Value> {
    let base = |kind: &str, criteria: Map<String, Value>| {
        json!({
            "name": r.rule,
            "kind": kind,
            "action": upper(r.action.as_str()),
            "severity": upper(r.severity.as_str()),
            "criteria": criteria,
        })
    };
    let mut out = Vec::new();
    if !r.entities.is_empty() || !r.patterns.is_empty() {
        let mut c = Map::new();
        if let Some(m) = r.min_severity {
            c.insert("minSeverity".into(), json!(upper(m.as_str())));
        }
        if !r.patterns.is_empty() {
            let joined = r
                .patterns
                .iter()
                .map(|p| format!("(?:{p})"))
                .collect::<Vec<_>>()
                .join("|");
            c.insert(
                "regex".into(),
                json!({"pattern": joined, "target": target(input, r)}),
            );
        }
        if !r.entities.is_empty() {
            c.insert(
                "custom".into(),
                json!({"entities": r.entities, "target": target(input, r)}),
            );
        }
        out.push(base("DLP", c));
    }
    if let Some(t) = &r.tools {
        out.push(base(
            "ALLOW_TOOLS",
            Map::from_iter([("tools".into(), json!(t))]),
        ));
    }
    if let Some(t) = &r.deny_tools {
        out.push(base(
            "DENY_TOOLS",
            Map::from_iter([("tools".into(), json!(t))]),
        ));
    }
    // Where the check applies rides in `custom.target`, as for DLP.
    let at = || ("custom".to_string(), json!({"target": target(input, r)}));
    if r.has_domains {
        out.push(base(
            "DOMAIN_RESTRICTION",
            Map::from_iter([
                (
                    "domains".into(),
                    json!({"allow": r.allow_domains, "deny": r.deny_domains}),
                ),
                at(),
            ]),
        ));
    }
    if let Some(n) = r.max_tokens {
        out.push(base(
            "TOKEN_LIMIT",
            Map::from_iter([("tokenThreshold".into(), json!(n)), at()]),
        ));
    }
    if r.check.is_some() || r.matcher.is_some() {
        let only = ERule {
            patterns: Vec::new(),
            entities: Vec::new(),
            tools: None,
            deny_tools: None,
            max_tokens: None,
            has_domains: false,
            ..r.clone()
        };
        if let Ok(Some(cel)) = violation(&only, &STYLE, false) {
            out.push(base(
                "OTHER",
                Map::from_iter([(
                    "custom".into(),
                    json!({"cel": cel, "target": target(input, r)}),
                )]),
            ));
        }
    }
    out
}

fn policy(input: &Input<'_>, p: &Policy) -> Value {
    let mut rs: Vec<Value> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for r in input.rules_of(&p.name.value) {
        if seen.insert(r.source) {
            rs.extend(rules(input, r));
        }
    }
    let kind = p.policy_type.as_ref().map_or("OTHER", |t| match t.value {
        PolicyType::Dlp => "DLP",
        PolicyType::ShadowAi => "SHADOW_AI",
        PolicyType::AccessControl => "ACCESS_CONTROL",
        PolicyType::Safety | PolicyType::Other => "OTHER",
    });
    let status = match p.effective_status() {
        PolicyStatus::Draft => "DRAFT",
        PolicyStatus::Active => "ACTIVE",
        PolicyStatus::Disabled | PolicyStatus::Archived => "DISABLED",
    };
    let mut m = Map::new();
    m.insert("name".into(), json!(p.name.value));
    if let Some(d) = &p.description {
        m.insert("description".into(), json!(d.value));
    }
    m.insert("type".into(), json!(kind));
    m.insert("status".into(), json!(status));
    match p.scope.value {
        Scope::Team => {
            m.insert("scope".into(), json!("TEAM"));
            m.insert("team".into(), json!(p.team.as_ref().map(|t| &t.value)));
        }
        Scope::Identity => {
            m.insert("scope".into(), json!("IDENTITY"));
            m.insert(
                "identity".into(),
                json!(p.identity.as_ref().map(|t| &t.value)),
            );
        }
        _ => {
            m.insert("scope".into(), json!("ORG"));
        }
    }
    m.insert(
        "priority".into(),
        json!(crate::effective::runtime::policy_priority(p)),
    );
    m.insert(
        "isDefault".into(),
        json!(p.default.as_ref().is_some_and(|d| d.value)),
    );
    m.insert("rules".into(), json!(rs));
    Value::Object(m)
}
