//! Finding the log files: local files and directories, and `s3://bucket/prefix` listings,
//! pruned by the date in CloudTrail's key layout
//! (`AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/FILE`).

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use crate::aws::{error_chain, sdk_error, AwsError};

use super::engine::{Counters, FileError, Item};
use super::time::days_from_civil;

/// S3 objects of this size or more are scanned while they download, a few chunks behind the
/// network, instead of being held whole in memory: memory stays bounded whatever the size of
/// an object (a CloudWatch Logs export, a month of logs in one file). Smaller objects, such as
/// the log files CloudTrail writes (a few MB at most), are downloaded whole and scanned where
/// they lie, which costs no copy.
pub const STREAM_OBJECT_MIN: u64 = 8 << 20;

/// Downloaded chunks of a streamed object waiting for its worker.
const STREAM_CHUNKS_AHEAD: usize = 4;

/// Days (since the epoch, inclusive) whose CloudTrail folders may hold events of the scanned
/// time range. A log file is delivered within minutes of its events, so the folder of a day
/// may hold events of the previous day's last minutes: the range starts a day early and ends a
/// day late.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub first: i64,
    pub last: i64,
}

impl DayRange {
    pub fn new(since: Option<i64>, until: Option<i64>) -> Option<DayRange> {
        if since.is_none() && until.is_none() {
            return None;
        }
        Some(DayRange {
            first: since.map_or(i64::MIN / 4, |s| s.div_euclid(86_400) - 1),
            last: until.map_or(i64::MAX / 4, |u| (u - 1).div_euclid(86_400) + 1),
        })
    }
}

fn number(s: &str, len: usize) -> Option<u32> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Whether a path or key (or a folder of them) may hold log files of interest: never the
/// `CloudTrail-Digest` folders (integrity digests, not events); with a day range, only the date
/// folders that overlap it.
pub fn keep(path: &str, range: Option<DayRange>) -> bool {
    let segs: Vec<&str> = path.split(['/', '\\']).collect();
    if segs.contains(&"CloudTrail-Digest") {
        return false;
    }
    let Some(range) = range else { return true };
    // The last `CloudTrail/REGION/YYYY` in the path.
    let Some(k) = (0..segs.len()).rev().find(|&k| {
        matches!(segs[k], "CloudTrail" | "CloudTrail-Insight")
            && segs.get(k + 2).and_then(|y| number(y, 4)).is_some()
    }) else {
        return true;
    };
    let year = i64::from(number(segs[k + 2], 4).unwrap_or(0));
    let month = segs
        .get(k + 3)
        .and_then(|m| number(m, 2))
        .filter(|m| (1..=12).contains(m));
    let day = segs
        .get(k + 4)
        .and_then(|d| number(d, 2))
        .filter(|d| (1..=31).contains(d));
    let (first, last) = match (month, day) {
        (Some(m), Some(d)) => {
            let x = days_from_civil(year, m, d);
            (x, x)
        }
        (Some(m), None) => {
            let x = days_from_civil(year, m, 1);
            let (ny, nm) = if m == 12 {
                (year + 1, 1)
            } else {
                (year, m + 1)
            };
            (x, days_from_civil(ny, nm, 1) - 1)
        }
        _ => (
            days_from_civil(year, 1, 1),
            days_from_civil(year + 1, 1, 1) - 1,
        ),
    };
    first <= range.last && last >= range.first
}

/// Whether a file found in a directory or under an S3 prefix looks like a log file.
pub fn looks_like_log(name: &str) -> bool {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    if base.starts_with('.') || base.is_empty() {
        return false;
    }
    let base = base.strip_suffix(".gz").unwrap_or(base);
    name.ends_with(".gz")
        || base.ends_with(".json")
        || base.ends_with(".jsonl")
        || base.ends_with(".ndjson")
        || base.ends_with(".log")
}

