//! The one table of diagnostic codes: code ↔ name ↔ default severity ↔
//! documentation. `guardctl rule CODE` prints an entry, the README's rule
//! catalog is checked against it, and meta-tests keep it sorted and unique.
//! Names read as "allow ‹name›" would: they name the bad pattern.

use crate::diagnostic::Severity;

/// A stable diagnostic code. Codes are never reused or renumbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    TabIndentation,
    BadIndentation,
    UnterminatedString,
    InvalidSyntax,
    UnsupportedYaml,
    DuplicateKey,
    NotPolicyFile,
    UnknownKey,
    WrongType,
    UnknownEnumValue,
    DuplicateName,
    MalformedDuration,
    MalformedDate,
    MalformedPercentage,
    OutOfRange,
    MissingField,
    NothingToCheck,
    InvalidName,
    InlineCredential,
    InvalidRegex,
    CelSyntax,
    UnknownCelFunction,
    UnknownCelVariable,
    EmptyCondition,
    IncompleteConditionLeaf,
    UnknownOperator,
    InOperatorNeedsList,
    UnknownConditionField,
    UnknownPiiEntity,
    CelTypeError,
    CelMissingField,
    InvalidGlob,
    CelTooCostly,
    UnknownProvider,
    UnknownApprovalChain,
    UnknownExceptionTarget,
    ExceptionEndsBeforeStart,
    SeveralActivePolicies,
    AgentLoosensRule,
    InvalidScope,
    ExpiredException,
    InactiveRule,
    UnknownCategory,
    DeadLlmCheck,
    SuspectCheckPolarity,
    InexpressibleOnRuntime,
    NeverTakesEffect,
    UnknownTestRule,
    TestFailed,
    Io,
    Internal,
}

pub struct CodeInfo {
    pub code: Code,
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// What it catches and why it matters; printed by `guardctl rule`.
    pub doc: &'static str,
}

use Severity::{Error, Warning};

