//! Trace files (spec §7): guardctl JSONL, gzip-compressed or not, or `-`
//! for standard input; and OpenTelemetry GenAI exports (OTLP/JSON lines,
//! see [`super::otel`]), detected by the first line. A line that is not
//! an event is returned as [`Record::Malformed`] with its number, and
//! OpenTelemetry with no GenAI content as [`Record::Skipped`]: never
//! silently dropped.

use std::collections::VecDeque;
use std::io::{BufReader, Read};
use std::path::Path;

use serde_json::Value as J;

use super::event::Event;
use super::otel;

#[derive(Debug, Clone)]
pub enum Record {
    Event(Box<Event>),
    /// `column` (1-based, in characters) where the JSON breaks, when
    /// it is the JSON that does.
    Malformed {
        line: usize,
        column: Option<usize>,
        message: String,
    },
    /// OpenTelemetry that holds no GenAI content (a metrics line, an HTTP
    /// span, another log record): not an event, and not broken. `kind`
    /// says what it is ([`super::otel::skipped`]); `fatal` when nothing of
    /// its line is GenAI content (`--strict` fails on it).
    Skipped {
        line: usize,
        kind: &'static str,
        fatal: bool,
    },
}

pub struct TraceReader {
    reader: Box<dyn Read + Send>,
    line: usize,
    /// The start of a line whose end is not read yet.
    carry: Vec<u8>,
    /// The end of the trace (or a read failure) was reached.
    done: bool,
    /// Where lines longer than `max_line` stand in `carry` (each as an
    /// empty line; see [`TraceReader::fill`]).
    carry_long: Vec<usize>,
    /// The longest line read ([`MAX_LINE`]).
    max_line: usize,
    /// A read failure that came with an over-long line, reported with the
    /// next block.
    deferred: Option<String>,
    pending: VecDeque<Record>,
    otel: Otel,
}

/// Whether the trace is OpenTelemetry: decided by its first line.
enum Otel {
    Undecided,
    No,
    /// Read whole and put together; handed out a block at a time.
    Ready(VecDeque<Record>),
}

/// Records of an OpenTelemetry trace per block.
const READY_PER_BLOCK: usize = 256;

/// The longest trace line read, in bytes (64 MiB): a longer one is
/// reported and read past without being held, so a file with no line
/// breaks (a binary passed by mistake) cannot take memory in its own size.
pub const MAX_LINE: usize = 64 << 20;

/// The least read into a block per pass of its loop (a larger block size
/// raises it); `read_to_end` grows its single reads up to that.
const READ_BYTES: usize = 1 << 17;

/// Opens a trace (`-` is standard input); gzip is detected by its magic bytes.
pub fn open(path: &Path) -> std::io::Result<TraceReader> {
    let mut raw: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path)?)
    };
    let mut magic = Vec::with_capacity(2);
    (&mut raw).take(2).read_to_end(&mut magic)?;
    let gz = magic == [0x1f, 0x8b];
    let whole = std::io::Cursor::new(magic).chain(raw);
    // A plain trace is read straight into the blocks: a buffer between
    // would copy every byte once more. The decoder reads a buffer.
    let reader: Box<dyn Read + Send> = if gz {
        Box::new(flate2::bufread::MultiGzDecoder::new(
            BufReader::with_capacity(1 << 16, whole),
        ))
    } else {
        Box::new(whole)
    };
    Ok(TraceReader {
        reader,
        line: 0,
        carry: Vec::new(),
        done: false,
        carry_long: Vec::new(),
        max_line: MAX_LINE,
        deferred: None,
        pending: VecDeque::new(),
        otel: Otel::Undecided,
    })
}

/// Consecutive lines read in one go, unparsed, so callers can parse them
/// on any thread. One buffer holds them all: no allocation per line.
#[derive(Default)]
pub struct Block {
    data: Vec<u8>,
    /// Line number, the line's bytes in `data` (trimmed, never blank)
    /// and how many bytes the trim took off its start. UTF-8 is checked by
    /// the JSON parser, so a bad line is reported on its own instead of
    /// ending the trace.
    lines: Vec<(usize, std::ops::Range<usize>, usize)>,
    /// A read failure (a broken gzip stream) after the lines, if any.
    pub failed: Option<Record>,
    /// Records put together already (an OpenTelemetry trace's), before
    /// the lines.
    ready: Vec<Record>,
}

