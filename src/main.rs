use clap::Parser;
use std::io::Write;

/// Let a closed pipe (`trailwarden presets show cis | head`) end the process quietly, as it does
/// for other command-line tools, instead of a panic on the next write to stdout.
#[cfg(unix)]
fn default_sigpipe() {
    extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
    }
    const SIGPIPE: i32 = 13;
    const SIG_DFL: usize = 0;
    // SAFETY: restoring the default disposition of SIGPIPE before any thread is started.
    unsafe {
        signal(SIGPIPE, SIG_DFL);
    }
}

#[cfg(not(unix))]
fn default_sigpipe() {}

fn main() {
    default_sigpipe();
    let cli = match trailwarden::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with success; usage errors exit 1, never 2
            // (2 means "changes or drift found").
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let status = trailwarden::cmd::run(cli);
    let _ = std::io::stdout().flush();
    std::process::exit(status.code());
}
