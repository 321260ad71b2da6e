//! Shell-style globs (`*`, `?`) over whole strings: tool names, domains
//! and governance scopes (`model: "gpt-4*"`). One matcher for the engine,
//! the scopes and `diff`'s coverage of glob lists.

/// A shell-style glob (`*`, `?`) matched against a whole string.
#[derive(Debug, Clone)]
pub struct Glob(String);

impl Glob {
    pub fn new(s: &str) -> Glob {
        Glob(s.to_string())
    }
    pub fn matches(&self, s: &str) -> bool {
        glob_match(self.0.as_bytes(), s.as_bytes())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether the glob `p` matches all of `s`: `*` any run of characters,
/// `?` exactly one character (not one byte: `caf?` matches `café`).
pub fn glob_match(p: &[u8], s: &[u8]) -> bool {
    match (std::str::from_utf8(p), std::str::from_utf8(s)) {
        (Ok(p), Ok(s)) if !p.is_ascii() || !s.is_ascii() => {
            let (p, s): (Vec<char>, Vec<char>) = (p.chars().collect(), s.chars().collect());
            glob_units(&p, &s)
        }
        _ => glob_units(p, s),
    }
}

/// The matcher over units (bytes of ASCII text, or characters).
fn glob_units<T: PartialEq + Copy + From<u8>>(p: &[T], s: &[T]) -> bool {
    let (star, question) = (T::from(b'*'), T::from(b'?'));
    // Iterative matcher with backtracking to the last `*`.
    let (mut pi, mut si) = (0, 0);
    let (mut last_star, mut mark) = (None, 0);
    while si < s.len() {
        match p.get(pi) {
            Some(&c) if c == star => {
                last_star = Some(pi);
                mark = si;
                pi += 1;
            }
            Some(&c) if c == question || Some(&c) == s.get(si) => {
                pi += 1;
                si += 1;
            }
            _ => match last_star {
                Some(st) => {
                    pi = st + 1;
                    mark += 1;
                    si = mark;
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == star))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(Glob::new("wire_*").matches("wire_transfer"));
        assert!(!Glob::new("wire_*").matches("refund"));
        assert!(Glob::new("*.ngrok.io").matches("abc.ngrok.io"));
        assert!(Glob::new("gpt-4*").matches("gpt-4o"));
        assert!(Glob::new("a?c").matches("abc"));
        assert!(!Glob::new("a?c").matches("ac"));
        assert!(Glob::new("*").matches(""));
        assert!(Glob::new("caf?").matches("café"));
        assert!(!Glob::new("caf??").matches("café"));
    }
}
