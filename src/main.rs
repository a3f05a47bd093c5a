use clap::Parser;
use std::io::Write;

fn main() {
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
    let code = trailwarden::run::run(cli);
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}
