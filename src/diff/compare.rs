//! Matching objects across two sides and walking their fields: added,
//! removed and renamed objects, then per-field changes, set elements for
//! set-like lists, and positional steps (by sequence diff) for the rest.

use std::collections::{BTreeSet, HashMap, VecDeque};

use serde_json::Value;
use similar::{Algorithm, DiffOp, capture_diff_slices};

use super::{Change, Class, ObjectType, Side, What, classify, words};

type Key = (ObjectType, String);

/// Fields that identify an object rather than describe it: a rename
/// changes them and nothing else.
const IDENTITY: &[&str] = &["id", "name", "rule"];
/// Rule fields derived from others, shown through those
/// (`fail_mode` is the owning policy's, reported there once.)
const DERIVED: &[&str] = &["when_tree", "tier", "fail_mode"];
/// Share of equal top-level fields above which a removed and an added
/// object of the same type are one object renamed.
const RENAME_SIMILARITY: f64 = 0.8;

/// A body's top-level fields sorted by name, for [`similarity`].
type Fields<'v> = Vec<(&'v str, &'v Value)>;

fn fields(v: &Value) -> Fields<'_> {
    let mut f: Fields = match v {
        Value::Object(m) => m.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        _ => Vec::new(),
    };
    f.sort_unstable_by(|a, b| a.0.cmp(b.0));
    f
}

/// Share of top-level fields two bodies agree on (a field in one body
/// only counts as a disagreement), by one walk of both sorted lists.
fn similarity(a: &[(&str, &Value)], b: &[(&str, &Value)]) -> f64 {
    let (mut i, mut j, mut keys, mut equal) = (0, 0, 0usize, 0usize);
    loop {
        match (a.get(i), b.get(j)) {
            (Some((ka, va)), Some((kb, vb))) => {
                match ka.cmp(kb) {
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Greater => j += 1,
                    std::cmp::Ordering::Equal => {
                        equal += usize::from(va == vb);
                        (i, j) = (i + 1, j + 1);
                    }
                }
                keys += 1;
            }
            (Some(_), None) => (i, keys) = (i + 1, keys + 1),
            (None, Some(_)) => (j, keys) = (j + 1, keys + 1),
            (None, None) => break,
        }
    }
    if keys == 0 {
        return 0.0;
    }
    equal as f64 / keys as f64
}

/// Above this many removed-and-added pairs of one type, objects are
/// paired as renamed only when their bodies are equal: the near-match
/// search compares every pair, and a change that renames thousands of
/// objects at once would take minutes (2,000 by 2,000 takes about a
/// second).
const NEAR_RENAME_PAIRS: usize = 4_000_000;

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

/// An object without its identity. A rule's default message names the
/// rule (`Guardrail: NAME`); it is replaced by a placeholder so a rename
/// is still recognised as one.
fn body(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let default_message = m
                .get("rule")
                .and_then(Value::as_str)
                .map(|r| format!("Guardrail: {r}"));
            Value::Object(
                m.iter()
                    .filter(|(k, _)| !IDENTITY.contains(&k.as_str()))
                    .map(|(k, v)| {
                        let v = match (k.as_str(), v.as_str(), &default_message) {
                            ("message", Some(text), Some(d)) if text == d => {
                                Value::String("Guardrail: <name>".into())
                            }
                            _ => v.clone(),
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            )
        }
        other => other.clone(),
    }
}

struct Walk<'a> {
    old: &'a Side,
    new: &'a Side,
    old_key: &'a Key,
    new_key: &'a Key,
    out: Vec<Change>,
}

