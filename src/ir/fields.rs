//! The language's field tables: every key of every section, with its type,
//! its default (as the effective model applies it), its UI label and what
//! it means. `docs/language.md` is generated from these tables (a test
//! holds the two together), and a test holds each table to the keys its
//! lowering accepts, so the reference can say nothing the reader does not.

use super::enums::*;

/// A field's value type.
pub enum FieldType {
    /// Described in words.
    Text(&'static str),
    /// One of an enum's spellings.
    OneOf(&'static [&'static str]),
}

pub struct FieldDoc {
    pub key: &'static str,
    pub ty: FieldType,
    /// As the effective model applies it; `—` where there is none.
    pub default: &'static str,
    /// The label a guardrail UI shows for it.
    pub label: &'static str,
    pub doc: &'static str,
}

pub struct SectionDoc {
    /// The heading keyword (`GUARDRAILS`), or a nested object's name.
    pub name: &'static str,
    pub intro: &'static str,
    pub fields: &'static [FieldDoc],
}

use FieldType::{OneOf, Text};

macro_rules! f {
    ($key:literal, $ty:expr, $default:literal, $label:literal, $doc:literal) => {
        FieldDoc {
            key: $key,
            ty: $ty,
            default: $default,
            label: $label,
            doc: $doc,
        }
    };
}

