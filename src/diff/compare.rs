//! Matching objects across two sides and walking their fields: added,
//! removed and renamed objects, then per-field changes, set elements for
//! set-like lists, and positional steps (by sequence diff) for the rest.

use std::collections::BTreeSet;

use serde_json::Value;
use similar::DiffOp;

use super::align::alignment;
use super::renames::{Key, body, renames};
use super::{Change, Class, ObjectType, Side, What, classify, words};

/// Rule fields derived from others, shown through those
/// (`fail_mode` is the owning policy's, reported there once.)
const DERIVED: &[&str] = &["when_tree", "tier", "fail_mode"];
/// Rule lists whose elements are globs.
const GLOB_LISTS: &[&str] = &["tools", "deny_tools", "domains.allow", "domains.deny"];
/// Text fields that get a word-level diff.
const WORDY: &[&str] = &[
    "check",
    "when",
    "message",
    "llm_check",
    "fix_expression",
    "description",
    "reason",
];

struct Walk<'a> {
    old: &'a Side,
    new: &'a Side,
    old_key: &'a Key,
    new_key: &'a Key,
    out: Vec<Change>,
}

impl Walk<'_> {
    /// Records a change of the field at `path` (as the new side numbers
    /// list elements; `old_path` names the same field as the old side
    /// does, where its location is looked up).
    fn push(
        &mut self,
        (path, old_path): (&str, &str),
        old: Value,
        new: Value,
        verdict: classify::Verdict,
    ) {
        let words = match (&old, &new) {
            (Value::String(o), Value::String(n))
                if WORDY.contains(&path) || path.starts_with("when") =>
            {
                Some(words::words(o, n))
            }
            _ => None,
        };
        self.out.push(Change {
            object_type: self.new_key.0,
            object: self.new_key.1.clone(),
            what: What::Modified,
            renamed_from: None,
            field: Some(path.to_string()),
            old,
            new,
            class: verdict.0,
            reason: verdict.1,
            old_location: self.old.locate(self.old_key, Some(old_path)),
            new_location: self.new.locate(self.new_key, Some(path)),
            words,
        });
    }

    /// Compares one value at `at` (its path on each side, see
    /// [`Walk::push`]); `norm` is the path with indexes removed, the form
    /// the classification table is keyed by.
    fn value(&mut self, at: (&str, &str), norm: &str, old: &Value, new: &Value) {
        let path = at.0;
        if old == new {
            return;
        }
        let ty = self.new_key.0;
        if let Some(allow) = classify::set_field(ty, norm) {
            let empty = Vec::new();
            let o = old.as_array().unwrap_or(&empty);
            let n = new.as_array().unwrap_or(&empty);
            if (old.is_array() || old.is_null()) && (new.is_array() || new.is_null()) {
                if allow && o.is_empty() != n.is_empty() {
                    let verdict = classify::allow_list(o.is_empty(), path);
                    self.push(at, old.clone(), new.clone(), verdict);
                    return;
                }
                // In a list of globs, an element another glob of the same
                // list still covers (`refund` under `*`) changes nothing.
                let globs = ty == ObjectType::Rule && GLOB_LISTS.contains(&norm);
                let covered = |x: &Value, list: &[Value]| {
                    globs
                        && x.as_str().is_some_and(|x| {
                            list.iter()
                                .filter_map(Value::as_str)
                                .any(|g| crate::glob::glob_match(g, x))
                        })
                };
                for x in o.iter().filter(|x| !n.contains(x) && !covered(x, n)) {
                    let verdict = classify::element(ty, norm, false, x);
                    self.push(at, x.clone(), Value::Null, verdict);
                }
                for x in n.iter().filter(|x| !o.contains(x) && !covered(x, o)) {
                    let verdict = classify::element(ty, norm, true, x);
                    self.push(at, Value::Null, x.clone(), verdict);
                }
                return;
            }
        }
        match (old, new) {
            (Value::Object(o), Value::Object(n)) => {
                let keys: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
                for k in keys {
                    let a = o.get(k).unwrap_or(&Value::Null);
                    let b = n.get(k).unwrap_or(&Value::Null);
                    let under = |p: &str| {
                        if p.is_empty() {
                            k.clone()
                        } else {
                            format!("{p}.{k}")
                        }
                    };
                    let (sub, old_sub) = (under(at.0), under(at.1));
                    let sub_norm = if norm.is_empty() {
                        k.clone()
                    } else {
                        format!("{norm}.{k}")
                    };
                    if path.is_empty() && ty == ObjectType::Rule && DERIVED.contains(&k.as_str()) {
                        continue;
                    }
                    // A rule's one provider is its `provider`, `provider_id`,
                    // `category` and `threshold`: its `providers` entry says
                    // the same again. Several are compared one by one.
                    let at_most_one = |v: &Value| v.as_array().is_none_or(|l| l.len() <= 1);
                    if path.is_empty()
                        && ty == ObjectType::Rule
                        && k == "providers"
                        && at_most_one(a)
                        && at_most_one(b)
                    {
                        continue;
                    }
                    self.value((&sub, &old_sub), &sub_norm, a, b);
                }
            }
            (Value::Array(o), Value::Array(n)) => self.sequence(at, norm, o, n),
            _ => {
                // Under `check_polarity: violation` a `check` is a violation
                // predicate, and changes of it go the way `match`'s do.
                let violation = |side: &Side, key: &Key| {
                    side.objects
                        .get(key)
                        .and_then(|o| o.get("check_polarity"))
                        .and_then(Value::as_str)
                        == Some("violation")
                };
                let norm = match norm {
                    "check"
                        if ty == ObjectType::Rule
                            && violation(self.old, self.old_key)
                            && violation(self.new, self.new_key) =>
                    {
                        "match"
                    }
                    other => other,
                };
                let verdict = classify::field(ty, norm, old, new);
                self.push(at, old.clone(), new.clone(), verdict);
            }
        }
    }

    /// Elements `range` of `list` added (from the new list) or removed
    /// (from the old one), each its own change at its position in its
    /// list (from 0, as in the source and in rule ids such as
    /// `policy/unapproved_tools[0]`).
    fn steps(
        &mut self,
        at: (&str, &str),
        norm: &str,
        list: &[Value],
        range: std::ops::Range<usize>,
        added: bool,
    ) {
        let ty = self.new_key.0;
        let path = if added { at.0 } else { at.1 };
        for i in range {
            let x = list.get(i).cloned().unwrap_or(Value::Null);
            let p = format!("{path}[{i}]");
            let (o, n) = if added {
                (Value::Null, x)
            } else {
                (x, Value::Null)
            };
            let verdict = classify::step(ty, norm, added, if added { &n } else { &o });
            self.push((&p, &p), o, n, verdict);
        }
    }

    /// Ordered lists (approval steps): a sequence diff tells inserted and
    /// deleted elements from ones changed in place.
    fn sequence(&mut self, at: (&str, &str), norm: &str, old: &[Value], new: &[Value]) {
        let ops = alignment(old, new);
        let item_norm = format!("{norm}[]");
        for op in ops {
            match op {
                DiffOp::Equal { .. } => {}
                DiffOp::Delete {
                    old_index, old_len, ..
                } => self.steps(at, norm, old, old_index..old_index + old_len, false),
                DiffOp::Insert {
                    new_index, new_len, ..
                } => self.steps(at, norm, new, new_index..new_index + new_len, true),
                DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => {
                    let common = old_len.min(new_len);
                    for k in 0..common {
                        let a = old.get(old_index + k).unwrap_or(&Value::Null);
                        let b = new.get(new_index + k).unwrap_or(&Value::Null);
                        let p = format!("{}[{}]", at.0, new_index + k);
                        let q = format!("{}[{}]", at.1, old_index + k);
                        self.value((&p, &q), &item_norm, a, b);
                    }
                    self.steps(
                        at,
                        norm,
                        old,
                        old_index + common..old_index + old_len,
                        false,
                    );
                    self.steps(at, norm, new, new_index + common..new_index + new_len, true);
                }
            }
        }
    }
}

