//! Warnings about patterns that parse but probably do not do what their author meant.
//!
//! Codes are stable: `mfa-used-case`, `ne-on-optional-field`, `and-or-precedence`,
//! `unquoted-value`.

use serde::Serialize;

use super::ast::{is_number, Ast, CmpOp, Cond, Expr, Field, Literal, Operand, Selector, Test};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lint {
    pub code: &'static str,
    pub message: String,
}

pub(super) const MFA_USED_CASE: &str = "mfa-used-case";
pub(super) const NE_ON_OPTIONAL_FIELD: &str = "ne-on-optional-field";
pub(super) const AND_OR_PRECEDENCE: &str = "and-or-precedence";
pub(super) const UNQUOTED_VALUE: &str = "unquoted-value";

/// CloudTrail fields that many events lack; `!=` on them never fires for those events.
const OPTIONAL_FIELDS: &[&[&str]] = &[
    &["userIdentity", "sessionContext"],
    &["userIdentity", "invokedBy"],
    &["errorCode"],
    &["errorMessage"],
    &["additionalEventData"],
];

pub(super) fn lints(ast: &Ast) -> Vec<Lint> {
    let mut out = Vec::new();
    match ast {
        Ast::Json(expr) => {
            let mut conds = Vec::new();
            collect_conds(expr, &mut conds);
            precedence(expr, &mut out);
            for c in &conds {
                mfa_case(c, &conds, &mut out);
                ne_optional(c, &conds, &mut out);
                if let Test::Cmp(_, Operand::Lit(l)) = &c.test {
                    unquoted(l, &mut out);
                }
            }
        }
        Ast::Delimited(fields) => {
            for f in fields {
                if let Field::Named { alternatives, .. } = f {
                    for c in alternatives.iter().flatten() {
                        if let Operand::Lit(l) = &c.operand {
                            unquoted(l, &mut out);
                        }
                    }
                }
            }
        }
        _ => {}
    }
    out
}

fn collect_conds<'a>(e: &'a Expr, out: &mut Vec<&'a Cond>) {
    match e {
        Expr::Or(items, _) | Expr::And(items) => items.iter().for_each(|i| collect_conds(i, out)),
        Expr::Paren(inner, _) => collect_conds(inner, out),
        Expr::Cond(c) => out.push(c),
    }
}

fn precedence(e: &Expr, out: &mut Vec<Lint>) {
    match e {
        Expr::Or(items, span) => {
            if items.iter().any(|i| matches!(i, Expr::And(_))) {
                let grouped: Vec<String> = items
                    .iter()
                    .map(|i| match i {
                        Expr::And(_) => format!("({i})"),
                        other => other.to_string(),
                    })
                    .collect();
                out.push(Lint {
                    code: AND_OR_PRECEDENCE,
                    message: format!(
                        "column {}: '&&' binds tighter than '||', so this reads as {}: the '&&' conditions apply only to the branch they touch; add parentheses to state the grouping you mean",
                        span.column,
                        grouped.join(" || ")
                    ),
                });
            }
            items.iter().for_each(|i| precedence(i, out));
        }
        Expr::And(items) => items.iter().for_each(|i| precedence(i, out)),
        Expr::Paren(inner, _) => precedence(inner, out),
        Expr::Cond(_) => {}
    }
}

fn is_mfa_used(s: &Selector) -> bool {
    s.is_path(&["additionalEventData", "MFAUsed"])
}

fn mfa_case(c: &Cond, all: &[&Cond], out: &mut Vec<Lint>) {
    if !is_mfa_used(&c.selector) {
        return;
    }
    let Test::Cmp(op, Operand::Lit(l)) = &c.test else {
        return;
    };
    if l.matcher.exact() != Some("Yes") {
        return;
    }
    // Already covered when the pattern makes the same comparison with "YES".
    let covered = all.iter().any(|o| {
        is_mfa_used(&o.selector)
            && matches!(&o.test, Test::Cmp(op2, Operand::Lit(l2)) if op2 == op && l2.matcher.exact() == Some("YES"))
    });
    // Root sign-ins cannot reach the comparison when the pattern only admits another identity
    // type (CIS's SSO variant requires `userIdentity.type = "IAMUser"`).
    let root_excluded = all.iter().any(|o| {
        o.selector.is_path(&["userIdentity", "type"])
            && matches!(&o.test, Test::Cmp(CmpOp::Eq, Operand::Lit(l2)) if l2.matcher.exact().is_some_and(|v| v != "Root"))
    });
    if covered || root_excluded {
        return;
    }
    let message = match op {
        CmpOp::Ne => format!(
            "column {}: {c} also fires on root sign-ins with MFA, which CloudTrail records as \"YES\"; add && {} != \"YES\", or test = \"No\"",
            c.span.column, c.selector
        ),
        CmpOp::Eq => format!(
            "column {}: {c} misses root sign-ins with MFA, which CloudTrail records as \"YES\"; add || {} = \"YES\"",
            c.span.column, c.selector
        ),
        _ => return,
    };
    out.push(Lint {
        code: MFA_USED_CASE,
        message,
    });
}

fn ne_optional(c: &Cond, all: &[&Cond], out: &mut Vec<Lint>) {
    let Test::Cmp(CmpOp::Ne, _) = &c.test else {
        return;
    };
    if !OPTIONAL_FIELDS.iter().any(|p| c.selector.starts_with(p)) {
        return;
    }
    let absence_tested = all
        .iter()
        .any(|o| o.test == Test::NotExists && o.selector == c.selector);
    if absence_tested {
        return;
    }
    // MFAUsed is always present on ConsoleLogin records.
    let console_login = all.iter().any(|o| {
        o.selector.is_path(&["eventName"])
            && matches!(&o.test, Test::Cmp(CmpOp::Eq, Operand::Lit(l)) if l.matcher.exact() == Some("ConsoleLogin"))
    });
    if console_login && is_mfa_used(&c.selector) {
        return;
    }
    out.push(Lint {
        code: NE_ON_OPTIONAL_FIELD,
        message: format!(
            "column {}: {c} never fires on events that lack {} (a != on a missing property does not match); if absence should count, write ({c} || {} NOT EXISTS)",
            c.span.column, c.selector, c.selector
        ),
    });
}

fn unquoted(l: &Literal, out: &mut Vec<Lint>) {
    if l.quoted {
        return;
    }
    let lower = l.raw.to_ascii_lowercase();
    if matches!(lower.as_str(), "true" | "false" | "null") {
        let instead = if lower == "null" {
            "IS NULL".to_string()
        } else {
            format!("IS {}", lower.to_ascii_uppercase())
        };
        out.push(Lint {
            code: UNQUOTED_VALUE,
            message: format!(
                "column {}: {} is compared as the string \"{}\", not the JSON value; to test the JSON value write {instead}",
                l.span.column, l.raw, l.raw
            ),
        });
        return;
    }
    if is_number(&l.raw) {
        return;
    }
    if let Some(ch) = l
        .raw
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '.' || *c == '*'))
    {
        out.push(Lint {
            code: UNQUOTED_VALUE,
            message: format!(
                "column {}: unquoted value {} contains '{ch}'; AWS documents quoting values with characters other than letters, digits, '.' and '*': write \"{}\"",
                l.span.column, l.raw, l.raw
            ),
        });
    }
}
