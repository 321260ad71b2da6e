//! `PROVIDERS:`, `BUDGETS:`, `CAPS:`, `APPROVAL_CHAINS:` and `EXCEPTIONS:`
//! → their IR (spec §3, §6).

use super::enums::Adapter;
use super::home::Home;
use super::model::*;
use super::patterns::{CREDENTIAL_KEYS, looks_like_secret};
use super::reader::Cx;
use crate::lint::registry::Code;
use crate::source::Spanned;
use crate::suggest::help_for;
use crate::syntax::{Node, Value};

/// Names of providers, budgets, caps, chains, exceptions, policies.
pub fn valid_object_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_alphanumeric())
        && c.all(|x| x.is_ascii_alphanumeric() || matches!(x, '_' | '-' | '.'))
}

/// Iterates a section mapping `name → body`, checking names.
fn each<'n>(cx: &mut Cx<'_>, body: &'n Node, section: &str) -> Vec<(Spanned<String>, &'n Node)> {
    match &body.value {
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| {
                let name = k.key_text();
                if !valid_object_name(&name) {
                    cx.report(
                        Code::InvalidName,
                        k.span,
                        format!("invalid name `{name}` in {section}"),
                        Some("names match `[A-Za-z0-9][A-Za-z0-9_.-]*`".into()),
                    );
                }
                (Spanned::new(name, k.span), v)
            })
            .collect(),
        Value::Null | Value::Invalid => Vec::new(),
        _ => {
            cx.report(
                Code::WrongType,
                body.span,
                format!(
                    "{section} must be a mapping from name to definition, not {}",
                    body.type_name()
                ),
                None,
            );
            Vec::new()
        }
    }
}

const SCOPE_KEYS: &[&str] = &["org", "team", "project", "identity", "agent", "model"];

pub fn read_scope(cx: &mut Cx<'_>, node: &Node) -> ScopeMap {
    let Some(o) = cx.obj(node, "scope") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in o.entries {
        let key = k.key_text();
        if !SCOPE_KEYS.contains(&key.as_str()) {
            cx.report(
                Code::InvalidScope,
                k.span,
                format!("unknown scope key `{key}`"),
                Some(help_for(&key, SCOPE_KEYS)),
            );
            continue;
        }
        if let Some(val) = cx.string(v, &format!("scope `{key}`")) {
            check_glob(cx, &val, &format!("scope `{key}`"));
            out.push((Spanned::new(key, k.span), val));
        }
    }
    out.sort_by(|a, b| a.0.value.cmp(&b.0.value));
    out
}

/// GC213 for a glob that does not parse (it would match only itself).
pub fn check_glob(cx: &mut Cx<'_>, g: &Spanned<String>, what: &str) {
    if let Err(why) = crate::glob::Glob::check(&g.value) {
        cx.report(
            Code::InvalidGlob,
            g.span,
            format!("{what}: `{}` is not a glob ({why})", g.value),
            Some(
                "globs take `*`, `?`, `[abc]` and `[!abc]`; write `[[]` for a literal bracket"
                    .into(),
            ),
        );
    }
}

/// Reports credentials written into a provider (keys and secret-shaped values).
fn scan_credentials(cx: &mut Cx<'_>, node: &Node) {
    match &node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                let key = k.key_text().to_lowercase();
                if CREDENTIAL_KEYS.contains(&key.as_str()) {
                    cx.report(
                        Code::InlineCredential,
                        k.span.join(v.span),
                        format!("credential `{}` written into the policy", k.key_text()),
                        Some("store the credential in your secret store and reference it with `auth_profile: NAME`".into()),
                    );
                } else {
                    scan_credentials(cx, v);
                }
            }
        }
        Value::Seq(items) => items.iter().for_each(|i| scan_credentials(cx, i)),
        Value::Str(s) if looks_like_secret(s) => cx.report(
            Code::InlineCredential,
            node.span,
            "this value looks like a provider secret",
            Some(
                "never write keys into policy files; reference them with `auth_profile: NAME`"
                    .into(),
            ),
        ),
        _ => {}
    }
}

pub(crate) const PROVIDER_KEYS: &[&str] = &[
    "adapter",
    "hosting",
    "endpoint",
    "model",
    "auth_profile",
    "default_category",
    "default_threshold",
    "supported_categories",
    "circuit_breaker",
    "retry",
    "cost_per_eval_usd",
    "evaluator_id",
];

