//! The CEL checker: which variables and functions a guardrail runtime
//! defines (spec §4). Runtimes silently skip checks that call unknown
//! functions or read unknown variables (they fail open), so every such use
//! is an error here, with a "did you mean" where one is close.

use super::ast::{Expr, ExprKind};
use crate::lint::registry::Code;
use crate::source::Span;
use crate::suggest::did_you_mean;

/// Event variables a rule's CEL may read.
pub const VARIABLES: &[&str] = &[
    "input",
    "output",
    "text",
    "chunk",
    "tool_name",
    "tool_parameters",
    "tool_result",
    "model",
    "identity",
    "project",
    "agent",
    "headers",
    "metadata",
    "tokens",
    "cost_usd",
    "session_turn_count",
    "kind",
    "handoff",
    "site",
    "offer",
    "customer",
    "channel",
];

/// Fields of the structured variables.
pub const IDENTITY_FIELDS: &[&str] = &["id", "team", "org", "roles"];
pub const TOKEN_FIELDS: &[&str] = &["input", "output", "total"];

/// Guardrail functions (callable bare or with the `abl.` prefix) and their
/// argument counts.
pub const GUARDRAIL_FUNCTIONS: &[(&str, usize, usize)] = &[
    ("contains_any", 2, 2),
    ("contains_code", 1, 1),
    ("contains_email", 1, 1),
    ("contains_pii", 1, 2),
    ("contains_prompt_injection", 1, 1),
    ("contains_url", 1, 1),
    ("detect_pii", 1, 1),
    ("is_safe", 1, 1),
    ("lower", 1, 1),
    ("matches_pattern", 2, 2),
    ("not_matches_pattern", 2, 2),
    ("redact_pii", 1, 1),
    ("score", 2, 2),
    ("sentence_count", 1, 1),
    ("word_count", 1, 1),
];

/// Standard functions: (name, global arity, receiver arity).
const STANDARD: &[(&str, Option<usize>, Option<usize>)] = &[
    ("contains", None, Some(1)),
    ("double", Some(1), None),
    ("endsWith", None, Some(1)),
    ("int", Some(1), None),
    ("matches", Some(2), Some(1)),
    ("size", Some(1), Some(0)),
    ("startsWith", None, Some(1)),
    ("string", Some(1), None),
    ("type", Some(1), None),
];

/// CEL's type denotations (`type(x) == list`).
const TYPE_NAMES: &[&str] = &[
    "bool",
    "bytes",
    "double",
    "int",
    "list",
    "map",
    "null_type",
    "string",
    "type",
    "uint",
];

const MACROS: &[&str] = &["all", "exists", "exists_one", "filter", "map"];

#[derive(Debug, Clone, PartialEq)]
pub struct CheckError {
    pub code: Code,
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

/// Checks an expression; returns every problem found: unknown names
/// first, then (where every name is known) calls and operators with no
/// overload for their operands' types.
pub fn check(expr: &Expr) -> Vec<CheckError> {
    let mut c = Checker {
        errors: Vec::new(),
        scope: Vec::new(),
    };
    c.expr(expr);
    for (span, key) in super::types::upper_case_headers(expr) {
        let lower = crate::engine::event::header_name(&key);
        c.errors.push(CheckError {
            code: Code::UnknownConditionField,
            span,
            message: format!("header name `{key}` is not lower-case: this never finds the header"),
            help: Some(format!(
                "events carry header names in lower case: write `{lower}`"
            )),
        });
    }
    if c.errors.is_empty() {
        let mut t = super::types::TypeChecker::new();
        t.ty(expr);
        if t.errors.is_empty() {
            return super::cost::too_costly(expr);
        }
        return t.errors;
    }
    c.errors
}

/// Reads of a `metadata` or `headers` key that no `has()` (or `"k" in
/// map`) guards: on an event without the key they evaluate to an error,
/// not to false. Each comes with the guarded spelling as its fix.
pub fn unguarded_keys(expr: &Expr) -> Vec<CheckError> {
    super::types::unguarded_keys(expr)
        .into_iter()
        .map(|(span, root, key)| {
            let guard = if is_ident(&key) {
                format!("has({root}.{key})")
            } else {
                format!("{} in {root}", serde_json::to_string(&key).unwrap_or_default())
            };
            CheckError {
                code: Code::CelMissingField,
                span,
                message: format!("`{root}` may not have the key `{key}`"),
                help: Some(format!(
                    "on an event without it this errors instead of being false, and the rule is skipped whatever `fail_mode` says; test it first: `{guard} && ...`"
                )),
            }
        })
        .collect()
}

/// Whether `s` is a CEL identifier (so `root.s` selects it; otherwise
/// it is written `root["s"]`).
pub(crate) fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f == '_' || f.is_ascii_alphabetic())
        && c.all(|x| x == '_' || x.is_ascii_alphanumeric())
}

