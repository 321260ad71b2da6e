//! Where each field of each bundle object was written: the IR keeps a span
//! per value, and the bundle does not, so a diff looks locations up here
//! (field path → file, line, column). Top-level fields are keyed by name,
//! fields of nested objects and approval steps by their path as the diff
//! names them (`timeouts_ms.model`, `scope.team`, `steps[2].approvers`).
//! A field left to its default has no location: the nearest enclosing
//! one, or the object's own, stands in.

use std::collections::BTreeMap;

use super::{Location, ObjectType};
use crate::effective::rule_ids;
use crate::ir::{Program, Rule, When};
use crate::source::{SourceFile, Span, Spanned};

/// Field locations per object, keyed like [`super::Side`].
pub type Locations = BTreeMap<(ObjectType, String), BTreeMap<String, Location>>;

pub fn location(file: &SourceFile, span: Span) -> Location {
    let (line, column) = file.line_col(span.start);
    Location {
        file: file.name.clone(),
        line,
        column,
    }
}

fn s<T>(v: &Option<Spanned<T>>) -> Option<Span> {
    v.as_ref().map(|x| x.span)
}

fn first<T>(v: &Option<Vec<Spanned<T>>>) -> Option<Span> {
    v.as_ref().and_then(|l| l.first()).map(|x| x.span)
}

fn scope_span(scope: &[(Spanned<String>, Spanned<String>)]) -> Option<Span> {
    scope.first().map(|(k, _)| k.span)
}

/// `<name>.<key>` for each key of a map written in the source (a scope,
/// severity bands), located at the key.
fn keyed<'a, K: std::fmt::Display + 'a, V: 'a>(
    name: &str,
    map: impl IntoIterator<Item = &'a (Spanned<K>, V)>,
) -> Vec<(String, Option<Span>)> {
    map.into_iter()
        .map(|(k, _)| (format!("{name}.{}", k.value), Some(k.span)))
        .collect()
}

/// `<name>.<field>` for the fields of a nested object.
fn nested(name: &str, fields: &[(&str, Option<Span>)]) -> Vec<(String, Option<Span>)> {
    fields
        .iter()
        .map(|(f, span)| (format!("{name}.{f}"), *span))
        .collect()
}

/// Collects `(field, span)` pairs that exist into the map for one object.
fn put<N: AsRef<str>>(
    out: &mut Locations,
    file: &SourceFile,
    key: &(ObjectType, String),
    fields: impl IntoIterator<Item = (N, Option<Span>)>,
) {
    let m = out.entry(key.clone()).or_default();
    for (name, span) in fields {
        if let Some(span) = span {
            m.entry(name.as_ref().to_string())
                .or_insert_with(|| location(file, span));
        }
    }
}

/// Where each field of a rule is written (the bundle's field names).
pub fn rule_fields(r: &Rule) -> Vec<(&'static str, Option<Span>)> {
    let when = match &r.when {
        Some(When::Cel(c)) => Some(c.span),
        _ => None,
    };
    vec![
        ("kind", s(&r.kind)),
        ("check", r.check.as_ref().map(|c| c.span)),
        ("patterns", first(&r.patterns)),
        ("entities", first(&r.entities)),
        ("provider", first(&r.provider)),
        ("category", s(&r.category)),
        ("threshold", s(&r.threshold)),
        ("llm_check", s(&r.llm_check)),
        ("when", when),
        ("action", s(&r.action)),
        ("severity", s(&r.severity)),
        (
            "severity_actions",
            r.severity_actions
                .as_ref()
                .and_then(|b| b.first())
                .map(|(k, _)| k.span),
        ),
        ("message", s(&r.message)),
        ("priority", s(&r.priority)),
        ("status", s(&r.status)),
        ("fix_strategy", s(&r.fix_strategy)),
        ("fix_expression", r.fix_expression.as_ref().map(|c| c.span)),
        ("max_reasks", s(&r.max_reasks)),
        ("filter_min_length", s(&r.filter_min_length)),
        ("streaming", s(&r.streaming)),
        ("streaming_interval", s(&r.streaming_interval)),
        ("sample_rate", s(&r.sample_rate)),
        ("timeout_ms", s(&r.timeout)),
        ("tools", first(&r.tools)),
        ("deny_tools", first(&r.deny_tools)),
        (
            "domains",
            r.domains
                .as_ref()
                .and_then(|d| d.allow.first().or(d.deny.first()))
                .map(|x| x.span),
        ),
        ("max_tokens", s(&r.max_tokens)),
        ("display_name", s(&r.display_name)),
        ("description", s(&r.description)),
        ("min_severity", s(&r.min_severity)),
    ]
}

