//! Condition trees (the structured `when`, one-to-one with a rule builder
//! UI) and their CEL preview. Empty groups, incomplete leaves, unknown
//! operators and `in` without a list never fire at runtime, so each is an
//! error here.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::enums::Operator;
use super::reader::Cx;
use crate::cel::check::{IDENTITY_FIELDS, TOKEN_FIELDS, is_ident};
use crate::lint::registry::Code;
use crate::source::{Span, Spanned};
use crate::suggest::{did_you_mean, help_for, key_help};
use crate::syntax::{Node, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    Leaf {
        field: Spanned<String>,
        operator: Spanned<Operator>,
        value: Option<Spanned<serde_json::Value>>,
    },
}

impl Serialize for Cond {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cond::All(items) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("all", items)?;
                m.end()
            }
            Cond::Any(items) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("any", items)?;
                m.end()
            }
            Cond::Not(inner) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("not", inner)?;
                m.end()
            }
            Cond::Leaf {
                field,
                operator,
                value,
            } => {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("field", &field.value)?;
                m.serialize_entry("operator", &operator.value)?;
                if let Some(v) = value {
                    m.serialize_entry("value", &v.value)?;
                }
                m.end()
            }
        }
    }
}

const ROOTS: &[&str] = &[
    "model",
    "identity",
    "project",
    "agent",
    "headers",
    "metadata",
    "tokens",
    "cost_usd",
    "kind",
    "tool_name",
    "site",
    "offer",
    "customer",
    "channel",
];

/// Reads a condition tree node.
pub fn read_cond(cx: &mut Cx<'_>, node: &Node) -> Option<Cond> {
    let entries = match &node.value {
        Value::Map(e) => e,
        Value::Null => {
            cx.report(Code::EmptyCondition, node.span, "empty condition", Some("an empty condition never matches at runtime; give it `all`, `any`, `not` or a `{field, operator, value}` leaf, or remove `when`".into()));
            return None;
        }
        Value::Invalid => return None,
        _ => {
            cx.report(
                Code::WrongType,
                node.span,
                format!("a condition must be a mapping, not {}", node.type_name()),
                None,
            );
            return None;
        }
    };
    if entries.is_empty() {
        cx.report(
            Code::EmptyCondition,
            node.span,
            "empty condition",
            Some("an empty condition never matches at runtime".into()),
        );
        return None;
    }
    let keys: Vec<String> = entries.iter().map(|(k, _)| k.key_text()).collect();
    let group = keys
        .iter()
        .filter(|k| matches!(k.as_str(), "all" | "any" | "not"))
        .count();
    if group > 0 {
        if entries.len() > 1 {
            cx.report(
                Code::WrongType,
                node.span,
                "a condition node has exactly one of `all`, `any`, `not`, or is a leaf",
                Some("wrap the parts in `all:` or `any:`".into()),
            );
            return None;
        }
        let (k, v) = entries.first()?;
        let key = k.key_text();
        if key == "not" {
            return read_cond(cx, v).map(|c| Cond::Not(Box::new(c)));
        }
        let items = match &v.value {
            Value::Seq(items) => items,
            Value::Null => &Vec::new(),
            Value::Invalid => return None,
            _ => {
                cx.report(
                    Code::WrongType,
                    v.span,
                    format!("`{key}` takes a list of conditions, not {}", v.type_name()),
                    None,
                );
                return None;
            }
        };
        if items.is_empty() {
            cx.report(
                Code::EmptyCondition,
                k.span.join(v.span),
                format!("empty `{key}` group"),
                Some("an empty group never matches at runtime; add conditions or remove it".into()),
            );
            return None;
        }
        let conds: Vec<Cond> = items.iter().filter_map(|i| read_cond(cx, i)).collect();
        if conds.len() != items.len() {
            return None;
        }
        return Some(if key == "all" {
            Cond::All(conds)
        } else {
            Cond::Any(conds)
        });
    }
    read_leaf(cx, node, entries)
}

