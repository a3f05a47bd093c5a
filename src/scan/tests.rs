//! Unit tests of the scan engine on in-memory files.

use std::io::Write;
use std::sync::Mutex;

use super::compile::ControlSpec;
use super::engine::{Counters, Engine, Item, Outcome, Settings};
use crate::diag::Diagnostics;

fn specs(preset: &str) -> Vec<ControlSpec> {
    let mut d = Diagnostics::default();
    let p = crate::preset::load(preset, &mut d).unwrap();
    ControlSpec::all_of(&p)
}

fn spec(pattern: &str) -> ControlSpec {
    ControlSpec {
        id: "t".into(),
        preset: "test".into(),
        filter_name: "T".into(),
        pattern: pattern.into(),
        alarm: crate::preset::AlarmSettings::default().resolve(),
    }
}

fn engine(specs: Vec<ControlSpec>, buffer: usize) -> Engine {
    engine_with(specs, buffer, false, false)
}

/// `read`: through the read buffer rather than scanned in place; `inflate`: gzip decompressed
/// on a second thread.
fn engine_with(specs: Vec<ControlSpec>, buffer: usize, read: bool, inflate: bool) -> Engine {
    Engine::new(
        specs,
        Settings {
            jobs: 1,
            buffer,
            stream_memory: read,
            inflate_thread_min: inflate.then_some(0),
            ..Settings::default()
        },
    )
    .unwrap()
}

/// The ways a file reaches the walker: in place, through the read buffer, and either with
/// gzip decompressed on a second thread.
const MODES: [(bool, bool); 4] = [(false, false), (true, false), (false, true), (true, true)];

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

const ROOT: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"},"eventTime":"2024-05-14T09:01:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"},"eventType":"AwsConsoleSignIn"}"#;
const ROLE: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROA:i-1","arn":"arn:aws:sts::111122223333:assumed-role/app/i-1","sessionContext":{"attributes":{"mfaAuthenticated":"false"}}},"eventTime":"2024-05-14T09:07:00Z","eventName":"GetObject","sourceIPAddress":"10.0.0.1","eventType":"AwsApiCall"}"#;
const USER: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","userName":"anaya"},"eventTime":"2024-05-14T09:02:00Z","eventName":"ConsoleLogin","sourceIPAddress":"192.0.2.9","additionalEventData":{"MFAUsed":"Yes"},"eventType":"AwsConsoleSignIn"}"#;

fn cloudtrail(records: &[&str]) -> String {
    format!("{{\"Records\":[{}]}}", records.join(","))
}

fn matches(o: &Outcome) -> Vec<u64> {
    o.stats.iter().map(|s| s.matches).collect()
}

#[test]
fn counts_a_cloudtrail_file() {
    let e = engine(specs("aws-docs"), 0);
    let doc = cloudtrail(&[ROOT, ROLE, USER, ROLE]);
    let o = e.scan_bytes("a.json", doc.as_bytes());
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    assert_eq!(o.totals.events, 4);
    assert_eq!(o.totals.files, 1);
    assert_eq!(o.totals.bytes, doc.len() as u64);
    // Root usage, API activity without MFA, console sign-in without MFA.
    assert_eq!(matches(&o), vec![1, 2, 1]);
    assert_eq!(
        o.stats[0].principals.top(5),
        vec![("arn:aws:iam::111122223333:root".to_string(), 1)]
    );
    assert_eq!(
        o.stats[1].principals.top(1),
        vec![(
            "arn:aws:sts::111122223333:assumed-role/app/i-1".to_string(),
            2
        )]
    );
    assert_eq!(o.stats[1].event_names.top(1)[0].0, "GetObject");
    assert_eq!(o.totals.first_event, Some(1_715_677_260));
}

