//! Every rule pattern in a few shared automata, each of a bounded number
//! of patterns. One automaton over all patterns would be the fastest scan,
//! but what it takes to build grows faster than the number of patterns, and
//! past the engine's size limit it cannot be built at all; a rule set of
//! many patterns then either exhausts memory or loses every pattern rule.
//! Groups keep building linear in the number of patterns. A group that
//! still cannot be built is split until each part can; a pattern that
//! cannot be built even alone is marked as matching, so its rule runs its
//! own regex (or, where that too cannot be built, is unevaluated): a
//! pattern is never silently dropped.

use regex_automata::meta;

/// Patterns per automaton: small enough that one automaton's size stays
/// far below the engine's limit for ordinary patterns, large enough that
/// a scan passes over the text a few times, not once per pattern.
/// Measured (tests/bench/bench_scaling.py, docs/performance.md): 2,000
/// patterns on 10,000 events take 1.64 s with groups of 64 and 1.37 s with
/// 256, as one automaton did (1.34 s); 10,000 patterns on one 2 KB event
/// 261 MiB and 281 MiB.
const GROUP: usize = 256;

/// Which patterns matched a text, by their index among all patterns.
#[derive(Debug, Clone)]
pub struct Matched(Vec<u64>);

impl Matched {
    fn new(len: usize) -> Self {
        Matched(vec![0; len.div_ceil(64)])
    }
    fn set(&mut self, i: usize) {
        if let Some(w) = self.0.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }
    pub fn contains(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

/// The shared automata of a rule set's patterns.
pub struct PatternGroups {
    /// (index of the group's first pattern, its automaton).
    groups: Vec<(usize, meta::Regex)>,
    /// Patterns no automaton holds: reported as matching.
    alone: Vec<usize>,
    len: usize,
}

/// A multi-pattern regex that reports every pattern matching anywhere
/// (`MatchKind::All`, which `which_overlapping_matches` needs).
fn overlapping(patterns: &[String]) -> Option<meta::Regex> {
    meta::Builder::new()
        .configure(meta::Config::new().match_kind(regex_automata::MatchKind::All))
        .build_many(patterns)
        .ok()
}

impl PatternGroups {
    pub fn build(patterns: &[String]) -> PatternGroups {
        let mut out = PatternGroups {
            groups: Vec::new(),
            alone: Vec::new(),
            len: patterns.len(),
        };
        let mut start = 0;
        for chunk in patterns.chunks(GROUP) {
            out.add(start, chunk);
            start += chunk.len();
        }
        out
    }

    /// Builds `chunk` (patterns from `start`) as one automaton, or its
    /// halves where it cannot be; the depth is bounded by `log2(GROUP)`.
    fn add(&mut self, start: usize, chunk: &[String]) {
        if chunk.is_empty() {
            return;
        }
        if let Some(re) = overlapping(chunk) {
            self.groups.push((start, re));
        } else if chunk.len() == 1 {
            self.alone.push(start);
        } else {
            let (a, b) = chunk.split_at(chunk.len() / 2);
            self.add(start, a);
            self.add(start + a.len(), b);
        }
    }

    /// The patterns that match somewhere in `text` (and those no automaton
    /// holds, which the rule checks itself).
    pub fn matching(&self, text: &str) -> Matched {
        let mut m = Matched::new(self.len);
        let input = regex_automata::Input::new(text);
        for (start, re) in &self.groups {
            let mut ps = regex_automata::PatternSet::new(re.pattern_len());
            re.which_overlapping_matches(&input, &mut ps);
            for id in ps.iter() {
                m.set(start + id.as_usize());
            }
        }
        for &i in &self.alone {
            m.set(i);
        }
        m
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Patterns that cannot share an automaton (each near the size limit)
    /// are still found, whichever group they fall in.
    #[test]
    fn every_pattern_is_found_however_many_there_are() {
        let mut pats: Vec<String> = (0..200).map(|i| format!("word{i}\\b")).collect();
        pats.insert(70, r"\w{200}\d{200}\w{200}".into());
        let g = PatternGroups::build(&pats);
        let m = g.matching("xx word150 yy word3");
        for (i, p) in pats.iter().enumerate() {
            let want = i == 3 || i == 151 || g.alone.contains(&i);
            assert_eq!(m.contains(i), want, "pattern {i}: {p}");
        }
    }
}
