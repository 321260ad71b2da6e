//! CEL syntax against the cel-spec conformance suite (vendored in `tests/suites/`).
//! Every expression of the sections guardctl supports must parse; sections
//! outside the guardrail subset are listed with the reason. Sections are
//! judged on parsing only here; evaluation is the engine's.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;

use common::{CEL_OUT_OF_SCOPE as OUT_OF_SCOPE, cel_suite, cel_tests as collect};
use guardctl::cel::parse;

mod common;

#[test]
fn cel_conformance_parses() {
    let root = cel_suite();
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for section in root["suites"].as_array().unwrap() {
        let name = section["name"].as_str().unwrap().to_string();
        let mut tests = Vec::new();
        collect(section, &mut tests);
        let in_scope = !OUT_OF_SCOPE.iter().any(|(n, _)| *n == name);
        for t in tests {
            let expr = t["original"]["expr"].as_str().unwrap();
            let entry = counts.entry(name.clone()).or_default();
            match parse(expr) {
                Ok(_) => entry.0 += 1,
                Err(e) => {
                    entry.1 += 1;
                    if in_scope {
                        failures.push(format!(
                            "{name}/{}: `{expr}`: {}",
                            t["original"]["name"].as_str().unwrap_or(""),
                            e.message
                        ));
                    }
                }
            }
        }
    }
    let (mut total_ok, mut total_bad) = (0, 0);
    println!("cel-conformance parse results (section: parsed/failed):");
    for (name, (ok, bad)) in &counts {
        let scope = OUT_OF_SCOPE
            .iter()
            .find(|(n, _)| n == name)
            .map_or(String::new(), |(_, why)| format!("  [out of scope: {why}]"));
        println!("  {name}: {ok}/{bad}{scope}");
        if scope.is_empty() {
            total_ok += ok;
            total_bad += bad;
        }
    }
    println!("in scope: {total_ok} parsed, {total_bad} failed");
    assert!(
        failures.is_empty(),
        "in-scope expressions failed to parse:\n{}",
        failures.join("\n")
    );
    assert!(total_ok > 1000, "suite unexpectedly small: {total_ok}");
}