fn read_leaf(cx: &mut Cx<'_>, node: &Node, entries: &[(Node, Node)]) -> Option<Cond> {
    let mut field = None;
    let mut operator_node = None;
    let mut value = None;
    let mut ok = true;
    for (k, v) in entries {
        match k.key_text().as_str() {
            "field" => field = Some(v),
            "operator" | "op" => operator_node = Some(v),
            "value" => value = Some(v),
            other => {
                ok = false;
                cx.report(
                    Code::UnknownKey,
                    k.span,
                    format!("unknown key `{other}` in condition"),
                    Some(key_help(
                        other,
                        &["field", "operator", "value", "all", "any", "not"],
                    )),
                );
            }
        }
    }
    let (Some(field_node), Some(op_node)) = (field, operator_node) else {
        let missing = if field.is_none() { "field" } else { "operator" };
        cx.report(Code::IncompleteConditionLeaf, node.span, format!("condition leaf without `{missing}`"), Some("a leaf is `{field: ..., operator: ..., value: ...}`; without it the condition never matches at runtime".into()));
        return None;
    };
    let field = cx.string(field_node, "a condition field")?;
    check_field(cx, &field);
    let op_text = match &op_node.value {
        Value::Str(s) => s.clone(),
        _ => {
            cx.report(
                Code::WrongType,
                op_node.span,
                format!("operator must be a string, not {}", op_node.type_name()),
                None,
            );
            return None;
        }
    };
    let Some(op) = Operator::from_name(&op_text) else {
        cx.report(
            Code::UnknownOperator,
            op_node.span,
            format!("unknown operator `{op_text}`"),
            Some(format!(
                "{}; an unknown operator never matches at runtime",
                help_for(&op_text, Operator::NAMES)
            )),
        );
        return None;
    };
    let operator = Spanned::new(op, op_node.span);
    let value = match value {
        None if op != Operator::Exists => {
            cx.report(
                Code::IncompleteConditionLeaf,
                node.span,
                format!("condition leaf with operator `{op_text}` but no `value`"),
                None,
            );
            return None;
        }
        None => None,
        Some(v) => {
            if matches!(op, Operator::In | Operator::NotIn) && !matches!(v.value, Value::Seq(_)) {
                cx.report(
                    Code::InOperatorNeedsList,
                    v.span,
                    format!("`{op_text}` needs a list value, not {}", v.type_name()),
                    Some(format!("write `value: [{}]`", v.to_json())),
                );
                return None;
            }
            if op == Operator::Matches {
                if let Value::Str(re) = &v.value {
                    super::patterns::check_regex(cx, v, re);
                }
            }
            Some(Spanned::new(v.to_json(), v.span))
        }
    };
    if !ok {
        return None;
    }
    let leaf = Cond::Leaf {
        field,
        operator,
        value,
    };
    // The leaf's CEL is type-checked like any other (a text field compared
    // with `gt`, `starts_with` on a number): an ill-typed leaf errors at
    // runtime, so the rule would never fire.
    if let Ok(ast) = crate::cel::parse(&leaf.to_cel()) {
        let problems = crate::cel::check::check(&ast);
        if let Some(p) = problems.into_iter().find(|p| p.code == Code::CelTypeError) {
            cx.report(
                Code::CelTypeError,
                leaf.span(),
                format!("`{op_text}` does not apply to this field: {}", p.message),
                Some(format!(
                    "`{}` holds {}; the leaf would evaluate to an error at runtime and never match",
                    field_name(&leaf),
                    field_type_words(&leaf)
                )),
            );
            return None;
        }
    }
    quoted_number(cx, &leaf);
    Some(leaf)
}

