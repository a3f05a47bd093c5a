//! Reading the trails visible from the client's region.

use super::read::{absent, join_all, non_empty};
use super::{sdk_error, Aws, AwsError};
use crate::model::{DeliveryError, Tags, TrailState};
use std::collections::BTreeMap;

/// CloudTrail ListTags takes at most 20 ARNs.
const TRAILS_PER_LIST_TAGS: usize = 20;

/// The region field of an ARN (`arn:PARTITION:SERVICE:REGION:...`).
pub(crate) fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

/// What GetTrailStatus tells about a trail.
#[derive(Default)]
struct Status {
    is_logging: Option<bool>,
    delivery_errors: Vec<DeliveryError>,
}

impl Aws {
    async fn trail_status(&self, arn: &str) -> Result<Status, AwsError> {
        let out = self.cloudtrail.get_trail_status().name(arn).send().await;
        let Some(out) = absent(out.map_err(|e| sdk_error("cloudtrail:GetTrailStatus", e)))? else {
            return Ok(Status::default());
        };
        // A delivery that fails is silent otherwise: no error anywhere, the alarms just never
        // see events (GetTrailStatus, AWS CloudTrail API Reference).
        let delivery_errors = [
            ("LatestDeliveryError", out.latest_delivery_error()),
            (
                "LatestCloudWatchLogsDeliveryError",
                out.latest_cloud_watch_logs_delivery_error(),
            ),
            ("LatestNotificationError", out.latest_notification_error()),
        ]
        .into_iter()
        .filter_map(|(field, message)| {
            Some(DeliveryError {
                field: field.to_string(),
                message: non_empty(message)?,
            })
        })
        .collect();
        Ok(Status {
            is_logging: out.is_logging(),
            delivery_errors,
        })
    }