pub fn lower_providers(cx: &mut Cx<'_>, body: &Node, out: &mut Vec<Provider>) {
    scan_credentials(cx, body);
    for (name, node) in each(cx, body, "PROVIDERS") {
        let what = format!("provider `{}`", name.value);
        let Some(mut o) = cx.obj(node, &what) else {
            continue;
        };
        let mut p = Provider {
            file: cx.file.clone(),
            name,
            policy: None,
            home: Home::Tenant,
            adapter: None,
            hosting: None,
            endpoint: None,
            model: None,
            auth_profile: None,
            default_category: None,
            default_threshold: None,
            supported_categories: None,
            circuit_breaker: None,
            retry: None,
            cost_per_eval_usd: None,
            evaluator_id: None,
        };
        // A registry provider's entry tunes it: without an `adapter` it
        // keeps the registry's adapter and defaults.
        let registry = super::registry_providers::find(&p.name.value);
        match (o.get("adapter"), registry) {
            (Some(n), _) => p.adapter = cx.named::<Adapter>(n, "adapter"),
            (None, Some(r)) => {
                p.adapter = r.adapter.clone();
                p.default_category = r.default_category.clone();
                p.default_threshold = r.default_threshold.clone();
            }
            (None, None) => cx.report(
                Code::MissingField,
                p.name.span,
                format!("{what} has no `adapter`"),
                Some(format!(
                    "add `adapter:` with one of {}",
                    Adapter::NAMES.join(", ")
                )),
            ),
        }
        if let Some(n) = o.get("hosting") {
            p.hosting = cx.named(n, "hosting");
        }
        if let Some(n) = o.get("endpoint") {
            p.endpoint = cx.string(n, "endpoint");
            if let Some(e) = &p.endpoint {
                if !(e.value.starts_with("https://") || e.value.starts_with("http://")) {
                    cx.report(
                        Code::WrongType,
                        e.span,
                        format!("endpoint `{}` is not an http(s) URL", e.value),
                        None,
                    );
                }
            }
        }
        if let Some(n) = o.get("model") {
            p.model = cx.string(n, "model");
        }
        if let Some(n) = o.get("auth_profile") {
            p.auth_profile = cx.string(n, "auth_profile");
        }
        if let Some(n) = o.get("default_category") {
            p.default_category = cx.string(n, "default_category");
        }
        if let Some(n) = o.get("default_threshold") {
            p.default_threshold = cx.ranged(n, "default_threshold", 0.0, 1.0);
        }
        if let Some(n) = o.get("supported_categories") {
            p.supported_categories = cx.strings(n, "supported_categories", false);
        }
        if let Some(n) = o.get("circuit_breaker") {
            if let Some(mut cb) = cx.obj(n, "circuit_breaker") {
                let max_failures = cb
                    .get("max_failures")
                    .and_then(|v| cx.int(v, "max_failures", 1));
                let reset = cb
                    .get("reset_timeout")
                    .and_then(|v| cx.duration(v, "reset_timeout"));
                cb.finish(cx, &["max_failures", "reset_timeout"], "circuit_breaker");
                p.circuit_breaker = Some(CircuitBreaker {
                    max_failures,
                    reset_timeout_ms: reset,
                });
            }
        }
        if let Some(n) = o.get("retry") {
            if let Some(mut rt) = cx.obj(n, "retry") {
                let max_retries = rt
                    .get("max_retries")
                    .and_then(|v| cx.int(v, "max_retries", 0));
                let backoff = rt.get("backoff").and_then(|v| cx.named(v, "backoff"));
                let base = rt.get("base").and_then(|v| cx.duration(v, "base"));
                rt.finish(cx, &["max_retries", "backoff", "base"], "retry");
                p.retry = Some(Retry {
                    max_retries,
                    backoff,
                    base_ms: base,
                });
            }
        }
        if let Some(n) = o.get("cost_per_eval_usd") {
            p.cost_per_eval_usd = cx.money(n, "cost_per_eval_usd");
        }
        if let Some(n) = o.get("evaluator_id") {
            p.evaluator_id = cx.string(n, "evaluator_id");
        }
        // Credential keys were reported by the scan; don't call them unknown too.
        for k in CREDENTIAL_KEYS {
            o.get(k);
        }
        o.finish(cx, PROVIDER_KEYS, &what);
        if let (Some(d), Some(sup)) = (&p.default_category, &p.supported_categories) {
            if !sup.iter().any(|s| s.value == d.value) {
                cx.report(
                    Code::UnknownCategory,
                    d.span,
                    format!(
                        "default category `{}` is not in supported_categories",
                        d.value
                    ),
                    None,
                );
            }
        }
        out.push(p);
    }
}

pub(crate) const BUDGET_KEYS: &[&str] = &[
    "scope",
    "daily_usd",
    "weekly_usd",
    "monthly_usd",
    "owner",
    "alert_at",
];

