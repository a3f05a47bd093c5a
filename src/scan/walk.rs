//! A single-pass JSON record walker.
//!
//! [`walk_record`] finds where a JSON object ends and, on the way, records the byte ranges of
//! the values at the key paths registered in a [`Trie`] (the fields the filter patterns and the
//! report need). Everything else is skipped with the buffer's structural [`Index`]: a string by
//! jumping to its closing quote, a nested object or array from bracket to bracket. Nothing is
//! allocated per record.
//!
//! Checked: the structure of every record (balanced and correctly paired brackets, terminated
//! strings, nesting up to 128 levels) and the grammar of every object on a registered path
//! (keys, colons, commas, scalar tokens). Not checked in skipped values: commas, colons and
//! UTF-8; a value the patterns actually use is fully decoded when it is used.

use super::error::{WalkError, WalkResult};
use super::index::{Cursor, Index};

/// Where a registered value was found: `start..end` in the buffer; `start == ABSENT` if not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

pub const ABSENT: usize = usize::MAX;

impl Span {
    pub const NONE: Span = Span {
        start: ABSENT,
        end: ABSENT,
    };

    pub fn is_present(&self) -> bool {
        self.start != ABSENT
    }

    /// The value's bytes, when present.
    pub fn get<'a>(&self, buf: &'a [u8]) -> Option<&'a [u8]> {
        self.is_present().then(|| &buf[self.start..self.end])
    }
}

const NO_SLOT: u32 = u32::MAX;

#[derive(Debug, Clone, Default)]
struct Node {
    /// Member name (decoded) → child node.
    children: Vec<(Box<[u8]>, u32)>,
    /// Bit n set when a child's name is n bytes long (bit 63: 63 bytes or longer).
    lengths: u64,
    /// The slot receiving this node's whole value.
    slot: u32,
    /// Every slot at or below this node, cleared when the member is seen again (the last
    /// occurrence of a duplicate member wins, as in `serde_json`).
    subtree_slots: Vec<u32>,
}

/// The key paths whose values a walk records, each with a slot number.
#[derive(Debug, Clone)]
pub struct Trie {
    nodes: Vec<Node>,
    slots: usize,
}

impl Default for Trie {
    fn default() -> Trie {
        Trie::new()
    }
}

impl Trie {
    pub fn new() -> Trie {
        Trie {
            nodes: vec![Node {
                slot: NO_SLOT,
                ..Node::default()
            }],
            slots: 0,
        }
    }

    /// Registers the value at `path` (member names from the record's root; must not be empty)
    /// and returns its slot; registering a path twice returns the same slot.
    pub fn add(&mut self, path: &[&str]) -> usize {
        assert!(!path.is_empty(), "the root is not a slot");
        let mut node = 0usize;
        for name in path {
            let found = self.nodes[node]
                .children
                .iter()
                .find(|(k, _)| &k[..] == name.as_bytes())
                .map(|(_, c)| *c as usize);
            node = match found {
                Some(c) => c,
                None => {
                    let id = self.nodes.len();
                    self.nodes.push(Node {
                        slot: NO_SLOT,
                        ..Node::default()
                    });
                    self.nodes[node].lengths |= 1u64 << name.len().min(63);
                    self.nodes[node]
                        .children
                        .push((name.as_bytes().to_vec().into_boxed_slice(), id as u32));
                    id
                }
            };
        }
        if self.nodes[node].slot == NO_SLOT {
            self.nodes[node].slot = self.slots as u32;
            self.slots += 1;
            self.refresh_subtrees();
        }
        self.nodes[node].slot as usize
    }

    /// Number of slots; a projection is a `[Span]` of this length.
    pub fn slots(&self) -> usize {
        self.slots
    }

    fn refresh_subtrees(&mut self) {
        fn collect(nodes: &[Node], n: usize, out: &mut Vec<u32>) {
            if nodes[n].slot != NO_SLOT {
                out.push(nodes[n].slot);
            }
            for (_, c) in &nodes[n].children {
                collect(nodes, *c as usize, out);
            }
        }
        for n in 0..self.nodes.len() {
            let mut out = Vec::new();
            collect(&self.nodes, n, &mut out);
            self.nodes[n].subtree_slots = out;
        }
    }

    /// The child named `key` (raw bytes between the quotes); `escaped` tells whether they
    /// hold a backslash, and is only asked when no name matches the raw bytes.
    #[inline]
    fn child(&self, node: usize, key: &[u8], escaped: impl FnOnce() -> bool) -> Option<usize> {
        let n = &self.nodes[node];
        if n.lengths & (1u64 << key.len().min(63)) != 0 {
            for (k, c) in &n.children {
                if same_bytes(k, key) {
                    return Some(*c as usize);
                }
            }
        }
        // A name spelled with escapes (`"\u0065ventName"`) is compared decoded.
        if escaped() {
            let decoded = decode_string(key)?;
            return n
                .children
                .iter()
                .find(|(k, _)| &k[..] == decoded.as_bytes())
                .map(|(_, c)| *c as usize);
        }
        None
    }
}

