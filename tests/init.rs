//! `guardctl init --runtime T`: for every runtime the starter repository
//! lints clean (warnings too), its policy tests pass, and it compiles for
//! its runtime (the default target, from its `guardctl.toml`), matching the
//! target's schema; a second `init` overwrites nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{guardctl, stderr, stdout};

#[test]
fn every_starter_lints_tests_and_compiles_clean() {
    for rt in ["guardctl", "kore", "kaireon", "orq", "kairro"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        let d = dir.to_str().unwrap();
        let o = guardctl(&["init", "--runtime", rt, d]);
        assert!(o.status.success(), "{rt}: {}", stderr(&o));
        assert!(stdout(&o).contains("guardctl.toml"), "{}", stdout(&o));
        assert!(dir.join(".pre-commit-config.yaml").is_file());
        let lint = guardctl(&["--format", "plain", "--deny-warnings", "lint", d]);
        assert_eq!(lint.status.code(), Some(0), "{rt}: {}", stdout(&lint));
        let test = guardctl(&["--format", "plain", "test", d]);
        assert_eq!(test.status.code(), Some(0), "{rt}: {}", stdout(&test));
        assert!(stdout(&test).contains(", 0 failed"), "{}", stdout(&test));
        let compile = guardctl(&["compile", d]);
        assert_eq!(compile.status.code(), Some(0), "{rt}: {}", stderr(&compile));
        let out: serde_json::Value = serde_json::from_str(&stdout(&compile)).unwrap();
        let schema = stdout(&guardctl(&["compile", "--schema", "--target", rt]));
        let schema: serde_json::Value = serde_json::from_str(&schema).unwrap();
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.add_resource("s.json", schema).unwrap();
        let idx = compiler.compile("s.json", &mut schemas).unwrap();
        if let Err(e) = schemas.validate(&out, idx) {
            panic!("{rt}: {e:#}");
        }
        if rt == "guardctl" {
            assert_eq!(out["schema"], "guardctl.bundle/v1");
        }
        // A second init leaves every file as it is.
        let toml = dir.join("guardctl.toml");
        std::fs::write(&toml, "# mine\n").unwrap();
        let again = guardctl(&["init", "--runtime", rt, d]);
        assert!(again.status.success());
        assert!(
            stderr(&again).contains("exists: left as it is"),
            "{}",
            stderr(&again)
        );
        assert!(!stdout(&again).contains("wrote"), "{}", stdout(&again));
        assert_eq!(std::fs::read_to_string(&toml).unwrap(), "# mine\n");
    }
}
