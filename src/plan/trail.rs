//! Planning the trail: creation, settings, logging, adoption and existing trails.

use serde_json::json;

use super::*;

/// CloudTrail's quota of trails per region (not adjustable).
const TRAILS_PER_REGION: usize = 5;

impl Planner<'_> {
    /// The trail named for adoption is another account's: an organization trail seen from a
    /// member account. CloudTrail lets a member account neither change it nor read its status,
    /// tags or selectors (CloudTrailARNInvalidException), and its log group is in the management
    /// account: nothing can be planned here. One conflict says where the work is done instead.
    pub(super) fn adopts_another_accounts_trail(&mut self) -> bool {
        let spec = &self.d.trail;
        let account = self.d.target.account_id.as_str();
        let owner = crate::arn::account(&spec.arn).unwrap_or(account);
        if !spec.adopted || owner == account {
            return false;
        }
        let what = if self
            .a
            .trails
            .iter()
            .any(|t| t.arn == spec.arn && t.organization_trail)
        {
            "the organization trail of management account"
        } else {
            "a trail of account"
        };
        self.conflict(
            "trail-of-another-account",
            &format!("trail.{}", spec.name),
            format!(
                "trail `{}` is {what} {owner}: this account ({account}) can neither change it nor read its status, and its log group is in {owner}. Set up its filters and alarms from that account (`trailwarden apply --organization --adopt-trail {}`), and check this account's coverage from there (`trailwarden check --accounts {account}`); or give this account its own chain (without `--adopt-trail`)",
                spec.name, spec.name
            ),
        );
        true
    }

    pub(super) fn trail(&mut self) {
        let spec = &self.d.trail;
        let region = &self.d.target.region;
        let address = format!("trail.{}", spec.name);
        // Trail names are per account: another account's trail of the same name (an
        // organization trail seen from a member account) is not this one.
        let account = self.d.target.account_id.as_str();
        let ours = |t: &TrailState| {
            t.arn == spec.arn
                || (t.name == spec.name && crate::arn::account(&t.arn).is_none_or(|a| a == account))
        };
        let actual = self
            .a
            .trails
            .iter()
            .find(|t| ours(t) && t.home_region.as_deref().is_none_or(|r| r == region));
        let others: Vec<&TrailState> = self
            .a
            .trails
            .iter()
            .filter(|t| !ours(t) && t.multi_region)
            .collect();
        let Some(actual) = actual else {
            self.new_trail(&address, &others);
            return;
        };
        if !spec.adopted && !is_managed(&actual.tags) {
            self.conflict(
                "foreign-trail",
                &address,
                format!(
                    "trail `{}` exists but was not created by trailwarden; adopt it with `--adopt-trail {}` or choose another name",
                    spec.name, spec.name
                ),
            );
            return;
        }
        let mut diffs = Diffs::default();
        let update = self.trail_settings(actual, &mut diffs);
        let mut ops = Vec::new();
        if update {
            ops.push(Op::UpdateTrail {
                trail: spec.clone(),
            });
        }
        self.trail_state(actual, &mut diffs, &mut ops);
        if let Some(tool) = &spec.guarded_by {
            // Never written to: its guardrails forbid it (see desired::trail_guardian). What
            // differs stays reported as drift, for the tool to repair.
            if !ops.is_empty() {
                self.warn(
                    "guarded-trail",
                    Some(&address),
                    format!(
                        "trail `{}` belongs to {tool}, whose guardrails forbid changing it: trailwarden leaves it as it is; repair what differs with {tool} (its landing-zone settings or Repair)",
                        spec.name
                    ),
                );
            }
            ops.clear();
        }
        self.push(address, Resource::Trail, Action::Update, diffs.0, ops);
    }

    /// No trail of that name in its home region: create it (unless it was named for adoption),
    /// after the checks that would make CreateTrail fail half-way.
    fn new_trail(&mut self, address: &str, others: &[&TrailState]) {
        let spec = &self.d.trail;
        let region = &self.d.target.region;
        let address = address.to_string();
        if let Some(k) = &spec.kms_key_id {
            self.key_policy_before_create(&address, k, &kms::TRAIL_KEY);
        }
        if spec.adopted {
            self.conflict(
                "adopted-trail-missing",
                &address,
                format!(
                    "trail `{}` named for adoption does not exist in {region}",
                    spec.name
                ),
            );
            return;
        }
        // "Quotas in AWS CloudTrail": 5 trails per region, a trail that applies to all
        // regions counting in each; CreateTrail answers MaximumNumberOfTrailsExceeded.
        let account = &self.d.target.account_id;
        let counted = self
            .a
            .trails
            .iter()
            .filter(|t| crate::arn::account(&t.arn) == Some(account.as_str()))
            .filter(|t| t.multi_region || t.home_region.as_deref().is_none_or(|r| r == region))
            .count();
        if counted >= TRAILS_PER_REGION {
            self.conflict(
                "trail-limit",
                &address,
                format!(
                    "{region} already has {counted} trails of this account (the limit is {TRAILS_PER_REGION} per region, multi-region trails counting in every region): adopt one with `--adopt-trail NAME`, or delete one first"
                ),
            );
            return;
        }
        let foreign_org = others.iter().find(|t| {
            t.organization_trail && crate::arn::account(&t.arn).is_some_and(|a| a != account)
        });
        let own_org = others
            .iter()
            .find(|t| t.organization_trail && crate::arn::account(&t.arn) == Some(account));
        if let Some(org) = foreign_org {
            self.warn(
                "covered-by-organization-trail",
                Some(&address),
                format!(
                    "this account is covered by organization trail `{}` of management account {}, which records its management events; this account's own trail records them a second time, and a second copy of management events is billed. The organization's alarms belong on that trail's log group, set up from the management account (`trailwarden apply --organization --adopt-trail {}`); keep this account's own chain only if it needs alarms of its own (for example Security Hub's CloudWatch.1-14 in member accounts)",
                    org.name,
                    crate::arn::account(&org.arn).unwrap_or("?"),
                    org.name
                ),
            );
        } else if let (true, Some(org)) = (spec.organization, own_org) {
            self.warn(
                "existing-organization-trail",
                Some(&address),
                format!(
                    "the organization already has organization trail `{}`; a second one records every account's management events again, billed in every account — reuse it with `--adopt-trail {}`",
                    org.name, org.name
                ),
            );
        } else if let Some(other) = others.first() {
            self.warn(
                "existing-multi-region-trail",
                Some(&address),
                format!(
                    "the account already has multi-region trail `{}`{}; a second trail records management events again and is billed — reuse it with `--adopt-trail {}` (or `[trail] name = \"{}\"` and `adopt = true`)",
                    other.name,
                    if other.organization_trail { " (an organization trail)" } else { "" },
                    other.name,
                    other.name
                ),
            );
        }
        self.push(
            address,
            Resource::Trail,
            Action::Create,
            vec![missing(DriftKind::TrailMissing)],
            vec![
                Op::CreateTrail {
                    trail: spec.clone(),
                },
                Op::StartLogging {
                    trail: spec.name.clone(),
                },
            ],
        );
    }

    /// The trail's settings against the spec, as diffs; whether UpdateTrail is needed.
    fn trail_settings(&mut self, actual: &TrailState, diffs: &mut Diffs) -> bool {
        let spec = &self.d.trail;
        let address = format!("trail.{}", spec.name);
        let mut update = false;
        update |= diffs.compare(
            "multi_region",
            DriftKind::TrailMultiRegion,
            json!(true),
            json!(actual.multi_region),
            Severity::High,
        );
        update |= diffs.compare(
            "include_global_service_events",
            DriftKind::TrailGlobalEvents,
            json!(true),
            json!(actual.include_global_events),
            Severity::High,
        );
        if spec.organization {
            update |= diffs.compare(
                "is_organization_trail",
                DriftKind::TrailOrganization,
                json!(true),
                json!(actual.organization_trail),
                Severity::High,
            );
        }
        update |= diffs.compare(
            "log_file_validation",
            DriftKind::TrailLogFileValidation,
            json!(true),
            json!(actual.log_file_validation),
            Severity::Medium,
        );
        // `...:log-group:NAME:*` and `...:log-group:NAME` name the same group.
        let have_group = actual
            .cw_log_group_arn
            .as_deref()
            .map(|a| a.trim_end_matches(":*"));
        if have_group != Some(spec.cw_log_group_arn.trim_end_matches(":*")) {
            diffs.push(
                "cloudwatch_logs_log_group_arn",
                if have_group.is_none() {
                    DriftKind::TrailNoCloudwatchLogs
                } else {
                    DriftKind::TrailLogGroup
                },
                json!(spec.cw_log_group_arn),
                json!(actual.cw_log_group_arn),
                Severity::High,
            );
            update = true;
        }
        update |= diffs.compare(
            "cloudwatch_logs_role_arn",
            DriftKind::TrailRole,
            json!(spec.cw_role_arn),
            json!(actual.cw_role_arn),
            Severity::High,
        );
        if !spec.adopted {
            update |= diffs.compare(
                "s3_bucket_name",
                DriftKind::TrailBucket,
                json!(spec.s3_bucket),
                json!(actual.s3_bucket),
                Severity::High,
            );
            update |= diffs.compare(
                "s3_key_prefix",
                DriftKind::TrailBucketPrefix,
                json!(spec.s3_prefix),
                json!(actual.s3_prefix.clone().filter(|p| !p.is_empty())),
                Severity::Medium,
            );
        }
        if let Some(k) = &spec.kms_key_id {
            self.key_policy(&address, k, &kms::TRAIL_KEY, diffs);
            if !actual
                .kms_key_id
                .as_deref()
                .is_some_and(|have| self.is_key(have, k))
            {
                diffs.push(
                    "kms_key_id",
                    DriftKind::TrailKmsKey,
                    json!(k),
                    json!(actual.kms_key_id),
                    Severity::Medium,
                );
                update = true;
            }
        }
        if let Some(t) = &spec.sns_topic {
            let name = crate::arn::name(t);
            let have = actual.sns_topic_arn.as_deref().map(crate::arn::name);
            if have != Some(name) {
                diffs.push(
                    "sns_topic",
                    DriftKind::TrailSnsTopic,
                    json!(t),
                    json!(actual.sns_topic_arn),
                    Severity::Low,
                );
                update = true;
            }
        }
        update
    }

    /// Logging, what the trail records, and what CloudTrail reports of its deliveries.
    fn trail_state(&self, actual: &TrailState, diffs: &mut Diffs, ops: &mut Vec<Op>) {
        let spec = &self.d.trail;
        if actual.is_logging == Some(false) {
            diffs.push(
                "is_logging",
                DriftKind::TrailNotLogging,
                json!(true),
                json!(false),
                Severity::High,
            );
            ops.push(Op::StartLogging {
                trail: spec.name.clone(),
            });
        }
        // The filters see only what the trail records: without read-only management events a
        // root user's console browsing never reaches them. Basic or advanced, the trail must
        // record every management event ("Logging management events", AWS CloudTrail User
        // Guide); data-event selectors are kept as they are.
        if let Some(selectors) = &actual.selectors {
            let coverage = selectors.management_coverage();
            if !coverage.is_complete() {
                diffs.push(
                    "event_selectors",
                    DriftKind::TrailManagementEvents,
                    json!("read and write management events"),
                    json!(coverage.describe()),
                    Severity::High,
                );
                ops.push(Op::PutEventSelectors {
                    trail: spec.name.clone(),
                    selectors: selectors.with_all_management_events(),
                });
            }
        }
        // Drift that no write here repairs: CloudTrail's own report that delivery fails (a
        // bucket policy, role or KMS key changed elsewhere). Shown with AWS's text.
        for e in &actual.delivery_errors {
            diffs.push(
                &e.field,
                DriftKind::TrailDeliveryError,
                json!("no delivery error"),
                json!(e.message),
                Severity::High,
            );
        }
    }
}
