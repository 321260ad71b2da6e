//! Runs the pest YAML grammar (`grammar/yaml.pest`) and flattens its parse
//! tree into line tokens: per line its indentation, its chain of items
//! (dashes, keys, nodes, junk) and whether it carries a comment. Nesting
//! is decided later, by `layout`.

use pest::Parser;
use pest::iterators::Pair;

#[derive(pest_derive::Parser)]
#[grammar = "grammar/yaml.pest"]
pub struct YamlGrammar;

/// One item of a line's chain, with its absolute byte span.
#[derive(Debug, Clone)]
pub enum Item<'a> {
    Dash {
        start: usize,
    },
    Key {
        scalar: Pair<'a, Rule>,
    },
    Node {
        pair: Pair<'a, Rule>,
    },
    /// Text that fits no construct; `in_value` when it stands where a value
    /// belongs (after `key:` or `-`).
    Junk {
        start: usize,
        end: usize,
    },
    DocMarker {
        start: usize,
        end: usize,
        trailing: Option<(usize, usize)>,
    },
}

impl Item<'_> {
    pub fn start(&self) -> usize {
        match self {
            Item::Dash { start } => *start,
            Item::Key { scalar } => scalar.as_span().start(),
            Item::Node { pair } => pair.as_span().start(),
            Item::Junk { start, .. } | Item::DocMarker { start, .. } => *start,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Line<'a> {
    /// Byte offset of the line's first character.
    pub start: usize,
    /// The indentation text (spaces, and tabs that `layout` rejects).
    pub indent: (usize, usize),
    pub items: Vec<Item<'a>>,
    pub has_comment: bool,
}

/// Everything the grammar found: lines in order, and every comment span.
pub struct Tokens<'a> {
    pub lines: Vec<Line<'a>>,
    pub comments: Vec<(usize, usize)>,
}

/// Tokenises `text`. Fails only if the grammar itself rejects the text,
/// which the junk fallbacks make impossible short of a grammar bug.
pub fn tokenize(text: &str) -> Result<Tokens<'_>, Box<pest::error::Error<Rule>>> {
    let mut pairs = YamlGrammar::parse(Rule::stream, text).map_err(Box::new)?;
    let mut lines = Vec::new();
    let mut comments = Vec::new();
    let Some(stream) = pairs.next() else {
        return Ok(Tokens { lines, comments });
    };
    for pair in stream.clone().into_inner().flatten() {
        if pair.as_rule() == Rule::comment {
            let s = pair.as_span();
            comments.push((s.start(), s.end()));
        }
    }
    for line in stream.into_inner() {
        if line.as_rule() != Rule::line {
            continue;
        }
        let start = line.as_span().start();
        let mut out = Line {
            start,
            indent: (start, start),
            items: Vec::new(),
            has_comment: false,
        };
        for part in line.into_inner() {
            match part.as_rule() {
                Rule::indent => {
                    let s = part.as_span();
                    out.indent = (s.start(), s.end());
                }
                Rule::comment => out.has_comment = true,
                Rule::doc_marker_line => {
                    let mut inner = part.into_inner();
                    let (ms, me) = inner
                        .next()
                        .map_or((start, start), |m| (m.as_span().start(), m.as_span().end()));
                    let mut trailing = None;
                    for rest in inner {
                        match rest.as_rule() {
                            Rule::comment => out.has_comment = true,
                            _ => trailing = Some((rest.as_span().start(), rest.as_span().end())),
                        }
                    }
                    out.items.push(Item::DocMarker {
                        start: ms,
                        end: me,
                        trailing,
                    });
                }
                Rule::node_chain => chain(part, &mut out),
                Rule::line_junk => {
                    let s = part.as_span();
                    out.items.push(Item::Junk {
                        start: s.start(),
                        end: s.end(),
                    });
                }
                _ => {}
            }
        }
        lines.push(out);
    }
    Ok(Tokens { lines, comments })
}

/// Appends the items of a `node_chain` (recursively through dashes).
fn chain<'a>(pair: Pair<'a, Rule>, out: &mut Line<'a>) {
    for part in pair.into_inner() {
        chain_item(part, out);
    }
}

fn chain_item<'a>(part: Pair<'a, Rule>, out: &mut Line<'a>) {
    {
        match part.as_rule() {
            Rule::seq_entry => {
                for inner in part.into_inner() {
                    match inner.as_rule() {
                        Rule::seq_dash => out.items.push(Item::Dash {
                            start: inner.as_span().start(),
                        }),
                        Rule::node_chain => chain(inner, out),
                        Rule::seq_entry | Rule::map_entry => chain_item(inner, out),
                        Rule::node => node(inner, out),
                        _ => {}
                    }
                }
            }
            Rule::map_entry => {
                for inner in part.into_inner() {
                    match inner.as_rule() {
                        Rule::key => {
                            if let Some(scalar) = inner.into_inner().next() {
                                out.items.push(Item::Key { scalar });
                            }
                        }
                        Rule::node => node(inner, out),
                        _ => {}
                    }
                }
            }
            Rule::node => node(part, out),
            _ => {}
        }
    }
}

fn node<'a>(pair: Pair<'a, Rule>, out: &mut Line<'a>) {
    let Some(inner) = pair.into_inner().next() else {
        return;
    };
    if inner.as_rule() == Rule::node_junk {
        let s = inner.as_span();
        out.items.push(Item::Junk {
            start: s.start(),
            end: s.end(),
        });
    } else {
        if inner.as_rule() == Rule::block_scalar {
            out.has_comment |= inner
                .clone()
                .into_inner()
                .any(|p| p.as_rule() == Rule::comment);
        }
        out.items.push(Item::Node { pair: inner });
    }
}
