//! Kairro's Shadow-AI extension config as rules on an event's `site`
//! (spec §3): each `unapproved_tools` entry of an active policy is a rule
//! that gives its action at once and stops every other rule (Kairro's
//! short-circuit), and each `approved_sites` entry with `apply_policies:
//! false` is a rule that lets the event bypass every rule. They run before
//! any content rule, on the events their policy covers, and are reported
//! like rules (`policy/unapproved_tools[0]`), at their pattern.

use super::rules::{CRule, SiteCheck};
use crate::effective::runtime;
use crate::glob::Glob;
use crate::ir::enums::{Action, Kind, RuleStatus, Severity, StreamInterval, Tier};
use crate::ir::{Home, Owner, Policy, Program};
use crate::source::Span;

/// Every site rule of the program's policies.
pub fn site_rules(program: &Program) -> Vec<CRule> {
    let mut out = Vec::new();
    for (pi, p) in program.policies.iter().enumerate() {
        let home = Home::of(Some(p));
        if matches!(home, Home::Off(_)) {
            continue;
        }
        let rt = runtime::of(program, Some(p));
        for (i, t) in p.unapproved_tools.iter().flatten().enumerate() {
            let (action, severity) = runtime::unapproved_tool(rt, t);
            let glob = Glob::new(&t.pattern.value.to_ascii_lowercase());
            let check = SiteCheck::Unapproved(glob, t.pattern.value.clone());
            let name = format!("unapproved_tools[{i}]");
            let message = format!("Unapproved AI tool: {}", t.pattern.value);
            out.push(rule(
                p,
                (pi, i64::try_from(i).unwrap_or(i64::MAX)),
                &home,
                name,
                message,
                action,
                severity,
                check,
                t.pattern.span,
            ));
        }
        for (i, a) in p.approved_sites.iter().flatten().enumerate() {
            if a.applies_policies() {
                continue;
            }
            let glob = Glob::new(&a.pattern.value.to_ascii_lowercase());
            let check = SiteCheck::Bypass(glob, a.pattern.value.clone());
            let name = format!("approved_sites[{i}]");
            let message = format!("Approved site without policies: {}", a.pattern.value);
            let (action, severity) = (Action::Allow, Severity::Safe);
            out.push(rule(
                p,
                (pi, i64::try_from(i).unwrap_or(i64::MAX)),
                &home,
                name,
                message,
                action,
                severity,
                check,
                a.pattern.span,
            ));
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn rule(
    p: &Policy,
    (pi, index): (usize, i64),
    home: &Home,
    name: String,
    message: String,
    action: Action,
    severity: Severity,
    check: SiteCheck,
    span: Span,
) -> CRule {
    let (line, column) = p.file.line_col(span.start);
    CRule {
        floor: crate::ir::layers::layer_rank(p.scope.value),
        id: format!("{}/{name}", p.name.value),
        name,
        display_name: None,
        source: usize::MAX,
        overrides: None,
        owner: Owner::Policy(p.name.value.clone()),
        layer: p.scope.value,
        kind: Kind::Input,
        tier: Tier::Local,
        action,
        severity,
        // Site rules of one policy run in list order.
        priority: index,
        status: RuleStatus::Active,
        message,
        check: None,
        polarity: crate::ir::enums::Polarity::Pass,
        matcher: None,
        when: None,
        patterns: Vec::new(),
        unbuildable: Vec::new(),
        entities: Vec::new(),
        min_severity: None,
        provider: None,
        more_providers: Vec::new(),
        asked: Vec::new(),
        eval_cost: None,
        category: None,
        threshold: crate::effective::DEFAULT_THRESHOLD,
        llm_check: false,
        severity_actions: Vec::new(),
        sample_rate: 1.0,
        timeout: crate::effective::default_timeout(Tier::Local),
        tools: None,
        deny_tools: None,
        allow_domains: Vec::new(),
        deny_domains: Vec::new(),
        has_domains: false,
        max_tokens: None,
        streaming: false,
        interval: StreamInterval::Sentence,
        chunk_size: crate::effective::DEFAULT_CHUNK_SIZE,
        // A site check is never unevaluated: its fail mode is not read.
        fail_mode: crate::ir::enums::FailMode::Open,
        fix_strategy: None,
        fix_expression: None,
        filter_min_length: None,
        early_termination: false,
        first_match: false,
        strongest_severity: false,
        policy_priority: runtime::policy_priority(p),
        policy: Some(pi),
        applies: home.clone(),
        location: format!("{}:{line}:{column}", p.file.name),
        site: Some(check),
    }
}

/// The host a site names, as site patterns are matched against it: lower
/// case (host names are case-insensitive), without a scheme, path, port or
/// trailing dot (`HTTPS://Chat.OpenAI.com:443/c/1` → `chat.openai.com`).
pub fn host(site: &str) -> String {
    let s = site.trim();
    let s = s.split_once("://").map_or(s, |(_, rest)| rest);
    let s = s.split(['/', '?', '#']).next().unwrap_or(s);
    let s = match s.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => s,
    };
    s.trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::host;

    #[test]
    fn hosts_are_compared_as_hosts() {
        for (site, want) in [
            ("chat.openai.com", "chat.openai.com"),
            ("WWW.PASTEBIN.COM", "www.pastebin.com"),
            ("x.pastebin.com:443", "x.pastebin.com"),
            ("https://Chat.OpenAI.com:8443/c/1?q=2", "chat.openai.com"),
            ("example.com.", "example.com"),
            ("", ""),
        ] {
            assert_eq!(host(site), want, "{site}");
        }
    }
}
