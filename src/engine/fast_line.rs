//! A reader for the common shape of a guardctl event line, straight into
//! an [`Event`]: no JSON tree, no per-value parser set-up. The line is
//! checked as UTF-8 with SIMD and its quotes, backslashes and control
//! characters marked in one vector pass ([`super::specials`]). Values
//! held as JSON trees (`tool`, `handoff`, metadata, an unknown key) are
//! built directly too; only numbers it cannot read exactly and values
//! nested deeper than 16 levels go to `serde_json`, as their exact
//! sub-slice.
//!
//! It only has to be right when it answers. Anything it does not take (a
//! duplicate or escaped key, a number it cannot read exactly as
//! `serde_json` would, a lone surrogate, a control character, an
//! OpenTelemetry span, trailing bytes) gives `None`, and the caller goes
//! the general way ([`Event::from_json`]), which gives the precise message.
//! A property test holds the two to the same answer.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value as J;

use super::event::{Event, Tokens, Tool, header_name};
use super::specials::Specials;
use crate::ir::values::{Dec, Timestamp};

thread_local! {
    /// The marked bytes of the line being read, kept between lines so
    /// the words are allocated once per thread.
    static SPECIALS: std::cell::RefCell<Specials> = std::cell::RefCell::default();
}

/// How deep [`Reader::value`] reads a nested value itself; deeper parts
/// go to `serde_json`.
const NESTING: usize = 16;

/// Reads one line, or `None` when it needs the general reader.
pub fn read(bytes: &[u8], line: usize) -> Option<Event> {
    // One UTF-8 check for the whole line; strings are then sliced out of
    // it at their (ASCII) quotes without another check.
    let text = simdutf8::basic::from_utf8(bytes).ok()?;
    SPECIALS.with_borrow_mut(|specials| {
        specials.mark(bytes);
        read_marked(text, specials, line)
    })
}

fn read_marked(text: &str, specials: &Specials, line: usize) -> Option<Event> {
    let mut r = Reader {
        text,
        pos: 0,
        specials,
    };
    let mut e = Event {
        line,
        ..Event::default()
    };
    let mut id = None;
    // Which fields were seen: a repeated key goes the general way.
    let mut seen = 0u32;
    r.ws();
    r.object(|r, key| {
        let bit = field(r, &mut e, &mut id, key)?;
        if seen & bit != 0 {
            return None;
        }
        seen |= bit;
        Some(())
    })?;
    r.ws();
    if r.pos != text.len() {
        return None;
    }
    e.id = match id {
        None => line.to_string(),
        Some(id) => id,
    };
    Some(e)
}