/// Every log file under `path` (a file is taken whatever its name), in name order, counted in
/// `counters`. Only paths are held (memory grows with the number of files, not their size).
pub fn list_local(
    path: &Path,
    range: Option<DayRange>,
    counters: &Counters,
    errors: &Mutex<Vec<FileError>>,
) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            push_error(errors, &path.display().to_string(), e.to_string());
            return out;
        }
    };
    let count = |p: PathBuf, size: u64, out: &mut Vec<PathBuf>| {
        counters.files_queued.fetch_add(1, Ordering::Relaxed);
        counters
            .input_bytes_queued
            .fetch_add(size, Ordering::Relaxed);
        out.push(p);
    };
    if !meta.is_dir() {
        count(path.to_path_buf(), meta.len(), &mut out);
        return out;
    }
    let mut stack: Vec<PathBuf> = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(r) => r,
            Err(e) => {
                push_error(errors, &dir.display().to_string(), e.to_string());
                continue;
            }
        };
        let mut files = Vec::new();
        let mut dirs = Vec::new();
        for entry in entries.flatten() {
            let p = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let Ok(ft) = entry.file_type() else { continue };
            let is_dir = ft.is_dir() || (ft.is_symlink() && p.is_dir());
            let text = p.to_string_lossy();
            if is_dir {
                if keep(&format!("{text}/"), range) {
                    dirs.push(p);
                }
            } else if looks_like_log(&text) && keep(&text, range) {
                files.push(p);
            }
        }
        files.sort();
        dirs.sort();
        for f in files {
            let size = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
            count(f, size, &mut out);
        }
        stack.extend(dirs.into_iter().rev());
    }
    out
}

fn push_error(errors: &Mutex<Vec<FileError>>, file: &str, message: String) {
    if let Ok(mut e) = errors.lock() {
        e.push(FileError {
            file: file.to_string(),
            message,
        });
    }
}

/// `s3://bucket/prefix` → (bucket, prefix).
pub fn parse_s3_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| (bucket.to_string(), prefix.to_string()))
}

/// One level of a listing: the folders (common prefixes) and the objects (key, size).
type Level = (Vec<String>, Vec<(String, u64)>);