pub const RULE: &[FieldDoc] = &[
    f!(
        "kind",
        OneOf(Kind::NAMES),
        "required",
        "Applies To",
        "What the rule reads: `input`, `output` (and streamed `chunks`), `tool_input` (tool parameters), `tool_output` (tool result), `handoff`; `both` compiles to two runtime rules, `<name>.input` and `<name>.output`."
    ),
    f!(
        "check",
        Text("CEL string"),
        "—",
        "Check",
        "A CEL condition, read in the policy's `check_polarity`: under `pass` (the default) content must satisfy it and the rule triggers when it is false; under `violation` (Kore's current runtime) the rule triggers when it is true. Type-checked against the event variables."
    ),
    f!(
        "match",
        Text("condition tree or CEL string"),
        "—",
        "Match",
        "A violation predicate: the rule triggers when it holds, whatever the `check_polarity` (KaireonAI's `expressionAst`, Kairro's custom matching)."
    ),
    f!(
        "patterns",
        Text("regex or list of regexes"),
        "—",
        "Patterns",
        "Triggers when any pattern matches the content."
    ),
    f!(
        "entities",
        Text("list of entity names"),
        "—",
        "Entities",
        "Triggers when a built-in detector finds one of these entities in the content."
    ),
    f!(
        "provider",
        Text("provider name or list of names"),
        "—",
        "Provider",
        "A model-tier check: the provider's recorded score for `category` must stay below `threshold`. Several providers (Orq's evaluators) are each asked, and the rule triggers when any of them does."
    ),
    f!(
        "category",
        Text("string"),
        "the provider's `default_category`",
        "Category",
        "The score category the provider reports."
    ),
    f!(
        "threshold",
        Text("number 0..1"),
        "the provider's `default_threshold`, else 0.5",
        "Severity Threshold",
        "A score at or above it triggers the rule."
    ),
    f!(
        "llm_check",
        Text("string"),
        "—",
        "LLM Check",
        "An instruction for an LLM judge; replayed from `scores.llm.<rule>` in traces."
    ),
    f!(
        "display_name",
        Text("string"),
        "the rule's key",
        "Rule Name",
        "The rule's name in a UI (KaireonAI's `name`, Orq's rule name)."
    ),
    f!(
        "description",
        Text("string"),
        "—",
        "Description",
        "Free text, compiled to the runtimes that show one."
    ),
    f!(
        "min_severity",
        Text("`low`, `medium`, `high`, `critical`"),
        "—",
        "Minimum Severity",
        "Entity findings less severe than this do not trigger the rule. Severities: critical `CREDIT_CARD`, `US_SSN`, `API_KEY`, `PRIVATE_KEY`; high `IBAN_CODE`, `US_BANK_NUMBER`, `CRYPTO`, `JWT`; medium `EMAIL_ADDRESS`, `PHONE_NUMBER`, `DATE_OF_BIRTH`; low `IP_ADDRESS`, `URL`."
    ),
    f!(
        "when",
        Text("CEL string or condition tree"),
        "always",
        "Conditions",
        "The rule is evaluated only where this holds. A tree leaf on a field the event does not carry is false, except `neq` and `not_in`, which are true."
    ),
    f!(
        "action",
        OneOf(Action::NAMES),
        "the runtime's fallback for the severity: `block` for `hard`; on Kairro also for high/critical, `warn` for medium, `allow` below; else `warn`",
        "Action",
        "What happens when the rule triggers; for one event the most restrictive action wins."
    ),
    f!(
        "severity",
        OneOf(Severity::NAMES),
        "`hard` on KaireonAI, else `medium`",
        "Severity",
        "`hard` means block and `soft` means warn when no `action` is given."
    ),
    f!(
        "severity_actions",
        Text("map of severity to action"),
        "—",
        "Severity Actions",
        "For provider scores in bands: 0–0.2 low, 0.2–0.5 medium, 0.5–0.8 high, 0.8–1 critical."
    ),
    f!(
        "message",
        Text("string"),
        "`Guardrail: <name>`",
        "Action Message",
        "Shown or logged when the rule triggers. Kore's spelling `msg` is read as `message`."
    ),
    f!(
        "priority",
        Text("integer ≥ 0"),
        "100",
        "Priority",
        "Lower runs first; with `combine: first_match` the first triggered rule decides."
    ),
    f!(
        "status",
        OneOf(RuleStatus::NAMES),
        "`active`",
        "Status",
        "Only `active` rules run."
    ),
    f!(
        "fix_strategy",
        OneOf(FixStrategy::NAMES),
        "—",
        "Fix Strategy",
        "How a `fix` action repairs content (`custom` takes `fix_expression`)."
    ),
    f!(
        "fix_expression",
        Text("CEL string"),
        "—",
        "Fix Expression",
        "The repaired content, for `fix_strategy: custom`."
    ),
    f!(
        "max_reasks",
        Text("integer"),
        "2",
        "Max Re-asks",
        "How often a `reask` action asks the model again."
    ),
    f!(
        "filter_min_length",
        Text("integer"),
        "—",
        "Filter Min Length",
        "Below it a filtered response is blocked."
    ),
    f!(
        "streaming",
        Text("true or false"),
        "false",
        "Streaming Evaluation",
        "Evaluate streamed output chunk by chunk."
    ),
    f!(
        "streaming_interval",
        OneOf(StreamInterval::NAMES),
        "the policy's `streaming.interval`, else `sentence`",
        "Chunk Interval",
        "Where a stream is evaluated; needs `streaming: true`."
    ),
    f!(
        "sample_rate",
        Text("number 0..1"),
        "1",
        "Sample Rate",
        "Share of matching events evaluated, chosen by event id."
    ),
    f!(
        "timeout",
        Text("duration"),
        "the policy's timeout for the rule's tier (100ms local, 3s model, 10s llm)",
        "Timeout",
        "How long the check may take."
    ),
    f!(
        "tools",
        Text("list of tool names or globs"),
        "—",
        "Allowed Tools",
        "A `tool_input` event calling any other tool triggers the rule."
    ),
    f!(
        "deny_tools",
        Text("list of tool names or globs"),
        "—",
        "Denied Tools",
        "A `tool_input` event calling one of these triggers the rule."
    ),
    f!(
        "domains",
        Text("list of domain globs, or `{allow: [...], deny: [...]}`"),
        "—",
        "Domain Restriction",
        "URLs in the content outside the allow-list (or inside the deny-list) trigger the rule."
    ),
    f!(
        "max_tokens",
        Text("integer"),
        "—",
        "Token Limit",
        "Triggers when the event's token count for the content exceeds it."
    ),
];

