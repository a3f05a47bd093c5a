//! `s3://bucket/prefix` inputs: the prefix listed folder by folder (pruned like local
//! directories), the log files downloaded into the scan's queue while the workers scan. The
//! requests themselves are [`crate::aws::objects`]'s.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use crate::aws::{AwsError, Bucket, Level};

use super::engine::{Counters, FileError, Item};
use super::input::{keep, looks_like_log, push_error, DayRange};

/// S3 objects of this size or more are scanned while they download, a few chunks behind the
/// network, instead of being held whole in memory: memory stays bounded whatever the size of
/// an object (a CloudWatch Logs export, a month of logs in one file). Smaller objects, such as
/// the log files CloudTrail writes (a few MB at most), are downloaded whole and scanned where
/// they lie, which costs no copy.
pub const STREAM_OBJECT_MIN: u64 = 8 << 20;

/// Downloaded chunks of a streamed object waiting for its worker.
const STREAM_CHUNKS_AHEAD: usize = 4;

/// Listings of one prefix at a time.
const LIST_PARALLEL: usize = 8;

/// `s3://bucket/prefix` → (bucket, prefix).
pub fn parse_s3_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| (bucket.to_string(), prefix.to_string()))
}

/// Lists `prefix` folder by folder ([`LIST_PARALLEL`] listings at a time, pruning date folders
/// outside `range`) and downloads the log files (`download_parallel` at a time) into `tx`.
#[allow(clippy::too_many_arguments)]
pub async fn produce_s3(
    bucket: Bucket,
    prefix: String,
    range: Option<DayRange>,
    tx: mpsc::Sender<Item>,
    counters: Arc<Counters>,
    errors: Arc<Mutex<Vec<FileError>>>,
    download_parallel: usize,
) {
    let list_permits = Arc::new(Semaphore::new(LIST_PARALLEL));
    let download_permits = Arc::new(Semaphore::new(download_parallel.max(1)));
    let mut listings: JoinSet<(String, Result<Level, AwsError>)> = JoinSet::new();
    let mut downloads: JoinSet<()> = JoinSet::new();
    let spawn_listing = |listings: &mut JoinSet<_>, p: String| {
        let bucket = bucket.clone();
        let permits = list_permits.clone();
        listings.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let r = bucket.list_level(&p).await;
            (p, r)
        });
    };
    spawn_listing(&mut listings, prefix);
    while let Some(joined) = listings.join_next().await {
        let Ok((p, result)) = joined else { continue };
        let level = match result {
            Ok(level) => level,
            Err(e) => {
                push_error(
                    &errors,
                    &format!("s3://{}/{p}", bucket.name()),
                    e.to_string(),
                );
                continue;
            }
        };
        for f in level.folders {
            if keep(&f, range) {
                spawn_listing(&mut listings, f);
            }
        }
        for object in level.objects {
            let (key, size) = (object.key, object.size);
            if key.ends_with('/') || !looks_like_log(&key) || !keep(&key, range) {
                continue;
            }
            counters.files_queued.fetch_add(1, Ordering::Relaxed);
            counters
                .input_bytes_queued
                .fetch_add(size, Ordering::Relaxed);
            let permit = download_permits.clone().acquire_owned().await;
            let bucket = bucket.clone();
            let tx = tx.clone();
            let errors = errors.clone();
            downloads.spawn(async move {
                let _permit = permit;
                let name = format!("s3://{}/{key}", bucket.name());
                if size >= STREAM_OBJECT_MIN {
                    stream_object(&bucket, &key, name, size, &tx).await;
                    return;
                }
                match bucket.download(&key).await {
                    Ok(data) => {
                        let _ = tx.send(Item::Bytes { name, data }).await;
                    }
                    Err(e) => push_error(&errors, &name, e.to_string()),
                }
            });
            // Reap finished downloads as we go.
            while downloads.try_join_next().is_some() {}
        }
    }
    counters.listings_open.fetch_sub(1, Ordering::Relaxed);
    while downloads.join_next().await.is_some() {}
}

/// What a streamed object's download hands its worker.
enum Piece {
    Chunk(Vec<u8>),
    /// The body ended where its length said.
    End,
    Failed(String),
}

/// Hands the workers an [`Item::Stream`] of `key`, whose download starts when a worker first
/// reads it (a response left waiting in the queue could be closed by S3 as idle) and then runs
/// at most [`STREAM_CHUNKS_AHEAD`] chunks ahead of the scan. A failed request, or a body cut
/// short, fails the scan of that file with the reason.
async fn stream_object(
    bucket: &Bucket,
    key: &str,
    name: String,
    size: u64,
    tx: &mpsc::Sender<Item>,
) {
    let (pieces, rx) = mpsc::channel(STREAM_CHUNKS_AHEAD);
    let (start, started) = tokio::sync::oneshot::channel();
    let reader = Box::new(BodyReader {
        start: Some(start),
        rx,
        chunk: Vec::new(),
        at: 0,
        ended: false,
    });
    if tx.send(Item::Stream { name, size, reader }).await.is_err() || started.await.is_err() {
        return;
    }
    let mut body = match bucket.get(key).await {
        Ok(body) => body,
        Err(e) => {
            let _ = pieces.send(Piece::Failed(e.to_string())).await;
            return;
        }
    };
    loop {
        let piece = match body.next_chunk().await {
            Ok(Some(chunk)) => Piece::Chunk(chunk),
            Ok(None) => Piece::End,
            Err(e) => Piece::Failed(e.to_string()),
        };
        let last = !matches!(piece, Piece::Chunk(_));
        // The worker gave up on the file (corrupt): stop downloading it.
        if pieces.send(piece).await.is_err() || last {
            return;
        }
    }
}

/// The worker's side of a streamed object: a blocking reader over the downloaded chunks.
struct BodyReader {
    /// Taken at the first read, to start the download.
    start: Option<tokio::sync::oneshot::Sender<()>>,
    rx: mpsc::Receiver<Piece>,
    chunk: Vec<u8>,
    at: usize,
    ended: bool,
}

impl std::io::Read for BodyReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if let Some(start) = self.start.take() {
            let _ = start.send(());
        }
        while self.at == self.chunk.len() {
            if self.ended {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                Some(Piece::Chunk(c)) => {
                    self.chunk = c;
                    self.at = 0;
                }
                Some(Piece::End) => self.ended = true,
                Some(Piece::Failed(e)) => return Err(std::io::Error::other(e)),
                // The download stopped without saying how: never taken for the end of the file.
                None => return Err(std::io::Error::other("s3:GetObject: the download stopped")),
            }
        }
        let n = out.len().min(self.chunk.len() - self.at);
        out[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_s3_url("s3://b/AWSLogs/1/"),
            Some(("b".into(), "AWSLogs/1/".into()))
        );
        assert_eq!(parse_s3_url("s3://b"), Some(("b".into(), "".into())));
        assert_eq!(parse_s3_url("s3:///x"), None);
        assert_eq!(parse_s3_url("/tmp/x"), None);
    }
}
