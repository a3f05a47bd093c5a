//! Generates realistic synthetic CloudTrail log files, with the ground truth of the aws-docs
//! preset's three filters.
//!
//! Files are laid out as CloudTrail delivers them to S3:
//! `OUT/AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_ID.json.gz`,
//! one file per region and 5-minute window, records in compact JSON. The event mix resembles an
//! ordinary account: instance-profile, Lambda and SSO role sessions, IAM users' access keys, AWS
//! services acting on their own, S3 data events, console sign-ins with MFA, failed calls.
//!
//! Planted on top, at known times: `--root N` root-user calls, `--console-nomfa M` console
//! sign-ins without MFA, and decoys that look alike but must not match (root calls made by an
//! AWS service on the root's behalf, sign-ins with MFA, `CheckMfa` steps).
//!
//! The same `--seed` gives the same events whatever the output format. `--truth FILE` writes,
//! for each aws-docs filter, the number of matching events and the matches per 5-minute period,
//! computed from what was generated (not by evaluating patterns).
//!
//! Example: `gen-cloudtrail --out /tmp/ct --events 200000 --hours 24 --root 7 --console-nomfa 12
//! --truth /tmp/ct-truth.json`

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, ValueEnum};
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// `{"Records":[...]}` log files, as CloudTrail writes them to S3
    Cloudtrail,
    /// One JSON event per line
    Lines,
    /// `TIMESTAMP JSON` per line, as a CloudWatch Logs export to S3
    Export,
}

#[derive(Debug, Parser)]
#[command(
    name = "gen-cloudtrail",
    about = "Generates synthetic CloudTrail log files with known ground truth"
)]
struct Args {
    /// Output directory (created)
    #[arg(long)]
    out: PathBuf,
    /// Background events (planted events come on top)
    #[arg(long, default_value_t = 10_000)]
    events: u64,
    /// Start of the generated period (RFC 3339, UTC)
    #[arg(long, default_value = "2024-05-14T00:00:00Z")]
    start: String,
    /// Length of the generated period in hours
    #[arg(long, default_value_t = 24)]
    hours: u64,
    /// Regions, comma-separated
    #[arg(long, default_value = "us-east-1,eu-west-1")]
    regions: String,
    #[arg(long, default_value = "111122223333")]
    account: String,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Planted root-user calls (RootAccountUsage)
    #[arg(long, default_value_t = 5)]
    root: u64,
    /// Planted console sign-ins without MFA (ConsoleSignInWithoutMfa)
    #[arg(long, default_value_t = 8)]
    console_nomfa: u64,
    /// Write gzip-compressed files (.json.gz), as CloudTrail does
    #[arg(long)]
    gzip: bool,
    #[arg(long, value_enum, default_value_t = Format::Cloudtrail)]
    format: Format,
    /// Write the ground truth (JSON) here
    #[arg(long)]
    truth: Option<PathBuf>,
}

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            let _ = write!(s, "{:016x}", self.next());
        }
        s.truncate(n);
        s
    }
    fn upper(&mut self, n: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        (0..n).map(|_| A[self.below(32) as usize] as char).collect()
    }
    fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-4{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

// ---- time (UTC, proleptic Gregorian) ----

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

fn civil(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

fn iso(secs: i64) -> String {
    let (y, m, d, h, mi, s) = civil(secs);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

fn parse_iso(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    if b.len() != 20 || b[19] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    Some(
        days_from_civil(n(0..4)?, n(5..7)?, n(8..10)?) * 86_400
            + n(11..13)? * 3600
            + n(14..16)? * 60
            + n(17..19)?,
    )
}

// ---- compact JSON writing ----

fn esc(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON object being written.
struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut String) -> Obj<'a> {
        out.push('{');
        Obj { out, first: true }
    }
    fn key(&mut self, k: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        esc(self.out, k);
        self.out.push(':');
        self.out
    }
    fn s(&mut self, k: &str, v: &str) -> &mut Self {
        esc(self.key(k), v);
        self
    }
    fn raw(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k).push_str(v);
        self
    }
    fn obj(&mut self, k: &str, f: impl FnOnce(&mut Obj)) -> &mut Self {
        let out = self.key(k);
        let mut o = Obj::new(out);
        f(&mut o);
        o.end();
        self
    }
    fn end(self) {
        self.out.push('}');
    }
}

