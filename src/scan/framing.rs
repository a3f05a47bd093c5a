//! Framing: where the records of a file are. A file is either a CloudTrail log file
//! (`{"Records":[{...},{...}]}`, pretty-printed or not, after an optional byte-order mark) or a
//! sequence of JSON events, one per line, each optionally after a timestamp (CloudWatch Logs
//! exports). [`Framer`] follows the file's grammar across buffer refills and hands every record
//! on, with the fields the walker projected; everything between records is checked.

use super::buffer::Buffer;
use super::error::{WalkError, WalkResult};
use super::index::Index;
use super::walk::{is_ws, skip_string, skip_ws, walk_record, Span, Trie};

/// Where the reader is in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Nothing read yet: a CloudTrail log file or a sequence of events?
    Detect,
    /// In the `Records` array, before the first record or after a comma.
    Item {
        first: bool,
    },
    /// In the `Records` array, after a record.
    AfterItem,
    /// After the `Records` array: `}`.
    Tail,
    /// After the log file: whitespace only.
    Trailer,
    /// One JSON object per line (optionally after a timestamp), as CloudWatch Logs exports.
    Lines,
    Done,
}

/// The framing state of one file, kept across buffer refills.
#[derive(Debug)]
pub(super) struct Framer {
    mode: Mode,
}

impl Default for Framer {
    fn default() -> Framer {
        Framer { mode: Mode::Detect }
    }
}

impl Framer {
    /// Consumes the records of `data[buffer.start..buffer.end]` (indexed in `idx`), handing
    /// each to `record(data, projection, start, end)` after projecting the fields of `trie`
    /// into `proj`, and moves `buffer.start` past them. `Ok` when the file is complete;
    /// [`WalkError::Incomplete`] when more input is needed. `empty`: nothing of the file was
    /// read (an empty file is an error, a file of whitespace is not).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(super) fn frame(
        &mut self,
        data: &[u8],
        buffer: &mut Buffer,
        idx: &Index,
        trie: &Trie,
        proj: &mut [Span],
        empty: bool,
        mut record: impl FnMut(&[u8], &[Span], usize, usize),
    ) -> WalkResult<()> {
        let end = buffer.end;
        let eof = buffer.eof;
        loop {
            let b = &data[..end];
            let mut i = buffer.start;
            match self.mode {
                Mode::Detect => {
                    if b[i..].starts_with(&[0xef, 0xbb, 0xbf]) {
                        i += 3;
                    }
                    let j = match skip_ws(b, i) {
                        Ok(j) => j,
                        Err(err) => {
                            buffer.start = end;
                            if !eof {
                                return Err(err);
                            }
                            self.mode = Mode::Done;
                            // A file of only whitespace holds no events; an empty one is
                            // reported (a file cut short before its first byte).
                            return if empty { Err(err) } else { Ok(()) };
                        }
                    };
                    let header = if b[j] == b'{' {
                        records_header(b, idx, j)?
                    } else {
                        None
                    };
                    if let Some(k) = header {
                        self.mode = Mode::Item { first: true };
                        buffer.start = k;
                    } else if b[j] == b'{' || b[j].is_ascii_digit() {
                        self.mode = Mode::Lines;
                        buffer.start = j;
                    } else {
                        return Err(WalkError::Corrupt(
                            j,
                            "neither a CloudTrail log file nor JSON events",
                        ));
                    }
                }
                Mode::Item { first } => {
                    let j = skip_ws(b, i)?;
                    match b[j] {
                        b'{' => {
                            let rec_end = walk_record(b, idx, j, trie, proj)?;
                            record(b, proj, j, rec_end);
                            buffer.start = rec_end;
                            self.mode = Mode::AfterItem;
                        }
                        b']' if first => {
                            buffer.start = j + 1;
                            self.mode = Mode::Tail;
                        }
                        _ => return Err(WalkError::Corrupt(j, "expected a record")),
                    }
                }
                Mode::AfterItem => {
                    let j = skip_ws(b, i)?;
                    match b[j] {
                        b',' => self.mode = Mode::Item { first: false },
                        b']' => self.mode = Mode::Tail,
                        _ => return Err(WalkError::Corrupt(j, "expected ',' or ']'")),
                    }
                    buffer.start = j + 1;
                }
                Mode::Tail => {
                    let j = skip_ws(b, i)?;
                    if b[j] != b'}' {
                        return Err(WalkError::Corrupt(
                            j,
                            "expected '}' after the Records array",
                        ));
                    }
                    buffer.start = j + 1;
                    self.mode = Mode::Trailer;
                }
                Mode::Trailer => {
                    let mut k = i;
                    while k < end && is_ws(b[k]) {
                        k += 1;
                    }
                    if k < end {
                        return Err(WalkError::Corrupt(k, "unexpected data after the log file"));
                    }
                    buffer.start = end;
                    if !eof {
                        return Err(WalkError::Incomplete);
                    }
                    self.mode = Mode::Done;
                }
                Mode::Lines => {
                    let mut j = i;
                    while j < end && is_ws(b[j]) {
                        j += 1;
                    }
                    if j == end {
                        buffer.start = end;
                        if eof {
                            self.mode = Mode::Done;
                            continue;
                        }
                        return Err(WalkError::Incomplete);
                    }
                    if b[j] != b'{' {
                        // CloudWatch Logs export: `2024-05-14T09:13:10.000Z {...}`.
                        let mut k = j;
                        while k < end && !is_ws(b[k]) && b[k] != b'{' && b[k] != b'"' {
                            k += 1;
                        }
                        if k == end {
                            return Err(WalkError::Incomplete);
                        }
                        if b[k] != b' ' {
                            return Err(WalkError::Corrupt(j, "expected a JSON object"));
                        }
                        j = k + 1;
                        if at_or_incomplete(b, j)? != b'{' {
                            return Err(WalkError::Corrupt(j, "expected a JSON object"));
                        }
                    }
                    let rec_end = walk_record(b, idx, j, trie, proj)?;
                    // The rest of the line must be blank.
                    let mut k = rec_end;
                    while k < end && matches!(b[k], b' ' | b'\t' | b'\r') {
                        k += 1;
                    }
                    if k < end && b[k] != b'\n' {
                        return Err(WalkError::Corrupt(
                            k,
                            "expected a line break after the event",
                        ));
                    }
                    if k == end && !eof {
                        return Err(WalkError::Incomplete);
                    }
                    record(b, proj, j, rec_end);
                    buffer.start = k;
                }
                Mode::Done => return Ok(()),
            }
        }
    }
}

fn at_or_incomplete(b: &[u8], i: usize) -> WalkResult<u8> {
    b.get(i).copied().ok_or(WalkError::Incomplete)
}

/// Recognizes `{ "Records" : [` at `b[i] == '{'`; returns the index after `[`, or `None` when
/// the first member is not a `Records` array.
fn records_header(b: &[u8], idx: &Index, i: usize) -> WalkResult<Option<usize>> {
    let j = skip_ws(b, i + 1)?;
    if b[j] != b'"' {
        return Ok(None);
    }
    let k = skip_string(idx, j + 1)?;
    if &b[j..k] != b"\"Records\"" {
        return Ok(None);
    }
    let k = skip_ws(b, k)?;
    if b[k] != b':' {
        return Ok(None);
    }
    let k = skip_ws(b, k + 1)?;
    if b[k] != b'[' {
        return Ok(None);
    }
    Ok(Some(k + 1))
}
