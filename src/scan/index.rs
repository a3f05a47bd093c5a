//! A structural index of a buffer of JSON text: one bit per byte for the quotes that open or
//! close strings (not `\"`), and one for the brackets `{ } [ ]` outside strings.
//!
//! Built 64 bytes at a time (SSE2 on x86_64, portable code elsewhere), it lets the walker jump
//! from a string's opening quote to its closing one, and over a nested value from bracket to
//! bracket, instead of looking at every byte.
//!
//! The index assumes its first byte is outside any string: it is built from a record boundary.
//! Inside JSON that is not well-formed the bits can be wrong; the walker then fails on the
//! structure, which is reported as corruption.

use super::error::{WalkError, WalkResult};

#[derive(Debug, Default, Clone)]
pub struct Index {
    /// Buffer offset of bit 0 of word 0.
    base: usize,
    /// Buffer offset just past the indexed bytes.
    end: usize,
    /// Words in use (the vectors only grow, and are not cleared).
    words: usize,
    quotes: Vec<u64>,
    brackets: Vec<u64>,
    backslashes: Vec<u64>,
}

/// A position in the quote bitmap: the word and its bits not yet taken. Taking the next quote
/// clears the lowest bit, a short dependency chain compared with locating a byte offset.
#[derive(Debug, Clone, Copy)]
pub struct Cursor {
    w: usize,
    word: u64,
}

/// Class masks of 64 bytes: quotes, backslashes, opening and closing brackets.
struct Masks {
    quote: u64,
    backslash: u64,
    open: u64,
    close: u64,
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn masks(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of the x86_64 baseline; each load reads 16 bytes inside `block`.
    unsafe {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let lower = _mm_set1_epi8(0x20);
        let open = _mm_set1_epi8(b'{' as i8);
        let close = _mm_set1_epi8(b'}' as i8);
        let mut m = Masks {
            quote: 0,
            backslash: 0,
            open: 0,
            close: 0,
        };
        for k in 0..4 {
            let v = _mm_loadu_si128(block.as_ptr().add(16 * k) as *const __m128i);
            // `[` | 0x20 == `{` and `]` | 0x20 == `}`; no other byte maps onto them.
            let l = _mm_or_si128(v, lower);
            let shift = 16 * k;
            m.quote |= (_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) as u16 as u64) << shift;
            m.backslash |= (_mm_movemask_epi8(_mm_cmpeq_epi8(v, backslash)) as u16 as u64) << shift;
            m.open |= (_mm_movemask_epi8(_mm_cmpeq_epi8(l, open)) as u16 as u64) << shift;
            m.close |= (_mm_movemask_epi8(_mm_cmpeq_epi8(l, close)) as u16 as u64) << shift;
        }
        m
    }
}

/// The same with AVX2, 32 bytes per instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn masks_avx2(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::*;
    // SAFETY (caller): AVX2 is available; each load reads 32 bytes inside `block`.
    unsafe {
        let quote = _mm256_set1_epi8(b'"' as i8);
        let backslash = _mm256_set1_epi8(b'\\' as i8);
        let lower = _mm256_set1_epi8(0x20);
        let open = _mm256_set1_epi8(b'{' as i8);
        let close = _mm256_set1_epi8(b'}' as i8);
        let mut m = Masks {
            quote: 0,
            backslash: 0,
            open: 0,
            close: 0,
        };
        for k in 0..2 {
            let v = _mm256_loadu_si256(block.as_ptr().add(32 * k) as *const __m256i);
            let l = _mm256_or_si256(v, lower);
            let shift = 32 * k;
            m.quote |= (_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, quote)) as u32 as u64) << shift;
            m.backslash |=
                (_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, backslash)) as u32 as u64) << shift;
            m.open |= (_mm256_movemask_epi8(_mm256_cmpeq_epi8(l, open)) as u32 as u64) << shift;
            m.close |= (_mm256_movemask_epi8(_mm256_cmpeq_epi8(l, close)) as u32 as u64) << shift;
        }
        m
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn masks(block: &[u8; 64]) -> Masks {
    let mut m = Masks {
        quote: 0,
        backslash: 0,
        open: 0,
        close: 0,
    };
    for (j, &c) in block.iter().enumerate() {
        let l = c | 0x20;
        m.quote |= u64::from(c == b'"') << j;
        m.backslash |= u64::from(c == b'\\') << j;
        m.open |= u64::from(l == b'{') << j;
        m.close |= u64::from(l == b'}') << j;
    }
    m
}

