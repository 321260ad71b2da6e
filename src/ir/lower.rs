//! Spanned tree → typed IR for every file given together. Name resolution
//! across files and cross-file checks live in `lint`; this stage checks
//! what one file can tell on its own.

use super::enums::Scope;
use super::lower_governance::*;
use super::lower_rule::lower_rules;
use super::model::*;
use super::reader::Cx;
use crate::diagnostic::Diagnostic;
use crate::lint::registry::Code;
use crate::source::Spanned;
use crate::syntax::{FileKind, SyntaxFile, Value};

/// Lowers one file on its own (files are independent until lint).
pub fn lower_file(f: &SyntaxFile) -> (Program, Vec<Diagnostic>) {
    let mut program = Program::default();
    let mut diags = Vec::new();
    let mut cx = Cx {
        file: &f.source,
        diags: &mut diags,
    };
    match f.kind {
        FileKind::Policy => lower_policy_file(&mut cx, f, &mut program),
        FileKind::Agent => lower_agent_file(&mut cx, f, &mut program),
    }
    (program, diags)
}

pub(crate) const POLICY_KEYS: &[&str] = &[
    "name",
    "description",
    "type",
    "scope",
    "project",
    "agent",
    "status",
    "default",
    "fail_mode",
    "timeouts",
    "streaming",
    "caching",
    "budget",
    "combine",
    "check_polarity",
    "runtime",
    "priority",
    "team",
    "identity",
    "approved_sites",
    "unapproved_tools",
    "constitution",
];

/// The name of a file without directories and extensions.
fn file_stem(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.split('.').next().unwrap_or(base).to_string()
}

fn lower_policy_file(cx: &mut Cx<'_>, f: &SyntaxFile, program: &mut Program) {
    let policy = match f.section("POLICY") {
        Some(sec) => sec
            .body
            .as_ref()
            .and_then(|b| lower_policy(cx, b, sec.name_span)),
        None => None,
    };
    let rules_section = f.section("GUARDRAILS");
    let policy = match (policy, rules_section) {
        (Some(p), _) => Some(p),
        // Rules without POLICY belong to a tenant-wide policy named after the file.
        (None, Some(sec)) if f.section("POLICY").is_none() => Some(Policy::implicit(
            cx.file.clone(),
            Spanned::new(file_stem(&f.source.name), sec.name_span),
        )),
        (None, _) => None,
    };
    if let (Some(p), Some(sec)) = (&policy, rules_section) {
        if let Some(body) = &sec.body {
            lower_rules(
                cx,
                body,
                &Owner::Policy(p.name.value.clone()),
                p.scope.value,
                &mut program.rules,
            );
        }
    }
    let policy_name = policy.as_ref().map(|p| p.name.value.clone());
    if let Some(p) = policy {
        program.policies.push(p);
    }
    for sec in &f.sections {
        let Some(body) = &sec.body else { continue };
        match sec.name.as_str() {
            "PROVIDERS" => lower_providers(cx, body, &mut program.providers),
            "BUDGETS" => lower_budgets(cx, body, &mut program.budgets),
            "CAPS" => lower_caps(cx, body, &mut program.caps),
            "APPROVAL_CHAINS" => lower_chains(cx, body, &mut program.chains),
            "EXCEPTIONS" => lower_exceptions(cx, body, &mut program.exceptions),
            _ => {}
        }
    }
    // The file's policy homes its objects (spec §3: names are scoped by policy).
    let p = &mut *program;
    let policies = p.providers.iter_mut().map(|x| &mut x.policy);
    let policies = policies.chain(p.budgets.iter_mut().map(|x| &mut x.policy));
    let policies = policies.chain(p.caps.iter_mut().map(|x| &mut x.policy));
    let policies = policies.chain(p.chains.iter_mut().map(|x| &mut x.policy));
    for slot in policies.chain(p.exceptions.iter_mut().map(|x| &mut x.policy)) {
        slot.clone_from(&policy_name);
    }
}