pub fn lower_budgets(cx: &mut Cx<'_>, body: &Node, out: &mut Vec<Budget>) {
    for (name, node) in each(cx, body, "BUDGETS") {
        let what = format!("budget `{}`", name.value);
        let Some(mut o) = cx.obj(node, &what) else {
            continue;
        };
        let scope = o
            .get("scope")
            .map(|n| read_scope(cx, n))
            .unwrap_or_default();
        let daily_usd = o.get("daily_usd").and_then(|n| cx.money(n, "daily_usd"));
        let weekly_usd = o.get("weekly_usd").and_then(|n| cx.money(n, "weekly_usd"));
        let monthly_usd = o
            .get("monthly_usd")
            .and_then(|n| cx.money(n, "monthly_usd"));
        let owner = o.get("owner").and_then(|n| cx.string(n, "owner"));
        let alert_at = o
            .get("alert_at")
            .and_then(|n| cx.list(n, "alert_at", |cx, i| cx.percent(i, "alert_at")));
        let given = ["daily_usd", "weekly_usd", "monthly_usd"]
            .iter()
            .any(|k| o.has(k));
        o.finish(cx, BUDGET_KEYS, &what);
        if !given {
            cx.report(
                Code::MissingField,
                name.span,
                format!("{what} sets no limit"),
                Some("add `daily_usd`, `weekly_usd` or `monthly_usd`".into()),
            );
        }
        out.push(Budget {
            file: cx.file.clone(),
            name,
            policy: None,
            home: Home::Tenant,
            scope_globs: scope_globs(&scope),
            scope,
            daily_usd,
            weekly_usd,
            monthly_usd,
            owner,
            alert_at,
        });
    }
}

pub(crate) const CAP_KEYS: &[&str] = &[
    "scope",
    "window",
    "limit_usd",
    "limit_tokens",
    "limit_requests",
    "action",
    "approval_chain",
];

pub fn lower_caps(cx: &mut Cx<'_>, body: &Node, out: &mut Vec<Cap>) {
    for (name, node) in each(cx, body, "CAPS") {
        let what = format!("cap `{}`", name.value);
        let Some(mut o) = cx.obj(node, &what) else {
            continue;
        };
        let scope = o
            .get("scope")
            .map(|n| read_scope(cx, n))
            .unwrap_or_default();
        let window = o.get("window").and_then(|n| cx.named(n, "window"));
        if !o.has("window") {
            cx.report(
                Code::MissingField,
                name.span,
                format!("{what} has no `window`"),
                Some("add `window:` hour, day, week or month".into()),
            );
        }
        let limit_usd = o.get("limit_usd").and_then(|n| cx.money(n, "limit_usd"));
        let limit_tokens = o
            .get("limit_tokens")
            .and_then(|n| cx.int(n, "limit_tokens", 0));
        let limit_requests = o
            .get("limit_requests")
            .and_then(|n| cx.int(n, "limit_requests", 0));
        let limits = ["limit_usd", "limit_tokens", "limit_requests"]
            .iter()
            .filter(|k| o.has(k))
            .count();
        let action = o.get("action").and_then(|n| cx.named(n, "action"));
        let approval_chain = o
            .get("approval_chain")
            .and_then(|n| cx.string(n, "approval_chain"));
        o.finish(cx, CAP_KEYS, &what);
        if limits == 0 {
            cx.report(
                Code::MissingField,
                name.span,
                format!("{what} sets no limit"),
                Some("add one of `limit_usd`, `limit_tokens`, `limit_requests`".into()),
            );
        } else if limits > 1 {
            cx.report(
                Code::WrongType,
                name.span,
                format!("{what} sets more than one limit"),
                Some("a cap has exactly one limit; split it into several caps".into()),
            );
        }
        out.push(Cap {
            file: cx.file.clone(),
            name,
            policy: None,
            home: Home::Tenant,
            scope_globs: scope_globs(&scope),
            scope,
            window,
            limit_usd,
            limit_tokens,
            limit_requests,
            action,
            approval_chain,
        });
    }
}

pub(crate) const CHAIN_KEYS: &[&str] = &["steps", "timeout", "on_timeout"];

