//! Kore's spellings of guardctl's names (spec §4), made canonical right
//! after parsing so the checker, the type checker, the evaluator and every
//! target see one name for one thing: the variables `response` (=
//! `output`), `content` (= `text`), `tool_input` (= `tool_parameters`) and
//! `turn_count` (= `session_turn_count`); the ABL built-ins `LENGTH(x)` (=
//! `size(x)`) and `LOWER(x)` (= `lower(x)`), whose names Kore reads in any
//! case, bare or with the `abl.` prefix. A macro variable of the same name
//! (`list.all(content, ...)`) is the macro's, not an alias.

use super::ast::{Expr, ExprKind};

/// Kore's variable spellings and the variables they stand for.
pub const VARIABLE_ALIASES: &[(&str, &str)] = &[
    ("content", "text"),
    ("response", "output"),
    ("tool_input", "tool_parameters"),
    ("turn_count", "session_turn_count"),
];

/// Kore's ABL built-ins (any case) and the functions they stand for.
pub const FUNCTION_ALIASES: &[(&str, &str)] = &[("length", "size"), ("lower", "lower")];

/// The canonical variable for `name`, if it is one of Kore's spellings.
pub fn variable(name: &str) -> Option<&'static str> {
    VARIABLE_ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map(|(_, canonical)| *canonical)
}

fn function(name: &str) -> Option<&'static str> {
    FUNCTION_ALIASES
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
        .map(|(_, canonical)| *canonical)
}

/// Rewrites every alias in `e` to its canonical name. The tree's depth
/// is bounded by the parser, so the recursion is too.
pub fn canonical(e: &mut Expr) {
    let mut scope = Vec::new();
    walk(e, &mut scope);
}

fn is_abl(e: Option<&Expr>, scope: &[String]) -> bool {
    matches!(e, Some(Expr { kind: ExprKind::Ident { name, .. }, .. }) if name == "abl" && !scope.iter().any(|s| s == "abl"))
}

const MACROS: &[&str] = &["all", "exists", "exists_one", "existsOne", "filter", "map"];

fn walk(e: &mut Expr, scope: &mut Vec<String>) {
    match &mut e.kind {
        ExprKind::Ident { name, leading_dot } => {
            if !*leading_dot && !scope.iter().any(|s| s == name) {
                if let Some(c) = variable(name) {
                    *name = c.to_string();
                }
            }
        }
        ExprKind::Call {
            target,
            function: f,
            args,
        } => {
            let bare = target.is_none() || is_abl(target.as_deref(), scope);
            if bare {
                if let Some(c) = function(f) {
                    *f = c.to_string();
                    // `abl.length(x)` is `size(x)`, a standard function
                    // with no `abl.` form.
                    if c == "size" {
                        *target = None;
                    }
                }
            }
            // A macro binds its first argument (and, in the two-variable
            // form, its second) over the rest.
            let binds = match (&*target, MACROS.contains(&f.as_str())) {
                (Some(_), true) => {
                    let names: Vec<String> = args
                        .iter()
                        .take(args.len().saturating_sub(1))
                        .filter_map(|a| match &a.kind {
                            ExprKind::Ident { name, .. } => Some(name.clone()),
                            _ => None,
                        })
                        .collect();
                    names
                }
                _ => Vec::new(),
            };
            if let Some(t) = target {
                walk(t, scope);
            }
            let depth = scope.len();
            scope.extend(binds.iter().cloned());
            for (i, a) in args.iter_mut().enumerate() {
                // The bound names themselves are not read.
                if i < binds.len() {
                    continue;
                }
                walk(a, scope);
            }
            scope.truncate(depth);
        }
        _ => e.children_mut().into_iter().for_each(|c| walk(c, scope)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::parse;

    /// The tree without its spans (which differ with the spelling).
    fn names(text: &str) -> String {
        let debug = format!("{:?}", parse(text).unwrap());
        regex::Regex::new(r"span: [A-Za-z]*\s*\{[^}]*\}")
            .unwrap()
            .replace_all(&debug, "")
            .into_owned()
    }

    #[test]
    fn kore_spellings_read_as_the_canonical_names() {
        assert_eq!(names("size(response) > 3"), names("size(output) > 3"));
        assert_eq!(names("LENGTH(content) < 10"), names("size(text) < 10"));
        assert_eq!(
            names("abl.length(tool_input)"),
            names("size(tool_parameters)")
        );
        assert!(names("LOWER(input) == 'a'").contains("\"lower\""));
        assert_eq!(names("abl.LOWER(input)"), names("abl.lower(input)"));
        assert_eq!(names("turn_count > 5"), names("session_turn_count > 5"));
    }

    #[test]
    fn macro_variables_are_not_aliases() {
        let e = names("[1].all(content, content > 0)");
        assert!(e.contains("\"content\""), "{e}");
        assert!(!e.contains("\"text\""), "{e}");
        // Outside the macro the alias holds again.
        assert!(names("[1].all(content, content > 0) && content == ''").contains("\"text\""));
    }
}
