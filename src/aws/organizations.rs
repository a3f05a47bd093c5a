//! AWS Organizations: the organization the caller manages, its accounts (all, named, or under
//! an organizational unit), and a session in a member account through AssumeRole.

use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};

use super::{sdk_error, Aws, AwsError};
use crate::model::Organization;

/// Which accounts a fan-out covers (`--accounts all|ID,ID…|ou-…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountSelector {
    All,
    Ids(Vec<String>),
    /// An organizational unit (`ou-…`) or the root (`r-…`), with every OU below it.
    Unit(String),
}

/// One account of the organization, as ListAccounts describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberAccount {
    pub id: String,
    pub name: String,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE` (ListAccounts' `Status`).
    pub status: String,
}

/// "Not in an organization" (DescribeOrganization, AWS Organizations API Reference,
/// https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html).
const NOT_IN_USE: &str = "AWSOrganizationsNotInUseException";

impl Aws {
    /// The organization the caller's account belongs to; `None` when it belongs to none.
    pub async fn organization(&self) -> Result<Option<Organization>, AwsError> {
        let out = self.organizations.describe_organization().send().await;
        let out = match out.map_err(|e| sdk_error("organizations:DescribeOrganization", e)) {
            Err(e) if e.code() == Some(NOT_IN_USE) => return Ok(None),
            other => other?,
        };
        let Some(org) = out.organization() else {
            return Ok(None);
        };
        Ok(Some(Organization {
            id: org.id().unwrap_or_default().to_string(),
            management_account: org.master_account_id().unwrap_or_default().to_string(),
        }))
    }

    /// The accounts `selector` names, in the order AWS lists them (`Ids`: in the order given,
    /// each checked against the organization's list so that a typo is reported, not assumed).
    pub async fn member_accounts(
        &self,
        selector: &AccountSelector,
    ) -> Result<Vec<MemberAccount>, AwsError> {
        match selector {
            AccountSelector::All => self.list_accounts().await,
            AccountSelector::Ids(ids) => {
                let all = self.list_accounts().await?;
                ids.iter()
                    .map(|id| {
                        all.iter().find(|a| &a.id == id).cloned().ok_or_else(|| {
                            AwsError::Other(format!(
                                "account {id} is not an account of this organization"
                            ))
                        })
                    })
                    .collect()
            }
            AccountSelector::Unit(parent) => {
                // ListAccountsForParent lists only the accounts directly under a parent: the
                // OUs below it are walked too (ListOrganizationalUnitsForParent).
                let mut accounts = Vec::new();
                let mut parents = vec![parent.clone()];
                while let Some(parent) = parents.pop() {
                    accounts.extend(self.accounts_for_parent(&parent).await?);
                    parents.extend(self.units_for_parent(&parent).await?);
                }
                Ok(accounts)
            }
        }
    }

    async fn list_accounts(&self) -> Result<Vec<MemberAccount>, AwsError> {
        let mut accounts = Vec::new();
        let mut pages = self.organizations.list_accounts().into_paginator().send();
        while let Some(page) = pages.next().await {
            let out = page.map_err(|e| sdk_error("organizations:ListAccounts", e))?;
            accounts.extend(out.accounts().iter().map(member));
        }
        Ok(accounts)
    }

    async fn accounts_for_parent(&self, parent: &str) -> Result<Vec<MemberAccount>, AwsError> {
        let mut accounts = Vec::new();
        let mut pages = self
            .organizations
            .list_accounts_for_parent()
            .parent_id(parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let out = page.map_err(|e| sdk_error("organizations:ListAccountsForParent", e))?;
            accounts.extend(out.accounts().iter().map(member));
        }
        Ok(accounts)
    }

    async fn units_for_parent(&self, parent: &str) -> Result<Vec<String>, AwsError> {
        let mut units = Vec::new();
        let mut pages = self
            .organizations
            .list_organizational_units_for_parent()
            .parent_id(parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let out =
                page.map_err(|e| sdk_error("organizations:ListOrganizationalUnitsForParent", e))?;
            units.extend(
                out.organizational_units()
                    .iter()
                    .filter_map(|u| u.id().map(str::to_string)),
            );
        }
        Ok(units)
    }

    /// A session in `account` through its role `role_name` (STS AssumeRole; throttling is
    /// retried by the SDK's standard retry mode, as for every client here). The new session's
    /// clients count their requests in their own counter.
    pub async fn assume(&self, account: &str, role_name: &str) -> Result<Aws, AwsError> {
        let role_arn =
            crate::arn::role(crate::model::partition_of(&self.region), account, role_name);
        let out = self
            .sts
            .assume_role()
            .role_arn(&role_arn)
            .role_session_name("trailwarden")
            .send()
            .await
            .map_err(|e| sdk_error("sts:AssumeRole", e))?;
        let c = out
            .credentials()
            .ok_or_else(|| AwsError::Other(format!("AssumeRole {role_arn}: no credentials")))?;
        let credentials = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "trailwarden-assume-role",
        );
        let config = self
            .sdk_config
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build();
        let session = Aws::connect_with(config).await?;
        let _ = session.account.set(account.to_string());
        Ok(session)
    }
}

fn member(a: &aws_sdk_organizations::types::Account) -> MemberAccount {
    MemberAccount {
        id: a.id().unwrap_or_default().to_string(),
        name: a.name().unwrap_or_default().to_string(),
        status: a
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
    }
}