impl Walk<'_> {
    fn push(&mut self, path: &str, old: Value, new: Value, verdict: classify::Verdict) {
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
            old_location: self.old.locate(self.old_key, Some(path)),
            new_location: self.new.locate(self.new_key, Some(path)),
            words,
        });
    }

    /// Compares one value; `norm` is the path with indexes removed, the
    /// form the classification table is keyed by.
    fn value(&mut self, path: &str, norm: &str, old: &Value, new: &Value) {
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
                    self.push(path, old.clone(), new.clone(), verdict);
                    return;
                }
                for x in o.iter().filter(|x| !n.contains(x)) {
                    let verdict = classify::element(ty, norm, false, x);
                    self.push(path, x.clone(), Value::Null, verdict);
                }
                for x in n.iter().filter(|x| !o.contains(x)) {
                    let verdict = classify::element(ty, norm, true, x);
                    self.push(path, Value::Null, x.clone(), verdict);
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
                    let sub = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    let sub_norm = if norm.is_empty() {
                        k.clone()
                    } else {
                        format!("{norm}.{k}")
                    };
                    if path.is_empty() && ty == ObjectType::Rule && DERIVED.contains(&k.as_str()) {
                        continue;
                    }
                    self.value(&sub, &sub_norm, a, b);
                }
            }
            (Value::Array(o), Value::Array(n)) => self.sequence(path, norm, o, n),
            _ => {
                let verdict = classify::field(ty, norm, old, new);
                self.push(path, old.clone(), new.clone(), verdict);
            }
        }
    }

    /// Elements `range` of `list` added (from the new list) or removed
    /// (from the old one), each its own change at its 1-based position.
    fn steps(&mut self, path: &str, list: &[Value], range: std::ops::Range<usize>, added: bool) {
        let ty = self.new_key.0;
        for i in range {
            let x = list.get(i).cloned().unwrap_or(Value::Null);
            let p = format!("{path}[{}]", i + 1);
            let (o, n) = if added {
                (Value::Null, x)
            } else {
                (x, Value::Null)
            };
            self.push(&p, o, n, classify::step(ty, added));
        }
    }

    /// Ordered lists (approval steps): a sequence diff tells inserted and
    /// deleted elements from ones changed in place.
    fn sequence(&mut self, path: &str, norm: &str, old: &[Value], new: &[Value]) {
        let ops = capture_diff_slices(Algorithm::Myers, old, new);
        let item_norm = format!("{norm}[]");
        for op in ops {
            match op {
                DiffOp::Equal { .. } => {}
                DiffOp::Delete {
                    old_index, old_len, ..
                } => self.steps(path, old, old_index..old_index + old_len, false),
                DiffOp::Insert {
                    new_index, new_len, ..
                } => self.steps(path, new, new_index..new_index + new_len, true),
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
                        let p = format!("{path}[{}]", new_index + k + 1);
                        self.value(&p, &item_norm, a, b);
                    }
                    self.steps(path, old, old_index + common..old_index + old_len, false);
                    self.steps(path, new, new_index + common..new_index + new_len, true);
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

/// Pairs removed and added objects that are one object renamed: same
/// type, different id, and the same body, or failing that a body at least
/// RENAME_SIMILARITY alike (then its field changes are listed too).
/// Candidates are taken in id order, so the pairing is deterministic. The
/// paired objects leave `removed` and `added`.
fn renames<'k>(
    old: &Side,
    new: &Side,
    removed: &mut Vec<&'k Key>,
    added: &mut Vec<&'k Key>,
) -> Vec<(&'k Key, &'k Key)> {
    let bodies = |side: &Side, keys: &[&Key]| -> Vec<Value> {
        keys.iter()
            .map(|k| side.objects.get(*k).map_or(Value::Null, body))
            .collect()
    };
    let (old_bodies, new_bodies) = (bodies(old, removed), bodies(new, added));
    // The added object each removed one is paired with, and the added
    // objects taken.
    let mut partner: Vec<Option<usize>> = vec![None; removed.len()];
    let mut taken = vec![false; added.len()];
    // Equal bodies, found through their text: each removed object takes
    // the first added one (in id order) of its type and text not yet taken.
    let text = |v: &Value| serde_json::to_string(v).unwrap_or_default();
    let mut same: HashMap<(ObjectType, String), VecDeque<usize>> = HashMap::new();
    for (i, (k, b)) in added.iter().zip(&new_bodies).enumerate() {
        same.entry((k.0, text(b))).or_default().push_back(i);
    }
    for ((k, b), p) in removed.iter().zip(&old_bodies).zip(partner.iter_mut()) {
        if let Some(i) = same.get_mut(&(k.0, text(b))).and_then(VecDeque::pop_front) {
            *p = Some(i);
            if let Some(t) = taken.get_mut(i) {
                *t = true;
            }
        }
    }
    // Near matches among the rest, type by type, when there are few
    // enough pairs to compare.
    let types: BTreeSet<ObjectType> = removed.iter().map(|k| k.0).collect();
    let old_fields: Vec<Fields> = old_bodies.iter().map(fields).collect();
    let new_fields: Vec<Fields> = new_bodies.iter().map(fields).collect();
    for t in types {
        let unpaired = removed
            .iter()
            .zip(&partner)
            .filter(|(k, p)| k.0 == t && p.is_none());
        let untaken = added.iter().zip(&taken).filter(|(k, d)| k.0 == t && !**d);
        if unpaired.count() * untaken.count() > NEAR_RENAME_PAIRS {
            continue;
        }
        for ((r, rb), p) in removed.iter().zip(&old_fields).zip(partner.iter_mut()) {
            if r.0 != t || p.is_some() {
                continue;
            }
            let mut best: Option<(usize, f64)> = None;
            for (i, ((a, ab), done)) in added.iter().zip(&new_fields).zip(&taken).enumerate() {
                if a.0 != t || *done {
                    continue;
                }
                let s = similarity(rb, ab);
                if s >= RENAME_SIMILARITY && best.is_none_or(|(_, b)| s > b) {
                    best = Some((i, s));
                }
            }
            if let Some((i, _)) = best {
                *p = Some(i);
                if let Some(x) = taken.get_mut(i) {
                    *x = true;
                }
            }
        }
    }
    let out = removed
        .iter()
        .zip(&partner)
        .filter_map(|(r, p)| Some((*r, *added.get((*p)?)?)))
        .collect();
    let mut keep = partner.iter();
    removed.retain(|_| keep.next().is_some_and(Option::is_none));
    let mut keep = taken.iter();
    added.retain(|_| !keep.next().copied().unwrap_or(false));
    out
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
        walk.value("", "", &body(o), &body(n));
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
        walk.value("", "", &body(o), &body(n));
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    /// The pairing `renames` must give: every removed object in id order
    /// takes the first added object of its type with an equal body; then
    /// every one left takes the most similar one left, at least
    /// RENAME_SIMILARITY alike, the first of equals.
    fn reference<'k>(
        old: &Side,
        new: &Side,
        removed: &[&'k Key],
        added: &[&'k Key],
    ) -> Vec<(&'k Key, &'k Key)> {
        let mut added: Vec<&Key> = added.to_vec();
        let mut removed: Vec<&Key> = removed.to_vec();
        let mut out = Vec::new();
        for exact in [true, false] {
            removed.retain(|r| {
                let rb = body(&old.objects[*r]);
                let mut best: Option<(usize, f64)> = None;
                for (i, a) in added.iter().enumerate() {
                    let ab = body(&new.objects[*a]);
                    let s = if a.0 != r.0 {
                        0.0
                    } else if ab == rb {
                        1.0
                    } else if exact {
                        0.0
                    } else {
                        similarity(&fields(&rb), &fields(&ab))
                    };
                    let threshold = if exact { 1.0 } else { RENAME_SIMILARITY };
                    if s >= threshold && best.is_none_or(|(_, b)| s > b) {
                        best = Some((i, s));
                    }
                }
                match best {
                    Some((i, _)) => {
                        out.push((*r, added.remove(i)));
                        false
                    }
                    None => true,
                }
            });
        }
        out.sort();
        out
    }

    /// A side of objects of two types whose bodies take few values, so
    /// equal and near bodies are common.
    fn side(objects: &[(bool, String, [u8; 6])]) -> Side {
        let mut side = Side::default();
        for (rule, id, f) in objects {
            let ty = if *rule {
                ObjectType::Rule
            } else {
                ObjectType::Cap
            };
            let mut body = serde_json::Map::new();
            body.insert("id".into(), json!(id));
            for (n, v) in f.iter().enumerate() {
                // 3 leaves the field out.
                if *v != 3 {
                    body.insert(format!("f{n}"), json!(v));
                }
            }
            side.objects.insert((ty, id.clone()), Value::Object(body));
        }
        side
    }

    /// Mostly 0, so that equal and near bodies are common.
    fn field_value() -> impl Strategy<Value = u8> {
        prop_oneof![6 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)]
    }

    fn objects() -> impl Strategy<Value = Vec<(bool, String, [u8; 6])>> {
        prop::collection::vec(
            (
                any::<bool>(),
                "[a-f]{1,2}",
                prop::array::uniform6(field_value()),
            ),
            0..24,
        )
    }

    proptest! {
        #[test]
        fn renames_pair_as_the_search_of_every_pair_does(a in objects(), b in objects()) {
            let (old, new) = (side(&a), side(&b));
            let removed: Vec<&Key> = old.objects.keys().filter(|k| !new.objects.contains_key(*k)).collect();
            let added: Vec<&Key> = new.objects.keys().filter(|k| !old.objects.contains_key(*k)).collect();
            let want = reference(&old, &new, &removed, &added);
            let (mut r, mut d) = (removed.clone(), added.clone());
            let mut got = renames(&old, &new, &mut r, &mut d);
            got.sort();
            prop_assert_eq!(&got, &want);
            // Whatever was paired has left both lists, and nothing else.
            prop_assert_eq!(r.len() + got.len(), removed.len());
            prop_assert_eq!(d.len() + got.len(), added.len());
            prop_assert!(got.iter().all(|(x, y)| !r.contains(x) && !d.contains(y)));
        }
    }

    /// Past NEAR_RENAME_PAIRS only equal bodies pair: 2,001 renamed and
    /// changed rules stay removed and added, one renamed as it was pairs.
    #[test]
    fn many_near_renames_fall_back_to_equal_bodies() {
        let n = 2_001;
        let mk = |prefix: &str, last: u8| -> Vec<(bool, String, [u8; 6])> {
            (0..n)
                .map(|i| (true, format!("{prefix}{i:05}"), [0, 0, 0, 0, 0, last]))
                .chain([(true, format!("{prefix}same"), [1, 1, 1, 1, 1, 1])])
                .collect()
        };
        let (old, new) = (side(&mk("a", 0)), side(&mk("b", 1)));
        let mut removed: Vec<&Key> = old.objects.keys().collect();
        let mut added: Vec<&Key> = new.objects.keys().collect();
        assert!((n * n) > NEAR_RENAME_PAIRS);
        let got = renames(&old, &new, &mut removed, &mut added);
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].0.1.as_str(), got[0].1.1.as_str()),
            ("asame", "bsame")
        );
        assert_eq!((removed.len(), added.len()), (n, n));
    }

    #[test]
    fn similarity_counts_fields_of_either_body() {
        let a = json!({"x": 1, "y": 2, "z": 3});
        let b = json!({"x": 1, "y": 5, "w": 3});
        assert_eq!(similarity(&fields(&a), &fields(&b)), 0.25);
        assert_eq!(similarity(&fields(&a), &fields(&a)), 1.0);
        assert_eq!(similarity(&fields(&json!({})), &fields(&json!({}))), 0.0);
    }
}
