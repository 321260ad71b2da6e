//! One fixture per diagnostic code (`tests/fixtures/lint/<CODE>-<name>`),
//! each holding violations and non-violations; one snapshot per fixture of
//! the plain rendering. Meta-test: every code has a fixture that raises it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};

use guardctl::ir::values::Timestamp;
use guardctl::lint::LintOptions;
use guardctl::lint::registry::CODES;
use guardctl::render::{self, Format, Summary};
use guardctl::workspace;

const FIXTURES: &str = "tests/fixtures/lint";

fn options() -> LintOptions {
    LintOptions {
        now: Timestamp::parse("2026-11-21").unwrap(),
    }
}

fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .map(|e| Path::new(FIXTURES).join(e.unwrap().file_name()))
        .collect();
    v.sort();
    v
}

/// Lints a fixture; returns (plain rendering, codes reported).
pub fn lint_fixture(path: &Path) -> (String, Vec<&'static str>) {
    let ws = workspace::load(&[path.to_path_buf()], &options()).unwrap();
    let text = render::diagnostics(
        Format::Plain,
        &ws.diagnostics,
        Summary::of(ws.file_count, &ws.diagnostics),
        false,
    );
    (text, ws.diagnostics.iter().map(|d| d.code.id()).collect())
}

#[test]
fn every_fixture_raises_its_code() {
    for path in fixtures() {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let code = name.split('-').next().unwrap();
        let (text, codes) = lint_fixture(&path);
        assert!(
            codes.contains(&code),
            "{name} does not raise {code}:\n{text}"
        );
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("lint__{name}"), text);
        });
    }
}

#[test]
fn every_code_has_a_fixture() {
    let names: Vec<String> = fixtures()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    for c in CODES {
        if matches!(c.id, "GC501" | "GC502" | "GC900" | "GC999") {
            continue; // Test-file, I/O and internal errors are covered by the CLI tests.
        }
        let expected = format!("{}-{}", c.id, c.name);
        assert!(
            names.iter().any(|n| n.starts_with(&expected)),
            "no fixture named {expected}[.yaml|.abl|/]"
        );
    }
}

#[test]
fn examples_lint_clean() {
    let ws = workspace::load(&[PathBuf::from("examples")], &options()).unwrap();
    let text = render::diagnostics(
        Format::Plain,
        &ws.diagnostics,
        Summary::of(ws.file_count, &ws.diagnostics),
        false,
    );
    assert!(ws.diagnostics.is_empty(), "{text}");
    assert!(ws.file_count >= 4);
}

#[test]
fn every_format_on_the_same_input() {
    let path = PathBuf::from(FIXTURES).join("GC306-agent-loosens-rule");
    let ws = workspace::load(&[path], &options()).unwrap();
    let summary = Summary::of(ws.file_count, &ws.diagnostics);
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("format__human", render::diagnostics(Format::Human, &ws.diagnostics, summary, false));
        insta::assert_snapshot!("format__plain", render::diagnostics(Format::Plain, &ws.diagnostics, summary, false));
        insta::assert_snapshot!("format__json", render::diagnostics(Format::Json, &ws.diagnostics, summary, false));
    });
}

#[test]
fn readme_catalog_lists_every_code() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    for c in CODES {
        let row = format!(
            "| {} | `{}` | {} | {} |",
            c.id,
            c.name,
            c.severity.as_str(),
            c.doc.replace('|', "\\|")
        );
        assert!(readme.contains(&row), "README rule catalog lacks `{row}`");
    }
    // The two set-up commands come first.
    let first_block = readme.split("```").nth(1).unwrap();
    assert!(first_block.contains("lint examples") && first_block.contains("cargo test"));
}