fn whole(side: &Side, key: &Key, what: What, class: classify::Verdict, body: &Value) -> Change {
    let loc = side.locate(key, None);
    let (old, new, old_location, new_location) = match what {
        What::Removed => (body.clone(), Value::Null, loc, None),
        _ => (Value::Null, body.clone(), None, loc),
    };
    Change {
        object_type: key.0,
        object: key.1.clone(),
        what,
        renamed_from: None,
        field: None,
        old,
        new,
        class: class.0,
        reason: class.1,
        old_location,
        new_location,
        words: None,
    }
}

pub fn changes(old: &Side, new: &Side) -> Vec<Change> {
    let mut out = Vec::new();
    let mut removed: Vec<&Key> = old
        .objects
        .keys()
        .filter(|k| !new.objects.contains_key(*k))
        .collect();
    let mut added: Vec<&Key> = new
        .objects
        .keys()
        .filter(|k| !old.objects.contains_key(*k))
        .collect();
    let renames = renames(old, new, &mut removed, &mut added);
    for (key, o) in &old.objects {
        let Some(n) = new.objects.get(key) else {
            continue;
        };
        let mut walk = Walk {
            old,
            new,
            old_key: key,
            new_key: key,
            out: Vec::new(),
        };
        walk.value(("", ""), "", &body(o), &body(n));
        out.extend(walk.out);
    }
    for (from, to) in renames {
        let (Some(o), Some(n)) = (old.objects.get(from), new.objects.get(to)) else {
            continue;
        };
        let mut walk = Walk {
            old,
            new,
            old_key: from,
            new_key: to,
            out: Vec::new(),
        };
        walk.value(("", ""), "", &body(o), &body(n));
        let same = walk.out.is_empty();
        out.push(Change {
            object_type: to.0,
            object: to.1.clone(),
            what: What::Renamed,
            renamed_from: Some(from.1.clone()),
            field: None,
            old: Value::String(from.1.clone()),
            new: Value::String(to.1.clone()),
            class: Class::Neutral,
            reason: if same {
                format!("{} renamed; its definition is unchanged", to.0.as_str())
            } else {
                format!("{} renamed and changed", to.0.as_str())
            },
            old_location: old.locate(from, None),
            new_location: new.locate(to, None),
            words: None,
        });
        out.extend(walk.out);
    }
    for key in removed {
        let b = old.objects.get(key).cloned().unwrap_or(Value::Null);
        let verdict = classify::object(key.0, false, &b);
        out.push(whole(old, key, What::Removed, verdict, &b));
    }
    for key in added {
        let b = new.objects.get(key).cloned().unwrap_or(Value::Null);
        let verdict = classify::object(key.0, true, &b);
        out.push(whole(new, key, What::Added, verdict, &b));
    }
    // Grouped by object; within an object, in field order as walked.
    out.sort_by(|a, b| (a.object_type, &a.object).cmp(&(b.object_type, &b.object)));
    out
}
