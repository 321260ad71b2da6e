//! The detectors' gate: one pass over a text's bytes that works out, for
//! every built-in detector, where its validated matches can lie (a cluster
//! of digits with a group long enough for a card number, the word around
//! an `@` for an email, a run of 15 key characters for an API key or a
//! JWT, ...). Only the detectors with somewhere to look then run their
//! exact regex, and only over that window. Most prose passes no gate at
//! all, so a text costs one cheap scan instead of a lazy DFA over the
//! union of every detector, which runs at a few ns per byte because the
//! detectors' counted repetitions multiply its states; and a 2 KB prompt
//! with one card number in it runs the card regex over that number.
//!
//! The scan works on blocks of 64 bytes: vector compares flag the bytes
//! worth a closer look and the bytes above `0x20`, the flags are packed
//! into bit masks, and only the flagged bytes are looked at one by one.
//! Key bytes are flagged (and their runs found with shifts) only in
//! blocks where the bytes above `0x20` make a run of 15, which prose
//! seldom does.
//!
//! Each window must hold every match its detector can validate, never
//! merely most of them: a window that misses a match loses a finding. The
//! property test below holds every window to that on generated texts
//! dense in near misses, comparing with a search of the whole text.

/// A byte range of a text that holds every match a detector can
/// validate: the detector's regex searches only there (its look-around
/// still sees the bytes on either side). Empty when nothing was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub lo: usize,
    pub hi: usize,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            lo: usize::MAX,
            hi: 0,
        }
    }
}

impl Window {
    pub fn seen(&self) -> bool {
        self.lo < self.hi
    }

    pub fn range(&self) -> Option<std::ops::Range<usize>> {
        self.seen().then_some(self.lo..self.hi)
    }

    /// Widens the window to hold `lo..hi`.
    fn add(&mut self, lo: usize, hi: usize) {
        self.lo = self.lo.min(lo);
        self.hi = self.hi.max(hi);
    }
}

/// What one pass over a text found: for each detector, where its matches
/// can lie. A window may be wider than it needs to be, never narrower.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Features {
    /// Around each `@`: the local-part characters before it and the
    /// domain characters after it.
    pub email: Window,
    /// From each `://` (five bytes back, for `https`) or `www.` to the end
    /// of its run of non-space bytes.
    pub url: Window,
    /// The run of hex digits and colons around each `::`, or two colons
    /// with one to four hex digits between them.
    pub ipv6: Window,
    /// From each five dashes in a row, as long as a PEM header can be.
    pub private_key: Window,
    /// Runs of at least 15 bytes of `[A-Za-z0-9_.-]` (API keys, JWTs,
    /// base58 addresses), to their ends.
    pub long_run: Window,
    /// Clusters of digits and separators ([`cluster`]) with 13 digits
    /// joined by single spaces or hyphens.
    pub card: Window,
    /// Clusters with 9 such digits.
    pub ssn: Window,
    /// Clusters with 8 digits joined by up to two of ` .-()`, from the
    /// byte before them (a `+` or `(`) through an extension after them.
    pub phone: Window,
    /// Clusters with a run of 8 digits.
    pub bank: Window,
    /// Clusters with four runs of digits joined by single dots.
    pub ipv4: Window,
    /// From two capital letters right before a run of at least two
    /// digits, as long as an IBAN can be.
    pub iban: Window,
    /// From each `bc1`, as long as a bech32 address can be.
    pub bc1: Window,
    /// A run of exactly four digits that starts with 19 or 20.
    pub year: bool,
}

/// The longest matches that start at a fixed point: an IBAN
/// (`[A-Z]{2}[0-9]{2}` and 30 more characters each after an optional
/// space), a bech32 address (`bc1` and 71), a PEM header (43, rounded up).
const IBAN_LEN: usize = 4 + 2 * 30;
const BC1_LEN: usize = 3 + 71;
const PEM_LEN: usize = 64;

fn at(bytes: &[u8], i: usize) -> u8 {
    bytes.get(i).copied().unwrap_or(0)
}