/// Reads the value of `key` into `e`; returns the field's bit (0 for an
/// unknown key, which may repeat as in the general reader).
fn field(r: &mut Reader, e: &mut Event, id: &mut Option<String>, key: &str) -> Option<u32> {
    let n = match key {
        "timestamp" => {
            // Read in place: the text is not kept.
            e.timestamp = match r.null() {
                true => None,
                false => Some(r.string_as(Timestamp::parse, |t| Timestamp::parse(&t))??),
            };
            0
        }
        "kind" => (e.kind = r.opt_string()?, 1).1,
        "input" => (e.input = r.opt_text()?, 2).1,
        "output" => (e.output = r.opt_text()?, 3).1,
        "model" => (e.model = r.opt_string()?, 4).1,
        "project" => (e.project = r.opt_string()?, 5).1,
        "agent" => (e.agent = r.opt_string()?, 6).1,
        "id" => {
            *id = match r.peek()? {
                b'"' | b'n' => r.opt_string()?,
                _ => match r.value(NESTING)? {
                    J::Number(n) => Some(n.to_string()),
                    _ => return None,
                },
            };
            7
        }
        "identity" => {
            if !r.null() {
                let i = &mut e.identity;
                let mut seen = 0u8;
                r.object(|r, key| {
                    let bit = match key {
                        "id" => (i.id = r.opt_string()?, 1).1,
                        "team" => (i.team = r.opt_string()?, 2).1,
                        "org" => (i.org = r.opt_string()?, 4).1,
                        "roles" => {
                            i.roles = r.opt_strings()?;
                            8
                        }
                        _ => return r.value(NESTING).map(|_| ()),
                    };
                    (seen & bit == 0).then(|| seen |= bit)
                })?;
            }
            8
        }
        "headers" => {
            if !r.null() {
                let h = &mut e.headers;
                r.object(|r, key| {
                    let value = r.string()?;
                    let key = header_name(key);
                    // Names that differ only in case go the general way,
                    // which settles them in its own order.
                    h.insert(key, value).is_none().then_some(())
                })?;
            }
            9
        }
        "metadata" => {
            if !r.null() {
                let m = &mut e.metadata;
                r.object(|r, key| {
                    let value = r.value(NESTING)?;
                    let key = key.to_string();
                    m.insert(key, value).is_none().then_some(())
                })?;
            }
            10
        }
        "tokens" => {
            if !r.null() {
                let (mut input, mut output, mut total) = (None, None, None);
                r.object(|r, key| {
                    let slot = match key {
                        "input" => &mut input,
                        "output" => &mut output,
                        "total" => &mut total,
                        _ => return r.value(NESTING).map(|_| ()),
                    };
                    if slot.is_some() {
                        return None;
                    }
                    let n = r.opt_int()?;
                    // A negative count is malformed: the general reader says so.
                    if n.is_some_and(|n| n < 0) {
                        return None;
                    }
                    *slot = Some(n);
                    Some(())
                })?;
                let (input, output) = (input.flatten().unwrap_or(0), output.flatten().unwrap_or(0));
                e.tokens = Tokens {
                    input,
                    output,
                    total: total.flatten().unwrap_or(input.saturating_add(output)),
                    given: true,
                };
            }
            11
        }
        "cost_usd" => {
            e.cost_usd = if r.null() { Dec::ZERO } else { r.decimal()? };
            12
        }
        "tool" => {
            if !r.null() {
                let J::Object(mut t) = r.value(NESTING)? else {
                    return None;
                };
                let name = match t.remove("name") {
                    None | Some(J::Null) => None,
                    Some(J::String(s)) => Some(s),
                    Some(_) => return None,
                };
                e.tool = Some(Tool {
                    name,
                    parameters: t.remove("parameters").unwrap_or(J::Null),
                    result: t.remove("result").unwrap_or(J::Null),
                });
            }
            13
        }
        "handoff" => {
            e.handoff = match r.value(NESTING)? {
                J::Null => None,
                v => Some(v),
            };
            14
        }
        "scores" => {
            if !r.null() {
                let scores = &mut e.scores;
                r.object(|r, provider| {
                    // A provider named twice goes the general way, where
                    // the last one wins.
                    if scores.has_provider(provider) {
                        return None;
                    }
                    r.object(|r, cat| {
                        let x = r.number()?;
                        ((0.0..=1.0).contains(&x) && scores.insert(provider, cat, x).is_none())
                            .then_some(())
                    })
                })?;
            }
            15
        }
        "chunks" => {
            e.chunks = r.opt_strings()?;
            16
        }
        "session_turn_count" => {
            // Counts are never negative: the general reader says so.
            e.session_turn_count = r.opt_int()?.unwrap_or(0);
            if e.session_turn_count < 0 {
                return None;
            }
            17
        }
        "site" => (e.site = r.opt_string()?, 21).1,
        "offer" | "customer" | "channel" => {
            if !r.null() {
                let m = match key {
                    "offer" => &mut e.offer,
                    "customer" => &mut e.customer,
                    _ => &mut e.channel,
                };
                r.object(|r, k| {
                    let value = r.value(NESTING)?;
                    m.insert(k.to_string(), value).is_none().then_some(())
                })?;
            }
            match key {
                "offer" => 22,
                "customer" => 23,
                _ => 24,
            }
        }
        "request_id" => (e.request_id = r.opt_string()?, 18).1,
        "trace_id" => (e.trace_id = r.opt_string()?, 19).1,
        // Where `traces convert` read the event: not read back.
        "source" => {
            r.value(NESTING)?;
            20
        }
        // Provider latencies and failures: the general reader reads them.
        "latency_ms" | "errors" => return None,
        // OpenTelemetry: the general reader knows these.
        "resourceSpans" | "resourceLogs" | "resourceMetrics" | "spanId" | "traceId" => {
            return None;
        }
        // Another key: the general reader records it (to be reported).
        _ => return None,
    };
    Some(1 << n)
}

