//! IR → classified changes: what a policy change really does.
//!
//! Both sides are compiled to the runtime bundle first, so a diff compares
//! effective values: reformatting, comments, key order and spelling a
//! default out are no change at all. Objects are matched by type and id; an
//! object that disappears while another of the same type appears with the
//! same body is a rename. Matched objects are compared field by field
//! ([`compare`]) and each change is classified ([`classify`]): tighter,
//! looser, neutral, reorder, or changed when the direction cannot be
//! decided. Locations come from the IR ([`locate`]).

mod align;
pub mod classify;
mod compare;
pub mod implication;
pub mod locate;
mod renames;
pub mod words;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::ir::Program;
pub use words::{Word, WordOp};

/// The kinds of object a policy repository defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectType {
    Policy,
    Agent,
    Rule,
    Provider,
    Budget,
    Cap,
    Chain,
    Exception,
}

impl ObjectType {
    /// Each type with its list in the bundle.
    pub const ALL: [(ObjectType, &'static str); 8] = [
        (ObjectType::Policy, "policies"),
        (ObjectType::Agent, "agents"),
        (ObjectType::Rule, "rules"),
        (ObjectType::Provider, "providers"),
        (ObjectType::Budget, "budgets"),
        (ObjectType::Cap, "caps"),
        (ObjectType::Chain, "approval_chains"),
        (ObjectType::Exception, "exceptions"),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ObjectType::Policy => "policy",
            ObjectType::Agent => "agent",
            ObjectType::Rule => "rule",
            ObjectType::Provider => "provider",
            ObjectType::Budget => "budget",
            ObjectType::Cap => "cap",
            ObjectType::Chain => "chain",
            ObjectType::Exception => "exception",
        }
    }
}

/// What a change does to enforcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Lets more through: fewer or milder decisions, higher limits.
    Looser,
    /// Stops more: more or harsher decisions, lower limits.
    Tighter,
    /// A priority change that can alter which rule decides.
    Reorder,
    /// Changes behaviour in a direction that cannot be decided.
    Changed,
    /// No effect on decisions (messages, descriptions, renames).
    Neutral,
}

impl Class {
    pub const ALL: [Class; 5] = [
        Class::Looser,
        Class::Tighter,
        Class::Reorder,
        Class::Changed,
        Class::Neutral,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Looser => "looser",
            Class::Tighter => "tighter",
            Class::Reorder => "reorder",
            Class::Changed => "changed",
            Class::Neutral => "neutral",
        }
    }

    pub fn from_name(s: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// How an object changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum What {
    Added,
    Removed,
    Renamed,
    Modified,
}

/// A place in a source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One semantic change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub object_type: ObjectType,
    /// The object's id on the new side (the old side for removals).
    pub object: String,
    pub what: What,
    /// For renames: the old id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// Dotted path of the field (`budget.monthly_limit_usd`, `steps[1]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub old: Value,
    pub new: Value,
    pub class: Class,
    /// Why the class was chosen, in words.
    pub reason: String,
    pub old_location: Option<Location>,
    pub new_location: Option<Location>,
    /// Word-level diff for `check`, `message`, `when` and similar text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub words: Option<Vec<Word>>,
}

/// One side of a diff: every object of a program, compiled.
#[derive(Debug, Clone, Default)]
pub struct Side {
    /// (type, id) → the object's bundle JSON without its location.
    pub objects: BTreeMap<(ObjectType, String), Value>,
    /// (type, id) → where the object is defined.
    pub defined: BTreeMap<(ObjectType, String), Location>,
    pub fields: locate::Locations,
}

impl Side {
    pub fn of(program: &Program) -> Side {
        let bundle = crate::compile::bundle(program);
        let mut side = Side {
            fields: locate::locations(program),
            ..Side::default()
        };
        for (ty, list) in ObjectType::ALL {
            let items = bundle.get(list).and_then(Value::as_array);
            for item in items.into_iter().flatten() {
                let Value::Object(map) = item else { continue };
                let mut map = map.clone();
                let source = map.remove("source");
                let id = map
                    .get(if ty == ObjectType::Rule || map.contains_key("id") {
                        "id"
                    } else {
                        "name"
                    })
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                // A duplicate id (a lint error) keeps both, numbered, rather
                // than dropping one.
                let mut key = (ty, id.clone());
                let mut n = 1;
                while side.objects.contains_key(&key) {
                    n += 1;
                    key = (ty, format!("{id}#{n}"));
                }
                if let Some(loc) = source.as_ref().and_then(location_of) {
                    side.defined.insert(key.clone(), loc);
                }
                side.objects.insert(key, Value::Object(map));
            }
        }
        side
    }