impl Block {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.failed.is_none() && self.ready.is_empty()
    }
    /// Line numbers and bytes.
    pub fn lines(&self) -> impl Iterator<Item = (usize, &[u8])> {
        self.trimmed().map(|(n, _, text)| (n, text))
    }
    /// Line numbers, leading bytes trimmed, and bytes.
    fn trimmed(&self) -> impl Iterator<Item = (usize, usize, &[u8])> {
        self.lines
            .iter()
            .map(|(n, r, lead)| (*n, *lead, self.data.get(r.clone()).unwrap_or_default()))
    }
    /// Every record of the block, in order.
    pub fn records(&self) -> impl Iterator<Item = Record> + '_ {
        self.ready.iter().cloned().chain(
            self.trimmed()
                .flat_map(|(n, lead, text)| parse_line(n, lead, text))
                .chain(self.failed.clone()),
        )
    }
}

impl TraceReader {
    /// Refills `b` with whole lines until about `bytes` are read (a long
    /// line is read whole, up to [`MAX_LINE`]; a longer one ends the block
    /// as a malformed line), or the end. The block's buffers are reused:
    /// a run recycles a few blocks instead of faulting in fresh memory for
    /// every one.
    pub fn fill(&mut self, b: &mut Block, bytes: usize) {
        if let Otel::Ready(q) = &mut self.otel {
            b.data.clear();
            b.lines.clear();
            b.failed = None;
            b.ready.clear();
            b.ready.extend(q.drain(..q.len().min(READY_PER_BLOCK)));
            return;
        }
        // A pass can hold no line and still not be the end: a stretch of
        // blank lines longer than a block. An empty block means the end
        // to callers.
        loop {
            self.fill_once(b, bytes);
            if !b.is_empty() || !self.more() {
                break;
            }
        }
        if matches!(self.otel, Otel::Undecided) {
            let first = b.lines().next().map(|(_, text)| text);
            match first {
                Some(text) if json_value(text).is_ok_and(|v| otel::is_otel(&v)) => {
                    self.read_otel(b);
                    self.fill(b, bytes);
                }
                Some(_) => self.otel = Otel::No,
                None => {}
            }
        }
    }

    /// Whether more of the trace is left to read.
    fn more(&self) -> bool {
        !self.done || !self.carry.is_empty() || self.deferred.is_some()
    }

    /// Reads the rest of an OpenTelemetry trace, from the block `b` that
    /// holds its start, and puts its records together.
    fn read_otel(&mut self, b: &mut Block) {
        use rayon::prelude::*;
        /// A line read on its own (any thread), put together in order.
        enum Read {
            Otel(otel::Line),
            Other(Record),
        }
        let mut all = otel::Assembly::default();
        loop {
            // Lines are parsed in parallel; only putting them together
            // (correlation needs them all) is sequential.
            let lines: Vec<(usize, usize, &[u8])> = b.trimmed().collect();
            let read: Vec<(usize, Read)> = lines
                .par_iter()
                .map(|&(n, lead, text)| {
                    let r = match json_value(text) {
                        Ok(v) if otel::is_otel(&v) => Read::Otel(otel::read(&v, n)),
                        Ok(v) => Read::Other(event_record(v, n)),
                        Err(e) => Read::Other(not_json(n, lead, text, &e)),
                    };
                    (n, r)
                })
                .collect();
            for (n, r) in read {
                match r {
                    Read::Otel(l) => all.read(n, l),
                    Read::Other(rec) => all.record(n, rec),
                }
            }
            if let Some(f) = b.failed.take() {
                let line = match &f {
                    Record::Malformed { line, .. } => *line,
                    _ => self.line,
                };
                all.record(line, f);
            }
            if !self.more() {
                break;
            }
            self.fill_once(b, 1 << 20);
        }
        self.otel = Otel::Ready(all.finish().into());
    }