/// Separators inside a digit group.
fn group_sep(b: u8) -> bool {
    matches!(b, b' ' | b'-')
}
fn phone_sep(b: u8) -> bool {
    matches!(b, b' ' | b'.' | b'-' | b'(' | b')')
}

/// Characters of an API key, JWT or base58 address.
fn key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// Where the run of bytes in `class` that reaches back from `i` starts.
fn back(bytes: &[u8], mut i: usize, class: impl Fn(u8) -> bool) -> usize {
    while i > 0 && class(at(bytes, i - 1)) {
        i -= 1;
    }
    i
}

/// Where the run of bytes in `class` that starts at `i` ends.
fn forward(bytes: &[u8], mut i: usize, class: impl Fn(u8) -> bool) -> usize {
    while bytes.get(i).is_some_and(|&b| class(b)) {
        i += 1;
    }
    i
}

/// The first start and the last end of the runs of at least 15 key
/// bytes that begin before `hi` and reach `lo` or beyond.
fn long_runs(bytes: &[u8], lo: usize, hi: usize) -> Option<(usize, usize)> {
    let mut i = back(bytes, lo, key_byte);
    let mut found = None;
    while i < hi.min(bytes.len()) {
        let end = forward(bytes, i, key_byte);
        if end - i >= 15 {
            found = Some((found.map_or(i, |(s, _)| s), end));
        }
        i = end.max(i + 1);
    }
    found
}

/// Scans the cluster of digits and separators that starts at `start` (a
/// digit), and returns where it ends. It works a run of digits at a time:
/// a group goes on through a run when the run's first digit continues it.
///
/// The digit detectors' matches are digits and separators (a phone
/// number's may start with a `+` or `(` just before), so each lies inside
/// one cluster, which is why a cluster is their window.
fn cluster(bytes: &[u8], start: usize, f: &mut Features) -> usize {
    // Most clusters in prose are one short number and a space or a full
    // stop: fewer than 8 digits in one run open no digit window, and
    // fewer than five separators hold no five dashes. Only the run's own
    // evidence is left to record.
    let run_end = forward(bytes, start, |b| b.is_ascii_digit());
    let sep_end = forward(bytes, run_end, phone_sep);
    if run_end - start < 8 && sep_end - run_end < 5 && !at(bytes, sep_end).is_ascii_digit() {
        end_run(bytes, start, run_end - start, f);
        return sep_end;
    }
    let mut i = start;
    // Digits counted in the current group, separators since the last digit,
    // and whether those separators still allow the group to go on.
    let (mut group, mut gap, mut group_ok) = (0usize, 0usize, true);
    let mut phone = 0usize;
    // Runs of digits so far joined by single dots.
    let mut dotted = 0usize;
    // This cluster's largest counts.
    let (mut most_group, mut most_phone, mut most_run, mut quad) = (0, 0, 0, false);
    let end = loop {
        let run_start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let run = i - run_start;
        // One separator since the last digit (a cluster starts at a digit),
        // and it is a dot.
        let joined = gap == 1 && at(bytes, run_start.wrapping_sub(1)) == b'.';
        dotted = if joined { dotted + 1 } else { 1 };
        quad |= dotted >= 4;
        group = if group_ok && gap <= 1 {
            group + run
        } else {
            run
        };
        phone = if gap <= 2 { phone + run } else { run };
        most_group = most_group.max(group);
        most_phone = most_phone.max(phone);
        most_run = most_run.max(run);
        end_run(bytes, run_start, run, f);
        (gap, group_ok) = (0, true);
        // The separators up to the next digit. `mark` does not see the
        // bytes of a cluster, and of what it looks for only five dashes can
        // lie inside one.
        let mut dashes = 0usize;
        loop {
            match bytes.get(i) {
                Some(&b) if phone_sep(b) => {
                    gap += 1;
                    group_ok &= group_sep(b);
                    dashes = if b == b'-' { dashes + 1 } else { 0 };
                    if dashes >= 5 {
                        let first = i + 1 - 5;
                        f.private_key.add(first, (first + PEM_LEN).min(bytes.len()));
                    }
                    i += 1;
                }
                _ => break,
            }
        }
        if !bytes.get(i).is_some_and(u8::is_ascii_digit) {
            break i;
        }
    };
    let len = bytes.len();
    let window = |w: &mut Window, open: bool, lo: usize| {
        if open {
            w.add(lo, end.min(len));
        }
    };
    window(&mut f.card, most_group >= 13, start);
    window(&mut f.ssn, most_group >= 9, start);
    if most_phone >= 8 {
        // From the `+` or `(` before, through an extension after.
        f.phone
            .add(start.saturating_sub(1), extension_end(bytes, end).min(len));
    }
    window(&mut f.bank, most_run >= 8, start);
    window(&mut f.ipv4, quad, start);
    end
}