pub const POLICY: &[FieldDoc] = &[
    f!(
        "name",
        Text("name"),
        "required",
        "Policy Name",
        "Names the policy; rule ids are `<policy>/<rule>`."
    ),
    f!(
        "description",
        Text("string"),
        "—",
        "Description",
        "Free text."
    ),
    f!(
        "type",
        OneOf(PolicyType::NAMES),
        "—",
        "Policy Type",
        "What the policy is for."
    ),
    f!(
        "scope",
        OneOf(Scope::NAMES),
        "`project` with `project:`, `agent` with `agent:`, else `tenant`",
        "Scope",
        "Which events the policy's rules apply to."
    ),
    f!(
        "project",
        Text("name"),
        "—",
        "Project",
        "Required for `scope: project`: the project whose events it covers."
    ),
    f!(
        "agent",
        Text("name"),
        "—",
        "Agent",
        "Required for `scope: agent`: the agent whose events it covers."
    ),
    f!(
        "status",
        OneOf(PolicyStatus::NAMES),
        "`active`",
        "Status",
        "At most one active policy per project; only active policies apply (`disabled` is Kairro's: kept, never applied)."
    ),
    f!(
        "default",
        Text("true or false"),
        "false",
        "Default Policy",
        "A baseline applied automatically."
    ),
    f!(
        "fail_mode",
        OneOf(FailMode::NAMES),
        "`closed` on Kairro, else `open`",
        "Fail Mode",
        "What an unevaluated check does: `open` passes, `closed` blocks."
    ),
    f!(
        "timeouts",
        Text("`{local, model, llm}` durations"),
        "100ms, 3s, 10s",
        "Timeouts",
        "Default timeout per tier."
    ),
    f!(
        "streaming",
        Text("`{enabled, interval, chunk_size, max_latency, early_termination}`"),
        "disabled, `sentence`, 256, —, false",
        "Streaming",
        "Streaming evaluation settings for the policy's rules."
    ),
    f!(
        "caching",
        Text("`{enabled, ttl}`"),
        "—",
        "Caching",
        "Verdict caching."
    ),
    f!(
        "budget",
        Text("`{monthly_limit_usd, overspend_action}`"),
        "—",
        "Evaluation Budget",
        "A monthly spend limit for the policy's model-tier checks (each provider answer costs its `cost_per_eval_usd`); once spent, `overspend_action` (one of the overspend actions below, default `alert_only`) decides how they fall back."
    ),
    f!(
        "combine",
        OneOf(Combine::NAMES),
        "`strongest_severity` on Kairro, else `most_restrictive`",
        "Combine",
        "How the actions of several triggered rules combine: the most restrictive action, the first triggered rule by priority, or the action of the most severe triggered rule (Kairro)."
    ),
    f!(
        "check_polarity",
        OneOf(Polarity::NAMES),
        "`guardctl.toml`'s, else `pass`",
        "Check Polarity",
        "What the `check` of this policy's rules means: `pass` (the rule triggers when the check is false) or `violation` (it triggers when the check is true)."
    ),
    f!(
        "runtime",
        OneOf(Runtime::NAMES),
        "`guardctl.toml`'s, else `guardctl`",
        "Runtime",
        "Where the policy is deployed: its runtime's defaults and decision rules apply in lint, simulate, test and explain, and it is the default compile target."
    ),
    f!(
        "priority",
        Text("integer ≥ 0"),
        "100",
        "Priority",
        "Lower is evaluated first, across policies (before each rule's own priority)."
    ),
    f!(
        "team",
        Text("team name"),
        "—",
        "Team",
        "With `scope: team`: the policy applies only to events whose `identity.team` is this."
    ),
    f!(
        "identity",
        Text("identity id"),
        "—",
        "Identity",
        "With `scope: identity`: the policy applies only to events whose `identity.id` is this."
    ),
    f!(
        "approved_sites",
        Text("list of `{pattern, apply_policies}`"),
        "—",
        "Approved Sites",
        "AI sites users may use (globs on the event's `site`); `apply_policies: false` (default true) lets their events bypass every rule of this policy's layer and narrower ones."
    ),
    f!(
        "unapproved_tools",
        Text("list of `{pattern, action, severity}`"),
        "—",
        "Unapproved Tools",
        "Sites or tools (globs on the event's `site`) that get `action` at once, before and instead of every other rule of this policy's layer and narrower ones; `severity` defaults to `high`, `action` to the runtime's fallback for it; an action that rewrites content (`mask`, `redact`, `filter`, `fix`, `reask`) is refused."
    ),
    f!(
        "constitution",
        Text("list of `{principle, weight}`"),
        "—",
        "Constitution",
        "Principles for Kore's LLM-tier checks: compiled to Kore, not simulated."
    ),
];

