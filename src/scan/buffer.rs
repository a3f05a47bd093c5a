//! Buffering: the bytes of one file in memory, a window at a time. A file is read into the
//! worker's buffer (grown only for a single record larger than it), scanned where it lies when
//! it is already in memory (an S3 download), or taken a chunk at a time from a decompression
//! thread ([`inflate_thread`]), whose chunks become the buffer in turn.

use std::io::Read;

/// Initial buffer size.
pub const CHUNK: usize = 4 << 20;
/// The largest record accepted (CloudTrail's own limit is far below).
pub const MAX_RECORD: usize = 256 << 20;

/// Size of the chunks the decompression thread hands over.
pub const INFLATE_CHUNK: usize = 1 << 20;

/// The part of a file in memory: `start..end` of the worker's buffer, or of the file's bytes
/// when it is already in memory.
pub(super) struct Buffer {
    pub(super) initial: usize,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) eof: bool,
    /// File offset of byte 0 of the buffer, wrapping: with a decompressed chunk as the buffer,
    /// byte 0 can be before the start of the file (offset = `base.wrapping_add(index)`).
    pub(super) base: u64,
}

/// One file's bytes: read into the worker's buffer, or already in memory.
pub(super) enum Input<'a> {
    Read(Box<dyn Read + Send + 'a>),
    Memory(&'a [u8]),
    /// Decompressed on another thread (see [`inflate_thread`]).
    Chunks(Inflated),
}

/// The receiving end of [`inflate_thread`]: chunks of decompressed bytes, in order, each
/// after [`HEADROOM`] free bytes.
pub(super) struct Inflated {
    rx: std::sync::mpsc::Receiver<std::io::Result<(Vec<u8>, usize)>>,
    /// Chunks done with go back for reuse.
    back: std::sync::mpsc::SyncSender<Vec<u8>>,
}

/// Free bytes before the data of each decompressed chunk: the unconsumed end of the previous
/// chunk (the start of a record) is copied there, so that the scan goes on in the new chunk
/// without copying it. A record longer than this is carried over by copying the chunk.
pub const HEADROOM: usize = 64 << 10;

impl Inflated {
    /// The next chunk and the length of its data (after [`HEADROOM`]); `None` at the end.
    fn next(&mut self) -> std::io::Result<Option<(Vec<u8>, usize)>> {
        match self.rx.recv() {
            Ok(Ok(c)) => Ok(Some(c)),
            Ok(Err(e)) => Err(e),
            // The decompressor has finished (and dropped its sender).
            Err(_) => Ok(None),
        }
    }

    fn recycle(&self, chunk: Vec<u8>) {
        let _ = self.back.try_send(chunk);
    }
}

/// Runs `decoder` on a thread of `scope`, [`INFLATE_CHUNK`] bytes at a time, at most two
/// chunks ahead of the scan (memory: about four chunks per worker). Dropping the receiving
/// end stops the thread at its next chunk.
pub(super) fn inflate_thread<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    mut decoder: Box<dyn Read + Send + 'scope>,
) -> Inflated {
    let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<(Vec<u8>, usize)>>(2);
    let (back, spare) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
    scope.spawn(move || loop {
        let mut chunk = spare.try_recv().unwrap_or_default();
        chunk.resize(HEADROOM + INFLATE_CHUNK, 0);
        let mut len = 0;
        let mut failed = None;
        while len < INFLATE_CHUNK {
            match decoder.read(&mut chunk[HEADROOM + len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if len > 0 && tx.send(Ok((chunk, len))).is_err() {
            return;
        }
        if let Some(e) = failed {
            let _ = tx.send(Err(e));
            return;
        }
        if len < INFLATE_CHUNK {
            return;
        }
    });
    Inflated { rx, back }
}

impl Buffer {
    pub(super) fn reset(&mut self, buf: &mut Vec<u8>) {
        self.start = 0;
        self.end = 0;
        self.eof = false;
        self.base = 0;
        if buf.len() > self.initial {
            buf.truncate(self.initial);
            buf.shrink_to(self.initial);
        }
        if buf.len() < self.initial {
            buf.resize(self.initial, 0);
        }
    }

    /// Moves the unconsumed bytes to the front of the buffer.
    fn move_pending_to_front(&mut self, buf: &mut [u8]) {
        if self.start > 0 {
            buf.copy_within(self.start..self.end, 0);
            self.base = self.base.wrapping_add(self.start as u64);
            self.end -= self.start;
            self.start = 0;
        }
    }

    /// Keeps the unconsumed bytes and reads more after them; grows the buffer when the unconsumed
    /// bytes fill it. Returns the number of bytes read.
    pub(super) fn fill(&mut self, buf: &mut Vec<u8>, r: &mut dyn Read) -> std::io::Result<usize> {
        self.move_pending_to_front(buf);
        if self.end == buf.len() {
            if buf.len() >= MAX_RECORD {
                return Err(record_too_large());
            }
            let n = (buf.len() * 2).min(MAX_RECORD);
            buf.resize(n, 0);
        }
        let before = self.end;
        while self.end < buf.len() {
            match r.read(&mut buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end - before)
    }

    /// Takes the next decompressed chunk as the buffer, with the unconsumed bytes copied into
    /// its headroom just before its data (or, when they do not fit there, appends the chunk's
    /// data to them). Returns the number of new bytes.
    pub(super) fn fill_chunks(
        &mut self,
        buf: &mut Vec<u8>,
        src: &mut Inflated,
    ) -> std::io::Result<usize> {
        let pending = self.end - self.start;
        let Some((mut chunk, len)) = src.next()? else {
            self.eof = true;
            return Ok(0);
        };
        if pending <= HEADROOM {
            let at = HEADROOM - pending;
            chunk[at..HEADROOM].copy_from_slice(&buf[self.start..self.end]);
            self.base = self
                .base
                .wrapping_add(self.start as u64)
                .wrapping_sub(at as u64);
            self.start = at;
            self.end = HEADROOM + len;
            src.recycle(std::mem::replace(buf, chunk));
        } else {
            if pending >= MAX_RECORD {
                return Err(record_too_large());
            }
            self.move_pending_to_front(buf);
            if buf.len() < pending + len {
                buf.resize(pending + len, 0);
            }
            buf[pending..pending + len].copy_from_slice(&chunk[HEADROOM..HEADROOM + len]);
            self.end += len;
            src.recycle(chunk);
        }
        Ok(len)
    }

    /// Over a file of `len` bytes in memory: moves the end forward by a buffer's worth (more
    /// when a single record is larger).
    pub(super) fn fill_memory(&mut self, len: usize) -> std::io::Result<usize> {
        let pending = self.end - self.start;
        if pending >= MAX_RECORD {
            return Err(record_too_large());
        }
        let end = (self.end + self.initial.max(pending)).min(len);
        let n = end - self.end;
        self.end = end;
        self.eof = end == len;
        Ok(n)
    }
}

fn record_too_large() -> std::io::Error {
    std::io::Error::other(format!("a record larger than {} MiB", MAX_RECORD >> 20))
}

impl<'a> From<&'a [u8]> for Input<'a> {
    fn from(bytes: &'a [u8]) -> Input<'a> {
        Input::Memory(bytes)
    }
}
