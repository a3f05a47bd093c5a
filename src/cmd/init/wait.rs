//! Waiting for subscription confirmations: poll, spin, stop on confirmation, Ctrl-C or time out.

use std::future::Future;
use std::time::{Duration, Instant};

const FRAMES: [&str; 4] = ["|", "/", "-", "\\"];

#[derive(Debug, Clone, Copy)]
pub(super) struct Pace {
    /// Time between two polls.
    pub every: Duration,
    /// Give up after this long.
    pub at_most: Duration,
    /// Time between two spinner frames (and Ctrl-C checks).
    pub tick: Duration,
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            every: Duration::from_secs(5),
            at_most: Duration::from_secs(15 * 60),
            tick: Duration::from_millis(120),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum WaitEnd {
    Confirmed,
    /// Ctrl-C.
    Skipped {
        pending: Vec<String>,
    },
    TimedOut {
        pending: Vec<String>,
    },
}

/// Polls `pending` (the addresses still unconfirmed) until it is empty, `skipped` says so, or
/// `pace.at_most` has passed; `show` draws a spinner frame between polls. An error of `pending`
/// ends the wait.
pub(super) async fn wait_for<F, Fut, E>(
    pace: Pace,
    mut pending: F,
    skipped: impl Fn() -> bool,
    mut show: impl FnMut(&str, &[String], Duration),
) -> Result<WaitEnd, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Vec<String>, E>>,
{
    let start = Instant::now();
    let mut next_poll = start;
    let mut last: Vec<String> = Vec::new();
    let mut frame = 0usize;
    loop {
        if skipped() {
            return Ok(WaitEnd::Skipped { pending: last });
        }
        if Instant::now() >= next_poll {
            last = pending().await?;
            if last.is_empty() {
                return Ok(WaitEnd::Confirmed);
            }
            next_poll = Instant::now() + pace.every;
        }
        if start.elapsed() >= pace.at_most {
            return Ok(WaitEnd::TimedOut { pending: last });
        }
        show(FRAMES[frame % FRAMES.len()], &last, start.elapsed());
        frame += 1;
        tokio::time::sleep(pace.tick).await;
    }
}

/// `m:ss`.
pub(super) fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}", s / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn fast() -> Pace {
        Pace {
            every: Duration::from_millis(5),
            at_most: Duration::from_millis(400),
            tick: Duration::from_millis(1),
        }
    }

    #[tokio::test]
    async fn stops_once_everything_is_confirmed() {
        let polls = Cell::new(0);
        let mut frames = 0;
        let end = wait_for(
            fast(),
            || {
                polls.set(polls.get() + 1);
                let n = polls.get();
                async move {
                    Ok::<_, String>(if n < 3 {
                        vec!["a@example.com".to_string()]
                    } else {
                        vec![]
                    })
                }
            },
            || false,
            |_, pending, _| {
                assert_eq!(pending, ["a@example.com".to_string()]);
                frames += 1;
            },
        )
        .await
        .unwrap();
        assert_eq!(end, WaitEnd::Confirmed);
        assert_eq!(polls.get(), 3);
        assert!(frames >= 2);
    }

    #[tokio::test]
    async fn ctrl_c_skips() {
        let ticks = Cell::new(0);
        let end = wait_for(
            fast(),
            || async { Ok::<_, String>(vec!["a@example.com".to_string()]) },
            || ticks.get() >= 3,
            |_, _, _| ticks.set(ticks.get() + 1),
        )
        .await
        .unwrap();
        assert_eq!(
            end,
            WaitEnd::Skipped {
                pending: vec!["a@example.com".to_string()]
            }
        );
    }

    #[tokio::test]
    async fn gives_up_after_the_bound() {
        let started = Instant::now();
        let end = wait_for(
            fast(),
            || async { Ok::<_, String>(vec!["b@example.com".to_string()]) },
            || false,
            |_, _, _| {},
        )
        .await
        .unwrap();
        assert!(
            matches!(end, WaitEnd::TimedOut { ref pending } if pending == &["b@example.com".to_string()])
        );
        assert!(started.elapsed() >= Duration::from_millis(400));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn an_error_ends_the_wait() {
        let end = wait_for(
            fast(),
            || async { Err::<Vec<String>, _>("throttled") },
            || false,
            |_, _, _| {},
        )
        .await;
        assert_eq!(end, Err("throttled"));
    }

    #[test]
    fn clocks() {
        assert_eq!(clock(Duration::from_secs(75)), "1:15");
        assert_eq!(clock(Duration::from_secs(5)), "0:05");
    }
}
