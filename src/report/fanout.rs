//! The report of `check --accounts`: one line per account and a summary (human), every
//! account's single-account report inside (JSON), a test suite per account (JUnit), annotations
//! naming the account (GitHub).

use serde::Serialize;
use std::fmt::Write;

use super::check::{gh, xml, CheckReport};
use super::{counted, short, FORMAT_VERSION};
use crate::fanout::AccountResult;

#[derive(Debug, Serialize)]
pub(crate) struct FanoutReport<'a> {
    pub format_version: &'static str,
    /// `per-account` (each account's own chain) or `organization` (the organization chain and
    /// each account's coverage by its trail).
    pub mode: &'static str,
    pub role_name: &'a str,
    pub in_sync: bool,
    pub summary: Summary,
    pub accounts: Vec<AccountEntry<'a>>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Summary {
    pub accounts: usize,
    pub in_sync: usize,
    pub drifted: usize,
    /// Accounts that could not be checked.
    pub errors: usize,
    /// Requests made, AssumeRole included.
    pub requests: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct AccountEntry<'a> {
    pub account_id: &'a str,
    pub name: &'a str,
    /// `in_sync`, `drift` or `error`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    /// The account's report, of the same schema as `check --output json` of one account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<&'a CheckReport>,
}

fn status(r: &AccountResult) -> &'static str {
    match (&r.report, &r.error) {
        (Some(report), _) if report.in_sync => "in_sync",
        (Some(_), _) => "drift",
        _ => "error",
    }
}

impl<'a> FanoutReport<'a> {
    pub(crate) fn new(
        results: &'a [AccountResult],
        organization: bool,
        role_name: &'a str,
    ) -> FanoutReport<'a> {
        let count = |s: &str| results.iter().filter(|r| status(r) == s).count();
        let summary = Summary {
            accounts: results.len(),
            in_sync: count("in_sync"),
            drifted: count("drift"),
            errors: count("error"),
            requests: results
                .iter()
                .filter_map(|r| r.report.as_ref())
                .map(|r| r.requests)
                .sum(),
        };
        FanoutReport {
            format_version: FORMAT_VERSION,
            mode: if organization {
                "organization"
            } else {
                "per-account"
            },
            role_name,
            in_sync: summary.in_sync == summary.accounts,
            summary,
            accounts: results
                .iter()
                .map(|r| AccountEntry {
                    account_id: &r.id,
                    name: &r.name,
                    status: status(r),
                    error: r.error.as_deref(),
                    report: r.report.as_ref(),
                })
                .collect(),
        }
    }

    pub(crate) fn human(&self) -> String {
        let mut out = String::new();
        let width = self
            .accounts
            .iter()
            .map(|a| a.name.len())
            .max()
            .unwrap_or(0);
        for a in &self.accounts {
            let what = match (a.report, a.error) {
                (Some(r), _) if r.in_sync => match r.warnings.len() {
                    0 => "in sync".to_string(),
                    n => format!("in sync, {}", counted(n, "warning")),
                },
                (Some(r), _) => {
                    let mut kinds: Vec<&str> = r.drift.iter().map(|d| d.kind.as_str()).collect();
                    kinds.extend(r.errors.iter().map(|e| e.code));
                    kinds.dedup();
                    format!(
                        "DRIFT: {} ({})",
                        counted(r.drift.len() + r.errors.len(), "difference"),
                        kinds.join(", ")
                    )
                }
                (None, e) => format!("NOT CHECKED: {}", e.unwrap_or("unknown error")),
            };
            let _ = writeln!(out, "{}  {:width$}  {what}", a.account_id, a.name);
            if let Some(r) = a.report {
                for w in &r.warnings {
                    let _ = writeln!(out, "    warning: {}", w.message);
                }
            }
        }
        let s = &self.summary;
        let failed: Vec<&str> = self
            .accounts
            .iter()
            .filter(|a| a.status == "error")
            .map(|a| a.account_id)
            .collect();
        let _ = write!(
            out,
            "{}: {} in sync, {} drifted, {} not checked",
            counted(s.accounts, "account"),
            s.in_sync,
            s.drifted,
            s.errors
        );
        if !failed.is_empty() {
            let _ = write!(out, " ({})", failed.join(", "));
        }
        let _ = writeln!(out, "; {}.", counted(s.requests as usize, "request"));
        out
    }

    /// A test suite per account: a failing case per drifted resource, one per account that
    /// could not be checked, a passing case per account in sync.
    pub(crate) fn junit(&self) -> String {
        let mut suites = String::new();
        let (mut tests, mut failures, mut errors) = (0, 0, 0);
        for a in &self.accounts {
            let mut cases = String::new();
            let (mut t, mut f, mut e) = (0, 0, 0);
            match (a.report, a.error) {
                (Some(r), _) => {
                    let mut last = "";
                    for d in &r.drift {
                        if d.address == last {
                            continue;
                        }
                        last = &d.address;
                        let text: Vec<String> = r
                            .drift
                            .iter()
                            .filter(|e| e.address == d.address)
                            .map(|e| {
                                format!(
                                    "{} ({}): expected {}, actual {}",
                                    e.field,
                                    e.kind,
                                    short(&e.expected),
                                    short(&e.actual)
                                )
                            })
                            .collect();
                        let _ = writeln!(
                            cases,
                            r#"    <testcase classname="trailwarden.drift.{}" name="{}"><failure message="drift" type="drift">{}</failure></testcase>"#,
                            a.account_id,
                            xml(&d.address),
                            xml(&text.join("\n"))
                        );
                        t += 1;
                        f += 1;
                    }
                    for e in &r.errors {
                        let _ = writeln!(
                            cases,
                            r#"    <testcase classname="trailwarden.error.{}" name="{}"><failure message="{}" type="{}"/></testcase>"#,
                            a.account_id,
                            xml(e.address.as_deref().unwrap_or(e.code)),
                            xml(&e.message),
                            e.code
                        );
                        t += 1;
                        f += 1;
                    }
                    if t == 0 {
                        let _ = writeln!(
                            cases,
                            r#"    <testcase classname="trailwarden.{}" name="in-sync"/>"#,
                            a.account_id
                        );
                        t += 1;
                    }
                }
                (None, error) => {
                    // Not a failed assertion but a check that could not run: JUnit's <error>.
                    let _ = writeln!(
                        cases,
                        r#"    <testcase classname="trailwarden.{}" name="checked"><error message="{}" type="not-checked"/></testcase>"#,
                        a.account_id,
                        xml(error.unwrap_or("unknown error"))
                    );
                    t += 1;
                    e += 1;
                }
            }
            let _ = writeln!(
                suites,
                r#"  <testsuite name="{}" tests="{t}" failures="{f}" errors="{e}">"#,
                xml(&format!("account {} {}", a.account_id, a.name))
            );
            suites.push_str(&cases);
            let _ = writeln!(suites, "  </testsuite>");
            tests += t;
            failures += f;
            errors += e;
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"trailwarden check --accounts\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n{suites}</testsuites>\n"
        )
    }

    /// Every annotation of the accounts' reports, titled with the account.
    pub(crate) fn github(&self) -> String {
        let mut out = String::new();
        for a in &self.accounts {
            match (a.report, a.error) {
                (Some(r), _) => {
                    for d in &r.drift {
                        let _ = writeln!(
                            out,
                            "::error title=trailwarden drift in {}: {}::{} {} ({}): expected {}, actual {}",
                            a.account_id,
                            gh(&d.address),
                            gh(&d.address),
                            gh(&d.field),
                            gh(d.kind.as_str()),
                            gh(&short(&d.expected)),
                            gh(&short(&d.actual))
                        );
                    }
                    for e in &r.errors {
                        let _ = writeln!(
                            out,
                            "::error title=trailwarden in {}::{}",
                            a.account_id,
                            gh(&e.message)
                        );
                    }
                    for w in &r.warnings {
                        let _ = writeln!(
                            out,
                            "::warning title=trailwarden in {}::{}",
                            a.account_id,
                            gh(&w.message)
                        );
                    }
                }
                (None, e) => {
                    let _ = writeln!(
                        out,
                        "::error title=trailwarden: {} not checked::{}",
                        a.account_id,
                        gh(e.unwrap_or("unknown error"))
                    );
                }
            }
        }
        let s = &self.summary;
        let _ = writeln!(
            out,
            "trailwarden: {} accounts, {} in sync, {} drifted, {} not checked",
            s.accounts, s.in_sync, s.drifted, s.errors
        );
        out
    }
}

