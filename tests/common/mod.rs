//! Helpers shared by the integration tests.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::process::{Command, Output};

/// Runs the real binary without colour.
pub fn guardctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_guardctl"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// Runs the real binary without colour, with extra environment variables.
pub fn guardctl_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_guardctl"))
        .args(args)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// Runs the real binary without colour, `input` on its standard input.
pub fn guardctl_with_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_guardctl"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Top-level cel-spec conformance sections outside the guardrail CEL subset
/// (spec §4), with the reason. Parsing and evaluation tests share the list.
pub const CEL_OUT_OF_SCOPE: &[(&str, &str)] = &[
    ("bindings_ext", "cel.bind extension"),
    (
        "block_ext",
        "cel.block extension (internal syntax with @index variables)",
    ),
    ("encoders_ext", "base64 encoders extension"),
    ("enums", "protobuf enums"),
    ("math_ext", "math extension"),
    ("optionals", "optional types extension"),
    ("proto2", "protobuf messages"),
    ("proto2_ext", "protobuf extensions"),
    ("proto3", "protobuf messages"),
    ("string_ext", "strings extension"),
    ("timestamps", "timestamp and duration types"),
    (
        "type_deductions",
        "type-checker deductions (checked types, not values)",
    ),
    ("wrappers", "protobuf wrapper types"),
    ("dynamic", "protobuf dynamic values"),
    ("namespace", "container name resolution"),
];

/// The cel-spec conformance suite vendored in `tests/suites/`.
pub fn cel_suite() -> serde_json::Value {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/suites/cel-conformance.json");
    serde_json::from_str(
        &std::fs::read_to_string(path).expect("tests/suites/cel-conformance.json is vendored"),
    )
    .unwrap()
}

/// Every test of a suite section, depth first.
pub fn cel_tests<'a>(suite: &'a serde_json::Value, out: &mut Vec<&'a serde_json::Value>) {
    if let Some(tests) = suite["tests"].as_array() {
        out.extend(tests);
    }
    if let Some(suites) = suite["suites"].as_array() {
        for s in suites {
            cel_tests(s, out);
        }
    }
}

/// An external tool the tests drive: `$VAR` or `default`, if it answers
/// `--version`. When `$REQUIRE` is set (as `.ci/run` sets it) a missing
/// tool fails the test; otherwise the test says it did not run.
pub fn external_tool(var: &str, default: &str, require: &str, what: &str) -> Option<String> {
    let exe = std::env::var(var).unwrap_or_else(|_| default.into());
    let ok = Command::new(&exe)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(exe);
    }
    assert!(
        std::env::var_os(require).is_none(),
        "{what} is required here but `{exe} --version` failed"
    );
    eprintln!("NOT RUN: {what} is not installed (.ci/run installs it)");
    None
}

/// Writes `files` (path, text) into a new temporary directory.
pub fn write_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}