pub const PROVIDER: &[FieldDoc] = &[
    f!(
        "adapter",
        OneOf(Adapter::NAMES),
        "—",
        "Adapter",
        "The kind of evaluator."
    ),
    f!(
        "hosting",
        OneOf(Hosting::NAMES),
        "—",
        "Hosting",
        "Where it runs."
    ),
    f!(
        "endpoint",
        Text("http(s) URL"),
        "—",
        "Endpoint",
        "Where it is called."
    ),
    f!(
        "model",
        Text("string"),
        "—",
        "Model",
        "The evaluator model."
    ),
    f!(
        "auth_profile",
        Text("name"),
        "—",
        "Auth Profile",
        "A stored credential's name; raw keys are never accepted."
    ),
    f!(
        "default_category",
        Text("string"),
        "—",
        "Default Category",
        "The category of rules that name none."
    ),
    f!(
        "default_threshold",
        Text("number 0..1"),
        "—",
        "Default Threshold",
        "The threshold of rules that give none (else 0.5)."
    ),
    f!(
        "supported_categories",
        Text("list of strings"),
        "—",
        "Supported Categories",
        "Categories a rule may name."
    ),
    f!(
        "circuit_breaker",
        Text("`{max_failures, reset_timeout}`"),
        "—",
        "Circuit Breaker",
        "Failures before the provider is skipped, and for how long."
    ),
    f!(
        "retry",
        Text("`{max_retries, backoff, base}`"),
        "—",
        "Retry",
        "Retries; `backoff` is one of the backoffs below."
    ),
    f!(
        "cost_per_eval_usd",
        Text("money"),
        "—",
        "Cost per Evaluation",
        "Exact decimal USD."
    ),
    f!(
        "evaluator_id",
        Text("string"),
        "—",
        "Evaluator",
        "The Orq evaluator this provider stands for (`compile --target orq`)."
    ),
];

pub const BUDGET: &[FieldDoc] = &[
    f!(
        "scope",
        Text("scope map (`org`, `team`, `project`, `identity`, `agent`, `model`; globs)"),
        "everything",
        "Scope",
        "The events whose cost counts."
    ),
    f!(
        "daily_usd",
        Text("money"),
        "—",
        "Daily Limit",
        "Exact decimal USD per UTC day."
    ),
    f!(
        "weekly_usd",
        Text("money"),
        "—",
        "Weekly Limit",
        "Per ISO week (from Monday)."
    ),
    f!(
        "monthly_usd",
        Text("money"),
        "—",
        "Monthly Limit",
        "Per calendar month."
    ),
    f!(
        "owner",
        Text("e-mail address"),
        "—",
        "Budget Owner",
        "Resolves `budget_owner` approvers."
    ),
    f!(
        "alert_at",
        Text("list of percentages (`80%` or 0..1)"),
        "100%",
        "Alert Thresholds",
        "An alert when spend reaches each share of a limit."
    ),
];

