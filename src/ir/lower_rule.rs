//! `GUARDRAILS:` → [`Rule`]s (spec §2).

use std::sync::Arc;

use super::cel_source::read_cel;
use super::cond::read_cond;
use super::enums::{Action, Entity, FixStrategy, Scope, Severity};
use super::model::{Domains, Owner, Rule, When};
use super::patterns::check_regex;
use super::reader::Cx;
use crate::lint::registry::Code;
use crate::source::{SourceFile, Spanned};
use crate::suggest::help_for;
use crate::syntax::{Node, Value};

pub const RULE_KEYS: &[&str] = &[
    "kind",
    "check",
    "match",
    "patterns",
    "entities",
    "provider",
    "category",
    "threshold",
    "llm_check",
    "display_name",
    "description",
    "min_severity",
    "when",
    "action",
    "severity",
    "severity_actions",
    "message",
    "priority",
    "status",
    "fix_strategy",
    "fix_expression",
    "max_reasks",
    "filter_min_length",
    "streaming",
    "streaming_interval",
    "sample_rate",
    "timeout",
    "tools",
    "deny_tools",
    "domains",
    "max_tokens",
];

/// Rule names: `[a-z][a-z0-9_-]*`.
pub fn valid_rule_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_lowercase())
        && c.all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || x == '_' || x == '-')
}

/// Reads a `GUARDRAILS:` section body.
pub fn lower_rules(cx: &mut Cx<'_>, body: &Node, owner: &Owner, layer: Scope, out: &mut Vec<Rule>) {
    let entries = match &body.value {
        Value::Map(e) => e,
        Value::Null | Value::Invalid => return,
        _ => {
            cx.report(
                Code::WrongType,
                body.span,
                format!(
                    "GUARDRAILS must be a mapping from rule name to rule, not {}",
                    body.type_name()
                ),
                None,
            );
            return;
        }
    };
    for (k, v) in entries {
        let name = k.key_text();
        if !valid_rule_name(&name) {
            let suggestion: String = name
                .to_lowercase()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            cx.report(
                Code::InvalidName,
                k.span,
                format!("invalid rule name `{name}`"),
                Some(format!(
                    "rule names match `[a-z][a-z0-9_-]*`, e.g. `{suggestion}`"
                )),
            );
        }
        if let Some(rule) = lower_rule(cx, Spanned::new(name, k.span), v, owner, layer) {
            out.push(rule);
        }
    }
}

