//! The audit trail: semantic policy changes from git history as
//! hash-chained JSON lines, and the check that a trail was not altered.
//!
//! Each entry carries `prev_hash` (the previous entry's `hash`, 64 zeros
//! for the first) and `hash`: the sha256, in hex, of the entry's canonical
//! form without `hash` (compact JSON, keys sorted, `prev_hash` included).
//! Changing, removing, inserting or reordering an entry breaks the chain
//! at that point. Truncating the end or rewriting the whole chain leaves a
//! consistent chain; an anchor (the hash of the last entry, stored
//! elsewhere when sealed) catches those: a later chain must pass through it.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::diff::Change;
use crate::history::CommitChanges;
use crate::ir::values::Timestamp;

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// sha256 over the canonical entry without its `hash` member.
pub fn hash_of(entry: &Map<String, Value>) -> String {
    let mut m = entry.clone();
    m.remove("hash");
    // serde_json's map is ordered by key, so this is the canonical form.
    let canonical = Value::Object(m).to_string();
    let digest = Sha256::digest(canonical.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn change_json(c: &Change) -> Value {
    let mut m = Map::new();
    m.insert("what".into(), json!(c.what));
    if let Some(f) = &c.field {
        m.insert("field".into(), json!(f));
    }
    if let Some(f) = &c.renamed_from {
        m.insert("renamed_from".into(), json!(f));
    }
    m.insert("old".into(), c.old.clone());
    m.insert("new".into(), c.new.clone());
    Value::Object(m)
}

/// The trail's entries for a history (oldest first), chained.
pub fn entries(history: &[CommitChanges]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut prev = GENESIS.to_string();
    let mut seq = 0u64;
    for c in history {
        let common = |seq: u64| {
            json!({
                "seq": seq,
                "commit": c.id,
                "author": format!("{} <{}>", c.author, c.email),
                "time": Timestamp(c.time).to_rfc3339(),
                "subject": c.summary,
            })
        };
        let mut items: Vec<Value> = Vec::new();
        if !c.unparsable.is_empty() {
            seq += 1;
            let mut e = common(seq);
            if let Value::Object(m) = &mut e {
                m.insert("object".into(), Value::Null);
                m.insert(
                    "change".into(),
                    json!({"what": "unparsable", "files": c.unparsable}),
                );
                m.insert("classification".into(), json!("changed"));
                m.insert(
                    "reason".into(),
                    json!("policy files did not parse; their changes are recorded with the next commit that parses"),
                );
            }
            items.push(e);
        }
        for ch in &c.changes {
            seq += 1;
            let mut e = common(seq);
            if let Value::Object(m) = &mut e {
                m.insert(
                    "object".into(),
                    json!({"type": ch.object_type, "id": ch.object}),
                );
                m.insert("change".into(), change_json(ch));
                m.insert("classification".into(), json!(ch.class));
                m.insert("reason".into(), json!(ch.reason));
            }
            items.push(e);
        }
        for mut e in items {
            if let Value::Object(m) = &mut e {
                m.insert("prev_hash".into(), json!(prev));
                let h = hash_of(m);
                m.insert("hash".into(), json!(h));
                prev = h;
            }
            out.push(e);
        }
    }
    out
}

/// A trail that checks out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: usize,
    /// The last entry's hash (the anchor to seal), `GENESIS` when empty.
    pub last: String,
    /// With an anchor: the 1-based entry whose hash it is (0: the trail
    /// continues from it, exported `--since`).
    pub anchor_at: Option<usize>,
}

/// Where and how a trail is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// 1-based line of the file (0 when the problem is the file as a whole).
    pub line: usize,
    pub message: String,
}

/// Normalises an anchor as given (`sha256:` prefix and case allowed).
pub fn parse_anchor(s: &str) -> Option<String> {
    let h = s.trim();
    let h = h.strip_prefix("sha256:").unwrap_or(h).to_ascii_lowercase();
    (h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())).then_some(h)
}