pub const CAP: &[FieldDoc] = &[
    f!(
        "scope",
        Text("scope map"),
        "everything",
        "Scope",
        "The events the cap counts."
    ),
    f!(
        "window",
        OneOf(Window::NAMES),
        "`day`",
        "Window",
        "The period usage accumulates over."
    ),
    f!(
        "limit_usd",
        Text("money"),
        "—",
        "Spend Limit",
        "Exact decimal USD; one of the three limits is required."
    ),
    f!(
        "limit_tokens",
        Text("integer"),
        "—",
        "Token Limit",
        "Total tokens."
    ),
    f!(
        "limit_requests",
        Text("integer"),
        "—",
        "Request Limit",
        "Events."
    ),
    f!(
        "action",
        OneOf(CapAction::NAMES),
        "`block`",
        "Action",
        "What happens to events past the limit."
    ),
    f!(
        "approval_chain",
        Text("chain name"),
        "—",
        "Approval Chain",
        "Routes `require_approval` requests."
    ),
];

pub const CHAIN: &[FieldDoc] = &[
    f!(
        "steps",
        Text("list of `{approvers, min_approvals}`"),
        "required",
        "Approval Steps",
        "Approvers are e-mail addresses, `budget_owner` or `role:NAME`; `min_approvals` defaults to 1."
    ),
    f!(
        "timeout",
        Text("duration"),
        "—",
        "Timeout",
        "How long a request may wait for a decision."
    ),
    f!(
        "on_timeout",
        OneOf(OnTimeout::NAMES),
        "`reject`",
        "On Timeout",
        "What an undecided request becomes."
    ),
];

pub const EXCEPTION: &[FieldDoc] = &[
    f!(
        "target",
        Text("`cap/NAME` or `rule/NAME`"),
        "required",
        "Target",
        "What the exception exempts events from."
    ),
    f!(
        "scope",
        Text("scope map"),
        "everything",
        "Scope",
        "The events it exempts."
    ),
    f!(
        "starts",
        Text("RFC 3339 date or time"),
        "at once",
        "Starts",
        "From this instant."
    ),
    f!(
        "expires",
        Text("RFC 3339 date or time"),
        "required",
        "Expires",
        "Through this instant; a date-only value lasts through that whole UTC day (the bundle writes `T23:59:59Z`)."
    ),
    f!("reason", Text("string"), "—", "Reason", "Why it exists."),
    f!(
        "status",
        OneOf(ExceptionStatus::NAMES),
        "`draft`",
        "Status",
        "Only `approved` exceptions exempt anything."
    ),
    f!(
        "approved_by",
        Text("e-mail address"),
        "—",
        "Approved By",
        "Required when approved; not allowed before."
    ),
];

/// Every section, in the reference's order.
pub const SECTIONS: &[SectionDoc] = &[
    SectionDoc {
        name: "GUARDRAILS",
        intro: "A map from rule name (`[a-z][a-z0-9_-]*`) to a rule. A rule needs a `kind` and at least one of `check`, `patterns`, `entities`, `provider`, `llm_check`, `tools`, `deny_tools`, `domains`, `max_tokens`. Its tier is `model` with a `provider`, else `llm` with an `llm_check`, else `local`.",
        fields: RULE,
    },
    SectionDoc {
        name: "POLICY",
        intro: "The policy the file's rules belong to. A file with rules and no `POLICY:` holds a tenant policy named after the file.",
        fields: POLICY,
    },
    SectionDoc {
        name: "PROVIDERS",
        intro: "A map from provider name to the external evaluator model-tier rules name.",
        fields: PROVIDER,
    },
    SectionDoc {
        name: "BUDGETS",
        intro: "A map from budget name to a spend budget; one of `daily_usd`, `weekly_usd`, `monthly_usd` is required.",
        fields: BUDGET,
    },
    SectionDoc {
        name: "CAPS",
        intro: "A map from cap name to a spend, token or request cap.",
        fields: CAP,
    },
    SectionDoc {
        name: "APPROVAL_CHAINS",
        intro: "A map from chain name to the steps an approval request goes through.",
        fields: CHAIN,
    },
    SectionDoc {
        name: "EXCEPTIONS",
        intro: "A map from exception name to a time-limited exemption.",
        fields: EXCEPTION,
    },
];

