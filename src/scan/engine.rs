//! The scanning engine: worker threads take files from a queue, stream each through a bounded
//! buffer, split it into records with the walker, evaluate every control and tally matches.
//!
//! Memory per worker: one buffer (4 MiB, grown only for a single record larger than that, up to
//! [`MAX_RECORD`]), the tallies, and the `--matches` lines of the current file (flushed every
//! [`MATCH_FLUSH`] bytes). A file's tallies are added to the totals only once the whole file
//! has been read: a corrupt or truncated file contributes nothing but an error.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use flate2::read::MultiGzDecoder;
use serde_json::Value;

use crate::pattern::Event;

use super::compile::{Compiled, ControlSpec, Eval};
use super::error::{WalkError, WalkResult};
use super::index::Index;
use super::stats::ControlStats;
use super::time::parse_timestamp;
use super::walk::{
    is_compact, is_ws, skip_string, skip_ws, string_content, walk_record, Span, Trie,
};

/// Initial buffer size.
pub const CHUNK: usize = 4 << 20;
/// The largest record accepted (CloudTrail's own limit is far below).
pub const MAX_RECORD: usize = 256 << 20;
/// `--matches` lines are written out once a file has this many bytes of them.
pub const MATCH_FLUSH: usize = 16 << 20;

/// Scan settings.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub jobs: usize,
    /// Only records with `since <= eventTime < until` count (seconds since the epoch).
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Index of the control whose matching records are written out.
    pub print_matches: Option<usize>,
    /// Initial read buffer size (0: [`CHUNK`]).
    pub buffer: usize,
    /// Stream in-memory files (S3 downloads) through the read buffer like local files, instead
    /// of scanning them in place (for tests).
    pub stream_memory: bool,
    /// Decompress gzip files of at least this many (compressed) bytes on a second thread of
    /// their worker, so that decompressing and scanning one file use two cores (see
    /// [`inflate_thread`]). The command sets [`INFLATE_THREAD_MIN`] with two jobs or more,
    /// and `None` with one: the user asked for one core. Smaller files are not worth it: the
    /// workers already keep the cores busy with several files at once, and the extra threads
    /// cost about a tenth more CPU time when every core is busy (docs/benchmarks.md).
    pub inflate_thread_min: Option<u64>,
}

/// The compressed size from which a gzip file is decompressed on its own thread: large
/// files are where one worker would otherwise scan alone while the other cores idle.
pub const INFLATE_THREAD_MIN: u64 = 4 << 20;

/// Size of the chunks the decompression thread hands over.
pub const INFLATE_CHUNK: usize = 1 << 20;

/// A file to scan.
pub enum Item {
    Path(PathBuf),
    Bytes {
        name: String,
        data: Vec<u8>,
    },
    /// A file read as it arrives (a large S3 object while it downloads); `size` is its stored
    /// size, for the progress figures.
    Stream {
        name: String,
        size: u64,
        reader: Box<dyn Read + Send>,
    },
}

impl std::fmt::Debug for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Item({})", self.name())
    }
}

impl Item {
    pub fn name(&self) -> String {
        match self {
            Item::Path(p) => p.display().to_string(),
            Item::Bytes { name, .. } | Item::Stream { name, .. } => name.clone(),
        }
    }
}

/// A file that could not be scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    pub message: String,
}

/// Progress counters, shared with the progress bar.
#[derive(Debug, Default)]
pub struct Counters {
    pub files_done: AtomicU64,
    pub files_queued: AtomicU64,
    /// Bytes after decompression.
    pub bytes_done: AtomicU64,
    /// Bytes as stored.
    pub input_bytes_done: AtomicU64,
    pub input_bytes_queued: AtomicU64,
    pub events: AtomicU64,
    /// Inputs still being listed: until 0, the totals are not known.
    pub listings_open: AtomicU64,
}

/// Totals over the files scanned successfully.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub events: u64,
    pub files: u64,
    pub bytes: u64,
    pub input_bytes: u64,
    /// Records without a readable `eventTime`.
    pub untimed_events: u64,
    pub first_event: Option<i64>,
    pub last_event: Option<i64>,
}

