//! Events per second of the pattern engine for the aws-docs patterns over CloudTrail records.
//! Run with `cargo bench --bench pattern`; figures and method in docs/benchmarks.md.

#![allow(clippy::print_stdout)] // prints its results

use std::time::Instant;
use trailwarden::pattern::{Event, Pattern};

const PATTERNS: &[&str] = &[
    r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#,
    r#"{ $.userIdentity.sessionContext.attributes.mfaAuthenticated != "true" }"#,
    r#"{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed = "No" }"#,
];

/// A deterministic mix of realistic records: role sessions with and without MFA, IAM users,
/// console sign-ins, service events, an occasional root call.
fn records(n: usize) -> Vec<String> {
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let names = [
        "DescribeInstances",
        "GetObject",
        "PutObject",
        "AssumeRole",
        "ListBuckets",
        "Decrypt",
        "GetParameter",
        "CreateLogStream",
    ];
    (0..n)
        .map(|i| {
            let r = next() % 100;
            let name = names[(next() % names.len() as u64) as usize];
            let t = format!("2026-11-{:02}T{:02}:{:02}:{:02}Z", 1 + i % 28, i % 24, i % 60, (i * 7) % 60);
            match r {
                0 => format!(r#"{{"eventVersion":"1.08","userIdentity":{{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}},"eventTime":"{t}","eventSource":"iam.amazonaws.com","eventName":"ListUsers","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.10","userAgent":"aws-cli/2.15","requestParameters":null,"responseElements":null,"eventID":"e{i}","eventType":"AwsApiCall","recipientAccountId":"111122223333"}}"#),
                1..=3 => format!(r#"{{"eventVersion":"1.05","userIdentity":{{"type":"IAMUser","principalId":"AIDACKCEVSQ6C2EXAMPLE","arn":"arn:aws:iam::111122223333:user/u{i}","accountId":"111122223333","userName":"u{i}"}},"eventTime":"{t}","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.0","userAgent":"Mozilla/5.0","requestParameters":null,"responseElements":{{"ConsoleLogin":"Success"}},"additionalEventData":{{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"{}"}},"eventID":"e{i}","eventType":"AwsConsoleSignIn","recipientAccountId":"111122223333"}}"#, if r == 1 { "No" } else { "Yes" }),
                4..=20 => format!(r#"{{"eventVersion":"1.08","userIdentity":{{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}},"eventTime":"{t}","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"ec2.amazonaws.com","userAgent":"ec2.amazonaws.com","requestParameters":{{"roleArn":"arn:aws:iam::111122223333:role/app","roleSessionName":"i-0abc{i}"}},"responseElements":null,"eventID":"e{i}","eventType":"AwsServiceEvent","recipientAccountId":"111122223333"}}"#),
                _ => format!(r#"{{"eventVersion":"1.08","userIdentity":{{"type":"AssumedRole","principalId":"AROAEXAMPLE:s{i}","arn":"arn:aws:sts::111122223333:assumed-role/app/s{i}","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/app","accountId":"111122223333","userName":"app"}},"webIdFederationData":{{}},"attributes":{{"creationDate":"{t}","mfaAuthenticated":"{}"}}}}}},"eventTime":"{t}","eventSource":"ec2.amazonaws.com","eventName":"{name}","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.{}","userAgent":"aws-sdk-go/1.44","requestParameters":{{"instancesSet":{{}},"filterSet":{{}}}},"responseElements":null,"requestID":"r{i}","eventID":"e{i}","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}}"#, if r % 3 == 0 { "true" } else { "false" }, i % 250),
            }
        })
        .collect()
}

fn main() {
    let n: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let raw = records(n);
    let bytes: usize = raw.iter().map(|r| r.len()).sum();
    let patterns: Vec<Pattern> = PATTERNS
        .iter()
        .map(|p| Pattern::parse(p).unwrap())
        .collect();
    let prefilters: Vec<_> = patterns.iter().map(|p| p.prefilter()).collect();
    let parsed: Vec<serde_json::Value> = raw
        .iter()
        .map(|r| serde_json::from_str(r).unwrap())
        .collect();
    println!(
        "{n} synthetic CloudTrail records, {:.1} MB, mean {} bytes\n",
        bytes as f64 / 1e6,
        bytes / n
    );
    println!("| measurement | events/s | MB/s | matches |");
    println!("|---|---|---|---|");

    // 1. Evaluation alone: the three patterns over already-parsed records.
    let start = Instant::now();
    let mut matches = 0usize;
    for (r, v) in raw.iter().zip(&parsed) {
        let e = Event::from_json(r, v);
        for p in &patterns {
            matches += p.matches(&e) as usize;
        }
    }
    let t = start.elapsed().as_secs_f64();
    println!(
        "| evaluate 3 patterns, parsed records | {:.2e} | {:.0} | {matches} |",
        n as f64 / t,
        bytes as f64 / 1e6 / t
    );
    let expected = matches;

    // 2. From raw text: prefilter on bytes, parse only the records some pattern may match.
    let start = Instant::now();
    let mut matches = 0usize;
    let mut parsed_count = 0usize;
    for r in &raw {
        let may: Vec<bool> = prefilters
            .iter()
            .map(|f| f.may_match(r.as_bytes()))
            .collect();
        if !may.iter().any(|m| *m) {
            continue;
        }
        parsed_count += 1;
        let v: serde_json::Value = serde_json::from_str(r).unwrap();
        let e = Event::from_json(r, &v);
        for (p, m) in patterns.iter().zip(&may) {
            matches += (*m && p.matches(&e)) as usize;
        }
    }
    let t = start.elapsed().as_secs_f64();
    assert_eq!(matches, expected, "the prefilter dropped a match");
    println!("| prefilter + parse + evaluate, raw records ({parsed_count} parsed) | {:.2e} | {:.0} | {matches} |", n as f64 / t, bytes as f64 / 1e6 / t);

    // 3. From raw text without the prefilter.
    let start = Instant::now();
    let mut matches = 0usize;
    for r in &raw {
        let v: serde_json::Value = serde_json::from_str(r).unwrap();
        let e = Event::from_json(r, &v);
        for p in &patterns {
            matches += p.matches(&e) as usize;
        }
    }
    let t = start.elapsed().as_secs_f64();
    assert_eq!(matches, expected);
    println!(
        "| parse + evaluate, raw records (no prefilter) | {:.2e} | {:.0} | {matches} |",
        n as f64 / t,
        bytes as f64 / 1e6 / t
    );
}
