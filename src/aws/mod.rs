//! The only module that talks to AWS.
//!
//! [`Aws`] holds one client per service, all built from one [`SdkConfig`], and counts every HTTP
//! attempt they make. [`Aws::connect`] is the one way to build them. [`Aws::read`] turns the
//! account into a plain [`crate::model::Actual`]; [`Aws::execute`] performs one
//! [`crate::model::Op`]; [`objects`] lists and downloads objects of any bucket (for `scan`).

mod alerts;
mod chat;
mod delete;
pub mod discover;
mod kms;
pub mod objects;
mod organizations;
mod permissions;
mod read;
mod selectors;
mod trails;
mod volume;
mod write;

pub use alerts::LogEventPage;
pub use objects::{Body, Bucket, Level, Object};
pub use organizations::{AccountSelector, MemberAccount};
pub use permissions::{
    check_policy, iam_action_for, is_read_operation, policy, CHECK_SID, DESTROY_ACTIONS,
    ORGANIZATION_ACTIONS, READ_ACTIONS, REMOVAL_ACTIONS, SCAN_ACTIONS, TEST_ALARM_ACTIONS,
    WHY_ACTIONS, WRITE_ACTIONS,
};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;
use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// How to reach AWS. Every field falls back to the standard AWS configuration chain
/// (environment variables, `~/.aws/config`, SSO, instance metadata, ...).
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub region: Option<String>,
    pub profile: Option<String>,
    /// Send every request to this URL instead of the AWS endpoints (`AWS_ENDPOINT_URL` works too).
    pub endpoint_url: Option<String>,
    /// The region to use when neither `region` nor the AWS configuration names one (`None`:
    /// [`AwsError::NoRegion`]).
    pub fallback_region: Option<String>,
}

/// The caller, as STS sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    pub account_id: String,
    pub arn: String,
    pub user_id: String,
}

/// HTTP attempts made so far (retries included).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct RequestStats {
    pub total: u64,
    /// Attempts of operations that change something.
    pub writes: u64,
    /// Attempts that repeated one that failed transiently (throttling, 5xx, timeouts).
    pub retries: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("{0}")]
    NoCredentials(String),
    #[error(
        "no AWS region configured: pass --region, set AWS_REGION, or set `region` in the profile"
    )]
    NoRegion,
    /// The region is not one trailwarden knows (from the AWS environment or profile: the
    /// configuration's own is checked when it is loaded).
    #[error("unknown region `{0}` (expected e.g. us-east-1, eu-west-1)")]
    UnknownRegion(String),
    #[error("{api} failed: {code}{}", colon_prefixed(message))]
    Service {
        api: String,
        code: String,
        message: String,
    },
    #[error("{0}")]
    Other(String),
}

fn colon_prefixed(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

impl AwsError {
    /// The AWS error code of a service error.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// CloudTrail's documented eventual-consistency errors right after the role or the bucket
    /// policy were created; worth retrying with backoff rather than reporting.
    pub fn is_eventually_consistent(&self) -> bool {
        let AwsError::Service { code, message, .. } = self else {
            return false;
        };
        const CODES: &[&str] = &[
            "InvalidCloudWatchLogsRoleArnException",
            "InvalidCloudWatchLogsLogGroupArnException",
            "InsufficientS3BucketPolicyException",
            "InsufficientSnsTopicPolicyException",
        ];
        if CODES.contains(&code.as_str()) {
            return true;
        }
        let message = message.to_ascii_lowercase();
        (message.contains("role") || message.contains("assume"))
            && (message.contains("cannot be assumed")
                || message.contains("can not be assumed")
                || message.contains("unable to assume")
                || message.contains("not authorized to perform: sts:assumerole"))
    }
}

/// Regions that have CloudTrail, CloudWatch and SNS.
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "cn-north-1",
    "cn-northwest-1",
];

/// Attempts per request unless the user configured retries.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;