fn lower_policy(
    cx: &mut Cx<'_>,
    node: &crate::syntax::Node,
    header: crate::source::Span,
) -> Option<Policy> {
    let mut o = cx.obj(node, "POLICY")?;
    let name = match o.get("name").and_then(|n| cx.string(n, "name")) {
        Some(n) => {
            if !valid_object_name(&n.value) {
                cx.report(
                    Code::InvalidName,
                    n.span,
                    format!("invalid policy name `{}`", n.value),
                    Some("names match `[A-Za-z0-9][A-Za-z0-9_.-]*`".into()),
                );
            }
            n
        }
        None => {
            if !o.has("name") {
                cx.report(
                    Code::MissingField,
                    header,
                    "POLICY has no `name`",
                    Some("add `name: my-policy`".into()),
                );
            }
            Spanned::new(file_stem(&cx.file.name), header)
        }
    };
    let description = o
        .get("description")
        .and_then(|n| cx.string(n, "description"));
    let policy_type = o.get("type").and_then(|n| cx.named(n, "type"));
    let project = o.get("project").and_then(|n| cx.string(n, "project"));
    let agent = o.get("agent").and_then(|n| cx.string(n, "agent"));
    let team = o.get("team").and_then(|n| cx.string(n, "team"));
    let identity = o.get("identity").and_then(|n| cx.string(n, "identity"));
    let scope = match o.get("scope") {
        Some(n) => cx
            .named(n, "scope")
            .unwrap_or(Spanned::new(Scope::Tenant, n.span)),
        None if project.is_some() => Spanned::new(Scope::Project, header),
        None if agent.is_some() => Spanned::new(Scope::Agent, header),
        None => Spanned::new(Scope::Tenant, header),
    };
    match scope.value {
        Scope::Project if project.is_none() => cx.report(
            Code::InvalidScope,
            scope.span,
            "`scope: project` needs `project: NAME`",
            None,
        ),
        Scope::Agent if agent.is_none() => cx.report(
            Code::InvalidScope,
            scope.span,
            "`scope: agent` needs `agent: NAME`",
            None,
        ),
        Scope::Team if team.is_none() => cx.report(
            Code::InvalidScope,
            scope.span,
            "`scope: team` needs `team: NAME`",
            None,
        ),
        Scope::Identity if identity.is_none() => cx.report(
            Code::InvalidScope,
            scope.span,
            "`scope: identity` needs `identity: ID`",
            None,
        ),
        _ => {}
    }
    // A team or identity written under another scope would be read as if
    // it narrowed the policy, and it does not.
    for (key, given, wanted) in [
        ("team", &team, Scope::Team),
        ("identity", &identity, Scope::Identity),
    ] {
        if let Some(v) = given {
            if scope.value != wanted {
                cx.report(
                    Code::InvalidScope,
                    v.span,
                    format!("`{key}:` is read only with `scope: {wanted}`"),
                    Some(format!("write `scope: {wanted}` or remove `{key}:`")),
                );
            }
        }
    }
    let status = o.get("status").and_then(|n| cx.named(n, "status"));
    let default = o.get("default").and_then(|n| cx.boolean(n, "default"));
    let fail_mode = o.get("fail_mode").and_then(|n| cx.named(n, "fail_mode"));
    let timeouts = o.get("timeouts").and_then(|n| {
        let mut t = cx.obj(n, "timeouts")?;
        let local = t
            .get("local")
            .and_then(|v| cx.duration(v, "timeouts.local"));
        let model = t
            .get("model")
            .and_then(|v| cx.duration(v, "timeouts.model"));
        let llm = t.get("llm").and_then(|v| cx.duration(v, "timeouts.llm"));
        t.finish(cx, &["local", "model", "llm"], "timeouts");
        Some(Timeouts { local, model, llm })
    });
    let streaming = o.get("streaming").and_then(|n| {
        let mut s = cx.obj(n, "streaming")?;
        let out = Streaming {
            enabled: s
                .get("enabled")
                .and_then(|v| cx.boolean(v, "streaming.enabled")),
            interval: s
                .get("interval")
                .and_then(|v| cx.named(v, "streaming.interval")),
            chunk_size: s
                .get("chunk_size")
                .and_then(|v| cx.int(v, "streaming.chunk_size", 1)),
            max_latency: s
                .get("max_latency")
                .and_then(|v| cx.duration(v, "streaming.max_latency")),
            early_termination: s
                .get("early_termination")
                .and_then(|v| cx.boolean(v, "streaming.early_termination")),
        };
        s.finish(
            cx,
            &[
                "enabled",
                "interval",
                "chunk_size",
                "max_latency",
                "early_termination",
            ],
            "streaming",
        );
        Some(out)
    });
    let caching = o.get("caching").and_then(|n| {
        let mut c = cx.obj(n, "caching")?;
        let out = Caching {
            enabled: c
                .get("enabled")
                .and_then(|v| cx.boolean(v, "caching.enabled")),
            ttl: c.get("ttl").and_then(|v| cx.duration(v, "caching.ttl")),
        };
        c.finish(cx, &["enabled", "ttl"], "caching");
        Some(out)
    });
    let budget = o.get("budget").and_then(|n| {
        let mut b = cx.obj(n, "budget")?;
        let out = PolicyBudget {
            monthly_limit_usd: b
                .get("monthly_limit_usd")
                .and_then(|v| cx.money(v, "budget.monthly_limit_usd")),
            overspend_action: b
                .get("overspend_action")
                .and_then(|v| cx.named(v, "budget.overspend_action")),
        };
        b.finish(cx, &["monthly_limit_usd", "overspend_action"], "budget");
        Some(out)
    });
    let combine = o.get("combine").and_then(|n| cx.named(n, "combine"));
    let check_polarity = o
        .get("check_polarity")
        .and_then(|n| cx.named(n, "check_polarity"));
    let runtime = o.get("runtime").and_then(|n| cx.named(n, "runtime"));
    let priority = o.get("priority").and_then(|n| cx.int(n, "priority", 0));
    let approved_sites = o
        .get("approved_sites")
        .and_then(|n| super::lower_sites::approved_sites(cx, n));
    let unapproved_tools = o
        .get("unapproved_tools")
        .and_then(|n| super::lower_sites::unapproved_tools(cx, n));
    let constitution = o
        .get("constitution")
        .and_then(|n| super::lower_sites::constitution(cx, n));
    o.finish(cx, POLICY_KEYS, "POLICY");
    Some(Policy {
        file: cx.file.clone(),
        name,
        explicit: true,
        description,
        policy_type,
        scope,
        project,
        agent,
        status,
        default,
        fail_mode,
        timeouts,
        streaming,
        caching,
        budget,
        combine,
        check_polarity,
        runtime,
        priority,
        team,
        identity,
        approved_sites,
        unapproved_tools,
        constitution,
    })
}