/// Byte equality for short slices, 8 bytes at a time, without a call to `memcmp`.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        if u64::from_ne_bytes(x.try_into().expect("8 bytes"))
            != u64::from_ne_bytes(y.try_into().expect("8 bytes"))
        {
            return false;
        }
    }
    ca.remainder()
        .iter()
        .zip(cb.remainder())
        .all(|(x, y)| x == y)
}

/// Decodes the content of a JSON string (the bytes between the quotes).
pub fn decode_string(content: &[u8]) -> Option<String> {
    let mut quoted = Vec::with_capacity(content.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(content);
    quoted.push(b'"');
    serde_json::from_slice::<String>(&quoted).ok()
}

const MAX_DEPTH: u32 = 128;

#[inline]
fn at(b: &[u8], i: usize) -> WalkResult<u8> {
    b.get(i).copied().ok_or(WalkError::Incomplete)
}

#[inline]
pub fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// Skips whitespace; the returned index holds a non-whitespace byte.
#[inline]
pub fn skip_ws(b: &[u8], mut i: usize) -> WalkResult<usize> {
    loop {
        let c = at(b, i)?;
        if !is_ws(c) {
            return Ok(i);
        }
        i += 1;
    }
}

/// `i` is just after an opening quote; returns the index just after the closing quote.
#[inline(always)]
pub fn skip_string(idx: &Index, i: usize) -> WalkResult<usize> {
    idx.next_quote(i).map(|p| p + 1)
}

/// `i` is at `{` or `[`; returns the index just after the matching bracket.
fn skip_container(b: &[u8], idx: &Index, mut i: usize, depth: u32) -> WalkResult<usize> {
    // One bit per open level: 1 for an array. `depth` counts the levels above this container.
    let mut stack: u128 = 0;
    let mut level: u32 = 0;
    let limit = MAX_DEPTH.saturating_sub(depth);
    let mut brackets = idx.bracket_cursor(i);
    loop {
        i = idx.take_bracket(&mut brackets)?;
        let c = b[i];
        if c == b'{' || c == b'[' {
            if level >= limit {
                return Err(WalkError::Corrupt(i, "nested more than 128 levels deep"));
            }
            stack = (stack << 1) | u128::from(c == b'[');
            level += 1;
        } else {
            if level == 0 || (stack & 1 == 1) != (c == b']') {
                return Err(WalkError::Corrupt(i, "mismatched bracket"));
            }
            stack >>= 1;
            level -= 1;
            if level == 0 {
                return Ok(i + 1);
            }
        }
    }
}

/// `i` is at the first byte of a number, `true`, `false` or `null`; returns its end.
#[inline]
fn skip_scalar(b: &[u8], mut i: usize) -> WalkResult<usize> {
    let start = i;
    loop {
        let c = at(b, i)?;
        if matches!(c, b',' | b'}' | b']') || is_ws(c) {
            break;
        }
        i += 1;
    }
    let tok = &b[start..i];
    let ok = match tok[0] {
        b't' => tok == b"true",
        b'f' => tok == b"false",
        b'n' => tok == b"null",
        _ => tok
            .iter()
            .all(|c| matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')),
    };
    if ok {
        Ok(i)
    } else {
        Err(WalkError::Corrupt(start, "invalid literal"))
    }
}

/// Walks the JSON object starting at `b[i] == '{'`, records registered values in `out`
/// (`trie.slots()` long; every slot is reset first) and returns the index just after the
/// object. `idx` indexes `b` from a point outside strings at or before `i`.
pub fn walk_record(
    b: &[u8],
    idx: &Index,
    i: usize,
    trie: &Trie,
    out: &mut [Span],
) -> WalkResult<usize> {
    out.fill(Span::NONE);
    if at(b, i)? != b'{' {
        return Err(WalkError::Corrupt(i, "expected '{'"));
    }
    let mut quotes = idx.quote_cursor(i);
    walk_object(b, idx, &mut quotes, i + 1, 0, trie, out, 1)
}

/// `quotes` yields the string quotes from `i` on; on return it yields those after the object.
#[allow(clippy::too_many_arguments)]
fn walk_object(
    b: &[u8],
    idx: &Index,
    quotes: &mut Cursor,
    i: usize,
    node: usize,
    trie: &Trie,
    out: &mut [Span],
    depth: u32,
) -> WalkResult<usize> {
    if depth > MAX_DEPTH {
        return Err(WalkError::Corrupt(i, "nested more than 128 levels deep"));
    }
    let mut i = skip_ws(b, i)?;
    if b[i] == b'}' {
        return Ok(i + 1);
    }
    let node_ref = &trie.nodes[node];
    loop {
        if b[i] != b'"' || idx.take_quote(quotes)? != i {
            return Err(WalkError::Corrupt(i, "expected a member name"));
        }
        let key_end = idx.take_quote(quotes)? + 1;
        let child = if node_ref.children.is_empty() {
            None
        } else {
            trie.child(node, &b[i + 1..key_end - 1], || {
                idx.has_backslash(i + 1, key_end - 1)
            })
        };
        // Compact JSON (what CloudTrail writes) first, whitespace second.
        i = key_end;
        if at(b, i)? != b':' {
            i = skip_ws(b, i)?;
            if b[i] != b':' {
                return Err(WalkError::Corrupt(i, "expected ':'"));
            }
        }
        i += 1;
        let mut c = at(b, i)?;
        if is_ws(c) {
            i = skip_ws(b, i)?;
            c = b[i];
        }
        let start = i;
        let nested = match child {
            Some(ch) if c == b'{' && !trie.nodes[ch].children.is_empty() => Some(ch),
            _ => None,
        };
        // A repeated member replaces what an earlier one left below it (a leaf's own slot is
        // simply overwritten below).
        if let Some(ch) = child {
            if !trie.nodes[ch].children.is_empty() {
                for &s in &trie.nodes[ch].subtree_slots {
                    out[s as usize] = Span::NONE;
                }
            }
        }
        i = match c {
            b'"' => {
                if idx.take_quote(quotes)? != i {
                    return Err(WalkError::Corrupt(i, "unexpected quote"));
                }
                idx.take_quote(quotes)? + 1
            }
            b'{' if nested.is_some() => walk_object(
                b,
                idx,
                quotes,
                i + 1,
                nested.unwrap_or(0),
                trie,
                out,
                depth + 1,
            )?,
            b'{' | b'[' => {
                let end = skip_container(b, idx, i, depth)?;
                *quotes = idx.quote_cursor(end);
                end
            }
            b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => skip_scalar(b, i)?,
            _ => return Err(WalkError::Corrupt(i, "expected a value")),
        };
        if let Some(ch) = child {
            let slot = trie.nodes[ch].slot;
            if slot != NO_SLOT {
                out[slot as usize] = Span { start, end: i };
            }
        }
        let mut c = at(b, i)?;
        if is_ws(c) {
            i = skip_ws(b, i)?;
            c = b[i];
        }
        match c {
            b',' => {
                i += 1;
                if at(b, i)? != b'"' {
                    i = skip_ws(b, i)?;
                }
            }
            b'}' => return Ok(i + 1),
            _ => return Err(WalkError::Corrupt(i, "expected ',' or '}'")),
        }
    }
}

/// True when the value has no whitespace outside strings and no control character: its bytes
/// are what CloudTrail sends to CloudWatch Logs.
pub fn is_compact(v: &[u8]) -> bool {
    let mut i = 0;
    while i < v.len() {
        let c = v[i];
        if c < 0x20 {
            return false;
        }
        if c == b'"' {
            let mut j = i + 1;
            while j < v.len() {
                match v[j] {
                    b'"' => break,
                    b'\\' => j += 2,
                    c if c < 0x20 => return false,
                    _ => j += 1,
                }
            }
            i = j + 1;
        } else if c == b' ' {
            return false;
        } else {
            i += 1;
        }
    }
    true
}

/// A JSON string value's content (without quotes), decoded when it has escapes.
pub fn string_content(v: &[u8]) -> Option<std::borrow::Cow<'_, [u8]>> {
    if v.len() < 2 || v[0] != b'"' || v[v.len() - 1] != b'"' {
        return None;
    }
    let inner = &v[1..v.len() - 1];
    if !inner.contains(&b'\\') {
        Some(std::borrow::Cow::Borrowed(inner))
    } else {
        decode_string(inner).map(|s| std::borrow::Cow::Owned(s.into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trie(paths: &[&[&str]]) -> Trie {
        let mut t = Trie::new();
        for p in paths {
            t.add(p);
        }
        t
    }

    fn project(t: &Trie, rec: &str) -> WalkResult<(usize, Vec<Option<String>>)> {
        let mut out = vec![Span::NONE; t.slots()];
        let mut idx = Index::default();
        idx.build(rec.as_bytes(), 0, rec.len());
        let end = walk_record(rec.as_bytes(), &idx, 0, t, &mut out)?;
        Ok((
            end,
            out.iter()
                .map(|s| {
                    s.get(rec.as_bytes())
                        .map(|v| String::from_utf8_lossy(v).into_owned())
                })
                .collect(),
        ))
    }

    #[test]
    fn projects_registered_paths() {
        let t = trie(&[
            &["eventName"],
            &["userIdentity", "type"],
            &[
                "userIdentity",
                "sessionContext",
                "attributes",
                "mfaAuthenticated",
            ],
            &["n"],
            &["userIdentity"],
        ]);
        let rec = r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"a\"}]","sessionContext":{"sessionIssuer":{"x":[1,{"y":"}"}]},"attributes":{"mfaAuthenticated":"false"}}},"eventName":"GetObject","n":-1.5e3,"resources":[{"ARN":"arn"}]} trailing"#;
        let (end, v) = project(&t, rec).unwrap();
        assert_eq!(&rec[end..], " trailing");
        assert_eq!(v[0].as_deref(), Some("\"GetObject\""));
        assert_eq!(v[1].as_deref(), Some("\"AssumedRole\""));
        assert_eq!(v[2].as_deref(), Some("\"false\""));
        assert_eq!(v[3].as_deref(), Some("-1.5e3"));
        assert!(v[4].as_deref().unwrap().starts_with("{\"type\""));
        assert!(v[4].as_deref().unwrap().ends_with("}}}"));
    }

    #[test]
    fn whitespace_escaped_keys_and_duplicates() {
        let t = trie(&[&["a", "b"], &["c"]]);
        let rec = "{ \"a\" : { \"b\" : [ 1 , 2 ] } ,\n \"\\u0063\" : null }";
        let (end, v) = project(&t, rec).unwrap();
        assert_eq!(end, rec.len());
        assert_eq!(v[0].as_deref(), Some("[ 1 , 2 ]"));
        assert_eq!(v[1].as_deref(), Some("null"));
        // The last duplicate member wins, even when it is no longer an object.
        let (_, v) = project(&t, r#"{"a":{"b":1},"a":"x"}"#).unwrap();
        assert_eq!(v[0], None);
        let (_, v) = project(&t, r#"{"a":"x","a":{"b":2}}"#).unwrap();
        assert_eq!(v[0].as_deref(), Some("2"));
        // A registered prefix that is not an object leaves the deeper path absent.
        let (_, v) = project(&t, r#"{"a":[{"b":1}]}"#).unwrap();
        assert_eq!(v[0], None);
    }

    #[test]
    fn incomplete_and_corrupt() {
        let t = trie(&[&["a"]]);
        for truncated in [
            r#"{"a":"x"#,
            r#"{"a":{"b":[1,2"#,
            r#"{"a":1"#,
            r#"{"a""#,
            r#"{"#,
            r#"{"z":"\"#,
        ] {
            assert_eq!(
                project(&t, truncated),
                Err(WalkError::Incomplete),
                "{truncated}"
            );
        }
        for bad in [
            r#"{"a":{"b":[1,2}}"#,
            r#"{"a" 1}"#,
            r#"{"a":1 "b":2}"#,
            r#"{a:1}"#,
            r#"{"a":tru}"#,
            r#"{"a":x}"#,
            r#"{"z":[1]]}"#,
            r#"["a"]"#,
        ] {
            assert!(
                matches!(project(&t, bad), Err(WalkError::Corrupt(..))),
                "{bad}: {:?}",
                project(&t, bad)
            );
        }
        let deep = format!("{{\"z\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(matches!(project(&t, &deep), Err(WalkError::Corrupt(..))));
        let ok = format!("{{\"z\":{}{}}}", "[".repeat(100), "]".repeat(100));
        assert!(project(&t, &ok).is_ok());
    }

    #[test]
    fn compactness_and_strings() {
        assert!(is_compact(br#"{"a":"x y","b":[1,2]}"#));
        assert!(!is_compact(br#"{"a": 1}"#));
        assert!(!is_compact(b"{\"a\":\"x\ny\"}"));
        assert!(is_compact(br#"{"a":"\" }"}"#));
        assert_eq!(
            string_content(br#""a\/b\u0041""#).as_deref(),
            Some(&b"a/bA"[..])
        );
        assert_eq!(
            string_content(br#""plain""#).as_deref(),
            Some(&b"plain"[..])
        );
        assert_eq!(string_content(b"12"), None);
        for (a, b, same) in [
            (&b""[..], &b""[..], true),
            (b"eventName", b"eventName", true),
            (b"eventName", b"eventNamf", false),
            (b"eventName", b"eventNam", false),
            (b"sourceIPAddress", b"sourceIPAddress", true),
            (b"sourceIPAddresX", b"sourceIPAddress", false),
            (b"Xource", b"source", false),
        ] {
            assert_eq!(same_bytes(a, b), same);
        }
    }
}