/// Seconds to wait for a connection, and for an answer (`TRAILWARDEN_READ_TIMEOUT`, default
/// 30): an endpoint that accepts connections and never answers fails each attempt after the read
/// timeout, and the whole request after [`OPERATION_TIMEOUT_SECS`], instead of hanging.
pub const CONNECT_TIMEOUT_SECS: u64 = 5;
pub const DEFAULT_READ_TIMEOUT_SECS: u64 = 30;
pub const OPERATION_TIMEOUT_SECS: u64 = 180;

/// `TRAILWARDEN_READ_TIMEOUT` when it is a positive number of seconds, else the default.
fn read_timeout_secs() -> u64 {
    std::env::var("TRAILWARDEN_READ_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_READ_TIMEOUT_SECS)
}

fn timeouts() -> aws_config::timeout::TimeoutConfig {
    use std::time::Duration;
    let read = read_timeout_secs();
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(CONNECT_TIMEOUT_SECS))
        .read_timeout(Duration::from_secs(read))
        .operation_attempt_timeout(Duration::from_secs(read + CONNECT_TIMEOUT_SECS))
        .operation_timeout(Duration::from_secs(OPERATION_TIMEOUT_SECS))
        .build()
}

/// Error codes meaning "this resource does not exist".
pub(crate) fn is_not_found_code(code: &str) -> bool {
    matches!(
        code,
        "NoSuchBucket"
            | "NoSuchBucketPolicy"
            | "NoSuchPublicAccessBlockConfiguration"
            | "ServerSideEncryptionConfigurationNotFoundError"
            | "NoSuchTagSet"
            | "NoSuchTagSetError"
            | "NotFound"
            | "NoSuchEntity"
            | "ResourceNotFoundException"
            | "ResourceNotFound"
            | "TrailNotFoundException"
            | "NotFoundException"
    )
}

const CREDENTIALS_HELP: &str = "no usable AWS credentials: set AWS_ACCESS_KEY_ID and \
     AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), pass --profile NAME \
     for a profile in ~/.aws/config, or run `aws sso login [--profile NAME]` when the profile uses \
     IAM Identity Center";

/// Converts an SDK error into an [`AwsError`] naming the API (`service:Operation`).
pub(crate) fn sdk_error<E>(api: &str, err: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    if let Some(code) = err.code() {
        return AwsError::Service {
            api: api.to_string(),
            code: code.to_string(),
            message: err.message().unwrap_or_default().to_string(),
        };
    }
    let detail = error_chain(&err);
    let full = DisplayErrorContext(&err).to_string().to_ascii_lowercase();
    let timed_out = matches!(&err, SdkError::TimeoutError(_))
        || matches!(&err, SdkError::DispatchFailure(f) if f.is_timeout());
    if timed_out {
        return AwsError::Other(format!(
            "{api} failed: no answer in time (connection {CONNECT_TIMEOUT_SECS} s, answer {} s \
             per attempt, {OPERATION_TIMEOUT_SECS} s in all, retries included): the endpoint \
             is unreachable or accepts connections without answering ({detail})",
            read_timeout_secs()
        ));
    }
    match &err {
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_)
            if full.contains("credential") || full.contains("identity") =>
        {
            AwsError::NoCredentials(format!("{CREDENTIALS_HELP} ({api}: {detail})"))
        }
        _ => match err.raw_response().map(|r| r.status().as_u16()) {
            Some(status) => AwsError::Other(format!("{api} failed: HTTP {status}: {detail}")),
            None => AwsError::Other(format!("{api} failed: {detail}")),
        },
    }
}

/// The messages of an error and its sources, each cut to its first sentence.
pub(crate) fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        let first = text.split(". ").next().unwrap_or_default().trim();
        if !first.is_empty() && first != "other" && parts.last().map(String::as_str) != Some(first)
        {
            parts.push(first.to_string());
        }
        current = e.source();
    }
    parts.join(": ")
}

/// Counts every HTTP attempt of the clients it is installed in.
#[derive(Debug, Default)]
struct RequestCounter {
    total: AtomicU64,
    writes: AtomicU64,
    retries: AtomicU64,
}

#[derive(Debug, Clone)]
struct CountingInterceptor(Arc<RequestCounter>);