fn lower_agent_file(cx: &mut Cx<'_>, f: &SyntaxFile, program: &mut Program) {
    // A supervisor (Kore's `SUPERVISOR:` document) is named as an agent is.
    let head = f.section("AGENT").or_else(|| f.section("SUPERVISOR"));
    let label = head.map_or("AGENT", |s| s.name.as_str()).to_string();
    // Kore's YAML agent files may nest the guardrails in `agent:`.
    let mut nested: Option<crate::syntax::Node> = None;
    let agent = head.and_then(|sec| {
        let body = sec.body.as_ref()?;
        match &body.value {
            Value::Str(s) if !s.trim().is_empty() => {
                Some(Spanned::new(s.trim().to_string(), body.span))
            }
            Value::Map(_) => {
                let mut o = cx.obj(body, &label)?;
                let name = o.get("name").and_then(|n| cx.string(n, "name"));
                nested = o.get("guardrails").cloned();
                // Agent sections may carry more (description, model): only the name is read.
                for (k, _) in o.entries {
                    o.get(&k.key_text());
                }
                if name.is_none() {
                    cx.report(
                        Code::MissingField,
                        sec.name_span,
                        format!("{label} has no name"),
                        Some(format!("write `{label}: Name`")),
                    );
                }
                name
            }
            Value::Invalid => None,
            _ => {
                cx.report(
                    Code::MissingField,
                    sec.name_span,
                    format!("{label} has no name"),
                    Some(format!("write `{label}: Name`")),
                );
                None
            }
        }
    });
    if let (Some(body), None, Some(a)) = (&nested, f.section("GUARDRAILS"), &agent) {
        lower_rules(
            cx,
            body,
            &Owner::Agent(a.value.clone()),
            Scope::Agent,
            &mut program.rules,
        );
        program.agents.push(Agent {
            file: cx.file.clone(),
            name: a.clone(),
        });
        return;
    }
    let Some(sec) = f.section("GUARDRAILS") else {
        if let Some(a) = agent {
            program.agents.push(Agent {
                file: cx.file.clone(),
                name: a,
            });
        }
        return;
    };
    let agent = match agent {
        Some(a) => a,
        None => {
            if head.is_none() {
                cx.report(
                    Code::MissingField,
                    sec.name_span,
                    "agent file has GUARDRAILS but no `AGENT:` section",
                    Some("add `AGENT: Name` so the rules know which agent they guard".into()),
                );
            }
            Spanned::new(file_stem(&f.source.name), sec.name_span)
        }
    };
    if let Some(body) = &sec.body {
        lower_rules(
            cx,
            body,
            &Owner::Agent(agent.value.clone()),
            Scope::Agent,
            &mut program.rules,
        );
    }
    program.agents.push(Agent {
        file: cx.file.clone(),
        name: agent,
    });
}