#[test]
fn every_layout_gives_the_same_counts() {
    let records = [ROOT, ROLE, USER, ROLE, ROOT];
    let doc = cloudtrail(&records);
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&doc).unwrap())
            .unwrap();
    let lines = records.join("\n") + "\n";
    let exported: String = records
        .iter()
        .map(|r| format!("2024-05-14T09:00:00.000Z {r}\r\n"))
        .collect();
    let mut multi = gzip(&doc.as_bytes()[..doc.len() / 2]);
    multi.extend(gzip(&doc.as_bytes()[doc.len() / 2..]));
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("doc", doc.clone().into_bytes()),
        ("doc.gz", gzip(doc.as_bytes())),
        ("multi-member.gz", multi),
        ("pretty", pretty.into_bytes()),
        ("bom", [&[0xef, 0xbb, 0xbf][..], doc.as_bytes()].concat()),
        (
            "trailing-space",
            format!("{doc}{}", " \n".repeat(100)).into_bytes(),
        ),
        ("lines", lines.clone().into_bytes()),
        (
            "lines-no-final-newline",
            lines.trim_end().as_bytes().to_vec(),
        ),
        ("lines.gz", gzip(lines.as_bytes())),
        ("export", exported.into_bytes()),
    ];
    // Tiny buffers make every record cross a buffer boundary.
    for (read, inflate) in MODES {
        for buffer in [0, 7, 64, 333] {
            let e = engine_with(specs("aws-docs"), buffer, read, inflate);
            for (name, data) in &inputs {
                let o = e.scan_bytes(name, data);
                let what = format!("{name} (buffer {buffer}, read {read}, inflate {inflate})");
                assert!(o.errors.is_empty(), "{what}: {:?}", o.errors);
                assert_eq!(o.totals.events, 5, "{what}");
                assert_eq!(o.totals.bytes, data_len(name, data), "{what}");
                assert_eq!(matches(&o), vec![2, 2, 2], "{what}");
            }
        }
    }
}

/// Uncompressed size.
fn data_len(name: &str, data: &[u8]) -> u64 {
    if name.ends_with(".gz") {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(data), &mut out).unwrap();
        out.len() as u64
    } else {
        data.len() as u64
    }
}

#[test]
fn corrupt_and_truncated_files_are_errors() {
    for (read, inflate) in MODES {
        let e = engine_with(specs("aws-docs"), 64, read, inflate);
        let doc = cloudtrail(&[ROOT, ROLE, USER]);
        let gz = gzip(doc.as_bytes());
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "half",
                doc.as_bytes()[..doc.len() / 2].to_vec(),
                "truncated",
            ),
            (
                "no-close",
                doc.as_bytes()[..doc.len() - 1].to_vec(),
                "truncated",
            ),
            ("half.gz", gz[..gz.len() / 2].to_vec(), "decompress"),
            ("garbage", b"\x00\x01binary".to_vec(), "neither"),
            ("empty", Vec::new(), "empty"),
            (
                "bad-record",
                doc.replacen("\"eventTime\":", "\"eventTime\" ", 1)
                    .into_bytes(),
                "not valid JSON",
            ),
            (
                "trailing",
                format!("{doc}{{\"x\":1}}").into_bytes(),
                "unexpected data",
            ),
            (
                "lines-bad",
                format!("{ROOT}\n{{\"a\":\n").into_bytes(),
                "truncated",
            ),
            (
                "lines-junk",
                format!("{ROOT} x\n").into_bytes(),
                "line break",
            ),
            (
                "gz-garbage",
                [&gz[..10], &[0xffu8; 40][..]].concat(),
                "decompress",
            ),
        ];
        for (name, data, want) in cases {
            let o = e.scan_bytes(name, &data);
            assert_eq!(o.errors.len(), 1, "{name}: {:?}", o.errors);
            assert!(
                o.errors[0].message.contains(want),
                "{name}: {}",
                o.errors[0].message
            );
            assert_eq!(o.errors[0].file, name);
            // Nothing of a failed file counts.
            assert_eq!(o.totals.events, 0, "{name}");
            assert_eq!(matches(&o), vec![0, 0, 0], "{name}");
        }
        // Whitespace only: no events, no error.
        let o = e.scan_bytes("blank", b"  \n");
        assert!(o.errors.is_empty());
        assert_eq!(o.totals.files, 1);
    }
}

