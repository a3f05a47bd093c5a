//! One worker thread: takes files from the queue and, for each, opens it (detecting gzip by
//! its magic bytes), fills the buffer, frames the records and tallies them. A file's tallies are
//! added to the worker's only once the whole file has been read: a corrupt or truncated file
//! contributes nothing but an error.

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::atomic::Ordering;
use std::sync::Mutex;

use flate2::read::MultiGzDecoder;

use super::buffer::{inflate_thread, Buffer, Input, CHUNK};
use super::engine::Totals;
use super::engine::{Counters, Engine, FileError, Item, Outcome};
use super::error::WalkError;
use super::framing::Framer;
use super::index::Index;
use super::stats::ControlStats;
use super::tally::{tally, FileAcc};
use super::walk::Span;

/// `--matches` lines are written out once a file has this many bytes of them.
pub const MATCH_FLUSH: usize = 16 << 20;

/// A worker's buffers and tallies, reused from file to file.
pub(super) struct Worker {
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
    pub(super) fn new(e: &Engine) -> Worker {
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
            file: FileAcc::new(n),
            totals: Totals::default(),
            stats: (0..n).map(|_| ControlStats::default()).collect(),
            errors: Vec::new(),
        }
    }

    pub(super) fn finish(self) -> Outcome {
        Outcome {
            totals: self.totals,
            stats: self.stats,
            errors: self.errors,
        }
    }

    /// Scans one file, adding its tallies, or its error.
    pub(super) fn file(
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
        let mut framer = Framer::default();
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
            self.index.build(data, self.buffer.start, self.buffer.end);
            let empty = self.file.totals.bytes == 0;
            let file = &mut self.file;
            let r = framer.frame(
                data,
                &mut self.buffer,
                &self.index,
                &e.trie,
                &mut self.proj,
                empty,
                |b, proj, start, end| tally(e, b, proj, file, start, end),
            );
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
}

/// The pool of workers lives here, beside the worker it runs, so that the engine's types do not
/// depend on the worker.
impl Engine {
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
}