/// Closed sets of names not shown in a field's type.
pub const ENUMS: &[(&str, &[&str])] = &[
    (
        "Budget overspend actions (`budget.overspend_action`)",
        OverspendAction::NAMES,
    ),
    ("Retry backoffs (`retry.backoff`)", Backoff::NAMES),
    ("PII and secret entities (`entities`)", Entity::NAMES),
    ("Condition operators", Operator::NAMES),
];

/// The generated part of `docs/language.md`.
pub fn reference() -> String {
    let mut s = String::new();
    for sec in SECTIONS {
        s.push_str(&format!("### `{}:`\n\n{}\n\n", sec.name, sec.intro));
        s.push_str(
            "| key | type / values | default | UI label | meaning |\n|---|---|---|---|---|\n",
        );
        for f in sec.fields {
            let ty = match &f.ty {
                Text(t) => t.to_string(),
                OneOf(names) => names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            s.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                f.key, ty, f.default, f.label, f.doc
            ));
        }
        s.push('\n');
    }
    s.push_str("### Other names\n\n");
    for (what, names) in ENUMS {
        let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        s.push_str(&format!("- {what}: {}\n", list.join(", ")));
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn keys(fields: &[FieldDoc]) -> Vec<&str> {
        let mut k: Vec<&str> = fields.iter().map(|f| f.key).collect();
        k.sort_unstable();
        k
    }

    fn sorted<'a>(k: &[&'a str]) -> Vec<&'a str> {
        let mut k = k.to_vec();
        k.sort_unstable();
        k
    }

    /// Each table lists exactly the keys its lowering accepts.
    #[test]
    fn tables_hold_the_keys_the_reader_accepts() {
        use crate::ir::{lower, lower_governance, lower_rule};
        assert_eq!(keys(RULE), sorted(lower_rule::RULE_KEYS));
        assert_eq!(keys(POLICY), sorted(lower::POLICY_KEYS));
        assert_eq!(keys(PROVIDER), sorted(lower_governance::PROVIDER_KEYS));
        assert_eq!(keys(BUDGET), sorted(lower_governance::BUDGET_KEYS));
        assert_eq!(keys(CAP), sorted(lower_governance::CAP_KEYS));
        assert_eq!(keys(CHAIN), sorted(lower_governance::CHAIN_KEYS));
        assert_eq!(keys(EXCEPTION), sorted(lower_governance::EXCEPTION_KEYS));
    }

    /// `docs/language.md` holds the generated reference between its
    /// markers. `GUARDCTL_WRITE_DOCS=1 cargo test` rewrites it.
    #[test]
    fn language_reference_is_generated() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/language.md");
        let doc = std::fs::read_to_string(&path).unwrap();
        let (begin, end) = ("<!-- generated: fields -->\n", "<!-- end generated -->");
        let a = doc.find(begin).expect("begin marker") + begin.len();
        let b = doc.find(end).expect("end marker");
        let want = reference();
        if doc.get(a..b) != Some(want.as_str()) {
            if std::env::var_os("GUARDCTL_WRITE_DOCS").is_some() {
                let new = format!("{}{want}{}", &doc[..a], &doc[b..]);
                std::fs::write(&path, new).unwrap();
            } else {
                panic!(
                    "docs/language.md is stale: run `GUARDCTL_WRITE_DOCS=1 cargo test --lib fields`"
                );
            }
        }
    }
}