struct Reader<'a> {
    /// The line, already checked as UTF-8.
    text: &'a str,
    pos: usize,
    /// Its quotes, backslashes and control characters.
    specials: &'a Specials,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }
    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }
    fn eat(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }
    fn rest(&self) -> &'a [u8] {
        self.text.as_bytes().get(self.pos..).unwrap_or_default()
    }
    /// How far ahead the next `"`, `\` or control character is.
    fn special(&self) -> Option<usize> {
        Some(self.specials.next(self.pos)? - self.pos)
    }

    /// Reads `null` if it is next.
    fn null(&mut self) -> bool {
        let null = self.rest().starts_with(b"null");
        if null {
            self.pos += 4;
        }
        null
    }

    /// An object; `each` reads the value of every key (keys with escapes
    /// go the general way). Nesting is bounded by the caller's code, not
    /// by the input: values nested deeper go to `serde_json`.
    fn object(&mut self, mut each: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.eat(b'"')?;
            let key = self.key()?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            each(self, key)?;
            self.ws();
            match self.next()? {
                b',' => self.ws(),
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// A key without escapes (after its opening quote).
    fn key(&mut self) -> Option<&'a str> {
        let rest = self.rest();
        let end = self.special()?;
        if rest.get(end) != Some(&b'"') {
            return None;
        }
        let key = self.text.get(self.pos..self.pos + end)?;
        self.pos += end + 1;
        Some(key)
    }

    /// `null` or a string.
    fn opt_string(&mut self) -> Option<Option<String>> {
        if self.null() {
            return Some(None);
        }
        self.string().map(Some)
    }

    /// `null` or a string, shared: a string without escapes is copied
    /// once, straight from the line.
    fn opt_text(&mut self) -> Option<Option<Arc<str>>> {
        if self.null() {
            return Some(None);
        }
        self.string_as(|s| Arc::from(s), Arc::from).map(Some)
    }

    /// `null` or an array of strings (empty for `null`).
    fn opt_strings(&mut self) -> Option<Vec<String>> {
        let mut out = Vec::new();
        if self.null() {
            return Some(out);
        }
        self.eat(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Some(out);
        }
        loop {
            out.push(self.string()?);
            self.ws();
            match self.next()? {
                b',' => self.ws(),
                b']' => return Some(out),
                _ => return None,
            }
        }
    }

    /// A string.
    fn string(&mut self) -> Option<String> {
        self.string_as(str::to_string, |s| s)
    }

    /// A string, as `plain` makes it from one without escapes (straight
    /// from the line) or `owned` from the unescaped `String`.
    fn string_as<T>(
        &mut self,
        plain: impl FnOnce(&str) -> T,
        owned: impl FnOnce(String) -> T,
    ) -> Option<T> {
        self.eat(b'"')?;
        // Most strings have no escape: one copy of the exact size.
        let rest = self.rest();
        let end = self.special()?;
        let first = self.text.get(self.pos..self.pos + end)?;
        self.pos += end + 1;
        match rest.get(end)? {
            b'"' => return Some(plain(first)),
            b'\\' => {}
            _ => return None,
        }
        let mut out = String::from(first);
        out.push(self.escape()?);
        loop {
            let rest = self.rest();
            let end = self.special()?;
            out.push_str(self.text.get(self.pos..self.pos + end)?);
            self.pos += end + 1;
            match rest.get(end)? {
                b'"' => return Some(owned(out)),
                b'\\' => out.push(self.escape()?),
                // A raw control character: not JSON.
                _ => return None,
            }
        }
    }

    /// One escape (after its backslash).
    fn escape(&mut self) -> Option<char> {
        Some(match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                match hi {
                    0xD800..=0xDBFF => {
                        if !self.rest().starts_with(b"\\u") {
                            return None;
                        }
                        self.pos += 2;
                        let lo = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&lo) {
                            return None;
                        }
                        char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                    }
                    // A lone trailing surrogate is not a `char`: `None`.
                    _ => char::from_u32(hi)?,
                }
            }
            _ => return None,
        })
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.rest().get(..4)?;
        let mut v = 0u32;
        for &c in h {
            v = v * 16 + char::from(c).to_digit(16)?;
        }
        self.pos += 4;
        Some(v)
    }

    /// A JSON number, its grammar checked and its digits gathered in the
    /// same pass.
    fn number_token(&mut self) -> Option<Num<'a>> {
        let rest = self.rest();
        let negative = rest.first() == Some(&b'-');
        let mut i = usize::from(negative);
        let mut significand = 0u64;
        // Moves past a run of digits, adding them to the significand
        // (which wraps past 19 digits, when it is no longer used), and
        // says how many there were.
        let mut digits = |i: &mut usize| {
            let from = *i;
            while let Some(d) = rest
                .get(*i)
                .map(|b| b.wrapping_sub(b'0'))
                .filter(|&d| d < 10)
            {
                significand = significand.wrapping_mul(10).wrapping_add(u64::from(d));
                *i += 1;
            }
            *i - from
        };
        let int = digits(&mut i);
        if int == 0 || (int > 1 && rest.get(usize::from(negative)) == Some(&b'0')) {
            return None;
        }
        let mut frac = None;
        if rest.get(i) == Some(&b'.') {
            i += 1;
            match digits(&mut i) {
                0 => return None,
                n => frac = Some(n),
            }
        }
        let mut exponent = false;
        if matches!(rest.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(rest.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let exp = rest
                .get(i..)
                .map_or(0, |r| r.iter().take_while(|b| b.is_ascii_digit()).count());
            if exp == 0 {
                return None;
            }
            i += exp;
            exponent = true;
        }
        self.pos += i;
        Some(Num {
            token: rest.get(..i)?,
            negative,
            significand,
            digits: int + frac.unwrap_or(0),
            frac,
            exponent,
        })
    }

    /// `null` or an integer that fits `i64` (a fraction or an exponent
    /// goes the general way, which truncates it).
    fn opt_int(&mut self) -> Option<Option<i64>> {
        if self.null() {
            return Some(None);
        }
        let n = self.number_token()?;
        if n.real() {
            return None;
        }
        n.integer().map(Some)
    }

    /// A number as `f64`, exactly as `serde_json` reads it: an integer
    /// that fits `i64` through `i64` as there, a short decimal as in
    /// [`short_decimal`], anything else by `serde_json` itself.
    fn number(&mut self) -> Option<f64> {
        let start = self.pos;
        let n = self.number_token()?;
        if !n.real() {
            // `serde_json` reads a negative integer zero as a float.
            if n.token == b"-0" {
                return Some(-0.0);
            }
            if let Some(i) = n.integer() {
                return Some(i as f64);
            }
        } else if let Some(x) = n.short_decimal() {
            return Some(x);
        }
        serde_json::from_slice(self.text.get(start..self.pos)?.as_bytes()).ok()
    }

    /// A number as an exact decimal, from its text; `None` for a negative
    /// amount or one the general reader must judge.
    fn decimal(&mut self) -> Option<Dec> {
        let n = self.number_token()?;
        let text = std::str::from_utf8(n.token).ok()?;
        // Up to 15 significant digits the text is the double's shortest
        // form too, so this reader and the general one (which sees only
        // the double) agree; past that both go through the double.
        let significant = text
            .split(['e', 'E'])
            .next()
            .unwrap_or(text)
            .bytes()
            .filter(u8::is_ascii_digit)
            .skip_while(|&b| b == b'0')
            .count();
        let d = if significant <= 15 {
            Dec::parse(text)?
        } else {
            let n: serde_json::Number = serde_json::from_str(text).ok()?;
            Dec::parse(&n.to_string())?
        };
        (!d.is_negative()).then_some(d)
    }

    /// Any value as a JSON tree, read directly: strings, literals, numbers
    /// (those it cannot read exactly as `serde_json` does go to it, as
    /// does a value nested more than `depth` levels), arrays, and objects
    /// without escaped or repeated keys (`None`: the general reader
    /// settles those).
    fn value(&mut self, depth: usize) -> Option<J> {
        let literal = |r: &mut Self, word: &[u8], v: J| {
            r.rest().starts_with(word).then(|| {
                r.pos += word.len();
                v
            })
        };
        Some(match self.peek()? {
            b'"' => J::String(self.string()?),
            b'{' | b'[' if depth == 0 => self.json()?,
            b'{' => {
                let mut map = serde_json::Map::new();
                self.object(|r, key| {
                    let v = r.value(depth - 1)?;
                    map.insert(key.to_string(), v).is_none().then_some(())
                })?;
                J::Object(map)
            }
            b'[' => {
                self.pos += 1;
                self.ws();
                let mut items = Vec::new();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                } else {
                    loop {
                        items.push(self.value(depth - 1)?);
                        self.ws();
                        match self.next()? {
                            b',' => self.ws(),
                            b']' => break,
                            _ => return None,
                        }
                    }
                }
                J::Array(items)
            }
            b't' => literal(self, b"true", J::Bool(true))?,
            b'f' => literal(self, b"false", J::Bool(false))?,
            b'n' => literal(self, b"null", J::Null)?,
            _ => {
                let start = self.pos;
                let n = self.number_token()?;
                let n = match (n.real(), n.token) {
                    // `serde_json` reads a negative integer zero as a float.
                    (false, b"-0") => None,
                    (false, _) => n.integer().map(serde_json::Number::from),
                    (true, _) => n.short_decimal().and_then(serde_json::Number::from_f64),
                };
                match n {
                    Some(n) => J::Number(n),
                    None => {
                        serde_json::from_slice(self.text.get(start..self.pos)?.as_bytes()).ok()?
                    }
                }
            }
        })
    }

    /// Any other value, read by `serde_json` from its exact bytes.
    fn json<T: Deserialize<'a>>(&mut self) -> Option<T> {
        let start = self.pos;
        self.skip()?;
        serde_json::from_slice(self.text.get(start..self.pos)?.as_bytes()).ok()
    }

    /// Moves past one value: strings are skipped whole and brackets
    /// counted, without recursion. The value is checked by whoever reads
    /// its bytes.
    fn skip(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    loop {
                        let rest = self.rest();
                        let end = self.special()?;
                        self.pos += end + 1;
                        match rest.get(end)? {
                            b'"' => break,
                            b'\\' => self.pos += 1,
                            _ => return None,
                        }
                    }
                }
                // Deeper than `serde_json` reads a whole line: its answer.
                b'{' | b'[' if depth >= 100 => return None,
                b'{' | b'[' => {
                    depth += 1;
                    self.pos += 1;
                }
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    self.pos += 1;
                }
                b',' | b':' | b' ' | b'\t' | b'\n' | b'\r' if depth > 0 => self.pos += 1,
                // A scalar: up to the next delimiter.
                _ => {
                    let rest = self.rest();
                    let n = rest
                        .iter()
                        .position(|b| {
                            matches!(
                                b,
                                b',' | b'}' | b']' | b':' | b' ' | b'\t' | b'\n' | b'\r' | b'"'
                            )
                        })
                        .unwrap_or(rest.len());
                    if n == 0 {
                        return None;
                    }
                    self.pos += n;
                }
            }
            if depth == 0 {
                return Some(());
            }
        }
    }
}