impl Intercept for CountingInterceptor {
    fn name(&self) -> &'static str {
        "trailwarden-request-counter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.total.fetch_add(1, Ordering::Relaxed);
        if cfg
            .load::<aws_smithy_runtime_api::client::retries::RequestAttempts>()
            .is_some_and(|a| a.attempts() > 1)
        {
            self.0.retries.fetch_add(1, Ordering::Relaxed);
        }
        let read = cfg
            .load::<Metadata>()
            .is_some_and(|m| is_read_operation(m.name()));
        if !read {
            self.0.writes.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// The standard AWS configuration chain overridden by `opts`, with `region` as the region.
async fn load_config(opts: &ConnectOptions, region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts());
    if let Some(profile) = &opts.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_string()));
    }
    if let Some(url) = &opts.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;
    // The SDK's default is standard mode with 3 attempts: too few for AWS's throttling of a
    // burst of configuration calls. A user's own setting (environment or profile) stands.
    match config.retry_config() {
        Some(r) if *r != RetryConfig::standard() => config,
        _ => config
            .into_builder()
            .retry_config(RetryConfig::standard().with_max_attempts(DEFAULT_MAX_ATTEMPTS))
            .build(),
    }
}

fn region_of(config: &SdkConfig) -> Option<String> {
    config
        .region()
        .map(|r| r.as_ref().to_string())
        .filter(|r| !r.is_empty())
}

/// Clients for every service the monitoring chain spans, sharing one request counter.
#[derive(Debug, Clone)]
pub struct Aws {
    region: String,
    counter: Arc<RequestCounter>,
    pub(crate) sts: aws_sdk_sts::Client,
    pub(crate) s3: aws_sdk_s3::Client,
    pub(crate) iam: aws_sdk_iam::Client,
    pub(crate) logs: aws_sdk_cloudwatchlogs::Client,
    pub(crate) cloudtrail: aws_sdk_cloudtrail::Client,
    pub(crate) sns: aws_sdk_sns::Client,
    pub(crate) cloudwatch: aws_sdk_cloudwatch::Client,
    pub(crate) kms: aws_sdk_kms::Client,
    /// In a region where the Chatbot API is (see `chat.rs`).
    pub(crate) chatbot: aws_sdk_chatbot::Client,
    pub(crate) organizations: aws_sdk_organizations::Client,
    /// The configuration the clients were built from (AssumeRole builds another from it).
    sdk_config: SdkConfig,
    /// Buckets found in another region than the clients', by name.
    bucket_regions: Arc<Mutex<HashMap<String, String>>>,
    /// The caller's account, once [`Aws::identity`] has asked STS: every S3 request on the
    /// chain's bucket names it as the expected owner.
    account: Arc<OnceLock<String>>,
}

impl Aws {
    /// The one way to reach AWS: loads the standard AWS configuration, overridden by `opts`,
    /// checks that its region is a known one (before any request: the region may come from the
    /// environment or the profile) and builds the clients.
    ///
    /// Retries: the SDK's standard mode (exponential backoff with jitter, for throttling error
    /// codes of every protocol, HTTP 500/502/503/504, connection errors and timeouts) with
    /// [`DEFAULT_MAX_ATTEMPTS`] attempts instead of the SDK's 3, unless `AWS_MAX_ATTEMPTS`,
    /// `AWS_RETRY_MODE` or the profile's `max_attempts` / `retry_mode` say otherwise.
    /// Timeouts: see [`timeouts`].
    pub async fn connect(opts: &ConnectOptions) -> Result<Aws, AwsError> {
        let mut config = load_config(opts, opts.region.as_deref()).await;
        if region_of(&config).is_none() {
            if let Some(fallback) = &opts.fallback_region {
                config = load_config(opts, Some(fallback)).await;
            }
        }
        Aws::connect_with(config).await
    }

