//! Word-level diff of two strings (`check`, `message`, `when` previews),
//! so a reviewer sees the one word that changed in a long expression.

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WordOp {
    Equal,
    Delete,
    Insert,
}

/// A run of text that is kept, deleted or inserted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Word {
    pub op: WordOp,
    pub text: String,
}

/// The word diff. A stretch of changed words (with the spaces between
/// them) becomes one deletion followed by one insertion, which reads as
/// "this phrase became that one" rather than alternating single words.
pub fn words(old: &str, new: &str) -> Vec<Word> {
    let diff = TextDiff::from_words(old, new);
    let tokens: Vec<(ChangeTag, &str)> = diff
        .iter_all_changes()
        .map(|c| (c.tag(), c.value()))
        .collect();
    let mut out: Vec<Word> = Vec::new();
    let push = |out: &mut Vec<Word>, op: WordOp, text: &str| {
        if text.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.op == op => last.text.push_str(text),
            _ => out.push(Word {
                op,
                text: text.to_string(),
            }),
        }
    };
    let mut i = 0;
    while let Some(&(tag, text)) = tokens.get(i) {
        if tag == ChangeTag::Equal {
            push(&mut out, WordOp::Equal, text);
            i += 1;
            continue;
        }
        // A hunk: changes, and whitespace that sits between two changes.
        let (mut del, mut ins) = (String::new(), String::new());
        while let Some(&(tag, text)) = tokens.get(i) {
            let between = tag == ChangeTag::Equal
                && text.trim().is_empty()
                && tokens
                    .get(i + 1)
                    .is_some_and(|(t, _)| *t != ChangeTag::Equal);
            match tag {
                ChangeTag::Delete => del.push_str(text),
                ChangeTag::Insert => ins.push_str(text),
                ChangeTag::Equal if between => {
                    del.push_str(text);
                    ins.push_str(text);
                }
                ChangeTag::Equal => break,
            }
            i += 1;
        }
        push(&mut out, WordOp::Delete, &del);
        push(&mut out, WordOp::Insert, &ins);
    }
    out
}

/// Plain rendering: `[-deleted-]{+inserted+}` (the `git diff --word-diff`
/// convention), for terminals without colour and for logs.
pub fn plain(words: &[Word]) -> String {
    words
        .iter()
        .map(|w| match w.op {
            WordOp::Equal => w.text.clone(),
            WordOp::Delete => format!("[-{}-]", w.text),
            WordOp::Insert => format!("{{+{}+}}", w.text),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_word_changes() {
        let w = words("Card numbers are masked", "Card numbers are blocked");
        assert_eq!(plain(&w), "Card numbers are [-masked-]{+blocked+}");
        let w = words(
            "masked before they reach a model",
            "masked before any model sees them",
        );
        assert_eq!(
            plain(&w),
            "masked before [-they reach a model-]{+any model sees them+}"
        );
    }
}