async fn list_level(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Result<Level, AwsError> {
    let mut folders = Vec::new();
    let mut objects = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .delimiter("/")
            .set_continuation_token(token.clone())
            .send()
            .await
            .map_err(|e| sdk_error("s3:ListObjectsV2", e))?;
        for p in out.common_prefixes() {
            if let Some(p) = p.prefix() {
                folders.push(p.to_string());
            }
        }
        for o in out.contents() {
            if let Some(k) = o.key() {
                objects.push((k.to_string(), o.size().unwrap_or(0).max(0) as u64));
            }
        }
        match out.next_continuation_token() {
            Some(t) if out.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok((folders, objects))
}

/// An S3 client that reaches `bucket`: the given one, or one for the bucket's own region when
/// S3 answers that the bucket lives elsewhere.
///
/// S3 answers a request signed for the wrong region with `301 PermanentRedirect` (or, from
/// some endpoints, `400 AuthorizationHeaderMalformed`), and names the bucket's region in the
/// `x-amz-bucket-region` header. That header is used first; without it, `GetBucketLocation`
/// (which S3 answers from any region) is asked. The probe is a one-key listing of the prefix,
/// the first request the scan makes anyway.
pub async fn client_for_bucket(
    aws: &crate::aws::Aws,
    bucket: &str,
    prefix: &str,
    quiet: bool,
) -> Result<aws_sdk_s3::Client, AwsError> {
    let client = aws.s3.clone();
    let probe = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .max_keys(1)
        .send()
        .await;
    let e = match probe {
        Ok(_) => return Ok(client),
        Err(e) => e,
    };
    let here = aws.region().to_string();
    let named = e
        .raw_response()
        .and_then(|r| r.headers().get("x-amz-bucket-region"))
        .map(str::to_string)
        .filter(|r| !r.is_empty() && *r != here);
    let status = e.raw_response().map(|r| r.status().as_u16());
    let err = sdk_error("s3:ListObjectsV2", e);
    let moved = status == Some(301)
        || matches!(
            err.code(),
            Some("PermanentRedirect" | "AuthorizationHeaderMalformed")
        );
    let region = match named {
        Some(r) => r,
        None if moved => {
            let loc = client
                .get_bucket_location()
                .bucket(bucket)
                .send()
                .await
                .map_err(|e| sdk_error("s3:GetBucketLocation", e))?;
            // An empty location constraint is us-east-1 (S3's historical default).
            let r = loc
                .location_constraint()
                .map(|c| c.as_str().to_string())
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| "us-east-1".to_string());
            if r == here {
                // S3 redirected, but names this very region: nothing else to try.
                return Err(err);
            }
            r
        }
        None => return Err(err),
    };
    if !quiet {
        eprintln!("bucket {bucket} is in {region}; reading it from there");
    }
    Ok(aws.s3_in(&region))
}

/// Lists `prefix` folder by folder (`list_parallel` listings at a time, pruning date folders
/// outside `range`) and downloads the log files (`download_parallel` at a time) into `tx`.
#[allow(clippy::too_many_arguments)]
pub async fn produce_s3(
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
    range: Option<DayRange>,
    tx: mpsc::Sender<Item>,
    counters: Arc<Counters>,
    errors: Arc<Mutex<Vec<FileError>>>,
    download_parallel: usize,
) {
    let list_permits = Arc::new(Semaphore::new(8));
    let download_permits = Arc::new(Semaphore::new(download_parallel.max(1)));
    let mut listings: JoinSet<(String, Result<Level, AwsError>)> = JoinSet::new();
    let mut downloads: JoinSet<()> = JoinSet::new();
    let spawn_listing = |listings: &mut JoinSet<_>, p: String| {
        let client = client.clone();
        let bucket = bucket.clone();
        let permits = list_permits.clone();
        listings.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let r = list_level(&client, &bucket, &p).await;
            (p, r)
        });
    };
    spawn_listing(&mut listings, prefix);
    while let Some(joined) = listings.join_next().await {
        let Ok((p, result)) = joined else { continue };
        let (folders, objects) = match result {
            Ok(level) => level,
            Err(e) => {
                push_error(&errors, &format!("s3://{bucket}/{p}"), e.to_string());
                continue;
            }
        };
        for f in folders {
            if keep(&f, range) {
                spawn_listing(&mut listings, f);
            }
        }
        for (key, size) in objects {
            if key.ends_with('/') || !looks_like_log(&key) || !keep(&key, range) {
                continue;
            }
            counters.files_queued.fetch_add(1, Ordering::Relaxed);
            counters
                .input_bytes_queued
                .fetch_add(size, Ordering::Relaxed);
            let permit = download_permits.clone().acquire_owned().await;
            let client = client.clone();
            let bucket = bucket.clone();
            let tx = tx.clone();
            let errors = errors.clone();
            downloads.spawn(async move {
                let _permit = permit;
                let name = format!("s3://{bucket}/{key}");
                if size >= STREAM_OBJECT_MIN {
                    stream_object(&client, &bucket, &key, name, size, &tx).await;
                    return;
                }
                match download(&client, &bucket, &key).await {
                    Ok(data) => {
                        let _ = tx.send(Item::Bytes { name, data }).await;
                    }
                    Err(e) => push_error(&errors, &name, e),
                }
            });
            // Reap finished downloads as we go.
            while downloads.try_join_next().is_some() {}
        }
    }
    counters.listings_open.fetch_sub(1, Ordering::Relaxed);
    while downloads.join_next().await.is_some() {}
}

async fn download(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
    let body = get_object(client, bucket, key).await?;
    let body = body.collect().await.map_err(|e| body_error(&e))?;
    Ok(Vec::from(body.into_bytes()))
}