/// Where a phone extension written right after a number ends (`, ext.
/// 42`, ` x42`, ` #7`), or `end` when there is none.
fn extension_end(bytes: &[u8], end: usize) -> usize {
    let mut i = end;
    // The cluster ends after its separators: step back over them.
    while i > 0 && bytes.get(i - 1).is_some_and(|&b| phone_sep(b)) {
        i -= 1;
    }
    let rest = bytes.get(i..).unwrap_or_default();
    let rest = rest.strip_prefix(b",").unwrap_or(rest);
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    let lower: Vec<u8> = rest.iter().take(10).map(u8::to_ascii_lowercase).collect();
    let marker = [&b"extension"[..], b"ext.", b"ext", b"x", b"#"]
        .into_iter()
        .find(|m| lower.starts_with(m));
    let Some(marker) = marker else {
        return end;
    };
    let after = rest.get(marker.len()..).unwrap_or_default();
    let after = after.strip_prefix(b" ").unwrap_or(after);
    let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return end;
    }
    bytes.len() - after.len() + digits
}

/// Records what a maximal run of `len` digits at `s` says.
fn end_run(bytes: &[u8], s: usize, len: usize, f: &mut Features) {
    let (d0, d1) = (at(bytes, s), at(bytes, s + 1));
    if len == 4 && matches!((d0, d1), (b'1', b'9') | (b'2', b'0')) {
        f.year = true;
    }
    if s >= 2 {
        let (p2, p1) = (at(bytes, s - 2), at(bytes, s - 1));
        let clip = |n: usize| (s - 2 + n).min(bytes.len());
        if len >= 2 && p2.is_ascii_uppercase() && p1.is_ascii_uppercase() {
            f.iban.add(s - 2, clip(IBAN_LEN));
        }
        if d0 == b'1' && p2 == b'b' && p1 == b'c' {
            f.bc1.add(s - 2, clip(BC1_LEN));
        }
    }
}

/// Where the URL with its scheme or `www.` at `i` can end: the first
/// ASCII space or quoting character (stopping only there, and never at a
/// non-ASCII space, can only widen the window). Evidence inside the run an
/// earlier one reached ends where that one does, which keeps a long run
/// of `://` linear.
fn url_end(bytes: &[u8], i: usize, url: Window) -> usize {
    if i < url.hi {
        return url.hi;
    }
    forward(bytes, i, |b| {
        !b.is_ascii_whitespace() && !matches!(b, b'<' | b'>' | b'"' | b'\'' | b'`')
    })
}

/// Looks at one byte of interest other than a digit.
fn mark(bytes: &[u8], i: usize, f: &mut Features) {
    match at(bytes, i) {
        b'@' => {
            let local = |b: u8| b.is_ascii_alphanumeric() || b"._%+-".contains(&b);
            let domain = |b: u8| b.is_ascii_alphanumeric() || b".-".contains(&b);
            f.email
                .add(back(bytes, i, local), forward(bytes, i + 1, domain));
        }
        b':' => {
            if at(bytes, i + 1) == b'/' && at(bytes, i + 2) == b'/' {
                f.url.add(i.saturating_sub(5), url_end(bytes, i, f.url));
            }
            let hex = bytes.get(i + 1..).map_or(0, |r| {
                r.iter()
                    .take(5)
                    .take_while(|c| c.is_ascii_hexdigit())
                    .count()
            });
            // A colon inside the run an earlier one reached is in the
            // window already (and scanning its run again for every colon
            // would be quadratic).
            if hex <= 4 && at(bytes, i + 1 + hex) == b':' && i >= f.ipv6.hi {
                let class = |b: u8| b.is_ascii_hexdigit() || b == b':';
                // An address may end in embedded IPv4 (`::ffff:192.0.2.1`)
                // or a zone (`fe80::1%eth0`).
                let tail = |b: u8| b.is_ascii_alphanumeric() || b":.%".contains(&b);
                f.ipv6.add(back(bytes, i, class), forward(bytes, i, tail));
            }
        }
        b'.' if i >= 3
            && bytes
                .get(i - 3..i)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"www")) =>
        {
            f.url.add(i - 3, url_end(bytes, i, f.url));
        }
        b'-' if bytes.get(i..i + 5) == Some(b"-----") => {
            f.private_key.add(i, (i + PEM_LEN).min(bytes.len()));
        }
        _ => {}
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;

