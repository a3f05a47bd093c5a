//! IAM-style policy documents: comparison that ignores AWS's rewriting, and merging by `Sid`.

use serde_json::{json, Value};

/// A canonical form for comparison: one-element arrays become their element, arrays of
/// scalars are sorted, so `"Action": ["a"]` equals `"Action": "a"` as AWS treats them.
pub(crate) fn normalize(v: &Value) -> Value {
    match v {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(normalize).collect();
            if items.len() == 1 {
                return items.remove(0);
            }
            if items.iter().all(|i| !i.is_object() && !i.is_array()) {
                items.sort_by_key(|a| a.to_string());
            }
            Value::Array(items)
        }
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        Value::Bool(b) => Value::String(b.to_string()),
        other => other.clone(),
    }
}

pub(crate) fn statement_by_sid<'a>(policy: &'a Value, sid: &str) -> Option<&'a Value> {
    match &policy["Statement"] {
        Value::Array(list) => list.iter().find(|s| s["Sid"].as_str() == Some(sid)),
        s @ Value::Object(_) if s["Sid"].as_str() == Some(sid) => Some(s),
        _ => None,
    }
}

/// The existing policy with `ours` added, each replacing any statement of the same `Sid`;
/// every other statement is kept as it is.
pub(crate) fn merge_statements(existing: Option<&Value>, ours: &[Value]) -> Value {
    let mut statements: Vec<Value> = match existing.map(|p| &p["Statement"]) {
        Some(Value::Array(list)) => list.clone(),
        Some(s @ Value::Object(_)) => vec![s.clone()],
        _ => Vec::new(),
    };
    for stmt in ours {
        let sid = stmt["Sid"].as_str();
        match statements
            .iter_mut()
            .find(|s| s["Sid"].as_str().is_some() && s["Sid"].as_str() == sid)
        {
            Some(slot) => *slot = stmt.clone(),
            None => statements.push(stmt.clone()),
        }
    }
    let version = existing
        .and_then(|p| p["Version"].as_str())
        .unwrap_or("2012-10-17")
        .to_string();
    let mut doc = json!({ "Version": version, "Statement": statements });
    if let Some(id) = existing.and_then(|p| p.get("Id")) {
        doc["Id"] = id.clone();
    }
    doc
}

/// The statements of a policy document (one statement may be given without an array).
pub(super) fn statements(policy: &Value) -> Vec<&Value> {
    match &policy["Statement"] {
        Value::Array(list) => list.iter().collect(),
        s @ Value::Object(_) => vec![s],
        _ => Vec::new(),
    }
}

/// `value` (a string or an array of strings) contains `wanted`, compared case-insensitively.
fn names(value: &Value, wanted: &str) -> bool {
    match value {
        Value::String(s) => s.eq_ignore_ascii_case(wanted),
        Value::Array(items) => items.iter().any(|i| names(i, wanted)),
        _ => false,
    }
}

/// The statement lets CloudTrail's service principal assume the role.
fn grants_cloudtrail(stmt: &Value) -> bool {
    stmt["Effect"] == "Allow"
        && names(&stmt["Principal"]["Service"], "cloudtrail.amazonaws.com")
        && ["sts:AssumeRole", "sts:*", "*"]
            .iter()
            .any(|a| names(&stmt["Action"], a))
}

/// The trust policy lets CloudTrail assume the role the way AWS documents: an Allow statement
/// for `cloudtrail.amazonaws.com` without a condition. CloudTrail's CloudWatch Logs role does not
/// support `aws:SourceArn` / `aws:SourceAccount` ("Role policy document for CloudTrail to use
/// CloudWatch Logs for monitoring", AWS CloudTrail User Guide), and CloudTrail supplies no other
/// condition context, so a conditioned statement is as good as none.
pub(super) fn trusts_cloudtrail(trust: &Value) -> bool {
    statements(trust)
        .into_iter()
        .any(|s| grants_cloudtrail(s) && s.get("Condition").is_none_or(|c| c.is_null()))
}

/// The trust policy with its CloudTrail statements replaced by `ours`; statements for other
/// principals are kept.
pub(super) fn repair_trust(existing: &Value, ours: &Value) -> Value {
    let mut kept: Vec<Value> = statements(existing)
        .into_iter()
        .filter(|s| !grants_cloudtrail(s))
        .cloned()
        .collect();
    kept.extend(statements(ours).into_iter().cloned());
    json!({ "Version": "2012-10-17", "Statement": kept })
}