    fn fill_once(&mut self, b: &mut Block, bytes: usize) {
        b.data.clear();
        b.lines.clear();
        b.failed = None;
        b.ready.clear();
        let mut failure = self.deferred.take();
        // Carried lines: whole ones, and the start of one not read to its
        // end.
        b.data.append(&mut self.carry);
        // Where over-long lines stand, as empty lines: each one's start is
        // dropped when it passes the limit and its rest is read past.
        let mut long_at = std::mem::take(&mut self.carry_long);
        let mut last = memchr::memrchr(b'\n', &b.data);
        while !self.done && (b.data.len() < bytes || last.is_none()) {
            let from = b.data.len();
            // A broken gzip stream: the whole lines before it are kept,
            // then it is reported and the trace ends.
            if let Err(e) = self.read(&mut b.data, READ_BYTES.max(bytes)) {
                failure = Some(e);
            }
            if let Some(i) = b.data.get(from..).and_then(|d| memchr::memrchr(b'\n', d)) {
                last = Some(from + i);
            }
            while failure.is_none() && b.data.len() - last.map_or(0, |i| i + 1) > self.max_line {
                let start = last.map_or(0, |i| i + 1);
                b.data.truncate(start);
                long_at.push(start);
                b.data.push(b'\n');
                last = Some(start);
                let (rest, failed) = self.skip_line();
                failure = failed;
                let from = b.data.len();
                b.data.extend_from_slice(&rest);
                if let Some(i) = memchr::memrchr(b'\n', &rest) {
                    last = Some(from + i);
                }
            }
        }
        // Whole lines go in the block; the rest waits for the next read
        // (at the end, the last line needs no newline; after a failure the
        // partial line is dropped).
        if !self.done || failure.is_some() {
            let end = last.map_or(0, |i| i + 1);
            if failure.is_none() {
                self.carry
                    .extend_from_slice(b.data.get(end..).unwrap_or_default());
            }
            b.data.truncate(end);
        }
        // The number of a line over the limit, which ends the block.
        let mut too_long = None;
        let mut start = 0;
        let ends = memchr::memchr_iter(b'\n', &b.data)
            .chain((b.data.last() != Some(&b'\n') && !b.data.is_empty()).then_some(b.data.len()));
        for end in ends {
            self.line += 1;
            if end - start > self.max_line || long_at.contains(&start) {
                // The lines after it wait, ahead of the carried rest.
                let next = end + 1;
                let mut after = b.data.get(next..).unwrap_or_default().to_vec();
                after.append(&mut self.carry);
                self.carry = after;
                self.carry_long = long_at
                    .iter()
                    .filter(|&&p| p >= next)
                    .map(|p| p - next)
                    .collect();
                too_long = Some(self.line);
                break;
            }
            let mut line = b.data.get(start..end).unwrap_or_default();
            // The byte-order mark some Windows tools write at the start
            // of a UTF-8 file belongs to no event.
            if self.line == 1 {
                if let Some(rest) = line.strip_prefix(b"\xEF\xBB\xBF") {
                    start += 3;
                    line = rest;
                }
            }
            let lead = line.len() - line.trim_ascii_start().len();
            let trail = line.len() - line.trim_ascii_end().len();
            if lead < line.len() {
                b.lines.push((self.line, start + lead..end - trail, lead));
            }
            start = end + 1;
        }
        if let Some(line) = too_long {
            b.failed = Some(Record::Malformed {
                line,
                column: None,
                message: format!(
                    "line longer than {} bytes: skipped (is this a trace file?)",
                    self.max_line
                ),
            });
            // A read failure after it is reported with the next block.
            self.deferred = failure;
            return;
        }
        b.failed = failure.map(|message| Record::Malformed {
            line: self.line + 1,
            column: None,
            message,
        });
    }

    /// Reads past the rest of an over-long line and returns what follows
    /// its newline in the read that found it, and a read failure (then
    /// the trace ends).
    fn skip_line(&mut self) -> (Vec<u8>, Option<String>) {
        let mut data = Vec::new();
        while !self.done {
            data.clear();
            if let Err(e) = self.read(&mut data, READ_BYTES) {
                return (Vec::new(), Some(e));
            }
            if let Some(i) = memchr::memchr(b'\n', &data) {
                data.drain(..=i);
                return (data, None);
            }
        }
        (Vec::new(), None)
    }

