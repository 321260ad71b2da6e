//! A map for the few entries of an event's headers: a vector
//! sorted by key, which for a handful of keys is cheaper to fill, search
//! and drop than a B-tree's nodes, and iterates in the same order.

#[derive(Debug, Clone, PartialEq)]
pub struct SmallMap<V> {
    entries: Vec<(String, V)>,
}

impl<V> Default for SmallMap<V> {
    fn default() -> Self {
        SmallMap {
            entries: Vec::new(),
        }
    }
}

impl<V> SmallMap<V> {
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        let i = self.find(key).ok()?;
        self.entries.get(i).map(|(_, v)| v)
    }

    /// Sets `key` to `value`; returns the value it replaces, if any.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => self
                .entries
                .get_mut(i)
                .map(|(_, v)| std::mem::replace(v, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// The same answers as a `BTreeMap` for any sequence of inserts.
    #[test]
    fn behaves_as_a_btree_map() {
        let keys = ["b", "a", "c", "a", "", "bb", "b", "A"];
        let mut small = SmallMap::default();
        let mut tree = BTreeMap::new();
        for (n, k) in keys.iter().enumerate() {
            assert_eq!(
                small.insert(k.to_string(), n),
                tree.insert(k.to_string(), n),
                "{k}"
            );
            for probe in keys.iter().chain(&["z"]) {
                assert_eq!(small.get(probe), tree.get(*probe), "{probe}");
            }
            assert!(small.iter().eq(tree.iter()));
        }
        assert!(!small.is_empty() && SmallMap::<u8>::default().is_empty());
    }
}
