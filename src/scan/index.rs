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

use super::walk::{WalkError, WalkResult};

#[derive(Debug, Default, Clone)]
pub struct Index {
    /// Buffer offset of bit 0 of word 0.
    base: usize,
    /// Buffer offset just past the indexed bytes.
    end: usize,
    quotes: Vec<u64>,
    brackets: Vec<u64>,
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
            m.backslash |=
                (_mm_movemask_epi8(_mm_cmpeq_epi8(v, backslash)) as u16 as u64) << shift;
            m.open |= (_mm_movemask_epi8(_mm_cmpeq_epi8(l, open)) as u16 as u64) << shift;
            m.close |= (_mm_movemask_epi8(_mm_cmpeq_epi8(l, close)) as u16 as u64) << shift;
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

impl Index {
    /// Indexes `b[start..end]`; `start` must be outside any string.
    pub fn build(&mut self, b: &[u8], start: usize, end: usize) {
        self.base = start;
        self.end = end;
        let words = (end - start).div_ceil(64);
        self.quotes.clear();
        self.brackets.clear();
        self.quotes.reserve(words);
        self.brackets.reserve(words);
        let mut in_string = 0u64;
        let mut carry = false;
        let mut blocks = b[start..end].chunks_exact(64);
        let mut step = |block: &[u8; 64]| {
            let m = masks(block);
            let esc = if m.backslash == 0 && !carry {
                0
            } else {
                escaped(m.backslash, &mut carry)
            };
            let q = m.quote & !esc;
            let inside = prefix_xor(q) ^ in_string;
            in_string = ((inside >> 63) & 1).wrapping_neg();
            self.quotes.push(q);
            self.brackets.push((m.open | m.close) & !inside);
        };
        for block in &mut blocks {
            step(block.try_into().expect("64 bytes"));
        }
        let rest = blocks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 64];
            last[..rest.len()].copy_from_slice(rest);
            step(&last);
        }
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
            match bits.get(w) {
                Some(&x) => word = x,
                None => return Err(WalkError::Incomplete),
            }
        }
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

    /// Whether `b[start..end]` is what this index was built for.
    pub fn covers(&self, start: usize, end: usize) -> bool {
        self.base == start && self.end == end
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
            for start in [0usize] {
                let mut idx = Index::default();
                idx.build(b, start, b.len());
                let (q, br) = reference(b);
                assert_eq!(all(&idx, Index::next_quote, 0), q, "{s}");
                assert_eq!(all(&idx, Index::next_bracket, 0), br, "{s}");
            }
        }
    }

    #[test]
    fn offsets_and_bounds() {
        let text = format!("xxxx{}", r#"{"a":["b"]}"#);
        let b = text.as_bytes();
        let mut idx = Index::default();
        idx.build(b, 4, b.len());
        assert!(idx.covers(4, b.len()));
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
    }
}