/// One account of `plan --accounts` / `apply --accounts`.
#[derive(Debug, Serialize)]
pub(crate) struct AccountPlanEntry<'a> {
    pub account_id: &'a str,
    pub name: &'a str,
    /// `changes`, `no_changes`, `conflicts` (not applied), `error` (not read), and after an
    /// apply `applied` or `failed`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    /// The account's plan (and outcome), of the same schema as `plan` / `apply` of one account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<super::PlanReport<'a>>,
    /// The plan itself, for the human form.
    #[serde(skip)]
    pub plan: Option<&'a crate::plan::Plan>,
}

/// The aggregated plan (and outcome) of several accounts.
#[derive(Debug, Serialize)]
pub(crate) struct AccountsPlanReport<'a> {
    pub format_version: &'static str,
    pub command: &'static str,
    pub accounts: Vec<AccountPlanEntry<'a>>,
}

impl AccountsPlanReport<'_> {
    /// Each account's plan (or outcome) under its heading, and a summary line.
    pub(crate) fn human(&self) -> String {
        let mut out = String::new();
        for a in &self.accounts {
            let _ = writeln!(out, "Account {} ({}):", a.account_id, a.name);
            match (a.plan, &a.report, a.error) {
                (Some(plan), Some(r), _) => {
                    let body = match r.outcome {
                        Some(o) => super::render_outcome_of("apply", o),
                        None => super::render_plan(plan),
                    };
                    for line in body.lines() {
                        let _ = writeln!(out, "  {line}");
                    }
                }
                (_, _, e) => {
                    let _ = writeln!(out, "  not read: {}", e.unwrap_or("unknown error"));
                }
            }
        }
        let count = |s: &str| self.accounts.iter().filter(|a| a.status == s).count();
        let _ = writeln!(
            out,
            "{}: {} with changes, {} without, {} with conflicts, {} applied, {} failed, {} not read.",
            counted(self.accounts.len(), "account"),
            count("changes"),
            count("no_changes"),
            count("conflicts"),
            count("applied"),
            count("failed"),
            count("error")
        );
        out
    }
}
