//! Regex validation with the error placed inside the pattern, and the
//! shapes of provider credentials that must never be written into a file.

use super::cel_source::map_offset;
use super::reader::Cx;
use crate::lint::registry::Code;
use crate::source::Span;
use crate::syntax::Node;

/// Reports a pattern that does not compile, pointing inside it.
pub fn check_regex(cx: &mut Cx<'_>, node: &Node, pattern: &str) -> bool {
    let err = crate::pattern::problem(pattern);
    let Some((s, e, msg)) = err else { return true };
    let text = cx.file.text.clone();
    let a = map_offset(&text, node, pattern, s);
    let b = map_offset(&text, node, pattern, e).max(a);
    let help = if msg.contains("look-around") || msg.contains("backreferences") {
        "guardrail runtimes use linear-time regex engines: look-around and backreferences are not available"
    } else {
        "runtimes skip rules whose pattern fails to compile, so this rule would never fire"
    };
    cx.report(
        Code::InvalidRegex,
        Span::new(a, b),
        format!("invalid regex: {msg}"),
        Some(help.into()),
    );
    false
}

/// Provider secret shapes (spec §5 API_KEY plus common cloud keys).
const SECRET_SHAPES: &[&str] = &[
    r"^sk-(proj-|ant-)?[A-Za-z0-9_\-]{16,}$",
    r"^AKIA[0-9A-Z]{16}$",
    r"^gh[pousr]_[A-Za-z0-9]{30,}$",
    r"^xox[bpars]-[A-Za-z0-9\-]{10,}$",
    r"^AIza[0-9A-Za-z_\-]{35}$",
    r"^hf_[A-Za-z0-9]{30,}$",
    r"^eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+$",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
];

/// Whether a string looks like a credential.
pub fn looks_like_secret(s: &str) -> bool {
    thread_local! {
        static SET: Option<regex::RegexSet> = regex::RegexSet::new(SECRET_SHAPES).ok();
    }
    SET.with(|set| set.as_ref().is_some_and(|set| set.is_match(s.trim())))
}

/// Keys whose presence means a raw credential is in the file.
pub const CREDENTIAL_KEYS: &[&str] = &[
    "api_key",
    "apikey",
    "secret",
    "secret_key",
    "token",
    "access_token",
    "password",
    "bearer_token",
    "client_secret",
];

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    #[test]
    fn secret_shapes() {
        assert!(looks_like_secret("sk-abcdefghijklmnopqrstuvwx"));
        assert!(looks_like_secret("AKIAABCDEFGHIJKLMNOP"));
        assert!(!looks_like_secret("openai-prod"));
        assert!(!looks_like_secret("https://api.openai.example/v1"));
    }
}
