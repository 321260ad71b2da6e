//! `diff`, `log` and `audit` against real git repositories built here with
//! git2: several commits with fixed authors and times (so commit ids and
//! outputs are stable), a linked worktree, a shallow clone, uncommitted
//! changes, and an exported audit trail tampered with in every way.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use git2::{Repository, Signature, Time};

const V1: &str = "\
POLICY:
  name: support
  scope: project
  project: support
  fail_mode: closed

PROVIDERS:
  guard:
    adapter: lakera
    default_threshold: 0.5

GUARDRAILS:
  jailbreak:
    kind: input
    provider: guard
    category: jailbreak
    threshold: 0.6
    action: block
    when: \"identity.team in ['support', 'sales']\"
  cards:
    kind: output
    entities: [CREDIT_CARD, US_SSN]
    action: mask
    message: \"Card numbers are masked\"

CAPS:
  daily-spend:
    scope: {team: support}
    window: day
    limit_usd: 5
    action: require_approval
    approval_chain: finance

APPROVAL_CHAINS:
  finance:
    steps:
      - approvers: [budget_owner]
      - approvers: [cfo@example.com]
    timeout: 24h

EXCEPTIONS:
  launch:
    target: cap/daily-spend
    scope: {team: support}
    expires: 2026-12-31
    reason: launch week
    status: approved
    approved_by: cfo@example.com
";

/// V1 reformatted: keys reordered, comments and blank lines added, flow
/// and block lists swapped. Not a semantic change.
const V2: &str = "\
# Support project policy.
POLICY:
  name: support
  project: support
  scope: project
  fail_mode: closed   # unevaluated checks fail

PROVIDERS:
  guard:
    default_threshold: 0.5
    adapter: lakera

GUARDRAILS:
  cards:
    kind: output
    entities:
      - CREDIT_CARD
      - US_SSN
    action: mask
    message: 'Card numbers are masked'

  jailbreak:
    action: block
    kind: input
    provider: guard
    category: jailbreak
    threshold: 0.6
    when: \"identity.team in ['support', 'sales']\"

CAPS:
  daily-spend:
    scope: {team: support}
    window: day
    limit_usd: 5
    action: require_approval
    approval_chain: finance

APPROVAL_CHAINS:
  finance:
    steps:
      - approvers: [budget_owner]
      - approvers: [cfo@example.com]
    timeout: 24h

EXCEPTIONS:
  launch:
    target: cap/daily-spend
    scope: {team: support}
    expires: 2026-12-31
    reason: launch week
    status: approved
    approved_by: cfo@example.com
";

fn loosen(v: &str) -> String {
    v.replace("threshold: 0.6", "threshold: 0.8")
        .replace("action: block", "action: warn")
        .replace("['support', 'sales']", "['support']")
        .replace("limit_usd: 5", "limit_usd: 20")
        .replace("      - approvers: [cfo@example.com]\n", "")
        .replace("expires: 2026-12-31", "expires: 2027-03-31")
        .replace("Card numbers are masked", "Card numbers are always masked")
}

fn rename_and_tighten(v: &str) -> String {
    loosen(v)
        .replace("  cards:\n", "  card_numbers:\n")
        .replace("[CREDIT_CARD, US_SSN]", "[CREDIT_CARD, US_SSN, IBAN_CODE]")
        .replace("      - US_SSN\n", "      - US_SSN\n      - IBAN_CODE\n")
        .replace("fail_mode: closed", "fail_mode: open")
}