/// Recomputes the chain of a trail file's text; names the first entry
/// that was altered, removed, inserted or reordered.
pub fn verify(text: &str, anchor: Option<&str>) -> Result<Verified, Broken> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines: Vec<&str> = if body.is_empty() {
        Vec::new()
    } else {
        body.split('\n').collect()
    };
    // First pass: every line must be an entry whose hash matches its
    // content; an entry that fails here was altered.
    let mut parsed: Vec<(u64, String, String)> = Vec::new();
    for (i, raw) in lines.iter().enumerate() {
        let line = i + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let Ok(Value::Object(m)) = serde_json::from_str::<Value>(raw) else {
            return Err(Broken {
                line,
                message: format!("line {line} is not a JSON audit entry: the file was altered"),
            });
        };
        let field = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
        let (Some(seq), Some(prev), Some(hash)) = (
            m.get("seq").and_then(Value::as_u64),
            field("prev_hash"),
            field("hash"),
        ) else {
            return Err(Broken {
                line,
                message: format!(
                    "entry on line {line} lacks `seq`, `prev_hash` or `hash`: it was altered"
                ),
            });
        };
        if hash_of(&m) != hash {
            return Err(Broken {
                line,
                message: format!(
                    "entry {seq} (line {line}) was altered: its content does not match its hash"
                ),
            });
        }
        parsed.push((seq, prev, hash));
    }
    // Second pass: the links. A trail exported `--since` an earlier export
    // continues that chain: it starts from the earlier part's last hash,
    // given as the anchor.
    let continues = anchor.and_then(parse_anchor).filter(|a| {
        parsed
            .first()
            .is_some_and(|(_, p, _)| p == a && p != GENESIS)
    });
    let (mut expected_prev, first_seq) = match (&continues, parsed.first()) {
        (Some(a), Some((seq, _, _))) => (a.clone(), *seq),
        _ => (GENESIS.to_string(), 1),
    };
    for (expected_seq, (i, (seq, prev, _))) in (first_seq..).zip(parsed.iter().enumerate()) {
        let line = i + 1;
        if *prev != expected_prev || *seq != expected_seq {
            let earlier = parsed.get(..i).unwrap_or_default();
            let later = parsed.get(i + 1..).unwrap_or_default();
            let what = if *seq < expected_seq {
                match earlier.iter().position(|(s, _, _)| s == seq) {
                    Some(j)
                        if earlier.get(j).is_some_and(|(_, _, h)| {
                            parsed.get(i).is_some_and(|(_, _, h2)| h == h2)
                        }) =>
                    {
                        format!(
                            "repeats the entry on line {} (an entry was duplicated)",
                            j + 1
                        )
                    }
                    Some(j) => format!(
                        "takes the place already held by the entry on line {} (an entry was inserted before it)",
                        j + 1
                    ),
                    None => "is out of order (entries were reordered)".to_string(),
                }
            } else if *seq > expected_seq {
                if later.iter().any(|(s, _, _)| *s == expected_seq) {
                    "is out of order (entries were reordered)".to_string()
                } else {
                    "follows a gap (entries before it were removed)".to_string()
                }
            } else {
                "does not chain to the entry before it (an entry was replaced)".to_string()
            };
            let message = if i == 0 && *prev != GENESIS && *seq > 1 {
                format!(
                    "entry {seq} (line 1) follows a gap (entries before it were removed), or continues an earlier trail from {}: give that trail's seal with --anchor to verify a continuation",
                    short_hash(prev)
                )
            } else {
                format!(
                    "entry {seq} (line {line}) {what}: expected entry {expected_seq} chained to {}",
                    short_hash(&expected_prev)
                )
            };
            return Err(Broken { line, message });
        }
        expected_prev = parsed.get(i).map(|(_, _, h)| h.clone()).unwrap_or_default();
    }
    let anchor_at = match anchor {
        None => None,
        // The continuation starts right after the anchor.
        Some(_) if continues.is_some() => Some(0),
        Some(a) => {
            let Some(a) = parse_anchor(a) else {
                return Err(Broken {
                    line: 0,
                    message: format!("anchor `{a}` is not a sha256 hash (64 hex digits)"),
                });
            };
            match parsed.iter().position(|(_, _, h)| *h == a) {
                Some(i) => Some(i + 1),
                None => {
                    return Err(Broken {
                        line: 0,
                        message: format!(
                            "the chain does not pass through anchor {}: sealed entries were removed or the chain was rewritten",
                            short_hash(&a)
                        ),
                    });
                }
            }
        }
    };
    Ok(Verified {
        entries: parsed.len(),
        last: parsed
            .last()
            .map_or_else(|| GENESIS.to_string(), |(_, _, h)| h.clone()),
        anchor_at,
    })
}

fn short_hash(h: &str) -> String {
    h.chars().take(12).collect()
}