    /// Appends up to `limit` bytes of the trace to `buf`. The end of the
    /// trace, or a read failure (returned as its message), sets `done`.
    fn read(&mut self, buf: &mut Vec<u8>, limit: usize) -> Result<(), String> {
        match (&mut self.reader).take(limit as u64).read_to_end(buf) {
            Ok(0) => {
                self.done = true;
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => {
                self.done = true;
                Err(format!("cannot read: {e}"))
            }
        }
    }

    /// A new block of about `bytes` (see [`TraceReader::fill`]).
    pub fn block(&mut self, bytes: usize) -> Block {
        let mut b = Block::default();
        self.fill(&mut b, bytes);
        b
    }
}

/// Parses one trace line (`lead` bytes of blank trimmed off its start): a
/// guardctl event, or the spans of an OTLP/JSON export (possibly several
/// events).
pub fn parse_line(line: usize, lead: usize, text: &[u8]) -> LineRecords {
    if let Some(e) = Event::from_slice_fast(text, line) {
        return LineRecords::One(Some(Record::Event(Box::new(e))));
    }
    let v = match json_value(text) {
        Ok(v) => v,
        Err(e) => return LineRecords::One(Some(not_json(line, lead, text, &e))),
    };
    if otel::is_otel(&v) {
        let mut one = otel::Assembly::default();
        one.otel(line, &v);
        return LineRecords::Many(one.finish().into_iter());
    }
    LineRecords::One(Some(event_record(v, line)))
}

/// A guardctl event line's record.
fn event_record(v: J, line: usize) -> Record {
    match Event::from_json(v, line) {
        Ok(e) => Record::Event(Box::new(e)),
        Err(message) => Record::Malformed {
            line,
            column: None,
            message,
        },
    }
}

/// The record of a line that is not JSON, with the column it breaks at.
fn not_json(line: usize, lead: usize, text: &[u8], e: &serde_json::Error) -> Record {
    // A line holding only an opening bracket is the start of a JSON
    // document spread over lines, not of an event.
    let hint = match text {
        b"[" => {
            " (traces are JSON Lines, one whole event per line: `jq -c '.[]'` turns an array into them)"
        }
        b"{" => {
            " (traces are JSON Lines, one whole event per line: `jq -c .` joins a pretty-printed event)"
        }
        _ => "",
    };
    // `serde_json` counts bytes of the trimmed line; a column counts
    // characters of the line as written.
    let before = text.get(..e.column().saturating_sub(1)).unwrap_or(text);
    let chars = before.iter().filter(|&&b| b & 0xC0 != 0x80).count();
    let message = e.to_string();
    let message = match message.rsplit_once(" at line ") {
        Some((m, _)) => m.to_string(),
        None => message,
    };
    Record::Malformed {
        line,
        column: Some(lead + chars + 1),
        message: format!("not JSON: {message}{hint}"),
    }
}

/// A JSON value as JavaScript and Python read it: they write a string
/// cut inside a surrogate pair as a lone `\udXXX` escape and read it
/// back, where `serde_json` refuses it. It stands for no character, so it
/// reads as U+FFFD.
pub fn json_value(text: &[u8]) -> Result<J, serde_json::Error> {
    // The replacement escape is as long as the one it replaces, so an
    // error in the rest of the line is reported where it stands.
    serde_json::from_slice::<J>(text).or_else(|e| match without_lone_surrogates(text) {
        Some(fixed) => serde_json::from_slice::<J>(&fixed),
        None => Err(e),
    })
}

/// `text` with every `\u` escape of a lone UTF-16 surrogate made
/// `\ufffd`; `None` when it has none. Escapes are read in order from the
/// start, so an escaped backslash before a `u` is never taken for one.
fn without_lone_surrogates(text: &[u8]) -> Option<Vec<u8>> {
    let surrogate = |at: usize| -> Option<u32> {
        let hex = text.get(at..at + 4)?;
        let v = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
        (0xD800..=0xDFFF).contains(&v).then_some(v)
    };
    let mut out = Vec::new();
    let (mut i, mut copied, mut changed) = (0, 0, false);
    while let Some(off) = text.get(i..).and_then(|r| memchr::memchr(b'\\', r)) {
        let at = i + off;
        if text.get(at + 1) != Some(&b'u') {
            i = at + 2;
            continue;
        }
        match surrogate(at + 2) {
            // A leading surrogate with its trailing one: a character.
            Some(0xD800..=0xDBFF)
                if text.get(at + 6..at + 8) == Some(b"\\u")
                    && surrogate(at + 8).is_some_and(|lo| lo >= 0xDC00) =>
            {
                i = at + 12;
            }
            Some(_) => {
                out.extend_from_slice(text.get(copied..at)?);
                out.extend_from_slice(b"\\ufffd");
                (copied, changed) = (at + 6, true);
                i = at + 6;
            }
            None => i = at + 6,
        }
    }
    if !changed {
        return None;
    }
    out.extend_from_slice(text.get(copied..)?);
    Some(out)
}

/// The records of one line: one, or an OpenTelemetry export's spans
/// (the common single record is not put in a vector of its own).
pub enum LineRecords {
    One(Option<Record>),
    Many(std::vec::IntoIter<Record>),
}

impl Iterator for LineRecords {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        match self {
            LineRecords::One(r) => r.take(),
            LineRecords::Many(rs) => rs.next(),
        }
    }
}