/// GetObject's response body, not read yet.
async fn get_object(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<aws_sdk_s3::primitives::ByteStream, String> {
    client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map(|out| out.body)
        .map_err(|e| sdk_error("s3:GetObject", e).to_string())
}

/// A download that failed after its response began, with the causes (the SDK's own message
/// is only "streaming error").
fn body_error(e: &(dyn std::error::Error + 'static)) -> String {
    format!("s3:GetObject: reading the body failed: {}", error_chain(e))
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
    client: &aws_sdk_s3::Client,
    bucket: &str,
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
    let mut body = match get_object(client, bucket, key).await {
        Ok(body) => body,
        Err(message) => {
            let _ = pieces.send(Piece::Failed(message)).await;
            return;
        }
    };
    loop {
        let piece = match body.try_next().await {
            Ok(Some(bytes)) if bytes.is_empty() => continue,
            Ok(Some(bytes)) => Piece::Chunk(Vec::from(bytes)),
            Ok(None) => Piece::End,
            Err(e) => Piece::Failed(body_error(&e)),
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
    use crate::scan::time::{civil_from_days, parse_bound};

    #[test]
    fn date_folders_are_pruned() {
        let r = DayRange::new(
            Some(parse_bound("2024-05-14").unwrap()),
            Some(parse_bound("2024-05-16").unwrap()),
        );
        let days = r.unwrap();
        assert_eq!(civil_from_days(days.first), (2024, 5, 13));
        assert_eq!(civil_from_days(days.last), (2024, 5, 16));
        let base = "AWSLogs/111122223333/CloudTrail/us-east-1";
        assert!(keep(&format!("{base}/2024/05/14/x.json.gz"), r));
        assert!(keep(&format!("{base}/2024/05/13/"), r));
        assert!(keep(&format!("{base}/2024/05/16/"), r));
        assert!(!keep(&format!("{base}/2024/05/17/"), r));
        assert!(!keep(&format!("{base}/2024/05/12/x.json.gz"), r));
        assert!(keep(&format!("{base}/2024/05/"), r));
        assert!(!keep(&format!("{base}/2024/04/"), r));
        assert!(keep(&format!("{base}/2024/"), r));
        assert!(!keep(&format!("{base}/2023/"), r));
        assert!(keep(&format!("{base}/"), r));
        assert!(keep("AWSLogs/111122223333/", r));
        assert!(keep(
            "o-abc/AWSLogs/o-abc/111122223333/CloudTrail-Insight/eu-west-1/2024/05/15/",
            r
        ));
        assert!(!keep(
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/",
            None
        ));
        assert!(keep(&format!("{base}/2020/01/01/x.json.gz"), None));
        // Only the last CloudTrail/REGION/YYYY counts.
        assert!(!keep(
            "/data/CloudTrail/x/2024/AWSLogs/1/CloudTrail/us-east-1/2023/01/01/a.json",
            r
        ));
        // until exclusive: until at midnight does not include that day's folder beyond margin.
        let r = DayRange::new(None, Some(parse_bound("2024-05-16").unwrap())).unwrap();
        assert_eq!(r.last, days_from_civil(2024, 5, 16));
    }

    #[test]
    fn names() {
        for yes in [
            "a.json",
            "a.json.gz",
            "d/111122223333_CloudTrail_us-east-1_20240514T0000Z_abc.json.gz",
            "export/000000.gz",
            "x.jsonl",
            "x.ndjson.gz",
            "x.log",
        ] {
            assert!(looks_like_log(yes), "{yes}");
        }
        for no in ["README.md", "d/.hidden.json", "a.txt", "dir/"] {
            assert!(!looks_like_log(no), "{no}");
        }
        assert_eq!(
            parse_s3_url("s3://b/AWSLogs/1/"),
            Some(("b".into(), "AWSLogs/1/".into()))
        );
        assert_eq!(parse_s3_url("s3://b"), Some(("b".into(), "".into())));
        assert_eq!(parse_s3_url("s3:///x"), None);
        assert_eq!(parse_s3_url("/tmp/x"), None);
    }
}