/// Files of several decompression chunks: the same results whether gzip is decompressed on
/// the scanning thread or on its own, and a file cut short in its third chunk is an error
/// that contributes nothing, while the next file is still scanned.
#[test]
fn large_gzip_files_through_the_decompression_thread() {
    // Records longer than the headroom before each chunk, at varying places, are carried
    // over by copying.
    let big = ROLE.replacen(
        "\"eventName\"",
        &format!(
            "\"requestParameters\":{{\"policy\":\"{}\"}},\"eventName\"",
            "x".repeat(super::engine::HEADROOM * 3)
        ),
        1,
    );
    let mut records = Vec::new();
    let mut k = 0;
    while records.len() * ROLE.len() < 3 * super::engine::INFLATE_CHUNK {
        records.extend([ROOT, ROLE, USER]);
        k += 1;
        if k % 997 == 0 {
            records.push(&big);
        }
    }
    let doc = cloudtrail(&records);
    let gz = gzip(doc.as_bytes());
    let n = records.len() as u64;
    let plain = engine(specs("aws-docs"), 0).scan_bytes("doc", doc.as_bytes());
    assert_eq!(plain.totals.events, n);
    for (read, inflate) in MODES {
        let e = engine_with(specs("aws-docs"), 0, read, inflate);
        let o = e.scan_bytes("doc.gz", &gz);
        assert!(o.errors.is_empty(), "{:?}", o.errors);
        assert_eq!(o.totals.events, n);
        assert_eq!(o.totals.bytes, doc.len() as u64);
        assert_eq!(
            matches(&o),
            matches(&plain),
            "read {read}, inflate {inflate}"
        );
        // A corrupt record in the third megabyte: reported at the same byte offset.
        let at = doc[2 * super::engine::INFLATE_CHUNK..]
            .find("\"eventTime\":")
            .unwrap()
            + 2 * super::engine::INFLATE_CHUNK;
        let bad = format!("{}\"eventTime\" {}", &doc[..at], &doc[at + 12..]);
        let o = e.scan_bytes("bad.gz", &gzip(bad.as_bytes()));
        assert_eq!(o.errors.len(), 1);
        assert_eq!(
            o.errors[0].message,
            format!("not valid JSON at byte {}: expected ':'", at + 12),
            "read {read}, inflate {inflate}"
        );
        // Cut inside the third megabyte of output: an error, nothing counted, and the
        // following file is still scanned.
        let cut = gz[..gz.len() * 3 / 4].to_vec();
        let items = Mutex::new(vec![
            Item::Bytes {
                name: "next.gz".into(),
                data: gz.clone(),
            },
            Item::Bytes {
                name: "cut.gz".into(),
                data: cut,
            },
        ]);
        let sink: Mutex<Box<dyn Write + Send>> = Mutex::new(Box::new(std::io::sink()));
        let o = e.run(&|| items.lock().ok()?.pop(), &Counters::default(), &sink);
        assert_eq!(o.errors.len(), 1, "{:?}", o.errors);
        assert_eq!(o.errors[0].file, "cut.gz");
        assert!(o.errors[0].message.contains("decompress"), "{:?}", o.errors);
        assert_eq!(o.totals.files, 1);
        assert_eq!(o.totals.events, n);
        assert_eq!(matches(&o), matches(&plain));
    }
}

#[test]
fn time_range_filters_records() {
    let e = Engine::new(
        specs("aws-docs"),
        Settings {
            jobs: 1,
            since: Some(super::time::parse_bound("2024-05-14T09:01:30Z").unwrap()),
            until: Some(super::time::parse_bound("2024-05-14T09:07:00Z").unwrap()),
            ..Settings::default()
        },
    )
    .unwrap();
    let o = e.scan_bytes("a", cloudtrail(&[ROOT, ROLE, USER]).as_bytes());
    // Only USER (09:02) is in [09:01:30, 09:07:00).
    assert_eq!(o.totals.events, 1);
    assert_eq!(matches(&o), vec![0, 0, 0]);
}

#[test]
fn text_patterns_and_fallbacks() {
    let e = engine(
        vec![
            spec("ConsoleLogin -Yes"),
            spec(r#"{ $.userIdentity.* = "Root" }"#),
            spec(""),
            spec(r#"{ $.eventVersion = 1.08 }"#),
            spec("%assumed-role/app%"),
        ],
        0,
    );
    let o = e.scan_bytes("a", cloudtrail(&[ROOT, ROLE, USER]).as_bytes());
    assert!(o.errors.is_empty());
    assert_eq!(matches(&o), vec![1, 1, 3, 3, 1]);
}

#[test]
fn printed_matches_are_the_compact_records() {
    let e = Engine::new(
        specs("aws-docs"),
        Settings {
            jobs: 2,
            print_matches: Some(1),
            ..Settings::default()
        },
    )
    .unwrap();
    let doc = cloudtrail(&[ROOT, ROLE, USER, ROLE]);
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&doc).unwrap())
            .unwrap();
    let items = Mutex::new(vec![
        Item::Bytes {
            name: "a".into(),
            data: doc.into_bytes(),
        },
        Item::Bytes {
            name: "b".into(),
            data: pretty.into_bytes(),
        },
    ]);
    #[derive(Clone, Default)]
    struct Shared(std::sync::Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Shared::default();
    let out: Mutex<Box<dyn Write + Send>> = Mutex::new(Box::new(sink.clone()));
    let o = e.run(&|| items.lock().unwrap().pop(), &Counters::default(), &out);
    assert_eq!(o.stats[1].matches, 4);
    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    for l in lines {
        assert_eq!(l, ROLE);
    }
}
