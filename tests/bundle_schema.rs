//! The bundle of every example (and of each example file alone) validates
//! against the JSON Schema shipped in `src/compile/bundle.schema.json`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use guardctl::compile::{bundle, digest};
use guardctl::ir::values::Timestamp;
use guardctl::lint::LintOptions;
use guardctl::workspace;

fn schemas() -> (boon::Schemas, boon::SchemaIndex) {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../src/compile/bundle.schema.json")).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler.add_resource("bundle.schema.json", schema).unwrap();
    let idx = compiler
        .compile("bundle.schema.json", &mut schemas)
        .unwrap();
    (schemas, idx)
}

fn validate(paths: &[PathBuf]) {
    let ws = workspace::load(
        paths,
        &LintOptions {
            now: Timestamp::parse("2026-11-21").unwrap(),
        },
    )
    .unwrap();
    assert_eq!(ws.errors(), 0, "{paths:?} must lint clean");
    let b = bundle(&ws.program);
    assert_eq!(b["digest"].as_str().unwrap(), digest(&b));
    let (schemas, idx) = schemas();
    if let Err(e) = schemas.validate(&b, idx) {
        panic!("{paths:?}: bundle does not match the schema:\n{e:#}");
    }
}

#[test]
fn example_bundles_match_the_schema() {
    validate(&[PathBuf::from("examples")]);
    for entry in walkdir::WalkDir::new("examples/policies").sort_by_file_name() {
        let e = entry.unwrap();
        if e.file_type().is_file() {
            validate(&[e.path().to_path_buf()]);
        }
    }
}

#[test]
fn the_schema_rejects_a_broken_bundle() {
    let ws = workspace::load(
        &[PathBuf::from("examples")],
        &LintOptions {
            now: Timestamp::parse("2026-11-21").unwrap(),
        },
    )
    .unwrap();
    let (schemas, idx) = schemas();
    let good = bundle(&ws.program);
    let mut bad_action = good.clone();
    bad_action["rules"][0]["action"] = serde_json::json!("deny");
    assert!(schemas.validate(&bad_action, idx).is_err());
    let mut missing = good.clone();
    missing["rules"][0].as_object_mut().unwrap().remove("kind");
    assert!(schemas.validate(&missing, idx).is_err());
    let mut extra = good;
    extra["surprise"] = serde_json::json!(1);
    assert!(schemas.validate(&extra, idx).is_err());
}