/// Bytes per block of the scan's flag pass: one bit of a `u64` each.
const BLOCK: usize = 64;

/// Per-byte flags of one block: bit 0 for a byte the per-byte pass must
/// see (a digit, `-./:` or `@`), bit 1 for a key byte, bit 2 for a byte
/// above `0x20` (every key byte is one: a run of 15 key bytes needs 15 of
/// these, which prose seldom has). This is the definition [`masks`] and
/// [`key_mask`] compute with vector compares; it is the whole computation
/// where those are not available.
fn flags(block: &[u8; BLOCK]) -> [u8; BLOCK] {
    let mut out = [0u8; BLOCK];
    for (o, &b) in out.iter_mut().zip(block) {
        // `-./0123456789:` is one range; key characters are the letters,
        // `_`, and that range but `/` and `:`.
        let t = b.wrapping_sub(b'-');
        let hot = u8::from(t <= b':' - b'-') | u8::from(b == b'@');
        let alpha = (b | 0x20).wrapping_sub(b'a') < 26;
        let key = alpha | ((t < b':' - b'-') & (b != b'/')) | (b == b'_');
        *o = hot | (u8::from(key) << 1) | (u8::from(b > 0x20) << 2);
    }
    out
}

/// Bit 0 of each byte of `w` (each byte 0 or 1), as the bits of one byte
/// in the same order: the multiplication adds each byte's bit into the
/// top byte at its own position, with no carries.
fn pack(w: u64) -> u64 {
    w.wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// One word of eight one-byte flags.
fn word(flags: &[u8]) -> u64 {
    <[u8; 8]>::try_from(flags).map_or(0, u64::from_le_bytes)
}

/// The hot, key and above-space flags of a block as bit masks (bit `i`
/// for byte `i`), from [`flags`].
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
fn portable_masks(block: &[u8; BLOCK]) -> [u64; 3] {
    let mut out = [0u64; 3];
    for (k, c) in flags(block).chunks_exact(8).enumerate() {
        let w = word(c);
        for (bit, m) in out.iter_mut().enumerate() {
            *m |= pack((w >> bit) & ONES) << (8 * k);
        }
    }
    out
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    //! [`super::portable_masks`] with SSE2 compares, 16 bytes at a time:
    //! the byte masks go straight to bits with `movemask`, which a
    //! portable loop does not compile to.
    use safe_arch::{
        add_i8_m128i, bitandnot_m128i, bitor_m128i, cmp_eq_mask_i8_m128i, cmp_gt_mask_i8_m128i,
        cmp_lt_mask_i8_m128i, load_unaligned_m128i, m128i, move_mask_i8_m128i, set_splat_i8_m128i,
    };

    use super::BLOCK;

    fn splat(b: u8) -> m128i {
        set_splat_i8_m128i(b as i8)
    }

    /// Unsigned range tests as signed ones: adding `0x80 - lo` moves
    /// `lo..lo + n` to `-128..-128 + n`, and everything else above it.
    fn below(n: u8) -> m128i {
        set_splat_i8_m128i(i8::MIN.wrapping_add(n as i8))
    }

    /// One bit per byte of `block`, from a 16-byte mask of each quarter.
    fn bits(block: &[u8; BLOCK], each: impl Fn(m128i) -> m128i) -> u64 {
        let quarters = block
            .chunks_exact(16)
            .filter_map(|q| <&[u8; 16]>::try_from(q).ok());
        quarters.enumerate().fold(0, |m, (k, q)| {
            // Sixteen mask bits; the cast keeps them.
            m | u64::from(move_mask_i8_m128i(each(load_unaligned_m128i(q))) as u16) << (16 * k)
        })
    }

    /// The hot bytes and the bytes above `0x20`.
    pub fn masks(block: &[u8; BLOCK]) -> (u64, u64) {
        let hot = bits(block, |v| {
            let t = add_i8_m128i(v, splat(0x80u8.wrapping_sub(b'-')));
            bitor_m128i(
                cmp_lt_mask_i8_m128i(t, below(b':' - b'-' + 1)),
                cmp_eq_mask_i8_m128i(v, splat(b'@')),
            )
        });
        let loose = bits(block, |v| {
            cmp_gt_mask_i8_m128i(add_i8_m128i(v, splat(0x80)), below(0x20))
        });
        (hot, loose)
    }

    /// The key bytes.
    pub fn key_mask(block: &[u8; BLOCK]) -> u64 {
        bits(block, |v| {
            let t = add_i8_m128i(v, splat(0x80u8.wrapping_sub(b'-')));
            let lower = add_i8_m128i(
                bitor_m128i(v, splat(0x20)),
                splat(0x80u8.wrapping_sub(b'a')),
            );
            let alpha = cmp_lt_mask_i8_m128i(lower, below(26));
            // `-.0123456789`: the hot range without `:`, then without `/`.
            let range = bitandnot_m128i(
                cmp_eq_mask_i8_m128i(v, splat(b'/')),
                cmp_lt_mask_i8_m128i(t, below(b':' - b'-')),
            );
            bitor_m128i(
                bitor_m128i(alpha, range),
                cmp_eq_mask_i8_m128i(v, splat(b'_')),
            )
        })
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
use sse2::{key_mask, masks};

/// The hot bytes and the bytes above `0x20`.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn masks(block: &[u8; BLOCK]) -> (u64, u64) {
    let [hot, _, loose] = portable_masks(block);
    (hot, loose)
}

/// The key bytes.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn key_mask(block: &[u8; BLOCK]) -> u64 {
    portable_masks(block)[1]
}

/// Whether `x` has 15 consecutive one bits.
fn run_of_15(x: u64) -> bool {
    let r2 = x & (x >> 1);
    let r4 = r2 & (r2 >> 2);
    let r8 = r4 & (r4 >> 4);
    r8 & (r8 >> 7) != 0
}

/// One pass over `text`.
pub fn scan(text: &str) -> Features {
    let bytes = text.as_bytes();
    let mut f = Features::default();
    // Bytes before this index belong to a cluster already scanned.
    let mut done = 0usize;
    let blocks = bytes.chunks_exact(BLOCK);
    // The last partial block, padded with zeros: a zero byte is neither
    // hot nor a key byte, so padding neither adds a visit nor lengthens a
    // run of key bytes.
    let mut last = [0u8; BLOCK];
    for (l, &b) in last.iter_mut().zip(blocks.remainder()) {
        *l = b;
    }
    let mut base = 0usize;
    // Bytes above `0x20` at the end of the blocks so far, saturating: a
    // run of 15 such bytes lies in one block, or is this count and this
    // block's leading ones.
    let mut carry = 0u32;
    // The first and last blocks where a run of 15 key bytes was complete.
    let mut long: Option<(usize, usize)> = None;
    let mut before: &[u8; BLOCK] = &[0; BLOCK];
    for block in blocks
        .filter_map(|b| <&[u8; BLOCK]>::try_from(b).ok())
        .chain(std::iter::once(&last))
    {
        let (mut hot, loose) = masks(block);
        // Every key byte is above `0x20`, so only where those make a run
        // of 15 can key bytes: then the key masks of this block and the
        // one before settle it. Key bytes at the end of the one before
        // count in full when they fill it, as any count of 15 or more
        // gives the same answer.
        if run_of_15(loose) || carry.saturating_add(loose.trailing_ones()) >= 15 {
            let key = key_mask(block);
            let back = key_mask(before);
            let key_carry = if back == u64::MAX {
                64
            } else {
                back.leading_ones()
            };
            if run_of_15(key) || key_carry + key.trailing_ones() >= 15 {
                // The run lies in this block and the one before, or
                // reaches further back; its ends are found once, after
                // the pass.
                long = Some((long.map_or(base, |(first, _)| first), base));
            }
        }
        carry = if loose == u64::MAX {
            carry.saturating_add(64)
        } else {
            loose.leading_ones()
        };
        before = block;
        // Hot bytes of a cluster scanned from an earlier block.
        if done > base {
            hot &= u64::MAX.checked_shl((done - base) as u32).unwrap_or(0);
        }
        while hot != 0 {
            let i = base + hot.trailing_zeros() as usize;
            if at(bytes, i).is_ascii_digit() {
                done = cluster(bytes, i, &mut f);
                // The cluster's own hot bytes in this block.
                hot &= u64::MAX.checked_shl((done - base) as u32).unwrap_or(0);
            } else {
                // `mark` looks only at the bytes it knows.
                mark(bytes, i, &mut f);
                hot &= hot - 1;
            }
        }
        base += BLOCK;
    }
    if let Some((first, last)) = long {
        let around = |b: usize| long_runs(bytes, b.saturating_sub(BLOCK), b + BLOCK);
        if let (Some((lo, _)), Some((_, hi))) = (around(first), around(last)) {
            f.long_run.add(lo, hi);
        }
    }
    f
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Each digit window opens at its count and not one digit below.
    #[test]
    fn digit_groups() {
        let f = scan("card 4111 1111-1111 1111 and phone +1 (555) 123-4567.");
        assert!(f.card.seen() && f.phone.seen());
        let f = scan("call (555) 123-4567 now");
        assert!(f.phone.seen() && !f.ssn.seen());
        assert!(!scan("call (55) 123-45 now").phone.seen());
        assert!(scan("n 1234 5678 90123 x").card.seen());
        assert!(!scan("n 1234 5678 9012 x").card.seen());
        assert!(scan("ssn 123-45-6789").ssn.seen());
        assert!(!scan("ssn 123-45-678").ssn.seen());
        assert!(scan("acct 12345678 x").bank.seen());
        assert!(!scan("acct 1234567 x").bank.seen());
    }

    /// The window of `text` as a string, "" when nothing was seen.
    fn seen(text: &str, w: impl Fn(&Features) -> Window) -> &str {
        w(&scan(text)).range().map_or("", |r| &text[r])
    }

    #[test]
    fn shapes() {
        assert!(scan("born 03/04/1990").year);
        assert!(!scan("order 10000 and 4242").year);
        assert_eq!(seen("IBAN GB82 WEST", |f| f.iban), "GB82 WEST");
        assert_eq!(seen("ip 10.0.0.1 ok", |f| f.ipv4), "10.0.0.1 ");
        assert_eq!(seen("ip 10.0.0.1.", |f| f.ipv4), "10.0.0.1.");
        assert_eq!(seen("42.10 USD and 1.2.3", |f| f.ipv4), "");
        assert_eq!(seen("1.2. 3.4", |f| f.ipv4), "");
        let bc1 = "addr bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";
        assert_eq!(seen(bc1, |f| f.bc1), &bc1[5..]);
        assert_eq!(
            seen("see https://x.io/a?b=c, then", |f| f.url),
            "https://x.io/a?b=c,"
        );
        assert_eq!(seen("see WWW.x.io", |f| f.url), "WWW.x.io");
        assert_eq!(seen("at fe80::1 ok", |f| f.ipv6), "fe80::1");
        assert_eq!(seen("2001:db8:0:1", |f| f.ipv6), "2001:db8:0:1");
        assert_eq!(seen("Note: the time is 10:30", |f| f.ipv6), "");
        let pem = "-----BEGIN RSA PRIVATE KEY-----";
        assert_eq!(seen(pem, |f| f.private_key), pem);
        // Dashes inside a cluster of digits and separators.
        assert_eq!(seen("id 12-----BEGIN", |f| f.private_key), "-----BEGIN");
        assert_eq!(seen("id 12 -- -----", |f| f.private_key), "-----");
        assert_eq!(seen("id 12----.-1", |f| f.private_key), "");
        let key = "key sk-abcdefghijklmnopqrstuvwx here";
        assert_eq!(seen(key, |f| f.long_run), "sk-abcdefghijklmnopqrstuvwx");
        assert_eq!(
            seen("plain words only, nothing more here", |f| f.long_run),
            ""
        );
        assert_eq!(
            seen("mail: jane.doe@b.io, ok", |f| f.email),
            "jane.doe@b.io"
        );
    }

    /// Evidence repeated through one long run: the windows are the run
    /// (each piece of evidence reuses the end an earlier one found).
    #[test]
    fn repeated_evidence_in_one_run() {
        // Five bytes back from the first `://`, for `https`.
        let t = format!("x {} y", "http://a".repeat(500));
        assert_eq!(seen(&t, |f| f.url), &t[1..t.len() - 2]);
        let t = format!("x {} y", "ab::".repeat(500));
        assert_eq!(seen(&t, |f| f.ipv6), &t[2..t.len() - 2]);
        let t = format!("x {} y", "www.".repeat(500));
        assert_eq!(seen(&t, |f| f.url), &t[2..t.len() - 2]);
    }

    #[test]
    fn cluster_windows() {
        let t = "card 4111 1111-1111 1111 and phone +1 (555) 123-4567. ssn 123-45-6789!";
        assert_eq!(seen(t, |f| f.card), "4111 1111-1111 1111 ");
        // Clusters of at least 8 digits, from the byte before each.
        assert_eq!(
            seen(t, |f| f.phone),
            " 4111 1111-1111 1111 and phone +1 (555) 123-4567. ssn 123-45-6789"
        );
        assert_eq!(seen("call (555) 123-4567", |f| f.phone), "(555) 123-4567");
        assert_eq!(
            seen(t, |f| f.ssn),
            "4111 1111-1111 1111 and phone +1 (555) 123-4567. ssn 123-45-6789"
        );
        assert_eq!(seen("acct 12345678901 x", |f| f.bank), "12345678901 ");
        assert_eq!(seen("acct 1234567 x", |f| f.bank), "");
    }

    /// A long run found in one block reaches back and forward across
    /// several blocks.
    #[test]
    fn long_run_window_spans_blocks() {
        let run = "k".repeat(100);
        let t = format!("{} {run} tail", " ".repeat(40));
        assert_eq!(seen(&t, |f| f.long_run), run);
        let t = format!("{run}{}", " x".repeat(40));
        assert_eq!(seen(&t, |f| f.long_run), run);
    }

    /// The flags' arithmetic is the plain definition, for every byte.
    #[test]
    fn flags_for_every_byte() {
        for b in 0..=255u8 {
            let got = flags(&[b; BLOCK])[0];
            let hot = matches!(b, b'-'..=b':' | b'@');
            let key = b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
            let loose = b > b' ';
            assert_eq!(
                got,
                u8::from(hot) | (u8::from(key) << 1) | (u8::from(loose) << 2),
                "byte {b:#x}"
            );
        }
    }

    fn vector(block: &[u8; BLOCK]) -> [u64; 3] {
        let (hot, loose) = masks(block);
        [hot, key_mask(block), loose]
    }

    /// The vector masks are the portable ones, for every byte at every
    /// position and for mixed blocks.
    #[test]
    fn masks_match_the_definition() {
        for b in 0..=255u8 {
            for pos in 0..BLOCK {
                let mut block = [b'x'; BLOCK];
                block[pos] = b;
                assert_eq!(
                    vector(&block),
                    portable_masks(&block),
                    "byte {b:#x} at {pos}"
                );
            }
        }
        let mut block = [0u8; BLOCK];
        for seed in 0..2000u32 {
            for (i, x) in block.iter_mut().enumerate() {
                *x = (seed.wrapping_mul(2654435761).rotate_left(i as u32 % 31) >> 5) as u8;
            }
            assert_eq!(vector(&block), portable_masks(&block), "{block:?}");
        }
    }

    /// Runs of 14, 15 and 16 key bytes at every offset around block
    /// edges, the text ending with the run or going on after it.
    #[test]
    fn long_runs_at_every_offset() {
        for off in 0..140 {
            for len in [14, 15, 16] {
                for tail in ["", " ", " and more words after the run"] {
                    let t = format!("{}{}{tail}", " ".repeat(off), "k".repeat(len));
                    assert_eq!(scan(&t).long_run.seen(), len >= 15, "{off} {len} {tail:?}");
                }
            }
        }
    }

    #[test]
    fn runs_across_chunks() {
        // The run starts mid-chunk and ends mid-chunk.
        let text = "abc AKIAIOSFODNN7EXAMPLE xyz";
        assert!(scan(text).long_run.seen());
        assert_eq!(seen("1234567 89012345", |f| f.card), "1234567 89012345");
    }

    use crate::engine::detect::Detectors;
    use proptest::prelude::*;

    /// Fragments that build near misses of every detector.
    const PIECES: &[&str] = &[
        "0",
        "1",
        "2",
        "3",
        "4",
        "5",
        "7",
        "9",
        "19",
        "20",
        "4111",
        "1111",
        "6789",
        "555",
        " ",
        " ",
        "  ",
        "-",
        ".",
        "/",
        "(",
        ")",
        "+",
        ":",
        "::",
        "@",
        "_",
        ",",
        "\n",
        "a",
        "e",
        "f",
        "x",
        "Z",
        "GB",
        "DE",
        "WEST",
        "bc1",
        "bc",
        "www",
        "WWW",
        "http",
        "://",
        "born",
        "DOB",
        "account",
        "bank",
        "Jan",
        "march",
        "sk-",
        "ant-",
        "AKIA",
        "AIza",
        "ghp_",
        "xoxb-",
        "hf_",
        "eyJ",
        "hbGciOiJIUzI1NiJ9",
        "-----",
        "BEGIN ",
        "RSA ",
        "PRIVATE KEY",
        "abcdefghij",
        "ABCDEFGHIJ",
        "0123456789",
        "é",
        "日本",
        "mail.example.com",
        "10.0.0.1",
        "fe80",
        "2001:db8",
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        "jane+x%",
        "<",
        "\"",
        "!",
        "https://",
        "\u{a0}",
    ];

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => proptest::sample::select(PIECES).prop_map(str::to_string),
            1 => "[0-9]{1,19}",
            1 => "[0-9][0-9 .()-]{0,24}",
            1 => "[A-Z]{2}[0-9]{2}[A-Z0-9 ]{0,30}",
            1 => "[A-Za-z0-9_.-]{10,40}",
            1 => "[0-9a-f:]{2,20}",
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(piece(), 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn gate_never_hides_a_match(t in text()) {
            let d = Detectors::get().unwrap();
            prop_assert_eq!(d.matches(&t, true), d.matches(&t, false));
        }
    }

    #[test]
    fn gate_keeps_known_findings() {
        let d = Detectors::get().unwrap();
        for t in [
            "card 4111 1111 1111 1111 ok",
            "ssn 123-45-6789",
            "call +1 (415) 555-0132 now",
            "IBAN GB82 WEST 1234 5698 7654 32",
            "IBAN MT84 MALT 0110 0001 2345 MTLC AST0 01S",
            "p2wsh bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3 ok",
            "-----BEGIN ENCRYPTED PRIVATE KEY BLOCK-----\nabc\n-----END PRIVATE KEY-----",
            "acct number 12345678 at bank",
            "born on 03/04/1990",
            "DOB: March 4, 1990",
            "key AKIAIOSFODNN7EXAMPLE",
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "btc 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 and bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "host fe80::1 and 192.168.0.1 and https://x.example/a and www.example.org",
            "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----",
            "mail jane.doe@example.com",
        ] {
            let ungated = d.matches(t, false);
            assert!(!ungated.is_empty(), "{t}");
            assert_eq!(d.matches(t, true), ungated, "{t}");
        }
    }
}
