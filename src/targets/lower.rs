//! A rule's content checks as one CEL *violation* predicate (true = the
//! rule fires), for the runtimes that take a single CEL check: `check` in
//! its declared polarity, `match`, `patterns`, `entities`, `tools`,
//! `deny_tools` and `max_tokens`, any of which fires the rule, with
//! `when` folded in front. Each target says how it spells things
//! ([`Style`]); what has no CEL form for it is returned as the features
//! it cannot write.

use crate::cel::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use crate::cel::check::GUARDRAIL_FUNCTIONS;
use crate::cel::print::print;
use crate::effective::ERule;
use crate::glob::Glob;
use crate::ir::enums::{Kind, Polarity};
use crate::source::Span;

/// How a runtime spells its CEL.
pub struct Style {
    /// Guardrail functions are called `abl.name(...)` (Kore registers
    /// only these).
    pub abl_prefix: bool,
    /// The variable holding the content under evaluation.
    pub text_var: &'static str,
    /// `contains_pii(text, [entities])` is available; otherwise entities
    /// are found through `detect_pii(text)`'s list.
    pub pii_entities: bool,
    /// `score(provider, category)` is available (guardctl's replay only).
    pub score: bool,
    /// The runtime's name, for messages.
    pub runtime: &'static str,
}

/// A feature that has no CEL form for the target, and why.
pub type Unwritable = (&'static str, String);

fn node(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::point(0),
    }
}

fn ident(name: &str) -> Expr {
    node(ExprKind::Ident {
        name: name.to_string(),
        leading_dot: false,
    })
}

fn string(s: &str) -> Expr {
    node(ExprKind::String(s.into()))
}

fn call(function: &str, args: Vec<Expr>) -> Expr {
    node(ExprKind::Call {
        target: None,
        function: function.to_string(),
        args,
    })
}

fn method(target: Expr, function: &str, args: Vec<Expr>) -> Expr {
    node(ExprKind::Call {
        target: Some(Box::new(target)),
        function: function.to_string(),
        args,
    })
}

fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    node(ExprKind::Binary {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
    })
}

fn not(e: Expr) -> Expr {
    node(ExprKind::Unary {
        op: UnaryOp::Not,
        operand: Box::new(e),
    })
}

fn any_of(items: Vec<Expr>) -> Option<Expr> {
    items.into_iter().reduce(|a, b| binary(BinaryOp::Or, a, b))
}

/// `tool_name` matches one of the globs.
fn tool_matches(globs: &[String]) -> Option<Expr> {
    any_of(
        globs
            .iter()
            .map(|g| {
                method(
                    ident("tool_name"),
                    "matches",
                    vec![string(&Glob::new(g).to_regex())],
                )
            })
            .collect(),
    )
}

/// Guardrail functions get the target's spelling; what the target lacks
/// is collected. The depth is bounded by the parser.
fn respell(e: &mut Expr, style: &Style, bad: &mut Vec<Unwritable>) {
    // The content variable in the runtime's spelling (Kore's `content`).
    if let ExprKind::Ident { name, leading_dot } = &mut e.kind {
        if name == "text" && !*leading_dot {
            *name = style.text_var.to_string();
        }
    }
    if let ExprKind::Call {
        target,
        function,
        args,
    } = &mut e.kind
    {
        let guardrail = target.is_none() && GUARDRAIL_FUNCTIONS.iter().any(|f| f.0 == function);
        if guardrail {
            if function == "score" && !style.score {
                bad.push((
                    "score()",
                    format!(
                        "`score()` reads a recorded trace score; {} has no such function: use `provider`, `category` and `threshold`",
                        style.runtime
                    ),
                ));
            }
            if function == "contains_pii" && args.len() > 1 && !style.pii_entities {
                bad.push((
                    "contains_pii(text, entities)",
                    format!(
                        "{}'s `contains_pii` takes the text only: use the rule's `entities`",
                        style.runtime
                    ),
                ));
            }
            if style.abl_prefix {
                *target = Some(Box::new(ident("abl")));
            }
        }
    }
    for c in e.children_mut() {
        respell(c, style, bad);
    }
}

