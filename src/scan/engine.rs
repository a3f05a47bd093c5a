//! The scanning engine: worker threads ([`super::worker`]) take files from a queue, stream each
//! through a bounded buffer ([`super::buffer`]), find its records ([`super::framing`]), project
//! their fields with the walker, evaluate every control and tally matches
//! ([`super::tally`]).
//!
//! Memory per worker: one buffer (4 MiB, grown only for a single record larger than that, up to
//! [`MAX_RECORD`]), the tallies, and the `--matches` lines of the current file (flushed every
//! [`MATCH_FLUSH`] bytes). A file's tallies are added to the totals only once the whole file
//! has been read: a corrupt or truncated file contributes nothing but an error.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;

use super::compile::{Compiled, ControlSpec};
use super::stats::ControlStats;
use super::walk::Trie;

pub use super::buffer::{CHUNK, HEADROOM, INFLATE_CHUNK, MAX_RECORD};
pub use super::worker::MATCH_FLUSH;

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

/// What a scan found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub totals: Totals,
    pub stats: Vec<ControlStats>,
    pub errors: Vec<FileError>,
}

/// Compiled controls and settings, shared by the workers.
pub struct Engine {
    pub controls: Vec<Compiled>,
    /// The fields the walker projects: the report's and the patterns'.
    pub(super) trie: Trie,
    pub(super) fields: Fields,
    pub(super) settings: Settings,
    /// Each control's alarm period, in seconds.
    pub(super) periods: Vec<i64>,
}

impl Engine {
    pub fn new(specs: Vec<ControlSpec>, settings: Settings) -> Result<Engine, String> {
        let mut trie = Trie::new();
        let fields = Fields::register(&mut trie);
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

/// Slots of the fields the report uses.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fields {
    pub(super) time: usize,
    pub(super) event_name: usize,
    pub(super) source_ip: usize,
    pub(super) arn: usize,
    pub(super) principal_id: usize,
    pub(super) invoked_by: usize,
    pub(super) user_name: usize,
    pub(super) identity_type: usize,
}

impl Fields {
    /// Registers the fields in `trie`.
    pub(super) fn register(trie: &mut Trie) -> Fields {
        Fields {
            time: trie.add(&["eventTime"]),
            event_name: trie.add(&["eventName"]),
            source_ip: trie.add(&["sourceIPAddress"]),
            arn: trie.add(&["userIdentity", "arn"]),
            principal_id: trie.add(&["userIdentity", "principalId"]),
            invoked_by: trie.add(&["userIdentity", "invokedBy"]),
            user_name: trie.add(&["userIdentity", "userName"]),
            identity_type: trie.add(&["userIdentity", "type"]),
        }
    }
}
