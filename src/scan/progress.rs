//! A one-line progress bar on stderr, redrawn a few times a second.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::engine::Counters;
use super::report::human_bytes;

pub struct Progress {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    pub fn start(counters: Arc<Counters>) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let started = Instant::now();
            let mut err = std::io::stderr();
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                if flag.load(Ordering::Relaxed) {
                    break;
                }
                let line = render(&counters, started.elapsed());
                let _ = write!(err, "\r\x1b[2K{line}");
                let _ = err.flush();
            }
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        });
        Progress {
            stop,
            handle: Some(handle),
        }
    }

    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// `[#########           ]  45%  120/267 files  1.2 GB  640 MB/s  3s`
pub fn render(c: &Counters, elapsed: Duration) -> String {
    let done = c.input_bytes_done.load(Ordering::Relaxed);
    let queued = c.input_bytes_queued.load(Ordering::Relaxed).max(1);
    let files_done = c.files_done.load(Ordering::Relaxed);
    let files = c.files_queued.load(Ordering::Relaxed);
    let bytes = c.bytes_done.load(Ordering::Relaxed);
    let secs = elapsed.as_secs_f64().max(0.001);
    let rest = format!(
        "{files_done}/{files} files  {}  {}/s  {:.0}s",
        human_bytes(bytes),
        human_bytes((bytes as f64 / secs) as u64),
        elapsed.as_secs_f64()
    );
    if c.listings_open.load(Ordering::Relaxed) > 0 {
        // The total is not known yet.
        return format!("[listing...]  {rest}");
    }
    let fraction = (done as f64 / queued as f64).clamp(0.0, 1.0);
    const WIDTH: usize = 24;
    let filled = (fraction * WIDTH as f64).round() as usize;
    format!(
        "[{}{}] {:>3}%  {rest}",
        "#".repeat(filled),
        " ".repeat(WIDTH - filled),
        (fraction * 100.0).round() as u64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders() {
        let c = Counters::default();
        c.input_bytes_queued.store(200, Ordering::Relaxed);
        c.input_bytes_done.store(100, Ordering::Relaxed);
        c.files_queued.store(4, Ordering::Relaxed);
        c.files_done.store(2, Ordering::Relaxed);
        c.bytes_done.store(2_000_000, Ordering::Relaxed);
        let line = render(&c, Duration::from_secs(2));
        assert!(
            line.starts_with("[############            ]  50%  2/4 files  2.0 MB  1.0 MB/s"),
            "{line}"
        );
    }
}