// ---- the account ----

#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    /// EC2 instance profile, Lambda, ECS task: role sessions without MFA.
    Workload,
    /// A person through IAM Identity Center, session with MFA.
    SsoWithMfa,
    /// A person through IAM Identity Center; the session reports no MFA.
    SsoWithoutMfa,
    /// An IAM user's long-term access key (no session context).
    AccessKey,
    /// An AWS service acting on its own (`AwsServiceEvent`).
    Service,
    /// An AWS service calling with a role, on a user's behalf (`invokedBy`).
    ServiceOnBehalf,
}

const WORKLOADS: &[(&str, &str)] = &[
    ("app-server", "i-0a1b2c3d4e5f60718"),
    ("app-server", "i-0f9e8d7c6b5a40312"),
    ("batch-worker", "i-0123456789abcdef0"),
    ("orders-api-lambda", "orders-api"),
    ("thumbnailer-lambda", "thumbnailer"),
    ("ecs-task-reports", "7c9e6679f4e8b0e1c2d3"),
];
const PEOPLE: &[&str] = &[
    "anaya@example.com",
    "diego@example.com",
    "mei@example.com",
    "oluwaseun@example.com",
];
const USERS: &[&str] = &["ci-deployer", "backup-bot", "anaya", "legacy-etl"];
const SERVICES: &[&str] = &[
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
    "config.amazonaws.com",
    "cloudformation.amazonaws.com",
];
const AGENTS: &[&str] = &[
    "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64 api/s3#1.53.1",
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.describe-instances",
    "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#5.10.215 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.84",
    "aws-sdk-java/2.25.31 Linux/5.10.214-202.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/standard",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "console.amazonaws.com",
];

/// (eventSource, eventName, read-only, request parameters kind)
const CALLS: &[(&str, &str, bool, u8)] = &[
    ("s3.amazonaws.com", "GetObject", true, 1),
    ("s3.amazonaws.com", "PutObject", false, 1),
    ("s3.amazonaws.com", "HeadObject", true, 1),
    ("s3.amazonaws.com", "ListObjects", true, 1),
    ("ec2.amazonaws.com", "DescribeInstances", true, 2),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", true, 2),
    ("ssm.amazonaws.com", "GetParameter", true, 3),
    ("kms.amazonaws.com", "Decrypt", true, 4),
    ("kms.amazonaws.com", "GenerateDataKey", true, 4),
    ("sts.amazonaws.com", "AssumeRole", true, 5),
    ("dynamodb.amazonaws.com", "DescribeTable", true, 6),
    ("logs.amazonaws.com", "CreateLogStream", false, 7),
    ("monitoring.amazonaws.com", "PutMetricData", false, 0),
    ("secretsmanager.amazonaws.com", "GetSecretValue", true, 3),
    ("iam.amazonaws.com", "GetRole", true, 5),
    ("lambda.amazonaws.com", "Invoke", false, 0),
];

/// Which aws-docs filters an event matches, by construction.
#[derive(Clone, Copy, Default)]
struct Truth {
    root: bool,
    api_without_mfa: bool,
    console_without_mfa: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Planted {
    Root,
    ConsoleNoMfa,
    /// Root call made by an AWS service on the root's behalf: not root usage.
    DecoyRootInvoked,
    /// IAM user sign-in with MFA: no match.
    DecoyConsoleMfa,
    /// `CheckMfa` step of a sign-in: no match.
    DecoyCheckMfa,
}

struct Gen {
    rng: Rng,
    account: String,
}

impl Gen {
    /// One of the few addresses `who` calls from (an instance, a NAT gateway, an office), now
    /// and then an unexpected one.
    fn ip_of(&mut self, who: &str, public: bool) -> String {
        if self.rng.chance(20) {
            return self.ip(public);
        }
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in who.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        h = h.wrapping_add(self.rng.below(3));
        if public {
            format!("203.0.{}.{}", (h >> 8) % 256, 1 + h % 254)
        } else {
            format!("10.0.{}.{}", (h >> 8) % 64, 1 + h % 254)
        }
    }