/// Every code, sorted by `id`.
pub const CODES: &[CodeInfo] = &[
    CodeInfo {
        code: Code::TabIndentation,
        id: "GC001",
        name: "tab-indentation",
        severity: Error,
        doc: "A tab character in indentation. YAML forbids tabs there, and editors disagree on their width, so the nesting you see is not the nesting a runtime reads. Use spaces.",
    },
    CodeInfo {
        code: Code::BadIndentation,
        id: "GC002",
        name: "bad-indentation",
        severity: Error,
        doc: "A line indented to a column that matches no open block, or a value indented where none can start. Such a file either fails to load or nests a key under the wrong parent.",
    },
    CodeInfo {
        code: Code::UnterminatedString,
        id: "GC003",
        name: "unterminated-string",
        severity: Error,
        doc: "A quoted string without its closing quote. Everything after it would be read as part of the string.",
    },
    CodeInfo {
        code: Code::InvalidSyntax,
        id: "GC004",
        name: "invalid-syntax",
        severity: Error,
        doc: "Text that is not valid in the YAML subset guardctl reads (a stray `:`, a bad flow collection, an invalid escape, a malformed block scalar header, a control character YAML does not allow (U+0000 to U+001F but tab and line breaks, DEL, C1 controls), a column-1 key inside an ABL agent file's `AGENT:` or `GUARDRAILS:` section, which would end the section unseen).",
    },
    CodeInfo {
        code: Code::UnsupportedYaml,
        id: "GC005",
        name: "unsupported-yaml",
        severity: Error,
        doc: "Anchors, aliases, tags, directives, complex keys and multi-document streams are outside the subset. They are rejected rather than guessed at, so no file is ever read differently from how a conforming parser reads it. `fmt` also refuses, with this code, a file holding a lone carriage return.",
    },
    CodeInfo {
        code: Code::DuplicateKey,
        id: "GC006",
        name: "duplicate-key",
        severity: Error,
        doc: "The same key twice in one mapping. Most YAML loaders silently keep the last one, so the first value never takes effect.",
    },
    CodeInfo {
        code: Code::NotPolicyFile,
        id: "GC007",
        name: "not-a-policy-file",
        severity: Error,
        doc: "A file named on the command line holds no guardctl section but a top-level key that is a near miss of one (`GUARDRAIL:`, `Guardrails:`): it was meant as a policy, and as written nothing in it is read. A named YAML file with no section at all (a CI workflow, a compose file, `.pre-commit-config.yaml`) is skipped with a note instead.",
    },
    CodeInfo {
        code: Code::UnknownKey,
        id: "GC101",
        name: "unknown-key",
        severity: Error,
        doc: "A key the language does not define. Runtimes ignore unknown keys, so a misspelt `acton:` leaves the rule on its default action (`warn`) without a word.",
    },
    CodeInfo {
        code: Code::WrongType,
        id: "GC102",
        name: "wrong-type",
        severity: Error,
        doc: "A value of the wrong type (a string where a number, a list or a mapping belongs).",
    },
    CodeInfo {
        code: Code::UnknownEnumValue,
        id: "GC103",
        name: "unknown-enum-value",
        severity: Error,
        doc: "A value outside its field's fixed set (kind, action, severity, status, window, adapter, ...). Runtimes turn unknown actions into `warn`: a typo in `block` stops nothing.",
    },
    CodeInfo {
        code: Code::DuplicateName,
        id: "GC104",
        name: "duplicate-name",
        severity: Error,
        doc: "Two rules, policies, providers, budgets, caps, chains or exceptions with the same name in one layer. References to the name become ambiguous and one definition silently wins.",
    },
    CodeInfo {
        code: Code::MalformedDuration,
        id: "GC105",
        name: "malformed-duration",
        severity: Error,
        doc: "A duration must be a whole number with a unit: `250ms`, `3s`, `5m`, `24h`, `7d`.",
    },
    CodeInfo {
        code: Code::MalformedDate,
        id: "GC106",
        name: "malformed-date",
        severity: Error,
        doc: "A date must be RFC 3339: `2026-11-30` or `2026-11-30T18:00:00Z`.",
    },
    CodeInfo {
        code: Code::MalformedPercentage,
        id: "GC107",
        name: "malformed-percentage",
        severity: Error,
        doc: "A percentage must be written `80%` or as a number from 0 to 1.",
    },
    CodeInfo {
        code: Code::OutOfRange,
        id: "GC108",
        name: "out-of-range",
        severity: Error,
        doc: "A number outside its range: `threshold` and `sample_rate` lie in 0..1, `priority` and counts are >= 0, money is >= 0.",
    },
    CodeInfo {
        code: Code::MissingField,
        id: "GC109",
        name: "missing-field",
        severity: Error,
        doc: "A required field is absent (a rule's `kind`, a policy's `name`, a cap's `window` and limit, a chain's `steps`, ...).",
    },
    CodeInfo {
        code: Code::NothingToCheck,
        id: "GC110",
        name: "rule-without-check",
        severity: Error,
        doc: "A rule with none of check, patterns, entities, provider, llm_check, tools, deny_tools, domains, max_tokens. It can never trigger.",
    },
    CodeInfo {
        code: Code::InvalidName,
        id: "GC111",
        name: "invalid-name",
        severity: Error,
        doc: "Rule names match `[a-z][a-z0-9_-]*`; other names (policies, providers, budgets, caps, chains, exceptions) match `[A-Za-z0-9][A-Za-z0-9_.-]*`. Runtimes derive ids and URLs from them.",
    },
    CodeInfo {
        code: Code::InlineCredential,
        id: "GC112",
        name: "inline-credential",
        severity: Error,
        doc: "A credential written into a policy file (an `api_key` field or a value shaped like a provider secret). Credentials are referenced by `auth_profile`; a key in git is a leaked key.",
    },
    CodeInfo {
        code: Code::InvalidRegex,
        id: "GC201",
        name: "invalid-regex",
        severity: Error,
        doc: "A pattern that does not compile. Runtimes skip rules whose pattern fails to compile, so the rule never fires.",
    },
    CodeInfo {
        code: Code::CelSyntax,
        id: "GC202",
        name: "cel-syntax-error",
        severity: Error,
        doc: "A `check`, `when` or `fix_expression` that is not valid CEL. A condition that does not parse never fires.",
    },
    CodeInfo {
        code: Code::UnknownCelFunction,
        id: "GC203",
        name: "unknown-cel-function",
        severity: Error,
        doc: "A call to a function the runtime does not define. Runtimes skip checks with unknown functions and fail open: the guardrail silently allows everything.",
    },
    CodeInfo {
        code: Code::UnknownCelVariable,
        id: "GC204",
        name: "unknown-cel-variable",
        severity: Error,
        doc: "A CEL identifier that is not one of the event variables (input, output, text, chunk, tool_name, model, identity, headers, metadata, ...). The expression errors at runtime and the rule fails open.",
    },
    CodeInfo {
        code: Code::EmptyCondition,
        id: "GC205",
        name: "empty-condition",
        severity: Error,
        doc: "A condition tree with an empty `all`/`any` group or no node at all. Runtimes treat it as never matching, so the rule never runs.",
    },
    CodeInfo {
        code: Code::IncompleteConditionLeaf,
        id: "GC206",
        name: "incomplete-condition-leaf",
        severity: Error,
        doc: "A condition leaf without `field` or `operator` (or a non-`exists` leaf without `value`). It never matches at runtime.",
    },
    CodeInfo {
        code: Code::UnknownOperator,
        id: "GC207",
        name: "unknown-operator",
        severity: Error,
        doc: "A condition operator outside eq, neq, gt, gte, lt, lte, in, not_in, contains, starts_with, ends_with, matches, exists. It never matches at runtime.",
    },
    CodeInfo {
        code: Code::InOperatorNeedsList,
        id: "GC208",
        name: "in-without-list",
        severity: Error,
        doc: "`in` and `not_in` compare against a list; a scalar value makes the leaf always false (or, for `not_in`, always true).",
    },
    CodeInfo {
        code: Code::UnknownConditionField,
        id: "GC209",
        name: "unknown-condition-field",
        severity: Error,
        doc: "A condition field outside model, identity.*, project, agent, headers.*, metadata.*, tokens.*, cost_usd, kind, tool_name, site, offer.*, customer.*, channel.*, or a header named in upper case (`headers.X-Env` in a tree, `headers[\"X-Env\"]` or `\"X-Env\" in headers` in CEL: events carry header names in lower case). It resolves to nothing at runtime.",
    },
    CodeInfo {
        code: Code::UnknownPiiEntity,
        id: "GC210",
        name: "unknown-pii-entity",
        severity: Error,
        doc: "An entity name the built-in detectors do not know (names follow Presidio: EMAIL_ADDRESS, CREDIT_CARD, US_SSN, ...). An unknown entity detects nothing.",
    },
    CodeInfo {
        code: Code::CelTypeError,
        id: "GC211",
        name: "cel-type-error",
        severity: Error,
        doc: "A CEL call or operator with no overload for its operands' declared types, such as `identity.roles.contains(\"x\")` (lists have no `contains`: write `\"x\" in identity.roles`) or `text > 3`. The expression evaluates to an error at runtime and the rule fails open.",
    },
    CodeInfo {
        code: Code::CelMissingField,
        id: "GC212",
        name: "cel-missing-field",
        severity: Warning,
        doc: "A `check` or `when` that reads a `metadata` or `headers` key without testing that the event has it. On an event without the key the expression errors instead of being false, and the rule is skipped whatever `fail_mode` says. Guard it: `has(metadata.env) && metadata.env == \"prod\"`.",
    },
    CodeInfo {
        code: Code::InvalidGlob,
        id: "GC213",
        name: "invalid-glob",
        severity: Error,
        doc: "A tool, domain or scope glob that does not parse (an unclosed `[`). It would match only its own text, so the rule or scope silently covers nothing.",
    },
    CodeInfo {
        code: Code::CelTooCostly,
        id: "GC214",
        name: "cel-too-costly",
        severity: Error,
        doc: "A CEL expression whose worst case on one event passes the evaluation limit (1,000,000 steps; docs/limits.md): nested comprehensions multiply, each running its body once per element. At runtime the evaluation stops at the limit and the rule is unevaluated, so `fail_mode` decides instead of the check.",
    },
    CodeInfo {
        code: Code::UnknownProvider,
        id: "GC301",
        name: "unknown-provider",
        severity: Error,
        doc: "A rule names a provider that no PROVIDERS section among the linted files defines.",
    },
    CodeInfo {
        code: Code::UnknownApprovalChain,
        id: "GC302",
        name: "unknown-approval-chain",
        severity: Error,
        doc: "A cap names an approval chain that no APPROVAL_CHAINS section defines, or a `require_approval` cap names none. Requests would wait for an approver that does not exist.",
    },
    CodeInfo {
        code: Code::UnknownExceptionTarget,
        id: "GC303",
        name: "unknown-exception-target",
        severity: Error,
        doc: "An exception's `target` must be `cap/NAME` or `rule/NAME` naming a defined cap or rule.",
    },
    CodeInfo {
        code: Code::ExceptionEndsBeforeStart,
        id: "GC304",
        name: "exception-ends-before-start",
        severity: Error,
        doc: "An exception whose `expires` is before its `starts`: it can never be in force.",
    },
    CodeInfo {
        code: Code::SeveralActivePolicies,
        id: "GC305",
        name: "several-active-policies",
        severity: Error,
        doc: "More than one `active` policy for the same project or agent among the files linted together. Runtimes keep only one, and which one is not defined. (Several tenant policies may be active: each applies to every event; Kore's one-per-scope rule for its tenant policy is GC406 there.)",
    },
    CodeInfo {
        code: Code::AgentLoosensRule,
        id: "GC306",
        name: "agent-loosens-rule",
        severity: Error,
        doc: "An agent rule overrides a tenant or project rule of the same name and loosens it. The override is compared with the wider rule by the classification `diff` uses, every field at once (a check that passes more, a narrower `when`, a weaker action or band action, a wider tool allow-list, a shorter deny-list, a higher limit, a later streaming interval, a status other than active, ...): any change that is looser, or whose direction cannot be decided, is this error. Agents may tighten wider rules, never loosen them.",
    },
    CodeInfo {
        code: Code::InvalidScope,
        id: "GC307",
        name: "invalid-scope",
        severity: Error,
        doc: "A policy scope without its target (`scope: project` needs `project:`, `scope: agent` needs `agent:`), a budget/cap/exception scope with a key outside org, team, project, identity, agent, model, or one that names another project (or agent) than the policy it is defined in (it would never apply).",
    },
    CodeInfo {
        code: Code::ExpiredException,
        id: "GC401",
        name: "expired-exception",
        severity: Warning,
        doc: "An exception whose `expires` date has passed (against `--now`, default today). It no longer exempts anything; remove it or renew it.",
    },
    CodeInfo {
        code: Code::InactiveRule,
        id: "GC402",
        name: "inactive-rule",
        severity: Warning,
        doc: "A rule left `paused` or `draft`. It does not run; make sure that is intended.",
    },
    CodeInfo {
        code: Code::UnknownCategory,
        id: "GC403",
        name: "unsupported-category",
        severity: Warning,
        doc: "A rule's `category` is not in its provider's `supported_categories`. The provider returns no score for it and the rule is unevaluated (fail_mode decides).",
    },
    CodeInfo {
        code: Code::DeadLlmCheck,
        id: "GC404",
        name: "dead-llm-check",
        severity: Warning,
        doc: "A rule with both `provider` and `llm_check`. Its tier is `model` (the provider wins, as in Kore's compiler, which drops the LLM check), so the `llm_check` is never evaluated: simulate and the runtimes ignore it. Split it into two rules, or remove one.",
    },
    CodeInfo {
        code: Code::SuspectCheckPolarity,
        id: "GC405",
        name: "suspect-check-polarity",
        severity: Warning,
        doc: "A `check` whose shape reads as the other polarity (spec §2). Under `check_polarity: pass` (the default) a bare detector such as `abl.matches_pattern(input, \"KEYWORD\")` or `contains_pii(text)` fires on every message without what it detects and lets the rest through (Kore's current runtime reads checks as violation predicates); under `check_polarity: violation` a negated one (`!contains_pii(text)`, `not_matches_pattern`, `is_safe`) fires on every harmless message. Negate the check, write it as `match:`, or declare the polarity.",
    },
    CodeInfo {
        code: Code::InexpressibleOnRuntime,
        id: "GC406",
        name: "inexpressible-on-runtime",
        severity: Error,
        doc: "A rule, policy or governance object (budget, cap, approval chain, exception: no runtime target has them) uses something the runtime it is deployed to (its policy's `runtime:`, else `guardctl.toml`'s) cannot express, or that `compile --target` is asked to write: a PII detector for KaireonAI, a local pattern for Orq without an evaluator, `combine: first_match` for Kore, a project scope for Kairro. The runtime would drop it silently or approximate it, so it is an error naming the rule, the feature and the runtime, with what to write instead.",
    },
    CodeInfo {
        code: Code::NeverTakesEffect,
        id: "GC407",
        name: "never-takes-effect",
        severity: Warning,
        doc: "Something written that, as written, can never take effect: a `min_severity` above every severity the rule's `entities` are found at (no entity finding triggers the rule), a site listed both in `approved_sites` and in `unapproved_tools` (the unapproved entry short-circuits first, so the approval is never read), one provider named twice in a rule's `provider` list, or a condition leaf that orders (`gt`, `lt`, `gte`, `lte`) a field of any type against a quoted number (`value: \"100\"`): a number in the event never compares with a string, so the leaf errors and never matches.",
    },
    CodeInfo {
        code: Code::UnknownTestRule,
        id: "GC501",
        name: "unknown-test-rule",
        severity: Error,
        doc: "A policy test names a rule that no policy or agent among the files under test defines. A test about a rule that does not exist would pass vacuously, so it is an error.",
    },
    CodeInfo {
        code: Code::TestFailed,
        id: "GC502",
        name: "test-failed",
        severity: Error,
        doc: "A policy test case whose expectation (decision, fired or not-fired rules, redacted text) differs from what the policy does. The message shows expected and actual.",
    },
    CodeInfo {
        code: Code::Io,
        id: "GC900",
        name: "io-error",
        severity: Error,
        doc: "A file could not be read (missing, unreadable, not UTF-8).",
    },
    CodeInfo {
        code: Code::Internal,
        id: "GC999",
        name: "internal-error",
        severity: Error,
        doc: "An inconsistency inside guardctl. This is a bug in guardctl; please report it with the input that caused it.",
    },
];

