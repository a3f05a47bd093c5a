//! Finding the log files: which paths and keys are log files, pruned by the date in
//! CloudTrail's key layout (`AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/FILE`), and
//! the listing of local files and directories (S3 prefixes: [`super::s3`]).

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Mutex;

use super::engine::{Counters, FileError};
use super::time::days_from_civil;

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

pub(super) fn push_error(errors: &Mutex<Vec<FileError>>, file: &str, message: String) {
    if let Ok(mut e) = errors.lock() {
        e.push(FileError {
            file: file.to_string(),
            message,
        });
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
    }
}
