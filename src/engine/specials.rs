//! Where a JSON line's strings can end: one vector pass marks every `"`,
//! `\` and control character of the line as a bit, and the line reader
//! then finds the end of each key and string with a `trailing_zeros`
//! instead of a search per string (most keys and values are a few bytes,
//! where a search's set-up costs more than its scan).

/// Bytes per word of the mask.
const BLOCK: usize = 64;

/// The marked bytes of one line: bit `i % 64` of word `i / 64` is set
/// when byte `i` is `"`, `\` or below `0x20`.
#[derive(Debug, Default)]
pub struct Specials {
    words: Vec<u64>,
    len: usize,
}

impl Specials {
    /// Marks `bytes`, reusing this mask's memory.
    pub fn mark(&mut self, bytes: &[u8]) {
        self.words.clear();
        self.len = bytes.len();
        let blocks = bytes.chunks_exact(BLOCK);
        // The last partial block, padded with spaces, which are not marked.
        let mut last = [b' '; BLOCK];
        for (l, &b) in last.iter_mut().zip(blocks.remainder()) {
            *l = b;
        }
        let full = blocks.filter_map(|b| <&[u8; BLOCK]>::try_from(b).ok());
        self.words
            .extend(full.chain(std::iter::once(&last)).map(block_mask));
    }

    /// The first marked byte at or after `from`.
    pub fn next(&self, from: usize) -> Option<usize> {
        let mut w = from / BLOCK;
        let mut bits = self.words.get(w)? & (u64::MAX << (from % BLOCK));
        while bits == 0 {
            w += 1;
            bits = *self.words.get(w)?;
        }
        let i = w * BLOCK + bits.trailing_zeros() as usize;
        (i < self.len).then_some(i)
    }
}

/// Whether the byte is marked: the definition [`block_mask`] computes with
/// vector compares.
fn marked(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
fn portable_mask(block: &[u8; BLOCK]) -> u64 {
    block
        .iter()
        .enumerate()
        .fold(0, |m, (i, &b)| m | (u64::from(marked(b)) << i))
}

/// [`portable_mask`] with SSE2 compares, 16 bytes at a time.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn block_mask(block: &[u8; BLOCK]) -> u64 {
    use safe_arch::{
        add_i8_m128i, bitor_m128i, cmp_eq_mask_i8_m128i, cmp_lt_mask_i8_m128i,
        load_unaligned_m128i, move_mask_i8_m128i, set_splat_i8_m128i,
    };
    let splat = |b: u8| set_splat_i8_m128i(b as i8);
    let mut mask = 0u64;
    let quarters = block
        .chunks_exact(16)
        .filter_map(|q| <&[u8; 16]>::try_from(q).ok());
    for (k, quarter) in quarters.enumerate() {
        let v = load_unaligned_m128i(quarter);
        // `0x00..0x20` moved to `-128..-96` by adding 0x80: below it as
        // a signed byte, where nothing else lands.
        let control = cmp_lt_mask_i8_m128i(add_i8_m128i(v, splat(0x80)), splat(0x80 + 0x20));
        let m = bitor_m128i(
            bitor_m128i(
                cmp_eq_mask_i8_m128i(v, splat(b'"')),
                cmp_eq_mask_i8_m128i(v, splat(b'\\')),
            ),
            control,
        );
        // Sixteen mask bits; the cast keeps them.
        mask |= u64::from(move_mask_i8_m128i(m) as u16) << (16 * k);
    }
    mask
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn block_mask(block: &[u8; BLOCK]) -> u64 {
    portable_mask(block)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// The vector mask and the definition agree for every byte value at
    /// every position of a block.
    #[test]
    fn vector_mask_is_the_definition() {
        for b in 0..=255u8 {
            for at in 0..BLOCK {
                let mut block = [b'a'; BLOCK];
                block[at] = b;
                assert_eq!(block_mask(&block), portable_mask(&block), "{b} at {at}");
                assert_eq!(block_mask(&block) != 0, marked(b), "{b} at {at}");
            }
        }
    }

    #[test]
    fn finds_each_marked_byte_in_turn() {
        let mut line = "x".repeat(200).into_bytes();
        for i in [0, 63, 64, 130, 199] {
            line[i] = b'"';
        }
        let mut s = Specials::default();
        s.mark(&line);
        let mut found = Vec::new();
        let mut from = 0;
        while let Some(i) = s.next(from) {
            found.push(i);
            from = i + 1;
        }
        assert_eq!(found, vec![0, 63, 64, 130, 199]);
        assert_eq!(s.next(200), None);
        assert_eq!(s.next(10_000), None);
        s.mark(b"ab\\c\n");
        assert_eq!((s.next(0), s.next(3), s.next(5)), (Some(2), Some(4), None));
        s.mark(b"");
        assert_eq!(s.next(0), None);
    }
}