/// Bit k set when an odd number of bits 0..=k of `x` are set.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// The bytes escaped by a backslash; `carry` says the previous block ended with an escaping
/// backslash, and is set when this one does.
#[inline(always)]
fn escaped(backslash: u64, carry: &mut bool) -> u64 {
    let mut out = 0u64;
    let mut m = backslash;
    if *carry {
        out = 1;
        m &= !1;
    }
    *carry = false;
    while m != 0 {
        let p = m.trailing_zeros();
        if p == 63 {
            *carry = true;
            break;
        }
        out |= 1 << (p + 1);
        m &= !(3u64 << p);
    }
    out
}

/// The indexing loop, expanded in each instruction-set variant so that everything inlines:
/// `block => expr` computes the [`Masks`] of the 64-byte `block`.
macro_rules! build_loop {
    ($self:ident, $b:ident, $start:ident, $end:ident, $block:ident => $masks:expr) => {{
        $self.base = $start;
        $self.end = $end;
        let words = ($end - $start).div_ceil(64);
        $self.words = words;
        if $self.quotes.len() < words {
            $self.quotes.resize(words, 0);
            $self.brackets.resize(words, 0);
            $self.backslashes.resize(words, 0);
        }
        let mut in_string = 0u64;
        let mut carry = false;
        let bytes = &$b[$start..$end];
        let full = bytes.len() / 64;
        let mut last = [0u8; 64];
        for w in 0..words {
            #[cfg(target_arch = "x86_64")]
            if let Some(ahead) = bytes.get(w * 64 + 4096) {
                // SAFETY: a prefetch hint on an address inside `bytes`.
                #[allow(unused_unsafe)]
                unsafe {
                    std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                        ahead as *const u8 as *const i8,
                    )
                };
            }
            let $block: &[u8; 64] = if w < full {
                bytes[w * 64..w * 64 + 64].try_into().expect("64 bytes")
            } else {
                let rest = &bytes[w * 64..];
                last[..rest.len()].copy_from_slice(rest);
                &last
            };
            let m: Masks = $masks;
            let esc = if m.backslash == 0 && !carry {
                0
            } else {
                escaped(m.backslash, &mut carry)
            };
            let q = m.quote & !esc;
            let inside = prefix_xor(q) ^ in_string;
            in_string = ((inside >> 63) & 1).wrapping_neg();
            $self.quotes[w] = q;
            $self.brackets[w] = (m.open | m.close) & !inside;
            $self.backslashes[w] = m.backslash;
        }
    }};
}