/// A CEL text of the model, parsed and respelt.
fn parsed(text: &str, style: &Style, bad: &mut Vec<Unwritable>) -> Option<Expr> {
    let mut e = crate::cel::parse(text).ok()?;
    respell(&mut e, style, bad);
    Some(e)
}

/// The entities as calls the target has.
fn entity_check(r: &ERule, style: &Style) -> Option<Expr> {
    if r.entities.is_empty() {
        return None;
    }
    let text = ident(style.text_var);
    let prefixed = |name: &str, args: Vec<Expr>| {
        let mut e = call(name, args);
        if style.abl_prefix {
            if let ExprKind::Call { target, .. } = &mut e.kind {
                *target = Some(Box::new(ident("abl")));
            }
        }
        e
    };
    if style.pii_entities {
        let list = node(ExprKind::List(
            r.entities.iter().map(|x| string(x.as_str())).collect(),
        ));
        return Some(prefixed("contains_pii", vec![text, list]));
    }
    // `detect_pii(text)` lists `{entity, start, end, score}`: any finding
    // of one of the entities fires the rule, as `entities` does.
    let names = node(ExprKind::List(
        r.entities.iter().map(|x| string(x.as_str())).collect(),
    ));
    let found = method(
        prefixed("detect_pii", vec![text]),
        "exists",
        vec![
            ident("f"),
            binary(
                BinaryOp::In,
                node(ExprKind::Select {
                    operand: Box::new(ident("f")),
                    field: "entity".into(),
                    optional: false,
                }),
                names,
            ),
        ],
    );
    Some(found)
}

/// The rule's local checks as one violation predicate with `when` in
/// front (`None`: it has no local check, only a provider or an LLM judge).
pub fn violation(
    r: &ERule,
    style: &Style,
    with_entities: bool,
) -> Result<Option<String>, Vec<Unwritable>> {
    let mut bad = Vec::new();
    let mut parts = Vec::new();
    if let Some(c) = r.check.as_deref().and_then(|c| parsed(c, style, &mut bad)) {
        parts.push(match r.polarity {
            Polarity::Violation => c,
            Polarity::Pass => not(c),
        });
    }
    if let Some(m) = r
        .matcher
        .as_deref()
        .and_then(|m| parsed(m, style, &mut bad))
    {
        parts.push(m);
    }
    for p in &r.patterns {
        let mut e = call("matches_pattern", vec![ident(style.text_var), string(p)]);
        respell(&mut e, style, &mut bad);
        parts.push(e);
    }
    if with_entities {
        parts.extend(entity_check(r, style));
    }
    let has_tool = || binary(BinaryOp::Ne, ident("tool_name"), node(ExprKind::Null));
    if let Some(allow) = &r.tools {
        // A tool call whose name no allowed glob matches.
        let allowed = tool_matches(allow).map_or(node(ExprKind::Bool(false)), |m| m);
        parts.push(binary(BinaryOp::And, has_tool(), not(allowed)));
    }
    if let Some(deny) = r.deny_tools.as_ref().and_then(|d| tool_matches(d)) {
        parts.push(binary(BinaryOp::And, has_tool(), deny));
    }
    if let Some(max) = r.max_tokens {
        let field = match r.kind {
            Kind::Output | Kind::ToolOutput => "output",
            _ => "input",
        };
        let count = node(ExprKind::Select {
            operand: Box::new(ident("tokens")),
            field: field.to_string(),
            optional: false,
        });
        parts.push(binary(BinaryOp::Gt, count, node(ExprKind::Int(max))));
    }
    if r.has_domains {
        bad.push((
            "domains",
            format!(
                "a domain restriction needs each URL's host, and {} has no CEL function that gives it",
                style.runtime
            ),
        ));
    }
    if !bad.is_empty() {
        return Err(bad);
    }
    let Some(mut v) = any_of(parts) else {
        return Ok(None);
    };
    if let Some(w) = r.when.as_deref().and_then(|w| parsed(w, style, &mut bad)) {
        v = binary(BinaryOp::And, w, v);
    }
    if !bad.is_empty() {
        return Err(bad);
    }
    Ok(Some(print(&v)))
}
