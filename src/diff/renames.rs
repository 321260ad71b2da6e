//! Renamed objects: a removed and an added object of one type that are
//! one object under a new id, found by equal bodies first and then by
//! bodies at least RENAME_SIMILARITY alike, the best pairs first.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::{ObjectType, Side};

pub(super) type Key = (ObjectType, String);

/// Fields that identify an object rather than describe it: a rename
/// changes them and nothing else.
const IDENTITY: &[&str] = &["id", "name", "rule"];
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

/// A body's top-level fields sorted by name, each value as the number
/// `ids` gives its JSON text (a new one for a text not seen yet).
fn numbered<'v>(v: &'v Value, ids: &mut HashMap<String, u32>) -> Vec<(&'v str, u32)> {
    let mut f = Vec::new();
    for (k, v) in fields(v) {
        let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
        let text = serde_json::to_string(v).unwrap_or_default();
        f.push((k, *ids.entry(text).or_insert(next)));
    }
    f
}

/// Share of top-level fields two bodies agree on (a field in one body
/// only counts as a disagreement), by one walk of both sorted lists.
fn similarity<V: PartialEq>(a: &[(&str, V)], b: &[(&str, V)]) -> f64 {
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

/// An object without its identity. A rule's default message names the
/// rule (`Guardrail: NAME`), and its default display name is its key;
/// both are replaced by a placeholder so a rename is still recognised as
/// one (a display name written out is compared as written).
pub(super) fn body(v: &Value) -> Value {
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
                            ("display_name", Some(text), _)
                                if m.get("rule").and_then(Value::as_str) == Some(text) =>
                            {
                                Value::String("<name>".into())
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

/// Pairs removed and added objects that are one object renamed: same
/// type, different id, and the same body, or failing that a body at least
/// RENAME_SIMILARITY alike (then its field changes are listed too). The
/// paired objects leave `removed` and `added`.
///
/// Pairs are taken best first ([`pick`]), not removed object by removed
/// object: so `a` pairs with the `a.input` it became rather than with a
/// `b` that merely came first, and the diff read backwards (new to old)
/// pairs the very same objects.
pub(super) fn renames<'k>(
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
    // Equal bodies, found through their text: within each group of one
    // type and text, every removed object may pair with every added one.
    let text = |v: &Value| serde_json::to_string(v).unwrap_or_default();
    let mut same: HashMap<(ObjectType, String), (Vec<usize>, Vec<usize>)> = HashMap::new();
    for (i, (k, b)) in added.iter().zip(&new_bodies).enumerate() {
        same.entry((k.0, text(b))).or_default().1.push(i);
    }
    for (i, (k, b)) in removed.iter().zip(&old_bodies).enumerate() {
        if let Some(group) = same.get_mut(&(k.0, text(b))) {
            group.0.push(i);
        }
    }
    let types: BTreeSet<ObjectType> = removed.iter().map(|k| k.0).collect();
    let mut pairing = Pairing::new(removed, added);
    for (rs, adds) in same.values() {
        if rs.len() * adds.len() > NEAR_RENAME_PAIRS {
            // Too many to rank: pair them in id order, which reads the
            // same both ways.
            for (&i, &j) in rs.iter().zip(adds) {
                pairing.pair(i, j);
            }
        } else {
            let p = &pairing;
            let all = rs
                .iter()
                .flat_map(|&i| adds.iter().map(move |&j| p.candidate(i, j, 1.0)))
                .collect();
            pairing.pick(all);
        }
    }
    // Near matches among the rest, type by type, when there are few
    // enough pairs to compare.
    // Values are compared as numbers: each distinct value (by its JSON
    // text) gets one, so the search compares numbers, not JSON trees.
    let mut ids: HashMap<String, u32> = HashMap::new();
    let old_fields: Vec<_> = old_bodies.iter().map(|v| numbered(v, &mut ids)).collect();
    let new_fields: Vec<_> = new_bodies.iter().map(|v| numbered(v, &mut ids)).collect();
    for t in types {
        let rs = pairing.unpaired(t);
        let adds = pairing.untaken(t);
        if rs.len() * adds.len() > NEAR_RENAME_PAIRS {
            continue;
        }
        // At most every pair; pages never written cost no memory.
        let mut candidates = Vec::with_capacity(rs.len() * adds.len());
        for &i in &rs {
            for &j in &adds {
                if let (Some(rb), Some(ab)) = (old_fields.get(i), new_fields.get(j)) {
                    let s = similarity(rb, ab);
                    if s >= RENAME_SIMILARITY {
                        candidates.push(pairing.candidate(i, j, s));
                    }
                }
            }
        }
        pairing.pick(candidates);
    }
    pairing.finish()
}

/// Renames being found: the added object each removed one is paired
/// with, and the added objects taken.
struct Pairing<'a, 'k> {
    removed: &'a mut Vec<&'k Key>,
    added: &'a mut Vec<&'k Key>,
    partner: Vec<Option<usize>>,
    taken: Vec<bool>,
    /// Each object's place among all the ids of both lists, sorted, and
    /// back: which object (removed or not, and its index) holds a place.
    rank_removed: Vec<u64>,
    rank_added: Vec<u64>,
    by_rank: Vec<(bool, usize)>,
}

impl<'a, 'k> Pairing<'a, 'k> {
    fn new(removed: &'a mut Vec<&'k Key>, added: &'a mut Vec<&'k Key>) -> Self {
        let mut ids: Vec<(&str, bool, usize)> = removed
            .iter()
            .enumerate()
            .map(|(i, k)| (k.1.as_str(), true, i))
            .chain(
                added
                    .iter()
                    .enumerate()
                    .map(|(j, k)| (k.1.as_str(), false, j)),
            )
            .collect();
        ids.sort_unstable();
        let (mut rank_removed, mut rank_added) = (vec![0; removed.len()], vec![0; added.len()]);
        for (rank, &(_, is_removed, i)) in (0u64..).zip(&ids) {
            let slot = if is_removed {
                rank_removed.get_mut(i)
            } else {
                rank_added.get_mut(i)
            };
            if let Some(slot) = slot {
                *slot = rank;
            }
        }
        let by_rank = ids.iter().map(|&(_, r, i)| (r, i)).collect();
        Pairing {
            partner: vec![None; removed.len()],
            taken: vec![false; added.len()],
            removed,
            added,
            rank_removed,
            rank_added,
            by_rank,
        }
    }

    fn pair(&mut self, i: usize, j: usize) {
        let free = self.partner.get(i).is_some_and(Option::is_none)
            && self.taken.get(j).is_some_and(|t| !t);
        if free {
            if let Some(p) = self.partner.get_mut(i) {
                *p = Some(j);
            }
            if let Some(t) = self.taken.get_mut(j) {
                *t = true;
            }
        }
    }

    /// A candidate pair, removed `i` and added `j` of similarity `s`, as
    /// a key that sorts the best pair first: the more alike, then the
    /// longer the ids' common prefix, then by the two ids' places in an
    /// order that does not depend on which side is old. Numbers only, so
    /// that millions of candidates sort fast.
    fn candidate(&self, i: usize, j: usize, s: f64) -> (u64, u64) {
        let id = |k: Option<&&'k Key>| -> &'k str { k.map_or("", |k| k.1.as_str()) };
        let (r, a) = (id(self.removed.get(i)), id(self.added.get(j)));
        let common = r.bytes().zip(a.bytes()).take_while(|(x, y)| x == y).count();
        let common = u64::try_from(common).unwrap_or(u64::from(u32::MAX));
        let most = u64::from(u32::MAX);
        // Similarities are ratios of small counts: 32 bits tell them apart.
        let alike = (s.clamp(0.0, 1.0) * most as f64) as u64;
        let first = ((most - alike) << 32) | (most - common.min(most));
        let x = self.rank_removed.get(i).copied().unwrap_or(0);
        let y = self.rank_added.get(j).copied().unwrap_or(0);
        (first, (x.min(y) << 32) | x.max(y))
    }

    /// Takes candidate pairs best first; a pair whose objects are already
    /// paired is passed over.
    fn pick(&mut self, mut candidates: Vec<(u64, u64)>) {
        candidates.sort_unstable();
        for (_, places) in candidates {
            let (lo, hi) = (places >> 32, places & u64::from(u32::MAX));
            let owner = |rank: u64| {
                usize::try_from(rank)
                    .ok()
                    .and_then(|r| self.by_rank.get(r).copied())
            };
            let (i, j) = match (owner(lo), owner(hi)) {
                (Some((true, i)), Some((false, j))) | (Some((false, j)), Some((true, i))) => (i, j),
                _ => continue,
            };
            self.pair(i, j);
        }
    }

    fn unpaired(&self, t: ObjectType) -> Vec<usize> {
        let keys = self.removed.iter().zip(&self.partner).enumerate();
        keys.filter(|(_, (k, p))| k.0 == t && p.is_none())
            .map(|(i, _)| i)
            .collect()
    }

    fn untaken(&self, t: ObjectType) -> Vec<usize> {
        let keys = self.added.iter().zip(&self.taken).enumerate();
        keys.filter(|(_, (k, d))| k.0 == t && !**d)
            .map(|(i, _)| i)
            .collect()
    }

    /// The pairs, in removed-id order; the paired objects leave both lists.
    fn finish(self) -> Vec<(&'k Key, &'k Key)> {
        let out = self
            .removed
            .iter()
            .zip(&self.partner)
            .filter_map(|(r, p)| Some((*r, *self.added.get((*p)?)?)))
            .collect();
        let mut keep = self.partner.iter();
        self.removed
            .retain(|_| keep.next().is_some_and(Option::is_none));
        let mut keep = self.taken.iter();
        self.added
            .retain(|_| !keep.next().copied().unwrap_or(false));
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    /// The pairing `renames` must give: first among equal bodies, then
    /// among bodies at least RENAME_SIMILARITY alike, the best pair left
    /// is taken again and again: the more alike, then the longer common
    /// prefix of the ids, then the smaller of the two ids and the larger.
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
            loop {
                let mut best: Option<(f64, usize, String, String, usize, usize)> = None;
                for (i, r) in removed.iter().enumerate() {
                    for (j, a) in added.iter().enumerate() {
                        let (rb, ab) = (body(&old.objects[*r]), body(&new.objects[*a]));
                        let s = match (a.0 == r.0, ab == rb) {
                            (false, _) => 0.0,
                            (true, true) => 1.0,
                            (true, false) if exact => 0.0,
                            (true, false) => similarity(&fields(&rb), &fields(&ab)),
                        };
                        if s < if exact { 1.0 } else { RENAME_SIMILARITY } {
                            continue;
                        }
                        let common =
                            r.1.chars()
                                .zip(a.1.chars())
                                .take_while(|(x, y)| x == y)
                                .count();
                        let (lo, hi) = (r.1.clone().min(a.1.clone()), r.1.clone().max(a.1.clone()));
                        let better = best.as_ref().is_none_or(|(bs, bc, blo, bhi, _, _)| {
                            s > *bs
                                || (s == *bs
                                    && (common > *bc || (common == *bc && (&lo, &hi) < (blo, bhi))))
                        });
                        if better {
                            best = Some((s, common, lo, hi, i, j));
                        }
                    }
                }
                let Some((_, _, _, _, i, j)) = best else {
                    break;
                };
                out.push((removed.remove(i), added.remove(j)));
            }
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