impl Index {
    /// Indexes `b[start..end]`; `start` must be outside any string.
    pub fn build(&mut self, b: &[u8], start: usize, end: usize) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 was just detected.
                unsafe { self.build_avx2(b, start, end) };
                return;
            }
        }
        self.build_portable(b, start, end);
    }

    fn build_portable(&mut self, b: &[u8], start: usize, end: usize) {
        build_loop!(self, b, start, end, block => masks(block));
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn build_avx2(&mut self, b: &[u8], start: usize, end: usize) {
        // SAFETY: this function only runs where AVX2 is available.
        build_loop!(self, b, start, end, block => unsafe { masks_avx2(block) });
    }

    /// Whether `b[from..to]` (indexed bytes) holds a backslash.
    #[inline(always)]
    pub fn has_backslash(&self, from: usize, to: usize) -> bool {
        if from >= to {
            return false;
        }
        if from < self.base || to > self.end {
            return true;
        }
        let (a, z) = (from - self.base, to - self.base);
        let len = z - a;
        let (w, shift) = (a >> 6, a & 63);
        if len <= 64 {
            // At most two words.
            let lo = self.backslashes[w] >> shift;
            let hi = if shift != 0 && w + 1 < self.words {
                self.backslashes[w + 1] << (64 - shift)
            } else {
                0
            };
            let mask = if len == 64 {
                u64::MAX
            } else {
                (1u64 << len) - 1
            };
            return (lo | hi) & mask != 0;
        }
        let wz = (z - 1) >> 6;
        (w..=wz).any(|i| {
            let mut word = self.backslashes[i];
            if i == w {
                word &= !0u64 << shift;
            }
            if i == wz {
                word &= u64::MAX >> (63 - ((z - 1) & 63));
            }
            word != 0
        })
    }

    #[inline(always)]
    fn next(&self, bits: &[u64], from: usize) -> WalkResult<usize> {
        if from < self.base || from >= self.end {
            return Err(WalkError::Incomplete);
        }
        let rel = from - self.base;
        let mut w = rel >> 6;
        let mut word = bits[w] & (!0u64 << (rel & 63));
        loop {
            if word != 0 {
                return Ok(self.base + (w << 6) + word.trailing_zeros() as usize);
            }
            w += 1;
            if w >= self.words {
                return Err(WalkError::Incomplete);
            }
            word = bits[w];
        }
    }

    /// A cursor over the string quotes at or after `from`.
    #[inline(always)]
    pub fn quote_cursor(&self, from: usize) -> Cursor {
        self.cursor(&self.quotes, from)
    }

    /// The cursor's next string quote (and moves past it).
    #[inline(always)]
    pub fn take_quote(&self, c: &mut Cursor) -> WalkResult<usize> {
        self.take(&self.quotes, c)
    }

    /// A cursor over the brackets at or after `from`.
    #[inline(always)]
    pub fn bracket_cursor(&self, from: usize) -> Cursor {
        self.cursor(&self.brackets, from)
    }

    /// A cursor over the set bits of `bits` at or after `from` (exhausted outside the index).
    #[inline(always)]
    fn cursor(&self, bits: &[u64], from: usize) -> Cursor {
        if from < self.base || from >= self.end {
            return Cursor {
                w: self.words,
                word: 0,
            };
        }
        let rel = from - self.base;
        Cursor {
            w: rel >> 6,
            word: bits[rel >> 6] & (!0u64 << (rel & 63)),
        }
    }

    /// The cursor's next bracket (and moves past it).
    #[inline(always)]
    pub fn take_bracket(&self, c: &mut Cursor) -> WalkResult<usize> {
        self.take(&self.brackets, c)
    }

    #[inline(always)]
    fn take(&self, bits: &[u64], c: &mut Cursor) -> WalkResult<usize> {
        while c.word == 0 {
            c.w += 1;
            if c.w >= self.words {
                c.w = self.words;
                return Err(WalkError::Incomplete);
            }
            c.word = bits[c.w];
        }
        let p = self.base + (c.w << 6) + c.word.trailing_zeros() as usize;
        c.word &= c.word - 1;
        Ok(p)
    }

    /// The first string quote at or after `from`.
    #[inline(always)]
    pub fn next_quote(&self, from: usize) -> WalkResult<usize> {
        self.next(&self.quotes, from)
    }

    /// The first bracket outside strings at or after `from`.
    #[inline(always)]
    pub fn next_bracket(&self, from: usize) -> WalkResult<usize> {
        self.next(&self.brackets, from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference: byte-by-byte.
    fn reference(b: &[u8]) -> (Vec<usize>, Vec<usize>) {
        let mut quotes = Vec::new();
        let mut brackets = Vec::new();
        let mut in_string = false;
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if in_string {
                if c == b'\\' {
                    i += 2;
                    continue;
                }
                if c == b'"' {
                    quotes.push(i);
                    in_string = false;
                }
            } else if c == b'"' {
                quotes.push(i);
                in_string = true;
            } else if matches!(c, b'{' | b'}' | b'[' | b']') {
                brackets.push(i);
            }
            i += 1;
        }
        (quotes, brackets)
    }

    fn all(idx: &Index, f: impl Fn(&Index, usize) -> WalkResult<usize>, from: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut p = from;
        while let Ok(q) = f(idx, p) {
            out.push(q);
            p = q + 1;
        }
        out
    }

    #[test]
    fn agrees_with_a_byte_by_byte_scan() {
        let mut samples: Vec<String> = vec![
            r#"{"a":"x{y}[z]","b":[1,{"c":"\"}"}],"d":"\\","e":"\\\"]"}"#.into(),
            format!("{{\"k\":\"{}\\\\\",\"z\":[{{}}]}}", "\\\\".repeat(40)),
            format!("{{\"k\":\"{}\\\"{}\"}}", "x".repeat(62), "]".repeat(70)),
            format!("{{\"k\":\"{}\"}}", "\\\"".repeat(100)),
        ];
        // Backslash runs ending at every position around a block boundary.
        for n in 0..5 {
            for pad in 55..70 {
                samples.push(format!(
                    "{{\"{}\":\"{}\\\"}}\",\"x\":[1]}}",
                    "p".repeat(pad),
                    "\\\\".repeat(n)
                ));
            }
        }
        for s in &samples {
            let b = s.as_bytes();
            let (q, br) = reference(b);
            // The detected instruction set, and the SSE2 or portable one.
            let mut idx = Index::default();
            idx.build(b, 0, b.len());
            assert_eq!(all(&idx, Index::next_quote, 0), q, "{s}");
            assert_eq!(all(&idx, Index::next_bracket, 0), br, "{s}");
            let mut idx = Index::default();
            idx.build_portable(b, 0, b.len());
            assert_eq!(all(&idx, Index::next_quote, 0), q, "{s}");
            assert_eq!(all(&idx, Index::next_bracket, 0), br, "{s}");
        }
    }

    #[test]
    fn cursor_takes_quotes_in_order() {
        let text = format!("{{\"a\":\"{}\",\"b\":[\"c\"]}}", "x".repeat(100));
        let b = text.as_bytes();
        let mut idx = Index::default();
        idx.build(b, 0, b.len());
        let (q, _) = reference(b);
        for from in [0usize, 1, 2, 5, 100] {
            let mut c = idx.quote_cursor(from);
            let mut got = Vec::new();
            while let Ok(p) = idx.take_quote(&mut c) {
                got.push(p);
            }
            let want: Vec<usize> = q.iter().copied().filter(|p| *p >= from).collect();
            assert_eq!(got, want, "from {from}");
            assert_eq!(idx.take_quote(&mut c), Err(WalkError::Incomplete));
        }
        let mut c = idx.quote_cursor(b.len());
        assert_eq!(idx.take_quote(&mut c), Err(WalkError::Incomplete));
    }

    #[test]
    fn offsets_and_bounds() {
        let text = format!("xxxx{}", r#"{"a":["b"]}"#);
        let b = text.as_bytes();
        let mut idx = Index::default();
        idx.build(b, 4, b.len());
        assert_eq!(idx.next_bracket(4), Ok(4));
        assert_eq!(idx.next_quote(5), Ok(5));
        assert_eq!(idx.next_quote(6), Ok(7));
        assert_eq!(idx.next_bracket(5), Ok(9));
        assert_eq!(idx.next_bracket(b.len() - 1), Ok(b.len() - 1));
        assert_eq!(idx.next_bracket(b.len()), Err(WalkError::Incomplete));
        assert_eq!(idx.next_quote(3), Err(WalkError::Incomplete));
        // Past the last quote: incomplete.
        assert_eq!(idx.next_quote(12), Ok(12));
        assert_eq!(idx.next_quote(13), Err(WalkError::Incomplete));
        let text = format!("{}\\{}", "a".repeat(70), "b".repeat(70));
        let b = text.as_bytes();
        idx.build(b, 0, b.len());
        assert!(idx.has_backslash(70, 71));
        assert!(idx.has_backslash(0, 100));
        assert!(!idx.has_backslash(0, 70));
        assert!(!idx.has_backslash(71, b.len()));
        assert!(!idx.has_backslash(5, 5));
        // Against a byte-by-byte check, for every short range around the backslash.
        for from in 0..b.len() {
            for to in from..(from + 140).min(b.len() + 1) {
                assert_eq!(
                    idx.has_backslash(from, to),
                    b[from..to].contains(&b'\\'),
                    "{from}..{to}"
                );
            }
        }
    }
}