impl Code {
    pub fn info(self) -> &'static CodeInfo {
        // INVARIANT: every variant has a row (checked by `every_code_has_a_row`).
        CODES.iter().find(|c| c.code == self).unwrap_or(&INTERNAL)
    }
    pub fn id(self) -> &'static str {
        self.info().id
    }
    pub fn severity(self) -> Severity {
        self.info().severity
    }
    /// Errors that mean the text could not be read as intended (GC001-GC005).
    pub fn is_syntax(self) -> bool {
        matches!(
            self,
            Code::TabIndentation
                | Code::BadIndentation
                | Code::UnterminatedString
                | Code::InvalidSyntax
                | Code::UnsupportedYaml
        )
    }

    /// A file that cannot be read as a policy at all: a syntax error, or
    /// a file named on the command line that is not a guardctl file.
    /// `diff` refuses such a side: read as an empty policy, it would show
    /// every rule of the other side as added or removed.
    pub fn is_unreadable(self) -> bool {
        self.is_syntax() || self == Code::NotPolicyFile
    }
}

const INTERNAL: CodeInfo = CodeInfo {
    code: Code::Internal,
    id: "GC999",
    name: "internal-error",
    severity: Error,
    doc: "",
};

/// Looks a code up by id (`GC101`) or name (`unknown-key`).
pub fn lookup(id_or_name: &str) -> Option<&'static CodeInfo> {
    CODES
        .iter()
        .find(|c| c.id.eq_ignore_ascii_case(id_or_name) || c.name == id_or_name)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sorted_unique_and_documented() {
        for w in CODES.windows(2) {
            assert!(w[0].id < w[1].id, "{} then {}", w[0].id, w[1].id);
        }
        let mut names: Vec<_> = CODES.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), CODES.len());
        for c in CODES {
            assert!(c.doc.len() > 20, "{} undocumented", c.id);
            assert!(!c.doc.is_empty());
        }
    }

    #[test]
    fn every_code_has_a_row() {
        for c in CODES {
            assert_eq!(c.code.info().id, c.id);
        }
        let mut variants: Vec<Code> = CODES.iter().map(|c| c.code).collect();
        variants.dedup();
        assert_eq!(variants.len(), CODES.len());
    }
}