impl Totals {
    fn add(&mut self, o: &Totals) {
        self.events += o.events;
        self.files += o.files;
        self.bytes += o.bytes;
        self.input_bytes += o.input_bytes;
        self.untimed_events += o.untimed_events;
        self.first_event = min_opt(self.first_event, o.first_event);
        self.last_event = max_opt(self.last_event, o.last_event);
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// What a scan found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub totals: Totals,
    pub stats: Vec<ControlStats>,
    pub errors: Vec<FileError>,
}

/// Slots of the fields the report uses.
#[derive(Debug, Clone, Copy)]
struct Fields {
    time: usize,
    event_name: usize,
    source_ip: usize,
    arn: usize,
    principal_id: usize,
    invoked_by: usize,
    user_name: usize,
    identity_type: usize,
}

/// Compiled controls and settings, shared by the workers.
pub struct Engine {
    pub controls: Vec<Compiled>,
    trie: Trie,
    fields: Fields,
    settings: Settings,
    periods: Vec<i64>,
}

impl Engine {
    pub fn new(specs: Vec<ControlSpec>, settings: Settings) -> Result<Engine, String> {
        let mut trie = Trie::new();
        let fields = Fields {
            time: trie.add(&["eventTime"]),
            event_name: trie.add(&["eventName"]),
            source_ip: trie.add(&["sourceIPAddress"]),
            arn: trie.add(&["userIdentity", "arn"]),
            principal_id: trie.add(&["userIdentity", "principalId"]),
            invoked_by: trie.add(&["userIdentity", "invokedBy"]),
            user_name: trie.add(&["userIdentity", "userName"]),
            identity_type: trie.add(&["userIdentity", "type"]),
        };
        let mut controls = Vec::with_capacity(specs.len());
        for s in specs {
            controls.push(Compiled::new(s, &mut trie)?);
        }
        let periods = controls
            .iter()
            .map(|c| i64::from(c.spec.alarm.period.max(1)))
            .collect();
        Ok(Engine {
            controls,
            trie,
            fields,
            settings,
            periods,
        })
    }

    /// Runs `jobs` workers over the items `next` hands out (until it returns `None`), writing
    /// `--matches` lines to `out`.
    pub fn run(
        &self,
        next: &(dyn Fn() -> Option<Item> + Sync),
        counters: &Counters,
        out: &Mutex<Box<dyn Write + Send>>,
    ) -> Outcome {
        let jobs = self.settings.jobs.max(1);
        let results: Vec<Outcome> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..jobs)
                .map(|_| {
                    s.spawn(|| {
                        let mut w = Worker::new(self);
                        while let Some(item) = next() {
                            w.file(self, item, counters, out);
                        }
                        w.finish()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("scan worker panicked"))
                .collect()
        });
        let mut total = Outcome {
            stats: (0..self.controls.len())
                .map(|_| ControlStats::default())
                .collect(),
            ..Outcome::default()
        };
        for mut r in results {
            total.totals.add(&r.totals);
            for (a, b) in total.stats.iter_mut().zip(r.stats.iter_mut()) {
                a.merge(b);
            }
            total.errors.append(&mut r.errors);
        }
        total
            .errors
            .sort_by(|a, b| a.file.cmp(&b.file).then(a.message.cmp(&b.message)));
        total
    }

