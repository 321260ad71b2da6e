//! Shell-style globs over whole strings: tool names, domains and
//! governance scopes (`model: "gpt-4*"`), matched by the `glob` crate's
//! `Pattern` (rust-lang's). `*` is any run of characters (`/` included:
//! these are names, not paths), `?` exactly one character (not one byte:
//! `caf?` matches `café`), `[abc]`/`[!a-z]` a class, `[*]` a literal star.
//! `globset` was measured against the same cases and left out: it matches
//! in byte mode, where `?` is one byte. One matcher for the engine, the
//! scopes, lint and `diff`'s coverage of glob lists; a glob that does not
//! parse is GC213 at lint and matches only itself, literally.

/// A compiled glob.
#[derive(Debug, Clone)]
pub struct Glob {
    text: String,
    pattern: Option<glob::Pattern>,
}

/// Names, not paths: `*` and `?` match `/` and a leading `.` too.
const OPTIONS: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: false,
    require_literal_leading_dot: false,
};

impl Glob {
    pub fn new(s: &str) -> Glob {
        Glob {
            text: s.to_string(),
            pattern: glob::Pattern::new(s).ok(),
        }
    }
    /// Why `s` is not a glob, if it is not.
    pub fn check(s: &str) -> Result<(), String> {
        glob::Pattern::new(s)
            .map(|_| ())
            .map_err(|e| e.msg.to_string())
    }
    pub fn matches(&self, s: &str) -> bool {
        match &self.pattern {
            Some(p) => p.matches_with(s, OPTIONS),
            None => self.text == s,
        }
    }
    pub fn as_str(&self) -> &str {
        &self.text
    }
    /// The glob as an anchored RE2 regex over the whole string (for the
    /// CEL `matches` a target writes): `*` is `.*`, `?` one character, a
    /// class stays a class (`[!a]` is `[^a]`), everything else is literal.
    /// A glob that does not parse matches only itself, as here.
    pub fn to_regex(&self) -> String {
        if self.pattern.is_none() {
            return format!("^{}$", regex_syntax::escape(&self.text));
        }
        let mut out = String::from("^(?s:");
        let mut chars = self.text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' => out.push_str(".*"),
                '?' => out.push('.'),
                '[' => {
                    out.push('[');
                    if chars.peek() == Some(&'!') {
                        chars.next();
                        out.push('^');
                    }
                    // A `]` first in the class is literal, as in the glob.
                    let mut first = true;
                    for x in chars.by_ref() {
                        if x == ']' && !first {
                            break;
                        }
                        first = false;
                        match x {
                            '\\' | '[' | ']' | '^' => {
                                out.push('\\');
                                out.push(x);
                            }
                            _ => out.push(x),
                        }
                    }
                    out.push(']');
                }
                c => out.push_str(&regex_syntax::escape(c.encode_utf8(&mut [0; 4]))),
            }
        }
        out.push_str(")$");
        out
    }

    /// The one string this glob matches, if it has no wildcard or class.
    pub fn literal(&self) -> Option<&str> {
        (!self.text.contains(['*', '?', '['])).then_some(self.text.as_str())
    }
}

/// Whether the glob `p` matches all of `s` (compiles `p`: for one-off
/// checks; hot paths keep a [`Glob`]).
pub fn glob_match(p: &str, s: &str) -> bool {
    Glob::new(p).matches(s)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
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
        assert!(Glob::new("*").matches("a/b"), "names, not paths");
        assert!(
            Glob::new("gpt-[34]*").matches("gpt-3.5") && !Glob::new("gpt-[34]*").matches("gpt-5")
        );
        assert!(Glob::new("[!w]*").matches("refund") && !Glob::new("[!w]*").matches("wire"));
        assert!(Glob::new("a[*]").matches("a*") && !Glob::new("a[*]").matches("ab"));
        assert!(Glob::new(".env*").matches(".env.prod"));
        for (g, yes, no) in [
            ("wire_*", "wire_transfer", "refund"),
            ("a?c", "abc", "ac"),
            ("gpt-[34]*", "gpt-3.5", "gpt-5"),
            ("[!w]*", "refund", "wire"),
            ("a[*]", "a*", "ab"),
            ("*.ngrok.io", "x.ngrok.io", "ngrok.io"),
            ("a.b", "a.b", "axb"),
        ] {
            let re = regex::Regex::new(&Glob::new(g).to_regex()).unwrap();
            assert!(re.is_match(yes) && !re.is_match(no), "{g}: {re}");
        }
    }

    #[test]
    fn a_broken_glob_is_reported_and_matches_only_itself() {
        assert!(Glob::check("tool_[").is_err());
        assert!(Glob::check("tool_*").is_ok());
        assert!(Glob::new("tool_[").matches("tool_["));
        assert!(!Glob::new("tool_[").matches("tool_a"));
    }
}
