//! The YAML subset against yaml-test-suite (vendored in `tests/suites/`): every case
//! guardctl accepts must yield exactly the suite's JSON value, and every
//! case a conforming parser rejects must be rejected. Cases outside the
//! subset are rejected with a diagnostic, never misread.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use guardctl::source::SourceFile;
use guardctl::syntax::layout::parse_yaml;

fn suite_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/suites/yaml-test-suite.json")
}

/// Numbers compare by value (the suite writes `1.0` and `1` alike).
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Valid cases the suite ships without a JSON value, with the value the
/// YAML 1.2 spec gives them (worked out by hand from the productions).
fn without_json(id: &str) -> Option<serde_json::Value> {
    Some(match id {
        // Flow mapping: `key : value`, a key with no value, an empty value.
        "4ABK" => {
            serde_json::json!({"unquoted": "separate", "http://foo.com": null, "omitted value": null})
        }
        // JSON-like key with the colon on the next line.
        "4MUZ/1" => serde_json::json!({"foo": "bar"}),
        // A tab after the indentation is content.
        "96NN/1" => serde_json::json!({"foo": "\tbar"}),
        // Keep chomping; the whitespace-only last line is one empty line
        // (as in its siblings JEF9/0 and JEF9/1).
        "JEF9/2" => serde_json::json!(["\n"]),
        _ => return None,
    })
}

#[test]
fn yaml_test_suite() {
    let text = std::fs::read_to_string(suite_path()).expect("suite present beside the repo");
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let (mut passed, mut rejected, mut wrong) = (0, 0, Vec::new());
    let mut rejected_ids = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let yaml = case["yaml"].as_str().unwrap();
        let fail = case["fail"].as_bool().unwrap();
        let file = SourceFile::new(id, yaml);
        let mut diags = Vec::new();
        let doc = parse_yaml(&file, 0, yaml.len(), &mut diags);
        let accepted = diags.is_empty();
        if !accepted {
            if std::env::var("YAML_SUITE_VERBOSE").is_ok() && !fail {
                println!("{id}: {}", diags[0].message);
            }
            rejected += 1;
            if !fail {
                rejected_ids.push(id.to_string());
            }
            continue;
        }
        if fail {
            wrong.push(format!("{id}: accepted a case a conforming parser rejects"));
            continue;
        }
        // Expected: zero or more JSON texts; the subset is single-document.
        let expected: Vec<serde_json::Value> = match case["json"].as_str() {
            None => match without_json(id) {
                Some(v) => vec![v],
                None => {
                    wrong.push(format!("{id}: accepted a case with no JSON value"));
                    continue;
                }
            },
            Some(j) => serde_json::Deserializer::from_str(j)
                .into_iter()
                .collect::<Result<_, _>>()
                .unwrap(),
        };
        let got: Vec<serde_json::Value> = doc.root.iter().map(|r| r.to_json()).collect();
        if got.len() == expected.len() && got.iter().zip(&expected).all(|(a, b)| same(a, b)) {
            passed += 1;
        } else {
            wrong.push(format!("{id}: got {got:?}, expected {expected:?}"));
        }
    }
    println!(
        "yaml-test-suite: {} cases: {passed} passed, {rejected} rejected ({} outside the subset, {} invalid YAML), {} wrong",
        cases.len(),
        rejected_ids.len(),
        rejected - rejected_ids.len(),
        wrong.len()
    );
    println!(
        "rejected valid cases (outside the subset): {}",
        rejected_ids.join(" ")
    );
    assert!(wrong.is_empty(), "wrong results:\n{}", wrong.join("\n"));
    // The subset must stay useful: most valid cases parse.
    assert!(passed >= 150, "only {passed} cases passed");
}