    fn ip(&mut self, public: bool) -> String {
        if public {
            format!(
                "{}.{}.{}.{}",
                self.rng.pick(&[192u64, 198, 203]),
                self.rng.below(255),
                self.rng.below(255),
                1 + self.rng.below(254)
            )
        } else {
            format!(
                "10.{}.{}.{}",
                self.rng.below(4),
                self.rng.below(255),
                1 + self.rng.below(254)
            )
        }
    }

    fn session_context(&mut self, o: &mut Obj, role: &str, mfa: &str, t: i64, issuer: bool) {
        let acct = self.account.clone();
        let role_id = format!("AROA{}", self.rng.upper(17));
        o.obj("sessionContext", |sc| {
            if issuer {
                sc.obj("sessionIssuer", |si| {
                    si.s("type", "Role")
                        .s("principalId", &role_id)
                        .s("arn", &format!("arn:aws:iam::{acct}:role/{role}"))
                        .s("accountId", &acct)
                        .s("userName", role);
                });
                sc.raw("webIdFederationData", "{}");
            }
            sc.obj("attributes", |at| {
                at.s("creationDate", &iso(t - 1800))
                    .s("mfaAuthenticated", mfa);
            });
        });
    }

    /// A background event at `t` in `region`.
    fn background(&mut self, t: i64, region: &str, out: &mut String) -> Truth {
        let r = self.rng.below(1000);
        let who = match r {
            0..=449 => Who::Workload,
            450..=529 => Who::SsoWithMfa,
            530..=579 => Who::SsoWithoutMfa,
            580..=759 => Who::AccessKey,
            760..=919 => Who::Service,
            _ => Who::ServiceOnBehalf,
        };
        let acct = self.account.clone();
        let (source, name, read_only, kind) = *self.rng.pick(CALLS);
        let mut truth = Truth::default();
        let mut o = Obj::new(out);
        o.s(
            "eventVersion",
            if who == Who::Service { "1.05" } else { "1.09" },
        );
        let key_id = format!("ASIA{}", self.rng.upper(16));
        let mut source_ip;
        let agent;
        match who {
            Who::Workload | Who::SsoWithMfa | Who::SsoWithoutMfa | Who::ServiceOnBehalf => {
                let (role, session): (String, String) = match who {
                    Who::Workload | Who::ServiceOnBehalf => {
                        let (r, s) = self.rng.pick(WORKLOADS);
                        (r.to_string(), s.to_string())
                    }
                    _ => (
                        "AWSReservedSSO_AdministratorAccess_0123456789abcdef".to_string(),
                        self.rng.pick(PEOPLE).to_string(),
                    ),
                };
                let mfa = if who == Who::SsoWithMfa {
                    "true"
                } else {
                    "false"
                };
                truth.api_without_mfa = true;
                let invoked = (who == Who::ServiceOnBehalf).then(|| *self.rng.pick(SERVICES));
                let role_id = format!("AROA{}", self.rng.upper(17));
                let t0 = t;
                o.obj("userIdentity", |u| {
                    u.s("type", "AssumedRole")
                        .s("principalId", &format!("{role_id}:{session}"))
                        .s(
                            "arn",
                            &format!("arn:aws:sts::{acct}:assumed-role/{role}/{session}"),
                        )
                        .s("accountId", &acct)
                        .s("accessKeyId", &key_id);
                    self.session_context(u, &role, mfa, t0, true);
                    if let Some(svc) = invoked {
                        u.s("invokedBy", svc);
                    }
                });
                if who == Who::SsoWithMfa {
                    truth.api_without_mfa = false;
                }
                source_ip = match invoked {
                    Some(svc) => svc.to_string(),
                    None => self.ip_of(&session, who != Who::Workload),
                };
                agent = match invoked {
                    Some(svc) => svc.to_string(),
                    None if who == Who::Workload => self.rng.pick(&AGENTS[..4]).to_string(),
                    None => self.rng.pick(AGENTS).to_string(),
                };
            }
            Who::AccessKey => {
                let user = self.rng.pick(USERS).to_string();
                o.obj("userIdentity", |u| {
                    u.s("type", "IAMUser")
                        .s("principalId", &format!("AIDA{}", self.rng.upper(17)))
                        .s("arn", &format!("arn:aws:iam::{acct}:user/{user}"))
                        .s("accountId", &acct)
                        .s("accessKeyId", &format!("AKIA{}", self.rng.upper(16)))
                        .s("userName", &user);
                });
                source_ip = self.ip_of(&user, true);
                agent = self.rng.pick(&AGENTS[..4]).to_string();
            }
            Who::Service => {
                let svc = *self.rng.pick(SERVICES);
                o.obj("userIdentity", |u| {
                    u.s("type", "AWSService").s("invokedBy", svc);
                });
                source_ip = svc.to_string();
                agent = svc.to_string();
            }
        }
        if source.starts_with("s3") && who != Who::Service && self.rng.chance(50) {
            source_ip = "AWS Internal".to_string();
        }
        o.s("eventTime", &iso(t))
            .s("eventSource", source)
            .s("eventName", name)
            .s("awsRegion", region)
            .s("sourceIPAddress", &source_ip)
            .s("userAgent", &agent);
        let denied = who != Who::Service && self.rng.chance(8);
        if denied {
            o.s("errorCode", "AccessDenied").s(
                "errorMessage",
                &format!("User is not authorized to perform: {source}:{name}"),
            );
        }
        self.request_parameters(&mut o, kind, region);
        if denied || read_only {
            o.raw("responseElements", "null");
        } else {
            o.obj("responseElements", |r| {
                r.s("requestId", &self.rng.uuid());
            });
        }
        if kind == 1 {
            let n = self.rng.below(5_000_000);
            o.obj("additionalEventData", |a| {
                a.s("SignatureVersion", "SigV4")
                    .s("CipherSuite", "TLS_AES_128_GCM_SHA256")
                    .raw("bytesTransferredIn", "0")
                    .s("AuthenticationMethod", "AuthHeader")
                    .s("x-amz-id-2", &self.rng.hex(60))
                    .raw("bytesTransferredOut", &n.to_string());
            });
        }
        o.s("requestID", &self.rng.uuid())
            .s("eventID", &self.rng.uuid())
            .raw("readOnly", if read_only { "true" } else { "false" });
        if kind == 1 || kind == 4 {
            let arn = if kind == 1 {
                format!(
                    "arn:aws:s3:::{acct}-data-{region}/reports/{}.parquet",
                    self.rng.hex(12)
                )
            } else {
                format!("arn:aws:kms:{region}:{acct}:key/{}", self.rng.uuid())
            };
            let ty = if kind == 1 {
                "AWS::S3::Object"
            } else {
                "AWS::KMS::Key"
            };
            let mut s = String::new();
            let mut r = Obj::new(&mut s);
            r.s("accountId", &acct).s("type", ty).s("ARN", &arn);
            r.end();
            o.raw("resources", &format!("[{s}]"));
        }
        o.s(
            "eventType",
            if who == Who::Service {
                "AwsServiceEvent"
            } else {
                "AwsApiCall"
            },
        )
        .raw("managementEvent", if kind == 1 { "false" } else { "true" })
        .s("recipientAccountId", &acct);
        if kind == 1 {
            o.s("eventCategory", "Data");
        } else {
            o.s("eventCategory", "Management");
        }
        if who != Who::Service {
            o.obj("tlsDetails", |tl| {
                tl.s("tlsVersion", "TLSv1.3")
                    .s("cipherSuite", "TLS_AES_128_GCM_SHA256")
                    .s(
                        "clientProvidedHostHeader",
                        &format!(
                            "{}.{region}.amazonaws.com",
                            source.trim_end_matches(".amazonaws.com")
                        ),
                    );
            });
        }
        o.end();
        truth
    }