/// A number token and what one pass over it gathered.
struct Num<'a> {
    token: &'a [u8],
    negative: bool,
    /// The digits (integer and fraction) as one integer; exact only up to
    /// 19 of them.
    significand: u64,
    digits: usize,
    /// How many digits follow the point, if there is one.
    frac: Option<usize>,
    exponent: bool,
}

impl Num<'_> {
    /// A fraction or an exponent.
    fn real(&self) -> bool {
        self.frac.is_some() || self.exponent
    }

    /// An integer token's value, when it fits `i64`. Up to 18 digits it
    /// surely does; longer ones are read again, checked.
    fn integer(&self) -> Option<i64> {
        if self.real() {
            return None;
        }
        if self.digits <= 18 {
            let v = i64::try_from(self.significand).ok()?;
            return Some(if self.negative { -v } else { v });
        }
        let digits = self.token.get(usize::from(self.negative)..)?;
        let mut v = 0i64;
        for &d in digits {
            let d = i64::from(d.checked_sub(b'0')?);
            // Accumulated negatively, so `i64::MIN` fits.
            v = v.checked_mul(10)?.checked_sub(d)?;
        }
        if self.negative {
            Some(v)
        } else {
            v.checked_neg()
        }
    }

    /// A decimal of at most 15 digits without an exponent (`-0.25`): its
    /// digits as an integer divided by a power of ten. Both are exact in
    /// `f64`, so the one division is correctly rounded, and it is the
    /// same division `serde_json` does for such a number.
    fn short_decimal(&self) -> Option<f64> {
        const POW10: [f64; 16] = [
            1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
        ];
        if self.exponent || self.digits > 15 {
            return None;
        }
        let x = self.significand as f64 / POW10.get(self.frac?)?;
        Some(if self.negative { -x } else { x })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
pub(super) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Any JSON value, nested up to 24 deep (past the fast reader's own
    /// nesting), with repeated and escaped keys now and then.
    pub(in crate::engine) fn json_value() -> impl Strategy<Value = String> {
        let number = "-?(0|[1-9][0-9]{0,19})(\\.[0-9]{1,18})?([eE][+-]?[0-9]{1,3})?";
        let key = "\"([a-c]|\\\\u0061|\\\\n)\"";
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            Just("false".to_string()),
            Just("-0".to_string()),
            number,
            "\"([a-z]|\\\\[n\"\\\\]){0,4}\"",
        ];
        leaf.prop_recursive(24, 256, 3, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(" , "))),
                proptest::collection::vec((key, inner), 0..4).prop_map(|kv| {
                    let body: Vec<String> = kv.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                    format!("{{{}}}", body.join(","))
                }),
            ]
        })
    }

    /// Values nested past [`NESTING`] are read by `serde_json` from the
    /// depth where the direct reader stops.
    #[test]
    fn deep_values() {
        for depth in [NESTING - 1, NESTING, NESTING + 1, 40] {
            let arrays = format!("{}1.5{}", "[".repeat(depth), "]".repeat(depth));
            let objects = format!("{}true{}", "{\"a\":".repeat(depth), "}".repeat(depth));
            for text in [arrays, objects] {
                let mut specials = Specials::default();
                specials.mark(text.as_bytes());
                let mut r = Reader {
                    text: &text,
                    pos: 0,
                    specials: &specials,
                };
                let want: J = serde_json::from_str(&text).unwrap();
                assert_eq!(r.value(NESTING), Some(want), "{text}");
                assert_eq!(r.pos, text.len());
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// A value read directly is the value `serde_json` reads, and
        /// what `serde_json` rejects is not read.
        #[test]
        fn values_agree(text in json_value()) {
            let mut specials = Specials::default();
            specials.mark(text.as_bytes());
            let mut r = Reader { text: &text, pos: 0, specials: &specials };
            let fast = r.value(NESTING).filter(|_| r.pos == text.len());
            match serde_json::from_str::<J>(&text) {
                Ok(v) => prop_assert!(fast.is_none() || fast == Some(v)),
                Err(_) => prop_assert_eq!(fast, None),
            }
        }
    }

    #[test]
    fn strings_and_escapes() {
        let e = read(
            br#" {"input":"a\"b\\c\/\n\u00e9\ud83d\ude00 \u4e2d","output":null} "#,
            1,
        )
        .unwrap();
        assert_eq!(
            e.input.as_deref(),
            Some("a\"b\\c/\n\u{e9}\u{1f600} \u{4e2d}")
        );
        assert_eq!(e.output, None);
        assert_eq!(e.id, "1");
        let long = format!(
            "{{\"input\":\"{}\u{e9}{}\"}}",
            "x".repeat(70),
            "y".repeat(40)
        );
        assert_eq!(
            read(long.as_bytes(), 1)
                .unwrap()
                .input
                .unwrap()
                .chars()
                .count(),
            111
        );
    }

    #[test]
    fn declines_what_it_does_not_take() {
        for line in [
            &br#"{"input":"a\ud800"}"#[..],
            br#"{"input":"a\ud800\u0041"}"#,
            br#"{"input":"a\udc00"}"#,
            b"{\"input\":\"a\x01\"}",
            br#"{"input":"x","input":"y"}"#,
            br#"{"in\u0070ut":"x"}"#,
            br#"{"spanId":"a","traceId":"b"}"#,
            br#"{"input":"x"} x"#,
            br#"{"other":[1,,2]}"#,
            // A key that is no event field: the general reader records it.
            br#"{"input":"x","outptu":"y"}"#,
            br#"{"cost_usd":1.5x}"#,
            br#"{"cost_usd":01}"#,
            br#"{"cost_usd":1.}"#,
            br#"{"tokens":{"input":1.0}}"#,
            br#"{"scores":{"p":{"c":1.5}}}"#,
            br#"{"headers":{"X-A":"1","x-a":"2"}}"#,
            br#"{"input":3}"#,
            b"{\"input\":\"\xff\"}",
            br#"[1]"#,
            b"",
        ] {
            assert!(read(line, 1).is_none(), "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn reads_every_field() {
        let e = read(
            br#"{"handoff":{"a":[1,{"b":"}"}]},"tokens":{"input":3},"cost_usd":5e-1,"id":7,
                "metadata":{"k":[true,null],"s":"v"},"identity":{"roles":["a","b"],"x":{}},
                "scores":{"p":{"c":0.25,"d":1}},"session_turn_count":2,"chunks":["a"]}"#,
            1,
        )
        .unwrap();
        assert_eq!((e.tokens.input, e.tokens.total), (3, 3));
        assert_eq!(e.cost_usd, Dec::parse("0.5").unwrap());
        assert_eq!(e.id, "7");
        assert_eq!(e.metadata["k"], serde_json::json!([true, null]));
        assert_eq!(e.metadata["s"], serde_json::json!("v"));
        assert_eq!(e.identity.roles, vec!["a", "b"]);
        assert_eq!(e.scores.get("p", "d"), Some(1.0));
        assert_eq!(e.session_turn_count, 2);
        assert_eq!(e.chunks, vec!["a"]);
    }
}