    async fn trail_tags(&self, arns: &[String]) -> Result<BTreeMap<String, Tags>, AwsError> {
        let mut tags = BTreeMap::new();
        let mut pages = self
            .cloudtrail
            .list_tags()
            .set_resource_id_list(Some(arns.to_vec()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let Some(out) = absent(page.map_err(|e| sdk_error("cloudtrail:ListTags", e)))? else {
                break;
            };
            for resource in out.resource_tag_list() {
                let Some(id) = resource.resource_id() else {
                    continue;
                };
                let entry: &mut Tags = tags.entry(id.to_string()).or_default();
                for tag in resource.tags_list() {
                    entry.insert(
                        tag.key().to_string(),
                        tag.value().unwrap_or_default().to_string(),
                    );
                }
            }
        }
        Ok(tags)
    }

    /// Every trail visible from this region. The desired trail's status and tags are asked for
    /// together with DescribeTrails, so the usual case takes one round trip. The other trails'
    /// status and tags (a second round) are read only when `others` is set: planning needs just
    /// their settings, and a check stays at two sequential rounds in all.
    pub(super) async fn read_trails(
        &self,
        desired_arn: &str,
        others: bool,
    ) -> Result<Vec<TrailState>, AwsError> {
        // Another account's trail (an organization trail seen from a member account) is listed
        // by DescribeTrails, but CloudTrail refuses GetTrailStatus, ListTags and
        // GetEventSelectors on its ARN with CloudTrailARNInvalidException ("Understanding
        // organization trails", AWS CloudTrail User Guide,
        // https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html):
        // only its settings are known here; its status is the management account's to read.
        let me = self.bucket_owner();
        let foreign = |arn: &str| {
            me.as_deref()
                .is_some_and(|m| crate::arn::account(arn).is_some_and(|a| a != m))
        };
        let speculate =
            arn_region(desired_arn) == Some(self.region.as_str()) && !foreign(desired_arn);
        let desired_arns = [desired_arn.to_string()];
        let (described, early_status, early_tags, early_selectors) = tokio::join!(
            async {
                self.cloudtrail
                    .describe_trails()
                    .include_shadow_trails(true)
                    .send()
                    .await
                    .map_err(|e| sdk_error("cloudtrail:DescribeTrails", e))
            },
            async {
                match speculate {
                    true => Some(self.trail_status(desired_arn).await),
                    false => None,
                }
            },
            async {
                match speculate {
                    true => Some(self.trail_tags(&desired_arns).await),
                    false => None,
                }
            },
            async {
                match speculate {
                    true => Some(absent(self.event_selectors(desired_arn).await)),
                    false => None,
                }
            },
        );
        let mut trails: Vec<TrailState> = described?
            .trail_list()
            .iter()
            .map(|t| {
                let arn = t.trail_arn().unwrap_or_default().to_string();
                TrailState {
                    name: t.name().unwrap_or_default().to_string(),
                    home_region: non_empty(t.home_region())
                        .or_else(|| arn_region(&arn).map(str::to_string)),
                    arn,
                    multi_region: t.is_multi_region_trail().unwrap_or(false),
                    include_global_events: t.include_global_service_events().unwrap_or(false),
                    log_file_validation: t.log_file_validation_enabled().unwrap_or(false),
                    organization_trail: t.is_organization_trail().unwrap_or(false),
                    s3_bucket: non_empty(t.s3_bucket_name()),
                    s3_prefix: non_empty(t.s3_key_prefix()),
                    cw_log_group_arn: non_empty(t.cloud_watch_logs_log_group_arn()),
                    cw_role_arn: non_empty(t.cloud_watch_logs_role_arn()),
                    kms_key_id: non_empty(t.kms_key_id()),
                    sns_topic_arn: non_empty(t.sns_topic_arn()),
                    is_logging: None,
                    delivery_errors: Vec::new(),
                    selectors: None,
                    tags: Tags::new(),
                }
            })
            .collect();
        let is_home = |t: &TrailState| {
            t.home_region
                .as_deref()
                .is_none_or(|r| r == self.region.as_str())
        };
        let mut early_status = early_status;
        let mut early_tags = early_tags;
        let mut early_selectors = early_selectors;
        if let Some(t) = trails
            .iter_mut()
            .find(|t| t.arn == desired_arn && is_home(t))
        {
            if let Some(status) = early_status.take() {
                let status = status?;
                t.is_logging = status.is_logging;
                t.delivery_errors = status.delivery_errors;
            }
            if let Some(selectors) = early_selectors.take() {
                t.selectors = selectors?;
            }
            if let Some(tags) = early_tags.take() {
                t.tags = tags?.remove(desired_arn).unwrap_or_default();
            }
        }
        let answered = |t: &TrailState| speculate && t.arn == desired_arn && is_home(t);
        if !others {
            return Ok(trails);
        }

        // Status: home-region trails must answer; another region's trail may not.
        let status_of: Vec<(usize, bool)> = trails
            .iter()
            .enumerate()
            .filter(|(_, t)| !answered(t) && !t.arn.is_empty() && !foreign(&t.arn))
            .map(|(i, t)| (i, is_home(t)))
            .collect();
        let tag_arns: Vec<String> = trails
            .iter()
            .filter(|t| !answered(t) && is_home(t) && !t.arn.is_empty() && !foreign(&t.arn))
            .map(|t| t.arn.clone())
            .collect();
        let (statuses, tag_maps) = tokio::join!(
            join_all(
                status_of
                    .iter()
                    .map(|(i, _)| self.trail_status(&trails[*i].arn))
                    .collect()
            ),
            join_all(
                tag_arns
                    .chunks(TRAILS_PER_LIST_TAGS)
                    .map(|chunk| self.trail_tags(chunk))
                    .collect()
            ),
        );
        for ((i, home), status) in status_of.into_iter().zip(statuses) {
            match status {
                Ok(status) => {
                    trails[i].is_logging = status.is_logging;
                    trails[i].delivery_errors = status.delivery_errors;
                }
                Err(e) if home => return Err(e),
                Err(_) => {}
            }
        }
        for tag_map in tag_maps {
            for (arn, tags) in tag_map? {
                if let Some(t) = trails.iter_mut().find(|t| t.arn == arn) {
                    t.tags = tags;
                }
            }
        }
        Ok(trails)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_region_field() {
        assert_eq!(
            arn_region("arn:aws:cloudtrail:eu-west-1:123456789012:trail/t"),
            Some("eu-west-1")
        );
        assert_eq!(arn_region("arn:aws:iam::123456789012:role/r"), None);
    }
}