    /// Scans one in-memory file (tests and tools).
    pub fn scan_bytes(&self, name: &str, data: &[u8]) -> Outcome {
        let items = Mutex::new(vec![Item::Bytes {
            name: name.to_string(),
            data: data.to_vec(),
        }]);
        let sink: Mutex<Box<dyn Write + Send>> = Mutex::new(Box::new(std::io::sink()));
        self.run(&|| items.lock().ok()?.pop(), &Counters::default(), &sink)
    }
}

/// The part of a file in memory: `start..end` of the worker's buffer, or of the file's bytes
/// when it is already in memory.
struct Buffer {
    initial: usize,
    start: usize,
    end: usize,
    eof: bool,
    /// File offset of byte 0 of the buffer, wrapping: with a decompressed chunk as the buffer,
    /// byte 0 can be before the start of the file (offset = `base.wrapping_add(index)`).
    base: u64,
}

/// One file's bytes: read into the worker's buffer, or already in memory.
enum Input<'a> {
    Read(Box<dyn Read + Send + 'a>),
    Memory(&'a [u8]),
    /// Decompressed on another thread (see [`inflate_thread`]).
    Chunks(Inflated),
}

/// The receiving end of [`inflate_thread`]: chunks of decompressed bytes, in order, each
/// after [`HEADROOM`] free bytes.
struct Inflated {
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
fn inflate_thread<'scope>(
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
    fn reset(&mut self, buf: &mut Vec<u8>) {
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
    fn fill(&mut self, buf: &mut Vec<u8>, r: &mut dyn Read) -> std::io::Result<usize> {
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
    fn fill_chunks(&mut self, buf: &mut Vec<u8>, src: &mut Inflated) -> std::io::Result<usize> {
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
    fn fill_memory(&mut self, len: usize) -> std::io::Result<usize> {
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

/// The tallies of one file, added to the worker's once the file is read.
struct FileAcc {
    totals: Totals,
    stats: Vec<ControlStats>,
    lines: Vec<u8>,
    printed_early: u64,
}

struct Worker {
    buffer: Buffer,
    /// The read buffer (taken out while a file is scanned).
    buf: Vec<u8>,
    index: Index,
    proj: Vec<Span>,
    file: FileAcc,
    totals: Totals,
    stats: Vec<ControlStats>,
    errors: Vec<FileError>,
}

impl Worker {
    fn new(e: &Engine) -> Worker {
        let n = e.controls.len();
        Worker {
            index: Index::default(),
            buffer: Buffer {
                initial: if e.settings.buffer == 0 {
                    CHUNK
                } else {
                    e.settings.buffer
                },
                start: 0,
                end: 0,
                eof: false,
                base: 0,
            },
            buf: Vec::new(),
            proj: vec![Span::NONE; e.trie.slots()],
            file: FileAcc {
                totals: Totals::default(),
                stats: (0..n).map(|_| ControlStats::default()).collect(),
                lines: Vec::new(),
                printed_early: 0,
            },
            totals: Totals::default(),
            stats: (0..n).map(|_| ControlStats::default()).collect(),
            errors: Vec::new(),
        }
    }

    fn finish(self) -> Outcome {
        Outcome {
            totals: self.totals,
            stats: self.stats,
            errors: self.errors,
        }
    }

    fn file(
        &mut self,
        e: &Engine,
        item: Item,
        counters: &Counters,
        out: &Mutex<Box<dyn Write + Send>>,
    ) {
        let name = item.name();
        let result = match item {
            Item::Path(p) => match std::fs::File::open(&p) {
                Ok(f) => {
                    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
                    self.stream(e, Input::Read(Box::new(f)), size, counters, out)
                }
                Err(err) => Err(err.to_string()),
            },
            Item::Stream { size, reader, .. } => {
                self.stream(e, Input::Read(reader), size, counters, out)
            }
            Item::Bytes { data, .. } => {
                let size = data.len() as u64;
                if e.settings.stream_memory {
                    self.stream(e, Input::Read(Box::new(&data[..])), size, counters, out)
                } else {
                    self.stream(e, &data[..], size, counters, out)
                }
            }
        };
        counters.files_done.fetch_add(1, Ordering::Relaxed);
        let acc = &mut self.file;
        match result {
            Ok(()) => {
                acc.totals.files = 1;
                self.totals.add(&acc.totals);
                for (a, b) in self.stats.iter_mut().zip(acc.stats.iter_mut()) {
                    a.merge(b);
                }
                if !acc.lines.is_empty() {
                    if let Ok(mut o) = out.lock() {
                        let _ = o.write_all(&acc.lines);
                    }
                }
            }
            Err(message) => {
                let message = if acc.printed_early > 0 {
                    format!(
                        "{message} ({} matching events of this file were already printed)",
                        acc.printed_early
                    )
                } else {
                    message
                };
                self.errors.push(FileError {
                    file: name,
                    message,
                });
                for s in &mut acc.stats {
                    s.clear();
                }
            }
        }
        acc.totals = Totals::default();
        acc.lines.clear();
        if acc.lines.capacity() > MATCH_FLUSH * 2 {
            acc.lines.shrink_to(MATCH_FLUSH);
        }
        acc.printed_early = 0;
    }

    fn stream<'a>(
        &mut self,
        e: &Engine,
        input: impl Into<Input<'a>>,
        input_size: u64,
        counters: &Counters,
        out: &Mutex<Box<dyn Write + Send>>,
    ) -> Result<(), String> {
        let mut buf = std::mem::take(&mut self.buf);
        let r = self.stream_in(e, input.into(), &mut buf, input_size, counters, out);
        self.buf = buf;
        r
    }

    fn stream_in(
        &mut self,
        e: &Engine,
        input: Input<'_>,
        buf: &mut Vec<u8>,
        input_size: u64,
        counters: &Counters,
        out: &Mutex<Box<dyn Write + Send>>,
    ) -> Result<(), String> {
        let (input, gzip) = match input {
            Input::Memory(m) if m.starts_with(&[0x1f, 0x8b]) => {
                (Input::Read(Box::new(MultiGzDecoder::new(m))), true)
            }
            Input::Memory(m) => (Input::Memory(m), false),
            Input::Chunks(c) => (Input::Chunks(c), true),
            Input::Read(r) => {
                let mut reader = BufReader::with_capacity(64 << 10, r);
                let gzip = reader
                    .fill_buf()
                    .map_err(|err| err.to_string())?
                    .starts_with(&[0x1f, 0x8b]);
                let r: Box<dyn Read + Send> = if gzip {
                    Box::new(MultiGzDecoder::new(reader))
                } else {
                    Box::new(reader)
                };
                (Input::Read(r), gzip)
            }
        };
        match input {
            Input::Read(decoder)
                if gzip
                    && e.settings
                        .inflate_thread_min
                        .is_some_and(|m| input_size >= m) =>
            {
                std::thread::scope(|scope| {
                    let inflated = inflate_thread(scope, decoder);
                    self.stream_body(
                        e,
                        Input::Chunks(inflated),
                        gzip,
                        buf,
                        input_size,
                        counters,
                        out,
                    )
                })
            }
            input => self.stream_body(e, input, gzip, buf, input_size, counters, out),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn stream_body(
        &mut self,
        e: &Engine,
        mut input: Input<'_>,
        gzip: bool,
        buf: &mut Vec<u8>,
        input_size: u64,
        counters: &Counters,
        out: &Mutex<Box<dyn Write + Send>>,
    ) -> Result<(), String> {
        self.buffer.reset(buf);
        self.file.totals.input_bytes = input_size;
        counters
            .input_bytes_done
            .fetch_add(input_size, Ordering::Relaxed);
        let mut mode = Mode::Detect;
        loop {
            let filled = match &mut input {
                Input::Read(r) => self.buffer.fill(buf, r),
                Input::Memory(m) => self.buffer.fill_memory(m.len()),
                Input::Chunks(c) => self.buffer.fill_chunks(buf, c),
            };
            let n = filled.map_err(|err| {
                if gzip {
                    format!("cannot decompress: {err}")
                } else {
                    err.to_string()
                }
            })?;
            self.file.totals.bytes += n as u64;
            counters.bytes_done.fetch_add(n as u64, Ordering::Relaxed);
            let events_before = self.file.totals.events;
            let data: &[u8] = match &input {
                Input::Read(_) | Input::Chunks(_) => buf,
                Input::Memory(m) => m,
            };
            let r = self.consume(e, &mut mode, data);
            counters
                .events
                .fetch_add(self.file.totals.events - events_before, Ordering::Relaxed);
            if self.file.lines.len() >= MATCH_FLUSH {
                self.file.printed_early +=
                    memchr::memchr_iter(b'\n', &self.file.lines).count() as u64;
                if let Ok(mut o) = out.lock() {
                    let _ = o.write_all(&self.file.lines);
                }
                self.file.lines.clear();
            }
            match r {
                Ok(()) => return Ok(()),
                Err(WalkError::Incomplete) if !self.buffer.eof => continue,
                Err(WalkError::Incomplete) => {
                    let at = self.buffer.base.wrapping_add(self.buffer.end as u64);
                    return Err(if at == 0 {
                        "empty file".to_string()
                    } else {
                        format!("truncated: the file ends inside a record (at byte {at})")
                    });
                }
                Err(WalkError::Corrupt(off, what)) => {
                    let at = self.buffer.base.wrapping_add(off as u64);
                    return Err(format!("not valid JSON at byte {at}: {what}"));
                }
            }
        }
    }

    /// Consumes records from the buffer; `Ok` when the file is complete.
    fn consume(&mut self, e: &Engine, mode: &mut Mode, data: &[u8]) -> WalkResult<()> {
        let end = self.buffer.end;
        let eof = self.buffer.eof;
        self.index.build(data, self.buffer.start, end);
        let idx = &self.index;
        loop {
            let b = &data[..end];
            let mut i = self.buffer.start;
            match *mode {
                Mode::Detect => {
                    if b[i..].starts_with(&[0xef, 0xbb, 0xbf]) {
                        i += 3;
                    }
                    let j = match skip_ws(b, i) {
                        Ok(j) => j,
                        Err(err) => {
                            self.buffer.start = end;
                            if !eof {
                                return Err(err);
                            }
                            *mode = Mode::Done;
                            // A file of only whitespace holds no events; an empty one is
                            // reported (a file cut short before its first byte).
                            return if self.file.totals.bytes == 0 {
                                Err(err)
                            } else {
                                Ok(())
                            };
                        }
                    };
                    let header = if b[j] == b'{' {
                        records_header(b, idx, j)?
                    } else {
                        None
                    };
                    if let Some(k) = header {
                        *mode = Mode::Item { first: true };
                        self.buffer.start = k;
                    } else if b[j] == b'{' || b[j].is_ascii_digit() {
                        *mode = Mode::Lines;
                        self.buffer.start = j;
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
                            let rec_end = walk_record(b, idx, j, &e.trie, &mut self.proj)?;
                            tally(e, b, &self.proj, &mut self.file, j, rec_end);
                            self.buffer.start = rec_end;
                            *mode = Mode::AfterItem;
                        }
                        b']' if first => {
                            self.buffer.start = j + 1;
                            *mode = Mode::Tail;
                        }
                        _ => return Err(WalkError::Corrupt(j, "expected a record")),
                    }
                }
                Mode::AfterItem => {
                    let j = skip_ws(b, i)?;
                    match b[j] {
                        b',' => *mode = Mode::Item { first: false },
                        b']' => *mode = Mode::Tail,
                        _ => return Err(WalkError::Corrupt(j, "expected ',' or ']'")),
                    }
                    self.buffer.start = j + 1;
                }
                Mode::Tail => {
                    let j = skip_ws(b, i)?;
                    if b[j] != b'}' {
                        return Err(WalkError::Corrupt(
                            j,
                            "expected '}' after the Records array",
                        ));
                    }
                    self.buffer.start = j + 1;
                    *mode = Mode::Trailer;
                }
                Mode::Trailer => {
                    let mut k = i;
                    while k < end && is_ws(b[k]) {
                        k += 1;
                    }
                    if k < end {
                        return Err(WalkError::Corrupt(k, "unexpected data after the log file"));
                    }
                    self.buffer.start = end;
                    if !eof {
                        return Err(WalkError::Incomplete);
                    }
                    *mode = Mode::Done;
                }
                Mode::Lines => {
                    let mut j = i;
                    while j < end && is_ws(b[j]) {
                        j += 1;
                    }
                    if j == end {
                        self.buffer.start = end;
                        if eof {
                            *mode = Mode::Done;
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
                    let rec_end = walk_record(b, idx, j, &e.trie, &mut self.proj)?;
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
                    tally(e, b, &self.proj, &mut self.file, j, rec_end);
                    self.buffer.start = k;
                }
                Mode::Done => return Ok(()),
            }
        }
    }
}

/// Tallies the record `buf[start..end]`, whose projection is `proj`.
fn tally(e: &Engine, buf: &[u8], proj: &[Span], acc: &mut FileAcc, start: usize, end: usize) {
    let rec = &buf[start..end];
    let f = &e.fields;
    let time = proj[f.time]
        .get(buf)
        .and_then(|v| (v.len() > 2 && v[0] == b'"').then(|| &v[1..v.len() - 1]))
        .and_then(parse_timestamp);
    let s = &e.settings;
    if s.since.is_some() || s.until.is_some() {
        let Some(t) = time else { return };
        if s.since.is_some_and(|x| t < x) || s.until.is_some_and(|u| t >= u) {
            return;
        }
    }
    let totals = &mut acc.totals;
    totals.events += 1;
    match time {
        Some(t) => {
            totals.first_event = min_opt(totals.first_event, Some(t));
            totals.last_event = max_opt(totals.last_event, Some(t));
        }
        None => totals.untimed_events += 1,
    }
    // The record as text (for the pattern engine and for printing), made on first need.
    let mut text: Option<Option<Cow<'_, str>>> = None;
    let mut fields: Option<[Cow<'_, [u8]>; 3]> = None;
    for (ci, c) in e.controls.iter().enumerate() {
        let hit = match &c.eval {
            Eval::All => true,
            Eval::Fast(x) => x.eval(buf, proj),
            Eval::Text => {
                c.prefilter.may_match(rec)
                    && match text.get_or_insert_with(|| record_text(rec)) {
                        Some(t) => c.pattern.matches(&Event::from_text(t)),
                        None => false,
                    }
            }
            Eval::Full => {
                c.prefilter.may_match(rec)
                    && match serde_json::from_slice::<Value>(rec) {
                        Ok(v) => c.pattern.matches(&Event::from_json("", &v)),
                        Err(_) => false,
                    }
            }
        };
        if !hit {
            continue;
        }
        let fl = fields.get_or_insert_with(|| report_fields(buf, proj, f));
        acc.stats[ci].record(time, e.periods[ci], &[&fl[0], &fl[1], &fl[2]]);
        if s.print_matches == Some(ci) {
            // A record that is not valid JSON text is counted but not printed.
            if let Some(t) = text.get_or_insert_with(|| record_text(rec)) {
                acc.lines.extend_from_slice(t.as_bytes());
                acc.lines.push(b'\n');
            }
        }
    }
}

impl<'a> From<&'a [u8]> for Input<'a> {
    fn from(bytes: &'a [u8]) -> Input<'a> {
        Input::Memory(bytes)
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

/// The record as compact JSON text: its own bytes when they already are, else re-serialized.
fn record_text(rec: &[u8]) -> Option<Cow<'_, str>> {
    if is_compact(rec) {
        if let Ok(s) = std::str::from_utf8(rec) {
            return Some(Cow::Borrowed(s));
        }
    }
    let v: Value = serde_json::from_slice(rec).ok()?;
    serde_json::to_string(&v).ok().map(Cow::Owned)
}

/// Principal, source IP and event name of a matching record.
fn report_fields<'a>(buf: &'a [u8], proj: &[Span], f: &Fields) -> [Cow<'a, [u8]>; 3] {
    let text = |slot: usize| -> Option<Cow<'a, [u8]>> {
        let span = proj[slot];
        let v = span.get(buf)?;
        if v.len() >= 2 && v[0] == b'"' && !super::compile::has_escape(v) {
            Some(Cow::Borrowed(&v[1..v.len() - 1]))
        } else {
            string_content(v)
        }
    };
    let principal = text(f.arn)
        .filter(|s| !s.is_empty())
        .or_else(|| text(f.principal_id).filter(|s| !s.is_empty()))
        .or_else(|| text(f.invoked_by).filter(|s| !s.is_empty()))
        .or_else(|| text(f.user_name).filter(|s| !s.is_empty()))
        .or_else(|| text(f.identity_type).filter(|s| !s.is_empty()))
        .unwrap_or(Cow::Borrowed(b"-"));
    let ip = text(f.source_ip).unwrap_or(Cow::Borrowed(b"-"));
    let name = text(f.event_name).unwrap_or(Cow::Borrowed(b"-"));
    [principal, ip, name]
}
