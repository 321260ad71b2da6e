//! Regex validation with the error placed inside the pattern, and the
//! shapes of provider credentials that must never be written into a file.

use super::cel_source::map_offset;
use super::reader::Cx;
use crate::lint::registry::Code;
use crate::source::Span;
use crate::syntax::Node;

/// The compiled-size limit runtimes are assumed to share (the regex
/// crate's default order of magnitude).
const SIZE_LIMIT: usize = 1 << 22;

/// A generous upper bound of a pattern's compiled size, in HIR units.
fn size_estimate(h: &regex_syntax::hir::Hir) -> usize {
    use regex_syntax::hir::HirKind;
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => 1,
        HirKind::Literal(l) => l.0.len(),
        // Unicode classes compile to many UTF-8 states.
        HirKind::Class(_) => 256,
        HirKind::Repetition(r) => {
            let count = r.max.unwrap_or(r.min.saturating_add(1)).max(1) as usize;
            size_estimate(&r.sub).saturating_mul(count)
        }
        HirKind::Capture(c) => size_estimate(&c.sub),
        HirKind::Concat(v) | HirKind::Alternation(v) => v
            .iter()
            .map(size_estimate)
            .fold(0usize, usize::saturating_add),
    }
}

fn syntax_error(pattern: &str) -> Result<regex_syntax::hir::Hir, (usize, usize, String)> {
    regex_syntax::Parser::new()
        .parse(pattern)
        .map_err(|err| match err {
            regex_syntax::Error::Parse(e) => (
                e.span().start.offset,
                e.span().end.offset,
                e.kind().to_string(),
            ),
            regex_syntax::Error::Translate(e) => (
                e.span().start.offset,
                e.span().end.offset,
                e.kind().to_string(),
            ),
            e => (0, pattern.len(), e.to_string()),
        })
}

/// Reports a pattern that does not compile, pointing inside it.
pub fn check_regex(cx: &mut Cx<'_>, node: &Node, pattern: &str) -> bool {
    // A syntactically valid pattern can still exceed the engine's size
    // limit (`a{1000}{1000}`). Building a regex is costly, so only patterns
    // whose estimated size comes near the limit are built to find out.
    let err = match syntax_error(pattern) {
        Err(e) => Some(e),
        Ok(hir) if size_estimate(&hir) > SIZE_LIMIT / 64 => {
            match regex::RegexBuilder::new(pattern)
                .size_limit(SIZE_LIMIT)
                .build()
            {
                Ok(_) => None,
                Err(e) => {
                    let msg = e
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or("invalid regex")
                        .to_string();
                    Some((0, pattern.len(), msg))
                }
            }
        }
        Ok(_) => None,
    };
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
