//! `guardctl.toml` (spec §10): the repository's settings, found upward
//! from the paths given (the first one that has it, nearest first). Read
//! today: `check_polarity`, what `check` means where a policy does not say
//! (`pass`, the default, or `violation`, as Kore's current runtime reads
//! it), and `runtime`, where policies that name none are deployed (their
//! defaults, decision rules and compile target). The specification's other
//! settings (`now`, lint levels, ignores, where files live) are refused
//! with GC101 until they take effect, so none is read and silently ignored.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::ir::enums::{Named, Polarity, Runtime};
use crate::lint::registry::Code;
use crate::source::{SourceFile, Span};

/// The file's name.
pub const NAME: &str = "guardctl.toml";

/// Keys of the specification guardctl does not read yet.
const NOT_YET: &[&str] = &[
    "now", "lint", "rules", "ignore", "policies", "agents", "tests", "traces",
];

/// Keys read.
const KEYS: &[&str] = &["check_polarity", "runtime"];

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Config {
    pub check_polarity: Option<Polarity>,
    pub runtime: Option<Runtime>,
}

/// A string key whose value is one of an enum's names.
fn read_named<E: Named>(
    file: &Arc<SourceFile>,
    key: &str,
    item: &toml_edit::Item,
    help: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<E> {
    let value_at = span(item.span());
    let Some(v) = item.as_str() else {
        diags.push(Diagnostic::new(
            Code::WrongType,
            file,
            value_at,
            format!("`{key}` must be a string: {}", E::NAMES.join(", ")),
        ));
        return None;
    };
    let found = E::parse(v);
    if found.is_none() {
        diags.push(
            Diagnostic::new(
                Code::UnknownEnumValue,
                file,
                value_at,
                format!("`{key}` is `{v}`"),
            )
            .with_help(help),
        );
    }
    found
}

/// The nearest `guardctl.toml` at or above the directories of `paths`.
pub fn find(paths: &[PathBuf]) -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    for p in paths {
        let start = if p.as_os_str() == "-" {
            cwd.clone()
        } else {
            let abs = if p.is_absolute() {
                p.clone()
            } else {
                cwd.join(p)
            };
            if abs.is_dir() {
                abs
            } else {
                abs.parent().map_or_else(|| cwd.clone(), Path::to_path_buf)
            }
        };
        let mut dir = Some(start.as_path());
        while let Some(d) = dir {
            let candidate = d.join(NAME);
            if candidate.is_file() {
                return Some(candidate);
            }
            dir = d.parent();
        }
    }
    None
}

/// Reads the file at `path`, shown as `display`.
pub fn load(path: &Path, display: &str) -> (Config, Vec<Diagnostic>) {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&SourceFile::new(display.to_string(), text)),
        Err(e) => (
            Config::default(),
            vec![Diagnostic::unlocated(
                Code::Io,
                format!("cannot read `{display}`: {e}"),
            )],
        ),
    }
}

fn span(r: Option<std::ops::Range<usize>>) -> Span {
    r.map_or(Span::point(0), |r| Span {
        start: r.start,
        end: r.end,
    })
}

/// Reads a `guardctl.toml`'s text.
pub fn parse(file: &Arc<SourceFile>) -> (Config, Vec<Diagnostic>) {
    let mut cfg = Config::default();
    let mut diags = Vec::new();
    let doc = match toml_edit::Document::parse(file.text.to_string()) {
        Ok(d) => d,
        Err(e) => {
            diags.push(
                Diagnostic::new(
                    Code::InvalidSyntax,
                    file,
                    span(e.span()),
                    e.message().trim(),
                )
                .with_help("guardctl.toml is TOML (https://toml.io)"),
            );
            return (cfg, diags);
        }
    };
    for (key, item) in doc.as_table().iter() {
        let at = span(doc.as_table().key(key).and_then(toml_edit::Key::span));
        if key == "check_polarity" {
            cfg.check_polarity = read_named(
                file,
                key,
                item,
                "one of `pass` (check true = the content passes) or `violation` (check true = the rule fires)",
                &mut diags,
            );
        } else if key == "runtime" {
            cfg.runtime = read_named(
                file,
                key,
                item,
                "one of guardctl, kore, kaireon, orq, kairro",
                &mut diags,
            );
        } else if NOT_YET.contains(&key) {
            diags.push(
                Diagnostic::new(
                    Code::UnknownKey,
                    file,
                    at,
                    format!("`{key}` in guardctl.toml is not read by this version"),
                )
                .with_help("guardctl.toml sets `check_polarity` and `runtime` today; remove the key so nothing is silently ignored"),
            );
        } else {
            let mut d = Diagnostic::new(
                Code::UnknownKey,
                file,
                at,
                format!("unknown key `{key}` in guardctl.toml"),
            );
            if let Some(s) = crate::suggest::did_you_mean(key, KEYS.iter().chain(NOT_YET).copied())
            {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            diags.push(d);
        }
    }
    (cfg, diags)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Config, Vec<String>) {
        let (c, d) = parse(&SourceFile::new("guardctl.toml", text));
        (
            c,
            d.iter()
                .map(|d| format!("{} {}", d.code.id(), d.message))
                .collect(),
        )
    }

    #[test]
    fn check_polarity_is_read() {
        let (c, d) = read("check_polarity = \"violation\"\n");
        assert_eq!(c.check_polarity, Some(Polarity::Violation));
        assert!(d.is_empty());
    }

    #[test]
    fn runtime_is_read() {
        let (c, d) = read("runtime = \"kairro\"\n");
        assert_eq!(c.runtime, Some(Runtime::Kairro));
        assert!(d.is_empty());
        let (c, d) = read("runtime = \"korre\"\n");
        assert_eq!(c.runtime, None);
        assert!(d[0].starts_with("GC103"), "{d:?}");
    }

    #[test]
    fn everything_else_is_refused() {
        let (c, d) = read(
            "check_polarity = \"fires\"\nnow = \"2026-01-01\"\ncheck_polarty = 1\n[lint]\nGC110 = \"off\"\nruntime = \"korre\"\n",
        );
        assert_eq!(c.check_polarity, None);
        assert_eq!(d.len(), 4, "{d:?}");
        assert!(d[0].starts_with("GC103"));
        assert!(d[1].contains("`now` in guardctl.toml is not read"));
        assert!(d[2].starts_with("GC101 unknown key `check_polarty`"));
        let (_, d) = read("check_polarity = \n");
        assert!(d[0].starts_with("GC004"), "{d:?}");
    }
}
