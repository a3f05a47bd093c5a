//! Reading objects from any S3 bucket: the region a bucket lives in, listings of a prefix one
//! folder at a time, and downloads (whole, or as the body arrives).
//!
//! `scan` reads log archives that often belong to another account (a central logging account,
//! an organization's archive): nothing here names an `ExpectedBucketOwner`. The region lookup
//! also serves the chain's own bucket reads, which do name one.

use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{error_chain, sdk_error, Aws, AwsError};

/// S3's default region: an empty location constraint means this one.
const DEFAULT_REGION: &str = "us-east-1";

/// A bucket to read objects from, through a client for the bucket's own region.
#[derive(Debug, Clone)]
pub struct Bucket {
    s3: aws_sdk_s3::Client,
    name: String,
    region: String,
}

/// One level of a listing: the folders (common prefixes, ending with `/`) and the objects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Level {
    pub folders: Vec<String>,
    pub objects: Vec<Object>,
}

/// An object of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub key: String,
    /// Bytes as stored.
    pub size: u64,
}

/// The body of an object being downloaded, read a network chunk at a time.
pub struct Body(ByteStream);

impl Body {
    /// The next chunk of the body (never empty); `None` at its end. A body that breaks off
    /// fails with the causes, not only the SDK's "streaming error".
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, AwsError> {
        loop {
            match self.0.try_next().await {
                Ok(Some(bytes)) if bytes.is_empty() => continue,
                Ok(Some(bytes)) => return Ok(Some(Vec::from(bytes))),
                Ok(None) => return Ok(None),
                Err(e) => return Err(body_error(&e)),
            }
        }
    }
}

/// A download that failed after its response began, with the causes.
fn body_error(e: &(dyn std::error::Error + 'static)) -> AwsError {
    AwsError::Other(format!(
        "s3:GetObject: reading the body failed: {}",
        error_chain(e)
    ))
}

/// What a failed request, or a bucket-level answer, says about where its bucket lives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RegionHint {
    /// The region S3 named (`x-amz-bucket-region`), if any.
    pub named: Option<String>,
    /// S3 answered that the request went to the wrong region (`301 PermanentRedirect`, or
    /// `400 AuthorizationHeaderMalformed` from some endpoints), whether it named one or not.
    pub moved: bool,
}

impl RegionHint {
    /// The hint of a failed request.
    pub(crate) fn of_error<E>(err: &SdkError<E, HttpResponse>) -> RegionHint
    where
        E: ProvideErrorMetadata,
    {
        let raw = err.raw_response();
        RegionHint {
            named: raw
                .and_then(|r| r.headers().get("x-amz-bucket-region"))
                .map(str::to_string),
            moved: raw.is_some_and(|r| r.status().as_u16() == 301)
                || matches!(
                    err.code(),
                    Some("PermanentRedirect" | "AuthorizationHeaderMalformed")
                ),
        }
    }

    /// The region a successful answer named (HeadBucket's `BucketRegion`).
    pub(crate) fn named(region: Option<&str>) -> RegionHint {
        RegionHint {
            named: region.map(str::to_string),
            moved: false,
        }
    }
}

/// The region `bucket` lives in when S3 says it is not `here` (the region of `s3`, through which
/// a request got `hint`); `None` when nothing says so.
///
/// Another region S3 names is taken first. A redirect that names none (some proxies drop the
/// header) is followed by `GetBucketLocation`, which S3 answers from any region; `owner` is its
/// `ExpectedBucketOwner`. When that names the region the request was already signed for, there
/// is nothing else to try: `None`.
pub(crate) async fn bucket_region(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    here: &str,
    hint: &RegionHint,
    owner: Option<String>,
) -> Result<Option<String>, AwsError> {
    if let Some(named) = hint
        .named
        .as_deref()
        .filter(|r| !r.is_empty() && *r != here)
    {
        return Ok(Some(named.to_string()));
    }
    if !hint.moved {
        return Ok(None);
    }
    let out = s3
        .get_bucket_location()
        .bucket(bucket)
        .set_expected_bucket_owner(owner)
        .send()
        .await
        .map_err(|e| sdk_error("s3:GetBucketLocation", e))?;
    let region = match out.location_constraint().map(|c| c.as_str()) {
        None | Some("") => DEFAULT_REGION,
        // The legacy name of eu-west-1.
        Some("EU") => "eu-west-1",
        Some(r) => r,
    };
    Ok((region != here).then(|| region.to_string()))
}

