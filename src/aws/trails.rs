//! Reading the trails visible from the client's region.

use super::read::{absent, join_all, non_empty};
use super::{sdk_error, Aws, AwsError};
use crate::model::{Tags, TrailState};
use std::collections::BTreeMap;

/// CloudTrail ListTags takes at most 20 ARNs.
const TRAILS_PER_LIST_TAGS: usize = 20;

/// The region field of an ARN (`arn:PARTITION:SERVICE:REGION:...`).
pub(crate) fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

impl Aws {
    async fn trail_status(&self, arn: &str) -> Result<Option<bool>, AwsError> {
        let out = self.cloudtrail.get_trail_status().name(arn).send().await;
        Ok(
            absent(out.map_err(|e| sdk_error("cloudtrail:GetTrailStatus", e)))?
                .and_then(|o| o.is_logging()),
        )
    }

    async fn trail_tags(&self, arns: &[String]) -> Result<BTreeMap<String, Tags>, AwsError> {
        let mut tags = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .cloudtrail
                .list_tags()
                .set_resource_id_list(Some(arns.to_vec()))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| sdk_error("cloudtrail:ListTags", e));
            let Some(out) = absent(out)? else {
                return Ok(tags);
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
            match out.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(tags),
            }
        }
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
        let speculate = arn_region(desired_arn) == Some(self.region.as_str());
        let desired_arns = [desired_arn.to_string()];
        let (described, early_status, early_tags) = tokio::join!(
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
        if let Some(t) = trails
            .iter_mut()
            .find(|t| t.arn == desired_arn && is_home(t))
        {
            if let Some(status) = early_status.take() {
                t.is_logging = status?;
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
            .filter(|(_, t)| !answered(t) && !t.arn.is_empty())
            .map(|(i, t)| (i, is_home(t)))
            .collect();
        let tag_arns: Vec<String> = trails
            .iter()
            .filter(|t| !answered(t) && is_home(t) && !t.arn.is_empty())
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
            trails[i].is_logging = match status {
                Ok(logging) => logging,
                Err(e) if home => return Err(e),
                Err(_) => None,
            };
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