    fn request_parameters(&mut self, o: &mut Obj, kind: u8, region: &str) {
        let acct = self.account.clone();
        match kind {
            1 => {
                let key = format!(
                    "reports/{}/{}/part-{:05}.parquet",
                    2020 + self.rng.below(5),
                    self.rng.hex(8),
                    self.rng.below(100)
                );
                o.obj("requestParameters", |p| {
                    p.s("bucketName", &format!("{acct}-data-{region}"))
                        .s(
                            "Host",
                            &format!("{acct}-data-{region}.s3.{region}.amazonaws.com"),
                        )
                        .s("key", &key);
                });
            }
            2 => {
                o.obj("requestParameters", |p| {
                    p.raw("instancesSet", "{}").obj("filterSet", |f| {
                        f.raw(
                            "items",
                            r#"[{"name":"tag:Environment","valueSet":{"items":[{"value":"production"}]}}]"#,
                        );
                    });
                });
            }
            3 => {
                let name = format!(
                    "/app/{}/db-password",
                    self.rng.pick(&["orders", "billing", "search"])
                );
                o.obj("requestParameters", |p| {
                    p.s("name", &name).raw("withDecryption", "true");
                });
            }
            4 => {
                let id = self.rng.uuid();
                o.obj("requestParameters", |p| {
                    p.s("keyId", &format!("arn:aws:kms:{region}:{acct}:key/{id}"))
                        .s("encryptionAlgorithm", "SYMMETRIC_DEFAULT");
                    p.obj("encryptionContext", |c| {
                        c.s(
                            "aws:lambda:FunctionArn",
                            &format!("arn:aws:lambda:{region}:{acct}:function:orders-api"),
                        );
                    });
                });
            }
            5 => {
                let role = self.rng.pick(WORKLOADS).0;
                o.obj("requestParameters", |p| {
                    p.s("roleArn", &format!("arn:aws:iam::{acct}:role/{role}"))
                        .s("roleSessionName", &self.rng.hex(16))
                        .raw("durationSeconds", "3600");
                });
            }
            6 => {
                o.obj("requestParameters", |p| {
                    p.s("tableName", "orders");
                });
            }
            7 => {
                let stream = format!("2024/05/14/[$LATEST]{}", self.rng.hex(32));
                o.obj("requestParameters", |p| {
                    p.s("logGroupName", "/aws/lambda/orders-api")
                        .s("logStreamName", &stream);
                });
            }
            _ => {
                o.raw("requestParameters", "null");
            }
        }
    }