pub fn lower_chains(cx: &mut Cx<'_>, body: &Node, out: &mut Vec<Chain>) {
    for (name, node) in each(cx, body, "APPROVAL_CHAINS") {
        let what = format!("approval chain `{}`", name.value);
        let Some(mut o) = cx.obj(node, &what) else {
            continue;
        };
        let steps = match o.get("steps") {
            Some(n) => cx
                .list(n, "steps", |cx, step| {
                    let mut s = cx.obj(step, "approval step")?;
                    let approvers = s
                        .get("approvers")
                        .and_then(|a| cx.strings(a, "approvers", true));
                    let min = s
                        .get("min_approvals")
                        .and_then(|m| cx.int(m, "min_approvals", 1));
                    s.finish(cx, &["approvers", "min_approvals"], "approval step");
                    let Some(approvers) = approvers.filter(|a| !a.is_empty()) else {
                        cx.report(
                            Code::MissingField,
                            step.span,
                            "approval step has no approvers",
                            Some("add `approvers: [...]`".into()),
                        );
                        return None;
                    };
                    if let Some(m) = &min {
                        if m.value as usize > approvers.len() {
                            cx.report(
                                Code::OutOfRange,
                                m.span,
                                format!(
                                    "min_approvals {} exceeds the {} approver(s) listed",
                                    m.value,
                                    approvers.len()
                                ),
                                None,
                            );
                        }
                    }
                    Some(Step {
                        approvers,
                        min_approvals: min,
                    })
                })
                .unwrap_or_default(),
            None => Vec::new(),
        };
        if steps.is_empty() && !o.has("steps") {
            cx.report(
                Code::MissingField,
                name.span,
                format!("{what} has no `steps`"),
                None,
            );
        }
        let timeout = o.get("timeout").and_then(|n| cx.duration(n, "timeout"));
        let on_timeout = o.get("on_timeout").and_then(|n| cx.named(n, "on_timeout"));
        o.finish(cx, CHAIN_KEYS, &what);
        out.push(Chain {
            file: cx.file.clone(),
            name,
            policy: None,
            home: Home::Tenant,
            steps,
            timeout,
            on_timeout,
        });
    }
}

pub(crate) const EXCEPTION_KEYS: &[&str] = &[
    "target",
    "scope",
    "starts",
    "expires",
    "reason",
    "status",
    "approved_by",
];

pub fn lower_exceptions(cx: &mut Cx<'_>, body: &Node, out: &mut Vec<Exception>) {
    for (name, node) in each(cx, body, "EXCEPTIONS") {
        let what = format!("exception `{}`", name.value);
        let Some(mut o) = cx.obj(node, &what) else {
            continue;
        };
        let target = match o.get("target") {
            Some(n) => cx.string(n, "target").and_then(|t| {
                let parsed = match t.value.split_once('/') {
                    Some(("cap", n)) if !n.is_empty() => Some((TargetKind::Cap, n.to_string())),
                    Some(("rule", n)) if !n.is_empty() => Some((TargetKind::Rule, n.to_string())),
                    _ => None,
                };
                if parsed.is_none() {
                    cx.report(
                        Code::UnknownExceptionTarget,
                        t.span,
                        format!("malformed exception target `{}`", t.value),
                        Some("write `cap/NAME` or `rule/NAME`".into()),
                    );
                }
                parsed.map(|p| Spanned::new(p, t.span))
            }),
            None => {
                cx.report(
                    Code::MissingField,
                    name.span,
                    format!("{what} has no `target`"),
                    Some("add `target: cap/NAME` or `target: rule/NAME`".into()),
                );
                None
            }
        };
        let scope = o
            .get("scope")
            .map(|n| read_scope(cx, n))
            .unwrap_or_default();
        let starts = o.get("starts").and_then(|n| cx.date(n, "starts"));
        let expires = o.get("expires").and_then(|n| cx.date(n, "expires"));
        if !o.has("expires") {
            cx.report(
                Code::MissingField,
                name.span,
                format!("{what} has no `expires`"),
                Some("exceptions must end: add `expires: YYYY-MM-DD`".into()),
            );
        }
        let reason = o.get("reason").and_then(|n| cx.string(n, "reason"));
        let status = o.get("status").and_then(|n| cx.named(n, "status"));
        let approved_by = o
            .get("approved_by")
            .and_then(|n| cx.string(n, "approved_by"));
        o.finish(cx, EXCEPTION_KEYS, &what);
        if let (Some(s), Some(e)) = (&starts, &expires) {
            if e.value < s.value {
                let d = crate::diagnostic::Diagnostic::new(
                    Code::ExceptionEndsBeforeStart,
                    cx.file,
                    e.span,
                    format!("{what} expires before it starts"),
                )
                .with_related(cx.file, s.span, "starts here")
                .with_help("swap the dates, or fix the year");
                cx.diags.push(d);
            }
        }
        out.push(Exception {
            file: cx.file.clone(),
            name,
            policy: None,
            home: Home::Tenant,
            target,
            scope_globs: scope_globs(&scope),
            scope,
            starts,
            expires,
            reason,
            status,
            approved_by,
        });
    }
}