    /// Where a field of an object is written (`steps[2].approvers`),
    /// else the nearest enclosing field that has a location (`steps[2]`,
    /// then `steps`), else where the object is defined.
    pub fn locate(&self, key: &(ObjectType, String), field: Option<&str>) -> Option<Location> {
        let fields = self.fields.get(key);
        let mut path = field.unwrap_or("");
        while !path.is_empty() {
            if let Some(l) = fields.and_then(|m| m.get(path)) {
                return Some(l.clone());
            }
            path = path
                .get(..path.rfind(['.', '[']).unwrap_or(0))
                .unwrap_or("");
        }
        self.defined.get(key).cloned()
    }
}

fn location_of(v: &Value) -> Option<Location> {
    Some(Location {
        file: v.get("file")?.as_str()?.to_string(),
        line: usize::try_from(v.get("line")?.as_u64()?).ok()?,
        column: usize::try_from(v.get("column")?.as_u64()?).ok()?,
    })
}

/// Every semantic change from `old` to `new`, grouped by object in a
/// stable order (type, then id, then field).
pub fn diff(old: &Side, new: &Side) -> Vec<Change> {
    let mut changes = compare::changes(old, new);
    // A renamed rule's field changes carry its new id; its old side is
    // found under the id it was renamed from.
    let renamed: BTreeMap<String, String> = changes
        .iter()
        .filter(|c| c.what == What::Renamed)
        .filter_map(|c| Some((c.object.clone(), c.renamed_from.clone()?)))
        .collect();
    for c in &mut changes {
        let old_id = renamed.get(&c.object).unwrap_or(&c.object).clone();
        stopping_rule(old, new, &old_id, c);
    }
    changes
}

/// A rule whose trigger stops the rules after it (its policy's
/// `streaming.early_termination` or `combine: first_match`): when it
/// triggers more, it can stop a stronger rule that would have decided; when
/// it triggers less, it lets one run. Only a change of its action moves
/// decisions one way; any other tighter or looser change is `changed`.
/// `old_id` is the rule's id on the old side (another under a rename).
fn stopping_rule(old: &Side, new: &Side, old_id: &str, c: &mut Change) {
    const ACTION_ONLY: &[&str] = &["action", "severity_actions", "severity"];
    if c.object_type != ObjectType::Rule
        || !matches!(c.class, Class::Tighter | Class::Looser)
        || c.field
            .as_deref()
            .is_some_and(|f| ACTION_ONLY.contains(&f.split(['.', '[']).next().unwrap_or(f)))
    {
        return;
    }
    let stops = |side: &Side, id: &str| {
        let rule = side.objects.get(&(ObjectType::Rule, id.to_string()));
        let policy = rule.and_then(|r| {
            r.get("policy")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    // An agent rule runs under the policy of the rule it overrides.
                    r.get("overrides")
                        .and_then(Value::as_str)
                        .and_then(|o| o.split('/').next())
                        .map(str::to_string)
                })
        });
        let p = policy.and_then(|p| side.objects.get(&(ObjectType::Policy, p)));
        p.is_some_and(|p| {
            p.pointer("/streaming/early_termination") == Some(&Value::Bool(true))
                || p.get("combine").and_then(Value::as_str) == Some("first_match")
        })
    };
    if stops(old, old_id) || stops(new, &c.object) {
        c.class = Class::Changed;
        c.reason = format!(
            "{}; but its policy stops at the first rule to act (early termination or first_match), so a rule that triggers more or less can make decisions weaker or stronger",
            c.reason
        );
    }
}

/// Changes per class (every class present, zero or not).
pub fn counts(changes: &[Change]) -> BTreeMap<Class, usize> {
    let mut m: BTreeMap<Class, usize> = Class::ALL.iter().map(|c| (*c, 0)).collect();
    for c in changes {
        *m.entry(c.class).or_default() += 1;
    }
    m
}

/// "2 looser, 1 tighter" (classes with changes only; "no semantic
/// changes" when empty).
pub fn summary_line(changes: &[Change]) -> String {
    let parts: Vec<String> = counts(changes)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(c, n)| format!("{n} {}", c.as_str()))
        .collect();
    if parts.is_empty() {
        "no semantic changes".to_string()
    } else {
        parts.join(", ")
    }
}