impl Iterator for TraceReader {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            if let Some(r) = self.pending.pop_front() {
                return Some(r);
            }
            let block = self.block(1);
            if block.is_empty() {
                return None;
            }
            self.pending.extend(block.records());
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::strategy::{Just, Strategy};
    use std::io::Write;

    fn lines_of(bytes: &[u8], block: usize) -> (Vec<(usize, String)>, Option<Record>) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f.flush().unwrap();
        let mut r = open(f.path()).unwrap();
        let (mut out, mut failed) = (Vec::new(), None);
        let mut b = Block::default();
        loop {
            r.fill(&mut b, block);
            if b.is_empty() {
                return (out, failed);
            }
            out.extend(
                b.lines()
                    .map(|(n, l)| (n, String::from_utf8_lossy(l).into_owned())),
            );
            failed = failed.or(b.failed.take());
        }
    }

    /// Line numbers count every line (blank ones too), lines are trimmed
    /// (CRLF), the last line needs no newline, and a line longer than a
    /// block or a read is read whole, for any block size.
    #[test]
    fn lines_and_numbers() {
        let long = "y".repeat(3 * READ_BYTES + 5);
        let text = format!("a\r\n\n  \nb  \n{long}\n\nc");
        let want = vec![
            (1, "a".to_string()),
            (4, "b".to_string()),
            (5, long.clone()),
            (7, "c".to_string()),
        ];
        for block in [1, 3, 100, 1 << 20] {
            assert_eq!(lines_of(text.as_bytes(), block).0, want, "block {block}");
        }
        assert_eq!(lines_of(b"", 10).0, vec![]);
        assert_eq!(lines_of(b"\n\n", 10).0, vec![]);
    }

    /// Every line and failure of a trace read in blocks of `block` bytes
    /// with lines of at most `max_line`, in order: `n:text`, `n:!message`.
    fn read_all(bytes: &[u8], block: usize, max_line: usize) -> Vec<String> {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f.flush().unwrap();
        let mut r = open(f.path()).unwrap();
        r.max_line = max_line;
        let mut out = Vec::new();
        let mut b = Block::default();
        loop {
            r.fill(&mut b, block);
            if b.is_empty() {
                return out;
            }
            out.extend(
                b.lines()
                    .map(|(n, l)| format!("{n}:{}", String::from_utf8_lossy(l))),
            );
            if let Some(Record::Malformed { line, message, .. }) = b.failed.take() {
                out.push(format!("{line}:!{message}"));
            }
        }
    }

    /// A line over the limit is one malformed line, in its place, whether
    /// it ends within a read or runs over many, and at the end of the
    /// trace too; a line of exactly the limit is read; the lines after it
    /// are read and numbered as ever, for any block size.
    #[test]
    fn over_long_lines_are_reported_and_read_past() {
        let long = "y".repeat(3 * READ_BYTES + 5);
        let text = format!(
            "a\n{}\nb\n{long}\n{}\n\nc\n{}",
            "x".repeat(20),
            "z".repeat(8),
            "w".repeat(9)
        );
        let msg = "!line longer than 8 bytes: skipped (is this a trace file?)";
        let want: Vec<String> = vec![
            "1:a".into(),
            format!("2:{msg}"),
            "3:b".into(),
            format!("4:{msg}"),
            format!("5:{}", "z".repeat(8)),
            "7:c".into(),
            format!("8:{msg}"),
        ];
        for block in [1, 3, 7, 100, 1 << 20] {
            assert_eq!(read_all(text.as_bytes(), block, 8), want, "block {block}");
        }
        // The limit left as it is reads the long line.
        let lines = read_all(text.as_bytes(), 100, MAX_LINE);
        assert_eq!(lines.len(), 7);
        assert!(lines.iter().all(|l| !l.contains('!')), "{lines:?}");
    }

    /// Lines as a split on newlines gives them: numbered, trimmed, blank
    /// ones passed over, those over `max_line` bytes reported.
    fn split_reference(text: &str, max_line: usize) -> Vec<String> {
        let mut pieces: Vec<&str> = text.split('\n').collect();
        if text.ends_with('\n') || text.is_empty() {
            pieces.pop();
        }
        let msg = format!("!line longer than {max_line} bytes: skipped (is this a trace file?)");
        let mut out = Vec::new();
        for (i, raw) in pieces.into_iter().enumerate() {
            let n = i + 1;
            if raw.len() > max_line {
                out.push(format!("{n}:{msg}"));
                continue;
            }
            let raw = if n == 1 {
                raw.strip_prefix('\u{feff}').unwrap_or(raw)
            } else {
                raw
            };
            let t = raw.trim_matches(|c: char| c.is_ascii_whitespace());
            if !t.is_empty() {
                out.push(format!("{n}:{t}"));
            }
        }
        out
    }

    proptest::proptest! {
        /// Any mix of short, blank, just-too-long and far-too-long lines
        /// reads as the split does, for any block size and limit.
        #[test]
        fn lines_read_as_a_split_does(
            lines in proptest::collection::vec(
                proptest::prop_oneof![
                    8 => "[ a\r]{0,12}",
                    1 => (1usize..4).prop_map(|k| "y".repeat(k * READ_BYTES / 2 + 3)),
                ],
                0..12,
            ),
            end_newline in proptest::bool::ANY,
            block in proptest::prop_oneof![Just(1usize), 2usize..40, Just(1 << 20)],
            max_line in 4usize..16,
        ) {
            let mut text = lines.join("\n");
            if end_newline {
                text.push('\n');
            }
            proptest::prop_assert_eq!(
                read_all(text.as_bytes(), block, max_line),
                split_reference(&text, max_line)
            );
        }
    }

    /// Blank lines longer than a block are not the end of the trace.
    #[test]
    fn long_stretches_of_blank_lines() {
        let text = format!("{}a\n{}b", "\n".repeat(1000), " \n".repeat(3 * READ_BYTES));
        for block in [1, 10, 1 << 20] {
            assert_eq!(
                read_all(text.as_bytes(), block, MAX_LINE),
                vec!["1001:a".to_string(), format!("{}:b", 1002 + 3 * READ_BYTES)],
                "block {block}"
            );
        }
    }

    /// A lone surrogate escape reads as U+FFFD; pairs, escaped
    /// backslashes before a `u` and lines that are broken otherwise are
    /// left as they are.
    #[test]
    fn lone_surrogates() {
        let fixed =
            |t: &str| without_lone_surrogates(t.as_bytes()).map(|v| String::from_utf8(v).unwrap());
        assert_eq!(fixed(r#""a\ud800b""#).as_deref(), Some(r#""a\ufffdb""#));
        assert_eq!(
            fixed(r#""\udc00\ud83d""#).as_deref(),
            Some(r#""\ufffd\ufffd""#)
        );
        assert_eq!(
            fixed(r#""\ud800\u0041""#).as_deref(),
            Some(r#""\ufffd\u0041""#)
        );
        assert_eq!(fixed(r#""\ud83d\ude00 \\ud800 \u00e9""#), None);
        assert_eq!(fixed(r#""\uZZZZ""#), None);
        let line = br#"{"id":"s","input":"cut \ud83d","output":"\ude00 ok"}"#;
        match parse_line(3, 0, line).next() {
            Some(Record::Event(e)) => {
                assert_eq!(e.input.as_deref(), Some("cut \u{fffd}"));
                assert_eq!(e.output.as_deref(), Some("\u{fffd} ok"));
            }
            other => panic!("{other:?}"),
        }
        match parse_line(4, 2, br#"{"input":"\ud800",}"#).next() {
            Some(Record::Malformed {
                line: 4,
                column,
                message,
            }) => {
                assert_eq!(message, "not JSON: trailing comma");
                // The `}` after the comma, past the two trimmed spaces.
                assert_eq!(column, Some(2 + 19));
            }
            other => panic!("{other:?}"),
        }
    }

    /// Spans of an export that record no model exchange are passed over
    /// as such, not reported as malformed: a `gen_ai.*` attribute or
    /// event is what makes a span an event.
    #[test]
    fn other_spans_are_not_events() {
        let span = |attrs: &str, events: &str| {
            format!(r#"{{"traceId":"t","spanId":"s","attributes":[{attrs}],"events":[{events}]}}"#)
        };
        let http = r#"{"key":"http.method","value":{"stringValue":"GET"}}"#;
        let model = r#"{"key":"gen_ai.request.model","value":{"stringValue":"m"}}"#;
        let failure = r#"{"name":"exception","attributes":[]}"#;
        let user = r#"{"name":"gen_ai.user.message","attributes":[{"key":"content","value":{"stringValue":"hi"}}]}"#;
        let kinds = |line: String| -> Vec<&'static str> {
            parse_line(1, 0, line.as_bytes())
                .map(|r| match r {
                    Record::Event(_) => "event",
                    Record::Skipped { .. } => "other",
                    Record::Malformed { .. } => "malformed",
                })
                .collect()
        };
        assert_eq!(kinds(span(http, "")), ["other"]);
        assert_eq!(kinds(span(http, failure)), ["other"]);
        assert_eq!(kinds(span(model, "")), ["event"]);
        assert_eq!(kinds(span(http, user)), ["event"]);
        let export = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{},{}]}}]}}]}}"#,
            span(http, ""),
            span(model, "")
        );
        assert_eq!(kinds(export), ["other", "event"]);
    }

    /// A byte-order mark before the first line is dropped; one anywhere
    /// else is the line's own (and makes it malformed, as it should).
    #[test]
    fn byte_order_mark() {
        let text = b"\xEF\xBB\xBF{\"id\":\"a\"}\n\xEF\xBB\xBFb\n";
        let want = vec![
            (1, "{\"id\":\"a\"}".to_string()),
            (2, "\u{feff}b".to_string()),
        ];
        for block in [1, 100] {
            assert_eq!(lines_of(text, block).0, want, "block {block}");
        }
        assert_eq!(
            lines_of(b"\xEF\xBB\xBF\nx", 10).0,
            vec![(2, "x".to_string())]
        );
    }

    /// A gzip stream that breaks off: the whole lines before the break,
    /// then one record saying so, numbered after them.
    #[test]
    fn broken_gzip_is_reported_after_its_lines() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for i in 0..2000 {
            writeln!(gz, "{{\"id\":\"e{i}\",\"input\":\"{}\"}}", "z".repeat(200)).unwrap();
        }
        let bytes = gz.finish().unwrap();
        let cut = bytes.get(..bytes.len() / 2).unwrap();
        let (lines, failed) = lines_of(cut, 1000);
        assert!(!lines.is_empty());
        let n = lines.len();
        assert_eq!(lines.last().unwrap().0, n);
        match failed {
            Some(Record::Malformed { line, message, .. }) => {
                assert_eq!(line, n + 1);
                assert!(message.starts_with("cannot read"), "{message}");
            }
            other => panic!("no failure recorded: {other:?}"),
        }
    }
}