/// A repository in a temporary directory with commits made by git2.
struct Repo {
    dir: tempfile::TempDir,
    repo: Repository,
    commits: Vec<git2::Oid>,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        Repo {
            dir,
            repo,
            commits: Vec::new(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Commits every file of the work tree, one day after the last commit.
    fn commit(&mut self, author: &str, message: &str) -> git2::Oid {
        let mut index = self.repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let when = Time::new(1_780_000_000 + 86_400 * self.commits.len() as i64, 0);
        let sig = Signature::new(
            author,
            &format!("{}@example.com", author.to_lowercase()),
            &when,
        )
        .unwrap();
        let parents: Vec<git2::Commit> = self
            .commits
            .last()
            .map(|id| self.repo.find_commit(*id).unwrap())
            .into_iter()
            .collect();
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        let id = self
            .repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parent_refs)
            .unwrap();
        self.commits.push(id);
        id
    }

    /// The history every test starts from.
    fn standard() -> Repo {
        let mut r = Repo::new();
        r.write("policies/support.yaml", V1);
        r.write("README.md", "not a policy\n");
        r.commit("Alice", "Add the support policy");
        r.write("policies/support.yaml", V2);
        r.commit("Bob", "Reformat the support policy");
        r.write("policies/support.yaml", &loosen(V2));
        r.commit("Carol", "Loosen the jailbreak guard for launch");
        r.write("policies/support.yaml", &rename_and_tighten(V2));
        r.commit("Alice", "Rename cards, add IBAN, fail open");
        r
    }

    fn id(&self, n: usize) -> String {
        self.commits[n].to_string()
    }

    fn run(&self, args: &[&str]) -> Output {
        run_in(self.path(), args)
    }
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_guardctl"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn reformatting_is_no_change() {
    let r = Repo::standard();
    let out = r.run(&[
        "diff",
        "--base",
        &r.id(0),
        "--head",
        &r.id(1),
        "--fail-on",
        "any",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert!(common::stdout(&out).contains("no semantic changes"));
}

#[test]
fn diff_between_revisions_in_every_format() {
    let r = Repo::standard();
    let (b, h) = (r.id(1), r.id(3));
    let human = r.run(&["diff", "--base", &b, "--head", &h]);
    assert_eq!(human.status.code(), Some(0), "{}", common::stderr(&human));
    let text = common::stdout(&human)
        .replace(&b, "BASE")
        .replace(&h, "HEAD");
    snapshot("diff__human", &text);
    // The rename is one change, not a removal and an addition.
    assert!(text.contains("renamed from support/cards"));
    assert!(!text.contains("removed (rule removed)"));

    let md = r.run(&["diff", "--base", &b, "--head", &h, "--format", "markdown"]);
    let text = common::stdout(&md).replace(&b, "BASE").replace(&h, "HEAD");
    snapshot("diff__markdown", &text);
    assert!(text.starts_with("### "));

    let json = r.run(&["diff", "--base", &b, "--head", &h, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["schema"], "guardctl.diff/v1");
    let text = serde_json::to_string_pretty(&v)
        .unwrap()
        .replace(&b, "BASE")
        .replace(&h, "HEAD");
    snapshot("diff__json", &text);

    let fail = r.run(&["diff", "--base", &b, "--head", &h, "--fail-on", "looser"]);
    assert_eq!(fail.status.code(), Some(1));
    let ok = r.run(&[
        "diff",
        "--base",
        &r.id(0),
        "--head",
        &r.id(1),
        "--fail-on",
        "looser",
    ]);
    assert_eq!(ok.status.code(), Some(0));
}

#[test]
fn classification_of_each_change() {
    let r = Repo::standard();
    let out = r.run(&[
        "diff",
        "--base",
        &r.id(1),
        "--head",
        &r.id(2),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let class = |object: &str, field: &str| -> String {
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["object"] == object && c["field"] == field)
            .map(|c| c["class"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no change to {object}.{field} in {v:#}"))
    };
    assert_eq!(class("support/jailbreak", "action"), "looser");
    assert_eq!(class("support/jailbreak", "threshold"), "looser");
    assert_eq!(class("support/jailbreak", "when"), "looser");
    assert_eq!(class("support/daily-spend", "limit_usd"), "looser");
    assert_eq!(class("support/finance", "steps[1]"), "looser");
    assert_eq!(class("support/launch", "expires"), "looser");
    assert_eq!(class("support/cards", "message"), "neutral");
    // Both source locations are given for a field change.
    let c = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "threshold")
        .unwrap();
    assert_eq!(c["old_location"]["line"], 27);
    assert_eq!(c["new_location"]["file"], "policies/support.yaml");
}

#[test]
fn files_and_directories_are_compared_without_git() {
    let dir = tempfile::tempdir().unwrap();
    for (sub, text) in [("old", V1.to_string()), ("new", loosen(V1))] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        std::fs::write(dir.path().join(sub).join("p.yaml"), text).unwrap();
    }
    let out = run_in(dir.path(), &["diff", "old", "new", "--fail-on", "looser"]);
    assert_eq!(out.status.code(), Some(1));
    let text = common::stdout(&out);
    assert!(text.contains("action: block → warn"), "{text}");
    let files = run_in(dir.path(), &["diff", "old/p.yaml", "new/p.yaml"]);
    assert_eq!(
        common::stdout(&files).lines().skip(1).collect::<Vec<_>>(),
        text.lines().skip(1).collect::<Vec<_>>()
    );
    let usage = run_in(dir.path(), &["diff", "old"]);
    assert_eq!(usage.status.code(), Some(2));
    // A file named on the command line that is not a guardctl file, or
    // does not parse, is refused rather than read as an empty policy.
    std::fs::write(dir.path().join("other.yaml"), "foo: bar\n").unwrap();
    std::fs::write(
        dir.path().join("broken.yaml"),
        "GUARDRAILS:\n  r:\n    kind: [\n",
    )
    .unwrap();
    for (old, new, code) in [
        ("other.yaml", "new/p.yaml", "GC007"),
        ("old/p.yaml", "broken.yaml", "GC004"),
    ] {
        let out = run_in(dir.path(), &["diff", old, new]);
        assert_eq!(out.status.code(), Some(2), "{old} {new}");
        let err = common::stderr(&out);
        assert!(err.contains(code) && err.contains("cannot diff"), "{err}");
        assert!(common::stdout(&out).is_empty());
    }
}

#[test]
fn uncommitted_work_is_the_default_head_also_in_a_worktree() {
    let r = Repo::standard();
    r.write(
        "policies/support.yaml",
        &rename_and_tighten(V2).replace("action: warn", "action: block"),
    );
    let out = r.run(&["diff", "--base", "HEAD", "--format", "plain"]);
    let text = common::stdout(&out);
    assert!(text.contains("action: warn → block"), "{text}");
    assert!(text.contains("1 tighter"), "{text}");

    // A linked worktree at the first commit sees its own files.
    let wt_dir = tempfile::tempdir().unwrap();
    let wt_path = wt_dir.path().join("wt");
    let branch = r
        .repo
        .branch("old", &r.repo.find_commit(r.commits[0]).unwrap(), false)
        .unwrap();
    let mut opts = git2::WorktreeAddOptions::new();
    let reference = branch.into_reference();
    opts.reference(Some(&reference));
    r.repo.worktree("old", &wt_path, Some(&opts)).unwrap();
    let out = run_in(&wt_path, &["diff", "--base", &r.id(3), "--format", "plain"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let text = common::stdout(&out);
    assert!(text.contains("renamed from support/card_numbers"), "{text}");
}

#[test]
fn shallow_clone_without_the_base_is_a_clear_error() {
    let r = Repo::standard();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", r.path().display());
    let status = Command::new("git")
        .args(["clone", "-q", "--depth", "1", &url, "shallow"])
        .current_dir(dir.path())
        .status()
        .expect("git is installed");
    assert!(status.success());
    let out = run_in(&dir.path().join("shallow"), &["diff", "--base", &r.id(0)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("shallow clone"),
        "{}",
        common::stderr(&out)
    );
    let log = run_in(&dir.path().join("shallow"), &["log"]);
    assert_eq!(log.status.code(), Some(0), "{}", common::stderr(&log));
}

#[test]
fn a_repository_without_commits_says_so() {
    let dir = tempfile::tempdir().unwrap();
    Repository::init(dir.path()).unwrap();
    for args in [
        &["diff", "--base", "HEAD"][..],
        &["log"],
        &["audit", "export"],
    ] {
        let out = run_in(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            common::stderr(&out).contains("no commits yet"),
            "{args:?}: {}",
            common::stderr(&out)
        );
    }
}

#[test]
fn paths_are_placed_in_the_repository_or_refused() {
    let r = Repo::standard();
    let (base, head) = (r.id(2), r.id(3));
    let diff = |dir: &Path, path: &str| {
        run_in(
            dir,
            &[
                "diff", "--base", &base, "--head", &head, "--format", "json", path,
            ],
        )
    };
    // The same policy named relative, absolute and from a subdirectory.
    let abs = r.path().join("policies").to_string_lossy().to_string();
    let sub = r.path().join("policies");
    let outs = [
        diff(r.path(), "policies"),
        diff(r.path(), &abs),
        diff(&sub, "."),
        diff(&sub, "../policies/support.yaml"),
    ];
    for out in &outs {
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(out));
    }
    let changes = |o: &Output| {
        let v: serde_json::Value = serde_json::from_str(&common::stdout(o)).unwrap();
        v["changes"].as_array().unwrap().len()
    };
    assert!(changes(&outs[0]) > 0);
    assert!(outs.iter().all(|o| changes(o) == changes(&outs[0])));
    // Outside the work tree, or named in neither revision: an error, never
    // "no semantic changes".
    let outside = tempfile::tempdir().unwrap();
    for (dir, path, says) in [
        (
            r.path(),
            outside.path().to_string_lossy().to_string(),
            "outside the repository",
        ),
        (sub.as_path(), "../..".to_string(), "outside the repository"),
        (r.path(), "polices".to_string(), "is in neither"),
    ] {
        let out = diff(dir, &path);
        assert_eq!(out.status.code(), Some(2), "{path}");
        assert!(
            common::stderr(&out).contains(says),
            "{path}: {}",
            common::stderr(&out)
        );
    }
    let log = run_in(
        r.path(),
        &["log", "--path", &outside.path().to_string_lossy()],
    );
    assert_eq!(log.status.code(), Some(2), "{}", common::stderr(&log));
}

#[test]
fn not_a_repository_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["diff", "--base", "HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("not in a git repository"));
}

#[test]
fn log_of_everything_and_of_one_rule() {
    let r = Repo::standard();
    let all = r.run(&["log"]);
    assert_eq!(all.status.code(), Some(0), "{}", common::stderr(&all));
    snapshot("log__all", &common::stdout(&all));
    // The reformatting commit changed nothing.
    assert!(!common::stdout(&all).contains("Reformat"));

    // A misspelt name is an error with a suggestion, not an empty history.
    let typo = r.run(&["log", "card_numbrs"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        common::stderr(&typo).contains("did you mean `card_numbers`?"),
        "{}",
        common::stderr(&typo)
    );

    // Following the rule back through its rename.
    let one = r.run(&["log", "card_numbers"]);
    let text = common::stdout(&one);
    snapshot("log__card_numbers", &text);
    assert!(text.contains("Add the support policy"), "{text}");

    let json = r.run(&["log", "jailbreak", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let commits: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        commits,
        [
            "Loosen the jailbreak guard for launch",
            "Add the support policy"
        ]
    );
}

fn export(r: &Repo) -> (PathBuf, String) {
    let path = r.path().join("audit.jsonl");
    let out = r.run(&["audit", "export", "-o", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

#[test]
fn audit_export_verify_seal() {
    let r = Repo::standard();
    let (path, text) = export(&r);
    snapshot("audit__export", &text);
    let verify = r.run(&["audit", "verify", path.to_str().unwrap()]);
    assert_eq!(verify.status.code(), Some(0), "{}", common::stderr(&verify));
    let seal = r.run(&["audit", "seal", path.to_str().unwrap()]);
    let anchor = common::stdout(&seal).trim().to_string();
    assert!(anchor.starts_with("sha256:"));
    let verify = r.run(&[
        "audit",
        "verify",
        path.to_str().unwrap(),
        "--anchor",
        &anchor,
    ]);
    assert!(common::stdout(&verify).contains("ends in the anchor"));

    // Exporting again gives the same bytes; `--since` starts later.
    assert_eq!(export(&r).1, text);
    let since = r.run(&["audit", "export", "--since", &r.id(2)]);
    let lines: Vec<serde_json::Value> = common::stdout(&since)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|e| e["commit"] == r.id(3)));

    // `--since` continues the chain: the earlier part and the continuation
    // together are the whole trail, byte for byte, and the continuation
    // alone verifies against the earlier part's seal.
    let continuation = common::stdout(&since);
    let earlier: String = text
        .lines()
        .filter(|l| !l.contains(&r.id(3)))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(format!("{earlier}{continuation}"), text);
    let dir = tempfile::tempdir().unwrap();
    let (first, rest) = (
        dir.path().join("first.jsonl"),
        dir.path().join("rest.jsonl"),
    );
    std::fs::write(&first, &earlier).unwrap();
    std::fs::write(&rest, &continuation).unwrap();
    let seal = common::stdout(&r.run(&["audit", "seal", first.to_str().unwrap()]));
    let alone = r.run(&["audit", "verify", rest.to_str().unwrap()]);
    assert_eq!(
        alone.status.code(),
        Some(1),
        "a continuation needs its anchor"
    );
    let said = format!("{}{}", common::stdout(&alone), common::stderr(&alone));
    assert!(said.contains("continues an earlier trail"), "{said}");
    let joined = r.run(&[
        "audit",
        "verify",
        rest.to_str().unwrap(),
        "--anchor",
        seal.trim(),
    ]);
    assert_eq!(joined.status.code(), Some(0), "{}", common::stdout(&joined));
    assert!(common::stdout(&joined).contains("continues the chain from the anchor"));
}

/// Rewrites every hash so the chain is consistent again (what someone
/// covering their tracks would do).
fn rechain(lines: &mut [serde_json::Value]) {
    let mut prev = guardctl::audit::GENESIS.to_string();
    for (i, e) in lines.iter_mut().enumerate() {
        let m = e.as_object_mut().unwrap();
        m.insert("seq".into(), serde_json::json!(i + 1));
        m.insert("prev_hash".into(), serde_json::json!(prev));
        let h = guardctl::audit::hash_of(m);
        m.insert("hash".into(), serde_json::json!(h));
        prev = h;
    }
}

#[test]
fn every_kind_of_tampering_is_caught() {
    let r = Repo::standard();
    let (path, text) = export(&r);
    let anchor = common::stdout(&r.run(&["audit", "seal", path.to_str().unwrap()]))
        .trim()
        .to_string();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(lines.len() >= 6, "{text}");
    let parsed: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let join = |ls: &[String]| ls.iter().map(|l| format!("{l}\n")).collect::<String>();
    let to_lines = |vs: &[serde_json::Value]| vs.iter().map(|v| v.to_string()).collect::<Vec<_>>();

    let mut cases: Vec<(&str, String, Option<&str>, &str)> = Vec::new();
    // A field altered.
    let mut l = lines.clone();
    l[2] = l[2]
        .replace(
            "\"classification\":\"looser\"",
            "\"classification\":\"neutral\"",
        )
        .replace(
            "\"classification\":\"tighter\"",
            "\"classification\":\"neutral\"",
        );
    cases.push(("altered field", join(&l), None, "line 3"));
    // A hash altered.
    let mut v = parsed.clone();
    v[1]["hash"] = serde_json::json!("f".repeat(64));
    cases.push(("altered hash", join(&to_lines(&v)), None, "line 2"));
    // First, middle and last entries removed.
    cases.push(("first removed", join(&lines[1..]), None, "gap"));
    let mut l = lines.clone();
    l.remove(3);
    cases.push(("middle removed", join(&l), None, "gap"));
    cases.push((
        "last removed",
        join(&lines[..lines.len() - 1]),
        Some(anchor.as_str()),
        "anchor",
    ));
    // Two entries swapped.
    let mut l = lines.clone();
    l.swap(2, 3);
    cases.push(("reordered", join(&l), None, "out of order"));
    // An entry duplicated.
    let mut l = lines.clone();
    l.insert(3, lines[2].clone());
    cases.push(("duplicated", join(&l), None, "duplicated"));
    // A forged entry inserted with a valid hash of its own.
    let mut v = parsed.clone();
    let mut forged = v[2].clone();
    forged["classification"] = serde_json::json!("neutral");
    let m = forged.as_object_mut().unwrap();
    let h = guardctl::audit::hash_of(m);
    m.insert("hash".into(), serde_json::json!(h));
    v.insert(3, forged);
    cases.push(("inserted", join(&to_lines(&v)), None, "line 4"));
    // The whole chain rewritten consistently after an edit: only the
    // anchor shows it.
    let mut v = parsed.clone();
    v[1]["author"] = serde_json::json!("Mallory <m@example.com>");
    rechain(&mut v);
    cases.push((
        "rewritten",
        join(&to_lines(&v)),
        Some(anchor.as_str()),
        "anchor",
    ));
    // Broken lines.
    let mut l = lines.clone();
    let half = l[4].len() / 2;
    l[4].truncate(half);
    cases.push(("truncated line", join(&l), None, "line 5"));
    let mut l = lines.clone();
    l.insert(2, String::new());
    cases.push(("blank line", join(&l), None, "line 3"));

    let tampered = r.path().join("tampered.jsonl");
    for (name, content, anchor, expect) in cases {
        std::fs::write(&tampered, content).unwrap();
        let mut args = vec!["audit", "verify", tampered.to_str().unwrap()];
        if let Some(a) = anchor {
            args.extend(["--anchor", a]);
        }
        let out = r.run(&args);
        let err = common::stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: not caught\n{err}");
        assert!(err.contains(expect), "{name}: `{expect}` not in: {err}");
    }
    // The untouched file still verifies against the anchor.
    let ok = r.run(&[
        "audit",
        "verify",
        path.to_str().unwrap(),
        "--anchor",
        &anchor,
    ]);
    assert_eq!(ok.status.code(), Some(0));
}

#[test]
fn traces_show_the_impact_of_a_change() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let old = root.join("examples/policies");
    let new = dir.path().join("new");
    std::fs::create_dir_all(&new).unwrap();
    for f in ["tenant.yaml", "payments.yaml"] {
        let text = std::fs::read_to_string(old.join(f)).unwrap();
        // Card numbers are no longer masked: a looser change.
        let text = text.replace(
            "entities: [CREDIT_CARD, IBAN_CODE, US_BANK_NUMBER]",
            "entities: [IBAN_CODE, US_BANK_NUMBER]",
        );
        std::fs::write(new.join(f), text).unwrap();
    }
    let trace = root.join("examples/traces/payments.jsonl");
    let out = run_in(
        dir.path(),
        &[
            "diff",
            old.to_str().unwrap(),
            "new",
            "--traces",
            trace.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["looser"], 2, "{v:#}");
    let impact = &v["impact"];
    assert!(impact["events"].as_u64().unwrap() > 1000);
    assert!(impact["changed_count"].as_u64().unwrap() > 0, "{impact:#}");
    // Excerpts of changed events never show the card numbers themselves.
    let changed = impact["changed"].as_array().unwrap();
    assert!(
        changed
            .iter()
            .all(|c| !c["excerpt"].as_str().unwrap().contains("4111"))
    );
}

/// A file or directory renamed between the revisions is read under its
/// old name at the base, so its rules pair instead of all showing as
/// added; the work tree's renames count too, untracked ones included.
#[test]
fn renamed_paths_are_followed_to_their_old_names() {
    let mut r = Repo::standard();
    let text = std::fs::read_to_string(r.path().join("policies/support.yaml")).unwrap();
    std::fs::remove_file(r.path().join("policies/support.yaml")).unwrap();
    r.write("policies/renamed.yaml", &text);
    r.commit("Bob", "Rename the support policy file");
    std::fs::rename(r.path().join("policies"), r.path().join("guardrails")).unwrap();
    let edited = text.replace("threshold: 0.8", "threshold: 0.9");
    assert_ne!(edited, text);
    r.write("guardrails/renamed.yaml", &edited);
    let json = |o: &Output| -> serde_json::Value {
        assert_eq!(o.status.code(), Some(0), "{}", common::stderr(o));
        serde_json::from_str(&common::stdout(o)).unwrap()
    };
    // `log` follows the file back too: the rename commit changes nothing,
    // and the history before it is the old file's.
    let log = r.run(&["--format", "json", "log", "--path", "policies/renamed.yaml"]);
    let commits = json(&log);
    let commits = commits.as_array().unwrap();
    let full = r.run(&["--format", "json", "log", "--path", "policies/support.yaml"]);
    let ids = |v: &[serde_json::Value]| -> Vec<String> {
        v.iter()
            .map(|c| c["commit"].as_str().unwrap().to_string())
            .collect()
    };
    // The old path's log ends with the rename, where its rules all go.
    let mut before_rename = ids(json(&full).as_array().unwrap());
    assert_eq!(before_rename.first(), Some(&r.id(4)));
    before_rename.remove(0);
    assert_eq!(ids(commits), before_rename);
    let (base, head) = (r.id(3), r.id(4));
    for path in ["policies/renamed.yaml", "policies"] {
        let out = r.run(&[
            "diff", "--base", &base, "--head", &head, "--format", "json", path,
        ]);
        assert_eq!(json(&out)["changes"], serde_json::json!([]), "{path}");
        // The directory is in both revisions: nothing to follow there.
        assert_eq!(
            common::stderr(&out).contains("`policies/renamed.yaml` was `policies/support.yaml`"),
            path.ends_with(".yaml"),
            "{}",
            common::stderr(&out)
        );
    }
    // Against the work tree: the directory moved (untracked) and the file
    // loosened; only the loosening shows.
    let out = r.run(&[
        "diff",
        "--base",
        &base,
        "--format",
        "json",
        "guardrails/renamed.yaml",
    ]);
    let v = json(&out);
    let changes = v["changes"].as_array().unwrap();
    assert!(!changes.is_empty());
    assert!(
        changes.iter().all(|c| c["what"] == "modified"),
        "{changes:?}"
    );
}

/// A revision is read with the `guardctl.toml` it had: the same checks
/// under the same polarity are no change, a flipped polarity is one.
#[test]
fn guardctl_toml_polarity_at_each_revision() {
    let mut r = Repo::new();
    let policy = "POLICY:\n  name: kore\n  scope: tenant\nGUARDRAILS:\n  keyword:\n    kind: input\n    check: abl.matches_pattern(input, 'BLOCKED')\n    action: block\n";
    r.write("policies/kore.yaml", policy);
    r.write("guardctl.toml", "check_polarity = \"violation\"\n");
    r.commit("Alice", "Kore policy");
    let o = r.run(&["--format", "json", "diff", "--base", "HEAD"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["changes"].as_array().map(Vec::len), Some(0), "{v}");
    r.write("guardctl.toml", "check_polarity = \"pass\"\n");
    let o = r.run(&["--format", "json", "diff", "--base", "HEAD"]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(text.contains("check_polarity"), "{text}");
    r.commit("Bob", "Back to pass");
    let o = r.run(&["--format", "json", "log"]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(text.contains("check_polarity changed"), "{text}");
}
