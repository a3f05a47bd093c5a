//! Mutation fuzzing of the three parsers that read user input: configuration files, preset files
//! and filter patterns. Each starts from the checked-in corpus (tests/fuzz/corpus/) and feeds
//! mutated inputs (bytes flipped, cut, repeated, spliced, syntax tokens inserted) to the parser,
//! which must return a value or errors, never panic.
//!
//! Bounded: `TRAILWARDEN_FUZZ_SECONDS` per parser (default 3); deterministic for a given
//! `TRAILWARDEN_FUZZ_SEED`. An input that panics is written to target/fuzz-failures/ and the
//! test fails naming it; add it to the corpus once fixed.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use trailwarden::config::{self, Overrides};
use trailwarden::diag::Diagnostics;
use trailwarden::pattern::{Event, Pattern};

/// xorshift64*: enough randomness for mutations, and reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Fragments of the three languages, inserted to reach deeper than random bytes do.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    "\"",
    "'",
    "'''",
    "\"\"\"",
    "=",
    ",",
    "\n",
    "#",
    ".",
    "\\",
    "\\u00e9",
    "$.",
    "&&",
    "||",
    "(",
    ")",
    "!=",
    ">=",
    "%",
    "*",
    "?",
    "-",
    "NOT EXISTS",
    "IS NULL",
    "IS TRUE",
    "[0]",
    "1e400",
    "-0",
    "nan",
    "inf",
    "true",
    "emails",
    "preset",
    "controls",
    "[controls.x]",
    "[[controls]]",
    "extends",
    "pattern",
    "é",
    "\u{0}",
    "\u{feff}",
    "𝄞",
];

fn mutate(rng: &mut Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 if !out.is_empty() => {
                let end = (at + rng.below(16)).min(out.len());
                out.drain(at.min(end)..end);
            }
            2 => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                out.splice(at..at, token.iter().copied());
            }
            3 if !out.is_empty() => {
                let start = rng.below(out.len());
                let end = (start + rng.below(32)).min(out.len());
                let piece = out[start..end].to_vec();
                out.splice(at..at, piece);
            }
            4 => {
                let other = &corpus[rng.below(corpus.len())];
                if !other.is_empty() {
                    let start = rng.below(other.len());
                    let end = (start + rng.below(64)).min(other.len());
                    out.splice(at..at, other[start..end].iter().copied());
                }
            }
            _ => out.truncate(at),
        }
    }
    out
}

fn corpus(kind: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/corpus")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut inputs: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    if kind == "preset" {
        for name in ["aws-docs", "cis", "cis-sso", "securityhub"] {
            inputs.push(
                trailwarden::preset::builtin_text(name)
                    .unwrap()
                    .as_bytes()
                    .to_vec(),
            );
        }
    }
    assert!(!inputs.is_empty(), "empty corpus {}", dir.display());
    inputs
}

fn budget() -> Duration {
    let secs = std::env::var("TRAILWARDEN_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(3.0);
    Duration::from_secs_f64(secs)
}

/// Runs `target` on the corpus and on mutations of it until the budget is spent.
fn fuzz(kind: &str, target: impl Fn(&[u8])) {
    let seed = std::env::var("TRAILWARDEN_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_u64);
    let mut rng = Rng(seed | 1);
    let inputs = corpus(kind);
    let started = Instant::now();
    let mut runs = 0u64;
    let mut queue: Vec<Vec<u8>> = inputs.clone();
    while started.elapsed() < budget() || runs < inputs.len() as u64 {
        let input = if (runs as usize) < inputs.len() {
            inputs[runs as usize].clone()
        } else {
            let base = &queue[rng.below(queue.len())];
            mutate(&mut rng, base, &inputs)
        };
        runs += 1;
        if catch_unwind(AssertUnwindSafe(|| target(&input))).is_err() {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("{kind}-{seed}-{runs}"));
            std::fs::write(&path, &input).unwrap();
            panic!(
                "{kind} parser panicked on the input saved in {}",
                path.display()
            );
        }
        // Keep some mutants as bases, so mutations compound.
        if runs % 7 == 0 && queue.len() < 256 {
            queue.push(input);
        }
    }
    eprintln!(
        "{kind}: {runs} inputs in {:.1?}, no panic",
        started.elapsed()
    );
}

#[test]
fn config_parser_never_panics() {
    let ov = Overrides {
        emails: vec!["a@example.com".into()],
        ..Overrides::default()
    };
    fuzz("config", |input| {
        let text = String::from_utf8_lossy(input);
        let _ = config::from_str("fuzz.toml", &text, &ov);
    });
}

#[test]
fn preset_parser_never_panics() {
    let dir = std::env::temp_dir().join(format!("tw-fuzz-preset-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("p.toml");
    fuzz("preset", |input| {
        std::fs::write(&path, input).unwrap();
        let mut d = Diagnostics::default();
        let _ = trailwarden::preset::load(path.to_str().unwrap(), &mut d);
    });
}

#[test]
fn pattern_parser_and_evaluator_never_panic() {
    let event = br#"{"eventName":"ConsoleLogin","userIdentity":{"type":"Root","arr":[1,"x",{"a":null}]},"n":12.5,"b":true,"s":"a b c"}"#;
    let value: serde_json::Value = serde_json::from_slice(event).unwrap();
    let text = std::str::from_utf8(event).unwrap();
    fuzz("pattern", |input| {
        let source = String::from_utf8_lossy(input);
        if let Ok(p) = Pattern::parse(&source) {
            let _ = p.matches(&Event::from_json(text, &value));
            let _ = p.matches(&Event::from_text("10.0.0.1 - frank ERROR 404 1534"));
            let _ = p.to_string();
        }
    });
}