/// A policy's site lists and constitution, entry by entry
/// (`approved_sites[0]`, `unapproved_tools[1].action`), each entry at its
/// pattern (or principle) where a field of it is not written.
fn policy_lists(p: &crate::ir::Policy) -> Vec<(String, Option<Span>)> {
    let mut out = Vec::new();
    let mut entry = |list: &str, i: usize, at: Span, fields: &[(&str, Option<Span>)]| {
        let name = format!("{list}[{i}]");
        if i == 0 {
            out.push((list.to_string(), Some(at)));
        }
        for (f, span) in fields {
            out.push((format!("{name}.{f}"), span.or(Some(at))));
        }
        out.push((name, Some(at)));
    };
    for (i, a) in p.approved_sites.iter().flatten().enumerate() {
        let at = a.pattern.span;
        entry(
            "approved_sites",
            i,
            at,
            &[
                ("pattern", Some(at)),
                ("apply_policies", s(&a.apply_policies)),
            ],
        );
    }
    for (i, t) in p.unapproved_tools.iter().flatten().enumerate() {
        let at = t.pattern.span;
        entry(
            "unapproved_tools",
            i,
            at,
            &[
                ("pattern", Some(at)),
                ("action", s(&t.action)),
                ("severity", s(&t.severity)),
            ],
        );
    }
    for (i, c) in p.constitution.iter().flatten().enumerate() {
        let at = c.principle.span;
        entry(
            "constitution",
            i,
            at,
            &[("principle", Some(at)), ("weight", s(&c.weight))],
        );
    }
    out
}