/// Every function name the checker accepts (for suggestions and docs).
pub fn known_functions() -> Vec<&'static str> {
    let mut v: Vec<&str> = GUARDRAIL_FUNCTIONS.iter().map(|f| f.0).collect();
    // `type()` is CEL's reflection, never what a misspelt name meant.
    v.extend(STANDARD.iter().map(|f| f.0).filter(|f| *f != "type"));
    v.extend(MACROS);
    v.push("has");
    v
}

struct Checker {
    errors: Vec<CheckError>,
    /// Names bound by enclosing macros (`x` in `list.all(x, ...)`).
    scope: Vec<String>,
}

impl Checker {
    fn error(&mut self, code: Code, span: Span, message: String, help: Option<String>) {
        self.errors.push(CheckError {
            code,
            span,
            message,
            help,
        });
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Uint(_)
            | ExprKind::Double(_)
            | ExprKind::String(_)
            | ExprKind::Bytes(_) => {}
            ExprKind::Ident { name, .. } => self.ident(name, e.span),
            ExprKind::Select { operand, field, .. } => {
                if let ExprKind::Ident { name, .. } = &operand.kind {
                    if !self.scope.contains(name) {
                        let fields = match name.as_str() {
                            "identity" => Some(IDENTITY_FIELDS),
                            "tokens" => Some(TOKEN_FIELDS),
                            _ => None,
                        };
                        if let Some(fields) = fields {
                            if !fields.contains(&field.as_str()) {
                                let help = did_you_mean(field, fields.iter().copied())
                                    .map(|s| format!("did you mean `{name}.{s}`?"));
                                let list = fields
                                    .iter()
                                    .map(|f| format!("`{f}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ");
                                self.error(
                                    Code::UnknownCelVariable,
                                    e.span,
                                    format!("`{name}` has no field `{field}`"),
                                    Some(help.unwrap_or_else(|| {
                                        format!("`{name}` has the fields {list}")
                                    })),
                                );
                            }
                        }
                    }
                }
                self.expr(operand);
            }
            ExprKind::Index { operand, index, .. } => {
                self.expr(operand);
                self.expr(index);
            }
            ExprKind::Call {
                target,
                function,
                args,
            } => self.call(e, target.as_deref(), function, args),
            ExprKind::Unary { operand, .. } => self.expr(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::Conditional {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond);
                self.expr(then);
                self.expr(otherwise);
            }
            ExprKind::List(items) => items.iter().for_each(|i| self.expr(i)),
            ExprKind::Map(entries) => {
                for (k, v) in entries {
                    self.expr(k);
                    self.expr(v);
                }
            }
            ExprKind::Struct { type_name, fields } => {
                self.error(
                    Code::UnknownCelFunction,
                    e.span,
                    format!("message type `{type_name}` is not available to guardrail expressions"),
                    Some(
                        "guardrail runtimes define no protobuf message types; use a map literal"
                            .into(),
                    ),
                );
                fields.iter().for_each(|(_, v)| self.expr(v));
            }
        }
    }

    fn ident(&mut self, name: &str, span: Span) {
        if VARIABLES.contains(&name)
            || TYPE_NAMES.contains(&name)
            || self.scope.iter().any(|s| s == name)
        {
            return;
        }
        let candidates: Vec<&str> = VARIABLES
            .iter()
            .copied()
            .chain(self.scope.iter().map(String::as_str))
            .collect();
        let hint =
            did_you_mean(name, candidates.iter().copied()).map(|s| format!("did you mean `{s}`? "));
        self.error(
            Code::UnknownCelVariable,
            span,
            format!("unknown variable `{name}`"),
            Some(format!(
                "{}runtimes fail open on unknown variables: the rule would never trigger. Variables are {}",
                hint.unwrap_or_default(),
                VARIABLES.join(", ")
            )),
        );
    }

    /// A literal pattern of `matches()` is checked as rule patterns are:
    /// one that cannot be built makes every call an error at runtime, so
    /// the rule never fires.
    fn pattern_literal(&mut self, arg: Option<&Expr>) {
        let Some(Expr {
            kind: ExprKind::String(p),
            span,
            ..
        }) = arg
        else {
            return;
        };
        if let Some((_, _, msg)) = crate::pattern::problem(p) {
            self.error(
                Code::InvalidRegex,
                *span,
                format!("invalid regex: {msg}"),
                Some("a pattern that cannot be built makes the call an error at runtime: the check is unevaluated, and a `when` skips the rule".into()),
            );
        }
    }

