//! An event's recorded scores (`scores.<provider>.<category>`, 0..1):
//! every name in one string and the entries in one vector, in the order
//! read. An event's scores then cost two allocations however many it
//! records, where a map of maps cost one per name; they are only ever
//! looked up by both names, and an event records a handful, so a search
//! is a short scan that mostly compares lengths.

#[derive(Debug, Clone, Default)]
pub struct Scores {
    /// Each entry's provider then category, one after another.
    names: String,
    /// In the order read, each (provider, category) once.
    entries: Vec<Entry>,
}

/// A score and its names: `names[start..mid]` and `names[mid..end]`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: usize,
    mid: usize,
    end: usize,
    score: f64,
}

impl Scores {
    fn names(&self, e: &Entry) -> (&str, &str) {
        (
            self.names.get(e.start..e.mid).unwrap_or_default(),
            self.names.get(e.mid..e.end).unwrap_or_default(),
        )
    }

    fn find(&self, provider: &str, category: &str) -> Option<usize> {
        self.entries.iter().position(|e| {
            e.mid - e.start == provider.len()
                && e.end - e.mid == category.len()
                && self.names(e) == (provider, category)
        })
    }

    pub fn get(&self, provider: &str, category: &str) -> Option<f64> {
        let i = self.find(provider, category)?;
        self.entries.get(i).map(|e| e.score)
    }

    /// Whether any score of `provider` is recorded.
    pub fn has_provider(&self, provider: &str) -> bool {
        self.entries.iter().any(|e| self.names(e).0 == provider)
    }

    /// Records a score; returns the one it replaces, if any.
    pub fn insert(&mut self, provider: &str, category: &str, score: f64) -> Option<f64> {
        match self.find(provider, category) {
            Some(i) => self
                .entries
                .get_mut(i)
                .map(|e| std::mem::replace(&mut e.score, score)),
            None => {
                if self.entries.is_empty() {
                    // Room for the usual few at once: four scores of two
                    // names of ten to twenty bytes each fill 64 bytes.
                    self.names.reserve(128);
                    self.entries.reserve(4);
                }
                let start = self.names.len();
                self.names.push_str(provider);
                let mid = self.names.len();
                self.names.push_str(category);
                let end = self.names.len();
                let e = Entry {
                    start,
                    mid,
                    end,
                    score,
                };
                self.entries.push(e);
                None
            }
        }
    }

    /// (provider, category, score) in the order read.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, f64)> {
        self.entries.iter().map(|e| {
            let (p, c) = self.names(e);
            (p, c, e.score)
        })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The same scores, in whatever order they were read.
impl PartialEq for Scores {
    fn eq(&self, other: &Self) -> bool {
        self.entries.len() == other.entries.len()
            && self.iter().all(|(p, c, x)| other.get(p, c) == Some(x))
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Any inserts give what a map keyed by both names gives.
    #[test]
    fn agrees_with_a_map() {
        let names = ["", "a", "ab", "b", "moderation", "hate", "m"];
        let mut state = 7u64;
        for round in 0..300 {
            let (mut s, mut want) = (Scores::default(), BTreeMap::new());
            for _ in 0..round % 12 {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let p = names[(state >> 33) as usize % names.len()];
                let c = names[(state >> 45) as usize % names.len()];
                let x = (state >> 20) as f64 / (1u64 << 44) as f64;
                assert_eq!(s.insert(p, c, x), want.insert((p, c), x), "round {round}");
            }
            let mut got: Vec<_> = s.iter().map(|(p, c, x)| ((p, c), x)).collect();
            got.sort_by(|a, b| a.0.cmp(&b.0));
            let want: Vec<_> = want.into_iter().collect();
            assert_eq!(got, want);
            for p in names {
                assert_eq!(s.has_provider(p), got.iter().any(|((q, _), _)| *q == p));
                for c in names {
                    assert_eq!(
                        s.get(p, c),
                        got.iter().find(|(k, _)| *k == (p, c)).map(|x| x.1)
                    );
                }
            }
        }
    }
}