pub fn locations(program: &Program) -> Locations {
    let mut out = Locations::new();
    for r in &program.rules {
        let fields = rule_fields(r);
        let bands = keyed("severity_actions", r.severity_actions.iter().flatten());
        for (id, _, _) in rule_ids(r) {
            let key = (ObjectType::Rule, id);
            put(&mut out, &r.file, &key, fields.iter().copied());
            put(&mut out, &r.file, &key, bands.iter().cloned());
        }
    }
    for p in &program.policies {
        let fields = vec![
            ("description", s(&p.description)),
            ("type", s(&p.policy_type)),
            ("scope", Some(p.scope.span)),
            ("project", s(&p.project)),
            ("agent", s(&p.agent)),
            ("status", s(&p.status)),
            ("default", s(&p.default)),
            ("fail_mode", s(&p.fail_mode)),
            (
                "timeouts_ms",
                p.timeouts
                    .as_ref()
                    .and_then(|t| t.local.as_ref().or(t.model.as_ref()).or(t.llm.as_ref()))
                    .map(|x| x.span),
            ),
            (
                "streaming",
                p.streaming.as_ref().and_then(|st| {
                    s(&st.enabled)
                        .or(s(&st.interval))
                        .or(s(&st.early_termination))
                }),
            ),
            (
                "caching",
                p.caching.as_ref().and_then(|c| s(&c.enabled).or(s(&c.ttl))),
            ),
            (
                "budget",
                p.budget
                    .as_ref()
                    .and_then(|b| s(&b.monthly_limit_usd).or(s(&b.overspend_action))),
            ),
            ("combine", s(&p.combine)),
            ("priority", s(&p.priority)),
            ("team", s(&p.team)),
            ("identity", s(&p.identity)),
        ];
        let key = (ObjectType::Policy, p.name.value.clone());
        put(&mut out, &p.file, &key, fields);
        put(&mut out, &p.file, &key, policy_lists(p));
        if let Some(t) = &p.timeouts {
            let t = [
                ("local", s(&t.local)),
                ("model", s(&t.model)),
                ("llm", s(&t.llm)),
            ];
            put(&mut out, &p.file, &key, nested("timeouts_ms", &t));
        }
        if let Some(st) = &p.streaming {
            let st = [
                ("enabled", s(&st.enabled)),
                ("interval", s(&st.interval)),
                ("chunk_size", s(&st.chunk_size)),
                ("max_latency_ms", s(&st.max_latency)),
                ("early_termination", s(&st.early_termination)),
            ];
            put(&mut out, &p.file, &key, nested("streaming", &st));
        }
        if let Some(c) = &p.caching {
            let c = [("enabled", s(&c.enabled)), ("ttl_ms", s(&c.ttl))];
            put(&mut out, &p.file, &key, nested("caching", &c));
        }
        if let Some(b) = &p.budget {
            let b = [
                ("monthly_limit_usd", s(&b.monthly_limit_usd)),
                ("overspend_action", s(&b.overspend_action)),
            ];
            put(&mut out, &p.file, &key, nested("budget", &b));
        }
    }
    for p in &program.providers {
        let fields = vec![
            ("adapter", s(&p.adapter)),
            ("hosting", s(&p.hosting)),
            ("endpoint", s(&p.endpoint)),
            ("model", s(&p.model)),
            ("auth_profile", s(&p.auth_profile)),
            ("default_category", s(&p.default_category)),
            ("default_threshold", s(&p.default_threshold)),
            ("supported_categories", first(&p.supported_categories)),
            ("cost_per_eval_usd", s(&p.cost_per_eval_usd)),
        ];
        let key = (ObjectType::Provider, crate::effective::object_id(p));
        put(&mut out, &p.file, &key, fields);
    }
    for b in &program.budgets {
        let fields = vec![
            ("scope", scope_span(&b.scope)),
            ("daily_usd", s(&b.daily_usd)),
            ("weekly_usd", s(&b.weekly_usd)),
            ("monthly_usd", s(&b.monthly_usd)),
            ("owner", s(&b.owner)),
            ("alert_at", first(&b.alert_at)),
        ];
        let key = (ObjectType::Budget, crate::effective::object_id(b));
        put(&mut out, &b.file, &key, fields);
        put(&mut out, &b.file, &key, keyed("scope", &b.scope));
    }
    for c in &program.caps {
        let fields = vec![
            ("scope", scope_span(&c.scope)),
            ("window", s(&c.window)),
            ("limit_usd", s(&c.limit_usd)),
            ("limit_tokens", s(&c.limit_tokens)),
            ("limit_requests", s(&c.limit_requests)),
            ("action", s(&c.action)),
            ("approval_chain", s(&c.approval_chain)),
        ];
        let key = (ObjectType::Cap, crate::effective::object_id(c));
        put(&mut out, &c.file, &key, fields);
        put(&mut out, &c.file, &key, keyed("scope", &c.scope));
    }
    for c in &program.chains {
        let fields = vec![
            (
                "steps",
                c.steps
                    .first()
                    .and_then(|st| st.approvers.first())
                    .map(|a| a.span),
            ),
            ("timeout_ms", s(&c.timeout)),
            ("on_timeout", s(&c.on_timeout)),
        ];
        let key = (ObjectType::Chain, crate::effective::object_id(c));
        put(&mut out, &c.file, &key, fields);
        for (i, st) in c.steps.iter().enumerate() {
            let approvers = st.approvers.first().map(|a| a.span);
            let min = s(&st.min_approvals);
            let step = format!("steps[{i}]");
            put(
                &mut out,
                &c.file,
                &key,
                [
                    (format!("{step}.approvers"), approvers),
                    (format!("{step}.min_approvals"), min),
                    (step, approvers.or(min)),
                ],
            );
        }
    }
    for e in &program.exceptions {
        let fields = vec![
            ("target", s(&e.target)),
            ("scope", scope_span(&e.scope)),
            ("starts", s(&e.starts)),
            ("expires", s(&e.expires)),
            ("reason", s(&e.reason)),
            ("status", s(&e.status)),
            ("approved_by", s(&e.approved_by)),
        ];
        let key = (ObjectType::Exception, crate::effective::object_id(e));
        put(&mut out, &e.file, &key, fields);
        put(&mut out, &e.file, &key, keyed("scope", &e.scope));
    }
    out
}