    fn call(&mut self, e: &Expr, target: Option<&Expr>, function: &str, args: &[Expr]) {
        // `abl.name(...)`: the namespaced form of a guardrail function.
        let namespaced = matches!(target, Some(Expr { kind: ExprKind::Ident { name, .. }, .. }) if name == "abl" && !self.scope.iter().any(|s| s == "abl"));
        let target = if namespaced { None } else { target };
        if matches!(
            function,
            "matches" | "matches_pattern" | "not_matches_pattern"
        ) {
            self.pattern_literal(if target.is_some() {
                args.first()
            } else {
                args.get(1)
            });
        }

        if let Some(&(_, min, max)) = GUARDRAIL_FUNCTIONS.iter().find(|f| f.0 == function) {
            if target.is_some() {
                self.error(
                    Code::UnknownCelFunction,
                    e.span,
                    format!("`{function}` is a global function, not a method"),
                    Some(format!("call it as `{function}(value, ...)`")),
                );
            } else if args.len() < min || args.len() > max {
                let want = if min == max {
                    format!("{min}")
                } else {
                    format!("{min} or {max}")
                };
                self.error(
                    Code::UnknownCelFunction,
                    e.span,
                    format!("`{function}` takes {want} argument(s), not {}", args.len()),
                    None,
                );
            }
            args.iter().for_each(|a| self.expr(a));
            return;
        }
        if namespaced {
            self.unknown_function(e.span, &format!("abl.{function}"), function);
            args.iter().for_each(|a| self.expr(a));
            return;
        }
        if function == "has" && target.is_none() {
            match args {
                [
                    Expr {
                        kind: ExprKind::Select { operand, .. },
                        ..
                    },
                ] => self.expr(operand),
                _ => self.error(
                    Code::CelSyntax,
                    e.span,
                    "`has()` takes one field selection such as `has(metadata.channel)`".into(),
                    None,
                ),
            }
            return;
        }
        if MACROS.contains(&function) {
            if let Some(t) = target {
                self.expr(t);
                let bound = match args.first() {
                    Some(Expr {
                        kind: ExprKind::Ident { name, .. },
                        ..
                    }) => Some(name.clone()),
                    _ => None,
                };
                let valid = match function {
                    "map" => args.len() == 2 || args.len() == 3,
                    _ => args.len() == 2,
                };
                match (bound, valid) {
                    (Some(name), true) => {
                        self.scope.push(name);
                        args.iter().skip(1).for_each(|a| self.expr(a));
                        self.scope.pop();
                    }
                    _ => self.error(
                        Code::CelSyntax,
                        e.span,
                        format!("`{function}` takes a variable name and an expression, such as `list.{function}(x, x > 0)`"),
                        None,
                    ),
                }
                return;
            }
        }
        if let Some(&(_, global, receiver)) = STANDARD.iter().find(|f| f.0 == function) {
            let arity = if target.is_some() { receiver } else { global };
            match arity {
                Some(n) if n == args.len() => {}
                Some(n) => self.error(
                    Code::UnknownCelFunction,
                    e.span,
                    format!(
                        "`{function}` takes {n} argument(s) here, not {}",
                        args.len()
                    ),
                    None,
                ),
                None if target.is_some() => self.error(
                    Code::UnknownCelFunction,
                    e.span,
                    format!("`{function}` is a global function, not a method"),
                    Some(format!("call it as `{function}(value)`")),
                ),
                None => self.error(
                    Code::UnknownCelFunction,
                    e.span,
                    format!("`{function}` is a method, not a global function"),
                    Some(format!("call it as `value.{function}(...)`")),
                ),
            }
            if let Some(t) = target {
                self.expr(t);
            }
            args.iter().for_each(|a| self.expr(a));
            return;
        }
        self.unknown_function(e.span, function, function);
        if let Some(t) = target {
            self.expr(t);
        }
        args.iter().for_each(|a| self.expr(a));
    }

