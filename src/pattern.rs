//! Regexes as every stage builds them: lint checks a rule pattern or a
//! CEL `matches()` pattern with the same limits the engine builds it
//! with, so what lint passes the engine can build, and what the engine
//! cannot build lint has already reported (docs/limits.md).

/// The compiled-size limit of one pattern (the regex crate's default,
/// 10 MiB). Unicode classes are large: `\w{128}` needs most of it.
pub const SIZE_LIMIT: usize = 10 << 20;

/// The largest count of a counted repetition (`a{1000}`), as RE2, which
/// several runtimes use, allows: larger counts make automata whose
/// search time grows with the count on every byte.
pub const MAX_REPEAT: u32 = 1000;

/// Patterns whose estimated size is below this build far below the limit;
/// only larger ones are built at lint time to find out.
const BUILD_TO_CHECK: usize = 1 << 10;

/// A pattern's regex, built as the engine and lint both build it.
pub fn build(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| {
            e.to_string()
                .lines()
                .last()
                .unwrap_or("invalid regex")
                .to_string()
        })
}

/// What is wrong with a pattern, if anything: byte range inside the
/// pattern and message.
pub fn problem(pattern: &str) -> Option<(usize, usize, String)> {
    use regex_syntax::ast::parse::Parser;
    let ast = match Parser::new().parse(pattern) {
        Ok(a) => a,
        Err(e) => {
            return Some((
                e.span().start.offset,
                e.span().end.offset,
                e.kind().to_string(),
            ));
        }
    };
    if let Some(p) = too_many_repeats(&ast, 0) {
        return Some(p);
    }
    let hir = match regex_syntax::hir::translate::Translator::new().translate(pattern, &ast) {
        Ok(h) => h,
        Err(e) => {
            return Some((
                e.span().start.offset,
                e.span().end.offset,
                e.kind().to_string(),
            ));
        }
    };
    if size_estimate(&hir) > BUILD_TO_CHECK {
        if let Err(msg) = build(pattern) {
            return Some((0, pattern.len(), msg));
        }
    }
    None
}

/// Nesting a pattern's syntax tree may have before it is refused (the
/// regex crate's own parser allows 250).
const MAX_DEPTH: usize = 250;

/// The first counted repetition above [`MAX_REPEAT`].
fn too_many_repeats(ast: &regex_syntax::ast::Ast, depth: usize) -> Option<(usize, usize, String)> {
    use regex_syntax::ast::{Ast, RepetitionKind, RepetitionRange};
    if depth > MAX_DEPTH {
        return None;
    }
    match ast {
        Ast::Repetition(r) => {
            if let RepetitionKind::Range(range) = &r.op.kind {
                let n = match range {
                    RepetitionRange::Exactly(n) | RepetitionRange::AtLeast(n) => *n,
                    RepetitionRange::Bounded(a, b) => (*a).max(*b),
                };
                if n > MAX_REPEAT {
                    return Some((
                        r.op.span.start.offset,
                        r.op.span.end.offset,
                        format!("repetition count {n} is above the limit of {MAX_REPEAT}"),
                    ));
                }
            }
            too_many_repeats(&r.ast, depth + 1)
        }
        Ast::Group(g) => too_many_repeats(&g.ast, depth + 1),
        Ast::Alternation(a) => a.asts.iter().find_map(|x| too_many_repeats(x, depth + 1)),
        Ast::Concat(c) => c.asts.iter().find_map(|x| too_many_repeats(x, depth + 1)),
        _ => None,
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_reported_inside_the_pattern() {
        assert_eq!(problem(r"\bcorp\.acme\b"), None);
        assert_eq!(problem(r"\w{128}"), None);
        let (s, e, msg) = problem("xa{100000}").unwrap_or_default();
        assert_eq!((s, e), (2, 10), "{msg}");
        assert!(msg.contains("100000"), "{msg}");
        assert!(problem("(a").is_some());
        assert!(problem(r"(?=x)").is_some());
        assert!(problem(r"(\w{500}){20}").is_some());
    }
}