impl Aws {
    /// A [`Bucket`] for reading `bucket`, checked with a one-key listing of `prefix` (the first
    /// request a reader makes anyway). When S3 answers that the bucket lives in another region
    /// than the clients' ([`bucket_region`]), the bucket is read from there: see
    /// [`Bucket::region`].
    pub async fn open_bucket(&self, bucket: &str, prefix: &str) -> Result<Bucket, AwsError> {
        let probe = self
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .max_keys(1)
            .send()
            .await;
        let err = match probe {
            Ok(_) => {
                return Ok(Bucket {
                    s3: self.s3.clone(),
                    name: bucket.to_string(),
                    region: self.region.clone(),
                })
            }
            Err(e) => e,
        };
        let hint = RegionHint::of_error(&err);
        match bucket_region(&self.s3, bucket, &self.region, &hint, None).await? {
            Some(region) => Ok(Bucket {
                s3: self.s3_in(&region),
                name: bucket.to_string(),
                region,
            }),
            None => Err(sdk_error("s3:ListObjectsV2", err)),
        }
    }
}

impl Bucket {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The region the bucket is read from.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The folders and objects directly under `prefix` (delimiter `/`), every page of them.
    pub async fn list_level(&self, prefix: &str) -> Result<Level, AwsError> {
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(&self.name)
            .prefix(prefix)
            .delimiter("/")
            .into_paginator()
            .send();
        let mut level = Level::default();
        while let Some(page) = pages.next().await {
            let out = page.map_err(|e| sdk_error("s3:ListObjectsV2", e))?;
            level.folders.extend(
                out.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(str::to_string)),
            );
            level.objects.extend(out.contents().iter().filter_map(|o| {
                Some(Object {
                    key: o.key()?.to_string(),
                    size: o.size().unwrap_or(0).max(0) as u64,
                })
            }));
        }
        Ok(level)
    }

    /// Starts downloading `key`: the response has begun, its body is not read yet.
    pub async fn get(&self, key: &str) -> Result<Body, AwsError> {
        self.s3
            .get_object()
            .bucket(&self.name)
            .key(key)
            .send()
            .await
            .map(|out| Body(out.body))
            .map_err(|e| sdk_error("s3:GetObject", e))
    }

    /// Downloads `key` whole.
    pub async fn download(&self, key: &str) -> Result<Vec<u8>, AwsError> {
        let Body(body) = self.get(key).await?;
        let body = body.collect().await.map_err(|e| body_error(&e))?;
        Ok(Vec::from(body.into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3() -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    #[tokio::test]
    async fn a_named_region_is_taken_without_a_request() {
        let named = |r: &str, moved| RegionHint {
            named: Some(r.to_string()),
            moved,
        };
        // No credentials and no endpoint: any request would fail.
        let s3 = s3();
        assert_eq!(
            bucket_region(&s3, "b", "us-east-1", &named("eu-west-3", true), None)
                .await
                .unwrap(),
            Some("eu-west-3".to_string())
        );
        assert_eq!(
            bucket_region(&s3, "b", "us-east-1", &named("us-east-1", false), None)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            bucket_region(&s3, "b", "us-east-1", &RegionHint::default(), None)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            bucket_region(&s3, "b", "eu-west-1", &RegionHint::named(Some("")), None)
                .await
                .unwrap(),
            None
        );
    }
}
