//! Signals: the first Ctrl-C or SIGTERM during an apply lets the request in flight finish and
//! stops before the next write (the apply's report says what is left); any other signal, or a
//! second one, ends the process at once. Exit 130 for Ctrl-C, 143 for SIGTERM (128 + the
//! signal's number, as shells report a process killed by it).

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use crate::exit::ExitStatus;

static APPLYING: AtomicBool = AtomicBool::new(false);
/// The exit code of the signal received (130, 143), 0 before any.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// The first signal received, if one was, as the status to exit with.
pub(super) fn received() -> Option<ExitStatus> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        c if c == ExitStatus::Terminated.code() => Some(ExitStatus::Terminated),
        _ => Some(ExitStatus::Interrupted),
    }
}

/// Runs `f` with signals deferred to the next write.
pub(super) async fn while_applying<T>(f: impl std::future::Future<Output = T>) -> T {
    APPLYING.store(true, Ordering::SeqCst);
    let out = f.await;
    APPLYING.store(false, Ordering::SeqCst);
    out
}

fn on_signal(status: ExitStatus, name: &str) {
    let code = status.code();
    let first = RECEIVED
        .compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok();
    if first && APPLYING.load(Ordering::SeqCst) {
        eprintln!(
            "{name}: stopping once the request in flight has finished; {name} again stops at once"
        );
        return;
    }
    eprintln!("{name}: stopped");
    std::process::exit(code);
}

/// Starts watching for Ctrl-C and SIGTERM on the current runtime.
pub(super) fn watch() {
    tokio::spawn(async {
        loop {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            on_signal(ExitStatus::Interrupted, "Ctrl-C");
        }
    });
    #[cfg(unix)]
    tokio::spawn(async {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            return;
        };
        while term.recv().await.is_some() {
            on_signal(ExitStatus::Terminated, "SIGTERM");
        }
    });
}
