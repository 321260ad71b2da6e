//! GC307: a budget, cap or exception whose `scope` names another project
//! (or agent) than the policy it is defined in. Its policy's objects apply
//! to that policy's project only (spec §3), so such an object never
//! applies: the scope and the file disagree about where it belongs.

use crate::diagnostic::Diagnostic;
use crate::glob::glob_match;
use crate::ir::{Homed, Program, ScopeMap};
use crate::lint::registry::Code;

fn check_one<T: Homed>(
    what: &str,
    x: &T,
    scope: &ScopeMap,
    file: &std::sync::Arc<crate::source::SourceFile>,
    out: &mut Vec<Diagnostic>,
) {
    let Some((key, home)) = x.home().scope_key() else {
        return;
    };
    let Some((k, v)) = scope.iter().find(|(k, _)| k.value == key) else {
        return;
    };
    if glob_match(&v.value, home) {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::InvalidScope,
            file,
            v.span,
            format!(
                "{what} `{}` is scoped to {key} `{}` but defined in {}'s policy: it never applies",
                x.name(),
                v.value,
                x.home().describe()
            ),
        )
        .with_help(format!(
            "move it to the policy of {key} `{}` (or to a tenant file), or drop `{}` from its scope",
            v.value, k.value
        )),
    );
}

pub fn check(p: &Program, out: &mut Vec<Diagnostic>) {
    for b in &p.budgets {
        check_one("budget", b, &b.scope, &b.file, out);
    }
    for c in &p.caps {
        check_one("cap", c, &c.scope, &c.file, out);
    }
    for e in &p.exceptions {
        check_one("exception", e, &e.scope, &e.file, out);
    }
}