    fn unknown_function(&mut self, span: Span, shown: &str, bare: &str) {
        let known = known_functions();
        let hint = match kore_replacement(bare) {
            Some(r) => Some(format!("{r}; ")),
            None => {
                did_you_mean(bare, known.iter().copied()).map(|s| format!("did you mean `{s}`? "))
            }
        };
        self.error(
            Code::UnknownCelFunction,
            span,
            format!("unknown function `{shown}`"),
            Some(format!(
                "{}runtimes skip checks that call unknown functions and fail open, so this guardrail would silently allow everything",
                hint.unwrap_or_default()
            )),
        );
    }
}

/// Functions Kore's documentation and samples call that its runtime never
/// registered, and the registered function (or rule form) that does the
/// job. Each fails open in Kore: the guardrail silently allows everything.
const KORE_PSEUDO: &[(&str, &str)] = &[
    (
        "not_contains_pii",
        "use `!contains_pii(text)` (under `check_polarity: violation`, `contains_pii(text)`)",
    ),
    (
        "not_contains_ssn",
        "use `!contains_pii(text, ['US_SSN'])`, or `entities: [US_SSN]`",
    ),
    (
        "contains_ssn",
        "use `contains_pii(text, ['US_SSN'])`, or `entities: [US_SSN]`",
    ),
    (
        "not_contains_blocked_words",
        "use `!contains_any(lower(text), ['word', ...])` or `patterns:` with the blocked words",
    ),
    (
        "contains_blocked_words",
        "use `contains_any(lower(text), ['word', ...])` or `patterns:` with the blocked words",
    ),
    (
        "not_contains_full_account_number",
        "use `patterns:` with the account number's format and `action: redact`",
    ),
    (
        "not_contains_credentials",
        "use `entities: [API_KEY, PRIVATE_KEY, JWT]` (or the `credential_input` template)",
    ),
    (
        "not_contains_html_tags",
        "use `!matches_pattern(text, '<[a-zA-Z/][^>]*>')`",
    ),
    (
        "toxicity_score",
        "use a model-tier rule: `provider: openai_moderation` with `category` and `threshold`",
    ),
    (
        "not_contains_harmful_instructions",
        "use `llm_check:` with the instruction, or a `provider` rule",
    ),
    (
        "contains_harmful_instructions",
        "use `llm_check:` with the instruction, or a `provider` rule",
    ),
    (
        "shows_empathy",
        "use `llm_check:` (an LLM judges tone; no function can)",
    ),
    (
        "no_competitor_mentions",
        "use `!contains_any(lower(text), ['competitor', ...])` or `llm_check:`",
    ),
    (
        "end_positively",
        "use `llm_check:` (an LLM judges tone; no function can)",
    ),
    (
        "contains_profanity",
        "use the `profanity_filter` template (`profanity_filter: {kind: input, action: block}`)",
    ),
];

/// The help for a Kore pseudo-function, if `name` is one.
fn kore_replacement(name: &str) -> Option<String> {
    KORE_PSEUDO
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, r)| format!("`{n}` is not a function Kore's runtime registers: {r}"))
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
    use crate::cel::parse::parse;

    #[test]
    fn kore_pseudo_functions_name_their_replacement() {
        let e = check(&parse("abl.not_contains_blocked_words(input)").unwrap());
        let help = e[0].help.clone().unwrap();
        assert!(help.contains("contains_any"), "{help}");
        let e = check(&parse("toxicity_score(output) < 0.5").unwrap());
        assert!(e[0].help.clone().unwrap().contains("openai_moderation"));
    }

    fn errs(s: &str) -> Vec<String> {
        check(&parse(s).unwrap())
            .into_iter()
            .map(|e| e.message)
            .collect()
    }

    #[test]
    fn known_names_pass() {
        assert!(errs("!contains_pii(text, ['US_SSN']) && abl.word_count(text) < 500").is_empty());
        assert!(errs("identity.roles.exists(r, r == 'admin') && has(metadata.channel)").is_empty());
        assert!(errs("text.contains('x') || size(text) > 3 || text.matches('a+')").is_empty());
        assert!(errs("tool_parameters.items.map(i, i.price).all(p, p < 100)").is_empty());
    }

    #[test]
    fn unknown_names_fail() {
        assert_eq!(
            errs("contains_pi(text)"),
            vec!["unknown function `contains_pi`"]
        );
        assert_eq!(errs("txt == ''"), vec!["unknown variable `txt`"]);
        assert_eq!(
            errs("identity.tem == 'a'"),
            vec!["`identity` has no field `tem`"]
        );
        assert_eq!(errs("abl.nope(text)"), vec!["unknown function `abl.nope`"]);
        assert_eq!(errs("contains_pii()").len(), 1);
        assert_eq!(errs("x.all(y, y)").len(), 1);
    }
}