fn lower_rule(
    cx: &mut Cx<'_>,
    name: Spanned<String>,
    node: &Node,
    owner: &Owner,
    layer: Scope,
) -> Option<Rule> {
    let what = format!("rule `{}`", name.value);
    let mut o = cx.obj(node, &what)?;
    let file: Arc<SourceFile> = cx.file.clone();
    let mut r = Rule {
        file,
        name,
        owner: owner.clone(),
        layer,
        kind: None,
        check: None,
        matches: None,
        patterns: None,
        entities: None,
        provider: None,
        category: None,
        threshold: None,
        llm_check: None,
        display_name: None,
        description: None,
        min_severity: None,
        when: None,
        action: None,
        severity: None,
        severity_actions: None,
        message: None,
        priority: None,
        status: None,
        fix_strategy: None,
        fix_expression: None,
        max_reasks: None,
        filter_min_length: None,
        streaming: None,
        streaming_interval: None,
        sample_rate: None,
        timeout: None,
        tools: None,
        deny_tools: None,
        domains: None,
        max_tokens: None,
        given: RULE_KEYS.iter().copied().filter(|k| o.has(k)).collect(),
    };
    // A missing `kind` or check is reported after layering (lint), since a
    // narrower rule may inherit them from the rule it overrides.
    if let Some(n) = o.get("kind") {
        r.kind = cx.named(n, "kind");
    }
    if let Some(n) = o.get("check") {
        r.check = read_cel(cx, n, "check");
    }
    if let Some(n) = o.get("match") {
        r.matches = match &n.value {
            Value::Str(_) => read_cel(cx, n, "match").map(When::Cel),
            _ => read_cond(cx, n).map(When::Tree),
        };
    }
    if let Some(n) = o.get("patterns") {
        let list = cx.strings(n, "patterns", true);
        if let Some(list) = &list {
            let items: Vec<&Node> = match &n.value {
                Value::Seq(items) => items.iter().collect(),
                _ => vec![n],
            };
            for (p, item) in list.iter().zip(items) {
                check_regex(cx, item, &p.value);
            }
            if list.is_empty() {
                cx.report(
                    Code::NothingToCheck,
                    n.span,
                    "empty `patterns` list",
                    Some("add a pattern or remove the key".into()),
                );
            }
        }
        r.patterns = list;
    }
    if let Some(n) = o.get("entities") {
        r.entities = cx.list(n, "entities", |cx, item| {
            let s = cx.string(item, "an entity")?;
            match Entity::from_name(&s.value) {
                Some(e) => Some(Spanned::new(e, s.span)),
                None => {
                    let upper = s.value.to_uppercase();
                    let help = if Entity::from_name(&upper).is_some() {
                        format!("entity names are upper-case: `{upper}`")
                    } else {
                        help_for(&s.value, Entity::NAMES)
                    };
                    cx.report(
                        Code::UnknownPiiEntity,
                        s.span,
                        format!("unknown PII entity `{}`", s.value),
                        Some(help),
                    );
                    None
                }
            }
        });
    }
    if let Some(n) = o.get("provider") {
        r.provider = cx.strings(n, "provider", true);
        if r.provider.as_ref().is_some_and(Vec::is_empty) {
            cx.report(
                Code::NothingToCheck,
                n.span,
                "empty `provider` list",
                Some("name a provider or remove the key".into()),
            );
            r.provider = None;
        }
    }
    if let Some(n) = o.get("display_name") {
        r.display_name = cx.string(n, "display_name");
    }
    if let Some(n) = o.get("description") {
        r.description = cx.string(n, "description");
    }
    if let Some(n) = o.get("min_severity") {
        r.min_severity = cx.named::<Severity>(n, "min_severity");
        if let Some(m) = &r.min_severity {
            if matches!(m.value, Severity::Safe | Severity::Hard | Severity::Soft) {
                cx.report(
                    Code::UnknownEnumValue,
                    m.span,
                    format!("`{}` is not a finding severity", m.value),
                    Some("min_severity is one of low, medium, high, critical".into()),
                );
                r.min_severity = None;
            }
        }
    }
    if let Some(n) = o.get("category") {
        r.category = cx.string(n, "category");
    }
    if let Some(n) = o.get("threshold") {
        r.threshold = cx.ranged(n, "threshold", 0.0, 1.0);
    }
    if let Some(n) = o.get("llm_check") {
        r.llm_check = cx.string(n, "llm_check");
    }
    if let Some(n) = o.get("when") {
        r.when = match &n.value {
            Value::Str(_) => read_cel(cx, n, "when").map(When::Cel),
            _ => read_cond(cx, n).map(When::Tree),
        };
    }
    if let Some(n) = o.get("action") {
        r.action = cx.named(n, "action");
    }
    if let Some(n) = o.get("severity") {
        r.severity = cx.named(n, "severity");
    }
    if let Some(n) = o.get("severity_actions") {
        if let Some(mut sa) = cx.obj(n, "severity_actions") {
            let mut bands = Vec::new();
            for (k, v) in sa.entries {
                let sev = cx.named::<Severity>(k, "severity");
                if let Some(sev) = &sev {
                    if matches!(sev.value, Severity::Hard | Severity::Soft) {
                        cx.report(
                            Code::UnknownEnumValue,
                            k.span,
                            format!("`{}` is not a score band", sev.value),
                            Some("bands are safe, low, medium, high, critical".into()),
                        );
                    }
                }
                let act = cx.named::<Action>(v, "action");
                if let (Some(s), Some(a)) = (sev, act) {
                    bands.push((s, a));
                }
            }
            let keys: Vec<String> = sa.entries.iter().map(|(k, _)| k.key_text()).collect();
            for k in &keys {
                sa.get(k);
            }
            sa.finish(cx, &[], "severity_actions");
            bands.sort_by_key(|(s, _)| s.value.rank());
            r.severity_actions = Some(bands);
        }
    }
    // Kore's `msg` is `message` (spec §4).
    let (message, msg) = (o.get("message"), o.get("msg"));
    if let (Some(_), Some(m)) = (message, msg) {
        cx.report(
            Code::DuplicateKey,
            m.span,
            "`msg` and `message` are the same key",
            Some("keep one of them".into()),
        );
    }
    if let Some(n) = message.or(msg) {
        r.message = cx.string(n, "message");
    }
    if let Some(n) = o.get("priority") {
        r.priority = cx.int(n, "priority", 0);
    }
    if let Some(n) = o.get("status") {
        r.status = cx.named(n, "status");
    }
    if let Some(n) = o.get("fix_strategy") {
        r.fix_strategy = cx.named(n, "fix_strategy");
    }
    if let Some(n) = o.get("fix_expression") {
        r.fix_expression = read_cel(cx, n, "fix_expression");
    }
    if let Some(n) = o.get("max_reasks") {
        r.max_reasks = cx.int(n, "max_reasks", 0);
    }
    if let Some(n) = o.get("filter_min_length") {
        r.filter_min_length = cx.int(n, "filter_min_length", 0);
    }
    if let Some(n) = o.get("streaming") {
        r.streaming = cx.boolean(n, "streaming");
    }
    if let Some(n) = o.get("streaming_interval") {
        r.streaming_interval = cx.named(n, "streaming_interval");
    }
    if let Some(n) = o.get("sample_rate") {
        r.sample_rate = cx.ranged(n, "sample_rate", 0.0, 1.0);
    }
    if let Some(n) = o.get("timeout") {
        r.timeout = cx.duration(n, "timeout");
    }
    if let Some(n) = o.get("tools") {
        r.tools = cx.strings(n, "tools", true);
    }
    if let Some(n) = o.get("deny_tools") {
        r.deny_tools = cx.strings(n, "deny_tools", true);
    }
    if let Some(n) = o.get("domains") {
        r.domains = read_domains(cx, n);
    }
    let globs = [
        ("tools", r.tools.as_ref()),
        ("deny_tools", r.deny_tools.as_ref()),
    ];
    let domains = r.domains.as_ref();
    let globs = globs.into_iter().chain([
        ("domains.allow", domains.map(|d| &d.allow)),
        ("domains.deny", domains.map(|d| &d.deny)),
    ]);
    for (what, list) in globs {
        for g in list.into_iter().flatten() {
            super::lower_governance::check_glob(cx, g, what);
        }
    }
    if let Some(n) = o.get("max_tokens") {
        r.max_tokens = cx.int(n, "max_tokens", 1);
    }
    o.finish(cx, RULE_KEYS, &what);

    // Field combinations.
    let custom = r
        .fix_strategy
        .as_ref()
        .is_some_and(|f| f.value == FixStrategy::Custom);
    match (&r.fix_expression, custom) {
        (Some(fx), false) => cx.report(
            Code::UnknownKey,
            fx.span,
            "`fix_expression` is only read with `fix_strategy: custom`",
            Some("set `fix_strategy: custom` or remove `fix_expression`".into()),
        ),
        (None, true) => cx.report(
            Code::MissingField,
            r.fix_strategy.as_ref().map_or(r.name.span, |f| f.span),
            "`fix_strategy: custom` needs a `fix_expression`",
            None,
        ),
        _ => {}
    }
    Some(r)
}

fn read_domains(cx: &mut Cx<'_>, n: &Node) -> Option<Domains> {
    match &n.value {
        Value::Seq(_) | Value::Str(_) => Some(Domains {
            allow: cx.strings(n, "domains", true)?,
            deny: Vec::new(),
        }),
        Value::Map(_) => {
            let mut o = cx.obj(n, "domains")?;
            let allow = o
                .get("allow")
                .and_then(|v| cx.strings(v, "domains.allow", true))
                .unwrap_or_default();
            let deny = o
                .get("deny")
                .and_then(|v| cx.strings(v, "domains.deny", true))
                .unwrap_or_default();
            o.finish(cx, &["allow", "deny"], "domains");
            if allow.is_empty() && deny.is_empty() {
                cx.report(
                    Code::NothingToCheck,
                    n.span,
                    "`domains` lists no domain",
                    None,
                );
            }
            Some(Domains { allow, deny })
        }
        Value::Invalid => None,
        _ => {
            cx.report(
                Code::WrongType,
                n.span,
                format!(
                    "domains must be a list (allow-list) or `{{deny: [...]}}`, not {}",
                    n.type_name()
                ),
                None,
            );
            None
        }
    }
}