/// GC407: an ordering of a field of any type (`offer.margin`) against a
/// quoted number: strings order by their text ("9" > "10") and never
/// against a number, so the leaf is either wrong or errors at runtime.
fn quoted_number(cx: &mut Cx<'_>, leaf: &Cond) {
    let Cond::Leaf {
        operator,
        value: Some(value),
        ..
    } = leaf
    else {
        return;
    };
    let ordering = matches!(
        operator.value,
        Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte
    );
    let serde_json::Value::String(text) = &value.value else {
        return;
    };
    // `NaN` and `inf` parse as numbers but YAML reads them as text again.
    let number = text.trim().parse::<f64>().is_ok_and(f64::is_finite);
    if !ordering || field_type_words(leaf) != "any value" || !number {
        return;
    }
    cx.report(
        Code::NeverTakesEffect,
        value.span,
        format!(
            "`{}` compares `{}` with the string \"{text}\", not a number",
            operator.value,
            field_name(leaf)
        ),
        Some(format!(
            "a number in the event never compares with a string, and strings order by their text (\"9\" > \"10\"); write `value: {}`",
            text.trim()
        )),
    );
}

fn field_name(leaf: &Cond) -> String {
    match leaf {
        Cond::Leaf { field, .. } => field.value.clone(),
        _ => String::new(),
    }
}

/// The declared type of a leaf's field, in words.
fn field_type_words(leaf: &Cond) -> &'static str {
    let name = field_name(leaf);
    match name.as_str() {
        "cost_usd" => "a number",
        "identity.roles" => "a list of strings",
        n if n.starts_with("tokens.") => "a whole number",
        n if ["metadata.", "offer.", "customer.", "channel."]
            .iter()
            .any(|p| n.starts_with(p)) =>
        {
            "any value"
        }
        _ => "a string",
    }
}

fn check_field(cx: &mut Cx<'_>, field: &Spanned<String>) {
    let mut parts = field.value.split('.');
    let root = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    let bad = |cx: &mut Cx<'_>, msg: String, help: String| {
        cx.report(Code::UnknownConditionField, field.span, msg, Some(help))
    };
    if !ROOTS.contains(&root) {
        let hint = did_you_mean(root, ROOTS.iter().copied())
            .map_or(String::new(), |s| format!("did you mean `{s}`? "));
        bad(
            cx,
            format!("unknown condition field `{}`", field.value),
            format!("{hint}fields start with one of {}", ROOTS.join(", ")),
        );
        return;
    }
    let sub = match root {
        "identity" => Some(IDENTITY_FIELDS),
        "tokens" => Some(TOKEN_FIELDS),
        _ => None,
    };
    let needs_sub = matches!(
        root,
        "identity" | "tokens" | "headers" | "metadata" | "offer" | "customer" | "channel"
    );
    if needs_sub && (rest.is_empty() || rest.iter().any(|s| s.is_empty())) {
        bad(
            cx,
            format!("condition field `{}` needs a sub-field", field.value),
            format!("write `{root}.NAME`"),
        );
        return;
    }
    // Events carry header names in lower case (as HTTP/2 writes them), so
    // a leaf on `headers.X-Env` would never match.
    if root == "headers" {
        let name = rest.join(".");
        let lower = crate::engine::event::header_name(&name);
        if lower != name {
            bad(
                cx,
                format!("header name `{name}` is not lower-case: the leaf never matches"),
                format!("header names are lower-case: write `headers.{lower}`"),
            );
            return;
        }
    }
    if !needs_sub && !rest.is_empty() {
        bad(
            cx,
            format!("`{root}` has no sub-fields"),
            format!("use `{root}` alone"),
        );
        return;
    }
    if let (Some(sub), Some(first)) = (sub, rest.first()) {
        if !sub.contains(first) || rest.len() > 1 {
            let hint = did_you_mean(first, sub.iter().copied())
                .map_or(String::new(), |s| format!("did you mean `{root}.{s}`? "));
            bad(
                cx,
                format!("unknown condition field `{}`", field.value),
                format!("{hint}`{root}` has {}", sub.join(", ")),
            );
        }
    }
}