    /// A planted event at `t`.
    fn planted(&mut self, kind: Planted, t: i64, out: &mut String) -> Truth {
        let acct = self.account.clone();
        let mut truth = Truth::default();
        let mut o = Obj::new(out);
        o.s("eventVersion", "1.09");
        let ip = self.ip(true);
        match kind {
            Planted::Root | Planted::DecoyRootInvoked => {
                let invoked = kind == Planted::DecoyRootInvoked;
                truth.root = !invoked;
                o.obj("userIdentity", |u| {
                    u.s("type", "Root")
                        .s("principalId", &acct)
                        .s("arn", &format!("arn:aws:iam::{acct}:root"))
                        .s("accountId", &acct)
                        .s("accessKeyId", &format!("ASIA{}", self.rng.upper(16)));
                    o_session_root(u, t);
                    if invoked {
                        u.s("invokedBy", "support.amazonaws.com");
                    }
                });
                let (source, name) = *self.rng.pick(&[
                    ("iam.amazonaws.com", "CreateAccessKey"),
                    ("iam.amazonaws.com", "GetAccountSummary"),
                    ("billing.amazonaws.com", "GetBillingPreferences"),
                    ("support.amazonaws.com", "DescribeCases"),
                ]);
                o.s("eventTime", &iso(t))
                    .s("eventSource", source)
                    .s("eventName", name)
                    .s("awsRegion", "us-east-1")
                    .s(
                        "sourceIPAddress",
                        if invoked {
                            "support.amazonaws.com"
                        } else {
                            &ip
                        },
                    )
                    .s("userAgent", AGENTS[4])
                    .raw("requestParameters", "null")
                    .raw("responseElements", "null")
                    .s("requestID", &self.rng.uuid())
                    .s("eventID", &self.rng.uuid())
                    .raw("readOnly", "false")
                    .s("eventType", "AwsApiCall")
                    .raw("managementEvent", "true")
                    .s("recipientAccountId", &acct)
                    .s("eventCategory", "Management");
            }
            Planted::ConsoleNoMfa | Planted::DecoyConsoleMfa | Planted::DecoyCheckMfa => {
                let user = self
                    .rng
                    .pick(&["anaya", "legacy-etl", "contractor-7"])
                    .to_string();
                let failed = kind == Planted::ConsoleNoMfa && self.rng.chance(300);
                truth.console_without_mfa = kind == Planted::ConsoleNoMfa;
                o.obj("userIdentity", |u| {
                    u.s("type", "IAMUser")
                        .s("principalId", &format!("AIDA{}", self.rng.upper(17)))
                        .s("accountId", &acct)
                        .s("accessKeyId", "")
                        .s("userName", &user);
                    if !failed {
                        u.s("arn", &format!("arn:aws:iam::{acct}:user/{user}"));
                    }
                });
                let name = if kind == Planted::DecoyCheckMfa {
                    "CheckMfa"
                } else {
                    "ConsoleLogin"
                };
                o.s("eventTime", &iso(t))
                    .s("eventSource", "signin.amazonaws.com")
                    .s("eventName", name)
                    .s("awsRegion", "us-east-1")
                    .s("sourceIPAddress", &ip)
                    .s("userAgent", AGENTS[4]);
                if failed {
                    o.s("errorMessage", "Failed authentication");
                }
                o.raw("requestParameters", "null");
                o.obj("responseElements", |r| {
                    r.s(name, if failed { "Failure" } else { "Success" });
                });
                o.obj("additionalEventData", |a| {
                    if kind == Planted::DecoyCheckMfa {
                        a.s("MfaType", "U2F MFA");
                    } else {
                        a.s("LoginTo", "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true")
                            .s("MobileVersion", "No")
                            .s("MFAUsed", if kind == Planted::ConsoleNoMfa { "No" } else { "Yes" });
                    }
                });
                o.s("eventID", &self.rng.uuid())
                    .raw("readOnly", "false")
                    .s("eventType", "AwsConsoleSignIn")
                    .raw("managementEvent", "true")
                    .s("recipientAccountId", &acct)
                    .s("eventCategory", "Management");
            }
        }
        o.end();
        truth
    }
}

/// The console session of the root user, with MFA.
fn o_session_root(u: &mut Obj, t: i64) {
    u.obj("sessionContext", |sc| {
        sc.raw("sessionIssuer", "{}")
            .raw("webIdFederationData", "{}")
            .obj("attributes", |a| {
                a.s("creationDate", &iso(t - 600))
                    .s("mfaAuthenticated", "true");
            });
    });
}

/// Matches per 5-minute period start, per filter.
#[derive(Default)]
struct Tally {
    matches: u64,
    periods: BTreeMap<i64, u64>,
}

impl Tally {
    fn add(&mut self, t: i64) {
        self.matches += 1;
        *self.periods.entry(t.div_euclid(300) * 300).or_insert(0) += 1;
    }
    fn json(&self) -> serde_json::Value {
        json!({
            "matches": self.matches,
            "breaching_periods": self.periods.len(),
            "periods": self.periods.iter().map(|(k, v)| (iso(*k), json!(v))).collect::<serde_json::Map<_, _>>(),
        })
    }
}

fn write_file(path: &Path, data: &[u8], gzip: bool) -> std::io::Result<u64> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    if gzip {
        let mut enc = flate2::write::GzEncoder::new(f, flate2::Compression::default());
        enc.write_all(data)?;
        enc.finish()?.flush()?;
    } else {
        let mut f = f;
        f.write_all(data)?;
        f.flush()?;
    }
    Ok(data.len() as u64)
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("gen-cloudtrail: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<(), String> {
    let start = parse_iso(&args.start).ok_or("--start must look like 2024-05-14T00:00:00Z")?;
    if args.hours == 0 {
        return Err("--hours must be at least 1".into());
    }
    let end = start + 3600 * args.hours as i64;
    let regions: Vec<&str> = args.regions.split(',').filter(|r| !r.is_empty()).collect();
    if regions.is_empty() {
        return Err("--regions is empty".into());
    }
    let mut rng = Rng(args.seed ^ 0x5eed_0000_0000_0001);
    // Planted events: clustered in a few periods so that several land in the same period.
    let mut planted: Vec<(i64, Planted)> = Vec::new();
    let span = (end - start) as u64;
    for (kind, n) in [
        (Planted::Root, args.root),
        (Planted::ConsoleNoMfa, args.console_nomfa),
        (Planted::DecoyRootInvoked, args.root.div_ceil(2)),
        (Planted::DecoyConsoleMfa, args.console_nomfa.div_ceil(2) + 2),
        (Planted::DecoyCheckMfa, 3),
    ] {
        let mut anchor = start + rng.below(span) as i64;
        for i in 0..n {
            if i % 3 == 0 {
                anchor = start + rng.below(span) as i64;
            }
            let t = (anchor + rng.below(240) as i64).min(end - 1);
            planted.push((t, kind));
        }
    }
    planted.sort();

    let windows = ((end - start) as u64).div_ceil(300);
    let slots = windows * regions.len() as u64;
    let per_slot = args.events / slots;
    let extra = args.events % slots;
    let mut g = Gen {
        rng: Rng(args.seed.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1),
        account: args.account.clone(),
    };
    let mut root = Tally::default();
    let mut api = Tally::default();
    let mut console = Tally::default();
    let mut total_events = 0u64;
    let mut total_bytes = 0u64;
    let mut files = 0u64;
    let mut next_planted = 0usize;
    let mut slot = 0u64;
    let mut record = String::with_capacity(4096);
    for w in 0..windows {
        let w_start = start + w as i64 * 300;
        let w_end = (w_start + 300).min(end);
        for (ri, region) in regions.iter().enumerate() {
            let n = per_slot + u64::from(slot < extra);
            slot += 1;
            let mut events: Vec<(i64, String, Truth)> = Vec::with_capacity(n as usize + 4);
            for _ in 0..n {
                let t = w_start + g.rng.below((w_end - w_start) as u64) as i64;
                record.clear();
                let truth = g.background(t, region, &mut record);
                events.push((t, record.clone(), truth));
            }
            // Planted events go to the first region's files (global services log there).
            if ri == 0 {
                while next_planted < planted.len() && planted[next_planted].0 < w_end {
                    let (t, kind) = planted[next_planted];
                    next_planted += 1;
                    record.clear();
                    let truth = g.planted(kind, t, &mut record);
                    events.push((t, record.clone(), truth));
                }
            }
            if events.is_empty() {
                continue;
            }
            // CloudTrail files are not sorted by event time; keep the generation order.
            let mut body = String::with_capacity(events.iter().map(|e| e.1.len() + 40).sum());
            match args.format {
                Format::Cloudtrail => {
                    body.push_str("{\"Records\":[");
                    for (i, (_, r, _)) in events.iter().enumerate() {
                        if i > 0 {
                            body.push(',');
                        }
                        body.push_str(r);
                    }
                    body.push_str("]}");
                }
                Format::Lines => {
                    for (_, r, _) in &events {
                        body.push_str(r);
                        body.push('\n');
                    }
                }
                Format::Export => {
                    for (t, r, _) in &events {
                        let _ = writeln!(body, "{} {r}", iso(*t).replace('Z', ".000Z"));
                    }
                }
            }
            for (t, _, truth) in &events {
                total_events += 1;
                if truth.root {
                    root.add(*t);
                }
                if truth.api_without_mfa {
                    api.add(*t);
                }
                if truth.console_without_mfa {
                    console.add(*t);
                }
            }
            let (y, m, d, h, mi, _) = civil(w_end);
            let dir = args
                .out
                .join("AWSLogs")
                .join(&args.account)
                .join("CloudTrail")
                .join(region)
                .join(format!("{y:04}"))
                .join(format!("{m:02}"))
                .join(format!("{d:02}"));
            let ext = match (args.format, args.gzip) {
                (Format::Cloudtrail, false) => "json",
                (Format::Cloudtrail, true) => "json.gz",
                (_, false) => "jsonl",
                (_, true) => "jsonl.gz",
            };
            let name = format!(
                "{}_CloudTrail_{region}_{y:04}{m:02}{d:02}T{h:02}{mi:02}Z_{}.{ext}",
                args.account,
                g.rng.upper(16)
            );
            total_bytes += write_file(&dir.join(name), body.as_bytes(), args.gzip)
                .map_err(|e| format!("writing {}: {e}", dir.display()))?;
            files += 1;
        }
    }
    if let Some(path) = &args.truth {
        let truth = json!({
            "events": total_events,
            "files": files,
            "bytes": total_bytes,
            "start": iso(start),
            "end": iso(end),
            "filters": {
                "RootAccountUsage": root.json(),
                "ApiActivityWithoutMFA": api.json(),
                "ConsoleSignInWithoutMfa": console.json(),
            },
        });
        std::fs::write(
            path,
            serde_json::to_string_pretty(&truth).unwrap_or_default(),
        )
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    eprintln!(
        "gen-cloudtrail: {total_events} events in {files} files, {:.1} MB uncompressed, in {}",
        total_bytes as f64 / 1e6,
        args.out.display()
    );
    Ok(())
}
