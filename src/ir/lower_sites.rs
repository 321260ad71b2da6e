//! The policy lists that are not rules: Kairro's `approved_sites` and
//! `unapproved_tools` (Shadow AI, spec §3) and Kore's `constitution`.

use super::enums::Action;
use super::model::{ApprovedSite, Principle, UnapprovedTool};
use super::reader::Cx;
use crate::lint::registry::Code;
use crate::syntax::Node;

const SITE_KEYS: &[&str] = &["pattern", "apply_policies"];
const TOOL_KEYS: &[&str] = &["pattern", "action", "severity"];
const PRINCIPLE_KEYS: &[&str] = &["principle", "weight"];

/// `approved_sites: [{pattern, apply_policies}]`.
pub fn approved_sites(cx: &mut Cx<'_>, n: &Node) -> Option<Vec<ApprovedSite>> {
    cx.list(n, "approved_sites", |cx, item| {
        let mut o = cx.obj(item, "an approved site")?;
        let pattern = pattern(cx, o.get("pattern"), item, "approved site")?;
        let apply_policies = o
            .get("apply_policies")
            .and_then(|v| cx.boolean(v, "apply_policies"));
        o.finish(cx, SITE_KEYS, "an approved site");
        Some(ApprovedSite {
            pattern,
            apply_policies,
        })
    })
}

/// `unapproved_tools: [{pattern, action, severity}]`.
pub fn unapproved_tools(cx: &mut Cx<'_>, n: &Node) -> Option<Vec<UnapprovedTool>> {
    cx.list(n, "unapproved_tools", |cx, item| {
        let mut o = cx.obj(item, "an unapproved tool")?;
        let pattern = pattern(cx, o.get("pattern"), item, "unapproved tool")?;
        let action = o
            .get("action")
            .and_then(|v| cx.named::<Action>(v, "action"))
            .filter(|a| {
                // The event is stopped before any content is read: there is
                // nothing to rewrite.
                let rewrites = matches!(
                    a.value,
                    Action::Redact | Action::Mask | Action::Filter | Action::Fix | Action::Reask
                );
                if rewrites {
                    cx.report(
                        Code::UnknownEnumValue,
                        a.span,
                        format!("`{}` rewrites content, and an unapproved tool's event is stopped before any content is read", a.value),
                        Some("an unapproved tool's action is one of block, require_approval, escalate, warn, alert, log, allow".into()),
                    );
                }
                !rewrites
            });
        let severity = o.get("severity").and_then(|v| cx.named(v, "severity"));
        o.finish(cx, TOOL_KEYS, "an unapproved tool");
        Some(UnapprovedTool {
            pattern,
            action,
            severity,
        })
    })
}

/// `constitution: [{principle, weight}]`.
pub fn constitution(cx: &mut Cx<'_>, n: &Node) -> Option<Vec<Principle>> {
    cx.list(n, "constitution", |cx, item| {
        let mut o = cx.obj(item, "a constitution principle")?;
        let principle = match o.get("principle") {
            Some(v) => cx.string(v, "principle").filter(|p| {
                let empty = p.value.trim().is_empty();
                if empty {
                    cx.report(
                        Code::MissingField,
                        p.span,
                        "a constitution principle is empty",
                        Some(
                            "write the principle the model is held to, or remove the entry".into(),
                        ),
                    );
                }
                !empty
            }),
            None => {
                cx.report(
                    Code::MissingField,
                    item.span,
                    "a constitution entry needs a `principle`",
                    Some("write `{principle: \"...\", weight: 1}`".into()),
                );
                None
            }
        };
        let weight = o
            .get("weight")
            .and_then(|v| cx.ranged(v, "weight", 0.0, f64::MAX));
        o.finish(cx, PRINCIPLE_KEYS, "a constitution principle");
        Some(Principle {
            principle: principle?,
            weight,
        })
    })
}

/// A site or tool glob, required and checked like every glob.
fn pattern(
    cx: &mut Cx<'_>,
    v: Option<&Node>,
    item: &Node,
    what: &str,
) -> Option<crate::source::Spanned<String>> {
    let Some(v) = v else {
        cx.report(
            Code::MissingField,
            item.span,
            format!("an {what} needs a `pattern`"),
            Some("write `{pattern: \"*.example.com\"}`".into()),
        );
        return None;
    };
    let p = cx.string(v, "pattern")?;
    if p.value.trim().is_empty() {
        cx.report(
            Code::InvalidGlob,
            p.span,
            format!("an {what}'s pattern is empty: it names no site"),
            Some("write the site's host or a glob such as `*.example.com`".into()),
        );
        return None;
    }
    super::lower_governance::check_glob(cx, &p, "pattern");
    Some(p)
}