    /// Builds the clients from a ready configuration (its region is required, and checked as by
    /// [`Aws::connect`]).
    pub async fn connect_with(config: SdkConfig) -> Result<Aws, AwsError> {
        let region = region_of(&config).ok_or(AwsError::NoRegion)?;
        if !REGIONS.contains(&region.as_str()) {
            return Err(AwsError::UnknownRegion(region));
        }
        let chat_region = chat::chatbot_region(&region).to_string();
        let counter = Arc::new(RequestCounter::default());
        let interceptor = CountingInterceptor(counter.clone());
        let path_style = config.endpoint_url().is_some();
        Ok(Aws {
            region,
            sts: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(&config)
                    .interceptor(interceptor.clone())
                    .build(),
            ),
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&config)
                    .interceptor(interceptor.clone())
                    .force_path_style(path_style)
                    .build(),
            ),
            iam: aws_sdk_iam::Client::from_conf(
                aws_sdk_iam::config::Builder::from(&config)
                    .interceptor(interceptor.clone())
                    .build(),
            ),
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(
                aws_sdk_cloudwatchlogs::config::Builder::from(&config)
                    .interceptor(interceptor.clone())
                    .build(),
            ),
            cloudtrail: aws_sdk_cloudtrail::Client::from_conf(
                aws_sdk_cloudtrail::config::Builder::from(&config)
                    .interceptor(interceptor.clone())
                    .build(),
            ),
            sns: aws_sdk_sns::Client::from_conf(
                aws_sdk_sns::config::Builder::from(&config)
                    .interceptor(interceptor.clone())
                    .build(),
            ),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
                aws_sdk_cloudwatch::config::Builder::from(&config)
                    .interceptor(interceptor.clone())
                    .build(),
            ),
            kms: aws_sdk_kms::Client::from_conf(
                aws_sdk_kms::config::Builder::from(&config)
                    .interceptor(interceptor.clone())
                    .build(),
            ),
            chatbot: aws_sdk_chatbot::Client::from_conf(
                aws_sdk_chatbot::config::Builder::from(&config)
                    .interceptor(interceptor.clone())
                    .region(Region::new(chat_region))
                    .build(),
            ),
            organizations: aws_sdk_organizations::Client::from_conf(
                aws_sdk_organizations::config::Builder::from(&config)
                    .interceptor(interceptor)
                    .build(),
            ),
            sdk_config: config,
            counter,
            bucket_regions: Arc::default(),
            account: Arc::default(),
        })
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// Who the credentials belong to (STS GetCallerIdentity).
    pub async fn identity(&self) -> Result<Identity, AwsError> {
        match self.identity_in(&self.sts).await {
            // A region that is not enabled for the account rejects every request as if the
            // credentials were invalid ("Specify which AWS Regions your account can use", AWS
            // Account Management Reference Guide). Credentials that work in us-east-1 tell the two
            // apart.
            Err(AwsError::NoCredentials(msg))
                if self.region != "us-east-1" && msg.contains("were rejected") =>
            {
                let global = aws_sdk_sts::Client::from_conf(
                    self.sts
                        .config()
                        .to_builder()
                        .region(Region::new("us-east-1"))
                        .build(),
                );
                match self.identity_in(&global).await {
                    Ok(id) => Err(AwsError::Other(format!(
                        "region {} is not enabled for account {}: it is an opt-in region (the                          credentials work in us-east-1). Enable it in the AWS console (Account →                          AWS Regions) or with `aws account enable-region --region-name {}`, or                          choose another region",
                        self.region, id.account_id, self.region
                    ))),
                    Err(_) => Err(AwsError::NoCredentials(msg)),
                }
            }
            other => other,
        }
    }

    async fn identity_in(&self, sts: &aws_sdk_sts::Client) -> Result<Identity, AwsError> {
        let out = sts.get_caller_identity().send().await.map_err(|e| {
            match sdk_error("sts:GetCallerIdentity", e) {
                AwsError::Service { code, message, .. }
                    if matches!(
                        code.as_str(),
                        "InvalidClientTokenId"
                            | "ExpiredToken"
                            | "ExpiredTokenException"
                            | "SignatureDoesNotMatch"
                            | "UnrecognizedClientException"
                    ) =>
                {
                    AwsError::NoCredentials(format!(
                        "the AWS credentials were rejected ({code}: {message}); {CREDENTIALS_HELP}"
                    ))
                }
                other => other,
            }
        })?;
        let field = |v: Option<&str>, what: &str| {
            v.map(str::to_string)
                .ok_or_else(|| AwsError::Other(format!("sts:GetCallerIdentity returned no {what}")))
        };
        let account_id = field(out.account(), "account")?;
        let _ = self.account.set(account_id.clone());
        Ok(Identity {
            account_id,
            arn: field(out.arn(), "ARN")?,
            user_id: field(out.user_id(), "user id")?,
        })
    }

    /// An S3 client for `region` (the shared one when it is the clients' region).
    pub(crate) fn s3_in(&self, region: &str) -> aws_sdk_s3::Client {
        if region == self.region {
            return self.s3.clone();
        }
        let config = self
            .s3
            .config()
            .to_builder()
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// The S3 client for a bucket (its region, when `read` found it elsewhere) and its region.
    pub(crate) fn s3_for(&self, bucket: &str) -> (aws_sdk_s3::Client, String) {
        let known = self
            .bucket_regions
            .lock()
            .ok()
            .and_then(|m| m.get(bucket).cloned());
        match known {
            Some(region) => (self.s3_in(&region), region),
            None => (self.s3.clone(), self.region.clone()),
        }
    }

    /// `ExpectedBucketOwner` for S3 requests on the chain's bucket: the default bucket name is
    /// predictable, and a bucket of that name in another account must fail with 403 rather than
    /// be read or written as ours ("Verifying bucket ownership with bucket owner condition",
    /// Amazon S3 User Guide). `None` before the caller's identity is known.
    pub(crate) fn bucket_owner(&self) -> Option<String> {
        self.account.get().cloned()
    }

    pub(crate) fn remember_bucket_region(&self, bucket: &str, region: &str) {
        if let Ok(mut map) = self.bucket_regions.lock() {
            map.insert(bucket.to_string(), region.to_string());
        }
    }

    /// HTTP attempts made by this instance's clients so far.
    pub fn requests(&self) -> RequestStats {
        RequestStats {
            total: self.counter.total.load(Ordering::Relaxed),
            writes: self.counter.writes.load(Ordering::Relaxed),
            retries: self.counter.retries.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(code: &str, message: &str) -> AwsError {
        AwsError::Service {
            api: "cloudtrail:CreateTrail".to_string(),
            code: code.to_string(),
            message: message.to_string(),
        }
    }

    #[test]
    fn eventual_consistency_errors() {
        for code in [
            "InvalidCloudWatchLogsRoleArnException",
            "InvalidCloudWatchLogsLogGroupArnException",
            "InsufficientS3BucketPolicyException",
            "InsufficientSnsTopicPolicyException",
        ] {
            assert!(service(code, "").is_eventually_consistent(), "{code}");
        }
        assert!(service(
            "InvalidParameterValueException",
            "The role defined for the function cannot be assumed by Lambda."
        )
        .is_eventually_consistent());
        assert!(!service("TrailAlreadyExistsException", "exists").is_eventually_consistent());
        assert!(!AwsError::Other("role cannot be assumed".into()).is_eventually_consistent());
    }

    #[test]
    fn messages_are_readable() {
        let e = service(
            "InsufficientS3BucketPolicyException",
            "Incorrect S3 bucket policy is detected for bucket: b",
        );
        assert_eq!(
            e.to_string(),
            "cloudtrail:CreateTrail failed: InsufficientS3BucketPolicyException: \
             Incorrect S3 bucket policy is detected for bucket: b"
        );
        assert_eq!(e.code(), Some("InsufficientS3BucketPolicyException"));
        assert_eq!(
            service("AccessDenied", "").to_string(),
            "cloudtrail:CreateTrail failed: AccessDenied"
        );
        assert_eq!(AwsError::NoRegion.code(), None);
        assert!(AwsError::NoRegion.to_string().contains("--region"));
    }

    #[test]
    fn not_found_codes() {
        for code in [
            "NoSuchBucket",
            "NoSuchEntity",
            "TrailNotFoundException",
            "NotFound",
        ] {
            assert!(is_not_found_code(code));
        }
        assert!(!is_not_found_code("AccessDenied"));
    }
}
