//! The README's pre-commit hook, run by the real `pre-commit` (from PyPI)
//! on a repository that also holds CI workflows, a compose file and the
//! hook's own configuration: every YAML file is passed to guardctl, and
//! only guardctl files are judged.
//!
//! `.ci/run` installs pre-commit and sets `GUARDCTL_REQUIRE_PRE_COMMIT=1`,
//! so in CI a missing pre-commit fails this test; under a plain
//! `cargo test` without it the test says that it did not run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;
use std::process::Command;

mod common;

fn pre_commit() -> Option<String> {
    common::external_tool(
        "GUARDCTL_PRE_COMMIT",
        "pre-commit",
        "GUARDCTL_REQUIRE_PRE_COMMIT",
        "pre-commit",
    )
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn run_hooks(exe: &str, dir: &Path) -> (bool, String) {
    let o = Command::new(exe)
        .args(["run", "--all-files", "--color", "never"])
        .current_dir(dir)
        .env("PRE_COMMIT_HOME", dir.join(".cache"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), text)
}

#[test]
fn the_readme_hook_passes_a_repository_with_other_yaml() {
    let Some(exe) = pre_commit() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let guardctl = env!("CARGO_BIN_EXE_guardctl");
    // The README's hook, with the binary's path for `guardctl`.
    write(
        d,
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: local\n    hooks:\n      - id: guardctl\n        name: guardctl lint\n        entry: {guardctl} lint --deny-warnings\n        language: system\n        files: '\\.(ya?ml|guard|abl)$'\n"
        ),
    );
    write(
        d,
        ".github/workflows/ci.yml",
        "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: cargo test\n",
    );
    write(
        d,
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    ports: ['8080:80']\n",
    );
    write(
        d,
        "policies/support.yaml",
        "POLICY:\n  name: support\n  scope: project\n  project: support\nGUARDRAILS:\n  cards:\n    kind: output\n    entities: [CREDIT_CARD]\n    action: mask\n",
    );
    git(d, &["init", "-q"]);
    git(d, &["add", "-A"]);
    let (ok, text) = run_hooks(&exe, d);
    assert!(ok, "{text}");
    assert!(
        text.contains("guardctl lint") && text.contains("Passed"),
        "{text}"
    );

    // A misspelt section in a named file fails the hook.
    write(
        d,
        "policies/typo.yaml",
        "GUARDRAIL:\n  r:\n    kind: input\n",
    );
    git(d, &["add", "-A"]);
    let (ok, text) = run_hooks(&exe, d);
    assert!(!ok, "{text}");
    assert!(text.contains("GC007"), "{text}");
}
