//! `compile --target` (spec §8): each runtime's example repository compiles
//! to that runtime's own JSON, which validates against the target's JSON
//! Schema and is snapshot-tested; what a target cannot express is GC406
//! naming the rule, the feature and the runtime, and nothing is written.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{guardctl, stderr, stdout};

const RUNTIMES: &[&str] = &["kore", "kaireon", "orq", "kairro"];

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

fn example(rt: &str) -> String {
    format!("examples/runtimes/{rt}")
}

/// The target's schema, as `compile --schema --target` prints it.
fn validator(rt: &str) -> (boon::Schemas, boon::SchemaIndex) {
    let o = guardctl(&["compile", "--schema", "--target", rt]);
    assert!(o.status.success(), "{}", stderr(&o));
    let schema: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource("target.json", schema).unwrap();
    let idx = compiler.compile("target.json", &mut schemas).unwrap();
    (schemas, idx)
}

fn compiled(rt: &str, paths: &[&str]) -> serde_json::Value {
    let mut args = vec!["compile", "--target", rt];
    args.extend_from_slice(paths);
    let o = guardctl(&args);
    assert!(o.status.success(), "{rt}: {}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn every_example_compiles_to_its_runtime_and_matches_the_schema() {
    for rt in RUNTIMES {
        let dir = example(rt);
        let out = compiled(rt, &[&dir]);
        let (schemas, idx) = validator(rt);
        if let Err(e) = schemas.validate(&out, idx) {
            panic!("{rt}: output does not match its schema:\n{e:#}\n{out:#}");
        }
        snapshot!(
            format!("target__{rt}"),
            serde_json::to_string_pretty(&out).unwrap()
        );
        // The runtime named in guardctl.toml is the default target.
        let o = guardctl(&["compile", &dir]);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap(),
            out,
            "{rt}: the deployed runtime is the default target"
        );
    }
}

#[test]
fn schemas_reject_what_the_runtime_would_not_take() {
    let broken = [
        (
            "kaireon",
            serde_json::json!([{"key": "k", "name": "n", "severity": "medium", "expressionAst": {"all": []}, "status": "active", "priority": 1, "scope": {"level": "tenant"}}]),
        ),
        (
            "orq",
            serde_json::json!([{"display_name": "n", "enabled": true, "expression": {"cel": ""}, "guardrails": [], "timeout": 500}]),
        ),
        (
            "kairro",
            serde_json::json!({"policies": [{"name": "p", "type": "DLP", "status": "ACTIVE", "scope": "PROJECT", "priority": 1, "isDefault": false, "rules": []}], "extensionConfig": {"version": "0000000000000000", "approvedSites": [], "unapprovedTools": []}}),
        ),
        (
            "kore",
            serde_json::json!({"policies": [{"projectId": "p", "body": {"name": "p", "scopeType": "tenant", "rules": [], "providerOverrides": [], "settings": {}, "constitution": [], "status": "active"}}], "agents": []}),
        ),
    ];
    for (rt, doc) in broken {
        let (schemas, idx) = validator(rt);
        assert!(schemas.validate(&doc, idx).is_err(), "{rt} took {doc}");
    }
}

/// Each other runtime's example asked for a runtime that cannot express
/// it: GC406 for every rule and feature, nothing on stdout, exit 1.
#[test]
fn what_a_target_cannot_express_is_an_error_naming_rule_feature_and_runtime() {
    let mut report = String::new();
    for (from, to) in [
        ("kairro", "kaireon"),
        ("kairro", "orq"),
        ("kairro", "kore"),
        ("kore", "kairro"),
        ("kore", "orq"),
        ("orq", "kore"),
        ("kaireon", "kairro"),
    ] {
        let o = guardctl(&[
            "--format",
            "plain",
            "compile",
            "--target",
            to,
            &example(from),
        ]);
        assert_eq!(o.status.code(), Some(1), "{from} -> {to}");
        assert!(stdout(&o).is_empty(), "{from} -> {to} wrote output");
        let text = stderr(&o).replace(env!("CARGO_MANIFEST_DIR"), "");
        assert!(text.contains("GC406"), "{text}");
        report.push_str(&format!("== {from} --target {to}\n{text}"));
    }
    snapshot!("target__refusals", report);
}

/// Every target is deterministic: the same input, byte-identical output.
#[test]
fn targets_are_deterministic() {
    for rt in RUNTIMES {
        let a = stdout(&guardctl(&["compile", "--target", rt, &example(rt)]));
        let b = stdout(&guardctl(&["compile", "--target", rt, &example(rt)]));
        assert_eq!(a, b, "{rt}");
    }
}

/// `import --from RUNTIME`: each example's runtime JSON back into policy
/// text (snapshot), written under `-o DIR` and never over a file; a field
/// the importer cannot map is reported with its JSON path (exit 1).
#[test]
fn import_writes_canonical_policy_text() {
    let dir = tempfile::tempdir().unwrap();
    for rt in RUNTIMES {
        let json = dir.path().join(format!("{rt}.json"));
        std::fs::write(&json, stdout(&guardctl(&["compile", &example(rt)]))).unwrap();
        let o = guardctl(&["import", "--from", rt, json.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{rt}: {}", stderr(&o));
        snapshot!(format!("import__{rt}"), stdout(&o));
        let out = dir.path().join(format!("{rt}-out"));
        let o = guardctl(&[
            "import",
            "--from",
            rt,
            json.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let lint = guardctl(&["--format", "plain", "lint", out.to_str().unwrap()]);
        assert_eq!(lint.status.code(), Some(0), "{rt}: {}", stdout(&lint));
        // Never over an existing file.
        let again = guardctl(&[
            "import",
            "--from",
            rt,
            json.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(again.status.code(), Some(2));
        assert!(
            stderr(&again).contains("not overwritten"),
            "{}",
            stderr(&again)
        );
    }
    let odd = dir.path().join("odd.json");
    std::fs::write(
        &odd,
        r#"{"key": "k", "name": "K", "severity": "hard", "expressionAst": {"field": "offer.id", "operator": "eq", "value": "x"}, "tenantId": "t1", "colour": "red"}"#,
    )
    .unwrap();
    let o = guardctl(&["import", "--from", "kaireon", odd.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!stderr(&o).contains("tenantId"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("odd.json#/colour: warning: `colour` has no guardctl field"),
        "{}",
        stderr(&o)
    );
    assert!(
        stdout(&o).contains("  k:\n    kind: input\n"),
        "{}",
        stdout(&o)
    );
}

/// What each runtime's API returns, in its own shape (response envelopes,
/// server ids and timestamps, Kore's `{type, message}` actions, its two
/// same-named halves of `kind: both`, lower-case recognizer ids, Orq's
/// `project_id: ""`, KaireonAI's empty trees): imported into text that
/// lints clean, with every field that has no place reported (snapshot).
#[test]
fn imports_what_each_runtime_returns() {
    let mut report = String::new();
    let mut names: Vec<_> = std::fs::read_dir("tests/fixtures/import")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for path in names {
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        let rt = file.split('-').next().unwrap();
        let o = guardctl(&["import", "--from", rt, path.to_str().unwrap()]);
        let err = stderr(&o);
        assert!(!err.contains("in the imported text"), "{file}: {err}");
        assert!(o.status.code().unwrap() <= 1, "{file}: {err}");
        report.push_str(&format!(
            "== {file} (exit {})\n{err}{}\n",
            o.status.code().unwrap(),
            stdout(&o)
        ));
    }
    snapshot!("import__real_shapes", report);
}