/// A CEL string literal.
pub fn cel_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A JSON value as a CEL literal.
pub fn cel_literal(v: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match v {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => {
            if n.is_f64() {
                let f = n.as_f64().unwrap_or(0.0);
                let s = format!("{f:?}");
                if s.contains(['.', 'e', 'E']) || !f.is_finite() {
                    s
                } else {
                    format!("{s}.0")
                }
            } else {
                n.to_string()
            }
        }
        J::String(s) => cel_string(s),
        J::Array(items) => format!(
            "[{}]",
            items.iter().map(cel_literal).collect::<Vec<_>>().join(", ")
        ),
        J::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", cel_string(k), cel_literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `headers.x-env` → `headers["x-env"]`; identifiers stay selections.
fn cel_path(field: &str) -> (String, Option<(String, String)>) {
    let mut parts = field.split('.');
    let mut acc = parts.next().unwrap_or("").to_string();
    let mut last = None;
    for p in parts {
        let parent = acc.clone();
        if is_ident(p) {
            acc = format!("{acc}.{p}");
        } else {
            acc = format!("{acc}[{}]", cel_string(p));
        }
        last = Some((parent, p.to_string()));
    }
    (acc, last)
}

/// What a field of the event is, for its CEL: a list (membership for
/// `contains`), a key of a map (`headers`, `metadata`: absent unless
/// present), or a value that reads as `null` when the event lacks it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum FieldShape {
    List,
    MapKey,
    Nullable,
}

fn shape(field: &str) -> FieldShape {
    match field.split_once('.') {
        Some(("identity", "roles")) => FieldShape::List,
        Some(("headers" | "metadata" | "offer" | "customer" | "channel", _)) => FieldShape::MapKey,
        _ => FieldShape::Nullable,
    }
}

/// `text` as an operand of `!` or of `&&`/`||` beside others: in
/// parentheses unless it is one call, selection or comparison-free term.
fn atom(text: &str) -> String {
    let compound = text.contains(" && ")
        || text.contains(" || ")
        || [" == ", " != ", " < ", " <= ", " > ", " >= ", " in "]
            .iter()
            .any(|op| text.contains(op));
    if compound {
        format!("({text})")
    } else {
        text.to_string()
    }
}

/// `has(a.b) && has(a.b.c)` (or `"k" in a.b` for a key that is no
/// identifier): one test per level below the root map.
fn map_key_guards(field: &str) -> String {
    let parts: Vec<&str> = field.split('.').collect();
    let mut guards = Vec::new();
    for depth in 2..=parts.len() {
        let prefix = parts.get(..depth).map(|p| p.join(".")).unwrap_or_default();
        let (_, last) = cel_path(&prefix);
        if let Some((parent, key)) = last {
            guards.push(if is_ident(&key) {
                format!("has({parent}.{key})")
            } else {
                format!("{} in {parent}", cel_string(&key))
            });
        }
    }
    guards.join(" && ")
}

/// A leaf's test and the guard that says the event carries the field
/// (`None` where it always does: `tokens.*`, `kind`'s absence reads as
/// null and compares as such).
fn leaf_cel(
    field: &str,
    op: Operator,
    value: Option<&Spanned<serde_json::Value>>,
) -> (String, Option<String>) {
    let (path, last) = cel_path(field);
    let v = value.map_or("null".to_string(), |v| cel_literal(&v.value));
    let shape = shape(field);
    let test = match op {
        Operator::Eq => format!("{path} == {v}"),
        Operator::Neq => format!("{path} != {v}"),
        Operator::Gt => format!("{path} > {v}"),
        Operator::Gte => format!("{path} >= {v}"),
        Operator::Lt => format!("{path} < {v}"),
        Operator::Lte => format!("{path} <= {v}"),
        Operator::In => format!("{path} in {v}"),
        Operator::NotIn => format!("!({path} in {v})"),
        // On a list, `contains` is membership (`"x" in identity.roles`);
        // a map key's value may be either, so it is asked which.
        Operator::Contains if shape == FieldShape::List => format!("{v} in {path}"),
        Operator::Contains if shape == FieldShape::MapKey && !field.starts_with("headers.") => {
            format!("(type({path}) == list ? {v} in {path} : {path}.contains({v}))")
        }
        Operator::Contains => format!("{path}.contains({v})"),
        Operator::StartsWith => format!("{path}.startsWith({v})"),
        Operator::EndsWith => format!("{path}.endsWith({v})"),
        Operator::Matches => format!("{path}.matches({v})"),
        Operator::Exists => String::new(),
    };
    let guard = match (shape, &last) {
        // Always there: counts and cost read 0 when the event gives none.
        _ if field.starts_with("tokens.") || field == "cost_usd" => None,
        // Each level of a nested key is asked for, outermost first:
        // `customer.address.country` on an event without an address is
        // absent, not an error.
        (FieldShape::MapKey, Some(_)) => Some(map_key_guards(field)),
        // A list is always there (empty when the event gives none).
        (FieldShape::List, _) => None,
        _ => Some(format!("{path} != null")),
    };
    match (op, guard) {
        (Operator::Exists, None) if shape == FieldShape::List => {
            (format!("size({path}) > 0"), None)
        }
        (Operator::Exists, None) => ("true".into(), None),
        (_, g) => (test, g),
    }
}

impl Cond {
    /// The equivalent CEL expression (the "CEL preview"). A leaf on a
    /// field the event does not carry is false, but `true` for `neq` and
    /// `not_in` (spec §4): each leaf is guarded with `has()` (map keys) or
    /// `!= null` (values), so the preview never errors on a missing field
    /// and evaluating it gives the tree's answer.
    pub fn to_cel(&self) -> String {
        match self {
            Cond::All(items) | Cond::Any(items) => {
                let op = if matches!(self, Cond::All(_)) {
                    " && "
                } else {
                    " || "
                };
                let parts: Vec<String> = items.iter().map(|c| c.to_cel_child()).collect();
                parts.join(op)
            }
            Cond::Not(inner) => format!("!{}", inner.to_cel_atom()),
            Cond::Leaf {
                field,
                operator,
                value,
            } => {
                let (test, guard) = leaf_cel(&field.value, operator.value, value.as_ref());
                match (guard, operator.value) {
                    (None, _) => test,
                    (Some(g), Operator::Exists) => g,
                    (Some(g), Operator::Neq | Operator::NotIn) => {
                        format!("!{} || {test}", atom(&g))
                    }
                    (Some(g), _) => format!("{g} && {test}"),
                }
            }
        }
    }

    /// As an operand of `&&`/`||`: groups and guarded leaves are
    /// parenthesised.
    fn to_cel_child(&self) -> String {
        match self {
            Cond::All(items) | Cond::Any(items) if items.len() > 1 => {
                format!("({})", self.to_cel())
            }
            Cond::All(items) | Cond::Any(items) => {
                items.first().map_or_else(String::new, Cond::to_cel_child)
            }
            Cond::Leaf { .. } => {
                let t = self.to_cel();
                if t.contains(" && ") || t.contains(" || ") {
                    format!("({t})")
                } else {
                    t
                }
            }
            Cond::Not(_) => self.to_cel(),
        }
    }

    /// As the operand of `!`.
    fn to_cel_atom(&self) -> String {
        match self {
            Cond::Not(_) => self.to_cel(),
            Cond::Leaf { .. } => atom(&self.to_cel()),
            _ => format!("({})", self.to_cel()),
        }
    }

    /// Span of the first leaf (for locating the tree).
    pub fn span(&self) -> Span {
        match self {
            Cond::All(items) | Cond::Any(items) => items
                .iter()
                .map(Cond::span)
                .reduce(Span::join)
                .unwrap_or_default(),
            Cond::Not(inner) => inner.span(),
            Cond::Leaf {
                field,
                operator,
                value,
            } => {
                let s = field.span.join(operator.span);
                value.as_ref().map_or(s, |v| s.join(v.span))
            }
        }
    }
}
